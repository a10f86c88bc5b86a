"""Vendored record of published Helm chart versions, so the simulator can refuse a pin that
no repository serves (the `helm pull` a deploy would do fails: "chart version not found").

Each entry names where the list was read and when. Refresh it when the program pins a newer
version: read the repository's `index.yaml` (for valkey-helm, the `gh-pages` branch of
github.com/valkey-io/valkey-helm, served at https://valkey.io/valkey-helm/index.yaml).
"""

from __future__ import annotations

# valkey-io/valkey-helm, gh-pages:index.yaml, `generated: 2026-07-22T12:57:35Z`, read 2026-11-28.
# 0.1.0-0.8.1 created 2025-11-18 (migrated), 0.9.0 2025-12-15, 0.10.0 2026-06-18,
# 0.11.0 2026-07-22 (the newest).
VALKEY_VERSIONS = (
    "0.1.0",
    "0.2.0",
    "0.3.0",
    "0.4.0",
    "0.5.0",
    "0.5.1",
    "0.6.0",
    "0.7.0",
    "0.7.1",
    "0.7.2",
    "0.7.3",
    "0.7.4",
    "0.7.5",
    "0.7.6",
    "0.7.7",
    "0.8.0",
    "0.8.1",
    "0.9.0",
    "0.9.1",
    "0.9.2",
    "0.9.3",
    "0.9.4",
    "0.10.0",
    "0.11.0",
)

# oci://mcr.microsoft.com/application-lb/charts/alb-controller (Application Gateway for
# Containers' ALB controller). NOT the registry's tag list (this machine cannot read
# https://mcr.microsoft.com/v2/application-lb/charts/alb-controller/tags/list): the versions
# below are those public deployment scripts and docs pin with `helm install --version`, found by
# code search on 2026-11-28, and those the ALB Controller release notes list as Helm releases
# (learn.microsoft.com/ja-jp/…/for-containers/alb-controller-release-notes, read 2026-11-28:
# 1.12.4 and 1.13.0, the latest). Replace with the tag list when refreshing.
ALB_CONTROLLER_VERSIONS = ("1.0.0", "1.7.9", "1.8.12", "1.10.28", "1.12.2", "1.12.4", "1.13.0")

# oci://docker.io/envoyproxy/gateway-helm and gateway-crds-helm (Envoy Gateway). NOT the
# registry's tag list (not readable here): the release tags of github.com/envoyproxy/gateway
# (snapshot of 2026-08-22, fetched 2026-11-28: newest tag v1.9.0; later v1.9 patches, if any,
# are not listed until a newer snapshot shows them), since every release pushes each chart
# under charts/ with the tag as its version (tools/make/helm.mk: `CHART_VERSION ?=
# ${RELEASE_VERSION}`, `helm push … oci://docker.io/envoyproxy`); gateway-crds-helm exists from
# v1.4.0. Only v1.4.0 onwards is listed (the lines built on Gateway API v1.3.0 and newer).
ENVOY_GATEWAY_VERSIONS = (
    *(f"v1.4.{patch}" for patch in range(7)),
    *(f"v1.5.{patch}" for patch in range(10)),
    *(f"v1.6.{patch}" for patch in range(8)),
    *(f"v1.7.{patch}" for patch in range(6)),
    *(f"v1.8.{patch}" for patch in range(4)),
    "v1.9.0",
)

PUBLISHED_CHARTS: dict[tuple[str, str], frozenset[str]] = {
    ("oci://docker.io/envoyproxy", "gateway-helm"): frozenset(ENVOY_GATEWAY_VERSIONS),
    ("oci://docker.io/envoyproxy", "gateway-crds-helm"): frozenset(ENVOY_GATEWAY_VERSIONS),
    ("https://valkey.io/valkey-helm", "valkey"): frozenset(VALKEY_VERSIONS),
    ("oci://mcr.microsoft.com/application-lb/charts", "alb-controller"): frozenset(
        ALB_CONTROLLER_VERSIONS
    ),
}


def oci_reference(chart: str) -> tuple[str, str] | None:
    """`oci://host/path/name` → (`oci://host/path`, `name`): an OCI chart names its
    repository in the chart reference itself, with no `repositoryOpts.repo`."""
    if not chart.startswith("oci://"):
        return None
    repository, _, name = chart.rstrip("/").rpartition("/")
    return repository, name


def repository_key(url: str) -> str:
    """Repository URLs compare without a trailing slash."""
    return url.strip().rstrip("/")
