"""The VNet and its subnets: one for AKS nodes, one delegated to Container Apps, each behind a
network security group."""

from __future__ import annotations

from dataclasses import dataclass

import pulumi
from pulumi_azure_native import network

from infra.config import NetworkConfig
from infra.foundation.common import Placement


@dataclass(frozen=True)
class PlatformNetworkArgs:
    placement: Placement
    config: NetworkConfig
    private_dns_zone: str
    container_apps_internal: bool
    """An internal Container Apps environment takes no traffic from the internet."""
    public_node_ingress: bool
    """A public load balancer fronts the nodes: app routing's NGINX (`aks.ingress: nginx` or
    `both`). With `gateway`, public traffic reaches pods through Application Gateway for
    Containers' subnet (inside the VNet), and the internal Envoy Gateway's load balancer is
    internal: nothing from the internet is addressed to the nodes."""


def _web_from_internet() -> network.SecurityRuleArgs:
    """HTTP and HTTPS from the internet to a public load balancer's backends. A subnet NSG is
    evaluated for load-balanced traffic too, and its default rules deny internet inbound (AKS
    only opens its own NSG, not one on a subnet it was given)."""
    return network.SecurityRuleArgs(
        name="allow-http-https-from-internet",
        priority=100,
        direction=network.SecurityRuleDirection.INBOUND,
        access=network.SecurityRuleAccess.ALLOW,
        protocol=network.SecurityRuleProtocol.TCP,
        source_address_prefix="Internet",
        source_port_range="*",
        destination_address_prefix="*",
        destination_port_ranges=["80", "443"],
        description="Public ingress (load balancer); everything else inbound keeps the defaults",
    )


def _overlay_flows(nodes: str, pods: str) -> list[network.SecurityRuleArgs]:
    """Azure CNI Overlay does not encapsulate pod traffic, so the node subnet's NSG sees pod
    addresses, which are outside the VNet (and its `VirtualNetwork` tag). AKS requires these
    flows on all ports (Azure CNI Overlay docs, "Network security groups"); they are allowed
    both ways because the NSG is evaluated on leaving and on entering the same subnet.
    Workload-to-workload isolation is the NetworkPolicies' job."""
    flows = (
        ("nodes-to-nodes", nodes, nodes),
        ("nodes-to-pods", nodes, pods),
        ("pods-to-pods", pods, pods),
    )
    return [
        network.SecurityRuleArgs(
            name=f"allow-{flow}-{direction.value.lower()}",
            priority=110 + 10 * index,
            direction=direction,
            access=network.SecurityRuleAccess.ALLOW,
            protocol=network.SecurityRuleProtocol.ASTERISK,
            source_address_prefix=source,
            source_port_range="*",
            destination_address_prefix=destination,
            destination_port_range="*",
            description="Required by Azure CNI Overlay",
        )
        for direction in (
            network.SecurityRuleDirection.INBOUND,
            network.SecurityRuleDirection.OUTBOUND,
        )
        for index, (flow, source, destination) in enumerate(flows)
    ]


class PlatformNetwork(pulumi.ComponentResource):
    """Subnets are separate `network.Subnet` resources, never inline in the VNet: mixing the two
    makes every update fight the other, and separate subnets let teams add more later."""

    vnet_id: pulumi.Output[str]
    vnet_name: pulumi.Output[str]
    aks_nodes_subnet_id: pulumi.Output[str]
    container_apps_subnet_id: pulumi.Output[str]
    private_endpoints_subnet_id: pulumi.Output[str] | None
    private_zone_name: pulumi.Output[str]

    def __init__(
        self, name: str, args: PlatformNetworkArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__("platform:foundation:Network", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        placement = args.placement

        vnet = network.VirtualNetwork(
            f"{name}-vnet",
            resource_group_name=placement.resource_group_name,
            location=placement.location,
            address_space=network.AddressSpaceArgs(address_prefixes=[str(args.config.vnet_cidr)]),
            tags=placement.tags,
            opts=child,
        )

        # The default rules stay underneath: VNet-internal traffic and Azure load balancer probes
        # in, everything else from the internet out. Added on top: public web ingress where a
        # public load balancer fronts the subnet, and the node subnet's overlay flows.
        def security_group(
            subnet: str, rules: list[network.SecurityRuleArgs]
        ) -> network.NetworkSecurityGroup:
            return network.NetworkSecurityGroup(
                f"{name}-{subnet}-nsg",
                resource_group_name=placement.resource_group_name,
                location=placement.location,
                security_rules=rules,
                tags=placement.tags,
                opts=child,
            )

        # Web from the internet only where a public load balancer fronts the nodes.
        aks_nodes_nsg = security_group(
            "aks-nodes",
            [
                *([_web_from_internet()] if args.public_node_ingress else []),
                *_overlay_flows(str(args.config.aks_nodes_subnet_cidr), str(args.config.pod_cidr)),
            ],
        )
        container_apps_nsg = security_group(
            "container-apps", [] if args.container_apps_internal else [_web_from_internet()]
        )
        aks_nodes = network.Subnet(
            f"{name}-aks-nodes",
            resource_group_name=placement.resource_group_name,
            virtual_network_name=vnet.name,
            address_prefix=str(args.config.aks_nodes_subnet_cidr),
            # Nodes reach the internet through the cluster's load balancer, not implicit access.
            default_outbound_access=False,
            network_security_group=network.NetworkSecurityGroupArgs(id=aks_nodes_nsg.id),
            opts=child,
        )
        container_apps = network.Subnet(
            f"{name}-container-apps",
            resource_group_name=placement.resource_group_name,
            virtual_network_name=vnet.name,
            address_prefix=str(args.config.container_apps_subnet_cidr),
            # A workload-profiles environment requires its subnet delegated to it.
            delegations=[
                network.DelegationArgs(
                    name="container-apps", service_name="Microsoft.App/environments"
                )
            ],
            network_security_group=network.NetworkSecurityGroupArgs(id=container_apps_nsg.id),
            # Azure serialises operations on one VNet's subnets; creating both at once fails.
            opts=pulumi.ResourceOptions(parent=self, depends_on=[aks_nodes]),
        )

        self.private_endpoints_subnet_id = None
        endpoints_cidr = args.config.private_endpoints_subnet_cidr
        if endpoints_cidr is not None:
            # The defaults only: reachable from the VNet, nothing from the internet.
            endpoints_nsg = security_group("private-endpoints", [])
            endpoints = network.Subnet(
                f"{name}-private-endpoints",
                resource_group_name=placement.resource_group_name,
                virtual_network_name=vnet.name,
                address_prefix=str(endpoints_cidr),
                default_outbound_access=False,
                network_security_group=network.NetworkSecurityGroupArgs(id=endpoints_nsg.id),
                # Without this, NSG rules are not applied to private endpoints.
                private_endpoint_network_policies=(
                    network.VirtualNetworkPrivateEndpointNetworkPolicies.ENABLED
                ),
                opts=pulumi.ResourceOptions(parent=self, depends_on=[container_apps]),
            )
            self.private_endpoints_subnet_id = endpoints.id

        # Names for AKS services that Container Apps call (they cannot resolve cluster DNS).
        zone = placement.private_zone(f"{name}-private-zone", args.private_dns_zone, vnet.id, self)

        self.private_zone_name = zone.name
        self.private_zone_id = zone.id
        self.private_zone_group: pulumi.Input[str] | None = None
        """None: the zone is in the placement's group (`infra.services.foundation_view`)."""
        self.vnet_id = vnet.id
        self.vnet_name = vnet.name
        self.aks_nodes_subnet_id = aks_nodes.id
        self.container_apps_subnet_id = container_apps.id
        self.register_outputs(
            {
                "vnetId": self.vnet_id,
                "aksNodesSubnetId": self.aks_nodes_subnet_id,
                "containerAppsSubnetId": self.container_apps_subnet_id,
            }
        )
