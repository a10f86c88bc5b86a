"""What every foundation component shares: where it lives, its tags, whether it is protected."""

from __future__ import annotations

from dataclasses import dataclass

import pulumi

# Built-in Azure role definition ids (the same in every tenant).
ACR_PULL_ROLE = "7f951dda-4ed3-4680-a7ca-43fe172d538d"
NETWORK_CONTRIBUTOR_ROLE = "4d97b98b-1d4f-4787-a291-c67834d212e7"


@dataclass(frozen=True)
class Placement:
    """Where a component's Azure resources go and what they carry."""

    resource_group_name: pulumi.Input[str]
    location: str
    tags: dict[str, str]
    subscription_id: pulumi.Input[str]
    protect_stateful: bool
    """Protect what loses data or breaks every workload when deleted (cluster, registry, logs)."""

    def role_definition_id(self, role_guid: str) -> pulumi.Output[str]:
        return pulumi.Output.concat(
            "/subscriptions/",
            self.subscription_id,
            "/providers/Microsoft.Authorization/roleDefinitions/",
            role_guid,
        )
