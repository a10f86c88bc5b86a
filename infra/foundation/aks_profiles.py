"""The AKS ManagedCluster's arguments, one pure builder per area (config in, typed `*Args` out).

Kept apart from `aks.py`, which creates the resources, so each area (node pools, network,
access, security, add-ons, upgrades) reads on its own and its reason sits next to it. Every
setting that matters for security or availability is asserted by tests/test_foundation.py.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import pulumi
from pulumi_azure_native import containerservice

from infra.config import (
    AksConfig,
    ClusterHardening,
    MaintenanceWindowConfig,
    NodePoolConfig,
    RunnerVnetConfig,
)
from infra.constants import CRITICAL_ADDONS_TAINT, SYSTEM_POOL, USER_POOL
from infra.foundation.common import Administrator, Placement


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
    runner_vnet: RunnerVnetConfig | None = None
    """The deploy runner's own VNet: a private API server's zone is linked to it."""
    runner_ready: tuple[pulumi.Resource, ...] = ()
    """The runner's peerings and links: the Kubernetes provider waits for them."""


# Channels that move `kubernetesVersion` itself (node-image only refreshes node images).
VERSION_MOVING_CHANNELS = frozenset({"patch", "stable", "rapid"})


def app_routing_enabled(config: AksConfig) -> bool:
    """The app routing add-on (managed NGINX) only for the deprecated ingress modes: with
    `aks.ingress: gateway` public ingress is AGC and internal ingress Envoy Gateway, so no
    managed-NGINX object exists (issue 17)."""
    return config.ingress.managed_nginx


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


def agent_pools(args: AksClusterArgs) -> list[containerservice.ManagedClusterAgentPoolProfileArgs]:
    """The system pool (critical add-ons only) first, then the user pool: `ignored_drift` names
    their counts by position."""
    encryption_at_host = args.hardening.encryption_at_host
    return [
        _pool(
            SYSTEM_POOL,
            args.config.system_pool,
            containerservice.AgentPoolMode.SYSTEM,
            args.config,
            args.nodes_subnet_id,
            encryption_at_host=encryption_at_host,
        ),
        _pool(
            USER_POOL,
            args.config.user_pool,
            containerservice.AgentPoolMode.USER,
            args.config,
            args.nodes_subnet_id,
            encryption_at_host=encryption_at_host,
        ),
    ]


def network_profile(
    args: AksClusterArgs, egress_ip_id: pulumi.Input[str]
) -> containerservice.ContainerServiceNetworkProfileArgs:
    return containerservice.ContainerServiceNetworkProfileArgs(
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
        # The fixed egress address: what Container Apps (and partners) allow-list.
        load_balancer_profile=containerservice.ManagedClusterLoadBalancerProfileArgs(
            outbound_ips=containerservice.ManagedClusterLoadBalancerProfileOutboundIPsArgs(
                public_ips=[containerservice.ResourceReferenceArgs(id=egress_ip_id)]
            )
        ),
    )


def aad_profile(args: AksClusterArgs) -> containerservice.ManagedClusterAADProfileArgs:
    """Entra ID for people, Azure RBAC for permissions (local accounts are disabled on the
    cluster, so there is no static admin credential)."""
    return containerservice.ManagedClusterAADProfileArgs(
        managed=True,
        enable_azure_rbac=True,
        tenant_id=args.tenant_id,
        admin_group_object_ids=list(args.config.admin_group_object_ids) or None,
    )


def api_server_access(
    config: AksConfig,
) -> containerservice.ManagedClusterAPIServerAccessProfileArgs:
    return containerservice.ManagedClusterAPIServerAccessProfileArgs(
        enable_private_cluster=config.api_server.private_cluster,
        authorized_ip_ranges=[str(r) for r in config.api_server.authorized_ip_ranges] or None,
    )


def security_profile(args: AksClusterArgs) -> containerservice.ManagedClusterSecurityProfileArgs:
    return containerservice.ManagedClusterSecurityProfileArgs(
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
    )


def support_plan(config: AksConfig) -> containerservice.KubernetesSupportPlan:
    """Sent explicitly, so the plan the version check assumed is the plan the cluster gets:
    KubernetesOfficial (community support) or AKSLongTermSupport (Premium tier only; config
    refuses it elsewhere). Which versions each plan can create: docs/kubernetes-versions.md."""
    return containerservice.KubernetesSupportPlan(config.support_plan)


def auto_upgrade_profile(
    config: AksConfig,
) -> containerservice.ManagedClusterAutoUpgradeProfileArgs:
    return containerservice.ManagedClusterAutoUpgradeProfileArgs(
        upgrade_channel=config.upgrade_channel,
        node_os_upgrade_channel=config.node_os_upgrade_channel,
    )


def ingress_profile(config: AksConfig) -> containerservice.ManagedClusterIngressProfileArgs:
    return containerservice.ManagedClusterIngressProfileArgs(
        web_app_routing=containerservice.ManagedClusterIngressProfileWebAppRoutingArgs(
            enabled=app_routing_enabled(config)
        )
    )


def keda_profile() -> containerservice.ManagedClusterWorkloadAutoScalerProfileArgs:
    return containerservice.ManagedClusterWorkloadAutoScalerProfileArgs(
        keda=containerservice.ManagedClusterWorkloadAutoScalerProfileKedaArgs(enabled=True)
    )


def azure_monitor_profile() -> containerservice.ManagedClusterAzureMonitorProfileArgs:
    return containerservice.ManagedClusterAzureMonitorProfileArgs(
        metrics=containerservice.ManagedClusterAzureMonitorProfileMetricsArgs(enabled=True)
    )


def addon_profiles(
    args: AksClusterArgs,
) -> dict[str, containerservice.ManagedClusterAddonProfileArgs]:
    return {
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
    }


def maintenance_window(
    window: MaintenanceWindowConfig, interval_weeks: int
) -> containerservice.MaintenanceWindowArgs:
    return containerservice.MaintenanceWindowArgs(
        schedule=containerservice.ScheduleArgs(
            weekly=containerservice.WeeklyScheduleArgs(
                day_of_week=window.day_of_week, interval_weeks=interval_weeks
            )
        ),
        duration_hours=window.duration_hours,
        start_time=window.start_time,
        utc_offset=window.utc_offset,
    )


def ignored_drift(config: AksConfig) -> list[str]:
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
