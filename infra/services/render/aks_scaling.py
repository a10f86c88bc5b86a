"""How many replicas on AKS: the HorizontalPodAutoscaler (CPU, memory) or KEDA ScaledObject
(a queue, authenticated as the workload's own identity), and the PodDisruptionBudget that keeps
replicas serving through a node drain."""

from __future__ import annotations

from infra.constants import SCALER_COOLDOWN_SECONDS, SCALER_POLLING_SECONDS
from infra.services.catalog import Planned, PlannedService
from infra.services.render.common import (
    Manifest,
    PlatformExtensions,
    Text,
    keda_queue_scaler,
    min_replicas,
    selector,
)
from infra.services.render.objects import service_meta
from infra.services.spec import QueueTrigger


def _auth_name(service: Planned) -> str:
    return f"{service.name}-workload-identity"


def queue_trigger(service: Planned, queue: QueueTrigger) -> Manifest:
    """A KEDA queue trigger authenticated as the workload's own identity (no connection
    string), for a service's ScaledObject and a job's ScaledJob alike."""
    kind, metadata = keda_queue_scaler(queue)
    trigger: Manifest = {"type": kind, "metadata": metadata}
    trigger["authenticationRef"] = {"name": _auth_name(service)}
    return trigger


def trigger_authentication(
    service: Planned, extensions: PlatformExtensions, client_id: Text | None
) -> Manifest:
    return {
        "apiVersion": "keda.sh/v1alpha1",
        "kind": "TriggerAuthentication",
        "metadata": service_meta(service, extensions, _auth_name(service)),
        "spec": {"podIdentity": {"provider": "azure-workload", "identityId": client_id or ""}},
    }


def queue_authentication(
    service: PlannedService, extensions: PlatformExtensions, client_id: Text | None
) -> Manifest | None:
    """The ScaledObject's TriggerAuthentication, when the service scales on a queue."""
    scale = service.spec.autoscaling
    if scale is None or scale.queue is None:
        return None
    return trigger_authentication(service, extensions, client_id)


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
