"""Compare two plan snapshots the way `pulumi preview --diff` reads.

Resources are matched by URN. A resource is created, deleted, updated (with the nested property
paths that changed) or replaced (a changed property forces a new resource); a delete or
replacement of a protected resource is blocked, as `pulumi up` would refuse it.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from infra.preview.replacement import forces_replacement


class Operation(StrEnum):
    CREATE = "create"
    UPDATE = "update"
    REPLACE = "replace"
    DELETE = "delete"


@dataclass(frozen=True)
class PropertyChange:
    path: str
    before: Any
    after: Any
    forces_replacement: bool

    @property
    def kind(self) -> str:
        if self.before is _MISSING:
            return "add"
        if self.after is _MISSING:
            return "remove"
        return "change"


class _Missing:
    def __repr__(self) -> str:
        return "<missing>"


_MISSING: Any = _Missing()


@dataclass(frozen=True)
class ResourceChange:
    urn: str
    type: str
    name: str
    operation: Operation
    service: str
    """The service (or `platform`) the resource belongs to, for grouping."""
    parent: str
    protected: bool
    changes: tuple[PropertyChange, ...] = ()

    @property
    def blocked(self) -> bool:
        """Pulumi refuses to delete a protected resource, and so to replace one."""
        return self.protected and self.operation in (Operation.DELETE, Operation.REPLACE)


@dataclass(frozen=True)
class PlanDiff:
    base_stack: str
    head_stack: str
    changes: tuple[ResourceChange, ...]
    topology_changed: bool
    head_topology: dict[str, Any] = field(default_factory=dict)

    @property
    def empty(self) -> bool:
        return not self.changes

    @property
    def blocked(self) -> tuple[ResourceChange, ...]:
        return tuple(c for c in self.changes if c.blocked)

    def counts(self) -> dict[str, int]:
        counted = Counter(c.operation.value for c in self.changes)
        return {op.value: counted.get(op.value, 0) for op in Operation}

    def by_service(self) -> dict[str, dict[str, int]]:
        result: dict[str, Counter[str]] = {}
        for change in self.changes:
            result.setdefault(change.service, Counter())[change.operation.value] += 1
        return {service: dict(sorted(c.items())) for service, c in sorted(result.items())}


def _walk(before: Any, after: Any, path: str, out: list[tuple[str, Any, Any]]) -> None:
    if isinstance(before, dict) and isinstance(after, dict):
        for key in sorted(set(before) | set(after)):
            child = f"{path}.{key}" if path else str(key)
            _walk(before.get(key, _MISSING), after.get(key, _MISSING), child, out)
        return
    if isinstance(before, list) and isinstance(after, list):
        for index in range(max(len(before), len(after))):
            _walk(
                before[index] if index < len(before) else _MISSING,
                after[index] if index < len(after) else _MISSING,
                f"{path}[{index}]",
                out,
            )
        return
    if before != after or type(before) is not type(after):
        out.append((path, before, after))


def property_changes(
    token: str,
    before: dict[str, Any],
    after: dict[str, Any],
    replace_on_changes: tuple[str, ...] = (),
) -> tuple[PropertyChange, ...]:
    raw: list[tuple[str, Any, Any]] = []
    _walk(before.get("inputs", {}), after.get("inputs", {}), "", raw)
    changes = [
        PropertyChange(p, b, a, forces_replacement(token, p, replace_on_changes)) for p, b, a in raw
    ]
    options: list[tuple[str, Any, Any]] = []
    _walk(before.get("options", {}), after.get("options", {}), "", options)
    changes += [PropertyChange(f"options.{p}", b, a, False) for p, b, a in options]
    return tuple(changes)


def _service_of(urn: str, by_urn: dict[str, dict[str, Any]]) -> str:
    """The nearest `platform:services:*` ancestor's name, else `platform`."""
    current = by_urn.get(urn)
    while current is not None:
        if current["type"].startswith("platform:services:") and not current["type"].endswith(
            ("ApplicationNamespace", "InternalIngress")
        ):
            return str(current["name"])
        current = by_urn.get(current.get("parent", ""))
    return "platform"


def diff(base: dict[str, Any], head: dict[str, Any]) -> PlanDiff:
    before = {r["urn"]: r for r in base.get("resources", [])}
    after = {r["urn"]: r for r in head.get("resources", [])}
    changes: list[ResourceChange] = []
    for urn in sorted(set(before) | set(after)):
        old, new = before.get(urn), after.get(urn)
        if old is None:
            assert new is not None
            changes.append(
                ResourceChange(
                    urn,
                    new["type"],
                    new["name"],
                    Operation.CREATE,
                    _service_of(urn, after),
                    new.get("parent", ""),
                    bool(new.get("options", {}).get("protect")),
                )
            )
            continue
        if new is None:
            changes.append(
                ResourceChange(
                    urn,
                    old["type"],
                    old["name"],
                    Operation.DELETE,
                    _service_of(urn, before),
                    old.get("parent", ""),
                    bool(old.get("options", {}).get("protect")),
                )
            )
            continue
        replace_on = tuple(new.get("options", {}).get("replaceOnChanges", ()))
        props = property_changes(new["type"], old, new, replace_on)
        if old.get("provider", "") != new.get("provider", ""):
            # A resource moved to another provider (cluster, subscription) is created anew there.
            moved = PropertyChange(
                "provider", old.get("provider", ""), new.get("provider", ""), True
            )
            props = (*props, moved)
        if not props:
            continue
        operation = (
            Operation.REPLACE if any(p.forces_replacement for p in props) else Operation.UPDATE
        )
        changes.append(
            ResourceChange(
                urn,
                new["type"],
                new["name"],
                operation,
                _service_of(urn, after),
                new.get("parent", ""),
                bool(old.get("options", {}).get("protect")),
                props,
            )
        )
    topology_before = base.get("topology", {})
    topology_after = head.get("topology", {})
    return PlanDiff(
        str(base.get("stack", "")),
        str(head.get("stack", "")),
        tuple(changes),
        topology_before != topology_after,
        topology_after,
    )


def to_json(result: PlanDiff) -> dict[str, Any]:
    def value(v: Any) -> Any:
        return None if v is _MISSING else v

    return {
        "base": result.base_stack,
        "head": result.head_stack,
        "summary": result.counts(),
        "byService": result.by_service(),
        "blocked": [c.urn for c in result.blocked],
        "topologyChanged": result.topology_changed,
        "changes": [
            {
                "urn": c.urn,
                "type": c.type,
                "name": c.name,
                "operation": c.operation.value,
                "service": c.service,
                "protected": c.protected,
                "blocked": c.blocked,
                "properties": [
                    {
                        "path": p.path,
                        "kind": p.kind,
                        "before": value(p.before),
                        "after": value(p.after),
                        "forcesReplacement": p.forces_replacement,
                    }
                    for p in c.changes
                ],
            }
            for c in result.changes
        ],
    }
