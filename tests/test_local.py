"""The local stack: the same apps on a developer's Kubernetes, no Azure resources."""

from __future__ import annotations

from typing import Any

import pytest

from infra.preview.engine import OfflineRun, run_offline
from infra.preview.stackfile import read_stack
from infra.program import build
from infra.services.loader import load_applications
from tests.k8s_schema import validate_object


@pytest.fixture(scope="module")
def local() -> OfflineRun:
    return run_offline(read_stack("local"), build)


def _pod(run: OfflineRun, name: str) -> dict[str, Any]:
    return run.one("kubernetes:apps/v1:Deployment", f"storefront-{name}").inputs["spec"][
        "template"
    ]["spec"]


def test_no_azure_resource_is_registered(local: OfflineRun) -> None:
    assert [r.type for r in local.resources if r.type.startswith("azure-native:")] == []
    provider = local.one("pulumi:providers:kubernetes", "local")
    assert provider.inputs["context"] == "kind-platform"


@pytest.mark.slow
def test_every_service_runs_as_kubernetes_objects_that_validate(local: OfflineRun) -> None:
    declared = {s.name for a in load_applications() for s in a.services}
    deployments = {
        r.inputs["metadata"]["name"] for r in local.by_type("kubernetes:apps/v1:Deployment")
    }
    assert deployments == declared, "Container Apps services run as Deployments locally"
    objects = [
        r
        for r in local.resources
        if r.type.startswith("kubernetes:") and r.custom and r.type != "kubernetes:helm.sh/v4:Chart"
    ]
    assert len(objects) > 40
    for registration in objects:
        validate_object(registration.inputs)
    assert local.one("kubernetes:helm.sh/v4:Chart", "basket-valkey").inputs["version"]


def test_same_scaling_intent_translated(local: OfflineRun) -> None:
    web = local.one("kubernetes:autoscaling/v2:HorizontalPodAutoscaler", "storefront-web").inputs[
        "spec"
    ]
    assert web["metrics"][0]["resource"]["target"]["averageUtilization"] == 70, (
        "HTTP concurrency → CPU"
    )
    assert web["minReplicas"] == 1
    worker = local.one("kubernetes:apps/v1:Deployment", "storefront-order-worker").inputs["spec"]
    assert worker["replicas"] == 1, "a queue-driven worker runs one replica locally"
    assert not local.by_type("kubernetes:keda.sh/v1alpha1:ScaledObject")


def test_local_ingress_secrets_and_scheduling(local: OfflineRun) -> None:
    assert not local.by_type("kubernetes:networking.k8s.io/v1:Ingress")
    route = local.one("kubernetes:gateway.networking.k8s.io/v1:HTTPRoute", "storefront-web")
    assert route.inputs["spec"]["hostnames"] == ["web.localtest.me"]
    assert route.inputs["spec"]["parentRefs"][0]["name"] == "local"
    pod = _pod(local, "catalog-api")
    env = {e["name"]: e for e in pod["containers"][0]["env"]}
    assert env["CATALOG_DB_PASSWORD"]["valueFrom"]["secretKeyRef"] == {
        "name": "catalog-api-secrets",
        "key": "CATALOG_DB_PASSWORD",
        "optional": True,
    }
    assert "platform.io/pool" not in pod.get("nodeSelector", {})
    assert all("csi" not in v for v in pod["volumes"])
    assert pod["containers"][0]["image"] == "localhost:5001/storefront/catalog-api:1.14.0"
    account = local.one("kubernetes:core/v1:ServiceAccount", "storefront-ordering-api").inputs
    assert (
        "annotations" not in account["metadata"]
        or "azure.workload.identity/client-id" not in account["metadata"]["annotations"]
    )
    env = {e["name"]: e.get("value") for e in _pod(local, "web")["containers"][0]["env"]}
    assert env["CATALOG_URL"] == "http://catalog-api.storefront.svc.cluster.local"  # port 80
    assert local.outputs["hosts"] == ["http://admin-web.localtest.me", "http://web.localtest.me"]
