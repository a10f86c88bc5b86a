"""AKS Deployment Safeguards, each mapped to the offline rules that check the same in the plan.

The safeguards are the ten policies listed under "Deployment Safeguards policies" in
learn.microsoft.com/azure/aks/deployment-safeguards (MicrosoftDocs/azure-aks-docs,
articles/aks/deployment-safeguards.md). The article names them without numbers; DS001-DS010 are
their positions in its table. The README's "Hardening" table is this list; tests/test_hardening.py
proves, row by row, that the prod plan passes the rules and that a mutation breaks them.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Safeguard:
    id: str
    name: str
    """As the AKS documentation names it."""
    rules: tuple[str, ...]
    """Offline rule ids (infra/policy/rules.py) that refuse what the safeguard refuses."""


SAFEGUARDS: tuple[Safeguard, ...] = (
    Safeguard("DS001", "Cannot Edit Individual Nodes", ("k8s-no-node-edits",)),
    Safeguard(
        "DS002",
        "Kubernetes cluster containers CPU and memory resource requests must be defined",
        ("k8s-resources",),
    ),
    Safeguard(
        "DS003",
        "Must Have Anti Affinity Rules or topologySpreadConstraintsSet",
        ("k8s-spread-or-anti-affinity",),
    ),
    Safeguard("DS004", "No AKS Specific Labels", ("k8s-no-aks-reserved-labels",)),
    Safeguard(
        "DS005",
        "Kubernetes cluster containers should only use allowed images",
        ("images-from-trusted-registries",),
    ),
    Safeguard("DS006", "Reserved System Pool Taints", ("aks-system-pool-reserved",)),
    Safeguard(
        "DS007",
        "Ensure cluster containers have readiness or liveness probes configured",
        ("k8s-probes", "k8s-probes-enforced"),
    ),
    Safeguard(
        "DS008",
        "Kubernetes clusters should use Container Storage Interface (CSI) driver StorageClass",
        ("k8s-csi-storage-class",),
    ),
    Safeguard(
        "DS009",
        "Kubernetes cluster services should use unique selectors",
        ("k8s-unique-service-selectors",),
    ),
    Safeguard(
        "DS010",
        "Kubernetes cluster container images should not include latest image tag",
        ("no-mutable-image-tags", "images-pinned-by-digest"),
    ),
)
