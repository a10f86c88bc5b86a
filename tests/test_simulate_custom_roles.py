"""The deploy simulator's custom-role rule (infra/simulate/rules/custom_roles.py): a plan it
accepts, one it refuses, and the reference platform stack's plan through the simulator."""

from __future__ import annotations

from infra.preview.engine import run_offline
from infra.preview.snapshot import to_snapshot
from infra.program import build
from infra.simulate import Plan, World, replay
from infra.simulate.scenario import parsed_config
from infra.stacks.examples import example_stack
from tests.simulate_builders import RG, SUB, plan, res, rules_of

ROLE = "a52961fd-2cad-5181-b7be-83cea81663da"
OTHER_GROUP = f"{SUB}/resourceGroups/rg-team"


def _definition(*assignable: str) -> dict[str, object]:
    return res(
        "azure-native:authorization:RoleDefinition",
        "application-deployer",
        {
            "roleDefinitionId": ROLE,
            "roleName": "rg-t-application-deployer",
            "scope": RG,
            "assignableScopes": list(assignable),
            "permissions": [{"actions": ["Microsoft.App/managedEnvironments/join/action"]}],
        },
    )


def _assignment(scope: str) -> dict[str, object]:
    return res(
        "azure-native:authorization:RoleAssignment",
        "app-deploy",
        {
            "principalId": "p",
            "principalType": "ServicePrincipal",
            "roleDefinitionId": f"{SUB}/providers/Microsoft.Authorization/roleDefinitions/{ROLE}",
            "scope": scope,
        },
        deps=("urn:pulumi:t::p::azure-native:authorization:RoleDefinition::application-deployer",),
    )


def test_a_custom_role_assigned_below_an_assignable_scope_is_accepted() -> None:
    p = plan(_definition(RG), _assignment(f"{RG}/providers/Microsoft.App/managedEnvironments/e"))
    assert "custom-role-assignable-scope" not in rules_of(p)


def test_a_custom_role_assigned_outside_its_assignable_scopes_is_refused() -> None:
    p = plan(_definition(RG), _assignment(OTHER_GROUP))
    assert "custom-role-assignable-scope" in rules_of(p)


def test_the_reference_platform_stack_meets_no_refusal_of_its_custom_roles() -> None:
    stack = example_stack("platform-dev")
    full = Plan.from_snapshot(to_snapshot(run_offline(stack, build)), parsed_config(stack.values))
    phase, _ = replay("platform-dev", full, World())
    assert not [r for r in phase.refusals if r.rule == "custom-role-assignable-scope"]
