"""Typed stack configuration: one immutable object built from `pulumi.Config`, validated first.

Pydantic checks types and ranges; `infra/config_rules.py` checks what spans fields (CIDR overlaps,
subnet sizes, zones). Either way every problem is reported at once, naming the stack key.
"""

from __future__ import annotations

import ipaddress
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    ValidationError,
    field_validator,
)
from pydantic.alias_generators import to_camel

from infra.aks_versions import OFFICIAL, SupportPlan
from infra.input_errors import Wording, did_you_mean, problems_from
from infra.problems import InvalidInput, Problem
from infra.vm_sizes import ephemeral_fits

NAMESPACE = "platform"
"""The Pulumi project name, and so the namespace of every platform setting in the stack files."""

Zone = Literal["1", "2", "3"]

# Regions with availability zones (Azure docs, "Azure regions with availability zone support").
# A zonal setting outside this list fails in Azure at create time; we fail at preview instead.
ZONAL_REGIONS = frozenset(
    {
        "australiaeast",
        "austriaeast",
        "belgiumcentral",
        "brazilsouth",
        "canadacentral",
        "centralindia",
        "centralus",
        "chilecentral",
        "eastasia",
        "eastus",
        "eastus2",
        "francecentral",
        "germanywestcentral",
        "indonesiacentral",
        "israelcentral",
        "italynorth",
        "japaneast",
        "japanwest",
        "koreacentral",
        "malaysiawest",
        "mexicocentral",
        "newzealandnorth",
        "northeurope",
        "norwayeast",
        "polandcentral",
        "qatarcentral",
        "southafricanorth",
        "southcentralus",
        "southeastasia",
        "spaincentral",
        "swedencentral",
        "switzerlandnorth",
        "uaenorth",
        "uksouth",
        "westeurope",
        "westus2",
        "westus3",
    }
)

AZURE_RESERVED_IPS_PER_SUBNET = 5
ACA_MIN_WORKLOAD_PROFILES_PREFIX = 27  # Container Apps docs: /27 or larger with workload profiles
PRIVATE_ENDPOINTS_MIN_PREFIX = 28  # room for the two endpoints and more later
PUBLIC_NETWORK_ACCESS = (
    "true (default) keeps the public endpoint; false accepts traffic only through the private "
    "endpoint (needs network.privateEndpointsSubnetCidr, and CI runners inside the VNet)"
)


class IngressMode(StrEnum):
    """How AKS services are reached (`aks.ingress`), decided once: every stage asks these
    properties instead of comparing the setting's text."""

    GATEWAY = "gateway"
    """Gateway API: public on Application Gateway for Containers, internal on Envoy Gateway."""
    BOTH = "both"
    """The migration release: public Gateway routes beside managed NGINX; internal on NGINX."""
    NGINX = "nginx"
    """Deprecated managed NGINX of the app routing add-on (Azure support ends November 2026)."""

    @property
    def public_gateway(self) -> bool:
        """Application Gateway for Containers serves public AKS services (its subnet, ALB)."""
        return self in (IngressMode.GATEWAY, IngressMode.BOTH)

    @property
    def internal_gateway(self) -> bool:
        """Internal AKS services route through Envoy Gateway (weighted routes; host records)."""
        return self is IngressMode.GATEWAY

    @property
    def managed_nginx(self) -> bool:
        """The app routing add-on runs NGINX, behind a public load balancer on the nodes."""
        return self in (IngressMode.BOTH, IngressMode.NGINX)


class Environment(StrEnum):
    """What a stack is for; prod turns on the strict rules (immutable tags, protection, zones)."""

    DEV = "dev"
    STAGING = "staging"
    PROD = "prod"
    LOCAL = "local"
    """A developer's own Kubernetes (kind, k3d, minikube, Docker Desktop): no Azure at all."""


class _Model(BaseModel):
    """Frozen, camelCase in the stack file, unknown keys refused (a typo must not pass silently)."""

    model_config = ConfigDict(
        frozen=True, extra="forbid", alias_generator=to_camel, populate_by_name=True
    )


def _text_only(value: Any) -> Any:
    """Addresses come as text: a number or boolean must not become 0.0.0.1."""
    if not isinstance(value, (str, ipaddress.IPv4Network, ipaddress.IPv4Address)):
        raise ValueError("must be written as text, e.g. '10.20.0.0/16'")
    return value


Cidr = Annotated[ipaddress.IPv4Network, BeforeValidator(_text_only)]
Address = Annotated[ipaddress.IPv4Address, BeforeValidator(_text_only)]


class NetworkConfig(_Model):
    vnet_cidr: Cidr = Field(description="the VNet range, e.g. 10.20.0.0/16")
    aks_nodes_subnet_cidr: Cidr = Field(
        description="AKS node subnet inside the VNet, e.g. 10.20.0.0/22"
    )
    container_apps_subnet_cidr: Cidr = Field(
        description="Container Apps subnet inside the VNet, /27 or larger, e.g. 10.20.8.0/23"
    )
    pod_cidr: Cidr = Field(
        default=ipaddress.IPv4Network("192.168.0.0/16"),
        description="overlay pod range, outside the VNet, e.g. 192.168.0.0/16",
    )
    service_cidr: Cidr = Field(
        default=ipaddress.IPv4Network("172.16.0.0/16"),
        description="Kubernetes service range, outside the VNet, e.g. 172.16.0.0/16",
    )
    private_dns_zone: str | None = Field(
        default=None,
        pattern=r"^([a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$",
        description="private DNS zone for AKS services that Container Apps call; "
        "defaults to <environment>.<namePrefix>.internal",
    )
    dns_service_ip: Address = Field(
        default=ipaddress.IPv4Address("172.16.0.10"),
        description="cluster DNS address inside serviceCidr, e.g. 172.16.0.10",
    )
    private_endpoints_subnet_cidr: Cidr | None = Field(
        default=None,
        description="subnet inside the VNet for private endpoints to Key Vault and the registry "
        "(Premium), e.g. 10.20.10.0/27; omit for none",
    )
    gateway_subnet_cidr: Cidr | None = Field(
        default=None,
        description="subnet inside the VNet delegated to Application Gateway for Containers "
        "(public Gateway API ingress), /24 or larger, e.g. 10.20.12.0/24; required unless "
        "aks.ingress is nginx",
    )
    internal_ingress_ip: Address | None = Field(
        default=None,
        description="fixed address of the internal ingress load balancer in the node subnet, "
        "which internal hosts resolve to; defaults to the subnet's last usable address",
    )

    @property
    def internal_ingress_address(self) -> ipaddress.IPv4Address:
        """Azure hands node addresses out from the bottom of the subnet; the top stays free."""
        return self.internal_ingress_ip or (self.aks_nodes_subnet_cidr.broadcast_address - 1)


class NodePoolConfig(_Model):
    vm_size: str = Field(min_length=1, description="an Azure VM size, e.g. Standard_D4ds_v5")
    min_count: Annotated[int, Field(ge=1, le=1000)] = Field(
        description="the autoscaler's floor, 1..1000"
    )
    max_count: Annotated[int, Field(ge=1, le=1000)] = Field(
        description="the autoscaler's ceiling, 1..1000, at least minCount"
    )
    max_pods: Annotated[int, Field(ge=10, le=250)] = Field(
        default=110, description="pods per node, 10..250"
    )
    os_disk_size_gb: Annotated[int, Field(ge=30, le=2048)] = Field(
        default=128, description="OS disk size in GiB, 30..2048"
    )
    os_disk_type: Literal["Ephemeral", "Managed"] | None = Field(
        default=None,
        description="Ephemeral (on the VM's cache or temp disk, which must hold osDiskSizeGb) or "
        "Managed; by default Ephemeral where the size's local disk holds it (infra/vm_sizes.py)",
    )

    @property
    def ephemeral_os(self) -> bool:
        """Ephemeral where asked for, or by default where the VM size's local disk holds it."""
        if self.os_disk_type is not None:
            return self.os_disk_type == "Ephemeral"
        return ephemeral_fits(self.vm_size, self.os_disk_size_gb)


class ApiServerConfig(_Model):
    authorized_ip_ranges: tuple[Cidr, ...] = Field(
        default=(), description="CIDRs allowed to reach the API server, e.g. [203.0.113.0/24]"
    )
    private_cluster: bool = Field(
        default=False, description="true to give the API server no public IP"
    )


class MaintenanceWindowConfig(_Model):
    day_of_week: Literal[
        "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"
    ] = Field(default="Sunday", description="a weekday name, e.g. Sunday")
    start_time: str = Field(
        default="02:00",
        pattern=r"^([01]\d|2[0-3]):[0-5]\d$",
        description="HH:MM in 24h, e.g. 02:00",
    )
    duration_hours: Annotated[int, Field(ge=4, le=24)] = Field(
        default=4, description="4..24 hours (AKS requires at least 4)"
    )
    utc_offset: str = Field(
        default="+00:00", pattern=r"^[+-](0\d|1[0-4]):[0-5]\d$", description="e.g. +00:00 or -05:00"
    )


KubeloginMode = Literal["workloadidentity", "azurecli", "interactive"]
"""kubelogin login modes a deploy may use (upstream/kubelogin/: `get-token --login`).

workloadidentity is for CI: on GitHub Actions kubelogin asks GitHub for a new OIDC token each
time it needs one (ACTIONS_ID_TOKEN_REQUEST_URL/TOKEN), so no assertion can expire mid-deploy.
azurecli and interactive are for people: azurecli reuses `az login`; an az session made from a
GitHub federated token cannot renew after the assertion expires (Azure/azure-cli#28708), so CI
must not use it."""

PEOPLE_LOGIN_MODES: frozenset[str] = frozenset({"azurecli", "interactive"})
CI_LOGIN_MODE = "workloadidentity"


class AksConfig(_Model):
    kubernetes_version: str = Field(
        pattern=r"^1\.\d{2}(\.\d+)?$",
        description="a Kubernetes minor (e.g. 1.36: AKS picks its newest patch) or a patch "
        "(e.g. 1.36.2) that AKS supports for the tier and supportPlan when the cluster is "
        "created (docs/kubernetes-versions.md)",
    )
    tier: Literal["Free", "Standard", "Premium"] = Field(
        description="Free for dev, Standard (uptime SLA) for prod, Premium for long-term support"
    )
    support_plan: SupportPlan = Field(
        default=OFFICIAL,
        description="KubernetesOfficial (community support, about 12 months per minor) or "
        "AKSLongTermSupport (a second year; needs tier Premium)",
    )
    zones: tuple[Zone, ...] = Field(
        default=(), description='availability zones, e.g. ["1", "2", "3"]'
    )
    system_pool: NodePoolConfig = Field(description="the pool reserved for critical add-ons")
    user_pool: NodePoolConfig = Field(description="the autoscaled pool that runs workloads")
    api_server: ApiServerConfig = Field(description="who may reach the API server")
    admin_group_object_ids: tuple[str, ...] = Field(
        default=(), description="Entra ID group object ids given cluster admin"
    )
    upgrade_channel: Literal["patch", "stable", "rapid", "node-image"] = Field(
        default="stable", description="one of patch, stable, rapid, node-image"
    )
    node_os_upgrade_channel: Literal["NodeImage", "SecurityPatch", "Unmanaged"] = Field(
        default="NodeImage", description="one of NodeImage, SecurityPatch, Unmanaged"
    )
    maintenance_window: MaintenanceWindowConfig = Field(
        default=MaintenanceWindowConfig(), description="when upgrades may run"
    )
    ingress: IngressMode = Field(
        default=IngressMode.GATEWAY,
        description="AKS ingress: gateway (Gateway API: public on Application Gateway for "
        "Containers, internal on Envoy Gateway; no app routing add-on), both (migration "
        "release: public Gateway routes and the managed NGINX side by side, internal on NGINX), "
        "nginx (deprecated managed NGINX, Azure support ends November 2026)",
    )
    kubelogin_mode: KubeloginMode = Field(
        default="workloadidentity",
        description="how the Pulumi Kubernetes provider gets its token (docs/deploying.md): "
        "workloadidentity for the deploy workflow (a fresh GitHub OIDC token for every token "
        "kubelogin asks Entra for), azurecli or interactive for a person running pulumi up",
    )
    encryption_at_host: bool | None = Field(
        default=None,
        description="encrypt node temp disks and OS/data disk caches on the VM host (true in "
        "prod); needs the subscription feature Microsoft.Compute/EncryptionAtHost registered",
    )
    defender: bool | None = Field(
        default=None,
        description="Microsoft Defender for Containers sensor, reporting to the platform "
        "workspace (true in prod)",
    )
    deployment_safeguards: Literal["Off", "Warn", "Enforce"] | None = Field(
        default=None, description="AKS Deployment Safeguards: Off, Warn (dev), Enforce (prod)"
    )
    pod_security: Literal["Off", "Audit", "Deny"] | None = Field(
        default=None,
        description="Azure Policy pod security restricted initiative on the cluster: Off, "
        "Audit (dev) or Deny (prod)",
    )


@dataclass(frozen=True)
class ClusterHardening:
    """The cluster's hardening switches, each resolved for the stack (None in config: by
    environment). See docs/security.md, "Hardening", for what each protects against and costs."""

    encryption_at_host: bool = False
    defender: bool = False
    deployment_safeguards: Literal["Off", "Warn", "Enforce"] = "Off"
    pod_security: Literal["Off", "Audit", "Deny"] = "Off"


class WorkloadProfileConfig(_Model):
    name: str = Field(pattern=r"^[a-zA-Z][a-zA-Z0-9-]{0,14}$", description="e.g. general-d4")
    type: Literal["D4", "D8", "D16", "D32", "E4", "E8", "E16", "E32"] = Field(
        description="a dedicated profile type, e.g. D4"
    )
    min_count: Annotated[int, Field(ge=0, le=100)] = Field(description="0..100")
    max_count: Annotated[int, Field(ge=1, le=100)] = Field(description="1..100, at least minCount")


class ContainerAppsConfig(_Model):
    internal: bool = Field(
        default=False, description="true for a VNet-only environment (no public IP)"
    )
    zone_redundant: bool = Field(
        default=False, description="true to spread replicas over zones (prod)"
    )
    workload_profiles: tuple[WorkloadProfileConfig, ...] = Field(
        default=(), description="dedicated profiles beside Consumption"
    )


class RegistryConfig(_Model):
    name: str | None = Field(
        default=None,
        pattern=r"^[a-zA-Z0-9]{5,50}$",
        description="a globally unique registry name, 5-50 letters/digits; "
        "defaults to <namePrefix><environment>acr",
    )
    sku: Literal["Basic", "Standard", "Premium"] = Field(
        default="Basic", description="Basic, Standard or Premium (Premium for zone redundancy)"
    )
    public_network_access: bool = Field(default=True, description=PUBLIC_NETWORK_ACCESS)


class KeyVaultConfig(_Model):
    name: str | None = Field(
        default=None,
        pattern=r"^[a-zA-Z][a-zA-Z0-9-]{1,22}[a-zA-Z0-9]$",
        description="a globally unique vault name, 3-24 letters/digits/-; "
        "defaults to kv-<namePrefix>-<environment>",
    )
    public_network_access: bool = Field(default=True, description=PUBLIC_NETWORK_ACCESS)
    recover_soft_deleted: bool = Field(
        default=False,
        description="true for one deploy after a destroy: the vault's name is still taken by its "
        "soft-deleted self (90 days; purge protection forbids purging), so the deploy recovers it "
        "(createMode recover) with its secrets",
    )


class MonitoringConfig(_Model):
    retention_days: Annotated[int, Field(ge=30, le=730)] = Field(
        default=30, description="Log Analytics retention in days, 30..730"
    )


class DnsConfig(_Model):
    """How custom domains get the DNS records Container Apps requires before it binds a host."""

    zone_name: str | None = Field(
        default=None,
        pattern=r"^([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$",
        description="an Azure DNS zone the platform writes custom-domain records into, "
        "e.g. example.com",
    )
    zone_resource_group: str | None = Field(
        default=None, min_length=1, description="the resource group of zoneName"
    )
    records_present: tuple[str, ...] = Field(
        default=(),
        description="hosts whose asuid TXT and CNAME records you created yourself (outside "
        "zoneName), e.g. [shop.example.com]",
    )


VNET_ID = (
    r"^/subscriptions/[0-9a-fA-F-]{36}/resourceGroups/[-\w._()]{1,90}"
    r"/providers/Microsoft\.Network/virtualNetworks/[-\w._]{2,64}$"
)


class RunnerVnetConfig(_Model):
    """The deploy runner's own VNet (Azure docs: "Establish network connectivity to a private AKS
    cluster", VNet peering: peer both ways and link the private DNS zone to the runner's VNet)."""

    id: str = Field(
        pattern=VNET_ID,
        description="its resource id, /subscriptions/<id>/resourceGroups/<group>/providers/"
        "Microsoft.Network/virtualNetworks/<name>, in the stack's subscription",
    )
    address_prefixes: tuple[Cidr, ...] = Field(
        min_length=1,
        description="its address space, e.g. [10.100.0.0/24]; must not overlap network.vnetCidr "
        "(peered address spaces may not overlap)",
    )

    @property
    def resource_group(self) -> str:
        return self.id.split("/")[4]

    @property
    def name(self) -> str:
        return self.id.rsplit("/", 1)[1]


class DeployRunnerConfig(_Model):
    """Where `pulumi up` runs: it must reach the API server, the vault and the registry."""

    kind: Literal["self-hosted", "github-hosted"] = Field(
        default="self-hosted",
        description="self-hosted (a runner or workstation with a known address) or "
        "github-hosted (no stable egress: cannot pass authorizedIpRanges)",
    )
    egress_cidrs: tuple[Cidr, ...] = Field(
        default=(),
        description="the runner's fixed public egress, e.g. [203.0.113.10/32]; must be inside "
        "aks.apiServer.authorizedIpRanges",
    )
    vnet: RunnerVnetConfig | None = Field(
        default=None,
        description="the VNet the runner sits in, which exists before the stack: the foundation "
        "peers it with the platform VNet and links every private DNS zone the deploy resolves to "
        "it; needed for a private cluster and for closed vault/registry endpoints",
    )

    @property
    def in_vnet(self) -> bool:
        """The runner reaches the platform VNet (through the peering the foundation creates)."""
        return self.vnet is not None


class CostConfig(_Model):
    """What the offline cost estimate assumes (`python -m infra.preview plan` records it).

    Usage that no plan can know (log volume, metric samples, requests) is a declared assumption
    with a default and its reason, so every estimate says what it rests on.
    """

    currency: str = Field(
        default="USD",
        pattern=r"^[A-Z]{3}$",
        description="an ISO 4217 code with a price sheet under infra/cost/prices, e.g. USD "
        "(USD by default: Microsoft's list prices are set in USD, other currencies are converted)",
    )
    budget_monthly: Annotated[float, Field(ge=0)] | None = Field(
        default=None,
        description="the stack's monthly budget in the currency, e.g. 2500; omit for no "
        "budget check",
    )
    budget_enforcement: Literal["advisory", "mandatory"] | None = Field(
        default=None,
        description="advisory or mandatory; defaults to mandatory in prod, advisory elsewhere",
    )
    budget_basis: Literal["floor", "ceiling"] = Field(
        default="ceiling",
        description="floor or ceiling (default ceiling: the autoscalers may reach it without a "
        "review, so the budget must cover it)",
    )
    log_ingestion_gb_per_day: Annotated[float, Field(ge=0)] = Field(
        default=1.0,
        description="GB per day sent to Log Analytics, 0 or more (default 1: Container Insights "
        "ContainerLogV2 and Container Apps console logs of a small platform; read the real figure "
        "from the workspace's Usage table)",
    )
    prometheus_samples_per_day: Annotated[float, Field(ge=0)] = Field(
        default=10_000_000,
        description="metric samples per day ingested by managed Prometheus, 0 or more (default "
        "10 million: the default scrape of a few nodes, about 1,500 series each every 30 s)",
    )
    requests_per_month: Annotated[float, Field(ge=0)] = Field(
        default=1_000_000,
        description="HTTP requests per month per Container App with ingress, 0 or more "
        "(default 1 million)",
    )
    scale_to_zero_active_hours_per_day: Annotated[float, Field(ge=0, le=24)] = Field(
        default=2.0,
        description="hours per day a scale-to-zero app runs one replica at its floor, 0..24 "
        "(default 2: a queue worker draining a few batches a day)",
    )
    agc_capacity_units: Annotated[float, Field(ge=0)] = Field(
        default=5.0,
        description="average Application Gateway for Containers capacity units per hour, 0 or "
        "more (default 5: the simple deployment of Azure's AGC pricing examples; one unit is "
        "2,500 persistent connections or 2.22 Mbps, read yours from the gateway's metrics)",
    )
    container_apps_free_grant: bool = Field(
        default=True,
        description="true when this stack has the subscription's monthly Container Apps free "
        "grant to itself; false when another stack in the subscription uses it",
    )


class StackMode(StrEnum):
    """What one stack holds (docs/team-stacks.md)."""

    SINGLE = "single"
    """Everything: the foundation and every application's services (the default)."""
    PLATFORM = "platform"
    """The foundation and the onboarded applications' deploy identities; exports the contract."""
    APPLICATION = "application"
    """One application's services, on the contract of its environment's platform stack."""


DNS_LABEL = r"^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$"
HOST_NAME = r"^([a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$"


REPOSITORY_SUBJECT = re.compile(r"^repo:(?P<repo>[^:/]+/[^:/]+):")
"""The repository part of a GitHub Actions OIDC subject, `repo:<owner>/<repo>:...` (GitHub's OIDC
reference: every subject starts with it)."""
ENVIRONMENT_SUBJECT = re.compile(
    REPOSITORY_SUBJECT.pattern + r"environment:(?P<environment>[^:]+)$"
)
"""The subject of a job that references a GitHub environment,
`repo:<owner>/<repo>:environment:<name>` (GitHub's OIDC reference)."""

GITHUB_OIDC_ISSUER = "https://token.actions.githubusercontent.com"
"""The issuer of GitHub Actions' OIDC tokens (the deploy workflows' Azure logins)."""


class OnboardedApplication(_Model):
    """One application a platform stack onboards: what its own stack may own, who deploys it."""

    name: str = Field(
        pattern=DNS_LABEL, description="the application's name in apps/ (its AKS namespace)"
    )
    hosts: tuple[Annotated[str, Field(pattern=HOST_NAME)], ...] = Field(
        default=(), description="the host names its services may bind, e.g. shop.example.com"
    )
    ci_subject: str = Field(
        min_length=1,
        description="the subject of its deploy workflow's OIDC token, e.g. "
        "repo:contoso/platform:environment:storefront-dev (this repository's GitHub environment "
        "<name>-<env>, where its deploy job runs)",
    )
    grant_scopes: tuple[str, ...] = Field(
        default=(),
        description="Azure resource ids its own team owns (e.g. its messaging resource group) on "
        "which its stack grants its services' roles",
    )
    preview_subject: str | None = Field(
        default=None,
        min_length=1,
        description="the OIDC subject of its pull-request previews (its read-only preview "
        "identity); default: ciSubject's repository in the GitHub environment "
        "<name>-<environment>-preview, repo:<owner>/<repo>:environment:<name>-<env>-preview",
    )
    ci_issuer: str = Field(
        default=GITHUB_OIDC_ISSUER,
        pattern=r"^https://",
        description="the OIDC issuer of its deploy workflow (default: GitHub Actions)",
    )
    adopted: tuple[str, ...] = Field(
        default=(),
        description="migrated from a single stack: the Azure resource ids of its Container Apps "
        "and identities, which stay in the platform's resource group (its stack keeps them "
        "there, its identity gets a role on each and nowhere else in that group); written by "
        "`python -m infra.stacks migrate` (docs/team-stacks.md, Migration)",
    )


class PlatformConfig(_Model):
    """Everything a stack decides about the platform. Built once, read everywhere."""

    environment: Environment = Field(description="dev, staging, prod or local")
    location: str = Field(
        pattern=r"^[a-z][a-z0-9]+$", description="an Azure region name, e.g. westeurope"
    )
    name_prefix: str = Field(
        pattern=r"^[a-z][a-z0-9]{1,11}$",
        description="2-12 lowercase letters/digits used in resource names, e.g. shop",
    )
    owner: str = Field(min_length=1, description="the owning team, for the owner tag")
    cost_center: str = Field(min_length=1, description="the cost centre, for the costCenter tag")
    protect: bool | None = Field(
        default=None,
        description="protect stateful resources from deletion; defaults to true in prod",
    )
    network: NetworkConfig = Field(description="address ranges")
    aks: AksConfig = Field(description="the AKS cluster")
    container_apps: ContainerAppsConfig = Field(
        default=ContainerAppsConfig(), description="the Container Apps environment"
    )
    registry: RegistryConfig = Field(default=RegistryConfig(), description="the container registry")
    key_vault: KeyVaultConfig = Field(default=KeyVaultConfig(), description="the platform vault")
    monitoring: MonitoringConfig = Field(default=MonitoringConfig(), description="logs and metrics")
    dns: DnsConfig = Field(default=DnsConfig(), description="custom-domain DNS records")
    deploy_runner: DeployRunnerConfig = Field(
        default=DeployRunnerConfig(), description="where pulumi up runs"
    )
    deployer_principal_type: Literal["ServicePrincipal", "User"] = Field(
        default="ServicePrincipal",
        description="what runs `pulumi up`: ServicePrincipal (the deploy workflow's identity) or "
        "User (a person); Azure refuses a role assignment whose principalType is wrong",
    )
    deploy_services: bool = Field(
        default=True,
        description="false for the first deploy's first step: the foundation alone, before "
        "images are pushed and secrets seeded (docs/deploying.md, First deploy)",
    )
    cost: CostConfig = Field(
        default=CostConfig(), description="what the offline cost estimate assumes"
    )
    mode: Literal[StackMode.SINGLE, StackMode.PLATFORM] = Field(
        default=StackMode.SINGLE,
        description="single (everything in this stack) or platform (the foundation and the "
        "onboarded applications; each application in its own stack: docs/team-stacks.md)",
    )
    applications: tuple[OnboardedApplication, ...] = Field(
        default=(),
        description="the applications a platform stack onboards (mode platform), each deployed "
        "by its own stack",
    )

    @property
    def is_prod(self) -> bool:
        return self.environment is Environment.PROD

    @property
    def protect_stateful(self) -> bool:
        return self.is_prod if self.protect is None else self.protect

    @property
    def hardening(self) -> ClusterHardening:
        aks = self.aks
        prod = self.is_prod

        def default(value: bool | None) -> bool:
            return prod if value is None else value

        return ClusterHardening(
            encryption_at_host=default(aks.encryption_at_host),
            defender=default(aks.defender),
            deployment_safeguards=aks.deployment_safeguards or ("Enforce" if prod else "Warn"),
            pod_security=aks.pod_security or ("Deny" if prod else "Audit"),
        )

    @property
    def resource_group_name(self) -> str:
        return f"rg-{self.name_prefix}-{self.environment.value}"

    @property
    def cluster_name(self) -> str:
        return f"aks-{self.name_prefix}-{self.environment.value}"

    @property
    def gateway_name(self) -> str:
        """The Application Gateway for Containers (TrafficController) of the stack."""
        return f"agc-{self.name_prefix}-{self.environment.value}"

    @property
    def registry_name(self) -> str:
        return self.registry.name or f"{self.name_prefix}{self.environment.value}acr"

    @property
    def key_vault_name(self) -> str:
        return self.key_vault.name or f"kv-{self.name_prefix}-{self.environment.value}"

    @property
    def private_dns_zone(self) -> str:
        return (
            self.network.private_dns_zone or f"{self.environment.value}.{self.name_prefix}.internal"
        )

    @property
    def tags(self) -> dict[str, str]:
        """Tags on every taggable Azure resource: who owns it, who pays, which stack made it."""
        return {
            "environment": self.environment.value,
            "owner": self.owner,
            "costCenter": self.cost_center,
            "managedBy": "pulumi",
        }


class LocalConfig(_Model):
    """The `local` stack: the same `apps/` on an existing Kubernetes context, no Azure."""

    environment: Literal[Environment.LOCAL] = Field(description="local")
    context: str = Field(
        default="kind-platform", min_length=1, description="the kubeconfig context to deploy to"
    )
    ingress_class: str | None = Field(
        default=None,
        description="nothing: delete platform:ingressClass (docs/local.md)",
    )
    registry: str = Field(
        default="localhost:5001",
        min_length=1,
        description="the local registry images without a host come from, e.g. localhost:5001",
    )
    domain: str = Field(
        default="localtest.me",
        pattern=r"^([a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$",
        description="a domain resolving to 127.0.0.1 for ingress hosts, e.g. localtest.me",
    )
    deploy_services: bool = Field(
        default=True,
        description="false to deploy nothing yet (the same first step as the Azure stacks)",
    )

    @field_validator("ingress_class")
    @classmethod
    def _ingress_class_removed(cls, value: str | None) -> str | None:
        """Stack files from before issue 17 set it for a local ingress-nginx (retired upstream
        in March 2026): refused with the way forward instead of being silently ignored."""
        if value is not None:
            raise ValueError(
                "no longer used: the local stack installs Envoy Gateway itself and serves "
                "every exposed service through Gateway API routes (ingress-nginx is retired)"
            )
        return value

    @property
    def is_prod(self) -> bool:
        return False


class ApplicationStackConfig(_Model):
    """An application stack (`mode: application`): one application of `apps/`, on the contract
    its environment's platform stack exports. Nothing about the platform is configured here."""

    mode: Literal[StackMode.APPLICATION] = Field(description="application")
    environment: Environment = Field(description="dev, staging or prod: the platform's")
    application: str = Field(
        pattern=DNS_LABEL, description="the name of the one application of apps/ it deploys"
    )
    platform_stack: str = Field(
        pattern=r"^[A-Za-z0-9_.-]+/[A-Za-z0-9_.-]+/[A-Za-z0-9_.-]+$",
        description="the platform stack it reads the contract of: organization/project/stack",
    )


# ---------------------------------------------------------------------------------------------
# Loading


def parse_raw_value(raw: Any) -> Any:
    """Pulumi hands structured config to programs as JSON text; scalars stay strings."""
    if isinstance(raw, str) and raw[:1] in ("{", "["):
        try:
            return json.loads(raw)
        except json.JSONDecodeError:
            return raw
    return raw


def type_checked(model: type[BaseModel], values: Mapping[str, Any]) -> BaseModel:
    """`values` checked against the pydantic `model` (each key's type and range, unknown keys);
    the cross-key rules run in `infra/config_loader.py`."""
    data = {key: parse_raw_value(raw) for key, raw in values.items()}
    try:
        return model.model_validate(data)
    except ValidationError as error:
        raise InvalidInput("the stack config", _pydantic_problems(error, model)) from None


def project_environments(root: Path | None = None) -> frozenset[str]:
    """The environments the project's stacks name: `platform:environment` of every
    `Pulumi.<stack>.yaml` beside `Pulumi.yaml` (what an override may be keyed by)."""
    import yaml

    root = root or Path(__file__).resolve().parents[1]
    found: set[str] = set()
    for path in sorted(root.glob("Pulumi.*.yaml")):
        document = yaml.safe_load(path.read_text()) or {}
        value = (document.get("config") or {}).get(f"{NAMESPACE}:environment")
        if isinstance(value, str):
            found.add(value)
    return frozenset(found)


# ---------------------------------------------------------------------------------------------
# Error reporting


def _walk(loc: tuple[int | str, ...], root: type[BaseModel] = PlatformConfig) -> tuple[Any, Any]:
    """The pydantic field info at a location and the model nested under it (either may be None)."""
    model: Any = root
    info: Any = None
    for part in loc:
        if isinstance(part, int):
            continue
        if model is None:
            return None, None
        info = {f.alias or n: f for n, f in model.model_fields.items()}.get(part)
        if info is None:
            return None, None
        annotation = info.annotation
        candidates = [annotation, *(getattr(annotation, "__args__", None) or ())]
        model = next(
            (c for c in candidates if isinstance(c, type) and issubclass(c, BaseModel)), None
        )
    return info, model


def _known_keys(loc: tuple[int | str, ...], root: type[BaseModel] = PlatformConfig) -> list[str]:
    _, model = _walk(loc, root)
    return [] if model is None else [f.alias or n for n, f in model.model_fields.items()]


def _key_path(loc: tuple[int | str, ...]) -> str:
    path = NAMESPACE
    for index, part in enumerate(loc):
        if isinstance(part, int):
            path += f"[{part}]"
        else:
            path += (":" if index == 0 else ".") + part
    return path


def _pydantic_problems(
    error: ValidationError, root: type[BaseModel] = PlatformConfig
) -> list[Problem]:
    def description(loc: tuple[Any, ...]) -> str | None:
        info, _ = _walk(loc, root)
        return info.description if info is not None and info.description else None

    def unknown_fix(loc: tuple[Any, ...]) -> str:
        known = _known_keys(loc[:-1], root)
        close = did_you_mean(str(loc[-1]), known)
        return f"did you mean '{close[0]}'?" if close else f"known keys: {', '.join(known)}"

    def missing_fix(loc: tuple[Any, ...]) -> str:
        text = description(loc)
        return f"set it: {text}" if text else "set it"

    def fix(loc: tuple[Any, ...]) -> str:
        text = description(loc)
        return f"expected {text}" if text else "see docs/stack-config.md"

    wording = Wording(
        path=_key_path,
        unknown="unknown key",
        unknown_fix=unknown_fix,
        fix=fix,
        missing="required key is missing",
        missing_fix=missing_fix,
        show_unknown_value=True,
        strip_value_error=True,
    )
    return sorted(problems_from(error, wording))
