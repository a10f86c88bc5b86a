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
    supported_until: str | None = None
    """The last day upstream supports the chart's release line (ISO date), when upstream
    publishes one: past it the line gets no security fixes, so the pin must move first."""


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
    # release, two charts: the controller (installed with its `crds` subchart disabled) and its
    # CRDs. Checked 2026-11-28 against the envoyproxy/gateway snapshot of 2026-08-22 (tags up to
    # v1.9.0, no v1.9 patch yet): v1.8 reached end of life 2026-11-08 and v1.5 (the previous pin)
    # 2026-02-13, so v1.9 is the only supported line.
    ReviewedChart(
        repository="oci://docker.io/envoyproxy",
        chart="gateway-helm",
        version="v1.9.0",
        source=(
            "github.com/envoyproxy/gateway tag v1.9.0 (commit 39763b1, 2026-08-14, release notes "
            "site/content/en/news/releases/notes/v1.9.0.md); the compatibility matrix "
            "(site/content/en/news/releases/matrix.md) builds v1.9 on Gateway API v1.6.1, the "
            "version of the vendored CRD schemas, for Kubernetes v1.33-v1.36, end of life "
            "2027-02-14; chart version = tag (tools/make/helm.mk); values checked against "
            "charts/gateway-helm/values.tmpl.yaml: `crds.enabled` (new in v1.9, default true) "
            "set false, since the CRDs and the Gateway API safe-upgrades "
            "ValidatingAdmissionPolicy come from gateway-crds-helm locally and from the ALB "
            "controller on AKS (release notes, breaking change 2); controllerName default "
            "gateway.envoyproxy.io/gatewayclass-controller kept"
        ),
        supported_until="2027-02-14",
    ),
    ReviewedChart(
        repository="oci://docker.io/envoyproxy",
        chart="gateway-crds-helm",
        version="v1.9.0",
        source=(
            "github.com/envoyproxy/gateway tag v1.9.0, charts/gateway-crds-helm/values.yaml: "
            "crds.gatewayAPI.enabled/channel and crds.envoyGateway.enabled (both off by "
            "default, channel experimental by default); the standard channel template "
            "(templates/standard-gatewayapi-crds.yaml) is bundle-version v1.6.1 and includes "
            "the safe-upgrades ValidatingAdmissionPolicy and its binding"
        ),
        supported_until="2027-02-14",
    ),
)


def reviewed(repository: str, chart: str) -> ReviewedChart | None:
    """The reviewed entry for a chart from a repository (trailing slashes ignored)."""
    key = (repository.rstrip("/"), chart)
    return next((c for c in REVIEWED_CHARTS if (c.repository.rstrip("/"), c.chart) == key), None)


ALB_CHART = "oci://mcr.microsoft.com/application-lb/charts/alb-controller"
ALB_CHART_VERSION = "1.13.0"
"""Pinned; the ALB controller chart installs the Gateway API standard-channel CRDs (its bootstrap
pod manages them) and the `azure-alb-external` GatewayClass. Values per "Quickstart: Deploy
Application Gateway for Containers ALB Controller" (`albController.namespace`,
`albController.podIdentity.clientID`). 1.13.0 is the latest Helm release in the ALB Controller
release notes (learn.microsoft.com/ja-jp/azure/application-gateway/for-containers/
alb-controller-release-notes, the newest copy read on 2026-11-28; the English source read here,
MicrosoftDocs/azure-docs articles/application-gateway/for-containers/
alb-controller-release-notes.md of ms.date 2026-09-08, still ends at 1.12.1): Gateway API
v1.6.2, Kubernetes ≥ v1.32; 1.12.x installs v1.5.1. The Gateway API
minor must match Envoy Gateway's (v1.9 → v1.6.1, `REVIEWED_CHARTS` above), which
shares these CRDs on AKS: Envoy Gateway v1.9 reconciles TCPRoute/UDPRoute at `v1` and asks for
the v1.6 CRDs (v1.9.0 release notes, breaking changes)."""
