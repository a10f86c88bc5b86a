"""How rules are declared and run: one small function per rule, registered by decorator.

A rule reads one validated spec (through `Check`) and adds every problem it finds; it never
stops the others, so a user sees every mistake at once. `workload_rule` rules run for services
and jobs alike (image, env, secrets, resources, identity, files), then `service_rule` or
`job_rule` ones; `relation_rule` rules then see every workload and chart at once, and
`catalog_rule` rules the validated catalog against the stack it deploys to (hosts, gateway
limits, the Key Vault references the preflight asks Azure about, the names Kubernetes accepts).
Rules run in registration order (the order `infra/services/rules/__init__.py` imports the topic
modules), which keeps the report's order stable.

Every check of a declaration is one of these rules, and `validate_applications` runs them all
against ONE `ValidationContext`, built by `infra.services.validation.stack_context` from the
stack config: the deploy (`infra/program.py`), the preflight command and the tests' helpers
check under the same rules (docs/validation.md).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Generic, TypeVar

from infra.config import Environment, LocalConfig, PlatformConfig
from infra.problems import Fix, Problem, show
from infra.services.catalog import (
    Catalog,
    Planned,
    PlannedChart,
    PlannedJob,
    PlannedService,
    PublishedEndpoint,
)
from infra.services.routes import DEFAULT_INGRESS, StackIngress
from infra.services.spec import HelmChart, JobSpec, ServiceSpec

if TYPE_CHECKING:
    from infra.services.vault_references import Exists


@dataclass(frozen=True)
class ValidationContext:
    """What the rules need from the stack, and nothing else (so they stay pure)."""

    environment: Environment
    config_secrets: Mapping[str, bool]
    """Full config keys in the `secrets` (or any non-platform) namespace → whether secret."""
    key_vault_name: str = ""
    """The platform vault: TLS certificates must live there (ingress can read only it)."""
    image_lock: Mapping[str, str] | None = None
    """`apps/images.lock.yaml` (declared tag → digest): images are deployed pinned, and prod
    refuses one it does not pin. None only where declarations are checked without deploying."""
    stack_environments: frozenset[str] | None = None
    """The environments the project's stacks name (`Pulumi.<stack>.yaml`): an override for
    any other is never deployed, nor validated, by any stack. None: not checked."""
    node_memory: NodeMemory | None = None
    """What one node of the AKS user pool offers a pod; None: not known (not checked)."""
    ingress: StackIngress = DEFAULT_INGRESS
    """What serves ingress in the stack, from which each service's route is decided
    (`infra.services.routes`); the program passes the stack's. Default: an Azure stack with
    the default `aks.ingress`."""
    neighbours: tuple[Planned, ...] = ()
    """An application stack's neighbours (`Catalog.neighbours`, from the platform's registry):
    its dependencies may name their services; resolved, never checked. Empty: one stack."""
    published: tuple[PublishedEndpoint, ...] = ()
    """Their services' addresses (`Catalog.published`)."""

    stack: PlatformConfig | LocalConfig | None = None
    """The stack config the catalog deploys with: the catalog rules (hosts, gateway limits) read
    its ingress mode, DNS and private zone. None: declarations checked without a stack (or with
    a stack config that is itself invalid); those rules then do not run."""
    vault_exists: Exists | None = None
    """Asks Azure whether a Key Vault secret or certificate exists (the preflight); None offline,
    where there is nothing to ask (the preflight reports itself skipped)."""

    aks_objects: AksObjects | None = None
    """The objects the AKS renderers make of one workload: the program (and the preflight)
    pass `infra.services.render.dry_run.aks_objects`, so validation checks the names they get
    without importing the renderers (`api_limits.name_problems`); None: names not checked."""

    @property
    def internal_routes(self) -> bool:
        """Internal AKS services get Gateway API routes (Envoy Gateway: `aks.ingress: gateway`,
        and the local stack); not with the deprecated managed NGINX (`nginx`, `both`)."""
        mode = self.ingress.mode
        return mode is None or mode.internal_gateway

    @property
    def deploys_services(self) -> bool:
        """The stack deploys the catalog's services (`platform:deployServices`, default true):
        what only a deploy of them needs (hosts, gateways, vault contents) is checked then."""
        return self.stack is not None and self.stack.deploy_services


AksObjects = Callable[[Planned, Catalog], list[dict[str, Any]]]
"""A workload of a catalog → the Kubernetes objects rendered for it."""


@dataclass(frozen=True)
class NodeMemory:
    """The memory a pod can have on a node of the AKS user pool, after AKS's reservations."""

    vm_size: str
    allocatable_mib: float


class _Raw(str):
    """A value already rendered for the message (not the user's literal): shown unquoted."""


_S = TypeVar("_S", ServiceSpec, JobSpec, HelmChart)


class Check(Generic[_S]):
    """One workload (or chart) under validation: its spec, where it was declared, the stack's
    context, and the problems found so far."""

    def __init__(
        self, spec: _S, group: str, context: ValidationContext, declared: object = None
    ) -> None:
        self.spec: _S = spec
        self.group = group
        self.context = context
        self.declared: object = spec if declared is None else declared
        """The declaration as written (before the environment's override and digest pinning)."""
        self.problems: list[Problem] = []

    def add(
        self, path: str, value: object, problem: str, fix: str, *, fixed_by: Fix | None = None
    ) -> None:
        """One problem; `fixed_by` where the fix is one concrete value a program can apply."""
        shown = "" if value is None else value if isinstance(value, _Raw) else show(value)
        self.problems.append(Problem(path, shown, problem, fix, self.group, fixed_by))


Workload = Check[ServiceSpec] | Check[JobSpec]


@dataclass(frozen=True)
class Rule:
    """A registered rule: its topic (what the docs and reviews call it) and its function."""

    topic: str
    check: Callable[[Any], None]

    @property
    def rationale(self) -> str:
        return (self.check.__doc__ or "").strip()


WORKLOAD_RULES: list[Rule] = []
SERVICE_RULES: list[Rule] = []
JOB_RULES: list[Rule] = []
CHART_RULES: list[Rule] = []


def _register(
    rules: list[Rule], topic: str
) -> Callable[[Callable[..., None]], Callable[..., None]]:
    def decorate(check: Callable[..., None]) -> Callable[..., None]:
        rules.append(Rule(topic, check))
        return check

    return decorate


def workload_rule(topic: str) -> Callable[[Callable[[Workload], None]], Callable[[Workload], None]]:
    """Register a rule every service and job must pass."""
    return _register(WORKLOAD_RULES, topic)


def service_rule(
    topic: str,
) -> Callable[[Callable[[Check[ServiceSpec]], None]], Callable[[Check[ServiceSpec]], None]]:
    """Register a rule only services must pass (ports, scaling, ingress, probes)."""
    return _register(SERVICE_RULES, topic)


def job_rule(
    topic: str,
) -> Callable[[Callable[[Check[JobSpec]], None]], Callable[[Check[JobSpec]], None]]:
    """Register a rule only jobs must pass (shape, trigger)."""
    return _register(JOB_RULES, topic)


def chart_rule(
    topic: str,
) -> Callable[[Callable[[Check[HelmChart]], None]], Callable[[Check[HelmChart]], None]]:
    """Register a rule every Helm chart must pass (release, version, source, values)."""
    return _register(CHART_RULES, topic)


def check_chart(chart: HelmChart, group: str, context: ValidationContext) -> list[Problem]:
    """Every problem every chart rule finds in one chart."""
    check = Check(chart, group, context)
    for rule in CHART_RULES:
        rule.check(check)
    return check.problems


def check_service(
    spec: ServiceSpec, group: str, context: ValidationContext, declared: object = None
) -> list[Problem]:
    """Every problem every workload and service rule finds in one service."""
    check = Check(spec, group, context, declared)
    for rule in (*WORKLOAD_RULES, *SERVICE_RULES):
        rule.check(check)
    return check.problems


def check_job(
    spec: JobSpec, group: str, context: ValidationContext, declared: object = None
) -> list[Problem]:
    """Every problem every workload and job rule finds in one job."""
    check = Check(spec, group, context, declared)
    for rule in (*WORKLOAD_RULES, *JOB_RULES):
        rule.check(check)
    return check.problems


# --------------------------------------------------------------------------------------------
# Rules across workloads: names, dependencies, routes


class Relations:
    """Every validated workload and chart of the platform, for rules that relate them (unique
    names, dependencies that resolve, routes nobody else claims). Problems go to the group of
    the workload they are about. On a duplicate name, the first declaration is the one others
    resolve to (the duplicate is reported)."""

    def __init__(
        self,
        services: Sequence[PlannedService],
        jobs: Sequence[PlannedJob],
        charts: Sequence[PlannedChart],
        published: Sequence[PlannedService] = (),
    ) -> None:
        self.services = services
        self.jobs = jobs
        self.charts = charts
        self.services_by_name: dict[str, PlannedService] = {}
        self.jobs_by_name: dict[str, PlannedJob] = {}
        self.charts_by_name: dict[str, PlannedChart] = {}
        for service in (*services, *published):
            self.services_by_name.setdefault(service.name, service)
        for job in jobs:
            self.jobs_by_name.setdefault(job.name, job)
        for chart in charts:
            self.charts_by_name.setdefault(chart.name, chart)
        self.problems: list[Problem] = []

    @property
    def callers(self) -> tuple[Planned, ...]:
        """Services, then jobs: everything that declares dependencies."""
        return (*self.services, *self.jobs)

    def add(
        self, about: Planned | PlannedChart, path: str, value: object, problem: str, fix: str
    ) -> None:
        group = f"{about.name} ({about.source})"
        self.problems.append(Problem(path, show(value), problem, fix, group))


RelationRule = Callable[[Relations], None]
RELATION_RULES: list[Rule] = []


def relation_rule(topic: str) -> Callable[[RelationRule], RelationRule]:
    """Register a rule over every workload and chart at once."""
    return _register(RELATION_RULES, topic)


def check_relations(
    services: Sequence[PlannedService],
    jobs: Sequence[PlannedJob] = (),
    charts: Sequence[PlannedChart] = (),
    published: Sequence[PlannedService] = (),
) -> list[Problem]:
    """Every problem every relation rule finds, in registration order (`published`: other
    applications' services, which dependencies may name)."""
    relations = Relations(services, jobs, charts, published)
    for rule in RELATION_RULES:
        rule.check(relations)
    return relations.problems


# --------------------------------------------------------------------------------------------
# Rules over the validated catalog, against the stack it deploys to

DECLARATIONS = "the service declarations"
"""The report's subject for problems in the declarations themselves."""


class CatalogCheck:
    """The catalog of every workload that passed its own rules, the stack's context, and the
    problems found so far (each rule's `Problem`s carry their own group)."""

    def __init__(self, catalog: Catalog, context: ValidationContext) -> None:
        self.catalog = catalog
        self.context = context
        self.problems: list[Problem] = []


@dataclass(frozen=True)
class CatalogRule(Rule):
    subject: str = DECLARATIONS
    """What the report calls the problems this rule finds (`N problems in <subject>`)."""
    needs_sound_catalog: bool = False
    """Runs only when every other rule of the declarations passed: it renders the catalog, which
    only a catalog every rule accepts can be."""


CATALOG_RULES: list[CatalogRule] = []


def catalog_rule(
    topic: str, *, subject: str = DECLARATIONS, needs_sound_catalog: bool = False
) -> Callable[[Callable[[CatalogCheck], None]], Callable[[CatalogCheck], None]]:
    """Register a rule over the validated catalog and the stack (`check.context.stack`)."""

    def decorate(check: Callable[[CatalogCheck], None]) -> Callable[[CatalogCheck], None]:
        CATALOG_RULES.append(CatalogRule(topic, check, subject, needs_sound_catalog))
        return check

    return decorate


def check_catalog(
    catalog: Catalog, context: ValidationContext, *, sound: bool
) -> list[tuple[str, list[Problem]]]:
    """(subject, problems) of every catalog rule that found any, in registration order;
    `sound`: no other rule found a problem (the rules that render run only then)."""
    found: list[tuple[str, list[Problem]]] = []
    for rule in CATALOG_RULES:
        if rule.needs_sound_catalog and not sound:
            continue
        check = CatalogCheck(catalog, context)
        rule.check(check)
        if check.problems:
            found.append((rule.subject, check.problems))
    return found
