"""What a plan diff is made of: each resource's operation and its property changes (the types
`infra/preview/diff.py` computes and `moves.py` and `report.py` read; kept apart so neither
reader imports the diff)."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Any


class Operation(StrEnum):
    CREATE = "create"
    UPDATE = "update"
    REPLACE = "replace"
    DELETE = "delete"


class _Missing:
    def __repr__(self) -> str:
        return "<missing>"


MISSING: Any = _Missing()


class _Unknown:
    """A value a real preview cannot know yet; shown as Pulumi shows it."""

    def __repr__(self) -> str:
        return "output<string>"


UNKNOWN: Any = _Unknown()


@dataclass(frozen=True)
class SecretValue:
    """A masked stack-file secret: equal when it is the same secret (same digest)."""

    digest: str

    def __repr__(self) -> str:
        return "[secret]"


@dataclass(frozen=True)
class PropertyChange:
    path: str
    before: Any
    after: Any
    forces_replacement: bool

    @property
    def kind(self) -> str:
        if self.before is MISSING:
            return "add"
        if self.after is MISSING:
            return "remove"
        return "change"

    @property
    def unknown(self) -> bool:
        """The new value is unknown until an earlier step in this deployment has run."""
        return self.after is UNKNOWN


@dataclass(frozen=True)
class ResourceChange:
    urn: str
    type: str
    name: str
    operation: Operation
    service: str
    """The service (or `platform`) the resource belongs to, for grouping."""
    parent: str
    protected: bool
    changes: tuple[PropertyChange, ...] = ()
    blocked: bool = False
    """Pulumi refuses to delete a protected resource, and to replace one still protected."""
