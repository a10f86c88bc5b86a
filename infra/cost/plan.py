"""The hook the snapshot calls: estimate a plan's monthly cost with its stack's config."""

from __future__ import annotations

import dataclasses
from typing import Any

from infra.config import NAMESPACE, PlatformConfig
from infra.cost.model import Estimate, estimate
from infra.cost.sheet import PriceError, PriceSheet, load_sheet
from infra.problems import Problem

COST_KEY = "cost"


def estimate_for(snapshot: dict[str, Any], config: PlatformConfig) -> Estimate:
    """The estimate with the stack's sheet; without one (a new region or currency) every
    resource is listed as not priced, with the refresh command as a warning, never an error."""
    try:
        sheet = load_sheet(config.location, config.cost.currency)
    except PriceError as error:
        problem, _, fix = str(error).partition(" → ")
        empty = PriceSheet(config.location, config.cost.currency, "", "", ())
        warning = Problem(f"{NAMESPACE}:location", config.location, problem, fix)
        # One warning: each meter's own "no price" would only repeat it.
        return dataclasses.replace(estimate(snapshot, config, empty), warnings=(warning,))
    return estimate(snapshot, config, sheet)


def attach_estimate(snapshot: dict[str, Any], config: PlatformConfig | None) -> dict[str, Any]:
    """Add `cost` to a snapshot (in place, and returned) when the program built an Azure
    platform; the local stack has no Azure bill and gets none (`config` None)."""
    if config is not None:
        snapshot[COST_KEY] = estimate_for(snapshot, config).to_json()
    return snapshot
