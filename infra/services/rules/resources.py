"""Rules of requests and limits, per target."""

from __future__ import annotations

import contextlib

from infra.services.patterns import (
    ACA_MAX_CPU,
)
from infra.services.rules.registry import (
    Workload,
    _Raw,
    workload_rule,
)
from infra.services.spec import (
    Target,
)


@workload_rule("resources")
def resources(c: Workload) -> None:
    """Requests and limits the target can schedule: sizes that parse, requests within the limits, and
    CPU/memory pairs Container Apps accepts."""
    res = c.spec.resources
    mib: float | None = None
    try:
        mib = res.memory_mib()
    except ValueError:
        c.add("resources.memory", res.memory, "is not a memory size", "use e.g. 512Mi or 1Gi")
    if not 0 < res.cpu <= 64:
        c.add("resources.cpu", res.cpu, "must be more than 0 and at most 64 cores", "use e.g. 0.5")
    elif mib is not None and mib < 16:
        c.add(
            "resources.memory",
            res.memory,
            "is too small to run a container",
            "use at least 64Mi",
        )
    if res.cpu_request is not None:
        if res.cpu_request <= 0:
            c.add(
                "resources.cpu_request",
                res.cpu_request,
                "must be more than 0",
                "use e.g. 0.1, or leave it out to request the limit",
            )
        elif res.cpu_request > res.cpu:
            c.add(
                "resources.cpu_request",
                res.cpu_request,
                f"is above the limit cpu={res.cpu:g}",
                "lower the request, or raise cpu (requests may not exceed limits)",
            )
    if res.memory_request is not None:
        try:
            request_mib = res.memory_request_mib()
        except ValueError:
            c.add(
                "resources.memory_request",
                res.memory_request,
                "is not a memory size",
                "use e.g. 256Mi or 1Gi",
            )
        else:
            if mib is not None and request_mib > mib:
                c.add(
                    "resources.memory_request",
                    res.memory_request,
                    f"is above the limit memory={res.memory}",
                    "lower the request, or raise memory (requests may not exceed limits)",
                )
            elif request_mib < 16:
                c.add(
                    "resources.memory_request",
                    res.memory_request,
                    "is too small to run a container",
                    "use at least 64Mi",
                )
    node = c.context.node_memory
    if c.spec.target is Target.AKS and node is not None and mib is not None:
        request_mib = mib
        with contextlib.suppress(ValueError):  # reported above
            request_mib = res.memory_request_mib()
        if min(mib, request_mib) > node.allocatable_mib:
            c.add(
                "resources.memory",
                res.memory,
                f"does not fit on any node: a {node.vm_size} node of the user pool offers pods "
                f"{node.allocatable_mib / 1024:.1f}Gi, so the pod would never be scheduled",
                f"use at most {int(node.allocatable_mib)}Mi, or a larger "
                "platform:aks.userPool.vmSize",
            )
    if c.spec.target is Target.CONTAINER_APPS and mib is not None and 0 < res.cpu <= 64:
        steps = res.cpu / 0.25
        if (
            res.cpu > ACA_MAX_CPU
            or abs(steps - round(steps)) > 1e-9
            or abs(mib - res.cpu * 2048) > 1e-6
        ):
            cpu = min(max(round(res.cpu * 4) / 4, 0.25), ACA_MAX_CPU)
            c.add(
                "resources",
                _Raw(f"cpu={res.cpu}, memory={res.memory}"),
                "is not a Container Apps size (0.25-4 cores in 0.25 steps, memory = 2 × cpu Gi)",
                f'use cpu={cpu}, memory="{cpu * 2:g}Gi"',
            )
