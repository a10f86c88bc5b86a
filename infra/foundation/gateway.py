"""Application Gateway for Containers (AGC), "bring your own" deployment: the Azure resources
the ALB controller programs the Gateway API routes onto.

learn.microsoft.com/azure/application-gateway/for-containers/
quickstart-create-application-gateway-for-containers-byo-deployment: a TrafficController, an
Association with a subnet delegated to `Microsoft.ServiceNetworking/trafficControllers` (/24 or
larger), and a Frontend per Gateway (created with the services, one per application). The ALB
controller runs with workload identity ("Quickstart: Deploy Application Gateway for Containers
ALB Controller"): its identity holds "AppGw for Containers Configuration Manager" on the
TrafficController's resource group and Network Contributor on the association subnet (to join
it), and Reader on the cluster's node resource group, which the Helm quickstart assigns first
("Quickstart: Deploy Application Gateway for Containers ALB Controller - Helm", MicrosoftDocs/
azure-docs articles/application-gateway/for-containers/
quickstart-deploy-application-gateway-for-containers-alb-controller-helm.md, commit 03e5750,
ms.date 2026-02-07: "Apply Reader role to the AKS managed cluster resource group for the newly
provisioned identity", role acdd72a7-3385-48ef-bd42-f606fba81ae7 on `nodeResourceGroup`).
"""

from __future__ import annotations

from dataclasses import dataclass

import pulumi
from pulumi_azure_native import managedidentity, network, servicenetworking

from infra.constants import (
    AGC_CONFIGURATION_MANAGER_ROLE,
    ALB_NAMESPACE,
    NETWORK_CONTRIBUTOR_ROLE,
    READER_ROLE,
)
from infra.foundation.common import Placement

ALB_SERVICE_ACCOUNT = "alb-controller-sa"
"""The ALB controller chart's service account; the federated credential names it."""
WORKLOAD_IDENTITY_AUDIENCE = "api://AzureADTokenExchange"
AGC_DELEGATION = "Microsoft.ServiceNetworking/trafficControllers"


@dataclass(frozen=True)
class GatewayForContainersArgs:
    placement: Placement
    name: str
    """The TrafficController's name, e.g. agc-shop-dev."""
    vnet_name: pulumi.Input[str]
    subnet_cidr: str
    oidc_issuer_url: pulumi.Input[str]
    node_resource_group: pulumi.Input[str]
    """The AKS cluster's node resource group, where the controller's identity gets Reader."""
    after: pulumi.Resource
    """Azure serialises writes to one VNet's subnets: the subnet waits for the network."""


class GatewayForContainers(pulumi.ComponentResource):
    """The TrafficController, its subnet and association, and the ALB controller's identity
    with exactly the three roles Microsoft's quickstarts give it."""

    traffic_controller_id: pulumi.Output[str]
    traffic_controller_name: pulumi.Output[str]
    controller_client_id: pulumi.Output[str]
    ready: list[pulumi.Resource]
    """What the ALB controller needs before it can program a Frontend: the association, its
    federated credential and the three role assignments."""

    def __init__(
        self, name: str, args: GatewayForContainersArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__("platform:foundation:GatewayForContainers", name, None, opts)
        placement = args.placement
        child = pulumi.ResourceOptions(parent=self)
        # The default rules only: AGC's proxies in this subnet reach pods inside the VNet;
        # clients arrive at the Frontend, which Azure runs outside the subnet.
        nsg = network.NetworkSecurityGroup(
            f"{name}-nsg",
            resource_group_name=placement.resource_group_name,
            location=placement.location,
            tags=placement.tags,
            opts=child,
        )
        # AGC's proxies reach pods from this subnet; nothing else lives in it.
        subnet = network.Subnet(
            f"{name}-subnet",
            resource_group_name=placement.resource_group_name,
            virtual_network_name=args.vnet_name,
            address_prefix=args.subnet_cidr,
            delegations=[network.DelegationArgs(name="agc", service_name=AGC_DELEGATION)],
            default_outbound_access=False,
            network_security_group=network.NetworkSecurityGroupArgs(id=nsg.id),
            opts=pulumi.ResourceOptions(parent=self, depends_on=[args.after]),
        )
        controller = servicenetworking.TrafficControllerInterface(
            f"{name}-controller",
            servicenetworking.TrafficControllerInterfaceArgs(
                resource_group_name=placement.resource_group_name,
                traffic_controller_name=args.name,
                location=placement.location,
                tags=placement.tags,
            ),
            opts=child,
        )
        association = servicenetworking.AssociationsInterface(
            f"{name}-association",
            servicenetworking.AssociationsInterfaceArgs(
                resource_group_name=placement.resource_group_name,
                traffic_controller_name=controller.name,
                association_name="default",
                association_type=servicenetworking.AssociationType.SUBNETS,
                subnet=servicenetworking.AssociationSubnetArgs(id=subnet.id),
                location=placement.location,
                tags=placement.tags,
            ),
            opts=child,
        )
        identity = placement.identity(f"{name}-alb-identity", self)
        federation = managedidentity.FederatedIdentityCredential(
            f"{name}-alb-federation",
            resource_group_name=placement.resource_group_name,
            resource_name_=identity.name,
            issuer=args.oidc_issuer_url,
            subject=f"system:serviceaccount:{ALB_NAMESPACE}:{ALB_SERVICE_ACCOUNT}",
            audiences=[WORKLOAD_IDENTITY_AUDIENCE],
            opts=child,
        )
        # Scope: the resource group holding the TrafficController, as the bring-your-own
        # quickstart delegates it ("Delegate AppGw for Containers Configuration Manager role to
        # RG containing Application Gateway for Containers resource"). The role's actions are
        # ServiceNetworking ones only, and this group holds one TrafficController, so the
        # group scope grants no more than the resource scope would, without betting that the
        # controller reads nothing at the group level.
        manager = placement.grant(
            f"{name}-alb-config-manager",
            role_guid=AGC_CONFIGURATION_MANAGER_ROLE,
            principal_id=identity.principal_id,
            scope=placement.group_scope(placement.resource_group_name),
            description="ALB controller programs frontends and routes on the platform's AGC",
            parent=self,
        )
        joiner = placement.grant(
            f"{name}-alb-subnet-join",
            role_guid=NETWORK_CONTRIBUTOR_ROLE,
            principal_id=identity.principal_id,
            scope=subnet.id,
            description="ALB controller joins AGC's association subnet",
            parent=self,
        )
        # What the Helm quickstart grants before anything else: Reader on the node resource
        # group (the MC_ group AKS creates), where the cluster's nodes and network live.
        node_reader = placement.grant(
            f"{name}-alb-node-reader",
            role_guid=READER_ROLE,
            principal_id=identity.principal_id,
            scope=placement.group_scope(args.node_resource_group),
            description="ALB controller reads the AKS node resource group (Helm quickstart)",
            parent=self,
        )
        self.traffic_controller_id = controller.id
        self.traffic_controller_name = controller.name
        self.controller_client_id = identity.client_id
        self.ready = [association, federation, manager, joiner, node_reader]
        self.register_outputs(
            {"trafficControllerId": controller.id, "albClientId": identity.client_id}
        )
