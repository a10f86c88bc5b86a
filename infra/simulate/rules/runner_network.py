"""Rules of the deploy runner's network: what it resolves privately, it must be linked to.

A private DNS zone answers only the VNets linked to it, and a VNet reaches another only through
a peering made on both sides. The deploy runner cannot sit in the platform VNet on a first deploy
(the stack creates it), so it resolves the private API server, and the vault and registry behind
their private endpoints, only from its own VNet, peered and linked (infra/foundation/
runner_network.py). Source: upstream/azure-aks-docs/ (vendored "Establish network connectivity
to a private AKS cluster", "Connect using virtual network (VNet) peering", and "Create a private
AKS cluster": the default zone "is linked only to the VNet that the cluster nodes are attached
to").
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass

from infra.plan.kinds import VIRTUAL_NETWORK, VIRTUAL_NETWORK_LINK, VIRTUAL_NETWORK_PEERING
from infra.plan.paths import value_at
from infra.simulate.azure import last_segment
from infra.simulate.plan import PlannedResource
from infra.simulate.references import cluster_of
from infra.simulate.registry import Refusal, StepContext, rule
from infra.simulate.rules.cluster import MANAGED_CLUSTER

API_SERVER_ZONE_SUFFIX = ".azmk8s.io"
"""AKS's private API server zones: `<guid>.privatelink.<region>.azmk8s.io`."""
PRIVATE_ENDPOINT_ZONES = {
    "registry": "privatelink.azurecr.io",
    "vault": "privatelink.vaultcore.azure.net",
}


def _vnet_name(resource: PlannedResource) -> str:
    return str(resource.inputs.get("virtualNetworkName") or resource.name).lower()


def runner_vnets(resources: Iterable[PlannedResource], zone_matches: str) -> set[str]:
    """Names of the VNets outside the stack that resolve a zone (linked to it) and reach the
    stack's VNets (peered from both sides): where a deploy runner can sit."""
    resources = list(resources)
    own = {_vnet_name(r) for r in resources if r.type == VIRTUAL_NETWORK}
    linked = {
        last_segment(str(value_at(r.inputs, "virtualNetwork.id") or "")).lower()
        for r in resources
        if r.type == VIRTUAL_NETWORK_LINK
        and zone_matches in str(r.inputs.get("privateZoneName") or "")
    }
    to_runner = {
        last_segment(str(value_at(r.inputs, "remoteVirtualNetwork.id") or "")).lower()
        for r in resources
        if r.type == VIRTUAL_NETWORK_PEERING
        and str(r.inputs.get("virtualNetworkName") or "").lower() in own
    }
    from_runner = {
        str(r.inputs.get("virtualNetworkName") or "").lower()
        for r in resources
        if r.type == VIRTUAL_NETWORK_PEERING
        and last_segment(str(value_at(r.inputs, "remoteVirtualNetwork.id") or "")).lower() in own
    }
    return (linked - own) & to_runner & from_runner


def _private_cluster(ctx: StepContext, name: str) -> bool:
    for resource in [*ctx.plan.of_type(MANAGED_CLUSTER), *ctx.world.resources.values()]:
        if resource.type == MANAGED_CLUSTER and (
            str(resource.inputs.get("resourceName") or resource.name).lower() == name
        ):
            return value_at(resource.inputs, "apiServerAccessProfile.enablePrivateCluster") is True
    return False


@rule(
    "private-api-server-unreachable",
    refuses="a Kubernetes object sent to a private cluster before the deploy runner's VNet is "
    "peered with the cluster's VNet and linked to the API server's private DNS zone (the name "
    "does not resolve, or resolves to an address the runner cannot reach)",
    source="upstream/azure-aks-docs/ (MicrosoftDocs/azure-aks-docs private-cluster-connect.md "
    "'Connect using virtual network (VNet) peering'; private-clusters.md: the default zone is "
    "linked only to the cluster's VNet)",
)
def api_server_reachable(ctx: StepContext) -> Iterator[Refusal]:
    """A private API server has no public address; its name resolves in its own zone (made by
    AKS in the node resource group) and only from linked VNets. The runner's VNet must be linked
    and peered both ways before any object is sent."""
    cluster = cluster_of(ctx)
    if cluster is None or not _private_cluster(ctx, cluster.name):
        return
    present = ctx.existing(VIRTUAL_NETWORK, VIRTUAL_NETWORK_PEERING, VIRTUAL_NETWORK_LINK)
    if not runner_vnets(present, API_SERVER_ZONE_SUFFIX):
        yield ctx.refuse(
            "private-api-server-unreachable",
            f"{cluster.name} is a private cluster and no VNet outside the stack is both peered "
            "with its VNet and linked to its API server's private DNS zone when this object is "
            "sent: the deploy runner cannot reach the API server.",
            "declare the runner's own VNet (platform:deployRunner.vnet): the foundation peers it "
            "both ways and links the API server zone to it, and the Kubernetes provider waits "
            "for both.",
        )


@dataclass(frozen=True)
class RunnerContext:
    """The bootstrap as the runner does it: which closed targets it pushes to or seeds, and
    what exists after the foundation."""

    closed: tuple[tuple[str, str], ...]
    """(kind, name) of each registry/vault the bootstrap uses that has public access off."""
    resources: tuple[PlannedResource, ...]


@rule(
    "runner-private-endpoint-unresolvable",
    refuses="pushing images into a registry, or seeding a vault, whose public access is off, "
    "from a runner whose VNet is not peered with the platform VNet and linked to the "
    "target's privatelink zone (the name resolves to the closed public endpoint: 403)",
    source="upstream/azure-aks-docs/ (VNet peering needs the private DNS zone link); Azure "
    "Private Link docs 'Azure Private Endpoint DNS configuration' (privatelink.azurecr.io, "
    "privatelink.vaultcore.azure.net)",
    phase="bootstrap-network",
)
def private_endpoint_resolvable(ctx: RunnerContext) -> Iterator[Refusal]:
    """A closed registry or vault answers only through its private endpoint; the runner finds
    that endpoint only through the privatelink zone, linked to its VNet."""
    for kind, name in ctx.closed:
        zone = PRIVATE_ENDPOINT_ZONES[kind]
        if not runner_vnets(ctx.resources, zone):
            yield Refusal(
                "runner-private-endpoint-unresolvable",
                "",
                f"{kind} {name}",
                f"public network access is off and no VNet outside the stack is peered with "
                f"the platform VNet and linked to {zone}: the runner cannot push or seed.",
                "declare the runner's own VNet (platform:deployRunner.vnet): the foundation "
                f"peers it and links {zone} to it.",
            )
