"""Probe timing: defaults, what each target renders, and each target's limits, read from the
vendored upstream sources (upstream/: Kubernetes OpenAPI, terraform-provider-azurerm #31989, the
Container Apps REST spec)."""

from __future__ import annotations

from typing import Any

import pytest

from infra.problems import InvalidInput
from infra.services.render.aks import ServiceSecrets, render_on_aks
from infra.services.render.container_apps import render_on_container_apps
from infra.services.spec import (
    Port,
    Probes,
    ProbeTiming,
    Protocol,
    ServiceSpec,
    Target,
    TcpProbe,
)
from infra.upstream_facts import container_apps_probe_limits, kubernetes_probe_limits
from tests.fixtures import NO_EXTENSIONS, catalog_of, facts
from tests.k8s_schema import validate_object


def broker(target: Target, probes: Probes) -> ServiceSpec:
    return ServiceSpec(
        name="broker",
        image="team/broker:3.13.0",
        target=target,
        ports=(Port(name="amqp", number=5672, protocol=Protocol.TCP),),
        probes=probes,
    )


# A broker that needs 310 s to start: 62 startup attempts 5 s apart, then tight liveness.
SLOW_START = Probes(
    startup=TcpProbe(timing=ProbeTiming(period_seconds=5, failure_threshold=62)),
    liveness=TcpProbe(timing=ProbeTiming(period_seconds=20, timeout_seconds=5)),
    readiness=TcpProbe(timing=ProbeTiming(initial_delay_seconds=3, success_threshold=2)),
)


def aks_container(spec: ServiceSpec) -> dict[str, Any]:
    catalog = catalog_of(spec)
    objects = render_on_aks(
        catalog.get(spec.name),
        catalog=catalog,
        facts=facts(),
        extensions=NO_EXTENSIONS,
        client_id=None,
        secrets=ServiceSecrets(config_values={}),
    )
    for obj in objects:
        validate_object(obj)
    (deployment,) = [o for o in objects if o["kind"] == "Deployment"]
    return deployment["spec"]["template"]["spec"]["containers"][0]


def test_declared_timings_render_on_aks() -> None:
    container = aks_container(broker(Target.AKS, SLOW_START))
    assert container["startupProbe"] == {
        "tcpSocket": {"port": 5672},
        "periodSeconds": 5,
        "timeoutSeconds": 2,
        "failureThreshold": 62,
    }
    assert container["livenessProbe"]["periodSeconds"] == 20
    assert container["livenessProbe"]["timeoutSeconds"] == 5
    assert container["readinessProbe"]["initialDelaySeconds"] == 3
    assert container["readinessProbe"]["successThreshold"] == 2


def test_declared_timings_render_on_container_apps() -> None:
    spec = broker(Target.CONTAINER_APPS, SLOW_START)
    catalog = catalog_of(spec)
    plan: Any = render_on_container_apps(
        catalog.get("broker"),
        catalog=catalog,
        facts=facts(),
        extensions=NO_EXTENSIONS,
        identity_id=None,
        pull_identity_id="pull",
        config_values={},
    )
    by_type = {p.type.value: p for p in plan.template.containers[0].probes}
    startup = by_type["Startup"]
    assert (startup.period_seconds, startup.failure_threshold) == (5, 62)
    readiness = by_type["Readiness"]
    assert (readiness.initial_delay_seconds, readiness.success_threshold) == (3, 2)
    assert by_type["Liveness"].timeout_seconds == 5


def test_defaults_are_the_platform_s_on_both_targets() -> None:
    container = aks_container(broker(Target.AKS, Probes(liveness=TcpProbe())))
    assert {k: v for k, v in container["readinessProbe"].items() if k != "tcpSocket"} == {
        "periodSeconds": 5,
        "timeoutSeconds": 2,
        "failureThreshold": 3,
    }


def test_limits_come_from_the_upstream_sources() -> None:
    aca = container_apps_probe_limits()
    # terraform-provider-azurerm #31989: Azure's real failureThreshold bounds per probe type.
    assert [
        aca.timing[k]["failureThreshold"].maximum for k in ("readiness", "liveness", "startup")
    ] == [48, 30, 240]
    assert aca.timing["readiness"]["initialDelaySeconds"].maximum == 60
    assert aca.timing["liveness"]["successThreshold"].maximum == 1
    assert "exec" not in aca.actions
    k8s = kubernetes_probe_limits()
    assert k8s.timing["readiness"]["periodSeconds"].minimum == 1
    assert k8s.timing["startup"]["failureThreshold"].maximum is None
    assert k8s.timing["liveness"]["successThreshold"].maximum == 1
    assert "exec" in k8s.actions


def test_timings_outside_a_target_s_limits_are_each_refused_together() -> None:
    too_long = Probes(
        startup=TcpProbe(timing=ProbeTiming(failure_threshold=241)),
        liveness=TcpProbe(timing=ProbeTiming(failure_threshold=31, success_threshold=2)),
        readiness=TcpProbe(timing=ProbeTiming(initial_delay_seconds=61, period_seconds=0)),
    )
    with pytest.raises(InvalidInput) as refused:
        catalog_of(broker(Target.CONTAINER_APPS, too_long))
    found = [p.render() for p in refused.value.problems]
    assert len(found) == 5, found
    text = "\n".join(found)
    assert (
        "probes.startup.timing.failure_threshold = 241: is outside 1..240 for a startup probe on Container Apps"
        in text
    )
    assert "probes.liveness.timing.failure_threshold = 31: is outside 1..30" in text
    assert "a slow start is a longer startup probe (failure_threshold up to 240)" in text
    assert "probes.liveness.timing.success_threshold = 2: is outside 1..1" in text
    assert "probes.readiness.timing.initial_delay_seconds = 61: is outside 0..60" in text
    assert "probes.readiness.timing.period_seconds = 0: is outside 1..240" in text
    # The same declaration is within Kubernetes' limits except what Kubernetes refuses too.
    with pytest.raises(InvalidInput) as refused:
        catalog_of(broker(Target.AKS, too_long))
    found = [p.render() for p in refused.value.problems]
    assert len(found) == 2, found
    assert "success_threshold = 2: is outside 1..1 for a liveness probe on AKS" in "\n".join(found)
    assert "period_seconds = 0: is outside >= 1" in "\n".join(found)
