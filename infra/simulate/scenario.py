"""The deploys a new user makes, replayed: a first deploy (foundation, bootstrap, services),
then a second deploy after drift. And, for contrast, the single-shot first deploy the
bootstrap exists to avoid."""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from infra.simulate.bootstrap import bootstrap
from infra.simulate.drift import auto_upgrade
from infra.simulate.plan import Plan
from infra.simulate.registry import Refusal
from infra.simulate.replay import Phase, replay
from infra.simulate.world import World

# The stack setting that leaves the services out (issue 11 contract, item 4).
DEPLOY_SERVICES = "platform:deployServices"


@dataclass
class Simulation:
    stack: str
    phases: list[Phase] = field(default_factory=list)
    single_shot: Phase | None = None
    """The full plan on an empty world in one run: refused while a bootstrap is needed."""

    @property
    def first_refusal(self) -> tuple[Phase, Refusal] | None:
        for phase in self.phases:
            if phase.refusals:
                return phase, phase.refusals[0]
        return None

    @property
    def ok(self) -> bool:
        return self.first_refusal is None


def parsed_config(values: Mapping[str, str]) -> dict[str, Any]:
    """Stack config as the CLI passes it (objects as JSON strings) → plain values."""
    parsed: dict[str, Any] = {}
    for key, value in values.items():
        try:
            parsed[key] = json.loads(value)
        except (TypeError, ValueError):
            parsed[key] = value
    return parsed


def simulate_plans(foundation: Plan, full: Plan, world: World | None = None) -> Simulation:
    """Replay the first deploy (foundation, bootstrap, services), drift, and a second deploy."""
    simulation = Simulation(full.stack)
    start = world or World()
    simulation.single_shot, _ = replay(
        "single-shot first deploy (full plan, empty world)", full, start
    )

    state = _first_deploy(simulation, foundation, full, start)
    _drift_and_redeploy(simulation, full, state, "second deploy (same plan, after drift)")
    return simulation


def _first_deploy(
    simulation: Simulation, foundation: Plan, full: Plan, world: World, prefix: str = ""
) -> World:
    """The first deploy's three phases (foundation, bootstrap, services) → the world after it."""
    phase, state = replay(
        f"{prefix}first deploy: foundation only (deployServices: false)", foundation, world
    )
    simulation.phases.append(phase)
    phase, state = bootstrap(full, state)
    phase.name = prefix + phase.name
    simulation.phases.append(phase)
    phase, state = replay(f"{prefix}first deploy: services (full plan)", full, state)
    simulation.phases.append(phase)
    return state


def _drift_and_redeploy(simulation: Simulation, plan: Plan, world: World, name: str) -> None:
    """AKS drifts along its upgrade channel, then `plan` deploys again over it."""
    state, changes = auto_upgrade(world, plan.date)
    drift = Phase("drift between deploys", note="; ".join(changes) or "nothing drifted")
    simulation.phases.append(drift)
    phase, _ = replay(name, plan, state)
    simulation.phases.append(phase)


def record(stack: str, *, deploy_services: bool = True) -> Plan:
    """Run the program offline for `stack` (optionally with the services left out) → Plan."""
    from infra.preview.engine import run_offline
    from infra.preview.snapshot import to_snapshot
    from infra.preview.stackfile import read_stack
    from infra.program import build

    config = read_stack(stack)
    if not deploy_services:
        config = dataclasses.replace(config, values={**config.values, DEPLOY_SERVICES: "false"})
    snapshot = to_snapshot(run_offline(config, build))
    return Plan.from_snapshot(snapshot, parsed_config(config.values))


def simulate_files(stack: str, foundation: Path, full: Path) -> Simulation:
    """The same from two recorded snapshots (`python -m infra.preview plan … --out`), with the
    stack's settings read from its `Pulumi.<stack>.yaml` when there is one."""
    from infra.preview.stackfile import read_stack

    try:
        config = parsed_config(read_stack(stack).values)
    except FileNotFoundError:
        config = {}
    plans = [
        Plan.from_snapshot(json.loads(path.read_text()), config) for path in (foundation, full)
    ]
    return simulate_plans(plans[0], plans[1])


def simulate_change(foundation: Plan, base: Plan, head: Plan) -> Simulation:
    """A change to a running stack, as its pull request deploys it: the base deployed the way a
    first deploy does (foundation, bootstrap, services), then the change's images pushed and
    secrets seeded and the head planned over that world, then drift and the head again. A
    canary, which needs the revision running now, is checked where it runs: on an app the
    base deployed (a first deploy of the head alone refuses it, rightly)."""
    simulation = Simulation(head.stack)
    phase, state = replay("base: foundation only (deployServices: false)", foundation, World())
    simulation.phases.append(phase)
    phase, state = bootstrap(base, state)
    phase.name = "base: " + phase.name
    simulation.phases.append(phase)
    phase, state = replay("base: services (the running stack)", base, state)
    simulation.phases.append(phase)
    phase, state = bootstrap(head, state)
    phase.name = "change: " + phase.name
    simulation.phases.append(phase)
    phase, state = replay("change: deploy (head plan over the base)", head, state)
    simulation.phases.append(phase)
    state, changes = auto_upgrade(state)
    simulation.phases.append(
        Phase("drift between deploys", note="; ".join(changes) or "nothing drifted")
    )
    phase, _ = replay("second deploy of the change (after drift)", head, state)
    simulation.phases.append(phase)
    return simulation


def simulate_against(stack: str, rev: str) -> Simulation:
    """`simulate STACK --base REV`: the working tree's change over REV's plan of the stack
    (planned in a temporary worktree, as `against` does)."""
    from infra.preview.against import plan_base
    from infra.preview.stackfile import read_stack

    config = parsed_config(read_stack(stack).values)
    base = Plan.from_snapshot(plan_base(rev, [stack]).snapshots[stack], config)
    return simulate_change(record(stack, deploy_services=False), base, record(stack))


def platform_of(stack: str) -> str | None:
    """An application stack's platform stack (`infra.stacks.pipeline.platform_of`); None for any
    other stack."""
    from infra.config import StackMode
    from infra.stacks import pipeline

    team = pipeline.team_stack(stack)
    if team is None or team.mode is not StackMode.APPLICATION:
        return None
    return pipeline.platform_of(team)


def simulate_application(stack: str, platform: str) -> Simulation:
    """An application stack deploys onto its platform stack, which deploys first (the deploy
    workflow's order, docs/team-stacks.md): the platform's first deploy (foundation, bootstrap,
    the rest) builds the world, then the application's images are pushed and its plan replayed
    over it, then drift and its second deploy. For contrast, the application alone on an empty
    world (no cluster, no namespace, no gateway): refused.

    The application's steps run as its own deploy identity, with the grants the platform's first
    deploy made (rule `application-deploy-identity`); its bootstrap still as the platform's
    deployer (docs/team-stacks.md, "Not done yet")."""
    simulation = Simulation(stack)
    application = record(stack)
    simulation.single_shot, _ = replay(
        "the application alone (empty world: no platform)", application, World()
    )
    state = _first_deploy(
        simulation,
        record(platform, deploy_services=False),
        record(platform),
        World(),
        prefix=f"platform {platform}: ",
    )
    phase, state = bootstrap(application, state)
    phase.name = f"application: {phase.name}"
    simulation.phases.append(phase)
    phase, state = replay("application: first deploy", application, state)
    simulation.phases.append(phase)
    _drift_and_redeploy(simulation, application, state, "application: second deploy (after drift)")
    return simulation


def simulate(stack: str) -> Simulation:
    """`simulate(stack)`: record the foundation-only and the full plan, then replay them; an
    application stack on its platform stack's (`simulate_application`)."""
    platform = platform_of(stack)
    if platform is not None:
        return simulate_application(stack, platform)
    return simulate_plans(record(stack, deploy_services=False), record(stack))
