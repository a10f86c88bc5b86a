"""Misspelt names in an `apps/` module, found in its source: every one at once, with its line.

Python stops at the first mistake (`TypeError: Autoscaling.__init__() got an unexpected keyword
argument 'min_replica'`, `AttributeError: PUBLC`) and names no line of the user's file. When a
module fails to load, the loader reads its syntax tree instead: each call of a class or function
imported from `infra.services` with a keyword it does not take, and each member of an imported
enum that does not exist, is one problem at `apps/<module>.py:<line>` with the closest name.
"""

from __future__ import annotations

import ast
import dataclasses
import importlib
import inspect
import traceback
from collections.abc import Iterator
from enum import Enum
from pathlib import Path
from typing import Any

from infra.input_errors import did_you_mean
from infra.problems import Problem

PACKAGE = "infra.services"
"""Where the declaration API lives: names imported from elsewhere are not checked."""


def _imported(tree: ast.Module) -> dict[str, Any]:
    """Local name → object for each `from infra.services… import X` (and `import … as m`)."""
    found: dict[str, Any] = {}
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and (node.module or "").startswith(PACKAGE):
            try:
                module = importlib.import_module(str(node.module))
            except ImportError:
                continue
            for alias in node.names:
                if hasattr(module, alias.name):
                    found[alias.asname or alias.name] = getattr(module, alias.name)
        elif isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name.startswith(PACKAGE) and alias.asname:
                    try:
                        found[alias.asname] = importlib.import_module(alias.name)
                    except ImportError:
                        continue
    return found


def _resolve(node: ast.expr, names: dict[str, Any]) -> Any:
    if isinstance(node, ast.Name):
        return names.get(node.id)
    if isinstance(node, ast.Attribute):
        owner = _resolve(node.value, names)
        return getattr(owner, node.attr, None) if owner is not None else None
    return None


def _keywords(target: Any) -> list[str] | None:
    """The keyword arguments a class or function takes; None when it takes any (`**kwargs`)."""
    if dataclasses.is_dataclass(target) and isinstance(target, type):
        return [f.name for f in dataclasses.fields(target) if f.init]
    if not callable(target):
        return None
    try:
        parameters = inspect.signature(target).parameters.values()
    except (TypeError, ValueError):
        return None
    if any(p.kind is inspect.Parameter.VAR_KEYWORD for p in parameters):
        return None
    return [
        p.name
        for p in parameters
        if p.kind in (inspect.Parameter.KEYWORD_ONLY, inspect.Parameter.POSITIONAL_OR_KEYWORD)
    ]


def _suggestion(word: str, names: list[str], kind: str) -> str:
    close = did_you_mean(word, names)
    if close:
        return f"did you mean {close[0]!r}?"
    return f"{kind}: {', '.join(names)}"


def misspelt_names(path: Path, shown: str) -> list[Problem]:
    """Every unknown keyword and enum member in the module at `path` (shown as `shown`)."""
    try:
        tree = ast.parse(path.read_text(), str(path))
    except (OSError, SyntaxError):
        return []
    names = _imported(tree)
    return sorted(_problems(tree, names, shown), key=lambda p: int(p.path.rsplit(":", 1)[1]))


def _problems(tree: ast.Module, names: dict[str, Any], shown: str) -> Iterator[Problem]:
    for node in ast.walk(tree):
        if isinstance(node, ast.Call):
            target = _resolve(node.func, names)
            if target is None:
                continue
            accepted = _keywords(target)
            if accepted is None:
                continue
            title = getattr(target, "__name__", "it")
            for keyword in node.keywords:
                if keyword.arg is not None and keyword.arg not in accepted:
                    yield Problem(
                        f"{shown}:{keyword.value.lineno}",
                        keyword.arg,
                        f"{title} has no field {keyword.arg!r}",
                        _suggestion(keyword.arg, accepted, "its fields"),
                    )
        elif isinstance(node, ast.Attribute):
            owner = _resolve(node.value, names)
            if isinstance(owner, type) and issubclass(owner, Enum):
                members = list(owner.__members__)
                if node.attr not in members and not hasattr(owner, node.attr):
                    yield Problem(
                        f"{shown}:{node.lineno}",
                        f"{owner.__name__}.{node.attr}",
                        f"{owner.__name__} has no member {node.attr!r}",
                        _suggestion(node.attr, members, "its members"),
                    )


def line_in(error: BaseException, path: Path) -> int | None:
    """The last line of `path` the error's traceback passed through (where the user's file
    called what raised)."""
    lines = [
        frame.lineno
        for frame in traceback.extract_tb(error.__traceback__)
        if Path(frame.filename).resolve() == path.resolve() and frame.lineno is not None
    ]
    return lines[-1] if lines else None
