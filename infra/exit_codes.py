"""Every command's exit codes, in one place: `docs/cli.md` shows this table (a test keeps the
two equal), `dev.py --help` prints it, and each entry point returns these constants.

Standard library only: `dev.py` reads it before `.venv` exists.
"""

from __future__ import annotations

from enum import IntEnum


class Exit(IntEnum):
    """What a command's exit status means (as `kubectl diff` for the diff-like ones)."""

    OK = 0
    CHANGES = 1
    ERROR = 2
    BLOCKED = 3
    POLICY = 4


MEANING: dict[Exit, str] = {
    Exit.OK: "success; `diff`/`against`: no changes",
    Exit.CHANGES: "`diff`/`against`: changes; `simulate`: Azure would refuse a step; "
    "`images verify`: the registry differs from the lock",
    Exit.ERROR: "an error: bad input, a usage error, a plan or base that could not run "
    "(the message names the stack and the fix)",
    Exit.BLOCKED: "`diff`/`against`: protection would block a change (a protected resource "
    "deleted or replaced); `release decide`: roll back; `team-stacks migrate`: the migration "
    "would replace, delete or duplicate a resource",
    Exit.POLICY: "`plan`/`against`: a mandatory policy rule is violated (the report names "
    "each rule id)",
}
