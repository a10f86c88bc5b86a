"""Rebuild `integer-fields.json` from the Kubernetes OpenAPI that kubernetes-validate ships.

Run from the repository root with the dev virtualenv:
    .venv/bin/python upstream/kubernetes-openapi/extract.py
`tests/test_api_limits.py` checks the vendored file still equals what this prints, so the copy
cannot drift from the pinned kubernetes-validate (requirements-dev.txt).
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import kubernetes_validate

VERSION = "1.33"
HERE = Path(__file__).parent
OUT = HERE / "integer-fields.json"
FIELDS = (
    "io.k8s.api.apps.v1.DeploymentSpec.replicas",
    "io.k8s.api.autoscaling.v2.HorizontalPodAutoscalerSpec.minReplicas",
    "io.k8s.api.autoscaling.v2.HorizontalPodAutoscalerSpec.maxReplicas",
    "io.k8s.api.autoscaling.v2.MetricTarget.averageUtilization",
    "io.k8s.api.batch.v1.JobSpec.parallelism",
    "io.k8s.api.batch.v1.JobSpec.completions",
    "io.k8s.api.batch.v1.JobSpec.backoffLimit",
    "io.k8s.api.batch.v1.JobSpec.activeDeadlineSeconds",
    "io.k8s.api.core.v1.ContainerPort.containerPort",
    "io.k8s.api.core.v1.ServicePort.port",
    "io.k8s.api.core.v1.Probe.initialDelaySeconds",
    "io.k8s.api.core.v1.Probe.periodSeconds",
    "io.k8s.api.core.v1.Probe.timeoutSeconds",
    "io.k8s.api.core.v1.Probe.failureThreshold",
    "io.k8s.api.core.v1.Probe.successThreshold",
)


def extract() -> dict[str, object]:
    root = Path(kubernetes_validate.__file__).parent / "kubernetes-json-schema"
    folder = root / f"v{VERSION}.0-local-strict"
    definitions = json.loads((folder / "_definitions.json").read_text())["$defs"]
    fields: dict[str, object] = {}
    for path in FIELDS:
        definition, prop = path.rsplit(".", 1)
        schema = definitions[definition]["properties"][prop]
        fields[path] = {k: v for k, v in sorted(schema.items()) if k != "description"}
    return {
        "source": (
            f"kubernetes-validate {kubernetes_validate.__version__}, "
            f"kubernetes-json-schema/v{VERSION}.0-local-strict/_definitions.json "
            "(the Kubernetes OpenAPI of the cluster version tests validate against)"
        ),
        "fields": fields,
    }


if __name__ == "__main__":
    text = json.dumps(extract(), indent=2) + "\n"
    if "--check" in sys.argv:
        sys.exit(0 if OUT.read_text() == text else 1)
    OUT.write_text(text)
