"""`python -m infra.preview`: see what a change does before it is applied, with no cloud account.

    python -m infra.preview plan STACK [STACK ...] [--out FILE] [--quiet] [--json]
    python -m infra.preview diff BASE.json HEAD.json [--format text|markdown|json] [--out FILE]
    python -m infra.preview against REV STACK [STACK ...] [--format ...] [--out DIR]
    python -m infra.preview render STACK --out DIR
    python -m infra.preview simulate STACK [STACK ...] [--all] [--json]
    python -m infra.preview simulate STACK --foundation F.json --full F.json   (recorded plans)
    python -m infra.preview cost STACK [STACK ...] [--format text|markdown|json]
    python -m infra.preview prices refresh --region R --currency C

`--debug` (anywhere) adds the traceback to an error. Exit codes: docs/cli.md (infra/exit_codes.py).
"""

from __future__ import annotations

import argparse
import io
import json
import multiprocessing
import os
import subprocess
import sys
import traceback
from concurrent.futures import ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool
from pathlib import Path
from typing import Any

from rich.console import Console

from infra.cost import commands as cost_commands
from infra.exit_codes import Exit
from infra.policy.evaluate import evaluate, format_report, resources_of_snapshot
from infra.policy.exceptions import load_exceptions
from infra.policy.rules import PolicyContext, PolicyReport
from infra.preview.against import BaseFailed
from infra.preview.arguments import DEBUG_HELP, PLAN_TIMEOUT, add_commands
from infra.preview.diff import diff, to_json
from infra.preview.engine import OfflineRun, ProgramFailed, RemoteError, portable, run_offline
from infra.preview.render import render_snapshot
from infra.preview.report import markdown, print_diff, print_plan
from infra.preview.snapshot import dumps, to_snapshot
from infra.preview.stackfile import read_stack
from infra.problems import InvalidInput

EXIT_NO_CHANGES = Exit.OK
EXIT_CHANGES = Exit.CHANGES
EXIT_ERROR = Exit.ERROR
EXIT_BLOCKED = Exit.BLOCKED
EXIT_POLICY = Exit.POLICY


def _console(stream: Any = None) -> Console:
    """Colour only on terminals and never with NO_COLOR; wide lines when writing to a file/CI."""
    target = stream or sys.stdout
    no_color = bool(os.environ.get("NO_COLOR"))
    probe = Console(file=target)
    width = None if probe.is_terminal else 200
    return Console(file=target, no_color=no_color, highlight=False, width=width)


def plan_snapshot(stack: str, *, show_progress: bool = True) -> dict[str, Any]:
    """Run the program offline for a stack and return its snapshot (raises ProgramFailed)."""
    from infra.program import build

    config = read_stack(stack)
    status = _console(sys.stderr)
    if show_progress and status.is_terminal:
        with status.status(f"planning {stack} offline…"):
            run: OfflineRun = run_offline(config, build)
    else:
        run = run_offline(config, build)
    return to_snapshot(run)


def _fail(message: str) -> int:
    print(f"error: {message}", file=sys.stderr)
    return EXIT_ERROR


def policy_report(stack: str, snapshot: dict[str, Any]) -> PolicyReport:
    environment = read_stack(stack).values.get("platform:environment", stack)
    context = PolicyContext(environment, cost=snapshot.get("cost"))
    return evaluate(resources_of_snapshot(snapshot), context, load_exceptions())


def _load_program() -> None:
    """Load the program and the provider SDK modules it uses once, before planning (and
    before forking, so workers share them)."""
    from infra.preview.engine import preload_providers

    preload_providers()
    import infra.program  # noqa: F401


class StacksFailed(Exception):
    """Stacks that could not be planned, each with its error (all of them, not the first)."""

    def __init__(self, failures: dict[str, BaseException]) -> None:
        super().__init__(", ".join(failures))
        self.failures = failures

    def __reduce__(self) -> tuple[Any, ...]:
        return (StacksFailed, ({k: portable(v) for k, v in self.failures.items()},))


def _snapshot_in_worker(stack: str) -> dict[str, Any]:
    """A worker's plan; what it raises must reach the parent intact (see engine.portable)."""
    try:
        return plan_snapshot(stack, show_progress=False)
    except Exception as error:
        raise portable(error) from None


def _snapshots(
    stacks: list[str], jobs: int, quiet: bool, timeout: float = PLAN_TIMEOUT
) -> list[dict[str, Any]]:
    """Plan several stacks: start-up is paid once, then forked workers plan in parallel
    (sequentially where fork is unavailable, or with --jobs 1). Raises StacksFailed naming every
    stack that failed, a worker that died (BrokenProcessPool) or one still running after
    `timeout` seconds included."""
    _load_program()
    snapshots: dict[str, dict[str, Any]] = {}
    failures: dict[str, BaseException] = {}
    if len(stacks) == 1 or jobs <= 1 or "fork" not in multiprocessing.get_all_start_methods():
        for stack in stacks:
            try:
                snapshots[stack] = plan_snapshot(stack, show_progress=not quiet)
            except Exception as error:
                failures[stack] = error
    else:
        _plan_in_workers(stacks, min(jobs, len(stacks)), timeout, snapshots, failures)
    if failures:
        raise StacksFailed({stack: failures[stack] for stack in stacks if stack in failures})
    return [snapshots[stack] for stack in stacks]


class UsageError(Exception):
    """A command line that names nothing to run on (exit 2, the message says what to add)."""


def _stacks_of(args: argparse.Namespace) -> list[str]:
    """The stacks a command runs on: its STACK arguments, then with `--set ENV` that
    environment's team stacks (the platform stack first, then its application stacks)."""
    stacks = list(args.stack)
    environment = getattr(args, "stack_set", None)
    if environment:
        from infra.services.loader import load_applications
        from infra.stacks.pipeline import stack_set

        found = stack_set(environment, [a.name for a in load_applications()])
        for name, why in found.skipped:
            print(f"note: --set {environment}: {name} left out: {why}", file=sys.stderr)
        if not found.stacks:
            raise UsageError(
                f"--set {environment}: no team stacks in environment {environment} (see "
                "`python -m infra.stacks list --examples`)"
            )
        stacks += [s for s in found.stacks if s not in stacks]
    if not stacks:
        raise UsageError("name a stack (e.g. dev) or a set of team stacks (--set dev)")
    return stacks


def _platforms_of(stacks: list[str]) -> list[str]:
    """The platform stacks (stack files or reference stacks here) of the application stacks in
    `stacks` that `stacks` does not hold: an application stack's estimate needs its plan."""
    from infra.config import StackMode
    from infra.stacks.pipeline import platform_of, team_stacks

    known = {s.name: s for s in team_stacks(examples=True)}
    wanted = [
        platform_of(known[s])
        for s in stacks
        if s in known and known[s].mode is StackMode.APPLICATION
    ]
    return [p for p in dict.fromkeys(wanted) if p in known and p not in stacks]


def price_across(snapshots: dict[str, dict[str, Any]]) -> dict[str, Any]:
    """Price each platform stack in `snapshots` together with its application stacks there
    (`infra/cost/across.py`), replacing their `cost` in place; returns the sets by platform."""
    from infra.config import StackMode
    from infra.cost.across import price_stack_set
    from infra.stacks.pipeline import platform_of, team_stacks

    known = {s.name: s for s in team_stacks(examples=True)}
    sets: dict[str, Any] = {}
    for name in list(snapshots):
        if name not in known or known[name].mode is not StackMode.PLATFORM:
            continue
        applications = [
            a
            for a in snapshots
            if a in known
            and known[a].mode is StackMode.APPLICATION
            and platform_of(known[a]) == name
        ]
        priced = price_stack_set(name, snapshots, applications) if applications else None
        if priced is None:
            continue
        for stack, cost in priced.estimates.items():
            snapshots[stack]["cost"] = cost
        sets[name] = priced
    return sets


def _team_snapshots(
    stacks: list[str],
    jobs: int,
    quiet: bool,
    timeout: float = PLAN_TIMEOUT,
    *,
    with_platforms: bool = False,
) -> list[dict[str, Any]]:
    """`_snapshots`, then each platform stack priced with its application stacks of the run
    (`with_platforms`: an application stack's platform stack is planned too, for its estimate,
    and not returned)."""
    every = stacks + (_platforms_of(stacks) if with_platforms else [])
    planned = dict(zip(every, _snapshots(every, jobs, quiet, timeout), strict=True))
    price_across(planned)
    return [planned[stack] for stack in stacks]


def _plan_in_workers(
    stacks: list[str],
    workers: int,
    timeout: float,
    snapshots: dict[str, dict[str, Any]],
    failures: dict[str, BaseException],
) -> None:
    pool = ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context("fork"))
    futures = {stack: pool.submit(_snapshot_in_worker, stack) for stack in stacks}
    _, pending = wait(futures.values(), timeout=timeout)
    if pending:
        # A worker still running cannot be cancelled: it is stopped, as `timeout` would.
        for process in list(getattr(pool, "_processes", {}).values()):
            process.terminate()
    pool.shutdown(wait=not pending, cancel_futures=True)
    for stack, future in futures.items():
        if future in pending:
            failures[stack] = TimeoutError(f"not planned within {timeout:g} s (--timeout)")
        elif isinstance(error := future.exception(), BrokenProcessPool):
            failures[stack] = RemoteError(
                "BrokenProcessPool",
                f"the worker process planning {stack} died ({error}); "
                "retry with --jobs 1 to plan in this process",
            )
        elif error is not None:
            failures[stack] = error
        else:
            snapshots[stack] = future.result()


def _plan(args: argparse.Namespace) -> int:
    stacks = _stacks_of(args)
    if len(stacks) > 1 and args.out is not None and "{stack}" not in str(args.out):
        return _fail("with several stacks, --out needs {stack} in it, e.g. out/{stack}.json")
    status = EXIT_NO_CHANGES
    outs = {stack: Path(str(args.out).replace("{stack}", stack)) for stack in stacks}
    named = len(stacks) > 1
    if args.out:
        # A plan that fails leaves no file: an old snapshot left in place would be diffed as
        # this change's (and a new module that does not load would read as "no changes").
        for out in outs.values():
            out.unlink(missing_ok=True)
    snapshots = _team_snapshots(stacks, args.jobs, args.quiet or args.json, args.timeout)
    summaries: dict[str, Any] = {}
    for stack, snapshot in zip(stacks, snapshots, strict=True):
        if args.out:
            out = outs[stack]
            out.parent.mkdir(parents=True, exist_ok=True)
            out.write_text(dumps(snapshot))
        if args.json:
            report = policy_report(stack, snapshot)
            summaries[stack] = plan_json(snapshot, report)
            status = EXIT_POLICY if report.enforced else status
            continue
        if not args.quiet:
            print_plan(snapshot, _console())
            if summary := cost_commands.plan_summary(snapshot):
                print(summary)
        else:
            for warning in (snapshot.get("cost") or {}).get("warnings", ()):
                print(f"warning: {stack}: {warning}", file=sys.stderr)
        report = policy_report(stack, snapshot)
        if report.violations or report.expired_exceptions or not args.quiet:
            text = format_report(report, stack if named else "")
            print(text, file=sys.stderr if args.quiet else sys.stdout)
        if report.enforced:
            status = EXIT_POLICY
    if args.json:
        sys.stdout.write(json.dumps({"stacks": summaries}, indent=2, sort_keys=True) + "\n")
    return status


def plan_json(snapshot: dict[str, Any], report: PolicyReport) -> dict[str, Any]:
    """What `plan --json` says of a stack: resources by type, the cost totals with what is not
    priced, and every policy violation (the snapshot itself is `--out`'s)."""
    by_type: dict[str, int] = {}
    for resource in snapshot.get("resources", []):
        by_type[resource["type"]] = by_type.get(resource["type"], 0) + 1
    cost = snapshot.get("cost")
    return {
        "resources": len(snapshot.get("resources", [])),
        "byType": dict(sorted(by_type.items())),
        "cost": None
        if cost is None
        else {
            "currency": cost["currency"],
            "floor": cost["stack"]["floor"],
            "ceiling": cost["stack"]["ceiling"],
            "services": cost["services"],
            "notPriced": cost["notPriced"],
            "warnings": cost.get("warnings", []),
        },
        "policy": {
            "violations": [
                {
                    "rule": v.rule.id,
                    "severity": v.severity.value,
                    "enforced": v.enforced,
                    "resource": f"{v.resource.type} {v.resource.name}",
                    "message": v.message,
                    "exceptedBy": v.excepted_by,
                }
                for v in report.violations
            ],
            "expiredExceptions": list(report.expired_exceptions),
        },
    }


def _diff(args: argparse.Namespace) -> int:
    base = json.loads(args.base.read_text())
    head = json.loads(args.head.read_text())
    text, code = _diff_report(base, head, args.format, to_terminal=args.out is None)
    if args.out is not None:
        args.out.write_text(text)
    elif text:
        sys.stdout.write(text)
    return code


def _diff_report(
    base: dict[str, Any], head: dict[str, Any], form: str, *, to_terminal: bool
) -> tuple[str, int]:
    """The diff of two snapshots in `form` and its exit code; a text diff for the terminal is
    printed (in colour where it can be) and only its cost lines returned."""
    result = diff(base, head)
    spend = cost_commands.diff_cost(base, head)
    if form == "json":
        text = json.dumps({**to_json(result), "cost": spend.to_json()}, indent=2, sort_keys=True)
        text += "\n"
    elif form == "markdown":
        text = cost_commands.diff_markdown(spend) + markdown(result)
    else:
        text = ""
        if to_terminal:
            print_diff(result, _console())
        else:
            buffer = Console(record=True, no_color=True, width=200, file=io.StringIO())
            print_diff(result, buffer)
            text = buffer.export_text()
        if cost_text := cost_commands.diff_text(spend):
            text += cost_text + "\n"
    if result.empty:
        return text, EXIT_NO_CHANGES
    return text, EXIT_BLOCKED if result.blocked else EXIT_CHANGES


SUFFIX = {"text": "txt", "markdown": "md", "json": "json"}


def _against(args: argparse.Namespace) -> int:
    """Plan the base from a worktree of REV and the head here; diff each stack (see against.py).
    Exit: 2 when either side does not plan, else 4 for an enforced policy rule in the head,
    else the worst diff (3 blocked, 1 changes, 0 none)."""
    from infra.preview.against import plan_base

    stacks = _stacks_of(args)
    if args.out is not None:
        args.out.mkdir(parents=True, exist_ok=True)
        for stale in [p for s in stacks for p in args.out.glob(f"*-{s}.*")]:
            stale.unlink()  # a failed run leaves nothing that reads as a result
    base = plan_base(args.rev, stacks, args.timeout, jobs=args.jobs)
    if base.note:
        print(f"note: {base.note}", file=sys.stderr)
    price_across(base.snapshots)
    heads = _team_snapshots(stacks, args.jobs, True, args.timeout)
    codes: list[int] = []
    policy = False
    for stack, head in zip(stacks, heads, strict=True):
        text, code = _diff_report(
            base.snapshots[stack], head, args.format, to_terminal=args.format == "text"
        )
        codes.append(code)
        if args.out is not None:
            (args.out / f"base-{stack}.json").write_text(dumps(base.snapshots[stack]))
            (args.out / f"head-{stack}.json").write_text(dumps(head))
            written = text
            if args.format == "text":
                written, _ = _diff_report(base.snapshots[stack], head, "text", to_terminal=False)
            (args.out / f"diff-{stack}.{SUFFIX[args.format]}").write_text(written)
        sys.stdout.write(text)
        report = policy_report(stack, head)
        if report.violations or report.expired_exceptions:
            print(format_report(report, stack if len(stacks) > 1 else ""), file=sys.stderr)
        policy = policy or bool(report.enforced)
    heads_by_stack = dict(zip(stacks, heads, strict=True))
    for platform, text in affected_sections(base.snapshots, heads_by_stack, args.format).items():
        if args.out is not None:
            (args.out / f"affected-{platform}.{SUFFIX[args.format]}").write_text(text)
        sys.stdout.write(text)
    if policy:
        return EXIT_POLICY
    for code in (EXIT_BLOCKED, EXIT_CHANGES):
        if code in codes:
            return code
    return EXIT_NO_CHANGES


AFFECTED_HEADING = "Team stacks: application stacks the platform change affects"


def affected_sections(
    base: dict[str, dict[str, Any]], head: dict[str, dict[str, Any]], form: str
) -> dict[str, str]:
    """Per platform stack planned on both sides: the application stacks its contract change
    affects and the fields each reads (`infra/stacks/pipeline.py`), from the contract its base
    and head plans export; none when nothing an application reads changed."""
    from infra.config import StackMode
    from infra.services.loader import load_applications
    from infra.stacks.contract import CONTRACT_OUTPUT
    from infra.stacks.pipeline import affected, application_stacks, team_stacks

    known = {s.name: s for s in team_stacks(examples=True)}
    sections: dict[str, str] = {}
    declared: list[Any] | None = None
    for platform, after_plan in head.items():
        if platform not in known or known[platform].mode is not StackMode.PLATFORM:
            continue
        before = (base.get(platform) or {}).get("outputs", {}).get(CONTRACT_OUTPUT)
        after = after_plan.get("outputs", {}).get(CONTRACT_OUTPUT)
        if not isinstance(before, dict) or not isinstance(after, dict):
            continue
        declared = load_applications() if declared is None else declared
        on = application_stacks(known.values(), platform)
        found = {
            on.get(app, app): (app, paths)
            for app, paths in affected(before, after, declared).items()
        }
        if not found:
            continue
        if form == "json":
            document = {
                "platform": platform,
                "affected": {
                    stack: {"application": app, "fields": paths}
                    for stack, (app, paths) in sorted(found.items())
                },
            }
            sections[platform] = json.dumps(document, indent=2, sort_keys=True) + "\n"
            continue
        rows = [f"{s} ({app}): {', '.join(paths)}" for s, (app, paths) in sorted(found.items())]
        if form == "markdown":
            sections[platform] = (
                f"### {AFFECTED_HEADING}: `{platform}`\n\n```\n" + "\n".join(rows) + "\n```\n\n"
            )
        else:
            sections[platform] = f"{AFFECTED_HEADING}: {platform}\n" + "".join(
                f"  {row}\n" for row in rows
            )
    return sections


def _render(args: argparse.Namespace) -> int:
    _load_program()
    snapshot = plan_snapshot(args.stack)
    written = render_snapshot(snapshot, args.out)
    print(f"wrote {len(written)} files under {args.out}")
    return EXIT_NO_CHANGES


def _simulated_sets(args: argparse.Namespace) -> list[tuple[str, str, list[str]]]:
    """`simulate --set ENV`: (name, platform stack, its application stacks) per platform stack
    of the environment's team stacks (`_stacks_of`), each set simulated in one world."""
    from infra.config import StackMode
    from infra.stacks.pipeline import platform_of, team_stack

    if not args.stack_set:
        return []
    listed = _stacks_of(argparse.Namespace(stack=[], stack_set=args.stack_set))
    teams = [t for t in (team_stack(s) for s in listed) if t is not None]
    platforms = [t.name for t in teams if t.mode is StackMode.PLATFORM]
    return [
        (
            f"--set {args.stack_set}: {platform}",
            platform,
            [
                t.name
                for t in teams
                if t.mode is StackMode.APPLICATION and platform_of(t) == platform
            ],
        )
        for platform in platforms
    ]


def _simulate(args: argparse.Namespace) -> int:
    from infra.simulate.report import print_simulation, simulation_json
    from infra.simulate.scenario import simulate, simulate_against, simulate_files, simulate_set

    if (args.foundation is None) != (args.full is None):
        return _fail("--foundation and --full go together (two snapshots of `plan --out`)")
    if args.base is not None and args.full is not None:
        return _fail("--base plans REV itself: leave out --foundation and --full")
    if args.full is not None and (len(args.stack) != 1 or args.stack_set):
        return _fail("recorded plans are for one stack")
    if not args.stack and not args.stack_set:
        raise UsageError("name a stack (e.g. dev) or a set of team stacks (--set dev)")
    sets = _simulated_sets(args)
    if args.full is None:
        _load_program()
    console = _console()
    status = EXIT_NO_CHANGES
    results: dict[str, Any] = {}
    runs: list[tuple[str, tuple[str, list[str]] | None]] = [(s, None) for s in args.stack]
    runs += [(name, (platform, applications)) for name, platform, applications in sets]
    for stack, team in runs:
        if team is not None:
            simulation = simulate_set(stack, team[0], team[1], base=args.base)
        elif args.full is not None:
            simulation = simulate_files(stack, args.foundation, args.full)
        elif args.base is not None:
            simulation = simulate_against(stack, args.base)
        else:
            simulation = simulate(stack)
        if args.json:
            results[stack] = simulation_json(simulation)
        else:
            print_simulation(simulation, console, every=args.all)
        if not simulation.ok:
            status = EXIT_CHANGES
    if args.json:
        sys.stdout.write(json.dumps({"stacks": results}, indent=2, sort_keys=True) + "\n")
    return status


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m infra.preview",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--debug", action="store_true", help=DEBUG_HELP)
    commands = parser.add_subparsers(dest="command", required=True)
    add_commands(commands)
    args = parser.parse_args(argv)
    handlers = {
        "plan": _plan,
        "diff": _diff,
        "against": _against,
        "render": _render,
        "simulate": _simulate,
    }
    handlers |= cost_commands.handlers(
        lambda stacks, jobs, quiet: _team_snapshots(stacks, jobs, quiet, with_platforms=True),
        _stacks_of,
    )
    try:
        return handlers[args.command](args)
    except UsageError as error:
        return _fail(str(error))
    except StacksFailed as failed:
        for stacks, message in _grouped(failed.failures).items():
            _fail(f"{stacks}: {message}")
        if getattr(args, "debug", False):
            for error in failed.failures.values():
                traceback.print_exception(error, file=sys.stderr)
        return EXIT_ERROR
    except (
        ProgramFailed,
        InvalidInput,
        BaseFailed,
        OSError,
        subprocess.TimeoutExpired,
        json.JSONDecodeError,
        KeyError,
    ) as error:
        if getattr(args, "debug", False):
            traceback.print_exception(error, file=sys.stderr)
        stack = f"{error.run.stack}: " if isinstance(error, ProgramFailed) else ""
        return _fail(stack + describe(error))


def describe(error: BaseException) -> str:
    """An error as the user reads it: bad input as its report, anything else as its type and
    message (`--debug` adds the traceback)."""
    if isinstance(error, ProgramFailed):
        error = error.cause
    if isinstance(error, InvalidInput):
        return str(error)
    if isinstance(error, RemoteError):
        return f"{error.type_name}: {error.message}"
    if isinstance(error, (TimeoutError, BaseFailed)):
        return str(error)
    return f"{type(error).__name__}: {error}"


def _grouped(failures: dict[str, BaseException]) -> dict[str, str]:
    """`dev, prod` → one message when the stacks failed alike (a typo in apps/ fails them all)."""
    by_message: dict[str, list[str]] = {}
    for stack, error in failures.items():
        by_message.setdefault(describe(error), []).append(stack)
    return {", ".join(stacks): message for message, stacks in by_message.items()}
