"""Azure Container Apps: Consumption apps (vCPU-seconds and GiB-seconds at active or idle rates,
requests, the subscription's monthly free grant) and dedicated workload profiles.

Billing rules from learn.microsoft.com/azure/container-apps/billing: replicas are billed per
second for the vCPU and memory allocated; an idle replica (of an app with minReplicas ≥ 1 that
is not processing) at the reduced idle rate; the first 180,000 vCPU-seconds, 360,000
GiB-seconds and 2 million requests per subscription per month are free (Consumption only);
dedicated profiles bill each instance per hour plus a management fee per environment.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from infra.cost import meters
from infra.cost.lines import (
    DAYS_PER_MONTH,
    HOURS_PER_MONTH,
    SECONDS_PER_MONTH,
    Context,
    Line,
)
from infra.plan.kinds import CONTAINER_APP, MANAGED_ENVIRONMENT
from infra.plan.owners import PLATFORM, service_of_recorded
from infra.plan.paths import as_mapping
from infra.plan.quantities import cores, gibibytes
from infra.plan.workloads import app_containers
from infra.problems import Problem

CONSUMPTION = "Consumption"
FREE_VCPU_SECONDS = 180_000
FREE_GIB_SECONDS = 360_000
FREE_REQUESTS = 2_000_000

PROFILE_SIZES: dict[str, tuple[int, int]] = {
    "D4": (4, 16),
    "D8": (8, 32),
    "D16": (16, 64),
    "D32": (32, 128),
    "E4": (4, 32),
    "E8": (8, 64),
    "E16": (16, 128),
    "E32": (32, 256),
}
"""vCPU and GiB per dedicated instance (learn.microsoft.com/azure/container-apps/
workload-profiles-overview)."""


@dataclass(frozen=True)
class Usage:
    """A month of Consumption usage in one scenario (floor or ceiling)."""

    vcpu_active: float = 0.0
    vcpu_idle: float = 0.0
    gib_active: float = 0.0
    gib_idle: float = 0.0
    requests: float = 0.0

    def __add__(self, other: Usage) -> Usage:
        return Usage(
            self.vcpu_active + other.vcpu_active,
            self.vcpu_idle + other.vcpu_idle,
            self.gib_active + other.gib_active,
            self.gib_idle + other.gib_idle,
            self.requests + other.requests,
        )


@dataclass(frozen=True)
class Rates:
    vcpu_active: float
    vcpu_idle: float
    gib_active: float
    gib_idle: float
    per_million_requests: float

    def cost(self, usage: Usage) -> float:
        return (
            usage.vcpu_active * self.vcpu_active
            + usage.vcpu_idle * self.vcpu_idle
            + usage.gib_active * self.gib_active
            + usage.gib_idle * self.gib_idle
            + usage.requests / 1e6 * self.per_million_requests
        )

    def grant(self, usage: Usage) -> float:
        """What the free grant takes off: it offsets active seconds first (the dearer rate),
        then idle ones."""
        vcpu_active = min(usage.vcpu_active, FREE_VCPU_SECONDS)
        vcpu_idle = min(usage.vcpu_idle, FREE_VCPU_SECONDS - vcpu_active)
        gib_active = min(usage.gib_active, FREE_GIB_SECONDS)
        gib_idle = min(usage.gib_idle, FREE_GIB_SECONDS - gib_active)
        requests = min(usage.requests, FREE_REQUESTS)
        return self.cost(Usage(vcpu_active, vcpu_idle, gib_active, gib_idle, requests))


def consumption_rates(ctx: Context, resource: str) -> tuple[Rates, tuple[Any, ...]]:
    prices = tuple(
        ctx.price(m, resource)
        for m in (
            meters.ACA_VCPU_ACTIVE,
            meters.ACA_VCPU_IDLE,
            meters.ACA_MEMORY_ACTIVE,
            meters.ACA_MEMORY_IDLE,
            meters.ACA_REQUESTS,
        )
    )
    return Rates(*(p.unit_price for p in prices)), prices


@dataclass(frozen=True)
class AppUsage:
    line: Line
    floor: Usage
    ceiling: Usage


def price_app(app: dict[str, Any], ctx: Context) -> AppUsage:
    inputs = app["inputs"]
    service = service_of_recorded(app)
    label = f"{CONTAINER_APP} {app['name']}"
    profile = str(inputs.get("workloadProfileName") or CONSUMPTION)
    if profile != CONSUMPTION:
        line = Line(
            service,
            f"Container App on profile {profile}",
            label,
            0.0,
            0.0,
            f"runs on dedicated profile {profile}: billed as that profile's instances "
            "(platform line)",
        )
        return AppUsage(line, Usage(), Usage())
    template = as_mapping(inputs.get("template"))
    containers = app_containers(CONTAINER_APP, inputs)
    cpu = sum(cores(as_mapping(c.get("resources")).get("cpu", 0)) for c in containers)
    memory = sum(gibibytes(as_mapping(c.get("resources")).get("memory", "0Gi")) for c in containers)
    scale = as_mapping(template.get("scale"))
    low, high = int(scale.get("minReplicas", 0)), int(scale.get("maxReplicas", 10))
    configuration = inputs.get("configuration")
    # A configuration with secret values is masked as a whole: then ingress is assumed.
    has_ingress = not isinstance(configuration, dict) or bool(configuration.get("ingress"))
    requests = ctx.assumptions.requests_per_month if has_ingress else 0.0
    if low > 0:
        seconds = low * SECONDS_PER_MONTH
        floor = Usage(vcpu_idle=cpu * seconds, gib_idle=memory * seconds, requests=requests)
        floor_note = f"floor {low} replica(s) idle all month"
    else:
        hours = ctx.assumptions.scale_to_zero_active_hours_per_day
        seconds = hours * 3600 * DAYS_PER_MONTH
        floor = Usage(vcpu_active=cpu * seconds, gib_active=memory * seconds, requests=requests)
        floor_note = f"floor: scales to zero, 1 replica active {hours:g} h/day"
    seconds = high * SECONDS_PER_MONTH
    ceiling = Usage(vcpu_active=cpu * seconds, gib_active=memory * seconds, requests=requests)
    rates, prices = consumption_rates(ctx, label)
    request_note = (
        f"{requests:,.0f} requests/month assumed" if has_ingress else "no ingress, no requests"
    )
    line = Line(
        service,
        "Container App (Consumption)",
        label,
        rates.cost(floor),
        rates.cost(ceiling),
        f"{cpu:g} vCPU / {memory:g} GiB per replica; {floor_note}; ceiling {high} replica(s) "
        f"active {HOURS_PER_MONTH:.0f} h; {request_note}; before the free grant",
        prices,
    )
    return AppUsage(line, floor, ceiling)


def free_grant_line(apps: list[AppUsage], ctx: Context) -> Line | None:
    consuming = [a for a in apps if a.line.item == "Container App (Consumption)"]
    if not consuming:
        return None
    label = f"{CONTAINER_APP} (all Consumption apps)"
    if not ctx.assumptions.container_apps_free_grant:
        return Line(
            PLATFORM,
            "Container Apps free grant",
            label,
            0.0,
            0.0,
            "not applied: platform:cost.containerAppsFreeGrant is false (another stack uses it)",
        )
    rates, prices = consumption_rates(ctx, label)
    floor = sum((a.floor for a in consuming), Usage())
    ceiling = sum((a.ceiling for a in consuming), Usage())
    return Line(
        PLATFORM,
        "Container Apps free grant",
        label,
        -rates.grant(floor),
        -rates.grant(ceiling),
        f"per subscription per month: {FREE_VCPU_SECONDS:,} vCPU-s, {FREE_GIB_SECONDS:,} GiB-s, "
        f"{FREE_REQUESTS:,} requests, over all this stack's Consumption apps (active seconds "
        "first); assumes the stack has the subscription's grant to itself",
        prices,
    )


def price_environment(environment: dict[str, Any], ctx: Context) -> list[Line]:
    label = f"{MANAGED_ENVIRONMENT} {environment['name']}"
    lines: list[Line] = []
    dedicated = [
        p
        for p in environment["inputs"].get("workloadProfiles") or []
        if p.get("workloadProfileType") != CONSUMPTION
    ]
    if not dedicated:
        return lines
    vcpu = ctx.price(meters.ACA_DEDICATED_VCPU, label)
    gib = ctx.price(meters.ACA_DEDICATED_MEMORY, label)
    for profile in dedicated:
        kind = str(profile.get("workloadProfileType"))
        size = PROFILE_SIZES.get(kind)
        if size is None:
            ctx.problems.append(
                _unknown_profile(f"{label} workloadProfiles[{profile.get('name')}]", kind)
            )
            continue
        per_instance = (size[0] * vcpu.unit_price + size[1] * gib.unit_price) * HOURS_PER_MONTH
        low, high = int(profile.get("minimumCount", 0)), int(profile.get("maximumCount", 1))
        lines.append(
            Line(
                PLATFORM,
                f"Container Apps profile {profile.get('name')} ({kind})",
                label,
                per_instance * low,
                per_instance * high,
                f"{low}..{high} instance(s) × {size[0]} vCPU + {size[1]} GiB × "
                f"{HOURS_PER_MONTH:.0f} h",
                (vcpu, gib),
            )
        )
    fee = ctx.price(meters.ACA_DEDICATED_MANAGEMENT, label)
    monthly = fee.unit_price * HOURS_PER_MONTH
    lines.append(
        Line(
            PLATFORM,
            "Container Apps dedicated plan management",
            label,
            monthly,
            monthly,
            f"1 environment with dedicated profiles × {HOURS_PER_MONTH:.0f} h",
            (fee,),
        )
    )
    return lines


def _unknown_profile(path: str, kind: str) -> Problem:
    return Problem(
        path,
        kind,
        "is not a dedicated profile type the model knows",
        f"use one of {', '.join(PROFILE_SIZES)} or add its size to PROFILE_SIZES",
    )
