"""The local stack runs every service as a Kubernetes workload, with the same scaling intent.

Translations (documented in the README, asserted in tests/test_local.py):
- Container Apps services become Deployments on the local cluster.
- `http_concurrency` (no HTTP scaler locally) becomes CPU-based autoscaling at 70%.
- Queue triggers (they need Azure credentials) become one fixed replica; scale-to-zero services
  therefore always run one replica locally.
- Identities and role grants are dropped: there is no Azure to grant anything on.
"""

from __future__ import annotations

import dataclasses

from infra.services.spec import Autoscaling, ServiceSpec, Target
from infra.services.validation import Catalog, PlannedService

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


def for_local_cluster(catalog: Catalog) -> Catalog:
    return Catalog(
        tuple(PlannedService(s.app, _local_spec(s.spec), s.source) for s in catalog.services),
        catalog.charts,
    )
