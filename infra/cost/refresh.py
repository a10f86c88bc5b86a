"""`prices refresh`: rebuild a price sheet from the Azure Retail Prices API.

The API is public and unauthenticated (learn.microsoft.com/rest/api/cost-management/
retail-prices/azure-retail-prices): `GET https://prices.azure.com/api/retail/prices?
currencyCode='EUR'&$filter=...` returns `{"Items": [...], "NextPageLink": ...}` 100 items at a
time; we follow NextPageLink until it is null. One `$filter` per meter the model needs (see
`meters.catalog`), so the sheet holds exactly the prices used, each stamped with the query it
came from and the day it was fetched.
"""

from __future__ import annotations

import datetime as dt
import json
import urllib.parse
import urllib.request
from collections.abc import Callable
from pathlib import Path
from typing import Any

import yaml

from infra.cost.meters import Meter, catalog
from infra.cost.sheet import PRICES_DIR, sheet_path

API = "https://prices.azure.com/api/retail/prices"
MAX_PAGES = 50
"""A meter query returns a handful of items; more pages than this means a filter went wrong."""

Getter = Callable[[str], dict[str, Any]]


class RefreshError(Exception):
    pass


def _http_get(url: str) -> dict[str, Any]:
    request = urllib.request.Request(url, headers={"Accept": "application/json"})
    with urllib.request.urlopen(request, timeout=60) as response:
        return json.loads(response.read().decode("utf-8"))


def query_url(filter_text: str, currency: str) -> str:
    code = urllib.parse.quote("'" + currency + "'")
    return f"{API}?currencyCode={code}&$filter={urllib.parse.quote(filter_text)}"


def fetch(filter_text: str, currency: str, get: Getter = _http_get) -> list[dict[str, Any]]:
    """Every item one `$filter` returns, across pages."""
    url: str | None = query_url(filter_text, currency)
    items: list[dict[str, Any]] = []
    pages = 0
    while url:
        pages += 1
        if pages > MAX_PAGES:
            raise RefreshError(
                f"more than {MAX_PAGES} pages for {filter_text!r}: narrow the filter"
            )
        page = get(url)
        items += page.get("Items") or []
        url = page.get("NextPageLink") or None
    return items


def stack_vm_sizes(region: str, root: Path) -> set[str]:
    """VM sizes the stacks in that region use (their `platform:aks.*Pool.vmSize`)."""
    sizes: set[str] = set()
    for path in sorted(root.glob("Pulumi.*.yaml")):
        config = (yaml.safe_load(path.read_text()) or {}).get("config") or {}
        if config.get("platform:location") != region:
            continue
        aks = config.get("platform:aks") or {}
        for pool in ("systemPool", "userPool"):
            if (aks.get(pool) or {}).get("vmSize"):
                sizes.add(str(aks[pool]["vmSize"]))
    return sizes


def _sort_key(item: dict[str, Any]) -> tuple[str, ...]:
    fields = ("serviceName", "productName", "skuName", "meterName", "armSkuName")
    tier = f"{float(item.get('tierMinimumUnits', 0)):012.2f}"
    return (*(str(item.get(k, "")) for k in fields), tier)


def build_sheet(
    region: str,
    currency: str,
    previous: dict[str, Any] | None,
    vm_sizes: set[str],
    *,
    get: Getter = _http_get,
    today: dt.date | None = None,
) -> tuple[dict[str, Any], list[str]]:
    """The new sheet and what could not be refreshed (kept from the previous sheet, if any)."""
    today = today or dt.date.today()
    previous = previous or {}
    sizes = set(vm_sizes) | set(previous.get("vmSizes") or {})
    wanted = catalog(tuple(sorted(sizes)))
    found: list[dict[str, Any]] = []
    notes: list[str] = []
    cache: dict[str, list[dict[str, Any]]] = {}
    for meter in wanted:
        filter_text = meter.query(region)
        if filter_text not in cache:
            cache[filter_text] = fetch(filter_text, currency, get)
        items = [dict(i) for i in cache[filter_text] if meter.matches(i)]
        if not items:
            kept = _previous_items(previous, meter)
            found += kept
            notes.append(
                f"{meter.key}: the API returned no item for {filter_text!r}; "
                + (
                    "kept the previous sheet's price"
                    if kept
                    else "no price (the model will say so)"
                )
            )
            continue
        for item in items:
            item.update(
                {
                    "x-source": f"Azure Retail Prices API, $filter={filter_text}",
                    "x-asOf": today.isoformat(),
                    "x-approximate": False,
                }
            )
        found += items
    unique = {json.dumps(i, sort_keys=True): i for i in found}
    specs = dict(previous.get("vmSizes") or {})
    for size in sorted(sizes - set(specs)):
        notes.append(
            f"vmSizes: no vCPU/memory for {size}: add it from its learn.microsoft.com page"
        )
    sheet = {
        "region": region,
        "currency": currency,
        "asOf": today.isoformat(),
        "source": f"Azure Retail Prices API ({API}), fetched {today.isoformat()} by "
        f"python -m infra.preview prices refresh --region {region} --currency {currency}",
        "Items": sorted(unique.values(), key=_sort_key),
        "vmSizes": dict(sorted(specs.items())),
    }
    return sheet, notes


def _previous_items(previous: dict[str, Any], meter: Meter) -> list[dict[str, Any]]:
    return [dict(i) for i in previous.get("Items") or [] if meter.matches(i)]


def refresh(
    region: str,
    currency: str,
    out: Path | None = None,
    *,
    get: Getter = _http_get,
    root: Path | None = None,
    today: dt.date | None = None,
) -> Path:
    root = root or PRICES_DIR.parents[2]
    target = out or sheet_path(region, currency)
    pinned = sheet_path(region, currency)
    previous = json.loads(pinned.read_text()) if pinned.is_file() else None
    if previous is None:
        # vCPU/memory per size are documentation facts, not prices: take them from any sheet.
        for other in sorted(PRICES_DIR.glob("*.json")):
            previous = {"vmSizes": json.loads(other.read_text()).get("vmSizes") or {}}
            break
    try:
        sheet, notes = build_sheet(
            region, currency, previous, stack_vm_sizes(region, root), get=get, today=today
        )
    except OSError as error:
        raise RefreshError(f"cannot reach {API} ({error}): the pinned sheet is unchanged") from None
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(json.dumps(sheet, indent=2, sort_keys=True, ensure_ascii=False) + "\n")
    for note in notes:
        print(f"note: {note}")
    return target
