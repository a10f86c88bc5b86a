"""Deterministic stand-ins for what Azure and the Kubernetes API would return.

The offline plan and the tests run the real program against these. Every output is derived from
the resource's type and name (never random), so the same source gives the same plan.
"""

from __future__ import annotations

import base64
import hashlib
from typing import Any

import pulumi
import yaml

from infra.plan.kinds import (
    CONTAINER_APP,
    FRONTEND,
    KUBERNETES_SERVICE,
    MAINTENANCE_CONFIGURATION,
    MANAGED_CLUSTER,
    MANAGED_ENVIRONMENT,
    PRIVATE_ZONE,
    PUBLIC_IP_ADDRESS,
    REGISTRY,
    RESOURCE_GROUP,
    ROLE_DEFINITION,
    SUBNET,
    TRAFFIC_CONTROLLER,
    USER_ASSIGNED_IDENTITY,
    VAULT,
    VIRTUAL_NETWORK,
    WORKSPACE,
)
from infra.stacks.recorded import STACK_REFERENCE, recorded_outputs

FAKE_SUBSCRIPTION = "00000000-0000-0000-0000-000000000000"
FAKE_TENANT = "11111111-1111-1111-1111-111111111111"
FAKE_CLIENT = "22222222-2222-2222-2222-222222222222"
LIVE_REVISION_SUFFIX = "live"
"""Offline, an existing Container App runs revision `<app>--live` (`app.getContainerApp`)."""


def _guid(*parts: str) -> str:
    digest = hashlib.sha256("/".join(parts).encode()).hexdigest()
    return f"{digest[:8]}-{digest[8:12]}-{digest[12:16]}-{digest[16:20]}-{digest[20:32]}"


# What the offline world answers for identities: public so the deploy simulator
# (infra/simulate) can tell whose role assignment is whose without a second derivation.
DEPLOYER_OBJECT_ID = _guid("caller")
"""What `authorization.getClientConfig` returns offline: the identity running `pulumi up`."""


def identity_principal_id(name: str) -> str:
    """Principal id of the user-assigned identity with this logical name."""
    return _guid(name, "principal")


def identity_client_id(name: str) -> str:
    """Client id of the user-assigned identity with this logical name."""
    return _guid(name, "client")


def kubelet_object_id(cluster: str) -> str:
    """Object id of the kubelet identity of the managed cluster with this logical name."""
    return _guid(cluster, "kubelet-object")


def app_routing_object_id(cluster: str) -> str:
    """Object id of the app routing add-on identity of the cluster with this logical name."""
    return _guid(cluster, "app-routing")


_PROVIDER_SEGMENT = {
    # The SDK names AGC's types `*Interface`; Azure's ids say trafficControllers.
    TRAFFIC_CONTROLLER: ("Microsoft.ServiceNetworking/trafficControllers"),
}


def _provider_segment(token: str) -> str:
    if token in _PROVIDER_SEGMENT:
        return _PROVIDER_SEGMENT[token]
    # "azure-native:containerservice:ManagedCluster" -> "Microsoft.Containerservice/managedclusters"
    _, module, kind = token.split(":", 2)
    plural = kind[:-1] + "ies" if kind.endswith("y") else kind + "s"
    return f"Microsoft.{module.capitalize()}/{plural.lower()}"


def fake_kubeconfig(cluster: str) -> str:
    """An AKS-shaped, Entra ID kubeconfig (kubelogin devicecode), base64 encoded."""
    document = {
        "apiVersion": "v1",
        "kind": "Config",
        "clusters": [
            {"name": cluster, "cluster": {"server": f"https://{cluster}.hcp.example:443"}}
        ],
        "contexts": [{"name": cluster, "context": {"cluster": cluster, "user": "clusterUser"}}],
        "current-context": cluster,
        "users": [
            {
                "name": "clusterUser",
                "user": {
                    "exec": {
                        "apiVersion": "client.authentication.k8s.io/v1beta1",
                        "command": "kubelogin",
                        "args": [
                            "get-token",
                            "--environment",
                            "AzurePublicCloud",
                            "--server-id",
                            "6dae42f8-4368-4678-94ff-3960e28e3630",
                            "--client-id",
                            "80faf920-1908-4b52-b5ef-a8e7bedfc67a",
                            "--tenant-id",
                            FAKE_TENANT,
                            "--login",
                            "devicecode",
                        ],
                    }
                },
            }
        ],
    }
    return base64.b64encode(yaml.safe_dump(document).encode()).decode()


# The input that carries a resource's own Azure name (others are autonamed from the logical name).
_OWN_NAME_INPUT = {
    RESOURCE_GROUP: "resourceGroupName",
    VIRTUAL_NETWORK: "virtualNetworkName",
    SUBNET: "subnetName",
    REGISTRY: "registryName",
    MAINTENANCE_CONFIGURATION: "configName",
    MANAGED_ENVIRONMENT: "environmentName",
    CONTAINER_APP: "containerAppName",
    WORKSPACE: "workspaceName",
    VAULT: "vaultName",
    PRIVATE_ZONE: "privateZoneName",
    TRAFFIC_CONTROLLER: "trafficControllerName",
}


class PlatformMocks(pulumi.runtime.Mocks):
    """Echo inputs back as outputs and add the computed outputs the program reads."""

    def new_resource(
        self, args: pulumi.runtime.MockResourceArgs
    ) -> tuple[str | None, dict[str, Any]]:
        inputs: dict[str, Any] = dict(args.inputs)
        token = args.typ
        name = args.name
        if token == STACK_REFERENCE:
            # An application stack reads its platform's contract (docs/team-stacks.md).
            stack = str(args.resource_id or inputs.get("name") or name)
            outputs = recorded_outputs(stack)
            return (stack, {"name": stack, "outputs": outputs, "secretOutputNames": []})
        if token == KUBERNETES_SERVICE and (inputs.get("spec") or {}).get("type") == "LoadBalancer":
            digest = int(hashlib.sha256(name.encode()).hexdigest()[:4], 16)
            ip = f"10.{digest % 200 + 20}.{digest % 250 + 1}.{digest % 200 + 10}"
            return (f"{name}-id", {**inputs, "status": {"loadBalancer": {"ingress": [{"ip": ip}]}}})
        if not token.startswith("azure-native:"):
            return (f"{name}-id", inputs)

        physical = str(inputs.get(_OWN_NAME_INPUT.get(token, "resourceName")) or name)
        group = str(inputs.get("resourceGroupName", physical))
        if token == RESOURCE_GROUP:
            resource_id = f"/subscriptions/{FAKE_SUBSCRIPTION}/resourceGroups/{physical}"
        elif token == ROLE_DEFINITION:
            # A role definition's id is subscription-level whatever its scope; its name a GUID.
            resource_id = (
                f"/subscriptions/{FAKE_SUBSCRIPTION}/providers/Microsoft.Authorization/"
                f"roleDefinitions/{inputs.get('roleDefinitionId') or name}"
            )
        else:
            resource_id = (
                f"/subscriptions/{FAKE_SUBSCRIPTION}/resourceGroups/{group}/providers/"
                f"{_provider_segment(token)}/{physical}"
            )
        outputs: dict[str, Any] = {**inputs, "name": physical}
        identity = inputs.get("identity")
        if isinstance(identity, dict) and isinstance(identity.get("userAssignedIdentities"), list):
            # Inputs list identity ids; Azure answers with a map of id to principal/client ids.
            outputs["identity"] = {
                **identity,
                "userAssignedIdentities": {
                    str(i): {"principalId": _guid(str(i), "p"), "clientId": _guid(str(i), "c")}
                    for i in identity["userAssignedIdentities"]
                },
            }
        if token == MANAGED_CLUSTER:
            outputs["identityProfile"] = {
                "kubeletidentity": {
                    "objectId": kubelet_object_id(name),
                    "clientId": _guid(name, "kubelet-client"),
                    "resourceId": f"{resource_id}-agentpool",
                }
            }
            outputs["oidcIssuerProfile"] = {
                "enabled": True,
                "issuerURL": f"https://westeurope.oic.prod-aks.azure.com/{FAKE_TENANT}/{_guid(name)}/",
            }
            outputs["fqdn"] = f"{physical}.hcp.example"
            # AKS's default node resource group name (AKS FAQ).
            outputs["nodeResourceGroup"] = inputs.get("nodeResourceGroup") or (
                f"MC_{group}_{physical}_{inputs.get('location', '')}"
            )
            if (inputs.get("apiServerAccessProfile") or {}).get("enablePrivateCluster"):
                # AKS's own zone for a private API server (privateDNSZone: system).
                outputs["privateFQDN"] = (
                    f"{physical}-{_guid(name)[:8]}.{_guid(name, 'zone')}"
                    f".privatelink.{inputs.get('location', 'westeurope')}.azmk8s.io"
                )
            outputs["ingressProfile"] = {
                "webAppRouting": {
                    **((inputs.get("ingressProfile") or {}).get("webAppRouting") or {}),
                    "identity": {
                        "objectId": app_routing_object_id(name),
                        "clientId": _guid(name, "ar"),
                    },
                }
            }
        elif token == USER_ASSIGNED_IDENTITY:
            outputs["principalId"] = identity_principal_id(name)
            outputs["clientId"] = identity_client_id(name)
            outputs["tenantId"] = FAKE_TENANT
        elif token == PUBLIC_IP_ADDRESS:
            digest = int(hashlib.sha256(name.encode()).hexdigest()[:4], 16)
            outputs["ipAddress"] = f"198.51.100.{digest % 250 + 1}"
        elif token == VAULT:
            outputs["properties"] = {
                **(inputs.get("properties") or {}),
                "vaultUri": f"https://{physical}.vault.azure.net/",
            }
        elif token == WORKSPACE:
            outputs["customerId"] = _guid(name, "customer")
        elif token == REGISTRY:
            outputs["loginServer"] = f"{physical.lower()}.azurecr.io"
        elif token == MANAGED_ENVIRONMENT:
            outputs["defaultDomain"] = f"{_guid(name)[:12]}.westeurope.azurecontainerapps.io"
            outputs["staticIp"] = "10.0.0.4"
            outputs["customDomainConfiguration"] = {
                "customDomainVerificationId": hashlib.sha256(name.encode()).hexdigest().upper()
            }
        elif token == FRONTEND:
            # AGC generates each Frontend's name, e.g. `<16 chars>.fz<n>.alb.azure.com`.
            outputs["fqdn"] = f"{_guid(name).replace('-', '')[:16]}.fz00.alb.azure.com"
        elif token == CONTAINER_APP:
            outputs["latestRevisionFqdn"] = f"{physical}.internal.example"
            ingress = (inputs.get("configuration") or {}).get("ingress")
            if ingress:
                outputs["configuration"] = {
                    **inputs["configuration"],
                    "ingress": {**ingress, "fqdn": f"{physical}.example"},
                }
        return (resource_id, outputs)

    def call(self, args: pulumi.runtime.MockCallArgs) -> dict[str, Any]:  # type: ignore[override]
        token = args.token
        if token == "azure-native:authorization:getClientConfig":
            return {
                "subscriptionId": FAKE_SUBSCRIPTION,
                "tenantId": FAKE_TENANT,
                "clientId": FAKE_CLIENT,
                "objectId": DEPLOYER_OBJECT_ID,
            }
        if token == "azure-native:containerservice:listManagedClusterUserCredentials":
            cluster = str(args.args.get("resourceName", "cluster"))
            return {"kubeconfigs": [{"name": "clusterUser", "value": fake_kubeconfig(cluster)}]}
        if token == "azure-native:app:getContainerApp":
            # An app that runs one revision in single revision mode: what a rollout starts from.
            name = str(args.args.get("containerAppName", "app"))
            return {
                "name": name,
                "latestRevisionName": f"{name}--{LIVE_REVISION_SUFFIX}",
                "latestReadyRevisionName": f"{name}--{LIVE_REVISION_SUFFIX}",
                "configuration": {
                    "activeRevisionsMode": "Single",
                    "ingress": {"traffic": [{"latestRevision": True, "weight": 100}]},
                },
            }
        if token == "azure-native:operationalinsights:getSharedKeys":
            return {"primarySharedKey": "offline-shared-key", "secondarySharedKey": "offline-2"}
        # A dict, not a tuple: the mock monitor iterates a tuple's failures and None breaks it.
        return {}
