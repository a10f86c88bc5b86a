"""The reference stacks through the deploy simulator: a first deploy as the README and the
deploy workflow make it (foundation only, then images pushed and secrets seeded, then the
services) and a second deploy after the cluster auto-upgraded must meet no refusal; the
single-shot first deploy the bootstrap exists for is refused."""

from __future__ import annotations

import pytest

from infra.preview.engine import OfflineRun
from infra.preview.snapshot import to_snapshot
from infra.preview.stackfile import read_stack
from infra.simulate import Plan, Simulation, World, record, replay, simulate_plans
from infra.simulate.scenario import parsed_config

STACKS = ("dev", "prod", "local")


@pytest.fixture(scope="session")
def full_plans(runs: dict[str, OfflineRun]) -> dict[str, Plan]:
    """Each stack's full plan: dev and prod are the session's recorded runs
    (tests/conftest.py); local is recorded here."""
    plans: dict[str, Plan] = {}
    for stack in STACKS:
        config = parsed_config(read_stack(stack).values)
        run = runs.get(stack)
        plans[stack] = Plan.from_snapshot(to_snapshot(run), config) if run else record(stack)
    return plans


@pytest.fixture(scope="session")
def simulations(full_plans: dict[str, Plan]) -> dict[str, Simulation]:
    """Each stack simulated once per session (the foundation plans are recorded here)."""
    return {
        stack: simulate_plans(record(stack, deploy_services=False), full)
        for stack, full in full_plans.items()
    }


def _words(simulation: Simulation) -> str:
    lines = [f"{p.name}: {r.words()}" for p in simulation.phases for r in p.refusals]
    return "\n".join(lines[:40])


@pytest.mark.parametrize("stack", STACKS)
def test_first_and_second_deploy_meet_no_refusal(
    simulations: dict[str, Simulation], stack: str
) -> None:
    simulation = simulations[stack]
    assert simulation.ok, _words(simulation)


@pytest.mark.parametrize("stack", STACKS)
def test_the_second_deploy_creates_nothing(simulations: dict[str, Simulation], stack: str) -> None:
    second = simulations[stack].phases[-1]
    assert second.name.startswith("second deploy")
    assert [s.label for s in second.steps if s.action == "create"] == []


@pytest.mark.parametrize("stack", STACKS)
def test_the_foundation_deploy_creates_no_service(
    simulations: dict[str, Simulation], stack: str
) -> None:
    foundation = simulations[stack].phases[0]
    assert foundation.name.startswith("first deploy: foundation")
    services = [s.urn for s in foundation.steps if "platform:services:" in s.urn]
    assert services == []


@pytest.mark.parametrize(
    ("stack", "expected"),
    [
        ("dev", {"registry-image-missing", "keyvault-secret-missing"}),
        ("prod", {"registry-image-missing", "keyvault-secret-missing"}),
        ("local", {"registry-image-missing"}),
    ],
)
def test_a_single_shot_first_deploy_is_refused_for_missing_images_and_secrets(
    full_plans: dict[str, Plan], stack: str, expected: set[str]
) -> None:
    single, _ = replay("single shot", full_plans[stack], World())
    assert expected <= {r.rule for r in single.refusals}
