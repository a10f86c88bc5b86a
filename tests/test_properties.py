"""Property tests: any valid declaration renders on both targets, and the two agree; any
declaration at all yields either a catalog or a validation error, never a traceback."""

from __future__ import annotations

import dataclasses
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from infra.config import Environment
from infra.problems import InvalidInput
from infra.services.render.aks import ServiceSecrets, render_on_aks
from infra.services.render.container_apps import render_on_container_apps
from infra.services.spec import (
    Autoscaling,
    Dependency,
    Exposure,
    HttpProbe,
    Ingress,
    Port,
    Probes,
    Protocol,
    Resources,
    ServiceSpec,
    Target,
    TcpProbe,
)
from tests.fixtures import NO_EXTENSIONS, catalog_of, facts
from tests.k8s_schema import validate_object

LABEL = st.from_regex(r"[a-z][a-z0-9]{0,10}(-[a-z0-9]{1,8})?", fullmatch=True)
ENV_NAME = st.from_regex(r"[A-Z][A-Z0-9_]{0,12}", fullmatch=True).filter(
    lambda n: "KEY" not in n and "TOKEN" not in n and "SECRET" not in n and "PASSW" not in n
)
SIZES = st.sampled_from([0.25, 0.5, 0.75, 1.0, 1.5, 2.0]).map(
    lambda cpu: Resources(cpu=cpu, memory=f"{cpu * 2:g}Gi")
)


@st.composite
def ports(draw: st.DrawFn) -> tuple[Port, ...]:
    count = draw(st.integers(0, 3))
    numbers = draw(st.lists(st.integers(1024, 65535), min_size=count, max_size=count, unique=True))
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
        Port(name=n, number=p, protocol=pr)
        for n, p, pr in zip(names, numbers, protocols, strict=True)
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
        resources=draw(SIZES),
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
def test_fuzzed_ingress_never_raises_anything_but_a_validation_error(
    spec: ServiceSpec, exposure: Exposure, host: str | None, path: str
) -> None:
    _catalog_or_problems(
        dataclasses.replace(spec, ingress=Ingress(exposure=exposure, host=host, path=path)),
        Environment.DEV,
    )
