"""The prices the model needs, each named once: how to find it in a sheet and how to fetch it.

A `Meter` matches Azure Retail Prices API items by exact field values (the API's own names, see
learn.microsoft.com/rest/api/cost-management/retail-prices/azure-retail-prices); its `query` is
the `$filter` that `prices refresh` sends for it. Keeping both here keeps the model and the
refresh in step.
"""

from __future__ import annotations

from dataclasses import dataclass

DISK_TIERS: tuple[tuple[str, int], ...] = (
    ("P4", 32),
    ("P6", 64),
    ("P10", 128),
    ("P15", 256),
    ("P20", 512),
    ("P30", 1024),
    ("P40", 2048),
)
"""Premium SSD tiers and their sizes in GiB (managed disks pricing page): a disk is billed as the
smallest tier that holds it."""

REGISTRY_SKUS = ("Basic", "Standard", "Premium")


@dataclass(frozen=True)
class Meter:
    key: str
    """Stable id used in estimates, e.g. `vm:Standard_D4ds_v5`."""
    service: str
    match: tuple[tuple[str, str], ...]
    """(API field, exact value) pairs an item must have, besides serviceName."""
    unit: str
    """The unitOfMeasure the model's arithmetic expects."""
    regional: bool = True
    """False for meters billed in a global zone (Azure DNS), which are queried without region."""

    def query(self, region: str) -> str:
        parts = [f"serviceName eq '{self.service}'"]
        if self.regional:
            parts.append(f"armRegionName eq '{region}'")
        parts += [f"{field} eq '{value}'" for field, value in self.match]
        parts.append("priceType eq 'Consumption'")
        return " and ".join(parts)

    def matches(self, item: dict[str, object]) -> bool:
        if item.get("serviceName") != self.service or item.get("unitOfMeasure") != self.unit:
            return False
        if str(item.get("type", "Consumption")) != "Consumption":
            return False
        return all(item.get(field) == value for field, value in self.match)


def _meter(key: str, service: str, product: str, sku: str, meter: str, *, unit: str) -> Meter:
    return Meter(
        key,
        service,
        (("productName", product), ("skuName", sku), ("meterName", meter)),
        unit,
    )


def vm_display_name(arm_sku: str) -> str:
    """`Standard_D4ds_v5` → `D4ds v5`, the API's skuName and meterName for a VM size."""
    return arm_sku.removeprefix("Standard_").replace("_", " ")


def vm_series_product(arm_sku: str) -> str:
    """`Standard_D4ds_v5` → `Virtual Machines Ddsv5 Series` (Linux; Windows adds ` Windows`)."""
    name = arm_sku.removeprefix("Standard_")
    letters = name[0]
    rest = name[1:].lstrip("0123456789")
    series = letters + rest.replace("_", "")
    return f"Virtual Machines {series} Series"


def vm(arm_sku: str) -> Meter:
    return Meter(
        f"vm:{arm_sku}",
        "Virtual Machines",
        (
            ("armSkuName", arm_sku),
            ("productName", vm_series_product(arm_sku)),
            ("skuName", vm_display_name(arm_sku)),
        ),
        "1 Hour",
    )


def disk_tier(size_gb: int) -> str:
    for tier, size in DISK_TIERS:
        if size_gb <= size:
            return tier
    return DISK_TIERS[-1][0]


def premium_disk(tier: str) -> Meter:
    return _meter(
        f"disk:{tier}",
        "Storage",
        "Premium SSD Managed Disks",
        f"{tier} LRS",
        f"{tier} LRS Disk",
        unit="1/Month",
    )


AKS_STANDARD = _meter(
    "aks:Standard",
    "Azure Kubernetes Service",
    "Azure Kubernetes Service",
    "Standard",
    "Standard Uptime SLA",
    unit="1 Hour",
)
AKS_PREMIUM = _meter(
    "aks:Premium",
    "Azure Kubernetes Service",
    "Azure Kubernetes Service",
    "Standard",
    "Standard Long Term Support",
    unit="1 Hour",
)


def _aca(sku: str, meter: str, unit: str) -> Meter:
    key = "aca:" + meter.lower().replace(" ", "-")
    return _meter(key, "Azure Container Apps", "Azure Container Apps", sku, meter, unit=unit)


ACA_VCPU_ACTIVE = _aca("Standard", "Standard vCPU Active Usage", "1 Second")
ACA_VCPU_IDLE = _aca("Standard", "Standard vCPU Idle Usage", "1 Second")
ACA_MEMORY_ACTIVE = _aca("Standard", "Standard Memory Active Usage", "1 GiB Second")
ACA_MEMORY_IDLE = _aca("Standard", "Standard Memory Idle Usage", "1 GiB Second")
ACA_REQUESTS = _aca("Standard", "Standard Requests", "1M")
ACA_DEDICATED_VCPU = _aca("Dedicated", "Dedicated vCPU Usage", "1 Hour")
ACA_DEDICATED_MEMORY = _aca("Dedicated", "Dedicated Memory Usage", "1 Hour")
ACA_DEDICATED_MANAGEMENT = _aca("Dedicated", "Dedicated Plan Management", "1 Hour")

PUBLIC_IP = _meter(
    "network:public-ip",
    "Virtual Network",
    "IP Addresses",
    "Standard",
    "Standard IPv4 Static Public IP",
    unit="1 Hour",
)
LB_FIRST_RULES = _meter(
    "network:lb-rules",
    "Load Balancer",
    "Load Balancer",
    "Standard",
    "Standard Included LB Rules and Outbound Rules",
    unit="1 Hour",
)
LB_EXTRA_RULE = _meter(
    "network:lb-extra-rule",
    "Load Balancer",
    "Load Balancer",
    "Standard",
    "Standard Overage LB Rules and Outbound Rules",
    unit="1 Hour",
)
PRIVATE_ENDPOINT = _meter(
    "network:private-endpoint",
    "Virtual Network",
    "Virtual Network Private Link",
    "Standard",
    "Standard Private Endpoint",
    unit="1 Hour",
)
PRIVATE_DNS_ZONE = Meter(
    "dns:private-zone",
    "Azure DNS",
    (("productName", "Azure DNS"), ("skuName", "Private"), ("meterName", "Private Zone")),
    "1/Month",
    regional=False,
)
KEY_VAULT_OPERATIONS = _meter(
    "keyvault:operations", "Key Vault", "Key Vault", "Standard", "Operations", unit="10K"
)


def _agc(key: str, meter: str) -> Meter:
    """Application Gateway for Containers: serviceName `Application Gateway` (shared with
    Application Gateway v2), so the productName tells them apart; skuName `Standard` (WAF is
    productName `Application Gateway for Containers WAF`, not used here). Names as listed in
    github.com/ahmadabdalla/azure-cost-calculator issue #683 and its
    references/services/networking/application-gateway-for-containers.md (checked against the
    Retail Prices API there, 2026-04); the unit is assumed `1 Hour` like the other hourly
    meters (not confirmed)."""
    return _meter(
        f"agc:{key}",
        "Application Gateway",
        "Application Gateway for Containers",
        "Standard",
        meter,
        unit="1 Hour",
    )


AGC_GATEWAY = _agc("gateway", "Standard AGC")
AGC_FRONTEND = _agc("frontend", "Standard Frontend")
AGC_ASSOCIATION = _agc("association", "Standard Association")
AGC_CAPACITY_UNIT = _agc("capacity-unit", "Standard Capacity Units")


def registry(sku: str) -> Meter:
    return _meter(
        f"acr:{sku}",
        "Container Registry",
        "Container Registry",
        sku,
        f"{sku} Registry Unit",
        unit="1/Day",
    )


LOG_INGESTION = _meter(
    "logs:ingestion",
    "Log Analytics",
    "Log Analytics",
    "Analytics Logs",
    "Analytics Logs Data Ingestion",
    unit="1 GB",
)
LOG_RETENTION = _meter(
    "logs:retention",
    "Log Analytics",
    "Log Analytics",
    "Analytics Logs",
    "Analytics Logs Data Retention",
    unit="1 GB/Month",
)
PROMETHEUS_INGESTION = _meter(
    "prometheus:ingestion",
    "Azure Monitor",
    "Azure Monitor",
    "Managed Prometheus",
    "Prometheus Metrics Samples Ingested",
    unit="10M",
)


def catalog(vm_sizes: tuple[str, ...]) -> tuple[Meter, ...]:
    """Every meter a sheet should hold: the fixed ones, each disk tier and registry SKU, and the
    VM sizes asked for."""
    fixed = (
        AKS_STANDARD,
        AKS_PREMIUM,
        ACA_VCPU_ACTIVE,
        ACA_VCPU_IDLE,
        ACA_MEMORY_ACTIVE,
        ACA_MEMORY_IDLE,
        ACA_REQUESTS,
        ACA_DEDICATED_VCPU,
        ACA_DEDICATED_MEMORY,
        ACA_DEDICATED_MANAGEMENT,
        PUBLIC_IP,
        LB_FIRST_RULES,
        LB_EXTRA_RULE,
        PRIVATE_ENDPOINT,
        PRIVATE_DNS_ZONE,
        KEY_VAULT_OPERATIONS,
        LOG_INGESTION,
        LOG_RETENTION,
        PROMETHEUS_INGESTION,
        AGC_GATEWAY,
        AGC_FRONTEND,
        AGC_ASSOCIATION,
        AGC_CAPACITY_UNIT,
    )
    disks = tuple(premium_disk(tier) for tier, _ in DISK_TIERS)
    registries = tuple(registry(sku) for sku in REGISTRY_SKUS)
    vms = tuple(vm(size) for size in sorted(set(vm_sizes)))
    return fixed + disks + registries + vms
