"""Rules of replicas and autoscaling, per target."""

from __future__ import annotations

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
