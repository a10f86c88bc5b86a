"""Rules of requests and limits, per target."""

from __future__ import annotations

import contextlib

from infra.config import Environment
from infra.constants import BELOW_SAFEGUARDS_MINIMUM, MIN_CPU_MILLICORES, MIN_MEMORY_MIB
from infra.problems import Fix
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

MIN_CPU_CORES = MIN_CPU_MILLICORES / 1000
"""The policy's CPU floor (`infra/constants.py`, Deployment Safeguards' minimum) in cores."""
BELOW_MINIMUM = BELOW_SAFEGUARDS_MINIMUM + ", which policy k8s-resources refuses"
CPU_FIX = f"use at least {MIN_CPU_CORES:g} ({MIN_CPU_MILLICORES}m)"
MEMORY_FIX = f"use at least {MIN_MEMORY_MIB}Mi"
MIN_MEMORY = f"{MIN_MEMORY_MIB}Mi"
"""The policy's memory floor as a declaration writes it (`Resources.memory`)."""


def _set(path: str, value: object) -> Fix:
    return Fix(((path, value),))


@workload_rule("resources")
def resources(c: Workload) -> None:
    """Requests and limits the target can schedule and the platform's policy admits: sizes that
    parse, at least the Deployment Safeguards minimum (`MIN_CPU_MILLICORES`, `MIN_MEMORY_MIB`,
    the same constants policy `k8s-resources` refuses below), requests within the limits, in
    prod a memory request equal to its limit (policy `k8s-prod-memory-request-equals-limit`),
    and CPU/memory pairs Container Apps accepts."""
    res = c.spec.resources
    # A Container Apps size (checked below) is above the floors, and says the size to use.
    floors = c.spec.target is Target.AKS
    mib: float | None = None
    try:
        mib = res.memory_mib()
    except ValueError:
        c.add("resources.memory", res.memory, "is not a memory size", "use e.g. 512Mi or 1Gi")
    if not 0 < res.cpu <= 64:
        c.add("resources.cpu", res.cpu, "must be more than 0 and at most 64 cores", "use e.g. 0.5")
    elif floors and res.cpu * 1000 < MIN_CPU_MILLICORES:
        floor = f"{MIN_CPU_MILLICORES}m"
        c.add(
            "resources.cpu",
            res.cpu,
            BELOW_MINIMUM.format(floor=floor),
            CPU_FIX,
            fixed_by=_set("resources.cpu", MIN_CPU_CORES),
        )
    if floors and mib is not None and mib < MIN_MEMORY_MIB:
        c.add(
            "resources.memory",
            res.memory,
            BELOW_MINIMUM.format(floor=MIN_MEMORY),
            MEMORY_FIX,
            fixed_by=_set("resources.memory", MIN_MEMORY),
        )
    if res.cpu_request is not None:
        if res.cpu_request <= 0:
            c.add(
                "resources.cpu_request",
                res.cpu_request,
                "must be more than 0",
                "use e.g. 0.1, or leave it out to request the limit",
                fixed_by=_set("resources.cpu_request", None),
            )
        elif res.cpu_request > res.cpu:
            c.add(
                "resources.cpu_request",
                res.cpu_request,
                f"is above the limit cpu={res.cpu:g}",
                "lower the request, or raise cpu (requests may not exceed limits)",
                fixed_by=_set("resources.cpu_request", None),
            )
        elif res.cpu_request * 1000 < MIN_CPU_MILLICORES:
            floor = f"{MIN_CPU_MILLICORES}m"
            c.add(
                "resources.cpu_request",
                res.cpu_request,
                BELOW_MINIMUM.format(floor=floor),
                f"{CPU_FIX}, or leave it out to request the limit",
                fixed_by=_set("resources.cpu_request", None),
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
                    fixed_by=_set("resources.memory_request", None),
                )
            elif request_mib < MIN_MEMORY_MIB:
                c.add(
                    "resources.memory_request",
                    res.memory_request,
                    BELOW_MINIMUM.format(floor=MIN_MEMORY),
                    f"{MEMORY_FIX}, or leave it out to request the limit",
                    fixed_by=_set("resources.memory_request", None),
                )
            elif (
                c.context.environment is Environment.PROD
                and mib is not None
                and round(request_mib) != round(mib)
            ):
                c.add(
                    "resources.memory_request",
                    res.memory_request,
                    f"is below the limit memory={res.memory}, which prod policy"
                    " k8s-prod-memory-request-equals-limit refuses (memory cannot be reclaimed)",
                    "leave it out in prod (an override memory_request=None), so it equals the"
                    " limit",
                    fixed_by=_set("resources.memory_request", None),
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
                fixed_by=Fix((("resources.cpu", cpu), ("resources.memory", f"{cpu * 2:g}Gi"))),
            )
