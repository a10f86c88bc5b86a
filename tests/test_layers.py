"""Imports run down the pipeline, never up (docs/architecture.md, "Layers"): every import under
`infra/` read from the source (lazy and type-only ones included) against the layer table there,
with no circle between modules; and what a few layers may not pull in at run time, checked in a
fresh interpreter so nothing another test imported hides a violation."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

from tests.fixtures import run_python

ROOT = Path(__file__).resolve().parents[1]

PROBE = """
import sys, {module}
loaded = sorted(m for m in sys.modules if m.split(".")[0] in ("pulumi", "pulumi_azure_native")
                or m.startswith("infra.foundation") or m.startswith("infra.services.validation"))
print(",".join(loaded))
"""


@pytest.mark.parametrize(
    ("module", "forbidden"),
    [
        ("infra.constants", ("pulumi", "infra.foundation", "infra.services.validation")),
        ("infra.services.catalog", ("pulumi", "infra.foundation", "infra.services.validation")),
        (
            "infra.services.render.aks",
            ("pulumi_azure_native", "infra.foundation", "infra.services.validation"),
        ),
        ("infra.services.wiring", ("infra.foundation", "infra.services.validation")),
        ("infra.services.render.container_apps", ("infra.foundation",)),
    ],
)
def test_a_layer_does_not_import_what_sits_above_it(
    module: str, forbidden: tuple[str, ...]
) -> None:
    result = run_python("-c", PROBE.format(module=module))
    assert result.returncode == 0, result.stderr
    loaded = [m for m in result.stdout.strip().split(",") if m]
    assert [m for m in loaded if m.split(".")[0] in forbidden or m.startswith(forbidden)] == []


# --------------------------------------------------------------------------------------------
# The whole tree: no circles, no import of a lower layer (docs/architecture.md declares them)

ARCHITECTURE = ROOT / "docs" / "architecture.md"
LAYERS_MARK = "<!-- layers: read by tests/test_layers.py -->"


def _layers() -> list[tuple[str, tuple[str, ...]]]:
    """(layer, module prefixes) from the table under `LAYERS_MARK`, lowest layer first."""
    text = ARCHITECTURE.read_text()
    assert LAYERS_MARK in text, f"{ARCHITECTURE} lost its layer table"
    rows: list[tuple[str, tuple[str, ...]]] = []
    for line in text.split(LAYERS_MARK, 1)[1].splitlines()[3:]:
        if not line.startswith("|"):
            break
        _, number, layer, modules, _ = line.split("|")
        assert int(number) == len(rows) + 1, line
        rows.append((layer.strip(), tuple(re.findall(r"`([\w.]+)`", modules))))
    return rows


def _modules() -> dict[str, Path]:
    found: dict[str, Path] = {}
    for path in sorted((ROOT / "infra").rglob("*.py")):
        parts = path.relative_to(ROOT).with_suffix("").parts
        found[".".join(parts[:-1] if parts[-1] == "__init__" else parts)] = path
    return found


MODULES = _modules()


def _imports(module: str, path: Path) -> set[str]:
    """Every `infra` module `module` imports, wherever the import sits (a function body and a
    `TYPE_CHECKING` block count: a lazy import is still a dependency)."""
    package = module if path.name == "__init__.py" else module.rsplit(".", 1)[0]
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                parts = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join([*parts, *([node.module] if node.module else [])])
            names = [
                f"{base}.{alias.name}" if f"{base}.{alias.name}" in MODULES else base
                for alias in node.names
            ]
        else:
            continue
        for name in names:
            target = name
            while target and target not in MODULES:
                target = target.rpartition(".")[0]
            if target and target != module:
                found.add(target)
    return found


GRAPH = {module: _imports(module, path) for module, path in MODULES.items()}


def _layer_of(module: str, layers: list[tuple[str, tuple[str, ...]]]) -> int | None:
    matches = [
        (len(prefix), index)
        for index, (_, prefixes) in enumerate(layers)
        for prefix in prefixes
        if module == prefix or module.startswith(prefix + ".")
    ]
    return max(matches)[1] if matches else None


def test_the_layer_table_names_every_module_once_and_only_modules_that_exist() -> None:
    layers = _layers()
    assert len(layers) >= 8
    prefixes = [prefix for _, listed in layers for prefix in listed]
    assert sorted(p for p in prefixes if prefixes.count(p) > 1) == []
    assert [p for p in prefixes if p not in MODULES] == []
    assert [m for m in MODULES if _layer_of(m, layers) is None] == []


def test_no_module_imports_a_later_layer() -> None:
    layers = _layers()
    upward = [
        f"{module} ({layers[here][0]}) imports {target} ({layers[there][0]})"
        for module, targets in sorted(GRAPH.items())
        for target in sorted(targets)
        if (here := _layer_of(module, layers)) is not None
        and (there := _layer_of(target, layers)) is not None
        and there > here
    ]
    assert upward == [], "\n".join(upward)


def _circles(graph: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected components of more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for target in sorted(graph.get(node, ())):
            if target not in index:
                visit(target)
                low[node] = min(low[node], low[target])
            elif target in on_stack:
                low[node] = min(low[node], index[target])
        if low[node] == index[node]:
            component: list[str] = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.append(member)
                if member == node:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return found


def test_no_import_circles() -> None:
    circles = _circles(GRAPH)
    assert circles == [], "\n".join(" ↔ ".join(c) for c in circles)


def test_the_scan_sees_lazy_and_type_only_imports_and_finds_circles(tmp_path: Path) -> None:
    probe = tmp_path / "probe.py"
    probe.write_text(
        "from typing import TYPE_CHECKING\n"
        "if TYPE_CHECKING:\n    from infra.services.spec import ServiceSpec\n"
        "def f():\n    from infra.config import Environment\n"
        "    import infra.services.render.aks\n"
    )
    assert _imports("infra.probe", probe) == {
        "infra.services.spec",
        "infra.config",
        "infra.services.render.aks",
    }
    assert _circles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]
    assert _circles({"a": {"b"}, "b": set()}) == []
