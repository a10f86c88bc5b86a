"""A recorded plan as the Pulumi engine would schedule it: who waits for whom, and in which wave.

The snapshot's `dependsOn` already holds both explicit `dependsOn` and property dependencies
(the SDK sends their union as the request's `dependencies`), with local component resources
expanded to their children (pulumi/runtime/_depends_on.py `_expand_dependencies`). The engine
adds two more edges the snapshot keeps elsewhere: a resource waits for its provider (a
first-class resource the engine creates before any resource that uses it), and depending on a
component means depending on everything under it. A parent that is itself a component adds
nothing: components have no step of their own.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

from infra.aks_versions import reference_date
from infra.plan.kinds import CHART, CONFIG_FILE

# Components run by a provider (multi-language components): they do real work against the
# cluster (helm.v4.Chart renders and applies a chart), so the simulator gives them a step.
REMOTE_COMPONENTS = frozenset({CHART, CONFIG_FILE})


def stack_of(urn: str) -> str:
    """The stack a URN names (`urn:pulumi:<stack>::<project>::…`)."""
    return urn.removeprefix("urn:pulumi:").split("::", 1)[0]


@dataclass(frozen=True)
class PlannedResource:
    """One resource of a plan snapshot."""

    urn: str
    type: str
    name: str
    parent: str
    custom: bool
    provider: str
    inputs: Mapping[str, Any]
    options: Mapping[str, Any]
    aliases: tuple[str, ...] = ()
    """Old URNs the engine matches this resource by when its own is not in the state (the
    program's aliases, as the snapshot records them)."""
    reads: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    """Input path (dotted) → the URNs of the resources whose outputs the value was computed from
    (the snapshot's `reads`): such an input is unknown in a preview while they are created."""

    @property
    def depends_on(self) -> tuple[str, ...]:
        return tuple(self.options.get("dependsOn", ()))

    @property
    def ignore_changes(self) -> tuple[str, ...]:
        return tuple(self.options.get("ignoreChanges", ()))

    @property
    def has_step(self) -> bool:
        """Whether the engine does work for it (custom resources and remote components)."""
        return self.custom or self.type in REMOTE_COMPONENTS

    @property
    def is_kubernetes(self) -> bool:
        return self.type.startswith("kubernetes:")

    @property
    def label(self) -> str:
        return f"{self.type.rsplit(':', 1)[-1]} {self.name}"

    @staticmethod
    def of(document: Mapping[str, Any]) -> PlannedResource:
        return PlannedResource(
            urn=str(document["urn"]),
            type=str(document["type"]),
            name=str(document["name"]),
            parent=str(document.get("parent", "")),
            custom=bool(document.get("custom", True)),
            provider=str(document.get("provider", "")),
            inputs=document.get("inputs") or {},
            options=document.get("options") or {},
            aliases=tuple(str(a) for a in document.get("aliases", ())),
            reads={
                ".".join(str(p) for p in read.get("path", ())): tuple(
                    str(u) for u in read.get("from", ())
                )
                for read in document.get("reads", ())
            },
        )


@dataclass(frozen=True)
class Plan:
    """A stack's recorded desired state, with the engine's dependency graph over it."""

    stack: str
    resources: Mapping[str, PlannedResource]
    config: Mapping[str, Any] = field(default_factory=dict)
    """The stack settings the simulator reads (`platform:` keys, parsed)."""
    date: dt.date = field(default_factory=reference_date)
    """The day the plan is applied: what Azure's calendars (AKS versions) are checked on. By
    default today (`infra.aks_versions.reference_date`); tests pass a fixed day."""
    registered: Mapping[str, int] = field(default_factory=dict)
    """How many times the snapshot registers each URN (`resources` keeps one per URN): the
    engine refuses a second registration (`duplicate-urn`)."""

    @staticmethod
    def from_snapshot(
        snapshot: Mapping[str, Any],
        config: Mapping[str, Any] | None = None,
        date: dt.date | None = None,
    ) -> Plan:
        resources = [PlannedResource.of(r) for r in snapshot.get("resources", ())]
        return Plan(
            stack=str(snapshot.get("stack", "")),
            resources={r.urn: r for r in resources},
            config=dict(config or {}),
            date=reference_date(date),
            registered=dict(Counter(r.urn for r in resources)),
        )

    def __iter__(self) -> Iterator[PlannedResource]:
        return iter(self.resources.values())

    def of_type(self, *tokens: str) -> list[PlannedResource]:
        return [r for r in self if r.type in tokens]

    @cached_property
    def _children(self) -> dict[str, list[str]]:
        children: dict[str, list[str]] = {}
        for resource in self:
            children.setdefault(resource.parent, []).append(resource.urn)
        return children

    def _stepped(self, urn: str) -> set[str]:
        """`urn` itself if it has a step; for a component, every descendant that has one."""
        resource = self.resources.get(urn)
        if resource is None:
            return set()
        if resource.has_step:
            return {urn}
        found: set[str] = set()
        for child in self._children.get(urn, ()):
            found |= self._stepped(child)
        return found

    @cached_property
    def dependencies(self) -> dict[str, frozenset[str]]:
        """Each resource with a step → the resources with steps it waits for."""
        graph: dict[str, frozenset[str]] = {}
        for resource in self:
            if not resource.has_step:
                continue
            wanted: set[str] = set()
            for urn in (*resource.depends_on, resource.provider):
                if urn:
                    wanted |= self._stepped(urn)
            wanted.discard(resource.urn)
            graph[resource.urn] = frozenset(wanted)
        return graph

    @cached_property
    def order(self) -> list[str]:
        """Steps in an order the engine could run them: by wave, then by URN."""
        return sorted(self.dependencies, key=lambda urn: (self.waves[urn], urn))

    @cached_property
    def waves(self) -> dict[str, int]:
        """Wave 1 holds what waits for nothing; wave n what waits for something in wave n-1.
        Steps of one wave may run at the same time (the engine runs every ready step at once,
        up to --parallel)."""
        waves: dict[str, int] = {}
        visiting: set[str] = set()

        def wave(urn: str) -> int:
            if urn in waves:
                return waves[urn]
            if urn in visiting:
                raise ValueError(f"dependency cycle through {urn}")
            visiting.add(urn)
            deps = self.dependencies.get(urn, frozenset())
            waves[urn] = 1 + max((wave(d) for d in deps), default=0)
            visiting.discard(urn)
            return waves[urn]

        for urn in self.dependencies:
            wave(urn)
        return waves

    @cached_property
    def ancestors(self) -> dict[str, frozenset[str]]:
        """Each step → every step that finishes before it starts, whatever the timing."""
        found: dict[str, frozenset[str]] = {}
        for urn in self.order:
            closure: set[str] = set()
            for dep in self.dependencies[urn]:
                closure.add(dep)
                closure |= found[dep]
            found[urn] = frozenset(closure)
        return found

    def ordered(self, first: str, second: str) -> bool:
        """Whether one of the two steps always finishes before the other starts."""
        return first in self.ancestors.get(second, ()) or second in self.ancestors.get(first, ())
