"""The hook `plan` calls: estimate a snapshot's cost with its stack's config and record it."""

from __future__ import annotations

from typing import Any

from infra.config import NAMESPACE, PlatformConfig, stack_config_from_values
from infra.cost.model import Estimate, estimate
from infra.cost.sheet import PriceError, load_sheet
from infra.problems import InvalidInput, Problem

COST_KEY = "cost"


def platform_config(values: dict[str, str]) -> PlatformConfig | None:
    """The stack's platform config (None for the local stack, which has no Azure bill)."""
    prefix = f"{NAMESPACE}:"
    config = stack_config_from_values(
        {k[len(prefix) :]: v for k, v in values.items() if k.startswith(prefix)}
    )
    return config if isinstance(config, PlatformConfig) else None


def estimate_for(snapshot: dict[str, Any], config: PlatformConfig) -> Estimate:
    try:
        sheet = load_sheet(config.location, config.cost.currency)
    except PriceError as error:
        problem, _, fix = str(error).partition(" → ")
        raise InvalidInput(
            "the cost estimate",
            [Problem(f"{NAMESPACE}:location", config.location, problem, fix)],
        ) from None
    return estimate(snapshot, config, sheet)


def attach_estimate(snapshot: dict[str, Any], values: dict[str, str]) -> dict[str, Any]:
    """Add `cost` to a snapshot (in place, and returned); nothing for the local stack."""
    config = platform_config(values)
    if config is not None:
        snapshot[COST_KEY] = estimate_for(snapshot, config).to_json()
    return snapshot
