"""Find the applications declared in `apps/`: every module-level `Application` in the package."""

from __future__ import annotations

import dataclasses
import importlib
import pkgutil
from types import ModuleType

from infra.problems import InvalidInput, Problem
from infra.services.spec import Application


def _applications_in(module: ModuleType) -> list[Application]:
    source = f"apps/{module.__name__.rsplit('.', 1)[-1]}.py"
    found = []
    for value in vars(module).values():
        if isinstance(value, Application):
            found.append(dataclasses.replace(value, source=source))
    return found


def load_applications(package: str = "apps") -> list[Application]:
    """Import each module of the package; a module that fails to import is reported, with the
    others still checked, so one broken file does not hide the rest."""
    root_module = importlib.import_module(package)
    applications: list[Application] = []
    problems: list[Problem] = []
    for info in sorted(pkgutil.iter_modules(root_module.__path__), key=lambda i: i.name):
        name = f"{package}.{info.name}"
        try:
            module = importlib.import_module(name)
        except Exception as error:
            problems.append(
                Problem(
                    f"{package}/{info.name}.py",
                    "",
                    f"cannot be loaded: {type(error).__name__}: {error}",
                    "fix the declaration (unknown or misspelt fields show here)",
                )
            )
            continue
        applications.extend(_applications_in(module))
    if problems:
        raise InvalidInput("the application modules", problems)
    return applications
