"""Several services on one host (issue 21 point 4, issue 27 "Two internal services on one
host"): each on its own path, they share one listener (the Gateway CRD refuses two with one
port, protocol and hostname) and one DNS record (a second would be a duplicate URN); services
that cannot share a host (other application, other ingress, other certificate) are refused
before anything is registered."""

from __future__ import annotations

import dataclasses
from typing import Any

import pytest

from infra.config import IngressMode
from infra.preview.engine import ProgramFailed, run_offline
from infra.preview.stackfile import read_stack
from infra.problems import InvalidInput
from infra.program import build
from infra.services.catalog import Catalog
from infra.services.loader import load_applications
from infra.services.render import envoy_gateway, gateway
from infra.services.render.aks import ServiceSecrets, render_on_aks
from infra.services.render.common import GatewayFacts, InternalGatewayFacts, PlatformFacts
from infra.services.routes import StackIngress
from infra.services.spec import (
    Application,
    Exposure,
    Ingress,
    Port,
    ServiceSpec,
    Target,
    Tls,
)
from infra.services.validation import validate_applications
from tests.fixtures import NO_EXTENSIONS, catalog_of, context, facts
from tests.k8s_schema import validate_object
from tests.simulate_builders import plan, refusals, res, rules_of

GATEWAY = StackIngress(IngressMode.GATEWAY)
"""`aks.ingress: gateway`: public AKS services on AGC, internal ones on Envoy Gateway."""
HOST = "api.dev.shop.internal"
CERT = "https://kv-shop-dev.vault.azure.net/certificates/api"
PUBLIC_HOST = "api.shop.example.com"
TC_ID = (
    "/subscriptions/0/resourceGroups/rg-shop-dev/providers/"
    "Microsoft.ServiceNetworking/trafficControllers/agc-shop-dev"
)


def _svc(
    name: str, path: str, *, exposure: Exposure = Exposure.INTERNAL, **ingress: Any
) -> ServiceSpec:
    host = PUBLIC_HOST if exposure is Exposure.PUBLIC else HOST
    return ServiceSpec(
        name=name,
        image=f"{name}:1.0",
        target=Target.AKS,
        ports=(Port(name="http", number=8080),),
        ingress=Ingress(exposure=exposure, host=ingress.pop("host", host), path=path, **ingress),
    )


def _internal() -> PlatformFacts:
    return dataclasses.replace(facts(), internal_gateway=InternalGatewayFacts("10.20.3.254"))


def _objects(catalog: Catalog, name: str, platform: PlatformFacts) -> dict[str, dict[str, Any]]:
    objects = render_on_aks(
        catalog.get(name),
        catalog=catalog,
        facts=platform,
        extensions=NO_EXTENSIONS,
        client_id="cid",
        secrets=ServiceSecrets(config_values={}),
    )
    return {f"{o['kind']}/{o['metadata']['name']}": o for o in objects}


@pytest.mark.parametrize("tls", [None, Tls(key_vault_certificate_uri=CERT)])
def test_two_internal_services_on_one_host_share_its_listener(tls: Tls | None) -> None:
    catalog = catalog_of(
        _svc("orders", "/orders", tls=tls), _svc("catalog", "/catalog", tls=tls), ingress=GATEWAY
    )
    shared = envoy_gateway.gateway_object(catalog.services, _internal(), NO_EXTENSIONS)
    assert shared is not None
    (listener,) = shared["spec"]["listeners"]
    # Named after the host's first service, by name: a host with one service keeps its name.
    assert (listener["name"], listener["hostname"]) == ("shop-catalog", HOST)
    validate_object(shared)  # schema and CEL: one listener per (port, protocol, hostname)
    for name, path in (("orders", "/orders"), ("catalog", "/catalog")):
        route = _objects(catalog, name, _internal())[f"HTTPRoute/{name}"]
        assert route["spec"]["parentRefs"][0]["sectionName"] == "shop-catalog"
        assert route["spec"]["rules"][0]["matches"][0]["path"]["value"] == path
        validate_object(route)


def test_two_public_services_on_one_host_share_its_listener() -> None:
    tls = Tls(key_vault_certificate_uri=CERT)
    catalog = catalog_of(
        _svc("orders", "/orders", exposure=Exposure.PUBLIC, tls=tls),
        _svc("catalog", "/catalog", exposure=Exposure.PUBLIC, tls=tls),
        ingress=GATEWAY,
    )
    public = gateway.gateway_object(
        "shop", catalog.services, GatewayFacts(TC_ID, "10.20.12.0/24"), NO_EXTENSIONS
    )
    assert public is not None
    (listener,) = public["spec"]["listeners"]
    assert (listener["name"], listener["hostname"]) == ("catalog", PUBLIC_HOST)
    validate_object(public)
    platform = dataclasses.replace(facts(), gateway=GatewayFacts(TC_ID, "10.20.12.0/24"))
    for name in ("orders", "catalog"):
        route = _objects(catalog, name, platform)[f"HTTPRoute/{name}"]
        assert route["spec"]["parentRefs"] == [{"name": "public", "sectionName": "catalog"}]
        validate_object(route)


def _with(*apps: Application) -> Any:
    return run_offline(read_stack("dev"), lambda: build(applications=[*load_applications(), *apps]))


def test_the_plan_has_one_private_record_for_a_shared_internal_host() -> None:
    """Before: one `internal-host-<host>` per service, a duplicate URN the engine refuses."""
    app = Application(
        name="extra",
        source="apps/extra.py",
        services=(_svc("orders", "/orders"), _svc("catalog", "/catalog")),
    )
    run = _with(app)
    records = [
        r
        for r in run.by_type("azure-native:privatedns:PrivateRecordSet")
        if r.name == f"internal-host-{HOST}"
    ]
    assert len(records) == 1
    assert records[0].inputs["relativeRecordSetName"] == "api"


# ----- What cannot share a host: refused by validation ---------------------------------------


def _problems(*apps: Application) -> list[str]:
    with pytest.raises(InvalidInput) as caught:
        validate_applications(list(apps), context())
    return [f"{p.group} | {p.render().strip()}" for p in caught.value.problems]


def test_a_host_in_two_applications_is_refused() -> None:
    found = _problems(
        Application(name="shop", services=(_svc("orders", "/orders"),), source="apps/shop.py"),
        Application(name="books", services=(_svc("catalog", "/catalog"),), source="apps/books.py"),
    )
    assert found == [
        f"catalog (apps/books.py) | ingress.host = '{HOST}': is also the host of 'orders' in "
        "application 'shop': a host belongs to one application (its listener admits one "
        "namespace's routes) → give this service its own host, or declare both in one application"
    ]


def test_a_host_both_internal_and_public_is_refused() -> None:
    tls = Tls(key_vault_certificate_uri=CERT)
    found = _problems(
        Application(
            name="shop",
            services=(
                _svc("orders", "/orders", tls=tls),
                _svc("catalog", "/catalog", exposure=Exposure.PUBLIC, host=HOST, tls=tls),
            ),
            source="apps/shop.py",
        )
    )
    assert (
        f"catalog (apps/shop.py) | ingress.host = '{HOST}': is also the host of 'orders', which "
        "is internal on aks, not public on aks: one name resolves to one ingress → give both the "
        "same target and exposure, or this service its own host"
    ) in found


def test_a_host_with_two_certificates_is_refused() -> None:
    found = _problems(
        Application(
            name="shop",
            services=(
                _svc("orders", "/orders", tls=Tls(key_vault_certificate_uri=CERT)),
                _svc("catalog", "/catalog"),
            ),
            source="apps/shop.py",
        )
    )
    assert found == [
        f"catalog (apps/shop.py) | ingress.tls = 'none': differs from 'orders' on the same host "
        f"({CERT}): the host's one listener serves one certificate → give every service on the "
        "host the same ingress.tls"
    ]


def test_one_host_and_path_is_still_one_service() -> None:
    found = _problems(
        Application(
            name="shop",
            services=(_svc("orders", "/api"), _svc("catalog", "/api")),
            source="apps/shop.py",
        )
    )
    assert any("is also claimed by 'orders'" in line for line in found)


# ----- The engine refuses a duplicate URN, offline too ---------------------------------------


def test_the_offline_engine_refuses_two_registrations_of_one_urn() -> None:
    import pulumi
    from pulumi_azure_native import resources

    def program() -> None:
        resources.ResourceGroup("twice", location="westeurope")
        resources.ResourceGroup("twice", location="westeurope")
        pulumi.export("done", True)

    with pytest.raises(ProgramFailed, match=r"Duplicate resource URN '.*ResourceGroup::twice'"):
        run_offline(read_stack("dev"), program)


# ----- The deploy simulator's `duplicate-urn` -------------------------------------------------


def _record(name: str) -> dict[str, Any]:
    return res(
        "azure-native:privatedns:PrivateRecordSet",
        name,
        {"privateZoneName": "dev.shop.internal", "relativeRecordSetName": "api", "recordType": "A"},
    )


def test_a_plan_registering_each_urn_once_is_accepted() -> None:
    assert "duplicate-urn" not in rules_of(plan(_record("internal-host-a"), _record("other")))


def test_a_plan_registering_one_urn_twice_is_refused() -> None:
    twice = plan(_record(f"internal-host-{HOST}"), _record(f"internal-host-{HOST}"))
    (found,) = [r for r in refusals(twice) if r.rule == "duplicate-urn"]
    assert "registers urn:pulumi:t::p::azure-native:privatedns:PrivateRecordSet::" in found.why
    assert "2 times (Duplicate resource URN)" in found.why
