"""Workflows as the runner executes them: a step that uses a local composite action
(`uses: ./.github/actions/<name>`) stands for that action's steps, so the checks of
tests/test_deploy_path.py and the order tests read the `pulumi up` and `az` they run."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parents[1]
WORKFLOWS = ROOT / ".github" / "workflows"


def local_action(uses: str) -> dict[str, Any] | None:
    """The metadata of a local action (`./.github/actions/x`), None for any other `uses`."""
    if not uses.startswith("./"):
        return None
    folder = ROOT / uses[2:]
    file = next((folder / n for n in ("action.yml", "action.yaml") if (folder / n).is_file()), None)
    assert file is not None, f"{uses}: no action.yml"
    return yaml.safe_load(file.read_text())


def expanded(steps: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The steps with each local composite action replaced by its own steps (their `run`
    text as written: `${{ inputs.x }}` stays a reference)."""
    found: list[dict[str, Any]] = []
    for step in steps:
        action = local_action(str(step.get("uses", "")))
        if action is None:
            found.append(step)
            continue
        assert action["runs"]["using"] == "composite"
        found += expanded(action["runs"]["steps"])
    return found


def load(path: Path) -> dict[str, Any]:
    """A workflow with its jobs' local composite actions expanded."""
    workflow = yaml.safe_load(path.read_text())
    for job in workflow.get("jobs", {}).values():
        if "steps" in job:
            job["steps"] = expanded(job["steps"])
    return workflow


def workflows() -> dict[str, dict[str, Any]]:
    return {f.name: load(f) for f in sorted(WORKFLOWS.glob("*.yml"))}
