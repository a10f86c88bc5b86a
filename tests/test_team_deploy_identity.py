"""The deploy simulator runs an application stack as its own deploy identity
(`application-deploy-identity`, infra/simulate/rules/deploy_identity.py): on the platform as built
its deploy is accepted; with a grant the platform makes removed or narrowed, the first step that
needs it is refused, naming the resource, the action, the scope and the fix."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterator

import pytest

from infra.plan.kinds import ROLE_ASSIGNMENT
from infra.preview.engine import run_offline
from infra.preview.mocks import identity_principal_id
from infra.program import build
from infra.services.loader import APPS_ENV
from infra.simulate import scenario
from infra.simulate.plan import Plan, PlannedResource
from infra.simulate.replay import Phase
from infra.simulate.rules.deploy_identity import RULE, application_of
from infra.simulate.scenario import Simulation, simulate
from infra.stacks import recorded
from infra.stacks.authorization import JOIN_ENVIRONMENT, WRITE, required, target_of
from infra.stacks.contract import CONTRACT_OUTPUT, parse_contract
from infra.stacks.examples import example_stack, full_name
from infra.stacks.platform import deploy_identity_name

pytestmark = pytest.mark.slow  # each simulation plans the platform and the application stack

ENVIRONMENTS = ("dev", "prod")
TEAM_APPS = "tests.team_apps"


def _application_phase(simulation: Simulation) -> Phase:
    return next(
        p for p in simulation.phases if p.name == f"application {simulation.stack}: first deploy"
    )


def _as_identity(simulation: Simulation) -> list[str]:
    """What the rule refuses in any phase."""
    return [r.words() for p in simulation.phases for r in p.refusals if r.rule == RULE]


@pytest.mark.parametrize("environment", ENVIRONMENTS)
def test_the_storefront_deploys_as_its_identity_on_the_platform_as_built(environment: str) -> None:
    simulation = simulate(f"storefront-{environment}")
    assert _as_identity(simulation) == []
    assert simulation.ok, simulation.first_refusal
    phase = _application_phase(simulation)
    assert len(phase.steps) > 50  # every step was checked as the identity, none refused


@pytest.fixture(scope="module")
def team_recordings(tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    """The two applications of tests/team_apps (loyalty calls the storefront), with the platform
    contracts recorded from them."""
    folder = tmp_path_factory.mktemp("recorded")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv(APPS_ENV, TEAM_APPS)
        patch.setenv(recorded.RECORDED_ENV, str(folder))
        for environment in ENVIRONMENTS:
            run = run_offline(example_stack(f"platform-{environment}"), build)
            recorded.write_recorded(
                full_name(f"platform-{environment}"),
                {CONTRACT_OUTPUT: run.outputs[CONTRACT_OUTPUT]},
            )
        yield


@pytest.mark.parametrize("environment", ENVIRONMENTS)
@pytest.mark.parametrize("application", ["storefront", "loyalty"])
def test_each_team_application_deploys_as_its_identity(
    team_recordings: None, application: str, environment: str
) -> None:
    simulation = simulate(f"{application}-{environment}")
    assert _as_identity(simulation) == []
    assert _application_phase(simulation).steps


def _without(match: Callable[[PlannedResource], bool]) -> Callable[..., Plan]:
    """`scenario.record` with the platform's plans missing the resources `match` selects."""
    original = scenario.record

    def record(stack: str, *, deploy_services: bool = True) -> Plan:
        plan = original(stack, deploy_services=deploy_services)
        if not stack.startswith("platform-"):
            return plan
        kept = {urn: r for urn, r in plan.resources.items() if not match(r)}
        assert len(kept) < len(plan.resources), "nothing removed"
        return dataclasses.replace(plan, resources=kept)

    return record


def _first_needing(phase: Phase, plan: Plan, action: str) -> str:
    """The label of the first step of `phase` Azure checks `action` for."""
    platform = str(plan.config["platform:platformStack"])
    target = target_of(parse_contract(recorded.recorded_outputs(platform)[CONTRACT_OUTPUT]))
    for step in phase.steps:
        resource = plan.resources[step.urn]
        needs = required(resource.type, resource.inputs, WRITE, target, resource.name)
        if any(n.action.lower() == action.lower() for n in needs):
            return step.label
    raise AssertionError(f"no step needs {action}")


@pytest.mark.parametrize(
    ("removed", "action", "scope"),
    [
        # The custom role that lets it write its custom resources in its namespace.
        (
            "storefront-deploy-storefront-custom-resources",
            "Microsoft.ContainerService/managedClusters/customresources/write",
            "/namespaces/storefront",
        ),
        # Contributor on its own resource group.
        ("storefront-deploy-group", "Microsoft.ManagedIdentity/userAssignedIdentities/write", ""),
        # The deployer role on the platform's pull identity (its Container Apps assign it).
        (
            "storefront-deploy-pull-identity",
            "Microsoft.ManagedIdentity/userAssignedIdentities/assign/action",
            "/userassignedidentities/registry-pull",
        ),
    ],
)
def test_a_platform_without_a_grant_refuses_the_first_step_that_needs_it(
    monkeypatch: pytest.MonkeyPatch, removed: str, action: str, scope: str
) -> None:
    monkeypatch.setattr(
        scenario, "record", _without(lambda r: r.name == removed and r.type == ROLE_ASSIGNMENT)
    )
    simulation = simulate("storefront-dev")
    assert simulation.first_refusal is not None
    phase, refusal = simulation.first_refusal
    assert phase.name == "application storefront-dev: first deploy"
    assert refusal.rule == RULE, refusal.words()
    application = scenario.record("storefront-dev")
    assert refusal.resource == _first_needing(phase, application, action)
    words = refusal.words()
    for part in (action, scope, "storefront-deploy", "Fix: grant it in the platform stack"):
        assert part.lower() in words.lower(), words
    # The platform's own first deploy is unaffected: only the application's steps are refused.
    assert all(not p.refusals for p in simulation.phases if p.name.startswith("platform "))


def test_a_narrowed_custom_role_refuses_the_first_step_that_needs_what_it_lost(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The deployer role without `managedEnvironments/join/action`: the assignment still exists
    on the environment, but it no longer allows the first Container App to join it."""
    original = scenario.record

    def record(stack: str, *, deploy_services: bool = True) -> Plan:
        plan = original(stack, deploy_services=deploy_services)
        if not stack.startswith("platform-"):
            return plan
        resources = dict(plan.resources)
        (urn,) = [u for u, r in resources.items() if r.name == "application-deployer"]
        role = resources[urn]
        permissions = [
            {**p, "actions": [a for a in p["actions"] if a != JOIN_ENVIRONMENT]}
            for p in role.inputs["permissions"]
        ]
        resources[urn] = dataclasses.replace(
            role, inputs={**role.inputs, "permissions": permissions}
        )
        return dataclasses.replace(plan, resources=resources)

    monkeypatch.setattr(scenario, "record", record)
    simulation = simulate("storefront-dev")
    assert simulation.first_refusal is not None
    phase, refusal = simulation.first_refusal
    assert refusal.rule == RULE, refusal.words()
    assert refusal.resource == _first_needing(
        phase, scenario.record("storefront-dev"), JOIN_ENVIRONMENT
    )
    assert f"action {JOIN_ENVIRONMENT} on" in refusal.words()
    assert "/managedenvironments/" in refusal.words().lower()


def test_a_platform_and_a_single_stack_keep_the_deployer_model() -> None:
    """Only an application stack runs as an application's identity."""
    single = scenario.record("dev", deploy_services=False)
    assert application_of(single) is None
    application = scenario.record("storefront-dev")
    assert application_of(application) == "storefront"
    assert identity_principal_id(deploy_identity_name("storefront")) in {
        str(r.inputs.get("principalId"))
        for r in scenario.record("platform-dev").resources.values()
        if r.type == ROLE_ASSIGNMENT
    }
