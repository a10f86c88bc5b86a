"""Golden files: what the reference app renders, per stack and target, reviewed as diffs.

`tests/golden/<stack>.<target>.json` holds every Kubernetes object (AKS, local) and every
Container App and Container Apps job's arguments the real program registers for `apps/`. A
change to a renderer, a default or the reference app shows here as a diff a reviewer reads;
an intended one is accepted with `python -m pytest tests/test_golden.py --update-golden`.
The per-default tests (test_render_*.py) still say *why* each value is what it is.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from infra.preview.engine import OfflineRun, run_offline
from infra.preview.stackfile import read_stack
from infra.program import build

GOLDEN = Path(__file__).parent / "golden"
TARGETS = {
    "aks": lambda token: token.startswith("kubernetes:"),
    "container-apps": lambda token: (
        token in ("azure-native:app:ContainerApp", "azure-native:app:Job")
    ),
}


def rendered(run: OfflineRun, target: str) -> list[dict[str, Any]]:
    """The target's objects as registered: type, name and inputs (secrets masked), by URN."""
    keep = TARGETS[target]
    return [
        {"type": r.type, "name": r.name, "inputs": r.inputs}
        for r in sorted(run.resources, key=lambda r: r.urn)
        if keep(r.type)
    ]


@pytest.fixture(scope="module")
def local_run() -> OfflineRun:
    return run_offline(read_stack("local"), build)


@pytest.mark.parametrize(
    ("stack", "target"),
    [
        ("dev", "aks"),
        ("dev", "container-apps"),
        ("prod", "aks"),
        ("prod", "container-apps"),
        ("local", "aks"),
    ],
)
def test_rendered_objects_match_the_golden_files(
    stack: str,
    target: str,
    runs: dict[str, OfflineRun],
    local_run: OfflineRun,
    update_golden: bool,
) -> None:
    run = local_run if stack == "local" else runs[stack]
    text = json.dumps(rendered(run, target), indent=2, sort_keys=True, ensure_ascii=False) + "\n"
    path = GOLDEN / f"{stack}.{target}.json"
    if update_golden:
        path.parent.mkdir(exist_ok=True)
        path.write_text(text)
        return
    assert path.exists(), f"no golden file {path.name}: run pytest --update-golden and review it"
    assert json.loads(text), "the reference app renders nothing on this target"
    assert text == path.read_text(), (
        f"{path.name} changed: review `git diff` after pytest --update-golden, commit if intended"
    )
