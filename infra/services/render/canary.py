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
from typing import Any

from infra.services.catalog import Catalog, PlannedService
from infra.services.render.aks import ServiceSecrets, render_on_aks
from infra.services.render.common import PlatformExtensions, PlatformFacts, Text
from infra.services.render.gateway import canary_name

Obj = dict[str, Any]

CANARY_KINDS = (
    "Deployment",
    "Service",
    "HorizontalPodAutoscaler",
    "ScaledObject",
    "PodDisruptionBudget",
    "NetworkPolicy",
)
"""What the canary has of its own; everything else it shares with the stable service."""


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
    canary = canary_service(service)
    if canary is None:
        return []
    objects = render_on_aks(
        canary,
        catalog=catalog,
        facts=facts,
        extensions=extensions,
        client_id=client_id,
        secrets=secrets,
    )
    kept: list[Obj] = []
    for obj in objects:
        if obj["kind"] not in CANARY_KINDS:
            continue
        if obj["kind"] == "Deployment":
            template = obj["spec"]["template"]
            template["spec"] = _shared(template["spec"], canary.name, service.name)
        elif obj["kind"] == "ScaledObject":
            obj["spec"]["triggers"] = _shared(obj["spec"]["triggers"], canary.name, service.name)
        kept.append(obj)
    return kept
