"""Container Apps revisions for a rollout: names that are known before Azure creates them, and
the traffic split between the stable revision and the canary.

learn.microsoft.com/azure/container-apps/revisions ("Revision modes", "Traffic splitting",
"Revision labels"): in multiple revision mode, `ingress.traffic` gives each revision (by name,
or the latest) a weight and optionally a label. Every template gets a `revisionSuffix` derived
from the service's declaration, so the stable revision's name `<app>--<suffix>` is computable
while its canary runs, and the traffic entry keeps it (and its `stable` label) instead of
wiping it (microsoft/azure-container-apps#962).
"""

from __future__ import annotations

import dataclasses
import hashlib

from pulumi_azure_native import app

from infra.services.spec import ServiceSpec

STABLE_LABEL = "stable"
CANARY_LABEL = "canary"


TEMPLATE_FIELDS = (
    "image",
    "command",
    "args",
    "env",
    "secrets",
    "secret_files",
    "resources",
    "replicas",
    "autoscaling",
    "ports",
    "probes",
    "dependencies",
    "writable_paths",
)
"""The declaration fields that shape a revision's template (containers, scale, volumes).
Identity roles, ingress and the rollout itself are app-level: changing them makes no new
revision, so they must not change the suffix either."""


def revision_suffix(spec: ServiceSpec) -> str:
    """A digest of what the revision runs: a new image, env or size gives a new suffix, the
    same template the same one."""
    shaping = tuple((name, getattr(spec, name)) for name in TEMPLATE_FIELDS)
    digest = hashlib.sha256(repr(shaping).encode()).hexdigest()[:9]
    return f"r{digest}"


def canary_spec(spec: ServiceSpec) -> ServiceSpec:
    """What the latest revision runs during a rollout: the canary image."""
    assert spec.rollout is not None
    return dataclasses.replace(spec, image=spec.rollout.image, rollout=None)


def template_suffix(spec: ServiceSpec) -> str:
    """The suffix of the revision this deploy's template creates (the canary's, if any)."""
    return revision_suffix(canary_spec(spec) if spec.rollout is not None else spec)


def traffic(spec: ServiceSpec) -> list[app.TrafficWeightArgs]:
    """All traffic to the latest revision; during a rollout the stable revision keeps
    `100 - weight` (by name, labelled) and the canary, the latest, takes `weight`."""
    rollout = spec.rollout
    if rollout is None:
        return [app.TrafficWeightArgs(latest_revision=True, weight=100)]
    return [
        app.TrafficWeightArgs(
            revision_name=f"{spec.name}--{revision_suffix(spec)}",
            weight=100 - rollout.weight,
            label=STABLE_LABEL,
        ),
        app.TrafficWeightArgs(latest_revision=True, weight=rollout.weight, label=CANARY_LABEL),
    ]
