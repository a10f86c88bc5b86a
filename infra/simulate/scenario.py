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
from infra.simulate.replay import Phase, applied, replay
from infra.simulate.rules.domains import declared_records
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
    (planned in a temporary worktree, as `against` does); an application stack's change over
    its platform and itself as REV deploys them (`simulate_team`)."""
    from infra.preview.against import plan_base

    platform = platform_of(stack)
    if platform is not None:
        return simulate_set(stack, platform, [stack], base=rev)
    base = _from_snapshot(stack, plan_base(rev, [stack]).snapshots[stack])
    return simulate_change(record(stack, deploy_services=False), base, record(stack))


def _from_snapshot(stack: str, snapshot: Mapping[str, Any]) -> Plan:
    """A plan of `stack` from a snapshot, with the stack's settings as the working tree has them
    (`Pulumi.<stack>.yaml` or its reference stack)."""
    from infra.preview.stackfile import read_stack

    return Plan.from_snapshot(snapshot, parsed_config(read_stack(stack).values))


def platform_of(stack: str) -> str | None:
    """An application stack's platform stack (`infra.stacks.pipeline.platform_of`); None for any
    other stack."""
    from infra.config import StackMode
    from infra.stacks import pipeline

    team = pipeline.team_stack(stack)
    if team is None or team.mode is not StackMode.APPLICATION:
        return None
    return pipeline.platform_of(team)


@dataclass(frozen=True)
class TeamPlans:
    """A platform stack's plan and the plans of application stacks on it, at one revision."""

    platform: Plan
    applications: tuple[Plan, ...]


def simulate_team(
    name: str,
    foundation: Plan,
    head: TeamPlans,
    base: TeamPlans | None = None,
    *,
    redeploy_platform: bool = True,
) -> Simulation:
    """Team stacks in one world, in the deploy workflow's order (docs/team-stacks.md,
    "Deploying and previewing team stacks": the platform stack, then the application stacks in
    parallel). Without `base`: the platform's first deploy (foundation, bootstrap, the rest),
    then each application's (`_applications`). With `base` (what REV deploys): the platform and
    the applications as REV deploys them (the base's first deploy starts from the head's
    foundation, as `simulate_change` does), then the platform's head plan if it differs from
    the base's, then each application's head plan over that. Then drift and a second deploy:
    the platform's (`redeploy_platform`, when this run deploys its head) and each
    application's. Every phase is named by its stack. The DNS records the platform's config
    declares made by hand (`platform:dns.recordsPresent`) exist for every stack: an
    application's own config does not list them."""
    simulation = Simulation(name)
    platform = head.platform.stack
    deploys_platform = base is None or base.platform.resources != head.platform.resources
    if base is None or not base.platform.resources:
        state = _first_deploy(
            simulation, foundation, head.platform, World(), prefix=f"platform {platform}: "
        )
        state.dns_records |= declared_records(head.platform.config)
        if base is not None:
            state = _applications(
                simulation, base.applications, state, "base: ", "the running stack"
            )
    else:
        state = _first_deploy(
            simulation, foundation, base.platform, World(), prefix=f"base: platform {platform}: "
        )
        state.dns_records |= declared_records(base.platform.config)
        state = _applications(simulation, base.applications, state, "base: ", "the running stack")
        if deploys_platform:
            phase, state = bootstrap(head.platform, state)
            phase.name = f"change: platform {platform}: {phase.name}"
            simulation.phases.append(phase)
            phase, state = replay(
                f"change: platform {platform}: deploy (head plan over the base)",
                head.platform,
                state,
            )
            simulation.phases.append(phase)
    prefix = "" if base is None else "change: "
    deploy = "first deploy" if base is None else "deploy (head plan over the base)"
    state = _applications(simulation, head.applications, state, prefix, deploy)
    state, changes = auto_upgrade(state, head.platform.date)
    drift = Phase("drift between deploys", note="; ".join(changes) or "nothing drifted")
    simulation.phases.append(drift)
    if redeploy_platform and deploys_platform:
        phase, state = replay(
            f"platform {platform}: second deploy (after drift)", head.platform, state
        )
        simulation.phases.append(phase)
    for plan in head.applications:
        phase, state = replay(f"application {plan.stack}: second deploy (after drift)", plan, state)
        simulation.phases.append(phase)
    return simulation


def _applications(
    simulation: Simulation, plans: tuple[Plan, ...], world: World, prefix: str, deploy: str
) -> World:
    """The application stacks deploy in parallel (the deploy workflow's matrix): none may need
    another to be there first, and two must not both create one thing. Each is bootstrapped
    (its images pushed, its secrets seeded) and replayed over `world` alone; with several, each
    is replayed again over the world the others leave (`after the others`), which shows what
    only one of two parallel deploys can create (its refusals already met alone are not
    repeated). The world after all of them is returned."""
    ready: dict[str, World] = {}
    alone: dict[str, Phase] = {}
    for plan in plans:
        phase, ready[plan.stack] = bootstrap(plan, world)
        phase.name = f"{prefix}application {plan.stack}: {phase.name}"
        simulation.phases.append(phase)
        alone[plan.stack], _ = replay(
            f"{prefix}application {plan.stack}: {deploy}", plan, ready[plan.stack]
        )
        simulation.phases.append(alone[plan.stack])
    done = {plan.stack: applied(plan, ready[plan.stack]) for plan in plans}
    if len(plans) > 1:
        for plan in plans:
            others = _joined(ready[plan.stack], [done[p.stack] for p in plans if p is not plan])
            phase, _ = replay(
                f"{prefix}application {plan.stack}: {deploy}, after the other applications'",
                plan,
                others,
            )
            met = {(r.rule, r.urn, r.why) for r in alone[plan.stack].refusals}
            phase.refusals = [r for r in phase.refusals if (r.rule, r.urn, r.why) not in met]
            phase.note = "in parallel with " + ", ".join(p.stack for p in plans if p is not plan)
            simulation.phases.append(phase)
    return _joined(world, list(done.values()))


def _joined(world: World, deployed: list[World]) -> World:
    """`world` with what each of `deployed` (a world after one more stack's run) adds: its
    resources, images, secrets and revisions."""
    joined = world.copy()
    for other in deployed:
        joined.resources.update(other.resources)
        joined.images |= other.images
        joined.secrets |= other.secrets
        joined.certificates |= other.certificates
        joined.revisions.update(other.revisions)
    return joined


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
    head = TeamPlans(record(platform), (application,))
    foundation = record(platform, deploy_services=False)
    simulation = simulate_team(stack, foundation, head, redeploy_platform=False)
    simulation.single_shot, _ = replay(
        "the application alone (empty world: no platform)", application, World()
    )
    return simulation


def simulate_set(
    name: str, platform: str, applications: list[str], *, base: str | None = None
) -> Simulation:
    """`simulate --set ENV` (and `simulate APP-STACK --base REV`, a set of one application):
    the platform stack and `applications` on it in one world (`simulate_team`); with `base`,
    their change over REV's plans of them (planned in a temporary worktree of REV, as
    `against` does: a stack REV does not have is an empty plan there)."""
    from infra.preview.against import plan_base

    head = TeamPlans(record(platform), tuple(record(stack) for stack in applications))
    foundation = record(platform, deploy_services=False)
    before = None
    if base is not None:
        snapshots = plan_base(base, [platform, *applications]).snapshots
        before = TeamPlans(
            _from_snapshot(platform, snapshots[platform]),
            tuple(_from_snapshot(stack, snapshots[stack]) for stack in applications),
        )
    return simulate_team(name, foundation, head, before)


def simulate(stack: str) -> Simulation:
    """`simulate(stack)`: record the foundation-only and the full plan, then replay them; an
    application stack on its platform stack's (`simulate_application`)."""
    platform = platform_of(stack)
    if platform is not None:
        return simulate_application(stack, platform)
    return simulate_plans(record(stack, deploy_services=False), record(stack))
