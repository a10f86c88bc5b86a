"""Shared ingress in the platform stack (docs/team-stacks.md, "Shared ingress").

The platform stack owns what every application's ingress shares and what an application's
identity cannot write (cluster-scoped objects, the platform's group): the ALB controller, each
application's Application Gateway for Containers Frontend and Gateway, Envoy Gateway and its
shared Gateway, their listeners, the public hosts' CNAMEs, the Container Apps hosts' records in
its zone and the internal hosts' private records. An application stack writes only its routes
(HTTPRoute/GRPCRoute, and the ReferenceGrant of an Envoy listener's certificate) in its own
namespace, attached to those Gateways by the names a single stack uses.

One source for the listeners: the onboarded applications' declarations, read as the registry
reads them (`infra.stacks.registry.planned_workloads`, without validating them) and routed by the
single stack's decision (`catalog.with_routes` over `routes.decide_route`), then built by the
single stack's own components (`infra.services.deploy.shared_ingress`): the objects are the
single stack's, one application at a time.

- An application whose declarations do not all resolve, or whose routes cannot be rendered,
  gets no listener (a warning names it); the others are unaffected. Its own stack refuses the
  declaration.
- A host the platform did not grant the application (`platform:applications[].hosts`) gets no
  listener and no record (a warning names it); its own stack refuses it.
- AGC: one Gateway per application, in its namespace, each listener admitting that namespace
  only (`from: Same`); Envoy Gateway: one shared Gateway, each listener admitting its
  application's namespace only (a selector on `kubernetes.io/metadata.name`).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from infra.config import DnsConfig, Environment, OnboardedApplication
from infra.constants import application_namespaces
from infra.crds.attachment import admits
from infra.services.catalog import Catalog, PlannedService, with_routes
from infra.services.custom_domains import ManagedRecords, custom_domains, gateway_host_records
from infra.services.render import envoy_gateway as envoy_render
from infra.services.render import gateway as agc_render
from infra.services.render.common import PlatformExtensions, PlatformFacts
from infra.services.routes import StackIngress
from infra.services.spec import Application, Target
from infra.stacks.contract import PlatformContract
from infra.stacks.registry import planned_workloads


@dataclass(frozen=True)
class OnboardedIngress:
    services: tuple[PlannedService, ...]
    """The onboarded applications' AKS services with their routes (a host the platform did not
    grant routes nowhere): what the shared ingress serves."""
    warnings: tuple[str, ...]
    """Each application or host left without a listener, and why."""
    container_apps: tuple[PlannedService, ...] = ()
    """The onboarded applications' Container Apps services with their routes (a host the
    platform did not grant routes nowhere): whose custom domains' records the platform writes
    (`domain_records`)."""


def _granted(
    service: PlannedService, app: OnboardedApplication, warnings: list[str]
) -> PlannedService:
    route = service.route
    if route is None or route.host is None or route.host in app.hosts:
        return service
    warnings.append(
        f"application {app.name}: {service.name} declares host {route.host}, which "
        f"platform:applications does not grant it (granted: {', '.join(app.hosts) or 'none'}): "
        "no listener or record for it; its own stack refuses it"
    )
    return dataclasses.replace(service, route=None)


def onboarded_ingress(
    declared: Sequence[Application],
    onboarded: Sequence[OnboardedApplication],
    *,
    environment: Environment,
    stack: StackIngress,
    facts: PlatformFacts,
    extensions: PlatformExtensions,
) -> OnboardedIngress:
    """What the shared ingress serves, application by application (one application's broken
    declaration skips its listeners only)."""
    services, _, _, broken = planned_workloads(
        declared, [app.name for app in onboarded], environment
    )
    kept: list[PlannedService] = []
    container_apps: list[PlannedService] = []
    warnings: list[str] = []
    for app in onboarded:
        if app.name in broken:
            warnings.append(
                f"application {app.name}: its declarations do not resolve ({broken[app.name]}): "
                "no listener for it; its own stack reports the problem"
            )
            continue
        mine = [s for s in services if s.app == app.name and s.spec.target is Target.AKS]
        apps = [s for s in services if s.app == app.name and s.spec.target is Target.CONTAINER_APPS]
        own_warnings: list[str] = []
        try:
            # Listeners are per application (AGC) or per host, which one application owns: the
            # names are those the application's own stack and a single stack give them.
            routed = [_granted(s, app, own_warnings) for s in with_routes(mine, stack)]
            hosted = [_granted(s, app, own_warnings) for s in with_routes(apps, stack)]
            # The renderers assume what validation guarantees (a host per Gateway route, ...):
            # rendering the listeners here finds a declaration its own stack would refuse.
            if facts.gateway is not None:
                agc_render.gateway_object(app.name, routed, facts.gateway, extensions)
            if facts.internal_gateway is not None:
                envoy_render.gateway_object(routed, facts, extensions)
        except Exception as error:  # refused in the application's own stack
            warnings.append(
                f"application {app.name}: its routes cannot be rendered ({error!r}): no "
                "listener for it; its own stack reports the problem"
            )
            continue
        warnings.extend(own_warnings)
        kept.extend(routed)
        container_apps.extend(hosted)
    return OnboardedIngress(tuple(kept), tuple(warnings), tuple(container_apps))


def host_records(
    ingress: OnboardedIngress, dns: DnsConfig
) -> tuple[dict[str, ManagedRecords], list[str]]:
    """The public AKS hosts' CNAMEs in the platform's zone, as a single stack writes them
    (`aks.ingress: gateway`); a host the single stack's validation would refuse gets none."""
    records, problems = gateway_host_records(Catalog(ingress.services), dns)
    return records, [f"{p.value}: {p.problem} → {p.fix}" for p in problems]


def domain_records(ingress: OnboardedIngress, dns: DnsConfig) -> dict[str, ManagedRecords]:
    """The Container Apps hosts' records in the platform's zone (TXT `asuid.<host>` and the
    CNAME, an A at the apex), by service, as a single stack writes them
    (`infra.services.custom_domains`): Container Apps binds a custom domain only once they
    exist, and an application stack, whose identity cannot write the zone, counts the records
    of its granted hosts in the platform's zones as present (`application.platform_domains`).
    A host outside the zone gets none (an application stack refuses it: the contract cannot say
    that its records were made by hand, as a single stack's `dns.recordsPresent` does)."""
    domains, _ = custom_domains(Catalog(ingress.container_apps), dns)
    return {name: d.records for name, d in domains.items() if d.records is not None}


def gateway_listeners(
    gateway: Mapping[str, Any], onboarded: Sequence[OnboardedApplication]
) -> list[dict[str, object]]:
    """The contract's listeners of one Gateway object (as created), each with the onboarded
    namespaces whose routes it admits (`allowedRoutes`, Gateway API semantics:
    `infra.crds.attachment`)."""
    meta = gateway["metadata"]
    name, namespace = str(meta["name"]), str(meta.get("namespace") or "")
    listed: list[dict[str, object]] = []
    for listener in gateway["spec"]["listeners"]:
        admitted = {
            ns: app.name
            for app in onboarded
            for ns in application_namespaces(app.name)
            if admits(listener, namespace, ns)
        }
        owners = sorted(set(admitted.values()))
        listed.append(
            {
                "name": listener["name"],
                "protocol": listener["protocol"],
                "port": listener["port"],
                "hostname": listener.get("hostname"),
                "application": owners[0] if len(owners) == 1 else None,
                "gatewayName": name,
                "gatewayNamespace": namespace,
                "routeNamespaces": sorted(admitted),
            }
        )
    return listed


def unattached_routes(
    catalog: Catalog,
    contract: PlatformContract,
    facts: PlatformFacts,
    extensions: PlatformExtensions,
) -> list[str]:
    """An application stack's routes (as its renderers write them) whose listener the
    platform's contract does not list, or does not admit them from: each is stored and never
    attached until the platform stack deploys with it (the workflow deploys the platform first,
    so in a pull request's preview this is a new host or service the platform has not served
    yet). Warned, not refused: the preview runs against the deployed platform."""
    listed = {
        (item.gateway_name, item.gateway_namespace, item.name): item
        for gateway in contract.gateways
        for item in gateway.listeners
    }
    said: list[str] = []
    for service in catalog.services:
        if service.spec.target is not Target.AKS:
            continue
        route = agc_render.route_object(service, extensions) or envoy_render.route_object(
            service, facts, extensions
        )
        if route is None:
            continue
        namespace = route["metadata"]["namespace"]
        for parent in route["spec"]["parentRefs"]:
            key = (parent["name"], parent.get("namespace", namespace), parent.get("sectionName"))
            item = listed.get(key)
            if item is None or namespace not in item.route_namespaces:
                said.append(
                    f"{service.name}: its route attaches to listener {key[2]} of Gateway "
                    f"{key[1]}/{key[0]}, which the platform's contract does not list for "
                    f"namespace {namespace}: it attaches once the platform stack deploys with "
                    "this host (deploy the platform first)"
                )
    return said
