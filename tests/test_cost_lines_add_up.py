"""The cost lines a reader adds up add up: every printed line above the stack total is a part
of it, and the AKS services' share of the nodes (already inside the platform's node pool lines)
is printed apart, under a heading that says it is not added."""

from __future__ import annotations

import dataclasses
import re
from typing import Any

import pytest

from infra.cost.delta import cost_delta
from infra.cost.report import SHARES_HEADING, delta_markdown, delta_text, estimate_text
from tests.preview_edits import plan, service, spec

MONEY = r"([+−±]?)\$([\d,]+\.\d\d)"
CENT = 0.01


def _amount(sign: str, digits: str) -> float:
    value = float(digits.replace(",", ""))
    return -value if sign == "−" else value


@pytest.fixture(scope="module")
def plans() -> tuple[dict[str, Any], dict[str, Any]]:
    """dev, and dev with one more replica of an AKS service (catalog-api: a share of the nodes)
    and of a Container Apps service (web: its own lines)."""

    def more(name: str) -> Any:
        scaling = spec(name).autoscaling
        assert scaling is not None
        return service(
            name, autoscaling=dataclasses.replace(scaling, min_replicas=scaling.min_replicas + 1)
        )

    def both(apps: Any) -> Any:
        return more("web")(more("catalog-api")(apps))

    return plan("dev"), plan("dev", apps=both)


def _parts(lines: list[str]) -> tuple[list[tuple[float, float]], list[str]]:
    """(the Δ floor and Δ ceiling of each additive row, the names under the shares heading)."""
    row = re.compile(rf"^  (\S.*?)\s{{2,}}.*\({MONEY} floor, {MONEY} ceiling\)$")
    heading = lines.index(f"  {SHARES_HEADING}:") if f"  {SHARES_HEADING}:" in lines else None
    added = [row.match(x) for x in lines[1:heading]]
    shares = [x.split()[0] for x in lines[heading + 1 :]] if heading is not None else []
    return (
        [(_amount(m[2], m[3]), _amount(m[4], m[5])) for m in added if m and m[1] != "stack"],
        shares,
    )


def test_the_delta_lines_above_the_total_sum_to_it(
    plans: tuple[dict[str, Any], dict[str, Any]],
) -> None:
    base, head = plans
    delta = cost_delta(base, head)
    lines = delta_text(delta).splitlines()
    (stack,) = [x for x in lines if x.startswith("  stack ")]
    total = [_amount(m[0], m[1]) for m in re.findall(MONEY, stack.split("(")[-1])]
    parts, shares = _parts(lines)
    assert len(parts) >= 2, lines
    for index in (0, 1):
        added = sum(p[index] for p in parts)
        assert abs(added - total[index]) <= CENT * len(parts), (lines, added, total)
    # The AKS service's extra pod moves no node: its share is shown apart, not added.
    assert shares == ["catalog-api"], lines
    # The headline names a part of the total, not a share inside it.
    assert "largest service change web +$" in lines[0], lines[0]


def test_the_pull_request_table_rows_above_the_total_sum_to_it(
    plans: tuple[dict[str, Any], dict[str, Any]],
) -> None:
    base, head = plans
    rows = [r for r in delta_markdown(cost_delta(base, head)).splitlines() if r.startswith("| ")]
    stack = next(i for i, r in enumerate(rows) if r.startswith("| **stack**"))

    def floor_delta(row: str) -> float:
        cell = row.split(" | ")[3]
        (match,) = re.findall(MONEY, cell)
        return _amount(*match)

    parts = [floor_delta(r) for r in rows[1:stack]]
    assert abs(sum(parts) - floor_delta(rows[stack])) <= CENT * len(parts)
    assert any(SHARES_HEADING in r for r in rows[stack + 1 :])
    assert any(r.startswith("| ↳ catalog-api |") for r in rows[stack + 1 :])


def test_the_estimate_lines_above_the_shares_sum_to_the_stack_total(
    plans: tuple[dict[str, Any], dict[str, Any]],
) -> None:
    cost = plans[0]["cost"]
    lines = estimate_text(cost, "dev").splitlines()
    heading = lines.index(f"  {SHARES_HEADING}:")
    row = re.compile(rf"^  (\S.*?)\s{{2,}}{MONEY} – {MONEY}")
    matches = [m for x in lines[2:heading] if (m := row.match(x))]
    assert matches[0][1] == "platform (shared)"
    for low, index in ((True, 3), (False, 5)):
        added = sum(_amount(m[index - 1], m[index]) for m in matches)
        total = cost["stack"]["floor" if low else "ceiling"]
        assert abs(added - total) <= CENT * len(matches), (lines, added, total)
    shares = [x.split()[0] for x in lines[heading + 1 :] if x.startswith("    ")]
    assert "catalog-api" in shares
