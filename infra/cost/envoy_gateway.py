"""What an Envoy Gateway `Gateway` in the plan makes the cluster run, read from the rendered
objects (the Gateway, its GatewayClass and the EnvoyProxy the class points to): a proxy
Deployment and a `LoadBalancer` Service with one port per distinct listener port.

Envoy Gateway facts this relies on (envoyproxy/gateway, the v1.5 line the platform pins):
- one Envoy Deployment and Service per Gateway of a class whose `controllerName` is Envoy
  Gateway's; its shape comes from the class's `parametersRef` EnvoyProxy;
- the Service's ports: "Infra IR ports must have a unique port number per layer-4 protocol
  (TCP or UDP)" (internal/gatewayapi/listener.go, `processInfraIRListener`): listeners sharing
  a port share one Service port, so one load balancer rule;
- the Service is `LoadBalancer` unless the EnvoyProxy's `envoyService.type` says otherwise
  (api/v1alpha1 `KubernetesServiceSpec.Type`, `+kubebuilder:default:="LoadBalancer"`), and
  carries the Gateway's `spec.infrastructure.annotations` (so the Azure cloud provider reads
  `azure-load-balancer-internal` there);
- replicas: `envoyDeployment.replicas`, default 1 (`DefaultDeploymentReplicas`), or the
  EnvoyProxy's `envoyHpa` range;
- requests per proxy pod: the `envoy` container's `envoyDeployment.container.resources`, by
  default 100m CPU / 512Mi (`DefaultDeploymentCPUResourceRequests`,
  `DefaultDeploymentMemoryResourceRequests`), plus the `shutdown-manager` sidecar's 10m / 32Mi
  (`DefaultShutdownManagerCPUResourceRequests`, `...MemoryResourceRequests`), all in
  api/v1alpha1/shared_types.go.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from infra.plan.kinds import ENVOY_PROXY, GATEWAY, GATEWAY_CLASS
from infra.plan.paths import as_mapping, mapping_at
from infra.plan.quantities import cores, gibibytes

ENVOY_CONTROLLER = "gateway.envoyproxy.io/gatewayclass-controller"
INTERNAL_LB = "service.beta.kubernetes.io/azure-load-balancer-internal"

PROXY_CPU = 0.1 + 0.01
"""envoy 100m + shutdown-manager 10m (Envoy Gateway's defaults, above)."""
PROXY_MEMORY_GIB = 512 / 1024 + 32 / 1024
SHUTDOWN_MANAGER = (0.01, 32 / 1024)


@dataclass(frozen=True)
class EnvoyGatewayInfra:
    """The proxies and load balancer Service Envoy Gateway runs for one Gateway."""

    gateway: str
    """`<namespace>/<name>` of the Gateway."""
    resource: str
    """`<type> <name>` of the Gateway in the plan."""
    ports: tuple[tuple[int, str], ...]
    """Distinct (port, layer-4 protocol) of its listeners: one Service port (LB rule) each."""
    load_balancer: bool
    internal: bool
    min_replicas: int
    max_replicas: int
    cpu: float
    memory_gib: float
    requests_from: str


def _by_name(resources: list[dict[str, Any]], kind: str) -> dict[tuple[str, str], dict[str, Any]]:
    found: dict[tuple[str, str], dict[str, Any]] = {}
    for r in resources:
        if r["type"] == kind:
            metadata = as_mapping(r["inputs"].get("metadata"))
            found[(str(metadata.get("namespace", "")), str(metadata.get("name", "")))] = r
    return found


def _replicas(kubernetes: Mapping[str, Any]) -> tuple[int, int]:
    hpa = as_mapping(kubernetes.get("envoyHpa"))
    if hpa:
        return int(hpa.get("minReplicas", 1)), int(hpa.get("maxReplicas", 1))
    replicas = int(as_mapping(kubernetes.get("envoyDeployment")).get("replicas", 1))
    return replicas, replicas


def _requests(kubernetes: Mapping[str, Any]) -> tuple[float, float, str]:
    container = as_mapping(as_mapping(kubernetes.get("envoyDeployment")).get("container"))
    requests = as_mapping(as_mapping(container.get("resources")).get("requests"))
    if not requests:
        return PROXY_CPU, PROXY_MEMORY_GIB, "Envoy Gateway's defaults (envoy + shutdown-manager)"
    cpu = cores(requests.get("cpu", 0)) + SHUTDOWN_MANAGER[0]
    memory = gibibytes(requests.get("memory", 0)) + SHUTDOWN_MANAGER[1]
    return cpu, memory, "the EnvoyProxy's container requests + shutdown-manager's default"


def _layer4(protocol: str) -> str:
    return "UDP" if protocol.upper() == "UDP" else "TCP"


def envoy_gateways(resources: list[dict[str, Any]]) -> list[EnvoyGatewayInfra]:
    """Every Gateway in the plan that Envoy Gateway serves, with what it makes the cluster run."""
    classes = {name: r for (_ns, name), r in _by_name(resources, GATEWAY_CLASS).items()}
    proxies = _by_name(resources, ENVOY_PROXY)
    found: list[EnvoyGatewayInfra] = []
    for (namespace, name), r in sorted(_by_name(resources, GATEWAY).items()):
        spec = as_mapping(r["inputs"].get("spec"))
        gateway_class = classes.get(str(spec.get("gatewayClassName", "")))
        if gateway_class is None:
            continue
        class_spec = as_mapping(gateway_class["inputs"].get("spec"))
        if class_spec.get("controllerName") != ENVOY_CONTROLLER:
            continue
        ref = as_mapping(class_spec.get("parametersRef"))
        proxy = proxies.get((str(ref.get("namespace", "")), str(ref.get("name", ""))))
        kubernetes = mapping_at(proxy["inputs"] if proxy else {}, "spec.provider.kubernetes")
        service = as_mapping(kubernetes.get("envoyService"))
        annotations = {
            **as_mapping(service.get("annotations")),
            **as_mapping(as_mapping(spec.get("infrastructure")).get("annotations")),
        }
        ports = sorted(
            {
                (int(listener["port"]), _layer4(str(listener.get("protocol", "TCP"))))
                for listener in spec.get("listeners") or []
                if isinstance(listener, dict) and "port" in listener
            }
        )
        low, high = _replicas(kubernetes)
        cpu, memory, source = _requests(kubernetes)
        found.append(
            EnvoyGatewayInfra(
                gateway=f"{namespace}/{name}",
                resource=f"{GATEWAY} {r['name']}",
                ports=tuple(ports),
                load_balancer=str(service.get("type", "LoadBalancer")) == "LoadBalancer",
                internal=str(annotations.get(INTERNAL_LB, "")).lower() == "true",
                min_replicas=low,
                max_replicas=high,
                cpu=cpu,
                memory_gib=memory,
                requests_from=source,
            )
        )
    return found
