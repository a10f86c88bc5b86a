"""Calls across applications (docs/team-stacks.md, "Calls across applications").

One source of truth: the declarations in `apps/`. The platform stack computes from them the
registry of published services (every onboarded application's services, their ports and the
address a caller on each target reaches them at) and the calls across applications (every
dependency of one onboarded application's workload on another's service), and exports both in
the contract (1.1.0). Nothing is listed twice: no team writes what it publishes or whom it
calls anywhere but in its own declarations.

- The platform computes the addresses with the single stack's wiring (`infra.services.wiring`)
  on all onboarded applications at once, so a caller gets exactly the address it would get in a
  single stack. It reads the declarations without validating them (as it reads their secrets):
  one team's broken declaration is skipped here and refused in that team's own stack.
- An application stack adds what the registry says to its catalog as neighbours
  (`Catalog.neighbours`): the services it calls (a dependency on another application's service
  resolves, with the published address) and the callers of its own services (so its
  NetworkPolicies, internal load balancers and Container Apps allow-lists admit them, as in a
  single stack). Neither team edits the other's files.
- The callee's preview refuses to remove, or drop the port of, a service the deployed contract
  says another application still calls (`removal_problems`).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from dataclasses import dataclass

from infra.config import Environment
from infra.problems import Problem
from infra.services.catalog import (
    Catalog,
    Planned,
    PlannedJob,
    PlannedService,
    PublishedEndpoint,
    with_routes,
)
from infra.services.overrides import for_environment
from infra.services.render.common import PlatformFacts
from infra.services.routes import StackIngress
from infra.services.spec import (
    Application,
    Dependency,
    JobSpec,
    Port,
    Protocol,
    ServiceSpec,
    Target,
)
from infra.services.wiring import endpoint
from infra.stacks.contract import PlatformContract, PublishedService, ServiceCall

REGISTRY_SOURCE = "the platform's registry of published services"


def planned_workloads(
    applications: Sequence[Application], onboarded: Sequence[str], environment: Environment
) -> tuple[list[PlannedService], list[PlannedJob], dict[str, set[str]], dict[str, str]]:
    """The onboarded applications' workloads as they run in `environment`, read leniently (a
    declaration that does not resolve is left to its own stack); each application's charts; and
    per application whose declarations did not all resolve, the first that did not (the
    platform's shared ingress skips its listeners: `infra.stacks.ingress`)."""
    services: list[PlannedService] = []
    jobs: list[PlannedJob] = []
    charts: dict[str, set[str]] = {}
    broken: dict[str, str] = {}
    for app in applications:
        if app.name not in onboarded:
            continue
        source = app.source or "apps/"
        charts[app.name] = {getattr(c, "name", "") for c in app.charts}
        for spec in app.services:
            try:
                effective = for_environment(spec, environment.value)
            except Exception as error:  # refused in the application's own stack
                broken.setdefault(app.name, f"{getattr(spec, 'name', spec)!s}: {error}")
                continue
            if isinstance(effective, ServiceSpec):
                services.append(PlannedService(app.name, effective, source))
        for job in app.jobs:
            try:
                effective_job = for_environment(job, environment.value)
            except Exception as error:  # refused in the application's own stack
                broken.setdefault(app.name, f"{getattr(job, 'name', job)!s}: {error}")
                continue
            if isinstance(effective_job, JobSpec):
                jobs.append(PlannedJob(app.name, effective_job, source))
    return services, jobs, charts, broken


def _caller_on(target: Target) -> PlannedService:
    """Any caller on `target`: an address depends only on the caller's target."""
    return PlannedService("", ServiceSpec(name="", image="", target=target), REGISTRY_SOURCE)


def service_registry(
    applications: Sequence[Application],
    onboarded: Sequence[str],
    environment: Environment,
    ingress: StackIngress,
    facts: PlatformFacts,
) -> tuple[list[dict[str, object]], list[dict[str, object]]]:
    """The contract's `services` and `calls` (raw, camelCase; hosts may be Outputs)."""
    services, jobs, charts, _ = planned_workloads(applications, onboarded, environment)
    try:
        routed = with_routes(services, ingress)
    except Exception:  # refused in the application's own stack
        routed = tuple(services)
    catalog = Catalog(tuple(routed), jobs=tuple(jobs))
    owner = {s.name: s.app for s in catalog.services}
    published: list[dict[str, object]] = []
    for service in catalog.services:
        try:
            ports = [
                {"name": p.name, "protocol": p.protocol.value, "number": p.number}
                for p in service.spec.ports
            ]
            addresses: list[dict[str, object]] = []
            for port in service.spec.ports:
                for target in Target:
                    at = endpoint(_caller_on(target), service, port.name, facts, catalog=catalog)
                    addresses.append(
                        {
                            "callerTarget": target.value,
                            "port": port.name,
                            "host": at.host,
                            "number": at.number,
                            "scheme": at.scheme,
                        }
                    )
        except Exception:  # refused in the application's own stack
            continue
        published.append(
            {
                "application": service.app,
                "name": service.name,
                "target": service.spec.target.value,
                "ports": ports,
                "addresses": addresses,
            }
        )
    calls: list[dict[str, object]] = []
    for caller in (*catalog.services, *catalog.jobs):
        for dep in caller.spec.dependencies:
            callee_app = owner.get(dep.service)
            if callee_app in (None, caller.app) or dep.service in charts.get(caller.app, ()):
                continue
            calls.append(
                {
                    "application": caller.app,
                    "caller": caller.name,
                    "kind": "service" if isinstance(caller, PlannedService) else "job",
                    "target": caller.spec.target.value,
                    "service": dep.service,
                    "port": dep.port,
                }
            )
    return published, calls


# --- An application stack ----------------------------------------------------------------


def _stub(service: PublishedService) -> PlannedService:
    """Another application's service as a caller's validation and wiring need it: name,
    target, ports (it is never rendered here)."""
    ports = tuple(
        Port(name=p.name, number=p.number, protocol=Protocol(p.protocol)) for p in service.ports
    )
    spec = ServiceSpec(name=service.name, image="", target=Target(service.target), ports=ports)
    return PlannedService(service.application, spec, REGISTRY_SOURCE)


def _callers(calls: Sequence[ServiceCall]) -> list[Planned]:
    """Other applications' callers, each with the dependencies it has on this application."""
    grouped: dict[tuple[str, str, str, str], list[Dependency]] = {}
    for call in calls:
        key = (call.application, call.caller, call.kind, call.target)
        grouped.setdefault(key, []).append(Dependency(service=call.service, port=call.port))
    stubs: list[Planned] = []
    for (app, name, kind, target), deps in sorted(grouped.items()):
        if kind == "job":
            job = JobSpec(name=name, image="", target=Target(target), dependencies=tuple(deps))
            stubs.append(PlannedJob(app, job, REGISTRY_SOURCE))
        else:
            spec = ServiceSpec(name=name, image="", target=Target(target), dependencies=tuple(deps))
            stubs.append(PlannedService(app, spec, REGISTRY_SOURCE))
    return stubs


@dataclass(frozen=True)
class Neighbours:
    """What an application stack knows of the other applications (`Catalog.neighbours`,
    `Catalog.published`), handed to validation so its dependencies resolve and its renderers
    admit its callers."""

    planned: tuple[Planned, ...]
    published: tuple[PublishedEndpoint, ...]


def neighbours(
    contract: PlatformContract, application: str, declared: Sequence[Application]
) -> Neighbours:
    """Every other application's published service (with its addresses), and the other
    applications' callers of this application's services (declared or published)."""
    others = [s for s in contract.services if s.application != application]
    own = {getattr(s, "name", "") for a in declared for s in a.services} | {
        s.name for s in contract.services if s.application == application
    }
    stubs = {s.name: _stub(s) for s in others}
    callers: list[Planned] = []
    for caller in _callers(
        [c for c in contract.calls if c.application != application and c.service in own]
    ):
        stub = stubs.get(caller.name)
        if isinstance(caller, PlannedService) and stub is not None:
            # Called and calling: one neighbour with its ports and its dependencies on us.
            stubs[caller.name] = dataclasses.replace(
                stub, spec=dataclasses.replace(stub.spec, dependencies=caller.spec.dependencies)
            )
        else:
            callers.append(caller)
    endpoints = tuple(
        PublishedEndpoint(s.name, Target(a.caller_target), a.port, a.host, a.number, a.scheme)
        for s in others
        for a in s.addresses
    )
    return Neighbours((*stubs.values(), *callers), endpoints)


def removal_problems(
    contract: PlatformContract, application: str, catalog: Catalog
) -> list[Problem]:
    """A service the deployed contract publishes for this application and another application
    still calls must stay, with the port it calls, until the callers drop the dependency."""
    mine = {s.name for s in contract.services if s.application == application}
    declared = {s.name: s for s in catalog.services}
    missing: dict[tuple[str, str | None], list[ServiceCall]] = {}
    for call in contract.calls:
        if call.application == application or call.service not in mine:
            continue
        service = declared.get(call.service)
        if service is None:
            missing.setdefault((call.service, None), []).append(call)
        elif call.port is not None and service.spec.port_named(call.port) is None:
            missing.setdefault((call.service, call.port), []).append(call)
    problems: list[Problem] = []
    for (name, port), calls in sorted(missing.items(), key=lambda m: (m[0][0], m[0][1] or "")):
        who = ", ".join(sorted({f"{c.application}/{c.caller} ({c.kind})" for c in calls}))
        apps = ", ".join(sorted({c.application for c in calls}))
        if port is None:
            problems.append(
                Problem(
                    name,
                    "removed",
                    f"is still called by {who}: removing it breaks them",
                    f"keep {name} until {apps} remove their dependency on it and deploy, then "
                    "remove it (the platform's registry then no longer lists the calls)",
                    group=f"{application} ({REGISTRY_SOURCE})",
                )
            )
        else:
            problems.append(
                Problem(
                    f"{name}.ports",
                    port,
                    f"port {port} is still called by {who}",
                    f"keep port {port} until {apps} stop naming it and deploy",
                    group=f"{application} ({REGISTRY_SOURCE})",
                )
            )
    return problems
