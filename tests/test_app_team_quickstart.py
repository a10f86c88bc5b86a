"""docs/app-team-quickstart.md works when followed literally (issue 24, "Done when"): every
command of its fenced shell blocks runs, in order, in a fresh copy of the repository (its own git
history with `main`), and exits as the page says (`# exits N`, else 0)."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from infra.services.loader import APPS_ENV

ROOT = Path(__file__).resolve().parents[1]
PAGE = ROOT / "docs" / "app-team-quickstart.md"
SKIP = shutil.ignore_patterns(".git", ".venv", ".venv-tools", "__pycache__", "out")


def commands() -> list[tuple[str, int]]:
    """Each command line of the page's bash blocks, with the exit code the page states."""
    found: list[tuple[str, int]] = []
    for block in re.findall(r"^```bash\n(.*?)^```", PAGE.read_text(), re.MULTILINE | re.DOTALL):
        for line in block.splitlines():
            command, _, comment = line.partition("#")
            if command.strip():
                stated = re.search(r"exits (\d)", comment)
                found.append((command.strip(), int(stated[1]) if stated else 0))
    return found


def _fresh_clone(tmp_path: Path) -> Path:
    clone = tmp_path / "clone"
    shutil.copytree(ROOT, clone, ignore=SKIP)
    env = _env()
    for git in (
        ["init", "--quiet", "--initial-branch", "main"],
        ["add", "--all"],
        ["commit", "--quiet", "--message", "main"],
    ):
        subprocess.run(["git", *git], cwd=clone, env=env, check=True, capture_output=True)
    return clone


def _env() -> dict[str, str]:
    identity = {"GIT_AUTHOR_NAME": "Team", "GIT_AUTHOR_EMAIL": "team@example.com"}
    identity |= {"GIT_COMMITTER_NAME": "Team", "GIT_COMMITTER_EMAIL": "team@example.com"}
    # The page is the app team's path: it plans their `apps/`, not the suite's fixture apps.
    plain = {k: v for k, v in os.environ.items() if k != APPS_ENV}
    return {**plain, **identity}


def _reuse_this_venv(clone: Path) -> None:
    """The clone's `.venv` is the one running the tests (installing one takes minutes, which
    docs/cli.md measures): only when dev.py would take it as up to date, so it never installs
    into it."""
    venv = Path(sys.prefix)
    sys.path.insert(0, str(clone))
    try:
        import dev  # the clone's, reading the clone's requirement files
    finally:
        sys.path.remove(str(clone))
        sys.modules.pop("dev", None)
    stamp = venv / ".requirements.sha256"
    if not stamp.exists() or stamp.read_text() != dev._requirements_digest():
        pytest.skip(f"{venv} is not dev.py's up-to-date .venv for these requirements")
    (clone / ".venv").symlink_to(venv, target_is_directory=True)


@pytest.mark.slow
def test_the_five_minute_path_runs_as_written(tmp_path: Path) -> None:
    steps = commands()
    assert [c for c, _ in steps][:2] == [
        "git switch -c add-inventory",
        "cp docs/templates/service.py apps/inventory.py",
    ]
    assert ("python3 dev.py preview --against main", 1) in steps
    clone = _fresh_clone(tmp_path)
    _reuse_this_venv(clone)
    for command, expected in steps:
        done = subprocess.run(
            command, shell=True, cwd=clone, env=_env(), capture_output=True, text=True, check=False
        )
        assert done.returncode == expected, f"{command}\n{done.stdout}\n{done.stderr}"
        if command == "python3 dev.py preview --against main":
            assert "+  kubernetes:apps/v1:Deployment  inventory-inventory-api" in done.stdout
    log = subprocess.run(
        ["git", "show", "--stat", "--format=%s", "HEAD"],
        cwd=clone,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    assert log.splitlines()[0] == "inventory: first service"
    assert "apps/inventory.py" in log
    assert "images.lock.yaml" not in log
