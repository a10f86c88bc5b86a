"""The Log Analytics workspace that AKS and Container Apps both log to."""

from __future__ import annotations

from dataclasses import dataclass

import pulumi
from pulumi_azure_native import monitor, operationalinsights

from infra.config import MonitoringConfig
from infra.foundation.common import Placement


@dataclass(frozen=True)
class ObservabilityArgs:
    placement: Placement
    config: MonitoringConfig


class Observability(pulumi.ComponentResource):
    """One workspace per stack: one place to query both targets' logs."""

    workspace_id: pulumi.Output[str]
    workspace_name: pulumi.Output[str]
    customer_id: pulumi.Output[str]
    shared_key: pulumi.Output[str]

    def __init__(
        self, name: str, args: ObservabilityArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__("platform:foundation:Observability", name, None, opts)
        placement = args.placement
        workspace = operationalinsights.Workspace(
            f"{name}-logs",
            resource_group_name=placement.resource_group_name,
            location=placement.location,
            sku=operationalinsights.WorkspaceSkuArgs(
                name=operationalinsights.WorkspaceSkuNameEnum.PER_GB2018
            ),
            retention_in_days=args.config.retention_days,
            tags=placement.tags,
            # Losing the workspace loses the audit trail: protected where the stack says so.
            opts=pulumi.ResourceOptions(parent=self, protect=placement.protect_stateful),
        )
        keys = operationalinsights.get_shared_keys_output(
            resource_group_name=placement.resource_group_name,
            workspace_name=workspace.name,
            opts=pulumi.InvokeOutputOptions(parent=self),
        )
        self.workspace_id = workspace.id
        self.workspace_name = workspace.name
        self.customer_id = workspace.customer_id
        # The key grants write access to the workspace: never shown in plans or outputs.
        self.shared_key = pulumi.Output.secret(keys.primary_shared_key.apply(lambda k: k or ""))
        self.register_outputs({"workspaceId": self.workspace_id})


@dataclass(frozen=True)
class ManagedPrometheusArgs:
    placement: Placement
    cluster_id: pulumi.Input[str]
    cluster_name: str


class ManagedPrometheus(pulumi.ComponentResource):
    """Azure Monitor managed Prometheus for the cluster: the add-on (azureMonitorProfile) only
    scrapes; these resources give the metrics somewhere to go — an Azure Monitor workspace, a
    data collection endpoint and rule, and their associations with the cluster."""

    workspace_id: pulumi.Output[str]

    def __init__(
        self, name: str, args: ManagedPrometheusArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__("platform:foundation:ManagedPrometheus", name, None, opts)
        placement = args.placement
        child = pulumi.ResourceOptions(parent=self)
        # The names AKS itself uses when it sets this up, so the portal recognises them.
        prefix = f"MSProm-{placement.location}-{args.cluster_name}"[:44]
        workspace = monitor.AzureMonitorWorkspace(
            f"{name}-workspace",
            resource_group_name=placement.resource_group_name,
            location=placement.location,
            tags=placement.tags,
            opts=pulumi.ResourceOptions(parent=self, protect=placement.protect_stateful),
        )
        endpoint = monitor.DataCollectionEndpoint(
            f"{name}-endpoint",
            data_collection_endpoint_name=prefix,
            resource_group_name=placement.resource_group_name,
            location=placement.location,
            kind="Linux",
            tags=placement.tags,
            opts=child,
        )
        rule = monitor.DataCollectionRule(
            f"{name}-rule",
            data_collection_rule_name=prefix,
            resource_group_name=placement.resource_group_name,
            location=placement.location,
            kind="Linux",
            data_collection_endpoint_id=endpoint.id,
            data_sources=monitor.DataCollectionRuleDataSourcesArgs(
                prometheus_forwarder=[
                    monitor.PrometheusForwarderDataSourceArgs(
                        name="PrometheusDataSource",
                        streams=[
                            monitor.KnownPrometheusForwarderDataSourceStreams.MICROSOFT_PROMETHEUS_METRICS
                        ],
                        label_include_filter={},
                    )
                ]
            ),
            destinations=monitor.DataCollectionRuleDestinationsArgs(
                monitoring_accounts=[
                    monitor.MonitoringAccountDestinationArgs(
                        account_resource_id=workspace.id, name="MonitoringAccount1"
                    )
                ]
            ),
            data_flows=[
                monitor.DataFlowArgs(
                    streams=["Microsoft-PrometheusMetrics"], destinations=["MonitoringAccount1"]
                )
            ],
            tags=placement.tags,
            opts=child,
        )
        monitor.DataCollectionRuleAssociation(
            f"{name}-rule-association",
            association_name=prefix,
            resource_uri=args.cluster_id,
            data_collection_rule_id=rule.id,
            description="Sends the cluster's Prometheus metrics to the Azure Monitor workspace",
            opts=child,
        )
        monitor.DataCollectionRuleAssociation(
            f"{name}-endpoint-association",
            # Azure requires this exact name for a data collection endpoint association.
            association_name="configurationAccessEndpoint",
            resource_uri=args.cluster_id,
            data_collection_endpoint_id=endpoint.id,
            opts=child,
        )
        self.workspace_id = workspace.id
        self.register_outputs({"workspaceId": self.workspace_id})


@dataclass(frozen=True)
class ContainerInsightsArgs:
    placement: Placement
    cluster_id: pulumi.Input[str]
    cluster_name: str
    workspace_id: pulumi.Input[str]


# Container logs (ContainerLogV2), Kubernetes events and pod/node/service inventory, perf and
# metrics: what the portal's Container Insights views need.
CONTAINER_INSIGHTS_STREAM = "Microsoft-ContainerInsights-Group-Default"


class ContainerInsights(pulumi.ComponentResource):
    """Container Insights with managed-identity authentication. The add-on runs with
    `useAADAuth` (no workspace key on the nodes) and then collects only what a data collection
    rule associated with the cluster tells it to: this rule sends the default stream group to
    the shared Log Analytics workspace, once a minute, from every namespace."""

    rule_id: pulumi.Output[str]

    def __init__(
        self, name: str, args: ContainerInsightsArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__("platform:foundation:ContainerInsights", name, None, opts)
        placement = args.placement
        child = pulumi.ResourceOptions(parent=self)
        destination = "ciworkspace"
        rule = monitor.DataCollectionRule(
            f"{name}-rule",
            # The name AKS gives it when onboarding from the portal/CLI (at most 64 characters).
            data_collection_rule_name=f"MSCI-{placement.location}-{args.cluster_name}"[:64],
            resource_group_name=placement.resource_group_name,
            location=placement.location,
            kind="Linux",
            description="Container Insights: container logs, events and inventory of the cluster",
            data_sources=monitor.DataCollectionRuleDataSourcesArgs(
                extensions=[
                    monitor.ExtensionDataSourceArgs(
                        name="ContainerInsightsExtension",
                        extension_name="ContainerInsights",
                        streams=[CONTAINER_INSIGHTS_STREAM],
                        extension_settings={
                            "dataCollectionSettings": {
                                "interval": "1m",
                                "namespaceFilteringMode": "Off",
                                "enableContainerLogV2": True,
                            }
                        },
                    )
                ]
            ),
            destinations=monitor.DataCollectionRuleDestinationsArgs(
                log_analytics=[
                    monitor.LogAnalyticsDestinationArgs(
                        name=destination, workspace_resource_id=args.workspace_id
                    )
                ]
            ),
            data_flows=[
                monitor.DataFlowArgs(
                    streams=[CONTAINER_INSIGHTS_STREAM], destinations=[destination]
                )
            ],
            tags=placement.tags,
            opts=child,
        )
        monitor.DataCollectionRuleAssociation(
            f"{name}-rule-association",
            # The association name the add-on looks for.
            association_name="ContainerInsightsExtension",
            resource_uri=args.cluster_id,
            data_collection_rule_id=rule.id,
            description="Container Insights for the cluster; deleting it stops log collection",
            opts=child,
        )
        self.rule_id = rule.id
        self.register_outputs({"ruleId": self.rule_id})
