"""One error type for every kind of bad input, so users read one report, not a stack trace.

Config and service validation both collect `Problem`s and raise a single `InvalidInput` at the
end: a user fixing a declaration sees every mistake at once instead of one per run.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any, TypeVar

_D = TypeVar("_D")


@dataclass(frozen=True)
class Fix:
    """A fix a program can apply: set each dotted field path of the declaration the problem is
    about (e.g. `resources.cpu`, `probes.liveness.timing.period_seconds`) to a value (None:
    leave the field out, i.e. its "not set"). Only where a rule's fix is one concrete value
    (a floor, a range's nearest end, a size the target accepts); most fixes are a choice only
    the author can make, and carry text alone. Applying one yields a declaration validation
    accepts, which tests/test_agreement.py proves for generated declarations."""

    changes: tuple[tuple[str, object], ...]

    def apply(self, declaration: _D) -> _D:
        """`declaration` (a frozen dataclass, e.g. a ServiceSpec) with the changes made."""
        for path, value in self.changes:
            declaration = _set(declaration, path.split("."), value)
        return declaration


def _set(obj: _D, parts: list[str], value: object) -> _D:
    head, *rest = parts
    new: Any = value if not rest else _set(getattr(obj, head), rest, value)
    return dataclasses.replace(obj, **{head: new})  # type: ignore[type-var]


@dataclass(frozen=True, order=True)
class Problem:
    """One thing wrong with the input: where, what was given, why it is wrong, how to fix it."""

    path: str
    value: str
    problem: str
    fix: str
    group: str = ""
    """What the path is inside, e.g. `catalog (apps/storefront.py)`; empty for stack config."""
    fixed_by: Fix | None = field(default=None, compare=False)
    """The fix as data, where it is one concrete value (`Fix`); the text `fix` always says it."""

    def render(self) -> str:
        shown = f" = {self.value}" if self.value else ""
        return f"  {self.path}{shown}: {self.problem} → {self.fix}"


class InvalidInput(Exception):
    """Raised once, before any resource is registered, with every problem found."""

    def __init__(self, subject: str, problems: Iterable[Problem]) -> None:
        self.subject = subject
        self.problems: tuple[Problem, ...] = tuple(
            sorted(problems, key=lambda p: (p.group, p.path))
        )
        count = len(self.problems)
        noun = "problem" if count == 1 else "problems"
        lines = [f"{count} {noun} in {subject}"]
        group: str | None = None
        for problem in self.problems:
            if problem.group and problem.group != group:
                lines.append(f"  {problem.group}")
            group = problem.group
            lines.append(("  " if problem.group else "") + problem.render())
        super().__init__("\n".join(lines))

    def __reduce__(self) -> tuple[object, ...]:
        """Rebuilt from (subject, problems), e.g. when a plan's worker process reports it."""
        return (InvalidInput, (self.subject, self.problems))


def show(value: object, limit: int = 80) -> str:
    """A short, single-line rendering of a user's value for an error message."""
    text = repr(value) if isinstance(value, str) else str(value)
    text = text.replace("\n", " ")
    return text if len(text) <= limit else text[: limit - 1] + "…"
