"""How estimates and their deltas read: text for terminals, markdown for pull requests and the
README. Every figure comes with the date of the prices it was computed from."""

from __future__ import annotations

from typing import Any

from infra.cost.across import STACK_SET_KEY
from infra.cost.delta import Change, CostDelta, Range
from infra.plan.owners import PLATFORM

SYMBOLS = {"USD": "$", "EUR": "€", "GBP": "£", "JPY": "¥"}


def money(value: float, currency: str, *, signed: bool = False) -> str:
    symbol = SYMBOLS.get(currency, "")
    if not signed and 0 < abs(value) < 0.005:
        return f"< {symbol}0.01" + ("" if symbol else f" {currency}")
    sign = (
        ("+" if value > 0 else "−" if value < 0 else "±") if signed else ("−" if value < 0 else "")
    )
    text = f"{symbol}{abs(value):,.2f}"
    return f"{sign}{text}" + ("" if symbol else f" {currency}")


def span(value: Range | None, currency: str) -> str:
    if value is None:
        return "—"
    return f"{money(value[0], currency)} – {money(value[1], currency)}"


SHARES_HEADING = "of which inside platform (AKS services' pods' share of the nodes, not added)"
"""Heads the lines that are already inside the platform's node pool lines: every line above it
adds up to the stack total, the lines under it do not add."""


def _service_parts(cost: dict[str, Any]) -> tuple[dict[str, Range], dict[str, Range]]:
    """Per service: (its counted lines, which add to the stack total; its AKS pods' share of the
    nodes, which is inside platform), from the estimate's lines."""
    added: dict[str, Range] = {}
    shares: dict[str, Range] = {}
    for line in cost["lines"]:
        if line["service"] == PLATFORM:
            continue
        into = added if line.get("counted", True) else shares
        low, high = into.get(line["service"], (0.0, 0.0))
        into[line["service"]] = (low + line["floor"], high + line["ceiling"])
    return dict(sorted(added.items())), dict(sorted(shares.items()))


def _total(cost: dict[str, Any]) -> str:
    return span((cost["stack"]["floor"], cost["stack"]["ceiling"]), cost["currency"])


def prices_line(cost: dict[str, Any]) -> str:
    return (
        f"prices as of {cost['pricesAsOf']} ({cost['region']}, {cost['currency']} list prices, "
        f"{cost['priceSheet']}); {cost['hoursPerMonth']:.0f} h/month"
    )


def estimate_text(cost: dict[str, Any], stack: str) -> str:
    currency = cost["currency"]
    lines = [
        f"Monthly cost estimate: {stack}  {_total(cost)}"
        "  (floor at minimum replicas and nodes, ceiling at maximum)",
        f"  {prices_line(cost)}",
    ]
    platform = [line for line in cost["lines"] if line["service"] == "platform"]
    counted = [x for x in platform if x.get("counted", True)]
    if note := set_note(cost):
        lines.append(f"  {note}")
    if platform or not cost.get(STACK_SET_KEY):
        lines.append(
            f"  {'platform (shared)':<24} "
            + span((sum(x["floor"] for x in counted), sum(x["ceiling"] for x in counted)), currency)
        )
    addons = [x for x in platform if not x.get("counted", True)]
    if addons:
        lines.append(
            f"  {'  of which add-on pods':<24} "
            + span((sum(x["floor"] for x in addons), sum(x["ceiling"] for x in addons)), currency)
            + "  (their share of the nodes: "
            + ", ".join(x["item"].split(": ", 1)[-1] for x in addons)
            + ")"
        )
    added, shares = _service_parts(cost)
    for name, value in added.items():
        lines.append(f"  {name:<24} {span(value, currency)}")
    if shares:
        lines.append(f"  {SHARES_HEADING}:")
        for name, value in shares.items():
            lines.append(f"    {name:<22} {span(value, currency)}")
    if cost["notPriced"]:
        lines.append(
            "  not priced: " + ", ".join(f"{n['type']} {n['name']}" for n in cost["notPriced"])
        )
    lines += [f"  warning: {warning}" for warning in cost.get("warnings", ())]
    if cost.get("budget"):
        budget = cost["budget"]
        lines.append(
            f"  budget {money(budget['monthly'], currency)} ({budget['enforcement']}, against the "
            f"{budget['basis']})"
        )
    return "\n".join(lines)


def estimate_markdown(cost: dict[str, Any], stack: str) -> str:
    """The full estimate: totals, per service, every line with its assumptions."""
    currency = cost["currency"]
    out = [
        f"#### `{stack}`: {_total(cost)} per month",
        "",
        f"_{prices_line(cost)}; floor at minimum replicas and nodes, ceiling at maximum._",
        "",
        "| service | item | floor | ceiling | assumptions |",
        "|---|---|---:|---:|---|",
    ]
    if note := set_note(cost):
        out += [f"_{note}_", ""]
    for line in cost["lines"]:
        share = " (share, not added)" if not line["counted"] else ""
        out.append(
            f"| {line['service']} | {line['item']}{share} | {money(line['floor'], currency)} | "
            f"{money(line['ceiling'], currency)} | {line['assumptions']} |"
        )
    out.append(
        f"| **total** | | **{money(cost['stack']['floor'], currency)}** | "
        f"**{money(cost['stack']['ceiling'], currency)}** | |"
    )
    out.append("")
    if cost["notPriced"]:
        out.append(
            "Not priced: " + ", ".join(f"`{n['type']}` {n['name']}" for n in cost["notPriced"])
        )
    out += [f"Warning (not priced): {warning}" for warning in cost.get("warnings", ())]
    out.append("Not estimated: " + "; ".join(cost["notEstimated"]) + ".")
    return "\n".join(out) + "\n"


def set_note(cost: dict[str, Any]) -> str:
    """What an estimate priced with other team stacks says of them; empty for one stack."""
    stack_set = cost.get(STACK_SET_KEY)
    if not stack_set:
        return ""
    platform = stack_set["platform"]
    if stack_set["role"] == "application":
        return (
            f"an application stack on {platform}: its AKS pods' share of the nodes is inside "
            f"{platform}'s node pool line (not added here); the Container Apps free grant is "
            f"taken once, in {platform}'s estimate"
        )
    applications = ", ".join(stack_set["applications"])
    return (
        f"priced with its application stacks {applications}: the user pool's floor counts "
        "their pods, the free grant their Container Apps"
    )


def _sets(documents: dict[str, dict[str, Any]]) -> dict[str, list[tuple[str, dict[str, Any]]]]:
    """The estimates priced as one set, by platform stack (each set's stacks in order)."""
    sets: dict[str, list[tuple[str, dict[str, Any]]]] = {}
    for stack, cost in documents.items():
        if stack_set := cost.get(STACK_SET_KEY):
            sets.setdefault(stack_set["platform"], []).append((stack, cost))
    return sets


def _set_rows(documents: dict[str, dict[str, Any]]) -> list[tuple[str, str, list[str]]]:
    """Per set of team stacks shown in full (the platform and every application stack priced
    with it): (platform, the set's total, each stack's total)."""
    rows: list[tuple[str, str, list[str]]] = []
    for platform, members in _sets(documents).items():
        stack_set = members[0][1][STACK_SET_KEY]
        if {s for s, _ in members} != {platform, *stack_set["applications"]}:
            continue  # only some of the set were asked for: their own figures say it all
        currency = members[0][1]["currency"]
        total = span((stack_set["total"]["floor"], stack_set["total"]["ceiling"]), currency)
        rows.append((platform, total, [f"{s} {_total(c)}" for s, c in members]))
    return rows


def set_text(documents: dict[str, dict[str, Any]]) -> str:
    """The total of each set of team stacks, and what adds up to it."""
    return "\n".join(
        f"Team stacks on {platform}: {total} per month in all = " + " + ".join(parts)
        for platform, total, parts in _set_rows(documents)
    )


def set_markdown(documents: dict[str, dict[str, Any]]) -> str:
    return "\n".join(
        f"**Team stacks on `{platform}`: {total} per month** = " + " + ".join(parts) + "\n"
        for platform, total, parts in _set_rows(documents)
    )


def _change_cells(change: Change, currency: str) -> str:
    low, high = change.delta
    return (
        f"{span(change.before, currency)} | {span(change.after, currency)} | "
        f"{money(low, currency, signed=True)} | {money(high, currency, signed=True)}"
    )


def _as_of(delta: CostDelta) -> str:
    if delta.base_as_of and delta.head_as_of and delta.base_as_of != delta.head_as_of:
        return f"prices as of {delta.base_as_of} (base) and {delta.head_as_of} (head)"
    return f"prices as of {delta.head_as_of or delta.base_as_of}"


def _headline(delta: CostDelta) -> str:
    low, high = delta.total.delta
    c = delta.currency
    text = (
        f"{money(low, c, signed=True)}/month at the floor, "
        f"{money(high, c, signed=True)} at the ceiling"
    )
    # Only parts of the total: a service's share of the nodes is inside platform's figure.
    movers = sorted(
        (s for s in delta.services if s.changed and s.name != PLATFORM),
        key=lambda s: (-abs(s.delta[0]) - abs(s.delta[1]), s.name),
    )
    if movers:
        top = movers[0]
        text += (
            f"; largest service change `{top.name}` {money(top.delta[0], c, signed=True)} floor, "
            f"{money(top.delta[1], c, signed=True)} ceiling"
        )
    return text


def _one_sided(delta: CostDelta) -> str:
    """When one plan has no estimate (made before estimates existed, or a local stack), there
    is nothing to subtract: show what there is, not a delta."""
    side, value = (
        ("base", delta.total.after) if delta.total.before is None else ("head", delta.total.before)
    )
    return (
        f"Monthly cost: `{delta.stack}` {span(value, delta.currency)} ({_as_of(delta)}); "
        f"the {side} plan has no estimate to compare with"
    )


def _warnings_markdown(delta: CostDelta) -> str:
    return "".join(f"> **Not priced**: {w}\n" for w in delta.warnings) + (
        "\n" if delta.warnings else ""
    )


def delta_markdown(delta: CostDelta) -> str:
    """The cost section of a pull-request comment; empty when the estimate did not move (and
    no price was missing)."""
    return _delta_markdown(delta) + _warnings_markdown(delta)


def _delta_markdown(delta: CostDelta) -> str:
    if not delta.estimated:
        return ""
    if delta.total.before is None or delta.total.after is None:
        return f"### {_one_sided(delta)}\n\n"
    if not delta.changed:
        return ""
    c = delta.currency
    out = [
        f"### Monthly cost: `{delta.stack}` {_headline(delta)}",
        "",
        f"_{_as_of(delta)} ({delta.region}, {c} list prices); floor at minimum replicas and "
        "nodes, ceiling at maximum. The rows above the stack total add up to it._",
        "",
        "| | before | after | Δ floor | Δ ceiling |",
        "|---|---|---|---:|---:|",
    ]
    out += [f"| {s.name} | {_change_cells(s, c)} |" for s in delta.services]
    out.append(f"| **stack** | {_change_cells(delta.total, c)} |")
    if delta.shares:
        out.append(f"| _{SHARES_HEADING}_ | | | | |")
        out += [f"| ↳ {s.name} | {_change_cells(s, c)} |" for s in delta.shares]
    return "\n".join(out) + "\n\n"


def delta_text(delta: CostDelta) -> str:
    text = _delta_text(delta)
    return "\n".join([text, *(f"  not priced: {w}" for w in delta.warnings)]).strip("\n")


def _delta_text(delta: CostDelta) -> str:
    if not delta.estimated:
        return ""
    if delta.total.before is None or delta.total.after is None:
        return _one_sided(delta).replace("`", "")
    c = delta.currency
    if not delta.changed:
        after = delta.total.after
        return f"Monthly cost: {delta.stack} unchanged ({span(after, c)}; {_as_of(delta)})"
    out = [f"Monthly cost: {delta.stack} {_headline(delta).replace('`', '')} ({_as_of(delta)})"]

    def row(change: Change, indent: str = "  ", width: int = 24) -> str:
        low, high = change.delta
        return (
            f"{indent}{change.name:<{width}} {span(change.before, c)} → {span(change.after, c)}  "
            f"({money(low, c, signed=True)} floor, {money(high, c, signed=True)} ceiling)"
        )

    out += [row(change) for change in delta.services]
    out.append(row(delta.total))
    if delta.shares:
        out.append(f"  {SHARES_HEADING}:")
        out += [row(change, "    ", 22) for change in delta.shares]
    return "\n".join(out)
