"""Calls across application stacks (docs/team-stacks.md, "Calls across applications"): the
reference team stacks with two applications (tests/team_apps: loyalty calls the storefront).

A caller resolves another application's service from the platform's registry and gets the
address it would get in a single stack; the callee admits the caller (NetworkPolicy, Container
Apps allow-list) as in a single stack, without either team editing the other's files; removing
a callee that still has callers is refused in the callee's preview."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from typing import Any

import pytest

from infra.preview.engine import OfflineRun, ProgramFailed, Registration, run_offline
from infra.preview.stackfile import read_stack
from infra.problems import InvalidInput
from infra.program import build
from infra.services.loader import APPS_ENV, load_applications
from infra.services.spec import Application, Dependency
from infra.stacks import recorded
from infra.stacks.contract import CONTRACT_OUTPUT, parse_contract
from infra.stacks.examples import example_stack, full_name
from tests.conftest import FIXTURE_RECORDINGS
from tests.test_team_stacks import deploy_identity, outside

TEAM_APPS = "tests.team_apps"
ENVIRONMENTS = ("dev", "prod")


@pytest.fixture(scope="module")
def team(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, OfflineRun]]:
    """The two-application declarations, and the platform stacks' contracts recorded from them
    (a folder of their own: the suite's recordings, tests/recorded/, are the one-application
    ones)."""
    folder = tmp_path_factory.mktemp("recorded")
    platforms: dict[str, OfflineRun] = {}
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv(APPS_ENV, TEAM_APPS)
        patch.setenv(recorded.RECORDED_ENV, str(folder))
        for env in ENVIRONMENTS:
            run = platforms[env] = run_offline(example_stack(f"platform-{env}"), build)
            recorded.write_recorded(
                full_name(f"platform-{env}"), {CONTRACT_OUTPUT: run.outputs[CONTRACT_OUTPUT]}
            )
        yield platforms


@pytest.fixture(scope="module")
def stacks(team: dict[str, OfflineRun]) -> dict[str, OfflineRun]:
    """Each application stack, and the single stack of the same declarations (the reference)."""
    runs = {
        f"{app}-{env}": run_offline(example_stack(f"{app}-{env}"), build)
        for app in ("storefront", "loyalty")
        for env in ENVIRONMENTS
    }
    runs |= {env: run_offline(read_stack(env), build) for env in ENVIRONMENTS}
    return runs


@pytest.mark.parametrize("environment", ENVIRONMENTS)
@pytest.mark.parametrize("application", ["storefront", "loyalty"])
def test_each_application_stack_stays_within_its_identity_scopes(
    team: dict[str, OfflineRun],
    stacks: dict[str, OfflineRun],
    application: str,
    environment: str,
) -> None:
    """The least-privilege proof (tests/test_team_stacks.py) for both applications, with the
    calls across them: admitting a caller needs no right in the caller's namespace."""
    platform = team[environment]
    contract = parse_contract(platform.outputs[CONTRACT_OUTPUT])
    run = stacks[f"{application}-{environment}"]
    problems = outside(run.resources, contract, deploy_identity(platform, application))
    assert not problems, "\n".join(problems)
    assert run.resources


def _k8s(run: OfflineRun, kind: str, name: str, namespace: str) -> Registration:
    token = {
        "Deployment": "kubernetes:apps/v1:Deployment",
        "NetworkPolicy": "kubernetes:networking.k8s.io/v1:NetworkPolicy",
        "Service": "kubernetes:core/v1:Service",
    }[kind]
    found = [
        r
        for r in run.by_type(token)
        if r.inputs["metadata"]["name"] == name and r.inputs["metadata"]["namespace"] == namespace
    ]
    assert len(found) == 1, (kind, name, [r.name for r in run.by_type(token)])
    return found[0]


def _env(deployment: Registration) -> dict[str, Any]:
    container = deployment.inputs["spec"]["template"]["spec"]["containers"][0]
    return {e["name"]: e.get("value") for e in container.get("env", [])}


def _sources_sorted(policy: dict[str, Any]) -> list[Any]:
    return [{**rule, "from": sorted(rule["from"], key=repr)} for rule in policy["spec"]["ingress"]]


def _container_app(run: OfflineRun, name: str) -> Registration:
    found = [
        r
        for r in run.by_type("azure-native:app:ContainerApp")
        if r.inputs.get("containerAppName") == name
    ]
    assert len(found) == 1, name
    return found[0]


@pytest.mark.parametrize("environment", ENVIRONMENTS)
def test_the_platform_publishes_services_and_the_calls_across_applications(
    team: dict[str, OfflineRun], environment: str
) -> None:
    raw = recorded.recorded_outputs(full_name(f"platform-{environment}"))[CONTRACT_OUTPUT]
    contract = parse_contract(raw)
    published = {s.name: s for s in contract.services}
    assert published["catalog-api"].application == "storefront"
    assert published["points-api"].application == "loyalty"
    calls = {(c.application, c.caller, c.service) for c in contract.calls}
    # Only calls that cross applications, read from the callers' declarations.
    assert calls == {
        ("loyalty", "points-api", "catalog-api"),
        ("loyalty", "points-api", "identity-api"),
    }


@pytest.mark.parametrize("environment", ENVIRONMENTS)
def test_a_caller_gets_the_address_a_single_stack_gives_it(
    stacks: dict[str, OfflineRun], environment: str
) -> None:
    own = _env(_k8s(stacks[f"loyalty-{environment}"], "Deployment", "points-api", "loyalty"))
    single = _env(_k8s(stacks[environment], "Deployment", "points-api", "loyalty"))
    assert own["CATALOG_URL"] == "http://catalog-api.storefront.svc.cluster.local"
    assert own["IDENTITY_URL"].startswith("https://identity-api.")
    assert own == single


@pytest.mark.parametrize("environment", ENVIRONMENTS)
def test_the_callee_admits_the_other_application_as_in_a_single_stack(
    stacks: dict[str, OfflineRun], environment: str
) -> None:
    storefront, single = stacks[f"storefront-{environment}"], stacks[environment]
    policy = _k8s(storefront, "NetworkPolicy", "catalog-api", "storefront").inputs
    admitted = [
        source
        for rule in policy["spec"]["ingress"]
        for source in rule["from"]
        if source.get("namespaceSelector", {})
        .get("matchLabels", {})
        .get("kubernetes.io/metadata.name")
        == "loyalty"
    ]
    assert admitted
    assert admitted[0]["podSelector"]["matchLabels"]["app.kubernetes.io/name"] == ("points-api")
    # The same rules as in the single stack (a rule's sources in another order: the callers of
    # other applications come after the application's own).
    assert _sources_sorted(policy) == _sources_sorted(
        _k8s(single, "NetworkPolicy", "catalog-api", "storefront").inputs
    )
    # The Container App's allow-list (AKS callers: its egress address) as in the single stack.
    app = _container_app(storefront, "identity-api").inputs["configuration"]["ingress"]
    assert app == _container_app(single, "identity-api").inputs["configuration"]["ingress"]


def test_without_the_caller_the_callee_does_not_admit_it(
    stacks: dict[str, OfflineRun], monkeypatch: pytest.MonkeyPatch
) -> None:
    """The admission comes from the registry: the suite's one-application contract (recorded in
    tests/recorded/) has no loyalty calls, and the storefront's policy no loyalty rule."""
    monkeypatch.setenv(APPS_ENV, "tests.apps")
    monkeypatch.setenv(recorded.RECORDED_ENV, str(FIXTURE_RECORDINGS))
    alone = run_offline(example_stack("storefront-dev"), build)
    text = str(_k8s(alone, "NetworkPolicy", "catalog-api", "storefront").inputs)
    assert "loyalty" not in text
    assert "loyalty" in str(
        _k8s(stacks["storefront-dev"], "NetworkPolicy", "catalog-api", "storefront").inputs
    )


def _refused(stack: str, applications: list[Application]) -> InvalidInput:
    with pytest.raises(ProgramFailed) as raised:
        run_offline(example_stack(stack), lambda: build(applications=applications))
    assert raised.value.run.resources == [], "something was registered before the refusal"
    cause = raised.value.__cause__
    assert isinstance(cause, InvalidInput), cause
    return cause


def test_removing_a_callee_that_still_has_callers_is_refused_in_its_preview(
    team: dict[str, OfflineRun],
) -> None:
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv(APPS_ENV, TEAM_APPS)
        declared = load_applications()
    storefront = next(a for a in declared if a.name == "storefront")
    without = dataclasses.replace(
        storefront,
        services=tuple(s for s in storefront.services if s.name != "catalog-api"),
        # Its own callers go with it (else the storefront refuses its own dangling dependency).
        jobs=(),
    )
    without = dataclasses.replace(
        without,
        services=tuple(
            dataclasses.replace(
                s,
                dependencies=tuple(d for d in s.dependencies if d.service != "catalog-api"),
            )
            for s in without.services
        ),
    )
    refused = _refused("storefront-dev", [without])
    [problem] = refused.problems
    assert problem.path == "catalog-api"
    assert "loyalty/points-api (service)" in problem.problem
    assert "until loyalty remove their dependency" in problem.fix


def test_a_dependency_on_a_service_no_application_publishes_is_refused(
    team: dict[str, OfflineRun],
) -> None:
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv(APPS_ENV, TEAM_APPS)
        declared = load_applications()
    loyalty = next(a for a in declared if a.name == "loyalty")
    points = loyalty.services[0]
    broken = dataclasses.replace(
        points, dependencies=(*points.dependencies, Dependency(service="catalog-apy"))
    )
    refused = _refused("loyalty-dev", [dataclasses.replace(loyalty, services=(broken,))])
    [problem] = refused.problems
    assert problem.value == "'catalog-apy'"
    assert "is not a declared service" in problem.problem
    assert "catalog-api" in problem.fix
