"""Kubernetes and Container Apps quantities as numbers: cores and GiB."""

from __future__ import annotations

import re
from typing import Any

_MEMORY = re.compile(r"^([0-9.]+)\s*(Ki|Mi|Gi|Ti|K|M|G|T|k)?$")
_FACTORS = {
    None: 1 / 2**30,
    "Ki": 1 / 2**20,
    "Mi": 1 / 2**10,
    "Gi": 1.0,
    "Ti": 2**10,
    "k": 1e3 / 2**30,
    "K": 1e3 / 2**30,
    "M": 1e6 / 2**30,
    "G": 1e9 / 2**30,
    "T": 1e12 / 2**30,
}


def cores(value: object) -> float:
    """`250m` → 0.25, `2` → 2.0, 0.5 → 0.5."""
    if isinstance(value, (int, float)):
        return float(value)
    text = str(value).strip()
    if text.endswith("m"):
        return float(text[:-1]) / 1000
    return float(text)


def gibibytes(value: object) -> float:
    """`512Mi` → 0.5, `1Gi` → 1.0, `1G` → 0.93 (decimal units as Kubernetes reads them)."""
    if isinstance(value, (int, float)):
        return float(value) / 2**30
    match = _MEMORY.match(str(value).strip())
    if match is None:
        raise ValueError(f"not a memory quantity: {value!r}")
    return float(match.group(1)) * _FACTORS[match.group(2)]


def obj(value: object) -> dict[str, Any]:
    """A nested input as a mapping: `{}` when absent or masked as a secret (`[secret]`)."""
    return value if isinstance(value, dict) else {}
