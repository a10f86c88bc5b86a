"""The hook the snapshot calls: estimate a plan's monthly cost with its stack's config."""

from __future__ import annotations

from typing import Any

from infra.config import NAMESPACE, PlatformConfig
from infra.cost.model import Estimate, estimate
from infra.cost.sheet import PriceError, load_sheet
from infra.problems import InvalidInput, Problem

COST_KEY = "cost"


def estimate_for(snapshot: dict[str, Any], config: PlatformConfig) -> Estimate:
    """Raises InvalidInput (naming the key or resource and the fix) when a price is missing."""
    try:
        sheet = load_sheet(config.location, config.cost.currency)
    except PriceError as error:
        problem, _, fix = str(error).partition(" → ")
        raise InvalidInput(
            "the cost estimate",
            [Problem(f"{NAMESPACE}:location", config.location, problem, fix)],
        ) from None
    return estimate(snapshot, config, sheet)


def attach_estimate(snapshot: dict[str, Any], config: PlatformConfig | None) -> dict[str, Any]:
    """Add `cost` to a snapshot (in place, and returned) when the program built an Azure
    platform; the local stack has no Azure bill and gets none (`config` None)."""
    if config is not None:
        snapshot[COST_KEY] = estimate_for(snapshot, config).to_json()
    return snapshot
