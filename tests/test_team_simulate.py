"""The deploy simulator on team stacks (docs/team-stacks.md, docs/simulator.md): the platform
stack's first deploy, and an application stack deployed on the platform it names."""

from __future__ import annotations

import dataclasses
import json
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from infra.exit_codes import Exit
from infra.preview import cli
from infra.preview.engine import run_offline
from infra.program import build
from infra.services.loader import APPS_ENV
from infra.simulate import Phase, Plan, PlannedResource
from infra.simulate.references import CONTAINER_APP
from infra.simulate.scenario import TeamPlans, platform_of, record, simulate, simulate_team
from infra.stacks import recorded
from infra.stacks.__main__ import main as stacks_main
from infra.stacks.contract import CONTRACT_OUTPUT
from infra.stacks.examples import example_stack, full_name
from tests.conftest import FIXTURE_RECORDINGS
from tests.fixtures import ROOT, copy_program

pytestmark = pytest.mark.slow  # each simulation plans two to four stacks


def test_an_application_stack_names_its_platform_and_others_none() -> None:
    assert platform_of("storefront-dev") == "platform-dev"
    assert platform_of("platform-dev") is None
    assert platform_of("dev") is None


@pytest.mark.parametrize("stack", ["platform-dev", "platform-prod"])
def test_the_platform_stack_first_deploy_is_accepted(stack: str) -> None:
    """Its first step (deployServices: false) leaves the shared ingress's charts out: they go
    through the provider of the cluster that step creates (helm-chart-unknown-cluster refused
    them there before)."""
    simulation = simulate(stack)
    assert simulation.ok, simulation.first_refusal
    foundation = simulation.phases[0].name
    assert "foundation only" in foundation


def test_an_application_stack_deploys_on_its_platform_and_not_alone() -> None:
    simulation = simulate("storefront-dev")
    assert simulation.ok, simulation.first_refusal
    names = [phase.name for phase in simulation.phases]
    assert names[0].startswith("platform platform-dev: first deploy: foundation only")
    assert "application storefront-dev: first deploy" in names
    # The application's second deploy runs on the platform it deployed on.
    assert "application storefront-dev: second deploy (after drift)" in names
    # Without the platform (no cluster, namespace, gateway), Azure and AKS refuse it.
    assert simulation.single_shot is not None
    assert simulation.single_shot.refusals
    rules = {r.rule for r in simulation.single_shot.refusals}
    assert "chart-namespace-missing" in rules or "aks-rbac-cluster-admin" in rules, rules


def test_a_container_app_binds_its_custom_domain_on_the_records_its_platform_writes() -> None:
    """prod's web binds shop.example.com, in `platform:dns`'s zone: Container Apps binds it only
    once TXT asuid.<host> and its CNAME exist (`aca-custom-domain-records`). The application's
    identity cannot write the zone, so its stack counts the records as present and the platform
    stack writes them (as a single stack does under the service), and the environment's
    certificate of the host, which the app binds by id (`aca-custom-domain-certificate`):
    deployed on its platform the application is accepted; alone, both rules refuse the
    binding."""
    simulation = simulate("storefront-prod")
    assert simulation.ok, simulation.first_refusal
    assert simulation.single_shot is not None
    refused = {r.rule for r in simulation.single_shot.refusals}
    assert {"aca-custom-domain-records", "aca-custom-domain-certificate"} <= refused


# --- a change over the running stacks (--base) and the whole set (--set) ---------------------


@pytest.fixture(scope="module")
def dev() -> dict[str, Plan]:
    """The fixture environment's team stacks, planned once (platform-dev's foundation too)."""
    return {
        "foundation": record("platform-dev", deploy_services=False),
        "platform-dev": record("platform-dev"),
        "storefront-dev": record("storefront-dev"),
    }


def _changed(plan: Plan, urn: str, **inputs: Any) -> Plan:
    resource = plan.resources[urn]
    changed = dataclasses.replace(resource, inputs={**resource.inputs, **inputs})
    return dataclasses.replace(plan, resources={**plan.resources, urn: changed})


def _container_app(plan: Plan, name: str) -> PlannedResource:
    (found,) = [r for r in plan.of_type(CONTAINER_APP) if r.inputs.get("containerAppName") == name]
    return found


def _steps(phase: Phase) -> list[str]:
    return [step.action for step in phase.steps]


def test_an_unchanged_application_over_its_base_is_accepted_with_no_creates(
    dev: dict[str, Plan],
) -> None:
    """`simulate storefront-dev --base REV` when the change leaves the application (and its
    platform) as REV deploys them: the head plan over the base world is no step at all."""
    base = TeamPlans(dev["platform-dev"], (dev["storefront-dev"],))
    simulation = simulate_team("storefront-dev", dev["foundation"], base, base)
    assert simulation.ok, simulation.first_refusal
    phases = {phase.name: phase for phase in simulation.phases}
    assert "base: application storefront-dev: the running stack" in phases
    change = phases["change: application storefront-dev: deploy (head plan over the base)"]
    assert "create" not in _steps(change)
    assert change.steps == []
    # The platform's plan did not change: it is not deployed again.
    assert not [name for name in phases if name.startswith("change: platform")]


def test_a_head_change_azure_refuses_over_the_running_application_is_refused(
    dev: dict[str, Plan],
) -> None:
    """The running app's revision is `web--r1`; the head changes the template under the same
    suffix, so it asks for a revision that exists (`aca-revision-suffix-reused`): refused in
    the change's deploy, named by its stack and phase. The same head as a first deploy is fine,
    which is why the app teams' check replays it over the base."""
    app = _container_app(dev["storefront-dev"], "web")
    template = dict(app.inputs["template"])
    running = _changed(
        dev["storefront-dev"], app.urn, template={**template, "revisionSuffix": "r1"}
    )
    containers = [{**c, "image": f"{c['image']}-next"} for c in template["containers"]]
    head = _changed(
        running, app.urn, template={**template, "containers": containers, "revisionSuffix": "r1"}
    )
    base = TeamPlans(dev["platform-dev"], (running,))
    simulation = simulate_team(
        "storefront-dev", dev["foundation"], TeamPlans(dev["platform-dev"], (head,)), base
    )
    found = simulation.first_refusal
    assert found is not None
    phase, refusal = found
    assert phase.name == "change: application storefront-dev: deploy (head plan over the base)"
    assert refusal.rule == "aca-revision-suffix-reused"
    assert refusal.urn.startswith("urn:pulumi:storefront-dev::")
    first = simulate_team(
        "storefront-dev", dev["foundation"], TeamPlans(dev["platform-dev"], (head,))
    )
    assert first.ok, first.first_refusal


def test_a_platform_change_deploys_before_the_application_over_the_base(
    dev: dict[str, Plan],
) -> None:
    """When REV's platform plan differs from the working tree's, the platform's head plan is
    replayed first (the deploy workflow's order), then the application's."""
    platform = dev["platform-dev"]
    group = next(r for r in platform if r.type == "azure-native:resources:ResourceGroup")
    older = _changed(platform, group.urn, tags={**group.inputs.get("tags", {}), "old": "1"})
    base = TeamPlans(older, (dev["storefront-dev"],))
    head = TeamPlans(platform, (dev["storefront-dev"],))
    simulation = simulate_team("storefront-dev", dev["foundation"], head, base)
    assert simulation.ok, simulation.first_refusal
    names = [phase.name for phase in simulation.phases]
    platform_change = "change: platform platform-dev: deploy (head plan over the base)"
    assert names.index(platform_change) < names.index(
        "change: application storefront-dev: deploy (head plan over the base)"
    )
    assert _steps(simulation.phases[names.index(platform_change)]) == ["update"]


@pytest.fixture(scope="module")
def two_applications(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Plan]:
    """The two-application environment (tests/team_apps: loyalty calls the storefront), with
    the platform's contract recorded from it in a folder of its own (the settings are restored
    once the plans are made)."""
    folder = tmp_path_factory.mktemp("recorded")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv(APPS_ENV, "tests.team_apps")
        patch.setenv(recorded.RECORDED_ENV, str(folder))
        run = run_offline(example_stack("platform-dev"), build)
        recorded.write_recorded(
            full_name("platform-dev"), {CONTRACT_OUTPUT: run.outputs[CONTRACT_OUTPUT]}
        )
        return {
            "foundation": record("platform-dev", deploy_services=False),
            "platform-dev": record("platform-dev"),
            "storefront-dev": record("storefront-dev"),
            "loyalty-dev": record("loyalty-dev"),
        }


def test_the_environments_set_deploys_in_one_world(two_applications: dict[str, Plan]) -> None:
    """`simulate --set dev`: the platform, then both applications (each alone over the
    platform, then each after the other), drift, and every stack's second deploy."""
    plans = two_applications
    apps = (plans["loyalty-dev"], plans["storefront-dev"])
    simulation = simulate_team(
        "--set dev", plans["foundation"], TeamPlans(plans["platform-dev"], apps)
    )
    assert simulation.ok, simulation.first_refusal
    names = [phase.name for phase in simulation.phases]
    assert (
        names[0] == "platform platform-dev: first deploy: foundation only (deployServices: false)"
    )
    for stack in ("loyalty-dev", "storefront-dev"):
        assert f"application {stack}: first deploy" in names
        assert f"application {stack}: first deploy, after the other applications'" in names
        assert f"application {stack}: second deploy (after drift)" in names
    assert "platform platform-dev: second deploy (after drift)" in names


def test_two_applications_creating_one_container_app_name_are_refused(
    two_applications: dict[str, Plan],
) -> None:
    """Two application stacks that both add a Container App `web` (each plans fine against a
    contract that lists neither) collide in the environment: whichever deploys second is
    refused, so the set is refused, in both applications' deploys after the other's."""
    plans = two_applications
    web = _container_app(plans["storefront-dev"], "web")
    urn = web.urn.replace("urn:pulumi:storefront-dev::", "urn:pulumi:loyalty-dev::")
    group = str(web.inputs["resourceGroupName"]).replace("storefront", "loyalty")
    copy = dataclasses.replace(
        web, urn=urn, parent="", inputs={**web.inputs, "resourceGroupName": group}
    )
    loyalty = plans["loyalty-dev"]
    loyalty = dataclasses.replace(loyalty, resources={**loyalty.resources, urn: copy})
    apps = (loyalty, plans["storefront-dev"])
    simulation = simulate_team(
        "--set dev", plans["foundation"], TeamPlans(plans["platform-dev"], apps)
    )
    refused = {
        phase.name: [r.rule for r in phase.refusals]
        for phase in simulation.phases
        if phase.refusals
    }
    assert refused == {
        "application loyalty-dev: first deploy, after the other applications'": [
            "resource-held-by-another-stack"
        ],
        "application storefront-dev: first deploy, after the other applications'": [
            "resource-held-by-another-stack"
        ],
    }
    _, refusal = simulation.first_refusal or (None, None)
    assert refusal is not None
    assert "Container App web in environment container-apps-env" in refusal.why
    assert "stack storefront-dev holds it" in refusal.why


# --- the command line -------------------------------------------------------------------------


def test_simulate_set_replays_the_environment_in_one_world(
    capsys: pytest.CaptureFixture[str],
) -> None:
    """`simulate --set dev` (tests/apps declares the storefront: loyalty-dev is left out, and
    said so)."""
    assert cli.main(["simulate", "--set", "dev", "--json"]) == Exit.OK
    captured = capsys.readouterr()
    assert "loyalty-dev left out" in captured.err
    (name, result), *rest = json.loads(captured.out)["stacks"].items()
    assert rest == []
    assert name == "--set dev: platform-dev"
    assert result["ok"]
    names = [phase["name"] for phase in result["phases"]]
    assert names.index("platform platform-dev: first deploy: services (full plan)") < names.index(
        "application storefront-dev: first deploy"
    )


def test_simulate_without_a_stack_or_a_set_says_what_to_add(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert cli.main(["simulate"]) == Exit.ERROR
    assert "--set dev" in capsys.readouterr().err


def test_an_application_stacks_change_is_simulated_over_rev(tmp_path: Path) -> None:
    """`simulate storefront-dev --base main` in a repository: REV's platform and application
    plans (from a worktree of REV) are the running world, the working tree's change deploys
    over it (here none: nothing to do)."""
    root = copy_program(tmp_path / "repo")
    shutil.copytree(ROOT / FIXTURE_RECORDINGS, root / FIXTURE_RECORDINGS)
    for args in (("init", "-q", "-b", "main"), ("add", "-A"), ("commit", "-qm", "base")):
        subprocess.run(
            ["git", "-c", "user.name=t", "-c", "user.email=t@t", *args], cwd=root, check=True
        )
    done = subprocess.run(
        [sys.executable, "-m", "infra.preview", "simulate", "storefront-dev", "--base", "main"],
        cwd=root,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert done.returncode == Exit.OK, done.stdout + done.stderr
    assert "base: application storefront-dev: the running stack" in done.stdout
    assert (
        "change: application storefront-dev: deploy (head plan over the base) — nothing to do"
        in done.stdout
    )


def test_the_environments_of_the_team_stacks_are_listed_for_set(
    capsys: pytest.CaptureFixture[str],
) -> None:
    """`.ci/apps` simulates `--set ENV` for each of them."""
    assert stacks_main(["list", "--examples", "--environments"]) == 0
    assert capsys.readouterr().out.split() == ["dev", "prod"]
    assert stacks_main(["list", "--examples", "--environments", "--environment", "prod"]) == 0
    assert capsys.readouterr().out.split() == ["prod"]
