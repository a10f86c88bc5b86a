"""Who calls whom: the address each caller receives, and the traffic each callee allows.

Addresses by where caller and callee run:

- AKS → AKS: `<svc>.<ns>.svc.cluster.local:<port>`, allowed by the callee's NetworkPolicy.
- Container Apps → AKS: `<svc>.<ns>.<private zone>:<port>`: an internal load balancer with a
  private DNS record; the NetworkPolicy allows the Container Apps subnet.
- AKS → Container Apps: `https://<app>.<environment domain>`: external ingress restricted to
  AKS's egress address (or node subnet, in an internal environment).
- Container Apps → Container Apps: `https://<app>[.internal].<environment domain>` (TLS: the
  environment's ingress redirects plain HTTP and refuses plaintext gRPC); TCP ports `<app>:<port>`.
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
from infra.services.spec import AddressForm, Exposure, Protocol, Target


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
    return callee.spec.ingress.exposure is Exposure.PUBLIC or bool(reach.aks_callers)


def address(
    caller: Planned,
    callee: PlannedService,
    port_name: str | None,
    form: AddressForm,
    facts: PlatformFacts,
    *,
    catalog: Catalog,
) -> Text:
    port = callee.spec.port_named(port_name)
    assert port is not None, "validated: dependencies name declared ports"
    scheme = "http"
    # Callers use the Service port (`Port.service_port`), on every target pair.
    number: int | None = service_port(port)
    if callee.spec.target is Target.AKS:
        host: Text = (
            f"{callee.name}.{callee.app}.svc.cluster.local"
            if caller.spec.target is Target.AKS
            else aks_private_host(callee, facts)
        )
    elif caller.spec.target is Target.CONTAINER_APPS and port.protocol is Protocol.TCP:
        host = callee.name
    elif caller.spec.target is Target.CONTAINER_APPS:
        # Inside the environment the ingress redirects http:// to https:// (allowInsecure is
        # false) and plaintext gRPC cannot connect at all, so callers get the app's TLS address:
        # `<app>.<domain>` for external ingress, `<app>.internal.<domain>` for environment-only
        # ingress (Container Apps "Ingress", "Connect apps"); the environment's certificate
        # covers both names.
        external = container_app_external(callee, reachability(catalog, callee))
        host = concat(
            callee.name, "" if external else ".internal", ".", facts.container_apps_domain
        )
        scheme, number = "https", 443
    else:
        host = concat(callee.name, ".", facts.container_apps_domain)
        scheme, number = (
            ("https", 443) if port.protocol is not Protocol.TCP else ("tcp", service_port(port))
        )
    host_port = concat(host, f":{number}")
    if form is AddressForm.HOST_PORT or port.protocol is not Protocol.HTTP:
        return host_port
    default = {"http": 80, "https": 443}.get(scheme)
    return concat(f"{scheme}://", host) if number == default else concat(f"{scheme}://", host_port)


def chart_address(chart: PlannedChart, form: AddressForm) -> str:
    """A chart's in-cluster Service; callers are on AKS (validated)."""
    host_port = f"{chart.service_name}.{chart.app}.svc.cluster.local:{chart.chart.port}"
    if form is AddressForm.URL and chart.chart.scheme:
        return f"{chart.chart.scheme}://{host_port}"
    return host_port


def dependency_env(caller: Planned, catalog: Catalog, facts: PlatformFacts) -> list[EnvEntry]:
    entries = []
    for dep in caller.spec.dependencies:
        chart = catalog.chart(dep.service)
        value = (
            chart_address(chart, dep.form)
            if chart is not None
            else address(
                caller, catalog.get(dep.service), dep.port, dep.form, facts, catalog=catalog
            )
        )
        entries.append(EnvEntry(dep.env_name(), value))
    return entries
