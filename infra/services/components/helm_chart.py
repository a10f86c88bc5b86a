"""`HelmRelease`: third-party software from a pinned chart, in the application's namespace.

Rendered with `helm.v4.Chart`, not `helm.v3.Release`: every object the chart produces becomes
its own Pulumi resource, so `pulumi preview --diff` shows each object's change, the policy pack
sees (and can refuse) each object, and platform transforms apply. The cost: Helm hooks are never
applied (pulumi-kubernetes sets `DisableHooks`; infra/services/chart_hooks.py) and `helm list`
does not show the release. So validation installs a chart only at a version whose hook list is
vendored and holds no install, upgrade or uninstall hook (`no_dropped_hooks` in
infra/services/rules/charts.py; Valkey 0.11.0 has only `test` hooks), and the deploy
simulator's `chart-hooks-dropped` refuses any other way one gets here.
"""

from __future__ import annotations

import pulumi
import pulumi_kubernetes as k8s

from infra.constants import HELM_RELEASE_COMPONENT
from infra.services.catalog import Catalog, PlannedChart
from infra.services.components.kubernetes_objects import create_objects
from infra.services.render.aks import render_chart
from infra.services.render.common import PlatformExtensions


class HelmRelease(pulumi.ComponentResource):
    def __init__(
        self,
        chart: PlannedChart,
        *,
        catalog: Catalog,
        extensions: PlatformExtensions,
        provider: k8s.Provider,
        namespace: pulumi.Resource,
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        super().__init__(HELM_RELEASE_COMPONENT, chart.name, None, opts)
        arguments, objects = render_chart(chart, catalog, extensions)
        child = pulumi.ResourceOptions(parent=self, provider=provider, depends_on=[namespace])
        repository = arguments.pop("repository", None)
        k8s.helm.v4.Chart(
            chart.name,
            chart=arguments["chart"],
            version=arguments["version"],
            namespace=arguments["namespace"],
            values=arguments["values"],
            repository_opts=k8s.helm.v4.RepositoryOptsArgs(repo=repository) if repository else None,
            opts=child,
        )
        create_objects(objects, child)
        self.register_outputs({"chart": arguments["chart"], "version": arguments["version"]})
