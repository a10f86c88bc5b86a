"""Container Apps revisions in the deploy simulator: an app's revision history, the rule that
refuses asking Azure for a revision name it already used, and a rollout before the first
revision. Each rule passes on the platform's real plans (tests/test_simulate_stacks.py)."""

from __future__ import annotations

from typing import Any

from infra.simulate import World, replay
from infra.simulate.replay import applied
from infra.simulate.scenario import simulate_change, simulate_plans
from tests.simulate_builders import container_app, plan, refusals


def app_with(suffix: str | None, image: str, **configuration: Any) -> dict[str, Any]:
    template: dict[str, Any] = {"containers": [{"name": "web", "image": image}]}
    if suffix is not None:
        template["revisionSuffix"] = suffix
    return container_app("web", template=template, **configuration)


def deployed(*steps: dict[str, Any]) -> World:
    """The world after deploying each version of the app in turn."""
    world = World()
    for step in steps:
        _, world = replay("deploy", plan(step), world)
    return world


def test_the_world_remembers_each_revision_an_app_created() -> None:
    world = deployed(app_with("r1", "web:1"), app_with("r2", "web:2"), app_with("r2", "web:2"))
    (urn,) = world.revisions
    assert world.revisions[urn] == ("r1", "r2")


def test_a_deleted_app_takes_its_revisions_with_it() -> None:
    world = deployed(app_with("r1", "web:1"))
    assert applied(plan(), world).revisions == {}


def test_returning_to_an_earlier_suffix_is_refused() -> None:
    """A rollback or a revert re-derives an old suffix: Azure makes no revision and the app
    keeps running the newer one."""
    world = deployed(app_with("r1", "web:1"), app_with("r2", "web:2"))
    (found,) = refusals(plan(app_with("r1", "web:1")), world)
    assert found.rule == "aca-revision-recreated"
    assert "web--r1 again" in found.why
    assert "web--r2 would keep the traffic" in found.why


def test_returning_to_an_earlier_declaration_without_suffixes_is_accepted() -> None:
    """What the platform renders: no suffix, so Azure names a new revision each time."""
    world = deployed(app_with(None, "web:1"), app_with(None, "web:2"))
    assert refusals(plan(app_with(None, "web:1")), world) == []


def test_keeping_the_running_suffix_is_not_a_recreation() -> None:
    world = deployed(app_with("r1", "web:1"))
    assert refusals(plan(app_with("r1", "web:1")), world) == []


def rollout_traffic(stable: str) -> dict[str, Any]:
    return {
        "ingress": {
            "traffic": [
                {"revisionName": stable, "weight": 90, "label": "stable"},
                {"latestRevision": True, "weight": 10, "label": "canary"},
            ]
        }
    }


def test_a_rollout_on_a_new_app_is_refused() -> None:
    (found,) = refusals(plan(app_with(None, "web:2", **rollout_traffic("web--live"))))
    assert found.rule == "aca-rollout-before-first-revision"
    assert "web--live" in found.why


def test_a_rollout_on_a_running_app_is_accepted() -> None:
    world = deployed(app_with(None, "web:1"))
    assert refusals(plan(app_with(None, "web:2", **rollout_traffic("web--live"))), world) == []


def test_a_canary_change_is_simulated_over_the_base_that_runs_the_app() -> None:
    """`simulate STACK --base REV` (the app teams' check): a first deploy of the head alone
    refuses the canary, rightly; the same head deployed over the base's running app does not."""
    base = plan(app_with(None, "web:1"))
    head = plan(app_with(None, "web:2", **rollout_traffic("web--live")))
    alone = simulate_plans(plan(), head)
    assert [r.rule for p in alone.phases for r in p.refusals][:1] == [
        "aca-rollout-before-first-revision"
    ]
    change = simulate_change(plan(), base, head)
    assert change.ok, [r.words() for p in change.phases for r in p.refusals]
    names = [p.name for p in change.phases]
    assert names.index("base: services (the running stack)") < names.index(
        "change: deploy (head plan over the base)"
    )
    # A canary on an app the base does not run is refused in the change's deploy.
    other = container_app(
        "shop",
        template={"containers": [{"name": "shop", "image": "shop:2"}]},
        **rollout_traffic("shop--live"),
    )
    refused = simulate_change(plan(), base, plan(other))
    phase, refusal = refused.first_refusal or (None, None)
    assert phase is not None
    assert refusal is not None
    assert phase.name == "change: deploy (head plan over the base)"
    assert refusal.rule == "aca-rollout-before-first-revision"
