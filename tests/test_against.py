"""`against REV`: the base planned from a worktree of REV, the head from the working tree, so a
new (even untracked) app module shows as creates (the README's stash recipe said "no changes")."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from infra.exit_codes import Exit
from tests.fixtures import FIXTURE_APPS, copy_program

pytestmark = pytest.mark.slow  # git worktrees and plans in subprocesses

NEW_APP = """
    from infra.services.spec import Application, Port, ServiceSpec, Target

    inventory = Application(
        name="inventory",
        services=(
            ServiceSpec(
                name="inventory-api",
                image="inventory/inventory-api:1.0.0",
                target=Target.AKS,
                ports=(Port(name="http", number=8080),),
            ),
        ),
    )
"""


def _git(root: Path, *args: str) -> None:
    subprocess.run(
        ["git", "-c", "user.name=t", "-c", "user.email=t@t", *args],
        cwd=root,
        check=True,
        capture_output=True,
    )


def _repository(tmp_path: Path) -> Path:
    """A repository holding this program at one commit."""
    root = tmp_path / "repo"
    root.mkdir()
    copy_program(root)
    _git(root, "init", "-q", "-b", "main")
    _git(root, "add", "-A")
    _git(root, "commit", "-qm", "base")
    return root


def test_an_untracked_app_module_previews_as_creates_against_the_base(tmp_path: Path) -> None:
    root = _repository(tmp_path)
    (root / FIXTURE_APPS / "inventory.py").write_text(
        textwrap.dedent(NEW_APP)
    )  # not even `git add`
    out = root / "out"
    out.mkdir()
    flags = ("--jobs", "1", "--format", "json", "--out")
    (out / "diff-dev.json").write_text("{}")  # a previous run's: must not survive a new one
    done = subprocess.run(
        [sys.executable, "-m", "infra.preview", "against", "main", "dev", *flags, str(out)],
        cwd=root,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert done.returncode == Exit.CHANGES, done.stderr
    report = json.loads((out / "diff-dev.json").read_text())
    created = {c["name"] for c in report["changes"] if c["operation"] == "create"}
    assert "inventory-inventory-api" in created
    assert sorted(p.name for p in out.iterdir()) == [
        "base-dev.json",
        "diff-dev.json",
        "head-dev.json",
    ]
    listing = subprocess.run(
        ["git", "worktree", "list"], cwd=root, capture_output=True, text=True, check=True
    )
    assert len(listing.stdout.splitlines()) == 1  # the base's worktree is gone


def test_a_base_that_does_not_plan_is_an_error_naming_the_revision(tmp_path: Path) -> None:
    root = _repository(tmp_path)
    storefront = root / FIXTURE_APPS / "stack.py"
    storefront.write_text(storefront.read_text().replace("min_replicas=1,", "min_replica=1,", 1))
    _git(root, "commit", "-qam", "broken")
    _git(root, "branch", "broken")
    _git(root, "revert", "--no-edit", "HEAD")
    done = subprocess.run(
        [sys.executable, "-m", "infra.preview", "against", "broken", "dev"],
        cwd=root,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert done.returncode == Exit.ERROR
    assert done.stderr.startswith("error: base broken: dev: "), done.stderr
    assert "min_replica" in done.stderr
