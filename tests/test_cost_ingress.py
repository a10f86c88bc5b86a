"""The cost of AKS ingress in each `aks.ingress` mode: load balancer rules (Envoy Gateway's
internal load balancer, read from the rendered Gateway; the app routing add-on's NGINX) and the
platform add-ons' pods (ALB and Envoy Gateway controllers, Envoy proxies), which take node
capacity as platform lines, never as a $0 "service"."""

from __future__ import annotations

import dataclasses
import json
from typing import Any

import pytest

from infra.cost import meters
from infra.cost.delta import cost_delta
from infra.cost.model import estimate
from infra.cost.report import estimate_markdown, estimate_text
from infra.cost.sheet import load_sheet, parse_sheet
from infra.preview.engine import OfflineRun, run_offline
from infra.preview.snapshot import to_snapshot
from infra.preview.stackfile import read_stack
from infra.program import build
from tests.test_cost import AKS, DISK, VM, _cluster, _config, _deployment, _item, _pool, _snapshot

LB = ("Load Balancer", "Load Balancer", "Standard")
# Round prices, so every figure below can be checked by hand.
SHEET = parse_sheet(
    {
        "region": "testregion",
        "currency": "USD",
        "asOf": "2026-01-01",
        "Items": [
            _item(VM, "1 Hour", 0.10, armSkuName="Standard_D4ds_v5"),
            _item(DISK, "1/Month", 10.0),
            _item(AKS, "1 Hour", 0.10),
            _item((*LB, "Standard Included LB Rules and Outbound Rules"), "1 Hour", 0.02),
            _item((*LB, "Standard Overage LB Rules and Outbound Rules"), "1 Hour", 0.01),
            _item(
                ("Virtual Network", "IP Addresses", "Standard", "Standard IPv4 Static Public IP"),
                "1 Hour",
                0.005,
            ),
        ],
        "vmSizes": {"Standard_D4ds_v5": {"vcpu": 4, "memoryGiB": 16}},
    },
    "test-sheet.json",
)
NODE = 0.10 * 730 + 10.0
"""One D4ds_v5 node with its P10 OS disk: 83 $ a month."""
ALLOCATABLE_CPU = 4 - 0.14
"""AKS reserves 140m on a 4-core node (node-resource-reservations)."""
ALLOCATABLE_GIB = 16 - (20 * 110 + 50) / 1024 - 100 / 1024
"""kube-reserved min(20 MB x maxPods + 50 MB, 25%) and the 100 Mi eviction threshold."""
INTERNAL = "service.beta.kubernetes.io/azure-load-balancer-internal"
ENVOY_PROXY_GIB = (512 + 32) / 1024
"""Envoy Gateway's default requests per proxy pod: envoy 512Mi + shutdown-manager 32Mi."""

LB_LINE = "AKS load balancer kubernetes-internal"
PUBLIC_LB_LINE = "AKS load balancer kubernetes (public)"
IPS_LINE = "AKS ingress public IPs"


def _object(kind: str, name: str, namespace: str | None, spec: dict[str, Any]) -> dict[str, Any]:
    group = {
        "Gateway": "gateway.networking.k8s.io/v1",
        "GatewayClass": "gateway.networking.k8s.io/v1",
        "EnvoyProxy": "gateway.envoyproxy.io/v1alpha1",
        "Service": "core/v1",
    }[kind]
    metadata = {"name": name, **({"namespace": namespace} if namespace else {})}
    return {
        "type": f"kubernetes:{group}:{kind}",
        "name": f"{namespace}-{name}" if namespace else name,
        "inputs": {"metadata": metadata, "spec": spec},
    }


def _envoy(replicas: int = 2, **kubernetes: Any) -> list[dict[str, Any]]:
    return [
        _object(
            "GatewayClass",
            "envoy-gateway",
            None,
            {
                "controllerName": "gateway.envoyproxy.io/gatewayclass-controller",
                "parametersRef": {
                    "group": "gateway.envoyproxy.io",
                    "kind": "EnvoyProxy",
                    "name": "envoy-gateway",
                    "namespace": "envoy-gateway-system",
                },
            },
        ),
        _object(
            "EnvoyProxy",
            "envoy-gateway",
            "envoy-gateway-system",
            {
                "provider": {
                    "type": "Kubernetes",
                    "kubernetes": {"envoyDeployment": {"replicas": replicas}, **kubernetes},
                }
            },
        ),
    ]


def _gateway(
    *ports: int, internal: bool = True, class_name: str = "envoy-gateway"
) -> dict[str, Any]:
    spec: dict[str, Any] = {
        "gatewayClassName": class_name,
        "listeners": [
            {"name": f"l{i}", "port": port, "protocol": "HTTPS" if port == 443 else "HTTP"}
            for i, port in enumerate(ports)
        ],
    }
    if internal:
        spec["infrastructure"] = {"annotations": {INTERNAL: "true"}}
    return _object("Gateway", "internal", "envoy-gateway-system", spec)


def _internal_service(ports: int) -> dict[str, Any]:
    service = _object(
        "Service",
        "api",
        "ns",
        {"type": "LoadBalancer", "ports": [{"port": 8080 + i} for i in range(ports)]},
    )
    service["inputs"]["metadata"]["annotations"] = {INTERNAL: "true"}
    return service


def _line(result: Any, item: str) -> Any:
    return next(line for line in result.lines if line.item == item)


# ------------------------------------------------------------------ hand-computed fixtures


def test_envoy_gateway_adds_one_internal_rule_per_distinct_listener_port() -> None:
    # 4 ports of an internal LoadBalancer Service + listeners on 80, 80 and 443 (one Service
    # port per distinct port) = 6 rules: the first 5 at 0.02 $/h, one more at 0.01 $/h.
    snapshot = _snapshot(_cluster(_pool()), _internal_service(4), *_envoy(), _gateway(80, 80, 443))
    line = _line(estimate(snapshot, _config(), SHEET), LB_LINE)
    assert (line.floor, line.ceiling) == (pytest.approx((0.02 + 0.01) * 730),) * 2
    assert line.assumptions.startswith("6 rule(s) (")
    assert "Envoy Gateway envoy-gateway-system/internal (ports 80, 443)" in line.assumptions


def test_a_gateway_without_the_internal_annotation_gets_a_public_rule_per_port_and_an_ip() -> None:
    snapshot = _snapshot(_cluster(_pool()), *_envoy(), _gateway(80, 443, internal=False))
    result = estimate(snapshot, _config(), SHEET)
    assert [x.item for x in result.lines if x.item == LB_LINE] == []
    # userDefinedRouting: no outbound rule; 2 listener ports, within the first 5 rules.
    assert _line(result, PUBLIC_LB_LINE).floor == pytest.approx(0.02 * 730)
    assert _line(result, IPS_LINE).floor == pytest.approx(0.005 * 730)


def test_gateways_of_other_classes_and_clusterip_envoy_services_add_no_rule() -> None:
    # Application Gateway for Containers serves `azure-alb-external` Gateways outside the
    # cluster's load balancers; an EnvoyProxy asking for a ClusterIP Service gets none.
    for resources in (
        [*_envoy(), _gateway(80, class_name="azure-alb-external")],
        [*_envoy(envoyService={"type": "ClusterIP"}), _gateway(80)],
    ):
        result = estimate(_snapshot(_cluster(_pool()), *resources), _config(), SHEET)
        assert not [x for x in result.lines if x.item.startswith("AKS load balancer")]


def test_envoy_proxies_are_a_platform_share_of_the_pool_not_a_service() -> None:
    snapshot = _snapshot(_cluster(_pool()), *_envoy(replicas=2), _gateway(80))
    result = estimate(snapshot, _config(), SHEET)
    (share,) = [x for x in result.lines if "Envoy proxies" in x.item]
    assert share.service == "platform"
    assert not share.counted
    # 0.11 cores / 0.53 GiB per pod: memory is the larger fraction of a node.
    per_pod = max(0.11 / ALLOCATABLE_CPU, ENVOY_PROXY_GIB / ALLOCATABLE_GIB) * NODE
    assert (share.floor, share.ceiling) == pytest.approx((2 * per_pod, 2 * per_pod), abs=1e-4)
    assert result.services() == {}
    # Not counted twice: the stack is the pool (2 nodes), the tier and the internal load
    # balancer's first rules (the listener on 80).
    assert result.floor == pytest.approx(2 * NODE + 73.0 + 0.02 * 730)


def test_an_envoy_proxy_range_and_requests_come_from_the_envoyproxy_when_it_sets_them() -> None:
    snapshot = _snapshot(
        _cluster(_pool()),
        *_envoy(
            envoyHpa={"minReplicas": 2, "maxReplicas": 4},
            envoyDeployment={
                "container": {"resources": {"requests": {"cpu": "1", "memory": "1Gi"}}}
            },
        ),
        _gateway(80),
    )
    (share,) = [x for x in estimate(snapshot, _config(), SHEET).lines if "Envoy" in x.item]
    per_pod = max((1 + 0.01) / ALLOCATABLE_CPU, (1 + 32 / 1024) / ALLOCATABLE_GIB) * NODE
    assert (share.floor, share.ceiling) == pytest.approx((2 * per_pod, 4 * per_pod), abs=1e-4)


def _chart(name: str, chart: str, parent: str, values: dict[str, Any]) -> dict[str, Any]:
    return {
        "type": "kubernetes:helm.sh/v4:Chart",
        "name": name,
        "custom": False,
        "parent": f"urn:pulumi:test::platform::pulumi:pulumi:Stack${parent}::{name}",
        "inputs": {"chart": chart, "values": values},
    }


def test_add_on_charts_are_platform_pods_and_an_applications_chart_is_its_service() -> None:
    cache = _chart(
        "cache",
        "valkey",
        "platform:services:HelmRelease",
        {"resources": {"requests": {"cpu": "250m", "memory": "512Mi"}}},
    )
    alb = _chart(
        "alb-controller",
        "oci://mcr.microsoft.com/application-lb/charts/alb-controller",
        "platform:services:PublicGateway",
        {"albController": {"namespace": "azure-alb-system"}},
    )
    crds = _chart(
        "envoy-gateway-crds",
        "oci://docker.io/envoyproxy/gateway-crds-helm",
        "platform:services:EnvoyGateway",
        {},
    )
    controller = _chart(
        "envoy-gateway",
        "oci://docker.io/envoyproxy/gateway-helm",
        "platform:services:EnvoyGateway",
        {"deployment": {"replicas": 2}},
    )
    snapshot = _snapshot(_cluster(_pool()))
    snapshot["resources"] += [cache, alb, crds, controller]
    result = estimate(snapshot, _config(), SHEET)
    assert set(result.services()) == {"cache"}
    shares = {x.item: x for x in result.lines if x.service == "platform" and not x.counted}
    # ALB controller: 2 replicas x 100m / 200Mi (its chart's documented defaults); the Envoy
    # Gateway controller: 100m / 256Mi, 2 replicas from the plan's values; CRDs: no pods.
    alb_pod = max(0.1 / ALLOCATABLE_CPU, 200 / 1024 / ALLOCATABLE_GIB) * NODE
    eg_pod = max(0.1 / ALLOCATABLE_CPU, 0.25 / ALLOCATABLE_GIB) * NODE
    assert {item: round(x.floor, 4) for item, x in shares.items()} == {
        "share of AKS pool user: ALB controller": round(2 * alb_pod, 4),
        "share of AKS pool user: Envoy Gateway controller": round(2 * eg_pod, 4),
    }
    text = estimate_text(result.to_json(), "test")
    assert "alb-controller" not in text.split("of which add-on pods", 1)[0]
    assert "of which add-on pods" in text


def test_add_on_pods_count_towards_the_nodes_the_pool_needs() -> None:
    # 3 x 1.2 = 3.6 cores fit on one node (3.86 allocatable); with the Envoy proxies
    # (2 x 0.11) and the Envoy Gateway controller (0.1) it is 3.92: a second node.
    pool = _pool(minCount=1)
    alone = _snapshot(_cluster(pool), _deployment("api", "1200m", "1Gi", 3))
    assert _line(estimate(alone, _config(), SHEET), "AKS node pool user").floor == NODE
    controller = _chart(
        "envoy-gateway",
        "oci://docker.io/envoyproxy/gateway-helm",
        "platform:services:EnvoyGateway",
        {},
    )
    alone["resources"] += [*_snapshot(*_envoy(), _gateway(80))["resources"], controller]
    pool_line = _line(estimate(alone, _config(), SHEET), "AKS node pool user")
    assert pool_line.floor == 2 * NODE
    assert "services and platform add-ons" in pool_line.assumptions


# ------------------------------------------------------------------ the reference plan, per mode


def _dev_with_ingress(mode: str) -> OfflineRun:
    stack = read_stack("dev")
    values = dict(stack.values)
    values["platform:aks"] = json.dumps({**json.loads(values["platform:aks"]), "ingress": mode})
    return run_offline(dataclasses.replace(stack, values=values), build)


@pytest.fixture(scope="module")
def plans(dev: OfflineRun) -> dict[str, dict[str, Any]]:
    return {
        "gateway": to_snapshot(dev),
        "both": to_snapshot(_dev_with_ingress("both")),
        "nginx": to_snapshot(_dev_with_ingress("nginx")),
    }


def _rules_from_plan(snapshot: dict[str, Any]) -> tuple[int, int, int]:
    """(public rules, internal rules, public IPs) counted straight from the plan's objects:
    an outbound rule; the add-on's default public NGINX when app routing is on; 2 per
    NginxIngressController; a rule per port of LoadBalancer Services; a rule per distinct
    listener port of Envoy Gateway's Gateways."""
    resources = snapshot["resources"]
    cluster = next(r for r in resources if r["type"].endswith("ManagedCluster"))["inputs"]
    routing = cluster["ingressProfile"]["webAppRouting"]["enabled"]
    outbound = cluster["networkProfile"].get("outboundType", "loadBalancer") == "loadBalancer"
    public, internal, ips = int(outbound) + 2 * routing, 0, int(routing)
    for r in resources:
        spec = r["inputs"].get("spec") or {}
        if r["type"] == "kubernetes:core/v1:Service" and spec.get("type") == "LoadBalancer":
            annotations = r["inputs"]["metadata"].get("annotations") or {}
            assert annotations.get(INTERNAL) == "true", "the reference app's are internal"
            internal += len(spec["ports"])
        elif r["type"].endswith(":NginxIngressController"):
            assert spec["loadBalancerAnnotations"][INTERNAL] == "true"
            internal += 2
        elif (
            r["type"] == "kubernetes:gateway.networking.k8s.io/v1:Gateway"
            and spec.get("gatewayClassName") == "envoy-gateway"
        ):
            assert spec["infrastructure"]["annotations"][INTERNAL] == "true"
            internal += len({listener["port"] for listener in spec["listeners"]})
    return public, internal, ips


@pytest.mark.parametrize("mode", ["gateway", "both", "nginx"])
def test_each_ingress_mode_prices_the_load_balancer_rules_its_plan_creates(
    plans: dict[str, dict[str, Any]], mode: str
) -> None:
    snapshot = plans[mode]
    public, internal, ips = _rules_from_plan(snapshot)
    sheet = load_sheet("westeurope", "USD")
    first = sheet.price(meters.LB_FIRST_RULES).unit_price
    extra = sheet.price(meters.LB_EXTRA_RULE).unit_price
    lines = {line["item"]: line for line in snapshot["cost"]["lines"]}
    for item, rules in ((PUBLIC_LB_LINE, public), (LB_LINE, internal)):
        assert lines[item]["floor"] == pytest.approx(
            (first + max(0, rules - 5) * extra) * 730, abs=1e-4
        )
        assert lines[item]["assumptions"].startswith(f"{rules} rule(s)")
    ip = sheet.price(meters.PUBLIC_IP).unit_price
    assert lines.get(IPS_LINE, {"floor": 0.0})["floor"] == pytest.approx(ips * ip * 730)
    # What each mode runs: the gateway mode has no add-on and serves internal hosts on Envoy
    # Gateway's load balancer; nginx and both have the add-on's public NGINX and the internal
    # NGINX controller instead.
    pool = lines["AKS node pool user"]["assumptions"]
    if mode == "gateway":
        assert "NGINX" not in pool
        assert (public, ips) == (1, 0)
        assert (
            "Envoy Gateway envoy-gateway-system/internal (ports 80)"
            in lines[LB_LINE]["assumptions"]
        )
    else:
        assert (public, ips) == (3, 1)
        # The add-on's NGINX pods are AKS's (not in the plan): named, not guessed.
        assert "the app routing add-on's NGINX pods not counted" in pool
        assert "NGINX controller" in lines[LB_LINE]["assumptions"]
        assert "Envoy Gateway" not in lines[LB_LINE]["assumptions"]


@pytest.mark.parametrize(
    ("mode", "add_ons"),
    [
        (
            "gateway",
            {
                "ALB controller",
                "Envoy Gateway controller",
                "Envoy proxies of Gateway envoy-gateway-system/internal",
            },
        ),
        ("both", {"ALB controller"}),
        ("nginx", set()),
    ],
)
def test_each_ingress_mode_reports_its_add_on_pods_as_platform_never_as_services(
    plans: dict[str, dict[str, Any]], mode: str, add_ons: set[str]
) -> None:
    cost = plans[mode]["cost"]
    shares = [
        line for line in cost["lines"] if line["service"] == "platform" and not line["counted"]
    ]
    assert {line["item"].split(": ", 1)[1] for line in shares} == add_ons
    assert not set(cost["services"]) & {"alb-controller", "envoy-gateway", "envoy-gateway-crds"}
    counted = [x for x in cost["lines"] if x["service"] == "platform" and x["counted"]]
    assert cost["platform"]["floor"] == round(sum(x["floor"] for x in counted), 2)
    assert cost["platform"]["addOnPods"]["floor"] == round(sum(x["floor"] for x in shares), 2)
    markdown = estimate_markdown(cost, "dev")
    assert all(f"| platform | {x['item']} (share, not added) |" in markdown for x in shares)


def test_switching_ingress_mode_moves_platform_only_and_no_add_on_shows_as_a_service(
    plans: dict[str, dict[str, Any]],
) -> None:
    delta = cost_delta(plans["nginx"], plans["gateway"])
    names = {s.name for s in delta.services}
    assert not names & {"alb-controller", "envoy-gateway", "envoy-gateway-crds"}
    (platform,) = [s for s in delta.services if s.name == "platform"]
    # The platform's figure is its counted lines: the add-on pods' share is inside the pool.
    assert platform.after == (
        plans["gateway"]["cost"]["platform"]["floor"],
        plans["gateway"]["cost"]["platform"]["ceiling"],
    )
