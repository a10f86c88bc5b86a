"""Simulated time: only Sleeps advance it, and only for what waits for them.

Nothing else is assumed to take time: Azure gives no lower bound on how long creating a
resource takes, so the only time a step can count on between a role assignment and its own
start is the Sleeps on the dependency paths between them. A grant that is not among a step's
dependencies guarantees nothing (it may finish before or after: a race), so it does not count.
"""

from __future__ import annotations

import math
from functools import cache

from infra.simulate.azure import seconds
from infra.simulate.plan import Plan, PlannedResource

SLEEP = "time:index/sleep:Sleep"


def retriggered(resource: PlannedResource, previous: PlannedResource | None) -> bool:
    """A Sleep whose `triggers` changed sleeps again: pulumiverse-time's Sleep, "Arbitrary map of
    values that, when changed, will run any creation or destroy delays again" (its `triggers`
    docstring), i.e. a new Sleep."""
    return (
        resource.type == SLEEP
        and previous is not None
        and previous.inputs.get("triggers") != resource.inputs.get("triggers")
    )


class Timeline:
    """`created`: the URNs this run creates (a Sleep whose triggers changed among them:
    `retriggered`). Only a created Sleep sleeps (pulumiverse-time's createDuration), and only a
    created grant is young."""

    def __init__(self, plan: Plan, created: set[str]) -> None:
        self.plan = plan
        self.steps = created
        self.duration = {urn: self._duration(urn) for urn in plan.order}
        self.start: dict[str, float] = {}
        self.done: dict[str, float] = {}
        for urn in plan.order:
            begin = max((self.done[d] for d in plan.dependencies[urn]), default=0.0)
            self.start[urn] = begin
            self.done[urn] = begin + self.duration[urn]

    def _duration(self, urn: str) -> float:
        resource = self.plan.resources[urn]
        if urn not in self.steps or resource.type != SLEEP:
            return 0.0
        return seconds(str(resource.inputs.get("createDuration") or "0s"))

    @property
    def end(self) -> float:
        return max(self.done.values(), default=0.0)

    def elapsed(self, since: str, until: str) -> float | None:
        """Time guaranteed between `since` finishing and `until` starting; None when `until`
        does not wait for `since`. Infinite when `since` existed before this run."""
        if since not in self.steps:
            return math.inf
        if since not in self.plan.ancestors.get(until, ()):
            return None
        return self._after(since)[until]

    def settled(self, since: str) -> float:
        """Time guaranteed between `since` finishing and the end of the run: the longest chain
        of Sleeps among the steps that wait for it (inf when `since` existed before the run; 0
        when nothing waits for it). What someone else's run, started after this one, can count
        on."""
        if since not in self.steps:
            return math.inf
        after = self._after(since)
        return max((after[urn] + self.duration[urn] for urn in after), default=0.0)

    def after_step(self, since: str, until: str) -> float | None:
        """Time guaranteed between the step `since` (a create or an update) finishing and
        `until` starting; None when `until` does not wait for it."""
        if since not in self.plan.ancestors.get(until, ()):
            return None
        return self._after(since)[until]

    @cache  # noqa: B019 - one Timeline per replay, a few dozen grants each
    def _after(self, since: str) -> dict[str, float]:
        """For every step after `since`: the least time between `since` done and its start."""
        finished: dict[str, float] = {since: 0.0}
        started: dict[str, float] = {}
        for urn in self.plan.order:
            if since not in self.plan.ancestors[urn]:
                continue
            started[urn] = max(finished[d] for d in self.plan.dependencies[urn] if d in finished)
            finished[urn] = started[urn] + self.duration[urn]
        return started
