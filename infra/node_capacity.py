"""What a pod can have on an AKS node: each VM size's vCPU and memory, as the pinned price sheets
record them (`infra/cost/prices/<region>-<CURRENCY>.json`, `vmSizes`), less AKS's reservations
(learn.microsoft.com/azure/aks/node-resource-reservations: CPU by core count, memory
`min(20 MB * maxPods + 50 MB, 25%)` plus the 100 Mi eviction threshold).

Below both readers: the program (a pod that fits no node of the user pool is refused before
anything is registered) and the cost model (`infra/cost/aks.py` packs pods onto nodes) ask
this module, so neither imports the other.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

PRICES_DIR = Path(__file__).resolve().parent / "cost" / "prices"
"""The pinned price sheets (infra/cost/sheet.py reads their prices)."""


@dataclass(frozen=True)
class VmSize:
    vcpu: float
    memory_gib: float


def vm_sizes_of(document: dict[str, Any]) -> dict[str, VmSize]:
    """The `vmSizes` of one price sheet document."""
    return {
        name: VmSize(float(spec["vcpu"]), float(spec["memoryGiB"]))
        for name, spec in (document.get("vmSizes") or {}).items()
    }


_CPU_RESERVED_MILLICORES = {1: 60, 2: 100, 4: 140, 8: 180, 16: 260, 32: 420, 64: 740}


def allocatable(size: VmSize, max_pods: int) -> tuple[float, float]:
    """(cores, GiB) a node offers pods after AKS's kubelet and eviction reservations."""
    known = [c for c in _CPU_RESERVED_MILLICORES if c <= size.vcpu] or [1]
    cpu = size.vcpu - _CPU_RESERVED_MILLICORES[max(known)] / 1000
    kube_reserved = min((20 * max_pods + 50) / 1024, 0.25 * size.memory_gib)
    return cpu, size.memory_gib - kube_reserved - 100 / 1024


def node_memory_mib(vm_size: str, max_pods: int) -> float | None:
    """The memory (MiB) a pod can have on a node of `vm_size`, after AKS's reservations; None
    when no price sheet lists the size (its memory is not known here)."""
    for path in sorted(PRICES_DIR.glob("*.json")):
        sizes = vm_sizes_of(json.loads(path.read_text()))
        if vm_size in sizes:
            return allocatable(sizes[vm_size], max_pods)[1] * 1024
    return None
