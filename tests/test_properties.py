"""Property tests: any valid declaration renders on both targets, and the two agree; any
declaration at all yields either a catalog or a validation error, never a traceback."""

from __future__ import annotations

import dataclasses
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from infra.config import Environment
from infra.problems import InvalidInput
from infra.services.catalog import Catalog
from infra.services.render.aks import ServiceSecrets, render_job_on_aks, render_on_aks
from infra.services.render.container_apps import (
    render_job_on_container_apps,
    render_on_container_apps,
)
from infra.services.spec import (
    Application,
    Autoscaling,
    Dependency,
    Exposure,
    HttpProbe,
    Ingress,
    JobSpec,
    Manual,
    Port,
    Probes,
    Protocol,
    Resources,
    Schedule,
    ServiceSpec,
    Target,
    TcpProbe,
)
from infra.services.validation import validate_applications
from tests.fixtures import NO_EXTENSIONS, catalog_of, context, facts
from tests.k8s_schema import validate_object

LABEL = st.from_regex(r"[a-z][a-z0-9]{0,10}(-[a-z0-9]{1,8})?", fullmatch=True)
ENV_NAME = st.from_regex(r"[A-Z][A-Z0-9_]{0,12}", fullmatch=True).filter(
    lambda n: "KEY" not in n and "TOKEN" not in n and "SECRET" not in n and "PASSW" not in n
)
SIZES = st.sampled_from([0.25, 0.5, 0.75, 1.0, 1.5, 2.0]).map(
    lambda cpu: Resources(cpu=cpu, memory=f"{cpu * 2:g}Gi")
)
# Requests at or below the limits: Burstable on AKS, the limits allocated on Container Apps.
BURSTABLE = st.builds(
    lambda size, cpu_share, memory_share: Resources(
        cpu=size.cpu,
        memory=size.memory,
        cpu_request=None if cpu_share is None else round(size.cpu * cpu_share, 3),
        memory_request=None
        if memory_share is None
        else f"{round(size.cpu * 2048 * memory_share)}Mi",
    ),
    SIZES,
    # Shares that keep the smallest size (0.25 cores, 512Mi) at or above the Deployment
    # Safeguards minimum the policy holds every request to (100m, 100Mi).
    st.one_of(st.none(), st.sampled_from([0.4, 0.5, 1.0])),
    st.one_of(st.none(), st.sampled_from([0.25, 0.5, 1.0])),
)


@st.composite
def ports(draw: st.DrawFn) -> tuple[Port, ...]:
    count = draw(st.integers(0, 3))
    # Container ports and Service ports drawn together, all distinct: no clash by construction.
    drawn = draw(
        st.lists(st.integers(1024, 65535), min_size=2 * count, max_size=2 * count, unique=True)
    )
    numbers = drawn[:count]
    served = [draw(st.one_of(st.none(), st.just(n))) for n in drawn[count:]]
    names = draw(
        st.lists(
            st.from_regex(r"[a-z]{2,10}", fullmatch=True),
            min_size=count,
            max_size=count,
            unique=True,
        )
    )
    protocols = draw(st.lists(st.sampled_from(list(Protocol)), min_size=count, max_size=count))
    return tuple(
        Port(name=n, number=p, protocol=pr, service_port=sp)
        for n, p, pr, sp in zip(names, numbers, protocols, served, strict=True)
    )


@st.composite
def valid_service(draw: st.DrawFn) -> ServiceSpec:
    declared_ports = draw(ports())
    http_ports = [p for p in declared_ports if p.protocol is Protocol.HTTP]
    autoscaling = draw(
        st.one_of(
            st.none(),
            st.builds(
                lambda low, extra, cpu: Autoscaling(
                    min_replicas=low, max_replicas=low + extra, cpu_utilization=cpu
                ),
                st.integers(1, 5),
                st.integers(0, 20),
                st.integers(10, 95),
            ),
        )
    )
    probes = (
        Probes(readiness=HttpProbe(path="/ready", port=http_ports[0].name))
        if http_ports
        else Probes(readiness=TcpProbe() if declared_ports else None)
    )
    return ServiceSpec(
        name=draw(LABEL),
        image=f"team/{draw(LABEL)}:{draw(st.integers(0, 9))}.{draw(st.integers(0, 99))}.0",
        target=draw(st.sampled_from(list(Target))),
        ports=declared_ports,
        env=draw(
            st.dictionaries(
                ENV_NAME,
                st.text(st.characters(codec="ascii", categories=["L", "N"]), max_size=20),
                max_size=4,
            )
        ),
        resources=draw(BURSTABLE),
        replicas=draw(st.integers(1, 6)),
        autoscaling=autoscaling,
        probes=probes,
        command=tuple(draw(st.lists(st.from_regex(r"[a-z/]{1,10}", fullmatch=True), max_size=2))),
    )


def _both(spec: ServiceSpec) -> tuple[list[dict[str, Any]], Any]:
    aks_catalog = catalog_of(dataclasses.replace(spec, target=Target.AKS))
    aca_catalog = catalog_of(dataclasses.replace(spec, target=Target.CONTAINER_APPS))
    objects = render_on_aks(
        aks_catalog.get(spec.name),
        catalog=aks_catalog,
        facts=facts(),
        extensions=NO_EXTENSIONS,
        client_id=None,
        secrets=ServiceSecrets(config_values={}),
    )
    plan: Any = render_on_container_apps(
        aca_catalog.get(spec.name),
        catalog=aca_catalog,
        facts=facts(),
        extensions=NO_EXTENSIONS,
        identity_id=None,
        pull_identity_id="pull",
        config_values={},
    )
    return objects, plan


@pytest.mark.slow
@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(valid_service())
def test_valid_specs_render_on_both_targets_and_agree(spec: ServiceSpec) -> None:
    objects, plan = _both(spec)
    for obj in objects:
        validate_object(obj)
    deployment = next(o for o in objects if o["kind"] == "Deployment")
    container = deployment["spec"]["template"]["spec"]["containers"][0]
    aca = plan.template.containers[0]
    assert container["image"] == aca.image
    assert {e["name"]: e["value"] for e in container["env"]} == {
        e.name: e.value for e in aca.env or []
    }
    assert [p["containerPort"] for p in container.get("ports", [])] == [
        p.number for p in spec.ports
    ]
    if spec.ports and plan.configuration.ingress is not None:
        assert plan.configuration.ingress.target_port == spec.ports[0].number
    service = next((o for o in objects if o["kind"] == "Service"), None)
    if service is not None:
        assert [p["port"] for p in service["spec"]["ports"]] == [
            p.number if p.service_port is None else p.service_port for p in spec.ports
        ]
    scale = plan.template.scale
    if spec.autoscaling is None:
        assert (
            deployment["spec"]["replicas"]
            == scale.min_replicas
            == scale.max_replicas
            == spec.replicas
        )
    else:
        hpa = next(o for o in objects if o["kind"] == "HorizontalPodAutoscaler")["spec"]
        assert (hpa["minReplicas"], hpa["maxReplicas"]) == (scale.min_replicas, scale.max_replicas)
    assert container["resources"]["limits"]["cpu"] == f"{round(aca.resources.cpu * 1000)}m"
    assert aca.resources.cpu == spec.resources.cpu, "Container Apps allocates the limit"
    requests = container["resources"]["requests"]
    if spec.resources.cpu_request is None:
        assert requests["cpu"] == container["resources"]["limits"]["cpu"]


@pytest.mark.slow
@settings(max_examples=40, deadline=None)
@given(st.lists(valid_service(), min_size=2, max_size=4, unique_by=lambda s: s.name))
def test_dependencies_between_valid_services_render(services: list[ServiceSpec]) -> None:
    callee = services[0]
    if not callee.ports:
        callee = dataclasses.replace(
            callee, ports=(Port(name="http", number=8080),), probes=Probes()
        )
    callers = [
        dataclasses.replace(s, dependencies=(Dependency(service=callee.name),))
        for s in services[1:]
    ]
    catalog = catalog_of(callee, *callers)
    for service in catalog.services:
        if service.spec.target is Target.AKS:
            for obj in render_on_aks(
                service,
                catalog=catalog,
                facts=facts(),
                extensions=NO_EXTENSIONS,
                client_id=None,
                secrets=ServiceSecrets(config_values={}),
            ):
                validate_object(obj)
        else:
            plan: Any = render_on_container_apps(
                service,
                catalog=catalog,
                facts=facts(),
                extensions=NO_EXTENSIONS,
                identity_id=None,
                pull_identity_id="pull",
                config_values={},
            )
            if service.name == callee.name:
                assert plan.configuration.ingress is not None, "a called service is reachable"


def _catalog_or_problems(spec: ServiceSpec, environment: Environment) -> None:
    """Either it validates, or it fails with at least one problem: any other exception fails."""
    problems: tuple[object, ...] = ()
    valid = False
    try:
        catalog_of(spec, environment=environment)
        valid = True
    except InvalidInput as error:
        problems = error.problems
    assert valid or problems


ANYTHING = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-5, 100_000),
    st.floats(allow_nan=True),
    st.text(max_size=12),
    st.lists(st.integers(), max_size=2),
    st.dictionaries(st.text(max_size=4), st.integers(), max_size=2),
)


@settings(max_examples=150, deadline=None)
@given(
    valid_service(),
    st.sampled_from([f.name for f in dataclasses.fields(ServiceSpec)]),
    ANYTHING,
    st.sampled_from(list(Environment)),
)
@pytest.mark.slow
def test_fuzzed_declarations_never_raise_anything_but_a_validation_error(
    spec: ServiceSpec, field: str, value: Any, environment: Environment
) -> None:
    broken = dataclasses.replace(spec, **{field: value})
    _catalog_or_problems(broken, environment)


@settings(max_examples=60, deadline=None)
@given(
    valid_service(),
    st.sampled_from(list(Exposure)),
    st.one_of(st.none(), st.text(max_size=20)),
    st.text(max_size=8),
)
@pytest.mark.slow
def test_fuzzed_ingress_never_raises_anything_but_a_validation_error(
    spec: ServiceSpec, exposure: Exposure, host: str | None, path: str
) -> None:
    _catalog_or_problems(
        dataclasses.replace(spec, ingress=Ingress(exposure=exposure, host=host, path=path)),
        Environment.DEV,
    )


@st.composite
def valid_job(draw: st.DrawFn) -> JobSpec:
    completions = draw(st.integers(1, 5))
    return JobSpec(
        name=draw(LABEL),
        image=f"team/{draw(LABEL)}:1.{draw(st.integers(0, 99))}.0",
        target=draw(st.sampled_from(list(Target))),
        trigger=draw(
            st.one_of(
                st.just(Manual()),
                st.builds(
                    lambda minute, hour: Schedule(cron=f"{minute} {hour} * * *"),
                    st.integers(0, 59),
                    st.integers(0, 23),
                ),
            )
        ),
        env=draw(
            st.dictionaries(ENV_NAME, st.from_regex(r"[a-z0-9]{0,8}", fullmatch=True), max_size=3)
        ),
        resources=draw(SIZES),
        parallelism=draw(st.integers(1, completions)),
        completions=completions,
        retries=draw(st.integers(0, 10)),
        timeout_seconds=draw(st.integers(1, 86400)),
    )


def _jobs_catalog(job: JobSpec) -> Catalog:
    return validate_applications(
        [Application(name="shop", services=(), jobs=(job,), source="apps/test.py")], context()
    )


@pytest.mark.slow
@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(valid_job())
def test_valid_jobs_render_on_both_targets_and_agree(job: JobSpec) -> None:
    aks_catalog = _jobs_catalog(dataclasses.replace(job, target=Target.AKS))
    aca_catalog = _jobs_catalog(dataclasses.replace(job, target=Target.CONTAINER_APPS))
    objects = render_job_on_aks(
        aks_catalog.jobs[0],
        catalog=aks_catalog,
        facts=facts(),
        extensions=NO_EXTENSIONS,
        client_id=None,
        secrets=ServiceSecrets(config_values={}),
    )
    for obj in objects:
        validate_object(obj)
    plan: Any = render_job_on_container_apps(
        aca_catalog.jobs[0],
        catalog=aca_catalog,
        facts=facts(),
        extensions=NO_EXTENSIONS,
        identity_id=None,
        pull_identity_id="pull",
        config_values={},
    )
    cron = next(o for o in objects if o["kind"] == "CronJob")["spec"]
    batch = cron["jobTemplate"]["spec"]
    container = batch["template"]["spec"]["containers"][0]
    aca = plan.template.containers[0]
    assert container["image"] == aca.image
    assert {e["name"]: e["value"] for e in container["env"]} == {
        e.name: e.value for e in aca.env or []
    }
    config = plan.configuration
    trigger = config.schedule_trigger_config or config.manual_trigger_config
    assert (batch["parallelism"], batch["completions"]) == (
        trigger.parallelism,
        trigger.replica_completion_count,
    )
    assert (batch["backoffLimit"], batch["activeDeadlineSeconds"]) == (
        config.replica_retry_limit,
        config.replica_timeout,
    )
    if isinstance(job.trigger, Schedule):
        assert cron["schedule"] == config.schedule_trigger_config.cron_expression
    assert cron["suspend"] is isinstance(job.trigger, Manual)


@pytest.mark.slow
@settings(max_examples=100, deadline=None)
@given(valid_job(), st.sampled_from([f.name for f in dataclasses.fields(JobSpec)]), ANYTHING)
def test_fuzzed_jobs_never_raise_anything_but_a_validation_error(
    job: JobSpec, field: str, value: Any
) -> None:
    broken = dataclasses.replace(job, **{field: value})
    problems: tuple[object, ...] = ()
    valid = False
    try:
        _jobs_catalog(broken)
        valid = True
    except InvalidInput as error:
        problems = error.problems
    assert valid or problems
