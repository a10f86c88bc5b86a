"""The Azure foundation of a stack, wired together: what every service lands on."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import pulumi
from pulumi_azure_native import authorization, resources

from infra.config import PlatformConfig
from infra.foundation.aks import AKS_CLUSTER_NAME, AksCluster
from infra.foundation.aks_profiles import AksClusterArgs
from infra.foundation.common import Placement, administrators, deployer_object_id
from infra.foundation.container_apps import ContainerAppsEnvironment, ContainerAppsEnvironmentArgs
from infra.foundation.gateway import GatewayForContainers, GatewayForContainersArgs
from infra.foundation.guardrails import ClusterGuardrails, ClusterGuardrailsArgs
from infra.foundation.keyvault import KeyVault, KeyVaultArgs
from infra.foundation.network import PlatformNetwork, PlatformNetworkArgs
from infra.foundation.observability import (
    ContainerInsights,
    ContainerInsightsArgs,
    ManagedPrometheus,
    ManagedPrometheusArgs,
    Observability,
    ObservabilityArgs,
)
from infra.foundation.private_endpoints import (
    PrivateEndpoints,
    PrivateEndpointsArgs,
    key_vault_target,
    registry_target,
)
from infra.foundation.registry import Registry, RegistryArgs
from infra.foundation.runner_network import RunnerNetwork, RunnerNetworkArgs


@dataclass(frozen=True)
class Foundation:
    """What the service components need from the platform."""

    config: PlatformConfig
    placement: Placement
    subscription_id: pulumi.Output[str]
    tenant_id: pulumi.Output[str]
    network: PlatformNetwork
    aks: AksCluster
    container_apps: ContainerAppsEnvironment
    registry: Registry
    key_vault: KeyVault
    gateway: GatewayForContainers | None = None
    """Application Gateway for Containers, unless the stack keeps managed NGINX."""
    logs: Observability | None = None
    """The Log Analytics workspace (the platform contract names it: infra/stacks/contract.py)."""


def build_foundation(config: PlatformConfig, job_namespaces: Sequence[str] = ()) -> Foundation:
    """`job_namespaces`: where the stack's AKS jobs run (`Catalog.job_namespaces`), excluded
    from Deployment Safeguards (infra/foundation/guardrails.py)."""
    client = authorization.get_client_config_output()
    admins = administrators(
        deployer_object_id(client.object_id),
        authorization.PrincipalType(config.deployer_principal_type),
        config.aks.admin_group_object_ids,
    )
    group = resources.ResourceGroup(
        "platform",
        resource_group_name=config.resource_group_name,
        location=config.location,
        tags=config.tags,
    )
    placement = Placement(
        resource_group_name=group.name,
        location=config.location,
        tags=config.tags,
        subscription_id=client.subscription_id,
        protect_stateful=config.protect_stateful,
    )
    net = PlatformNetwork(
        "network",
        PlatformNetworkArgs(
            placement,
            config.network,
            config.private_dns_zone,
            container_apps_internal=config.container_apps.internal,
            public_node_ingress=config.aks.ingress.managed_nginx,
        ),
    )
    vault = KeyVault(
        "keyvault",
        KeyVaultArgs(
            placement,
            config.key_vault_name,
            tenant_id=client.tenant_id,
            administrators=admins,
            public_network_access=config.key_vault.public_network_access,
            recover_soft_deleted=config.key_vault.recover_soft_deleted,
        ),
    )
    logs = Observability("observability", ObservabilityArgs(placement, config.monitoring))
    registry = Registry(
        "registry", RegistryArgs(placement, config.registry, registry_name=config.registry_name)
    )
    endpoints = None
    if net.private_endpoints_subnet_id is not None:
        endpoints = PrivateEndpoints(
            "private-endpoints",
            PrivateEndpointsArgs(
                placement,
                subnet_id=net.private_endpoints_subnet_id,
                vnet_id=net.vnet_id,
                targets=(key_vault_target(vault.vault_id), registry_target(registry.registry_id)),
            ),
        )
    runner = None
    if config.deploy_runner.vnet is not None:
        # The runner's own VNet: peered, and linked to every zone the deploy resolves.
        runner = RunnerNetwork(
            "deploy-runner",
            RunnerNetworkArgs(
                placement,
                config.deploy_runner.vnet,
                vnet_id=net.vnet_id,
                vnet_name=net.vnet_name,
                zones=endpoints.zones if endpoints is not None else (),
            ),
        )
    aks = AksCluster(
        AKS_CLUSTER_NAME,
        AksClusterArgs(
            placement=placement,
            config=config.aks,
            cluster_name=config.cluster_name,
            nodes_subnet_id=net.aks_nodes_subnet_id,
            pod_cidr=str(config.network.pod_cidr),
            service_cidr=str(config.network.service_cidr),
            dns_service_ip=str(config.network.dns_service_ip),
            tenant_id=client.tenant_id,
            log_analytics_workspace_id=logs.workspace_id,
            registry_id=registry.registry_id,
            key_vault_id=vault.vault_id,
            administrators=admins,
            hardening=config.hardening,
            runner_vnet=config.deploy_runner.vnet,
            runner_ready=tuple(runner.ready) if runner is not None else (),
        ),
    )
    ClusterGuardrails(
        "guardrails",
        ClusterGuardrailsArgs(
            aks.cluster_id, config.cluster_name, config.hardening, tuple(job_namespaces)
        ),
    )
    ManagedPrometheus(
        "prometheus",
        ManagedPrometheusArgs(
            placement, cluster_id=aks.cluster_id, cluster_name=config.cluster_name
        ),
    )
    ContainerInsights(
        "container-insights",
        ContainerInsightsArgs(
            placement,
            cluster_id=aks.cluster_id,
            cluster_name=config.cluster_name,
            workspace_id=logs.workspace_id,
        ),
    )
    container_apps = ContainerAppsEnvironment(
        "container-apps",
        ContainerAppsEnvironmentArgs(
            placement=placement,
            config=config.container_apps,
            infrastructure_subnet_id=net.container_apps_subnet_id,
            log_analytics_customer_id=logs.customer_id,
            log_analytics_shared_key=logs.shared_key,
            key_vault_id=vault.vault_id,
            vnet_id=net.vnet_id,
        ),
    )
    gateway = None
    if config.aks.ingress.public_gateway:
        assert config.network.gateway_subnet_cidr is not None, "validated with aks.ingress"
        gateway = GatewayForContainers(
            "gateway",
            GatewayForContainersArgs(
                placement,
                config.gateway_name,
                vnet_name=net.vnet_name,
                subnet_cidr=str(config.network.gateway_subnet_cidr),
                oidc_issuer_url=aks.oidc_issuer_url,
                node_resource_group=aks.node_resource_group,
                after=net,
            ),
        )
    pulumi.export("resourceGroupName", group.name)
    pulumi.export("clusterName", aks.cluster_name)
    pulumi.export("oidcIssuerUrl", aks.oidc_issuer_url)
    pulumi.export("kubeconfig", aks.kubeconfig)
    pulumi.export("registryLoginServer", registry.login_server)
    pulumi.export("containerAppsEnvironmentId", container_apps.environment_id)
    pulumi.export("containerAppsDefaultDomain", container_apps.default_domain)
    pulumi.export("containerAppsDomainVerificationId", container_apps.domain_verification_id)
    pulumi.export("keyVaultUri", vault.vault_uri)
    pulumi.export("aksEgressIp", aks.egress_ip)
    return Foundation(
        config,
        placement,
        client.subscription_id,
        client.tenant_id,
        net,
        aks,
        container_apps,
        registry,
        vault,
        gateway,
        logs,
    )
