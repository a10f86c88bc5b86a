"""AKS rendering: every object schema-valid, and every security/availability default asserted."""

from __future__ import annotations

from typing import Any

import pytest

from infra.config import Environment
from infra.services.catalog import Catalog
from infra.services.render.aks import ServiceSecrets, namespace_objects, render_on_aks
from infra.services.render.common import PlatformExtensions
from infra.services.spec import (
    ConfigSecret,
    Dependency,
    Exposure,
    Ingress,
    Port,
    ServiceSpec,
    Target,
    Tls,
)
from tests.fixtures import NO_EXTENSIONS, catalog_of, facts, reference_catalog
from tests.k8s_schema import validate_object

CLIENT_ID = "33333333-3333-3333-3333-333333333333"


def render(
    catalog: Catalog,
    name: str,
    *,
    environment: Environment = Environment.DEV,
    extensions: PlatformExtensions = NO_EXTENSIONS,
    secrets: dict[str, Any] | None = None,
    client_id: str | None = CLIENT_ID,
) -> dict[str, dict[str, Any]]:
    objects = render_on_aks(
        catalog.get(name),
        catalog=catalog,
        facts=facts(environment),
        extensions=extensions,
        client_id=client_id,
        secrets=ServiceSecrets(config_values=secrets or {}),
    )
    return {f"{o['kind']}/{o['metadata']['name']}": o for o in objects}


@pytest.mark.parametrize("environment", [Environment.DEV, Environment.PROD])
def test_every_rendered_object_is_schema_valid(environment: Environment) -> None:
    catalog = reference_catalog(environment)
    aks = [s for s in catalog.services if s.spec.target is Target.AKS]
    assert len(aks) >= 5
    count = 0
    for service in aks:
        for obj in render(catalog, service.name, environment=environment).values():
            validate_object(obj)
            count += 1
    for obj in namespace_objects("storefront", NO_EXTENSIONS):
        validate_object(obj)
    assert count > 30


def test_schema_validation_catches_a_misspelt_field() -> None:
    catalog = reference_catalog()
    deployment = render(catalog, "catalog-api")["Deployment/catalog-api"]
    deployment["spec"]["template"]["spec"]["containers"][0]["imagee"] = "x"
    with pytest.raises(Exception, match="imagee"):
        validate_object(deployment)
    scaled = render(catalog, "notification-service")["ScaledObject/notification-service"]
    scaled["spec"]["minReplicas"] = 1
    with pytest.raises(Exception, match="minReplicas"):
        validate_object(scaled)


def pod_of(objects: dict[str, dict[str, Any]], name: str) -> dict[str, Any]:
    return objects[f"Deployment/{name}"]["spec"]["template"]["spec"]


def test_restricted_security_context_and_no_api_token() -> None:
    pod = pod_of(render(reference_catalog(), "catalog-api"), "catalog-api")
    assert pod["automountServiceAccountToken"] is False
    assert pod["securityContext"]["runAsNonRoot"] is True
    assert pod["securityContext"]["seccompProfile"] == {"type": "RuntimeDefault"}
    container = pod["containers"][0]
    assert container["securityContext"] == {
        "allowPrivilegeEscalation": False,
        "readOnlyRootFilesystem": True,
        "runAsNonRoot": True,
        "privileged": False,
        "capabilities": {"drop": ["ALL"]},
        "seccompProfile": {"type": "RuntimeDefault"},
    }
    mounts = {m["mountPath"] for m in container["volumeMounts"]}
    assert "/tmp" in mounts, "a writable temp dir beside the read-only root filesystem"
    assert "hostNetwork" not in pod
    assert all("hostPath" not in v for v in pod["volumes"])


def test_requests_equal_limits() -> None:
    container = pod_of(render(reference_catalog(), "catalog-api"), "catalog-api")["containers"][0]
    assert container["resources"] == {
        "requests": {"cpu": "500m", "memory": "1024Mi"},
        "limits": {"cpu": "500m", "memory": "1024Mi"},
    }


def test_rolling_update_never_drops_below_desired_ready() -> None:
    spec = render(reference_catalog(), "catalog-api")["Deployment/catalog-api"]["spec"]
    assert spec["strategy"]["rollingUpdate"]["maxUnavailable"] == 0
    assert spec["strategy"]["rollingUpdate"]["maxSurge"] == "25%"
    pod = spec["template"]["spec"]
    assert pod["containers"][0]["readinessProbe"]["httpGet"]["path"] == "/healthz/ready"
    assert pod["containers"][0]["lifecycle"]["preStop"]["sleep"]["seconds"] > 0
    assert pod["terminationGracePeriodSeconds"] >= 30


def test_autoscaled_deployment_leaves_replicas_to_the_hpa() -> None:
    objects = render(reference_catalog(), "catalog-api")
    assert "replicas" not in objects["Deployment/catalog-api"]["spec"]
    hpa = objects["HorizontalPodAutoscaler/catalog-api"]["spec"]
    assert (hpa["minReplicas"], hpa["maxReplicas"]) == (2, 6)
    assert hpa["metrics"][0]["resource"] == {
        "name": "cpu",
        "target": {"type": "Utilization", "averageUtilization": 70},
    }
    fixed = render(reference_catalog(), "admin-web")
    assert fixed["Deployment/admin-web"]["spec"]["replicas"] == 2
    assert "HorizontalPodAutoscaler/admin-web" not in fixed


def test_queue_scaling_uses_keda_with_workload_identity_and_no_hpa() -> None:
    objects = render(reference_catalog(), "notification-service")
    assert "HorizontalPodAutoscaler/notification-service" not in objects
    scaled = objects["ScaledObject/notification-service"]["spec"]
    trigger = scaled["triggers"][0]
    assert trigger["type"] == "azure-queue"
    assert trigger["metadata"] == {
        "accountName": "ststorefrontdev",
        "queueName": "notifications",
        "queueLength": "5",
    }
    auth = objects[f"TriggerAuthentication/{trigger['authenticationRef']['name']}"]
    assert auth["spec"]["podIdentity"] == {"provider": "azure-workload", "identityId": CLIENT_ID}
    assert "replicas" not in objects["Deployment/notification-service"]["spec"]


def test_pod_disruption_budget_only_with_more_than_one_replica() -> None:
    objects = render(reference_catalog(), "catalog-api")
    assert objects["PodDisruptionBudget/catalog-api"]["spec"]["maxUnavailable"] == 1
    single = catalog_of(ServiceSpec(name="one", image="one:1.0", target=Target.AKS, replicas=1))
    assert not any(k.startswith("PodDisruptionBudget/") for k in render(single, "one"))


def test_spread_over_zones_and_nodes() -> None:
    prod_pod = pod_of(
        render(reference_catalog(Environment.PROD), "catalog-api", environment=Environment.PROD),
        "catalog-api",
    )
    keys = {c["topologyKey"]: c["whenUnsatisfiable"] for c in prod_pod["topologySpreadConstraints"]}
    assert keys == {
        "topology.kubernetes.io/zone": "DoNotSchedule",
        "kubernetes.io/hostname": "ScheduleAnyway",
    }


def test_workload_identity_federation_on_service_account_and_pod() -> None:
    objects = render(reference_catalog(), "ordering-api")
    account = objects["ServiceAccount/ordering-api"]
    assert account["metadata"]["annotations"]["azure.workload.identity/client-id"] == CLIENT_ID
    assert account["automountServiceAccountToken"] is False
    labels = objects["Deployment/ordering-api"]["spec"]["template"]["metadata"]["labels"]
    assert labels["azure.workload.identity/use"] == "true"
    plain = render(reference_catalog(), "basket-api", client_id=None)
    assert "annotations" not in plain["ServiceAccount/basket-api"]["metadata"]


def test_key_vault_secrets_through_the_csi_driver() -> None:
    objects = render(reference_catalog(), "catalog-api")
    spc = objects["SecretProviderClass/catalog-api-kv0"]["spec"]
    assert spc["parameters"]["clientID"] == CLIENT_ID
    assert spc["parameters"]["keyvaultName"] == "kv-shop-dev"
    assert "objectName: catalog-db-password" in spc["parameters"]["objects"]
    container = pod_of(objects, "catalog-api")["containers"][0]
    env = {e["name"]: e for e in container["env"]}
    assert env["CATALOG_DB_PASSWORD"]["valueFrom"]["secretKeyRef"] == {
        "name": "catalog-api-kv0",
        "key": "CATALOG_DB_PASSWORD",
    }


def test_config_secret_becomes_a_kubernetes_secret_reference() -> None:
    catalog = catalog_of(
        ServiceSpec(
            name="api",
            image="api:1.0",
            target=Target.AKS,
            ports=(Port(name="http", number=8080),),
            secrets={"API_TOKEN": ConfigSecret(key="api-token")},
        ),
        secrets={"secrets:api-token": True},
    )
    objects = render(catalog, "api", secrets={"API_TOKEN": "s3cr3t"}, client_id=None)
    assert objects["Secret/api-config"]["stringData"] == {"API_TOKEN": "s3cr3t"}
    env = {e["name"]: e for e in pod_of(objects, "api")["containers"][0]["env"]}
    assert env["API_TOKEN"] == {
        "name": "API_TOKEN",
        "valueFrom": {"secretKeyRef": {"name": "api-config", "key": "API_TOKEN"}},
    }
    for obj in objects.values():
        validate_object(obj)


def test_network_policy_allows_declared_callers_only() -> None:
    catalog = reference_catalog()
    policy = render(catalog, "catalog-api")["NetworkPolicy/catalog-api"]["spec"]
    sources = policy["ingress"][0]["from"]
    callers = {
        s["podSelector"]["matchLabels"]["app.kubernetes.io/name"]
        for s in sources
        if "podSelector" in s
    }
    assert callers == {"admin-web", "catalog-reindex", "stock-sync"}, "a job is a caller too"
    assert {"ipBlock": {"cidr": "10.20.8.0/23"}} in sources, (
        "web (Container Apps) calls catalog-api"
    )
    # Container ports: the policy applies after the Service maps port 80 to 8080; callers get
    # the port their dependency names (http), not the metrics port.
    assert policy["ingress"][0]["ports"] == [{"port": 8080, "protocol": "TCP"}]
    namespace_deny = namespace_objects("storefront", NO_EXTENSIONS)[1]
    assert namespace_deny["spec"] == {"podSelector": {}, "policyTypes": ["Ingress"]}


def test_services_called_from_container_apps_get_an_internal_load_balancer() -> None:
    catalog = reference_catalog()
    catalog_service = render(catalog, "catalog-api")["Service/catalog-api"]
    assert catalog_service["spec"]["type"] == "LoadBalancer"
    assert catalog_service["spec"]["externalTrafficPolicy"] == "Local"
    assert (
        catalog_service["metadata"]["annotations"][
            "service.beta.kubernetes.io/azure-load-balancer-internal"
        ]
        == "true"
    )
    admin = render(catalog, "admin-web")["Service/admin-web"]
    assert admin["spec"]["type"] == "ClusterIP"


def test_dependency_addresses_across_targets() -> None:
    catalog = reference_catalog()
    ordering = {
        e["name"]: e.get("value")
        for e in pod_of(render(catalog, "ordering-api"), "ordering-api")["containers"][0]["env"]
    }
    assert ordering["BASKET_ADDR"] == "basket-api.storefront.svc.cluster.local:50051"
    assert (
        ordering["PAYMENT_URL"]
        == "https://payment-api.happy-hill-1234.westeurope.azurecontainerapps.io"
    )
    assert (
        ordering["IDENTITY_API_URL"]
        == "https://identity-api.happy-hill-1234.westeurope.azurecontainerapps.io"
    )


def test_ingress_public_needs_tls_and_internal_uses_internal_class() -> None:
    catalog = catalog_of(
        ServiceSpec(
            name="shop",
            image="shop:1.0",
            target=Target.AKS,
            ports=(Port(name="http", number=8080),),
            ingress=Ingress(
                exposure=Exposure.PUBLIC,
                host="shop.example.com",
                tls=Tls(
                    key_vault_certificate_uri="https://kv-shop-dev.vault.azure.net/certificates/shop"
                ),
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
    )
    public = render(catalog, "shop")["Ingress/shop"]
    assert public["spec"]["ingressClassName"] == "webapprouting.kubernetes.azure.com"
    assert public["metadata"]["annotations"]["kubernetes.azure.com/tls-cert-keyvault-uri"].endswith(
        "/certificates/shop"
    )
    assert public["spec"]["tls"] == [{"hosts": ["shop.example.com"], "secretName": "keyvault-shop"}]
    internal = render(catalog, "admin")["Ingress/admin"]
    assert internal["spec"]["ingressClassName"] == "nginx-internal"
    policy = render(catalog, "shop")["NetworkPolicy/shop"]["spec"]["ingress"][0]["from"]
    assert {
        "namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": "app-routing-system"}}
    } in policy
    for name in ("shop", "admin"):
        for obj in render(catalog, name).values():
            validate_object(obj)


def test_namespace_enforces_restricted_pod_security() -> None:
    namespace = namespace_objects("storefront", NO_EXTENSIONS)[0]
    assert namespace["metadata"]["labels"]["pod-security.kubernetes.io/enforce"] == "restricted"


def test_platform_extensions_reach_every_object_without_touching_apps() -> None:
    def stamp(obj: dict[str, Any]) -> dict[str, Any]:
        obj["metadata"].setdefault("labels", {})["stamped"] = "yes"
        return obj

    extensions = PlatformExtensions(
        labels={"company.io/team": "platform"},
        node_selector={"kubernetes.azure.com/os-sku": "AzureLinux"},
        tolerations=(
            {"key": "dedicated", "operator": "Equal", "value": "apps", "effect": "NoSchedule"},
        ),
        kubernetes_hooks=(stamp,),
    )
    objects = render(reference_catalog(), "catalog-api", extensions=extensions)
    assert all(o["metadata"]["labels"]["stamped"] == "yes" for o in objects.values())
    pod = pod_of(objects, "catalog-api")
    assert pod["nodeSelector"]["kubernetes.azure.com/os-sku"] == "AzureLinux"
    assert pod["tolerations"][0]["key"] == "dedicated"
    assert objects["Deployment/catalog-api"]["metadata"]["labels"]["company.io/team"] == "platform"
    for obj in objects.values():
        validate_object(obj)


def test_every_kubernetes_object_carries_the_platform_labels(dev: Any) -> None:
    """README (extension points): the platform's labels go on every Kubernetes object, including
    those no single service owns (the namespace's default-deny policy, the internal ingress
    controller) and the Key Vault SecretProviderClasses. Helm releases label their own objects."""
    unlabelled = [
        f"{r.type} {r.name}"
        for r in dev.resources
        if r.type.startswith("kubernetes:")
        and r.type != "kubernetes:helm.sh/v4:Chart"
        and ((r.inputs.get("metadata") or {}).get("labels") or {}).get("platform.io/managed")
        != "true"
    ]
    assert unlabelled == []
