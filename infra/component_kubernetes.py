"""Which Kubernetes minors each pinned cluster component supports, read from its vendored
compatibility table (never restated here).

- Envoy Gateway (internal ingress, `aks.ingress: gateway`): the compatibility matrix,
  `upstream/envoy-gateway-matrix/matrix.excerpt.md` (envoyproxy/gateway
  site/content/en/news/releases/matrix.md at v1.9.0), the row of the pinned release line
  (`infra/services/chart_versions.py`, chart gateway-helm).
- ALB controller (public Gateway API ingress, `aks.ingress: gateway|both`): the release notes'
  "Minimum Kubernetes Version", `upstream/alb-controller-release-notes/release-notes.excerpt.md`
  (MicrosoftDocs/azure-docs articles/application-gateway/for-containers/
  alb-controller-release-notes.md), the newest documented release at or below the pin
  (`ALB_CHART_VERSION`, `infra/services/chart_versions.py`); it names no maximum.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from infra.aks_versions import ROOT, markdown_tables, minor_key
from infra.services.chart_versions import ALB_CHART_VERSION, REVIEWED_CHARTS

if TYPE_CHECKING:
    from infra.config import IngressMode

ENVOY_MATRIX = ROOT / "upstream" / "envoy-gateway-matrix" / "matrix.excerpt.md"
ALB_RELEASE_NOTES = ROOT / "upstream" / "alb-controller-release-notes" / "release-notes.excerpt.md"


@dataclass(frozen=True)
class ComponentSupport:
    component: str
    minors: tuple[str, ...] = ()
    """The minors the component lists (empty: only a minimum is published)."""
    minimum: str | None = None
    source: str = ""

    def supports(self, minor: str) -> bool:
        if self.minors:
            return minor in self.minors
        return self.minimum is None or minor_key(minor) >= minor_key(self.minimum)

    @property
    def described(self) -> str:
        if self.minors:
            return f"{self.component} supports Kubernetes {', '.join(self.minors)}"
        return f"{self.component} needs Kubernetes {self.minimum} or later"


def _version_key(text: str) -> tuple[int, ...]:
    return tuple(int(part) for part in text.lstrip("v").split(".") if part.isdigit())


def envoy_gateway_support(pinned: str, matrix: Path = ENVOY_MATRIX) -> ComponentSupport:
    """The matrix row of the pinned release line (`v1.9.0` → row `v1.9`)."""
    line = "v" + ".".join(pinned.lstrip("v").split(".")[:2])
    for table in markdown_tables(matrix.read_text()):
        for row in table:
            if row.get("Envoy Gateway version") == line:
                minors = tuple(v.strip().lstrip("v") for v in row["Kubernetes version"].split(","))
                return ComponentSupport(
                    f"Envoy Gateway {line}",
                    minors=minors,
                    source=str(matrix.relative_to(ROOT)),
                )
    raise LookupError(f"Envoy Gateway {line} is not in {matrix}: vendor the matrix of that tag")


def alb_controller_support(pinned: str, notes: Path = ALB_RELEASE_NOTES) -> ComponentSupport:
    """The minimum of the newest documented ALB controller release at or below the pin."""
    rows = [
        row
        for table in markdown_tables(notes.read_text())
        for row in table
        if "ALB Controller Version" in row
        and _version_key(row["ALB Controller Version"]) <= _version_key(pinned)
    ]
    if not rows:
        raise LookupError(f"ALB controller {pinned}: no release at or below it in {notes}")
    row = max(rows, key=lambda r: _version_key(r["ALB Controller Version"]))
    return ComponentSupport(
        f"ALB controller {pinned} (documented minimum of {row['ALB Controller Version']})",
        minimum=row["Minimum Kubernetes Version"].lstrip("v"),
        source=str(notes.relative_to(ROOT)),
    )


def pinned_components(ingress: IngressMode) -> list[ComponentSupport]:
    """What the stack's cluster runs that has its own Kubernetes range, for `aks.ingress`."""
    found: list[ComponentSupport] = []
    if ingress.public_gateway:
        found.append(alb_controller_support(ALB_CHART_VERSION))
    if ingress.internal_gateway:
        envoy = next(c for c in REVIEWED_CHARTS if c.chart == "gateway-helm")
        found.append(envoy_gateway_support(envoy.version))
    return found
