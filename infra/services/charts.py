"""Typed helpers for the third-party charts the platform supports well.

Values that matter (security context, resources, persistence) are typed here so that a chart
upgrade or a typo does not silently drop them; anything else can still be passed as `values`.
"""

from __future__ import annotations

from typing import Any

from infra.services.chart_versions import reviewed
from infra.services.spec import HelmChart, Protocol, Resources

VALKEY_REPOSITORY = "https://valkey.io/valkey-helm/"
_VALKEY = reviewed(VALKEY_REPOSITORY, "valkey")
assert _VALKEY is not None, "valkey is a reviewed chart"
VALKEY_CHART_VERSION = _VALKEY.version


def valkey(
    name: str,
    *,
    resources: Resources | None = None,
    persistence_gib: int | None = None,
    version: str = VALKEY_CHART_VERSION,
    extra_values: dict[str, Any] | None = None,
) -> HelmChart:
    """Valkey (Redis-compatible) from the project's official chart, standalone.

    Runs with the restricted security context, requests = limits (init container too), on the
    user pool; without `persistence_gib` it is a cache (data lives in memory only).
    """
    resources = resources or Resources(cpu=0.25, memory="512Mi")
    quantity = {
        "cpu": f"{round(resources.cpu * 1000)}m",
        "memory": f"{round(resources.memory_mib())}Mi",
    }
    values: dict[str, Any] = {
        "fullnameOverride": name,
        "resources": {"requests": quantity, "limits": quantity},
        # The init container (templates/deploy_valkey.yaml, `initResources`, default {}) gets
        # the same: without any, Deployment Safeguards' resource mutator (Enforce) gives it
        # 500m / 2Gi (AKS docs "Deployment safeguards", "Resource requests mutator": the
        # defaults for containers with no resources), which the pod's request then is (the
        # larger of its init containers and the sum of its containers), and the pod would
        # not be Guaranteed (every container, init ones too, needs requests = limits).
        "initResources": {"requests": quantity, "limits": quantity},
        "podSecurityContext": {
            "runAsNonRoot": True,
            "runAsUser": 1000,
            "runAsGroup": 1000,
            "fsGroup": 1000,
            "seccompProfile": {"type": "RuntimeDefault"},
        },
        "securityContext": {
            "allowPrivilegeEscalation": False,
            "readOnlyRootFilesystem": True,
            "runAsNonRoot": True,
            "capabilities": {"drop": ["ALL"]},
        },
        "serviceAccount": {"create": True, "automount": False},
        "readinessProbe": {"enabled": True},
        "dataStorage": (
            {"enabled": True, "requestedSize": f"{persistence_gib}Gi"}
            if persistence_gib
            else {"enabled": False}
        ),
    }
    return HelmChart(
        name=name,
        chart="valkey",
        version=version,
        repository=VALKEY_REPOSITORY,
        port=6379,
        protocol=Protocol.TCP,
        scheme="redis",
        values={**values, **(extra_values or {})},
    )
