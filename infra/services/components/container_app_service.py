"""`ContainerAppService`: one service on Azure Container Apps, from its validated spec."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import pulumi
from pulumi_azure_native import app

from infra.foundation.common import Placement
from infra.services.components.identity import create_identity
from infra.services.render.common import PlatformExtensions, PlatformFacts, Text
from infra.services.render.container_apps import render_on_container_apps
from infra.services.validation import Catalog, PlannedService


@dataclass(frozen=True)
class ContainerAppServiceArgs:
    service: PlannedService
    catalog: Catalog
    facts: PlatformFacts
    extensions: PlatformExtensions
    placement: Placement
    environment_id: pulumi.Input[str]
    environment_name: pulumi.Input[str]
    certificate_identity_id: pulumi.Input[str]
    pull_identity_id: pulumi.Input[str]
    pull_ready: pulumi.Resource
    """The registry component: its AcrPull grant must exist before the first image pull."""
    platform_vault_id: pulumi.Input[str]
    config_secrets: Mapping[str, Text]


class ContainerAppService(pulumi.ComponentResource):
    """Identity and roles first, then the Container App that uses them."""

    fqdn: pulumi.Output[str]

    def __init__(
        self, name: str, args: ContainerAppServiceArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__("platform:services:ContainerAppService", name, None, opts)
        service = args.service
        placement = args.placement
        identity = create_identity(
            self, service.spec, placement, args.facts.environment.value, args.platform_vault_id
        )
        depends: list[pulumi.Resource] = [args.pull_ready]
        if identity is not None:
            depends += list(identity.grants)
        certificate_id: pulumi.Input[str] | None = None
        tls = service.spec.ingress.tls
        if tls is not None:
            certificate = app.Certificate(
                f"{service.name}-certificate",
                environment_name=args.environment_name,
                resource_group_name=placement.resource_group_name,
                location=placement.location,
                properties=app.CertificatePropertiesArgs(
                    certificate_key_vault_properties=app.CertificateKeyVaultPropertiesArgs(
                        identity=args.certificate_identity_id,
                        key_vault_url=tls.key_vault_certificate_uri,
                    )
                ),
                tags=placement.tags,
                opts=pulumi.ResourceOptions(parent=self),
            )
            certificate_id = certificate.id
        plan = render_on_container_apps(
            service,
            catalog=args.catalog,
            facts=args.facts,
            extensions=args.extensions,
            identity_id=identity.identity.id if identity else None,
            pull_identity_id=args.pull_identity_id,
            config_values=args.config_secrets,
            certificate_id=certificate_id,
        )
        container_app = app.ContainerApp(
            service.name,
            container_app_name=plan.name,
            resource_group_name=placement.resource_group_name,
            location=placement.location,
            managed_environment_id=args.environment_id,
            workload_profile_name=plan.workload_profile_name,
            identity=plan.identity,
            configuration=plan.configuration,
            template=plan.template,
            tags={**placement.tags, **plan.tags},
            opts=pulumi.ResourceOptions(parent=self, depends_on=depends),
        )
        self.fqdn = container_app.latest_revision_fqdn
        self.register_outputs({"fqdn": self.fqdn})
