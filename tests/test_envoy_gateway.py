"""Internal AKS ingress and the local stack's ingress on Envoy Gateway: by default no
managed-NGINX object exists (issue 17, "Done when"), internal services get Gateway API routes on
a shared Gateway behind an internal load balancer on the fixed address, the NetworkPolicy admits
Envoy's proxies, one Helm release owns each CRD; `nginx` and `both` keep the managed NGINX.
Every Gateway API object is validated strictly against the vendored v1.6.1 schemas."""

from __future__ import annotations

import copy
import dataclasses
import datetime
import json
from typing import Any

import jsonschema
import pytest

from infra.config import IngressMode
from infra.config_loader import stack_config_from_values
from infra.preview.engine import OfflineRun, run_offline
from infra.preview.snapshot import to_snapshot
from infra.preview.stackfile import read_stack
from infra.problems import InvalidInput
from infra.program import build
from infra.services.render.aks import ServiceSecrets, render_on_aks
from infra.services.render.common import InternalGatewayFacts, PlatformFacts
from infra.services.render.envoy_gateway import (
    ENVOY_GATEWAY_NAMESPACE,
    gateway_class_object,
    gateway_object,
)
from infra.services.routes import StackIngress
from infra.services.spec import (
    Dependency,
    Exposure,
    Ingress,
    Port,
    Protocol,
    ServiceSpec,
    Target,
    Tls,
)
from infra.services.validation import Catalog
from infra.simulate import Plan, World, replay
from infra.simulate.scenario import parsed_config
from tests.fixtures import NO_EXTENSIONS, catalog_of, facts
from tests.k8s_schema import validate_object

ADDRESS = "10.20.3.254"
CERT = "https://kv-shop-dev.vault.azure.net/certificates/admin"
NGINX_CONTROLLER = "kubernetes:approuting.kubernetes.azure.com/v1alpha1:NginxIngressController"
INGRESS = "kubernetes:networking.k8s.io/v1:Ingress"
GATEWAY = "kubernetes:gateway.networking.k8s.io/v1:Gateway"
HTTP_ROUTE = "kubernetes:gateway.networking.k8s.io/v1:HTTPRoute"
CHART = "kubernetes:helm.sh/v4:Chart"
GATEWAY_KINDS = ("kubernetes:gateway.networking.k8s.io/", "kubernetes:gateway.envoyproxy.io/")


def internal_facts() -> PlatformFacts:
    return dataclasses.replace(facts(), internal_gateway=InternalGatewayFacts(ADDRESS))


def internal_catalog(mode: IngressMode = IngressMode.GATEWAY) -> Catalog:
    """The catalog as validation routes it in a stack with `aks.ingress: <mode>`."""
    return catalog_of(
        ServiceSpec(
            name="admin",
            image="admin:1.0",
            target=Target.AKS,
            ports=(Port(name="http", number=8080),),
            ingress=Ingress(exposure=Exposure.INTERNAL, host="admin.dev.shop.internal", path="/ui"),
        ),
        ServiceSpec(
            name="ledger",
            image="ledger:1.0",
            target=Target.AKS,
            ports=(Port(name="grpc", number=50051, protocol=Protocol.GRPC),),
            ingress=Ingress(
                exposure=Exposure.INTERNAL,
                host="ledger.dev.shop.internal",
                tls=Tls(key_vault_certificate_uri=CERT),
            ),
            dependencies=(Dependency(service="admin"),),
        ),
        ingress=StackIngress(mode),
    )


def render(catalog: Catalog, name: str, platform: PlatformFacts) -> dict[str, dict[str, Any]]:
    objects = render_on_aks(
        catalog.get(name),
        catalog=catalog,
        facts=platform,
        extensions=NO_EXTENSIONS,
        client_id="cid",
        secrets=ServiceSecrets(config_values={}),
    )
    return {f"{o['kind']}/{o['metadata']['name']}": o for o in objects}


# ----- Rendering -----------------------------------------------------------------------------


def test_internal_http_service_gets_an_httproute_on_the_shared_internal_gateway() -> None:
    objects = render(internal_catalog(), "admin", internal_facts())
    assert "Ingress/admin" not in objects
    route = objects["HTTPRoute/admin"]
    assert route["spec"]["parentRefs"] == [
        {"name": "internal", "namespace": ENVOY_GATEWAY_NAMESPACE, "sectionName": "shop-admin"}
    ]
    assert route["spec"]["hostnames"] == ["admin.dev.shop.internal"]
    assert route["spec"]["rules"][0]["matches"] == [
        {"path": {"type": "PathPrefix", "value": "/ui"}}
    ]
    assert route["spec"]["rules"][0]["backendRefs"] == [{"name": "admin", "port": 8080}]
    validate_object(route)


def test_internal_grpc_service_with_tls_reads_its_secret_through_a_reference_grant() -> None:
    objects = render(internal_catalog(), "ledger", internal_facts())
    route = objects["GRPCRoute/ledger"]
    assert route["spec"]["hostnames"] == ["ledger.dev.shop.internal"]
    grant = objects["ReferenceGrant/tls-ledger"]
    assert grant["spec"]["from"] == [
        {
            "group": "gateway.networking.k8s.io",
            "kind": "Gateway",
            "namespace": ENVOY_GATEWAY_NAMESPACE,
        }
    ]
    assert grant["spec"]["to"] == [{"group": "", "kind": "Secret", "name": "tls-ledger"}]
    # The certificate is synced from Key Vault by the service's pods, as for AGC listeners.
    sync = objects["SecretProviderClass/tls-ledger"]
    assert sync["spec"]["secretObjects"][0]["type"] == "kubernetes.io/tls"
    for obj in (route, grant, sync):
        validate_object(obj)


def test_network_policy_admits_envoy_proxies_not_the_nginx_namespace() -> None:
    policy = render(internal_catalog(), "admin", internal_facts())["NetworkPolicy/admin"]
    sources = policy["spec"]["ingress"][0]["from"]
    assert {
        "namespaceSelector": {
            "matchLabels": {"kubernetes.io/metadata.name": ENVOY_GATEWAY_NAMESPACE}
        },
        "podSelector": {
            "matchLabels": {
                "app.kubernetes.io/name": "envoy",
                "app.kubernetes.io/component": "proxy",
            }
        },
    } in sources
    assert "app-routing-system" not in json.dumps(policy)
    validate_object(policy)


def test_shared_gateway_listens_per_host_on_an_internal_load_balancer() -> None:
    catalog = internal_catalog()
    gateway = gateway_object(catalog.services, internal_facts(), NO_EXTENSIONS)
    assert gateway is not None
    spec = gateway["spec"]
    assert spec["gatewayClassName"] == "envoy-gateway"
    assert spec["infrastructure"] == {
        "annotations": {
            "service.beta.kubernetes.io/azure-load-balancer-internal": "true",
            "service.beta.kubernetes.io/azure-load-balancer-ipv4": ADDRESS,
        }
    }
    admin, ledger = spec["listeners"]
    assert (admin["name"], admin["hostname"], admin["protocol"], admin["port"]) == (
        "shop-admin",
        "admin.dev.shop.internal",
        "HTTP",
        80,
    )
    assert admin["allowedRoutes"] == {
        "namespaces": {
            "from": "Selector",
            "selector": {"matchLabels": {"kubernetes.io/metadata.name": "shop"}},
        }
    }
    assert ledger["protocol"] == "HTTPS"
    assert ledger["port"] == 443
    assert ledger["tls"]["certificateRefs"] == [
        {"kind": "Secret", "name": "tls-ledger", "namespace": "shop"}
    ]
    validate_object(gateway)
    validate_object(gateway_class_object(NO_EXTENSIONS))


@pytest.mark.parametrize("mode", [IngressMode.NGINX, IngressMode.BOTH])
def test_nginx_and_both_modes_keep_the_internal_managed_nginx(mode: IngressMode) -> None:
    objects = render(internal_catalog(mode), "admin", facts())
    assert objects["Ingress/admin"]["spec"]["ingressClassName"] == "nginx-internal"
    assert "HTTPRoute/admin" not in objects


# ----- The whole program ----------------------------------------------------------------------


@pytest.mark.parametrize("stack", ["dev", "prod"])
def test_default_plans_create_no_managed_nginx_object(
    runs: dict[str, OfflineRun], stack: str
) -> None:
    """Issue 17's "Done when": the default (`aks.ingress: gateway`) creates no managed-NGINX
    object: no NginxIngressController, no Ingress, the app routing add-on off and none of its
    Key Vault grants."""
    run = runs[stack]
    assert not run.by_type(NGINX_CONTROLLER)
    assert not run.by_type(INGRESS)
    cluster = run.one("azure-native:containerservice:ManagedCluster")
    assert cluster.inputs["ingressProfile"] == {"webAppRouting": {"enabled": False}}
    grants = [r.name for r in run.by_type("azure-native:authorization:RoleAssignment")]
    assert not [g for g in grants if "app-routing" in g]
    # The reference app's internal admin-web is served by Envoy Gateway instead.
    route = run.one(HTTP_ROUTE, "storefront-admin-web")
    gateway = run.one(GATEWAY, f"{ENVOY_GATEWAY_NAMESPACE}-internal")
    envoy = run.one(CHART, "envoy-gateway")
    assert envoy.urn in route.depends_on
    record = run.one(
        "azure-native:privatedns:PrivateRecordSet", f"internal-host-admin.{stack}.shop.internal"
    )
    address = gateway.inputs["spec"]["infrastructure"]["annotations"][
        "service.beta.kubernetes.io/azure-load-balancer-ipv4"
    ]
    assert record.inputs["aRecords"] == [{"ipv4Address": address}]
    for registration in run.resources:
        if registration.type.startswith(GATEWAY_KINDS):
            validate_object(_inputs(registration.inputs))


def _inputs(inputs: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in inputs.items() if not k.startswith("__")}


def _with_ingress(mode: str) -> OfflineRun:
    stack = read_stack("dev")
    values = dict(stack.values)
    aks = {**json.loads(values["platform:aks"]), "ingress": mode}
    values["platform:aks"] = json.dumps(aks)
    return run_offline(dataclasses.replace(stack, values=values), build)


def test_migration_release_still_renders_the_managed_nginx() -> None:
    """`both` (and `nginx`) are the explicit, deprecated options: today's NGINX objects."""
    run = _with_ingress("both")
    cluster = run.one("azure-native:containerservice:ManagedCluster")
    assert cluster.inputs["ingressProfile"] == {"webAppRouting": {"enabled": True}}
    controller = run.one(NGINX_CONTROLLER)
    annotations = controller.inputs["spec"]["loadBalancerAnnotations"]
    assert annotations["service.beta.kubernetes.io/azure-load-balancer-internal"] == "true"
    ingress = run.one(INGRESS, "storefront-admin-web")
    assert ingress.inputs["spec"]["ingressClassName"] == "nginx-internal"
    grants = [r.name for r in run.by_type("azure-native:authorization:RoleAssignment")]
    assert {"aks-app-routing-keyvault-certificates", "aks-app-routing-keyvault-secrets"} <= set(
        grants
    )
    assert not [r for r in run.by_type(CHART) if r.name.startswith("envoy-gateway")]


def test_crds_have_one_owner_on_aks(runs: dict[str, OfflineRun]) -> None:
    """The ALB controller owns the Gateway API CRDs; Envoy Gateway's CRD chart installs only
    its own and its controller chart none (no `crds` subchart: no CRDs, no safe-upgrades
    policy)."""
    run = runs["dev"]
    crds = run.one(CHART, "envoy-gateway-crds").inputs
    assert crds["chart"] == "oci://docker.io/envoyproxy/gateway-crds-helm"
    assert crds["values"]["crds"]["gatewayAPI"]["enabled"] is False
    assert crds["values"]["crds"]["envoyGateway"]["enabled"] is True
    controller = run.one(CHART, "envoy-gateway").inputs
    assert controller["skipCrds"] is True
    assert controller["values"]["crds"] == {"enabled": False}
    assert controller["version"] == crds["version"] == "v1.9.0"


def test_envoy_gateway_starts_after_the_alb_controller_chart_on_aks(
    runs: dict[str, OfflineRun],
) -> None:
    """Envoy Gateway looks optional Gateway API kinds (GRPCRoute among them) up once, at start
    (v1.9.0 internal/provider/kubernetes/controller.go `watchResources`): on AKS the ALB
    controller chart, which brings them, must be applied first."""
    resources = to_snapshot(runs["dev"])["resources"]
    controller = _by_name(resources, CHART, "envoy-gateway")
    alb = _by_name(resources, CHART, "alb-controller")
    assert alb["urn"] in controller["options"]["dependsOn"]


@pytest.fixture(scope="module")
def local() -> OfflineRun:
    return run_offline(read_stack("local"), build)


def test_local_stack_routes_through_envoy_gateway(local: OfflineRun) -> None:
    assert not local.by_type(INGRESS)
    gateway = local.one(GATEWAY, f"{ENVOY_GATEWAY_NAMESPACE}-local").inputs
    hosts = sorted(listener["hostname"] for listener in gateway["spec"]["listeners"])
    assert hosts == ["admin-web.localtest.me", "web.localtest.me"]
    assert all(listener["protocol"] == "HTTP" for listener in gateway["spec"]["listeners"])
    assert "infrastructure" not in gateway["spec"], "no Azure load balancer locally"
    route = local.one(HTTP_ROUTE, "storefront-web").inputs
    assert route["spec"]["hostnames"] == ["web.localtest.me"]
    crds = local.one(CHART, "envoy-gateway-crds").inputs
    assert crds["values"]["crds"]["gatewayAPI"] == {"enabled": True, "channel": "standard"}
    for registration in local.resources:
        if registration.type.startswith(GATEWAY_KINDS):
            validate_object(_inputs(registration.inputs))


def test_old_local_stack_file_with_ingress_class_gets_a_migration_message() -> None:
    with pytest.raises(InvalidInput) as caught:
        stack_config_from_values({"environment": "local", "ingressClass": "nginx"})
    (problem,) = caught.value.problems
    text = problem.render()
    assert "platform:ingressClass" in text
    assert "Envoy Gateway" in text
    assert "delete platform:ingressClass" in text


# ----- Deploy simulator: each rule passes on the real plan and refuses a broken one ----------


def _plan(run: OfflineRun, stack: str, edit: Any = None) -> Plan:
    snapshot = copy.deepcopy(to_snapshot(run))
    if edit is not None:
        edit(snapshot["resources"])
    return Plan.from_snapshot(snapshot, parsed_config(read_stack(stack).values))


def _rules(plan: Plan) -> set[str]:
    phase, _ = replay("test", plan, World())
    return {r.rule for r in phase.refusals}


def _by_name(resources: list[dict[str, Any]], type_: str, name: str) -> dict[str, Any]:
    return next(r for r in resources if r["type"] == type_ and r["name"] == name)


def test_crd_owned_twice_passes_on_the_real_plans(
    runs: dict[str, OfflineRun], local: OfflineRun
) -> None:
    assert "crd-owned-twice" not in _rules(_plan(runs["dev"], "dev"))
    assert "crd-owned-twice" not in _rules(_plan(local, "local"))


def test_crd_owned_twice_refuses_envoy_gateway_bringing_its_own_gateway_api_crds(
    runs: dict[str, OfflineRun],
) -> None:
    def both_own(resources: list[dict[str, Any]]) -> None:
        controller = _by_name(resources, CHART, "envoy-gateway")["inputs"]
        controller.pop("skipCrds")
        controller.pop("values")

    assert "crd-owned-twice" in _rules(_plan(runs["dev"], "dev", both_own))


def test_crd_owned_twice_refuses_two_safe_upgrade_policies_locally(local: OfflineRun) -> None:
    """Envoy Gateway v1.9's controller chart renders the Gateway API safe-upgrades policy from
    its `crds` subchart even with skipCrds; locally gateway-crds-helm renders it too."""

    def subchart_on(resources: list[dict[str, Any]]) -> None:
        _by_name(resources, CHART, "envoy-gateway")["inputs"].pop("values")

    plan = _plan(local, "local", subchart_on)
    phase, _ = replay("test", plan, World())
    refusals = [r for r in phase.refusals if r.rule == "crd-owned-twice"]
    assert refusals
    assert all("safe-upgrades ValidatingAdmissionPolicy" in r.why for r in refusals)


def test_gateway_class_unserved_passes_on_the_real_plans(
    runs: dict[str, OfflineRun], local: OfflineRun
) -> None:
    assert "gateway-class-unserved" not in _rules(_plan(runs["dev"], "dev"))
    assert "gateway-class-unserved" not in _rules(_plan(local, "local"))


def test_gateway_class_unserved_refuses_a_gateway_without_its_controller(
    local: OfflineRun,
) -> None:
    def no_controller(resources: list[dict[str, Any]]) -> None:
        resources.remove(_by_name(resources, CHART, "envoy-gateway"))
        for r in resources:
            deps = r.get("options", {}).get("dependsOn")
            if deps:
                r["options"]["dependsOn"] = [d for d in deps if not d.endswith("::envoy-gateway")]

    assert "gateway-class-unserved" in _rules(_plan(local, "local", no_controller))


def test_local_gateway_api_objects_wait_for_the_crd_chart(local: OfflineRun) -> None:
    """`gateway-api-crds-missing` locally, where Envoy Gateway's CRD chart brings the Gateway
    API: passes on the real plan, refused when the CRD chart installs only Envoy's own."""
    assert "gateway-api-crds-missing" not in _rules(_plan(local, "local"))

    def envoy_only(resources: list[dict[str, Any]]) -> None:
        crds = _by_name(resources, CHART, "envoy-gateway-crds")
        crds["inputs"]["values"]["crds"]["gatewayAPI"]["enabled"] = False

    assert "gateway-api-crds-missing" in _rules(_plan(local, "local", envoy_only))


def test_envoy_gateway_charts_are_reviewed_published_and_one_release() -> None:
    """Both charts come from the reviewed list, at one release (the CRDs must match the
    controller), a version the simulator's record says is published."""
    from infra.services.chart_versions import reviewed
    from infra.simulate.published_charts import PUBLISHED_CHARTS

    controller = reviewed("oci://docker.io/envoyproxy", "gateway-helm")
    crds = reviewed("oci://docker.io/envoyproxy", "gateway-crds-helm")
    assert controller is not None
    assert crds is not None
    assert controller.version == crds.version
    for chart in ("gateway-helm", "gateway-crds-helm"):
        assert controller.version in PUBLISHED_CHARTS[("oci://docker.io/envoyproxy", chart)]
    # The pin records its line's end of life, and the line was supported when it was reviewed
    # (2026-11-28: v1.5, the previous pin, ended 2026-02-13).
    assert controller.supported_until == crds.supported_until
    assert controller.supported_until is not None
    assert datetime.date.fromisoformat(controller.supported_until) > datetime.date(2026, 11, 28)


def test_a_local_rollout_splits_the_route_on_envoy_gateway() -> None:
    """Locally the route is a Gateway API route too, so a rollout's weights apply there."""
    from infra.services.render.common import ClusterKind
    from infra.services.spec import HttpProbe, Probes, Rollout

    catalog = catalog_of(
        ServiceSpec(
            name="shop",
            image="shop:1.0",
            target=Target.AKS,
            ports=(Port(name="http", number=8080),),
            ingress=Ingress(
                exposure=Exposure.PUBLIC,
                host="shop.example.com",
                tls=Tls(key_vault_certificate_uri=CERT),
            ),
            probes=Probes(readiness=HttpProbe(path="/ready")),
            rollout=Rollout(image="shop:1.1", weight=10),
        ),
        ingress=StackIngress(None),
    )
    local_facts = dataclasses.replace(facts(), cluster=ClusterKind.LOCAL)
    route = render(catalog, "shop", local_facts)["HTTPRoute/shop"]
    assert route["spec"]["hostnames"] == ["shop.localtest.me"]
    assert route["spec"]["rules"][0]["backendRefs"] == [
        {"name": "shop", "port": 8080, "weight": 90},
        {"name": "shop-canary", "port": 8080, "weight": 10},
    ]
    assert "SecretProviderClass/tls-shop" not in render(catalog, "shop", local_facts)
    validate_object(route)


@pytest.mark.parametrize("stack", ["dev", "prod"])
def test_internal_proxies_survive_a_node_drain(runs: dict[str, OfflineRun], stack: str) -> None:
    """Two Envoy replicas spread over nodes (and zones in prod) with a PodDisruptionBudget,
    through the class's EnvoyProxy; validated against the vendored EnvoyProxy schema."""
    run = runs[stack]
    proxy = _inputs(
        run.one(
            "kubernetes:gateway.envoyproxy.io/v1alpha1:EnvoyProxy",
            "envoy-gateway-system-envoy-gateway",
        ).inputs
    )
    kubernetes = proxy["spec"]["provider"]["kubernetes"]
    assert kubernetes["envoyDeployment"]["replicas"] == 2
    assert kubernetes["envoyPDB"] == {"minAvailable": 1}
    keys = [
        c["topologyKey"] for c in kubernetes["envoyDeployment"]["pod"]["topologySpreadConstraints"]
    ]
    zonal = stack == "prod"
    assert keys == ["kubernetes.io/hostname", *(["topology.kubernetes.io/zone"] if zonal else [])]
    gateway_class = _inputs(run.one("kubernetes:gateway.networking.k8s.io/v1:GatewayClass").inputs)
    assert gateway_class["spec"]["parametersRef"] == {
        "group": "gateway.envoyproxy.io",
        "kind": "EnvoyProxy",
        "name": proxy["metadata"]["name"],
        "namespace": proxy["metadata"]["namespace"],
    }
    validate_object(proxy)
    validate_object(gateway_class)
    with pytest.raises(jsonschema.ValidationError):
        validate_object({**proxy, "spec": {**proxy["spec"], "replica": 2}})
