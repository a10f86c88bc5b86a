"""Every command's exit codes, in one place: `docs/cli.md` shows this table (a test keeps the
two equal) and each entry point returns these constants.

Standard library only: `dev.py` reads it before `.venv` exists.
"""

from __future__ import annotations

from enum import IntEnum


class Exit(IntEnum):
    """What a command's exit status means (as `kubectl diff` for the diff-like ones)."""

    OK = 0
    """Success; `diff`: no changes."""
    CHANGES = 1
    """`diff`: changes; `simulate`: Azure would refuse a step; `image_lock verify`: a mismatch."""
    ERROR = 2
    """Bad input, a usage error, or a plan that could not run (it names the stack and the fix)."""
    BLOCKED = 3
    """`diff`: protection would block a change; `release decide`: roll back."""
    POLICY = 4
    """`plan`: a mandatory policy rule is violated (the report names each rule id)."""
