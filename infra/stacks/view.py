"""The foundation as an application stack sees it: built from the platform contract, not from
resources. Satisfies `infra.services.foundation_view.FoundationView`, so `deploy_services`
deploys an application the same way in a `single` stack and in its own stack."""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass

import pulumi

from infra.config import Environment
from infra.foundation.common import Placement
from infra.foundation.gateway import GatewayForContainers
from infra.services.render.common import GatewayFacts, InternalGatewayFacts, PlatformFacts
from infra.stacks.contract import AGC_KIND, ENVOY_KIND, ApplicationGrant, PlatformContract


@dataclass(frozen=True)
class NetworkFacts:
    internal_ingress_address: ipaddress.IPv4Address


@dataclass(frozen=True)
class ConfigFacts:
    network: NetworkFacts
    private_dns_zone: str


@dataclass(frozen=True)
class AksFacts:
    oidc_issuer_url: str


@dataclass(frozen=True)
class VaultFacts:
    vault_id: str


@dataclass(frozen=True)
class PrivateNetworkFacts:
    private_zone_name: str
    private_zone_group: str
    """The platform's resource group, where its private zone is."""


@dataclass(frozen=True)
class ContainerAppsFacts:
    environment_id: str
    environment_name: str
    certificate_identity_id: str
    certificates_ready: pulumi.Resource
    default_domain: str
    static_ip: str
    domain_verification_id: str
    environment_group: str
    """The platform's resource group, where its environment (and so its certificates) is."""


@dataclass(frozen=True)
class RegistryFacts:
    pull_identity_id: str
    pull_ready: pulumi.Resource


@dataclass(frozen=True)
class ContractFoundation:
    config: ConfigFacts
    placement: Placement
    aks: AksFacts
    key_vault: VaultFacts
    network: PrivateNetworkFacts
    container_apps: ContainerAppsFacts
    registry: RegistryFacts
    gateway: GatewayForContainers | None = None
    """Always None: the shared gateways are the platform stack's."""


def adopted(contract: PlatformContract, grant: ApplicationGrant) -> bool:
    """Migrated from a single stack with its resources left where they are (the platform's
    `applications[].adopted`): its group in the contract is the platform's own."""
    return grant.resource_group.lower() == contract.resource_group.lower()


def application_tags(contract: PlatformContract, grant: ApplicationGrant) -> dict[str, str]:
    """Its resources' tags: the platform's and `application`. An adopted application keeps the
    single stack's tags, so its resources are not even updated by the migration (an updated
    identity's principal and client ids are unknown in a preview, which would preview its role
    assignments as replaced: `infra.preview.replacement.stable_on_update`)."""
    if adopted(contract, grant):
        return dict(contract.tags)
    return {**contract.tags, "application": grant.name}


def contract_foundation(
    contract: PlatformContract, grant: ApplicationGrant, ready: pulumi.Resource
) -> ContractFoundation:
    """`ready`: a resource of the application stack that stands for the platform's grants to
    its identity, so components that wait for a grant have something to wait for. They are in
    force when the application stack runs because the platform's run ends with a wait for them
    (`<app>-grants-propagation`, `ApplicationOnboarding` in infra/stacks/platform.py) and the
    platform deploys first (the deploy workflow's order); nothing in this stack waits for them."""
    apps = contract.container_apps
    return ContractFoundation(
        config=ConfigFacts(
            NetworkFacts(ipaddress.IPv4Address(contract.network.internal_ingress_address)),
            contract.dns.private_zone,
        ),
        placement=Placement(
            # The application's own group: its identities and Container Apps go there.
            resource_group_name=grant.resource_group,
            location=contract.location,
            tags=application_tags(contract, grant),
            subscription_id=contract.subscription_id,
            protect_stateful=contract.environment == Environment.PROD.value,
        ),
        aks=AksFacts(contract.cluster.oidc_issuer_url),
        key_vault=VaultFacts(contract.key_vault.id),
        network=PrivateNetworkFacts(contract.dns.private_zone, contract.resource_group),
        container_apps=ContainerAppsFacts(
            environment_id=apps.environment_id,
            environment_name=apps.environment_name,
            certificate_identity_id=apps.certificate_identity_id,
            certificates_ready=ready,
            default_domain=apps.default_domain,
            static_ip=apps.static_ip,
            domain_verification_id=apps.domain_verification_id,
            environment_group=contract.resource_group,
        ),
        registry=RegistryFacts(contract.registry.pull_identity_id, ready),
    )


def contract_facts(
    contract: PlatformContract, probe_handlers: tuple[str, ...] | None
) -> PlatformFacts:
    """The renderers' facts from the contract (what `infra.program.platform_facts` reads from the
    foundation in a single stack)."""
    internal = next((g for g in contract.gateways if g.kind == ENVOY_KIND), None)
    public = next((g for g in contract.gateways if g.kind == AGC_KIND), None)
    net = contract.network
    return PlatformFacts(
        environment=Environment(contract.environment),
        zonal=contract.zonal,
        registry_server=contract.registry.login_server,
        container_apps_domain=contract.container_apps.default_domain,
        container_apps_internal=contract.container_apps.internal,
        container_apps_subnet_cidr=net.container_apps_subnet_cidr,
        aks_nodes_subnet_cidr=net.aks_nodes_subnet_cidr,
        aks_egress_ip=net.aks_egress_ip,
        private_zone=contract.dns.private_zone,
        tenant_id=contract.tenant_id,
        key_vault_name=contract.key_vault.name,
        key_vault_id=contract.key_vault.id,
        subscription_id=contract.subscription_id,
        # Public AKS routes attach to the application's own AGC Gateway, which the platform
        # stack creates (infra/stacks/ingress.py); its NetworkPolicy admits AGC's subnet.
        gateway=GatewayFacts(public.id, net.gateway_subnet_cidr) if public is not None else None,
        internal_gateway=InternalGatewayFacts(net.internal_ingress_address)
        if internal is not None
        else None,
        probe_handlers=probe_handlers,
    )
