"""Shared fixtures: the real program run offline, once per stack per test session."""

from __future__ import annotations

import datetime as dt
import os
from pathlib import Path

import pytest

from infra.aks_versions import REFERENCE_DATE_ENV
from infra.preview.engine import OfflineRun, run_offline
from infra.preview.stackfile import read_stack
from infra.program import build
from infra.services.loader import APPS_ENV
from infra.stacks.recorded import RECORDED_ENV

FIXTURE_APPS = "tests.apps"
"""The applications every platform test plans (tests/apps/), never the app teams' `apps/`."""

TEST_DAY = dt.date(2026, 12, 7)
"""The day every date-dependent check sees in the tests (the AKS version calendar): fixed, so
the suite does not rot as support windows close. One test checks the real date on purpose
(tests/test_kubernetes_versions.py, the shipped version is creatable today)."""
# Read when a check runs (not at import), so setting it here covers the whole session;
# subprocesses (dev.py) inherit it too.
os.environ[REFERENCE_DATE_ENV] = TEST_DAY.isoformat()
# Read when a plan loads its applications (infra/services/loader.py): in-process plans, and the
# subprocesses (dev.py, python -m infra.preview, checkouts in a temporary folder), all plan the
# fixture applications.
os.environ[APPS_ENV] = FIXTURE_APPS
FIXTURE_RECORDINGS = Path("tests/recorded")
"""(Relative: the repository's, also in a checkout of another revision.) The platform stacks'
contracts as the fixture platform exports them (from tests/apps): what the
suite's application stacks read, never the recordings of the real `apps/`
(infra/stacks/recorded/, checked by .ci/apps)."""
os.environ[RECORDED_ENV] = str(FIXTURE_RECORDINGS)

STACKS = ("dev", "prod")


@pytest.fixture(scope="session")
def runs() -> dict[str, OfflineRun]:
    return {stack: run_offline(read_stack(stack), build) for stack in STACKS}


@pytest.fixture(scope="session")
def dev(runs: dict[str, OfflineRun]) -> OfflineRun:
    return runs["dev"]


@pytest.fixture(scope="session")
def prod(runs: dict[str, OfflineRun]) -> OfflineRun:
    return runs["prod"]


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--update-golden",
        action="store_true",
        default=False,
        help="rewrite tests/golden/ from the current renderers instead of comparing with it",
    )


@pytest.fixture(scope="session")
def update_golden(request: pytest.FixtureRequest) -> bool:
    return bool(request.config.getoption("--update-golden"))
