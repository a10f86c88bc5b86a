"""Where each workload kind keeps what it runs: the pod spec of every Kubernetes kind that runs
pods, the template of Container Apps and Container Apps jobs, their containers and images.

The offline policy, the deploy simulator and cost read a workload only through these functions,
so a kind added here (a KEDA ScaledJob, a Container Apps job) is seen by all of them at once.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from infra.plan import kinds
from infra.plan.paths import mapping_at, mappings, value_at

POD_SPEC_PATHS: dict[str, tuple[str, ...]] = {
    kinds.POD: ("spec",),
    kinds.DEPLOYMENT: ("spec", "template", "spec"),
    kinds.STATEFUL_SET: ("spec", "template", "spec"),
    kinds.DAEMON_SET: ("spec", "template", "spec"),
    kinds.JOB: ("spec", "template", "spec"),
    kinds.CRON_JOB: ("spec", "jobTemplate", "spec", "template", "spec"),
    # KEDA's ScaledJob embeds a batch/v1 JobSpec (keda.sh/v1alpha1 ScaledJob.spec.jobTargetRef).
    kinds.SCALED_JOB: ("spec", "jobTargetRef", "template", "spec"),
}
"""Every Kubernetes kind that runs pods → the path of its pod spec in the inputs."""

POD_KINDS = tuple(POD_SPEC_PATHS)
"""Everything that runs pods on Kubernetes: services' Deployments, jobs' CronJobs and
ScaledJobs, and any Pod, StatefulSet, DaemonSet or Job a plan holds."""

SERVING_KINDS = (kinds.DEPLOYMENT, kinds.STATEFUL_SET)
"""Kubernetes kinds that keep replicas serving (readiness, spreading and disruption apply)."""

CONTAINER_APPS_KINDS = (kinds.CONTAINER_APP, kinds.CONTAINER_APP_JOB)
"""Container Apps kinds that run containers: both keep them in `template` (`initContainers`,
`containers`; Microsoft.App containerApps and jobs, 2024-03-01 and later)."""

WORKLOAD_KINDS = (*POD_KINDS, *CONTAINER_APPS_KINDS)
"""Every kind that runs containers, on either target."""


def pod_spec(kind: str, inputs: Mapping[str, Any]) -> Mapping[str, Any] | None:
    """The pod spec of a Kubernetes workload; None for any other kind (or when masked)."""
    path = POD_SPEC_PATHS.get(kind)
    spec = value_at(inputs, path) if path else None
    return spec if isinstance(spec, Mapping) else None


def pod_metadata(kind: str, inputs: Mapping[str, Any]) -> Mapping[str, Any]:
    """The pod template's metadata (a Pod's own); {} for other kinds."""
    path = POD_SPEC_PATHS.get(kind)
    return mapping_at(inputs, (*path[:-1], "metadata")) if path else {}


def template(kind: str, inputs: Mapping[str, Any]) -> Mapping[str, Any] | None:
    """What holds the containers: a Kubernetes pod spec, a Container App's or Container Apps
    job's `template`; None for a kind that runs none."""
    if kind in CONTAINER_APPS_KINDS:
        return mapping_at(inputs, "template")
    return pod_spec(kind, inputs)


def init_containers(kind: str, inputs: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    return mappings(value_at(template(kind, inputs), "initContainers"))


def app_containers(kind: str, inputs: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    """The main containers (not the init containers)."""
    return mappings(value_at(template(kind, inputs), "containers"))


def containers(kind: str, inputs: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    """Every container of a workload, init containers first; [] for other kinds."""
    return [*init_containers(kind, inputs), *app_containers(kind, inputs)]


def images(kind: str, inputs: Mapping[str, Any]) -> list[str]:
    """Every image a workload runs, init containers' first (containers without one skipped)."""
    return [str(c["image"]) for c in containers(kind, inputs) if c.get("image")]
