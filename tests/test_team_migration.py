"""Migration from one stack (docs/team-stacks.md, "Migration from one stack"), on the reference
plans: every application of the single stack `dev` leaves it for its own stack in one run, `dev`
becomes their platform stack, and no stack's next preview replaces or deletes a running
resource (the preview's own replacement rules: `infra.preview.diff`). `tests/apps` has one
application (the storefront); `tests/team_apps` two, the loyalty application calling the
storefront's services (`PLATFORM_APPS=tests.team_apps`)."""

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
from infra.services.loader import APPS_ENV
from infra.stacks.__main__ import main
from infra.stacks.authorization import (
    VERBS,
    WRITE,
    Assignment,
    Target,
    granted_by,
    refused,
    required,
    target_of,
)
from infra.stacks.contract import CONTRACT_OUTPUT, parse_contract
from infra.stacks.migrate import (
    ApplicationStack,
    Migration,
    MovedApplication,
    check,
    engine_urns,
    plan_migration,
)
from infra.stacks.platform import ADOPTED_ACTIONS, deploy_identity_name

ROOT = Path(__file__).resolve().parents[1]


TEAM_APPS = "tests.team_apps"


@pytest.fixture(scope="module")
def migration() -> Migration:
    """`migrate --from dev` of the suite's stack: its one application, the storefront."""
    return plan_migration("dev")


@pytest.fixture(scope="module")
def storefront(migration: Migration) -> MovedApplication:
    return migration.application("storefront")


@pytest.fixture(scope="module", params=["dev", "prod"])
def team(request: pytest.FixtureRequest) -> Migration:
    """`migrate --from <env>` of a single stack deploying two applications, one calling the
    other's services (tests/team_apps)."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv(APPS_ENV, TEAM_APPS)
        return plan_migration(request.param)


def _engine_tails(plan: dict[str, Any]) -> set[str]:
    return set(engine_urns(plan))


def _tails(urns: tuple[str, ...]) -> set[str]:
    return {urn.split("::", 2)[2] for urn in urns}


def test_no_resource_is_replaced_or_deleted_by_either_stack(
    migration: Migration, storefront: MovedApplication
) -> None:
    assert migration.replaced == ()
    assert migration.problems == ()
    for result in (migration.platform_diff, storefront.diff):
        assert not [c.urn for c in result.changes if c.operation is Operation.REPLACE]
    # The application's resources, moved, are its stack's state as its program declares it:
    # the contract stand-in is new; nothing else changes at all (not even a tag: an updated
    # identity would preview its role assignments as replaced).
    changes = storefront.diff.changes
    assert [(c.operation, c.type) for c in changes] == [
        (Operation.CREATE, "platform:stacks:PlatformContract")
    ]
    # The shared ingress is the platform stack's too (same URNs): nothing is deleted.
    assert not [c.urn for c in migration.platform_diff.changes if c.operation is Operation.DELETE]


def test_every_resource_of_the_single_stack_lands_in_exactly_one_stack(
    migration: Migration, storefront: MovedApplication
) -> None:
    singles = _engine_tails(migration.single_plan)
    platform = _engine_tails(migration.platform_plan)
    application = _engine_tails(storefront.plan)
    assert migration.in_several == ()
    assert not singles & platform & application
    # The shared ingress included (the platform stack builds it): nothing is left behind.
    assert migration.in_neither == ()
    assert not singles - platform - application
    assert _tails(storefront.moved) == singles & application
    assert migration.kept == len(singles & platform)
    assert migration.kept + len(storefront.moved) + len(migration.in_neither) == len(singles)
    # What the application stack adds: the contract stand-in and its own provider only.
    assert sorted(application - singles) == [
        "platform:stacks:PlatformContract$pulumi:providers:kubernetes::aks",
        "platform:stacks:PlatformContract::platform",
    ]


def test_the_state_move_lists_every_moved_urn_as_the_engine_names_it(
    migration: Migration, storefront: MovedApplication
) -> None:
    text = "\n".join(migration.lines())
    assert (
        "pulumi state move --source example-org/platform/dev "
        "--dest example-org/platform/storefront-dev --yes" in text
    )
    quoted = re.findall(r"'(urn:pulumi:[^']+)'", text)
    assert quoted == list(storefront.moved)
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
        if f"urn:pulumi:dev::platform::{tail}" in storefront.moved
    }
    children = {u for u, r in by_urn.items() if r.get("parent") in moved_mock}
    assert children <= moved_mock
    # No provider is listed: state move refuses providers and copies them itself.
    assert not [u for u in quoted if "::pulumi:providers:" in u.rsplit("$", 1)[-1]]
    # The order of the steps: the platform's config, the application stacks, the state moves,
    # the previews (the platform's first).
    steps = [text.index(f"\n{n}. ") for n in (1, 2, 3, 4)]
    assert steps == sorted(steps)
    assert steps[0] < text.index("platform:mode: platform") < steps[1]
    assert steps[1] < text.index("pulumi stack init example-org/platform/storefront-dev")
    assert steps[2] < text.index("pulumi state move") < steps[3]
    assert steps[3] < text.index("pulumi preview --stack dev")


def test_the_application_keeps_its_azure_resources_where_they_are(
    migration: Migration, storefront: MovedApplication
) -> None:
    """Adopted: its Container Apps and identities stay in the platform's group (a group is part
    of an Azure id: a changed resourceGroupName replaces), and its contract grant says so."""
    adopted = storefront.adopted
    single = migration.single_plan["resources"]
    mine = [
        r
        for r in single
        if r["type"] in ADOPTABLE_TYPES
        and r["urn"].split("::")[-1] in {r2["name"] for r2 in storefront.plan["resources"]}
    ]
    assert len(adopted) == len(mine) == 10
    assert {a.split("/")[4] for a in adopted} == {"rg-shop-dev"}
    contract = parse_contract(migration.platform_plan["outputs"][CONTRACT_OUTPUT])
    grant = contract.application("storefront")
    assert grant is not None
    assert grant.resource_group == contract.resource_group == "rg-shop-dev"
    groups = {
        r["inputs"]["resourceGroupName"]
        for r in storefront.plan["resources"]
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
    migration: Migration, storefront: MovedApplication
) -> None:
    """Least privilege: no Contributor on the platform's group (its own identities are there);
    the `adopted` role on each adopted resource's id, which exists (Azure RBAC scopes are
    resources); Contributor on its own group only, which takes what it adds later (contract
    1.3.0: tests/test_team_adopted.py)."""
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
    assert scopes == set(storefront.adopted)
    group = "/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/rg-shop-dev"
    contributor = [
        a["scope"]
        for a in _assignments(plan, principal)
        if a["roleDefinitionId"].endswith(CONTRIBUTOR_ROLE)
    ]
    assert contributor == [f"{group}-storefront"]
    for assignment in _assignments(plan, principal):
        assert assignment["scope"].lower() != group.lower(), assignment
        if assignment["scope"].lower().startswith(group.lower() + "/"):
            assert (
                assignment["scope"]
                .lower()
                .startswith(tuple(a.lower() for a in adopted_role["assignableScopes"]))
            )
    assert [
        r["inputs"]["resourceGroupName"]
        for r in plan["resources"]
        if r["type"] == "azure-native:resources:ResourceGroup" and "storefront" in r["name"]
    ] == ["rg-shop-dev-storefront"]
    # Every Azure resource the application stack writes in the platform's group is covered:
    # an adopted resource, a federated credential of an adopted identity, or what the
    # deployer role covers already (its records in the zone, its certificates).
    covered = {a.lower() for a in storefront.adopted}
    for resource in storefront.plan["resources"]:
        inputs = resource["inputs"]
        if resource["type"] in ADOPTABLE_TYPES:
            rid = resource["computed"][0]["value"].lower()
            assert rid in covered, resource["urn"]
        elif resource["type"] == "azure-native:managedidentity:FederatedIdentityCredential":
            parent = f"{group}/providers/microsoft.managedidentity/userassignedidentities/"
            assert (parent + inputs["resourceName"]).lower() in covered, resource["urn"]


def plan_held(plan: dict[str, Any], application: str) -> list[Assignment]:
    """What a platform plan (a snapshot) grants the application's deploy identity."""
    return granted_by(
        (r["inputs"] for r in plan["resources"] if r["type"] == ROLE_ASSIGNMENT),
        (r["inputs"] for r in plan["resources"] if r["type"] == ROLE_DEFINITION),
        identity_principal_id(deploy_identity_name(application)),
    )


def plan_outside(
    resources: list[dict[str, Any]], target: Target, held: list[Assignment]
) -> list[str]:
    """Each check Azure makes for writing and deleting these snapshot resources that the held
    roles do not allow (infra/stacks/authorization.py)."""
    return [
        f"{r['type']} {r['name']}: {need.words()}"
        for r in resources
        for verb in VERBS
        for need in refused(required(r["type"], r["inputs"], verb, target, r["name"]), held)
    ]


def test_the_adopted_application_deploys_within_what_the_platform_grants(
    migration: Migration,
) -> None:
    """The least-privilege proof (infra/stacks/authorization.py) on the migrated pair: every
    resource the application stack writes (or deletes), the adopted ones in the platform's group
    included, is allowed by a role the migrated platform assigns its identity."""
    plan = migration.platform_plan
    target = target_of(parse_contract(plan["outputs"][CONTRACT_OUTPUT]))
    assert migration.applications
    for moved in migration.applications:
        held = plan_held(plan, moved.application)
        problems = plan_outside(moved.plan["resources"], target, held)
        assert not problems, "\n".join(problems)
    # Without the adopted role the adopted Container Apps are outside (the platform's group).
    application = migration.application("storefront").plan
    held = plan_held(plan, "storefront")
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


# --- Every application of the stack at once (tests/team_apps) ------------------------------


def test_every_application_of_the_stack_moves_and_nothing_is_replaced_or_deleted(
    team: Migration,
) -> None:
    """`migrate --from ENV` moves both applications, each into its own stack, on a platform
    that onboards both; no stack's next preview replaces or deletes anything, and each
    application's changes nothing but its contract stand-in: the callee's NetworkPolicy lists
    its peers (its own and the other application's) as the single stack does."""
    env = team.source.rsplit("/", 1)[1]
    assert [(a.application, a.dest) for a in team.applications] == [
        ("loyalty", f"example-org/platform/loyalty-{env}"),
        ("storefront", f"example-org/platform/storefront-{env}"),
    ]
    assert team.problems == ()
    assert team.replaced == ()
    assert team.in_neither == ()
    assert team.in_several == ()
    assert [e["name"] for e in team.onboarding] == ["loyalty", "storefront"]
    assert {e["ciSubject"] for e in team.onboarding} == {
        f"repo:<owner>/<repo>:environment:loyalty-{env}",
        f"repo:<owner>/<repo>:environment:storefront-{env}",
    }
    contract = parse_contract(team.platform_plan["outputs"][CONTRACT_OUTPUT])
    assert {a.name for a in contract.applications} == {"loyalty", "storefront"}
    for app in team.applications:
        # A Container App with a custom domain rebinds it to the platform's certificate of its
        # host (an update in place); its own certificate is forgotten (`superseded`).
        rebound = [
            c
            for c in app.diff.changes
            if c.operation is Operation.UPDATE
            and c.type == "azure-native:app:ContainerApp"
            and {d.path for d in c.changes}
            == {"configuration.ingress.customDomains[0].certificateId"}
        ]
        assert [(c.operation, c.type) for c in app.diff.changes if c not in rebound] == [
            (Operation.CREATE, "platform:stacks:PlatformContract")
        ], app.application
        assert len(rebound) == len(app.superseded), app.application
        assert app.config["platform:platformStack"] == team.source
    assert not [
        c.urn
        for c in team.platform_diff.changes
        if c.operation in {Operation.DELETE, Operation.REPLACE}
    ]
    text = "\n".join(team.lines())
    assert "no resource is replaced or deleted" in text
    for app in team.applications:
        assert f"--dest {app.dest} --yes" in text
        assert f"pulumi stack init {app.dest}" in text


def test_every_urn_of_the_single_stack_lands_in_exactly_one_stack(team: Migration) -> None:
    singles = _engine_tails(team.single_plan)
    platform = _engine_tails(team.platform_plan)
    stacks = {a.application: _tails(a.moved) - _tails(a.returned) for a in team.applications}
    back = {
        urn.split("::", 2)[2].split("::", 1)[0].rsplit("$", 1)[-1] + "::" + urn.rsplit("::", 1)[1]
        for a in team.applications
        for urn in a.returned
    }
    landed = [*(singles & platform), *(t for tails in stacks.values() for t in tails)]
    assert len(landed) == len(set(landed))
    # An environment certificate the platform replaces with its own is forgotten (`superseded`).
    forgotten = {t for a in team.applications for t in _tails(a.superseded)}
    assert not forgotten & set(landed)
    assert (
        set(landed) | {t for a in team.applications for t in _tails(a.returned)} | forgotten
        == singles
    )
    assert back <= platform
    assert stacks["loyalty"]
    assert stacks["storefront"]
    assert not stacks["loyalty"] & stacks["storefront"]
    assert team.kept == len(singles & platform) + len(back)


def test_the_callers_resolve_against_the_platform_that_onboards_both(team: Migration) -> None:
    """Each application stack is planned on the contract of the platform the migration plans:
    loyalty's points-api reaches the storefront's catalog-api at its single-stack address, and
    the storefront's catalog-api admits loyalty's pods as in the single stack."""

    def objects(plan: dict[str, Any], kind: str, name: str) -> dict[str, Any]:
        return next(
            r["inputs"]
            for r in plan["resources"]
            if r["type"] == f"kubernetes:{kind}" and r["name"] == name
        )

    loyalty, storefront = team.application("loyalty"), team.application("storefront")
    for plan, kind, name in (
        (loyalty.plan, "apps/v1:Deployment", "loyalty-points-api"),
        (storefront.plan, "networking.k8s.io/v1:NetworkPolicy", "storefront-catalog-api"),
    ):
        assert objects(plan, kind, name) == objects(team.single_plan, kind, name)
    policy = objects(
        storefront.plan, "networking.k8s.io/v1:NetworkPolicy", "storefront-catalog-api"
    )
    assert "loyalty" in json.dumps(policy["spec"]["ingress"])


def test_the_platform_writes_the_container_apps_hosts_records(team: Migration) -> None:
    """A Container App's custom domain binds once TXT asuid.<host> and its CNAME exist: an
    application stack cannot write the platform's zone (it counts its granted hosts' records as
    present), so the platform stack writes them, with the single stack's inputs, at its root;
    the migration moves them back there from the application's stack (state move takes a
    moved resource's children along)."""
    env = team.source.rsplit("/", 1)[1]
    single = {
        r["name"]: r["inputs"]
        for r in team.single_plan["resources"]
        if r["type"] == "azure-native:dns:RecordSet"
    }
    platform = {
        r["name"]: r["inputs"]
        for r in team.platform_plan["resources"]
        if r["type"] == "azure-native:dns:RecordSet"
        and r["name"].endswith(("-domain-verification", "-domain-address"))
    }
    assert platform == {
        n: i for n, i in single.items() if n.endswith(("-domain-verification", "-domain-address"))
    }
    storefront = team.application("storefront")
    if env == "dev":  # no zone in dev (platform:dns): no record, nothing moved back
        assert platform == {}
        assert storefront.returned == ()
        return
    assert set(platform) == {"web-domain-verification", "web-domain-address"}
    assert sorted(storefront.returned) == [
        f"urn:pulumi:storefront-{env}::platform::platform:services:ContainerAppService"
        f"$azure-native:dns:RecordSet::{name}"
        for name in ("web-domain-address", "web-domain-verification")
    ]
    assert set(storefront.returned) <= {
        u.replace(f"urn:pulumi:{env}::", f"urn:pulumi:storefront-{env}::") for u in storefront.moved
    }
    roots = {
        tail
        for tail in engine_urns(team.platform_plan)
        if tail.startswith("azure-native:dns:RecordSet::web-domain-")
    }
    assert len(roots) == 2
    text = "\n".join(team.lines())
    assert (
        f"pulumi state move --source example-org/platform/storefront-{env} "
        f"--dest example-org/platform/{env} --yes" in text
    )
    # Moved back, unchanged: the platform's next preview neither creates nor deletes them.
    touched = {c.urn.rsplit("::", 1)[1] for c in team.platform_diff.changes}
    assert not touched & set(platform)


# --- Refused ---------------------------------------------------------------------------------


def _migrate(*args: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = main(["migrate", *args])
    return code, out.getvalue(), err.getvalue()


@pytest.mark.parametrize(("picked", "left"), [("storefront", "loyalty"), ("loyalty", "storefront")])
def test_a_subset_that_would_delete_another_applications_resources_is_refused(
    monkeypatch: pytest.MonkeyPatch, picked: str, left: str
) -> None:
    """A stack that becomes the platform stack deploys no application's services: migrating
    one of two applications deletes the other's resources, so it is refused (exit 3), naming the
    application and each of its resources. (Migrating the caller alone used to fail to plan:
    its calls resolve now, against a platform that onboards both.)"""
    monkeypatch.setenv(APPS_ENV, TEAM_APPS)
    code, out, _ = _migrate("--from", "dev", "--application", picked)
    assert code == Exit.BLOCKED
    assert f"{left}: dev deploys it and it is not migrated (--application {picked}), so its " in out
    assert f"→ migrate it too: add --application {left}, or omit --application" in out
    assert re.search(rf"::{left}-[\w-]+: {left}'s, not migrated: in neither stack", out)
    assert "problem(s): the migration would break something" in out


def test_the_ci_subject_and_the_stack_are_given_per_application(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv(APPS_ENV, TEAM_APPS)
    code, out, _ = _migrate(
        "--from",
        "dev",
        "--ci-subject",
        "loyalty=repo:example-org/shop:environment:loyalty-dev",
        "--to",
        "storefront=shop-dev",
    )
    assert code == Exit.OK
    assert "ciSubject: repo:example-org/shop:environment:loyalty-dev" in out
    assert "ciSubject: repo:<owner>/<repo>:environment:storefront-dev" in out
    assert "--dest example-org/platform/shop-dev --yes" in out
    # A bare value names no application when two move: all such problems at once.
    code, _, err = _migrate(
        "--from", "dev", "--ci-subject", "repo:o/r:environment:dev", "--to", "x"
    )
    assert code == Exit.ERROR
    assert "--ci-subject repo:o/r:environment:dev: 2 applications are migrated" in err
    assert "--to x: 2 applications are migrated (loyalty, storefront)" in err
    code, _, err = _migrate("--from", "dev", "--application", "storefront", "--to", "loyalty=l")
    assert code == Exit.ERROR
    assert "--to loyalty=l: loyalty is not migrated" in err
    # Before anything is planned, every problem of the flags together.
    code, _, err = _migrate("--from", "dev", "--application", "nope", "--to", "checkout=x")
    assert code == Exit.ERROR
    assert "--application nope: no application of that name is declared" in err
    assert "--to checkout=x: no application checkout is declared" in err


def test_an_application_that_is_not_declared_is_refused() -> None:
    with pytest.raises(
        LookupError,
        match=r"--application checkout: no application of that "
        r"name is declared .*declared: storefront",
    ):
        plan_migration("dev", ["checkout"])


def test_a_team_stack_is_not_a_single_stack_to_migrate_from() -> None:
    with pytest.raises(LookupError, match="is a platform stack, not a single stack"):
        plan_migration("platform-dev")


def _checked(migration: Migration, platform: dict[str, Any], app: dict[str, Any]) -> Migration:
    storefront = migration.application("storefront")
    return check(
        migration.single_plan,
        platform,
        [ApplicationStack("storefront", "storefront-dev", storefront.config, {}, app)],
        "dev",
        ids_from_state=False,
    )


def test_a_resource_that_would_land_in_both_stacks_is_refused(
    migration: Migration, storefront: MovedApplication
) -> None:
    """The check has teeth: a resource both programs register (here: one of the application's
    identities also declared by the platform) is named, and the migration is refused."""
    resources = {r["urn"]: r for r in storefront.plan["resources"]}
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
    refused = _checked(migration, platform, storefront.plan)
    tail = next(t for t, r in engine_urns(storefront.plan).items() if r is identity)
    assert f"{tail}: in 2 stacks (platform, storefront)" in refused.in_several
    assert f"{tail}: in 2 stacks (platform, storefront)" in refused.problems


def test_a_migration_that_would_replace_is_refused(
    migration: Migration, storefront: MovedApplication
) -> None:
    """Without adoption (its resources in a group of its own) the application's Container Apps
    and identities would be replaced: the check names each with the replacing property."""
    app = json.loads(
        json.dumps(storefront.plan).replace(
            '"resourceGroupName": "rg-shop-dev"', '"resourceGroupName": "rg-shop-dev-storefront"'
        )
    )
    refused = _checked(migration, migration.platform_plan, app)
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
            f"{group}/providers/Microsoft.App/jobs/payment-reconcile",
        ),
        loyalty=(f"{group}/providers/Microsoft.App/containerApps/web",),
    )
    text = "\n".join(str(p) for p in onboarded_applications(config))
    assert "rg-other/providers/Microsoft.App/containerApps/x" in text
    assert "Microsoft.KeyVault/vaults/kv-shop-dev" in text
    assert (
        "is not a Container App, Container Apps job or user-assigned identity in the platform's "
        "resource group" in text
    )
    # A Container Apps job in the platform's group is adoptable (its role on the job's id).
    assert "Microsoft.App/jobs/payment-reconcile" not in text
    assert "is claimed by 2 applications (storefront, loyalty)" in text
    # The one right id (in the platform's group, a Container App) is refused only as claimed
    # twice.
    web = f"{group}/providers/Microsoft.App/containerApps/web"
    assert not [p for p in onboarded_applications(config) if p.value == web]
    assert "containerapps/web is claimed by 2 applications" in text.lower()


def test_the_command_prints_the_steps_and_exits_by_the_check(migration: Migration) -> None:
    code, text, _ = _migrate("--from", "dev")
    assert "pulumi state move --source example-org/platform/dev" in text
    assert "Azure resource moves: none" in text
    assert "problem(s): the migration would break something" not in text
    assert code == Exit.OK
    # As before: one application named, the one the stack deploys (the same migration).
    code, named, _ = _migrate("--from", "dev", "--application", "storefront")
    assert code == Exit.OK
    assert named == text
    code, _, err = _migrate("--from", "dev", "--application", "nope")
    assert code == Exit.ERROR
    assert "no application of that name is declared" in err


def test_the_deployed_ids_come_from_the_state_export(
    tmp_path: Path, storefront: MovedApplication
) -> None:
    """Pulumi names an identity with a random suffix (8 hex characters:
    upstream/pulumi-azure-native/): its deployed id is read from `pulumi stack export` of the
    single stack, by the engine URN, and the application stack recognises it as the identity it
    adopted (it stays where it is: nothing is replaced)."""
    urn = next(
        u for u in storefront.moved if u.endswith("UserAssignedIdentity::catalog-api-identity")
    )
    deployed = (
        "/subscriptions/1/resourceGroups/rg-shop-dev/providers/"
        "Microsoft.ManagedIdentity/userAssignedIdentities/catalog-api-identity9f3a1c07"
    )
    export = {"deployment": {"resources": [{"urn": urn, "id": deployed}]}}
    path = tmp_path / "dev.json"
    path.write_text(json.dumps(export))
    found = plan_migration("dev", state=str(path))
    assert deployed in found.application("storefront").adopted
    assert found.ids_from_state
    assert found.problems == ()
    assert "--state" not in "\n".join(found.lines())


def test_the_single_stacks_environment_certificate_is_forgotten_not_deleted(
    team: Migration,
) -> None:
    """The platform writes each granted host's environment certificate (its name derived from
    the host) and the application's Container App binds that one: the single stack's own
    certificate, which `pulumi state move` takes along with its Container App, is forgotten in
    the application's state (its identity may not delete certificates, and Container Apps
    refuses to delete one a custom domain still uses), not deleted by either stack's preview."""
    env = team.source.rsplit("/", 1)[1]
    storefront = team.application("storefront")
    text = "\n".join(team.lines())
    if env == "dev":  # no TLS host in dev
        assert storefront.superseded == ()
        assert "pulumi state delete" not in text
        return
    (urn,) = storefront.superseded
    assert urn.endswith("$azure-native:app:Certificate::web-certificate")
    assert f"pulumi state delete --stack {storefront.dest} --yes '{urn}'" in text
    assert "az containerapp env certificate delete" in text
    certificates = [
        r for r in team.platform_plan["resources"] if r["type"] == "azure-native:app:Certificate"
    ]
    assert [c["inputs"]["certificateName"] for c in certificates] == ["host-shop-example-com"]
