"""What the gateways can hold, checked before anything is registered.

Application Gateway for Containers refuses (or silently leaves unprogrammed) configuration past
its limits, and the Gateway API CRD caps a Gateway's listeners, so a stack that outgrows them
fails at deploy time, far from the declaration that caused it. Limits, from "Application
Gateway for Containers limits" (MicrosoftDocs/azure-docs
includes/application-gateway-for-containers-limits.md): 5 frontends per gateway, 100 services
per AGC; and from the Gateway API `Gateway.spec.listeners` schema (`maxItems`, read from the
vendored v1.6.1 CRD in upstream/gateway-api-crds/).

The platform gives each application with public AKS services one AGC Frontend and one Gateway
with a listener per public host, and serves internal AKS services (and, locally, every
exposed service) from one shared Envoy Gateway with a listener per host (locally every
service has its own host).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence

from infra.crds.vendored import crd, node
from infra.problems import Problem
from infra.services.catalog import PlannedService
from infra.services.gateway_api import GATEWAY_API
from infra.services.routes import Gateway

AGC_FRONTENDS = 5
AGC_SERVICES = 100
GATEWAY_LISTENERS: int = node(crd(GATEWAY_API, "Gateway").schema, "spec.listeners")["maxItems"]


def agc_problems(services: Sequence[PlannedService]) -> list[Problem]:
    """Public AKS ingress on AGC (`aks.ingress: gateway` or `both`): the services whose route
    AGC serves (`service.route`)."""
    public = [s for s in services if s.route is not None and s.route.gateway is Gateway.AGC]
    problems: list[Problem] = []
    per_app = Counter(s.app for s in public)
    if len(per_app) > AGC_FRONTENDS:
        problems.append(
            Problem(
                path="ingress.exposure",
                value=", ".join(sorted(per_app)),
                problem=f"{len(per_app)} applications have public AKS services; each gets an "
                f"Application Gateway for Containers Frontend, and a gateway has at most "
                f"{AGC_FRONTENDS}",
                fix="serve some of them from Container Apps, or group their public services "
                f"into at most {AGC_FRONTENDS} applications",
                group="the public AKS services",
            )
        )
    hosts_per_app = Counter(
        app for app, _ in {(s.app, s.route.host) for s in public if s.route is not None}
    )
    for app, count in sorted(hosts_per_app.items()):
        if count > GATEWAY_LISTENERS:
            problems.append(
                Problem(
                    path="ingress.exposure",
                    value=app,
                    problem=f"has {count} public AKS hosts; its Gateway takes one listener "
                    f"per host, at most {GATEWAY_LISTENERS} (Gateway API)",
                    fix="split the application, or serve some services from Container Apps",
                    group="the public AKS services",
                )
            )
    backends = len(public) + sum(1 for s in public if s.spec.rollout is not None)
    if backends > AGC_SERVICES:
        problems.append(
            Problem(
                path="ingress.exposure",
                value=str(backends),
                problem=f"Kubernetes Services behind Application Gateway for Containers (public "
                f"AKS services, and one more per rollout's canary); it serves at most "
                f"{AGC_SERVICES}",
                fix="serve some public services from Container Apps",
                group="the public AKS services",
            )
        )
    return problems


def envoy_problems(services: Sequence[PlannedService]) -> list[Problem]:
    """The shared Envoy Gateway: the services whose route it serves (`service.route`: internal
    AKS services with `aks.ingress: gateway`, or every exposed service of the local stack)."""
    routes = [s.route for s in services if s.route is not None and s.route.gateway.envoy]
    local = any(route.gateway is Gateway.LOCAL_ENVOY for route in routes)
    # One listener per host: internal services of one application may share one; locally every
    # service has its own (`<service>.<domain>`).
    listeners = len(routes) if local else len({route.host for route in routes})
    if listeners <= GATEWAY_LISTENERS:
        return []
    kind = "exposed services" if local else "internal AKS services"
    return [
        Problem(
            path="ingress.exposure",
            value=str(listeners),
            problem=f"hosts of {kind} share one Envoy Gateway with a listener each, and a "
            f"Gateway has at most {GATEWAY_LISTENERS} (Gateway API)",
            fix="give ingress only to services called from outside the cluster: callers inside "
            "it reach a service through its Service (Exposure.NONE and a dependency)",
            group=f"the {kind}",
        )
    ]
