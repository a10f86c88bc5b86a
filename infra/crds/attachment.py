"""Which Gateway listener accepts a route: the Gateway API's attachment rules, as the vendored
Gateway API v1.6.1 CRDs document them (upstream/gateway-api-crds/, kubernetes-sigs/gateway-api
tag v1.6.1, commit 8bb74df, read 2026-12-07).

- `HTTPRoute.spec.parentRefs[].sectionName`: on a Gateway, the listener's name; "If no Gateway
  listeners accept attachment from this Route, the Route MUST be considered detached from the
  Gateway" (and a sectionName no listener has matches none).
- `Gateway.spec.listeners[].allowedRoutes.namespaces.from`: `All`, `Selector` (namespaces the
  `selector` matches, a Kubernetes label selector: `matchLabels` and `matchExpressions` ANDed)
  or `Same` (the Gateway's own namespace), default read from the CRD (`Same`).
- `HTTPRoute.spec.hostnames` (GRPCRoute the same): with both the listener and the route naming
  hostnames, "there must be at least one intersecting hostname"; otherwise "the HTTPRoute is
  not accepted" (`Accepted=False` in its RouteParentStatus). `*.` prefixes a suffix match.

A namespace's labels include `kubernetes.io/metadata.name: <its name>`, which the API server
sets on every namespace (Kubernetes "Well-Known Labels": kubernetes.io/metadata.name, GA in
1.22); the platform's Envoy listeners select on it.

The platform stack's contract lists which namespaces each listener admits with `admits`
(`infra/stacks/ingress.py`), and the deploy simulator's `gateway-route-not-accepted` rule
refuses a route no listener accepts (`infra/simulate/rules/gateway.py`).
"""

from __future__ import annotations

from collections.abc import Mapping
from functools import lru_cache
from typing import Any

from infra.crds.vendored import crd, node

GATEWAY_API_V1 = "gateway.networking.k8s.io/v1"
NAMESPACE_NAME_LABEL = "kubernetes.io/metadata.name"
"""Set by the API server on every namespace (Kubernetes well-known labels)."""
ALLOWED_NAMESPACES = "spec.listeners[].allowedRoutes.namespaces"


@lru_cache(maxsize=1)
def default_from() -> str:
    """`allowedRoutes.namespaces.from` when a listener does not say (the CRD's default)."""
    schema = node(crd(GATEWAY_API_V1, "Gateway").schema, f"{ALLOWED_NAMESPACES}.from")
    return str(schema["default"])


@lru_cache(maxsize=1)
def from_values() -> frozenset[str]:
    """The values `from` may take (the CRD's enum)."""
    schema = node(crd(GATEWAY_API_V1, "Gateway").schema, f"{ALLOWED_NAMESPACES}.from")
    return frozenset(str(v) for v in schema["enum"])


def namespace_labels(name: str, labels: Mapping[str, str] | None = None) -> dict[str, str]:
    """A namespace's labels as a selector sees them: its own and the API server's name label."""
    return {**(labels or {}), NAMESPACE_NAME_LABEL: name}


def selects(selector: Mapping[str, Any], labels: Mapping[str, str]) -> bool:
    """A Kubernetes label selector (`matchLabels` and `matchExpressions`, ANDed; an empty
    selector selects everything)."""
    for key, value in (selector.get("matchLabels") or {}).items():
        if labels.get(key) != value:
            return False
    for expression in selector.get("matchExpressions") or []:
        key, operator = expression.get("key"), expression.get("operator")
        values = set(expression.get("values") or [])
        present = key in labels
        if operator == "In" and not (present and labels[key] in values):
            return False
        if operator == "NotIn" and present and labels[key] in values:
            return False
        if operator == "Exists" and not present:
            return False
        if operator == "DoesNotExist" and present:
            return False
    return True


def admits(
    listener: Mapping[str, Any],
    gateway_namespace: str,
    namespace: str,
    labels: Mapping[str, str] | None = None,
) -> bool:
    """Whether the listener takes routes from `namespace` (with `labels`, the name label added)."""
    namespaces = (listener.get("allowedRoutes") or {}).get("namespaces") or {}
    source = namespaces.get("from") or default_from()
    if source == "All":
        return True
    if source == "Same":
        return namespace == gateway_namespace
    if source == "Selector":
        return selects(namespaces.get("selector") or {}, namespace_labels(namespace, labels))
    return False


def _host_matches(pattern: str, host: str) -> bool:
    if pattern.startswith("*."):
        return host.endswith(pattern[1:]) and host != pattern[2:]
    return pattern == host


def hostnames_intersect(listener_host: str | None, route_hosts: list[str]) -> bool:
    """A listener without a hostname, or a route without hostnames, matches; otherwise one of
    the route's hostnames must match the listener's (either may be a `*.` wildcard)."""
    if not listener_host or not route_hosts:
        return True
    return any(
        _host_matches(listener_host, host) or _host_matches(host, listener_host)
        for host in route_hosts
    )
