"""Rules of a Helm chart: a release name, a reviewed chart at an exact version from a secure
source, no Helm hook the install would drop, the Service it exposes, and no secret written into
its values."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from infra.config import Environment
from infra.services.chart_hooks import dropped
from infra.services.chart_versions import reviewed
from infra.services.patterns import (
    CHART_NAME,
    CHART_VERSION,
    DNS_LABEL,
    SECRET_LOOKING,
    SECRET_REFERENCE_KEY,
    SECRET_REFERENCE_VALUE,
)
from infra.services.rules.registry import Check, _Raw, chart_rule
from infra.services.spec import HelmChart


@chart_rule("shape")
def release_name(c: Check[HelmChart]) -> None:
    """Helm stores a release in Secrets named after it: a DNS label of at most 53 characters."""
    if not DNS_LABEL.match(c.spec.name) or len(c.spec.name) > 53:
        c.add(
            "name",
            c.spec.name,
            "is not a release name (DNS label, at most 53 characters)",
            "use lowercase letters, digits and '-'",
        )


@chart_rule("shape")
def chart_name(c: Check[HelmChart]) -> None:
    """The chart is named as its repository lists it."""
    if not CHART_NAME.match(c.spec.chart):
        c.add("chart", c.spec.chart, "is not a chart name", "use the chart's name, e.g. valkey")


@chart_rule("version")
def reviewed_exact_version(c: Check[HelmChart]) -> None:
    """An exact version, the reviewed one: a range would upgrade without review; outside prod
    an unreviewed chart may be tried, prod installs only reviewed ones."""
    chart = c.spec
    if not CHART_VERSION.match(chart.version):
        c.add(
            "version",
            chart.version,
            "is not an exact chart version",
            "pin one version, e.g. 1.0.0 (ranges would upgrade without review)",
        )
        return
    pinned = reviewed(chart.repository, chart.chart)
    if pinned is None and c.context.environment is Environment.PROD:
        c.add(
            "chart",
            f"{chart.repository} {chart.chart}",
            "is not a reviewed chart (prod installs only reviewed charts)",
            "add it, with a version published in its repository's index, to "
            "infra/services/chart_versions.py (a platform review)",
        )
    elif pinned is not None and chart.version != pinned.version:
        c.add(
            "version",
            chart.version,
            f"is not the reviewed version of {chart.chart}",
            f"use {pinned.version}, or review another published version in "
            "infra/services/chart_versions.py",
        )


@chart_rule("version")
def no_dropped_hooks(c: Check[HelmChart]) -> None:
    """Application charts are applied with `helm.v4.Chart`, which never runs Helm hooks
    (infra/services/chart_hooks.py): a chart whose install, upgrade or uninstall relies on one
    would deploy broken, and silently. So a chart is installed only at a version whose hook
    list is vendored (read from its templates, upstream/charts/<chart>-<version>/hooks.yaml)
    and holds no such hook with the chart's values; test hooks are fine."""
    chart = c.spec
    if not CHART_VERSION.match(chart.version):
        return
    for problem in dropped(chart.chart, chart.version, chart.values):
        c.add(
            "version",
            chart.version,
            f"cannot be installed without its Helm hooks: {problem}",
            "use a version without such hooks, turn them off by values, or install it another "
            "way (a platform change: infra/services/components/helm_chart.py)",
        )


@chart_rule("source")
def secure_repository(c: Check[HelmChart]) -> None:
    """Charts come over TLS (https://) or from an OCI registry, never plain HTTP."""
    if not c.spec.repository.startswith(("https://", "oci://")):
        c.add(
            "repository",
            c.spec.repository,
            "is not an https:// or oci:// chart source",
            "use the chart's repository URL or OCI registry path",
        )


@chart_rule("service")
def exposed_service(c: Check[HelmChart]) -> None:
    """Callers get the chart's Service address and port: both must be ones it can have."""
    chart = c.spec
    if not 1 <= chart.port <= 65535:
        c.add("port", chart.port, "must be 1..65535", "use the port the chart's Service exposes")
    if chart.service is not None and not DNS_LABEL.match(chart.service):
        c.add(
            "service",
            chart.service,
            "is not a Service name",
            "use the name the chart gives its Service",
        )


@chart_rule("secrets")
def no_literal_secrets_in_values(c: Check[HelmChart]) -> None:
    """Values end up in the stack's state and the release's Secret in plain text: a secret is
    read by the chart from an existing Secret instead. A key that names a Secret (or a key in
    one), such as `existingSecret`, `auth.usersExistingSecret`, `existingSecretPasswordKey`,
    `tls.secretName` or anything under `secretKeyRef` (`SECRET_REFERENCE_KEY`), is that fix: it
    is allowed when its value is a name, and refused when it is not (a pasted password)."""

    def visit(values: Any, path: str, in_reference: bool) -> None:
        if isinstance(values, Mapping):
            for key, value in values.items():
                child = f"{path}.{key}" if path else str(key)
                reference = in_reference or bool(SECRET_REFERENCE_KEY.search(str(key)))
                if isinstance(value, str) and value:
                    if reference and not SECRET_REFERENCE_VALUE.match(value):
                        c.add(
                            f"values.{child}",
                            _Raw("<hidden>"),
                            "names a Secret, but its value is not a Secret name or key",
                            "give the name of a Secret you manage (letters, digits, '-', '.',"
                            " '_'), not the secret itself",
                        )
                    elif not reference and SECRET_LOOKING.search(str(key)):
                        c.add(
                            f"values.{child}",
                            _Raw("<hidden>"),
                            "is a secret given as a literal value",
                            "let the chart read it from an existing Secret (e.g. "
                            "auth.usersExistingSecret)",
                        )
                visit(value, child, reference)
        elif isinstance(values, (list, tuple)):
            for index, item in enumerate(values):
                visit(item, f"{path}[{index}]", in_reference)

    visit(c.spec.values, "", False)
