"""Find the applications declared in `apps/`: every module-level `Application` in the package.

`apps/` is the application teams' folder. The platform's own test suite plans its fixture
applications instead (`tests/apps/`), so an app team's edit never fails the platform's tests:
the environment variable `PLATFORM_APPS` names the package to load (a dotted module path from
the repository root, default `apps`). It is read here only, when a plan loads its
applications, so every entry point (the Pulumi program, `dev.py plan/simulate/…`, the image
lock) and every subprocess they start see the same package (docs/testing.md).
"""

from __future__ import annotations

import dataclasses
import importlib
import importlib.util
import os
import pkgutil
from pathlib import Path
from types import ModuleType

from infra.problems import InvalidInput, Problem
from infra.services.spec import Application
from infra.services.typos import line_in, misspelt_names

APPS_ENV = "PLATFORM_APPS"
"""The environment variable naming the applications package (default `apps`)."""
DEFAULT_PACKAGE = "apps"
ROOT = Path(__file__).resolve().parents[2]


def applications_package() -> str:
    """The package the plan loads: `$PLATFORM_APPS`, else `apps`."""
    return os.environ.get(APPS_ENV) or DEFAULT_PACKAGE


def applications_folder() -> Path:
    """The folder of that package (where its `images.lock.yaml` lives)."""
    return ROOT.joinpath(*applications_package().split("."))


def _applications_in(module: ModuleType) -> list[Application]:
    source = f"{module.__name__.replace('.', '/')}.py"
    found = []
    for value in vars(module).values():
        if isinstance(value, Application):
            found.append(dataclasses.replace(value, source=source))
    return found


def _load_problems(module: str, shown: str, error: Exception) -> list[Problem]:
    """Why a module does not load: each misspelt field or enum member in it (all of them, with
    line and closest name), else the error at the line of the module that raised it."""
    spec = importlib.util.find_spec(module)
    path = Path(spec.origin) if spec is not None and spec.origin else None
    found = misspelt_names(path, shown) if path and not isinstance(error, SyntaxError) else []
    if found:
        return found
    line = error.lineno if isinstance(error, SyntaxError) else None
    if line is None and path is not None:
        line = line_in(error, path)
    return [
        Problem(
            f"{shown}:{line}" if line else shown,
            "",
            f"cannot be loaded: {type(error).__name__}: {error}",
            "fix the declaration",
        )
    ]


def load_applications(package: str | None = None) -> list[Application]:
    """Import each module of the package (default: `applications_package()`); a module that
    fails to import is reported, with the others still checked, so one broken file does not
    hide the rest."""
    package = package or applications_package()
    root_module = importlib.import_module(package)
    applications: list[Application] = []
    problems: list[Problem] = []
    for info in sorted(pkgutil.iter_modules(root_module.__path__), key=lambda i: i.name):
        name = f"{package}.{info.name}"
        try:
            module = importlib.import_module(name)
        except Exception as error:
            problems += _load_problems(name, f"{package.replace('.', '/')}/{info.name}.py", error)
            continue
        applications.extend(_applications_in(module))
    if problems:
        raise InvalidInput("the application modules", problems)
    return applications
