"""The preview tool's commands and options, defined once for `python -m infra.preview` and for
`dev.py` (which shows them, `--help` included, before `.venv` exists: standard library only).

Each command's handler is in `cli.py` (or `infra/cost/commands.py`), looked up by its name.
"""

from __future__ import annotations

import argparse
import os
from pathlib import Path

DEBUG_HELP = "on an error, print the full traceback too"
PLAN_TIMEOUT = 1800.0
"""Seconds a multi-stack plan waits for its workers (`--timeout`): a stuck worker is an error,
never a CI job that burns its own timeout and posts nothing."""
JOBS = os.cpu_count() or 1
SET_HELP = (
    "also the team stacks of environment ENV: its platform stack, then its application stacks "
    "(python -m infra.stacks list --examples --environment ENV), planned in parallel and priced "
    "together (docs/team-stacks.md)"
)


SIMULATE_SET_HELP = (
    "also the team stacks of environment ENV in one simulated world: its platform stack's "
    "deploy, then its application stacks' in parallel, so what two of them both create shows "
    "(docs/team-stacks.md)"
)


def _add_set(command: argparse.ArgumentParser, text: str = SET_HELP) -> None:
    command.add_argument("--set", metavar="ENV", dest="stack_set", help=text)


def add_commands(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """plan, diff, against, render, simulate, cost and prices, each with `--debug`."""
    plan = commands.add_parser(
        "plan", help="run the program offline and snapshot its desired state"
    )
    plan.add_argument("stack", nargs="*", help="stack name(s), e.g. dev prod")
    _add_set(plan)
    plan.add_argument("--out", type=Path, help="write the JSON snapshot here ({stack} for several)")
    plan.add_argument("--quiet", action="store_true", help="no tree, no progress")
    plan.add_argument(
        "--json", action="store_true", help="one JSON summary per stack on stdout (for tools)"
    )
    plan.add_argument(
        "--jobs", type=int, default=JOBS, help="stacks planned in parallel (default: one per CPU)"
    )
    plan.add_argument(
        "--timeout",
        type=float,
        default=PLAN_TIMEOUT,
        help=f"seconds to wait for parallel plans (default {PLAN_TIMEOUT:g})",
    )
    compare = commands.add_parser("diff", help="compare two snapshots")
    compare.add_argument("base", type=Path)
    compare.add_argument("head", type=Path)
    compare.add_argument("--format", choices=("text", "markdown", "json"), default="text")
    compare.add_argument("--out", type=Path, help="write the report here instead of stdout")
    against = commands.add_parser(
        "against",
        help="plan REV (from a temporary git worktree) and the working tree, diff each stack",
    )
    against.add_argument("rev", help="the base: a branch, tag or commit, e.g. main")
    against.add_argument("stack", nargs="*", help="stack name(s), e.g. dev prod")
    _add_set(against)
    against.add_argument("--format", choices=("text", "markdown", "json"), default="text")
    against.add_argument(
        "--out",
        type=Path,
        help="also write base-STACK.json, head-STACK.json and diff-STACK.{txt,md,json} here",
    )
    against.add_argument("--jobs", type=int, default=JOBS, help="head stacks planned in parallel")
    against.add_argument("--timeout", type=float, default=PLAN_TIMEOUT, help="seconds per plan")
    render = commands.add_parser(
        "render", help="write Kubernetes YAML, Azure JSON and a topology diagram"
    )
    render.add_argument("stack")
    render.add_argument("--out", type=Path, required=True)
    simulation = commands.add_parser(
        "simulate",
        help="replay a first deploy (foundation, bootstrap, services) and a second deploy "
        "against a model of Azure's rules",
    )
    simulation.add_argument("stack", nargs="*", help="stack name(s), e.g. dev storefront-dev")
    _add_set(simulation, SIMULATE_SET_HELP)
    simulation.add_argument("--all", action="store_true", help="every refusal, not the first")
    simulation.add_argument("--json", action="store_true", help="the result as JSON on stdout")
    simulation.add_argument(
        "--foundation", type=Path, help="snapshot planned with platform:deployServices false"
    )
    simulation.add_argument("--full", type=Path, help="snapshot of the full plan")
    simulation.add_argument(
        "--base",
        metavar="REV",
        help="simulate the working tree's change over REV's deployed plan (e.g. main): the "
        "app teams' pull-request check",
    )
    cost = commands.add_parser("cost", help="monthly cost estimate per service and stack")
    cost.add_argument(
        "stack",
        nargs="*",
        help="stack name(s); an application stack is priced with its platform stack's plan",
    )
    _add_set(cost)
    cost.add_argument("--format", choices=("text", "markdown", "json"), default="text")
    cost.add_argument("--jobs", type=int, default=JOBS)
    prices = commands.add_parser("prices", help="the pinned price sheets")
    actions = prices.add_subparsers(dest="action", required=True)
    refresh = actions.add_parser(
        "refresh", help="rebuild a sheet from the Azure Retail Prices API (needs network)"
    )
    refresh.add_argument("--region", required=True, help="an Azure region, e.g. westeurope")
    refresh.add_argument("--currency", default="USD", help="e.g. USD, EUR")
    refresh.add_argument("--out", type=Path, help="where to write (default infra/cost/prices/)")
    mine = (plan, compare, against, render, simulation, cost, prices, refresh)
    for command in mine:
        # Also after the command (`plan dev --debug`); SUPPRESS keeps the top-level value.
        command.add_argument(
            "--debug", action="store_true", default=argparse.SUPPRESS, help=DEBUG_HELP
        )
