"""The platform stack's onboarding against what Azure checks at deploy time (review15 1.2, 1.8,
1.9, 2.2, 2.3): the grants have propagated when the platform's run ends, the custom roles have
settled before they are assigned, assignments name the canonical role id, the granter is
constrained by an ABAC condition, and each application has a read-only preview identity."""

from __future__ import annotations

import dataclasses
import inspect
import json
import re
from pathlib import Path
from typing import Any

import pytest
from pulumi_azure_native import authorization

from infra.config import OnboardedApplication
from infra.constants import (
    AKS_CLUSTER_USER_ROLE,
    AKS_RBAC_READER_ROLE,
    KEY_VAULT_SECRETS_USER_ROLE,
    READER_ROLE,
    preview_environment,
)
from infra.foundation.propagation import (
    ROLE_ASSIGNMENT_PROPAGATION,
    ROLE_DEFINITION_PROPAGATION,
)
from infra.preview.engine import OfflineRun, ProgramFailed, Registration, run_offline
from infra.preview.mocks import identity_client_id, identity_principal_id
from infra.program import build
from infra.services.roles import SERVICE_ROLES
from infra.simulate.azure import seconds
from infra.simulate.plan import Plan
from infra.simulate.replay import replay
from infra.simulate.rules.onboarding import (
    ROLE_ASSIGNMENT_PROPAGATION_S,
    ROLE_DEFINITION_PROPAGATION_S,
)
from infra.simulate.scenario import record
from infra.simulate.timeline import SLEEP
from infra.simulate.world import World
from infra.stacks.examples import example_stack
from infra.stacks.platform import (
    CONDITION_VERSION,
    KUBERNETES_READ_DATA_ACTIONS,
    ONBOARDING_COMPONENT,
    PREVIEW_IDENTITIES_OUTPUT,
    granter_condition,
    preview_subject,
)

ROOT = Path(__file__).resolve().parents[1]
RBAC_DOCS = ROOT / "upstream" / "azure-rbac-docs"
ROLE_ASSIGNMENT = "azure-native:authorization:RoleAssignment"
ROLE_DEFINITION = "azure-native:authorization:RoleDefinition"


@pytest.fixture(scope="module")
def platform() -> OfflineRun:
    return run_offline(example_stack("platform-dev"), build)


def _onboarding_grants(run: OfflineRun, application: str) -> list[Registration]:
    parent = next(
        r.urn for r in run.resources if r.type == ONBOARDING_COMPONENT and r.name == application
    )
    return [r for r in run.by_type(ROLE_ASSIGNMENT) if r.parent == parent]


def _definitions(run: OfflineRun) -> dict[str, Registration]:
    """Custom role guid → its definition."""
    return {str(r.inputs["roleDefinitionId"]): r for r in run.by_type(ROLE_DEFINITION)}


# --- 1.2 The platform's run ends after its grants have propagated ---------------------------


def test_the_propagation_bounds_are_the_documented_ones() -> None:
    """10 minutes for a role assignment (Azure RBAC troubleshooting); 60 s plus 12 reads 10 s
    apart for a custom role definition (terraform-provider-azurerm's wait)."""
    text = (RBAC_DOCS / "troubleshooting.excerpt.md").read_text()
    assert "it can take up to 10 minutes for changes to take effect" in text
    assert seconds(ROLE_ASSIGNMENT_PROPAGATION) == 600 == ROLE_ASSIGNMENT_PROPAGATION_S
    go = (
        ROOT / "upstream" / "terraform-provider-azurerm" / "role_definition_resource.go.txt"
    ).read_text()
    update = go.split("to settle down..", 1)[1]
    delay = int(re.search(r"Delay:\s+(\d+) \* time.Second", update)[1])  # type: ignore[index]
    reads = int(re.search(r"ContinuousTargetOccurence: (\d+)", update)[1])  # type: ignore[index]
    every = int(re.search(r"MinTimeout:\s+(\d+) \* time.Second", update)[1])  # type: ignore[index]
    assert seconds(ROLE_DEFINITION_PROPAGATION) == delay + reads * every
    assert delay + reads * every == ROLE_DEFINITION_PROPAGATION_S


@pytest.mark.parametrize("application", ["storefront", "loyalty"])
def test_the_onboarding_ends_with_a_wait_for_every_grant_it_makes(
    platform: OfflineRun, application: str
) -> None:
    grants = _onboarding_grants(platform, application)
    [wait] = [r for r in platform.by_type(SLEEP) if r.name == f"{application}-grants-propagation"]
    assert wait.inputs["createDuration"] == ROLE_ASSIGNMENT_PROPAGATION
    assert {g.urn for g in grants} <= set(wait.depends_on)
    # It sleeps again when a grant or either identity changes (a new secret, a new scope).
    triggers = wait.inputs["triggers"]
    assert triggers["deploy"] == identity_principal_id(f"{application}-deploy")
    assert triggers["preview"] == identity_principal_id(f"{application}-preview")
    assert set(triggers["grants"].split(",")) == {g.name for g in grants}


def _platform_plan() -> Plan:
    return record("platform-dev", deploy_services=False)


def _without(plan: Plan, names: set[str], rewire: dict[str, tuple[str, ...]] | None = None) -> Plan:
    """The plan without the Sleeps named (what the old code built); `rewire`: the URN a removed
    Sleep stood for → what its dependents waited on instead."""
    removed = {r.urn for r in plan if r.type == SLEEP and r.name in names}
    assert removed, names
    resources = {}
    for urn, resource in plan.resources.items():
        if urn in removed:
            continue
        depends = [d for d in resource.depends_on if d not in removed]
        for gone in set(resource.depends_on) & removed:
            depends += list((rewire or {}).get(gone, ()))
        options = {**resource.options, "dependsOn": depends}
        resources[urn] = dataclasses.replace(resource, options=options)
    return dataclasses.replace(plan, resources=resources)


@pytest.mark.slow
def test_the_platform_run_as_built_leaves_no_grant_unpropagated_and_without_the_wait_it_does() -> (
    None
):
    plan = _platform_plan()
    phase, _ = replay("platform first deploy", plan, World())
    rules = {r.rule for r in phase.refusals}
    assert "onboarding-grant-not-propagated" not in rules, phase.refusals
    assert "custom-role-definition-not-settled" not in rules, phase.refusals

    old = _without(plan, {"storefront-grants-propagation", "loyalty-grants-propagation"})
    phase, _ = replay("platform first deploy, no wait", old, World())
    refused = [r for r in phase.refusals if r.rule == "onboarding-grant-not-propagated"]
    assert refused
    assert {r.urn.rsplit("::", 1)[-1] for r in refused} >= {
        "storefront-deploy-cluster-user",
        "storefront-deploy-group",
        "loyalty-deploy-loyalty-writer",
    }
    assert "Azure takes up to 600 s" in refused[0].why


@pytest.mark.slow
def test_a_custom_role_assigned_right_after_its_definition_is_refused() -> None:
    """The old code: each assignment depended on its definition only."""
    plan = _platform_plan()
    definitions = tuple(r.urn for r in plan if r.type == ROLE_DEFINITION)
    roles_wait = next(r.urn for r in plan if r.name == "application-roles-propagation")
    old = _without(plan, {"application-roles-propagation"}, {roles_wait: definitions})
    phase, _ = replay("platform first deploy, no definitions wait", old, World())
    refused = [r for r in phase.refusals if r.rule == "custom-role-definition-not-settled"]
    assert any(r.urn.endswith("::storefront-grant-owned-0") for r in refused), refused
    assert "written in this run, 0 s after it" in refused[0].why


def test_every_custom_role_assignment_waits_for_the_definitions_to_settle(
    platform: OfflineRun,
) -> None:
    [wait] = [r for r in platform.by_type(SLEEP) if r.name == "application-roles-propagation"]
    assert wait.inputs["createDuration"] == ROLE_DEFINITION_PROPAGATION
    definitions = _definitions(platform)
    assert {d.urn for d in definitions.values()} <= set(wait.depends_on)
    # Triggered by each definition's content: its actions and assignable scopes.
    granter = json.loads(wait.inputs["triggers"]["granter"])
    assert any("rg-storefront-messaging-dev" in s for s in granter["scopes"])
    custom = [
        r
        for r in platform.by_type(ROLE_ASSIGNMENT)
        if str(r.inputs["roleDefinitionId"]).rsplit("/", 1)[-1] in definitions
    ]
    assert custom
    assert all(wait.urn in r.depends_on for r in custom)


# --- 1.9 The role id assignments send; the granter's assignable scopes ------------------------


def test_custom_role_assignments_name_the_subscription_level_role_id(platform: OfflineRun) -> None:
    """Not the id of a definition written at a resource group (`/resourceGroups/...` in it)."""
    example = (RBAC_DOCS / "custom-roles-rest.excerpt.md").read_text()
    documented = re.compile(
        r"^/subscriptions/[^/]+/providers/Microsoft\.Authorization/roleDefinitions/[0-9a-f-]{36}$"
    )
    assert re.search(r'"id": "(/subscriptions/[^"]+)"', example)[1]  # type: ignore[index]
    assert documented.match(re.search(r'"id": "(/subscriptions/[^"]+)"', example)[1])  # type: ignore[index]
    definitions = _definitions(platform)
    ids = [
        str(r.inputs["roleDefinitionId"])
        for r in platform.by_type(ROLE_ASSIGNMENT)
        if str(r.inputs["roleDefinitionId"]).rsplit("/", 1)[-1] in definitions
    ]
    assert ids
    assert all(documented.match(i) for i in ids), ids


def test_a_custom_role_is_written_at_its_first_assignable_scope(platform: OfflineRun) -> None:
    """The REST docs: the PUT's scope is the first assignableScopes; the others (each
    application's grantScopes) may be other groups."""
    assert (
        "replace *{scope}* with the first `assignableScopes`"
        in (RBAC_DOCS / "custom-roles-rest.excerpt.md").read_text()
    )
    for definition in platform.by_type(ROLE_DEFINITION):
        assert definition.inputs["scope"] == definition.inputs["assignableScopes"][0]


def _platform_with(applications: list[dict[str, Any]]) -> Any:
    stack = example_stack("platform-dev")
    values = {**stack.values, "platform:applications": json.dumps(applications)}
    return dataclasses.replace(stack, values=values)


def test_a_grant_scope_that_is_not_a_group_or_resource_and_a_subject_without_repository_are_refused() -> (
    None
):
    stack = _platform_with(
        [
            {
                "name": "storefront",
                "ciSubject": "repo:o/storefront:environment:storefront-dev",
                "grantScopes": ["/subscriptions/00000000-0000-0000-0000-000000000000"],
            },
            {"name": "loyalty", "ciSubject": "loyalty-pipeline"},
        ]
    )
    with pytest.raises(ProgramFailed) as raised:
        run_offline(stack, build)
    assert raised.value.run.resources == []
    text = str(raised.value.__cause__)
    assert "platform:applications[storefront].grantScopes[0]" in text
    assert "is not a resource group or a resource in one" in text
    assert "it must exist before the platform deploys" in text
    assert "platform:applications[loyalty].previewSubject" in text


# --- 2.2 The granter may grant only its services' roles, only to service principals ---------


def test_the_granter_condition_is_the_documented_template_with_our_roles() -> None:
    """ "Constrain roles and principal types", with the roles and the principal type replaced."""
    text = (RBAC_DOCS / "delegate-role-assignments-examples.excerpt.md").read_text()
    template = re.search(r'\$condition = "(.+)"', text)[1]  # type: ignore[index]
    roles = sorted({KEY_VAULT_SECRETS_USER_ROLE, READER_ROLE})
    expected = template.replace(
        "5e467623-bb1f-42f4-a55d-6e525e11384b, a795c7a0-d4a2-40c1-ae25-d81f01202912",
        ", ".join(roles),
    ).replace("{'User', 'Group'}", "{'ServicePrincipal'}")
    assert granter_condition(roles) == expected
    assert '$conditionVersion = "2.0"' in text
    assert CONDITION_VERSION == "2.0"
    # The attributes: the request's for write, the resource's for delete.
    attributes = (RBAC_DOCS / "conditions-authorization-actions-attributes.excerpt.md").read_text()
    for name in ("RoleDefinitionId", "PrincipalType"):
        assert f"`Microsoft.Authorization/roleAssignments:{name}`" in attributes
    assert "ServicePrincipal" in attributes


def test_the_sdk_takes_a_condition_and_its_version() -> None:
    parameters = inspect.signature(authorization.RoleAssignment._internal_init).parameters
    assert {"condition", "condition_version"} <= set(parameters)
    assert "the only accepted value is '2.0'" in (
        authorization.RoleAssignmentArgs.condition_version.__doc__ or ""
    )


def test_each_granter_assignment_is_constrained_to_its_services_roles(platform: OfflineRun) -> None:
    granter = next(
        guid for guid, d in _definitions(platform).items() if d.name == "application-granter"
    )
    assignments = [
        r
        for r in platform.by_type(ROLE_ASSIGNMENT)
        if str(r.inputs["roleDefinitionId"]).endswith(granter)
    ]
    assert assignments
    for assignment in assignments:
        assert assignment.inputs["conditionVersion"] == "2.0"
        on_secret = "/secrets/" in str(assignment.inputs["scope"])
        roles = {KEY_VAULT_SECRETS_USER_ROLE} if on_secret else SERVICE_ROLES
        assert assignment.inputs["condition"] == granter_condition(roles), assignment.name
    # Nothing else carries a condition.
    others = [r for r in platform.by_type(ROLE_ASSIGNMENT) if r not in assignments]
    assert not [r.name for r in others if r.inputs.get("condition")]


# --- 2.3 A read-only preview identity per application ----------------------------------------


@pytest.mark.parametrize("application", ["storefront", "loyalty"])
def test_the_preview_identity_reads_and_writes_nothing(
    platform: OfflineRun, application: str
) -> None:
    principal = identity_principal_id(f"{application}-preview")
    definitions = _definitions(platform)
    roles: dict[str, set[str]] = {}
    for assignment in platform.by_type(ROLE_ASSIGNMENT):
        if assignment.inputs["principalId"] == principal:
            role = str(assignment.inputs["roleDefinitionId"]).rsplit("/", 1)[-1]
            roles.setdefault(role, set()).add(str(assignment.inputs["scope"]))
    reader = next(g for g, d in definitions.items() if d.name == "application-kubernetes-reader")
    assert set(roles) == {READER_ROLE, AKS_RBAC_READER_ROLE, AKS_CLUSTER_USER_ROLE, reader}
    # Its custom role reads custom resources, nothing else.
    permissions = definitions[reader].inputs["permissions"]
    assert permissions == [{"actions": [], "dataActions": list(KUBERNETES_READ_DATA_ACTIONS)}]
    assert all(a.endswith("/read") for a in KUBERNETES_READ_DATA_ACTIONS)
    # The built-in roles as Azure documents them: no write, no delete.
    built_in = {
        r["name"]: r
        for r in json.loads((ROOT / "upstream/azure-built-in-roles/roles.json").read_text())
    }
    for guid in (AKS_RBAC_READER_ROLE, AKS_CLUSTER_USER_ROLE):
        [permission] = built_in[guid]["permissions"]
        granted = [*permission["actions"], *permission["dataActions"]]
        assert granted, guid
        assert not [a for a in granted if a.endswith(("/write", "/delete"))], guid
    # Where: its namespaces for Kubernetes, the cluster for the kubeconfig.
    assert {s.rsplit("/", 1)[-1] for s in roles[AKS_RBAC_READER_ROLE]} == {
        application,
        f"{application}-jobs",
    }
    assert len(roles[AKS_CLUSTER_USER_ROLE]) == 1
    # Nothing of the platform's group itself: its own group, secrets, the environment, the zone.
    assert not [s for s in roles[READER_ROLE] if s.endswith("/resourceGroups/rg-shop-dev")]


@pytest.mark.parametrize("application", ["storefront", "loyalty"])
def test_the_preview_identity_is_federated_with_its_preview_environment_and_exported(
    platform: OfflineRun, application: str
) -> None:
    text = (ROOT / "upstream/github-docs/oidc-subject.excerpt.md").read_text()
    assert (
        "The subject claim includes the environment name when the job references an environment."
        in text
    )
    assert "`repo:ORG-NAME/REPO-NAME:environment:ENVIRONMENT-NAME`" in text
    [credential] = [
        r
        for r in platform.by_type("azure-native:managedidentity:FederatedIdentityCredential")
        if r.name == f"{application}-preview-ci"
    ]
    environment = preview_environment(application, "dev")
    assert credential.inputs["subject"] == (f"repo:example-org/platform:environment:{environment}")
    assert platform.outputs[PREVIEW_IDENTITIES_OUTPUT][application] == identity_client_id(
        f"{application}-preview"
    )


def test_a_preview_subject_is_taken_as_written() -> None:
    app = OnboardedApplication(
        name="shop", ci_subject="deploy", preview_subject="repo:o/r:pull_request"
    )
    assert preview_subject(app, "dev") == "repo:o/r:pull_request"
    derived = OnboardedApplication(name="shop", ci_subject="repo:o@1/r@2:environment:shop-dev")
    assert preview_subject(derived, "prod") == "repo:o@1/r@2:environment:shop-prod-preview"


# --- A change to a running platform: a new grant scope ---------------------------------------


def _plan_of(stack: Any) -> Plan:
    from infra.preview.snapshot import to_snapshot
    from infra.simulate.scenario import parsed_config

    values = {**stack.values, "platform:deployServices": "false"}
    run = run_offline(dataclasses.replace(stack, values=values), build)
    return Plan.from_snapshot(to_snapshot(run), parsed_config(values))


def _with_loyalty_scope() -> Any:
    stack = example_stack("platform-dev")
    applications = json.loads(stack.values["platform:applications"])
    for app in applications:
        if app["name"] == "loyalty":
            app["grantScopes"] = [
                "/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/rg-loyalty-dev"
            ]
    return _platform_with(applications)


@pytest.mark.slow
def test_a_new_grant_scope_on_a_running_platform_waits_for_the_updated_definition_and_grants() -> (
    None
):
    """The granter's assignableScopes grow and loyalty gets a new grant: both waits sleep again
    (their triggers changed), so the new assignment follows the updated definition by 180 s and
    the run ends 600 s after it. Without the content trigger (the definitions' wait unchanged)
    or without the grants' names in the onboarding's trigger, they are refused."""
    base = _platform_plan()
    world = replay("base", base, World())[1]
    head = _plan_of(_with_loyalty_scope())
    phase, _ = replay("head", head, world)
    new = "loyalty-grant-owned-0"
    assert any(s.urn.endswith(f"::{new}") for s in phase.steps)
    assert [r for r in phase.refusals if r.rule.startswith(("onboarding", "custom-role"))] == []

    def frozen(plan: Plan, names: set[str]) -> Plan:
        """`names`' Sleeps with the base's triggers: they do not sleep again."""
        resources = dict(plan.resources)
        for urn, resource in plan.resources.items():
            if resource.type == SLEEP and resource.name in names:
                inputs = {**resource.inputs, "triggers": base.resources[urn].inputs["triggers"]}
                resources[urn] = dataclasses.replace(resource, inputs=inputs)
        return dataclasses.replace(plan, resources=resources)

    phase, _ = replay(
        "head, definitions' wait not triggered",
        frozen(head, {"application-roles-propagation"}),
        world,
    )
    refused = {
        r.urn.rsplit("::", 1)[-1]
        for r in phase.refusals
        if r.rule == "custom-role-definition-not-settled"
    }
    assert new in refused
    phase, _ = replay(
        "head, grants' wait not triggered", frozen(head, {"loyalty-grants-propagation"}), world
    )
    refused = {
        r.urn.rsplit("::", 1)[-1]
        for r in phase.refusals
        if r.rule == "onboarding-grant-not-propagated"
    }
    assert refused == {new, "loyalty-preview-owned-0-reader"}


def test_the_application_stack_grants_only_what_the_granter_condition_admits(
    platform: OfflineRun,
) -> None:
    """Every role assignment the storefront's stack makes where it holds the granter role is one
    the condition lets through: a role among those listed, to a service principal."""
    application = run_offline(example_stack("storefront-dev"), build)
    granter = next(
        guid for guid, d in _definitions(platform).items() if d.name == "application-granter"
    )
    conditions = {
        str(r.inputs["scope"]).lower(): str(r.inputs["condition"])
        for r in platform.by_type(ROLE_ASSIGNMENT)
        if str(r.inputs["roleDefinitionId"]).endswith(granter)
        and r.inputs["principalId"] == identity_principal_id("storefront-deploy")
    }
    assignments = application.by_type(ROLE_ASSIGNMENT)
    assert len(assignments) >= 4  # its secrets' readers and its messaging group's roles
    for assignment in assignments:
        scope = str(assignment.inputs["scope"]).lower()
        found = [c for s, c in conditions.items() if scope == s or scope.startswith(s + "/")]
        assert found, f"{assignment.name}: no granter at {scope}"
        role = str(assignment.inputs["roleDefinitionId"]).rsplit("/", 1)[-1].lower()
        listed = re.search(r"GuidEquals \{([^}]*)\}", found[0])[1].split(", ")  # type: ignore[index]
        assert role in listed, assignment.name
        assert assignment.inputs["principalType"] == "ServicePrincipal", assignment.name
