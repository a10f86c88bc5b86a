"""Public AKS ingress on the Kubernetes Gateway API, served by Application Gateway for
Containers (AGC): one `Gateway` per application namespace, one `HTTPRoute` or `GRPCRoute` per
exposed service. Pure functions of the catalog; every object is validated against the Gateway
API v1.6.1 standard-channel CRD schemas in the tests (`tests/k8s_schema.py`).

Why AGC and not the app routing add-on's Gateway API (meshless Istio): the add-on is enabled by
`ingressProfile` fields of ManagedCluster API versions newer than the 2025-09-01 the installed
pulumi-azure-native exposes, while AGC's `servicenetworking` TrafficController, Frontend and
Association are in the installed SDK (see docs/ingress.md).

Deployment model: "bring your own" (learn.microsoft.com/azure/application-gateway/for-
containers/quickstart-create-application-gateway-for-containers-byo-deployment): Pulumi owns the
Azure resources; the Gateway names the TrafficController (`alb.networking.azure.io/alb-id`) and
its Frontend (`addresses`), and the ALB controller programs the routes.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from infra.constants import ALB_NAMESPACE
from infra.services.catalog import PlannedService, service_port
from infra.services.gateway_api import GATEWAY_API, path_match
from infra.services.render.common import (
    GatewayFacts,
    PlatformExtensions,
    PlatformFacts,
    Text,
    labels,
)
from infra.services.render.objects import hooked, platform_meta
from infra.services.routes import Gateway, Route
from infra.services.spec import Protocol

Obj = dict[str, Any]

GATEWAY_CLASS = "azure-alb-external"
"""The GatewayClass the ALB controller installs for Application Gateway for Containers."""
ALB_ID_ANNOTATION = "alb.networking.azure.io/alb-id"
ALB_FRONTEND_ADDRESS = "alb.networking.azure.io/alb-frontend"
PUBLIC_GATEWAY = "public"
"""The Gateway's name in each application namespace that has public AKS services."""


def alb_namespace_object(extensions: PlatformExtensions) -> Obj:
    """The ALB controller's namespace, which its chart does not create when installed into it
    (components/gateway.py). No Pod Security label: Microsoft's controller runs here, and the
    namespace is one of the system namespaces the admission guardrails exclude
    (infra/foundation/guardrails.py)."""
    return hooked(
        {
            "apiVersion": "v1",
            "kind": "Namespace",
            "metadata": platform_meta(ALB_NAMESPACE, extensions),
        },
        extensions,
    )


def frontend_name(app: str) -> str:
    """One AGC Frontend per application Gateway: a Frontend serves exactly one Gateway."""
    return f"fe-{app}"


def on_agc(service: PlannedService) -> Route | None:
    """The service's route when an application's AGC Gateway serves it (`service.route`,
    decided by validation: `infra.services.routes`)."""
    route = service.route
    return route if route is not None and route.gateway is Gateway.AGC else None


def public_services(services: Sequence[PlannedService], app: str) -> list[PlannedService]:
    """The AKS services of `app` that the public Gateway serves, by name."""
    return sorted((s for s in services if s.app == app and on_agc(s)), key=lambda s: s.name)


def tls_secret_name(service: PlannedService) -> str:
    """The Kubernetes TLS Secret the listener terminates with, synced from the service's Key
    Vault certificate (`ingress.tls`)."""
    return f"tls-{service.name}"


def public_hosts(services: Sequence[PlannedService], app: str) -> dict[str, list[PlannedService]]:
    """The public AKS services of `app` grouped by host, by name: several may share a host,
    each on its own path (validation's `hosts_have_one_owner`: one application, one
    certificate). A host's listener and DNS record are named after its first service, so a
    host with one service keeps the names it always had."""
    hosts: dict[str, list[PlannedService]] = {}
    for service in public_services(services, app):
        route = on_agc(service)
        assert route is not None, "public_services: on AGC"
        assert route.host is not None, "validated: AKS ingress has a host"
        hosts.setdefault(route.host, []).append(service)
    return hosts


def _listener(host: str, on_host: Sequence[PlannedService]) -> Obj:
    """One listener per host (two with one port, protocol and hostname are refused by the
    Gateway CRD), named after the host's first service (`Route.listener`)."""
    service = on_host[0]
    route = on_agc(service)
    assert route is not None, "public_services: on AGC"
    assert route.listener is not None, "catalog.with_routes names every Gateway API listener"
    listener: Obj = {
        "name": route.listener,
        "hostname": host,
        "allowedRoutes": {"namespaces": {"from": "Same"}},
    }
    if service.spec.ingress.tls is None:
        return {**listener, "protocol": "HTTP", "port": 80}
    return {
        **listener,
        "protocol": "HTTPS",
        "port": 443,
        "tls": {
            "mode": "Terminate",
            "certificateRefs": [{"kind": "Secret", "name": tls_secret_name(service)}],
        },
    }


def gateway_object(
    app: str,
    services: Sequence[PlannedService],
    gateway: GatewayFacts,
    extensions: PlatformExtensions,
) -> Obj | None:
    """The application's public Gateway: one listener per public service (its host, HTTPS when
    it has a certificate), so a route can only attach to the host it declares."""
    exposed = public_services(services, app)
    if not exposed:
        return None
    # Fix: this Gateway built its own metadata (no `managed-by` label) and skipped the hooks;
    # now the one builder and the hooks, like every other object (docs/extending.md).
    meta = platform_meta(
        PUBLIC_GATEWAY,
        extensions,
        app,
        annotations={ALB_ID_ANNOTATION: gateway.traffic_controller_id},
    )
    obj: Obj = {
        "apiVersion": GATEWAY_API,
        "kind": "Gateway",
        "metadata": meta,
        "spec": {
            "gatewayClassName": GATEWAY_CLASS,
            "addresses": [{"type": ALB_FRONTEND_ADDRESS, "value": frontend_name(app)}],
            "listeners": [
                _listener(host, on_host) for host, on_host in public_hosts(exposed, app).items()
            ],
        },
    }
    return hooked(obj, extensions)


def backend_refs(service: PlannedService, port: int) -> list[Obj]:
    """Where the route sends traffic: the service, or during a rollout the stable and the
    canary Service with their weights (Gateway API: a backend's share is its weight over the
    sum; weight 0 takes nothing)."""
    rollout = service.spec.rollout
    if rollout is None:
        return [{"name": service.name, "port": port}]
    return [
        {"name": service.name, "port": port, "weight": 100 - rollout.weight},
        {"name": canary_name(service.name), "port": port, "weight": rollout.weight},
    ]


def canary_name(service: str) -> str:
    """The canary's Deployment, Service, HPA and PDB on AKS (validated to fit 63 characters)."""
    return f"{service}-canary"


def route_object(service: PlannedService, extensions: PlatformExtensions) -> Obj | None:
    """A public AKS service's route, attached to its host's listener (`Route.listener`) of the
    application's AGC Gateway."""
    route = on_agc(service)
    if route is None:
        return None
    assert route.host is not None, "validated: AKS ingress has a host"
    parent = {"name": PUBLIC_GATEWAY, "sectionName": route.listener}
    return gateway_route(service, extensions, parent=parent, host=route.host)


def gateway_route(
    service: PlannedService, extensions: PlatformExtensions, *, parent: Obj, host: str
) -> Obj:
    """An `HTTPRoute` (host + path prefix) or, for a gRPC port, a `GRPCRoute` (host; gRPC
    matches on service/method, never on a path) to the service's ingress port, attached to
    `parent` (a Gateway and its listener): the same matching whichever Gateway serves it."""
    route = service.route
    assert route is not None, "only a routed service gets a route"
    port = route.port
    meta: Obj = {
        "name": service.name,
        "namespace": service.app,
        "labels": labels(service, extensions),
    }
    if extensions.annotations:
        meta["annotations"] = dict(extensions.annotations)
    backends = backend_refs(service, service_port(port))
    if port.protocol is Protocol.GRPC:
        return {
            "apiVersion": GATEWAY_API,
            "kind": "GRPCRoute",
            "metadata": meta,
            "spec": {
                "parentRefs": [parent],
                "hostnames": [host],
                "rules": [{"backendRefs": backends}],
            },
        }
    return {
        "apiVersion": GATEWAY_API,
        "kind": "HTTPRoute",
        "metadata": meta,
        "spec": {
            "parentRefs": [parent],
            "hostnames": [host],
            "rules": [
                {
                    "matches": [{"path": path_match(route.path)}],
                    "backendRefs": backends,
                }
            ],
        },
    }


TLS_MOUNT = "/mnt/secrets-store/tls"
TLS_VOLUME = "gateway-tls"


def gateway_certificate(service: PlannedService) -> str | None:
    """The Key Vault certificate (in the platform vault, validated) the service's Gateway
    listener serves, by name (`Route.certificate`: on AGC or the internal Envoy Gateway, which
    both read a Kubernetes TLS Secret; None without TLS, locally, or on managed NGINX, which
    reads Key Vault itself)."""
    return None if service.route is None else service.route.certificate


def tls_secret_provider_class(
    service: PlannedService, facts: PlatformFacts, client_id: Text | None
) -> Obj | None:
    """AGC and Envoy Gateway read listener certificates from Kubernetes Secrets, not from Key
    Vault. The Secrets Store CSI driver syncs the certificate (private key and chain, read
    through the secret endpoint) into the `kubernetes.io/tls` Secret the listener names, while
    a pod mounts it: the service's own pods do, with the service's identity (Key Vault Secrets
    User on that certificate's secret alone). Rotation in Key Vault re-syncs it (azure.github.io/
    secrets-store-csi-driver-provider-azure, "Sync mounted content with Kubernetes secret")."""
    certificate = gateway_certificate(service)
    if certificate is None:
        return None
    return {
        "apiVersion": "secrets-store.csi.x-k8s.io/v1",
        "kind": "SecretProviderClass",
        "metadata": {"name": tls_secret_name(service), "namespace": service.app},
        "spec": {
            "provider": "azure",
            "parameters": {
                "usePodIdentity": "false",
                "clientID": client_id or "",
                "keyvaultName": facts.key_vault_name,
                "tenantId": facts.tenant_id,
                "objects": (
                    f"array:\n    - |\n      objectName: {certificate}\n      objectType: secret\n"
                ),
            },
            "secretObjects": [
                {
                    "secretName": tls_secret_name(service),
                    "type": "kubernetes.io/tls",
                    "data": [
                        {"objectName": certificate, "key": "tls.key"},
                        {"objectName": certificate, "key": "tls.crt"},
                    ],
                }
            ],
        },
    }


def tls_volume(service: PlannedService) -> tuple[list[Obj], list[Obj]]:
    """The CSI volume that keeps the listener's Secret synced (volumes, mounts)."""
    if gateway_certificate(service) is None:
        return [], []
    volume = {
        "name": TLS_VOLUME,
        "csi": {
            "driver": "secrets-store.csi.k8s.io",
            "readOnly": True,
            "volumeAttributes": {"secretProviderClass": tls_secret_name(service)},
        },
    }
    return [volume], [{"name": TLS_VOLUME, "mountPath": TLS_MOUNT, "readOnly": True}]


def gateway_source(gateway: GatewayFacts) -> Obj:
    """The NetworkPolicy peer for AGC: its proxies connect from the association subnet."""
    return {"ipBlock": {"cidr": gateway.subnet_cidr}}
