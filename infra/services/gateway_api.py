"""What the platform's Gateway API routes are, as far as validation must know before anything
renders: the API version, and where and how `ingress.path` lands in an HTTPRoute (which service
a Gateway serves is its `route`: `infra/services/routes.py`). The renderer (`render/gateway.py`)
and the validation that checks against the vendored CRDs (`rules/ingress.py`,
`gateway_limits.py`) and the host records (`custom_domains.py`) read them here.
"""

from __future__ import annotations

GATEWAY_API = "gateway.networking.k8s.io/v1"
"""The Gateway API version of every Gateway and route the platform renders."""


PATH_MATCH_NODE = "spec.rules[].matches[].path"
"""Where `ingress.path` lands in an HTTPRoute (validation checks it against this node of the
vendored CRD: `rules/ingress.py`)."""


def path_match(path: str) -> dict[str, str]:
    """The HTTPRoute path match of `ingress.path`: a prefix match, as every route renders it."""
    return {"type": "PathPrefix", "value": path}
