"""Internal AKS ingress and the local stack's ingress on the Kubernetes Gateway API, served by
Envoy Gateway (CNCF, a conformant Gateway API implementation): one GatewayClass, one shared
Gateway in Envoy Gateway's namespace with a listener per exposed service, and per service an
`HTTPRoute`/`GRPCRoute` with the same host and path matching as the public routes.

Why Envoy Gateway here and AGC for public services (README, "Gateway API ingress"): AGC
Frontends are public (the installed `servicenetworking.FrontendsInterfaceArgs` has no private IP
or subnet field), and the app routing / Istio add-on Gateway API implementations are preview
and need ManagedCluster API versions newer than the installed SDK's 2025-09-01.

One Gateway for every application (not one per namespace, as for AGC): Envoy Gateway gives
each Gateway its own Envoy Deployment and Service, and internal hosts all resolve to one fixed
address (`network.internalIngressIp`), which only one load balancer Service can hold. Each
listener admits routes from its service's namespace only (`allowedRoutes` selector), so one
application cannot take another's host.

The internal load balancer comes from the Gateway's `spec.infrastructure.annotations`: Envoy
Gateway copies them onto the Envoy Service it generates (v1.9.0:
internal/gatewayapi/translator.go `infrastructureAnnotations` → proxy metadata;
internal/infrastructure/kubernetes/proxy/resource_provider.go `Service()` copies
`GetProxyMetadata().Annotations`), and the Azure cloud provider reads them there (AKS docs
"Use an internal load balancer": `azure-load-balancer-internal`, `azure-load-balancer-ipv4`).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from infra.constants import ENVOY_GATEWAY_NAMESPACE
from infra.services.catalog import PlannedService
from infra.services.render.common import ClusterKind, PlatformExtensions, PlatformFacts
from infra.services.render.gateway import (
    GATEWAY_API,
    gateway_certificate,
    gateway_route,
    served_by_envoy,
    tls_secret_name,
)
from infra.services.render.objects import hooked, platform_meta

Obj = dict[str, Any]

"""Where the Envoy Gateway controller, the Envoy proxies it provisions and the shared Gateway
live (the chart's documented namespace; proxies run in the controller's namespace unless
`GatewayNamespace` deploy mode is set, which it is not)."""
ENVOY_GATEWAY_CLASS = "envoy-gateway"
ENVOY_CONTROLLER_NAME = "gateway.envoyproxy.io/gatewayclass-controller"
"""The chart's default `config.envoyGateway.gateway.controllerName` (v1.9.0 values.tmpl.yaml)."""
ENVOY_PROXY_API = "gateway.envoyproxy.io/v1alpha1"
INTERNAL_GATEWAY = "internal"
LOCAL_GATEWAY = "local"
ENVOY_PROXY_LABELS = {"app.kubernetes.io/name": "envoy", "app.kubernetes.io/component": "proxy"}
"""Labels Envoy Gateway puts on every Envoy proxy pod (v1.9.0:
internal/infrastructure/kubernetes/proxy/resource.go `EnvoyAppLabel`): the NetworkPolicy peer."""
NAMESPACE_LABEL = "kubernetes.io/metadata.name"
INTERNAL_LB_ANNOTATION = "service.beta.kubernetes.io/azure-load-balancer-internal"
LB_IPV4_ANNOTATION = "service.beta.kubernetes.io/azure-load-balancer-ipv4"


def gateway_name(facts: PlatformFacts) -> str:
    return LOCAL_GATEWAY if facts.cluster is ClusterKind.LOCAL else INTERNAL_GATEWAY


def route_host(service: PlannedService, facts: PlatformFacts) -> str:
    """Locally every exposed service answers on `<name>.<domain>` (a domain resolving to
    127.0.0.1); on AKS on its declared internal host."""
    if facts.cluster is ClusterKind.LOCAL:
        return f"{service.name}.{facts.local_domain}"
    host = service.spec.ingress.host
    assert host is not None, "validated: AKS ingress has a host"
    return host


def envoy_services(
    services: Sequence[PlannedService], facts: PlatformFacts
) -> list[PlannedService]:
    """The services the Envoy Gateway serves, in a stable order."""
    return sorted(
        (s for s in services if s.spec.ports and served_by_envoy(s, facts)),
        key=lambda s: (s.app, s.name),
    )


def services_by_host(
    services: Sequence[PlannedService], facts: PlatformFacts
) -> dict[str, list[PlannedService]]:
    """The Envoy-served services grouped by the host they answer on (several services may
    share one, each on its own path: validation's `hosts_have_one_owner` makes them one
    application's, with one certificate), in a stable order."""
    hosts: dict[str, list[PlannedService]] = {}
    for service in envoy_services(services, facts):
        hosts.setdefault(route_host(service, facts), []).append(service)
    return hosts


def listener_name(first: PlannedService) -> str:
    """Unique on the shared Gateway (service names are unique per application only): a host's
    listener is named after its first service, `<app>-<service>`, so a host with one service
    keeps the name it always had."""
    return f"{first.app}-{first.name}"


def namespace_object(extensions: PlatformExtensions) -> Obj:
    """Envoy Gateway's namespace, Pod Security `restricted` like the application namespaces:
    every pod Envoy Gateway runs there complies (v1.9.0: the controller's and the certgen Job's
    pod and container securityContext defaults in charts/gateway-helm/values.tmpl.yaml, non-root
    65532, RuntimeDefault seccomp, no privilege escalation, all capabilities dropped, read-only
    root filesystem; the proxies' in internal/infrastructure/kubernetes/proxy/resource.go, from
    `resource.DefaultSecurityContext`, the same)."""
    meta = platform_meta(ENVOY_GATEWAY_NAMESPACE, extensions)
    meta["labels"].update(
        {
            "pod-security.kubernetes.io/enforce": "restricted",
            "pod-security.kubernetes.io/enforce-version": "latest",
            "pod-security.kubernetes.io/audit": "restricted",
            "pod-security.kubernetes.io/warn": "restricted",
        }
    )
    return hooked({"apiVersion": "v1", "kind": "Namespace", "metadata": meta}, extensions)


def envoy_proxy_object(facts: PlatformFacts, extensions: PlatformExtensions) -> Obj:
    """How Envoy Gateway runs the proxies of this class (EnvoyProxy, its own CRD, v1alpha1).
    On AKS two replicas spread over nodes (and zones when the cluster is zonal) with a
    PodDisruptionBudget: a node drain or upgrade must not take every internal host down (the
    default is one replica and no budget). Locally one replica."""
    if facts.cluster is ClusterKind.LOCAL:
        kubernetes: Obj = {"envoyDeployment": {"replicas": 1}}
    else:
        spread = [("kubernetes.io/hostname", "ScheduleAnyway")]
        if facts.zonal:
            spread.append(("topology.kubernetes.io/zone", "ScheduleAnyway"))
        kubernetes = {
            "envoyDeployment": {
                "replicas": 2,
                "pod": {
                    "topologySpreadConstraints": [
                        {
                            "maxSkew": 1,
                            "topologyKey": key,
                            "whenUnsatisfiable": when,
                            "labelSelector": {"matchLabels": dict(ENVOY_PROXY_LABELS)},
                        }
                        for key, when in spread
                    ]
                },
            },
            "envoyPDB": {"minAvailable": 1},
        }
    obj: Obj = {
        "apiVersion": ENVOY_PROXY_API,
        "kind": "EnvoyProxy",
        "metadata": platform_meta(
            ENVOY_GATEWAY_CLASS, extensions, namespace=ENVOY_GATEWAY_NAMESPACE
        ),
        "spec": {"provider": {"type": "Kubernetes", "kubernetes": kubernetes}},
    }
    return hooked(obj, extensions)


def gateway_class_object(extensions: PlatformExtensions) -> Obj:
    """Cluster-scoped: the class every Envoy-served Gateway names, with the EnvoyProxy that
    shapes its proxies (Envoy Gateway reads a GatewayClass `parametersRef` to an EnvoyProxy)."""
    obj: Obj = {
        "apiVersion": GATEWAY_API,
        "kind": "GatewayClass",
        "metadata": platform_meta(ENVOY_GATEWAY_CLASS, extensions),
        "spec": {
            "controllerName": ENVOY_CONTROLLER_NAME,
            "parametersRef": {
                "group": ENVOY_PROXY_API.split("/", 1)[0],
                "kind": "EnvoyProxy",
                "name": ENVOY_GATEWAY_CLASS,
                "namespace": ENVOY_GATEWAY_NAMESPACE,
            },
        },
    }
    return hooked(obj, extensions)


def _listener(host: str, on_host: Sequence[PlannedService], facts: PlatformFacts) -> Obj:
    """One listener per host, whichever number of services share it (two listeners with one
    port, protocol and hostname are refused by the Gateway CRD). The services agree on their
    application and certificate (validation: `hosts_have_one_owner`), so the first one's stand
    for all."""
    service = on_host[0]
    listener: Obj = {
        "name": listener_name(service),
        "hostname": host,
        "allowedRoutes": {
            "namespaces": {
                "from": "Selector",
                "selector": {"matchLabels": {NAMESPACE_LABEL: service.app}},
            }
        },
    }
    if gateway_certificate(service, facts) is None:
        return {**listener, "protocol": "HTTP", "port": 80}
    # The Secret lives in the service's namespace (its pods sync it from Key Vault); the
    # ReferenceGrant there lets this Gateway read it.
    ref = {"kind": "Secret", "name": tls_secret_name(service), "namespace": service.app}
    return {
        **listener,
        "protocol": "HTTPS",
        "port": 443,
        "tls": {"mode": "Terminate", "certificateRefs": [ref]},
    }


def gateway_object(
    services: Sequence[PlannedService], facts: PlatformFacts, extensions: PlatformExtensions
) -> Obj | None:
    """The shared Gateway; on AKS behind an internal Azure load balancer on the fixed address.
    None when no service is exposed through it."""
    served = envoy_services(services, facts)
    if not served:
        return None
    spec: Obj = {
        "gatewayClassName": ENVOY_GATEWAY_CLASS,
        "listeners": [
            _listener(host, on_host, facts)
            for host, on_host in services_by_host(served, facts).items()
        ],
    }
    if facts.cluster is ClusterKind.AKS:
        assert facts.internal_gateway is not None, "served_by_envoy: internal gateway on"
        spec["infrastructure"] = {
            "annotations": {
                INTERNAL_LB_ANNOTATION: "true",
                LB_IPV4_ANNOTATION: facts.internal_gateway.address,
            }
        }
    obj: Obj = {
        "apiVersion": GATEWAY_API,
        "kind": "Gateway",
        "metadata": platform_meta(
            gateway_name(facts), extensions, namespace=ENVOY_GATEWAY_NAMESPACE
        ),
        "spec": spec,
    }
    return hooked(obj, extensions)


def route_object(
    service: PlannedService,
    services: Sequence[PlannedService],
    facts: PlatformFacts,
    extensions: PlatformExtensions,
) -> Obj | None:
    """The service's route on the shared Gateway, attached to its host's listener (`services`:
    every service of the catalog, to find who else shares the host)."""
    if not (service.spec.ports and served_by_envoy(service, facts)):
        return None
    host = route_host(service, facts)
    parent = {
        "name": gateway_name(facts),
        "namespace": ENVOY_GATEWAY_NAMESPACE,
        "sectionName": listener_name(services_by_host([*services, service], facts)[host][0]),
    }
    return gateway_route(service, extensions, parent=parent, host=host)


def reference_grant(
    service: PlannedService, facts: PlatformFacts, extensions: PlatformExtensions
) -> Obj | None:
    """Lets the shared Gateway (another namespace) read exactly this service's listener
    Secret; a cross-namespace `certificateRefs` is refused without it (Gateway API
    ReferenceGrant)."""
    if gateway_certificate(service, facts) is None or not served_by_envoy(service, facts):
        return None
    # The plan passes it through the hooks (AksServicePlan.reference_grant).
    meta = platform_meta(tls_secret_name(service), extensions, namespace=service.app)
    return {
        "apiVersion": "gateway.networking.k8s.io/v1beta1",
        "kind": "ReferenceGrant",
        "metadata": meta,
        "spec": {
            "from": [
                {
                    "group": "gateway.networking.k8s.io",
                    "kind": "Gateway",
                    "namespace": ENVOY_GATEWAY_NAMESPACE,
                }
            ],
            "to": [{"group": "", "kind": "Secret", "name": tls_secret_name(service)}],
        },
    }


def proxy_source() -> Obj:
    """The NetworkPolicy peer for Envoy Gateway: its proxy pods, in its namespace."""
    return {
        "namespaceSelector": {"matchLabels": {NAMESPACE_LABEL: ENVOY_GATEWAY_NAMESPACE}},
        "podSelector": {"matchLabels": dict(ENVOY_PROXY_LABELS)},
    }
