"""Who calls whom: the address each caller receives, and the traffic each callee allows.

Addresses by where caller and callee run:

- AKS → AKS: `<svc>.<ns>.svc.cluster.local:<port>`, allowed by the callee's NetworkPolicy.
- Container Apps → AKS: `<svc>.<ns>.<private zone>:<port>`: an internal load balancer with a
  private DNS record; the NetworkPolicy allows the Container Apps subnet.
- AKS → Container Apps: `https://<app>.<environment domain>`: external ingress restricted to
  AKS's egress address (or node subnet, in an internal environment).
- Container Apps → Container Apps: `https://<app>[.internal].<environment domain>` (TLS: the
  environment's ingress redirects plain HTTP and refuses plaintext gRPC); TCP ports `<app>:<port>`;
  a callee with `Ingress.allow_insecure`: `http://<app>[.internal].<domain>` (gRPC: `…:80`).
"""

from __future__ import annotations

from dataclasses import dataclass

from infra.services.catalog import (
    Catalog,
    Planned,
    PlannedChart,
    PlannedService,
    service_port,
)
from infra.services.render.common import PlatformFacts, Text, concat
from infra.services.spec import AddressForm, Protocol, Target


@dataclass(frozen=True)
class EnvEntry:
    name: str
    value: Text


@dataclass(frozen=True)
class Reachability:
    """How a callee must be exposed for the callers it has."""

    aks_callers: tuple[Planned, ...]
    container_apps_callers: tuple[Planned, ...]

    @property
    def needs_internal_load_balancer(self) -> bool:
        """An AKS service called from Container Apps, which cannot reach cluster IPs."""
        return bool(self.container_apps_callers)


def reachability(catalog: Catalog, service: PlannedService) -> Reachability:
    callers = catalog.callers_of(service.name)
    return Reachability(
        aks_callers=tuple(c for c in callers if c.spec.target is Target.AKS),
        container_apps_callers=tuple(c for c in callers if c.spec.target is Target.CONTAINER_APPS),
    )


def aks_private_host(callee: PlannedService, facts: PlatformFacts) -> str:
    return f"{callee.name}.{callee.app}.{facts.private_zone}"


def container_app_external(callee: PlannedService, reach: Reachability) -> bool:
    """External ingress: public services, and services AKS calls (AKS is outside the
    environment); the latter are restricted to AKS's addresses."""
    return (callee.route is not None and callee.route.public) or bool(reach.aks_callers)


@dataclass(frozen=True)
class Endpoint:
    """Where a caller reaches a callee's port: host, port number and the scheme the target
    serves it with (`http`, `https`; None for a non-HTTP port).

    The host is kept as its parts (a name and the environment's domain, an Output): each
    address is then one `Output.concat`, not a concat of concats (every level costs the SDK
    an `Output.all`, an apply and their tasks under the language host, docs/performance.md)."""

    host_parts: tuple[Text, ...]
    number: int
    scheme: str | None

    @property
    def host(self) -> Text:
        return concat(*self.host_parts)


def endpoint(
    caller: Planned,
    callee: PlannedService,
    port_name: str | None,
    facts: PlatformFacts,
    *,
    catalog: Catalog,
) -> Endpoint:
    port = callee.spec.port_named(port_name)
    assert port is not None, "validated: dependencies name declared ports"
    if (
        published := catalog.published_endpoint(callee.name, caller.spec.target, port.name)
    ) is not None:
        # Another application's service (team stacks): as the platform's registry publishes it.
        return Endpoint((published.host,), published.number, published.scheme)
    web = port.protocol is Protocol.HTTP
    # Callers use the Service port (`Port.service_port`), on every target pair.
    if callee.spec.target is Target.AKS:
        host = (
            f"{callee.name}.{callee.app}.svc.cluster.local"
            if caller.spec.target is Target.AKS
            else aks_private_host(callee, facts)
        )
        return Endpoint((host,), service_port(port), "http" if web else None)
    if port.protocol is Protocol.TCP:
        # tcp ingress: exposed on the Service port; inside the environment by app name.
        parts: tuple[Text, ...] = (
            (callee.name,)
            if caller.spec.target is Target.CONTAINER_APPS
            else (callee.name, ".", facts.container_apps_domain)
        )
        return Endpoint(parts, service_port(port), None)
    if caller.spec.target is Target.CONTAINER_APPS:
        # Inside the environment the ingress redirects http:// to https:// (allowInsecure is
        # false) and plaintext gRPC cannot connect at all, so callers get the app's TLS address:
        # `<app>.<domain>` for external ingress, `<app>.internal.<domain>` for environment-only
        # ingress (Container Apps "Ingress", "Connect apps"); the environment's certificate
        # covers both names. A callee that opts in to plaintext (`Ingress.allow_insecure`) is
        # called on the same name over plain HTTP / h2c on port 80.
        external = container_app_external(callee, reachability(catalog, callee))
        parts = (callee.name, "" if external else ".internal", ".", facts.container_apps_domain)
        if callee.spec.ingress.allow_insecure:
            return Endpoint(parts, 80, "http" if web else None)
        return Endpoint(parts, 443, "https" if web else None)
    # AKS callers keep TLS: they cross the network to reach the environment, and the ingress
    # still serves https with allowInsecure on.
    return Endpoint((callee.name, ".", facts.container_apps_domain), 443, "https" if web else None)


_DEFAULT_PORTS = {"http": 80, "https": 443}


def formatted(at: Endpoint, form: AddressForm, scheme: str | None, suffix: str) -> Text:
    """One address in the form a client takes: `<scheme>://host[:port]<suffix>` (the scheme's
    default port left out for http and https), host:port, the host or the port alone."""
    if form is AddressForm.HOST:
        return at.host
    if form is AddressForm.PORT:
        return str(at.number)
    host_port = (*at.host_parts, f":{at.number}")
    scheme = scheme or at.scheme
    if form is AddressForm.HOST_PORT or scheme is None:
        return concat(*host_port)
    authority = at.host_parts if _DEFAULT_PORTS.get(scheme) == at.number else host_port
    return concat(f"{scheme}://", *authority, suffix)


def address(
    caller: Planned,
    callee: PlannedService,
    port_name: str | None,
    form: AddressForm,
    facts: PlatformFacts,
    *,
    catalog: Catalog,
    scheme: str | None = None,
    suffix: str = "",
) -> Text:
    at = endpoint(caller, callee, port_name, facts, catalog=catalog)
    return formatted(at, form, scheme, suffix)


def chart_address(
    chart: PlannedChart, form: AddressForm, scheme: str | None = None, suffix: str = ""
) -> Text:
    """A chart's in-cluster Service; callers are on AKS (validated)."""
    at = Endpoint(
        (f"{chart.service_name}.{chart.app}.svc.cluster.local",),
        chart.chart.port,
        chart.chart.scheme or None,
    )
    return formatted(at, form, scheme, suffix)


def dependency_env(caller: Planned, catalog: Catalog, facts: PlatformFacts) -> list[EnvEntry]:
    entries = []
    for dep in caller.spec.dependencies:
        chart = catalog.chart(dep.service)
        for name, form in dep.variables().items():
            value = (
                chart_address(chart, form, dep.scheme, dep.suffix)
                if chart is not None
                else address(
                    caller,
                    catalog.get(dep.service),
                    dep.port,
                    form,
                    facts,
                    catalog=catalog,
                    scheme=dep.scheme,
                    suffix=dep.suffix,
                )
            )
            entries.append(EnvEntry(name, value))
    return entries
