"""Rules of Container Apps health probes."""

from __future__ import annotations

from collections.abc import Iterator

from infra.plan.paths import value_at
from infra.simulate.references import CONTAINER_APP
from infra.simulate.registry import Refusal, StepContext, rule
from infra.upstream_facts import TIMING_FIELDS, container_apps_probe_limits


@rule(
    "aca-probe-out-of-range",
    refuses="a Container App whose container probe has a timing outside what Azure accepts for "
    "its type (e.g. ContainerAppProbeFailureThresholdOutOfRange: a liveness failureThreshold "
    "above 30), or a probe type the API does not have",
    source="terraform-provider-azurerm #31989 (internal/services/containerapps/helpers/"
    "container_apps.go: the ranges Azure accepts per probe type) and the Microsoft.App "
    "ContainerAppProbe definition (azure-rest-api-specs), vendored under upstream/",
)
def probe_ranges(ctx: StepContext) -> Iterator[Refusal]:
    """Azure validates every probe of every container when the app is created or updated; the
    ranges are the ones validation checks declarations against (`infra/upstream_facts.py`)."""
    if ctx.resource.type != CONTAINER_APP:
        return
    limits = container_apps_probe_limits()
    for container in value_at(ctx.resource.inputs, "template.containers") or []:
        for probe in (container.get("probes") or []) if isinstance(container, dict) else []:
            if not isinstance(probe, dict):
                continue
            kind = str(probe.get("type", "")).lower()
            if kind not in limits.timing:
                yield ctx.refuse(
                    "aca-probe-out-of-range",
                    f"container {container.get('name')!r} has a probe of type "
                    f"{probe.get('type')!r}.",
                    "use Liveness, Readiness or Startup.",
                )
                continue
            for field in TIMING_FIELDS:
                value = probe.get(field)
                allowed = limits.timing[kind][field]
                if value is not None and value not in allowed:
                    yield ctx.refuse(
                        "aca-probe-out-of-range",
                        f"container {container.get('name')!r} {probe.get('type')} probe's "
                        f"{field} = {value} must be in the range {allowed}.",
                        f"set {field} within {allowed}.",
                    )
