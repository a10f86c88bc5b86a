"""What the Kubernetes API server refuses in a rendered object, read from the pinned upstream
copies under `upstream/`, and checked while declarations are validated (before anything is
registered).

Two checks, each generic over what it checks:

- **Numbers** (`number_problems`): every integer a declaration sets is looked up in
  `LANDS_IN`, the fields of the rendered objects it is written to, and refused when outside the
  range the field's schema allows: its `format` (int32 is all the API server can decode into a
  Go int32) and its `minimum`/`maximum`. The Kubernetes fields come from the Kubernetes OpenAPI
  (`upstream/kubernetes-openapi/integer-fields.json`), KEDA's from its CRDs
  (`upstream/keda-crds/integer-fields.json`). A new integer field of a spec class must be added
  to `LANDS_IN` (a test enumerates them).
- **Names** (`name_problems`): every object the AKS renderers produce for a workload is
  rendered once, with placeholder platform facts (`infra/services/render/dry_run.py`, handed
  in through `ValidationContext.aks_objects`), and its `metadata.name` checked against the
  rule of its kind (`upstream/kubernetes-names/`: a Service name is a DNS-1035 label of 63, a
  CronJob's at most 52 because its Jobs get an 11-character suffix, everything else a DNS-1123
  subdomain of 253) and every label value against the label-value rule (63). A name the
  renderers derive (`<service>-workload-identity`, `<job>` as a CronJob) is covered the day it
  is rendered, without a new rule.
"""

from __future__ import annotations

import dataclasses
import functools
import json
import re
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

from infra.problems import Problem, show
from infra.services.catalog import Catalog
from infra.services.rules.registry import AksObjects
from infra.services.spec import Target

UPSTREAM = Path(__file__).resolve().parents[2] / "upstream"

# --------------------------------------------------------------------------------------------
# Numbers

_K8S = "io.k8s.api."
_KEDA = "keda.sh/v1alpha1."

LANDS_IN: Mapping[str, tuple[str, ...]] = {
    "Port.number": (f"{_K8S}core.v1.ContainerPort.containerPort",),
    "Port.service_port": (f"{_K8S}core.v1.ServicePort.port",),
    "ServiceSpec.replicas": (f"{_K8S}apps.v1.DeploymentSpec.replicas",),
    "Autoscaling.min_replicas": (
        f"{_K8S}autoscaling.v2.HorizontalPodAutoscalerSpec.minReplicas",
        f"{_KEDA}ScaledObject.spec.minReplicaCount",
    ),
    "Autoscaling.max_replicas": (
        f"{_K8S}autoscaling.v2.HorizontalPodAutoscalerSpec.maxReplicas",
        f"{_KEDA}ScaledObject.spec.maxReplicaCount",
    ),
    "Autoscaling.cpu_utilization": (f"{_K8S}autoscaling.v2.MetricTarget.averageUtilization",),
    "Autoscaling.memory_utilization": (f"{_K8S}autoscaling.v2.MetricTarget.averageUtilization",),
    "JobSpec.parallelism": (f"{_K8S}batch.v1.JobSpec.parallelism",),
    "JobSpec.completions": (f"{_K8S}batch.v1.JobSpec.completions",),
    "JobSpec.retries": (f"{_K8S}batch.v1.JobSpec.backoffLimit",),
    "JobSpec.timeout_seconds": (f"{_K8S}batch.v1.JobSpec.activeDeadlineSeconds",),
    "Event.max_executions": (f"{_KEDA}ScaledJob.spec.maxReplicaCount",),
    "Event.polling_seconds": (f"{_KEDA}ScaledJob.spec.pollingInterval",),
    "HelmChart.port": (f"{_K8S}core.v1.ServicePort.port",),
    "ProbeTiming.initial_delay_seconds": (f"{_K8S}core.v1.Probe.initialDelaySeconds",),
    "ProbeTiming.period_seconds": (f"{_K8S}core.v1.Probe.periodSeconds",),
    "ProbeTiming.timeout_seconds": (f"{_K8S}core.v1.Probe.timeoutSeconds",),
    "ProbeTiming.failure_threshold": (f"{_K8S}core.v1.Probe.failureThreshold",),
    "ProbeTiming.success_threshold": (f"{_K8S}core.v1.Probe.successThreshold",),
    # Rendered as strings (KEDA trigger metadata) or only on Container Apps, whose ARM integers
    # are not vendored: bounded by int32, the narrowest integer format of the fields above.
    "ServiceBusQueue.messages_per_replica": (),
    "StorageQueue.messages_per_replica": (),
    "Autoscaling.http_concurrency": (),
    "Rollout.weight": (),
}
"""Spec field (`Class.field`) → the schema fields it is written to (empty: see the comment)."""

_FORMATS = {"int32": (-(2**31), 2**31 - 1), "int64": (-(2**63), 2**63 - 1)}


@functools.cache
def _schemas() -> dict[str, dict[str, Any]]:
    fields: dict[str, dict[str, Any]] = {}
    for name in ("kubernetes-openapi", "keda-crds"):
        fields |= json.loads((UPSTREAM / name / "integer-fields.json").read_text())["fields"]
    return fields


def bounds(spec_field: str) -> tuple[int, int]:
    """The range every destination of `spec_field` accepts (int32 when it has none)."""
    low, high = _FORMATS["int32"]
    for destination in LANDS_IN[spec_field]:
        schema = _schemas()[destination]
        f_low, f_high = _FORMATS[schema.get("format", "int64")]
        low = max(low, f_low, schema.get("minimum", f_low))
        high = min(high, f_high, schema.get("maximum", f_high))
    return low, high


def _where(spec_field: str) -> str:
    """The destinations, briefly: `HorizontalPodAutoscalerSpec.maxReplicas` (what users see in
    `kubectl explain`)."""
    names = [
        d.removeprefix(_KEDA) if d.startswith(_KEDA) else ".".join(d.rsplit(".", 2)[-2:])
        for d in LANDS_IN[spec_field]
    ]
    return " and ".join(dict.fromkeys(names)) or "the Container Apps API field"


def _integers(value: object, path: str) -> Iterator[tuple[str, str, int]]:
    """(path, `Class.field`, value) of every integer inside a declaration, overrides excepted
    (each is checked in its own environment, after it is applied)."""
    if not dataclasses.is_dataclass(value) or isinstance(value, type):
        return
    for f in dataclasses.fields(value):
        if f.name == "overrides":
            continue
        item = getattr(value, f.name)
        here = f"{path}.{f.name}" if path else f.name
        if isinstance(item, int) and not isinstance(item, bool):
            yield here, f"{type(value).__name__}.{f.name}", item
        elif isinstance(item, tuple):
            for index, member in enumerate(item):
                yield from _integers(member, f"{here}[{index}]")
        else:
            yield from _integers(item, here)


def number_problems(spec: object, group: str, already: set[str]) -> list[Problem]:
    """Integers outside what the fields they land in accept; `already`: paths another rule
    has reported (one message per value is enough)."""
    problems: list[Problem] = []
    for path, spec_field, value in _integers(spec, ""):
        low, high = bounds(spec_field)
        if low <= value <= high or path in already:
            continue
        problems.append(
            Problem(
                path,
                show(value),
                f"is above {high}, the most {_where(spec_field)} can take"
                if value > high
                else f"is below {low}, the least {_where(spec_field)} can take",
                f"use at most {high}" if value > high else f"use at least {low}",
                group,
            )
        )
    return problems


# --------------------------------------------------------------------------------------------
# Names


@functools.cache
def _apimachinery() -> dict[str, str]:
    """The `const name <type> = value` lines of the vendored apimachinery excerpt, expanded."""
    text = (UPSTREAM / "kubernetes-names" / "validation.go.excerpt").read_text()
    consts: dict[str, str] = {}
    for name, kind, value in re.findall(r"^const (\w+) (int|string) = (.+)$", text, re.M):
        if kind == "int":
            consts[name] = value.strip()
            continue
        parts = re.findall(r'"((?:[^"\\]|\\.)*)"|(\w+)', value)
        consts[name] = "".join(
            literal.replace("\\\\", "\\") if literal else consts[ref] for literal, ref in parts
        )
    return consts


def _number(expression: str) -> int:
    """`63` or `DNS1035LabelMaxLength-11`, with the excerpt's constants."""
    total = 0
    for sign, term in re.findall(r"([-+]?)\s*(\w+)", expression):
        value = int(term) if term.isdigit() else _number(_apimachinery()[term])
        total += -value if sign == "-" else value
    return total


_RULES = {
    "dns1123-subdomain": ("dns1123SubdomainFmt", "DNS1123SubdomainMaxLength"),
    "dns1123-label": ("dns1123LabelFmt", "DNS1123LabelMaxLength"),
    "dns1035-label": ("dns1035LabelFmt", "DNS1035LabelMaxLength"),
}


@dataclasses.dataclass(frozen=True)
class NameRule:
    pattern: re.Pattern[str]
    max_length: int
    source: str


@functools.cache
def name_rule(kind: str) -> NameRule:
    """The rule a `kind`'s object names follow (upstream/kubernetes-names/kinds.json)."""
    table = json.loads((UPSTREAM / "kubernetes-names" / "kinds.json").read_text())
    entry = table["kinds"].get(kind, table["default"])
    fmt, length = _RULES[entry["rule"]]
    return NameRule(
        re.compile(f"^{_apimachinery()[fmt]}$"),
        _number(entry.get("max_length", length)),
        entry["source"],
    )


@functools.cache
def label_value_rule() -> NameRule:
    return NameRule(
        re.compile(f"^{_apimachinery()['labelValueFmt']}$"),
        _number("LabelValueMaxLength"),
        "apimachinery IsValidLabelValue",
    )


def name_problems(catalog: Catalog, objects: AksObjects) -> list[Problem]:
    """For each AKS workload, the tightest name or label value Kubernetes would refuse, as a
    problem on the workload's `name` with the length that fits; `objects` renders a workload
    (`infra.services.render.dry_run.aks_objects`, passed in: validation imports no renderer)."""
    problems: list[Problem] = []
    for planned in (*catalog.services, *catalog.jobs):
        if planned.spec.target is not Target.AKS:
            continue
        worst: tuple[int, str] | None = None
        for obj in objects(planned, catalog):
            kind = str(obj.get("kind"))
            meta = obj.get("metadata") or {}
            checks = [(f"the {kind} name", str(meta.get("name", "")), name_rule(kind))]
            checks += [
                (f"the {kind} label {key}", str(value), label_value_rule())
                for key, value in (meta.get("labels") or {}).items()
                if isinstance(value, str)
            ]
            for what, text, rule in checks:
                if len(text) <= rule.max_length and rule.pattern.match(text):
                    continue
                fits = rule.max_length - (len(text) - len(planned.name))
                if planned.name not in text:
                    continue  # not derived from the workload's name: not its to fix
                message = f"makes {what} {text!r} ({len(text)} characters), over {rule.max_length}"
                if worst is None or fits < worst[0]:
                    worst = (fits, message)
        if worst is not None:
            fits, message = worst
            problems.append(
                Problem(
                    "name",
                    show(planned.name),
                    f"{message}, which Kubernetes refuses",
                    f"shorten the name to at most {max(fits, 1)} characters",
                    f"{planned.name} ({planned.source})",
                )
            )
    return problems


__all__ = [
    "LANDS_IN",
    "bounds",
    "label_value_rule",
    "name_problems",
    "name_rule",
    "number_problems",
]
