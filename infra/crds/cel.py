"""Evaluate a CRD schema's `x-kubernetes-validations` (CEL) rules the way the API server does on
create, offline, with the `common-expression-language` package (Rust cel interpreter).

What the API server does, and what this module repeats (Kubernetes docs "Extend the Kubernetes
API with CustomResourceDefinitions: Validation rules"; apiextensions-apiserver
`pkg/apiserver/schema/cel/validation.go`):

- It applies the schema's `default`s first (structural defaulting happens while decoding), so
  a rule such as `size(self.group) == 0` sees the defaulted `group: ""`.
- A rule runs at the node of the schema that declares it, with `self` the value there, for
  every occurrence of that node (each list item, each map value) that is present.
- Object property names are escaped into CEL identifiers (`namespace` → `__namespace__`,
  `-` → `__dash__`, …: `escape`); map keys (`additionalProperties`) are not.
- A rule that is false fails with its `message` (or "failed rule: <rule>"); a rule that cannot
  be evaluated (a missing field, a type error) fails too.
- Transition rules (those that read `oldSelf`) run on update only: on create there is no old
  object, so `violations` skips them (`is_transition_rule`). The vendored schemas have one,
  GatewayClass `spec.controllerName` ("Value is immutable").

Functions: the rules call the CEL standard definitions (size, matches, contains, startsWith,
endsWith, duration, …, native in the interpreter) and two of the Kubernetes strings library
(cel-go `ext.Strings`, which Kubernetes enables: docs "CEL in Kubernetes", "Kubernetes strings
library"): `split` and `upperAscii`, from the package's `cel.stdlib` (`strings` group).
`AVAILABLE_FUNCTIONS` lists what a rule may call; `unknown_functions` finds a call outside
it, so a rule can never be skipped silently (tests/test_crd_cel.py runs it on every rule).
Regular expressions: Kubernetes evaluates `matches` with RE2; the interpreter uses Rust's
`regex` crate, which has RE2's syntax and linear-time semantics (no backreferences or
look-around, `(?i)` flags).
"""

from __future__ import annotations

import copy
import re
from collections.abc import Iterator
from dataclasses import dataclass
from functools import cache, lru_cache
from typing import Any

import cel
from cel import stdlib

Schema = dict[str, Any]

_RESERVED = frozenset(
    {
        "true", "false", "null", "in", "as", "break", "const", "continue", "else", "for",
        "function", "if", "import", "let", "loop", "package", "namespace", "return", "var",
        "void", "while",
    }
)  # fmt: skip
"""CEL's reserved words (kubernetes/kubernetes staging/src/k8s.io/apiserver/pkg/cel/escaping.go
`celReservedSymbols`, commit 37005d1)."""
_IDENT_CHARS = re.compile(r"^[a-zA-Z_.\-/][a-zA-Z0-9_.\-/]*$")
_EXPAND = re.compile(r"__|[-./]")
_ESCAPES = {"__": "__underscores__", ".": "__dot__", "-": "__dash__", "/": "__slash__"}


def escape(name: str) -> str | None:
    """A property name as CEL sees it, or None when CEL cannot reach it (k8s.io/apiserver
    pkg/cel/escaping.go `Escape`: reserved words become `__word__`; `__`, `.`, `-` and `/`
    become `__underscores__`, `__dot__`, `__dash__`, `__slash__`; a name that starts with a
    digit or holds any other character is not accessible)."""
    if not name or name[0].isdigit():
        return None
    if name in _RESERVED:
        return f"__{name}__"
    if not _IDENT_CHARS.match(name):
        return None
    return _EXPAND.sub(lambda m: _ESCAPES[m.group(0)], name)


def with_defaults(value: Any, schema: Schema) -> Any:
    """`value` with the schema's defaults filled in, as the API server decodes it: a missing
    property with a `default` gets it (then its own defaults), recursively through properties,
    list items and map values. The input is not changed."""
    if isinstance(value, dict):
        out: dict[str, Any] = {}
        properties: dict[str, Schema] = schema.get("properties") or {}
        extra = schema.get("additionalProperties")
        for key, item in value.items():
            sub = properties.get(key, extra if isinstance(extra, dict) else None)
            out[key] = with_defaults(item, sub) if sub is not None else item
        for key, sub in properties.items():
            if key not in out and "default" in sub:
                out[key] = with_defaults(copy.deepcopy(sub["default"]), sub)
        return out
    if isinstance(value, list) and isinstance(schema.get("items"), dict):
        return [with_defaults(item, schema["items"]) for item in value]
    return value


def to_cel(value: Any, schema: Schema | None) -> Any:
    """The value as a rule's `self` sees it: object properties escaped (`escape`), properties
    CEL cannot name left out, map keys as they are."""
    if isinstance(value, dict):
        properties: dict[str, Schema] | None = (schema or {}).get("properties")
        if properties is not None:
            out: dict[str, Any] = {}
            for key, item in value.items():
                escaped = escape(key)
                if escaped is not None:
                    out[escaped] = to_cel(item, properties.get(key))
            return out
        extra = (schema or {}).get("additionalProperties")
        sub = extra if isinstance(extra, dict) else None
        return {key: to_cel(item, sub) for key, item in value.items()}
    if isinstance(value, list):
        items = (schema or {}).get("items")
        return [to_cel(item, items if isinstance(items, dict) else None) for item in value]
    return value


@dataclass(frozen=True)
class Rule:
    """One `x-kubernetes-validations` entry and where it sits (`spec.listeners`, `[]` for list
    items, `{}` for map values)."""

    path: str
    rule: str
    message: str

    def describe(self) -> str:
        return self.message or f"failed rule: {self.rule}"


@dataclass(frozen=True)
class Violation:
    """A rule that refused a value: where (`spec.listeners[1]`), the rule, and why (its message,
    or the evaluation error)."""

    path: str
    rule: Rule
    reason: str

    def __str__(self) -> str:
        return f"{self.path}: {self.reason}"


def rules_of(schema: Schema, path: str = "") -> Iterator[tuple[Rule, Schema]]:
    """Every CEL rule of a schema, with the node that declares it. (Structural schemas do not
    allow rules inside `allOf`/`anyOf`/`oneOf`/`not`, so these are the only places.)"""
    for entry in schema.get("x-kubernetes-validations", ()):
        yield Rule(path, entry["rule"], entry.get("message", "")), schema
    for name, sub in (schema.get("properties") or {}).items():
        yield from rules_of(sub, f"{path}.{name}" if path else name)
    if isinstance(schema.get("items"), dict):
        yield from rules_of(schema["items"], f"{path}[]")
    if isinstance(schema.get("additionalProperties"), dict):
        yield from rules_of(schema["additionalProperties"], f"{path}{{}}")


_OPERATORS = re.compile(r"^(_.*|!_|-_|@.*)$")
NATIVE_FUNCTIONS = frozenset(
    {
        "size", "matches", "contains", "startsWith", "endsWith", "duration", "timestamp",
        "int", "uint", "double", "string", "bytes", "bool", "type", "dyn",
    }
)  # fmt: skip
"""The CEL standard definitions the rules call, native in the interpreter (cel-spec
doc/langdef.md "Standard Definitions"; the package's `cel.stdlib` docstring lists which it
implements natively). Macros (`has`, `all`, `exists`, `exists_one`, `filter`, `map`) are
expanded by the parser and are not function calls."""
KUBERNETES_FUNCTIONS = frozenset(stdlib.EXTENSIONS["strings"])
"""The strings library registered here: `cel.stdlib`'s `strings` group, its implementation of
cel-go `ext.Strings` (charAt, indexOf, lowerAscii, replace, split, substring, trim, upperAscii,
join, …), the library Kubernetes enables ("Kubernetes strings library")."""
AVAILABLE_FUNCTIONS = NATIVE_FUNCTIONS | KUBERNETES_FUNCTIONS


@cache
def compiled(rule: str) -> cel.Program:
    return cel.compile(rule)


def is_transition_rule(rule: str) -> bool:
    """A rule that reads `oldSelf` runs on update only (Kubernetes docs, "Transition rules")."""
    return "oldSelf" in compiled(rule).variables()


def unknown_functions(rule: str) -> set[str]:
    """The functions a rule calls that nothing here implements (empty for a rule that runs)."""
    called = set(compiled(rule).functions())
    return {f for f in called if not _OPERATORS.match(f)} - AVAILABLE_FUNCTIONS


@lru_cache(maxsize=1)
def _context() -> cel.Context:
    context = cel.Context()
    stdlib.add_stdlib_to_context(context, extensions=["strings"])
    return context


def evaluate(rule: str, value: Any) -> Any:
    """Run one rule with `self` bound to `value` (already in CEL form: `to_cel`)."""
    context = _context()
    context.update({"self": value})
    return compiled(rule).execute(context)


def _occurrences(value: Any, schema: Schema, path: str) -> Iterator[tuple[str, Any, Schema]]:
    """Each present value of the schema tree with the concrete path to it."""
    if value is None:
        return
    yield path, value, schema
    if isinstance(value, dict):
        properties: dict[str, Schema] = schema.get("properties") or {}
        extra = schema.get("additionalProperties")
        for key, item in value.items():
            sub = properties.get(key, extra if isinstance(extra, dict) else None)
            if sub is None:
                continue
            if key in properties:
                yield from _occurrences(item, sub, f"{path}.{key}" if path else key)
            else:
                yield from _occurrences(item, sub, f"{path}[{key!r}]")
    elif isinstance(value, list) and isinstance(schema.get("items"), dict):
        for index, item in enumerate(value):
            yield from _occurrences(item, schema["items"], f"{path}[{index}]")


def violations(obj: Any, schema: Schema) -> list[Violation]:
    """Every CEL rule `obj` breaks on create (after defaulting), in document order."""
    found: list[Violation] = []
    for path, value, node in _occurrences(with_defaults(obj, schema), schema, ""):
        entries = node.get("x-kubernetes-validations", ())
        if not entries:
            continue
        self_value = to_cel(value, node)
        for entry in entries:
            rule = Rule(path, entry["rule"], entry.get("message", ""))
            if is_transition_rule(rule.rule):
                continue
            try:
                result = evaluate(rule.rule, self_value)
            except Exception as error:  # the API server refuses what it cannot evaluate
                found.append(Violation(path, rule, f"{rule.describe()} (error: {error})"))
                continue
            if result is not True:
                found.append(Violation(path, rule, rule.describe()))
    return found
