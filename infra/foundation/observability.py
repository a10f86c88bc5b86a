"""The Log Analytics workspace that AKS and Container Apps both log to."""

from __future__ import annotations

from dataclasses import dataclass

import pulumi
from pulumi_azure_native import operationalinsights

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
