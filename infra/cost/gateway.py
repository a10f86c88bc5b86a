"""Application Gateway for Containers (AGC): the gateway, its association and each frontend,
billed per hour while they exist, and the capacity units the traffic uses.

learn.microsoft.com/azure/application-gateway/for-containers/understanding-pricing: four
billable items, a gateway-hour per TrafficController, a frontend-hour per Frontend, an
association-hour per Association, and capacity unit-hours (2,500 persistent connections or
2.22 Mbps each, whichever is higher, averaged over the hour). There is no reserved minimum of
capacity units (unlike Application Gateway v2), so they are a declared usage assumption
(`platform:cost.agcCapacityUnits`) at both the floor and the ceiling.
"""

from __future__ import annotations

from typing import Any

from infra.cost import meters
from infra.cost.lines import HOURS_PER_MONTH, Context, Line
from infra.plan.owners import PLATFORM


def _label(resource: dict[str, Any]) -> str:
    return f"{resource['type']} {resource['name']}"


def price_traffic_controller(r: dict[str, Any], ctx: Context) -> list[Line]:
    label = _label(r)
    name = str(r["inputs"].get("trafficControllerName", r["name"]))
    gateway = ctx.price(meters.AGC_GATEWAY, label)
    units = ctx.price(meters.AGC_CAPACITY_UNIT, label)
    count = ctx.assumptions.agc_capacity_units
    fixed = gateway.unit_price * HOURS_PER_MONTH
    variable = count * units.unit_price * HOURS_PER_MONTH
    return [
        Line(
            PLATFORM,
            f"Application Gateway for Containers {name}",
            label,
            fixed,
            fixed,
            f"1 gateway × {HOURS_PER_MONTH:.0f} h × {gateway.unit_price} per gateway-hour",
            (gateway,),
        ),
        Line(
            PLATFORM,
            f"Application Gateway for Containers {name} capacity units",
            label,
            variable,
            variable,
            f"{count:g} capacity unit(s) assumed on average (platform:cost.agcCapacityUnits) × "
            f"{HOURS_PER_MONTH:.0f} h; 1 unit = 2,500 persistent connections or 2.22 Mbps",
            (units,),
        ),
    ]


def _hourly(r: dict[str, Any], meter: meters.Meter, item: str, note: str, ctx: Context) -> Line:
    price = ctx.price(meter, _label(r))
    monthly = price.unit_price * HOURS_PER_MONTH
    return Line(
        PLATFORM,
        item,
        _label(r),
        monthly,
        monthly,
        f"{HOURS_PER_MONTH:.0f} h × {price.unit_price} per {note}",
        (price,),
    )


def price_association(r: dict[str, Any], ctx: Context) -> Line:
    name = str(r["inputs"].get("associationName", r["name"]))
    return _hourly(
        r,
        meters.AGC_ASSOCIATION,
        f"Application Gateway for Containers association {name}",
        "association-hour (the gateway's delegated subnet)",
        ctx,
    )


def price_frontend(r: dict[str, Any], ctx: Context) -> Line:
    """One per application with public AKS services (one Gateway each), so adding such an
    application adds a frontend-hour x 730."""
    name = str(r["inputs"].get("frontendName", r["name"]))
    return _hourly(
        r,
        meters.AGC_FRONTEND,
        f"Application Gateway for Containers frontend {name}",
        "frontend-hour (one application's public Gateway)",
        ctx,
    )
