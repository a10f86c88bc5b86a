"""Validate every declared service before anything is registered, and report all problems at once.

Two passes per service: pydantic re-checks the declared types (so `replicas="two"` or a literal
string where a secret reference belongs is caught with its path), then the registered rules
(`infra/services/rules/`) check values and targets of each service, job and chart, and the
relations between them. Rendering code trusts what passes.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from pydantic import TypeAdapter, ValidationError

from infra.config import Environment
from infra.input_errors import Wording, problems_from
from infra.problems import InvalidInput, Problem, show
from infra.services.catalog import Catalog, PlannedChart, PlannedJob, PlannedService
from infra.services.image_lock import pin
from infra.services.overrides import for_environment
from infra.services.patterns import (
    DNS_LABEL,
    RESERVED_NAMESPACES,
)
from infra.services.rollout_validation import listener_problems, rollout_problems, route_problems
from infra.services.rules import (
    ValidationContext,
    check_chart,
    check_job,
    check_relations,
    check_service,
)
from infra.services.spec import (
    Application,
    HelmChart,
    JobSpec,
    ServiceSpec,
)

_SPEC = TypeAdapter(ServiceSpec)
_JOB = TypeAdapter(JobSpec)
_CHART = TypeAdapter(HelmChart)
_SPEC_CLASSES = frozenset(
    cls.__name__
    for cls in vars(__import__("infra.services.spec", fromlist=["x"])).values()
    if isinstance(cls, type) and dataclasses.is_dataclass(cls)
)


def apply_override(spec: ServiceSpec, environment: Environment) -> ServiceSpec:
    """The service as declared (not as rebuilt by validation), patched for `environment`."""
    return for_environment(spec, environment.value)


# --------------------------------------------------------------------------------------------
# Type pass (pydantic)


def _loc_path(loc: Iterable[Any]) -> str:
    path = ""
    for part in loc:
        if isinstance(part, int):
            path += f"[{part}]"
        elif path and isinstance(part, str) and not part.isidentifier():
            path += f"[{part!r}]"
        else:
            path += f".{part}" if path else str(part)
    return path


def _type_problems(
    spec: Any, group: str, adapter: TypeAdapter[Any] = _SPEC
) -> tuple[Any, list[Problem]]:
    try:
        return adapter.validate_python(spec), []
    except ValidationError as error:
        wording = Wording(
            path=_loc_path,
            unknown="unknown field",
            unknown_fix=lambda _: "remove it or fix its spelling",
            fix=lambda _: "see the README's service model",
            group=group,
        )
        return None, problems_from(error, wording, written=spec, members=_SPEC_CLASSES)


def _overrides_problems(declared: Any, group: str) -> list[Problem]:
    overrides = getattr(declared, "overrides", None)
    return [
        Problem(
            f"overrides[{env_name!r}]",
            "",
            "is not an environment",
            f"use one of {', '.join(e.value for e in Environment)}",
            group,
        )
        for env_name in (overrides if isinstance(overrides, Mapping) else ())
        if env_name not in {e.value for e in Environment}
    ]


def _workload(
    declared: Any, adapter: TypeAdapter[Any], group: str, context: ValidationContext
) -> tuple[Any, list[Problem]]:
    """Type-check the declaration, patch it for the environment, type-check the result.

    The override is applied to the declaration as written: validation rebuilds objects, which
    forgets the fields each constructor was given (what makes an override a patch)."""
    problems = _overrides_problems(declared, group)
    spec, type_problems = _type_problems(declared, group, adapter)
    if spec is None:
        return None, problems + type_problems
    spec, type_problems = _type_problems(
        for_environment(declared, context.environment.value), group, adapter
    )
    if spec is not None and context.image_lock is not None and isinstance(spec.image, str):
        # Tags the deploy workflow resolved to digests run by digest (apps/images.lock.yaml).
        spec = dataclasses.replace(spec, image=pin(spec.image, context.image_lock))
        if spec.init_containers:
            spec = dataclasses.replace(
                spec,
                init_containers=tuple(
                    dataclasses.replace(i, image=pin(i.image, context.image_lock))
                    for i in spec.init_containers
                ),
            )
        if getattr(spec, "rollout", None) is not None:
            canary = spec.rollout
            spec = dataclasses.replace(
                spec,
                rollout=dataclasses.replace(canary, image=pin(canary.image, context.image_lock)),
            )
    return spec, problems + type_problems


def _wrong_kind(
    declared: object, expected: type, field: str, index: int, group: str
) -> Problem | None:
    """An entry of `services`/`jobs` that is not the declaration class the field holds."""
    if isinstance(declared, expected):
        return None
    name = expected.__name__
    return Problem(
        f"{field}[{index}]",
        show(declared),
        f"is not a {name}",
        f"declare {field} with {name}(...)",
        group,
    )


def validate_applications(
    applications: Sequence[Application], context: ValidationContext
) -> Catalog:
    """Every problem in every service and job, at once; or the catalog the renderers trust."""
    problems: list[Problem] = []
    planned: list[PlannedService] = []
    planned_jobs: list[PlannedJob] = []
    planned_charts: list[PlannedChart] = []
    app_names: set[str] = set()
    for application in applications:
        source = application.source or "apps/"
        app_group = f"application {application.name!r} ({source})"
        if (
            not isinstance(application.name, str)
            or not DNS_LABEL.match(application.name)
            or len(application.name) > 63
        ):
            problems.append(
                Problem(
                    "name",
                    show(application.name),
                    "is not a DNS label (it names the namespace)",
                    "use lowercase letters, digits and '-'",
                    app_group,
                )
            )
        elif application.name in RESERVED_NAMESPACES:
            problems.append(
                Problem(
                    "name",
                    application.name,
                    "is a system namespace",
                    "choose another name",
                    app_group,
                )
            )
        if application.name in app_names:
            problems.append(
                Problem("name", application.name, "is declared twice", "merge or rename", app_group)
            )
        app_names.add(application.name)
        for index, declared in enumerate(application.services):
            label = getattr(declared, "name", f"services[{index}]")
            group = f"{label} ({source})"
            if wrong := _wrong_kind(declared, ServiceSpec, "services", index, group):
                problems.append(wrong)
                continue
            spec, found = _workload(declared, _SPEC, group, context)
            problems.extend(found)
            if spec is None:
                continue
            problems.extend(check_service(spec, group, context))
            stable = getattr(declared, "image", spec.image)
            problems.extend(
                rollout_problems(
                    spec,
                    group,
                    context.environment,
                    stable,
                    locked=context.image_lock is not None,
                    internal_routes=context.internal_routes,
                )
            )
            problems.extend(route_problems(spec, group))
            planned.append(PlannedService(application.name, spec, source))
        for index, declared_job in enumerate(getattr(application, "jobs", ()) or ()):
            group = f"{getattr(declared_job, 'name', f'jobs[{index}]')} ({source})"
            if wrong := _wrong_kind(declared_job, JobSpec, "jobs", index, group):
                problems.append(wrong)
                continue
            job, found = _workload(declared_job, _JOB, group, context)
            problems.extend(found)
            if job is None:
                continue
            problems.extend(check_job(job, group, context))
            planned_jobs.append(PlannedJob(application.name, job, source))
        for index, declared_chart in enumerate(getattr(application, "charts", ()) or ()):
            group = f"{getattr(declared_chart, 'name', f'charts[{index}]')} ({source})"
            chart, type_problems = _type_problems(declared_chart, group, _CHART)
            if chart is None:
                problems.extend(type_problems)
                continue
            problems.extend(check_chart(chart, group, context))
            planned_charts.append(PlannedChart(application.name, chart, source))
    problems.extend(check_relations(planned, planned_jobs, planned_charts))
    problems.extend(listener_problems([(s.app, s.spec, f"{s.name} ({s.source})") for s in planned]))
    if problems:
        raise InvalidInput("the service declarations", problems)
    return Catalog(
        tuple(sorted(planned, key=lambda s: s.name)),
        tuple(sorted(planned_charts, key=lambda c: c.name)),
        tuple(sorted(planned_jobs, key=lambda j: j.name)),
    )


__all__ = ["apply_override", "validate_applications"]
