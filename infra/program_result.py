"""What the program returns, declared: the preview, the plan snapshot and the cost estimate read
the program's result through this interface, never by attribute names found with `getattr`.

`infra/program.py`'s `Platform` implements it; a test program (or a future entry point) that
returns something else simply gets no topology and no estimate.
"""

from __future__ import annotations

from typing import Protocol, runtime_checkable

from infra.config import PlatformConfig
from infra.services.catalog import Catalog


@runtime_checkable
class ProgramResult(Protocol):
    """The validated catalog the program deployed, and the Azure stack's config (None for the
    local stack, which has no Azure resources and so no bill)."""

    @property
    def catalog(self) -> Catalog: ...

    @property
    def azure_config(self) -> PlatformConfig | None: ...


def program_result(result: object) -> ProgramResult | None:
    """`result` when it implements the interface, else None."""
    return result if isinstance(result, ProgramResult) else None
