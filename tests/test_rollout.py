"""Canary releases: the rollout declaration's bad input (one clear error each, listed together,
nothing registered), its rendering on both targets, and the promote/rollback decision."""

from __future__ import annotations

import dataclasses

import pytest

from infra.config import Environment
from infra.problems import InvalidInput
from infra.services.spec import (
    Exposure,
    HttpProbe,
    Ingress,
    Port,
    Probes,
    Protocol,
    Rollout,
    ServiceSpec,
    Target,
    Tls,
)
from tests.fixtures import catalog_of

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
        probes=Probes(readiness=HttpProbe(path="/ready")),
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
    """Weights, a canary equal to the stable image, no route, no readiness probe in prod, a
    GRPCRoute path and a host two listeners claim: one error each, all at once."""
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
            probes=Probes(),
            ingress=Ingress(
                exposure=Exposure.PUBLIC,
                host="noprobe.example.com",
                tls=Tls(key_vault_certificate_uri=PROD_CERT),
            ),
        ),
        web(
            name="orders",
            ports=(Port(name="grpc", number=50051, protocol=Protocol.GRPC),),
            probes=Probes(),
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
    assert len(found) == 6, text
    assert "shop (apps/test.py) | rollout.weight = 150: is outside 0..100" in text
    assert "rollout.image = shop:1.0: is the stable image" in text
    assert "quiet (apps/test.py) | rollout: needs ingress" in text
    assert (
        "noprobe (apps/test.py) | probes.readiness: is not declared: prod refuses a canary" in text
    )
    assert "orders (apps/test.py) | ingress.path = /orders: is a path on a gRPC port" in text
    assert (
        "orders (apps/test.py) | ingress.host = shop.example.com: is also shop's public host"
        in text
    )


def test_canary_on_an_internal_aks_service_is_refused() -> None:
    (problem,) = problems_of(web(ingress=Ingress(exposure=Exposure.INTERNAL, host="shop.internal")))
    assert "rollout: needs a Gateway API route on AKS" in problem


def test_dev_accepts_a_canary_with_the_default_readiness_check() -> None:
    assert catalog_of(web(probes=Probes())).get("shop").spec.rollout is not None
