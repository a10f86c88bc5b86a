"""Feature fixtures: small applications, one per feature area, that the pure-renderer golden
files render (tests/test_golden.py) and that no stack plans.

The stack fixture (`tests/apps/stack.py`) is what every whole-plan test deploys in dev,
prod and local, so it may only hold what every stack accepts and what a first deploy
simulates cleanly. What it cannot hold lives here: a canary (which needs a running revision
to share traffic with), a stateful single-instance broker (refused in prod), jobs of every
trigger on both targets, every probe kind with its timing. The loader imports this
subpackage with `tests.apps` but finds no `Application` in this module, so the stack plans do
not change; tests/test_fixture_coverage.py proves the two together exercise every type, field
and enum member of the service model (`infra/services/spec.py`).
"""

from __future__ import annotations

from infra.config import Environment

BOTH = (Environment.DEV, Environment.PROD)
ENVIRONMENTS: dict[str, tuple[Environment, ...]] = {
    "releases": BOTH,
    "batch": BOTH,
    "edge": BOTH,
    # Volume and RECREATE: single-instance stateful software, refused in prod (use a managed
    # service there; docs/service-model.md).
    "broker": (Environment.DEV,),
}
"""Each feature application → the environments its golden file renders it in."""
