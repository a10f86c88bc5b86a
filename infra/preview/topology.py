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
            }
            for s in catalog.services
        ]
    }


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
        lines.append("  end")
    for s in services:
        if s["exposure"] == Exposure.PUBLIC.value:
            lines.append(f"  internet -->|https| {_node(s['name'])}")
        elif s["exposure"] == Exposure.INTERNAL.value:
            lines.append(f"  vnet -.-> {_node(s['name'])}")
    for s in services:
        lines.extend(f"  {_node(s['name'])} --> {_node(callee)}" for callee in s["calls"])
    return "\n".join(lines) + "\n"
