"""Waits for role assignments to take effect before anything uses them.

Azure answers a role assignment's PUT before the grant is enforced everywhere: the next call from
the new grantee can still be refused. Pulumi would then fail the first `pulumi up` (a Kubernetes
object answered 403, a Container App that cannot read its secret or pull its image). A
`time:index/sleep:Sleep` after the grants, which the users of the grants depend on, turns
"eventually" into an ordering the engine respects. It sleeps only when it is created or its
triggers change (a new principal), so later deploys pay nothing.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import pulumi
import pulumiverse_time as time

CLUSTER_RBAC_PROPAGATION = "300s"
"""AKS "Use Azure RBAC for Kubernetes authorization": role assignments can take up to five minutes
to propagate to the cluster's authorization webhook."""

DATA_PLANE_PROPAGATION = "600s"
"""Key Vault "Azure RBAC guide" (role assignment latency): "it will take 10 minutes (600 seconds)
after role assignments is changed for role to be applied"; Azure RBAC troubleshooting gives the
same bound for other data planes (the registry's AcrPull). Container Apps read secrets and pull
images when a revision is created and fail it otherwise (microsoft/azure-container-apps#1159,
#1061)."""

ROLE_ASSIGNMENT_PROPAGATION = "600s"
"""Azure RBAC troubleshooting, "Role assignment changes are not being detected": "When you assign
roles or remove role assignments, it can take up to 10 minutes for changes to take effect"
(Azure Resource Manager caches them; upstream/azure-rbac-docs/troubleshooting.excerpt.md). The
bound for a grant someone else's run uses next (an onboarded application's stack deploys right
after the platform's): it covers the cluster's five minutes and Key Vault's ten."""

ROLE_DEFINITION_PROPAGATION = "180s"
"""Custom role definitions are eventually consistent: a read right after a create or an update
can return nothing or the old body (Azure/azure-rest-api-specs#2135, Azure/azure-cli#20727).
terraform-provider-azurerm waits for an update to settle before using it: a 60 s delay, then 12
consecutive consistent reads at least 10 s apart (`resourceArmRoleDefinitionUpdate`,
upstream/terraform-provider-azurerm/role_definition_resource.go.txt): 60 + 12 x 10 s."""


def propagation_wait(
    name: str,
    *,
    duration: str,
    grants: Sequence[pulumi.Resource],
    triggers: Mapping[str, pulumi.Input[str]],
    parent: pulumi.Resource,
) -> time.Sleep:
    """A Sleep after `grants`; it sleeps again whenever `triggers` (the grantees) change."""
    return time.Sleep(
        name,
        create_duration=duration,
        triggers=dict(triggers),
        opts=pulumi.ResourceOptions(parent=parent, depends_on=list(grants)),
    )
