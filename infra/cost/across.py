"""The monthly estimate across team stacks (docs/cost.md, "Team stacks"): a platform stack and
its application stacks, priced together by the single stack's model, then per stack.

An application stack's plan holds its own Container Apps and jobs (in its resource group) and
its Kubernetes workloads on the platform's cluster, but no node pool: its pods' share of the
user pool needs the platform's plan, and so does the pool's floor (the nodes every stack's pods
need). So the plans are priced as one: `estimate_with` over the platform's resources and every
application stack's, with the assumptions, region and currency the platform's plan recorded
(`cost` of its snapshot), which is what the single stack prices for the same resources. Each
line then goes to the stack whose plan declares it:

- a service's lines (its Container Apps, its Key Vault reads, its pods' share of the user pool,
  not added: inside the pool's line) to the application stack that deploys the service (the
  owner the plan reader gives its resources, `infra/plan/owners.py`);
- every other line to the platform stack: the node pools (their floor counts the application
  stacks' pods too), the load balancers (with the application stacks' LoadBalancer services),
  the Container Apps free grant (one per subscription, taken once, over all the applications'
  Consumption apps), the shared foundation.

The stacks' totals add up to the set's total. An application stack's figures depend only on its
own plan and its platform's (node size, prices), never on the other applications.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from infra.config import CostConfig
from infra.cost.lines import money
from infra.cost.model import Estimate, estimate_with
from infra.cost.sheet import PriceError, PriceSheet, load_sheet
from infra.plan.owners import PLATFORM, service_of_recorded

STACK_SET_KEY = "stackSet"
"""What an estimate priced across stacks says of the set (in its JSON, beside `stack`)."""


@dataclass(frozen=True)
class StackSet:
    """A platform stack and the application stacks priced with it: each stack's estimate (the
    JSON of `Estimate.to_json`, plus `stackSet`) and the set's total."""

    platform: str
    applications: tuple[str, ...]
    estimates: dict[str, dict[str, Any]]
    floor: float
    ceiling: float


def _labels(snapshot: Mapping[str, Any]) -> set[str]:
    return {f"{r['type']} {r['name']}" for r in snapshot.get("resources", [])}


def _services(snapshot: Mapping[str, Any]) -> set[str]:
    """The services an application stack's plan deploys (the plan reader's owners)."""
    resources = snapshot.get("resources", [])
    by_urn = {str(r["urn"]): r for r in resources}
    return {service_of_recorded(r, by_urn) for r in resources} - {PLATFORM}


def _sheet(cost: Mapping[str, Any]) -> PriceSheet:
    try:
        return load_sheet(str(cost["region"]), str(cost["currency"]))
    except PriceError:
        # As the platform's own estimate: no sheet, every resource listed as not priced.
        return PriceSheet(str(cost["region"]), str(cost["currency"]), "", "", ())


def price_stack_set(
    platform: str, snapshots: Mapping[str, Mapping[str, Any]], applications: Sequence[str]
) -> StackSet | None:
    """The platform stack `platform` and its `applications` (stack names), each planned in
    `snapshots`, priced together; None when the platform's plan has no estimate (a plan made
    before estimates existed, an empty base). An application stack with an empty plan (one the
    change adds) gets no estimate."""
    recorded = snapshots[platform].get("cost")
    if not recorded:
        return None
    planned = [a for a in applications if snapshots[a].get("resources")]
    combined = {
        "resources": [
            r for stack in (platform, *planned) for r in snapshots[stack].get("resources", [])
        ]
    }
    assumptions = CostConfig.model_validate(recorded["assumptions"])
    whole = estimate_with(combined, assumptions, _sheet(recorded))
    owner_of_service = {s: a for a in planned for s in _services(snapshots[a])}
    labels = {a: _labels(snapshots[a]) for a in planned}

    def owner(service: str, resource: str) -> str:
        if service != PLATFORM:
            return owner_of_service.get(service, platform)
        return next((a for a in planned if resource in labels[a]), platform)

    estimates: dict[str, dict[str, Any]] = {}
    for stack in (platform, *planned):
        part = dataclasses.replace(
            whole,
            lines=tuple(x for x in whole.lines if owner(x.service, x.resource) == stack),
            not_priced=tuple(
                n for n in whole.not_priced if owner(PLATFORM, f"{n[0]} {n[1]}") == stack
            ),
            warnings=tuple(
                w
                for w in whole.warnings
                if owner(PLATFORM, " ".join(w.path.split(" ", 2)[:2])) == stack
            ),
            budget=recorded.get("budget") if stack == platform else None,
        )
        estimates[stack] = _with_set(part, stack, platform, planned, whole)
    return StackSet(platform, tuple(planned), estimates, money(whole.floor), money(whole.ceiling))


def _with_set(
    part: Estimate, stack: str, platform: str, applications: Sequence[str], whole: Estimate
) -> dict[str, Any]:
    document = part.to_json()
    document[STACK_SET_KEY] = {
        "platform": platform,
        "applications": list(applications),
        "role": "platform" if stack == platform else "application",
        "total": {"floor": money(whole.floor), "ceiling": money(whole.ceiling)},
    }
    return document
