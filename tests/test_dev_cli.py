"""`dev.py`, the entry point a fresh clone runs first: help without side effects, every command
listed, one exit-code table (docs/cli.md = infra/exit_codes.py), the installer's fallbacks."""

from __future__ import annotations

import importlib.util
import re
import shutil
import subprocess
import sys
from pathlib import Path
from types import ModuleType

import pytest
import yaml

from infra.exit_codes import MEANING, Exit

ROOT = Path(__file__).resolve().parent.parent
TASKS = (
    "preview",
    "plan",
    "diff",
    "against",
    "render",
    "simulate",
    "cost",
    "prices",
    "lint",
    "setup",
    "test",
    "bench",
    "images",
    "preflight",
    "release",
)


def _clone_without_venv(tmp_path: Path) -> Path:
    """dev.py and the stdlib-only modules it reads, in a folder with no .venv."""
    for name in (
        "dev.py",
        "infra/__init__.py",
        "infra/exit_codes.py",
        "infra/preview",
        "infra/stack_scaffold.py",
    ):
        source, target = ROOT / name, tmp_path / name
        target.parent.mkdir(parents=True, exist_ok=True)
        if source.is_dir():
            shutil.copytree(source, target, ignore=shutil.ignore_patterns("__pycache__"))
        else:
            shutil.copy(source, target)
    return tmp_path


def _dev(root: Path, *args: str) -> subprocess.CompletedProcess[str]:
    # the system's Python, as on a fresh clone: no .venv packages to lean on
    python = shutil.which("python3") or sys.executable
    return subprocess.run(
        [python, "-S", "dev.py", *args],
        cwd=root,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


@pytest.mark.slow
@pytest.mark.parametrize("task", ["", *TASKS, "prices refresh"])
def test_help_exits_0_and_installs_nothing(tmp_path: Path, task: str) -> None:
    root = _clone_without_venv(tmp_path)
    done = _dev(root, *task.split(), "--help")
    assert done.returncode == Exit.OK, done.stderr
    assert done.stdout.startswith("usage: python3 dev.py"), done.stdout
    assert not (root / ".venv").exists()
    assert not (root / ".venv-tools").exists()
    assert "dev.py: " not in done.stderr  # no install step was announced


def test_help_lists_every_command_and_the_exit_codes(tmp_path: Path) -> None:
    text = _dev(_clone_without_venv(tmp_path), "--help").stdout
    for task in TASKS:
        assert re.search(rf"^\s+{task}\b", text, re.MULTILINE), task
    for code in Exit:
        assert f"  {code.value}  {MEANING[code]}" in text


@pytest.mark.slow
def test_a_usage_error_exits_2_before_installing(tmp_path: Path) -> None:
    root = _clone_without_venv(tmp_path)
    for args in (["bogus"], ["lint", "--fix"], ["plan"], ["diff", "one.json"]):
        done = _dev(root, *args)
        assert done.returncode == Exit.ERROR, args
        assert "error:" in done.stderr
    assert not (root / ".venv").exists()


def test_every_module_entry_point_is_a_dev_py_task() -> None:
    """Each `python -m` entry point of infra/ has a task (so --help lists every command)."""
    dev = _load_dev()
    modules = {" ".join(v) for v in dev.PASS_THROUGH.values()} | {"-m infra.preview"}
    for main in ROOT.glob("infra/**/*.py"):
        text = main.read_text()
        runnable = 'if __name__ == "__main__"' in text or main.name == "__main__.py"
        if not runnable or main.parent.name == "infra":  # infra/__main__.py: Pulumi's
            continue
        dotted = ".".join(main.relative_to(ROOT).with_suffix("").parts)
        dotted = dotted.removesuffix(".__main__")
        assert f"-m {dotted}" in modules, dotted


def test_the_exit_code_table_of_docs_is_the_code(tmp_path: Path) -> None:
    text = (ROOT / "docs" / "cli.md").read_text()
    rows = re.findall(r"^\| (\d) \| (\w+) \| (.+) \|$", text, re.MULTILINE)
    assert [(int(c), n, m) for c, n, m in rows] == [(e.value, e.name, MEANING[e]) for e in Exit]
    readme = (ROOT / "README.md").read_text()
    assert "docs/cli.md" in readme
    # no second table of codes: the README and the other pages point to the one
    for page in [ROOT / "README.md", *(ROOT / "docs").glob("*.md")]:
        if page.name != "cli.md":
            assert not re.search(
                r"`0` no changes, `1` changes|^\| 0 \| OK \|", page.read_text(), re.M
            )


def test_the_preview_recipe_and_the_workflow_use_against_not_stash() -> None:
    readme = (ROOT / "README.md").read_text()
    fenced = "".join(
        block
        for page in (ROOT / "docs").glob("*.md")
        for block in re.findall(r"^```(?:bash|sh|shell)\n(.*?)^```", page.read_text(), re.M | re.S)
    )
    workflows = "".join(p.read_text() for p in (ROOT / ".github" / "workflows").glob("*.yml"))
    assert "git stash" not in readme + workflows + fenced
    offline = yaml.safe_load((ROOT / ".github" / "workflows" / "offline-preview.yml").read_text())
    runs = "\n".join(step.get("run", "") for step in offline["jobs"]["plan"]["steps"])
    assert 'read -ra stacks <<< "$(python3 -m infra.stack_scaffold list)"' in runs
    assert 'python3 dev.py preview "${stacks[@]}" --against "$BASE_SHA"' in runs
    assert "--against main" in readme


def _load_dev() -> ModuleType:
    spec = importlib.util.spec_from_file_location("dev_under_test", ROOT / "dev.py")
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_dev_py_installs_the_uv_the_workflows_pin() -> None:
    dev = _load_dev()
    for path in (ROOT / ".github" / "workflows").glob("*.yml"):
        for job in yaml.safe_load(path.read_text())["jobs"].values():
            for step in job.get("steps", []):
                if str(step.get("uses", "")).startswith("astral-sh/setup-uv"):
                    assert step["with"]["version"] == dev.UV_VERSION, path.name


def test_a_stale_lock_falls_back_to_pip_and_says_why(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    dev = _load_dev()
    fake_uv = tmp_path / "uv"
    fake_uv.write_text(
        "#!/bin/sh\necho 'error: The lockfile at `uv.lock` needs to be updated, but `--locked` "
        "was provided.' >&2\nexit 2\n"
    )
    fake_uv.chmod(0o755)
    venv = tmp_path / ".venv"
    (venv / "bin").mkdir(parents=True)
    (venv / "bin" / "python").write_text("")
    monkeypatch.setattr(dev, "VENV", venv)
    monkeypatch.setattr(dev, "PYTHON", venv / "bin" / "python")
    monkeypatch.setattr(dev, "STAMP", venv / ".stamp")
    monkeypatch.setattr(dev, "_uv", lambda: str(fake_uv))
    installed: list[str] = []
    monkeypatch.setattr(dev, "_install_with_pip", lambda: installed.append("pip"))
    dev.ensure_venv()
    assert installed == ["pip"]
    err = capsys.readouterr().err
    assert "uv sync --locked failed (error: The lockfile at `uv.lock` needs to be updated" in err
    assert "falling back to pip" in err
    assert (venv / ".stamp").exists()


def test_without_uv_on_the_path_uv_is_installed_into_the_tool_folder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    dev = _load_dev()
    monkeypatch.setattr(dev, "TOOLS", tmp_path / ".venv-tools")
    monkeypatch.setattr(dev.shutil, "which", lambda _name: None)
    monkeypatch.delenv("DEV_INSTALLER", raising=False)
    commands: list[list[str]] = []

    def run(command: list[str], **_: object) -> subprocess.CompletedProcess[str]:
        commands.append(command)
        if "install" in command:
            dev._tool_uv().parent.mkdir(parents=True, exist_ok=True)
            dev._tool_uv().write_text("")
        return subprocess.CompletedProcess(command, 0)

    monkeypatch.setattr(dev.subprocess, "run", run)
    assert dev._uv() == str(tmp_path / ".venv-tools" / "bin" / "uv")
    install = commands[-1]
    assert install[-3:] == ["--target", str(tmp_path / ".venv-tools"), f"uv=={dev.UV_VERSION}"]
    assert ".venv-tools/" in (ROOT / ".gitignore").read_text()
