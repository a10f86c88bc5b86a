"""Pydantic's errors in the project's words: one translator for stack config and service specs.

Config (`infra/config.py`) and declarations (`infra/services/validation.py`) both let pydantic
check types first; what differs is only the wording (a config *key* under `platform:`, a spec
*field* under a service) and where the fix points. `Wording` holds those differences; the
walk over errors, the handling of unions and the "did you mean" suggestions are written once here.
"""

from __future__ import annotations

import difflib
from collections.abc import Callable, Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from pydantic import ValidationError

from infra.problems import Problem, show

Loc = tuple[Any, ...]


SIMILARITY = 0.8
"""The least difflib ratio (case ignored) for a suggestion. difflib's default, 0.6, offered
`identity-api` for `inventory-api` (0.72: the shared `-api` carries it); a real slip of one or
two letters scores above 0.8 (`idenity-api` 0.96, `orders-api` → `ordering-api` 0.82)."""


def did_you_mean(word: str, candidates: Iterable[str], limit: int = 1) -> list[str]:
    """Up to `limit` names the user probably meant: the most similar first (difflib's ratio,
    as `git` and `pip` suggest, at least SIMILARITY), then names the word is a prefix of, or
    that are a prefix of it (`basket` → `basket-api`), for words of three letters or more."""
    names = list(dict.fromkeys(candidates))
    by_folded: dict[str, str] = {}
    for name in names:
        by_folded.setdefault(name.casefold(), name)
    folded = word.casefold()
    close = [
        by_folded[n]
        for n in difflib.get_close_matches(folded, list(by_folded), n=limit, cutoff=SIMILARITY)
    ]
    if len(folded) >= 3:
        for name in names:
            other = name.casefold()
            if name not in close and (other.startswith(folded) or folded.startswith(other)):
                close.append(name)
    return close[:limit]


@dataclass(frozen=True)
class Wording:
    """How one kind of input names its mistakes."""

    path: Callable[[Loc], str]
    """Pydantic's location → the path the user reads (`platform:aks.userPool`, `ports[0].name`)."""
    unknown: str
    """The problem for a key pydantic does not know (`unknown key`, `unknown field`)."""
    unknown_fix: Callable[[Loc], str]
    fix: Callable[[Loc], str]
    """The fix for any other error, given its location."""
    missing: str | None = None
    """The problem for a missing value; None words it as any other error."""
    missing_fix: Callable[[Loc], str] | None = None
    show_unknown_value: bool = False
    """Whether an unknown key's value is shown (config: yes; a spec's keyword argument: no)."""
    strip_value_error: bool = False
    """Drop pydantic's `Value error, ` prefix from messages of custom validators."""
    group: str = ""


def _item_problem(item: Mapping[str, Any], wording: Wording) -> Problem:
    loc = tuple(item["loc"])
    kind = item["type"]
    path = wording.path(loc)
    if kind in ("unexpected_keyword_argument", "extra_forbidden"):
        value = show(item["input"]) if wording.show_unknown_value else ""
        return Problem(path, value, wording.unknown, wording.unknown_fix(loc), wording.group)
    if kind == "missing" and wording.missing is not None and wording.missing_fix is not None:
        return Problem(path, "", wording.missing, wording.missing_fix(loc), wording.group)
    message = str(item["msg"])
    if wording.strip_value_error:
        message = message.removeprefix("Value error, ")
    return Problem(path, show(item["input"]), message, wording.fix(loc), wording.group)


def problems_from(
    error: ValidationError,
    wording: Wording,
    *,
    written: Any = None,
    members: Collection[str] = (),
) -> list[Problem]:
    """Every problem in `error`, in the order pydantic reports them.

    `members` are the class names that appear in pydantic's locations when a field is a union of
    dataclasses (`secrets.DB.KeyVaultSecret.name`): pydantic reports one error per member, so the
    errors are kept for the member the user wrote (found in `written`, the raw input), or replaced
    by one summary when the value is none of them (a literal string where a secret ref belongs)."""
    items: list[dict[str, Any]] = [dict(item) for item in error.errors()]
    if not members:
        return [_item_problem(item, wording) for item in items]
    by_place: dict[Loc, list[dict[str, Any]]] = {}
    for item in items:
        loc = tuple(item["loc"])
        cut = next((i for i, p in enumerate(loc) if p in members), None)
        place = loc if cut is None else loc[:cut]
        by_place.setdefault(place, []).append(
            {
                **item,
                "member": None if cut is None else loc[cut],
                "rest": () if cut is None else loc[cut + 1 :],
            }
        )
    problems: list[Problem] = []
    for place, found in by_place.items():
        value = _walk(written, place)
        of_members = [i for i in found if i["member"] is not None]
        chosen: list[dict[str, Any]]
        if of_members:
            mine = [i for i in of_members if type(value).__name__ == i["member"]]
            if not mine:
                names = sorted({str(i["member"]) for i in of_members})
                problems.append(
                    Problem(
                        wording.path(place),
                        show(value),
                        f"is a {type(value).__name__}",
                        f"use one of {', '.join(names)}",
                        wording.group,
                    )
                )
                continue
            chosen = [{**i, "loc": place + i["rest"]} for i in mine]
        else:
            chosen = found
        problems.extend(_item_problem(item, wording) for item in chosen)
    return problems


def _walk(obj: Any, loc: Sequence[Any]) -> Any:
    """The raw input at a pydantic location (mappings, sequences or attributes)."""
    for part in loc:
        if isinstance(obj, Mapping):
            obj = obj.get(part)
        elif isinstance(obj, (list, tuple)) and isinstance(part, int):
            obj = obj[part] if part < len(obj) else None
        else:
            obj = getattr(obj, str(part), None)
    return obj
