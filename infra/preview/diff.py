"""Compare two plan snapshots the way `pulumi preview --diff` decides and reads.

Resources are matched by URN. The decisions follow the engine (`pkg/resource/deploy/
step_generator.go`) and the providers (see `replacement`):

- A step comes from the provider's diff of *inputs* (after `ignoreChanges`) or from a changed
  provider reference; options alone (`dependsOn`, `protect`, ...) change no step.
- A changed property the provider marks replace-on-change (or a `replaceOnChanges` option path)
  replaces the resource; a replaced provider replaces every resource it manages.
- Replacements cascade: a created or replaced resource's outputs are unknown in a real preview,
  and an updated azure-native resource's computed outputs too, so every input recorded as reading
  them (the snapshot's `reads`) is unknown (`output<string>`) and is a change; where that input
  forces replacement, the dependent is replaced in turn, until nothing more changes.
- Secrets are compared by the digest recorded for stack-file secrets (never by value) and shown
  as `[secret]`.
- A protected resource that would be deleted, or replaced while still protected, is blocked.
- A resource is matched to an old URN through the program's aliases (the snapshot's
  `aliases`), as the engine matches them: an aliased resource is the old one under a new URN, a
  same or an update, never a delete and a create.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from infra.plan.kinds import is_azure
from infra.plan.owners import service_of_recorded
from infra.plan.paths import value_at
from infra.preview.changes import (
    MISSING,
    UNKNOWN,
    Operation,
    PropertyChange,
    ResourceChange,
    SecretValue,
)
from infra.preview.moves import TargetMove, target_moves
from infra.preview.replacement import (
    ChangeKind,
    PathKey,
    dotted,
    forces_replacement,
    provider_replaced,
    stable_on_update,
)


@dataclass(frozen=True)
class ProtectChange:
    """`protect` toggled on a resource: no step (the engine writes it to state with a "same"
    step), but `pulumi preview` still shows the row (display's `shouldShow`)."""

    urn: str
    type: str
    name: str
    before: bool
    after: bool


@dataclass(frozen=True)
class PlanDiff:
    base_stack: str
    head_stack: str
    changes: tuple[ResourceChange, ...]
    topology_changed: bool
    head_topology: dict[str, Any] = field(default_factory=dict)
    protect_changes: tuple[ProtectChange, ...] = ()
    moves: tuple[TargetMove, ...] = ()
    """Services that moved between targets (AKS ↔ Container Apps), with what that means."""
    aliased: tuple[tuple[str, str], ...] = ()
    """(old URN, new URN) of each resource matched through an alias: the same cloud resource
    under a new name or parent (its changes, if any, are among `changes`)."""

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


Raw = tuple[PathKey, Any, Any, ChangeKind]


# Keys that name a list item in Kubernetes and Azure inputs (containers, env, ports, volumes,
# mounts, rules, listeners), in the order they are tried.
_ITEM_KEYS = ("name", "key", "mountPath", "containerPort", "port", "path")


def _walk(
    before: Any, after: Any, path: PathKey, out: list[Raw], *, by_identity: bool = False
) -> None:
    """The changes between two input trees. Lists compare item by item at the same index, as
    the providers' diffs do; with `by_identity`, items are matched by what they are instead
    (`_identities`), so one added item reads as one addition, not as every later item changed."""
    if after is UNKNOWN:
        out.append((path, before, after, ChangeKind.UPDATE))
        return
    if isinstance(before, dict) and isinstance(after, dict):
        for key in sorted(set(before) | set(after)):
            if key not in before:
                out.append(((*path, key), MISSING, after[key], ChangeKind.ADD))
            elif key not in after:
                out.append(((*path, key), before[key], MISSING, ChangeKind.REMOVE))
            else:
                _walk(before[key], after[key], (*path, key), out, by_identity=by_identity)
        return
    if isinstance(before, list) and isinstance(after, list):
        pairs = _identities(before, after) if by_identity else None
        if pairs is not None:
            _walk_matched(before, after, path, out, pairs)
            return
        for index in range(max(len(before), len(after))):
            if index >= len(before):
                out.append(((*path, index), MISSING, after[index], ChangeKind.ADD_ITEM))
            elif index >= len(after):
                out.append(((*path, index), before[index], MISSING, ChangeKind.REMOVE_ITEM))
            else:
                _walk(before[index], after[index], (*path, index), out, by_identity=by_identity)
        return
    if before != after or type(before) is not type(after):
        out.append((path, before, after, ChangeKind.UPDATE))


def _identities(before: list[Any], after: list[Any]) -> list[tuple[int | None, int | None]] | None:
    """Pairs of (before index, after index) matching list items by identity, for reading.

    Items with a name (the first of `_ITEM_KEYS` that every item of both lists has, unique in
    each) are matched by it. Otherwise equal items are matched first, in order, and the rest are
    paired by position when as many are left on each side (a changed item reads as a change
    inside it), else read as removed and added. None for lists holding unknowns or secrets
    (compared by index)."""
    items = [*before, *after]
    if not items or any(x is UNKNOWN or isinstance(x, SecretValue) for x in items):
        return None

    def text(value: Any) -> str:
        return json.dumps(value, sort_keys=True, default=repr)

    if all(isinstance(x, dict) for x in items):
        for key in _ITEM_KEYS:
            if all(key in x for x in items):
                old_keys = [text(x[key]) for x in before]
                new_keys = [text(x[key]) for x in after]
                if len(set(old_keys)) == len(old_keys) and len(set(new_keys)) == len(new_keys):
                    where = {k: i for i, k in enumerate(old_keys)}
                    pairs: list[tuple[int | None, int | None]] = [
                        (where.get(k), i) for i, k in enumerate(new_keys)
                    ]
                    kept = set(new_keys)
                    pairs += [(i, None) for i, k in enumerate(old_keys) if k not in kept]
                    return pairs
                break
    waiting: dict[str, list[int]] = {}
    for index, item in enumerate(before):
        waiting.setdefault(text(item), []).append(index)
    matched: dict[int, int] = {}
    for index, item in enumerate(after):
        same = waiting.get(text(item))
        if same:
            matched[index] = same.pop(0)
    left_old = sorted(i for rest in waiting.values() for i in rest)
    left_new = [i for i in range(len(after)) if i not in matched]
    if len(left_old) == len(left_new):
        matched.update(zip(left_new, left_old, strict=True))
        left_old = []
    pairs = [(matched.get(i), i) for i in range(len(after))]
    pairs += [(i, None) for i in left_old]
    return pairs


def _walk_matched(
    before: list[Any],
    after: list[Any],
    path: PathKey,
    out: list[Raw],
    pairs: list[tuple[int | None, int | None]],
) -> None:
    """Changes of lists whose items were matched by identity: additions, removals and the
    changes inside matched items; a pure reordering is one change of the whole list (the
    provider still sees every moved index change)."""
    start = len(out)
    for old, new in pairs:
        if old is None and new is not None:
            out.append(((*path, new), MISSING, after[new], ChangeKind.ADD_ITEM))
        elif new is None and old is not None:
            out.append(((*path, old), before[old], MISSING, ChangeKind.REMOVE_ITEM))
        elif old is not None and new is not None:
            _walk(before[old], after[new], (*path, new), out, by_identity=True)
    if len(out) == start and before != after:
        out.append((path, before, after, ChangeKind.UPDATE))


def _with(value: Any, path: PathKey, replacement: Any) -> Any:
    """`value` with `path` set to `replacement` (copies along the path only)."""
    if not path:
        return replacement
    head, rest = path[0], path[1:]
    if isinstance(value, dict) and head in value:
        return {**value, head: _with(value[head], rest, replacement)}
    if isinstance(value, list) and isinstance(head, int) and head < len(value):
        return [*value[:head], _with(value[head], rest, replacement), *value[head + 1 :]]
    return value


def _key(path: list[Any]) -> PathKey:
    return tuple(path)


def _inputs(resource: Mapping[str, Any], unknown: Iterable[PathKey] = ()) -> dict[str, Any]:
    """A resource's inputs as the engine compares them: stack-file secrets as digests, and the
    given paths unknown."""
    inputs: Any = resource.get("inputs", {})
    for secret in resource.get("secrets", ()):
        inputs = _with(inputs, _key(secret["path"]), SecretValue(str(secret["digest"])))
    for path in unknown:
        inputs = _with(inputs, path, UNKNOWN)
    return dict(inputs)


def _ignored(path: PathKey, ignore_changes: Iterable[str]) -> bool:
    text = dotted(path)
    return any(text == p or text.startswith((f"{p}.", f"{p}[")) for p in ignore_changes)


def _same_location(raw: Raw) -> bool:
    """azure-native compares a top-level `location` ignoring case and spaces."""
    path, before, after, _ = raw
    if path != ("location",) or not isinstance(before, str) or not isinstance(after, str):
        return False
    return before.replace(" ", "").lower() == after.replace(" ", "").lower()


def property_changes(
    token: str,
    before: dict[str, Any],
    after: dict[str, Any],
    *,
    unknown: Iterable[PathKey] = (),
    provider_inputs: Mapping[str, Any] | None = None,
) -> tuple[PropertyChange, ...]:
    """What the provider's diff reports for one resource present in both plans."""
    old, new = _inputs(before), _inputs(after, unknown)
    options = after.get("options", {})
    ignore = options.get("ignoreChanges", ())
    azure = is_azure(token)

    def walked(*, by_identity: bool) -> list[Raw]:
        raw: list[Raw] = []
        _walk(old, new, (), raw, by_identity=by_identity)
        return [r for r in raw if not _ignored(r[0], ignore) and not (azure and _same_location(r))]

    raw = walked(by_identity=False)
    if token.startswith("pulumi:providers:"):
        unknown_keys = {str(p[0]) for p, _, a, _ in raw if a is UNKNOWN and len(p) == 1}
        replacing = set(provider_replaced(token, old, new, unknown_keys))
        return tuple(PropertyChange(dotted(p), b, a, str(p[0]) in replacing) for p, b, a, _ in raw)
    replace_on = tuple(options.get("replaceOnChanges", ()))

    def changes(found: list[Raw]) -> tuple[PropertyChange, ...]:
        return tuple(
            PropertyChange(
                dotted(p),
                b,
                a,
                forces_replacement(
                    token,
                    p,
                    kind,
                    inputs=new,
                    provider_inputs=provider_inputs,
                    replace_on_changes=replace_on,
                ),
            )
            for p, b, a, kind in found
        )

    by_index = changes(raw)
    if not any(isinstance(part, int) for p, *_ in raw for part in p):
        return by_index
    # Lists changed: show them item by identity, as a reader thinks of them. The provider
    # compares by index, so the step (update or replace) is still decided on `by_index`; where
    # the two would disagree, the provider's view is shown.
    by_identity = changes(walked(by_identity=True))
    replaces = any(c.forces_replacement for c in by_index)
    if replaces != any(c.forces_replacement for c in by_identity):
        return by_index
    return by_identity


def _unknown_reads(
    resource: Mapping[str, Any],
    unknown_outputs: set[str],
    volatile: Mapping[str, tuple[str, ...]],
) -> list[PathKey]:
    """The input paths of `resource` that read an output a real preview does not know: any
    output of a created or replaced resource, a computed output of an updated one."""
    inputs = resource.get("inputs", {})
    paths: list[PathKey] = []
    for read in resource.get("reads", ()):
        sources = read["from"]
        path = _key(read["path"])
        if any(source in unknown_outputs for source in sources):
            paths.append(path)
            continue
        changing = [v for source in sources for v in volatile.get(source, ())]
        if changing:
            value = value_at(inputs, path)
            text = value if isinstance(value, str) else json.dumps(value, sort_keys=True)
            if any(v in text for v in changing):
                paths.append(path)
    return paths


def _volatile(resource: Mapping[str, Any]) -> tuple[str, ...]:
    """The computed outputs of a resource that its update makes unknown in a preview."""
    token = str(resource["type"])
    return tuple(
        str(c["value"])
        for c in resource.get("computed", ())
        if len(str(c["value"])) >= 4 and not stable_on_update(token, _key(c["path"]))
    )


def _aliased(
    before: Mapping[str, dict[str, Any]], after: Mapping[str, dict[str, Any]]
) -> dict[str, str]:
    """New URN -> old URN for each resource of `after` found in `before` through one of its
    aliases (the engine's `step_generator.go` looks a new URN's aliases up in the old state when
    the URN itself is not there; an old URN the new program still registers is not an alias's)."""
    found: dict[str, str] = {}
    claimed: set[str] = set()
    for urn in sorted(set(after) - set(before)):
        for alias in after[urn].get("aliases", ()):
            if alias in before and alias not in after and alias not in claimed:
                found[urn] = alias
                claimed.add(alias)
                break
    return found


def _steps(
    before: Mapping[str, dict[str, Any]],
    after: Mapping[str, dict[str, Any]],
    unknown_outputs: set[str],
    updated: set[str],
    renamed: Mapping[str, str] | None = None,
) -> dict[str, tuple[Operation, tuple[PropertyChange, ...]]]:
    """One pass of the step generator over the resources in both plans (`before` keyed by the
    new URN of an aliased resource; `renamed` maps an old URN to its new one)."""
    renamed = renamed or {}
    volatile = {urn: _volatile(after[urn]) for urn in updated}
    steps: dict[str, tuple[Operation, tuple[PropertyChange, ...]]] = {}
    for urn in sorted(set(before) & set(after)):
        old, new = before[urn], after[urn]
        provider = str(new.get("provider", ""))
        old_provider = str(old.get("provider", ""))
        if old_provider in renamed:  # an aliased provider is the same provider
            old = {**old, "provider": renamed[old_provider]}
        props = property_changes(
            str(new["type"]),
            old,
            new,
            unknown=_unknown_reads(new, unknown_outputs, volatile),
            provider_inputs=after.get(provider, {}).get("inputs", {}),
        )
        custom = bool(new.get("custom", True))
        if custom and (old.get("provider", "") != provider or provider in unknown_outputs):
            # A different provider, or the same one replaced (its reference's id is unknown):
            # the engine replaces a custom resource without asking the provider
            # (`providerChanged`); components have no provider of their own.
            moved = PropertyChange(
                "provider",
                old.get("provider", ""),
                UNKNOWN if provider in unknown_outputs else provider,
                True,
            )
            props = (*props, moved)
        if not props:
            continue
        replace = any(p.forces_replacement for p in props)
        steps[urn] = (Operation.REPLACE if replace else Operation.UPDATE, props)
    return steps


def diff(base: dict[str, Any], head: dict[str, Any]) -> PlanDiff:
    recorded = {r["urn"]: r for r in base.get("resources", [])}
    after = {r["urn"]: r for r in head.get("resources", [])}
    aliased = _aliased(recorded, after)
    renamed = {old: new for new, old in aliased.items()}
    # The old plan keyed as the engine pairs it: an aliased resource under its new URN.
    before: dict[str, dict[str, Any]] = {
        renamed.get(str(urn), str(urn)): r for urn, r in recorded.items()
    }
    created = set(after) - set(before)
    # Iterate to a fixed point: each pass can only add unknowns, so replacements and updates
    # only grow; at most one pass per resource.
    unknown_outputs, updated = set(created), set[str]()
    steps = _steps(before, after, unknown_outputs, updated, renamed)
    for _ in range(len(after) + 1):
        replaced = {u for u, (op, _) in steps.items() if op is Operation.REPLACE}
        now_updated = {u for u, (op, _) in steps.items() if op is Operation.UPDATE}
        if created | replaced == unknown_outputs and now_updated == updated:
            break
        unknown_outputs, updated = created | replaced, now_updated
        steps = _steps(before, after, unknown_outputs, updated, renamed)
    changes: list[ResourceChange] = []
    protect_changes: list[ProtectChange] = []
    for urn in sorted(set(before) | set(after)):
        old, new = before.get(urn), after.get(urn)
        if old is not None and new is not None:
            was_protected = bool(old.get("options", {}).get("protect"))
            is_protected = bool(new.get("options", {}).get("protect"))
            if was_protected != is_protected:
                protect_changes.append(
                    ProtectChange(urn, new["type"], new["name"], was_protected, is_protected)
                )
        if old is None:
            assert new is not None
            changes.append(
                ResourceChange(
                    urn,
                    new["type"],
                    new["name"],
                    Operation.CREATE,
                    service_of_recorded(after[urn], after),
                    new.get("parent", ""),
                    bool(new.get("options", {}).get("protect")),
                )
            )
        elif new is None:
            protected = bool(old.get("options", {}).get("protect"))
            changes.append(
                ResourceChange(
                    urn,
                    old["type"],
                    old["name"],
                    Operation.DELETE,
                    service_of_recorded(before[urn], recorded),
                    old.get("parent", ""),
                    protected,
                    blocked=protected,
                )
            )
        elif urn in steps:
            operation, props = steps[urn]
            was = bool(old.get("options", {}).get("protect"))
            still = bool(new.get("options", {}).get("protect"))
            changes.append(
                ResourceChange(
                    urn,
                    new["type"],
                    new["name"],
                    operation,
                    service_of_recorded(after[urn], after),
                    new.get("parent", ""),
                    was,
                    props,
                    # Unprotecting and replacing in one update is allowed (step_generator.go).
                    blocked=operation is Operation.REPLACE and was and still,
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
        tuple(protect_changes),
        target_moves(base, head, changes),
        tuple(sorted((old, new) for new, old in aliased.items())),
    )


def plain_value(value: Any) -> Any:
    """A diff value as JSON: unknowns and secrets as `pulumi preview` prints them."""
    if value is MISSING:
        return None
    if value is UNKNOWN:
        return "output<string>"
    if isinstance(value, SecretValue):
        return "[secret]"
    if isinstance(value, dict):
        return {k: plain_value(v) for k, v in value.items()}
    if isinstance(value, list):
        return [plain_value(v) for v in value]
    return value


def to_json(result: PlanDiff) -> dict[str, Any]:
    value = plain_value
    return {
        "base": result.base_stack,
        "head": result.head_stack,
        "summary": result.counts(),
        "byService": result.by_service(),
        "blocked": [c.urn for c in result.blocked],
        "topologyChanged": result.topology_changed,
        "aliased": [{"from": old, "to": new} for old, new in result.aliased],
        "moves": [
            {
                "service": m.service,
                "from": m.before,
                "to": m.after,
                "host": m.host,
                "callers": [{"caller": c, "before": b, "after": a} for c, b, a in m.callers],
                "records": list(m.records),
                "needed": list(m.needs),
            }
            for m in result.moves
        ],
        "protectChanges": [
            {"urn": c.urn, "type": c.type, "name": c.name, "before": c.before, "after": c.after}
            for c in result.protect_changes
        ],
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
                        "unknown": p.unknown,
                    }
                    for p in c.changes
                ],
            }
            for c in result.changes
        ],
    }
