"""The pinned price sheet: Azure Retail Prices API items for one region and currency, on disk.

`infra/cost/prices/<region>-<CURRENCY>.json` holds the API's items (its own field names, so a
refresh is mechanical) plus, on each, where the number came from and as of when (`x-source`,
`x-asOf`, `x-approximate`), and the vCPU/memory of the VM sizes the model packs pods onto.
A missing sheet, price or VM size raises PriceError saying how to get it; the estimate turns it
into a warning and a "not priced" entry (infra/cost/model.py): never silently zero, never a
refusal to preview.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from infra.cost.meters import Meter
from infra.node_capacity import PRICES_DIR, VmSize, vm_sizes_of


class PriceError(Exception):
    """A price the estimate needs is not in the sheet (or the sheet is not there)."""


def refresh_hint(region: str, currency: str) -> str:
    return (
        f"refresh prices for that region: python -m infra.preview prices refresh "
        f"--region {region} --currency {currency}"
    )


def sheet_path(region: str, currency: str, directory: Path = PRICES_DIR) -> Path:
    return directory / f"{region}-{currency}.json"


@dataclass(frozen=True)
class Price:
    """One unit price, with its provenance, as the estimate quotes it."""

    meter: str
    unit_price: float
    unit: str
    source: str
    as_of: str
    approximate: bool

    def to_json(self) -> dict[str, Any]:
        return {
            "meter": self.meter,
            "unitPrice": self.unit_price,
            "unit": self.unit,
            "asOf": self.as_of,
            "approximate": self.approximate,
        }


@dataclass(frozen=True)
class PriceSheet:
    region: str
    currency: str
    as_of: str
    source: str
    items: tuple[dict[str, Any], ...]
    vm_sizes: dict[str, VmSize] = field(default_factory=dict)
    path: str = ""

    def price(self, meter: Meter, *, free_tier: bool = False) -> Price:
        """The item for a meter; for tiered meters the paid tier (the model applies free
        allowances itself), unless `free_tier`."""
        found = [i for i in self.items if meter.matches(i)]
        if not found:
            raise PriceError(
                f"no price for {meter.key} ({meter.service}: "
                + ", ".join(f"{k} '{v}'" for k, v in meter.match)
                + f") in {self.path or 'the price sheet'} → "
                + refresh_hint(self.region, self.currency)
            )
        found.sort(
            key=lambda i: (float(i.get("tierMinimumUnits", 0)), str(i.get("effectiveStartDate")))
        )
        item = found[0] if free_tier else found[-1]
        return Price(
            meter=str(item["meterName"]),
            unit_price=float(item["unitPrice"]),
            unit=str(item["unitOfMeasure"]),
            source=str(item.get("x-source", "Azure Retail Prices API")),
            as_of=str(item.get("x-asOf", str(item.get("effectiveStartDate", ""))[:10])),
            approximate=bool(item.get("x-approximate", False)),
        )

    def free_units(self, meter: Meter) -> float:
        """Units a tiered meter gives free (the paid tier's tierMinimumUnits), e.g. 5 GB of logs."""
        paid = [
            float(i.get("tierMinimumUnits", 0))
            for i in self.items
            if meter.matches(i) and float(i["unitPrice"]) > 0
        ]
        return min(paid, default=0.0)

    def vm_size(self, arm_sku: str) -> VmSize:
        size = self.vm_sizes.get(arm_sku)
        if size is None:
            raise PriceError(
                f"VM size {arm_sku} has no vCPU/memory entry in {self.path or 'the price sheet'} → "
                "add it to vmSizes (from its learn.microsoft.com size page) or pick a listed "
                "size: " + ", ".join(sorted(self.vm_sizes))
            )
        return size


def parse_sheet(document: dict[str, Any], path: str = "") -> PriceSheet:
    items = tuple(document.get("Items") or ())
    for index, item in enumerate(items):
        missing = [
            k for k in ("currencyCode", "unitPrice", "meterName", "unitOfMeasure") if k not in item
        ]
        if missing:
            raise PriceError(
                f"{path} Items[{index}] lacks {', '.join(missing)} → refresh the sheet"
            )
        if item["currencyCode"] != document.get("currency"):
            raise PriceError(
                f"{path} Items[{index}] is in {item['currencyCode']}, the sheet in "
                f"{document.get('currency')} → refresh the sheet"
            )
    sizes = vm_sizes_of(document)
    return PriceSheet(
        region=str(document["region"]),
        currency=str(document["currency"]),
        as_of=str(document["asOf"]),
        source=str(document.get("source", "")),
        items=items,
        vm_sizes=sizes,
        path=path,
    )


def load_sheet(region: str, currency: str, directory: Path = PRICES_DIR) -> PriceSheet:
    path = sheet_path(region, currency, directory)
    if not path.is_file():
        have = sorted(p.stem for p in directory.glob("*.json"))
        raise PriceError(
            f"no price sheet for region {region} in {currency} "
            f"(have: {', '.join(have) or 'none'}) → " + refresh_hint(region, currency)
        )
    try:
        shown = str(path.relative_to(PRICES_DIR.parents[2]))
    except ValueError:
        shown = str(path)
    return parse_sheet(json.loads(path.read_text()), shown)
