"""The platform's other billed resources: registry, logs, metrics, Key Vault operations, public
IPs, private endpoints and private DNS zones."""

from __future__ import annotations

from typing import Any

from infra.cost import meters
from infra.cost.lines import DAYS_PER_MONTH, HOURS_PER_MONTH, Context, Line
from infra.cost.workloads import workloads
from infra.plan.kinds import CONTAINER_APP, SECRET_PROVIDER_CLASS
from infra.plan.owners import PLATFORM, service_of_recorded
from infra.plan.paths import as_mapping, value_at
from infra.plan.workloads import SERVING_KINDS, pod_spec

LOG_RETENTION_INCLUDED_DAYS = 31
"""Analytics logs keep 31 days at no charge (Azure Monitor pricing)."""
CSI_POLLS_PER_HOUR_DEFAULT = 30
"""Secrets Store CSI rotation every 2 minutes (the platform's rotationPollInterval)."""
ACA_SECRET_REFRESHES_PER_HOUR = 2
"""Container Apps re-reads Key Vault references every 30 minutes (Container Apps docs, "Manage
secrets")."""


def _label(resource: dict[str, Any]) -> str:
    return f"{resource['type']} {resource['name']}"


def price_registry(r: dict[str, Any], ctx: Context) -> Line:
    sku = str(as_mapping(r["inputs"].get("sku")).get("name", "Basic"))
    price = ctx.price(meters.registry(sku), _label(r))
    monthly = price.unit_price * DAYS_PER_MONTH
    return Line(
        PLATFORM,
        f"Container registry {sku}",
        _label(r),
        monthly,
        monthly,
        f"{DAYS_PER_MONTH:.2f} days × {price.unit_price} per day; storage beyond the SKU's "
        "included GB and geo-replicas not estimated",
        (price,),
    )


def price_workspace(r: dict[str, Any], ctx: Context) -> Line:
    label = _label(r)
    per_day = ctx.assumptions.log_ingestion_gb_per_day
    ingestion = ctx.price(meters.LOG_INGESTION, label)
    free = ctx.sheet.free_units(meters.LOG_INGESTION) if ingestion.unit_price else 0.0
    retention_days = int(r["inputs"].get("retentionInDays", 30))
    monthly_gb = per_day * DAYS_PER_MONTH
    cost = max(0.0, monthly_gb - free) * ingestion.unit_price
    prices: tuple[Any, ...] = (ingestion,)
    note = (
        f"{per_day:g} GB/day assumed (platform:cost.logIngestionGbPerDay) = "
        f"{monthly_gb:.1f} GB/month, "
        f"first {free:g} GB/month free (per billing account)"
    )
    if retention_days > LOG_RETENTION_INCLUDED_DAYS:
        retention = ctx.price(meters.LOG_RETENTION, label)
        held = per_day * (retention_days - LOG_RETENTION_INCLUDED_DAYS)
        cost += held * retention.unit_price
        prices += (retention,)
        note += f"; {retention_days} days retention: {held:.0f} GB held beyond the included 31 days"
    return Line(PLATFORM, "Log Analytics ingestion", label, cost, cost, note, prices)


def price_prometheus(r: dict[str, Any], ctx: Context) -> Line:
    label = _label(r)
    per_day = ctx.assumptions.prometheus_samples_per_day
    price = ctx.price(meters.PROMETHEUS_INGESTION, label)
    cost = per_day * DAYS_PER_MONTH / 1e7 * price.unit_price
    return Line(
        PLATFORM,
        "Managed Prometheus ingestion",
        label,
        cost,
        cost,
        f"{per_day:,.0f} samples/day assumed (platform:cost.prometheusSamplesPerDay); queries not "
        "estimated",
        (price,),
    )


def _hourly(r: dict[str, Any], meter: meters.Meter, item: str, note: str, ctx: Context) -> Line:
    price = ctx.price(meter, _label(r))
    monthly = price.unit_price * HOURS_PER_MONTH
    return Line(
        PLATFORM, item, _label(r), monthly, monthly, f"{HOURS_PER_MONTH:.0f} h; {note}", (price,)
    )


def price_public_ip(r: dict[str, Any], ctx: Context) -> Line:
    return _hourly(
        r, meters.PUBLIC_IP, f"Public IP {r['name']} (Standard, static)", "one address", ctx
    )


def price_private_endpoint(r: dict[str, Any], ctx: Context) -> Line:
    return _hourly(
        r,
        meters.PRIVATE_ENDPOINT,
        f"Private endpoint {r['name']}",
        "data processed not estimated",
        ctx,
    )


def price_private_zone(r: dict[str, Any], ctx: Context) -> Line:
    price = ctx.price(meters.PRIVATE_DNS_ZONE, _label(r))
    zone = str(r["inputs"].get("privateZoneName", r["name"]))
    return Line(
        PLATFORM,
        f"Private DNS zone {zone}",
        _label(r),
        price.unit_price,
        price.unit_price,
        "one zone per month (first 25 zones' rate); queries not estimated",
        (price,),
    )


def price_vault_operations(
    vault: dict[str, Any], resources: list[dict[str, Any]], ctx: Context
) -> list[Line]:
    """Secret reads per service: CSI rotation polls on AKS (each pod, each secret, every 2
    minutes) and Container Apps' 30-minute refresh of Key Vault references."""
    label = _label(vault)
    price = ctx.price(meters.KEY_VAULT_OPERATIONS, label)
    pods = {w.resource.split(" ", 1)[1]: w for w in workloads(resources)}
    mounted_by: dict[tuple[str, str], list[str]] = {}
    """(namespace, SecretProviderClass name) → every Deployment whose pods mount it (a canary
    mounts its stable service's classes: each track's pods poll)."""
    for r in resources:
        if r["type"] not in SERVING_KINDS:
            continue
        namespace = str(as_mapping(r["inputs"].get("metadata")).get("namespace", ""))
        pod = pod_spec(r["type"], r["inputs"]) or {}
        for volume in pod.get("volumes") or []:
            attributes = as_mapping(as_mapping(volume.get("csi")).get("volumeAttributes"))
            if attributes.get("secretProviderClass"):
                key = (namespace, str(attributes["secretProviderClass"]))
                mounted_by.setdefault(key, []).append(r["name"])
    lines: list[Line] = []
    polls_month = CSI_POLLS_PER_HOUR_DEFAULT * HOURS_PER_MONTH
    for r in resources:
        if r["type"] != SECRET_PROVIDER_CLASS:
            continue
        objects = str(value_at(r["inputs"], "spec.parameters.objects", ""))
        secrets = objects.count("objectName:")
        metadata = as_mapping(r["inputs"].get("metadata"))
        key = (str(metadata.get("namespace", "")), str(metadata.get("name", r["name"])))
        if not secrets:
            continue
        for owner in mounted_by.get(key, []):
            workload = pods.get(owner)
            if workload is None:
                continue
            per_replica = secrets * polls_month
            lines.append(
                Line(
                    workload.service,
                    "Key Vault reads (CSI rotation)",
                    f"{SECRET_PROVIDER_CLASS} {r['name']}",
                    workload.min_replicas * per_replica / 1e4 * price.unit_price,
                    workload.max_replicas * per_replica / 1e4 * price.unit_price,
                    f"{secrets} secret(s) × {workload.min_replicas}..{workload.max_replicas} "
                    f"pods × {polls_month:,.0f} polls/month (every 2 min)",
                    (price,),
                )
            )
    for r in resources:
        if r["type"] != CONTAINER_APP:
            continue
        secrets = [
            s
            for s in as_mapping(r["inputs"].get("configuration")).get("secrets") or []
            if isinstance(s, dict) and s.get("keyVaultUrl")
        ]
        if not secrets:
            continue
        reads = len(secrets) * ACA_SECRET_REFRESHES_PER_HOUR * HOURS_PER_MONTH
        cost = reads / 1e4 * price.unit_price
        lines.append(
            Line(
                service_of_recorded(r),
                "Key Vault reads (secret references)",
                _label(r),
                cost,
                cost,
                f"{len(secrets)} secret(s) × {reads / len(secrets):,.0f} refreshes/month "
                "(every 30 min)",
                (price,),
            )
        )
    return lines
