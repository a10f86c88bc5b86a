"""Service ports that differ from container ports, on every target pair; and workers without
ports, which every rule (probes, PDB, policy, NetworkPolicy) must treat sensibly."""

from __future__ import annotations

import dataclasses
from typing import Any

import pytest

from infra.config import Environment
from infra.policy.evaluate import evaluate
from infra.policy.rules import PolicyContext, PolicyResource
from infra.problems import InvalidInput
from infra.services.catalog import Catalog
from infra.services.render.aks import ServiceSecrets, render_on_aks
from infra.services.render.container_apps import render_on_container_apps
from infra.services.spec import (
    AddressForm,
    Dependency,
    ExecProbe,
    HttpProbe,
    Port,
    Probes,
    Protocol,
    ServiceSpec,
    Target,
    TcpProbe,
)
from infra.services.wiring import dependency_env
from tests.fixtures import NO_EXTENSIONS, catalog_of, facts
from tests.k8s_schema import validate_object


def aks_objects(catalog: Catalog, name: str) -> dict[str, dict[str, Any]]:
    objects = render_on_aks(
        catalog.get(name),
        catalog=catalog,
        facts=facts(),
        extensions=NO_EXTENSIONS,
        client_id=None,
        secrets=ServiceSecrets(config_values={}),
    )
    for obj in objects:
        validate_object(obj)
    return {f"{o['kind']}/{o['metadata']['name']}": o for o in objects}


def aca_plan(catalog: Catalog, name: str) -> Any:
    return render_on_container_apps(
        catalog.get(name),
        catalog=catalog,
        facts=facts(),
        extensions=NO_EXTENSIONS,
        identity_id=None,
        pull_identity_id="pull",
        config_values={},
    )


# ----- Service ports --------------------------------------------------------------------------


def callee(target: Target, protocol: Protocol = Protocol.HTTP) -> ServiceSpec:
    return ServiceSpec(
        name="api",
        image="team/api:1.0.0",
        target=target,
        ports=(Port(name="main", number=8080, service_port=5000, protocol=protocol),),
    )


def caller(target: Target) -> ServiceSpec:
    return ServiceSpec(
        name="client",
        image="team/client:1.0.0",
        target=target,
        dependencies=(Dependency(service="api", env="API", form=AddressForm.HOST_PORT),),
    )


@pytest.mark.parametrize(
    ("callee_target", "caller_target", "protocol", "expected"),
    [
        (Target.AKS, Target.AKS, Protocol.HTTP, "api.shop.svc.cluster.local:5000"),
        (Target.AKS, Target.CONTAINER_APPS, Protocol.HTTP, "api.shop.dev.shop.internal:5000"),
        # Container Apps serves tcp on the exposed (Service) port; http and grpc always over
        # TLS on 443 (plain http is redirected, plaintext gRPC refused), whatever the Service
        # port says; environment-only ingress answers on <app>.internal.<domain>.
        (Target.CONTAINER_APPS, Target.CONTAINER_APPS, Protocol.TCP, "api:5000"),
        (
            Target.CONTAINER_APPS,
            Target.AKS,
            Protocol.TCP,
            "api.happy-hill-1234.westeurope.azurecontainerapps.io:5000",
        ),
        (
            Target.CONTAINER_APPS,
            Target.CONTAINER_APPS,
            Protocol.HTTP,
            "api.internal.happy-hill-1234.westeurope.azurecontainerapps.io:443",
        ),
        (
            Target.CONTAINER_APPS,
            Target.CONTAINER_APPS,
            Protocol.GRPC,
            "api.internal.happy-hill-1234.westeurope.azurecontainerapps.io:443",
        ),
        (
            Target.CONTAINER_APPS,
            Target.AKS,
            Protocol.HTTP,
            "api.happy-hill-1234.westeurope.azurecontainerapps.io:443",
        ),
    ],
)
def test_callers_use_the_service_port_on_every_target_pair(
    callee_target: Target, caller_target: Target, protocol: Protocol, expected: str
) -> None:
    catalog = catalog_of(callee(callee_target, protocol), caller(caller_target))
    [entry] = dependency_env(catalog.get("client"), catalog, facts())
    assert entry.value == expected


def test_aks_service_maps_the_service_port_to_the_container_port() -> None:
    objects = aks_objects(catalog_of(callee(Target.AKS), caller(Target.AKS)), "api")
    assert objects["Service/api"]["spec"]["ports"][0]["port"] == 5000
    assert objects["Service/api"]["spec"]["ports"][0]["targetPort"] == "main"
    container = objects["Deployment/api"]["spec"]["template"]["spec"]["containers"][0]
    assert container["ports"] == [{"name": "main", "containerPort": 8080, "protocol": "TCP"}]
    assert container["readinessProbe"]["tcpSocket"] == {"port": 8080}, "probes hit the container"
    policy_ports = objects["NetworkPolicy/api"]["spec"]["ingress"][0]["ports"]
    assert policy_ports == [{"port": 8080, "protocol": "TCP"}], "policies see the pod's port"


def test_container_apps_tcp_ingress_exposes_the_service_port() -> None:
    plan = aca_plan(
        catalog_of(callee(Target.CONTAINER_APPS, Protocol.TCP), caller(Target.CONTAINER_APPS)),
        "api",
    )
    assert (plan.configuration.ingress.target_port, plan.configuration.ingress.exposed_port) == (
        8080,
        5000,
    )


def test_a_service_port_may_be_privileged_because_nothing_binds_it() -> None:
    spec = callee(Target.AKS)
    web = ServiceSpec(
        name="api",
        image=spec.image,
        target=Target.AKS,
        ports=(Port(name="http", number=8080, service_port=80),),
    )
    assert catalog_of(web).get("api").spec.ports[0].service_port == 80


# ----- Workers without ports ------------------------------------------------------------------


def worker(target: Target, replicas: int = 2, **changes: Any) -> ServiceSpec:
    return ServiceSpec(
        name="worker",
        image="team/worker:1.0.0",
        target=target,
        replicas=replicas,
        dependencies=(Dependency(service="api"),),
        **changes,
    )


API = ServiceSpec(
    name="api", image="team/api:1.0.0", target=Target.AKS, ports=(Port(name="http", number=8080),)
)
API_IN_PROD = dataclasses.replace(API, probes=Probes(liveness=TcpProbe()))


def test_worker_probes_none_by_default_and_a_port_probe_is_refused() -> None:
    aks = aks_objects(catalog_of(worker(Target.AKS), API), "worker")
    container = aks["Deployment/worker"]["spec"]["template"]["spec"]["containers"][0]
    assert {"ports", "readinessProbe", "livenessProbe", "startupProbe"}.isdisjoint(container)
    plan = aca_plan(catalog_of(worker(Target.CONTAINER_APPS), API), "worker")
    assert plan.template.containers[0].probes is None
    with pytest.raises(InvalidInput, match=r"probes.liveness.port: needs a port to probe"):
        catalog_of(worker(Target.AKS, probes=Probes(liveness=HttpProbe())), API)


HEALTHY = ExecProbe(command=("test", "-f", "/tmp/healthy"))


def test_worker_exec_probes_render_on_aks() -> None:
    probes = Probes(readiness=HEALTHY, liveness=HEALTHY)
    aks = aks_objects(catalog_of(worker(Target.AKS, probes=probes), API), "worker")
    container = aks["Deployment/worker"]["spec"]["template"]["spec"]["containers"][0]
    assert container["livenessProbe"]["exec"] == {"command": ["test", "-f", "/tmp/healthy"]}
    assert container["readinessProbe"]["exec"] == {"command": ["test", "-f", "/tmp/healthy"]}
    assert "ports" not in container


def test_exec_probe_is_refused_on_container_apps_with_what_a_worker_gets_there() -> None:
    with pytest.raises(InvalidInput) as refused:
        catalog_of(worker(Target.CONTAINER_APPS, probes=Probes(liveness=HEALTHY)), API)
    message = str(refused.value)
    assert "probes.liveness = 'ExecProbe': Container Apps has no exec probe" in message
    assert "a worker runs without probes" in message
    with pytest.raises(InvalidInput, match=r"probes.liveness.command = \(\): names no program"):
        catalog_of(worker(Target.AKS, probes=Probes(liveness=ExecProbe(command=()))), API)


def test_worker_pdb_follows_its_replicas_like_any_service() -> None:
    two = aks_objects(catalog_of(worker(Target.AKS, replicas=2), API), "worker")
    assert two["PodDisruptionBudget/worker"]["spec"]["maxUnavailable"] == 1
    one = aks_objects(catalog_of(worker(Target.AKS, replicas=1), API), "worker")
    assert "PodDisruptionBudget/worker" not in one


def _as_policy_resources(objects: dict[str, dict[str, Any]]) -> list[PolicyResource]:
    tokens = {
        "Deployment": "kubernetes:apps/v1:Deployment",
        "PodDisruptionBudget": "kubernetes:policy/v1:PodDisruptionBudget",
    }
    # The prod plan's Deployment Safeguards (Enforce), which k8s-probes-enforced reads.
    safeguard = PolicyResource(
        "azure-native:containerservice:DeploymentSafeguard", "safeguards", {"level": "Enforce"}
    )
    return [safeguard] + [
        PolicyResource(tokens[o["kind"]], f"shop-{o['metadata']['name']}", o)
        for o in objects.values()
        if o["kind"] in tokens
    ]


def test_prod_validation_and_policy_agree_on_a_worker_s_probes() -> None:
    """Validation refuses in prod what policy `k8s-probes-enforced` (AKS Deployment Safeguards)
    would refuse, with the fix; a worker with exec probes passes both."""
    with pytest.raises(InvalidInput) as refused:
        catalog_of(worker(Target.AKS), API_IN_PROD, environment=Environment.PROD)
    message = str(refused.value)
    assert "probes.readiness: is required in prod" in message
    assert "probes.liveness: is required in prod" in message
    assert "liveness=ExecProbe(command=(...)) for a worker" in message
    probes = Probes(readiness=HEALTHY, liveness=HEALTHY)
    catalog = catalog_of(
        worker(Target.AKS, probes=probes), API_IN_PROD, environment=Environment.PROD
    )
    objects = aks_objects(catalog, "worker")
    report = evaluate(_as_policy_resources(objects), PolicyContext("prod"), ())
    found = {v.rule.id for v in report.violations}
    assert "k8s-probes-enforced" not in found
    assert "k8s-probes" not in found
    # Without the exec probes (rendered from a dev catalog), the policy refuses the same.
    unprobed = aks_objects(catalog_of(worker(Target.AKS), API), "worker")
    report = evaluate(_as_policy_resources(unprobed), PolicyContext("prod"), ())
    assert "k8s-probes-enforced" in {v.rule.id for v in report.violations}
    # Container Apps: no probe rule in prod, and none to declare.
    catalog_of(worker(Target.CONTAINER_APPS), API_IN_PROD, environment=Environment.PROD)


def test_worker_network_policy_nothing_reaches_it_and_it_reaches_what_it_declares() -> None:
    catalog = catalog_of(worker(Target.AKS), API)
    mine = aks_objects(catalog, "worker")
    assert "NetworkPolicy/worker" not in mine, "the namespace's default deny covers it"
    assert "Service/worker" not in mine
    sources = aks_objects(catalog, "api")["NetworkPolicy/api"]["spec"]["ingress"][0]["from"]
    assert sources[0]["podSelector"]["matchLabels"]["app.kubernetes.io/name"] == "worker"
    plan = aca_plan(catalog_of(worker(Target.CONTAINER_APPS), API), "worker")
    assert plan.configuration.ingress is None, "no ingress at all on Container Apps"
