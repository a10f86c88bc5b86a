"""Each service's route is decided once (issue 22 point 2): by validation, from the declaration
and the stack's `aks.ingress`, carried on `PlannedService.route`; no stage re-derives it.

Before, "public on AGC" existed twice with different rules (`public_on_aks` required ports,
`served_by_gateway` did not) and the renderers, the deploy step, the custom-domain and the
gateway-limit checks each called their own predicate. Settled: a service with no port cannot
be routed; validation refuses an exposed one ("needs a port to expose") and its route is None.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from infra.config import IngressMode
from infra.problems import InvalidInput
from infra.services.catalog import Catalog
from infra.services.local import for_local_cluster
from infra.services.routes import Gateway, Route, StackIngress, decide_route
from infra.services.spec import (
    Application,
    Exposure,
    Ingress,
    Port,
    Protocol,
    ServiceSpec,
    Target,
    Tls,
)
from infra.services.validation import validate_applications
from tests.fixtures import catalog_of, context

ROOT = Path(__file__).resolve().parent.parent
CERT = "https://kv-shop-dev.vault.azure.net/certificates/web"
STACKS = {
    "gateway": StackIngress(IngressMode.GATEWAY),
    "both": StackIngress(IngressMode.BOTH),
    "nginx": StackIngress(IngressMode.NGINX),
    "local": StackIngress(None, "localtest.me"),
}

# Who serves an exposed service with a port, per stack, exposure and target: the table
# docs/ingress.md ("Which gateway serves a service") states. (gateway, NGINX Ingress beside it)
SERVED_BY: dict[tuple[str, Exposure, Target], tuple[Gateway, bool]] = {
    ("gateway", Exposure.PUBLIC, Target.AKS): (Gateway.AGC, False),
    ("gateway", Exposure.INTERNAL, Target.AKS): (Gateway.ENVOY, False),
    ("both", Exposure.PUBLIC, Target.AKS): (Gateway.AGC, True),
    ("both", Exposure.INTERNAL, Target.AKS): (Gateway.NGINX, False),
    ("nginx", Exposure.PUBLIC, Target.AKS): (Gateway.NGINX, False),
    ("nginx", Exposure.INTERNAL, Target.AKS): (Gateway.NGINX, False),
    **{
        (stack, exposure, Target.CONTAINER_APPS): (Gateway.CONTAINER_APPS, False)
        for stack in ("gateway", "both", "nginx")
        for exposure in (Exposure.PUBLIC, Exposure.INTERNAL)
    },
    **{
        ("local", exposure, target): (Gateway.LOCAL_ENVOY, False)
        for exposure in (Exposure.PUBLIC, Exposure.INTERNAL)
        for target in Target
    },
}


def _spec(exposure: Exposure, target: Target, *, ports: bool = True) -> ServiceSpec:
    host = None
    if exposure is not Exposure.NONE:
        host = "web.example.com" if exposure is Exposure.PUBLIC else "web.dev.shop.internal"
    return ServiceSpec(
        name="web",
        image="web:1.0",
        target=target,
        ports=(Port(name="http", number=8080, service_port=80),) if ports else (),
        ingress=Ingress(
            exposure=exposure,
            host=host,
            tls=Tls(key_vault_certificate_uri=CERT) if host else None,
        ),
    )


@pytest.mark.parametrize("stack", sorted(STACKS))
@pytest.mark.parametrize("exposure", list(Exposure))
@pytest.mark.parametrize("target", list(Target))
@pytest.mark.parametrize("ports", [True, False], ids=["ports", "no-ports"])
def test_the_route_per_ingress_mode_exposure_target_and_ports(
    stack: str, exposure: Exposure, target: Target, ports: bool
) -> None:
    route = decide_route(_spec(exposure, target, ports=ports), STACKS[stack])
    if exposure is Exposure.NONE or not ports:
        assert route is None, "nothing to route: not exposed, or no port to expose"
        return
    assert route is not None
    gateway, nginx_beside = SERVED_BY[(stack, exposure, target)]
    assert (route.gateway, route.nginx_beside) == (gateway, nginx_beside)
    assert route.public is (exposure is Exposure.PUBLIC)
    assert route.nginx is (gateway is Gateway.NGINX or nginx_beside)
    assert (route.port.name, route.port.number, route.protocol) == ("http", 8080, Protocol.HTTP)
    assert route.path == "/"
    # Locally every exposed service answers on <name>.<domain>; elsewhere on its own host.
    expected_host = "web.localtest.me" if stack == "local" else _spec(exposure, target).ingress.host
    assert route.host == expected_host
    # A Gateway listener reads the certificate from a synced Secret on AGC and the internal
    # Envoy Gateway; NGINX and Container Apps read Key Vault themselves; locally no TLS.
    on_synced_secret = gateway in (Gateway.AGC, Gateway.ENVOY)
    assert route.certificate == ("web" if on_synced_secret else None)


@pytest.mark.parametrize("target", list(Target))
def test_an_exposed_service_without_a_port_is_refused_and_never_routed(target: Target) -> None:
    spec = _spec(Exposure.PUBLIC, target, ports=False)
    with pytest.raises(InvalidInput) as caught:
        catalog_of(spec, ingress=STACKS["gateway"])
    assert any(
        p.path == "ingress.port" and "needs a port to expose" in p.problem
        for p in caught.value.problems
    )
    for stack in STACKS.values():
        assert decide_route(spec, stack) is None


def _two_apps(stack: StackIngress) -> Catalog:
    """Two services of `shop` share a public host and two an internal one; `admin` has its
    own internal host."""
    tls = Tls(key_vault_certificate_uri=CERT)

    def svc(name: str, exposure: Exposure, host: str, path: str) -> ServiceSpec:
        return ServiceSpec(
            name=name,
            image=f"{name}:1.0",
            target=Target.AKS,
            ports=(Port(name="http", number=8080),),
            ingress=Ingress(exposure=exposure, host=host, path=path, tls=tls),
        )

    shop = Application(
        name="shop",
        source="apps/shop.py",
        services=(
            svc("web", Exposure.PUBLIC, "shop.example.com", "/"),
            svc("cart", Exposure.PUBLIC, "shop.example.com", "/cart"),
            svc("orders", Exposure.INTERNAL, "api.dev.shop.internal", "/orders"),
            svc("billing", Exposure.INTERNAL, "api.dev.shop.internal", "/billing"),
        ),
    )
    admin = Application(
        name="admin",
        source="apps/admin.py",
        services=(svc("console", Exposure.INTERNAL, "admin.dev.shop.internal", "/"),),
    )
    return validate_applications([shop, admin], context(ingress=stack))


def _routes(catalog: Catalog) -> dict[str, Route | None]:
    return {s.name: s.route for s in catalog.services}


def test_validation_carries_the_route_and_names_each_hosts_listener() -> None:
    routes = _routes(_two_apps(StackIngress(IngressMode.GATEWAY)))
    # AGC: one Gateway per application, a listener per host named after its first service.
    assert {n: (r.gateway, r.listener) for n, r in routes.items() if r and r.public} == {
        "cart": (Gateway.AGC, "cart"),
        "web": (Gateway.AGC, "cart"),
    }
    # Envoy Gateway: one shared Gateway, listeners named <app>-<first service>.
    assert {n: (r.gateway, r.listener) for n, r in routes.items() if r and not r.public} == {
        "billing": (Gateway.ENVOY, "shop-billing"),
        "orders": (Gateway.ENVOY, "shop-billing"),
        "console": (Gateway.ENVOY, "admin-console"),
    }


def test_off_the_gateway_api_a_route_has_no_listener() -> None:
    routes = _routes(_two_apps(StackIngress(IngressMode.NGINX)))
    assert {r.gateway for r in routes.values() if r} == {Gateway.NGINX}
    assert all(r.listener is None for r in routes.values() if r)
    both = _routes(_two_apps(StackIngress(IngressMode.BOTH)))
    assert both["web"] is not None
    assert (both["web"].gateway, both["web"].nginx_beside) == (Gateway.AGC, True)
    assert both["orders"] is not None
    assert both["orders"].gateway is Gateway.NGINX


def test_the_local_cluster_keeps_the_routes_validation_decided() -> None:
    catalog = _two_apps(StackIngress(None, "localtest.me"))
    local = for_local_cluster(catalog)
    assert _routes(local) == _routes(catalog)
    assert {r.host for r in _routes(local).values() if r} == {
        f"{name}.localtest.me" for name in ("web", "cart", "orders", "billing", "console")
    }


# ----- No second copy of the decision --------------------------------------------------------

OLD_PREDICATES = {"public_on_aks", "served_by_gateway", "served_by_envoy"}
"""The predicates each stage called to re-decide a route (deleted)."""
DOWNSTREAM = [
    *sorted((ROOT / "infra/services/render").glob("*.py")),
    *sorted((ROOT / "infra/services/components").glob("*.py")),
    *(
        ROOT / "infra/services" / name
        for name in ("deploy.py", "custom_domains.py", "gateway_limits.py", "wiring.py")
    ),
    ROOT / "infra/program.py",
]
"""The stages after validation: they read `service.route`, never the declared exposure, host
or path (`infra.services.routes` decides from those)."""
ROUTE_FIELDS = {"exposure", "host", "path"}


def _python_files() -> list[Path]:
    return sorted(p for d in ("infra", "tests", "bench") for p in (ROOT / d).rglob("*.py"))


def test_no_module_defines_or_calls_the_old_route_predicates() -> None:
    found = []
    for path in _python_files():
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            name = None
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                name = node.name
            elif isinstance(node, ast.Name):
                name = node.id
            elif isinstance(node, ast.Attribute):
                name = node.attr
            elif isinstance(node, ast.alias):
                name = node.name
            if name in OLD_PREDICATES:
                found.append(f"{path.relative_to(ROOT)}:{getattr(node, 'lineno', '?')} {name}")
    assert found == [], "decide a route once (infra/services/routes.py), read service.route"


def _reads_the_declared_route(node: ast.AST) -> bool:
    """`<x>.ingress.exposure|host|path`, or `ingress.<field>` on a local named `ingress`."""
    if not isinstance(node, ast.Attribute) or node.attr not in ROUTE_FIELDS:
        return False
    owner = node.value
    return (isinstance(owner, ast.Attribute) and owner.attr == "ingress") or (
        isinstance(owner, ast.Name) and owner.id == "ingress"
    )


def test_stages_after_validation_read_the_route_not_the_declared_exposure() -> None:
    found = [
        f"{path.relative_to(ROOT)}:{getattr(node, 'lineno', '?')}"
        for path in DOWNSTREAM
        for node in ast.walk(ast.parse(path.read_text(), str(path)))
        if _reads_the_declared_route(node)
    ]
    assert found == [], "read service.route (decided once by validation) instead"


def test_the_route_module_sits_below_the_renderers() -> None:
    tree = ast.parse((ROOT / "infra/services/routes.py").read_text())
    imported = {
        node.module
        for node in ast.walk(tree)
        if isinstance(node, ast.ImportFrom) and node.module is not None
    } | {
        alias.name
        for node in ast.walk(tree)
        if isinstance(node, ast.Import)
        for alias in node.names
    }
    assert not any(
        m.startswith(("infra.services.render", "infra.services.catalog")) for m in imported
    )
