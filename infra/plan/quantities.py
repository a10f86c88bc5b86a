"""CPU and memory quantities as numbers, one parser for every reader of a plan.

Kubernetes' grammar and suffixes are read from `upstream/kubernetes-apimachinery/`
(k8s.io/apimachinery `pkg/api/resource/quantity.go` and `suffix.go`, pinned there): a signed
number, then a binary-SI suffix (`Ki`..`Ei`), a decimal-SI one (`n`, `u`, `m`, `k`..`E`) or a
decimal exponent (`e3`). Container Apps write CPU as a number (0.5) and memory as `1Gi` or
`1.0Gi`, which the same grammar reads.
"""

from __future__ import annotations

import re
from functools import cache
from pathlib import Path

UPSTREAM = Path(__file__).resolve().parents[2] / "upstream" / "kubernetes-apimachinery"

_NUMBER = r"[+-]?(?:\d+\.\d*|\.\d+|\d+)"
"""`<signedNumber>` of quantity.go's grammar (`<digits>`, `<digits>.<digits>`, `<digits>.`,
`.<digits>`, with an optional sign)."""
_SUFFIX = re.compile(
    r'addSuffix\("(?P<suffix>[A-Za-z]*)", bePair\{(?P<base>\d+), (?P<exp>-?\d+)\}\)'
)


class QuantityError(ValueError):
    """Not a Kubernetes quantity."""


@cache
def suffixes(root: Path = UPSTREAM) -> dict[str, tuple[int, int]]:
    """Suffix → (base, exponent), as suffix.go's `newSuffixer` registers them (the first
    registration of a suffix wins, as in its lookup)."""
    table: dict[str, tuple[int, int]] = {}
    for match in _SUFFIX.finditer((root / "suffix.excerpt.go").read_text()):
        table.setdefault(match["suffix"], (int(match["base"]), int(match["exp"])))
    if not table:
        raise RuntimeError(f"no suffixes in {root / 'suffix.excerpt.go'}")
    return table


@cache
def _quantity() -> re.Pattern[str]:
    named = "|".join(sorted((re.escape(s) for s in suffixes() if s), key=len, reverse=True))
    return re.compile(rf"^(?P<number>{_NUMBER})(?:(?P<suffix>{named})|[eE](?P<exp>{_NUMBER}))?$")


def amount(value: object) -> float:
    """The plain number a quantity stands for: `250m` → 0.25, `1Ki` → 1024, `1e3` → 1000,
    `0.5` (a number, as Container Apps write CPU) → 0.5. Raises QuantityError otherwise."""
    if isinstance(value, bool):
        raise QuantityError(f"not a quantity: {value!r}")
    if isinstance(value, int | float):
        return float(value)
    match = _quantity().match(str(value).strip())
    if match is None:
        raise QuantityError(f"not a quantity: {value!r}")
    number = float(match["number"])
    if match["exp"] is not None:
        return number * 10 ** float(match["exp"])
    base, exponent = suffixes()[match["suffix"] or ""]
    # Divide for negative exponents: 250m is 250 / 1000 exactly as a float, not 250 * 0.001.
    return number * base**exponent if exponent >= 0 else number / base**-exponent


def cores(value: object) -> float:
    """CPU in cores: `250m` → 0.25, `2` → 2.0, 0.5 → 0.5."""
    return amount(value)


def millicores(value: object) -> float:
    """CPU in millicores: `250m` → 250, `0.1` → 100."""
    return amount(value) * 1000


def gibibytes(value: object) -> float:
    """Memory in GiB: `512Mi` → 0.5, `1Gi` → 1.0, `1G` → 0.93 (decimal units as Kubernetes
    reads them), a bare number → bytes."""
    return amount(value) / 2**30


def mebibytes(value: object) -> float:
    """Memory in MiB: `128Mi` → 128, `1Gi` → 1024, `100M` → 95.4."""
    return amount(value) / 2**20
