"""What changes in Azure between two deploys without Pulumi: AKS auto-upgrades the cluster
along its channel, and a refreshing `pulumi up` (pulumi-preview.yml runs with `refresh: true`)
reads the new version into the state."""

from __future__ import annotations

import dataclasses
import datetime as dt

from infra.aks_versions import channel_target, load_calendar, minor_key, reference_date
from infra.plan.kinds import MANAGED_CLUSTER
from infra.plan.paths import value_at
from infra.simulate.world import World


def upgraded(version: str, channel: str, on: dt.date | None = None) -> str:
    """The version AKS moves a cluster to on its channel on day `on`: `stable` to minor N-1 and
    `rapid` to minor N of the versions supported that day (the vendored calendar,
    `infra.aks_versions.channel_target`), else the next patch of its own minor (`patch`, and
    `stable`/`rapid` already on their target); `node-image` / `none`: unchanged (AKS docs,
    "Automatically upgrade an AKS cluster", upstream/aks/). The new patch number is a stand-in:
    the calendar lists minors, not patches."""
    parts = [int(p) for p in version.split(".") if p.isdigit()]
    lowered = channel.lower()
    if len(parts) < 2 or lowered not in ("stable", "rapid", "patch"):
        return version
    major, minor, patch = parts[0], parts[1], parts[2] if len(parts) > 2 else 0
    target = None
    if lowered != "patch":
        target = channel_target(load_calendar(), lowered, reference_date(on))
    if target is not None and minor_key(target) > (major, minor):
        return f"{target}.1"
    return f"{major}.{minor}.{patch + 1}"


def auto_upgrade(world: World, on: dt.date | None = None) -> tuple[World, list[str]]:
    """Every cluster upgraded along its channel on day `on` (default today); the changes, in
    words."""
    after = world.copy()
    changes: list[str] = []
    for urn, resource in world.resources.items():
        if resource.type != MANAGED_CLUSTER:
            continue
        channel = str(value_at(resource.inputs, "autoUpgradeProfile.upgradeChannel") or "none")
        version = str(resource.inputs.get("kubernetesVersion") or "")
        new = upgraded(version, channel, on) if version else version
        if new != version:
            inputs = {**resource.inputs, "kubernetesVersion": new}
            after.resources[urn] = dataclasses.replace(resource, inputs=inputs)
            changes.append(f"{resource.name} auto-upgraded {version} → {new} ({channel} channel)")
    return after, changes
