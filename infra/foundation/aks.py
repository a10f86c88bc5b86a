"""The AKS cluster, after Azure's AKS baseline reference architecture.

Each setting below that matters for security or availability is explicit, with its reason, and
asserted by tests/test_foundation.py.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import pulumi
import pulumi_kubernetes as k8s
from pulumi_azure_native import containerservice, network

from infra.config import AksConfig, ClusterHardening, NodePoolConfig
from infra.constants import (
    ACR_PULL_ROLE,
    AKS_RBAC_CLUSTER_ADMIN_ROLE,
    CRITICAL_ADDONS_TAINT,
    KEY_VAULT_CERTIFICATE_USER_ROLE,
    KEY_VAULT_SECRETS_USER_ROLE,
    NETWORK_CONTRIBUTOR_ROLE,
    SYSTEM_POOL,
    USER_POOL,
)
from infra.foundation.common import Administrator, Placement
from infra.foundation.kubeconfig import with_login_mode
from infra.foundation.propagation import CLUSTER_RBAC_PROPAGATION, propagation_wait


@dataclass(frozen=True)
class AksClusterArgs:
    placement: Placement
    config: AksConfig
    cluster_name: str
    nodes_subnet_id: pulumi.Input[str]
    pod_cidr: str
    service_cidr: str
    dns_service_ip: str
    tenant_id: pulumi.Input[str]
    log_analytics_workspace_id: pulumi.Input[str]
    registry_id: pulumi.Input[str]
    key_vault_id: pulumi.Input[str]
    administrators: tuple[Administrator, ...]
    """The deployer (creates every Kubernetes object) and the admin groups."""
    hardening: ClusterHardening = field(default_factory=ClusterHardening)
    """Encryption at host and Defender (resolved per stack by PlatformConfig.hardening)."""


# Channels that move `kubernetesVersion` itself (node-image only refreshes node images).
VERSION_MOVING_CHANNELS = frozenset({"patch", "stable", "rapid"})


def _pool(
    name: str,
    pool: NodePoolConfig,
    mode: containerservice.AgentPoolMode,
    config: AksConfig,
    subnet_id: pulumi.Input[str],
    *,
    encryption_at_host: bool = False,
) -> containerservice.ManagedClusterAgentPoolProfileArgs:
    return containerservice.ManagedClusterAgentPoolProfileArgs(
        name=name,
        mode=mode,
        vm_size=pool.vm_size,
        os_type=containerservice.OSType.LINUX,
        os_sku=containerservice.OSSKU.AZURE_LINUX,
        os_disk_size_gb=pool.os_disk_size_gb,
        # Ephemeral where the size's cache/temp disk holds it (checked in config): faster
        # reimage and OS I/O, no managed disk to pay for; the node's disk dies with the node.
        os_disk_type=containerservice.OSDiskType.EPHEMERAL
        if pool.ephemeral_os
        else containerservice.OSDiskType.MANAGED,
        # Temp disks and OS/data disk caches encrypted on the host (needs the subscription
        # feature Microsoft.Compute/EncryptionAtHost); only settable when the pool is created.
        enable_encryption_at_host=encryption_at_host or None,
        type=containerservice.AgentPoolType.VIRTUAL_MACHINE_SCALE_SETS,
        availability_zones=list(config.zones) or None,
        enable_auto_scaling=True,
        count=pool.min_count,
        min_count=pool.min_count,
        max_count=pool.max_count,
        max_pods=pool.max_pods,
        vnet_subnet_id=subnet_id,
        # Critical add-ons (CoreDNS, metrics, CSI) get nodes workloads cannot starve.
        node_taints=[CRITICAL_ADDONS_TAINT]
        if mode == containerservice.AgentPoolMode.SYSTEM
        else None,
        node_labels={"platform.io/pool": name},
        enable_node_public_ip=False,
        upgrade_settings=containerservice.AgentPoolUpgradeSettingsArgs(max_surge="33%"),
    )


class AksCluster(pulumi.ComponentResource):
    """An AKS cluster with Entra ID, workload identity, Cilium network policy and the add-ons the
    service components rely on (app routing, KEDA, Key Vault CSI), and a Kubernetes provider."""

    cluster_name: pulumi.Output[str]
    cluster_id: pulumi.Output[str]
    oidc_issuer_url: pulumi.Output[str]
    kubelet_object_id: pulumi.Output[str]
    kubeconfig: pulumi.Output[str]
    egress_ip: pulumi.Output[str]
    provider: k8s.Provider

    def __init__(
        self, name: str, args: AksClusterArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__("platform:foundation:AksCluster", name, None, opts)
        placement = args.placement
        config = args.config
        app_routing = config.ingress != "gateway"

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
            zones=list(config.zones) or None,
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

        api_access = containerservice.ManagedClusterAPIServerAccessProfileArgs(
            enable_private_cluster=config.api_server.private_cluster,
            authorized_ip_ranges=[str(r) for r in config.api_server.authorized_ip_ranges] or None,
        )
        cluster = containerservice.ManagedCluster(
            f"{name}-cluster",
            resource_name_=args.cluster_name,
            resource_group_name=placement.resource_group_name,
            location=placement.location,
            dns_prefix=args.cluster_name,
            kubernetes_version=config.kubernetes_version,
            sku=containerservice.ManagedClusterSKUArgs(
                name=containerservice.ManagedClusterSKUName.BASE, tier=config.tier
            ),
            identity=containerservice.ManagedClusterIdentityArgs(
                type=containerservice.ResourceIdentityType.USER_ASSIGNED,
                user_assigned_identities=[control_plane.id],
            ),
            agent_pool_profiles=[
                _pool(
                    SYSTEM_POOL,
                    config.system_pool,
                    containerservice.AgentPoolMode.SYSTEM,
                    config,
                    args.nodes_subnet_id,
                    encryption_at_host=args.hardening.encryption_at_host,
                ),
                _pool(
                    USER_POOL,
                    config.user_pool,
                    containerservice.AgentPoolMode.USER,
                    config,
                    args.nodes_subnet_id,
                    encryption_at_host=args.hardening.encryption_at_host,
                ),
            ],
            network_profile=containerservice.ContainerServiceNetworkProfileArgs(
                network_plugin=containerservice.NetworkPlugin.AZURE,
                network_plugin_mode=containerservice.NetworkPluginMode.OVERLAY,
                network_dataplane=containerservice.NetworkDataplane.CILIUM,
                # Cilium enforces Kubernetes NetworkPolicy: services are deny-by-default.
                network_policy=containerservice.NetworkPolicy.CILIUM,
                pod_cidr=args.pod_cidr,
                service_cidr=args.service_cidr,
                dns_service_ip=args.dns_service_ip,
                load_balancer_sku=containerservice.LoadBalancerSku.STANDARD,
                outbound_type=containerservice.OutboundType.LOAD_BALANCER,
                load_balancer_profile=containerservice.ManagedClusterLoadBalancerProfileArgs(
                    outbound_ips=containerservice.ManagedClusterLoadBalancerProfileOutboundIPsArgs(
                        public_ips=[containerservice.ResourceReferenceArgs(id=egress_ip.id)]
                    )
                ),
            ),
            # Entra ID for people, Azure RBAC for permissions, and no static admin credential.
            aad_profile=containerservice.ManagedClusterAADProfileArgs(
                managed=True,
                enable_azure_rbac=True,
                tenant_id=args.tenant_id,
                admin_group_object_ids=list(config.admin_group_object_ids) or None,
            ),
            enable_rbac=True,
            disable_local_accounts=True,
            api_server_access_profile=api_access,
            oidc_issuer_profile=containerservice.ManagedClusterOIDCIssuerProfileArgs(enabled=True),
            security_profile=containerservice.ManagedClusterSecurityProfileArgs(
                workload_identity=containerservice.ManagedClusterSecurityProfileWorkloadIdentityArgs(
                    enabled=True
                ),
                image_cleaner=containerservice.ManagedClusterSecurityProfileImageCleanerArgs(
                    enabled=True, interval_hours=168
                ),
                # Microsoft Defender for Containers: runtime threat detection on the nodes,
                # findings in the platform workspace (the plan is enabled per subscription).
                defender=containerservice.ManagedClusterSecurityProfileDefenderArgs(
                    log_analytics_workspace_resource_id=args.log_analytics_workspace_id,
                    security_monitoring=containerservice.ManagedClusterSecurityProfileDefenderSecurityMonitoringArgs(
                        enabled=True
                    ),
                )
                if args.hardening.defender
                else None,
            ),
            auto_upgrade_profile=containerservice.ManagedClusterAutoUpgradeProfileArgs(
                upgrade_channel=config.upgrade_channel,
                node_os_upgrade_channel=config.node_os_upgrade_channel,
            ),
            # The app routing add-on (managed NGINX) only for the deprecated ingress modes:
            # with `aks.ingress: gateway` public ingress is AGC and internal ingress Envoy
            # Gateway, so no managed-NGINX object exists (issue 17).
            ingress_profile=containerservice.ManagedClusterIngressProfileArgs(
                web_app_routing=containerservice.ManagedClusterIngressProfileWebAppRoutingArgs(
                    enabled=app_routing
                )
            ),
            workload_auto_scaler_profile=containerservice.ManagedClusterWorkloadAutoScalerProfileArgs(
                keda=containerservice.ManagedClusterWorkloadAutoScalerProfileKedaArgs(enabled=True)
            ),
            azure_monitor_profile=containerservice.ManagedClusterAzureMonitorProfileArgs(
                metrics=containerservice.ManagedClusterAzureMonitorProfileMetricsArgs(enabled=True)
            ),
            addon_profiles={
                # Container Insights into the shared workspace, authenticated with the add-on's
                # managed identity instead of the workspace key; what it collects is set by the
                # data collection rule (observability.ContainerInsights).
                "omsagent": containerservice.ManagedClusterAddonProfileArgs(
                    enabled=True,
                    config={
                        "logAnalyticsWorkspaceResourceID": args.log_analytics_workspace_id,
                        "useAADAuth": "true",
                    },
                ),
                "azureKeyvaultSecretsProvider": containerservice.ManagedClusterAddonProfileArgs(
                    enabled=True,
                    config={"enableSecretRotation": "true", "rotationPollInterval": "2m"},
                ),
                "azurepolicy": containerservice.ManagedClusterAddonProfileArgs(enabled=True),
            },
            tags=placement.tags,
            opts=pulumi.ResourceOptions(
                parent=self,
                depends_on=[subnet_join, egress_join],
                protect=placement.protect_stateful,
                ignore_changes=_ignored_drift(config),
            ),
        )

        window = config.maintenance_window
        for config_name, weeks in (
            ("aksManagedAutoUpgradeSchedule", 1),
            ("aksManagedNodeOSUpgradeSchedule", 1),
        ):
            containerservice.MaintenanceConfiguration(
                f"{name}-{config_name}",
                config_name=config_name,
                resource_group_name=placement.resource_group_name,
                resource_name_=cluster.name,
                maintenance_window=containerservice.MaintenanceWindowArgs(
                    schedule=containerservice.ScheduleArgs(
                        weekly=containerservice.WeeklyScheduleArgs(
                            day_of_week=window.day_of_week, interval_weeks=weeks
                        )
                    ),
                    duration_hours=window.duration_hours,
                    start_time=window.start_time,
                    utc_offset=window.utc_offset,
                ),
                opts=pulumi.ResourceOptions(parent=self),
            )

        kubelet_object_id = cluster.identity_profile.apply(
            lambda profile: (profile or {})["kubeletidentity"].object_id or ""
        )
        kubelet_pull = placement.grant(
            f"{name}-kubelet-acrpull",
            role_guid=ACR_PULL_ROLE,
            principal_id=kubelet_object_id,
            scope=args.registry_id,
            description="AKS nodes pull images from the platform registry",
            parent=self,
        )
        # The app routing add-on serves TLS certificates it reads from the platform vault (not
        # with `aks.ingress: gateway`, where the add-on is off).
        if app_routing:
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
                placement.grant(
                    f"{name}-app-routing-keyvault-{suffix}",
                    role_guid=role,
                    principal_id=app_routing_object_id,
                    scope=args.key_vault_id,
                    description="App routing reads ingress TLS certificates",
                    parent=self,
                )

        # Local accounts are off and Azure RBAC authorizes the Kubernetes API: subscription Owner or
        # Contributor give no data-plane right, so whoever deploys (and the admin groups) must be
        # granted one, and every Kubernetes object waits until it has propagated.
        admins = [
            placement.grant(
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
        # The kubelet's AcrPull is waited for too, so the first pods find it in force.
        api_ready = propagation_wait(
            f"{name}-rbac-propagation",
            duration=CLUSTER_RBAC_PROPAGATION,
            grants=[*admins, kubelet_pull],
            triggers={admin.label: admin.object_id for admin in args.administrators},
            parent=self,
        )

        credentials = containerservice.list_managed_cluster_user_credentials_output(
            resource_group_name=placement.resource_group_name,
            resource_name=cluster.name,
            opts=pulumi.InvokeOutputOptions(parent=self),
        )
        login_mode = config.kubelogin_mode
        kubeconfig = pulumi.Output.secret(
            credentials.kubeconfigs.apply(
                lambda configs: with_login_mode(configs[0].value, login_mode)
            )
        )
        self.provider = k8s.Provider(
            f"{name}-k8s",
            kubeconfig=kubeconfig,
            # Rotated credentials change the kubeconfig; the cluster id does not, so the provider
            # (and everything deployed through it) is not replaced.
            cluster_identifier=cluster.id,
            enable_server_side_apply=True,
            # Every object deployed through this provider waits for the grants above.
            opts=pulumi.ResourceOptions(parent=self, depends_on=[api_ready]),
        )

        self.cluster_name = cluster.name
        self.cluster_id = cluster.id
        self.oidc_issuer_url = cluster.oidc_issuer_profile.apply(
            lambda profile: (profile.issuer_url if profile else None) or ""
        )
        self.kubelet_object_id = kubelet_object_id
        self.kubeconfig = kubeconfig
        self.egress_ip = egress_ip.ip_address.apply(lambda ip: ip or "")
        self.register_outputs(
            {
                "clusterName": self.cluster_name,
                "clusterId": self.cluster_id,
                "oidcIssuerUrl": self.oidc_issuer_url,
                "egressIp": self.egress_ip,
            }
        )


def _ignored_drift(config: AksConfig) -> list[str]:
    """What Azure changes on its own and `pulumi up` must not undo.

    The autoscaler owns node counts. An upgrade channel moves the cluster's version: with the
    version pinned, the next `up` after an automatic upgrade would ask Azure for a downgrade, which
    it refuses (pulumi-azure-native#2059). The configured version still applies when the cluster
    is created. Nested paths take wire (camelCase) names.
    """
    ignored = ["agentPoolProfiles[0].count", "agentPoolProfiles[1].count"]
    if config.upgrade_channel in VERSION_MOVING_CHANNELS:
        ignored.append("kubernetesVersion")
    return ignored
