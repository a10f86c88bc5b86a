"""The pods a plan runs on AKS, with their requests and replica ranges, and whom they belong to:
a service (its Deployment, or the chart an application declared) or the platform (add-on
charts such as the ALB and Envoy Gateway controllers, and the Envoy proxies of a Gateway).

Platform pods take node capacity like any other: they count towards the nodes the user pool
needs (the system pool carries the `CriticalAddonsOnly` taint, which these pods do not
tolerate), and their share is reported as a platform line, never as a service.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from infra.cost.envoy_gateway import envoy_gateways
from infra.plan.kinds import CHART, HPA, SCALED_OBJECT
from infra.plan.owners import PLATFORM, service_of_recorded
from infra.plan.paths import as_mapping, value_at
from infra.plan.quantities import cores, gibibytes
from infra.plan.workloads import SERVING_KINDS, app_containers


@dataclass(frozen=True)
class Workload:
    """Pods of one service (or platform add-on) on AKS: per-pod requests and replica range."""

    service: str
    """The service they belong to, or `platform`."""
    resource: str
    """`<type> <name>` of what the plan declares them with."""
    cpu: float
    memory_gib: float
    min_replicas: int
    max_replicas: int
    what: str = ""
    """For platform pods: what they are (the line's item)."""
    requests_from: str = ""
    """For platform pods: where the requests come from (the plan, or a chart's defaults)."""


@dataclass(frozen=True)
class ChartPods:
    """What an add-on chart runs by default, and where its values can change it."""

    what: str
    replicas: int
    cpu: float
    memory_gib: float
    replicas_path: tuple[str, ...]
    resources_path: tuple[str, ...]
    source: str


ADDON_CHARTS: dict[str, ChartPods] = {
    "oci://docker.io/envoyproxy/gateway-helm": ChartPods(
        "Envoy Gateway controller",
        1,
        0.1,
        0.25,
        ("deployment", "replicas"),
        ("deployment", "envoyGateway", "resources"),
        "gateway-helm defaults: deployment.replicas 1, "
        "deployment.envoyGateway.resources.requests 100m / 256Mi (charts/gateway-helm README)",
    ),
    "oci://docker.io/envoyproxy/gateway-crds-helm": ChartPods(
        "Envoy Gateway CRDs", 0, 0.0, 0.0, (), (), "CRDs only, no pods"
    ),
    "oci://mcr.microsoft.com/application-lb/charts/alb-controller": ChartPods(
        "ALB controller",
        2,
        0.1,
        200 / 1024,
        ("albController", "controller", "replicaCount"),
        ("albController", "controller", "resource"),
        "alb-controller defaults: albController.controller.replicaCount 2, "
        "albController.controller.resource.requests 100m / 200Mi (learn.microsoft.com, "
        "application-gateway/for-containers/alb-controller-helm-chart)",
    ),
}
"""Add-on charts the platform installs, with the pods they run by default (their documented
values) and where the plan's values can change that. The versions are pinned in the
components (infra/services/components/, infra/services/chart_versions.py); the defaults were
read from the charts' current documentation, so a version bump should recheck them."""


def _requests(containers: Iterable[Mapping[str, Any]]) -> tuple[float, float]:
    cpu = memory = 0.0
    for container in containers:
        requests = as_mapping(as_mapping(container.get("resources")).get("requests"))
        cpu += cores(requests.get("cpu", 0))
        memory += gibibytes(requests.get("memory", 0))
    return cpu, memory


def _addon(r: dict[str, Any]) -> Workload | None:
    inputs = r["inputs"]
    chart = str(inputs.get("chart", ""))
    values = as_mapping(inputs.get("values"))
    resource = f"{CHART} {r['name']}"
    if chart not in ADDON_CHARTS:
        cpu, memory = _requests([values])
        replicas = int(values.get("replicaCount", 1))
        source = (
            "the chart's values in the plan"
            if cpu or memory
            else "no requests in the plan's values and the chart's defaults are not known "
            "here: not counted"
        )
        return Workload(
            PLATFORM, resource, cpu, memory, replicas, replicas, f"chart {r['name']}", source
        )
    known = ADDON_CHARTS[chart]
    if not known.replicas:
        return None
    replicas = value_at(values, known.replicas_path)
    requests = as_mapping(value_at(values, known.resources_path)).get("requests")
    count = int(replicas) if replicas is not None else known.replicas
    if requests:
        cpu, memory = _requests([{"resources": {"requests": requests}}])
        source = "the chart's values in the plan"
    else:
        cpu, memory, source = known.cpu, known.memory_gib, known.source
    return Workload(PLATFORM, resource, cpu, memory, count, count, known.what, source)


def workloads(resources: list[dict[str, Any]]) -> list[Workload]:
    """Deployments and StatefulSets (replicas from their HPA or ScaledObject), charts' pods (an
    application's chart is its service's; any other chart is a platform add-on) and Envoy
    proxies."""
    ranges: dict[tuple[str, str], tuple[int, int]] = {}
    for r in resources:
        spec = as_mapping(r["inputs"].get("spec"))
        key = (
            str(as_mapping(r["inputs"].get("metadata")).get("namespace", "")),
            str(as_mapping(spec.get("scaleTargetRef")).get("name", "")),
        )
        if r["type"] == HPA:
            ranges[key] = (int(spec.get("minReplicas", 1)), int(spec.get("maxReplicas", 1)))
        elif r["type"] == SCALED_OBJECT:
            ranges[key] = (
                int(spec.get("minReplicaCount", 0)),
                int(spec.get("maxReplicaCount", 100)),
            )
    found: list[Workload] = []
    for r in resources:
        inputs = r["inputs"]
        if r["type"] in SERVING_KINDS:
            metadata = as_mapping(inputs.get("metadata"))
            cpu, memory = _requests(app_containers(r["type"], inputs))
            fixed = int(as_mapping(inputs.get("spec")).get("replicas", 1))
            low, high = ranges.get(
                (str(metadata.get("namespace", "")), str(metadata.get("name", ""))), (fixed, fixed)
            )
            found.append(
                Workload(service_of_recorded(r), f"{r['type']} {r['name']}", cpu, memory, low, high)
            )
        elif r["type"] == CHART and (service := service_of_recorded(r)) != PLATFORM:
            values = as_mapping(inputs.get("values"))
            cpu, memory = _requests([values])
            replicas = int(values.get("replicaCount", 1))
            found.append(
                Workload(service, f"{r['type']} {r['name']}", cpu, memory, replicas, replicas)
            )
        elif r["type"] == CHART and (addon := _addon(r)) is not None:
            found.append(addon)
    for gateway in envoy_gateways(resources):
        found.append(
            Workload(
                PLATFORM,
                gateway.resource,
                gateway.cpu,
                gateway.memory_gib,
                gateway.min_replicas,
                gateway.max_replicas,
                f"Envoy proxies of Gateway {gateway.gateway}",
                gateway.requests_from,
            )
        )
    return sorted(found, key=lambda w: (w.service, w.what, w.resource))
