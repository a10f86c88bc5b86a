"""Rules of custom role definitions (the platform stack's application roles,
infra/stacks/platform.py)."""

from __future__ import annotations

from collections.abc import Iterator

from infra.plan.kinds import ROLE_ASSIGNMENT, ROLE_DEFINITION
from infra.simulate.registry import Refusal, StepContext, rule
from infra.stacks.permissions import within


@rule(
    "custom-role-assignable-scope",
    refuses="a role assignment of a custom role at a scope that is not at or below one of the "
    "role's assignableScopes",
    source="Azure RBAC docs 'Azure custom roles' (AssignableScopes: the scopes where the custom "
    "role is available for assignment)",
)
def within_assignable_scopes(ctx: StepContext) -> Iterator[Refusal]:
    """A custom role can be assigned only where its definition says it is available: at one of
    its `assignableScopes` or below. Azure refuses the assignment elsewhere, after the role
    definition already exists."""
    if ctx.resource.type != ROLE_ASSIGNMENT:
        return
    role = str(ctx.resource.inputs.get("roleDefinitionId") or "").rsplit("/", 1)[-1].lower()
    scope = str(ctx.resource.inputs.get("scope") or "")
    # A definition the plan declares is checked as the plan writes it (this run updates it
    # first: the assignment waits for it), the world's copy only for one the plan does not hold.
    held = [r for urn, r in ctx.world.resources.items() if urn not in ctx.plan.resources]
    for definition in [*ctx.plan.of_type(ROLE_DEFINITION), *held]:
        if definition.type != ROLE_DEFINITION:
            continue
        if str(definition.inputs.get("roleDefinitionId") or "").lower() != role:
            continue
        assignable = [str(s) for s in definition.inputs.get("assignableScopes") or []]
        if not within(scope, assignable):
            yield ctx.refuse(
                "custom-role-assignable-scope",
                f"custom role {definition.inputs.get('roleName') or definition.name} is assignable "
                f"at {', '.join(assignable) or 'no scope'}, not at {scope}.",
                f"add {scope} (or a scope above it) to the role's assignableScopes.",
            )
