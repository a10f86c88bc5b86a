"""Each service's route, decided once: which gateway serves its ingress, public or internal, on
which host, path, port and listener. Validation decides it (`decide_route`, from the declaration
and the stack's `config.IngressMode`; listeners are named in `catalog.with_routes`) and carries
it on `PlannedService.route`. Renderers, components, the deploy step, the custom-domain and the
gateway-limit checks read it and never re-derive it (tests/test_routes.py forbids the old
per-stage predicates). The decision, as a table: docs/ingress.md, "Which gateway serves a
service".

No route without exposure, nor without a port: an exposed service with no port cannot be
routed, and validation refuses it (`rules/ingress.py`: "needs a port to expose").

Below the renderers and the catalog in the import order: it imports the stack config and the
spec only.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from infra.config import AksConfig, IngressMode, LocalConfig, PlatformConfig
from infra.services.spec import Exposure, Port, Protocol, ServiceSpec, Target


class Gateway(StrEnum):
    """What serves a service's ingress."""

    AGC = "agc"
    """Application Gateway for Containers: public AKS services (`aks.ingress` gateway, both)."""
    ENVOY = "envoy"
    """The shared internal Envoy Gateway: internal AKS services (`aks.ingress` gateway)."""
    LOCAL_ENVOY = "local-envoy"
    """The local stack's Envoy Gateway: every exposed service, whatever its target."""
    NGINX = "nginx"
    """The app routing add-on's managed NGINX (deprecated; `aks.ingress` nginx, and internal
    services during both)."""
    CONTAINER_APPS = "container-apps"
    """The Container Apps environment's ingress."""

    @property
    def gateway_api(self) -> bool:
        """Served through a Gateway API `HTTPRoute`/`GRPCRoute` (AGC or Envoy Gateway)."""
        return self in (Gateway.AGC, Gateway.ENVOY, Gateway.LOCAL_ENVOY)

    @property
    def envoy(self) -> bool:
        """Served by an Envoy Gateway (the shared internal one, or the local stack's)."""
        return self in (Gateway.ENVOY, Gateway.LOCAL_ENVOY)


@dataclass(frozen=True)
class StackIngress:
    """What a stack offers to serve ingress: its `aks.ingress`, or the local stack."""

    mode: IngressMode | None
    """The Azure stack's `aks.ingress`; None: the local stack (Envoy Gateway serves all)."""
    local_domain: str = "localtest.me"
    """The local stack's domain (`<name>.<domain>` resolves to 127.0.0.1)."""


def stack_ingress(config: PlatformConfig | LocalConfig) -> StackIngress:
    """What serves ingress in the stack: its `aks.ingress`; the local stack routes every
    exposed service through Envoy Gateway on its domain."""
    if isinstance(config, LocalConfig):
        return StackIngress(None, config.domain)
    return StackIngress(config.aks.ingress)


DEFAULT_INGRESS = StackIngress(AksConfig.model_fields["ingress"].default)
"""An Azure stack with the default `aks.ingress` (`config.AksConfig`)."""
NO_GATEWAY = StackIngress(IngressMode.NGINX)
"""An Azure stack without the Gateway API (`aks.ingress: nginx`): what `PlatformFacts` without
gateway facts renders (the tests' default)."""


@dataclass(frozen=True)
class Route:
    """How a service's ingress is served, decided once during validation."""

    gateway: Gateway
    public: bool
    """Exposure PUBLIC (the internet), else INTERNAL (the VNet; locally, the developer)."""
    host: str | None
    """The hostname routed (locally `<name>.<domain>`); None on Container Apps without a custom
    host (the environment's generated domain)."""
    path: str
    port: Port
    """The ingress port (`ingress.port`, or the first)."""
    listener: str | None = None
    """The Gateway listener the route attaches to, one per host, named after the host's first
    service (AGC: `<service>` within the application's Gateway; Envoy: `<app>-<service>` on the
    shared Gateway); None off the Gateway API."""
    certificate: str | None = None
    """The Key Vault certificate (by name, in the platform vault) the Gateway listener serves
    from a synced Kubernetes TLS Secret (AGC, the internal Envoy Gateway); None without TLS,
    locally, on NGINX (which reads Key Vault itself) and on Container Apps."""
    nginx_beside: bool = False
    """`aks.ingress: both`, the migration release: a public AGC route keeps its managed-NGINX
    Ingress beside it while DNS moves to the AGC Frontend."""

    @property
    def protocol(self) -> Protocol:
        return self.port.protocol

    @property
    def internal_on_aks(self) -> bool:
        """An internal AKS host, resolved only through the platform's private DNS zone (to the
        internal Envoy Gateway or the internal NGINX)."""
        return not self.public and self.gateway in (Gateway.ENVOY, Gateway.NGINX)

    @property
    def nginx(self) -> bool:
        """A managed-NGINX Ingress object serves it (alone, or beside AGC during both)."""
        return self.gateway is Gateway.NGINX or self.nginx_beside


def _gateway(spec: ServiceSpec, stack: StackIngress) -> Gateway:
    if stack.mode is None:
        return Gateway.LOCAL_ENVOY
    if spec.target is Target.CONTAINER_APPS:
        return Gateway.CONTAINER_APPS
    if spec.ingress.exposure is Exposure.PUBLIC:
        return Gateway.AGC if stack.mode.public_gateway else Gateway.NGINX
    return Gateway.ENVOY if stack.mode.internal_gateway else Gateway.NGINX


def decide_route(spec: ServiceSpec, stack: StackIngress) -> Route | None:
    """A service's route before its listener is named (`catalog.with_routes` names it); None when it
    is not exposed, or has no port to expose (refused by validation)."""
    ingress = spec.ingress
    port = spec.port_named(ingress.port)
    if ingress.exposure is Exposure.NONE or port is None:
        return None
    gateway = _gateway(spec, stack)
    host = f"{spec.name}.{stack.local_domain}" if gateway is Gateway.LOCAL_ENVOY else ingress.host
    tls = ingress.tls
    certificate = (
        tls.key_vault_certificate_uri.rstrip("/").rsplit("/", 1)[-1]
        if tls is not None and gateway in (Gateway.AGC, Gateway.ENVOY)
        else None
    )
    return Route(
        gateway=gateway,
        public=ingress.exposure is Exposure.PUBLIC,
        host=host,
        path=ingress.path,
        port=port,
        certificate=certificate,
        nginx_beside=gateway is Gateway.AGC and stack.mode is IngressMode.BOTH,
    )


def listener_scope(route: Route, app: str) -> tuple[Gateway, str, str | None]:
    """Which services share a listener: one host on one Gateway (AGC: one Gateway per
    application; Envoy Gateway: one shared Gateway)."""
    return (route.gateway, app if route.gateway is Gateway.AGC else "", route.host)


def listener_name(route: Route, app: str, service: str) -> str:
    """A listener named after its host's first service: `<service>` on an application's AGC
    Gateway, `<app>-<service>` on the shared Envoy Gateway (service names are unique per
    application only)."""
    return service if route.gateway is Gateway.AGC else f"{app}-{service}"
