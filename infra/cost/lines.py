"""One priced line of an estimate, and the context every resource kind prices through."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from infra.config import CostConfig
from infra.cost.meters import Meter
from infra.cost.sheet import Price, PriceError, PriceSheet
from infra.node_capacity import VmSize
from infra.problems import Problem

HOURS_PER_MONTH = 730.0
"""Azure's pricing pages and calculator bill a month as 730 hours (8,760 / 12)."""
DAYS_PER_MONTH = HOURS_PER_MONTH / 24
SECONDS_PER_MONTH = HOURS_PER_MONTH * 3600
MISSING = "missing"
"""The source of a price the sheet lacks: a line quoting one is left out of the estimate."""


@dataclass(frozen=True)
class Line:
    """What one thing costs per month: floor (minimum replicas/nodes) to ceiling (maximum)."""

    service: str
    """The service it belongs to, or `platform`."""
    item: str
    resource: str
    """`<type> <name>` of the resource in the plan it was priced from."""
    floor: float
    ceiling: float
    assumptions: str
    prices: tuple[Price, ...] = ()
    counted: bool = True
    """False for a service's share of AKS nodes: the node pool line already counts it."""

    def to_json(self) -> dict[str, Any]:
        return {
            "service": self.service,
            "item": self.item,
            "resource": self.resource,
            "floor": fine(self.floor),
            "ceiling": fine(self.ceiling),
            "assumptions": self.assumptions,
            "counted": self.counted,
            "prices": [p.to_json() for p in self.prices],
        }


@dataclass
class Context:
    """The sheet and the assumptions, and every problem met so far (all reported at once)."""

    sheet: PriceSheet
    assumptions: CostConfig
    problems: list[Problem] = field(default_factory=list)

    def price(self, meter: Meter, resource: str, *, free_tier: bool = False) -> Price:
        try:
            return self.sheet.price(meter, free_tier=free_tier)
        except PriceError as error:
            self._problem(resource, meter.key, str(error))
            return Price(meter.key, 0.0, meter.unit, MISSING, "", True)

    def vm_size(self, arm_sku: str, resource: str) -> VmSize | None:
        try:
            return self.sheet.vm_size(arm_sku)
        except PriceError as error:
            self._problem(resource, arm_sku, str(error))
            return None

    def _problem(self, resource: str, value: str, message: str) -> None:
        problem, _, fix = message.partition(" → ")
        entry = Problem(resource, value, problem, fix or "refresh the price sheet")
        if entry not in self.problems:
            self.problems.append(entry)


def money(value: float) -> float:
    """Totals in cents."""
    return round(value, 2)


def fine(value: float) -> float:
    """Lines to a hundredth of a cent, so a small charge (Key Vault reads) never reads as zero."""
    return round(value, 4)
