"""`ContainerAppJob`: one job on Azure Container Apps, from its validated spec."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import pulumi
from pulumi_azure_native import app

from infra.constants import CONTAINER_APP_JOB_COMPONENT, CONTAINER_APP_JOB_TYPE
from infra.foundation.common import Placement
from infra.services.catalog import Catalog, PlannedJob
from infra.services.components.identity import create_identity, grants_in_force
from infra.services.render.common import PlatformExtensions, PlatformFacts, Text
from infra.services.render.container_apps import render_job_on_container_apps


@dataclass(frozen=True)
class ContainerAppJobArgs:
    job: PlannedJob
    catalog: Catalog
    facts: PlatformFacts
    extensions: PlatformExtensions
    placement: Placement
    environment_id: pulumi.Input[str]
    pull_identity_id: pulumi.Input[str]
    pull_ready: pulumi.Resource
    """The pull identity's AcrPull has propagated: an execution pulls its image at once."""
    """The registry component: its AcrPull grant must exist before the first image pull."""
    platform_vault_id: pulumi.Input[str]
    config_secrets: Mapping[str, Text]


class ContainerAppJob(pulumi.ComponentResource):
    """Identity and roles first (as for a service), then the Container Apps job that uses them."""

    def __init__(
        self, name: str, args: ContainerAppJobArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__(CONTAINER_APP_JOB_COMPONENT, name, None, opts)
        job = args.job
        placement = args.placement
        identity = create_identity(
            self, job.spec, placement, args.facts.environment.value, args.platform_vault_id
        )
        # Its group (the platform's for one it adopted, docs/team-stacks.md, Migration).
        home = placement.home(CONTAINER_APP_JOB_TYPE, job.name)
        depends: list[pulumi.Resource] = [args.pull_ready]
        if identity is not None and identity.grants:
            # An execution reads its Key Vault secrets when it starts, like a revision.
            depends.append(grants_in_force(self, job.name, identity))
        plan = render_job_on_container_apps(
            job,
            catalog=args.catalog,
            facts=args.facts,
            extensions=args.extensions,
            identity_id=identity.identity.id if identity else None,
            pull_identity_id=args.pull_identity_id,
            config_values=args.config_secrets,
        )
        container_job = app.Job(
            job.name,
            job_name=plan.name,
            resource_group_name=home.resource_group_name,
            location=home.location,
            environment_id=args.environment_id,
            workload_profile_name=plan.workload_profile_name,
            identity=plan.identity,
            configuration=plan.configuration,
            template=plan.template,
            tags={**home.tags, **plan.tags},
            opts=pulumi.ResourceOptions(parent=self, depends_on=depends),
        )
        self.job_name = container_job.name
        self.register_outputs({"name": self.job_name})
