"""The rule registry and what a rule sees: one step, the plan, the world before the run, time.

A rule is a function `(StepContext) -> Iterable[Refusal]` registered with `@rule(id, ...)`;
its docstring says why Azure or AKS refuses, and where that is documented.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from infra.simulate.plan import Plan, PlannedResource
from infra.simulate.principals import Principals
from infra.simulate.timeline import Timeline
from infra.simulate.world import ROLE_ASSIGNMENT, Grant, World


@dataclass(frozen=True)
class Refusal:
    """What Azure or AKS would answer, in words: which resource, which rule, why, the fix."""

    rule: str
    urn: str
    resource: str
    why: str
    fix: str

    def words(self) -> str:
        return f"{self.resource} [{self.rule}]: {self.why} Fix: {self.fix}"


@dataclass(frozen=True)
class StepContext:
    resource: PlannedResource
    action: str
    """`create` or `update`."""
    previous: PlannedResource | None
    plan: Plan
    world: World
    """The world before this run."""
    steps: frozenset[str]
    """Every URN this run creates or updates."""
    creates: frozenset[str]
    """The URNs among `steps` that do not exist yet."""
    timeline: Timeline
    principals: Principals

    def refuse(self, rule_id: str, why: str, fix: str) -> Refusal:
        return Refusal(rule_id, self.resource.urn, self.resource.label, why, fix)

    def lookup(self, urn: str) -> PlannedResource | None:
        return self.plan.resources.get(urn) or self.world.resources.get(urn)

    def age(self, urn: str) -> float | None:
        """Seconds guaranteed since `urn` was created (inf if it existed before the run, even
        if this run updates it); None if it does not exist or this step does not wait for it."""
        if urn not in self.creates:
            resource = self.plan.resources.get(urn)
            aliases = resource.aliases if resource is not None else ()
            held = urn in self.world.resources or any(a in self.world.resources for a in aliases)
            return math.inf if held else None
        return self.timeline.elapsed(urn, self.resource.urn)

    def existing(self, *tokens: str) -> list[PlannedResource]:
        """Resources of these types that exist when this step starts (before the run, or
        created by a step this one waits for)."""
        found = {
            r.urn: r
            for r in self.world.resources.values()
            if r.type in tokens and r.urn not in self.steps
        }
        for urn in self.plan.ancestors.get(self.resource.urn, ()):
            resource = self.plan.resources[urn]
            if resource.type in tokens:
                found[urn] = resource
        return list(found.values())

    def grant_age(
        self,
        principal: str | None,
        roles: Iterable[str],
        suffixes: tuple[str, ...],
        group: str = "",
    ) -> float | None:
        """The oldest matching role assignment's guaranteed age when this step starts (inf:
        made before the run), or None if none is in place by then."""
        from infra.simulate.azure import covers

        if not principal:
            return None
        wanted = {r.lower() for r in roles}
        best: float | None = None
        candidates: list[tuple[Grant, float | None]] = [(g, math.inf) for g in self.world.grants]
        candidates += [(Grant.of(r), self.age(r.urn)) for r in self.existing(ROLE_ASSIGNMENT)]
        for grant, age in candidates:
            if age is None or grant.principal != principal or grant.role not in wanted:
                continue
            if not covers(grant.scope, suffixes, group):
                continue
            best = age if best is None else max(best, age)
        return best

    def grant_anywhere(
        self, principal: str | None, roles: Iterable[str], suffixes: tuple[str, ...]
    ) -> bool:
        """Whether a matching role assignment exists by the end of the run (any order)."""
        from infra.simulate.azure import covers

        wanted = {r.lower() for r in roles}
        grants = [
            *self.world.all_grants(),
            *(Grant.of(r) for r in self.plan.of_type(ROLE_ASSIGNMENT)),
        ]
        return bool(principal) and any(
            g.principal == principal and g.role in wanted and covers(g.scope, suffixes)
            for g in grants
        )


Check = Callable[[Any], Iterable[Refusal]]
"""Step rules take a StepContext; bootstrap rules the bootstrap's SeedContext."""


@dataclass(frozen=True)
class Rule:
    id: str
    refuses: str
    """What Azure/AKS refuses, one line (the rules table of docs/simulator.md)."""
    source: str
    check: Check
    phase: str = "step"
    """`step` (every step of a replay) or `bootstrap` (between foundation and services)."""


RULES: dict[str, Rule] = {}


def rule(
    rule_id: str, *, refuses: str, source: str, phase: str = "step"
) -> Callable[[Check], Check]:
    def register(check: Check) -> Check:
        if rule_id in RULES:
            raise ValueError(f"rule {rule_id} registered twice")
        RULES[rule_id] = Rule(rule_id, refuses, source, check, phase)
        return check

    return register
