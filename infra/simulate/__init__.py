"""The deploy simulator: a model of Azure's and AKS's deploy-time rules that replays a recorded
plan in the engine's dependency order and refuses what Azure would refuse (issue 11).

    simulate("dev")                       first deploy, bootstrap, second deploy
    replay(name, Plan.from_snapshot(s), World())   one run against a given world
"""

from infra.simulate.plan import Plan, PlannedResource
from infra.simulate.registry import RULES, Refusal
from infra.simulate.replay import Phase, replay
from infra.simulate.scenario import Simulation, record, simulate, simulate_plans
from infra.simulate.world import Grant, World

__all__ = [
    "RULES",
    "Grant",
    "Phase",
    "Plan",
    "PlannedResource",
    "Refusal",
    "Simulation",
    "World",
    "record",
    "replay",
    "simulate",
    "simulate_plans",
]
