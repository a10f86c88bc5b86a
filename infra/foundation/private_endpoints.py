"""Private endpoints: the platform reaches Key Vault and the registry inside the VNet."""

from __future__ import annotations

from dataclasses import dataclass

import pulumi
from pulumi_azure_native import network, privatedns

from infra.foundation.common import Placement


@dataclass(frozen=True)
class PrivateLinkTarget:
    """One PaaS resource reached privately: its sub-resource ("group") and privatelink zone."""

    name: str
    resource_id: pulumi.Input[str]
    group_id: str
    zone: str


def key_vault_target(vault_id: pulumi.Input[str]) -> PrivateLinkTarget:
    return PrivateLinkTarget("keyvault", vault_id, "vault", "privatelink.vaultcore.azure.net")


def registry_target(registry_id: pulumi.Input[str]) -> PrivateLinkTarget:
    return PrivateLinkTarget("registry", registry_id, "registry", "privatelink.azurecr.io")


@dataclass(frozen=True)
class PrivateEndpointsArgs:
    placement: Placement
    subnet_id: pulumi.Input[str]
    vnet_id: pulumi.Input[str]
    targets: tuple[PrivateLinkTarget, ...]


class PrivateEndpoints(pulumi.ComponentResource):
    """An endpoint per target in the private-endpoints subnet, and the privatelink DNS zone that
    makes the target's usual name resolve to it from the VNet, where nodes pull images and read
    secrets and Container Apps do the same. The targets' own names and URLs do not change;
    their public access is left as configured (CI still pushes images from outside)."""

    def __init__(
        self, name: str, args: PrivateEndpointsArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__("platform:foundation:PrivateEndpoints", name, None, opts)
        placement = args.placement
        child = pulumi.ResourceOptions(parent=self)
        self.zones: tuple[tuple[str, privatedns.PrivateZone], ...] = ()
        """(target name, its privatelink zone): what the deploy runner's VNet is linked to."""
        for target in args.targets:
            prefix = f"{name}-{target.name}"
            zone = placement.private_zone(f"{prefix}-zone", target.zone, args.vnet_id, self)
            self.zones += ((target.name, zone),)
            endpoint = network.PrivateEndpoint(
                prefix,
                resource_group_name=placement.resource_group_name,
                location=placement.location,
                subnet=network.SubnetArgs(id=args.subnet_id),
                private_link_service_connections=[
                    network.PrivateLinkServiceConnectionArgs(
                        name=target.name,
                        private_link_service_id=target.resource_id,
                        group_ids=[target.group_id],
                    )
                ],
                tags=placement.tags,
                opts=child,
            )
            # Azure keeps the zone's A records in step with the endpoint's addresses.
            network.PrivateDnsZoneGroup(
                f"{prefix}-dns",
                resource_group_name=placement.resource_group_name,
                private_endpoint_name=endpoint.name,
                private_dns_zone_group_name="default",
                private_dns_zone_configs=[
                    network.PrivateDnsZoneConfigArgs(
                        name=target.group_id, private_dns_zone_id=zone.id
                    )
                ],
                opts=child,
            )
        self.register_outputs({})
