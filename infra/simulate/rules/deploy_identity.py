"""An application stack deploys as its own identity (docs/team-stacks.md, "Least privilege per
application"): each step is refused when no role assignment that exists before the run allows
what Azure (or AKS's Azure RBAC authorizer) checks for it."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from infra.config import StackMode
from infra.plan.kinds import ROLE_DEFINITION
from infra.preview.mocks import identity_principal_id
from infra.simulate.plan import Plan
from infra.simulate.registry import Refusal, StepContext, rule
from infra.stacks.authorization import WRITE, assignments, refused, required, role_definitions
from infra.stacks.authorization import target_of as contract_target
from infra.stacks.contract import CONTRACT_OUTPUT, parse_contract
from infra.stacks.platform import deploy_identity_name
from infra.stacks.recorded import recorded_outputs

RULE = "application-deploy-identity"


def application_of(plan: Plan) -> str | None:
    """The application an application stack's plan deploys (None for a single or platform
    stack, which keep the deployer model of every stack: cluster admin, Owner)."""
    config: Mapping[str, Any] = plan.config
    if str(config.get("platform:mode") or "") != StackMode.APPLICATION.value:
        return None
    return str(config.get("platform:application") or "") or None


@rule(
    RULE,
    refuses="a step of an application stack its deploy identity may not make: no role assignment "
    "in place before the run, at or above the step's scope, allows the action Azure or AKS checks "
    "for it (403 AuthorizationFailed / Forbidden)",
    source="the operations and scopes of infra/stacks/authorization.py: upstream/"
    "azure-rest-api-specs/resource-paths.json (ARM type and id), upstream/azure-docs-permissions/ "
    "(assign/action, managedEnvironments/join/action, roleAssignments/write at its id), "
    "upstream/kubeguard/ (Kubernetes data actions), upstream/azure-built-in-roles/roles.json and "
    "upstream/azure-rbac-docs/ (actions minus notActions, wildcards, inheritance)",
)
def deploy_identity_allowed(ctx: StepContext) -> Iterator[Refusal]:
    """The application's stack runs as `<application>-deploy`, the identity its platform stack
    onboarded, with only the roles the platform assigned it: Azure refuses a create or update
    (and AKS a Kubernetes object) whose action no role assigned at the resource's scope or above
    allows, and each linked check (an identity it assigns, the environment it joins) on its own
    scope. Only assignments that exist when the run starts count: the platform deploys first."""
    application = application_of(ctx.plan)
    if application is None:
        return
    platform = str(ctx.plan.config.get("platform:platformStack") or "")
    contract = parse_contract(recorded_outputs(platform).get(CONTRACT_OUTPUT))
    identity = deploy_identity_name(application)
    principal = identity_principal_id(identity)
    roles = role_definitions(
        r.inputs for r in ctx.world.resources.values() if r.type == ROLE_DEFINITION
    )
    held = assignments(
        ((g.principal, g.role, g.scope) for g in ctx.world.all_grants()), principal, roles
    )
    resource = ctx.resource
    needs = required(
        resource.type, resource.inputs, WRITE, contract_target(contract), resource.name
    )
    for need in refused(needs, held):
        if need.unknown:
            yield ctx.refuse(
                RULE,
                f"as {application}'s deploy identity ({identity}), this {ctx.action} cannot be "
                f"checked: {need.unknown}.",
                "vendor what it needs (above) so the check can run before the first deploy.",
            )
            continue
        kind = "data action" if need.data else "action"
        yield ctx.refuse(
            RULE,
            f"{application}'s deploy identity ({identity}) may not perform {kind} {need.action} "
            f"on {need.scope} ({need.why}): no role assignment of it at or above that scope "
            "allows it (403).",
            f"grant it in the platform stack {platform}: onboard {application} in "
            "platform:applications, or add the role to its onboarding "
            "(infra/stacks/platform.py, ApplicationOnboarding), and deploy the platform first.",
        )
