"""Rules of Helm charts."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from infra.plan.kinds import CHART, NAMESPACE
from infra.plan.paths import value_at
from infra.services.chart_hooks import chart_hooks, chart_name
from infra.simulate.plan import PlannedResource
from infra.simulate.published_charts import oci_reference, repository_key
from infra.simulate.registry import Refusal, StepContext, rule


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
    repo = repository_key(str(value_at(ctx.resource.inputs, "repositoryOpts.repo") or ""))
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
    refuses="a helm.v4.Chart sent through a Kubernetes provider created in the same run from the "
    "credentials of a cluster the run creates (the preview cannot reach a cluster that does not "
    "exist yet)",
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
    # Unknown only while computed from a resource this run creates (the cluster): a kubeconfig
    # listed from a cluster that already exists (an application stack's, from the platform's
    # contract through a stack reference and an invoke) is known in the preview.
    sources = provider.reads.get("kubeconfig")
    if provider.urn in ctx.creates and sources and any(u in ctx.creates for u in sources):
        yield ctx.refuse(
            "helm-chart-unknown-cluster",
            "this chart goes through a Kubernetes provider this run creates from a new cluster's "
            "credentials: helm.v4.Chart fails the preview while the kubeconfig is unknown.",
            "deploy the foundation first (platform:deployServices=false), then the services.",
        )


def _object_token(api_version: str, kind: str) -> str:
    """The pulumi-kubernetes type token of a kind (`v1` is the `core` group)."""
    group_version = api_version if "/" in api_version else f"core/{api_version}"
    return f"kubernetes:{group_version}:{kind}"


def _named(resource: PlannedResource, name: str, namespace: str | None) -> bool:
    meta = resource.inputs.get("metadata") or {}
    if not isinstance(meta, dict) or meta.get("name") != name:
        return False
    return namespace is None or (meta.get("namespace") or "default") == namespace


@rule(
    "chart-hooks-dropped",
    refuses="a helm.v4.Chart whose chart version renders Helm install/upgrade hooks (its "
    "vendored hook list) that the plan does not create as ordinary objects, before the chart "
    "for pre-install/pre-upgrade hooks: helm.v4.Chart never applies a hook, so what it does "
    "never happens (envoy-gateway's controller waits forever for the Secret certgen creates)",
    source="pulumi-kubernetes provider/pkg/provider/helm/v4/chart.go (`cmd.DisableHooks = "
    "true`; includeHooks only with renderYamlToDirectory); each chart's templates, vendored "
    "per version in upstream/charts/<chart>-<version>/ (SOURCE.md, hooks.yaml)",
)
def chart_hooks_dropped(ctx: StepContext) -> Iterator[Refusal]:
    """Reads the chart's hook list (infra/services/chart_hooks.py) with the chart's values, so a
    `when` value that turns a hook off counts. A hook is provided by an object of its kind and
    resolved name (release = the Chart's `name`, else its resource name; namespace = the
    Chart's) that already exists, or that this step waits for when the hook runs before the
    release. A chart version without a vendored list is refused: nothing can say what it drops.
    Uninstall hooks are out of scope here (the simulator replays deploys, never an uninstall);
    the program checks them before it installs a chart (`chart_hooks.dropped`, with the reason
    for each it does without)."""
    if ctx.resource.type != CHART:
        return
    reference = str(ctx.resource.inputs.get("chart", ""))
    chart = chart_name(reference)
    version = str(ctx.resource.inputs.get("version") or "")
    hooks = chart_hooks(chart, version)
    if hooks is None:
        yield ctx.refuse(
            "chart-hooks-dropped",
            f"chart {chart} {version or '(unpinned)'} has no vendored hook list, so what "
            "helm.v4.Chart would drop from it cannot be known.",
            f"read its templates' helm.sh/hook annotations into upstream/charts/{chart}-"
            f"{version}/hooks.yaml (with SOURCE.md: repository, commit, date read).",
        )
        return
    raw_values = ctx.resource.inputs.get("values")
    values: dict[str, Any] = raw_values if isinstance(raw_values, dict) else {}
    release = str(ctx.resource.inputs.get("name") or ctx.resource.name)
    namespace = str(ctx.resource.inputs.get("namespace") or "default")
    for hook in hooks.rendered(values):
        if not hook.at_install:
            continue
        name = hook.resolved_name(release, chart, namespace, values)
        token = _object_token(hook.api_version, hook.kind)
        scope = namespace if hook.namespaced else None
        if hook.before_release:
            candidates = ctx.existing(token)
            missing = (
                "the chart does not wait for one"
                if any(_named(r, name, scope) for r in ctx.plan.of_type(token))
                else "no object in the plan creates it"
            )
        else:
            candidates = [*ctx.plan.of_type(token), *ctx.world.resources.values()]
            missing = "no object in the plan creates it"
        if any(r.type == token and _named(r, name, scope) for r in candidates):
            continue
        yield ctx.refuse(
            "chart-hooks-dropped",
            f"{chart} {version} has the {'/'.join(sorted(hook.events))} hook {hook.kind} "
            f"{name} ({hook.template}), which helm.v4.Chart never applies, and {missing} "
            f"(hook list: {hooks.source}).",
            "create the hook's object in the program"
            + (" and make the chart depend on it" if hook.before_release else "")
            + ", turn the hook off by the chart's values, or install the chart with Helm.",
        )


BUILT_IN_NAMESPACES = frozenset({"default", "kube-system", "kube-public", "kube-node-lease"})
"""Namespaces every cluster has (Kubernetes docs "Namespaces: Initial namespaces")."""


@rule(
    "chart-namespace-missing",
    refuses="a helm.v4.Chart released into a namespace nothing creates before it "
    "(helm.v4.Chart has no create-namespace: every namespaced object of the chart is refused "
    "with 'namespaces \"…\" not found')",
    source="pulumi-kubernetes sdk helm/v4 Chart args (no createNamespace, unlike "
    "helm.v3.Release's create_namespace); Kubernetes docs 'Namespaces: Initial namespaces'; "
    "ALB controller chart: no Namespace when the release is in albController.namespace "
    "(upstream/charts/alb-controller-1.13.0/SOURCE.md)",
)
def chart_namespace_missing(ctx: StepContext) -> Iterator[Refusal]:
    """The platform creates every namespace it releases a chart into, and makes the chart wait
    for it; a chart that renders its own Namespace is refused too (conservative: whether it
    does depends on its templates and values, which the plan does not show)."""
    if ctx.resource.type != CHART:
        return
    namespace = ctx.resource.inputs.get("namespace")
    if not namespace or namespace in BUILT_IN_NAMESPACES:
        return
    if any(_named(r, str(namespace), None) for r in ctx.existing(NAMESPACE)):
        return
    yield ctx.refuse(
        "chart-namespace-missing",
        f"namespace {namespace} does not exist when this chart is applied: nothing before it "
        "creates it, and helm.v4.Chart cannot.",
        f"register a Namespace {namespace} and make the chart depend on it.",
    )
