"""Import only the provider SDK modules an offline plan uses.

pulumi-azure-native and pulumi-kubernetes load their service packages lazily, but the first
attribute read of a package runs its `__init__`, which imports every resource it has (~280 in
`azure_native.network`) although a plan uses a handful: that was a third of a plan's wall time.
`load_members_on_demand` swaps the SDK's still-unloaded lazy packages for packages that import a
member's own module on first use (`VirtualNetwork` → `virtual_network.py`, `Service` →
`Service.py`). Names resolve to the objects the full `__init__` would export (the same classes,
the same precedence between `_inputs`, resource modules and `_enums`), and anything the
convention does not find runs the package's own `__init__`, so a miss costs time, never
correctness. Offline plans only: `pulumi up` imports the SDKs untouched.
"""

from __future__ import annotations

import importlib
import importlib.util
import re
import sys
import types
from pathlib import Path
from typing import Any

PROVIDER_PACKAGES = ("pulumi_azure_native.", "pulumi_kubernetes.")
_WORD_BOUNDARY = re.compile(r"(?<=[a-z0-9])(?=[A-Z])|(?<=[A-Z])(?=[A-Z][a-z])")
_STAR_IMPORT = re.compile(r"^from \.(\w+) import \*$", re.MULTILINE)


def _lazy_module_type() -> type | None:
    from pulumi import _utils

    found = getattr(_utils, "_LazyModule", None)
    return found if isinstance(found, type) else None


class OnDemandPackage(types.ModuleType):
    """An SDK package whose members are imported one module at a time."""

    def __getattr__(self, name: str) -> Any:
        if name.startswith("__"):
            raise AttributeError(name)
        namespace = vars(self)
        folder = Path(namespace["__path__"][0])
        package = namespace["__name__"]
        if (folder / name / "__init__.py").is_file():
            value: Any = on_demand_package(f"{package}.{name}")
        elif (folder / f"{name}.py").is_file() and name not in _star_imports(folder):
            value = importlib.import_module(f"{package}.{name}")  # `from . import outputs`
        else:
            value = _exported(package, folder, name)
        namespace[name] = value
        return value


def _star_imports(folder: Path) -> tuple[str, ...]:
    """The modules the package's `__init__` star-imports, in its order (later ones win)."""
    cached = _STAR_IMPORTS.get(folder)
    if cached is None:
        cached = tuple(_STAR_IMPORT.findall((folder / "__init__.py").read_text()))
        _STAR_IMPORTS[folder] = cached
    return cached


_STAR_IMPORTS: dict[Path, tuple[str, ...]] = {}


def _exported(package: str, folder: Path, name: str) -> Any:
    """What `from package import name` gives after the full `__init__`: the last star-imported
    module defining `name` wins. The candidates are the modules the naming convention points
    at plus `_inputs` and `_enums`, checked in the `__init__`'s own order of precedence."""
    by_convention = {*_modules_named_by(name), "_inputs", "_enums"}
    order = _star_imports(folder)
    for module_name in reversed(order):
        if module_name not in by_convention:
            continue
        module = _star_imported(package, module_name)
        if _exports(module, name):
            return vars(module)[name]
    if name in order:  # the submodule itself (`network.virtual_network`)
        return importlib.import_module(f"{package}.{name}")
    return _fully_loaded(package, name)


def _exports(module: types.ModuleType, name: str) -> bool:
    exported = getattr(module, "__all__", None)
    return (exported is None or name in exported) and name in vars(module)


def _star_imported(package: str, module_name: str) -> types.ModuleType:
    """Import one module the `__init__` star-imports. Importing binds the submodule on the
    package; where the module exports a member of its own name (`get_logic_app` in
    `get_logic_app.py`), the star import would have replaced that binding with the member."""
    module = importlib.import_module(f"{package}.{module_name}")
    namespace = vars(sys.modules[package])
    if namespace.get(module_name) is module and _exports(module, module_name):
        namespace[module_name] = vars(module)[module_name]
    return module


def _modules_named_by(name: str) -> set[str]:
    """Module names the SDK generator gives a member: `VirtualNetwork`/`VirtualNetworkArgs` →
    `virtual_network` (`Service` → `Service` in pulumi-kubernetes; `XInitArgs` where `XArgs` is
    taken by an input type), `get_x_output` and
    `AwaitableGetXResult` → `get_x`."""
    if name.islower():
        return {name, name.removesuffix("_output")}
    own = name.removeprefix("Awaitable")
    own = own.removesuffix("Result") if own.startswith(("Get", "List")) else own
    own = own.removesuffix("InitArgs").removesuffix("Args") or own
    return {name, own, _WORD_BOUNDARY.sub("_", own).lower()}


def _fully_loaded(package: str, name: str) -> Any:
    """Run the package's own `__init__` (what the SDK would have done) and read `name`."""
    module = sys.modules[package]
    spec = module.__spec__
    if spec is None or spec.loader is None:
        raise AttributeError(f"module {package!r} has no attribute {name!r}")
    spec.loader.exec_module(module)
    module.__class__ = types.ModuleType  # complete now: an ordinary module from here on
    try:
        return vars(module)[name]
    except KeyError:
        raise AttributeError(f"module {package!r} has no attribute {name!r}") from None


def on_demand_package(fullname: str) -> types.ModuleType:
    """The package `fullname`, made on-demand unless something already loaded it in full."""
    lazy = _lazy_module_type()
    module = sys.modules.get(fullname)
    if module is None:
        spec = importlib.util.find_spec(fullname)
        if spec is None or spec.submodule_search_locations is None:
            return importlib.import_module(fullname)
        module = importlib.util.module_from_spec(spec)
        sys.modules[fullname] = module
    elif lazy is None or type(module) is not lazy:
        return module  # loaded already (or an SDK whose laziness we do not know): keep it
    # A lazy module's spec already names the real loader (the lazy loader put it back), which
    # is what the fallback to the full `__init__` runs.
    module.__class__ = OnDemandPackage
    return module


def load_members_on_demand() -> int:
    """Make every still-unloaded provider SDK package on-demand; returns how many."""
    lazy = _lazy_module_type()
    if lazy is None:
        return 0
    names = [
        name
        for name, module in list(sys.modules.items())
        if name.startswith(PROVIDER_PACKAGES) and type(module) is lazy
    ]
    for name in names:
        on_demand_package(name)
    return len(names)
