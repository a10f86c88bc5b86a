"""The foundation as an application stack sees it: built from the platform contract, not from
resources. Satisfies `infra.services.foundation_view.FoundationView`, so `deploy_services`
deploys an application the same way in a `single` stack and in its own stack."""

from __future__ import annotations

import ipaddress
import re
from dataclasses import dataclass, field
from typing import Any

import pulumi

from infra.config import Environment
from infra.constants import IDENTITY_TYPE
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
    placement: ApplicationPlacement
    aks: AksFacts
    key_vault: VaultFacts
    network: PrivateNetworkFacts
    container_apps: ContainerAppsFacts
    registry: RegistryFacts
    gateway: GatewayForContainers | None = None
    """Always None: the shared gateways are the platform stack's."""


AUTONAME_SUFFIX = re.compile(r"[0-9a-f]{8}")
"""What pulumi-azure-native appends to an autonamed resource's logical name: 8 random hex
characters, no separator (`getDefaultName`, `AutoNameRandom`; upstream/pulumi-azure-native/).
An identity is autonamed; a Container App is named explicitly (`containerAppName`)."""


def is_adopted(azure_type: str, name: str, adopted: str) -> bool:
    """The adopted resource id `adopted` is the resource `name` (its logical name) of
    `azure_type`: same type, and its Azure name is that name (a Container App's, an offline
    plan's identity's) or, for an autonamed identity, that name and the autoname suffix. Azure
    ids are case-insensitive."""
    parts = adopted.strip("/").split("/")
    if len(parts) != 8 or "/".join(parts[5:7]).lower() != azure_type.lower():
        return False
    found, logical = parts[7].lower(), name.lower()
    if found == logical:
        return True
    rest = found.removeprefix(logical)
    return (
        azure_type == IDENTITY_TYPE
        and rest != found
        and AUTONAME_SUFFIX.fullmatch(rest) is not None
    )


@dataclass(frozen=True)
class ApplicationPlacement(Placement):
    """An application stack's placement: its own group, except for the resources it adopted
    (contract 1.3.0 `applications[].adopted`), which stay where the single stack created them,
    in the platform's group with the single stack's tags: same ids, nothing replaced, not even
    updated (an updated identity's principal and client ids are unknown in a preview, which
    would preview its role assignments as replaced: `infra.preview.replacement`)."""

    adopted: tuple[str, ...] = ()
    adopted_placement: Placement | None = None
    _claimed: set[str] = field(default_factory=set, compare=False, repr=False)

    def home(self, azure_type: str, name: str) -> Placement:
        found = [a for a in self.adopted if is_adopted(azure_type, name, a)]
        if self.adopted_placement is None or not found:
            return self
        self._claimed.update(found)
        return self.adopted_placement

    def unclaimed(self) -> list[str]:
        """The adopted ids none of the resources placed so far is: a removed service's (its
        stack deletes it, the adopted role allows it), or one named otherwise than its logical
        name and the autoname suffix (its stack would create it again in its own group)."""
        return sorted(set(self.adopted) - self._claimed) if self.adopted_placement else []


def application_tags(
    contract: PlatformContract, grant: ApplicationGrant, group: str
) -> dict[str, str]:
    """The tags of its resources in `group`: the platform's and `application`; in the platform's
    group (what it adopted) the single stack's, so the migration does not even update them."""
    if group.lower() == contract.resource_group.lower():
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
    # Its own group takes its identities and Container Apps; one migrated with `adopted` keeps
    # those in the platform's group (`resourceGroup`), and, reading a contract older than 1.3.0
    # (no `ownResourceGroup`), everything stays there, as that version meant.
    group = grant.own_resource_group or grant.resource_group

    def where(group: str) -> dict[str, Any]:
        return {
            "resource_group_name": group,
            "location": contract.location,
            "tags": application_tags(contract, grant, group),
            "subscription_id": contract.subscription_id,
            "protect_stateful": contract.environment == Environment.PROD.value,
        }

    placement = ApplicationPlacement(
        **where(group),
        adopted=grant.adopted,
        adopted_placement=Placement(**where(grant.resource_group))
        if grant.adopted and grant.own_resource_group
        else None,
    )
    return ContractFoundation(
        config=ConfigFacts(
            NetworkFacts(ipaddress.IPv4Address(contract.network.internal_ingress_address)),
            contract.dns.private_zone,
        ),
        placement=placement,
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
