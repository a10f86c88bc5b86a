"""Validate every declared service before anything is registered, and report all problems at once.

Two passes per service: pydantic re-checks the declared types (so `replicas="two"` or a literal
string where a secret reference belongs is caught with its path), then the registered rules
(`infra/services/rules/`) check values and targets of each service, job and chart, the
relations between them, and the catalog against the stack it deploys to (hosts, gateway limits,
the preflight's Key Vault references, the names Kubernetes accepts). Rendering code trusts what
passes.

One context per stack: `stack_context` builds it from the stack config, and the deploy
(`infra/program.py`), the preflight command and the tests' helpers all use it, so they check
under the same rules (docs/validation.md).
"""

from __future__ import annotations

import dataclasses
import typing
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from pydantic import TypeAdapter, ValidationError

from infra.config import (
    NAMESPACE,
    Environment,
    LocalConfig,
    PlatformConfig,
    project_environments,
)
from infra.input_errors import Wording, problems_from
from infra.node_capacity import node_memory_mib  # the price sheets know each size's memory
from infra.problems import InvalidInput, Problem, show
from infra.services.catalog import (
    Catalog,
    PlannedChart,
    PlannedJob,
    PlannedService,
    jobs_namespace,
    with_routes,
)
from infra.services.image_lock import load_lock, pin
from infra.services.overrides import for_environment
from infra.services.patterns import (
    DNS_LABEL,
    RESERVED_NAMESPACES,
)
from infra.services.routes import DEFAULT_INGRESS, StackIngress, stack_ingress
from infra.services.rules import (
    DECLARATIONS,
    AksObjects,
    NodeMemory,
    ValidationContext,
    check_catalog,
    check_chart,
    check_job,
    check_relations,
    check_service,
)
from infra.services.rules.secrets import secret_content_problems
from infra.services.spec import (
    Application,
    HelmChart,
    JobSpec,
    ServiceSpec,
    Target,
)
from infra.services.vault_references import Exists

_SPEC = TypeAdapter(ServiceSpec)
_JOB = TypeAdapter(JobSpec)
_CHART = TypeAdapter(HelmChart)
_SPEC_CLASSES = frozenset(
    cls.__name__
    for cls in vars(__import__("infra.services.spec", fromlist=["x"])).values()
    if isinstance(cls, type) and dataclasses.is_dataclass(cls)
)


def stack_context(
    stack: PlatformConfig | LocalConfig | Environment,
    config_keys: Mapping[str, bool],
    *,
    pinned: bool = True,
    vault_exists: Exists | None = None,
    platform: tuple[str, StackIngress] | None = None,
    aks_objects: AksObjects | None = None,
) -> ValidationContext:
    """The one `ValidationContext` of a stack, from its config: what every rule reads of it.

    `stack`: the stack's config, or only its environment when the config itself is invalid
    (the declarations are then checked with it, and the rules that need the config skip).
    `config_keys`: every config key of the stack (`secrets:api-token`, ...) → whether it is
    stored encrypted. `pinned`: images deploy through the lock of the applications package
    (`apps/images.lock.yaml`; never on the local stack, which builds its own); False only where
    declarations are checked as written, not deployed. `vault_exists`: asks Azure whether a Key
    Vault reference exists (the deploy against Azure; None offline). `platform`: for an
    application stack, which has no platform config of its own, the platform vault's name and
    the stack's ingress as the platform contract states them (`infra/stacks/`). `aks_objects`:
    the AKS renderers' objects of a workload (`infra.services.render.dry_run.aks_objects`),
    handed in by the program and the preflight so validation checks the names Kubernetes gets
    without importing a renderer; None: names not checked."""
    config = None if isinstance(stack, Environment) else stack
    environment = stack if isinstance(stack, Environment) else stack.environment
    azure = config if isinstance(config, PlatformConfig) else None
    return ValidationContext(
        environment,
        {
            key: secret
            for key, secret in config_keys.items()
            if not key.startswith(f"{NAMESPACE}:") and not key.startswith("pulumi:")
        },
        platform[0] if platform else "" if azure is None else azure.key_vault_name,
        image_lock=load_lock() if pinned and environment is not Environment.LOCAL else None,
        # Each service's route is decided from it (`infra.services.routes`).
        ingress=platform[1]
        if platform
        else DEFAULT_INGRESS
        if config is None
        else stack_ingress(config),
        stack_environments=project_environments(),
        node_memory=None if azure is None else _node_memory(azure),
        stack=config,
        vault_exists=None if azure is None else vault_exists,
        aks_objects=aks_objects,
    )


def _node_memory(config: PlatformConfig) -> NodeMemory | None:
    """What a pod can have on a node of the user pool, where workloads run."""
    pool = config.aks.user_pool
    mib = node_memory_mib(pool.vm_size, pool.max_pods)
    return None if mib is None else NodeMemory(pool.vm_size, mib)


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
            fix=lambda _: "see docs/service-model.md",
            group=group,
        )
        return None, problems_from(error, wording, written=spec, members=_SPEC_CLASSES)


def _overrides_problems(
    declared: Any, group: str, stacks: frozenset[str] | None = None
) -> list[Problem]:
    """Overrides keyed by something other than an environment, or (`stacks`: the environments
    the project's stack files name) by an environment no stack has: such an override is never
    deployed, so nothing would ever validate it."""
    overrides = getattr(declared, "overrides", None)
    problems: list[Problem] = []
    for env_name in overrides if isinstance(overrides, Mapping) else ():
        if env_name not in {e.value for e in Environment}:
            problems.append(
                Problem(
                    f"overrides[{env_name!r}]",
                    "",
                    "is not an environment",
                    f"use one of {', '.join(e.value for e in Environment)}",
                    group,
                )
            )
        elif stacks is not None and env_name not in stacks:
            problems.append(
                Problem(
                    f"overrides[{env_name!r}]",
                    "",
                    "is for an environment no stack of the project has (no Pulumi.<stack>.yaml "
                    f"sets platform:environment: {env_name}), so it is never deployed or checked",
                    f"remove it, or key it by one of {', '.join(sorted(stacks))}",
                    group,
                )
            )
    return problems


def _workload(
    declared: Any, adapter: TypeAdapter[Any], group: str, context: ValidationContext
) -> tuple[Any, list[Problem]]:
    """Type-check the declaration, patch it for the environment, type-check the result.

    The override is applied to the declaration as written: validation rebuilds objects, which
    forgets the fields each constructor was given (what makes an override a patch)."""
    problems = _overrides_problems(declared, group, context.stack_environments)
    spec, type_problems = _type_problems(declared, group, adapter)
    if spec is None:
        return None, problems + type_problems
    patched = for_environment(declared, context.environment.value)
    spec, type_problems = _type_problems(patched, group, adapter)
    if spec is not None:
        problems += secret_content_problems(getattr(patched, "env", None), group)
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


_APPLICATION_HINTS = typing.get_type_hints(Application)


def _application_field_problems(application: Application, group: str) -> list[Problem]:
    """The application's own fields type-checked like a spec's (its members are checked one by
    one below): a workload where a tuple of them belongs, such as `services=(web)` without the
    trailing comma, is named with its fix instead of ending in a TypeError."""
    problems: list[Problem] = []
    for f in dataclasses.fields(Application):
        hint = _APPLICATION_HINTS[f.name]
        value = getattr(application, f.name)
        if typing.get_origin(hint) is tuple:
            member = typing.get_args(hint)[0]
            if isinstance(value, (tuple, list)):
                continue
            if isinstance(value, member):
                name = getattr(value, "name", None)
                label = name.replace("-", "_") if isinstance(name, str) else ""
                label = label if label.isidentifier() else "..."
                problems.append(
                    Problem(
                        f.name,
                        f"{member.__name__}(name={show(name)}, ...)",
                        f"is one {member.__name__}, not a tuple of them",
                        f"add a trailing comma: {f.name}=({label},) (a tuple of one)",
                        group,
                    )
                )
            else:
                problems.append(
                    Problem(
                        f.name,
                        show(value),
                        f"is a {type(value).__name__}, not a tuple of {member.__name__}",
                        f"declare {f.name}=({member.__name__}(...), ...), or () for none",
                        group,
                    )
                )
        elif hint is str and not isinstance(value, str) and f.name != "name":
            # `name` has its own check (it names the namespace).
            problems.append(Problem(f.name, show(value), "is not a string", "use a string", group))
    return problems


def _members(application: Application, field: str) -> Sequence[Any]:
    """The declarations in one of an application's tuple fields; none when it is not one (its
    problem is reported by `_application_field_problems`)."""
    value = getattr(application, field, ())
    return value if isinstance(value, (tuple, list)) else ()


def _jobs_namespace_problems(
    applications: Sequence[Application], jobs: Sequence[PlannedJob]
) -> list[Problem]:
    """An application's AKS jobs run in `<app>-jobs` (infra/constants.py JOBS_NAMESPACE_SUFFIX):
    that name must be a namespace (63 characters at most) no application takes for itself."""
    problems: list[Problem] = []
    sources = {a.name: a.source or "apps/" for a in applications if isinstance(a.name, str)}
    for app in sorted({j.app for j in jobs if j.spec.target is Target.AKS}):
        namespace = jobs_namespace(app)
        group = f"application {app!r} ({sources.get(app, 'apps/')})"
        if len(namespace) > 63:
            problems.append(
                Problem(
                    "name",
                    app,
                    f"its AKS jobs run in namespace {namespace!r}, longer than 63 characters",
                    f"shorten the application name to at most {63 - len(namespace) + len(app)}"
                    " characters",
                    group,
                )
            )
        if namespace in sources:
            problems.append(
                Problem(
                    "name",
                    namespace,
                    f"is the namespace application {app!r}'s AKS jobs run in",
                    "choose another application name",
                    f"application {namespace!r} ({sources[namespace]})",
                )
            )
    return problems


def validate_applications(
    applications: Sequence[Application], context: ValidationContext
) -> Catalog:
    """Every problem in every service and job, at once; or the catalog the renderers trust."""
    problems: list[Problem] = []
    planned: list[PlannedService] = []
    planned_jobs: list[PlannedJob] = []
    planned_charts: list[PlannedChart] = []
    # Those without a problem of their own: what the catalog rules check.
    accepted: list[PlannedService] = []
    accepted_jobs: list[PlannedJob] = []
    accepted_charts: list[PlannedChart] = []
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
        if isinstance(application.name, str):
            if application.name in app_names:
                problems.append(
                    Problem(
                        "name", application.name, "is declared twice", "merge or rename", app_group
                    )
                )
            app_names.add(application.name)
        problems.extend(_application_field_problems(application, app_group))
        for index, declared in enumerate(_members(application, "services")):
            label = getattr(declared, "name", f"services[{index}]")
            group = f"{label} ({source})"
            if wrong := _wrong_kind(declared, ServiceSpec, "services", index, group):
                problems.append(wrong)
                continue
            spec, found = _workload(declared, _SPEC, group, context)
            problems.extend(found)
            if spec is None:
                continue
            checked = check_service(spec, group, context, declared)
            problems.extend(checked)
            planned.append(PlannedService(application.name, spec, source))
            if not found and not checked:
                accepted.append(planned[-1])
        for index, declared_job in enumerate(_members(application, "jobs")):
            group = f"{getattr(declared_job, 'name', f'jobs[{index}]')} ({source})"
            if wrong := _wrong_kind(declared_job, JobSpec, "jobs", index, group):
                problems.append(wrong)
                continue
            job, found = _workload(declared_job, _JOB, group, context)
            problems.extend(found)
            if job is None:
                continue
            checked = check_job(job, group, context, declared_job)
            problems.extend(checked)
            planned_jobs.append(PlannedJob(application.name, job, source))
            if not found and not checked:
                accepted_jobs.append(planned_jobs[-1])
        for index, declared_chart in enumerate(_members(application, "charts")):
            group = f"{getattr(declared_chart, 'name', f'charts[{index}]')} ({source})"
            chart, type_problems = _type_problems(declared_chart, group, _CHART)
            if chart is None:
                problems.extend(type_problems)
                continue
            found = check_chart(chart, group, context)
            problems.extend(found)
            planned_charts.append(PlannedChart(application.name, chart, source))
            if not found:
                accepted_charts.append(planned_charts[-1])
    problems.extend(_jobs_namespace_problems(applications, planned_jobs))
    neighbours = [n for n in context.neighbours if isinstance(n, PlannedService)]
    problems.extend(check_relations(planned, planned_jobs, planned_charts, neighbours))
    # The catalog rules see the workloads their own rules accepted (the whole catalog when
    # nothing was found); those that render it, only a catalog every other rule accepts.
    # Each service's route, decided once here: the catalog rules and every later stage read
    # `service.route`.
    routed = dict(zip(map(id, planned), with_routes(planned, context.ingress), strict=True))
    subjects = [DECLARATIONS] if problems else []
    for subject, found in check_catalog(
        _catalog([routed[id(s)] for s in accepted], accepted_jobs, accepted_charts, context),
        context,
        sound=not problems,
    ):
        subjects.append(subject)
        problems.extend(found)
    if problems:
        raise InvalidInput(" and ".join(dict.fromkeys(subjects)), problems)
    return _catalog(list(routed.values()), planned_jobs, planned_charts, context)


def _catalog(
    services: Sequence[PlannedService],
    jobs: Sequence[PlannedJob],
    charts: Sequence[PlannedChart],
    context: ValidationContext,
) -> Catalog:
    return Catalog(
        tuple(sorted(services, key=lambda s: s.name)),
        tuple(sorted(charts, key=lambda c: c.name)),
        tuple(sorted(jobs, key=lambda j: j.name)),
        # An application stack's neighbours (team stacks), resolved by wiring and admission.
        neighbours=context.neighbours,
        published=context.published,
    )


__all__ = ["apply_override", "stack_context", "validate_applications"]
