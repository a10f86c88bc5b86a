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
    """Every part of the stack total that changed: `platform` (its counted lines) and each
    service's own counted lines (Container Apps, a service's Key Vault reads, ...). These add
    up to `total`."""
    estimated: bool
    """False when neither snapshot carries an estimate (e.g. the local stack)."""
    warnings: tuple[str, ...] = ()
    """The head estimate's missing prices: its figures leave those resources out."""
    shares: tuple[Change, ...] = ()
    """Each AKS service whose pods' share of the nodes changed: already inside `platform`'s
    node pool lines, so not added to the total (a reader sees where the nodes go)."""

    @property
    def changed(self) -> bool:
        return (
            self.total.changed
            or any(s.changed for s in self.services)
            or any(s.changed for s in self.shares)
        )

    def to_json(self) -> dict[str, Any]:
        return {
            "stack": self.stack,
            "currency": self.currency,
            "region": self.region,
            "pricesAsOf": {"base": self.base_as_of, "head": self.head_as_of},
            "total": self.total.to_json(),
            "services": {s.name: s.to_json() for s in self.services},
            "shares": {s.name: s.to_json() for s in self.shares},
            "changed": self.changed,
            "warnings": list(self.warnings),
        }


def _per_service(cost: dict[str, Any] | None) -> tuple[dict[str, Range], dict[str, Range]]:
    """(what each part adds to the stack total, each AKS service's share of the nodes) from the
    estimate's lines: `platform` is its counted lines (its add-on pods' share is inside the
    pool's line too, and not shown here); a service's counted lines are its own resources."""
    added: dict[str, list[dict[str, Any]]] = {}
    shares: dict[str, list[dict[str, Any]]] = {}
    for line in (cost or {}).get("lines", []):
        if line.get("counted", True):
            added.setdefault(str(line["service"]), []).append(line)
        elif line["service"] != PLATFORM:
            shares.setdefault(str(line["service"]), []).append(line)

    def sums(groups: dict[str, list[dict[str, Any]]]) -> dict[str, Range]:
        return {
            name: (
                round(sum(float(x["floor"]) for x in lines), 2),
                round(sum(float(x["ceiling"]) for x in lines), 2),
            )
            for name, lines in groups.items()
        }

    return sums(added), sums(shares)


def _total(cost: dict[str, Any] | None) -> Range | None:
    if not cost:
        return None
    return float(cost["stack"]["floor"]), float(cost["stack"]["ceiling"])


def cost_delta(base: dict[str, Any], head: dict[str, Any]) -> CostDelta:
    before, after = base.get("cost"), head.get("cost")
    (old, old_shares), (new, new_shares) = _per_service(before), _per_service(after)

    def changes(old: dict[str, Range], new: dict[str, Range]) -> tuple[Change, ...]:
        return tuple(
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
        services=changes(old, new),
        estimated=bool(before or after),
        warnings=tuple(str(w) for w in (after or {}).get("warnings", ())),
        shares=changes(old_shares, new_shares),
    )
