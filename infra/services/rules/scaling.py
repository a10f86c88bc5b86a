"""Rules of replicas and autoscaling, per target."""

from __future__ import annotations

from infra.config import Environment
from infra.constants import PROD_MIN_REPLICAS, PROD_REPLICAS_PROBLEM
from infra.problems import Fix
from infra.services.patterns import (
    ACA_MAX_REPLICAS,
)
from infra.services.rules.identity import queue_identity
from infra.services.rules.registry import (
    Check,
    service_rule,
)
from infra.services.spec import (
    Autoscaling,
    Protocol,
    ServiceSpec,
    Target,
)


def autoscaling(c: Check[ServiceSpec], scale: Autoscaling) -> None:
    spec = c.spec
    if scale.min_replicas < 0:
        c.add("autoscaling.min_replicas", scale.min_replicas, "must be 0 or more", "use e.g. 2")
    if scale.max_replicas < 1:
        c.add("autoscaling.max_replicas", scale.max_replicas, "must be at least 1", "use e.g. 10")
    if scale.min_replicas > scale.max_replicas:
        c.add(
            "autoscaling.min_replicas",
            scale.min_replicas,
            f"is greater than max_replicas {scale.max_replicas}",
            "lower min_replicas or raise max_replicas",
        )
    if spec.target is Target.CONTAINER_APPS and scale.max_replicas > ACA_MAX_REPLICAS:
        c.add(
            "autoscaling.max_replicas",
            scale.max_replicas,
            f"exceeds the Container Apps limit of {ACA_MAX_REPLICAS}",
            f"use at most {ACA_MAX_REPLICAS}",
        )
    for field_name in ("cpu_utilization", "memory_utilization"):
        value = getattr(scale, field_name)
        if value is not None and not 1 <= value <= 100:
            c.add(
                f"autoscaling.{field_name}",
                value,
                "must be 1..100 (percent of the request)",
                "use e.g. 70",
            )
    if scale.http_concurrency is not None:
        if scale.http_concurrency < 1:
            c.add(
                "autoscaling.http_concurrency",
                scale.http_concurrency,
                "must be at least 1",
                "use e.g. 50",
            )
        if spec.target is Target.AKS:
            c.add(
                "autoscaling.http_concurrency",
                scale.http_concurrency,
                "is not available on AKS (no HTTP scaler is installed)",
                "use cpu_utilization on AKS, or target Container Apps",
            )
        elif not any(p.protocol in (Protocol.HTTP, Protocol.GRPC) for p in spec.ports):
            c.add(
                "autoscaling.http_concurrency",
                scale.http_concurrency,
                "needs an http or grpc port",
                "add a port or use another trigger",
            )
    triggers = [
        scale.cpu_utilization,
        scale.memory_utilization,
        scale.http_concurrency,
        scale.queue,
    ]
    if all(t is None for t in triggers):
        c.add(
            "autoscaling",
            None,
            "has no trigger",
            "set cpu_utilization, memory_utilization, http_concurrency or queue",
        )
    if scale.min_replicas == 0:
        wakes = scale.queue is not None or (
            scale.http_concurrency is not None and spec.target is Target.CONTAINER_APPS
        )
        if not wakes:
            c.add(
                "autoscaling.min_replicas",
                0,
                "cannot scale to zero without a queue (or, on Container Apps, HTTP) trigger",
                "set min_replicas to 1, or add a queue trigger",
            )
        elif spec.target is Target.AKS and (
            scale.cpu_utilization is not None or scale.memory_utilization is not None
        ):
            c.add(
                "autoscaling",
                None,
                "mixes scale-to-zero with cpu/memory triggers, which KEDA cannot wake from zero",
                "drop cpu_utilization/memory_utilization or set min_replicas=1",
            )
    if scale.queue is not None:
        queue_identity(c, "autoscaling.queue", scale.queue)


@service_rule("scaling")
def scaling(c: Check[ServiceSpec]) -> None:
    """A service runs at least one replica unless an autoscaler can wake it, within each target's
    limits, with triggers the scaler can authenticate to."""
    spec = c.spec
    if not 0 <= spec.replicas <= 1000:
        c.add("replicas", spec.replicas, "must be 0..1000", "use e.g. 2")
    scale = spec.autoscaling
    if scale is None:
        if spec.replicas == 0:
            c.add(
                "replicas",
                0,
                "runs no replica",
                "use at least 1, or autoscaling with min_replicas=0 and a trigger",
            )
        return
    autoscaling(c, scale)


@service_rule("scaling")
def prod_replicas(c: Check[ServiceSpec]) -> None:
    """In prod an AKS service keeps at least `PROD_MIN_REPLICAS` replicas (fixed, or the
    autoscaler's minimum), the same constant and words as policy `k8s-prod-replicas-and-pdb`,
    which refuses fewer (and the PodDisruptionBudget is rendered only from two). A scale-to-zero
    worker (minimum 0) is left alone by both; single-instance services are refused in prod by
    their own rule (`stateful`). Container Apps has no node drains to survive."""
    spec = c.spec
    if (
        c.context.environment is not Environment.PROD
        or spec.target is not Target.AKS
        or spec.single_instance()
    ):
        return
    scale = spec.autoscaling
    floor = scale.min_replicas if scale is not None else spec.replicas
    if floor <= 0 or floor >= PROD_MIN_REPLICAS:
        return  # 0: scale-to-zero (or a problem the rules above report)
    problem = PROD_REPLICAS_PROBLEM.format(replicas=floor, floor=PROD_MIN_REPLICAS) + (
        " (policy k8s-prod-replicas-and-pdb): one replica is an outage on every node drain"
    )
    if scale is None:
        c.add(
            "replicas",
            floor,
            problem,
            f"use replicas={PROD_MIN_REPLICAS} or more (an override for prod may set it)",
            fixed_by=Fix((("replicas", PROD_MIN_REPLICAS),)),
        )
        return
    c.add(
        "autoscaling.min_replicas",
        floor,
        problem,
        f"use min_replicas={PROD_MIN_REPLICAS} or more (an override for prod may set it)",
        fixed_by=Fix(
            (
                ("autoscaling.min_replicas", PROD_MIN_REPLICAS),
                ("autoscaling.max_replicas", max(scale.max_replicas, PROD_MIN_REPLICAS)),
            )
        ),
    )
