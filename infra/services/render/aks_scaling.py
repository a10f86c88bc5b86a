"""How many replicas on AKS: the HorizontalPodAutoscaler (CPU, memory) or KEDA ScaledObject
(a queue, authenticated as the workload's own identity), and the PodDisruptionBudget that keeps
replicas serving through a node drain."""

from __future__ import annotations

from infra.constants import SCALER_COOLDOWN_SECONDS, SCALER_POLLING_SECONDS
from infra.services.catalog import Planned, PlannedService
from infra.services.render.common import (
    ClusterKind,
    Manifest,
    PlatformExtensions,
    PlatformFacts,
    Text,
    concat,
    keda_queue_scaler,
    min_replicas,
    selector,
)
from infra.services.render.objects import service_meta
from infra.services.roles import queue_trigger as declared_queue
from infra.services.spec import KedaScaler, QueueTrigger


def _auth_name(service: Planned) -> str:
    return f"{service.name}-workload-identity"


def queue_trigger(service: Planned, queue: QueueTrigger) -> Manifest:
    """A KEDA queue trigger authenticated as the workload's own identity (no connection
    string), for a service's ScaledObject and a job's ScaledJob alike."""
    kind, metadata = keda_queue_scaler(queue)
    trigger: Manifest = {"type": kind, "metadata": metadata}
    trigger["authenticationRef"] = {"name": _auth_name(service)}
    return trigger


def local_scaler_secret_name(service: Planned) -> str:
    """Locally (no Key Vault): the plain Secret a `KedaScaler`'s auth parameters come from,
    keyed by the Key Vault secret's name (`kubectl create secret generic <name>-scaler ...`)."""
    return f"{service.name}-scaler"


def trigger_authentication(
    service: Planned,
    extensions: PlatformExtensions,
    facts: PlatformFacts,
    client_id: Text | None,
) -> Manifest:
    """How KEDA's operator authenticates the workload's scaler: as the workload's identity
    (`azure-workload`, federated with the operator's service account) for the Azure queues; for
    a `KedaScaler` with `auth`, each parameter read from Key Vault by that identity
    (`azureKeyVault`, keda.sh/docs/2.19/authentication-providers/azure-key-vault), so no
    credential is copied into a Kubernetes Secret, and it is there when no pod runs (a Secrets
    Store CSI synced Secret exists only while a pod mounts it, which scale-to-zero removes).
    Locally, from a plain Secret (`secretTargetRef`)."""
    identity = {"provider": "azure-workload", "identityId": client_id or ""}
    queue = declared_queue(service.spec)
    spec: Manifest = {"podIdentity": identity}
    if isinstance(queue, KedaScaler) and queue.auth:
        refs = sorted(queue.auth.items())
        if facts.cluster is ClusterKind.LOCAL:
            spec = {
                "secretTargetRef": [
                    {"parameter": p, "name": local_scaler_secret_name(service), "key": ref.name}
                    for p, ref in refs
                ]
            }
        else:
            vault_id = refs[0][1].vault_id  # validated: one vault per scaler
            vault: Text = facts.key_vault_name if vault_id is None else vault_id.rsplit("/", 1)[-1]
            spec = {
                "azureKeyVault": {
                    "vaultUri": concat("https://", vault, ".vault.azure.net"),
                    "podIdentity": identity,
                    "secrets": [{"parameter": p, "name": ref.name} for p, ref in refs],
                }
            }
    return {
        "apiVersion": "keda.sh/v1alpha1",
        "kind": "TriggerAuthentication",
        "metadata": service_meta(service, extensions, _auth_name(service)),
        "spec": spec,
    }


def queue_authentication(
    service: PlannedService,
    extensions: PlatformExtensions,
    facts: PlatformFacts,
    client_id: Text | None,
) -> Manifest | None:
    """The ScaledObject's TriggerAuthentication, when the service scales on a queue."""
    scale = service.spec.autoscaling
    if scale is None or scale.queue is None:
        return None
    return trigger_authentication(service, extensions, facts, client_id)


def autoscaler(service: PlannedService, extensions: PlatformExtensions) -> Manifest | None:
    """An HPA on CPU/memory; a KEDA ScaledObject (which drives an HPA of its own) with a queue."""
    spec = service.spec
    scale = spec.autoscaling
    if scale is None:
        return None
    resource_metrics = [
        (metric, target)
        for metric, target in (("cpu", scale.cpu_utilization), ("memory", scale.memory_utilization))
        if target is not None
    ]
    if scale.queue is None:
        return {
            "apiVersion": "autoscaling/v2",
            "kind": "HorizontalPodAutoscaler",
            "metadata": service_meta(service, extensions),
            "spec": {
                "scaleTargetRef": {
                    "apiVersion": "apps/v1",
                    "kind": "Deployment",
                    "name": service.name,
                },
                "minReplicas": scale.min_replicas,
                "maxReplicas": scale.max_replicas,
                "metrics": [
                    {
                        "type": "Resource",
                        "resource": {
                            "name": metric,
                            "target": {"type": "Utilization", "averageUtilization": target},
                        },
                    }
                    for metric, target in resource_metrics
                ],
                # Scale in slowly: a traffic dip should not cost capacity needed a minute later.
                "behavior": {"scaleDown": {"stabilizationWindowSeconds": 300}},
            },
        }
    triggers = [queue_trigger(service, scale.queue)] + [
        {"type": metric, "metricType": "Utilization", "metadata": {"value": str(target)}}
        for metric, target in resource_metrics
    ]
    return {
        "apiVersion": "keda.sh/v1alpha1",
        "kind": "ScaledObject",
        "metadata": service_meta(service, extensions),
        "spec": {
            "scaleTargetRef": {"name": service.name},
            "minReplicaCount": scale.min_replicas,
            "maxReplicaCount": scale.max_replicas,
            "pollingInterval": SCALER_POLLING_SECONDS,
            "cooldownPeriod": SCALER_COOLDOWN_SECONDS,
            "triggers": triggers,
        },
    }


def disruption_budget(service: PlannedService, extensions: PlatformExtensions) -> Manifest | None:
    if min_replicas(service.spec) < 2:
        return None
    return {
        "apiVersion": "policy/v1",
        "kind": "PodDisruptionBudget",
        "metadata": service_meta(service, extensions),
        # A node drain takes one replica at a time; the rest keep serving.
        "spec": {
            "maxUnavailable": 1,
            "selector": {"matchLabels": selector(service)},
            "unhealthyPodEvictionPolicy": "AlwaysAllow",
        },
    }
