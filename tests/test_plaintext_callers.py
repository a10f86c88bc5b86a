"""Plaintext callers inside Container Apps: `Ingress.allow_insecure` turns the ingress's TLS
redirect off (`allowInsecure`, gRPC over h2c with transport http2), and the address each caller
gets matches it on every target pair."""

from __future__ import annotations

import pytest

from infra.problems import InvalidInput
from infra.services.spec import (
    Dependency,
    Exposure,
    Ingress,
    Port,
    Protocol,
    ServiceSpec,
    Target,
)
from infra.services.wiring import dependency_env
from tests.fixtures import catalog_of, facts
from tests.test_render_container_apps import render

ACA_DOMAIN = "happy-hill-1234.westeurope.azurecontainerapps.io"


def callee(
    target: Target, protocol: Protocol = Protocol.HTTP, insecure: bool = True
) -> ServiceSpec:
    return ServiceSpec(
        name="cart",
        image="team/cart:1.0.0",
        target=target,
        ports=(
            Port(
                name="grpc" if protocol is Protocol.GRPC else "http", number=7070, protocol=protocol
            ),
        ),
        ingress=Ingress(allow_insecure=insecure),
    )


def caller(target: Target) -> ServiceSpec:
    return ServiceSpec(
        name="frontend",
        image="team/frontend:1.0.0",
        target=target,
        dependencies=(Dependency(service="cart", env="CART_ADDR"),),
    )


@pytest.mark.parametrize(
    ("callee_target", "caller_target", "protocol", "insecure", "address"),
    [
        # Container Apps → Container Apps: the opt-in is what changes the address.
        (
            Target.CONTAINER_APPS,
            Target.CONTAINER_APPS,
            Protocol.HTTP,
            True,
            f"http://cart.internal.{ACA_DOMAIN}",
        ),
        (
            Target.CONTAINER_APPS,
            Target.CONTAINER_APPS,
            Protocol.HTTP,
            False,
            f"https://cart.internal.{ACA_DOMAIN}",
        ),
        (
            Target.CONTAINER_APPS,
            Target.CONTAINER_APPS,
            Protocol.GRPC,
            True,
            f"cart.internal.{ACA_DOMAIN}:80",
        ),
        (
            Target.CONTAINER_APPS,
            Target.CONTAINER_APPS,
            Protocol.GRPC,
            False,
            f"cart.internal.{ACA_DOMAIN}:443",
        ),
        # AKS → Container Apps: TLS (plaintext from AKS is refused, below).
        (Target.CONTAINER_APPS, Target.AKS, Protocol.HTTP, False, f"https://cart.{ACA_DOMAIN}"),
        (Target.CONTAINER_APPS, Target.AKS, Protocol.GRPC, False, f"cart.{ACA_DOMAIN}:443"),
        # Callee on AKS: in-cluster traffic is plaintext already; the flag changes nothing.
        (Target.AKS, Target.AKS, Protocol.HTTP, True, "http://cart.shop.svc.cluster.local:7070"),
        (
            Target.AKS,
            Target.CONTAINER_APPS,
            Protocol.GRPC,
            True,
            "cart.shop.dev.shop.internal:7070",
        ),
    ],
)
def test_the_address_matches_what_the_callee_s_ingress_serves_on_every_target_pair(
    callee_target: Target, caller_target: Target, protocol: Protocol, insecure: bool, address: str
) -> None:
    catalog = catalog_of(callee(callee_target, protocol, insecure), caller(caller_target))
    env = {e.name: e.value for e in dependency_env(catalog.get("frontend"), catalog, facts())}
    assert env == {"CART_ADDR": address}


@pytest.mark.parametrize(
    ("protocol", "transport"), [(Protocol.HTTP, "auto"), (Protocol.GRPC, "http2")]
)
def test_the_container_app_ingress_allows_plaintext_with_the_transport_of_the_port(
    protocol: Protocol, transport: str
) -> None:
    catalog = catalog_of(callee(Target.CONTAINER_APPS, protocol), caller(Target.CONTAINER_APPS))
    ingress = render(catalog, "cart").configuration.ingress
    assert ingress.allow_insecure is True
    assert ingress.transport == transport


def test_without_the_opt_in_plain_http_is_redirected() -> None:
    catalog = catalog_of(
        callee(Target.CONTAINER_APPS, insecure=False), caller(Target.CONTAINER_APPS)
    )
    assert render(catalog, "cart").configuration.ingress.allow_insecure is False


def test_public_exposure_with_plaintext_and_a_tcp_only_service_are_refused_together() -> None:
    public = ServiceSpec(
        name="web",
        image="team/web:1.0.0",
        target=Target.CONTAINER_APPS,
        ports=(Port(name="http", number=8080),),
        ingress=Ingress(exposure=Exposure.PUBLIC, allow_insecure=True),
    )
    tcp = ServiceSpec(
        name="db",
        image="team/db:1.0.0",
        target=Target.CONTAINER_APPS,
        ports=(Port(name="tcp", number=5432, protocol=Protocol.TCP),),
        ingress=Ingress(allow_insecure=True),
    )
    with pytest.raises(InvalidInput) as refused:
        catalog_of(public, tcp)
    text = "\n".join(p.render() for p in refused.value.problems)
    assert "ingress.allow_insecure = True: with public exposure would serve the internet" in text
    assert "ingress.allow_insecure = True: needs an http or grpc port" in text


def test_plaintext_for_a_container_app_that_aks_calls_is_refused() -> None:
    """AKS is outside the environment: its calls need external ingress, where the policy
    refuses allowInsecure (the plaintext would cross the network)."""
    with pytest.raises(InvalidInput) as refused:
        catalog_of(callee(Target.CONTAINER_APPS), caller(Target.AKS))
    (problem,) = refused.value.problems
    assert problem.render() == (
        "  ingress.allow_insecure = True: is for callers inside the environment, but AKS "
        "service 'frontend' calls it (dependencies[0]), which makes its ingress external "
        "→ drop allow_insecure (AKS callers use https), or run the caller on Container Apps"
    )


def test_policy_allows_plaintext_inside_the_environment_only() -> None:
    from infra.policy.evaluate import evaluate
    from infra.policy.rules import CONTAINER_APP, PolicyContext, PolicyResource

    def violations(external: bool) -> list[str]:
        app = {"configuration": {"ingress": {"allowInsecure": True, "external": external}}}
        report = evaluate([PolicyResource(CONTAINER_APP, "cart", app)], PolicyContext("dev"))
        return [v.message for v in report.violations if v.rule.id == "aca-no-insecure-ingress"]

    assert violations(external=False) == []
    assert violations(external=True) == [
        "configuration.ingress.allowInsecure must not be true on an external ingress"
    ]
