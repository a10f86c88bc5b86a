"""The cost commands of `python -m infra.preview`, and the hooks `plan` and `diff` call.

python -m infra.preview cost STACK [STACK ...] [--set ENV] [--format text|markdown|json]
python -m infra.preview prices refresh --region R --currency C [--out FILE]
"""

from __future__ import annotations

import argparse
import functools
import json
import sys
from collections.abc import Callable
from typing import Any

from infra.cost.across import STACK_SET_KEY
from infra.cost.delta import CostDelta, cost_delta
from infra.cost.plan import COST_KEY
from infra.cost.report import (
    delta_markdown,
    delta_text,
    estimate_markdown,
    estimate_text,
    set_markdown,
    set_text,
)
from infra.exit_codes import Exit

Handler = Callable[[argparse.Namespace], int]
Planner = Callable[[list[str], int, bool], list[dict[str, Any]]]
"""Plans stacks (names, parallel jobs, quiet) into snapshots: `plan`'s own planning path, which
`infra/preview/cli.py` passes in (the cost commands sit below the CLI and never import it); an
application stack's platform stack is planned with it and the two priced together
(`infra/cost/across.py`)."""
StacksOf = Callable[[argparse.Namespace], list[str]]
"""The stacks a command names: its STACK arguments and `--set ENV`'s team stacks."""


def plan_summary(snapshot: dict[str, Any]) -> str:
    cost = snapshot.get(COST_KEY)
    return estimate_text(cost, str(snapshot.get("stack", ""))) if cost else ""


def diff_cost(base: dict[str, Any], head: dict[str, Any]) -> CostDelta:
    return cost_delta(base, head)


def diff_markdown(delta: CostDelta) -> str:
    return delta_markdown(delta)


def diff_text(delta: CostDelta) -> str:
    return delta_text(delta)


def _cost(args: argparse.Namespace, plan: Planner, stacks_of: StacksOf) -> int:
    out: list[str] = []
    documents: dict[str, Any] = {}
    stacks = stacks_of(args)
    for stack, snapshot in zip(stacks, plan(stacks, args.jobs, True), strict=True):
        cost = snapshot.get(COST_KEY)
        if cost is None:
            out.append(f"{stack}: {_why_no_estimate(snapshot)}")
            continue
        documents[stack] = cost
        text = (
            estimate_markdown(cost, stack)
            if args.format == "markdown"
            else estimate_text(cost, stack)
        )
        if (onboarded := _unpriced_applications(snapshot)) and STACK_SET_KEY not in cost:
            text += (
                f"\n  not in it: its application stacks ({', '.join(onboarded)}): price them "
                "with it, `cost --set ENV` or `cost STACK APPLICATION-STACK...`"
            )
        out.append(text)
    if args.format == "json":
        sys.stdout.write(json.dumps(documents, indent=2, sort_keys=True) + "\n")
        return Exit.OK
    summary = set_markdown(documents) if args.format == "markdown" else set_text(documents)
    sys.stdout.write("\n".join([*out, *([summary] if summary else [])]) + "\n")
    return Exit.OK


def _unpriced_applications(snapshot: dict[str, Any]) -> list[str]:
    """The applications a platform stack's contract onboards (their stacks are priced apart)."""
    contract = (snapshot.get("outputs") or {}).get("contract")
    if not isinstance(contract, dict):
        return []
    return sorted(str(a.get("name")) for a in contract.get("applications") or [])


def _why_no_estimate(snapshot: dict[str, Any]) -> str:
    if (snapshot.get("outputs") or {}).get("application"):
        return (
            "no estimate: an application stack is priced with its platform stack's plan, which "
            "is not a stack here (docs/cost.md, Team stacks)"
        )
    return "no Azure resources, no estimate"


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


def handlers(plan: Planner, stacks_of: StacksOf) -> dict[str, Handler]:
    """The handlers of `cost` and `prices` (their options: infra/preview/arguments.py); `cost`
    plans its stacks with `plan`."""
    return {"cost": functools.partial(_cost, plan=plan, stacks_of=stacks_of), "prices": _refresh}
