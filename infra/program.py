"""The Pulumi program: stack config → service declarations → validation → foundation → services.

Kept thin: each step lives elsewhere. Everything is validated before the first resource is
constructed, so bad input registers nothing. `build` is what both the Pulumi language host
(through infra/__main__.py) and the offline preview call.
"""

from __future__ import annotations

from collections.abc import Sequence

import pulumi
import pulumi_kubernetes as k8s
from pulumi.runtime import config as runtime_config

from infra.config import (
    NAMESPACE,
    Environment,
    LocalConfig,
    PlatformConfig,
    StackMode,
)
from infra.config_loader import load_platform_config
from infra.config_rules import config_advisories
from infra.extensions import EXTENSIONS
from infra.foundation.platform import build_foundation
from infra.problems import InvalidInput
from infra.running_stack import (
    Platform,
    config_keys,
    lock_problems,
    lock_shown,
    offline,
    platform_facts,
    vault_check,
)
from infra.services.catalog import Catalog
from infra.services.custom_domains import (
    ManagedRecords,
    custom_domains,
    gateway_host_records,
)
from infra.services.deploy import deploy_services
from infra.services.loader import load_applications
from infra.services.local import for_local_cluster
from infra.services.render.common import (
    ClusterKind,
    PlatformExtensions,
    PlatformFacts,
)
from infra.services.render.dry_run import aks_objects
from infra.services.spec import Application, Target
from infra.services.validation import stack_context, validate_applications
from infra.services.vault_references import (
    PreflightReport,
    passed,
    skipped,
    vault_references,
)


def _with_declaration_problems(
    config_error: InvalidInput, applications: Sequence[Application] | None
) -> InvalidInput:
    """Bad config and bad declarations in one report: the declarations are validated for the
    environment the stack names (when it names a valid one), with the image lock."""
    raw = {**runtime_config.get_config_env(), **runtime_config.CONFIG.get()}.get(
        f"{NAMESPACE}:environment"
    )
    try:
        environment = Environment(raw)
    except ValueError:
        return config_error
    try:
        validate_applications(
            load_applications() if applications is None else applications,
            stack_context(environment, config_keys(), aks_objects=aks_objects),
        )
    except InvalidInput as declaration_error:
        return InvalidInput(
            "the stack config and the service declarations",
            [*config_error.problems, *declaration_error.problems],
        )
    return config_error


def build(
    extensions: PlatformExtensions = EXTENSIONS,
    applications: Sequence[Application] | None = None,
) -> Platform:
    """Validate the whole stack first (nothing is registered on bad input), then build it.

    `applications` defaults to everything declared in `apps/` (tests and benchmarks pass their own).
    """
    # Team stacks (docs/team-stacks.md): a platform stack or one application's stack.
    from infra.stacks.program import current_mode

    if (mode := current_mode()) is not StackMode.SINGLE:
        from infra.stacks.program import build_stack

        return build_stack(mode, extensions, applications)
    try:
        config = load_platform_config()
    except InvalidInput as config_error:
        raise _with_declaration_problems(config_error, applications) from None
    # Every rule, the hosts' and the preflight's included, in one report before anything is
    # registered (against Azure the preflight asks it whether each Key Vault reference exists).
    catalog = validate_applications(
        load_applications() if applications is None else applications,
        stack_context(config, config_keys(), vault_exists=vault_check(), aks_objects=aks_objects),
    )
    if isinstance(config, LocalConfig):
        return build_local(config, catalog, extensions)
    for advisory in config_advisories(config):
        pulumi.log.warn(f"{advisory.path} = {advisory.value}: {advisory.problem} → {advisory.fix}")
    if not config.deploy_services:
        # The first deploy's first step: the foundation alone, so images can be pushed to the new
        # registry and secrets seeded in the new vault before any service needs them.
        foundation = build_foundation(config, catalog.job_namespaces(Target.AKS))
        pulumi.export("preflight", skipped("deployServices is false: no service").summary())
        return Platform(foundation, catalog, {})
    # Their problems were reported by validation (infra/services/rules/hosts.py).
    domains, _ = custom_domains(catalog, config.dns)
    gateway_hosts: dict[str, ManagedRecords] = {}
    if config.aks.ingress.internal_gateway:
        # During `both` the hosts still resolve to NGINX: moving them is the migration's step.
        gateway_hosts, _ = gateway_host_records(catalog, config.dns)
    if problems := lock_problems():
        raise InvalidInput(f"{lock_shown()} (nothing was registered)", problems)
    report = preflight(config, catalog)
    foundation = build_foundation(config, catalog.job_namespaces(Target.AKS))
    pulumi.export("preflight", report.summary())
    facts = platform_facts(config, foundation)
    services = deploy_services(
        catalog,
        foundation,
        foundation.aks.provider,
        facts,
        extensions,
        domains=domains,
        gateway_hosts=gateway_hosts,
    )
    return Platform(foundation, catalog, services)


def preflight(config: PlatformConfig, catalog: Catalog) -> PreflightReport:
    """Every Key Vault reference must exist before the first resource is registered: validation
    refused the catalog if one is missing (infra/services/rules/preflight.py); offline there is
    no Azure to ask, so it is reported as skipped."""
    references = vault_references(
        catalog,
        platform_vault=config.key_vault_name,
        platform_group=config.resource_group_name,
        environment=config.environment.value,
    )
    if offline():
        return skipped(f"offline plan, {len(references)} Key Vault references not checked")
    return passed(references)


def local_facts(config: LocalConfig) -> PlatformFacts:
    """What the renderers know on a local cluster: its registry and domain, no Azure."""
    return PlatformFacts(
        environment=config.environment,
        zonal=False,
        registry_server=config.registry,
        container_apps_domain="",
        container_apps_internal=False,
        container_apps_subnet_cidr="",
        aks_nodes_subnet_cidr="",
        aks_egress_ip="",
        private_zone="",
        tenant_id="",
        key_vault_name="",
        key_vault_id="",
        subscription_id="",
        cluster=ClusterKind.LOCAL,
        local_domain=config.domain,
    )


def build_local(config: LocalConfig, catalog: Catalog, extensions: PlatformExtensions) -> Platform:
    """The same applications on an existing Kubernetes context: no Azure resource at all."""
    local_catalog = for_local_cluster(catalog)
    provider = k8s.Provider("local", context=config.context, enable_server_side_apply=True)
    if not config.deploy_services:
        return Platform(None, catalog, {})
    facts = local_facts(config)
    services = deploy_services(local_catalog, None, provider, facts, extensions)
    pulumi.export("context", config.context)
    pulumi.export(
        "hosts",
        sorted(f"http://{s.route.host}" for s in local_catalog.services if s.route is not None),
    )
    return Platform(None, local_catalog, services)
