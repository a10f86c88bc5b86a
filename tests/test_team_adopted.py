"""An application migrated from a single stack with `adopted` resources (docs/team-stacks.md,
Migration) that adds services afterwards, and the contract versions around it: contract 1.3.0
publishes each application's adopted ids and its own resource group, so its stack keeps what it
adopted where the single stack created it and puts every new Container App and identity in its
own group; an application reading an older 1.x contract plans as that version meant."""

from __future__ import annotations

import dataclasses
import json
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import jsonschema
import pulumi
import pytest

from infra.constants import CONTAINER_APP_TYPE, IDENTITY_TYPE
from infra.preview.changes import Operation
from infra.preview.engine import OfflineRun, run_offline
from infra.preview.snapshot import to_snapshot
from infra.preview.stackfile import StackConfig, read_stack
from infra.program import build
from infra.services.loader import load_applications
from infra.services.spec import Application
from infra.stacks import recorded
from infra.stacks.authorization import WRITE, required, target_of
from infra.stacks.contract import CONTRACT_OUTPUT, CONTRACT_VERSION, parse_contract, schema_path
from infra.stacks.examples import example_stack, full_name
from infra.stacks.migrate import ApplicationStack, Migration, _recorded, check, plan_migration
from infra.stacks.permissions import within
from infra.stacks.view import AUTONAME_SUFFIX, is_adopted
from tests.test_team_stacks import RELEASED_DIGESTS, deploy_identity, outside

ROOT = Path(__file__).resolve().parents[1]
PLATFORM = "rg-shop-dev"
OWN = "rg-shop-dev-storefront"
NEW_SERVICES = ("reviews-api", "search-api")
"""Added after the migration: one on Container Apps (a Container App and its identity), one on
AKS (an identity and its federated credential)."""


def _with_new_services(applications: list[Application]) -> list[Application]:
    storefront = next(a for a in applications if a.name == "storefront")
    payment = next(s for s in storefront.services if s.name == "payment-api")
    catalog = next(s for s in storefront.services if s.name == "catalog-api")
    added = (
        dataclasses.replace(payment, name="reviews-api"),
        dataclasses.replace(catalog, name="search-api"),
    )
    return [
        dataclasses.replace(a, services=(*a.services, *added)) if a.name == "storefront" else a
        for a in applications
    ]


@dataclasses.dataclass(frozen=True)
class Plans:
    platform: OfflineRun
    application: OfflineRun
    checked: Migration
    """The migration's check of these plans against the single stack's (URNs, diffs)."""


def _plan(
    migration: Migration, applications: list[Application], contract: object | None = None
) -> Plans:
    """The former single stack `dev` as the platform stack (the migration's onboarding), and
    the storefront's stack on its contract (or on `contract`), both of `applications`."""
    single = read_stack("dev")
    storefront = migration.application("storefront")
    values = {
        **single.values,
        "platform:mode": "platform",
        "platform:applications": json.dumps(migration.onboarding),
    }
    platform = run_offline(
        dataclasses.replace(single, values=values), lambda: build(applications=applications)
    )
    app_stack = StackConfig(storefront.stack, single.project, storefront.config, ())
    exported = platform.outputs[CONTRACT_OUTPUT] if contract is None else contract
    with _recorded(storefront.config["platform:platformStack"], exported):
        app = run_offline(app_stack, lambda: build(applications=applications))
    planned = ApplicationStack(
        "storefront", storefront.stack, storefront.config, storefront.onboarding, to_snapshot(app)
    )
    checked = check(
        migration.single_plan, to_snapshot(platform), [planned], "dev", ids_from_state=False
    )
    return Plans(platform, app, checked)


@pytest.fixture(scope="module")
def migration() -> Migration:
    return plan_migration("dev", ["storefront"])


@pytest.fixture(scope="module")
def added(migration: Migration) -> Plans:
    return _plan(migration, _with_new_services(load_applications()))


def _azure(run: OfflineRun, token: str) -> dict[str, str]:
    return {r.name: str(r.inputs["resourceGroupName"]) for r in run.by_type(token)}


def test_a_migrated_application_puts_a_new_container_app_and_identity_in_its_own_group(
    added: Plans, migration: Migration
) -> None:
    apps = _azure(added.application, "azure-native:app:ContainerApp")
    identities = _azure(added.application, "azure-native:managedidentity:UserAssignedIdentity")
    credentials = _azure(
        added.application, "azure-native:managedidentity:FederatedIdentityCredential"
    )
    assert apps.pop("reviews-api") == OWN
    assert identities.pop("reviews-api-identity") == OWN
    assert identities.pop("search-api-identity") == OWN
    assert credentials.pop("search-api-federation") == OWN
    # What it adopted stays where it is: one adopted id each, in the platform's group.
    assert set(apps.values()) | set(identities.values()) | set(credentials.values()) == {PLATFORM}
    kept = {name.lower() for name in (*apps, *identities)}
    assert kept == {
        a.rsplit("/", 1)[1].lower() for a in migration.application("storefront").adopted
    }
    # Its new resources carry its tag; what it adopted keeps the single stack's tags.
    tags = {
        r.name: r.inputs["tags"] for r in added.application.by_type("azure-native:app:ContainerApp")
    }
    assert tags["reviews-api"]["application"] == "storefront"
    assert "application" not in tags["web"]


def test_a_migrated_application_adding_a_service_replaces_nothing_adopted(added: Plans) -> None:
    """Its next preview, against the state `pulumi state move` wrote: the new services' resources
    are created, nothing is replaced or deleted, and nothing it adopted changes at all."""
    result = added.checked
    assert result.replaced == ()
    assert result.in_several == ()
    assert result.in_neither == ()
    changes = result.application("storefront").diff.changes
    assert not [c for c in changes if c.operation in {Operation.REPLACE, Operation.DELETE}]
    created = {c.urn.rsplit("::", 1)[1] for c in changes if c.operation is Operation.CREATE}
    assert {"reviews-api", "reviews-api-identity", "search-api-identity"} <= created
    assert not [c.urn for c in changes if c.operation is not Operation.CREATE]
    # The platform's next preview (against the single stack without the moved resources) only
    # creates: the onboarding, its own group among it.
    platform = result.platform_diff.changes
    assert {c.operation for c in platform} == {Operation.CREATE}
    assert "storefront-group" in {c.urn.rsplit("::", 1)[1] for c in platform}


def test_each_resource_of_the_migrated_application_is_within_its_identity_scopes(
    added: Plans,
) -> None:
    """The least-privilege proof (tests/test_team_stacks.py) on the migrated application with its
    new services: what it adopted under the adopted role on each id, what it added under
    Contributor on its own group."""
    contract = parse_contract(added.platform.outputs[CONTRACT_OUTPUT])
    held = deploy_identity(added.platform, "storefront")
    problems = outside(added.application.resources, contract, held)
    assert not problems, "\n".join(problems)
    # Which grant covers what: the adopted role on the ids it adopted, Contributor on its own
    # group for what it added (and not the other way round).
    by_role = {a.role.name if a.role else a.role_id: a.scope.lower() for a in held}
    adopted_role = next(name for name in by_role if name.endswith("application-adopted"))
    target = target_of(contract)
    resources = {r.name: r for r in added.application.resources}

    def covered_by(name: str) -> set[str]:
        resource = resources[name]
        (need, *_) = required(resource.type, resource.inputs, WRITE, target, name)
        return {
            a.role.name
            for a in held
            if a.role is not None and a.role.allows(need) and within(need.scope, [a.scope])
        }

    assert "Contributor" in covered_by("reviews-api")
    assert "Contributor" in covered_by("search-api-identity")
    assert covered_by("web") == {adopted_role}
    assert covered_by("catalog-api-federation") == {adopted_role}


# --- Older 1.x contracts ---------------------------------------------------------------------


def _as_version(contract: Mapping[str, Any], version: str) -> dict[str, Any]:
    """`contract` as a platform of `version` exported it: only the fields that version's vendored
    schema names (a minor version only adds fields), validated against that schema."""
    schema = json.loads(schema_path(version).read_text())
    definitions = schema.get("$defs", {})

    def keep(value: Any, part: Mapping[str, Any]) -> Any:
        if "$ref" in part:
            return keep(value, definitions[part["$ref"].rsplit("/", 1)[1]])
        if "anyOf" in part:
            typed = [p for p in part["anyOf"] if p.get("type") != "null"]
            return value if value is None or not typed else keep(value, typed[0])
        if isinstance(value, list) and "items" in part:
            return [keep(v, part["items"]) for v in value]
        if isinstance(value, dict) and "properties" in part:
            fields = part["properties"]
            return {k: keep(v, fields[k]) for k, v in value.items() if k in fields}
        return value

    older = {**keep(contract, schema), "version": version}
    jsonschema.validate(older, schema)
    return older


def _storefront(contract: object) -> dict[str, Any]:
    stack = example_stack("storefront-dev")
    with _recorded(full_name("platform-dev"), contract):
        return to_snapshot(run_offline(stack, build))


def _recorded_contract() -> dict[str, Any]:
    return recorded.recorded_outputs(full_name("platform-dev"))[CONTRACT_OUTPUT]


def test_an_application_reading_the_previous_minor_version_plans_the_same() -> None:
    """A 1.2.0 platform (no `adopted`, no `ownResourceGroup`) and a not migrated application:
    the fields it lacks take their defaults, which mean what 1.2.0 meant."""
    current = _recorded_contract()
    older = _as_version(current, "1.2.0")
    assert "adopted" not in older["applications"][0]
    assert _storefront(older)["resources"] == _storefront(current)["resources"]


@pytest.mark.parametrize("version", sorted(set(RELEASED_DIGESTS) - {CONTRACT_VERSION}))
def test_an_application_reads_every_older_minor_version(version: str) -> None:
    older = _as_version(_recorded_contract(), version)
    assert parse_contract(older).version == version
    plan = _storefront(older)
    assert plan["outputs"]["application"] == "storefront"
    assert len(plan["resources"]) > 50


def test_a_migrated_application_on_a_1_2_platform_keeps_everything_in_the_platform_group(
    migration: Migration,
) -> None:
    """Before 1.3.0 a migrated application's grant named only the platform's group: reading such
    a contract, its stack places everything there as before (nothing adopted moves or is
    replaced), and a new service is outside its identity's scopes, the limit 1.3.0 lifts."""
    applications = _with_new_services(load_applications())
    platform = _plan(migration, applications).platform
    older = _as_version(platform.outputs[CONTRACT_OUTPUT], "1.2.0")
    plans = _plan(migration, applications, contract=older)
    groups = {
        str(r.inputs["resourceGroupName"])
        for r in plans.application.resources
        if r.type.startswith("azure-native:") and "resourceGroupName" in r.inputs
    }
    assert groups == {PLATFORM}
    assert plans.checked.replaced == ()
    contract = parse_contract(older)
    held = deploy_identity(plans.platform, "storefront")
    outside_scopes = {
        line.split(": ", 1)[0].rsplit(" ", 1)[1]
        for line in outside(plans.application.resources, contract, held)
    }
    assert {"reviews-api", "reviews-api-identity", "search-api-identity"} <= outside_scopes


# --- Which resource is the one it adopted ----------------------------------------------------


def test_the_autoname_suffix_is_pulumi_azure_natives() -> None:
    """`AUTONAME_SUFFIX` is the random strategy's: `NewUniqueName(randomSeed, name, 8, 0, nil)`
    (the URN name, no separator, 8 characters of the default charset), as the vendored
    excerpts say."""
    folder = ROOT / "upstream" / "pulumi-azure-native"
    naming = (folder / "autonaming.excerpt.go").read_text()
    found = re.search(r"resource\.NewUniqueName\(randomSeed, name, (\d+), 0, nil\)", naming)
    assert found is not None
    charset = re.search(
        r'charset = \[\]rune\("([^"]+)"\)', (folder / "unique-name.excerpt.go").read_text()
    )
    assert charset is not None
    assert charset[1] == "0123456789abcdef"
    assert AUTONAME_SUFFIX.pattern == f"[0-9a-f]{{{found[1]}}}"
    example = re.search(r'assert\.Equal\(t, "(test[0-9a-f]+)", result\.StringValue\(\)\)', naming)
    assert example is not None
    group = "/subscriptions/s/resourceGroups/rg-shop-dev/providers/"
    assert is_adopted(IDENTITY_TYPE, "test", f"{group}{IDENTITY_TYPE}/{example[1]}")


@pytest.mark.parametrize(
    ("azure_type", "name", "adopted", "expected"),
    [
        (
            IDENTITY_TYPE,
            "web-identity",
            "Microsoft.ManagedIdentity/userAssignedIdentities/web-identity",
            True,
        ),
        (
            IDENTITY_TYPE,
            "web-identity",
            "Microsoft.ManagedIdentity/userAssignedIdentities/web-identity614742c2",
            True,
        ),
        (
            IDENTITY_TYPE,
            "web-identity",
            "microsoft.managedidentity/userassignedidentities/WEB-IDENTITY614742C2",
            True,
        ),
        # Not its autoname: a separator, 7 characters, another service's identity.
        (
            IDENTITY_TYPE,
            "web-identity",
            "Microsoft.ManagedIdentity/userAssignedIdentities/web-identity-614742c2",
            False,
        ),
        (
            IDENTITY_TYPE,
            "web-identity",
            "Microsoft.ManagedIdentity/userAssignedIdentities/web-identity614742c",
            False,
        ),
        (
            IDENTITY_TYPE,
            "web",
            "Microsoft.ManagedIdentity/userAssignedIdentities/web-admin-identity",
            False,
        ),
        # A Container App is named explicitly: its name, exactly, and of its type.
        (CONTAINER_APP_TYPE, "web", "Microsoft.App/containerApps/web", True),
        (CONTAINER_APP_TYPE, "web", "Microsoft.App/containerApps/web614742c2", False),
        (
            CONTAINER_APP_TYPE,
            "web-identity",
            "Microsoft.ManagedIdentity/userAssignedIdentities/web-identity",
            False,
        ),
    ],
)
def test_an_adopted_id_is_recognised_by_its_type_and_name(
    azure_type: str, name: str, adopted: str, expected: bool
) -> None:
    group = "/subscriptions/s/resourceGroups/rg-shop-dev/providers/"
    assert is_adopted(azure_type, name, group + adopted) is expected


def test_an_adopted_id_no_resource_claims_is_warned(
    migration: Migration, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A removed service's adopted resources are deleted by the application's stack (the
    adopted role allows it); the preview says which, and so it does for an id listed under
    another name, which its stack would otherwise create again in its own group."""
    said: list[str] = []
    monkeypatch.setattr(pulumi.log, "warn", lambda message, *_, **__: said.append(message))
    _plan(migration, _with_new_services(load_applications()))
    assert not [w for w in said if w.startswith("adopted: ")], said  # each one claimed
    applications = [
        dataclasses.replace(a, services=tuple(s for s in a.services if s.name != "order-worker"))
        if a.name == "storefront"
        else a
        for a in load_applications()
    ]
    plans = _plan(migration, applications)
    unclaimed = sorted(w.split()[1] for w in said if w.startswith("adopted: "))
    assert [u.rsplit("/", 1)[1] for u in unclaimed] == ["order-worker", "order-worker-identity"]
    assert "drop it from adopted" in said[-1]
    assert not [r for r in plans.application.resources if r.name.startswith("order-worker")]
