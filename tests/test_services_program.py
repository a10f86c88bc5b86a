"""The whole program with the reference application, both stacks, under mocks."""

from __future__ import annotations

import dataclasses
import json
from typing import Any

import pytest

from infra.preview.engine import OfflineRun, Registration
from infra.preview.stackfile import StackConfig, read_stack
from infra.services.loader import load_applications
from infra.services.spec import Target
from tests.fixtures import run_with_config_secret
from tests.k8s_schema import validate_object

STACKS = ("dev", "prod")


def kubernetes_objects(run: OfflineRun) -> list[Registration]:
    return [r for r in run.resources if r.type.startswith("kubernetes:") and r.custom]


def as_object(registration: Registration) -> dict[str, Any]:
    return {k: v for k, v in registration.inputs.items() if not k.startswith("__")}


@pytest.mark.parametrize("stack", STACKS)
def test_every_registered_kubernetes_object_is_schema_valid(
    runs: dict[str, OfflineRun], stack: str
) -> None:
    objects = kubernetes_objects(runs[stack])
    assert len(objects) > 30
    for registration in objects:
        validate_object(as_object(registration))


@pytest.mark.parametrize("stack", STACKS)
def test_kubernetes_objects_go_through_the_cluster_provider(
    runs: dict[str, OfflineRun], stack: str
) -> None:
    provider = runs[stack].one("pulumi:providers:kubernetes").urn
    for registration in kubernetes_objects(runs[stack]):
        assert registration.provider == provider, registration.name


@pytest.mark.parametrize("stack", STACKS)
def test_every_service_is_a_component_on_its_target(
    runs: dict[str, OfflineRun], stack: str
) -> None:
    run = runs[stack]
    declared = {s.name: s.target for a in load_applications() for s in a.services}
    assert len(declared) >= 8
    assert {Target.AKS, Target.CONTAINER_APPS} <= set(declared.values())
    token = {
        Target.AKS: "platform:services:AksService",
        Target.CONTAINER_APPS: "platform:services:ContainerAppService",
    }
    for name, target in declared.items():
        run.one(token[target], name)
    apps = {r.inputs["containerAppName"] for r in run.by_type("azure-native:app:ContainerApp")}
    assert apps == {n for n, t in declared.items() if t is Target.CONTAINER_APPS}


def test_container_app_pulls_with_identity_after_acrpull_is_granted(dev: OfflineRun) -> None:
    web = dev.one("azure-native:app:ContainerApp", "web")
    registry = web.inputs["configuration"]["registries"][0]
    assert registry["server"] == "shopdevacr.azurecr.io"
    assert registry["identity"].endswith("/userassignedidentities/registry-pull")
    assert "passwordSecretRef" not in registry
    pull_grant = dev.one("azure-native:authorization:RoleAssignment", "registry-pull-acrpull")
    wait = dev.one("time:index/sleep:Sleep", "registry-pull-propagation")
    assert wait.urn in web.depends_on, "the app waits until AcrPull has propagated"
    assert pull_grant.urn in wait.depends_on
    assert web.inputs["managedEnvironmentId"].endswith("/managedenvironments/container-apps-env")
    assert web.inputs["configuration"]["ingress"]["allowInsecure"] is False


def test_service_identity_federated_with_its_service_account(dev: OfflineRun) -> None:
    federation = dev.one(
        "azure-native:managedidentity:FederatedIdentityCredential", "ordering-api-federation"
    )
    assert federation.inputs["subject"] == "system:serviceaccount:storefront:ordering-api"
    assert federation.inputs["audiences"] == ["api://AzureADTokenExchange"]
    assert federation.inputs["issuer"].startswith("https://westeurope.oic.prod-aks.azure.com/")
    account = dev.one("kubernetes:core/v1:ServiceAccount", "storefront-ordering-api")
    client_id = dev.one(
        "azure-native:managedidentity:UserAssignedIdentity", "ordering-api-identity"
    )
    assert account.inputs["metadata"]["annotations"]["azure.workload.identity/client-id"]
    assert client_id.parent.endswith("::ordering-api")


def test_roles_are_exactly_what_was_declared_on_the_narrowest_scope(
    dev: OfflineRun, prod: OfflineRun
) -> None:
    grant = dev.one("azure-native:authorization:RoleAssignment", "ordering-api-role-0")
    assert grant.inputs["roleDefinitionId"].endswith("/69a216fc-b8fb-44d8-bc22-1f3c2cd27a39")
    assert grant.inputs["scope"] == (
        "/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/rg-storefront-messaging-dev"
        "/providers/Microsoft.ServiceBus/namespaces/sb-storefront-dev/queues/orders"
    )
    assert (
        prod.one("azure-native:authorization:RoleAssignment", "ordering-api-role-0")
        .inputs["scope"]
        .count("-prod")
        == 2
    )
    secret = dev.one(
        "azure-native:authorization:RoleAssignment", "catalog-api-secret-catalog-db-password"
    )
    assert secret.inputs["scope"].endswith("/vaults/kv-shop-dev/secrets/catalog-db-password")
    roles = [
        r.name
        for r in dev.by_type("azure-native:authorization:RoleAssignment")
        if r.name.startswith("basket-api")
    ]
    assert roles == [], "a service that declared nothing gets nothing"


def test_container_apps_caller_reaches_aks_through_private_dns(dev: OfflineRun) -> None:
    record = dev.one("azure-native:privatedns:PrivateRecordSet", "catalog-api-private-dns")
    assert record.inputs["relativeRecordSetName"] == "catalog-api.storefront"
    assert record.inputs["privateZoneName"] == "dev.shop.internal"
    assert record.inputs["aRecords"][0]["ipv4Address"].startswith("10.")
    web = dev.one("azure-native:app:ContainerApp", "web")
    env = {e["name"]: e.get("value") for e in web.inputs["template"]["containers"][0]["env"]}
    # catalog-api serves its container port 8080 as Service port 80 (the URL default).
    assert env["CATALOG_URL"] == "http://catalog-api.storefront.dev.shop.internal"
    # In-environment callers get the TLS address (http:// would be redirected); identity-api
    # has AKS callers too, so its ingress is external: <app>.<domain>.
    domain = dev.outputs["containerAppsDefaultDomain"]
    assert env["IDENTITY_URL"] == f"https://identity-api.{domain}"


def test_prod_web_binds_its_certificate(prod: OfflineRun) -> None:
    certificate = prod.one("azure-native:app:Certificate", "web-certificate")
    assert (
        certificate.inputs["properties"]["certificateKeyVaultProperties"]["keyVaultUrl"]
        == "https://kv-shop-prod.vault.azure.net/secrets/shop-example-com"
    )
    web = prod.one("azure-native:app:ContainerApp", "web")
    assert web.inputs["configuration"]["ingress"]["customDomains"][0]["name"] == "shop.example.com"


def test_a_config_secret_value_never_appears_in_the_plan() -> None:
    value = "pl41n-t3xt-n3v3r-sh0wn"
    run = run_with_config_secret(value)
    text = json.dumps([dataclasses.asdict(r) for r in run.resources]) + json.dumps(run.outputs)
    assert value not in text
    secret = run.one("kubernetes:core/v1:Secret", "extra-aks-api-config")
    assert secret.inputs["stringData"] == "[secret]"
    configuration = run.one("azure-native:app:ContainerApp", "aca-api").inputs["configuration"]
    # Secret per value: the secret is masked, its siblings stay reviewable.
    assert configuration["secrets"] == [{"name": "api-token", "value": "[secret]"}]
    assert configuration["registries"][0]["server"] == "shopdevacr.azurecr.io"


def test_stack_config_is_what_the_platform_reads(dev: OfflineRun) -> None:
    assert isinstance(read_stack("dev"), StackConfig)
    assert dev.outputs["aksEgressIp"].count(".") == 3
    assert dev.outputs["keyVaultUri"] == "https://kv-shop-dev.vault.azure.net/"
