"""Who reaches a service on AKS, and how: its Service (ClusterIP, or an internal load balancer
for Container Apps callers), its ingress (the Gateway API route, the managed-NGINX Ingress, or
both during the migration release) and the NetworkPolicy that admits exactly its callers."""

from __future__ import annotations

from infra.constants import APP_ROUTING_INGRESS_CLASS, INTERNAL_INGRESS_CLASS
from infra.services.catalog import Catalog, Planned, PlannedService, service_port
from infra.services.render.common import (
    ClusterKind,
    GatewayFacts,
    Manifest,
    PlatformExtensions,
    PlatformFacts,
    selector,
)
from infra.services.render.envoy_gateway import proxy_source
from infra.services.render.envoy_gateway import route_object as envoy_route
from infra.services.render.gateway import gateway_source, route_object
from infra.services.render.objects import service_meta
from infra.services.routes import Gateway
from infra.services.spec import Protocol
from infra.services.wiring import reachability

INGRESS_CONTROLLER_NAMESPACE = "app-routing-system"
KEYVAULT_TLS_ANNOTATION = "kubernetes.azure.com/tls-cert-keyvault-uri"
INTERNAL_LOAD_BALANCER = "service.beta.kubernetes.io/azure-load-balancer-internal"


def service_object(
    service: PlannedService, catalog: Catalog, extensions: PlatformExtensions
) -> Manifest | None:
    spec = service.spec
    if not spec.ports:
        return None
    reach = reachability(catalog, service)
    own_annotations = None
    body: Manifest = {
        "selector": selector(service),
        "ports": [
            {
                "name": p.name,
                # Callers use the Service port; the named targetPort maps it to the container's.
                "port": service_port(p),
                "targetPort": p.name,
                "protocol": "TCP",
                "appProtocol": {"http": "http", "grpc": "kubernetes.io/h2c", "tcp": "tcp"}[
                    p.protocol.value
                ],
            }
            for p in spec.ports
        ],
    }
    if reach.needs_internal_load_balancer:
        # Container Apps cannot reach cluster IPs: an internal load balancer in the VNet, keeping
        # the caller's address (Local) so the NetworkPolicy can allow just their subnet.
        own_annotations = {INTERNAL_LOAD_BALANCER: "true"}
        body["type"] = "LoadBalancer"
        body["externalTrafficPolicy"] = "Local"
    else:
        body["type"] = "ClusterIP"
    return {
        "apiVersion": "v1",
        "kind": "Service",
        "metadata": service_meta(service, extensions, annotations=own_annotations),
        "spec": body,
    }


def route_of(
    service: PlannedService, facts: PlatformFacts, extensions: PlatformExtensions
) -> Manifest | None:
    """The Gateway API route of a service a Gateway serves (`service.route`; public: the
    application's AGC Gateway; internal and local: the Envoy Gateway), with its metadata from
    the one builder every object's comes from."""
    decided = service.route
    if decided is None or not decided.gateway.gateway_api:
        return None
    route = (
        envoy_route(service, facts, extensions)
        if decided.gateway.envoy
        else route_object(service, extensions)
    )
    return None if route is None else {**route, "metadata": service_meta(service, extensions)}


def ingress_object(
    service: PlannedService, facts: PlatformFacts, extensions: PlatformExtensions
) -> Manifest | None:
    """The managed-NGINX Ingress (deprecated, `aks.ingress: nginx|both`): for every exposed
    service off the gateway, and next to the route during the migration release (`both`):
    `Route.nginx`. Never locally: the local stack routes every exposed service through Envoy
    Gateway."""
    route = service.route
    if route is None or not route.nginx:
        return None
    tls = service.spec.ingress.tls
    port = route.port
    host = route.host
    assert facts.cluster is ClusterKind.AKS, "Gateway.LOCAL_ENVOY: every exposed local service"
    assert host is not None, "validated: AKS ingress has a host"
    annotations: dict[str, str] = {}
    if port.protocol is Protocol.GRPC:
        annotations["nginx.ingress.kubernetes.io/backend-protocol"] = "GRPC"
    body: Manifest = {
        "ingressClassName": APP_ROUTING_INGRESS_CLASS if route.public else INTERNAL_INGRESS_CLASS,
        "rules": [
            {
                "host": host,
                "http": {
                    "paths": [
                        {
                            "path": route.path,
                            "pathType": "Prefix",
                            "backend": {
                                "service": {"name": service.name, "port": {"name": port.name}}
                            },
                        }
                    ]
                },
            }
        ],
    }
    if tls is not None:
        # The app routing add-on fetches the certificate from Key Vault into this secret.
        annotations[KEYVAULT_TLS_ANNOTATION] = tls.key_vault_certificate_uri
        body["tls"] = [{"hosts": [host], "secretName": f"keyvault-{service.name}"}]
    return {
        "apiVersion": "networking.k8s.io/v1",
        "kind": "Ingress",
        "metadata": service_meta(service, extensions, annotations=annotations),
        "spec": body,
    }


def _ingress_sources(service: PlannedService, facts: PlatformFacts) -> list[Manifest]:
    """Who delivers ingress traffic: AGC's subnet, Envoy Gateway's proxies, the NGINX
    controllers' namespace, or AGC and NGINX during the migration release (`service.route`)."""
    route = service.route
    assert route is not None, "only a routed service has ingress sources"
    if route.gateway.envoy:
        return [proxy_source()]
    if route.gateway is Gateway.AGC:
        assert isinstance(facts.gateway, GatewayFacts), "Gateway.AGC: the stack has AGC"
        agc = gateway_source(facts.gateway)
        return [agc, _nginx_source()] if route.nginx_beside else [agc]
    return [_nginx_source()]


def _nginx_source() -> Manifest:
    """Managed NGINX (`aks.ingress: nginx|both`): the app routing add-on's controllers, in its
    namespace (never locally, where Envoy Gateway serves every exposed service)."""
    label = "kubernetes.io/metadata.name"
    return {"namespaceSelector": {"matchLabels": {label: INGRESS_CONTROLLER_NAMESPACE}}}


def _ports_used(caller: Planned, callee: PlannedService) -> tuple[int, ...]:
    """The container ports of `callee` that `caller`'s dependencies name (None: the first)."""
    numbers = set()
    for dep in caller.spec.dependencies:
        if dep.service == callee.name:
            port = callee.spec.port_named(dep.port)
            assert port is not None, "validated: dependencies name declared ports"
            numbers.add(port.number)
    return tuple(sorted(numbers))


def network_policy(
    service: PlannedService, catalog: Catalog, facts: PlatformFacts, extensions: PlatformExtensions
) -> Manifest | None:
    """Allow exactly the declared callers (and the ingress controller for exposed services);
    the namespace's default-deny refuses everything else."""
    spec = service.spec
    if not spec.ports:
        return None
    reach = reachability(catalog, service)
    # Each source reaches exactly the ports it uses: a caller the ports its dependencies name
    # (`Dependency.port`), the ingress proxies the ingress port. Sources that use the same
    # ports share a rule.
    by_ports: dict[tuple[int, ...], list[Manifest]] = {}
    for caller in reach.aks_callers:
        by_ports.setdefault(_ports_used(caller, service), []).append(
            {
                "namespaceSelector": {
                    "matchLabels": {"kubernetes.io/metadata.name": caller.namespace}
                },
                "podSelector": {"matchLabels": selector(caller)},
            }
        )
    if reach.container_apps_callers:
        used = sorted({n for c in reach.container_apps_callers for n in _ports_used(c, service)})
        by_ports.setdefault(tuple(used), []).append(
            {"ipBlock": {"cidr": facts.container_apps_subnet_cidr}}
        )
    if service.route is not None:
        by_ports.setdefault((service.route.port.number,), []).extend(
            _ingress_sources(service, facts)
        )
    rules: list[Manifest] = [
        {"from": sources, "ports": [{"port": n, "protocol": "TCP"} for n in numbers]}
        for numbers, sources in by_ports.items()
    ]
    metrics = [p for p in spec.ports if p.name == "metrics"]
    if metrics:
        # Azure Monitor managed Prometheus scrapes from kube-system.
        rules.append(
            {
                "from": [
                    {
                        "namespaceSelector": {
                            "matchLabels": {"kubernetes.io/metadata.name": "kube-system"}
                        }
                    }
                ],
                "ports": [{"port": p.number, "protocol": "TCP"} for p in metrics],
            }
        )
    return {
        "apiVersion": "networking.k8s.io/v1",
        "kind": "NetworkPolicy",
        "metadata": service_meta(service, extensions),
        "spec": {
            "podSelector": {"matchLabels": selector(service)},
            "policyTypes": ["Ingress"],
            "ingress": rules,
        },
    }
