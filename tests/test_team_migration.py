"""Migration from one stack (docs/team-stacks.md, "Migration from one stack"), on the reference
plan (`tests/apps`): the storefront leaves the single stack `dev` for its own stack, `dev`
becomes its platform stack, and neither stack's next preview replaces or deletes a running
resource (the preview's own replacement rules: `infra.preview.diff`)."""

from __future__ import annotations

import contextlib
import io
import json
import re
from pathlib import Path
from typing import Any

import pytest

from infra.config import OnboardedApplication, PlatformConfig, StackMode
from infra.config_loader import platform_config_from_values
from infra.config_rules import onboarded_applications
from infra.constants import ADOPTABLE_TYPES, CONTRIBUTOR_ROLE
from infra.exit_codes import Exit
from infra.plan.kinds import CONTAINER_APP, ROLE_ASSIGNMENT, ROLE_DEFINITION
from infra.preview.changes import Operation
from infra.preview.mocks import identity_principal_id
from infra.preview.stackfile import read_stack
from infra.stacks.__main__ import main
from infra.stacks.authorization import VERBS, WRITE, granted_by, refused, required, target_of
from infra.stacks.contract import CONTRACT_OUTPUT, parse_contract
from infra.stacks.migrate import Migration, check, engine_urns, plan_migration
from infra.stacks.platform import ADOPTED_ACTIONS, deploy_identity_name

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def migration() -> Migration:
    return plan_migration("dev", "storefront")


def _engine_tails(plan: dict[str, Any]) -> set[str]:
    return set(engine_urns(plan))


def test_no_resource_is_replaced_or_deleted_by_either_stack(migration: Migration) -> None:
    assert migration.replaced == ()
    for result in (migration.platform_diff, migration.application_diff):
        assert not [c.urn for c in result.changes if c.operation is Operation.REPLACE]
    # The application's resources, moved, are its stack's state as its program declares it:
    # the contract stand-in is new; nothing else changes at all (not even a tag: an updated
    # identity would preview its role assignments as replaced).
    changes = migration.application_diff.changes
    assert [(c.operation, c.type) for c in changes] == [
        (Operation.CREATE, "platform:stacks:PlatformContract")
    ]
    # The shared ingress is the platform stack's too (same URNs): nothing is deleted.
    assert not [c.urn for c in migration.platform_diff.changes if c.operation is Operation.DELETE]


def test_every_resource_of_the_single_stack_lands_in_exactly_one_stack(
    migration: Migration,
) -> None:
    singles = _engine_tails(migration.single_plan)
    platform = _engine_tails(migration.platform_plan)
    application = _engine_tails(migration.application_plan)
    assert migration.in_both == ()
    assert not singles & platform & application
    # The shared ingress included (the platform stack builds it): nothing is left behind.
    assert migration.in_neither == ()
    assert not singles - platform - application
    moved = {urn.split("::", 2)[2] for urn in migration.moved}
    assert moved == singles & application
    assert migration.kept == len(singles & platform)
    assert migration.kept + len(moved) + len(migration.in_neither) == len(singles)
    # What the application stack adds: the contract stand-in and its own provider only.
    assert sorted(application - singles) == [
        "platform:stacks:PlatformContract$pulumi:providers:kubernetes::aks",
        "platform:stacks:PlatformContract::platform",
    ]


def test_the_state_move_lists_every_moved_urn_as_the_engine_names_it(
    migration: Migration,
) -> None:
    text = "\n".join(migration.lines())
    assert (
        "pulumi state move --source example-org/platform/dev "
        "--dest example-org/platform/storefront-dev --yes" in text
    )
    quoted = re.findall(r"'(urn:pulumi:[^']+)'", text)
    assert quoted == list(migration.moved)
    assert len(quoted) > 50
    # The engine's URNs: the whole parent type chain, never the root stack's type (the mock
    # monitor's URNs carry only the parent's last type, root stack included).
    assert not [u for u in quoted if "pulumi:pulumi:Stack" in u]
    assert "urn:pulumi:dev::platform::platform:services:AksService$platform:services:" not in text
    # Every child of a moved resource is moved too (state move would take it anyway).
    by_urn = {r["urn"]: r for r in migration.single_plan["resources"]}
    moved_mock = {
        r["urn"]
        for tail, r in engine_urns(migration.single_plan).items()
        if f"urn:pulumi:dev::platform::{tail}" in migration.moved
    }
    children = {u for u, r in by_urn.items() if r.get("parent") in moved_mock}
    assert children <= moved_mock
    # No provider is listed: state move refuses providers and copies them itself.
    assert not [u for u in quoted if "::pulumi:providers:" in u.rsplit("$", 1)[-1]]
    # The order of the steps.
    steps = [text.index(f"\n{n}. ") for n in (1, 2, 3, 4)]
    assert steps == sorted(steps)
    assert "pulumi stack init example-org/platform/storefront-dev" in text
    assert "platform:mode: platform" in text


def test_the_application_keeps_its_azure_resources_where_they_are(migration: Migration) -> None:
    """Adopted: its Container Apps and identities stay in the platform's group (a group is part
    of an Azure id: a changed resourceGroupName replaces), and its contract grant says so."""
    adopted = migration.adopted
    single = migration.single_plan["resources"]
    mine = [
        r
        for r in single
        if r["type"] in ADOPTABLE_TYPES
        and r["urn"].split("::")[-1]
        in {r2["name"] for r2 in migration.application_plan["resources"]}
    ]
    assert len(adopted) == len(mine) == 10
    assert {a.split("/")[4] for a in adopted} == {"rg-shop-dev"}
    contract = parse_contract(migration.platform_plan["outputs"][CONTRACT_OUTPUT])
    grant = contract.application("storefront")
    assert grant is not None
    assert grant.resource_group == contract.resource_group == "rg-shop-dev"
    groups = {
        r["inputs"]["resourceGroupName"]
        for r in migration.application_plan["resources"]
        if r["type"].startswith("azure-native:") and "resourceGroupName" in r["inputs"]
    }
    assert groups == {"rg-shop-dev"}


def _assignments(plan: dict[str, Any], principal: str) -> list[dict[str, Any]]:
    return [
        r["inputs"]
        for r in plan["resources"]
        if r["type"] == "azure-native:authorization:RoleAssignment"
        and r["inputs"]["principalId"] == principal
    ]


def test_the_adopted_role_is_on_each_adopted_resource_and_nowhere_else(
    migration: Migration,
) -> None:
    """Least privilege: no Contributor on the platform's group (its own identities are there);
    the `adopted` role on each adopted resource's id, which exists (Azure RBAC scopes are
    resources), and its own group is not created since nothing would be in it."""
    plan = migration.platform_plan
    principal = identity_principal_id("storefront-deploy")
    roles = {
        r["inputs"]["roleName"].rsplit("-", 1)[-1]: r
        for r in plan["resources"]
        if r["type"] == "azure-native:authorization:RoleDefinition"
    }
    adopted_role = roles["adopted"]["inputs"]
    assert [p["actions"] for p in adopted_role["permissions"]] == [list(ADOPTED_ACTIONS)]
    scopes = {
        a["scope"]
        for a in _assignments(plan, principal)
        if a["roleDefinitionId"].endswith(adopted_role["roleDefinitionId"])
    }
    assert scopes == set(migration.adopted)
    group = "/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/rg-shop-dev"
    for assignment in _assignments(plan, principal):
        assert assignment["scope"].lower() != group.lower(), assignment
        assert not assignment["roleDefinitionId"].endswith(CONTRIBUTOR_ROLE), assignment
        if assignment["scope"].lower().startswith(group.lower() + "/"):
            assert (
                assignment["scope"]
                .lower()
                .startswith(tuple(a.lower() for a in adopted_role["assignableScopes"]))
            )
    assert not [
        r
        for r in plan["resources"]
        if r["type"] == "azure-native:resources:ResourceGroup" and "storefront" in r["name"]
    ]
    # Every Azure resource the application stack writes in the platform's group is covered:
    # an adopted resource, a federated credential of an adopted identity, or what the
    # deployer role covers already (its records in the zone, its certificates).
    covered = {a.lower() for a in migration.adopted}
    for resource in migration.application_plan["resources"]:
        inputs = resource["inputs"]
        if resource["type"] in ADOPTABLE_TYPES:
            rid = resource["computed"][0]["value"].lower()
            assert rid in covered, resource["urn"]
        elif resource["type"] == "azure-native:managedidentity:FederatedIdentityCredential":
            parent = f"{group}/providers/microsoft.managedidentity/userassignedidentities/"
            assert (parent + inputs["resourceName"]).lower() in covered, resource["urn"]


def test_the_adopted_application_deploys_within_what_the_platform_grants(
    migration: Migration,
) -> None:
    """The least-privilege proof (infra/stacks/authorization.py) on the migrated pair: every
    resource the application stack writes (or deletes), the adopted ones in the platform's group
    included, is allowed by a role the migrated platform assigns its identity."""
    plan, application = migration.platform_plan, migration.application_plan
    held = granted_by(
        (r["inputs"] for r in plan["resources"] if r["type"] == ROLE_ASSIGNMENT),
        (r["inputs"] for r in plan["resources"] if r["type"] == ROLE_DEFINITION),
        identity_principal_id(deploy_identity_name("storefront")),
    )
    target = target_of(parse_contract(plan["outputs"][CONTRACT_OUTPUT]))
    problems = [
        f"{r['type']} {r['name']}: {need.words()}"
        for r in application["resources"]
        for verb in VERBS
        for need in refused(required(r["type"], r["inputs"], verb, target, r["name"]), held)
    ]
    assert not problems, "\n".join(problems)
    # Without the adopted role the adopted Container Apps are outside (the platform's group).
    adopted = next(r for r in plan["resources"] if r["name"] == "application-adopted")
    narrowed = [a for a in held if a.role_id != adopted["inputs"]["roleDefinitionId"].lower()]
    app = next(r for r in application["resources"] if r["type"] == CONTAINER_APP)
    assert refused(required(app["type"], app["inputs"], WRITE, target, app["name"]), narrowed)


def test_the_adopted_actions_are_azure_operations() -> None:
    folder = ROOT / "upstream" / "azure-docs-permissions"
    published = {
        match.lower()
        for path in folder.glob("*.excerpt.md")
        for match in re.findall(r"^> \| ([\w./]+) \|", path.read_text(), flags=re.M)
    }
    assert [a for a in ADOPTED_ACTIONS if a.lower() not in published] == []


# --- Refused ---------------------------------------------------------------------------------


def test_an_application_that_is_not_declared_is_refused() -> None:
    with pytest.raises(
        LookupError,
        match=r"--application checkout: no application of that "
        r"name is declared .*declared: storefront",
    ):
        plan_migration("dev", "checkout")


def test_a_team_stack_is_not_a_single_stack_to_migrate_from() -> None:
    with pytest.raises(LookupError, match="is a platform stack, not a single stack"):
        plan_migration("platform-dev", "storefront")


def test_a_resource_that_would_land_in_both_stacks_is_refused(migration: Migration) -> None:
    """The check has teeth: a resource both programs register (here: one of the application's
    identities also declared by the platform) is named, and the migration is refused."""
    resources = {r["urn"]: r for r in migration.application_plan["resources"]}
    identity = next(
        r
        for r in resources.values()
        if r["type"] == "azure-native:managedidentity:UserAssignedIdentity"
    )
    # The identity and its parent component, as the platform program would register them.
    pair = [identity, resources[identity["parent"]]]
    duplicated = json.loads(
        json.dumps(pair).replace("urn:pulumi:storefront-dev::", "urn:pulumi:dev::")
    )
    platform = {
        **migration.platform_plan,
        "resources": [*migration.platform_plan["resources"], *duplicated],
    }
    refused = check(
        migration.single_plan,
        platform,
        migration.application_plan,
        migration.application_config,
        migration.onboarding,
        "storefront",
        "dev",
        "storefront-dev",
        False,
    )
    tail = next(t for t, r in engine_urns(migration.application_plan).items() if r is identity)
    assert tail in refused.in_both
    assert f"{tail}: in both the platform and the application stack" in refused.problems


def test_a_migration_that_would_replace_is_refused(migration: Migration) -> None:
    """Without adoption (its resources in a group of its own) the application's Container Apps
    and identities would be replaced: the check names each with the replacing property."""
    app = json.loads(
        json.dumps(migration.application_plan).replace(
            '"resourceGroupName": "rg-shop-dev"', '"resourceGroupName": "rg-shop-dev-storefront"'
        )
    )
    refused = check(
        migration.single_plan,
        migration.platform_plan,
        app,
        migration.application_config,
        migration.onboarding,
        "storefront",
        "dev",
        "storefront-dev",
        False,
    )
    assert any("ContainerApp::web (resourceGroupName)" in r for r in refused.replaced)
    assert any(
        "UserAssignedIdentity::catalog-api-identity (resourceGroupName)" in r
        for r in refused.replaced
    )


def _platform_config(**adopted: tuple[str, ...]) -> PlatformConfig:
    values = {k.split(":", 1)[1]: v for k, v in read_stack("dev").values.items() if ":" in k}
    config = platform_config_from_values(values)
    assert isinstance(config, PlatformConfig)
    apps = tuple(
        OnboardedApplication(name=name, ci_subject=f"repo:o/{name}:environment:dev", adopted=ids)
        for name, ids in adopted.items()
    )
    return config.model_copy(update={"mode": StackMode.PLATFORM, "applications": apps})


def test_an_adopted_id_outside_the_platform_group_or_of_another_type_is_refused() -> None:
    group = "/subscriptions/s/resourceGroups/rg-shop-dev"
    config = _platform_config(
        storefront=(
            f"{group}/providers/Microsoft.App/containerApps/web",
            "/subscriptions/s/resourceGroups/rg-other/providers/Microsoft.App/containerApps/x",
            f"{group}/providers/Microsoft.KeyVault/vaults/kv-shop-dev",
        ),
        loyalty=(f"{group}/providers/Microsoft.App/containerApps/web",),
    )
    text = "\n".join(str(p) for p in onboarded_applications(config))
    assert "rg-other/providers/Microsoft.App/containerApps/x" in text
    assert "Microsoft.KeyVault/vaults/kv-shop-dev" in text
    assert (
        "is not a Container App or user-assigned identity in the platform's resource group" in text
    )
    assert "is claimed by 2 applications (storefront, loyalty)" in text
    # The one right id (in the platform's group, a Container App) is refused only as claimed
    # twice.
    web = f"{group}/providers/Microsoft.App/containerApps/web"
    assert not [p for p in onboarded_applications(config) if p.value == web]
    assert "containerapps/web is claimed by 2 applications" in text.lower()


def test_the_command_prints_the_steps_and_exits_by_the_check() -> None:
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        code = main(["migrate", "--from", "dev", "--application", "storefront"])
    text = out.getvalue()
    assert "pulumi state move --source example-org/platform/dev" in text
    assert "Azure resource moves: none" in text
    assert "problem(s): the migration would break something" not in text
    assert code == Exit.OK
    err = io.StringIO()
    with contextlib.redirect_stderr(err):
        assert main(["migrate", "--from", "dev", "--application", "nope"]) == Exit.ERROR
    assert "no application of that name is declared" in err.getvalue()


def test_the_deployed_ids_come_from_the_state_export(tmp_path: Path, migration: Migration) -> None:
    """Pulumi names an identity with a random suffix: its deployed id is read from `pulumi stack
    export` of the single stack, by the engine URN."""
    urn = next(
        u for u in migration.moved if u.endswith("UserAssignedIdentity::catalog-api-identity")
    )
    deployed = (
        "/subscriptions/1/resourceGroups/rg-shop-dev/providers/"
        "Microsoft.ManagedIdentity/userAssignedIdentities/catalog-api-identity9f3a1c"
    )
    export = {"deployment": {"resources": [{"urn": urn, "id": deployed}]}}
    path = tmp_path / "dev.json"
    path.write_text(json.dumps(export))
    found = plan_migration("dev", "storefront", state=str(path))
    assert deployed in found.adopted
    assert found.ids_from_state
    assert "--state" not in "\n".join(found.lines())
