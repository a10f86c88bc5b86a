"""Rules of the platform stack's onboarding: the grants an application's stack uses right after
the platform's run, and the custom roles they assign (infra/stacks/platform.py)."""

from __future__ import annotations

import math
from collections.abc import Iterator

from infra.plan.kinds import ROLE_ASSIGNMENT, ROLE_DEFINITION
from infra.simulate.registry import Refusal, StepContext, rule
from infra.stacks.authorization import role_guid
from infra.stacks.platform import ONBOARDING_COMPONENT

ROLE_ASSIGNMENT_PROPAGATION_S = 600.0
"""Azure RBAC troubleshooting, "Role assignment changes are not being detected": "it can take up
to 10 minutes for changes to take effect" (upstream/azure-rbac-docs/troubleshooting.excerpt.md;
tests/test_team_onboarding.py reads it there)."""

ROLE_DEFINITION_PROPAGATION_S = 180.0
"""How long terraform-provider-azurerm waits for a custom role definition to settle before it is
used: a 60 s delay, then 12 consistent reads at least 10 s apart
(upstream/terraform-provider-azurerm/role_definition_resource.go.txt; the eventual consistency:
Azure/azure-rest-api-specs#2135, Azure/azure-cli#20727)."""


def _onboarding_grant(ctx: StepContext) -> bool:
    parent = ctx.plan.resources.get(ctx.resource.parent)
    return (
        ctx.resource.type == ROLE_ASSIGNMENT
        and parent is not None
        and parent.type == ONBOARDING_COMPONENT
    )


def _seconds(value: float) -> str:
    return "never" if value == math.inf else f"{value:.0f} s"


@rule(
    "onboarding-grant-not-propagated",
    refuses="a role assignment the platform stack makes for an onboarded application's identity "
    "that is not guaranteed 10 minutes old when the platform's run ends (the application's "
    "stack deploys right after it, as that identity: AuthorizationFailed, or 403 from the "
    "cluster)",
    source="Azure RBAC docs 'Troubleshoot Azure RBAC' (role assignment changes: up to 10 minutes "
    "to take effect); AKS docs 'Use Azure RBAC for Kubernetes authorization' (up to five "
    "minutes); review15 finding 1.2",
)
def onboarding_grant_propagated(ctx: StepContext) -> Iterator[Refusal]:
    """The deploy workflow starts an application's stack as soon as the platform's run ends.
    Nothing in that run waits for the platform's grants, so the time they are guaranteed is what
    the platform's own run spends after them: the Sleeps that wait for them
    (`Timeline.settled`)."""
    if ctx.action != "create" or not _onboarding_grant(ctx):
        return
    settled = ctx.timeline.settled(ctx.resource.urn)
    if settled >= ROLE_ASSIGNMENT_PROPAGATION_S:
        return
    yield ctx.refuse(
        "onboarding-grant-not-propagated",
        f"the platform's run ends {_seconds(settled)} after this grant at the least, and the "
        f"application's stack deploys next with it; Azure takes up to "
        f"{ROLE_ASSIGNMENT_PROPAGATION_S:.0f} s to apply a role assignment.",
        "end the onboarding with a Sleep of at least "
        f"{ROLE_ASSIGNMENT_PROPAGATION_S:.0f}s that depends on every grant it makes "
        "(`infra.foundation.propagation.propagation_wait`, ROLE_ASSIGNMENT_PROPAGATION).",
    )


@rule(
    "custom-role-definition-not-settled",
    refuses="a role assignment of a custom role whose definition this run creates or updates, "
    "sent less than 3 minutes after it (RoleDefinitionDoesNotExist, or a scope not yet among "
    "its assignableScopes: definitions are eventually consistent)",
    source="Azure/azure-rest-api-specs#2135, Azure/azure-cli#20727, pulumi/pulumi-azure#840; "
    "terraform-provider-azurerm role_definition_resource.go (its wait); review15 finding 1.8",
)
def custom_role_settled(ctx: StepContext) -> Iterator[Refusal]:
    """A just-created definition can be missing from the replica an assignment is checked
    against, and a just-updated one can still be read with its old body (an assignableScopes
    entry it did not have yet). Either way the assignment sent in the same run must come at
    least that long after the definition's step."""
    if ctx.resource.type != ROLE_ASSIGNMENT:
        return
    wanted = role_guid(str(ctx.resource.inputs.get("roleDefinitionId") or ""))
    for definition in ctx.plan.of_type(ROLE_DEFINITION):
        if str(definition.inputs.get("roleDefinitionId") or "").lower() != wanted:
            continue
        if definition.urn not in ctx.steps:
            continue
        age = ctx.timeline.after_step(definition.urn, ctx.resource.urn)
        if age is not None and age >= ROLE_DEFINITION_PROPAGATION_S:
            continue
        yield ctx.refuse(
            "custom-role-definition-not-settled",
            f"it assigns custom role {definition.inputs.get('roleName') or definition.name}, "
            f"written in this run, {'with nothing ordering them' if age is None else _seconds(age)}"
            " after it; a new definition can be missing for minutes.",
            f"make the assignment wait for a Sleep of at least "
            f"{ROLE_DEFINITION_PROPAGATION_S:.0f}s after the definition (ApplicationRoles.ready, "
            "ROLE_DEFINITION_PROPAGATION).",
        )
