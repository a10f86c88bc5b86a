"""What both renderings share: names, labels, quantities, probes and the platform's facts.

One module, so AKS and Container Apps agree on image, ports, env and replicas by construction.
"""

from __future__ import annotations

import inspect
import re
import traceback
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

import pulumi

from infra.config import Environment
from infra.constants import NAME_LABEL, PART_OF_LABEL
from infra.problems import InvalidInput, Problem
from infra.services.catalog import Planned
from infra.services.images import parse_image
from infra.services.spec import (
    GrpcProbe,
    HttpProbe,
    JobSpec,
    KedaScaler,
    QueueTrigger,
    Resources,
    ServiceBusQueue,
    ServiceSpec,
    TcpProbe,
)

if TYPE_CHECKING:
    from infra.services.render.container_apps import ContainerAppPlan

MANAGED_BY_LABEL = "app.kubernetes.io/managed-by"
VERSION_LABEL = "app.kubernetes.io/version"
TARGET_LABEL = "platform.io/target"

Text = pulumi.Input[str]

Manifest = dict[str, Any]
"""One Kubernetes object as the API server reads it (`apiVersion`, `kind`, `metadata`, ...):
validated against the OpenAPI schema in the tests, so a misspelt field cannot hide in it."""

KubernetesHook = Callable[[Manifest], Manifest]
"""A platform hook (`infra/extensions.py`): receives each rendered object, returns it adjusted."""

ContainerAppHook = Callable[["ContainerAppPlan"], "ContainerAppPlan"]
"""A platform hook for Container Apps: receives each service's plan, returns it adjusted."""


def concat(*parts: Text) -> Text:
    """Join text that may contain Outputs; stays a plain str when every part is one (tests).

    Adjacent plain parts are joined first: the SDK turns each part of `Output.concat` into an
    Output of its own (docs/performance.md)."""
    if all(isinstance(part, str) for part in parts):
        return "".join(str(part) for part in parts)
    merged: list[Text] = []
    for part in parts:
        if isinstance(part, str) and merged and isinstance(merged[-1], str):
            merged[-1] += part
        elif not isinstance(part, str) or part:
            merged.append(part)
    return pulumi.Output.concat(*merged)


class ClusterKind(StrEnum):
    """Which Kubernetes the AKS rendering targets: AKS itself, or a developer's local cluster
    (no Azure: no workload identity, no Key Vault CSI driver, no app routing add-on)."""

    AKS = "aks"
    LOCAL = "local"


@dataclass(frozen=True)
class GatewayFacts:
    """Application Gateway for Containers, which serves public AKS ingress through the Gateway
    API (see `infra.services.render.gateway`)."""

    traffic_controller_id: Text
    """Full resource id of the TrafficController (the Gateway's `alb-id` annotation)."""
    subnet_cidr: str
    """The association's delegated subnet: AGC's proxies reach pods from these addresses, so a
    public service's NetworkPolicy admits this block."""


@dataclass(frozen=True)
class InternalGatewayFacts:
    """Envoy Gateway behind an internal Azure load balancer, which serves internal AKS ingress
    (`Exposure.INTERNAL`) with `aks.ingress: gateway` (`infra.services.render.envoy_gateway`)."""

    address: str
    """The load balancer's fixed private address in the node subnet; internal hosts' private DNS
    records point at it."""


@dataclass(frozen=True)
class PlatformFacts:
    """What renderers need to know about the platform. Fields may be Outputs in a real run and
    plain strings in tests; renderers never look inside them."""

    environment: Environment
    zonal: bool
    registry_server: Text
    container_apps_domain: Text
    container_apps_internal: bool
    container_apps_subnet_cidr: str
    aks_nodes_subnet_cidr: str
    aks_egress_ip: Text
    private_zone: str
    """DNS zone in which AKS services that Container Apps call get a name."""
    tenant_id: Text
    key_vault_name: Text
    key_vault_id: Text
    subscription_id: Text
    cluster: ClusterKind = ClusterKind.AKS
    local_domain: str = "localtest.me"
    gateway: GatewayFacts | None = None
    """Public AKS ingress on the Gateway API (the default stack setting); None: the deprecated
    app routing managed NGINX (`aks.ingress: nginx`)."""
    internal_gateway: InternalGatewayFacts | None = None
    """Internal AKS ingress on Envoy Gateway (`aks.ingress: gateway`); None: the internal
    app-routing NGINX (`nginx`, `both`). The local stack always routes through Envoy Gateway."""
    probe_handlers: tuple[str, ...] | None = None
    """The probe handlers the cluster admits on a service's pods: with Deployment Safeguards in
    Enforce, those the probe policy counts (`tcpSocket`, `httpGet`, `exec`, read from
    upstream/azure-policy by infra/policy/safeguards.py; a `grpc` probe counts as none, so the
    pod would be refused). None: any handler."""


class HookFailed(InvalidInput):
    """A platform hook raised: which hook (and where it raised), on which object. The hook's own
    exception is the `__cause__` (`--debug` prints it)."""

    def __init__(self, hook: str, where: str, subject: str, error: str) -> None:
        self.hook, self.where, self.object, self.error = hook, where, subject, error
        super().__init__(
            "a platform hook",
            [
                Problem(
                    where,
                    hook,
                    f"raised {error} on {subject}",
                    "fix the hook (infra/extensions.py registers it); --debug shows the traceback",
                )
            ],
        )

    def __reduce__(self) -> tuple[object, ...]:
        return (HookFailed, (self.hook, self.where, self.object, self.error))


Hooked = TypeVar("Hooked")


def run_hook(hook: Callable[[Hooked], Hooked], obj: Hooked, subject: str) -> Hooked:
    """`hook(obj)`, or HookFailed naming the hook, the file and line it raised at, and `subject`
    (the object: `CronJob catalog/catalog-reindex`)."""
    try:
        return hook(obj)
    except Exception as error:
        name = f"{getattr(hook, '__module__', '?')}.{getattr(hook, '__qualname__', hook)}"
        try:
            source = inspect.getsourcefile(hook)  # type: ignore[arg-type]
        except TypeError:
            source = None
        frames = traceback.extract_tb(error.__traceback__)[1:]  # past this function's frame
        mine = [f for f in frames if source and f.filename == source] or frames
        where = _shown_path(mine[-1].filename) + f":{mine[-1].lineno}" if mine else name
        raise HookFailed(name, where, subject, f"{type(error).__name__}: {error}") from error


def _shown_path(filename: str) -> str:
    path = Path(filename).resolve()
    root = Path(__file__).resolve().parents[3]
    return str(path.relative_to(root)) if path.is_relative_to(root) else str(path)


def manifest_subject(obj: Manifest) -> str:
    """`Kind namespace/name` (or `Kind name` when cluster-scoped) of a Kubernetes object."""
    metadata = obj.get("metadata") or {}
    namespace = metadata.get("namespace")
    name = metadata.get("name", "?")
    return f"{obj.get('kind', '?')} {f'{namespace}/' if namespace else ''}{name}"


@dataclass(frozen=True)
class PlatformExtensions:
    """How platform teams shape every service without touching `apps/` (see infra/extensions.py).

    Labels and annotations go on every Kubernetes object and pod and, as tags, on every
    Container App; node selectors and tolerations on every AKS pod. Hooks adjust each rendered
    object last: Kubernetes hooks receive and return an object dict; Container Apps hooks a
    `ContainerAppPlan`.
    """

    labels: Mapping[str, str] = field(default_factory=dict)
    annotations: Mapping[str, str] = field(default_factory=dict)
    node_selector: Mapping[str, str] = field(default_factory=dict)
    tolerations: tuple[Mapping[str, Any], ...] = ()
    kubernetes_hooks: tuple[KubernetesHook, ...] = ()
    container_app_hooks: tuple[ContainerAppHook, ...] = ()


def labels(service: Planned, extensions: PlatformExtensions) -> dict[str, str]:
    return {
        **extensions.labels,
        NAME_LABEL: service.name,
        PART_OF_LABEL: service.app,
        MANAGED_BY_LABEL: "pulumi",
        TARGET_LABEL: service.spec.target.value,
    }


def version_label(spec: ServiceSpec | JobSpec) -> dict[str, str]:
    """Only on the workload and its pods: an image bump should not touch every object."""
    ref = parse_image(spec.image)
    version = ref.tag if ref and ref.tag else "digest"
    return {VERSION_LABEL: re.sub(r"[^A-Za-z0-9_.-]", "-", version)[:63].strip("-_.") or "unknown"}


def selector(service: Planned) -> dict[str, str]:
    """Immutable once created: only what never changes for a service."""
    return {NAME_LABEL: service.name, PART_OF_LABEL: service.app}


def image(spec: ServiceSpec | JobSpec, facts: PlatformFacts) -> Text:
    return image_reference(spec.image, facts)


def image_reference(declared: str, facts: PlatformFacts) -> Text:
    """An image as pulled: without a registry host, from the platform's registry."""
    ref = parse_image(declared)
    if ref is None or ref.host is not None:
        return declared
    return concat(facts.registry_server, "/", declared)


def cpu_millicores(cores: float) -> str:
    return f"{round(cores * 1000)}m"


def mebibytes(mib: float) -> str:
    return f"{round(mib)}Mi"


def kubernetes_resources(resources: Resources) -> dict[str, dict[str, str]]:
    """Requests default to the limits (Guaranteed QoS, the same size as on Container Apps);
    declared requests below them make the pod Burstable on AKS."""
    limits = {"cpu": cpu_millicores(resources.cpu), "memory": mebibytes(resources.memory_mib())}
    requests = {
        "cpu": limits["cpu"]
        if resources.cpu_request is None
        else cpu_millicores(resources.cpu_request),
        "memory": mebibytes(resources.memory_request_mib()),
    }
    return {"requests": requests, "limits": limits}


def probe_port_number(spec: ServiceSpec, probe: HttpProbe | TcpProbe | GrpcProbe) -> int:
    port = spec.port_named(probe.port)
    assert port is not None, "validated: probes name declared ports"
    return port.number


def min_replicas(spec: ServiceSpec) -> int:
    return spec.autoscaling.min_replicas if spec.autoscaling else spec.replicas


def max_replicas(spec: ServiceSpec) -> int:
    return spec.autoscaling.max_replicas if spec.autoscaling else spec.replicas


def env_secret_name(variable: str) -> str:
    """Container Apps secret names: lowercase letters, digits and '-'."""
    return variable.lower().replace("_", "-")


def scaler_secret_name(parameter: str) -> str:
    """The Container Apps secret (a Key Vault reference) behind one `KedaScaler` auth
    parameter, which the scale rule's `auth` names (`secretRef` → `triggerParameter`)."""
    return f"keda-{parameter.lower()}"


def keda_queue_scaler(queue: QueueTrigger) -> tuple[str, dict[str, str]]:
    """The KEDA scaler type and metadata for a queue trigger: the same on AKS (ScaledObject,
    ScaledJob) and Container Apps (custom scale rules, job event rules), which runs KEDA's
    scalers. A `KedaScaler` passes its declared metadata through (validated against the
    vendored parameter list); its credentials go to the scaler's authentication instead."""
    if isinstance(queue, KedaScaler):
        return queue.type, dict(sorted(queue.metadata.items()))
    if isinstance(queue, ServiceBusQueue):
        return "azure-servicebus", {
            "namespace": queue.namespace,
            "queueName": queue.queue,
            "messageCount": str(queue.messages_per_replica),
        }
    return "azure-queue", {
        "accountName": queue.account,
        "queueName": queue.queue,
        "queueLength": str(queue.messages_per_replica),
    }
