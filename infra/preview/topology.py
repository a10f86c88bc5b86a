"""A picture of the platform: which service runs where, what is public, who calls whom."""

from __future__ import annotations

import re
from typing import Any

from infra.services.catalog import Catalog
from infra.services.spec import Exposure, Target


def topology_of(catalog: Catalog) -> dict[str, Any]:
    """Plain data, stored in plan snapshots so a diff can tell when the picture changed."""
    return {
        "services": [
            {
                "name": s.name,
                "app": s.app,
                "target": s.spec.target.value,
                "exposure": s.spec.ingress.exposure.value,
                "host": s.spec.ingress.host or "",
                "calls": sorted(d.service for d in s.spec.dependencies),
                # Only during a rollout, so snapshots without one keep their shape.
                **(
                    {"rollout": {"image": s.spec.rollout.image, "weight": s.spec.rollout.weight}}
                    if s.spec.rollout is not None
                    else {}
                ),
            }
            for s in catalog.services
        ]
    }


def split(rollout: dict[str, Any]) -> str:
    """`stable 90 % → canary 10 %`: how a rollout shares the service's ingress traffic."""
    weight = int(rollout["weight"])
    return f"stable {100 - weight} % → canary {weight} %"


def traffic_lines(topology: dict[str, Any]) -> list[str]:
    """One line per service with a rollout: `shop: stable 90 % → canary 10 % (shop:1.5.0)`."""
    return [
        f"{s['name']}: {split(s['rollout'])} ({s['rollout']['image']})"
        for s in topology.get("services", [])
        if s.get("rollout")
    ]


def _node(name: str) -> str:
    return "svc_" + re.sub(r"[^a-zA-Z0-9]", "_", name)


def mermaid(topology: dict[str, Any]) -> str:
    services = topology.get("services", [])
    lines = ["flowchart LR"]
    titles = {Target.AKS.value: "AKS", Target.CONTAINER_APPS.value: "Container Apps"}
    if any(s["exposure"] == Exposure.PUBLIC.value for s in services):
        lines.append("  internet((Internet))")
    if any(s["exposure"] == Exposure.INTERNAL.value for s in services):
        lines.append("  vnet((Private network))")
    for target, title in titles.items():
        members = [s for s in services if s["target"] == target]
        if not members:
            continue
        lines.append(f'  subgraph {target.replace("-", "_")}["{title}"]')
        for s in members:
            label = s["name"] + (f"<br/>{s['host']}" if s["host"] else "")
            lines.append(f'    {_node(s["name"])}["{label}"]')
            if s.get("rollout"):
                canary = f"{s['name']} canary<br/>{s['rollout']['image']}"
                lines.append(f'    {_node(s["name"])}_canary["{canary}"]')
        lines.append("  end")
    for s in services:
        source = {
            Exposure.PUBLIC.value: ("internet", "-->", "https"),
            Exposure.INTERNAL.value: ("vnet", "-.->", ""),
        }.get(s["exposure"])
        if source is None:
            continue
        origin, arrow, protocol = source
        rollout = s.get("rollout")
        if rollout:
            weight = int(rollout["weight"])
            stable = f"{protocol} {100 - weight} %".strip()
            canary = f"{protocol} {weight} %".strip()
            lines.append(f"  {origin} {arrow}|{stable}| {_node(s['name'])}")
            lines.append(f"  {origin} {arrow}|{canary}| {_node(s['name'])}_canary")
        elif protocol:
            lines.append(f"  {origin} {arrow}|{protocol}| {_node(s['name'])}")
        else:
            lines.append(f"  {origin} {arrow} {_node(s['name'])}")
    for s in services:
        lines.extend(f"  {_node(s['name'])} --> {_node(callee)}" for callee in s["calls"])
    return "\n".join(lines) + "\n"
