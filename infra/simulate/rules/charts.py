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


@rule(
    "helm-chart-unknown-cluster",
    refuses="a helm.v4.Chart sent through a Kubernetes provider created in the same run from a "
    "cluster's credentials (the preview cannot reach a cluster that does not exist yet)",
    source="pulumi/pulumi-kubernetes#3027 (helm.v4.Chart: 'failed to parse kubeconfig data' on "
    "preview, open)",
)
def chart_cluster_known(ctx: StepContext) -> Iterator[Refusal]:
    """helm.v4.Chart renders the chart inside the provider, which needs a reachable cluster even
    during `pulumi preview`; a kubeconfig that is still unknown (the cluster is created by the same
    run) fails the preview before anything is deployed. The first deploy's foundation step
    (deployServices=false) creates the cluster first, so charts always meet a known kubeconfig."""
    if ctx.resource.type != CHART or not ctx.resource.provider:
        return
    provider = ctx.lookup(ctx.resource.provider)
    if provider is None or "kubeconfig" not in provider.inputs:
        return
    if provider.urn in ctx.creates:
        yield ctx.refuse(
            "helm-chart-unknown-cluster",
            "this chart goes through a Kubernetes provider this run creates from a new cluster's "
            "credentials: helm.v4.Chart fails the preview while the kubeconfig is unknown.",
            "deploy the foundation first (platform:deployServices=false), then the services.",
        )
