"""Shared fixtures: the real program run offline, once per stack per test session."""

from __future__ import annotations

import pytest

from infra.preview.engine import OfflineRun, run_offline
from infra.preview.stackfile import read_stack
from infra.program import build

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
