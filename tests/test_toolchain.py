"""One set of pins, whichever installer builds `.venv`: uv (uv.lock, from pyproject.toml) or pip
(requirements*.txt). A version bumped in one place but not the other would make CI and laptops
test different code than Pulumi deploys."""

from __future__ import annotations

import tomllib
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent


def _pins(name: str) -> list[str]:
    lines = (ROOT / name).read_text().splitlines()
    return [line.strip() for line in lines if line.strip() and not line.startswith(("#", "-r"))]


def test_pyproject_pins_what_the_requirements_files_pin() -> None:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())
    assert project["project"]["dependencies"] == _pins("requirements.txt")
    assert project["dependency-groups"]["dev"] == _pins("requirements-dev.txt")


def test_the_lock_holds_every_pin_at_its_version() -> None:
    lock = tomllib.loads((ROOT / "uv.lock").read_text())
    locked = {p["name"]: p.get("version") for p in lock["package"]}
    for pin in _pins("requirements.txt") + _pins("requirements-dev.txt"):
        name, version = pin.split("==")
        assert locked.get(name.lower().replace("_", "-")) == version, (
            f"uv.lock: {pin} (run uv lock)"
        )


def test_pulumi_builds_the_virtualenv_with_uv() -> None:
    options = yaml.safe_load((ROOT / "Pulumi.yaml").read_text())["runtime"]["options"]
    assert options == {"toolchain": "uv", "virtualenv": ".venv"}
