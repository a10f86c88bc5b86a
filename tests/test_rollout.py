"""Canary releases: the rollout declaration's bad input (one clear error each, listed together,
nothing registered), its rendering on both targets, and the promote/rollback decision."""

from __future__ import annotations

import dataclasses
from typing import Any

import pytest

from infra.config import Environment, IngressMode
from infra.problems import InvalidInput
from infra.services.render.aks import ServiceSecrets, render_on_aks
from infra.services.render.canary import render_canary_on_aks
from infra.services.render.common import InternalGatewayFacts
from infra.services.render.container_apps import render_on_container_apps
from infra.services.render.revisions import running_revision
from infra.services.routes import StackIngress
from infra.services.rules import ValidationContext
from infra.services.spec import (
    Application,
    Autoscaling,
    Dependency,
    Exposure,
    HttpProbe,
    Ingress,
    KeyVaultSecret,
    Override,
    Port,
    Probes,
    Protocol,
    Rollout,
    ServiceSpec,
    Target,
    TcpProbe,
    Tls,
)
from infra.services.validation import validate_applications
from tests.fixtures import NO_EXTENSIONS, catalog_of, context, facts
from tests.k8s_schema import validate_object
from tests.test_gateway import gateway_facts

CERT = "https://kv-shop-dev.vault.azure.net/certificates/shop"
PROD_CERT = "https://kv-shop-prod.vault.azure.net/certificates/shop"


def web(target: Target = Target.AKS, **changes: object) -> ServiceSpec:
    base = ServiceSpec(
        name="shop",
        image="shop:1.0",
        target=target,
        ports=(Port(name="http", number=8080),),
        ingress=Ingress(
            exposure=Exposure.PUBLIC,
            host="shop.example.com",
            tls=Tls(key_vault_certificate_uri=CERT),
        ),
        probes=Probes(readiness=HttpProbe(path="/ready"), liveness=HttpProbe(path="/live")),
        rollout=Rollout(image="shop:1.1", weight=10),
    )
    return dataclasses.replace(base, **changes)  # type: ignore[arg-type]


def problems_of(*specs: ServiceSpec, environment: Environment = Environment.DEV) -> list[str]:
    with pytest.raises(InvalidInput) as caught:
        catalog_of(*specs, environment=environment)
    return [f"{p.group} |{p.render().removeprefix(' ')}" for p in caught.value.problems]


def test_a_valid_rollout_is_accepted_on_both_targets() -> None:
    catalog = catalog_of(
        web(), web(Target.CONTAINER_APPS, name="api", ingress=Ingress(exposure=Exposure.PUBLIC))
    )
    assert catalog.get("shop").spec.rollout == Rollout(image="shop:1.1", weight=10)


@pytest.mark.parametrize("weight", [-1, 101])
def test_weight_outside_0_to_100_is_refused(weight: int) -> None:
    (problem,) = problems_of(web(rollout=Rollout(image="shop:1.1", weight=weight)))
    assert f"rollout.weight = {weight}: is outside 0..100" in problem


def test_every_bad_rollout_is_listed_together() -> None:
    """Weights, a canary equal to the stable image, no route, no readiness probe in prod and a
    GRPCRoute path: one error each, all at once. (`orders` sharing `shop`'s host on its own
    path is no error: they share the host's listener, tests/test_shared_hosts.py.)"""
    prod_tls = Ingress(
        exposure=Exposure.PUBLIC,
        host="shop.example.com",
        tls=Tls(key_vault_certificate_uri=PROD_CERT),
    )
    found = problems_of(
        web(ingress=prod_tls, rollout=Rollout(image="shop:1.0", weight=150)),
        web(
            name="quiet",
            ingress=Ingress(),
            rollout=Rollout(image="shop:2.0", weight=10),
        ),
        web(
            name="noprobe",
            probes=Probes(liveness=TcpProbe()),
            ingress=Ingress(
                exposure=Exposure.PUBLIC,
                host="noprobe.example.com",
                tls=Tls(key_vault_certificate_uri=PROD_CERT),
            ),
        ),
        web(
            name="orders",
            ports=(Port(name="grpc", number=50051, protocol=Protocol.GRPC),),
            probes=Probes(liveness=TcpProbe()),
            rollout=None,
            ingress=Ingress(
                exposure=Exposure.PUBLIC,
                host="shop.example.com",
                path="/orders",
                tls=Tls(key_vault_certificate_uri=PROD_CERT),
            ),
        ),
        environment=Environment.PROD,
    )
    text = "\n".join(found)
    assert len(found) == 5, text
    assert "shop (apps/test.py) | rollout.weight = 150: is outside 0..100" in text
    assert "rollout.image = shop:1.0: is the stable image" in text
    assert "quiet (apps/test.py) | rollout: needs ingress" in text
    assert (
        "noprobe (apps/test.py) | probes.readiness: is not declared: prod refuses a canary" in text
    )
    assert "orders (apps/test.py) | ingress.path = /orders: is a path on a gRPC port" in text


def test_canary_on_an_internal_aks_service_is_refused_on_managed_nginx() -> None:
    """`aks.ingress: nginx|both`: internal services are on NGINX Ingresses, which have no
    weights."""
    internal = web(ingress=Ingress(exposure=Exposure.INTERNAL, host="shop.dev.shop.internal"))
    with pytest.raises(InvalidInput) as caught:
        validate_applications(
            [Application(name="shop", services=(internal,), source="apps/test.py")],
            context(Environment.DEV, ingress=StackIngress(IngressMode.BOTH)),
        )
    (problem,) = caught.value.problems
    assert problem.path == "rollout"
    assert "aks.ingress gateway" in problem.render()


def test_canary_on_an_internal_aks_service_splits_its_envoy_route() -> None:
    """`aks.ingress: gateway` (the default): the internal route on Envoy Gateway carries the
    weights, and the canary's NetworkPolicy admits the Envoy proxies like the stable one's."""
    internal = web(ingress=Ingress(exposure=Exposure.INTERNAL, host="shop.dev.shop.internal"))
    catalog = catalog_of(internal, ingress=StackIngress(IngressMode.GATEWAY))
    service = catalog.get("shop")
    common: dict[str, Any] = {
        "catalog": catalog,
        "facts": dataclasses.replace(facts(), internal_gateway=InternalGatewayFacts("10.20.3.254")),
        "extensions": NO_EXTENSIONS,
        "client_id": "cid",
        "secrets": ServiceSecrets(config_values={}),
    }
    objects = {
        f"{o['kind']}/{o['metadata']['name']}": o
        for o in render_on_aks(service, **common) + render_canary_on_aks(service, **common)
    }
    (rule,) = objects["HTTPRoute/shop"]["spec"]["rules"]
    assert rule["backendRefs"] == [
        {"name": "shop", "port": 8080, "weight": 90},
        {"name": "shop-canary", "port": 8080, "weight": 10},
    ]
    assert objects["HTTPRoute/shop"]["spec"]["parentRefs"][0]["name"] == "internal"
    assert objects["Deployment/shop-canary"]["spec"]["template"]["spec"]["containers"][0][
        "image"
    ].endswith("shop:1.1")
    stable_sources = objects["NetworkPolicy/shop"]["spec"]["ingress"][0]["from"]
    canary_sources = objects["NetworkPolicy/shop-canary"]["spec"]["ingress"][0]["from"]
    assert canary_sources == stable_sources
    for obj in objects.values():
        validate_object(obj)


def test_dev_accepts_a_canary_with_the_default_readiness_check() -> None:
    assert catalog_of(web(probes=Probes())).get("shop").spec.rollout is not None


# ----- Rendering: AKS (weighted backendRefs, a canary Deployment with its own HPA/PDB) -------


def aks_objects(spec: ServiceSpec) -> dict[str, dict[str, Any]]:
    catalog = catalog_of(spec, ingress=StackIngress(IngressMode.GATEWAY))
    service = catalog.get(spec.name)
    common: dict[str, Any] = {
        "catalog": catalog,
        "facts": gateway_facts(),
        "extensions": NO_EXTENSIONS,
        "client_id": "cid",
        "secrets": ServiceSecrets(config_values={}),
    }
    objects = render_on_aks(service, **common) + render_canary_on_aks(service, **common)
    return {f"{o['kind']}/{o['metadata']['name']}": o for o in objects}


AUTOSCALED = Autoscaling(min_replicas=2, max_replicas=4)


def test_aks_route_splits_traffic_between_stable_and_canary() -> None:
    objects = aks_objects(web(autoscaling=AUTOSCALED))
    (rule,) = objects["HTTPRoute/shop"]["spec"]["rules"]
    assert rule["backendRefs"] == [
        {"name": "shop", "port": 8080, "weight": 90},
        {"name": "shop-canary", "port": 8080, "weight": 10},
    ]
    for obj in objects.values():
        validate_object(obj)


def test_aks_canary_has_its_own_workload_hpa_and_pdb_and_shares_the_identity() -> None:
    objects = aks_objects(web(autoscaling=AUTOSCALED, secrets={"DB": KeyVaultSecret(name="db")}))
    stable = objects["Deployment/shop"]
    canary = objects["Deployment/shop-canary"]
    assert stable["spec"]["template"]["spec"]["containers"][0]["image"].endswith("shop:1.0")
    assert canary["spec"]["template"]["spec"]["containers"][0]["image"].endswith("shop:1.1")
    # The stable Service never selects canary pods, and the canary's own Service does.
    canary_labels = canary["spec"]["template"]["metadata"]["labels"]
    stable_selector = objects["Service/shop"]["spec"]["selector"]
    assert not all(canary_labels.get(k) == v for k, v in stable_selector.items())
    assert objects["Service/shop-canary"]["spec"]["selector"].items() <= canary_labels.items()
    hpa = objects["HorizontalPodAutoscaler/shop-canary"]
    assert hpa["spec"]["scaleTargetRef"]["name"] == "shop-canary"
    pdb = objects["PodDisruptionBudget/shop-canary"]
    assert pdb["spec"]["selector"]["matchLabels"] == canary["spec"]["selector"]["matchLabels"]
    pod = canary["spec"]["template"]["spec"]
    assert pod["serviceAccountName"] == "shop", "the federated credential names this account"
    volumes = {v["name"]: v for v in pod["volumes"]}
    assert (
        volumes["secrets-store-0"]["csi"]["volumeAttributes"]["secretProviderClass"] == "shop-kv0"
    )
    (env,) = pod["containers"][0]["env"]
    assert env["valueFrom"]["secretKeyRef"]["name"] == "shop-kv0"
    assert "ServiceAccount/shop-canary" not in objects
    assert "SecretProviderClass/shop-canary-kv0" not in objects


def test_aks_abandoned_rollout_sends_nothing_to_the_canary() -> None:
    objects = aks_objects(web(rollout=Rollout(image="shop:1.1", weight=0)))
    (rule,) = objects["HTTPRoute/shop"]["spec"]["rules"]
    assert [b["weight"] for b in rule["backendRefs"]] == [100, 0]
    validate_object(objects["HTTPRoute/shop"])


def test_aks_without_rollout_has_one_unweighted_backend_and_no_canary() -> None:
    objects = aks_objects(web(rollout=None))
    (rule,) = objects["HTTPRoute/shop"]["spec"]["rules"]
    assert rule["backendRefs"] == [{"name": "shop", "port": 8080}]
    assert not [k for k in objects if "canary" in k]


# ----- Rendering: Container Apps (multiple revisions, suffixes, labels, weights) ------------


def aca_plan(spec: ServiceSpec, stable_revision: str | None = "shop--running") -> Any:
    catalog = catalog_of(spec)
    return render_on_container_apps(
        catalog.get(spec.name),
        catalog=catalog,
        facts=facts(),
        extensions=NO_EXTENSIONS,
        identity_id=None,
        pull_identity_id="pull",
        config_values={},
        stable_revision=stable_revision,
    )


def aca(**changes: object) -> ServiceSpec:
    return web(Target.CONTAINER_APPS, ingress=Ingress(exposure=Exposure.PUBLIC), **changes)


def test_aca_rollout_keeps_the_running_revision_by_name_and_label() -> None:
    plan = aca_plan(aca(), stable_revision="shop--abc12")
    assert plan.configuration.active_revisions_mode == "Multiple"
    assert plan.template.containers[0].image.endswith("shop:1.1")
    stable, canary = plan.configuration.ingress.traffic
    assert stable.revision_name == "shop--abc12"
    assert (stable.weight, stable.label) == (90, "stable")
    assert (canary.latest_revision, canary.weight, canary.label) == (True, 10, "canary")


def test_aca_rollout_without_the_running_revision_is_a_programming_error() -> None:
    with pytest.raises(ValueError, match=r"shop.*running revision"):
        aca_plan(aca(), stable_revision=None)


def test_aca_without_rollout_is_single_revision_with_all_traffic_on_the_latest() -> None:
    plan = aca_plan(aca(rollout=None), stable_revision=None)
    assert plan.configuration.active_revisions_mode == "Single"
    (only,) = plan.configuration.ingress.traffic
    assert (only.latest_revision, only.weight) == (True, 100)
    assert plan.template.containers[0].image.endswith("shop:1.0")


def test_aca_templates_leave_revision_names_to_azure() -> None:
    """A derived suffix would name an existing revision on every return to an earlier
    declaration (a rollback, a revert), and Azure creates none under an existing name."""
    for spec in (aca(), aca(rollout=None)):
        assert aca_plan(spec).template.revision_suffix is None


def test_the_running_revision_is_the_labelled_stable_one_during_a_rollout() -> None:
    traffic = [("stable", "shop--old"), ("canary", None)]
    assert running_revision(traffic, "shop--canary2", "shop--canary2") == "shop--old"


def test_the_running_revision_before_a_rollout_is_the_latest_ready_one() -> None:
    """Single revision mode serves the latest ready revision; a newer one that failed to
    start is not what users are served."""
    assert running_revision([(None, None)], "shop--good", "shop--broken") == "shop--good"
    assert running_revision([], None, "shop--only") == "shop--only"
    assert running_revision([], None, None) == ""


def test_prod_deploying_through_the_lock_refuses_an_unpinned_canary() -> None:
    lock = {"shop:1.0": "sha256:" + "a" * 64}
    spec = web(
        ingress=Ingress(
            exposure=Exposure.PUBLIC,
            host="shop.example.com",
            tls=Tls(key_vault_certificate_uri=PROD_CERT),
        )
    )
    context = ValidationContext(Environment.PROD, {}, "kv-shop-prod", image_lock=lock)
    with pytest.raises(InvalidInput) as caught:
        validate_applications([Application(name="shop", services=(spec,))], context)
    (problem,) = caught.value.problems
    assert problem.path == "rollout.image"
    assert "prod runs images by digest" in problem.problem
    pinned = {**lock, "shop:1.1": "sha256:" + "b" * 64}
    context = ValidationContext(Environment.PROD, {}, "kv-shop-prod", image_lock=pinned)
    catalog = validate_applications([Application(name="shop", services=(spec,))], context)
    rollout = catalog.get("shop").spec.rollout
    assert rollout is not None
    assert rollout.image == "shop:1.1@sha256:" + "b" * 64


def test_a_rollout_can_run_in_one_environment_first() -> None:
    """`Override(rollout=...)`: dev runs the canary, prod keeps the stable image alone."""
    spec = web(
        rollout=None, overrides={"dev": Override(rollout=Rollout(image="shop:1.1", weight=10))}
    )
    assert catalog_of(spec).get("shop").spec.rollout == Rollout(image="shop:1.1", weight=10)
    prod_spec = dataclasses.replace(
        spec,
        ingress=Ingress(
            exposure=Exposure.PUBLIC,
            host="shop.example.com",
            tls=Tls(key_vault_certificate_uri=PROD_CERT),
        ),
    )
    assert catalog_of(prod_spec, environment=Environment.PROD).get("shop").spec.rollout is None


# ----- East-west canaries ----------------------------------------------------------------------


def _east_west(target: Target) -> tuple[ServiceSpec, ServiceSpec]:
    """An API nobody reaches from outside, with one caller, releasing a canary."""
    api = web(target, name="stock-api", ingress=Ingress())
    caller = web(
        target,
        name="front",
        rollout=None,
        dependencies=(Dependency(service="stock-api"),),
    )
    return api, caller


def test_a_container_apps_canary_of_an_internal_api_splits_its_callers() -> None:
    """Issue 23 point 9: callers inside the environment go through the app's ingress, whose
    revision weights split them; it was refused as 'needs ingress'."""
    api, caller = _east_west(Target.CONTAINER_APPS)
    # The caller is not exposed: dev manages no DNS zone for a custom domain (the deploy's rule).
    catalog = catalog_of(api, dataclasses.replace(caller, ingress=Ingress()))
    plan: Any = render_on_container_apps(
        catalog.get("stock-api"),
        catalog=catalog,
        facts=facts(),
        extensions=NO_EXTENSIONS,
        identity_id=None,
        pull_identity_id="pull",
        config_values={},
        stable_revision="stock-api--running",
    )
    ingress = plan.configuration.ingress
    assert ingress.external is False
    stable, canary = ingress.traffic
    assert (stable.revision_name, stable.weight) == ("stock-api--running", 90)
    assert (canary.latest_revision, canary.weight) == (True, 10)


def test_a_container_apps_canary_nobody_calls_has_no_traffic_and_is_refused() -> None:
    api, _ = _east_west(Target.CONTAINER_APPS)
    (problem,) = problems_of(api)
    assert "stock-api (apps/test.py) | rollout = 'shop:1.1': has no traffic to split" in problem


def test_an_aks_canary_of_an_unexposed_api_is_refused_with_the_ways_that_split() -> None:
    """Callers reach the ClusterIP Service directly: no weights there."""
    api, caller = _east_west(Target.AKS)
    (problem,) = problems_of(api, caller)
    assert "rollout: needs ingress" in problem
    assert "Exposure.INTERNAL" in problem
    assert "Container Apps" in problem
