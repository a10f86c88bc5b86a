"""Validation and policy agree (issue 22): whatever validation accepts passes every mandatory
policy rule, in dev and in prod; and every fix a problem carries as data is itself accepted.

Hypothesis generates whole applications (services and jobs on both targets: ports, replicas,
autoscaling, ingress with TLS, every probe kind, resources, settings, Key Vault secrets,
dependencies, init containers, single-instance storage, scheduled, manual and queue-driven
jobs). Each is planned offline by the real program (`build`, as `python -m infra.preview`
does), so the stack's own validation context decides (image lock, ingress mode, node size);
the plan is judged as the gate judges it (`infra.policy.evaluate` with the reviewed exceptions
of `infra/policy/exceptions.yaml`). A declaration validation refuses in one environment is only
checked in the others; a program that fails other than with `InvalidInput` fails the test.

Planning takes about half a second per stack: the examples are few, `derandomize=True` draws the
same ones every run (CI is deterministic), and the properties are in the slow tier.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from typing import Any

import pytest
from hypothesis import HealthCheck, event, given, note, settings
from hypothesis import strategies as st

from infra.config import Environment
from infra.constants import BELOW_SAFEGUARDS_MINIMUM, PROD_MIN_REPLICAS, PROD_REPLICAS_PROBLEM
from infra.policy.evaluate import evaluate, resources_of_snapshot
from infra.policy.exceptions import load_exceptions
from infra.policy.rules import PolicyContext, PolicyResource
from infra.preview.engine import ProgramFailed, run_offline
from infra.preview.snapshot import to_snapshot
from infra.preview.stackfile import read_stack
from infra.problems import Fix, InvalidInput, Problem
from infra.program import build
from infra.services.render.aks import ServiceSecrets, render_on_aks
from infra.services.spec import (
    Application,
    Autoscaling,
    Dependency,
    Event,
    ExecProbe,
    Exposure,
    GrpcProbe,
    HttpProbe,
    Identity,
    Ingress,
    InitContainer,
    JobSpec,
    KeyVaultSecret,
    Manual,
    Override,
    Port,
    Probe,
    Probes,
    ProbeTiming,
    Protocol,
    Resources,
    RoleGrant,
    Schedule,
    ServiceBusQueue,
    ServiceSpec,
    Target,
    TcpProbe,
    Tls,
    Volume,
)
from infra.services.validation import validate_applications
from tests.fixtures import NO_EXTENSIONS, catalog_of, context, facts

STACKS = ("dev", "prod")
DIGEST = "sha256:" + "d" * 64
SOURCE = "apps/generated.py"
AGREEMENT = settings(
    max_examples=12,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)

LABEL = st.from_regex(r"[a-z][a-z0-9]{1,8}", fullmatch=True)
IMAGE = st.builds(lambda name, minor: f"team/{name}:1.{minor}.0@{DIGEST}", LABEL, st.integers(0, 9))
ENV_NAME = st.from_regex(r"[A-Z][A-Z0-9_]{0,10}", fullmatch=True).filter(
    lambda n: not any(word in n for word in ("KEY", "TOKEN", "SECRET", "PASSW", "CONNECTION"))
)
ENV = st.dictionaries(ENV_NAME, st.from_regex(r"[a-z0-9.]{0,12}", fullmatch=True), max_size=3)
SECRETS = st.dictionaries(
    st.sampled_from(["DB_PASSWORD", "API_TOKEN", "SIGNING_KEY"]),
    st.sampled_from(["db-password", "api-token", "signing-key"]).map(
        lambda name: KeyVaultSecret(name=name)
    ),
    max_size=2,
)
# Sizes Container Apps offers (memory = 2 x cpu Gi) and, on AKS, any size from the policy's floor.
ACA_SIZE = st.sampled_from([0.25, 0.5, 1.0, 2.0]).map(
    lambda cpu: Resources(cpu=cpu, memory=f"{cpu * 2:g}Gi")
)
AKS_SIZE = st.builds(
    lambda cpu, memory, cpu_share, memory_share: Resources(
        cpu=cpu,
        memory=f"{memory}Mi",
        cpu_request=None if cpu_share is None else round(max(cpu * cpu_share, 0.1), 3),
        memory_request=None
        if memory_share is None
        else f"{max(round(memory * memory_share), 100)}Mi",
    ),
    st.sampled_from([0.1, 0.25, 0.5, 1.0, 2.0]),
    st.sampled_from([100, 256, 512, 1024, 2048]),
    st.sampled_from([None, 0.5, 1.0]),
    # Mostly left out: prod requires the memory request to equal the limit.
    st.sampled_from([*[None] * 6, 0.5, 1.0]),
)
TIMING = st.one_of(
    st.just(ProbeTiming()),
    st.builds(
        lambda delay, period: ProbeTiming(initial_delay_seconds=delay, period_seconds=period),
        st.integers(0, 30),
        st.integers(1, 30),
    ),
)


def _resources(target: Target) -> st.SearchStrategy[Resources]:
    return AKS_SIZE if target is Target.AKS else ACA_SIZE


@st.composite
def _ports(draw: st.DrawFn) -> tuple[Port, ...]:
    count = draw(st.integers(0, 2))
    numbers = draw(st.lists(st.integers(1024, 9999), min_size=count, max_size=count, unique=True))
    names = ("http", "grpc", "admin")
    protocols = draw(st.lists(st.sampled_from(list(Protocol)), min_size=count, max_size=count))
    return tuple(
        Port(name=name, number=number, protocol=protocol)
        for name, number, protocol in zip(names, numbers, protocols, strict=False)
    )


@st.composite
def _probe(
    draw: st.DrawFn, ports: tuple[Port, ...], target: Target, often: bool = False
) -> Probe | None:
    """A probe the service's ports (or, on AKS, a command) can answer, or none (rarely when
    `often`: prod requires readiness and liveness on AKS)."""
    timing = draw(TIMING)
    choices: list[Probe | None] = []
    if not often or draw(st.integers(0, 9)) == 5:  # not 0: Hypothesis favours the ends
        choices.append(None)
    for port in ports:
        choices.append(TcpProbe(port=port.name, timing=timing))
        if port.protocol is Protocol.HTTP:
            choices.append(HttpProbe(path="/healthz", port=port.name, timing=timing))
        if port.protocol is Protocol.GRPC:
            choices.append(GrpcProbe(port=port.name, timing=timing))
    if target is Target.AKS:
        choices.append(ExecProbe(command=("test", "-f", "/tmp/healthy"), timing=timing))
    return draw(st.sampled_from(choices)) if choices else None


def _vault(environment: str) -> str:
    return f"https://kv-shop-{environment}.vault.azure.net/certificates/{{}}"


@st.composite
def _ingress(draw: st.DrawFn, name: str, ports: tuple[Port, ...], target: Target) -> Ingress:
    routable = [p for p in ports if p.protocol is not Protocol.TCP]
    if not routable:
        return Ingress()
    exposure = draw(st.sampled_from(list(Exposure)))
    if exposure is Exposure.NONE:
        return Ingress()
    chosen = draw(st.sampled_from(routable))
    port = chosen.name
    if target is Target.CONTAINER_APPS:
        # The environment's generated domain (a custom one needs DNS records first).
        return Ingress(exposure=exposure, port=port)
    if exposure is Exposure.INTERNAL:
        # A host in the stack's private zone (`<env>.shop.internal`); prod overrides it.
        return Ingress(exposure=exposure, host=f"{name}.dev.shop.internal", port=port)
    tls = Tls(key_vault_certificate_uri=_vault("dev").format(name))
    # A path prefix routes HTTP (a GRPCRoute matches service and method instead).
    path = draw(st.sampled_from(["/", f"/{name}"])) if chosen.protocol is Protocol.HTTP else "/"
    return Ingress(
        exposure=exposure, host=f"{name}.shop.example.com", path=path, port=port, tls=tls
    )


def _queue(name: str) -> tuple[ServiceBusQueue, Identity]:
    """A Service Bus queue of the team's (another stack's) and the role to read it with."""
    group = "rg-gen-messaging-{environment}"
    queue = ServiceBusQueue(namespace="sb-gen-shared", queue=name, resource_group=group)
    scope = (
        f"/subscriptions/{{subscription}}/resourceGroups/{group}"
        f"/providers/Microsoft.ServiceBus/namespaces/sb-gen-shared/queues/{name}"
    )
    return queue, Identity(roles=(RoleGrant(role="Azure Service Bus Data Receiver", scope=scope),))


@st.composite
def services(draw: st.DrawFn, name: str, callees: Sequence[ServiceSpec]) -> ServiceSpec:
    target = draw(st.sampled_from(list(Target)))
    ports = draw(_ports())
    stateful = target is Target.AKS and draw(st.integers(0, 9)) == 5
    queue, reader = _queue(f"{name}-work")
    scaling = "fixed" if stateful else draw(st.sampled_from(["fixed", "cpu", "queue"]))
    autoscaling = None
    if scaling == "cpu":
        low = draw(st.sampled_from([2, 3, 1]))
        autoscaling = Autoscaling(
            min_replicas=low,
            max_replicas=low + draw(st.integers(0, 5)),
            cpu_utilization=draw(st.integers(40, 90)),
        )
    elif scaling == "queue":
        # A queue worker: KEDA (AKS) or Container Apps' scaler, scale-to-zero allowed.
        low = draw(st.sampled_from([0, 2, 1]))
        autoscaling = Autoscaling(
            min_replicas=low,
            max_replicas=low + draw(st.integers(1, 5)),
            cpu_utilization=None,
            queue=queue,
        )
    ingress = draw(_ingress(name, ports, target))
    overrides: dict[str, Override] = {}
    if ingress.host is not None:
        # The stack's zone and vault differ per stack: prod's come from prod's.
        host = ingress.host.replace(".dev.shop.internal", ".prod.shop.internal")
        prod_tls = (
            None
            if ingress.tls is None
            else Tls(key_vault_certificate_uri=_vault("prod").format(name))
        )
        overrides["prod"] = Override(ingress=dataclasses.replace(ingress, host=host, tls=prod_tls))
    called = (
        draw(st.lists(st.sampled_from(callees), unique_by=lambda s: s.name, max_size=2))
        if callees
        else []
    )
    init = draw(st.booleans()) and draw(st.booleans())
    return ServiceSpec(
        name=name,
        image=draw(IMAGE),
        target=target,
        ports=ports,
        env=draw(ENV),
        secrets=draw(SECRETS),
        resources=draw(_resources(target)),
        # Most prod-ready (2 or more), some not: validation must refuse those in prod.
        replicas=1 if stateful else draw(st.sampled_from([2, 3, 1])),
        autoscaling=autoscaling,
        ingress=ingress,
        probes=Probes(
            readiness=draw(_probe(ports, target, often=target is Target.AKS)),
            liveness=draw(_probe(ports, target, often=target is Target.AKS)),
            startup=draw(_probe(ports, target)),
        ),
        identity=reader if autoscaling is not None and autoscaling.queue is not None else None,
        dependencies=tuple(Dependency(service=callee.name) for callee in called),
        init_containers=(InitContainer(name="setup", image=draw(IMAGE), command=("setup",)),)
        if init
        else (),
        storage=Volume(size="4Gi", mount_path="/data") if stateful else None,
        overrides=overrides,
    )


@st.composite
def jobs(draw: st.DrawFn, name: str, callees: Sequence[ServiceSpec]) -> JobSpec:
    target = draw(st.sampled_from(list(Target)))
    completions = draw(st.integers(1, 3))
    queue, reader = _queue(f"{name}-work")
    trigger = draw(
        st.one_of(
            st.just(Manual()),
            st.builds(
                lambda minute, hour: Schedule(cron=f"{minute} {hour} * * *"),
                st.integers(0, 59),
                st.integers(0, 23),
            ),
            st.just(Event(queue=queue)),
        )
    )
    called = (
        draw(st.lists(st.sampled_from(callees), unique_by=lambda s: s.name, max_size=1))
        if callees
        else []
    )
    return JobSpec(
        name=name,
        image=draw(IMAGE),
        target=target,
        trigger=trigger,
        env=draw(ENV),
        secrets=draw(SECRETS),
        resources=draw(_resources(target)),
        parallelism=draw(st.integers(1, completions)),
        completions=completions,
        retries=draw(st.integers(0, 5)),
        timeout_seconds=draw(st.integers(60, 7200)),
        dependencies=tuple(Dependency(service=callee.name) for callee in called),
        identity=reader if isinstance(trigger, Event) else None,
    )


@st.composite
def applications(draw: st.DrawFn) -> Application:
    """One application of 1-3 services and 0-2 jobs; later ones may call earlier services."""
    names = [
        f"{label}{index}"
        for index, label in enumerate(draw(st.lists(LABEL, min_size=5, max_size=5)))
    ]
    declared: list[ServiceSpec] = []
    for name in names[: draw(st.integers(1, 3))]:
        callees = [s for s in declared if s.ports]
        declared.append(draw(services(f"{name}-svc", callees)))
    callees = [s for s in declared if s.ports]
    declared_jobs = [
        draw(jobs(f"{name}-job", callees)) for name in names[3 : 3 + draw(st.integers(0, 2))]
    ]
    return Application(
        name="gen", services=tuple(declared), jobs=tuple(declared_jobs), source=SOURCE
    )


def plan(application: Application, stack: str) -> dict[str, Any] | InvalidInput:
    """The stack's plan of the platform with only `application`, or validation's refusal."""
    try:
        run = run_offline(read_stack(stack), lambda: build(applications=[application]))
    except ProgramFailed as failed:
        if isinstance(failed.__cause__, InvalidInput):
            return failed.__cause__
        raise
    return to_snapshot(run)


def enforced(snapshot: dict[str, Any], stack: str) -> list[str]:
    """The mandatory violations, as the gate reports them (`infra/preview/cli.policy_report`)."""
    report = evaluate(
        resources_of_snapshot(snapshot),
        PolicyContext(stack, cost=snapshot.get("cost")),
        load_exceptions(),
    )
    return [f"{v.rule.id} {v.resource.name}: {v.message}" for v in report.enforced]


@pytest.mark.slow
@AGREEMENT
@given(applications())
def test_what_validation_accepts_passes_every_mandatory_policy_in_dev_and_prod(
    application: Application,
) -> None:
    for stack in STACKS:
        planned = plan(application, stack)
        if isinstance(planned, InvalidInput):
            note(f"{stack}: refused by validation\n{planned}")
            event(f"{stack}: refused by validation")
            continue
        event(f"{stack}: accepted, planned and judged")
        assert enforced(planned, stack) == [], f"{stack} accepted by validation, refused by policy"


# --- Fixes as data: every fix a problem carries is accepted. ---------------------------------

Breaker = Any
"""A change that breaks a declaration where a rule's fix is one concrete value."""


def _resize(**changes: object) -> Breaker:
    return lambda spec: dataclasses.replace(
        spec, resources=dataclasses.replace(spec.resources, **changes)
    )


def _timing(kind: str, **changes: object) -> Breaker:
    def breaker(spec: Any) -> Any:
        if not isinstance(spec, ServiceSpec):
            return spec
        probe = getattr(spec.probes, kind) or (
            TcpProbe(port=spec.ports[0].name) if spec.ports else ExecProbe(command=("true",))
        )
        probe = dataclasses.replace(probe, timing=ProbeTiming(**changes))  # type: ignore[arg-type]
        return dataclasses.replace(spec, probes=dataclasses.replace(spec.probes, **{kind: probe}))

    return breaker


def _service_only(change: Breaker) -> Breaker:
    return lambda spec: change(spec) if isinstance(spec, ServiceSpec) else spec


BREAKERS: st.SearchStrategy[Breaker] = st.one_of(
    st.integers(1, 99).map(lambda m: _resize(cpu=m / 1000)),
    st.integers(1, 99).map(lambda mib: _resize(memory=f"{mib}Mi")),
    st.integers(1, 99).map(lambda m: _resize(cpu_request=m / 1000)),
    st.just(_resize(cpu_request=-0.5)),
    st.just(_resize(cpu_request=64.0)),
    st.integers(1, 99).map(lambda mib: _resize(memory_request=f"{mib}Mi")),
    st.just(_resize(memory_request="64Gi")),
    st.sampled_from([0.3, 0.6, 1.1]).map(lambda cpu: _resize(cpu=cpu)),
    st.sampled_from(["readiness", "liveness", "startup"]).flatmap(
        lambda kind: st.sampled_from(
            [
                _timing(kind, period_seconds=0),
                _timing(kind, failure_threshold=0),
                _timing(kind, timeout_seconds=0),
                _timing(kind, success_threshold=3),
                _timing(kind, initial_delay_seconds=-1),
                _timing(kind, failure_threshold=100_000),
            ]
        )
    ),
    st.just(_service_only(lambda s: dataclasses.replace(s, replicas=1, autoscaling=None))),
    st.just(
        _service_only(
            lambda s: dataclasses.replace(
                s, autoscaling=Autoscaling(min_replicas=1, max_replicas=1, cpu_utilization=70)
            )
        )
    ),
    st.sampled_from(["readiness", "liveness"]).map(
        lambda kind: _service_only(
            lambda s: dataclasses.replace(s, probes=dataclasses.replace(s.probes, **{kind: None}))
        )
    ),
)


def _validate(application: Application, environment: Environment) -> tuple[Problem, ...]:
    """Validation's problems (none: accepted), under the stack's vault and nothing else."""
    try:
        validate_applications([application], context(environment))
    except InvalidInput as error:
        return error.problems
    return ()


def _with_fixes(application: Application, problems: Sequence[Problem]) -> Application:
    """The application with every problem's `fixed_by` applied to the workload it is about."""
    fixes: dict[str, list[Fix]] = {}
    for problem in problems:
        if problem.fixed_by is not None:
            fixes.setdefault(problem.group.split(" (")[0], []).append(problem.fixed_by)

    def fixed(workload: Any) -> Any:
        for fix in fixes.get(workload.name, []):
            workload = fix.apply(workload)
        return workload

    return dataclasses.replace(
        application,
        services=tuple(fixed(s) for s in application.services),
        jobs=tuple(fixed(j) for j in application.jobs),
    )


def _key(problem: Problem) -> tuple[str, str]:
    return (problem.group, problem.path)


@pytest.mark.slow
@settings(max_examples=100, deadline=None, derandomize=True, database=None)
@given(
    applications(),
    st.lists(BREAKERS, min_size=1, max_size=3),
    st.sampled_from([Environment.DEV, Environment.PROD]),
)
def test_every_fix_a_problem_carries_is_accepted(
    application: Application, breakers: list[Breaker], environment: Environment
) -> None:
    """Break an accepted declaration where rules fix with one value; validation's structured
    fixes, applied, leave only the problems that carried no fix (none, when all did); and each
    fix alone removes its own problem without adding another."""
    if _validate(application, environment):
        event("not a valid starting point")
        return
    workload = application.services[0]
    for breaker in breakers:
        workload = breaker(workload)
    broken = dataclasses.replace(application, services=(workload, *application.services[1:]))
    problems = _validate(broken, environment)
    fixable = [p for p in problems if p.fixed_by is not None]
    event(f"{len(fixable)} of {len(problems)} problems carry a fix")
    note(f"problems: {[(p.path, p.problem, p.fixed_by) for p in problems]}")
    remaining = _validate(_with_fixes(broken, fixable), environment)
    assert {_key(p) for p in remaining} <= {_key(p) for p in problems if p.fixed_by is None}
    for problem in fixable:
        after = {_key(p) for p in _validate(_with_fixes(broken, [problem]), environment)}
        assert _key(problem) not in after, f"{problem.render()} is still reported after its fix"
        assert after <= {_key(p) for p in problems}, f"the fix of {problem.render()} added problems"


# --- What the properties found, each pinned by a test that fails on the code before. ----------


def _refusals(spec: ServiceSpec, environment: Environment) -> tuple[Problem, ...]:
    return _validate(Application(name="gen", services=(spec,), source=SOURCE), environment)


WEB = ServiceSpec(
    name="web",
    image=f"team/web:1.0.0@{DIGEST}",
    target=Target.AKS,
    ports=(Port(name="http", number=8080),),
    probes=Probes(readiness=HttpProbe(), liveness=HttpProbe()),
)


def _prod_policy_messages(spec: ServiceSpec) -> list[str]:
    """The prod policy's mandatory violations of `spec` rendered for AKS (validated in dev,
    where one replica is allowed), as the gate words them."""
    catalog = catalog_of(spec)
    objects = render_on_aks(
        catalog.get(spec.name),
        catalog=catalog,
        facts=facts(Environment.PROD),
        extensions=NO_EXTENSIONS,
        client_id=None,
        secrets=ServiceSecrets(config_values={}),
    )

    def token(obj: dict[str, Any]) -> str:
        api = str(obj["apiVersion"])
        return f"kubernetes:{api if '/' in api else 'core/' + api}:{obj['kind']}"

    report = evaluate(
        [PolicyResource(token(o), o["metadata"]["name"], o) for o in objects],
        PolicyContext("prod"),
    )
    return [v.message for v in report.enforced if v.rule.id == "k8s-prod-replicas-and-pdb"]


@pytest.mark.parametrize(
    ("single", "path"),
    [
        (dataclasses.replace(WEB, replicas=1), "replicas"),
        (
            dataclasses.replace(
                WEB, autoscaling=Autoscaling(min_replicas=1, max_replicas=1, cpu_utilization=70)
            ),
            "autoscaling.min_replicas",
        ),
    ],
)
def test_prod_refuses_one_replica_on_aks_in_the_policys_words(
    single: ServiceSpec, path: str
) -> None:
    """Before, validation accepted these in prod and policy k8s-prod-replicas-and-pdb refused
    the plan. Now validation refuses them with the policy's words (one constant, one template),
    and its fix, applied, is accepted and passes the policy."""
    assert _refusals(single, Environment.DEV) == ()
    (problem,) = _refusals(single, Environment.PROD)
    assert problem.path == path
    said = PROD_REPLICAS_PROBLEM.format(replicas=1, floor=PROD_MIN_REPLICAS)
    assert problem.problem.startswith(said)
    assert said in _prod_policy_messages(single)
    assert problem.fixed_by is not None
    fixed = problem.fixed_by.apply(single)
    assert _refusals(fixed, Environment.PROD) == ()
    assert _prod_policy_messages(fixed) == []


def test_prod_leaves_scale_to_zero_workers_and_container_apps_alone() -> None:
    queue, reader = _queue("jobs")
    worker = dataclasses.replace(
        WEB,
        autoscaling=Autoscaling(min_replicas=0, max_replicas=3, cpu_utilization=None, queue=queue),
        identity=reader,
    )
    assert _refusals(worker, Environment.PROD) == ()
    aca = dataclasses.replace(
        WEB, target=Target.CONTAINER_APPS, replicas=1, resources=Resources(cpu=0.5, memory="1Gi")
    )
    assert _refusals(aca, Environment.PROD) == ()


def test_a_container_apps_size_below_the_floor_gets_one_fix_the_size() -> None:
    """Before, a Container Apps service of 0.001 cores got two fixes that disagree ("at least
    0.1 (100m)" and "cpu=0.25"); the Safeguards floors bind AKS pods, and a Container Apps size
    is above them, so only the size is reported, and its fix is accepted."""
    tiny = dataclasses.replace(
        WEB, target=Target.CONTAINER_APPS, resources=Resources(cpu=0.001, memory="16Mi")
    )
    (problem,) = _refusals(tiny, Environment.DEV)
    assert problem.path == "resources"
    assert problem.fixed_by is not None
    assert _refusals(problem.fixed_by.apply(tiny), Environment.DEV) == ()


def test_validation_and_policy_say_the_safeguards_minimum_in_the_same_words() -> None:
    small = dataclasses.replace(WEB, resources=Resources(cpu=0.05, memory="64Mi"))
    said = {p.path: p.problem for p in _refusals(small, Environment.DEV)}
    assert said["resources.cpu"].startswith(BELOW_SAFEGUARDS_MINIMUM.format(floor="100m"))
    assert said["resources.memory"].startswith(BELOW_SAFEGUARDS_MINIMUM.format(floor="100Mi"))


@pytest.mark.parametrize(
    ("spec", "path", "value"),
    [
        (dataclasses.replace(WEB, resources=Resources(cpu=0.01)), "resources.cpu", 0.1),
        (dataclasses.replace(WEB, resources=Resources(memory="10Mi")), "resources.memory", "100Mi"),
        (
            dataclasses.replace(
                WEB, probes=Probes(readiness=HttpProbe(timing=ProbeTiming(period_seconds=0)))
            ),
            "probes.readiness.timing.period_seconds",
            1,
        ),
        (
            dataclasses.replace(
                WEB, probes=Probes(liveness=HttpProbe(timing=ProbeTiming(success_threshold=3)))
            ),
            "probes.liveness.timing.success_threshold",
            1,
        ),
    ],
)
def test_a_concrete_fix_is_data_as_well_as_words(
    spec: ServiceSpec, path: str, value: object
) -> None:
    """The value the words give, as a `Fix` a program can apply (old problems carried text
    only), and applying it is accepted."""
    problems = [p for p in _refusals(spec, Environment.DEV) if p.path == path]
    assert [p.fixed_by for p in problems] == [Fix(((path, value),))]
    assert str(value).removesuffix(".0") in problems[0].fix or str(value) in problems[0].fix
    assert _refusals(problems[0].fixed_by.apply(spec), Environment.DEV) == ()  # type: ignore[union-attr]
