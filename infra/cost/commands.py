"""The cost commands of `python -m infra.preview`, and the hooks `plan` and `diff` call.

python -m infra.preview cost STACK [STACK ...] [--format text|markdown|json]
python -m infra.preview prices refresh --region R --currency C [--out FILE]
"""

from __future__ import annotations

import argparse
import functools
import json
import sys
from collections.abc import Callable
from typing import Any

from infra.cost.delta import CostDelta, cost_delta
from infra.cost.plan import COST_KEY
from infra.cost.report import delta_markdown, delta_text, estimate_markdown, estimate_text
from infra.exit_codes import Exit

Handler = Callable[[argparse.Namespace], int]
Planner = Callable[[list[str], int, bool], list[dict[str, Any]]]
"""Plans stacks (names, parallel jobs, quiet) into snapshots: `plan`'s own planning path, which
`infra/preview/cli.py` passes in (the cost commands sit below the CLI and never import it)."""


def plan_summary(snapshot: dict[str, Any]) -> str:
    cost = snapshot.get(COST_KEY)
    return estimate_text(cost, str(snapshot.get("stack", ""))) if cost else ""


def diff_cost(base: dict[str, Any], head: dict[str, Any]) -> CostDelta:
    return cost_delta(base, head)


def diff_markdown(delta: CostDelta) -> str:
    return delta_markdown(delta)


def diff_text(delta: CostDelta) -> str:
    return delta_text(delta)


def _cost(args: argparse.Namespace, plan: Planner) -> int:
    out: list[str] = []
    documents: dict[str, Any] = {}
    for stack, snapshot in zip(args.stack, plan(list(args.stack), args.jobs, True), strict=True):
        cost = snapshot.get(COST_KEY)
        if cost is None:
            out.append(f"{stack}: no Azure resources, no estimate")
            continue
        documents[stack] = cost
        out.append(
            estimate_markdown(cost, stack)
            if args.format == "markdown"
            else estimate_text(cost, stack)
        )
    if args.format == "json":
        sys.stdout.write(json.dumps(documents, indent=2, sort_keys=True) + "\n")
    else:
        sys.stdout.write("\n".join(out) + "\n")
    return Exit.OK


def _refresh(args: argparse.Namespace) -> int:
    import re

    from infra.cost.refresh import RefreshError, refresh

    if not re.fullmatch(r"[A-Z]{3}", args.currency) or not re.fullmatch(
        r"[a-z][a-z0-9]+", args.region
    ):
        print(
            f"error: --region {args.region!r} --currency {args.currency!r}: expected a region name "
            "like westeurope and an ISO 4217 code like EUR",
            file=sys.stderr,
        )
        return Exit.ERROR
    try:
        path = refresh(args.region, args.currency, args.out)
    except RefreshError as error:
        print(f"error: {error}", file=sys.stderr)
        return Exit.ERROR
    print(f"wrote {path}")
    return Exit.OK


def handlers(plan: Planner) -> dict[str, Handler]:
    """The handlers of `cost` and `prices` (their options: infra/preview/arguments.py); `cost`
    plans its stacks with `plan`."""
    return {"cost": functools.partial(_cost, plan=plan), "prices": _refresh}
