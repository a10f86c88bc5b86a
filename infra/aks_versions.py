"""Which Kubernetes versions AKS creates clusters on, on a given day: read from the vendored AKS
release calendar, never restated here.

Sources (vendored, pinned, with the date read: `upstream/aks/SOURCE.md`):
- `upstream/aks/supported-kubernetes-versions.excerpt.md`: the calendar tables of the AKS page
  "Supported Kubernetes versions" (MicrosoftDocs/azure-aks-docs
  articles/aks/supported-kubernetes-versions.md). Its note: "Unless an explicit date is provided,
  the End of Life (EOL) date is the last day of the specified month".
- `upstream/aks/version-calendar.json`: the same tables as data (`python -m infra.aks_versions`
  writes it from the excerpt; tests/test_kubernetes_versions.py keeps the two equal).
- `upstream/aks/platform-support.excerpt.md`: "Cluster creation | Supported | Not supported" -
  a version in platform support (past its end of life) cannot be created.
- `upstream/aks/long-term-support.excerpt.md`: "Enabling LTS requires moving your cluster to the
  Premium tier and explicitly selecting the LTS support plan".

The reference day is a parameter everywhere (tests pass a fixed one so they do not rot); it
defaults to the real date, or to `PLATFORM_REFERENCE_DATE` (ISO) when set, to ask "what will
break on that day?" (`PLATFORM_REFERENCE_DATE=2027-04-01 python3 dev.py simulate prod`).
"""

from __future__ import annotations

import calendar as month_calendar
import datetime as dt
import json
import os
import re
import sys
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any, Literal

ROOT = Path(__file__).resolve().parent.parent
UPSTREAM = ROOT / "upstream" / "aks"
CALENDAR_FILE = UPSTREAM / "version-calendar.json"
EXCERPT_FILE = UPSTREAM / "supported-kubernetes-versions.excerpt.md"

SupportPlan = Literal["KubernetesOfficial", "AKSLongTermSupport"]
OFFICIAL: SupportPlan = "KubernetesOfficial"
LTS: SupportPlan = "AKSLongTermSupport"
LTS_TIER = "Premium"
"""The only tier that takes the LTS plan (upstream/aks/long-term-support.excerpt.md)."""

ADVANCE_WARNING_MONTHS = 3
"""How long before a version's end of support the stack is warned. Three months: AKS announces a
removal only 30 days ahead, and moving a minor here means a successor every pinned component
supports (Envoy Gateway ships a line about every three months, each adding the newest Kubernetes
minor), a soak on dev, then prod in its maintenance window. AKS releases a minor about every four
months, so three months before an end date its successor is GA."""

REFERENCE_DATE_ENV = "PLATFORM_REFERENCE_DATE"

_MONTHS = {name: index for index, name in enumerate(month_calendar.month_abbr) if name}
_MINOR = re.compile(r"^1\.\d{2}$")
_VERSION = re.compile(r"^(1\.\d{2})(\.\d+)?$")


def reference_date(today: dt.date | None = None) -> dt.date:
    """`today` if given; else `PLATFORM_REFERENCE_DATE` (ISO) if set; else the real date."""
    if today is not None:
        return today
    override = os.environ.get(REFERENCE_DATE_ENV)
    return dt.date.fromisoformat(override) if override else dt.date.today()


def minor_of(version: str) -> str:
    """`1.35` and `1.35.2` → `1.35` (AKS takes a minor alias or a full patch version)."""
    match = _VERSION.match(version.strip())
    if match is None:
        raise ValueError(f"not a Kubernetes version: {version!r}")
    return match.group(1)


def minor_key(minor: str) -> tuple[int, int]:
    major, number = minor.split(".")[:2]
    return int(major), int(number)


def add_months(day: dt.date, months: int) -> dt.date:
    index = day.month - 1 + months
    year, month = day.year + index // 12, index % 12 + 1
    return dt.date(year, month, min(day.day, month_calendar.monthrange(year, month)[1]))


# --- the excerpt → data ---------------------------------------------------------------------


def _month(text: str) -> str:
    """`Dec 2024` → `2024-12` (the calendar gives release months only)."""
    name, year = text.split()
    return f"{int(year):04d}-{_MONTHS[name[:3]]:02d}"


def _end_day(text: str) -> str:
    """`Mar 2026` → `2026-03-31`; `Aug 22, 2025` → `2025-08-22` (the page's note: no explicit
    day means the last day of the month)."""
    parts = text.replace(",", "").split()
    if len(parts) == 3:
        name, day, year = parts
        return dt.date(int(year), _MONTHS[name[:3]], int(day)).isoformat()
    name, year = parts
    month = _MONTHS[name[:3]]
    return dt.date(int(year), month, month_calendar.monthrange(int(year), month)[1]).isoformat()


def markdown_tables(text: str) -> list[list[dict[str, str]]]:
    """Every Markdown table of `text` as rows of header → cell."""
    tables: list[list[dict[str, str]]] = []
    header: list[str] | None = None
    for line in [*text.splitlines(), ""]:
        if not line.startswith("|"):
            header = None
            continue
        cells = [cell.strip() for cell in line.strip().strip("|").split("|")]
        if header is None:
            header = cells
            tables.append([])
        elif not all(set(cell) <= {"-", ":"} for cell in cells):
            tables[-1].append(dict(zip(header, cells, strict=True)))
    return tables


def parse_excerpt(text: str) -> dict[str, dict[str, str | None]]:
    """The calendar's two tables (community support, then LTS) merged per minor version.

    A minor in both tables must have the same dates in both (raises otherwise: the page changed
    shape and the parse needs a look)."""
    minors: dict[str, dict[str, str | None]] = {}
    for table in markdown_tables(text):
        for row in table:
            minor = row["Kubernetes version"]
            if not _MINOR.match(minor):
                raise ValueError(f"unexpected calendar row {row}")
            entry: dict[str, str | None] = {
                "upstreamRelease": _month(row["Upstream release"]),
                "aksPreview": _month(row["AKS preview"]),
                "aksGa": _month(row["AKS GA"]),
                "communitySupportEnds": _end_day(row["End of life"]),
            }
            known = minors.setdefault(minor, {**entry, "platformSupport": None, "ltsEnds": None})
            if any(known[key] != value for key, value in entry.items()):
                raise ValueError(f"calendar tables disagree on {minor}: {known} vs {entry}")
            if "Platform support" in row:
                known["platformSupport"] = row["Platform support"]
            if "LTS End of life" in row:
                known["ltsEnds"] = _end_day(row["LTS End of life"])
    return dict(sorted(minors.items(), key=lambda item: minor_key(item[0])))


# --- the data -------------------------------------------------------------------------------


@dataclass(frozen=True)
class MinorRelease:
    """One Kubernetes minor on AKS, as the calendar gives it."""

    minor: str
    upstream_release: str
    aks_preview: str
    aks_ga: str
    """`YYYY-MM`: the calendar names the month only."""
    community_support_ends: dt.date
    platform_support: str | None
    lts_ends: dt.date | None

    @property
    def generally_available(self) -> dt.date:
        """The first day of the month after the GA month: the calendar gives no day, and a
        release takes up to 10 business days to reach every region (the page's note on safe
        deployment), so this is the first day it is surely creatable everywhere."""
        year, month = (int(p) for p in self.aks_ga.split("-"))
        return add_months(dt.date(year, month, 1), 1)

    def support_ends(self, plan: SupportPlan) -> dt.date | None:
        """The last day a cluster on this minor can be created under `plan` (None: no LTS
        date published for it)."""
        return self.lts_ends if plan == LTS else self.community_support_ends

    def creatable(self, plan: SupportPlan, on: dt.date) -> bool:
        ends = self.support_ends(plan)
        return ends is not None and self.generally_available <= on <= ends


@dataclass(frozen=True)
class Calendar:
    releases: dict[str, MinorRelease]
    source: dict[str, Any]

    def supported(self, plan: SupportPlan, on: dt.date) -> list[str]:
        """The minors a new cluster can run under `plan` on `on`, oldest first."""
        return [m for m, release in self.releases.items() if release.creatable(plan, on)]

    def release(self, version: str) -> MinorRelease | None:
        return self.releases.get(minor_of(version))

    @property
    def cited(self) -> str:
        """The source in one line, for error messages and the simulator's rule table."""
        source = self.source
        return (
            f"{source['repo']} {source['path']} (commit {source['commit'][:7]}, "
            f"ms.date {source['msDate']}, read {source['read']})"
        )


def _release(minor: str, entry: dict[str, Any]) -> MinorRelease:
    lts = entry.get("ltsEnds")
    return MinorRelease(
        minor=minor,
        upstream_release=str(entry["upstreamRelease"]),
        aks_preview=str(entry["aksPreview"]),
        aks_ga=str(entry["aksGa"]),
        community_support_ends=dt.date.fromisoformat(str(entry["communitySupportEnds"])),
        platform_support=entry.get("platformSupport"),
        lts_ends=dt.date.fromisoformat(str(lts)) if lts else None,
    )


@cache
def load_calendar(path: Path = CALENDAR_FILE) -> Calendar:
    document = json.loads(path.read_text())
    releases = {minor: _release(minor, entry) for minor, entry in document["minors"].items()}
    return Calendar(releases, document["source"])


def channel_target(calendar: Calendar, channel: str, on: dt.date) -> str | None:
    """The minor an auto-upgrade channel moves a cluster to on `on` (None: the channel keeps
    the minor). upstream/aks/auto-upgrade-channels.excerpt.md: `stable` "upgrades the cluster
    to the latest supported patch release on minor version N-1, where N is the latest supported
    minor version", `rapid` to "the latest supported minor version"; `patch` keeps the minor."""
    supported = calendar.supported(OFFICIAL, on)
    if channel == "rapid" and supported:
        return supported[-1]
    if channel == "stable" and len(supported) >= 2:
        return supported[-2]
    return None


# --- the checks -----------------------------------------------------------------------------


@dataclass(frozen=True)
class VersionSupport:
    """Whether AKS creates a cluster on `version` under `plan` on `on`, and until when."""

    version: str
    plan: SupportPlan
    on: dt.date
    release: MinorRelease | None
    supported_minors: tuple[str, ...]

    @property
    def ok(self) -> bool:
        return self.release is not None and self.release.creatable(self.plan, self.on)

    @property
    def ends(self) -> dt.date | None:
        return None if self.release is None else self.release.support_ends(self.plan)

    @property
    def why(self) -> str:
        """Why it is refused, in words ("" when it is supported)."""
        release, plan, on = self.release, self.plan, self.on
        if self.ok:
            return ""
        if release is None:
            return f"is not in the AKS release calendar (Kubernetes {minor_of(self.version)})"
        if on < release.generally_available:
            return (
                f"is not generally available on AKS on {on} (GA {release.aks_ga}, preview "
                f"{release.aks_preview}; previews are not for clusters that matter)"
            )
        if plan == LTS and release.lts_ends is None:
            return "has no long-term support in the AKS calendar"
        if plan == LTS:
            return f"left AKS long-term support on {release.lts_ends} (on {on})"
        lts = (
            f"; long-term support (tier {LTS_TIER}, supportPlan {LTS}) runs to {release.lts_ends}"
            if release.lts_ends is not None and on <= release.lts_ends
            else ""
        )
        return (
            f"left AKS community support on {release.community_support_ends} (on {on}); "
            f"platform support does not allow creating a cluster{lts}"
        )

    def ending_within(self, months: int = ADVANCE_WARNING_MONTHS) -> bool:
        ends = self.ends
        return self.ok and ends is not None and ends <= add_months(self.on, months)


def version_support(
    version: str,
    plan: SupportPlan = OFFICIAL,
    today: dt.date | None = None,
    calendar: Calendar | None = None,
) -> VersionSupport:
    """Whether a new cluster can run `version` (minor or patch) under `plan` on the day."""
    book = calendar or load_calendar()
    on = reference_date(today)
    return VersionSupport(version, plan, on, book.release(version), tuple(book.supported(plan, on)))


# --- regenerate the data from the excerpt -----------------------------------------------------


def calendar_document(excerpt: str, source: dict[str, Any]) -> dict[str, Any]:
    return {"source": source, "minors": parse_excerpt(excerpt)}


def main(argv: list[str] | None = None) -> int:
    """`python -m infra.aks_versions`: rewrite version-calendar.json from the excerpt (after
    vendoring a newer page: update `source` in the JSON first, then run this)."""
    del argv
    source = json.loads(CALENDAR_FILE.read_text())["source"]
    document = calendar_document(EXCERPT_FILE.read_text(), source)
    CALENDAR_FILE.write_text(json.dumps(document, indent=2) + "\n")
    print(f"wrote {CALENDAR_FILE.relative_to(ROOT)}: {', '.join(document['minors'])}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
