"""What validation hands the renderers: the catalog of planned services, jobs and charts.

Everything downstream (renderers, wiring, charts, topology, components, preview) imports these
types; they live apart from the rules so that reading them pulls in no validation code.
"""

from __future__ import annotations

import dataclasses
import functools
from collections.abc import Sequence
from dataclasses import dataclass

from infra.constants import PROBE_TIMEOUT_SECONDS, PROBE_TIMINGS, jobs_namespace
from infra.services.patterns import SECRETS_NAMESPACE
from infra.services.routes import Route, StackIngress, decide_route, listener_name, listener_scope
from infra.services.spec import (
    ConfigSecret,
    HelmChart,
    JobSpec,
    Port,
    Probe,
    ServiceSpec,
    Target,
)


@dataclass(frozen=True)
class PlannedService:
    """A service after overrides for this environment, validated: what renderers receive."""

    app: str
    spec: ServiceSpec
    source: str
    route: Route | None = None
    """How its ingress is served, decided once by validation (`with_routes`); None: not
    exposed. Every stage reads it (`infra.services.routes`)."""

    @property
    def name(self) -> str:
        return self.spec.name

    @property
    def namespace(self) -> str:
        """The Kubernetes namespace on AKS: the application's."""
        return self.app


def with_routes(
    services: Sequence[PlannedService], stack: StackIngress
) -> tuple[PlannedService, ...]:
    """Every service with its route (`infra.services.routes.decide_route`), listeners named: a
    Gateway has one listener per host (two with one port, protocol and hostname are refused by
    the Gateway CRD), named after the host's first service by (application, name), so a host
    with one service keeps the name it always had."""
    decided = [(s, decide_route(s.spec, stack)) for s in services]
    owners: dict[tuple[object, ...], PlannedService] = {}
    for service, route in sorted(decided, key=lambda d: (d[0].app, d[0].name)):
        if route is not None and route.gateway.gateway_api:
            owners.setdefault(listener_scope(route, service.app), service)
    planned: list[PlannedService] = []
    for service, decision in decided:
        route = decision
        if decision is not None and decision.gateway.gateway_api:
            owner = owners[listener_scope(decision, service.app)]
            route = dataclasses.replace(
                decision, listener=listener_name(decision, owner.app, owner.name)
            )
        planned.append(dataclasses.replace(service, route=route))
    return tuple(planned)


@dataclass(frozen=True)
class PlannedJob:
    """A job after overrides for this environment, validated: what renderers receive."""

    app: str
    spec: JobSpec
    source: str

    @property
    def name(self) -> str:
        return self.spec.name

    @property
    def namespace(self) -> str:
        """The Kubernetes namespace on AKS: the application's jobs namespace, which Deployment
        Safeguards exclude (job pods have no probes; `JOBS_NAMESPACE_SUFFIX`)."""
        return jobs_namespace(self.app)


Planned = PlannedService | PlannedJob
"""Anything that runs a container: both call services, get identities and share defaults."""


@dataclass(frozen=True)
class PlannedChart:
    """A validated Helm chart and the application (namespace) it is installed in."""

    app: str
    chart: HelmChart
    source: str

    @property
    def name(self) -> str:
        return self.chart.name

    @property
    def service_name(self) -> str:
        return self.chart.service or self.chart.name


@dataclass(frozen=True)
class PublishedEndpoint:
    """Where a caller on `caller_target` reaches port `port` of another application's service,
    as the platform's registry of published services says (team stacks, docs/team-stacks.md)."""

    service: str
    caller_target: Target
    port: str
    host: str
    number: int
    scheme: str | None


@dataclass(frozen=True)
class Catalog:
    services: tuple[PlannedService, ...]
    charts: tuple[PlannedChart, ...] = ()
    jobs: tuple[PlannedJob, ...] = ()
    neighbours: tuple[Planned, ...] = ()
    """Other applications' services and jobs an application stack's wiring needs (team stacks):
    the services it calls and the callers of its services, from the platform's registry. Never
    deployed here; `get` and `callers_of` resolve them. Empty in a single stack."""
    published: tuple[PublishedEndpoint, ...] = ()
    """The addresses of the neighbour services this stack calls, as their stack serves them."""

    def job_namespaces(self, target: Target) -> tuple[str, ...]:
        """The jobs namespaces of the applications with a job on `target`, sorted."""
        return tuple(sorted({j.namespace for j in self.jobs if j.spec.target is target}))

    def chart(self, name: str) -> PlannedChart | None:
        return next((c for c in self.charts if c.name == name), None)

    def get(self, name: str) -> PlannedService:
        return self._by_name[name]

    @functools.cached_property
    def _by_name(self) -> dict[str, PlannedService]:
        neighbours = [n for n in self.neighbours if isinstance(n, PlannedService)]
        return {service.name: service for service in (*neighbours, *self.services)}

    def published_endpoint(
        self, service: str, caller_target: Target, port: str
    ) -> PublishedEndpoint | None:
        """A neighbour's address for a caller on `caller_target` (None: not a neighbour's)."""
        return next(
            (
                e
                for e in self.published
                if (e.service, e.caller_target, e.port) == (service, caller_target, port)
            ),
            None,
        )

    def callers_of(self, name: str) -> tuple[Planned, ...]:
        """Services and jobs that declare `name` as a dependency."""
        return self._callers.get(name, ())

    @functools.cached_property
    def _callers(self) -> dict[str, tuple[Planned, ...]]:
        """Callee name → callers, built once: rendering asks for every service."""
        index: dict[str, list[Planned]] = {}
        callers: tuple[Planned, ...] = (*self.services, *self.jobs)
        if self.neighbours:
            # An application stack: the other applications' callers among its own, in a single
            # stack's order (services by name, then jobs by name: validation's), so a callee's
            # NetworkPolicy lists its peers as the single stack does (a migration updates none).
            services = [n for n in self.neighbours if isinstance(n, PlannedService)]
            jobs = [n for n in self.neighbours if not isinstance(n, PlannedService)]
            callers = (
                *sorted((*self.services, *services), key=lambda s: s.name),
                *sorted((*self.jobs, *jobs), key=lambda j: j.name),
            )
        for caller in callers:
            for callee in dict.fromkeys(d.service for d in caller.spec.dependencies):
                index.setdefault(callee, []).append(caller)
        return {name: tuple(callers) for name, callers in index.items()}


# --------------------------------------------------------------------------------------------
# Helpers used by the renderers too


def service_port(port: Port) -> int:
    """The port callers use: `service_port` when declared, else the container's."""
    return port.number if port.service_port is None else port.service_port


def probe_timing(probe: Probe, kind: str) -> dict[str, int]:
    """A probe's timing as both APIs name the fields (`initialDelaySeconds`, `periodSeconds`,
    `timeoutSeconds`, `failureThreshold`, `successThreshold`), the kind's defaults
    (`infra.constants.PROBE_TIMINGS`) filled in: what validation checks against each target's
    limits and what both renderers send."""
    timing = probe.timing
    period, failures = PROBE_TIMINGS[kind]
    return {
        "initialDelaySeconds": timing.initial_delay_seconds,
        "periodSeconds": period if timing.period_seconds is None else timing.period_seconds,
        "timeoutSeconds": PROBE_TIMEOUT_SECONDS
        if timing.timeout_seconds is None
        else timing.timeout_seconds,
        "failureThreshold": failures
        if timing.failure_threshold is None
        else timing.failure_threshold,
        "successThreshold": timing.success_threshold,
    }


def config_secret_key(ref: ConfigSecret) -> str:
    return ref.key if ":" in ref.key else f"{SECRETS_NAMESPACE}:{ref.key}"
