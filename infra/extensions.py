"""Platform-wide defaults for every service, owned by the platform team (not `apps/`).

Edit this file to add labels, annotations, node selectors or tolerations everywhere, or a hook
that adjusts every rendered object. Hooks are pure functions: object in, object out.
"""

from __future__ import annotations

from infra.services.render.common import Manifest, PlatformExtensions


def add_cost_annotation(obj: Manifest) -> Manifest:
    """Example hook: mark every workload object for the cost exporter."""
    if obj["kind"] in ("Deployment", "StatefulSet", "Service"):
        annotations = obj["metadata"].setdefault("annotations", {})
        annotations["platform.io/cost-allocation"] = obj["metadata"].get("namespace", "platform")
    return obj


EXTENSIONS = PlatformExtensions(
    labels={"platform.io/managed": "true"},
    kubernetes_hooks=(add_cost_annotation,),
)
