"""The local stack runs every service as a Kubernetes workload, with the same scaling intent.

Translations (documented in docs/local.md, asserted in tests/test_local.py):
- Container Apps services become Deployments on the local cluster.
- `http_concurrency` (no HTTP scaler locally) becomes CPU-based autoscaling at 70%.
- Queue triggers (they need Azure credentials) become one fixed replica; scale-to-zero services
  therefore always run one replica locally.
- Identities and role grants are dropped: there is no Azure to grant anything on.
- Routes stay as validation decided them for the local stack: every exposed service on the
  local Envoy Gateway (`infra.services.routes`).
- Jobs run on the cluster too; event-triggered jobs (their queues need Azure credentials)
  become manual ones, started with `kubectl create job --from=cronjob/<name> <run>`.
"""

from __future__ import annotations

import dataclasses

from infra.services.catalog import Catalog, PlannedJob
from infra.services.spec import Autoscaling, Event, JobSpec, Manual, ServiceSpec, Target

LOCAL_CPU_TARGET = 70


def _local_spec(spec: ServiceSpec) -> ServiceSpec:
    autoscaling: Autoscaling | None = spec.autoscaling
    replicas = spec.replicas
    if autoscaling is not None and autoscaling.queue is not None:
        replicas, autoscaling = max(1, autoscaling.min_replicas), None
    elif autoscaling is not None and autoscaling.http_concurrency is not None:
        autoscaling = dataclasses.replace(
            autoscaling,
            http_concurrency=None,
            min_replicas=max(1, autoscaling.min_replicas),
            cpu_utilization=autoscaling.cpu_utilization or LOCAL_CPU_TARGET,
        )
    return dataclasses.replace(
        spec, target=Target.AKS, autoscaling=autoscaling, replicas=replicas, identity=None
    )


def _local_job(spec: JobSpec) -> JobSpec:
    trigger = Manual() if isinstance(spec.trigger, Event) else spec.trigger
    return dataclasses.replace(spec, target=Target.AKS, trigger=trigger, identity=None)


def for_local_cluster(catalog: Catalog) -> Catalog:
    return Catalog(
        tuple(dataclasses.replace(s, spec=_local_spec(s.spec)) for s in catalog.services),
        catalog.charts,
        tuple(PlannedJob(j.app, _local_job(j.spec), j.source) for j in catalog.jobs),
    )
