"""Container Apps revisions for a rollout: which revision is stable, and the traffic split
between it and the canary.

learn.microsoft.com/azure/container-apps/revisions ("Revision modes", "Traffic splitting",
"Revision labels"): in multiple revision mode, `ingress.traffic` gives each revision (by name,
or the latest) a weight and optionally a label.

Revision names are left to Azure: a template never carries a `revisionSuffix`, so every
template change gets a fresh revision. A suffix derived from the declaration looked attractive
(the stable revision's name known in advance) but breaks every return to an earlier
declaration — a rollback, a `git revert`: the derived suffix names a revision that exists, and
Azure creates no revision under an existing name (microsoft/azure-container-apps#650: the update
succeeds and nothing changes; Azure/terraform-azurerm-avm-res-app-containerapp#115: "revision
with suffix already exists"), so the app keeps running what it was meant to leave. During a
rollout the stable revision is instead the one running now, read from the live app
(`components/container_app_service.py`, `stable_revision`): the revision labelled `stable`
while a rollout is under way, else the latest ready revision. The traffic entry keeps it by
name and label instead of wiping it (microsoft/azure-container-apps#962).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable

from pulumi_azure_native import app

from infra.services.render.common import Text
from infra.services.spec import ServiceSpec

STABLE_LABEL = "stable"
CANARY_LABEL = "canary"


def canary_spec(spec: ServiceSpec) -> ServiceSpec:
    """What the latest revision runs during a rollout: the canary image."""
    assert spec.rollout is not None
    return dataclasses.replace(spec, image=spec.rollout.image, rollout=None)


def traffic(spec: ServiceSpec, stable_revision: Text | None) -> list[app.TrafficWeightArgs]:
    """All traffic to the latest revision; during a rollout the stable revision keeps
    `100 - weight` (by name, labelled) and the canary, the latest, takes `weight`."""
    rollout = spec.rollout
    if rollout is None:
        return [app.TrafficWeightArgs(latest_revision=True, weight=100)]
    if stable_revision is None:
        raise ValueError(
            f"service {spec.name!r}: a rollout on Container Apps needs the name of the running "
            "revision (stable_revision)"
        )
    return [
        app.TrafficWeightArgs(
            revision_name=stable_revision, weight=100 - rollout.weight, label=STABLE_LABEL
        ),
        app.TrafficWeightArgs(latest_revision=True, weight=rollout.weight, label=CANARY_LABEL),
    ]


def running_revision(
    traffic: Iterable[tuple[str | None, str | None]],
    latest_ready: str | None,
    latest: str | None,
) -> str:
    """The stable revision of a live Container App (`getContainerApp`): the one its traffic
    (label, revision name) labels `stable` from an earlier step of this rollout, else the
    latest ready revision (what single revision mode serves), else the latest. Empty when the
    app has no revision yet: a rollout needs a running app (the deploy simulator's
    `aca-rollout-before-first-revision`)."""
    for label, revision in traffic:
        if label == STABLE_LABEL and revision:
            return revision
    return latest_ready or latest or ""
