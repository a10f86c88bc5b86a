"""What changes in Azure between two deploys without Pulumi: AKS auto-upgrades the cluster
along its channel, and a refreshing `pulumi up` (pulumi-preview.yml runs with `refresh: true`)
reads the new version into the state."""

from __future__ import annotations

import dataclasses

from infra.plan.kinds import MANAGED_CLUSTER
from infra.plan.paths import value_at
from infra.simulate.world import World


def upgraded(version: str, channel: str) -> str:
    """The version AKS moves a cluster to on its channel: `patch` → next patch, `stable` /
    `rapid` → next minor, `node-image` / `none` → unchanged (AKS docs, "Automatically upgrade
    an AKS cluster")."""
    parts = [int(p) for p in version.split(".") if p.isdigit()]
    if len(parts) < 2:
        return version
    major, minor, patch = parts[0], parts[1], parts[2] if len(parts) > 2 else 0
    if channel.lower() in ("stable", "rapid"):
        return f"{major}.{minor + 1}.1"
    if channel.lower() == "patch":
        return f"{major}.{minor}.{patch + 1}"
    return version


def auto_upgrade(world: World) -> tuple[World, list[str]]:
    """Every cluster upgraded along its channel; the changes, in words."""
    after = world.copy()
    changes: list[str] = []
    for urn, resource in world.resources.items():
        if resource.type != MANAGED_CLUSTER:
            continue
        channel = str(value_at(resource.inputs, "autoUpgradeProfile.upgradeChannel") or "none")
        version = str(resource.inputs.get("kubernetesVersion") or "")
        new = upgraded(version, channel) if version else version
        if new != version:
            inputs = {**resource.inputs, "kubernetesVersion": new}
            after.resources[urn] = dataclasses.replace(resource, inputs=inputs)
            changes.append(f"{resource.name} auto-upgraded {version} → {new} ({channel} channel)")
    return after, changes
