"""What every way of building a stack shares (the single stack, and the platform and application
stacks of `infra/stacks/`): the running stack's config keys, the facts the renderers get from a
foundation, what a build returns, and the pre-deploy refusals every stack that deploys services
makes (a Key Vault reference not seeded yet, a placeholder image lock on a real deploy). Below
`infra/program.py` and `infra/stacks/`, so neither imports the other for them.
"""

from __future__ import annotations

from dataclasses import dataclass

import pulumi
from pulumi.runtime import config as runtime_config
from pulumi.runtime import mocks as runtime_mocks
from pulumi.runtime import settings as runtime_settings

from infra.config import PlatformConfig
from infra.foundation.platform import Foundation
from infra.policy.safeguards import probe_safeguard
from infra.problems import Problem
from infra.services.catalog import Catalog
from infra.services.image_lock import is_placeholder, lock_path, placeholder_problems
from infra.services.loader import ROOT as REPOSITORY
from infra.services.render.common import GatewayFacts, InternalGatewayFacts, PlatformFacts
from infra.services.vault_references import Exists, VaultReference


@dataclass(frozen=True)
class Platform:
    foundation: Foundation | None
    """None for the local stack."""
    catalog: Catalog
    services: dict[str, pulumi.ComponentResource]

    @property
    def azure_config(self) -> PlatformConfig | None:
        """The Azure stack's config (`infra/program_result.py`); None for the local stack."""
        return None if self.foundation is None else self.foundation.config


def config_keys() -> dict[str, bool]:
    """Every config key of the running stack, and whether it is stored encrypted."""
    keys = {**runtime_config.get_config_env(), **runtime_config.CONFIG.get()}
    return {key: runtime_config.is_config_secret(key) for key in keys}


def platform_facts(config: PlatformConfig, foundation: Foundation) -> PlatformFacts:
    """What the renderers know of an Azure stack: its config and its foundation's outputs."""
    return PlatformFacts(
        environment=config.environment,
        zonal=bool(config.aks.zones),
        registry_server=foundation.registry.login_server,
        container_apps_domain=foundation.container_apps.default_domain,
        container_apps_internal=config.container_apps.internal,
        container_apps_subnet_cidr=str(config.network.container_apps_subnet_cidr),
        aks_nodes_subnet_cidr=str(config.network.aks_nodes_subnet_cidr),
        aks_egress_ip=foundation.aks.egress_ip,
        private_zone=config.private_dns_zone,
        tenant_id=foundation.tenant_id,
        # Known from config (the vault's explicit name): previews show it, no Output to await.
        key_vault_name=config.key_vault_name,
        key_vault_id=foundation.key_vault.vault_id,
        subscription_id=foundation.subscription_id,
        # aks.ingress gateway/both: public AKS ingress on the Gateway API (AGC).
        gateway=GatewayFacts(
            traffic_controller_id=foundation.gateway.traffic_controller_id,
            subnet_cidr=str(config.network.gateway_subnet_cidr),
        )
        if foundation.gateway is not None
        else None,
        # aks.ingress gateway: internal AKS ingress on Envoy Gateway (nginx/both: app routing).
        internal_gateway=InternalGatewayFacts(str(config.network.internal_ingress_address))
        if config.aks.ingress.internal_gateway
        else None,
        # Enforce refuses pods whose probes use another handler (a gRPC probe).
        probe_handlers=probe_safeguard().probe_handlers
        if config.hardening.deployment_safeguards == "Enforce"
        else None,
    )


def offline() -> bool:
    """An offline plan (under mocks): there is no Azure to ask."""
    return isinstance(runtime_settings.get_monitor(), runtime_mocks.MockMonitor)


def real_deploy() -> bool:
    """`pulumi up` against Azure: neither an offline plan (mocks) nor a preview."""
    return not offline() and not pulumi.runtime.is_dry_run()


def vault_check() -> Exists | None:
    """How the preflight asks Azure whether a Key Vault reference exists: None in an offline
    plan (nothing to ask; the preflight reports itself skipped). A single stack's validation
    and an application stack's refusals (`infra.stacks.application`) both take it from here."""
    return None if offline() else _exists_in_azure


def lock_problems() -> list[Problem]:
    """The image lock's refusal: a real deploy (`pulumi up` against Azure) of placeholder
    digests, which pull nothing. The single stack and every application stack refuse it before
    anything is registered."""
    return placeholder_problems(placeholder=is_placeholder(), real_deploy=real_deploy())


def lock_shown() -> str:
    """The lock's path as the refusal names it (`apps/images.lock.yaml`)."""
    return str(lock_path().relative_to(REPOSITORY))


def _exists_in_azure(reference: VaultReference) -> bool:
    from infra.foundation.keyvault import secret_exists

    assert reference.resource_group is not None
    return secret_exists(reference.resource_group, reference.vault, reference.name)
