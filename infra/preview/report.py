"""How a plan and a diff read: a coloured tree for terminals, markdown for pull requests.

Fixed prefixes as in Pulumi's display: `+ ` create, `- ` delete, `~ ` update, `+-` replace;
colour is a separate layer (rich), off for non-terminals and when NO_COLOR is set.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Any

from rich.console import Console
from rich.text import Text
from rich.tree import Tree

from infra.preview.changes import Operation, PropertyChange, ResourceChange
from infra.preview.diff import PlanDiff, plain_value
from infra.preview.topology import mermaid, traffic_lines

PREFIX = {
    Operation.CREATE: "+ ",
    Operation.DELETE: "- ",
    Operation.UPDATE: "~ ",
    Operation.REPLACE: "+-",
}
STYLE = {
    Operation.CREATE: "green",
    Operation.DELETE: "red",
    Operation.UPDATE: "yellow",
    Operation.REPLACE: "magenta",
}
MAX_VALUE = 120


def _value(value: Any) -> str:
    if value.__class__.__name__ == "_Missing":
        return "(none)"
    plain = plain_value(value)
    if plain in ("output<string>", "[secret]"):
        return str(plain)  # unquoted, as `pulumi preview --diff` prints them
    text = json.dumps(plain, sort_keys=True, ensure_ascii=False)
    return text if len(text) <= MAX_VALUE else text[: MAX_VALUE - 1] + "…"


def _property_line(change: PropertyChange) -> str:
    mark = " (forces replacement)" if change.forces_replacement else ""
    if change.kind == "add":
        return f"+ {change.path}: {_value(change.after)}{mark}"
    if change.kind == "remove":
        return f"- {change.path}: {_value(change.before)}{mark}"
    return f"~ {change.path}: {_value(change.before)} => {_value(change.after)}{mark}"


def plan_tree(snapshot: dict[str, Any]) -> Tree:
    """Every resource of a plan under its component, as Pulumi shows a first `up`."""
    resources = snapshot["resources"]
    by_urn = {r["urn"]: r for r in resources}
    children: dict[str, list[dict[str, Any]]] = {}
    for r in sorted(resources, key=lambda r: (r["type"], r["name"])):
        children.setdefault(r["parent"], []).append(r)
    root = Tree(
        Text(
            f"{snapshot['project']}-{snapshot['stack']}  ({len(resources)} resources)", style="bold"
        )
    )

    def add(node: Tree, parent: str) -> None:
        for r in children.get(parent, []):
            label = Text("+ ", style="green")
            label.append(f"{r['type']}  ", style="dim")
            label.append(r["name"])
            if r.get("options", {}).get("protect"):
                label.append("  [protected]", style="cyan")
            add(node.add(label), r["urn"])

    for parent in sorted(p for p in children if p not in by_urn):
        add(root, parent)
    return root


def print_plan(snapshot: dict[str, Any], console: Console) -> None:
    console.print(plan_tree(snapshot))
    counts: dict[str, int] = {}
    for r in snapshot["resources"]:
        kind = "components" if not r.get("custom") else r["type"].split(":")[0]
        counts[kind] = counts.get(kind, 0) + 1
    console.print("Resources:")
    console.print(
        f"    + {len(snapshot['resources'])} to create ("
        + ", ".join(f"{v} {k}" for k, v in sorted(counts.items()))
        + ")"
    )
    if snapshot.get("outputs"):
        console.print("Outputs:")
        for key, value in snapshot["outputs"].items():
            console.print(f"    {key}: {value}", markup=False)


def _summary(result: PlanDiff) -> str:
    counts = result.counts()
    parts = [
        f"{PREFIX[op].strip()} {counts[op.value]} to {op.value}"
        for op in Operation
        if counts[op.value]
    ]
    return ", ".join(parts) if parts else "no changes"


def _protect_lines(result: PlanDiff) -> list[str]:
    """Protection toggled: no step, yet `pulumi preview` shows it (`[protect: a => b]`)."""
    return [
        f"   {c.type} {c.name}  [protect: {str(c.before).lower()} => {str(c.after).lower()}]"
        for c in result.protect_changes
    ]


def _move_markdown(result: PlanDiff) -> list[str]:
    """Each target move as a quoted note above the table (it explains the deletes below)."""
    out: list[str] = []
    for move in result.moves:
        first, *rest = move.lines()
        out += [f"> **{first}**", *(f"> {line.strip()}  " for line in rest), ""]
    return out


def _parents(urn: str) -> str:
    """The parent types of a URN, as its qualified type shows them (`A$B$type`)."""
    chain = urn.split("::")[2].split("$")[:-1]
    return "$".join(t.rsplit(":", 1)[-1] for t in chain) or "stack"


def _alias_lines(result: PlanDiff) -> list[str]:
    """Resources matched through an alias: the engine keeps them (a same or an update), so they
    read as kept, never as deleted and created."""
    return [
        f"   {new.rsplit('::', 2)[-2].split('$')[-1]} {new.rsplit('::', 1)[-1]}  "
        f"[alias: kept, {_parents(old)} => {_parents(new)}]"
        for old, new in result.aliased
    ]


def print_diff(result: PlanDiff, console: Console) -> None:
    for line in _protect_lines(result):
        console.print(line, markup=False)
    for line in _alias_lines(result):
        console.print(line, markup=False)
    for move in result.moves:
        console.print(Text("\n".join(move.lines()), style="bold"))
    if result.empty:
        console.print(f"{result.head_stack}: no changes")
        return
    root = Tree(Text(f"{result.base_stack} → {result.head_stack}", style="bold"))
    for service, changes in _group(result.changes):
        node = root.add(Text(service, style="bold"))
        for change in changes:
            label = Text(PREFIX[change.operation], style=STYLE[change.operation])
            label.append(f" {change.type}  ", style="dim")
            label.append(change.name)
            if change.blocked:
                label.append(
                    f"  BLOCKED: protected resource would be {change.operation.value}d",
                    style="bold red",
                )
            elif change.protected:
                label.append("  [protected]", style="cyan")
            leaf = node.add(label)
            for prop in change.changes:
                leaf.add(Text(_property_line(prop), style=STYLE[change.operation]))
    console.print(root)
    traffic = traffic_lines(result.head_topology)
    if traffic:
        console.print("Traffic splits (canary releases):")
        for line in traffic:
            console.print(f"    {line}", markup=False)
    console.print("Resources:")
    for op in Operation:
        count = result.counts()[op.value]
        if count:
            console.print(Text(f"    {PREFIX[op]} {count} to {op.value}", style=STYLE[op]))
    if result.blocked:
        console.print(Text(f"    {len(result.blocked)} blocked by protection", style="bold red"))


def _group(changes: Iterable[ResourceChange]) -> list[tuple[str, list[ResourceChange]]]:
    groups: dict[str, list[ResourceChange]] = {}
    for change in changes:
        groups.setdefault(change.service, []).append(change)
    return sorted(groups.items(), key=lambda item: (item[0] != "platform", item[0]))


def markdown(result: PlanDiff) -> str:
    """A pull-request comment; empty when nothing changed (so no comment is posted)."""
    protect = _protect_lines(result)
    kept = _alias_lines(result)
    if result.empty and not protect and not kept:
        return ""
    if result.empty:
        return "\n".join(
            [f"### Offline plan: `{result.head_stack}`", "", "```", *protect, *kept, "```", ""]
        )
    counts = result.counts()
    lines = [
        f"### Offline plan: `{result.head_stack}`",
        "",
        f"**{_summary(result)}**"
        + (f" — ⛔ {len(result.blocked)} blocked by protection" if result.blocked else ""),
        "",
        *_move_markdown(result),
        "| | create | update | replace | delete |",
        "|---|---:|---:|---:|---:|",
        "| **total** | " + " | ".join(str(counts[op.value]) for op in Operation) + " |",
    ]
    for service, per in result.by_service().items():
        cells = " | ".join(str(per.get(op.value, 0)) for op in Operation)
        lines.append(f"| {service} | {cells} |")
    lines.append("")
    for service, changes in _group(result.changes):
        lines += [
            "<details>",
            f"<summary><b>{service}</b> ({len(changes)} changes)</summary>",
            "",
            "```diff",
        ]
        for change in changes:
            flag = "  # BLOCKED: protected" if change.blocked else ""
            lines.append(f"{PREFIX[change.operation]} {change.type} {change.name}{flag}")
            lines.extend(f"    {_property_line(p)}" for p in change.changes)
        lines += ["```", "</details>", ""]
    if protect:
        lines += ["Protection changes (no step):", "", "```", *protect, "```", ""]
    if kept:
        lines += ["Kept through an alias (no delete, no create):", "", "```", *kept, "```", ""]
    traffic = traffic_lines(result.head_topology)
    if traffic:
        lines += ["**Traffic splits (canary releases)**", "", *(f"- {t}" for t in traffic), ""]
    if result.topology_changed and result.head_topology:
        lines += [
            "<details open>",
            "<summary><b>Topology changed</b></summary>",
            "",
            "```mermaid",
            mermaid(result.head_topology).rstrip(),
            "```",
            "</details>",
            "",
        ]
    return "\n".join(lines)
