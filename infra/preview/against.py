"""`python -m infra.preview against REV STACK...`: what the working tree changes against REV.

The base is planned from a temporary `git worktree` of REV (a checkout of exactly that commit:
no stash, so a file the change adds, tracked or not, is only in the head), the head from the
working tree as it is; then each stack's two plans are diffed. The pull-request workflow and
`dev.py preview --against main` both run this.

The base is planned by REV's own `python -m infra.preview plan` (each stack on its own, with
this interpreter and its packages). A REV without the offline preview is an empty base; a base
that does not plan is an error naming REV and the stack, never a silent "no changes".
"""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from infra.exit_codes import Exit
from infra.preview.arguments import PLAN_TIMEOUT
from infra.preview.stackfile import EXAMPLES, ROOT


class BaseFailed(Exception):
    """REV's plan of a stack failed: its stderr, as REV's own tool wrote it."""

    def __init__(self, rev: str, stack: str, output: str) -> None:
        said = output.strip().removeprefix("error: ").removeprefix(f"{stack}: ")
        super().__init__(f"base {rev}: {stack}: {said}")
        self.rev, self.stack, self.output = rev, stack, output

    def __reduce__(self) -> tuple[object, ...]:
        return (BaseFailed, (self.rev, self.stack, self.output))


@dataclass(frozen=True)
class Base:
    snapshots: dict[str, dict[str, Any]]
    note: str = ""
    """Why a base is empty (REV has no offline preview), for the report."""


def _git(*args: str, cwd: Path = ROOT) -> str:
    done = subprocess.run(
        ["git", *args], cwd=cwd, capture_output=True, text=True, check=False, timeout=120
    )
    if done.returncode != 0:
        raise OSError(f"git {' '.join(args)}: {done.stderr.strip() or done.stdout.strip()}")
    return done.stdout


def empty(stack: str) -> dict[str, Any]:
    return {"resources": [], "stack": stack}


def _is_stack(tree: Path, stack: str) -> bool:
    """A stack file at REV, or a reference team stack there (read where no stack file is)."""
    return (tree / f"Pulumi.{stack}.yaml").exists() or (
        tree / EXAMPLES.relative_to(ROOT) / f"{stack}.yaml"
    ).exists()


def plan_base(rev: str, stacks: list[str], timeout: float = PLAN_TIMEOUT, *, jobs: int = 1) -> Base:
    """Each stack planned at `rev`, in a worktree removed afterwards; `jobs` stacks at a time
    (each by REV's own tool in its own process, so each failure names its stack)."""
    commit = _git("rev-parse", "--verify", f"{rev}^{{commit}}").strip()
    with tempfile.TemporaryDirectory(prefix="preview-base-") as scratch:
        tree = Path(scratch) / "tree"
        _git("worktree", "add", "--detach", "--quiet", str(tree), commit)
        try:
            if not (tree / "infra" / "preview" / "__main__.py").exists():
                return Base(
                    {s: empty(s) for s in stacks},
                    f"{rev} has no offline preview: compared with an empty base",
                )

            def plan(stack: str) -> dict[str, Any]:
                if not _is_stack(tree, stack):
                    return empty(stack)  # a stack the change adds
                out = Path(scratch) / f"base-{stack}.json"
                command = ["plan", stack, "--out", str(out), "--quiet"]
                done = subprocess.run(
                    [sys.executable, "-m", "infra.preview", *command],
                    cwd=tree,
                    capture_output=True,
                    text=True,
                    check=False,
                    timeout=timeout,
                )
                if done.returncode == Exit.ERROR or not out.exists():
                    raise BaseFailed(rev, stack, done.stderr or done.stdout)
                return json.loads(out.read_text())

            with ThreadPoolExecutor(max(1, min(jobs, len(stacks)))) as pool:
                planned = list(pool.map(plan, stacks))
            return Base(dict(zip(stacks, planned, strict=True)))
        finally:
            _git("worktree", "remove", "--force", str(tree))
