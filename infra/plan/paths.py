"""Reading a value at a path of a recorded resource's inputs."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

Path = str | Sequence[str | int]
"""`"spec.template.spec"` (dotted: for keys without dots) or `("metadata", "labels", 0)` (keys
and list indices, for keys such as `app.kubernetes.io/name`)."""


def parts(path: Path) -> tuple[str | int, ...]:
    return tuple(path.split(".")) if isinstance(path, str) else tuple(path)


def value_at(document: Any, path: Path, default: Any = None) -> Any:
    """The value at `path`, or `default` where a level is missing, is not a mapping (or, for an
    index, a list), or holds None. A secret masked as a whole (`[secret]`) is such a level."""
    value = document
    for part in parts(path):
        if isinstance(part, int) and isinstance(value, list) and -len(value) <= part < len(value):
            value = value[part]
        elif isinstance(part, str) and isinstance(value, Mapping):
            value = value.get(part)
        else:
            return default
        if value is None:
            return default
    return value


def as_mapping(value: Any) -> dict[str, Any]:
    """A nested input as a mapping: {} when absent, masked as a secret (`[secret]`) or not a
    mapping."""
    return value if isinstance(value, dict) else {}


def mapping_at(document: Any, path: Path) -> Mapping[str, Any]:
    """The mapping at `path`; {} when absent, masked or not a mapping."""
    value = value_at(document, path)
    return value if isinstance(value, Mapping) else {}


def mappings(value: Any) -> list[Mapping[str, Any]]:
    """The mappings of a list (a container list, a volume list); [] for anything else."""
    return [item for item in value if isinstance(item, Mapping)] if isinstance(value, list) else []
