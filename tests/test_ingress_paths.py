"""`ingress.path` is checked against the HTTPRoute CRD's own constraints on the path match it
becomes (issue 27, "Ingress paths Kubernetes refuses"): each class of path the API server
refuses is refused by validation, naming the service, the field and the fix; a path validation
accepts renders an HTTPRoute the CRD (schema and CEL) accepts."""

from __future__ import annotations

import pytest

from infra.config import IngressMode
from infra.problems import InvalidInput
from infra.services.render.gateway import route_object
from infra.services.routes import StackIngress
from infra.services.spec import Exposure, Ingress, Port, ServiceSpec, Target, Tls
from tests.fixtures import NO_EXTENSIONS, catalog_of
from tests.k8s_schema import CelRuleViolation, validate_object

CERT = "https://kv-shop-dev.vault.azure.net/certificates/web"
ON_AGC = StackIngress(IngressMode.GATEWAY)
"""Public AKS services are routed on AGC (`aks.ingress: gateway`)."""


def _service(path: str) -> ServiceSpec:
    return ServiceSpec(
        name="web",
        image="team/web:1.0.0",
        target=Target.AKS,
        ports=(Port(name="http", number=8080),),
        ingress=Ingress(
            exposure=Exposure.PUBLIC,
            host="shop.example.com",
            path=path,
            tls=Tls(key_vault_certificate_uri=CERT),
        ),
    )


def _problems(path: str) -> list[str]:
    with pytest.raises(InvalidInput) as caught:
        catalog_of(_service(path))
    return [f"{p.group} | {p.render().strip()}" for p in caught.value.problems]


FIX = (
    "→ write the URL's path only: '/'-separated segments of letters, digits and -._~, no empty, "
    "'.' or '..' segment, no query (?) or fragment (#), non-ASCII percent-encoded, at most 1024 "
    "characters (e.g. /api/v1)"
)
CHARACTERS = (
    "must only contain valid characters (matching ^(?:[-A-Za-z0-9/._~!$&'()*+,;=:@]|"
    "[%][0-9a-fA-F]{2})+$) for types ['Exact', 'PathPrefix']"
)
WHEN = "when type one of ['Exact', 'PathPrefix']"


@pytest.mark.parametrize(
    ("path", "reason"),
    [
        ("api", f"value must be an absolute path and start with '/' {WHEN}"),
        ("/api//v1", f"must not contain '//' {WHEN}"),
        ("/api/./v1", f"must not contain '/./' {WHEN}"),
        ("/api/../v1", f"must not contain '/../' {WHEN}"),
        ("/api/..", f"must not end with '/..' {WHEN}"),
        ("/api/.", f"must not end with '/.' {WHEN}"),
        ("/api%2fv1", f"must not contain '%2f' {WHEN}"),
        ("/api%2Fv1", f"must not contain '%2F' {WHEN}"),
        ("/api#top", f"must not contain '#' {WHEN}"),
        ("/api?v=1", CHARACTERS),
        ("/my api", CHARACTERS),
        ("/café", CHARACTERS),
    ],
)
def test_a_path_the_httproute_crd_refuses_is_refused_by_validation(path: str, reason: str) -> None:
    found = _problems(path)
    assert f"web (apps/test.py) | ingress.path = {path!r}: the HTTPRoute's " in found[0]
    assert f"{reason} (Gateway API CRD) {FIX}" in found[0]
    if path != "/api#top":  # '#' also breaks the character rule: both are reported
        assert len(found) == 1, found


def test_a_path_over_1024_characters_is_refused() -> None:
    path = "/" + "a" * 1024
    (found,) = _problems(path)
    assert (
        "the HTTPRoute's spec.rules[].matches[].path.value is 1025 characters, at most 1024 "
        "(Gateway API CRD)" in found
    )


@pytest.mark.parametrize(
    "path", ["/", "/api", "/api/v1/", "/caf%C3%A9", "/a-b_c.d~e", "/users/@me", "/" + "a" * 1023]
)
def test_a_path_validation_accepts_renders_a_route_the_crd_accepts(path: str) -> None:
    (service,) = catalog_of(_service(path), ingress=ON_AGC).services
    route = route_object(service, NO_EXTENSIONS)
    assert route is not None
    validate_object(route)


def test_the_crd_refuses_what_validation_refuses() -> None:
    """The same constraint both ways: the route rendered from a refused path (bypassing
    validation) is refused by the vendored CRD's CEL rules."""
    (service,) = catalog_of(_service("/api"), ingress=ON_AGC).services
    route = route_object(service, NO_EXTENSIONS)
    assert route is not None
    route["spec"]["rules"][0]["matches"][0]["path"]["value"] = "/api//v1"
    with pytest.raises(CelRuleViolation, match="must not contain '//'"):
        validate_object(route)
