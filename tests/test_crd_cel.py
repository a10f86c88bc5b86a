"""The vendored CRDs' CEL rules (`x-kubernetes-validations`) run in the tests: every rule compiles
and calls only functions the evaluator has (so none is skipped silently), the Kubernetes
semantics the evaluator repeats (escaping, defaulting, transition rules) hold, and a known-bad
object is refused exactly as the API server refuses it."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from infra.crds import cel
from infra.crds.vendored import crd, vendored_crds
from tests.k8s_schema import CelRuleViolation, validate_object

ALL_RULES = [
    (f"{key[1]}.{rule.path}", rule)
    for key, vendored in sorted(vendored_crds().items())
    for rule, _ in cel.rules_of(vendored.schema)
]


def test_the_vendored_schemas_carry_their_cel_rules() -> None:
    """Vendored verbatim, rules included (stripping them would leave nothing to evaluate)."""
    per_kind = {kind: sum(1 for k, _ in ALL_RULES if k.startswith(f"{kind}.")) for kind in
                ("Gateway", "HTTPRoute", "GRPCRoute", "GatewayClass", "EnvoyProxy")}  # fmt: skip
    assert all(count > 0 for count in per_kind.values()), per_kind
    assert len(ALL_RULES) >= 300


@pytest.mark.parametrize(("where", "rule"), ALL_RULES, ids=[w for w, _ in ALL_RULES])
def test_every_rule_compiles_and_calls_only_known_functions(where: str, rule: cel.Rule) -> None:
    cel.compiled(rule.rule)
    assert cel.unknown_functions(rule.rule) == set(), f"{where}: {rule.rule}"


def test_only_transition_rules_are_skipped_on_create() -> None:
    """A rule reading `oldSelf` runs on update only (Kubernetes docs, "Transition rules"); the
    vendored CRDs have exactly this one, which an offline create cannot check."""
    skipped = [(w, r.rule) for w, r in ALL_RULES if cel.is_transition_rule(r.rule)]
    assert skipped == [("GatewayClass.spec.controllerName", "self == oldSelf")]


@pytest.mark.parametrize(
    ("rule", "value", "expected"),
    [
        # Every non-operator function the vendored rules call, once, with its Kubernetes result.
        ('"a/b".split("/")[0].size() < 253', None, True),
        ("'post'.upperAscii() in ['POST','PUT']", None, True),
        ("duration('20s') > duration('10s')", None, True),
        ("'/a//b'.contains('//')", None, True),
        ("'/a'.startsWith('/') && !'/a'.endsWith('/.')", None, True),
        (
            '\'Foo.Bar\'.matches(r"""^(?i)\\.?[a-z_][a-z_0-9]*(\\.[a-z_][a-z_0-9]*)*$""")',
            None,
            True,
        ),
        ("size(self) == 2", [1, 2], True),
        ("self.exists_one(x, x == 1) && self.filter(x, x > 1).size() == 1", [1, 2], True),
    ],
)
def test_each_function_the_rules_call_evaluates(rule: str, value: Any, expected: object) -> None:
    assert cel.evaluate(rule, value) == expected


@pytest.mark.parametrize(
    ("name", "escaped"),
    [
        # kubernetes/kubernetes staging/src/k8s.io/apiserver/pkg/cel/escaping.go `Escape`
        ("namespace", "__namespace__"),
        ("if", "__if__"),
        ("foo", "foo"),
        ("foo_bar", "foo_bar"),
        ("foo__bar", "foo__underscores__bar"),
        ("a.b", "a__dot__b"),
        ("a-b", "a__dash__b"),
        ("a/b", "a__slash__b"),
        ("1a", None),
        ("a b", None),
        ("", None),
    ],
)
def test_property_names_are_escaped_like_the_api_server(name: str, escaped: str | None) -> None:
    assert cel.escape(name) == escaped


def test_defaults_apply_before_the_rules() -> None:
    """`(size(self.group) == 0 && self.kind == 'Service') ? has(self.port) : true` reads the
    defaulted `group` and `kind`: a backendRef without a port is refused."""
    route = _route()
    del route["spec"]["rules"][0]["backendRefs"][0]["port"]
    with pytest.raises(CelRuleViolation, match="Must have port for Service reference"):
        validate_object(route)


def _gateway(*listeners: dict[str, Any]) -> dict[str, Any]:
    return {
        "apiVersion": "gateway.networking.k8s.io/v1",
        "kind": "Gateway",
        "metadata": {"name": "internal", "namespace": "envoy-gateway-system"},
        "spec": {"gatewayClassName": "envoy-gateway", "listeners": list(listeners)},
    }


def _listener(name: str, host: str) -> dict[str, Any]:
    return {"name": name, "hostname": host, "protocol": "HTTP", "port": 80}


def _route(path: str = "/") -> dict[str, Any]:
    return {
        "apiVersion": "gateway.networking.k8s.io/v1",
        "kind": "HTTPRoute",
        "metadata": {"name": "api", "namespace": "shop"},
        "spec": {
            "parentRefs": [{"name": "internal", "namespace": "envoy-gateway-system"}],
            "hostnames": ["api.internal.example.com"],
            "rules": [
                {
                    "matches": [{"path": {"type": "PathPrefix", "value": path}}],
                    "backendRefs": [{"name": "api", "port": 80}],
                }
            ],
        },
    }


def test_two_listeners_on_one_host_are_refused_by_the_gateway_crd() -> None:
    """What two internal services on one host rendered before (issue 21 point 4): the JSON
    schema accepts it, the CRD's CEL rule refuses it."""
    bad = _gateway(
        _listener("shop-orders", "api.internal.example.com"),
        _listener("shop-catalog", "api.internal.example.com"),
    )
    with pytest.raises(
        CelRuleViolation,
        match="Combination of port, protocol and hostname must be unique for each listener",
    ):
        validate_object(bad)
    validate_object(
        _gateway(
            _listener("shop-orders", "orders.internal.example.com"),
            _listener("shop-catalog", "catalog.internal.example.com"),
        )
    )


def test_a_listener_name_twice_is_refused() -> None:
    bad = _gateway(_listener("a", "a.example.com"), _listener("a", "b.example.com"))
    with pytest.raises(CelRuleViolation, match="Listener name must be unique within the Gateway"):
        validate_object(bad)


@pytest.mark.parametrize("path", ["/a//b", "/a/./b", "/a/../b", "/a%2fb", "/a#b", "/a/.."])
def test_paths_the_httproute_crd_refuses(path: str) -> None:
    with pytest.raises(CelRuleViolation):
        validate_object(_route(path))


def test_a_violation_names_the_path_and_the_message() -> None:
    schema = crd("gateway.networking.k8s.io/v1", "HTTPRoute").schema
    found = cel.violations(_route("/a//b"), schema)
    assert [str(v) for v in found] == [
        "spec.rules[0].matches[0].path: must not contain '//' when type one of "
        "['Exact', 'PathPrefix']"
    ]


def test_evaluation_leaves_the_object_unchanged() -> None:
    route = _route()
    before = copy.deepcopy(route)
    validate_object(route)
    assert route == before
