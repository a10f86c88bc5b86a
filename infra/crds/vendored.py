"""The CRD schemas vendored under `upstream/` (each folder's SOURCE.md names its repository, tag,
commit and the date it was read), by (apiVersion, kind).

- Gateway API v1.6.1, standard channel (kubernetes-sigs/gateway-api `config/crd/standard/`,
  commit 8bb74df): Gateway, HTTPRoute, GRPCRoute, GatewayClass (`v1`), ReferenceGrant
  (`v1beta1`, still served and the storage version). Envoy Gateway v1.9 is built on it and
  installs it locally; on AKS the ALB controller 1.13.0 installs v1.6.2, a patch of the same
  minor.
- Envoy Gateway v1.9.0 EnvoyProxy (`gateway.envoyproxy.io/v1alpha1`; envoyproxy/gateway
  `charts/gateway-helm/charts/crds/crds/generated/`, commit 39763b1).
- KEDA v2.19.0 TriggerAuthentication (`keda.sh/v1alpha1`; kedacore/keda
  `config/crd/bases/keda.sh_triggerauthentications.yaml`, commit 3f88d60): the KEDA the AKS add-on
  installs on the stacks' Kubernetes 1.36.

Each schema is the CRD's `openAPIV3Schema`, verbatim: its `default`s and
`x-kubernetes-validations` (CEL) rules included.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

UPSTREAM = Path(__file__).resolve().parents[2] / "upstream"
GATEWAY_API_FILE = UPSTREAM / "gateway-api-crds" / "gateway-api-v1.6.1-standard.json"
ENVOY_PROXY_FILE = UPSTREAM / "envoy-gateway-crds" / "envoy-gateway-v1.9.0-envoyproxy.json"
TRIGGER_AUTHENTICATION_FILE = UPSTREAM / "keda-crds" / "keda-v2.19.0-triggerauthentication.json"


@dataclass(frozen=True)
class VendoredCrd:
    api_version: str
    kind: str
    namespaced: bool
    schema: dict[str, Any]
    source: str
    """Repository path and commit, for messages and docs."""


@lru_cache(maxsize=1)
def vendored_crds() -> dict[tuple[str, str], VendoredCrd]:
    crds: dict[tuple[str, str], VendoredCrd] = {}
    gateway_api = json.loads(GATEWAY_API_FILE.read_text())
    for kind, schema in gateway_api["schemas"].items():
        facts = gateway_api["kinds"][kind]
        crds[(facts["apiVersion"], kind)] = VendoredCrd(
            facts["apiVersion"],
            kind,
            facts["scope"] == "Namespaced",
            schema,
            f"{gateway_api['source']} ({gateway_api['commit'][:7]})",
        )
    for path in (ENVOY_PROXY_FILE, TRIGGER_AUTHENTICATION_FILE):
        single = json.loads(path.read_text())
        crds[(single["apiVersion"], single["kind"])] = VendoredCrd(
            single["apiVersion"],
            single["kind"],
            single["scope"] == "Namespaced",
            single["schema"],
            f"{single['source']} ({single['commit'][:7]})",
        )
    return crds


def crd(api_version: str, kind: str) -> VendoredCrd:
    return vendored_crds()[(api_version, kind)]


def node(schema: dict[str, Any], path: str) -> dict[str, Any]:
    """The sub-schema at a dotted path, `[]` stepping into list items
    (`spec.rules[].matches[].path`)."""
    current = schema
    for part in path.split("."):
        current = current["properties"][part.replace("[]", "")]
        for _ in range(part.count("[]")):
            current = current["items"]
    return current
