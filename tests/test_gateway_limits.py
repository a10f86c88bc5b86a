"""Gateway limits refused before anything is registered: AGC's 5 frontends and 100 services,
and the Gateway API's 64 listeners per Gateway (public AKS per application, the shared internal
and local Envoy Gateways)."""

from __future__ import annotations

import dataclasses
import json

import pytest

from infra.config import IngressMode
from infra.preview.engine import ProgramFailed, run_offline
from infra.preview.stackfile import read_stack
from infra.program import build
from infra.services.catalog import PlannedService, with_routes
from infra.services.gateway_limits import (
    AGC_FRONTENDS,
    AGC_SERVICES,
    GATEWAY_LISTENERS,
    agc_problems,
    envoy_problems,
)
from infra.services.routes import StackIngress
from infra.services.spec import (
    Application,
    Exposure,
    HttpProbe,
    Ingress,
    Port,
    Probes,
    Rollout,
    ServiceSpec,
    Target,
    Tls,
)
from infra.simulate import World
from tests.simulate_builders import plan, refusals, res

VAULT = "https://kv-shop-dev.vault.azure.net"


def service(app: str, name: str, exposure: Exposure, **changes: object) -> PlannedService:
    spec = ServiceSpec(
        name=name,
        image=f"{name}:1.0",
        target=Target.AKS,
        ports=(Port(name="http", number=8080),),
        ingress=Ingress(exposure=exposure, host=f"{name}.{app}.example.com"),
    )
    planned = PlannedService(app, dataclasses.replace(spec, **changes), "apps/test.py")  # type: ignore[arg-type]
    # Routed as validation routes it on an Azure stack with `aks.ingress: gateway`.
    (routed,) = with_routes([planned], GATEWAY)
    return routed


GATEWAY = StackIngress(IngressMode.GATEWAY)
LOCAL = StackIngress(None)


def test_five_applications_with_public_aks_services_fit_a_sixth_does_not() -> None:
    five = [service(f"app{i}", f"web{i}", Exposure.PUBLIC) for i in range(AGC_FRONTENDS)]
    assert agc_problems(five) == []
    (problem,) = agc_problems([*five, service("app5", "web5", Exposure.PUBLIC)])
    assert "6 applications have public AKS services" in problem.problem
    assert "app5" in problem.value


def test_an_application_past_64_public_services_is_refused() -> None:
    many = [service("shop", f"web{i}", Exposure.PUBLIC) for i in range(GATEWAY_LISTENERS + 1)]
    problems = agc_problems(many)
    assert [p.value for p in problems] == ["shop"]
    assert "at most 64" in problems[0].problem


def test_canaries_count_against_agcs_100_services() -> None:
    public = [
        service(f"app{i % AGC_FRONTENDS}", f"web{i}", Exposure.PUBLIC)
        for i in range(AGC_SERVICES // 2)
    ]
    assert agc_problems(public) == []
    with_canaries = [
        dataclasses.replace(
            s, spec=dataclasses.replace(s.spec, rollout=Rollout(image="x:2", weight=10))
        )
        for s in public
    ]
    assert agc_problems(with_canaries) == []  # exactly 100
    (problem,) = agc_problems([*with_canaries, service("app0", "one-more", Exposure.PUBLIC)])
    assert problem.value == str(AGC_SERVICES + 1)


def test_internal_services_past_the_shared_gateways_listeners_are_refused() -> None:
    internal = [service("shop", f"api{i}", Exposure.INTERNAL) for i in range(GATEWAY_LISTENERS)]
    assert envoy_problems(internal) == []
    extra = service("shop", "api-extra", Exposure.INTERNAL)
    (problem,) = envoy_problems([*internal, extra])
    assert "internal AKS services share one Envoy Gateway" in problem.problem
    # Public services are on AGC on Azure, but share the Envoy Gateway locally.
    public = service("shop", "web", Exposure.PUBLIC)
    assert envoy_problems([*internal, public]) == []
    (local,) = envoy_problems(with_routes([*internal, public], LOCAL))
    assert "exposed services share one Envoy Gateway" in local.problem


def test_the_program_refuses_a_sixth_public_application_before_registering_anything() -> None:
    stack = read_stack("dev")
    values = dict(stack.values)
    values["platform:aks"] = json.dumps(
        {**json.loads(values["platform:aks"]), "ingress": "gateway"}
    )
    apps = [
        Application(
            name=f"team{i}",
            services=(
                ServiceSpec(
                    name=f"web{i}",
                    image=f"web{i}:1.0",
                    target=Target.AKS,
                    ports=(Port(name="http", number=8080),),
                    ingress=Ingress(
                        exposure=Exposure.PUBLIC,
                        host=f"web{i}.example.com",
                        tls=Tls(key_vault_certificate_uri=f"{VAULT}/certificates/web{i}"),
                    ),
                    probes=Probes(readiness=HttpProbe(path="/ready")),
                ),
            ),
            source=f"apps/team{i}.py",
        )
        for i in range(AGC_FRONTENDS + 1)
    ]
    with pytest.raises(ProgramFailed) as caught:
        run_offline(dataclasses.replace(stack, values=values), lambda: build(applications=apps))
    assert caught.value.run.resources == []
    assert "6 applications have public AKS services" in str(caught.value.cause)


# ----- The deploy simulator's rule: a sixth Frontend on one gateway ---------------------------


def frontend(index: int, controller: str = "agc-t") -> dict[str, object]:
    return res(
        "azure-native:servicenetworking:FrontendsInterface",
        f"app{index}-frontend",
        {"trafficControllerName": controller, "frontendName": f"fe-app{index}"},
    )


def test_five_frontends_on_a_gateway_are_accepted() -> None:
    assert refusals(plan(*(frontend(i) for i in range(AGC_FRONTENDS)))) == []


def test_a_sixth_frontend_on_a_gateway_is_refused() -> None:
    world = World(resources=dict(plan(*(frontend(i) for i in range(AGC_FRONTENDS))).resources))
    everything = plan(*(frontend(i) for i in range(AGC_FRONTENDS + 1)))
    (found,) = refusals(everything, world)
    assert found.rule == "agc-frontend-limit"
    assert "6 Frontends" in found.why
    # Frontends of another gateway do not count.
    other = plan(*(frontend(i) for i in range(AGC_FRONTENDS)), frontend(9, controller="agc-u"))
    assert refusals(other, world) == []


# ----- The deploy simulator: the platform's record over a hand-made one ----------------------


def cname(name: str) -> dict[str, object]:
    return res(
        "azure-native:dns:RecordSet",
        f"{name}-gateway-host",
        {
            "zoneName": "example.com",
            "relativeRecordSetName": name,
            "recordType": "CNAME",
            "cnameRecord": {"cname": "abc.fz00.alb.azure.com"},
        },
    )


def test_a_host_record_on_a_free_name_is_accepted() -> None:
    world = World(dns_records={("TXT", "asuid.other.example.com")})
    assert refusals(plan(cname("shop")), world) == []


@pytest.mark.parametrize("existing", ["CNAME", "A"])
def test_a_host_record_over_a_hand_made_record_is_refused(existing: str) -> None:
    """Switching `aks.ingress` to gateway with a hand-made record for the host (made during
    the `both` migration release) in the platform's zone."""
    world = World(dns_records={(existing, "shop.example.com")})
    (found,) = refusals(plan(cname("shop")), world)
    assert found.rule == "dns-record-set-exists"
    assert f"{existing} shop.example.com already exists" in found.why
