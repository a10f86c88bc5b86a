"""The AKS cluster, after Azure's AKS baseline reference architecture.

Each setting below that matters for security or availability is explicit, with its reason, and
asserted by tests/test_foundation.py.
"""

from __future__ import annotations

from dataclasses import dataclass

import pulumi
import pulumi_kubernetes as k8s
from pulumi_azure_native import authorization, containerservice, managedidentity, network

from infra.constants import (
    ACR_PULL_ROLE,
    AKS_RBAC_CLUSTER_ADMIN_ROLE,
    KEY_VAULT_CERTIFICATE_USER_ROLE,
    KEY_VAULT_SECRETS_USER_ROLE,
    NETWORK_CONTRIBUTOR_ROLE,
)
from infra.foundation import aks_profiles as profiles
from infra.foundation.aks_profiles import AksClusterArgs, app_routing_enabled
from infra.foundation.kubeconfig import with_login_mode
from infra.foundation.propagation import CLUSTER_RBAC_PROPAGATION, propagation_wait
from infra.foundation.runner_network import RUNNER_LINK_SUFFIX, api_server_zone, runner_link

AKS_CLUSTER_COMPONENT = "platform:foundation:AksCluster"
AKS_CLUSTER_NAME = "aks"
"""The logical name the foundation gives its cluster component."""


def kubernetes_provider_name(cluster: str) -> str:
    """The logical name of the Kubernetes provider of the cluster component `cluster`."""
    return f"{cluster}-k8s"


class AksCluster(pulumi.ComponentResource):
    """An AKS cluster with Entra ID, workload identity, Cilium network policy and the add-ons the
    service components rely on (KEDA, Key Vault CSI; app routing only with `aks.ingress:
    nginx|both`), and a Kubernetes provider.

    `__init__` reads as the order of creation; each step is one builder below."""

    cluster_name: pulumi.Output[str]
    cluster_id: pulumi.Output[str]
    oidc_issuer_url: pulumi.Output[str]
    kubelet_object_id: pulumi.Output[str]
    node_resource_group: pulumi.Output[str]
    """The group AKS creates for the nodes, load balancers and disks (its default name
    `MC_<group>_<cluster>_<location>`, AKS FAQ "Why are two resource groups created with AKS?")."""
    kubeconfig: pulumi.Output[str]
    egress_ip: pulumi.Output[str]
    provider: k8s.Provider

    def __init__(
        self, name: str, args: AksClusterArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__(AKS_CLUSTER_COMPONENT, name, None, opts)
        access = self._control_plane_access(name, args)
        cluster = self._managed_cluster(name, args, access)
        self._maintenance_configurations(name, args, cluster)
        kubelet_object_id = cluster.identity_profile.apply(
            lambda profile: (profile or {})["kubeletidentity"].object_id or ""
        )
        kubelet_pull = args.placement.grant(
            f"{name}-kubelet-acrpull",
            role_guid=ACR_PULL_ROLE,
            principal_id=kubelet_object_id,
            scope=args.registry_id,
            description="AKS nodes pull images from the platform registry",
            parent=self,
        )
        if app_routing_enabled(args.config):
            self._app_routing_grants(name, args, cluster)
        api_ready = self._api_access_grants(name, args, cluster, kubelet_pull)
        runner_ready = [*args.runner_ready, *self._runner_api_link(name, args, cluster)]
        kubeconfig = self._kubeconfig(args, cluster)
        self.provider = k8s.Provider(
            kubernetes_provider_name(name),
            kubeconfig=kubeconfig,
            # Rotated credentials change the kubeconfig; the cluster id does not, so the provider
            # (and everything deployed through it) is not replaced.
            cluster_identifier=cluster.id,
            enable_server_side_apply=True,
            # Every object deployed through this provider waits for the grants above, and for
            # the deploy runner's way to a private API server (peering, DNS link).
            opts=pulumi.ResourceOptions(parent=self, depends_on=[api_ready, *runner_ready]),
        )

        self.cluster_name = cluster.name
        self.cluster_id = cluster.id
        # What kubectl talks to: the private FQDN of a private cluster, else the public one.
        self.api_server = (
            cluster.private_fqdn if args.config.api_server.private_cluster else cluster.fqdn
        ).apply(lambda fqdn: fqdn or "")
        self.oidc_issuer_url = cluster.oidc_issuer_profile.apply(
            lambda profile: (profile.issuer_url if profile else None) or ""
        )
        self.kubelet_object_id = kubelet_object_id
        self.node_resource_group = cluster.node_resource_group.apply(lambda group: group or "")
        self.kubeconfig = kubeconfig
        self.egress_ip = access.egress_ip.ip_address.apply(lambda ip: ip or "")
        self.register_outputs(
            {
                "clusterName": self.cluster_name,
                "clusterId": self.cluster_id,
                "oidcIssuerUrl": self.oidc_issuer_url,
                "egressIp": self.egress_ip,
            }
        )

    def _control_plane_access(self, name: str, args: AksClusterArgs) -> _ControlPlaneAccess:
        """The control plane's identity, the fixed egress address, and the network rights the
        control plane needs before the cluster is created."""
        placement = args.placement
        # A user-assigned control-plane identity can be granted rights on the subnet before the
        # cluster exists (a system-assigned one only exists after, too late for a BYO subnet).
        control_plane = placement.identity(f"{name}-control-plane", self)
        subnet_join = placement.grant(
            f"{name}-control-plane-network",
            role_guid=NETWORK_CONTRIBUTOR_ROLE,
            principal_id=control_plane.principal_id,
            scope=args.nodes_subnet_id,
            description="AKS control plane manages load balancers and IPs in its node subnet",
            parent=self,
        )
        # A fixed egress address: what Container Apps (and partners) allow-list for AKS callers.
        egress_ip = network.PublicIPAddress(
            f"{name}-egress",
            resource_group_name=placement.resource_group_name,
            location=placement.location,
            sku=network.PublicIPAddressSkuArgs(
                name=network.PublicIPAddressSkuName.STANDARD,
                tier=network.PublicIPAddressSkuTier.REGIONAL,
            ),
            public_ip_allocation_method=network.IPAllocationMethod.STATIC,
            public_ip_address_version=network.IPVersion.I_PV4,
            zones=list(args.config.zones) or None,
            tags=placement.tags,
            opts=pulumi.ResourceOptions(parent=self),
        )
        # The control plane attaches the egress address to the cluster's load balancer.
        egress_join = placement.grant(
            f"{name}-control-plane-egress-ip",
            role_guid=NETWORK_CONTRIBUTOR_ROLE,
            principal_id=control_plane.principal_id,
            scope=egress_ip.id,
            description="AKS control plane attaches its egress address",
            parent=self,
        )
        return _ControlPlaneAccess(control_plane, egress_ip, (subnet_join, egress_join))

    def _managed_cluster(
        self, name: str, args: AksClusterArgs, access: _ControlPlaneAccess
    ) -> containerservice.ManagedCluster:
        """The cluster itself; each area's arguments (and their reasons) are in aks_profiles."""
        placement = args.placement
        config = args.config
        return containerservice.ManagedCluster(
            f"{name}-cluster",
            resource_name_=args.cluster_name,
            resource_group_name=placement.resource_group_name,
            location=placement.location,
            dns_prefix=args.cluster_name,
            kubernetes_version=config.kubernetes_version,
            support_plan=profiles.support_plan(config),
            sku=containerservice.ManagedClusterSKUArgs(
                name=containerservice.ManagedClusterSKUName.BASE, tier=config.tier
            ),
            identity=containerservice.ManagedClusterIdentityArgs(
                type=containerservice.ResourceIdentityType.USER_ASSIGNED,
                user_assigned_identities=[access.identity.id],
            ),
            agent_pool_profiles=profiles.agent_pools(args),
            network_profile=profiles.network_profile(args, access.egress_ip.id),
            aad_profile=profiles.aad_profile(args),
            enable_rbac=True,
            disable_local_accounts=True,
            api_server_access_profile=profiles.api_server_access(config),
            oidc_issuer_profile=containerservice.ManagedClusterOIDCIssuerProfileArgs(enabled=True),
            security_profile=profiles.security_profile(args),
            auto_upgrade_profile=profiles.auto_upgrade_profile(config),
            ingress_profile=profiles.ingress_profile(config),
            workload_auto_scaler_profile=profiles.keda_profile(),
            azure_monitor_profile=profiles.azure_monitor_profile(),
            addon_profiles=profiles.addon_profiles(args),
            tags=placement.tags,
            opts=pulumi.ResourceOptions(
                parent=self,
                depends_on=list(access.grants),
                protect=placement.protect_stateful,
                ignore_changes=profiles.ignored_drift(config),
            ),
        )

    def _maintenance_configurations(
        self, name: str, args: AksClusterArgs, cluster: containerservice.ManagedCluster
    ) -> None:
        """Automatic cluster and node-image upgrades only inside the configured weekly window."""
        for config_name, weeks in (
            ("aksManagedAutoUpgradeSchedule", 1),
            ("aksManagedNodeOSUpgradeSchedule", 1),
        ):
            containerservice.MaintenanceConfiguration(
                f"{name}-{config_name}",
                config_name=config_name,
                resource_group_name=args.placement.resource_group_name,
                resource_name_=cluster.name,
                maintenance_window=profiles.maintenance_window(
                    args.config.maintenance_window, weeks
                ),
                opts=pulumi.ResourceOptions(parent=self),
            )

    def _app_routing_grants(
        self, name: str, args: AksClusterArgs, cluster: containerservice.ManagedCluster
    ) -> None:
        """The app routing add-on serves TLS certificates it reads from the platform vault (only
        with `aks.ingress: nginx|both`; with `gateway` the add-on is off)."""
        app_routing_object_id = cluster.ingress_profile.apply(
            lambda profile: (
                (
                    profile.web_app_routing.identity.object_id
                    if profile and profile.web_app_routing and profile.web_app_routing.identity
                    else None
                )
                or ""
            )
        )
        for suffix, role in (
            ("certificates", KEY_VAULT_CERTIFICATE_USER_ROLE),
            ("secrets", KEY_VAULT_SECRETS_USER_ROLE),
        ):
            args.placement.grant(
                f"{name}-app-routing-keyvault-{suffix}",
                role_guid=role,
                principal_id=app_routing_object_id,
                scope=args.key_vault_id,
                description="App routing reads ingress TLS certificates",
                parent=self,
            )

    def _api_access_grants(
        self,
        name: str,
        args: AksClusterArgs,
        cluster: containerservice.ManagedCluster,
        kubelet_pull: pulumi.Resource,
    ) -> pulumi.Resource:
        """Cluster admin for the deployer and the admin groups, and the wait every Kubernetes
        object starts after.

        Local accounts are off and Azure RBAC authorizes the Kubernetes API: subscription Owner or
        Contributor give no data-plane right, so whoever deploys (and the admin groups) must be
        granted one, and every Kubernetes object waits until it has propagated. The kubelet's
        AcrPull is waited for too, so the first pods find it in force.
        """
        admins = [
            args.placement.grant(
                f"{name}-{admin.label}-cluster-admin",
                role_guid=AKS_RBAC_CLUSTER_ADMIN_ROLE,
                principal_id=admin.object_id,
                scope=cluster.id,
                description="Creates the Kubernetes objects (deployer) or administers the cluster",
                parent=self,
                principal_type=admin.principal_type,
            )
            for admin in args.administrators
        ]
        return propagation_wait(
            f"{name}-rbac-propagation",
            duration=CLUSTER_RBAC_PROPAGATION,
            grants=[*admins, kubelet_pull],
            triggers={admin.label: admin.object_id for admin in args.administrators},
            parent=self,
        )

    def _runner_api_link(
        self, name: str, args: AksClusterArgs, cluster: containerservice.ManagedCluster
    ) -> list[pulumi.Resource]:
        """A private API server resolves only in VNets linked to the zone AKS made for it (in
        the node resource group, `privateDNSZone: system`), so the deploy runner's VNet gets a
        link (upstream/azure-aks-docs/private-cluster-connect.md, VNet peering)."""
        if not args.config.api_server.private_cluster or args.runner_vnet is None:
            return []
        return [
            runner_link(
                f"{name}-api-server{RUNNER_LINK_SUFFIX}",
                zone_name=cluster.private_fqdn.apply(api_server_zone),
                resource_group_name=cluster.node_resource_group.apply(lambda group: group or ""),
                runner=args.runner_vnet,
                placement=args.placement,
                parent=self,
            )
        ]

    def _kubeconfig(
        self, args: AksClusterArgs, cluster: containerservice.ManagedCluster
    ) -> pulumi.Output[str]:
        """The user (Entra ID) kubeconfig, rewritten for the configured kubelogin mode; secret."""
        credentials = containerservice.list_managed_cluster_user_credentials_output(
            resource_group_name=args.placement.resource_group_name,
            resource_name=cluster.name,
            opts=pulumi.InvokeOutputOptions(parent=self),
        )
        login_mode = args.config.kubelogin_mode
        return pulumi.Output.secret(
            credentials.kubeconfigs.apply(
                lambda configs: with_login_mode(configs[0].value, login_mode)
            )
        )


@dataclass(frozen=True)
class _ControlPlaneAccess:
    identity: managedidentity.UserAssignedIdentity
    egress_ip: network.PublicIPAddress
    grants: tuple[authorization.RoleAssignment, ...]
    """Network rights the cluster's creation waits for (node subnet, egress address)."""
