"""A job's workload on AKS: a CronJob (scheduled, or suspended as the template of manual runs)
or a KEDA ScaledJob (one Job per batch of queue messages), around the pod services use too."""

from __future__ import annotations

from infra.services.catalog import Catalog, PlannedJob
from infra.services.render.aks_scaling import queue_trigger
from infra.services.render.aks_workload import (
    container,
    init_containers,
    pod_security,
    pod_template_metadata,
    volumes,
)
from infra.services.render.common import (
    Manifest,
    PlatformExtensions,
    PlatformFacts,
    labels,
    version_label,
)
from infra.services.render.objects import service_meta
from infra.services.spec import Event, Schedule

MANUAL_SCHEDULE = "0 0 1 1 *"
"""A manual job's CronJob is suspended, so this schedule never fires; it is a valid one because
the API server requires a schedule."""
JOB_HISTORY = 3
"""Finished runs kept (each kind) for `kubectl logs`; older ones are deleted by the controller."""
SCHEDULE_STARTING_DEADLINE_SECONDS = 300
"""A run missed by more than five minutes (controller down, cluster upgrade) is skipped, not
started late at a surprising time."""


def job_spec(
    job: PlannedJob,
    catalog: Catalog,
    facts: PlatformFacts,
    extensions: PlatformExtensions,
    uses_identity: bool,
) -> Manifest:
    """A batch/v1 JobSpec: what a CronJob's jobTemplate and a ScaledJob's jobTargetRef hold."""
    spec = job.spec
    pod_volumes, mounts = volumes(job, facts)
    pod: Manifest = {
        "serviceAccountName": job.name,
        **pod_security(facts, extensions),
        # A failed replica is replaced by a new pod (not restarted in place), so `backoffLimit`
        # counts failed attempts and each attempt's logs stay readable.
        "restartPolicy": "Never",
        "containers": [container(job, catalog, facts, mounts)],
        "volumes": pod_volumes,
    }
    if spec.init_containers:
        pod["initContainers"] = init_containers(job, catalog, facts)
    return {
        "parallelism": spec.parallelism,
        "completions": spec.completions,
        "backoffLimit": spec.retries,
        # The whole execution (every attempt) must finish within the timeout.
        "activeDeadlineSeconds": spec.timeout_seconds,
        "template": {
            "metadata": pod_template_metadata(job, extensions, uses_identity),
            "spec": pod,
        },
    }


def cron_job(job: PlannedJob, spec: Manifest, extensions: PlatformExtensions) -> Manifest:
    """Schedule: a CronJob. Manual: the same CronJob, suspended, as the template each run is
    created from (`kubectl create job --from=cronjob/<name> <run>`): like a Container Apps
    manual job, nothing runs at deploy time and every run is a fresh Job."""
    trigger = job.spec.trigger
    schedule = trigger if isinstance(trigger, Schedule) else None
    return {
        "apiVersion": "batch/v1",
        "kind": "CronJob",
        "metadata": service_meta(job, extensions, extra_labels=version_label(job.spec)),
        "spec": {
            "schedule": schedule.cron if schedule else MANUAL_SCHEDULE,
            "timeZone": schedule.time_zone if schedule else "Etc/UTC",
            "suspend": schedule is None,
            # A run still going when the next is due: the next is skipped, never stacked.
            "concurrencyPolicy": "Forbid",
            "startingDeadlineSeconds": SCHEDULE_STARTING_DEADLINE_SECONDS,
            "successfulJobsHistoryLimit": JOB_HISTORY,
            "failedJobsHistoryLimit": JOB_HISTORY,
            "jobTemplate": {
                "metadata": {"labels": labels(job, extensions)},
                "spec": spec,
            },
        },
    }


def scaled_job(
    job: PlannedJob, event: Event, spec: Manifest, extensions: PlatformExtensions
) -> Manifest:
    """Event: a KEDA ScaledJob, one Job per `messages_per_replica` messages waiting."""
    return {
        "apiVersion": "keda.sh/v1alpha1",
        "kind": "ScaledJob",
        "metadata": service_meta(job, extensions),
        "spec": {
            "jobTargetRef": spec,
            "pollingInterval": event.polling_seconds,
            "minReplicaCount": 0,
            "maxReplicaCount": event.max_executions,
            "successfulJobsHistoryLimit": JOB_HISTORY,
            "failedJobsHistoryLimit": JOB_HISTORY,
            "triggers": [queue_trigger(job, event.queue)],
        },
    }
