"""AKS Deployment Safeguards, each mapped to the offline rules that check the same in the plan,
and what the probe safeguard admits, read from the vendored Azure Policy definitions.

The safeguards are the ten policies listed under "Deployment Safeguards policies" in
learn.microsoft.com/azure/aks/deployment-safeguards (MicrosoftDocs/azure-aks-docs,
articles/aks/deployment-safeguards.md). The article names them without numbers; DS001-DS010 are
their positions in its table. The "Hardening" table of docs/security.md is this list;
tests/test_hardening.py proves, row by row, that the prod plan passes the rules and that a
mutation breaks them.

`PROBE_SAFEGUARD` is not written here: it is read from `upstream/azure-policy/` (Azure/azure-policy
at f4a50bac, read 2026-12-07; see its SOURCE.md): the Deployment Safeguards initiative
`AKS_Safeguards.json` (which policies it holds, its parameters' defaults: `source`,
`excludedNamespaces`, `requiredProbes`), the probe policy `ContainerEnforceProbes.json` (the
kinds it matches) and its Gatekeeper template (which containers, which probe handlers count).
The policy rule `k8s-probes-enforced` and the simulator rule `safeguards-refuse-pod` both ask it.
"""

from __future__ import annotations

import functools
import json
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

UPSTREAM = Path(__file__).resolve().parents[2] / "upstream" / "azure-policy"
INITIATIVE_FILE = "AKS_Safeguards.json"
PROBE_DEFINITION_FILE = "ContainerEnforceProbes.json"
PROBE_TEMPLATE_FILE = "container-enforce-probes.template.yaml"
PROBE_REFERENCE_ID = "ensureProbesConfiguredInKubernetesCluster"
"""The probe policy's `policyDefinitionReferenceId` in the initiative."""

POD_KINDS_OF_WORKLOADS = ("Deployment", "StatefulSet", "DaemonSet", "ReplicaSet", "Job", "CronJob")
"""Kinds whose pod templates Gatekeeper expands into Pods when a constraint's `source` is `All`
or `Generated` (the AKS-managed ExpansionTemplates; Gatekeeper "Validation of Workload
Resources"). KEDA's ScaledJob creates Jobs, which create Pods: the Pod itself is matched."""


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


@dataclass(frozen=True)
class ProbeSafeguard:
    """What the Deployment Safeguards probe policy refuses, as the vendored definitions say."""

    definition_id: str
    kinds: tuple[str, ...]
    """`policyRule.then.details.kinds` of the definition (`Pod`)."""
    source: str
    """The initiative's default `source` (`All`: the Pod and the Pods Gatekeeper generates from
    a workload's template, so a Deployment, a Job or a CronJob is refused at admission)."""
    required_probes: tuple[str, ...]
    """The initiative's default `requiredProbes` (readiness and liveness)."""
    default_excluded_namespaces: tuple[str, ...]
    """The initiative's default `excludedNamespaces`; AKS adds the cluster's own list."""
    container_fields: tuple[str, ...]
    """Pod spec fields whose containers the template checks (`containers`: not init ones)."""
    probe_handlers: tuple[str, ...]
    """Handlers that make a probe count (`tcpSocket`, `httpGet`, `exec`; `grpc` does not)."""

    def excluded(self, configured: Iterable[str]) -> frozenset[str]:
        """The namespaces the policy skips: the initiative's defaults and the cluster's list."""
        return frozenset((*self.default_excluded_namespaces, *configured))

    def missing(self, container: Mapping[str, Any]) -> list[str]:
        """The required probes `container` lacks, in the template's sense: absent, or with
        none of the counted handlers."""
        found: list[str] = []
        for probe in self.required_probes:
            value = container.get(probe)
            if not isinstance(value, Mapping) or not any(h in value for h in self.probe_handlers):
                found.append(probe)
        return found

    def refused_at_apply(self, kind: str) -> bool:
        """Whether the object itself is refused when it is applied (a Pod; with `source` All or
        Generated also the workloads whose pod templates Gatekeeper expands). Otherwise only
        the Pods its controller creates are refused: the apply succeeds and no pod ever runs."""
        if kind in self.kinds:
            return True
        return (
            "Pod" in self.kinds
            and self.source in ("All", "Generated")
            and kind in POD_KINDS_OF_WORKLOADS
        )


def _parameter_default(parameters: Mapping[str, Any], name: str) -> Any:
    return parameters[name]["defaultValue"]


def _rego_list(rego: str, pattern: str, what: str) -> tuple[str, ...]:
    match = re.search(pattern, rego)
    if match is None:
        raise ValueError(f"{PROBE_TEMPLATE_FILE}: cannot find {what} in the template's Rego")
    return tuple(re.findall(r'"([A-Za-z]+)"', match.group(1)))


@functools.cache
def probe_safeguard(root: Path = UPSTREAM) -> ProbeSafeguard:
    """Read the vendored initiative, probe definition and template (see the module docstring)."""
    initiative = json.loads((root / INITIATIVE_FILE).read_text())["properties"]
    definition = json.loads((root / PROBE_DEFINITION_FILE).read_text())
    reference = next(
        p
        for p in initiative["policyDefinitions"]
        if p["policyDefinitionReferenceId"] == PROBE_REFERENCE_ID
    )
    if reference["policyDefinitionId"] != definition["id"]:
        raise ValueError(
            f"{INITIATIVE_FILE} refers to {reference['policyDefinitionId']} for the probe policy,"
            f" but {PROBE_DEFINITION_FILE} is {definition['id']}"
        )
    parameters = initiative["parameters"]
    details = definition["properties"]["policyRule"]["then"]["details"]
    template = yaml.safe_load((root / PROBE_TEMPLATE_FILE).read_text())
    rego = "\n".join(t["rego"] for t in template["spec"]["targets"])
    # `input_containers[c] { c := input.review.object.spec.containers[_] }`: one body per field.
    bodies = rego.split("input_containers[c]", 1)[-1]
    containers = tuple(re.findall(r"input\.review\.object\.spec\.([A-Za-z]+)\[_\]", bodies))
    if not containers:
        raise ValueError(f"{PROBE_TEMPLATE_FILE}: cannot find which containers the Rego checks")
    return ProbeSafeguard(
        definition_id=str(definition["id"]),
        kinds=tuple(details["kinds"]),
        source=str(_parameter_default(parameters, "source")),
        required_probes=tuple(_parameter_default(parameters, "requiredProbes")),
        default_excluded_namespaces=tuple(_parameter_default(parameters, "excludedNamespaces")),
        container_fields=containers,
        probe_handlers=_rego_list(rego, r"probe_types := \{[^}\[]*\[([^\]]*)\]", "probe types"),
    )
