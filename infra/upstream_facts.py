"""Facts read from files other people maintain, vendored pinned under `upstream/` (each folder's
SOURCE.md names the repository, path, commit and the date it was read).

The platform restates none of these numbers: validation (`infra/services/rules/probes.py`) and
policy (`infra/policy/rules.py`) both ask this module, so they cannot disagree. Imports nothing
from `infra`, like `infra/constants.py`.
"""

from __future__ import annotations

import functools
import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

UPSTREAM = Path(__file__).resolve().parent.parent / "upstream"

PROBE_KINDS = ("readiness", "liveness", "startup")
"""The probe kinds both targets have (Kubernetes `<kind>Probe`, Container Apps `type`)."""

TIMING_FIELDS = (
    "initialDelaySeconds",
    "periodSeconds",
    "timeoutSeconds",
    "failureThreshold",
    "successThreshold",
)
"""The probe timing fields, as both APIs name them."""


def _json(relative: str) -> Any:
    return json.loads((UPSTREAM / relative).read_text())


def safeguard_required_probes() -> tuple[str, ...]:
    """The probes AKS Deployment Safeguards (DS007) require on every container: the initiative's
    default `requiredProbes` (readiness and liveness), read from upstream/azure-policy by the
    one reader of those definitions, `infra/policy/safeguards.py` (which imports nothing from
    `infra` either)."""
    from infra.policy.safeguards import probe_safeguard

    return probe_safeguard().required_probes


@dataclass(frozen=True)
class Range:
    """Inclusive bounds of one timing field; `maximum` None: unbounded."""

    minimum: int
    maximum: int | None = None

    def __contains__(self, value: object) -> bool:
        return (
            isinstance(value, int)
            and value >= self.minimum
            and (self.maximum is None or value <= self.maximum)
        )

    def __str__(self) -> str:
        return (
            f"{self.minimum}..{self.maximum}" if self.maximum is not None else f">= {self.minimum}"
        )


@dataclass(frozen=True)
class ProbeLimits:
    """What one target accepts for probes."""

    actions: frozenset[str]
    """Probe actions it has (`exec`, `grpc`, `httpGet`, `tcpSocket`)."""
    timing: dict[str, dict[str, Range]]
    """Probe kind → timing field → range."""
    source: str
    """Where the numbers come from, for messages and docstrings."""


_MINIMUM = re.compile(r"Minimum value is (\d+)")
_MUST_BE_ONE = "Must be 1 for liveness and startup"


def _must_be_one(description: str, kind: str) -> bool:
    return _MUST_BE_ONE in description and kind in ("liveness", "startup")


@functools.cache
def kubernetes_probe_limits() -> ProbeLimits:
    """Kubernetes `core/v1 Probe` of the stacks' minor: "Minimum value is N" per field;
    `initialDelaySeconds` states none (a non-negative int32); successThreshold must be 1 for
    liveness and startup. Source: upstream/kubernetes-openapi/probe-v1.json, extracted with the
    version it records (`integer-fields.json` kubernetesVersion) by that folder's extract.py."""
    properties = _json("kubernetes-openapi/probe-v1.json")["properties"]
    version = _json("kubernetes-openapi/integer-fields.json")["kubernetesVersion"]
    timing: dict[str, dict[str, Range]] = {}
    for kind in PROBE_KINDS:
        timing[kind] = {}
        for name in TIMING_FIELDS:
            description = properties[name].get("description", "")
            match = _MINIMUM.search(description)
            minimum = int(match[1]) if match else 0
            timing[kind][name] = Range(1, 1) if _must_be_one(description, kind) else Range(minimum)
    return ProbeLimits(_actions(properties), timing, f"Kubernetes v{version} core/v1 Probe")


def _actions(properties: dict[str, Any]) -> frozenset[str]:
    """The properties that are a probe's action: objects (the Azure spec inlines them), or
    references to an `...Action` definition (the Kubernetes schema)."""
    found = set()
    for name, schema in properties.items():
        kind = schema.get("type", ())
        types = (kind,) if isinstance(kind, str) else tuple(kind)
        if "object" in types or str(schema.get("$ref", "")).endswith("Action"):
            found.add(name)
    return frozenset(found)


_TERRAFORM_FIELDS = {
    "initial_delay": "initialDelaySeconds",
    "interval_seconds": "periodSeconds",
    "timeout": "timeoutSeconds",
    "failure_count_threshold": "failureThreshold",
    "success_count_threshold": "successThreshold",
}
_TERRAFORM_FIELD = re.compile(
    r'"(?P<field>[a-z_]+)": \{[^}]*?validation\.IntBetween\((?P<low>\d+), (?P<high>\d+)\)', re.S
)


@functools.cache
def container_apps_probe_limits() -> ProbeLimits:
    """Container Apps: the ranges Azure accepts per probe type (terraform-provider-azurerm's
    validation after #31989: failureThreshold up to 48 for readiness, 30 for liveness, 240 for
    startup), the actions the API has (`ContainerAppProbe`: httpGet and tcpSocket only) and its
    "successThreshold must be 1 for liveness and startup". Sources: upstream/terraform-provider-
    azurerm, upstream/azure-rest-api-specs."""
    spec = _json("azure-rest-api-specs/ContainerAppProbe.json")["ContainerAppProbe"]["properties"]
    text = (UPSTREAM / "terraform-provider-azurerm/container_app_probe_schemas.go.txt").read_text()
    timing: dict[str, dict[str, Range]] = {}
    for kind in PROBE_KINDS:
        start = text.index(f"func ContainerApp{kind.capitalize()}ProbeSchema()")
        end = text.find("\nfunc ", start + 1)
        body = text[start : end if end != -1 else len(text)]
        ranges = {
            _TERRAFORM_FIELDS[m["field"]]: Range(int(m["low"]), int(m["high"]))
            for m in _TERRAFORM_FIELD.finditer(body)
            if m["field"] in _TERRAFORM_FIELDS
        }
        success = spec["successThreshold"]["description"]
        if _must_be_one(success, kind):
            ranges["successThreshold"] = Range(1, 1)
        assert set(ranges) == set(TIMING_FIELDS), (kind, sorted(ranges))
        timing[kind] = ranges
    return ProbeLimits(
        _actions(spec),
        timing,
        "Container Apps (terraform-provider-azurerm #31989, Microsoft.App API)",
    )


STATEFUL_DISK_CLASS = "managed-csi-premium"
"""The storage class a `Volume` claims on AKS: the built-in Azure Disk CSI class of Premium SSDs
(a database's or broker's write latency), which AKS provisions zone-redundant (Premium_ZRS) on a
cluster across availability zones from Kubernetes 1.29, so the disk follows the pod to another
zone. Built in: AKS reconciles it, the platform creates no StorageClass of its own. Checked
against the vendored AKS docs by `aks_disk_storage_class`."""


@functools.cache
def aks_disk_storage_class() -> str:
    """`STATEFUL_DISK_CLASS`, once the vendored AKS storage docs
    (upstream/azure-aks-docs/concepts-storage.excerpt.md) confirm it is a built-in class that
    uses zone-redundant storage on zonal clusters; a docs change that drops either fails here
    (and in the tests) instead of rendering a claim AKS cannot bind."""
    text = (UPSTREAM / "azure-aks-docs" / "concepts-storage.excerpt.md").read_text()
    row = next(
        (line for line in text.splitlines() if line.startswith(f"| `{STATEFUL_DISK_CLASS}` |")),
        None,
    )
    if row is None or "zone-redundant storage (ZRS)" not in row:
        raise ValueError(
            f"{STATEFUL_DISK_CLASS} is no longer a built-in zone-redundant class in the AKS docs"
        )
    return STATEFUL_DISK_CLASS


@dataclass(frozen=True)
class StatefulSetUpdate:
    """What the API server lets a StatefulSet update change (upstream/kubernetes)."""

    mutable_spec_fields: frozenset[str]
    forbidden_message: str


@functools.cache
def statefulset_update() -> StatefulSetUpdate:
    data = _json("kubernetes/statefulset-update.json")
    return StatefulSetUpdate(frozenset(data["mutable_spec_fields"]), data["forbidden_message"])
