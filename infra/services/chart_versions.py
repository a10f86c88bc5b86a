"""The reviewed list of third-party Helm charts and the one version of each the platform installs.

One place to review a chart upgrade: a version here has been checked against the chart repository's
published index (a version that was never published fails `pulumi up` when Helm fetches it) and its
values against that version's `values.yaml`. Declarations use these versions; validation refuses any
other chart or version, naming this file as the place to add it after review.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class ReviewedChart:
    repository: str
    chart: str
    version: str
    source: str
    """Where the version was checked, and when."""


REVIEWED_CHARTS: tuple[ReviewedChart, ...] = (
    ReviewedChart(
        repository="https://valkey.io/valkey-helm/",
        chart="valkey",
        version="0.11.0",
        source=(
            "valkey-io/valkey-helm gh-pages index.yaml (generated 2026-07-22): published "
            "0.1.0 … 0.11.0, newest 0.11.0 (appVersion 9.1.1); values keys checked against "
            "valkey/values.yaml at that release"
        ),
    ),
    # Envoy Gateway (platform charts: internal AKS ingress and the local stack, issue 17). One
    # release, two charts: the controller (installed with skipCrds) and its CRDs.
    ReviewedChart(
        repository="oci://docker.io/envoyproxy",
        chart="gateway-helm",
        version="v1.5.9",
        source=(
            "github.com/envoyproxy/gateway tag v1.5.9 (2026-02-11, release notes "
            "site/content/en/news/releases/notes/v1.5.9.md), the last v1.5 patch: the v1.5 line "
            "is built on Gateway API v1.3.0, the version of the vendored CRD schemas "
            "(compatibility matrix, site/content/en/news/releases/matrix.md); chart version = "
            "tag (tools/make/helm.mk); values checked against charts/gateway-helm/values.tmpl.yaml "
            "(defaults used: controllerName gateway.envoyproxy.io/gatewayclass-controller). "
            "v1.5 reached end of life 2026-02-13 (matrix): upgrade with the vendored schemas "
            "(v1.9 → Gateway API v1.6.1)"
        ),
    ),
    ReviewedChart(
        repository="oci://docker.io/envoyproxy",
        chart="gateway-crds-helm",
        version="v1.5.9",
        source=(
            "github.com/envoyproxy/gateway tag v1.5.9, charts/gateway-crds-helm: values "
            "crds.gatewayAPI.enabled/channel and crds.envoyGateway.enabled (both off by "
            "default); standard channel Gateway API CRDs are bundle-version v1.3.0"
        ),
    ),
)


def reviewed(repository: str, chart: str) -> ReviewedChart | None:
    """The reviewed entry for a chart from a repository (trailing slashes ignored)."""
    key = (repository.rstrip("/"), chart)
    return next((c for c in REVIEWED_CHARTS if (c.repository.rstrip("/"), c.chart) == key), None)
