"""The deploy runner's way in: its own VNet peered with the platform VNet, and a link from every
private DNS zone the deploy path resolves to it.

A runner cannot sit in a VNet the stack creates (the first deploy runs before it exists), and a
peered VNet resolves nothing private by itself: each private DNS zone answers only the VNets
linked to it. What the deploy resolves, and so what is linked (`RUNNER_RESOLVES`):

- `privatelink.vaultcore.azure.net`, `privatelink.azurecr.io`: the vault and registry's private
  endpoints (image push and lock, Key Vault seeding), when they exist;
- the private cluster's API server zone, which AKS creates in the node resource group with the
  default `privateDNSZone: system` and links to the cluster's VNet only: its name is the private
  FQDN without its first label.

Source: upstream/azure-aks-docs/ ("Establish network connectivity to a private AKS cluster",
"Connect using virtual network (VNet) peering": link the VM's VNet to the private DNS zone in the
node resource group, and peer both ways).
"""

from __future__ import annotations

from dataclasses import dataclass

import pulumi
from pulumi_azure_native import network, privatedns

from infra.config import RunnerVnetConfig
from infra.foundation.common import Placement

RUNNER_LINK_SUFFIX = "-runner-link"
"""Every link to the runner's VNet is named `<zone resource>-runner-link` (the simulator and
tests find them by it)."""


def api_server_zone(private_fqdn: str | None) -> str:
    """The zone AKS made for a private API server: `<name>.<guid>.privatelink.<region>.azmk8s.io`
    lives in `<guid>.privatelink.<region>.azmk8s.io`."""
    return (private_fqdn or "").split(".", 1)[-1]


@dataclass(frozen=True)
class RunnerNetworkArgs:
    placement: Placement
    runner: RunnerVnetConfig
    vnet_id: pulumi.Input[str]
    vnet_name: pulumi.Input[str]
    zones: tuple[tuple[str, privatedns.PrivateZone], ...]
    """(label, zone) for each zone this stack creates that the deploy resolves."""


class RunnerNetwork(pulumi.ComponentResource):
    """Peering both ways, and the links from the stack's own private zones."""

    def __init__(
        self, name: str, args: RunnerNetworkArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__("platform:foundation:RunnerNetwork", name, None, opts)
        placement = args.placement
        child = pulumi.ResourceOptions(parent=self)
        peerings = [
            network.VirtualNetworkPeering(
                f"{name}-to-runner",
                resource_group_name=placement.resource_group_name,
                virtual_network_name=args.vnet_name,
                remote_virtual_network=network.SubResourceArgs(id=args.runner.id),
                allow_virtual_network_access=True,
                opts=child,
            ),
            network.VirtualNetworkPeering(
                f"{name}-from-runner",
                resource_group_name=args.runner.resource_group,
                virtual_network_name=args.runner.name,
                remote_virtual_network=network.SubResourceArgs(id=args.vnet_id),
                allow_virtual_network_access=True,
                opts=child,
            ),
        ]
        links = [
            runner_link(
                f"{name}-{label}{RUNNER_LINK_SUFFIX}",
                zone_name=zone.name,
                resource_group_name=placement.resource_group_name,
                runner=args.runner,
                placement=placement,
                parent=self,
            )
            for label, zone in args.zones
        ]
        self.ready: list[pulumi.Resource] = [*peerings, *links]
        """What a step that resolves a private name from the runner waits for."""
        self.register_outputs({})


def runner_link(
    name: str,
    *,
    zone_name: pulumi.Input[str],
    resource_group_name: pulumi.Input[str],
    runner: RunnerVnetConfig,
    placement: Placement,
    parent: pulumi.Resource,
) -> privatedns.VirtualNetworkLink:
    """A link from one private DNS zone to the runner's VNet (resolution only)."""
    return privatedns.VirtualNetworkLink(
        name,
        private_zone_name=zone_name,
        resource_group_name=resource_group_name,
        location="global",
        virtual_network=privatedns.SubResourceArgs(id=runner.id),
        registration_enabled=False,
        tags=placement.tags,
        opts=pulumi.ResourceOptions(parent=parent),
    )
