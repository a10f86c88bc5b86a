"""The platform stacks' outputs as recorded, for the offline plan of an application stack.

Offline there is no Pulumi service to read a `StackReference` from, so the mocks
(`infra/preview/mocks.py`) answer it from `infra/stacks/recorded/<stack>.json`: the outputs the
platform stack's own offline plan exports (`python -m infra.stacks record <platform-stack>`
rewrites the file; a test keeps it equal to what the platform program exports today, so a
platform change shows up as a diff of the contract its application stacks read).
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

from infra.services.loader import ROOT as REPOSITORY

STACK_REFERENCE = "pulumi:pulumi:StackReference"
RECORDED_ENV = "PLATFORM_RECORDED_OUTPUTS"
"""A folder of recorded outputs to read instead of `infra/stacks/recorded/` (the suite's fixture
recordings, what-ifs); a relative path is the repository's (so a checkout of another revision
reads its own)."""
DEFAULT_FOLDER = Path(__file__).with_name("recorded")
"""The real platform's recordings, from `apps/` (checked by .ci/apps, not by the platform's suite:
an application team's edit changes them)."""


def recorded_folder() -> Path:
    folder = Path(os.environ.get(RECORDED_ENV) or DEFAULT_FOLDER)
    return folder if folder.is_absolute() else REPOSITORY / folder


def recorded_path(stack: str, folder: Path | None = None) -> Path:
    """`organization/project/stack` → `<folder>/<stack>.json`."""
    return (folder or recorded_folder()) / f"{stack.rsplit('/', 1)[-1]}.json"


def recorded_outputs(stack: str) -> dict[str, Any]:
    """The outputs recorded for the stack `organization/project/stack` (LookupError, saying how
    to record them, when there are none)."""
    path = recorded_path(stack)
    if not path.is_file():
        raise LookupError(
            f"no recorded outputs of the platform stack {stack} ({path}): record them with "
            f"`python -m infra.stacks record {stack.rsplit('/', 1)[-1]}`"
        )
    document = json.loads(path.read_text())
    if document.get("stack") != stack:
        raise LookupError(
            f"{path} records the outputs of {document.get('stack')!r}, not of {stack!r}: "
            "fix platform:platformStack or re-record"
        )
    outputs = document.get("outputs")
    return dict(outputs) if isinstance(outputs, dict) else {}


def write_recorded(stack: str, outputs: dict[str, Any], folder: Path | None = None) -> Path:
    path = recorded_path(stack, folder)
    path.parent.mkdir(parents=True, exist_ok=True)
    document = {"stack": stack, "outputs": outputs}
    path.write_text(json.dumps(document, indent=2, sort_keys=True) + "\n")
    return path
