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


class Recorded:
    """Each stack's plans and simulation, made on first use and kept for the session, so one
    stack that cannot be planned does not hide the others. The full plans of dev and prod are
    the session's recorded runs (tests/conftest.py)."""

    def __init__(self, runs: dict[str, OfflineRun]) -> None:
        self._runs = runs
        self._full: dict[str, Plan] = {}
        self._simulations: dict[str, Simulation] = {}

    def full(self, stack: str) -> Plan:
        if stack not in self._full:
            config = parsed_config(read_stack(stack).values)
            run = self._runs.get(stack)
            self._full[stack] = (
                Plan.from_snapshot(to_snapshot(run), config) if run else record(stack)
            )
        return self._full[stack]

    def simulation(self, stack: str) -> Simulation:
        if stack not in self._simulations:
            foundation = record(stack, deploy_services=False)
            self._simulations[stack] = simulate_plans(foundation, self.full(stack))
        return self._simulations[stack]


@pytest.fixture(scope="session")
def recorded(runs: dict[str, OfflineRun]) -> Recorded:
    return Recorded(runs)


def _words(simulation: Simulation) -> str:
    lines = [f"{p.name}: {r.words()}" for p in simulation.phases for r in p.refusals]
    return "\n".join(lines[:40])


@pytest.mark.parametrize("stack", STACKS)
def test_first_and_second_deploy_meet_no_refusal(recorded: Recorded, stack: str) -> None:
    simulation = recorded.simulation(stack)
    assert simulation.ok, _words(simulation)


@pytest.mark.parametrize("stack", STACKS)
def test_the_second_deploy_creates_nothing(recorded: Recorded, stack: str) -> None:
    second = recorded.simulation(stack).phases[-1]
    assert second.name.startswith("second deploy")
    assert [s.label for s in second.steps if s.action == "create"] == []


@pytest.mark.parametrize("stack", STACKS)
def test_the_foundation_deploy_creates_no_service(recorded: Recorded, stack: str) -> None:
    foundation = recorded.simulation(stack).phases[0]
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
    recorded: Recorded, stack: str, expected: set[str]
) -> None:
    single, _ = replay("single shot", recorded.full(stack), World())
    assert expected <= {r.rule for r in single.refusals}
