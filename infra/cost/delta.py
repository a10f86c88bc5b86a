"""What a change does to the monthly estimate: per service and per stack, before → after."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from infra.plan.owners import PLATFORM

Range = tuple[float, float]


@dataclass(frozen=True)
class Change:
    name: str
    before: Range | None
    """None: not in the base plan (or the base had no estimate)."""
    after: Range | None

    @property
    def delta(self) -> Range:
        low0, high0 = self.before or (0.0, 0.0)
        low1, high1 = self.after or (0.0, 0.0)
        return round(low1 - low0, 2), round(high1 - high0, 2)

    @property
    def changed(self) -> bool:
        return self.delta != (0.0, 0.0)

    def to_json(self) -> dict[str, Any]:
        def side(value: Range | None) -> dict[str, float] | None:
            return None if value is None else {"floor": value[0], "ceiling": value[1]}

        return {
            "before": side(self.before),
            "after": side(self.after),
            "delta": {"floor": self.delta[0], "ceiling": self.delta[1]},
        }


@dataclass(frozen=True)
class CostDelta:
    stack: str
    currency: str
    base_as_of: str
    head_as_of: str
    region: str
    total: Change
    services: tuple[Change, ...]
    """Every service whose estimate changed (and `platform` for the shared resources)."""
    estimated: bool
    """False when neither snapshot carries an estimate (e.g. the local stack)."""
    warnings: tuple[str, ...] = ()
    """The head estimate's missing prices: its figures leave those resources out."""

    @property
    def changed(self) -> bool:
        return self.total.changed or any(s.changed for s in self.services)

    def to_json(self) -> dict[str, Any]:
        return {
            "stack": self.stack,
            "currency": self.currency,
            "region": self.region,
            "pricesAsOf": {"base": self.base_as_of, "head": self.head_as_of},
            "total": self.total.to_json(),
            "services": {s.name: s.to_json() for s in self.services},
            "changed": self.changed,
            "warnings": list(self.warnings),
        }


def _per_service(cost: dict[str, Any] | None) -> dict[str, Range]:
    if not cost:
        return {}
    found = {
        name: (float(v["floor"]), float(v["ceiling"]))
        for name, v in (cost.get("services") or {}).items()
    }
    # Platform add-ons' share of the nodes (not counted) is already inside the pool's line.
    platform = [
        line
        for line in cost.get("lines", [])
        if line["service"] == PLATFORM and line.get("counted", True)
    ]
    if platform:
        found[PLATFORM] = (
            round(sum(float(line["floor"]) for line in platform), 2),
            round(sum(float(line["ceiling"]) for line in platform), 2),
        )
    return found


def _total(cost: dict[str, Any] | None) -> Range | None:
    if not cost:
        return None
    return float(cost["stack"]["floor"]), float(cost["stack"]["ceiling"])


def cost_delta(base: dict[str, Any], head: dict[str, Any]) -> CostDelta:
    before, after = base.get("cost"), head.get("cost")
    old, new = _per_service(before), _per_service(after)
    changes = tuple(
        change
        for name in sorted(set(old) | set(new), key=lambda n: (n != PLATFORM, n))
        if (change := Change(name, old.get(name), new.get(name))).changed
    )
    reference = after or before or {}
    return CostDelta(
        stack=str(head.get("stack") or base.get("stack") or ""),
        currency=str(reference.get("currency", "")),
        base_as_of=str((before or {}).get("pricesAsOf", "")),
        head_as_of=str((after or {}).get("pricesAsOf", "")),
        region=str(reference.get("region", "")),
        total=Change("stack", _total(before), _total(after)),
        services=changes,
        estimated=bool(before or after),
        warnings=tuple(str(w) for w in (after or {}).get("warnings", ())),
    )
