"""Rules of Helm charts."""

from __future__ import annotations

from collections.abc import Iterator

from infra.simulate.published_charts import oci_reference, repository_key
from infra.simulate.registry import Refusal, StepContext, nested, rule

CHART = "kubernetes:helm.sh/v4:Chart"


@rule(
    "helm-chart-unpublished",
    refuses="a Helm chart version its repository does not publish (helm pull fails)",
    source="valkey-io/valkey-helm index.yaml (0.1.0 … 0.11.0); issue 11 defect 3",
)
def chart_published(ctx: StepContext) -> Iterator[Refusal]:
    """helm.v4.Chart downloads the chart when it runs: a version the repository's index does
    not list fails the deploy. Published versions are a vendored, dated record
    (published_charts.py)."""
    if ctx.resource.type != CHART:
        return
    chart = str(ctx.resource.inputs.get("chart", ""))
    version = str(ctx.resource.inputs.get("version") or "")
    repo = repository_key(str(nested(ctx.resource.inputs, "repositoryOpts", "repo") or ""))
    oci = oci_reference(chart)
    if oci is not None:
        repo, chart = oci
    published = ctx.world.charts.get((repo, chart))
    if published is None:
        yield ctx.refuse(
            "helm-chart-unpublished",
            f"chart {chart} from {repo or '(no repository)'} is not in the simulator's record "
            "of published charts, so its version cannot be checked.",
            "add the repository's published versions to infra/simulate/published_charts.py "
            "(read its index.yaml), with the date read.",
        )
    elif version not in published:
        newest = max(published, key=lambda v: tuple(int(p) for p in v.split(".") if p.isdigit()))
        yield ctx.refuse(
            "helm-chart-unpublished",
            f"chart {chart} version {version or '(unpinned)'} is not published by {repo}.",
            f"pin a published version (newest: {newest}).",
        )
