"""Small hand-made plans for the deploy simulator's tests: each resource as the snapshot holds
it, with just the inputs a rule reads."""

from __future__ import annotations

import datetime as dt
from typing import Any

from infra.preview.mocks import DEPLOYER_OBJECT_ID, identity_client_id, identity_principal_id
from infra.simulate import Plan, World, replay
from infra.simulate.azure import (
    ACR_PULL,
    AKS_RBAC_CLUSTER_ADMIN,
    KEY_VAULT_SECRETS_USER,
)
from infra.simulate.registry import Refusal
from tests.k8s_schema import KUBERNETES_VERSIONS

SUB = "/subscriptions/00000000-0000-0000-0000-000000000000"
RG = f"{SUB}/resourceGroups/rg-t"
CLUSTER_ID = f"{RG}/providers/Microsoft.ContainerService/managedClusters/aks-t"
VAULT_ID = f"{RG}/providers/Microsoft.KeyVault/vaults/kv-t"
REGISTRY_ID = f"{RG}/providers/Microsoft.ContainerRegistry/registries/tacr"
ROLE_DEFS = f"{SUB}/providers/Microsoft.Authorization/roleDefinitions"


def urn(token: str, name: str) -> str:
    return f"urn:pulumi:t::p::{token}::{name}"


def res(
    token: str,
    name: str,
    inputs: dict[str, Any] | None = None,
    *,
    deps: tuple[str, ...] = (),
    provider: str = "",
    parent: str = "",
    custom: bool = True,
    options: dict[str, Any] | None = None,
) -> dict[str, Any]:
    opts = dict(options or {})
    if deps:
        opts["dependsOn"] = list(deps)
    return {
        "urn": urn(token, name),
        "type": token,
        "name": name,
        "parent": parent,
        "custom": custom,
        "provider": provider,
        "inputs": inputs or {},
        "options": opts,
    }


def plan(
    *resources: dict[str, Any], config: dict[str, Any] | None = None, date: dt.date | None = None
) -> Plan:
    """A plan applied on `date` (default: the suite's fixed day, tests/conftest.py)."""
    return Plan.from_snapshot({"stack": "t", "resources": list(resources)}, config, date)


def refusals(p: Plan, world: World | None = None) -> list[Refusal]:
    phase, _ = replay("test", p, world or World())
    return phase.refusals


def rules_of(p: Plan, world: World | None = None) -> set[str]:
    return {r.rule for r in refusals(p, world)}


# --- pieces ---------------------------------------------------------------------------------

CLUSTER_TOKEN = "azure-native:containerservice:ManagedCluster"
CLUSTER_VERSION = KUBERNETES_VERSIONS[0]
"""The stacks' Kubernetes minor: hand-made clusters are created on what the stacks use."""
PROVIDER_TOKEN = "pulumi:providers:kubernetes"
SLEEP_TOKEN = "time:index/sleep:Sleep"
RA_TOKEN = "azure-native:authorization:RoleAssignment"
IDENTITY_TOKEN = "azure-native:managedidentity:UserAssignedIdentity"


def cluster(**extra: Any) -> dict[str, Any]:
    inputs = {
        "resourceName": "aks-t",
        "resourceGroupName": "rg-t",
        "location": "westeurope",
        "kubernetesVersion": CLUSTER_VERSION,
        "workloadAutoScalerProfile": {"keda": {"enabled": True}},
        "addonProfiles": {"azureKeyvaultSecretsProvider": {"enabled": True}},
        "ingressProfile": {"webAppRouting": {"enabled": True}},
        **extra,
    }
    return res(CLUSTER_TOKEN, "aks-cluster", inputs)


def grant(
    name: str, principal: str, role: str, scope: str, deps: tuple[str, ...] = ()
) -> dict[str, Any]:
    return res(
        RA_TOKEN,
        name,
        {
            "principalId": principal,
            "principalType": "ServicePrincipal",
            "roleDefinitionId": f"{ROLE_DEFS}/{role}",
            "scope": scope,
        },
        deps=deps,
    )


def sleep(name: str, seconds: str, deps: tuple[str, ...]) -> dict[str, Any]:
    return res(SLEEP_TOKEN, name, {"createDuration": seconds}, deps=deps)


def admin_grant() -> dict[str, Any]:
    return grant(
        "aks-deployer-cluster-admin",
        DEPLOYER_OBJECT_ID,
        AKS_RBAC_CLUSTER_ADMIN,
        CLUSTER_ID,
        (urn(CLUSTER_TOKEN, "aks-cluster"),),
    )


def aks_access(seconds: str = "300s") -> list[dict[str, Any]]:
    """Cluster, the deployer's cluster-admin grant, its propagation Sleep, and the provider
    that waits for it (the contract's shape)."""
    return [
        cluster(),
        admin_grant(),
        sleep("aks-rbac-propagation", seconds, (urn(RA_TOKEN, "aks-deployer-cluster-admin"),)),
        provider(deps=(urn(SLEEP_TOKEN, "aks-rbac-propagation"),)),
    ]


def provider(deps: tuple[str, ...] = (), cluster_id: str = CLUSTER_ID) -> dict[str, Any]:
    return res(
        PROVIDER_TOKEN,
        "aks-k8s",
        {"clusterIdentifier": cluster_id},
        deps=deps or (urn(CLUSTER_TOKEN, "aks-cluster"),),
    )


K8S = urn(PROVIDER_TOKEN, "aks-k8s")


def k8s(
    token: str, name: str, inputs: dict[str, Any], deps: tuple[str, ...] = ()
) -> dict[str, Any]:
    return res(token, name, inputs, deps=deps, provider=K8S)


def identity(name: str) -> dict[str, Any]:
    return res(IDENTITY_TOKEN, name, {"resourceName": name, "resourceGroupName": "rg-t"})


def identity_id(name: str) -> str:
    return f"{RG}/providers/Microsoft.ManagedIdentity/userAssignedIdentities/{name}"


def principal(name: str) -> str:
    return identity_principal_id(name)


def client(name: str) -> str:
    return identity_client_id(name)


def secret_reader(name: str, who: str, secret: str, deps: tuple[str, ...] = ()) -> dict[str, Any]:
    return grant(name, principal(who), KEY_VAULT_SECRETS_USER, f"{VAULT_ID}/secrets/{secret}", deps)


def acr_pull(name: str, principal_id: str) -> dict[str, Any]:
    return grant(name, principal_id, ACR_PULL, REGISTRY_ID)


def container_app(name: str, **configuration: Any) -> dict[str, Any]:
    template = configuration.pop("template", {"containers": [{"name": name, "image": "nginx:1"}]})
    deps = tuple(configuration.pop("deps", ()))
    return res(
        "azure-native:app:ContainerApp",
        name,
        {"containerAppName": name, "configuration": configuration, "template": template},
        deps=deps,
    )
