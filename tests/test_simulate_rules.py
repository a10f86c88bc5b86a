"""Each rule of the deploy simulator: a small plan that breaks it is refused with the rule's id,
and the same plan put right is not."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from infra.preview.mocks import DEPLOYER_OBJECT_ID, app_routing_object_id
from infra.simulate import RULES, Grant, Plan, World, replay
from infra.simulate.azure import (
    KEY_VAULT_SECRETS_OFFICER,
    KEY_VAULT_SECRETS_USER,
    SERVICE_BUS_DATA_OWNER,
    STORAGE_QUEUE_DATA_READER,
)
from infra.simulate.bootstrap import bootstrap
from tests.simulate_builders import (
    CLUSTER_ID,
    CLUSTER_TOKEN,
    CLUSTER_VERSION,
    IDENTITY_TOKEN,
    K8S,
    RA_TOKEN,
    REGISTRY_ID,
    RG,
    VAULT_ID,
    acr_pull,
    admin_grant,
    aks_access,
    client,
    cluster,
    container_app,
    grant,
    identity,
    identity_id,
    k8s,
    plan,
    principal,
    provider,
    refusals,
    res,
    rules_of,
    secret_reader,
    sleep,
    urn,
)

NAMESPACE = "kubernetes:core/v1:Namespace"
SCALED_OBJECT = "kubernetes:keda.sh/v1alpha1:ScaledObject"
TRIGGER_AUTH = "kubernetes:keda.sh/v1alpha1:TriggerAuthentication"
FIC = "azure-native:managedidentity:FederatedIdentityCredential"
SERVICE_BUS_RECEIVER = "4f6d3b9b-027b-4f4c-9142-0e5a2a2247e0"
STORAGE_QUEUE_MESSAGE_PROCESSOR = "8a0f0c08-91a1-4084-bc3d-661d67233fed"


def with_secret(*names: str) -> World:
    return World(secrets={("kv-t", n) for n in names})


def test_every_rule_names_what_is_refused_and_its_source() -> None:
    assert len(RULES) >= 14
    for rule in RULES.values():
        assert rule.refuses, rule.id
        assert rule.source, rule.id
        assert rule.check.__doc__, rule.id


# --- aks-rbac-cluster-admin ----------------------------------------------------------------


def test_kubernetes_object_without_the_deployers_cluster_admin_is_refused() -> None:
    p = plan(cluster(), provider(), k8s(NAMESPACE, "ns", {"metadata": {"name": "shop"}}))
    found = [r for r in refusals(p) if r.rule == "aks-rbac-cluster-admin"]
    assert [r.resource for r in found] == ["Namespace ns"]
    assert "403" in found[0].why
    assert "Sleep" in found[0].fix


def test_kubernetes_object_right_after_the_grant_is_refused_for_propagation() -> None:
    p = plan(
        cluster(),
        admin_grant(),
        provider(deps=(urn(RA_TOKEN, "aks-deployer-cluster-admin"),)),
        k8s(NAMESPACE, "ns", {}),
    )
    (found,) = [r for r in refusals(p) if r.rule == "aks-rbac-cluster-admin"]
    assert "only guaranteed 0 s old" in found.why


def test_a_grant_the_provider_does_not_wait_for_is_a_race_and_refused() -> None:
    p = plan(cluster(), admin_grant(), provider(), k8s(NAMESPACE, "ns", {}))
    assert "aks-rbac-cluster-admin" in rules_of(p)


def test_a_sleep_shorter_than_propagation_is_refused() -> None:
    p = plan(*aks_access("60s"), k8s(NAMESPACE, "ns", {}))
    assert "aks-rbac-cluster-admin" in rules_of(p)


def test_kubernetes_object_after_grant_and_propagation_sleep_is_accepted() -> None:
    p = plan(*aks_access("5m"), k8s(NAMESPACE, "ns", {}))
    assert refusals(p) == []


def test_local_cluster_objects_need_no_azure_grant() -> None:
    local = res("pulumi:providers:kubernetes", "local", {"context": "kind-platform"})
    p = plan(local, res(NAMESPACE, "ns", {}, provider=local["urn"]))
    assert refusals(p) == []


# --- keyvault-secret-missing / keyvault-reader-grant -----------------------------------------


def kv_app(deps: tuple[str, ...] = ()) -> dict[str, Any]:
    return container_app(
        "api",
        secrets=[
            {
                "name": "db",
                "keyVaultUrl": "https://kv-t.vault.azure.net/secrets/db-password",
                "identity": identity_id("api-identity"),
            }
        ],
        deps=deps,
    )


def granted_app(sleep_for: str = "300s") -> list[dict[str, Any]]:
    reader = secret_reader("api-reads-db", "api-identity", "db-password")
    wait = sleep("api-rbac-propagation", sleep_for, (reader["urn"],))
    return [identity("api-identity"), reader, wait, kv_app(deps=(wait["urn"],))]


def test_container_app_reading_a_secret_the_vault_lacks_is_refused() -> None:
    found = [r for r in refusals(plan(*granted_app())) if r.rule == "keyvault-secret-missing"]
    assert [r.resource for r in found] == ["ContainerApp api"]
    assert "az keyvault secret set --vault-name kv-t --name db-password" in found[0].fix


def test_container_app_reading_a_seeded_secret_is_accepted() -> None:
    assert refusals(plan(*granted_app()), with_secret("db-password")) == []


def test_secret_created_by_the_plan_before_the_reader_counts() -> None:
    secret = res(
        "azure-native:keyvault:Secret", "db", {"vaultName": "kv-t", "secretName": "db-password"}
    )
    reader = secret_reader("api-reads-db", "api-identity", "db-password")
    wait = sleep("wait", "300s", (reader["urn"],))
    p = plan(
        identity("api-identity"), secret, reader, wait, kv_app(deps=(wait["urn"], secret["urn"]))
    )
    assert "keyvault-secret-missing" not in rules_of(p)


def test_secret_reader_without_a_grant_is_refused() -> None:
    p = plan(identity("api-identity"), kv_app())
    (found,) = [
        r for r in refusals(p, with_secret("db-password")) if r.rule == "keyvault-reader-grant"
    ]
    assert "api-identity" in found.why
    assert "no read grant" in found.why


def test_secret_reader_granted_on_another_secret_is_refused() -> None:
    reader = secret_reader("api-reads-other", "api-identity", "other")
    wait = sleep("wait", "300s", (reader["urn"],))
    p = plan(identity("api-identity"), reader, wait, kv_app(deps=(wait["urn"],)))
    assert "keyvault-reader-grant" in rules_of(p, with_secret("db-password"))


def test_secret_reader_granted_without_propagation_is_refused() -> None:
    reader = secret_reader("api-reads-db", "api-identity", "db-password")
    p = plan(identity("api-identity"), reader, kv_app(deps=(reader["urn"],)))
    assert "keyvault-reader-grant" in rules_of(p, with_secret("db-password"))


def test_vault_wide_grant_made_before_the_run_is_accepted() -> None:
    world = with_secret("db-password")
    world.grants.append(Grant(principal("api-identity"), KEY_VAULT_SECRETS_USER, VAULT_ID.lower()))
    assert refusals(plan(identity("api-identity"), kv_app()), world) == []


def spc_workload(deps: tuple[str, ...] = ()) -> list[dict[str, Any]]:
    spc = k8s(
        "kubernetes:secrets-store.csi.x-k8s.io/v1:SecretProviderClass",
        "api-kv",
        {
            "metadata": {"name": "api-kv", "namespace": "shop"},
            "spec": {
                "parameters": {
                    "clientID": client("api-identity"),
                    "keyvaultName": "kv-t",
                    "objects": "array:\n  - |\n    objectName: db-password\n    objectType: secret\n",
                }
            },
        },
    )
    deployment = k8s(
        "kubernetes:apps/v1:Deployment",
        "api",
        {
            "metadata": {"name": "api", "namespace": "shop"},
            "spec": {
                "template": {
                    "spec": {
                        "containers": [{"name": "api", "image": "nginx:1"}],
                        "volumes": [
                            {
                                "name": "kv",
                                "csi": {
                                    "driver": "secrets-store.csi.k8s.io",
                                    "volumeAttributes": {"secretProviderClass": "api-kv"},
                                },
                            }
                        ],
                    }
                }
            },
        },
        deps=(spc["urn"], *deps),
    )
    return [spc, deployment]


def test_pod_mounting_a_secret_provider_class_needs_the_secret_and_the_grant() -> None:
    p = plan(*aks_access(), identity("api-identity"), *spc_workload())
    found = {(r.rule, r.resource) for r in refusals(p)}
    assert found == {
        ("keyvault-secret-missing", "Deployment api"),
        ("keyvault-reader-grant", "Deployment api"),
    }


def test_pod_mounting_a_secret_provider_class_after_grant_and_sleep_is_accepted() -> None:
    reader = secret_reader("api-reads-db", "api-identity", "db-password")
    wait = sleep("api-rbac-propagation", "300s", (reader["urn"],))
    p = plan(*aks_access(), identity("api-identity"), reader, wait, *spc_workload((wait["urn"],)))
    assert refusals(p, with_secret("db-password")) == []


def tls_ingress(deps: tuple[str, ...] = ()) -> dict[str, Any]:
    annotation = {
        "kubernetes.azure.com/tls-cert-keyvault-uri": "https://kv-t.vault.azure.net/certificates/web"
    }
    return k8s(
        "kubernetes:networking.k8s.io/v1:Ingress",
        "web",
        {"metadata": {"name": "web", "namespace": "shop", "annotations": annotation}},
        deps=deps,
    )


def test_app_routing_tls_certificate_needs_the_add_on_identitys_grant() -> None:
    p = plan(*aks_access(), tls_ingress())
    assert rules_of(p, World(secrets={("kv-t", "web")})) == {"keyvault-reader-grant"}


def test_app_routing_tls_certificate_with_certificate_user_is_accepted() -> None:
    world = World(secrets={("kv-t", "web")}, certificates={("kv-t", "web")})
    world.grants.append(
        Grant(
            app_routing_object_id("aks-cluster"),
            "db79e9a7-68ee-4b58-9aeb-b90e7c24fcba",
            VAULT_ID.lower(),
        )
    )
    assert refusals(plan(*aks_access(), tls_ingress()), world) == []


# --- aca-certificate-url -------------------------------------------------------------------


def certificate(url: str) -> dict[str, Any]:
    return res(
        "azure-native:app:Certificate",
        "web-certificate",
        {
            "properties": {
                "certificateKeyVaultProperties": {
                    "identity": identity_id("certs"),
                    "keyVaultUrl": url,
                }
            }
        },
    )


def test_certificate_url_of_the_certificates_endpoint_is_refused() -> None:
    world = World(secrets={("kv-t", "shop")})
    world.grants.append(Grant(principal("certs"), KEY_VAULT_SECRETS_USER, VAULT_ID.lower()))
    p = plan(identity("certs"), certificate("https://kv-t.vault.azure.net/certificates/shop"))
    assert rules_of(p, world) == {"aca-certificate-url"}


def test_certificate_url_of_the_secrets_endpoint_is_accepted() -> None:
    world = World(secrets={("kv-t", "shop")})
    world.grants.append(Grant(principal("certs"), KEY_VAULT_SECRETS_USER, VAULT_ID.lower()))
    p = plan(identity("certs"), certificate("https://kv-t.vault.azure.net/secrets/shop"))
    assert refusals(p, world) == []


# --- registry-image-missing / registry-pull-grant ------------------------------------------

REGISTRY = res("azure-native:containerregistry:Registry", "registry-acr", {"registryName": "tacr"})
IMAGE = "tacr.azurecr.io/shop/api:1.0"


def pulling_app(deps: tuple[str, ...] = ()) -> dict[str, Any]:
    return container_app(
        "api",
        registries=[{"server": "tacr.azurecr.io", "identity": identity_id("registry-pull")}],
        template={"containers": [{"name": "api", "image": IMAGE}]},
        deps=deps,
    )


def test_image_never_pushed_to_the_platform_registry_is_refused() -> None:
    world = World()
    world.grants.append(
        Grant(
            principal("registry-pull"), "7f951dda-4ed3-4680-a7ca-43fe172d538d", REGISTRY_ID.lower()
        )
    )
    p = plan(REGISTRY, identity("registry-pull"), pulling_app())
    (found,) = refusals(p, world)
    assert found.rule == "registry-image-missing"
    assert IMAGE in found.why


def test_pushed_image_and_public_images_are_accepted() -> None:
    world = World(images={IMAGE})
    world.grants.append(
        Grant(
            principal("registry-pull"), "7f951dda-4ed3-4680-a7ca-43fe172d538d", REGISTRY_ID.lower()
        )
    )
    public = container_app(
        "docs", template={"containers": [{"name": "d", "image": "docker.io/library/nginx:1"}]}
    )
    assert refusals(plan(REGISTRY, identity("registry-pull"), pulling_app(), public), world) == []


def test_pull_identity_without_acrpull_is_refused() -> None:
    p = plan(REGISTRY, identity("registry-pull"), pulling_app())
    assert rules_of(p, World(images={IMAGE})) == {"registry-pull-grant"}


def test_pull_identity_with_acrpull_not_yet_propagated_is_refused() -> None:
    pull = acr_pull("registry-pull-acrpull", principal("registry-pull"))
    p = plan(REGISTRY, identity("registry-pull"), pull, pulling_app((pull["urn"],)))
    assert rules_of(p, World(images={IMAGE})) == {"registry-pull-grant"}


def test_pull_identity_with_propagated_acrpull_is_accepted() -> None:
    pull = acr_pull("registry-pull-acrpull", principal("registry-pull"))
    wait = sleep("registry-pull-propagation", "300s", (pull["urn"],))
    p = plan(REGISTRY, identity("registry-pull"), pull, wait, pulling_app((wait["urn"],)))
    assert refusals(p, World(images={IMAGE})) == []


def test_aks_workload_pulls_with_the_kubelet_identity() -> None:
    from infra.preview.mocks import kubelet_object_id

    deployment = k8s(
        "kubernetes:apps/v1:Deployment",
        "api",
        {
            "metadata": {"name": "api"},
            "spec": {"template": {"spec": {"containers": [{"name": "a", "image": IMAGE}]}}},
        },
    )
    p = plan(REGISTRY, *aks_access(), deployment)
    assert rules_of(p, World(images={IMAGE})) == {"registry-pull-grant"}
    world = World(images={IMAGE})
    world.grants.append(
        Grant(
            kubelet_object_id("aks-cluster"),
            "7f951dda-4ed3-4680-a7ca-43fe172d538d",
            REGISTRY_ID.lower(),
        )
    )
    assert refusals(p, world) == []


# --- crd-addon-disabled / crd-not-registered ------------------------------------------------


def scaled_object(deps: tuple[str, ...] = ()) -> dict[str, Any]:
    return k8s(
        SCALED_OBJECT,
        "api",
        {"metadata": {"name": "api", "namespace": "shop"}, "spec": {"triggers": []}},
        deps,
    )


def test_custom_resource_whose_add_on_is_off_is_refused() -> None:
    off = cluster(workloadAutoScalerProfile={"keda": {"enabled": False}})
    p = plan(off, *aks_access()[1:], scaled_object())
    (found,) = refusals(p)
    assert found.rule == "crd-addon-disabled"
    assert "KEDA" in found.why


def test_custom_resource_whose_add_on_is_on_is_accepted() -> None:
    assert refusals(plan(*aks_access(), scaled_object())) == []


def test_custom_resource_right_after_the_cluster_is_refused() -> None:
    """Granted by a role assignment made before the run, so nothing delays the object."""
    world = World()
    world.grants.append(
        Grant(
            DEPLOYER_OBJECT_ID,
            "b1ff04bb-8a4e-4dc4-8eb5-8693973ce19b",
            "/subscriptions/00000000-0000-0000-0000-000000000000",
        )
    )
    p = plan(cluster(), provider(), scaled_object())
    assert rules_of(p, world) == {"crd-not-registered"}


def test_custom_resource_on_an_existing_cluster_is_accepted() -> None:
    world = World()
    world.grants.append(
        Grant(
            DEPLOYER_OBJECT_ID,
            "b1ff04bb-8a4e-4dc4-8eb5-8693973ce19b",
            "/subscriptions/00000000-0000-0000-0000-000000000000",
        )
    )
    existing = plan(cluster(), provider())
    world.resources = dict(existing.resources)
    assert refusals(plan(cluster(), provider(), scaled_object()), world) == []


# --- fic-concurrent-writes -------------------------------------------------------------------


def credential(name: str, on: str, subject: str, deps: tuple[str, ...] = ()) -> dict[str, Any]:
    return res(
        FIC,
        name,
        {"resourceGroupName": "rg-t", "resourceName": on, "subject": subject},
        deps=(urn(IDENTITY_TOKEN, on), *deps),
    )


def test_two_unordered_credentials_on_one_identity_are_refused() -> None:
    p = plan(
        identity("worker"),
        credential("worker-federation", "worker", "system:serviceaccount:shop:worker"),
        credential("worker-keda", "worker", "system:serviceaccount:kube-system:keda-operator"),
    )
    (found,) = refusals(p)
    assert found.rule == "fic-concurrent-writes"
    assert "worker" in found.why
    assert "depend on" in found.fix


def test_chained_credentials_and_credentials_on_different_identities_are_accepted() -> None:
    first = credential("worker-federation", "worker", "system:serviceaccount:shop:worker")
    p = plan(
        identity("worker"),
        identity("api"),
        first,
        credential(
            "worker-keda",
            "worker",
            "system:serviceaccount:kube-system:keda-operator",
            (first["urn"],),
        ),
        credential("api-federation", "api", "system:serviceaccount:shop:api"),
    )
    assert refusals(p) == []


# --- keda-operator-federation ----------------------------------------------------------------


def trigger_auth() -> dict[str, Any]:
    return k8s(
        TRIGGER_AUTH,
        "worker-wi",
        {
            "metadata": {"name": "worker-wi", "namespace": "shop"},
            "spec": {"podIdentity": {"provider": "azure-workload", "identityId": client("worker")}},
        },
    )


def test_workload_identity_trigger_auth_without_keda_operator_credential_is_refused() -> None:
    p = plan(
        *aks_access(),
        identity("worker"),
        credential("worker-federation", "worker", "system:serviceaccount:shop:worker"),
        trigger_auth(),
    )
    assert rules_of(p) == {"keda-operator-federation"}


def test_workload_identity_trigger_auth_with_keda_operator_credential_is_accepted() -> None:
    keda = credential("worker-keda", "worker", "system:serviceaccount:kube-system:keda-operator")
    assert refusals(plan(*aks_access(), identity("worker"), keda, trigger_auth())) == []


# --- scaler-servicebus-rights / scaler-storage-queue-rights --------------------------------

SB_QUEUE = f"{RG}/providers/Microsoft.ServiceBus/namespaces/sb-t/queues/orders"
QUEUE = f"{RG}/providers/Microsoft.Storage/storageAccounts/stt/queueServices/default/queues/jobs"


def servicebus_app() -> dict[str, Any]:
    rule = {
        "name": "queue",
        "custom": {
            "type": "azure-servicebus",
            "identity": identity_id("worker"),
            "metadata": {"namespace": "sb-t", "queueName": "orders", "messageCount": "5"},
        },
    }
    return container_app(
        "worker",
        template={"containers": [{"name": "w", "image": "nginx:1"}], "scale": {"rules": [rule]}},
    )


def test_service_bus_scaler_with_receiver_only_is_refused() -> None:
    p = plan(
        identity("worker"),
        grant("worker-receive", principal("worker"), SERVICE_BUS_RECEIVER, SB_QUEUE),
        servicebus_app(),
    )
    (found,) = refusals(p)
    assert found.rule == "scaler-servicebus-rights"
    assert "Data Owner" in found.fix


def test_service_bus_scaler_with_data_owner_on_the_queue_is_accepted() -> None:
    p = plan(
        identity("worker"),
        grant("worker-owner", principal("worker"), SERVICE_BUS_DATA_OWNER, SB_QUEUE),
        servicebus_app(),
    )
    assert refusals(p) == []


def queue_scaled_object() -> dict[str, Any]:
    return k8s(
        SCALED_OBJECT,
        "worker",
        {
            "metadata": {"name": "worker", "namespace": "shop"},
            "spec": {
                "triggers": [
                    {
                        "type": "azure-queue",
                        "authenticationRef": {"name": "worker-wi"},
                        "metadata": {"accountName": "stt", "queueName": "jobs"},
                    }
                ]
            },
        },
    )


def test_storage_queue_scaler_without_a_read_role_is_refused() -> None:
    keda = credential("worker-keda", "worker", "system:serviceaccount:kube-system:keda-operator")
    processor = grant("worker-process", principal("worker"), STORAGE_QUEUE_MESSAGE_PROCESSOR, QUEUE)
    p = plan(
        *aks_access(), identity("worker"), keda, processor, trigger_auth(), queue_scaled_object()
    )
    assert rules_of(p) == {"scaler-storage-queue-rights"}


def test_storage_queue_scaler_with_queue_data_reader_is_accepted() -> None:
    keda = credential("worker-keda", "worker", "system:serviceaccount:kube-system:keda-operator")
    reader = grant("worker-read", principal("worker"), STORAGE_QUEUE_DATA_READER, QUEUE)
    p = plan(*aks_access(), identity("worker"), keda, reader, trigger_auth(), queue_scaled_object())
    assert refusals(p) == []


# --- helm-chart-unpublished ------------------------------------------------------------------


def chart(version: str, repo: str = "https://valkey.io/valkey-helm/") -> dict[str, Any]:
    return res(
        "kubernetes:helm.sh/v4:Chart",
        "cache",
        {"chart": "valkey", "version": version, "repositoryOpts": {"repo": repo}},
        provider=K8S,
        custom=False,
    )


def test_chart_version_never_published_is_refused() -> None:
    (found,) = [
        r for r in refusals(plan(*aks_access(), chart("1.0.0"))) if r.rule != "chart-hooks-dropped"
    ]
    assert found.rule == "helm-chart-unpublished"
    assert "0.11.0" in found.fix


def test_chart_from_a_repository_without_a_record_is_refused() -> None:
    found = rules_of(plan(*aks_access(), chart("1.0.0", "https://charts.example.com")))
    assert "helm-chart-unpublished" in found


@pytest.mark.parametrize("version", ["0.11.0", "0.9.4", "0.1.0"])
def test_published_chart_versions_are_accepted(version: str) -> None:
    """(0.9.4 and 0.1.0 have no vendored hook list, which `chart-hooks-dropped` refuses.)"""
    assert "helm-chart-unpublished" not in rules_of(plan(*aks_access(), chart(version)))


def test_the_pinned_valkey_chart_passes_every_chart_rule() -> None:
    assert refusals(plan(*aks_access(), chart("0.11.0"))) == []


# --- helm-chart-unknown-cluster ---------------------------------------------------------------


def _access_with_kubeconfig() -> list[dict[str, Any]]:
    pieces = aks_access()
    pieces[-1]["inputs"]["kubeconfig"] = "[secret]"  # from the new cluster's credentials
    pieces[-1]["reads"] = [{"path": ["kubeconfig"], "from": [urn(CLUSTER_TOKEN, "aks-cluster")]}]
    return pieces


def test_chart_through_a_new_provider_of_an_existing_cluster_is_accepted() -> None:
    """An application stack creates its provider in its first run, from the user kubeconfig of
    the platform's cluster (a stack reference and an invoke: known in the preview, no `reads`):
    its chart renders."""
    pieces = _access_with_kubeconfig()
    del pieces[-1]["reads"]
    assert "helm-chart-unknown-cluster" not in rules_of(plan(*pieces, chart("0.11.0")))


def test_chart_on_a_cluster_created_in_the_same_run_is_refused() -> None:
    assert rules_of(plan(*_access_with_kubeconfig(), chart("0.11.0"))) == {
        "helm-chart-unknown-cluster"
    }


def test_chart_on_an_existing_cluster_is_accepted() -> None:
    foundation = plan(*_access_with_kubeconfig())
    world = World(resources=dict(foundation.resources))
    assert refusals(plan(*_access_with_kubeconfig(), chart("0.11.0")), world) == []


# --- keda-before-workload-identity ------------------------------------------------------------

WI_ON = {"securityProfile": {"workloadIdentity": {"enabled": True}}}


def test_workload_identity_turned_on_next_to_a_running_keda_is_refused() -> None:
    before = plan(cluster())  # KEDA on, no workload identity
    world = World(resources=dict(before.resources))
    (found,) = refusals(plan(cluster(**WI_ON)), world)
    assert found.rule == "keda-before-workload-identity"
    assert "rollout restart deployment keda-operator" in found.fix


def test_keda_and_workload_identity_on_from_the_cluster_create_are_accepted() -> None:
    assert refusals(plan(cluster(**WI_ON))) == []
    world = World(resources=dict(plan(cluster(**WI_ON)).resources))
    assert refusals(plan(cluster(**WI_ON, kubernetesVersion=f"{CLUSTER_VERSION}.1")), world) == []


# --- chart-hooks-dropped / chart-namespace-missing ---------------------------------------------

EG = "oci://docker.io/envoyproxy/gateway-helm"
CERTGEN = "envoy-gateway-gateway-helm-certgen"
"""gateway-helm's hook objects for the release `envoy-gateway` (eg.fullname: release-chart)."""
CERTGEN_KINDS = (
    ("kubernetes:core/v1:ServiceAccount", "sa"),
    ("kubernetes:rbac.authorization.k8s.io/v1:Role", "role"),
    ("kubernetes:rbac.authorization.k8s.io/v1:RoleBinding", "binding"),
    ("kubernetes:batch/v1:Job", "job"),
)


def certgen(*, skip: str = "", namespace: str = "envoy-gateway-system") -> list[dict[str, Any]]:
    return [
        k8s(token, f"certgen-{short}", {"metadata": {"name": CERTGEN, "namespace": namespace}})
        for token, short in CERTGEN_KINDS
        if short != skip
    ]


def eg_namespace() -> dict[str, Any]:
    return k8s(
        "kubernetes:core/v1:Namespace", "eg-ns", {"metadata": {"name": "envoy-gateway-system"}}
    )


def eg_chart(deps: tuple[str, ...], values: dict[str, Any] | None = None) -> dict[str, Any]:
    return res(
        "kubernetes:helm.sh/v4:Chart",
        "envoy-gateway",
        {
            "chart": EG,
            "version": "v1.9.0",
            "namespace": "envoy-gateway-system",
            "values": {"topologyInjector": {"enabled": False}} if values is None else values,
        },
        deps=deps,
        provider=K8S,
        custom=False,
    )


def _urns(*pieces: dict[str, Any]) -> tuple[str, ...]:
    return tuple(p["urn"] for p in pieces)


def test_chart_with_its_hooks_created_before_it_is_accepted() -> None:
    ns, hooks = eg_namespace(), certgen()
    assert refusals(plan(*aks_access(), ns, *hooks, eg_chart(_urns(ns, *hooks)))) == []


def test_chart_whose_certgen_job_is_dropped_is_refused() -> None:
    """The issue's defect: no object does what gateway-helm's certgen hook does."""
    ns, hooks = eg_namespace(), certgen(skip="job")
    (found,) = refusals(plan(*aks_access(), ns, *hooks, eg_chart(_urns(ns, *hooks))))
    assert found.rule == "chart-hooks-dropped"
    assert f"Job {CERTGEN}" in found.why
    assert "no object in the plan creates it" in found.why
    assert "upstream/charts/gateway-helm-v1.9.0/" in found.why


def test_chart_not_waiting_for_its_pre_install_hooks_is_refused() -> None:
    ns, hooks = eg_namespace(), certgen()
    found = refusals(plan(*aks_access(), ns, *hooks, eg_chart(_urns(ns))))
    assert {r.rule for r in found} == {"chart-hooks-dropped"}
    assert all("the chart does not wait for one" in r.why for r in found)


def test_hooks_turned_on_by_the_charts_defaults_are_required() -> None:
    """Without `topologyInjector.enabled: false` the chart also renders the injector's
    webhook, ClusterRole and ClusterRoleBinding hooks."""
    ns, hooks = eg_namespace(), certgen()
    found = refusals(plan(*aks_access(), ns, *hooks, eg_chart(_urns(ns, *hooks), values={})))
    kinds = {r.why.split(" hook ", 1)[1].split(" ", 1)[0] for r in found}
    assert kinds == {"ClusterRole", "ClusterRoleBinding", "MutatingWebhookConfiguration"}


def test_chart_version_without_a_vendored_hook_list_is_refused() -> None:
    assert "chart-hooks-dropped" in rules_of(plan(*aks_access(), chart("0.9.4")))


def test_chart_into_a_namespace_nothing_creates_is_refused() -> None:
    hooks = certgen()
    (found,) = [
        r
        for r in refusals(plan(*aks_access(), *hooks, eg_chart(_urns(*hooks))))
        if r.rule == "chart-namespace-missing"
    ]
    assert "envoy-gateway-system does not exist" in found.why


# --- aca-custom-domain-records ---------------------------------------------------------------


def domain_app(deps: tuple[str, ...] = ()) -> dict[str, Any]:
    return container_app(
        "web",
        ingress={"customDomains": [{"name": "shop.example.com", "bindingType": "SniEnabled"}]},
        deps=deps,
    )


def record(kind: str, name: str, token: str = "azure-native:dns:RecordSet") -> dict[str, Any]:
    return res(
        token,
        f"{kind.lower()}-{name}",
        {"zoneName": "example.com", "relativeRecordSetName": name, "recordType": kind},
    )


def test_custom_domain_without_its_records_is_refused() -> None:
    (found,) = refusals(plan(domain_app()))
    assert found.rule == "aca-custom-domain-records"
    assert "TXT asuid.shop.example.com" in found.why
    assert "CNAME shop.example.com" in found.why


def test_custom_domain_with_records_the_app_does_not_wait_for_is_refused() -> None:
    p = plan(record("TXT", "asuid.shop"), record("CNAME", "shop"), domain_app())
    assert rules_of(p) == {"aca-custom-domain-records"}


@pytest.mark.parametrize("token", ["azure-native:dns:RecordSet", "azure-native:network:RecordSet"])
def test_custom_domain_after_its_record_sets_is_accepted(token: str) -> None:
    txt, cname = record("TXT", "asuid.shop", token), record("CNAME", "shop", token)
    assert refusals(plan(txt, cname, domain_app((txt["urn"], cname["urn"])))) == []


def test_custom_domain_whose_records_are_declared_present_is_accepted() -> None:
    p = plan(domain_app(), config={"platform:dns": {"recordsPresent": ["shop.example.com"]}})
    assert refusals(p) == []


# --- aca-custom-domain-certificate -----------------------------------------------------------

ENVIRONMENT_ID = (
    f"/subscriptions/s/resourceGroups/{RG}/providers/Microsoft.App/managedEnvironments/env"
)


def bound_app(certificate_id: str, deps: tuple[str, ...] = ()) -> dict[str, Any]:
    """A Container App whose custom domain's records are declared present (config below), bound
    to `certificate_id`."""
    return container_app(
        "web",
        ingress={
            "customDomains": [
                {
                    "name": "shop.example.com",
                    "bindingType": "SniEnabled",
                    "certificateId": certificate_id,
                }
            ]
        },
        deps=deps,
    )


PRESENT = {"platform:dns": {"recordsPresent": ["shop.example.com"]}}


def platform_certificate(name: str = "host-shop-example-com") -> dict[str, Any]:
    return res(
        "azure-native:app:Certificate",
        name,
        {"certificateName": name, "environmentName": "env", "resourceGroupName": RG},
    )


def test_a_custom_domain_bound_to_a_certificate_the_environment_lacks_is_refused() -> None:
    """An application stack binds the platform's certificate by its derived id: before the
    platform has written it (or for another name), Container Apps refuses the binding."""
    p = plan(bound_app(f"{ENVIRONMENT_ID}/certificates/host-shop-example-com"), config=PRESENT)
    (found,) = refusals(p)
    assert found.rule == "aca-custom-domain-certificate"
    assert "host-shop-example-com" in found.why
    other = World(resources=dict(plan(platform_certificate("host-other-example-com")).resources))
    assert rules_of(p, other) == {"aca-custom-domain-certificate"}


def test_a_custom_domain_bound_to_the_platforms_certificate_is_accepted() -> None:
    world = World(resources=dict(plan(platform_certificate()).resources))
    p = plan(bound_app(f"{ENVIRONMENT_ID}/certificates/host-shop-example-com"), config=PRESENT)
    assert refusals(p, world) == []


def test_a_custom_domain_bound_to_its_own_certificate_is_accepted() -> None:
    """A single stack binds `certificate.id` of a Certificate the app waits for (the snapshot's
    `reads`), whatever id the mocks give it."""
    certificate = platform_certificate("web-certificate")
    app = bound_app("/subscriptions/s/providers/Microsoft.App/certificates/web-certificate")
    app["options"] = {"dependsOn": [certificate["urn"]]}
    app["reads"] = [
        {
            "from": [certificate["urn"]],
            "path": ["configuration", "ingress", "customDomains", 0, "certificateId"],
        }
    ]
    assert "aca-custom-domain-certificate" not in rules_of(plan(certificate, app, config=PRESENT))


# --- aks-version-downgrade -------------------------------------------------------------------


def upgraded_world(p_cluster: dict[str, Any]) -> World:
    from infra.simulate.drift import auto_upgrade

    existing = plan(p_cluster)
    world, changes = auto_upgrade(World(resources=dict(existing.resources)))
    assert changes == [
        f"aks-cluster auto-upgraded {CLUSTER_VERSION} → {_NEXT_MINOR} (rapid channel)"
    ]
    return world


_MAJOR, _MINOR = CLUSTER_VERSION.split(".")
_NEXT_MINOR = f"{_MAJOR}.{int(_MINOR) + 1}.1"


def test_second_deploy_after_a_minor_auto_upgrade_is_refused_as_a_downgrade() -> None:
    pinned = cluster(autoUpgradeProfile={"upgradeChannel": "rapid"})
    (found,) = refusals(plan(pinned), upgraded_world(pinned))
    assert found.rule == "aks-version-downgrade"
    assert _NEXT_MINOR in found.why


def test_second_deploy_ignoring_the_version_drift_is_accepted() -> None:
    ignoring = res(
        CLUSTER_TOKEN,
        "aks-cluster",
        cluster(autoUpgradeProfile={"upgradeChannel": "rapid"})["inputs"],
        options={"ignoreChanges": ["kubernetesVersion"]},
    )
    assert refusals(plan(ignoring), upgraded_world(ignoring)) == []


def test_the_stable_channel_moves_a_cluster_only_to_minor_n_minus_one_of_the_calendar() -> None:
    """AKS `stable` upgrades to the latest patch of minor N-1 (upstream/aks/): with 1.35-1.37
    supported on the suite's day, a 1.36 cluster only gets patches, and 1.35 moves to 1.36."""
    from infra.simulate.drift import upgraded

    day = dt.date(2026, 12, 7)
    assert upgraded("1.36", "stable", day) == "1.36.1"
    assert upgraded("1.35.4", "stable", day) == "1.36.1"
    assert upgraded("1.36", "rapid", day) == "1.37.1"
    assert upgraded("1.36.2", "patch", day) == "1.36.3"
    assert upgraded("1.36", "node-image", day) == "1.36"


def test_patch_upgrades_under_a_minor_pin_are_no_downgrade() -> None:
    from infra.simulate.drift import auto_upgrade

    pinned = cluster(autoUpgradeProfile={"upgradeChannel": "patch"})
    world, _ = auto_upgrade(World(resources=dict(plan(pinned).resources)))
    assert refusals(plan(pinned), world) == []


# --- aks-pool-create-only --------------------------------------------------------------------


def _pools(**user: Any) -> list[dict[str, Any]]:
    base = {"name": "user", "vmSize": "Standard_D4ds_v5", "osDiskType": "Managed"}
    return [{"name": "system", "vmSize": "Standard_D2ds_v5"}, {**base, **user}]


def test_encryption_at_host_turned_on_for_an_existing_pool_is_refused() -> None:
    existing = plan(cluster(agentPoolProfiles=_pools()))
    world = World(resources=dict(existing.resources))
    changed = cluster(agentPoolProfiles=_pools(enableEncryptionAtHost=True, osDiskType="Ephemeral"))
    (found,) = refusals(plan(changed), world)
    assert found.rule == "aks-pool-create-only"
    assert "osDiskType, enableEncryptionAtHost" in found.why


def test_a_new_pool_and_a_scaling_change_are_accepted() -> None:
    existing = plan(cluster(agentPoolProfiles=_pools()))
    world = World(resources=dict(existing.resources))
    grown = [*_pools(maxCount=9), {"name": "gpu", "vmSize": "Standard_NC6s_v3"}]
    assert refusals(plan(cluster(agentPoolProfiles=grown)), world) == []


# --- keyvault-secret-writer (bootstrap) ------------------------------------------------------


def test_seeding_secrets_without_secrets_officer_is_refused() -> None:
    phase, world = bootstrap(plan(identity("api-identity"), kv_app()), World())
    (found,) = phase.refusals
    assert found.rule == "keyvault-secret-writer"
    assert "kv-t" in found.why
    assert world.has_secret("kv-t", "db-password")


def test_seeding_secrets_with_secrets_officer_is_accepted() -> None:
    officer = plan(
        grant("deployer-officer", DEPLOYER_OBJECT_ID, KEY_VAULT_SECRETS_OFFICER, VAULT_ID)
    )
    phase, _ = bootstrap(
        plan(identity("api-identity"), kv_app()), World(resources=dict(officer.resources))
    )
    assert phase.refusals == []
    assert phase.note == "pushed 0 images, seeded 1 Key Vault objects"


def test_the_docs_rules_table_lists_every_rule() -> None:
    from infra.preview.stackfile import ROOT

    section = (ROOT / "docs" / "simulator.md").read_text()
    listed = {line.split("`")[1] for line in section.splitlines() if line.startswith("| `")}
    assert listed == set(RULES)


# --- keyvault-soft-deleted-name --------------------------------------------------------------


def vault(**properties: Any) -> dict[str, Any]:
    return res(
        "azure-native:keyvault:Vault",
        "keyvault-vault",
        {"vaultName": "kv-t", "properties": properties},
    )


def test_recreating_a_vault_after_a_destroy_is_refused() -> None:
    first = plan(vault(enableRbacAuthorization=True))
    _, world = replay("first", first, World())
    (found,) = refusals(first, world.destroyed())
    assert found.rule == "keyvault-soft-deleted-name"
    assert "az keyvault recover --name kv-t" in found.fix


def test_recovering_the_vault_or_a_fresh_name_is_accepted() -> None:
    _, world = replay("first", plan(vault()), World())
    assert refusals(plan(vault(createMode="recover")), world.destroyed()) == []
    other = res("azure-native:keyvault:Vault", "keyvault-vault", {"vaultName": "kv-t2"})
    assert refusals(plan(other), world.destroyed()) == []


# --- role-assignment-principal-type ----------------------------------------------------------


def typed_grant(kind: str | None) -> dict[str, Any]:
    ra = secret_reader("api-reads-db", "api-identity", "db-password")
    ra["inputs"].pop("principalType")
    if kind is not None:
        ra["inputs"]["principalType"] = kind
    return ra


@pytest.mark.parametrize("kind", [None, "User"])
def test_managed_identity_granted_as_anything_but_a_service_principal_is_refused(
    kind: str | None,
) -> None:
    (found,) = refusals(plan(identity("api-identity"), typed_grant(kind)))
    assert found.rule == "role-assignment-principal-type"


def test_managed_identity_granted_as_a_service_principal_is_accepted() -> None:
    assert refusals(plan(identity("api-identity"), typed_grant("ServicePrincipal"))) == []


# --- gateway-api-crds-missing / alb-controller-roles ------------------------------------------

AGC_MANAGER = "fbc52c3f-28ad-4303-a892-8a056630b8f1"
NETWORK_CONTRIBUTOR = "4d97b98b-1d4f-4787-a291-c67834d212e7"
TC_TOKEN = "azure-native:servicenetworking:TrafficControllerInterface"
SUBNET_TOKEN = "azure-native:network:Subnet"
HTTP_ROUTE = "kubernetes:gateway.networking.k8s.io/v1:HTTPRoute"
ALB = "oci://mcr.microsoft.com/application-lb/charts/alb-controller"


def alb_chart(deps: tuple[str, ...] = (), version: str = "1.13.0") -> dict[str, Any]:
    return res(
        "kubernetes:helm.sh/v4:Chart",
        "alb-controller",
        {
            "chart": ALB,
            "version": version,
            "values": {"albController": {"podIdentity": {"clientID": client("alb")}}},
        },
        deps=deps,
        provider=K8S,
        custom=False,
    )


READER = "acdd72a7-3385-48ef-bd42-f606fba81ae7"
NODE_GROUP = RG.replace("rg-t", "MC_rg-t_aks-t_westeurope")
"""The default node resource group of `cluster()` (MC_<group>_<cluster>_<location>)."""


def agc(
    *, manager: bool = True, joiner: bool = True, reader: bool = True, manager_scope: str = ""
) -> list[dict[str, Any]]:
    """A TrafficController, its delegated subnet, the controller's identity and its grants
    (the manager role on the TrafficController unless `manager_scope` says otherwise)."""
    tc_id = f"{RG}/providers/Microsoft.ServiceNetworking/trafficControllers/agc-t"
    subnet_id = f"{RG}/providers/Microsoft.Network/virtualNetworks/vnet/subnets/snet-agc"
    pieces = [
        res(TC_TOKEN, "agc", {"trafficControllerName": "agc-t", "resourceGroupName": "rg-t"}),
        res(
            SUBNET_TOKEN,
            "agc-subnet",
            {
                "subnetName": "snet-agc",
                "delegations": [{"serviceName": "Microsoft.ServiceNetworking/trafficControllers"}],
            },
        ),
        identity("alb"),
    ]
    if manager:
        pieces.append(grant("alb-manager", principal("alb"), AGC_MANAGER, manager_scope or tc_id))
    if joiner:
        pieces.append(grant("alb-join", principal("alb"), NETWORK_CONTRIBUTOR, subnet_id))
    if reader:
        pieces.append(grant("alb-node-reader", principal("alb"), READER, NODE_GROUP))
    return pieces


def grants_of(pieces: list[dict[str, Any]]) -> tuple[str, ...]:
    return tuple(p["urn"] for p in pieces if p["type"] == RA_TOKEN)


def test_gateway_api_object_without_the_crd_chart_is_refused() -> None:
    p = plan(*aks_access(), k8s(HTTP_ROUTE, "shop-route", {}))
    (found,) = refusals(p)
    assert found.rule == "gateway-api-crds-missing"
    assert "installs the Gateway API CRDs" in found.why


def test_gateway_api_object_racing_the_crd_chart_is_refused() -> None:
    pieces = agc()
    p = plan(*aks_access(), *pieces, alb_chart(grants_of(pieces)), k8s(HTTP_ROUTE, "route", {}))
    assert rules_of(p) == {"gateway-api-crds-missing"}


def test_gateway_api_object_after_the_crd_chart_is_accepted() -> None:
    pieces = agc()
    chart = alb_chart(grants_of(pieces))
    route = k8s(HTTP_ROUTE, "route", {}, deps=(chart["urn"],))
    assert refusals(plan(*aks_access(), *pieces, chart, route)) == []


@pytest.mark.parametrize(
    ("manager", "joiner", "reader", "missing"),
    [
        (False, True, True, "Configuration Manager on TrafficController agc-t"),
        (True, False, True, "Network Contributor on subnet agc-subnet"),
        (True, True, False, "Reader on MC_rg-t_aks-t_westeurope"),
    ],
)
def test_alb_controller_without_each_role_is_refused(
    manager: bool, joiner: bool, reader: bool, missing: str
) -> None:
    pieces = agc(manager=manager, joiner=joiner, reader=reader)
    (found,) = refusals(plan(*aks_access(), *pieces, alb_chart(grants_of(pieces))))
    assert found.rule == "alb-controller-roles"
    assert missing in found.why


def test_alb_controller_with_the_manager_role_on_the_resource_group_is_accepted() -> None:
    """The bring-your-own quickstart's scope: the group holding the TrafficController."""
    pieces = agc(manager_scope=RG)
    assert refusals(plan(*aks_access(), *pieces, alb_chart(grants_of(pieces)))) == []


def test_alb_controller_with_the_manager_role_on_another_group_is_refused() -> None:
    pieces = agc(manager_scope=RG.replace("rg-t", "rg-other"))
    (found,) = refusals(plan(*aks_access(), *pieces, alb_chart(grants_of(pieces))))
    assert found.rule == "alb-controller-roles"
    assert "Configuration Manager" in found.why


def test_alb_controller_not_waiting_for_its_grants_is_refused() -> None:
    assert rules_of(plan(*aks_access(), *agc(), alb_chart())) == {"alb-controller-roles"}


def test_alb_controller_oci_chart_version_is_checked() -> None:
    pieces = agc()
    p = plan(*aks_access(), *pieces, alb_chart(grants_of(pieces), version="9.9.9"))
    assert rules_of(p) == {"helm-chart-unpublished", "chart-hooks-dropped"}


# --- aca-revision-suffix-reused -------------------------------------------------------------


def suffixed_app(suffix: str, image: str) -> dict[str, Any]:
    return container_app(
        "web", template={"revisionSuffix": suffix, "containers": [{"name": "web", "image": image}]}
    )


def test_template_change_under_the_running_suffix_is_refused() -> None:
    world = World(resources=dict(plan(suffixed_app("r1", "nginx:1")).resources))
    (found,) = refusals(plan(suffixed_app("r1", "nginx:2")), world)
    assert found.rule == "aca-revision-suffix-reused"
    assert "web--r1 already exists" in found.why


def test_template_change_with_a_new_suffix_is_accepted() -> None:
    world = World(resources=dict(plan(suffixed_app("r1", "nginx:1")).resources))
    assert refusals(plan(suffixed_app("r2", "nginx:2")), world) == []


def test_app_level_change_under_the_same_suffix_is_accepted() -> None:
    """Traffic weights (a canary step) change the app, not the template: no new revision."""
    before = suffixed_app("r1", "nginx:1")
    after = suffixed_app("r1", "nginx:1")
    after["inputs"]["configuration"] = {"ingress": {"traffic": [{"weight": 50}]}}
    world = World(resources=dict(plan(before).resources))
    assert refusals(plan(after), world) == []


# --- safeguards-refuse-pod ------------------------------------------------------------------

SAFEGUARD_TOKEN = "azure-native:containerservice:DeploymentSafeguard"
PROBED = {
    "readinessProbe": {"tcpSocket": {"port": 8080}},
    "livenessProbe": {"httpGet": {"path": "/healthz", "port": 8080}},
}


def safeguarded(level: str = "Enforce", excluded: tuple[str, ...] = ("shop-jobs",)) -> World:
    """A cluster whose Deployment Safeguards already exist (the foundation step made them)."""
    return World(
        resources=dict(
            plan(
                res(
                    SAFEGUARD_TOKEN,
                    "guardrails-safeguards",
                    {
                        "level": level,
                        "excludedNamespaces": list(excluded),
                        "resourceUri": CLUSTER_ID,
                    },
                )
            ).resources
        )
    )


def cron_job(namespace: str, **container: Any) -> dict[str, Any]:
    pod = {"containers": [{"name": "reindex", "image": "tacr.azurecr.io/r:1", **container}]}
    return k8s(
        "kubernetes:batch/v1:CronJob",
        f"{namespace}-reindex",
        {
            "metadata": {"name": "reindex", "namespace": namespace},
            "spec": {"jobTemplate": {"spec": {"template": {"spec": pod}}}},
        },
    )


def scaled_job(namespace: str) -> dict[str, Any]:
    pod = {"containers": [{"name": "importer", "image": "tacr.azurecr.io/i:1"}]}
    return k8s(
        "kubernetes:keda.sh/v1alpha1:ScaledJob",
        f"{namespace}-importer",
        {
            "metadata": {"name": "importer", "namespace": namespace},
            "spec": {"jobTargetRef": {"template": {"spec": pod}}},
        },
    )


def safeguard_refusals(p: Any, world: World) -> list[Any]:
    return [r for r in refusals(p, world) if r.rule == "safeguards-refuse-pod"]


def test_a_probeless_job_pod_beside_the_services_is_refused_under_enforce() -> None:
    (found,) = safeguard_refusals(plan(cron_job("shop")), safeguarded())
    assert "readinessProbe or livenessProbe" in found.why
    assert "denied at admission" in found.why, "source All: the CronJob itself"
    assert "jobs namespace" in found.fix
    (keda,) = safeguard_refusals(plan(scaled_job("shop")), safeguarded())
    assert "every Pod its controller creates is denied" in keda.why


def test_a_job_in_its_excluded_jobs_namespace_is_accepted() -> None:
    world = safeguarded()
    assert safeguard_refusals(plan(cron_job("shop-jobs"), scaled_job("shop-jobs")), world) == []
    assert safeguard_refusals(plan(cron_job("kube-system")), world) == [], "initiative default"
    assert safeguard_refusals(plan(cron_job("shop", **PROBED)), world) == []
    assert safeguard_refusals(plan(cron_job("shop")), safeguarded("Warn")) == [], "Warn warns"


def test_a_grpc_probe_does_not_satisfy_the_probe_safeguard() -> None:
    grpc = {"grpc": {"port": 50051}}
    deployment = k8s(
        "kubernetes:apps/v1:Deployment",
        "shop-basket",
        {
            "metadata": {"name": "basket", "namespace": "shop"},
            "spec": {
                "template": {
                    "spec": {
                        "containers": [
                            {"name": "basket", "readinessProbe": grpc, "livenessProbe": grpc}
                        ],
                        "initContainers": [{"name": "migrate"}],
                    }
                }
            },
        },
    )
    (found,) = safeguard_refusals(plan(deployment), safeguarded())
    assert "'basket'" in found.why, "the init container is not checked"


# --- aca-probe-out-of-range -----------------------------------------------------------------


def probed_app(**probe: Any) -> dict[str, Any]:
    container = {
        "name": "web",
        "image": "nginx:1",
        "probes": [{"tcpSocket": {"port": 80}, **probe}],
    }
    return container_app("web", template={"containers": [container]})


def test_a_liveness_failure_threshold_above_azure_s_bound_is_refused() -> None:
    (found,) = refusals(plan(probed_app(type="Liveness", failureThreshold=31)))
    assert found.rule == "aca-probe-out-of-range"
    assert "failureThreshold = 31 must be in the range 1..30" in found.why


def test_a_long_startup_probe_azure_accepts_is_accepted() -> None:
    """240 startup failures: what Azure accepts (terraform-provider-azurerm #31989), though the
    REST spec's description still says at most 10."""
    assert refusals(plan(probed_app(type="Startup", failureThreshold=240, periodSeconds=5))) == []


# --- k8s-statefulset-spec-immutable ---------------------------------------------------------

STATEFUL_SET = "kubernetes:apps/v1:StatefulSet"


def broker(size: str = "8Gi", image: str = "rabbitmq:3.13", claim: str = "data") -> dict[str, Any]:
    return k8s(
        STATEFUL_SET,
        "shop-order-queue",
        {
            "metadata": {"name": "order-queue", "namespace": "shop"},
            "spec": {
                "replicas": 1,
                "selector": {"matchLabels": {"app": "order-queue"}},
                "template": {"spec": {"containers": [{"name": "q", "image": image}]}},
                "volumeClaimTemplates": [
                    {
                        "metadata": {"name": claim},
                        "spec": {
                            "accessModes": ["ReadWriteOnce"],
                            "storageClassName": "managed-csi-premium",
                            "resources": {"requests": {"storage": size}},
                        },
                    }
                ],
            },
        },
    )


def deployed(*pieces: dict[str, Any]) -> World:
    return World(resources=dict(plan(*aks_access(), *pieces).resources))


def test_a_new_disk_size_in_the_claim_template_is_refused_with_the_claim_to_grow() -> None:
    world = deployed(broker())
    (found,) = refusals(plan(*aks_access(), broker(size="16Gi")), world)
    assert found.rule == "k8s-statefulset-spec-immutable"
    assert "adopts the retained claim(s) data-order-queue-0 as they are" in found.why
    assert "kubectl patch pvc data-order-queue-0" in found.fix


def test_a_new_image_or_replica_count_updates_the_statefulset_in_place() -> None:
    world = deployed(broker())
    assert refusals(plan(*aks_access(), broker(image="rabbitmq:3.14")), world) == []


def test_a_renamed_claim_is_a_new_disk_and_not_refused() -> None:
    world = deployed(broker())
    assert refusals(plan(*aks_access(), broker(claim="data-v2")), world) == []


def test_the_api_server_forbids_every_spec_field_pulumi_does_not_replace_for() -> None:
    """The preview is honest about StatefulSets: every spec field the API server refuses to
    update in place is one pulumi-kubernetes replaces the StatefulSet for (forceNew), read from
    the StatefulSetSpec schema of the stacks' Kubernetes version."""
    import json
    from pathlib import Path

    import kubernetes_validate

    from infra.preview.replacement import ChangeKind, forces_replacement
    from infra.upstream_facts import statefulset_update
    from tests.k8s_schema import KUBERNETES_VERSIONS

    mutable = statefulset_update().mutable_spec_fields
    schemas = Path(kubernetes_validate.__file__).parent / "kubernetes-json-schema"
    fields: set[str] = set()
    for minor in KUBERNETES_VERSIONS:
        (spec,) = schemas.glob(f"v{minor}.*-local-strict/statefulsetspec-apps-v1.json")
        fields |= set(json.loads(spec.read_text())["properties"])
    assert mutable <= fields
    for field in sorted(fields - mutable):
        assert forces_replacement(STATEFUL_SET, ("spec", field), ChangeKind.UPDATE), field
    for field in sorted(mutable):
        assert not forces_replacement(STATEFUL_SET, ("spec", field), ChangeKind.UPDATE), field


# --- gateway-route-not-accepted ---------------------------------------------------------------

ROUTE_TOKEN = "kubernetes:gateway.networking.k8s.io/v1:HTTPRoute"
GATEWAY_TOKEN = "kubernetes:gateway.networking.k8s.io/v1:Gateway"


def shared_gateway(*, selector_namespace: str = "billing") -> dict[str, Any]:
    """The platform stack's shared Envoy Gateway with one application's listener."""
    listener = {
        "name": "billing-admin",
        "hostname": "admin.billing.internal",
        "protocol": "HTTP",
        "port": 80,
        "allowedRoutes": {
            "namespaces": {
                "from": "Selector",
                "selector": {"matchLabels": {"kubernetes.io/metadata.name": selector_namespace}},
            }
        },
    }
    return res(
        GATEWAY_TOKEN,
        "internal",
        {
            "metadata": {"name": "internal", "namespace": "envoy-gateway-system"},
            "spec": {"gatewayClassName": "envoy-gateway", "listeners": [listener]},
        },
    )


def http_route(
    *,
    namespace: str = "billing",
    section: str = "billing-admin",
    host: str = "admin.billing.internal",
) -> dict[str, Any]:
    parent = {"name": "internal", "namespace": "envoy-gateway-system", "sectionName": section}
    return res(
        ROUTE_TOKEN,
        f"{namespace}-admin",
        {
            "metadata": {"name": "admin", "namespace": namespace},
            "spec": {"parentRefs": [parent], "hostnames": [host]},
        },
    )


def _platform_world(gateway: dict[str, Any]) -> World:
    """The cluster the platform stack left: its Gateway, before the application stack runs."""
    _, world = replay("platform", plan(gateway), World())
    return world


def _not_accepted(p: Plan, world: World | None = None) -> list[str]:
    return [r.why for r in refusals(p, world) if r.rule == "gateway-route-not-accepted"]


def test_a_route_on_its_listener_of_another_stacks_gateway_is_accepted() -> None:
    assert _not_accepted(plan(http_route()), _platform_world(shared_gateway())) == []
    # In one plan too (a single stack).
    assert _not_accepted(plan(shared_gateway(), http_route())) == []


def test_a_route_whose_gateway_is_in_neither_stack_is_refused() -> None:
    (why,) = _not_accepted(plan(http_route()))
    assert "envoy-gateway-system/internal exists neither in this plan nor in the cluster" in why


def test_a_route_naming_a_listener_the_gateway_lacks_is_refused() -> None:
    (why,) = _not_accepted(
        plan(http_route(section="billing-web")), _platform_world(shared_gateway())
    )
    assert "has no listener billing-web" in why


def test_a_route_from_a_namespace_the_listener_does_not_admit_is_refused() -> None:
    world = _platform_world(shared_gateway(selector_namespace="storefront"))
    (why,) = _not_accepted(plan(http_route()), world)
    assert "admits routes from namespace billing" in why


def test_a_route_whose_hostname_the_listener_does_not_serve_is_refused() -> None:
    world = _platform_world(shared_gateway())
    (why,) = _not_accepted(plan(http_route(host="other.billing.internal")), world)
    assert "serves its hostnames other.billing.internal" in why
