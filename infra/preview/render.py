"""`render`: the desired state as files, for review and for GitOps tools.

DIR/kubernetes/<namespace>/<kind>-<name>.yaml   (cluster-scoped objects under _cluster/)
DIR/azure/<module>/<Type>-<name>.json
DIR/topology.mmd                                 (Mermaid)
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import yaml

from infra.preview.topology import mermaid


def _safe(name: str) -> str:
    return re.sub(r"[^A-Za-z0-9_.-]", "_", name)


def render_snapshot(snapshot: dict[str, Any], out: Path) -> list[Path]:
    """Write every resource of a snapshot; returns the files written, sorted."""
    written: list[Path] = []
    for resource in snapshot["resources"]:
        token: str = resource["type"]
        if not resource.get("custom"):
            continue
        inputs = resource["inputs"]
        if token.startswith("kubernetes:"):
            obj = {k: v for k, v in inputs.items() if not k.startswith("__")}
            namespace = (obj.get("metadata") or {}).get("namespace") or "_cluster"
            name = (obj.get("metadata") or {}).get("name") or resource["name"]
            path = (
                out
                / "kubernetes"
                / _safe(namespace)
                / f"{_safe(obj.get('kind', 'Object'))}-{_safe(name)}.yaml"
            )
            text = yaml.safe_dump(obj, sort_keys=True, default_flow_style=False)
        elif token.startswith("azure-native:"):
            _, module, kind = token.split(":", 2)
            path = out / "azure" / _safe(module) / f"{_safe(kind)}-{_safe(resource['name'])}.json"
            text = (
                json.dumps(
                    {
                        "type": token,
                        "name": resource["name"],
                        "options": resource["options"],
                        "inputs": inputs,
                    },
                    indent=2,
                    sort_keys=True,
                )
                + "\n"
            )
        else:
            continue
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
        written.append(path)
    topology = out / "topology.mmd"
    topology.parent.mkdir(parents=True, exist_ok=True)
    topology.write_text(mermaid(snapshot.get("topology", {})))
    written.append(topology)
    return sorted(written)
