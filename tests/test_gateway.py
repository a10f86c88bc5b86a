"""Public AKS ingress on the Gateway API (Application Gateway for Containers): the Gateway, the
HTTPRoute/GRPCRoute each public service gets, the NetworkPolicy that admits AGC, and the
deprecated managed-NGINX path that stays available. Every Gateway API object is validated
strictly against the vendored v1.6.1 standard-channel CRD schemas."""

from __future__ import annotations

import dataclasses
import json
from typing import Any

import jsonschema
import pytest

from infra.config import IngressMode, platform_config_from_values
from infra.preview.engine import OfflineRun, ProgramFailed, run_offline
from infra.preview.mocks import FAKE_SUBSCRIPTION
from infra.preview.stackfile import read_stack
from infra.problems import InvalidInput
from infra.program import build
from infra.services.catalog import Catalog
from infra.services.render import envoy_gateway
from infra.services.render.aks import ServiceSecrets, render_on_aks
from infra.services.render.common import (
    GatewayFacts,
    InternalGatewayFacts,
    Manifest,
    PlatformExtensions,
    PlatformFacts,
)
from infra.services.render.gateway import ALB_ID_ANNOTATION, GATEWAY_CLASS, gateway_object
from infra.services.routes import StackIngress
from infra.services.spec import (
    Application,
    Dependency,
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
from tests.fixtures import NO_EXTENSIONS, catalog_of, facts
from tests.k8s_schema import validate_object
from tests.test_config import as_cli, stack_values

TC_ID = (
    "/subscriptions/0/resourceGroups/rg-shop-dev/providers/"
    "Microsoft.ServiceNetworking/trafficControllers/agc-shop-dev"
)
GATEWAY = GatewayFacts(traffic_controller_id=TC_ID, subnet_cidr="10.20.12.0/24")
CERT = "https://kv-shop-dev.vault.azure.net/certificates/shop"


def gateway_facts() -> PlatformFacts:
    """`aks.ingress: gateway`: public AKS services on AGC, internal ones on Envoy Gateway."""
    return dataclasses.replace(
        facts(), gateway=GATEWAY, internal_gateway=InternalGatewayFacts("10.20.3.250")
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


def shop_catalog(mode: IngressMode = IngressMode.GATEWAY) -> Catalog:
    """The catalog as validation routes it in a stack with `aks.ingress: <mode>`."""
    return catalog_of(
        ServiceSpec(
            name="shop",
            image="shop:1.0",
            target=Target.AKS,
            ports=(Port(name="http", number=8080, service_port=80),),
            ingress=Ingress(
                exposure=Exposure.PUBLIC,
                host="shop.example.com",
                path="/store",
                tls=Tls(key_vault_certificate_uri=CERT),
            ),
        ),
        ServiceSpec(
            name="orders",
            image="orders:1.0",
            target=Target.AKS,
            ports=(Port(name="grpc", number=50051, protocol=Protocol.GRPC),),
            ingress=Ingress(
                exposure=Exposure.PUBLIC,
                host="orders.example.com",
                tls=Tls(key_vault_certificate_uri=CERT),
            ),
        ),
        ServiceSpec(
            name="admin",
            image="admin:1.0",
            target=Target.AKS,
            ports=(Port(name="http", number=8080),),
            ingress=Ingress(exposure=Exposure.INTERNAL, host="admin.dev.shop.internal"),
            dependencies=(Dependency(service="shop"),),
        ),
        ingress=StackIngress(mode),
    )


def test_public_http_service_gets_an_httproute_on_its_own_listener() -> None:
    objects = render(shop_catalog(), "shop", gateway_facts())
    assert "Ingress/shop" not in objects, "no managed-NGINX object by default"
    route = objects["HTTPRoute/shop"]
    assert route["spec"] == {
        "parentRefs": [{"name": "public", "sectionName": "shop"}],
        "hostnames": ["shop.example.com"],
        "rules": [
            {
                "matches": [{"path": {"type": "PathPrefix", "value": "/store"}}],
                # The Service's port (80), not the container's.
                "backendRefs": [{"name": "shop", "port": 80}],
            }
        ],
    }
    for obj in objects.values():
        validate_object(obj)


def test_public_grpc_service_gets_a_grpcroute() -> None:
    objects = render(shop_catalog(), "orders", gateway_facts())
    route = objects["GRPCRoute/orders"]
    assert route["spec"]["hostnames"] == ["orders.example.com"]
    assert route["spec"]["rules"] == [{"backendRefs": [{"name": "orders", "port": 50051}]}]
    assert "HTTPRoute/orders" not in objects
    validate_object(route)


def test_gateway_terminates_tls_per_host_on_the_agc_frontend() -> None:
    catalog = shop_catalog()
    gateway = gateway_object("shop", catalog.services, GATEWAY, NO_EXTENSIONS)
    assert gateway is not None
    validate_object(gateway)
    assert gateway["spec"]["gatewayClassName"] == GATEWAY_CLASS == "azure-alb-external"
    assert gateway["metadata"]["annotations"]["alb.networking.azure.io/alb-id"] == TC_ID
    assert gateway["spec"]["addresses"] == [
        {"type": "alb.networking.azure.io/alb-frontend", "value": "fe-shop"}
    ]
    listeners = {listener["name"]: listener for listener in gateway["spec"]["listeners"]}
    assert set(listeners) == {"shop", "orders"}, "internal services stay off the public gateway"
    assert listeners["shop"]["hostname"] == "shop.example.com"
    assert listeners["shop"]["protocol"] == "HTTPS"
    assert listeners["shop"]["tls"]["certificateRefs"] == [{"kind": "Secret", "name": "tls-shop"}]
    assert listeners["shop"]["allowedRoutes"] == {"namespaces": {"from": "Same"}}


def _mark(obj: Manifest) -> Manifest:
    obj["metadata"].setdefault("annotations", {})["example.com/hooked"] = "yes"
    return obj


def test_gateways_and_envoy_objects_get_platform_metadata_and_the_hooks() -> None:
    """Fix: the AGC Gateway built its own metadata (no `managed-by`) and neither it nor Envoy
    Gateway's namespace, EnvoyProxy, GatewayClass and Gateway went through the platform's
    hooks; the README promises both on every object."""
    extensions = PlatformExtensions(
        labels={"platform.io/managed": "true"},
        annotations={"example.com/team": "platform"},
        kubernetes_hooks=(_mark,),
    )
    services = shop_catalog().services
    internal = dataclasses.replace(facts(), internal_gateway=InternalGatewayFacts("10.20.3.250"))
    agc = gateway_object("shop", services, GATEWAY, extensions)
    envoy = envoy_gateway.gateway_object(services, internal, extensions)
    assert agc is not None
    assert envoy is not None
    objects = [
        agc,
        envoy,
        envoy_gateway.namespace_object(extensions),
        envoy_gateway.envoy_proxy_object(internal, extensions),
        envoy_gateway.gateway_class_object(extensions),
    ]
    for obj in objects:
        meta = obj["metadata"]
        assert meta["labels"]["app.kubernetes.io/managed-by"] == "pulumi", obj["kind"]
        assert meta["labels"]["platform.io/managed"] == "true", obj["kind"]
        assert meta["annotations"]["example.com/team"] == "platform", obj["kind"]
        assert meta["annotations"]["example.com/hooked"] == "yes", obj["kind"]
        validate_object(obj)
    assert agc["metadata"]["labels"]["app.kubernetes.io/part-of"] == "shop"
    assert agc["metadata"]["annotations"][ALB_ID_ANNOTATION] == TC_ID


def test_no_gateway_without_public_aks_services() -> None:
    catalog = shop_catalog()
    assert gateway_object("other", catalog.services, GATEWAY, NO_EXTENSIONS) is None


def test_network_policy_admits_the_agc_subnet_not_the_nginx_namespace() -> None:
    policy = render(shop_catalog(), "shop", gateway_facts())["NetworkPolicy/shop"]
    sources = policy["spec"]["ingress"][0]["from"]
    assert {"ipBlock": {"cidr": "10.20.12.0/24"}} in sources
    assert not any(
        s.get("namespaceSelector", {}).get("matchLabels", {}).get("kubernetes.io/metadata.name")
        == "app-routing-system"
        for s in sources
    )


def test_in_the_migration_release_internal_exposure_keeps_the_internal_ingress() -> None:
    """`aks.ingress: both` (AGC on, no internal Envoy Gateway): internal services stay on the
    internal NGINX, which holds the fixed address (tests/test_envoy_gateway.py: the default)."""
    both = dataclasses.replace(facts(), gateway=GATEWAY)
    objects = render(shop_catalog(IngressMode.BOTH), "admin", both)
    assert objects["Ingress/admin"]["spec"]["ingressClassName"] == "nginx-internal"
    assert "HTTPRoute/admin" not in objects


def test_deprecated_nginx_mode_still_renders_the_managed_ingress() -> None:
    objects = render(shop_catalog(IngressMode.NGINX), "shop", facts())
    assert (
        objects["Ingress/shop"]["spec"]["ingressClassName"] == "webapprouting.kubernetes.azure.com"
    )
    assert "HTTPRoute/shop" not in objects


@pytest.mark.parametrize(
    ("path", "value"),
    [
        (("spec", "rules", 0, "backendRefs", 0, "wieght"), 10),
        (("spec", "rules", 0, "matches", 0, "path", "type"), "Prefix"),
        (("spec", "hostnames", 0), "Not A Host"),
    ],
)
def test_the_vendored_schema_is_strict(path: tuple[Any, ...], value: Any) -> None:
    """A misspelt field, a wrong enum or a malformed host fails, as the API server would."""
    route = render(shop_catalog(), "shop", gateway_facts())["HTTPRoute/shop"]
    target: Any = route
    for key in path[:-1]:
        target = target[key]
    target[path[-1]] = value
    with pytest.raises(jsonschema.ValidationError):
        validate_object(route)


def test_listener_certificate_is_synced_from_key_vault_by_the_services_pods() -> None:
    """AGC reads a Kubernetes TLS Secret: the service's pods mount a SecretProviderClass that
    syncs the Key Vault certificate into exactly the Secret the listener names."""
    objects = render(shop_catalog(), "shop", gateway_facts())
    spc = objects["SecretProviderClass/tls-shop"]
    validate_object(spc)
    assert spc["metadata"]["labels"]["app.kubernetes.io/name"] == "shop"
    assert spc["metadata"]["labels"]["app.kubernetes.io/managed-by"] == "pulumi"
    assert "objectName: shop" in spc["spec"]["parameters"]["objects"]
    assert spc["spec"]["parameters"]["clientID"] == "cid"
    (synced,) = spc["spec"]["secretObjects"]
    assert synced["secretName"] == "tls-shop"
    assert synced["type"] == "kubernetes.io/tls"
    assert {d["key"] for d in synced["data"]} == {"tls.key", "tls.crt"}
    pod = objects["Deployment/shop"]["spec"]["template"]["spec"]
    (volume,) = [v for v in pod["volumes"] if v["name"] == "gateway-tls"]
    assert volume["csi"]["volumeAttributes"] == {"secretProviderClass": "tls-shop"}
    assert {"name": "gateway-tls", "mountPath": "/mnt/secrets-store/tls", "readOnly": True} in (
        pod["containers"][0]["volumeMounts"]
    )


def test_managed_nginx_reads_the_certificate_itself_so_no_pod_mounts_it() -> None:
    objects = render(shop_catalog(IngressMode.NGINX), "shop", facts())
    assert "SecretProviderClass/tls-shop" not in objects


# ----- The whole program (dev stack, under mocks) ---------------------------------------------


@pytest.fixture(scope="module")
def public_run() -> OfflineRun:
    shop = ServiceSpec(
        name="shop",
        image="shop:1.0",
        target=Target.AKS,
        ports=(Port(name="http", number=8080),),
        ingress=Ingress(
            exposure=Exposure.PUBLIC,
            host="shop.example.com",
            tls=Tls(key_vault_certificate_uri=CERT),
        ),
    )
    app = Application(name="shop", services=(shop,), source="apps/test.py")
    return run_offline(read_stack("dev"), lambda: build(applications=[app]))


def test_program_creates_agc_and_no_managed_nginx_for_public_services(
    public_run: OfflineRun,
) -> None:
    run = public_run
    assert not run.by_type("kubernetes:networking.k8s.io/v1:Ingress")
    controller = run.one("azure-native:servicenetworking:TrafficControllerInterface")
    assert controller.inputs["trafficControllerName"] == "agc-shop-dev"
    subnet = run.one("azure-native:network:Subnet", "gateway-subnet")
    assert subnet.inputs["addressPrefix"] == "10.20.12.0/24"
    assert subnet.inputs["delegations"] == [
        {"name": "agc", "serviceName": "Microsoft.ServiceNetworking/trafficControllers"}
    ]
    frontend = run.one("azure-native:servicenetworking:FrontendsInterface")
    assert frontend.inputs["frontendName"] == "fe-shop"
    gateway = run.one("kubernetes:gateway.networking.k8s.io/v1:Gateway")
    route = run.one("kubernetes:gateway.networking.k8s.io/v1:HTTPRoute")
    chart = run.one("kubernetes:helm.sh/v4:Chart", "alb-controller")
    assert chart.urn in gateway.depends_on
    assert frontend.urn in gateway.depends_on
    for registration in (gateway, route):
        validate_object({k: v for k, v in registration.inputs.items() if not k.startswith("__")})


def test_alb_controller_waits_for_its_identity_and_both_roles(public_run: OfflineRun) -> None:
    run = public_run
    chart = run.one("kubernetes:helm.sh/v4:Chart", "alb-controller")
    grants = {r.name: r for r in run.by_type("azure-native:authorization:RoleAssignment")}
    manager = grants["gateway-alb-config-manager"]
    joiner = grants["gateway-alb-subnet-join"]
    assert manager.inputs["roleDefinitionId"].endswith("fbc52c3f-28ad-4303-a892-8a056630b8f1")
    # The bring-your-own quickstart's scope: the group holding the TrafficController.
    assert (
        manager.inputs["scope"] == f"/subscriptions/{FAKE_SUBSCRIPTION}/resourceGroups/rg-shop-dev"
    )
    assert joiner.inputs["roleDefinitionId"].endswith("4d97b98b-1d4f-4787-a291-c67834d212e7")
    assert {manager.urn, joiner.urn} <= set(chart.depends_on)
    federation = run.one(
        "azure-native:managedidentity:FederatedIdentityCredential", "gateway-alb-federation"
    )
    assert (
        federation.inputs["subject"] == "system:serviceaccount:azure-alb-system:alb-controller-sa"
    )


def test_service_identity_reads_exactly_its_listener_certificate(public_run: OfflineRun) -> None:
    grant = public_run.one("azure-native:authorization:RoleAssignment", "shop-secret-tls-shop")
    assert grant.inputs["scope"].endswith("/vaults/kv-shop-dev/secrets/shop")


def test_program_registers_a_canary_behind_weighted_backends() -> None:
    """The AKS side of a canary step through the whole program: the canary's own objects are
    registered, schema-valid, and the route sends it its share."""
    shop = ServiceSpec(
        name="shop",
        image="shop:1.0",
        target=Target.AKS,
        ports=(Port(name="http", number=8080),),
        ingress=Ingress(
            exposure=Exposure.PUBLIC,
            host="shop.example.com",
            tls=Tls(key_vault_certificate_uri=CERT),
        ),
        rollout=Rollout(image="shop:1.1", weight=10),
    )
    app = Application(name="shop", services=(shop,), source="apps/test.py")
    run = run_offline(read_stack("dev"), lambda: build(applications=[app]))
    route = run.one("kubernetes:gateway.networking.k8s.io/v1:HTTPRoute")
    assert route.inputs["spec"]["rules"][0]["backendRefs"] == [
        {"name": "shop", "port": 8080, "weight": 90},
        {"name": "shop-canary", "port": 8080, "weight": 10},
    ]
    names = {r.name for r in run.resources if r.type.startswith("kubernetes:") and r.custom}
    assert {
        "shop-shop-canary",
    } <= names
    kinds = {
        r.type.rsplit(":", 1)[-1]
        for r in run.resources
        if r.custom and r.name == "shop-shop-canary"
    }
    assert {"Deployment", "Service", "PodDisruptionBudget", "NetworkPolicy"} <= kinds
    for registration in run.resources:
        if (
            registration.custom
            and registration.type.startswith("kubernetes:")
            and (registration.name == "shop-shop-canary")
        ):
            validate_object(
                {k: v for k, v in registration.inputs.items() if not k.startswith("__")}
            )


def test_migration_release_serves_both_paths_side_by_side() -> None:
    """`aks.ingress: both`: the managed-NGINX Ingress stays next to the route while DNS moves,
    and the NetworkPolicy admits both the AGC subnet and the NGINX controllers."""
    platform = dataclasses.replace(facts(), gateway=GATEWAY)
    objects = render(shop_catalog(IngressMode.BOTH), "shop", platform)
    assert "HTTPRoute/shop" in objects
    assert (
        objects["Ingress/shop"]["spec"]["ingressClassName"] == "webapprouting.kubernetes.azure.com"
    )
    sources = objects["NetworkPolicy/shop"]["spec"]["ingress"][0]["from"]
    assert {"ipBlock": {"cidr": "10.20.12.0/24"}} in sources
    assert {
        "namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": "app-routing-system"}}
    } in sources


@pytest.mark.parametrize(
    ("network", "aks", "expected"),
    [
        ({}, {}, "platform:network.gatewaySubnetCidr: is required for aks.ingress gateway"),
        (
            {"gatewaySubnetCidr": "10.20.12.0/26"},
            {},
            "platform:network.gatewaySubnetCidr = 10.20.12.0/26: is too small",
        ),
        (
            {"gatewaySubnetCidr": "10.20.8.0/24"},
            {},
            "overlaps containerAppsSubnetCidr 10.20.8.0/23",
        ),
    ],
)
def test_gateway_subnet_config_is_checked(
    network: dict[str, Any], aks: dict[str, Any], expected: str
) -> None:
    values = stack_values("dev")
    net = {k: v for k, v in values["network"].items() if k != "gatewaySubnetCidr"}
    values["network"] = {**net, **network}
    values["aks"] = {**values["aks"], **aks}
    with pytest.raises(InvalidInput) as caught:
        platform_config_from_values(as_cli(values))
    assert expected in str(caught.value)


def test_nginx_mode_needs_no_gateway_subnet() -> None:
    values = stack_values("dev")
    values["network"] = {k: v for k, v in values["network"].items() if k != "gatewaySubnetCidr"}
    values["aks"] = {**values["aks"], "ingress": "nginx"}
    config = platform_config_from_values(as_cli(values))
    assert config.aks.ingress == "nginx"


def test_program_in_nginx_mode_creates_no_agc_and_keeps_the_managed_ingress() -> None:
    stack = read_stack("dev")
    values = dict(stack.values)
    network = json.loads(values["platform:network"])
    network.pop("gatewaySubnetCidr")
    aks = {**json.loads(values["platform:aks"]), "ingress": "nginx"}
    values["platform:network"], values["platform:aks"] = json.dumps(network), json.dumps(aks)
    shop = ServiceSpec(
        name="shop",
        image="shop:1.0",
        target=Target.AKS,
        ports=(Port(name="http", number=8080),),
        ingress=Ingress(
            exposure=Exposure.PUBLIC,
            host="shop.example.com",
            tls=Tls(key_vault_certificate_uri=CERT),
        ),
    )
    app = Application(name="shop", services=(shop,), source="apps/test.py")
    run = run_offline(dataclasses.replace(stack, values=values), lambda: build(applications=[app]))
    assert not [r for r in run.resources if "servicenetworking" in r.type]
    assert not run.by_type("kubernetes:gateway.networking.k8s.io/v1:HTTPRoute")
    ingress = run.one("kubernetes:networking.k8s.io/v1:Ingress", "shop-shop")
    assert ingress.inputs["spec"]["ingressClassName"] == "webapprouting.kubernetes.azure.com"


# ----- DNS for public hosts: a CNAME to the application's Frontend ---------------------------


def _public_run(stack_name: str, host: str, ingress_mode: str = "gateway") -> OfflineRun:
    stack = read_stack(stack_name)
    values = dict(stack.values)
    values["platform:aks"] = json.dumps(
        {**json.loads(values["platform:aks"]), "ingress": ingress_mode}
    )
    shop = ServiceSpec(
        name="shop",
        # prod runs images by digest and serves public hosts over TLS
        image="shop@sha256:" + "a" * 64,
        target=Target.AKS,
        ports=(Port(name="http", number=8080),),
        ingress=Ingress(
            exposure=Exposure.PUBLIC,
            host=host,
            tls=Tls(
                key_vault_certificate_uri=f"https://kv-shop-{stack_name}.vault.azure.net/certificates/shop"
            ),
        ),
        probes=Probes(readiness=HttpProbe(path="/ready"), liveness=HttpProbe(path="/live")),
    )
    app = Application(name="shop", services=(shop,), source="apps/test.py")
    return run_offline(dataclasses.replace(stack, values=values), lambda: build(applications=[app]))


def test_a_public_host_in_the_platform_zone_gets_a_cname_to_its_frontend() -> None:
    run = _public_run("prod", "shop.example.com")  # prod manages the zone example.com
    frontend = run.one("azure-native:servicenetworking:FrontendsInterface", "shop-frontend")
    fqdn = dict(frontend.computed)[("fqdn",)]
    record = run.one("azure-native:dns:RecordSet", "shop-gateway-host")
    assert record.inputs["zoneName"] == "example.com"
    assert record.inputs["resourceGroupName"] == "rg-dns"
    assert record.inputs["relativeRecordSetName"] == "shop"
    assert record.inputs["recordType"] == "CNAME"
    assert record.inputs["cnameRecord"] == {"cname": fqdn}
    assert run.outputs["publicGatewayFrontends"] == {"shop": fqdn}


def test_a_public_host_outside_the_zone_gets_no_record_and_its_frontend_is_exported() -> None:
    """AGC checks no DNS record: the operator points the host at the exported FQDN."""
    run = _public_run("dev", "shop.example.com")  # dev manages no zone
    assert not run.by_type("azure-native:dns:RecordSet")
    assert set(run.outputs["publicGatewayFrontends"]) == {"shop"}


def test_during_the_migration_release_the_hosts_keep_their_records() -> None:
    """`both`: the hosts still resolve to NGINX; pointing them at AGC is the migration's step."""
    run = _public_run("prod", "shop.example.com", ingress_mode="both")
    assert not [
        r for r in run.by_type("azure-native:dns:RecordSet") if r.name == "shop-gateway-host"
    ]
    assert set(run.outputs["publicGatewayFrontends"]) == {"shop"}


def test_a_public_aks_host_at_the_zone_apex_is_refused_before_anything_is_registered() -> None:
    with pytest.raises(ProgramFailed) as caught:
        _public_run("prod", "example.com")
    assert caught.value.run.resources == []
    message = str(caught.value.cause)
    assert "example.com" in message
    assert "zone apex cannot be a CNAME" in message
    assert "www.example.com" in message
