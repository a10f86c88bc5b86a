"""Replay a plan against a world: which steps a `pulumi up` would run, in which waves, and
what Azure would refuse. Then the world as the run leaves it."""

from __future__ import annotations

import copy
import dataclasses
import re
from dataclasses import dataclass, field
from typing import Any

import infra.simulate.rules  # noqa: F401 - registers the rules
from infra.simulate.plan import Plan, PlannedResource, stack_of
from infra.simulate.principals import Principals
from infra.simulate.references import CONTAINER_APP, revision_suffix
from infra.simulate.registry import RULES, Refusal, StepContext
from infra.simulate.timeline import Timeline, retriggered
from infra.simulate.world import World


@dataclass(frozen=True)
class Step:
    urn: str
    label: str
    action: str
    wave: int
    start: float


@dataclass
class Phase:
    """One run (or one manual stage) and what it met."""

    name: str
    steps: list[Step] = field(default_factory=list)
    refusals: list[Refusal] = field(default_factory=list)
    duration: float = 0.0
    note: str = ""

    @property
    def waves(self) -> int:
        return len({s.wave for s in self.steps})

    @property
    def refused(self) -> bool:
        return bool(self.refusals)


_PATH_TOKEN = re.compile(r"\[(\d+|\*|\"[^\"]*\")\]|([^.\[\]]+)")


def _drop(document: Any, path: list[str]) -> None:
    if not path:
        return
    head, rest = path[0], path[1:]
    if isinstance(document, dict):
        if not rest:
            document.pop(head, None)
        elif head in document:
            _drop(document[head], rest)
    elif isinstance(document, list):
        indexes = range(len(document)) if head == "*" else [int(head)] if head.isdigit() else []
        for index in indexes:
            if index < len(document):
                if rest:
                    _drop(document[index], rest)
                else:
                    document[index] = None


def without(inputs: Any, paths: tuple[str, ...]) -> Any:
    """The inputs with Pulumi ignoreChanges paths (`a.b[0].c`, `a["k"]`, `a[*]`) removed."""
    stripped = copy.deepcopy(inputs)
    for path in paths:
        tokens = [index.strip('"') or name for index, name in _PATH_TOKEN.findall(path)]
        _drop(stripped, tokens)
    return stripped


def previous_of(resource: PlannedResource, world: World) -> PlannedResource | None:
    """The resource as the world holds it: under its URN, else under one of its aliases (the
    engine's step generator looks the aliases up when the URN is not in the state)."""
    found = world.resources.get(resource.urn)
    if found is not None:
        return found
    return next((world.resources[a] for a in resource.aliases if a in world.resources), None)


def action_of(resource: PlannedResource, world: World) -> str | None:
    """`create`, `update`, or None when the resource exists with the same inputs (no step)."""
    previous = previous_of(resource, world)
    if previous is None:
        return "create"
    ignored = resource.ignore_changes
    if without(previous.inputs, ignored) == without(dict(resource.inputs), ignored):
        return None
    return "update"


def context_for(
    plan: Plan, world: World, resource: PlannedResource, steps: frozenset[str] = frozenset()
) -> StepContext:
    """A rule context for one resource outside a replay (the bootstrap reads references)."""
    return StepContext(
        resource=resource,
        action="create",
        previous=world.resources.get(resource.urn),
        plan=plan,
        world=world,
        steps=steps,
        creates=steps,
        timeline=Timeline(plan, set(steps)),
        principals=Principals.of([*plan, *world.resources.values()]),
    )


def replay(name: str, plan: Plan, world: World) -> tuple[Phase, World]:
    """Run every rule on every step of `plan` against `world`; every refusal is kept (the
    first in step order is what `pulumi up` would stop at), and the world after the run is
    returned as if every step had been applied."""
    actions = {urn: action_of(plan.resources[urn], world) for urn in plan.order}
    steps = frozenset(urn for urn, action in actions.items() if action)
    creates = frozenset(urn for urn, action in actions.items() if action == "create")
    sleeping = {
        u for u in steps if retriggered(plan.resources[u], previous_of(plan.resources[u], world))
    }
    timeline = Timeline(plan, {*creates, *sleeping})
    principals = Principals.of([*plan, *world.resources.values()])
    phase = Phase(name)
    for urn in plan.order:
        action = actions[urn]
        if action is None:
            continue
        resource = plan.resources[urn]
        phase.steps.append(Step(urn, resource.label, action, plan.waves[urn], timeline.start[urn]))
        context = StepContext(
            resource=resource,
            action=action,
            previous=previous_of(resource, world),
            plan=plan,
            world=world,
            steps=steps,
            creates=creates,
            timeline=timeline,
            principals=principals,
        )
        for rule in RULES.values():
            if rule.phase == "step":
                phase.refusals.extend(rule.check(context))
    phase.duration = timeline.end
    return phase, applied(plan, world)


def applied(plan: Plan, world: World) -> World:
    """The world once `plan` is applied: its resources exist with their inputs (ignored paths
    keep what the world had), and what the plan no longer declares is deleted. Another stack's
    resources stay (a world may hold a platform stack and its application stacks: each `pulumi
    up` changes only its own stack's state); a plan with no stack name owns the whole world."""

    def owned(urn: str) -> bool:
        return not plan.stack or stack_of(urn) == plan.stack

    after = world.copy()
    resources: dict[str, PlannedResource] = {
        urn: resource for urn, resource in world.resources.items() if not owned(urn)
    }
    for resource in plan:
        previous = previous_of(resource, world)
        inputs = dict(resource.inputs)
        for key in resource.ignore_changes:
            # Top-level keys only: the engine keeps the old value of an ignored property.
            if previous is not None and key in previous.inputs:
                inputs[key] = previous.inputs[key]
        resources[resource.urn] = dataclasses.replace(resource, inputs=inputs)
        created = revision_created(resource, previous)
        if created is not None:
            after.revisions[resource.urn] = (*after.revisions.get(resource.urn, ()), created)
    after.resources = resources
    for urn in set(after.revisions) - set(resources):
        del after.revisions[urn]  # a deleted app takes its revisions with it
    return after


def revision_created(resource: PlannedResource, previous: PlannedResource | None) -> str | None:
    """The suffix of the revision a Container App step creates: a create, or a template
    change under a suffix the app has not run yet (Azure creates no revision when only
    app-level settings such as traffic change)."""
    if resource.type != CONTAINER_APP:
        return None
    suffix = revision_suffix(resource)
    return None if suffix is None or suffix == revision_suffix(previous) else suffix
