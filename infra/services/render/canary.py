"""A rollout's canary on AKS: a second Deployment (the canary image) with its own Service,
autoscaler, PodDisruptionBudget and NetworkPolicy, which the route's weighted `backendRefs`
send its share to. Pure: derived from the stable rendering of the same service.

The canary is rendered as the same service under the name `<service>-canary` (so its pods
carry their own `app.kubernetes.io/name`: the stable Service and Deployment never select them)
and then pointed back at what the stable service owns: its ServiceAccount (the federated
credential names it), its Key Vault SecretProviderClasses and Secrets, its KEDA
TriggerAuthentication. Callers inside the cluster keep reaching the stable Service; only
ingress traffic is split.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Any

from infra.services.catalog import Catalog, PlannedService
from infra.services.render.aks import ServiceSecrets, plan_on_aks
from infra.services.render.common import Manifest, PlatformExtensions, PlatformFacts, Text
from infra.services.render.gateway import canary_name
from infra.services.render.objects import KubernetesPlan

Obj = dict[str, Any]


@dataclass(frozen=True)
class CanaryPlan(KubernetesPlan):
    """What the canary has of its own, in apply order (fields of `AksServicePlan` it takes);
    everything else it shares with the stable service."""

    deployment: Manifest
    service: Manifest | None
    autoscaler: Manifest | None
    """HorizontalPodAutoscaler, or KEDA ScaledObject (its triggers use the stable service's
    TriggerAuthentication)."""
    disruption_budget: Manifest | None
    network_policy: Manifest | None


def canary_service(service: PlannedService) -> PlannedService | None:
    """The service as its canary: the rollout's image under the canary's name."""
    rollout = service.spec.rollout
    if rollout is None:
        return None
    spec = dataclasses.replace(
        service.spec, name=canary_name(service.name), image=rollout.image, rollout=None
    )
    return dataclasses.replace(service, spec=spec)


def _shared(value: Any, canary: str, stable: str) -> Any:
    """Point names the canary rendering derived from its own name back at the stable
    service's objects; labels and selectors (under `metadata`/`selector`) stay the canary's."""
    if isinstance(value, dict):
        return {
            key: item
            if key in ("metadata", "selector", "matchLabels", "labels", "podSelector")
            else _shared(item, canary, stable)
            for key, item in value.items()
        }
    if isinstance(value, list):
        return [_shared(item, canary, stable) for item in value]
    if isinstance(value, str):
        if value == canary:
            return stable
        if value.startswith(f"{canary}-"):
            return stable + value[len(canary) :]
        if value == f"tls-{canary}":
            return f"tls-{stable}"
    return value


def canary_plan_on_aks(
    service: PlannedService,
    *,
    catalog: Catalog,
    facts: PlatformFacts,
    extensions: PlatformExtensions,
    client_id: Text | None,
    secrets: ServiceSecrets,
) -> CanaryPlan | None:
    """The canary's own objects, taken from its service plan by field; None without a
    rollout. Its pods use the stable service's identity and secrets, and a queue-scaled
    canary's triggers the stable service's TriggerAuthentication."""
    canary = canary_service(service)
    if canary is None:
        return None
    plan = plan_on_aks(
        canary,
        catalog=catalog,
        facts=facts,
        extensions=extensions,
        client_id=client_id,
        secrets=secrets,
    )
    deployment = plan.workload  # a Deployment: a stateful service runs no canary (validated)
    template = deployment["spec"]["template"]
    template = {**template, "spec": _shared(template["spec"], canary.name, service.name)}
    deployment = {**deployment, "spec": {**deployment["spec"], "template": template}}
    autoscaler = plan.autoscaler
    if autoscaler is not None and "triggers" in autoscaler["spec"]:
        triggers = _shared(autoscaler["spec"]["triggers"], canary.name, service.name)
        autoscaler = {**autoscaler, "spec": {**autoscaler["spec"], "triggers": triggers}}
    return CanaryPlan(
        deployment=deployment,
        service=plan.service,
        autoscaler=autoscaler,
        disruption_budget=plan.disruption_budget,
        network_policy=plan.network_policy,
    )


def render_canary_on_aks(
    service: PlannedService,
    *,
    catalog: Catalog,
    facts: PlatformFacts,
    extensions: PlatformExtensions,
    client_id: Text | None,
    secrets: ServiceSecrets,
) -> list[Obj]:
    """The canary's own objects, in apply order; [] without a rollout."""
    plan = canary_plan_on_aks(
        service,
        catalog=catalog,
        facts=facts,
        extensions=extensions,
        client_id=client_id,
        secrets=secrets,
    )
    return [] if plan is None else plan.objects()
