"""Team stacks (docs/team-stacks.md): the platform contract, the platform and application stacks'
offline plans, each application's least privilege, and the bad input refused before anything is
registered."""

from __future__ import annotations

import dataclasses
import hashlib
import json
from pathlib import Path
from typing import Any

import pytest
from pulumi_azure_native.app import ContainerApp
from pulumi_azure_native.authorization import RoleAssignment, RoleDefinition

from infra.constants import KEY_VAULT_SECRETS_OFFICER_ROLE
from infra.preview.engine import OfflineRun, ProgramFailed, Registration, run_offline
from infra.preview.mocks import identity_principal_id
from infra.preview.stackfile import StackConfig
from infra.problems import InvalidInput
from infra.program import build
from infra.stacks import recorded
from infra.stacks.authorization import (
    VERBS,
    Assignment,
    granted_by,
    refused,
    required,
    target_of,
    token_of,
)
from infra.stacks.contract import (
    CONTRACT_OUTPUT,
    CONTRACT_VERSION,
    PlatformContract,
    contract_schema,
    parse_contract,
    schema_path,
)
from infra.stacks.examples import example_stack, full_name
from infra.stacks.permissions import built_in_kind, within
from infra.stacks.platform import deploy_identity_name

RELEASED_DIGESTS = {
    "1.0.0": "1bf9bd6c0948d62cbe558da22616a8881bf470f36ad7b26e8e04532b2651860b",
    "1.1.0": "140703bcee452c353dfc8ad1c4df6a97465c14bc84b8937a21a0d7fa23b2f7cb",
    "1.2.0": "db8def0fbc224b970b496712ddc37c1dbbb563854f3cd62dae5e0ba7718e614d",
    "1.3.0": "093e4a92a407a1e53e21a71d2c45decbddba2b8547f0cafd70fd76ba78bd0dc8",
}
"""Each released contract version's schema digest: a released version's schema never changes (a
change is a new version). Bump CONTRACT_VERSION, run `python -m infra.stacks
schema`, add the new file's digest here."""

ENVIRONMENTS = ("dev", "prod")


# --- The contract --------------------------------------------------------------------------


def test_the_vendored_schema_is_the_types_schema() -> None:
    path = schema_path()
    assert path.is_file(), f"no {path.name}: run python -m infra.stacks schema"
    assert json.loads(path.read_text()) == contract_schema(), (
        f"the contract's types changed but {path.name} did not: a changed contract is a new "
        "version (bump CONTRACT_VERSION: minor for a new optional field, major otherwise), then "
        "python -m infra.stacks schema"
    )


def test_a_released_schema_never_changes() -> None:
    assert CONTRACT_VERSION in RELEASED_DIGESTS, "record the new version's digest"
    for version, digest in RELEASED_DIGESTS.items():
        found = hashlib.sha256(schema_path(version).read_bytes()).hexdigest()
        assert found == digest, f"contract {version}'s released schema changed"


def _contract(environment: str = "dev") -> dict[str, Any]:
    document = json.loads(recorded.recorded_path(f"x/y/platform-{environment}").read_text())
    return document["outputs"][CONTRACT_OUTPUT]


def test_a_contract_of_another_major_version_is_refused_with_the_versions_and_fix() -> None:
    with pytest.raises(InvalidInput) as raised:
        parse_contract({**_contract(), "version": "2.0.0"}, stack="org/platform/platform-dev")
    text = str(raised.value)
    assert "contract.version = 2.0.0" in text
    assert "major version 2 is not understood" in text
    assert CONTRACT_VERSION in text
    assert "update this application's platform program" in text


def test_a_contract_without_a_version_is_refused() -> None:
    raw = {k: v for k, v in _contract().items() if k != "version"}
    with pytest.raises(InvalidInput, match="is not a semver version"):
        parse_contract(raw)
    with pytest.raises(InvalidInput, match="exports no `contract` output"):
        parse_contract(None)


def test_a_newer_minor_version_is_read_and_its_new_fields_ignored() -> None:
    major, minor, _ = CONTRACT_VERSION.split(".")
    newer = {**_contract(), "version": f"{major}.{int(minor) + 1}.0", "addedLater": {"x": 1}}
    assert parse_contract(newer).cluster.name == "aks-shop-dev"


def test_a_contract_missing_a_field_of_its_version_names_the_field() -> None:
    raw = _contract()
    raw = {**raw, "cluster": {k: v for k, v in raw["cluster"].items() if k != "apiServer"}}
    with pytest.raises(InvalidInput, match=r"contract\.cluster\.apiServer"):
        parse_contract(raw)


# --- The platform stack ----------------------------------------------------------------------


@pytest.fixture(scope="module")
def platforms() -> dict[str, OfflineRun]:
    return {env: run_offline(example_stack(f"platform-{env}"), build) for env in ENVIRONMENTS}


@pytest.fixture(scope="module")
def applications() -> dict[str, OfflineRun]:
    return {env: run_offline(example_stack(f"storefront-{env}"), build) for env in ENVIRONMENTS}


@pytest.mark.parametrize("environment", ENVIRONMENTS)
def test_the_platform_exports_the_contract_its_applications_read(
    platforms: dict[str, OfflineRun], environment: str
) -> None:
    exported = platforms[environment].outputs[CONTRACT_OUTPUT]
    contract = parse_contract(exported)
    assert contract.version == CONTRACT_VERSION
    assert contract.environment == environment
    assert [a.name for a in contract.applications] == ["storefront", "loyalty"]
    grant = contract.applications[0]
    assert grant.namespaces == ("storefront", "storefront-jobs")
    assert grant.resource_group == f"rg-shop-{environment}-storefront"
    # What the application stacks' offline plans read is what the platform exports today.
    stack = full_name(f"platform-{environment}")
    assert recorded.recorded_outputs(stack) == {CONTRACT_OUTPUT: exported}, (
        f"the platform's contract changed: python -m infra.stacks record platform-{environment}"
    )


@pytest.mark.parametrize("environment", ENVIRONMENTS)
def test_the_platform_stack_deploys_no_application(
    platforms: dict[str, OfflineRun], environment: str
) -> None:
    run = platforms[environment]
    types = {r.type for r in run.resources}
    assert "azure-native:app:ContainerApp" not in types
    assert "kubernetes:apps/v1:Deployment" not in types
    assert "platform:services:AksService" not in types
    # The cluster-scoped pieces an application cannot create are the platform's.
    namespaces = sorted(r.name for r in run.by_type("kubernetes:core/v1:Namespace"))
    assert namespaces == [
        "azure-alb-system",
        "envoy-gateway-system",
        "loyalty",
        "loyalty-jobs",
        "storefront",
        "storefront-jobs",
    ]


def test_a_single_stack_plan_has_no_team_stack_part(dev: OfflineRun) -> None:
    assert CONTRACT_OUTPUT not in dev.outputs
    assert not [r for r in dev.resources if r.type.startswith("platform:stacks:")]


# --- Least privilege per application ---------------------------------------------------------


def deploy_identity(platform: OfflineRun, application: str) -> list[Assignment]:
    """What the platform stack's plan grants the application's deploy identity."""
    return granted_by(
        (r.inputs for r in platform.by_type(token_of(RoleAssignment))),
        (r.inputs for r in platform.by_type(token_of(RoleDefinition))),
        identity_principal_id(deploy_identity_name(application)),
    )


def outside(
    resources: list[Registration],
    contract: PlatformContract,
    held: list[Assignment],
    verbs: tuple[str, ...] = VERBS,
) -> list[str]:
    """Each check Azure makes for creating, updating and deleting these resources that the
    held roles do not allow (infra/stacks/authorization.py)."""
    target = target_of(contract)
    return [
        f"{r.type} {r.name}: {need.words()}"
        for r in resources
        for verb in verbs
        for need in refused(required(r.type, r.inputs, verb, target, r.name), held)
    ]


@pytest.mark.parametrize("environment", ENVIRONMENTS)
def test_every_resource_of_the_application_stack_is_within_its_identity_scopes(
    platforms: dict[str, OfflineRun], applications: dict[str, OfflineRun], environment: str
) -> None:
    """Each resource can be created, updated and deleted by the application's identity: every
    action Azure checks for it (and the linked checks) is allowed by a role the platform assigns
    that identity at or above the resource's scope."""
    contract = parse_contract(platforms[environment].outputs[CONTRACT_OUTPUT])
    held = deploy_identity(platforms[environment], "storefront")
    # Every role the platform assigns it is one the model knows, but the Key Vault data role its
    # pipeline seeds secrets with (not used by `pulumi up`, and not vendored).
    assert {a.role_id for a in held if a.role is None} == {KEY_VAULT_SECRETS_OFFICER_ROLE}
    problems = outside(applications[environment].resources, contract, held)
    assert not problems, "\n".join(problems)
    assert len(applications[environment].resources) > 50  # the application is really there


def test_the_least_privilege_check_refuses_a_resource_outside_the_scopes(
    platforms: dict[str, OfflineRun], applications: dict[str, OfflineRun]
) -> None:
    """The proof has teeth: the single stack's Namespace (cluster-scoped) and a Container App in
    the platform's own group are outside the application identity's scopes."""
    contract = parse_contract(platforms["dev"].outputs[CONTRACT_OUTPUT])
    held = deploy_identity(platforms["dev"], "storefront")
    app = applications["dev"].by_type(token_of(ContainerApp))[0]
    moved = dataclasses.replace(
        app, inputs={**app.inputs, "resourceGroupName": contract.resource_group}
    )
    namespace = platforms["dev"].by_type("kubernetes:core/v1:Namespace")[0]
    refusals = outside([moved, namespace], contract, held)
    assert any("Microsoft.App/containerApps/write" in r for r in refusals), refusals
    assert any("managedClusters/namespaces/write" in r for r in refusals), refusals
    # RBAC Writer alone (the grant before application-kubernetes) leaves the application's
    # custom resources (its routes, scalers, secret classes) outside: a 403 at deploy.
    kubernetes = str(
        next(
            r.inputs["roleDefinitionId"]
            for r in platforms["dev"].by_type(token_of(RoleDefinition))
            if r.name == "application-kubernetes"
        )
    )
    writer_only = [a for a in held if a.role_id != kubernetes.lower()]
    assert len(writer_only) < len(held)
    types = {
        line.split(" ", 1)[0]
        for line in outside(applications["dev"].resources, contract, writer_only)
    }
    assert "kubernetes:keda.sh/v1alpha1:ScaledObject" in types, types
    assert not [t for t in types if t.startswith("kubernetes:") and built_in_kind(t)], types


@pytest.mark.parametrize("environment", ENVIRONMENTS)
def test_the_application_stack_holds_only_its_application(
    applications: dict[str, OfflineRun], environment: str
) -> None:
    run = applications[environment]
    assert run.outputs["application"] == "storefront"
    groups = {
        r.inputs["resourceGroupName"]
        for r in run.resources
        if r.type.startswith("azure-native:") and "resourceGroupName" in r.inputs
    }
    # Its own group, and the platform's private zone for its services' records.
    assert groups == {f"rg-shop-{environment}-storefront", f"rg-shop-{environment}"}
    assert not run.by_type("kubernetes:core/v1:Namespace")
    assert not run.by_type("azure-native:containerservice:ManagedCluster")


# --- Bad input -------------------------------------------------------------------------------


def _application_stack(**overrides: str) -> StackConfig:
    stack = example_stack("storefront-dev")
    values = {**stack.values, **{f"platform:{k}": v for k, v in overrides.items()}}
    return dataclasses.replace(stack, values=values)


def _refused(stack: StackConfig) -> InvalidInput:
    with pytest.raises(ProgramFailed) as raised:
        run_offline(stack, build)
    assert raised.value.run.resources == [], "something was registered before the refusal"
    cause = raised.value.__cause__
    assert isinstance(cause, InvalidInput), cause
    return cause


def test_an_unknown_contract_version_is_refused_before_anything_is_registered(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    stack = full_name("platform-dev")
    recorded.write_recorded(
        stack, {CONTRACT_OUTPUT: {**_contract(), "version": "2.0.0"}}, folder=tmp_path
    )
    monkeypatch.setenv(recorded.RECORDED_ENV, str(tmp_path))
    error = _refused(example_stack("storefront-dev"))
    assert "contract major version 2 is not understood" in str(error)


def test_an_application_the_platform_did_not_onboard_is_refused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    stack = full_name("platform-dev")
    recorded.write_recorded(
        stack, {CONTRACT_OUTPUT: {**_contract(), "applications": []}}, folder=tmp_path
    )
    monkeypatch.setenv(recorded.RECORDED_ENV, str(tmp_path))
    error = _refused(example_stack("storefront-dev"))
    assert "platform:application = storefront: is not onboarded" in str(error)
    assert "add it to platform:applications of the platform stack" in str(error)


def test_an_application_on_another_environment_platform_is_refused() -> None:
    error = _refused(_application_stack(environment="prod"))
    assert "platform:environment = prod" in str(error)
    assert "the dev platform" in str(error)


def test_an_application_stack_naming_no_declared_application_is_refused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    contract = _contract()
    grant = {**contract["applications"][0], "name": "checkout"}
    recorded.write_recorded(
        full_name("platform-dev"),
        {CONTRACT_OUTPUT: {**contract, "applications": [grant]}},
        folder=tmp_path,
    )
    monkeypatch.setenv(recorded.RECORDED_ENV, str(tmp_path))
    error = _refused(_application_stack(application="checkout"))
    assert "no application of that name is declared (declared: storefront)" in str(error)


def test_a_host_the_platform_did_not_grant_is_refused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    contract = _contract()
    grant = {**contract["applications"][0], "hosts": ["shop.example.com"]}
    recorded.write_recorded(
        full_name("platform-dev"),
        {CONTRACT_OUTPUT: {**contract, "applications": [grant]}},
        folder=tmp_path,
    )
    monkeypatch.setenv(recorded.RECORDED_ENV, str(tmp_path))
    error = _refused(example_stack("storefront-dev"))
    assert (
        "admin-web.ingress.host = admin.dev.shop.internal: is not a host the platform granted"
        in str(error)
    )


def test_a_namespace_the_platform_did_not_grant_is_refused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    contract = _contract()
    grant = {**contract["applications"][0], "namespaces": ["storefront"]}
    recorded.write_recorded(
        full_name("platform-dev"),
        {CONTRACT_OUTPUT: {**contract, "applications": [grant]}},
        folder=tmp_path,
    )
    monkeypatch.setenv(recorded.RECORDED_ENV, str(tmp_path))
    error = _refused(example_stack("storefront-dev"))
    assert "runs in namespace storefront-jobs, which application storefront does not own" in str(
        error
    )


def _platform_with(applications: list[dict[str, Any]]) -> StackConfig:
    stack = example_stack("platform-dev")
    values = {**stack.values, "platform:applications": json.dumps(applications)}
    return dataclasses.replace(stack, values=values)


def test_two_applications_claiming_one_namespace_or_host_are_refused() -> None:
    subject = "repo:example-org/x:environment:dev"
    stack = _platform_with(
        [
            {"name": "shop", "hosts": ["shop.example.com"], "ciSubject": subject},
            {"name": "shop-jobs", "hosts": ["shop.example.com"], "ciSubject": subject},
        ]
    )
    with pytest.raises(ProgramFailed) as raised:
        run_offline(stack, build)
    assert raised.value.run.resources == []
    text = str(raised.value.__cause__)
    assert "namespace shop-jobs is claimed by 2 applications (shop, shop-jobs)" in text
    assert "host shop.example.com is claimed by 2 applications (shop, shop-jobs)" in text


def test_onboarding_in_a_single_stack_is_refused() -> None:
    stack = _platform_with([{"name": "shop", "ciSubject": "repo:o/shop:environment:dev"}])
    values = {**stack.values, "platform:mode": "single"}
    with pytest.raises(ProgramFailed) as raised:
        run_offline(dataclasses.replace(stack, values=values), build)
    assert "only a platform stack onboards applications" in str(raised.value.__cause__)


@pytest.mark.parametrize("environment", ENVIRONMENTS)
def test_each_custom_role_is_assigned_only_within_its_assignable_scopes(
    platforms: dict[str, OfflineRun], environment: str
) -> None:
    """Azure assigns a custom role only at or below one of its assignableScopes."""
    run = platforms[environment]
    assignable = {
        str(r.inputs["roleDefinitionId"]): set(r.inputs["assignableScopes"])
        for r in run.by_type("azure-native:authorization:RoleDefinition")
    }
    checked = 0
    for assignment in run.by_type("azure-native:authorization:RoleAssignment"):
        role = str(assignment.inputs["roleDefinitionId"]).rsplit("/", 1)[-1]
        if role in assignable:
            checked += 1
            assert within(str(assignment.inputs["scope"]), assignable[role]), assignment.name
    assert checked


# --- Migration from one stack (docs/team-stacks.md, "Migration") ------------------------------


def _by_urn_tail(run: OfflineRun) -> dict[str, Registration]:
    return {r.urn.split("::", 2)[2]: r for r in run.resources}


def test_the_single_stack_becomes_the_platform_stack_without_replacing_anything(
    dev: OfflineRun,
) -> None:
    """Switching `dev` to `platform:mode: platform`, onboarding the application it holds, keeps
    every foundation resource and the namespaces under the same URN with the same inputs: an
    update, never a replacement. (Onboarding another application is a change of its own: its
    namespaces, e.g. its jobs namespace in the safeguards' exclusions.)"""
    example = json.loads(example_stack("platform-dev").values["platform:applications"])
    migrated = _platform_with([a for a in example if a["name"] == "storefront"])
    single, platform = _by_urn_tail(dev), _by_urn_tail(run_offline(migrated, build))
    kept = set(single) & set(platform)
    assert kept
    assert [k for k in kept if single[k].inputs != platform[k].inputs] == []
    assert all(
        k.startswith(("pulumi:pulumi:Stack$platform:stacks:", "platform:stacks:"))
        for k in set(platform) - set(single)
    )


def test_the_application_moves_with_its_urns_and_only_its_group_changes(
    dev: OfflineRun, applications: dict[str, OfflineRun]
) -> None:
    """`pulumi state move` keeps a resource's URN: every resource of the application stack but
    its own provider and contract stand-in is in the single stack under the same URN. The
    Kubernetes objects are unchanged; the Azure ones differ in resourceGroupName (they live in the
    application's own group), which Azure cannot change in place (docs/team-stacks.md), and in
    their `application` tag: why a migration adopts them instead (tests/test_team_migration.py)."""
    single, app = _by_urn_tail(dev), _by_urn_tail(applications["dev"])
    new = sorted(set(app) - set(single))
    assert new == [
        "platform:stacks:PlatformContract$pulumi:providers:kubernetes::aks",
        "pulumi:pulumi:Stack$platform:stacks:PlatformContract::platform",
    ]
    moved_groups = 0
    for key in set(app) & set(single):
        before, after = single[key].inputs, app[key].inputs
        if before == after:
            continue
        assert key.split("$")[-1].startswith("azure-native:"), key
        # Once the application's group reads as the platform's (and the `application` tag, an
        # in-place update, is set aside), nothing else differs: ids that name the group follow.
        same = json.dumps({k: v for k, v in after.items() if k != "tags"}, sort_keys=True)
        same = same.replace("rg-shop-dev-storefront", "rg-shop-dev")
        assert same == json.dumps({k: v for k, v in before.items() if k != "tags"}, sort_keys=True)
        moved_groups += 1
    assert moved_groups


@pytest.mark.slow  # the preview CLI over a whole application stack: full suite only
def test_the_offline_preview_plans_one_application_stack_with_its_policies() -> None:
    from tests.fixtures import run_python

    done = run_python("-m", "infra.preview", "plan", "storefront-dev")
    assert done.returncode == 0, done.stderr
    assert "platform:stacks:PlatformContract  platform" in done.stdout
    assert "Policies: all rules pass" in done.stdout
    assert "ManagedCluster" not in done.stdout


def test_a_stale_recording_is_reported_by_record_check(
    platforms: dict[str, OfflineRun], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`.ci/apps` keeps the real platform's recordings (infra/stacks/recorded/, from `apps/`)
    current with `record --check`: it exits 1 on a recording that is not what the platform
    exports today, 0 on a fresh one."""
    from infra.stacks.__main__ import main

    monkeypatch.setenv(recorded.RECORDED_ENV, str(tmp_path))
    exported = platforms["dev"].outputs[CONTRACT_OUTPUT]
    stack = full_name("platform-dev")
    recorded.write_recorded(stack, {CONTRACT_OUTPUT: exported})
    assert main(["record", "--check", "platform-dev"]) == 0
    recorded.write_recorded(stack, {CONTRACT_OUTPUT: {**exported, "location": "northeurope"}})
    assert main(["record", "--check", "platform-dev"]) == 1
    # It wrote nothing: the stale recording is still there.
    assert recorded.recorded_outputs(stack)[CONTRACT_OUTPUT]["location"] == "northeurope"
