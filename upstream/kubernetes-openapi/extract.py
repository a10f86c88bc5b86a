"""Rebuild this folder's extracts from the Kubernetes OpenAPI that kubernetes-validate ships, for
the Kubernetes minor the stacks' clusters run (`platform:aks` kubernetesVersion in
`Pulumi.<stack>.yaml`; the lowest when stacks differ): `integer-fields.json` (the integer fields
a declaration sets), `probe-v1.json` (core/v1 Probe, verbatim) and `builtin-kinds.json` (the
kinds the API server serves itself, by API group: anything else is a custom resource).

Run from the repository root with the dev virtualenv:
    .venv/bin/python upstream/kubernetes-openapi/extract.py          # rewrite
    .venv/bin/python upstream/kubernetes-openapi/extract.py --check  # exit 1 if stale
The tests check the vendored files equal what this writes, so a stack's version bump or a
kubernetes-validate upgrade (requirements-dev.txt) cannot leave the runtime on an old schema.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import kubernetes_validate
import yaml

HERE = Path(__file__).parent
ROOT = HERE.parent.parent
OUT = HERE / "integer-fields.json"
PROBE = HERE / "probe-v1.json"
BUILTIN = HERE / "builtin-kinds.json"
AZURE_STACKS = ("dev", "prod")
"""The stacks that create AKS clusters (`local` runs on a developer's own cluster)."""


def stack_minor() -> str:
    """The lowest Kubernetes minor the Azure stacks declare: what every cluster accepts."""
    minors = set()
    for stack in AZURE_STACKS:
        config = yaml.safe_load((ROOT / f"Pulumi.{stack}.yaml").read_text())["config"]
        major, minor = str(config["platform:aks"]["kubernetesVersion"]).split(".")[:2]
        minors.add((int(major), int(minor)))
    major, minor = min(minors)
    return f"{major}.{minor}"


def _folder(version: str) -> Path:
    root = Path(kubernetes_validate.__file__).parent / "kubernetes-json-schema"
    return root / f"v{version}.0-local-strict"


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


def extract(version: str | None = None) -> dict[str, object]:
    version = version or stack_minor()
    folder = _folder(version)
    definitions = json.loads((folder / "_definitions.json").read_text())["$defs"]
    fields: dict[str, object] = {}
    for path in FIELDS:
        definition, prop = path.rsplit(".", 1)
        schema = definitions[definition]["properties"][prop]
        fields[path] = {k: v for k, v in sorted(schema.items()) if k != "description"}
    return {
        "source": (
            f"kubernetes-validate {kubernetes_validate.__version__}, "
            f"kubernetes-json-schema/v{version}.0-local-strict/_definitions.json "
            "(the Kubernetes OpenAPI of the cluster version tests validate against)"
        ),
        "kubernetesVersion": version,
        "fields": fields,
    }


def probe(version: str | None = None) -> str:
    """core/v1 Probe of the stacks' minor, verbatim (read by infra/upstream_facts.py)."""
    return (_folder(version or stack_minor()) / "probe-v1.json").read_text()


_NOT_OBJECTS = {"DeleteOptions", "WatchEvent", "Status"}
"""Kinds that carry a group-version-kind in the OpenAPI but are no stored objects."""


def builtin_kinds(version: str | None = None) -> dict[str, object]:
    """Every kind of an object the API server serves natively (no CRD), by API group (`""` is
    core). Azure RBAC for Kubernetes checks a built-in kind as `<group>/<resource>/<verb>` and
    anything else as a custom resource (upstream/kubeguard)."""
    version = version or stack_minor()
    definitions = json.loads((_folder(version) / "_definitions.json").read_text())["$defs"]
    groups: dict[str, set[str]] = {}
    for schema in definitions.values():
        for gvk in schema.get("x-kubernetes-group-version-kind", ()):
            kind = str(gvk["kind"])
            if kind.endswith("List") or kind in _NOT_OBJECTS:
                continue
            groups.setdefault(str(gvk["group"]), set()).add(kind)
    return {
        "source": (
            f"kubernetes-validate {kubernetes_validate.__version__}, "
            f"kubernetes-json-schema/v{version}.0-local-strict/_definitions.json "
            "(x-kubernetes-group-version-kind of every definition)"
        ),
        "kubernetesVersion": version,
        "groups": {group: sorted(kinds) for group, kinds in sorted(groups.items())},
    }


if __name__ == "__main__":
    wanted = {
        OUT: json.dumps(extract(), indent=2) + "\n",
        PROBE: probe(),
        BUILTIN: json.dumps(builtin_kinds(), indent=2) + "\n",
    }
    if "--check" in sys.argv:
        sys.exit(0 if all(path.read_text() == text for path, text in wanted.items()) else 1)
    for path, text in wanted.items():
        path.write_text(text)
