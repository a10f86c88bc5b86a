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
