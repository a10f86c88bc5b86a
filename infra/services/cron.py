"""Cron expressions both targets accept: five fields, checked before anything is registered.

Kubernetes CronJobs parse the standard five-field format (robfig/cron `ParseStandard`, which
also takes `@daily`-style macros); Container Apps jobs take "standard cron expression format"
with five fields, evaluated in UTC (learn.microsoft.com/azure/container-apps/jobs, "Scheduled
jobs"). The common ground is five fields of `*`, numbers, names (months, weekdays), ranges,
lists and steps; macros are refused so one schedule means the same on both.
"""

from __future__ import annotations

import re

_MONTHS = ["JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC"]
_DAYS = ["SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT"]

# name, low, high, names (index + low = value)
_FIELDS: tuple[tuple[str, int, int, list[str]], ...] = (
    ("minute", 0, 59, []),
    ("hour", 0, 23, []),
    ("day of month", 1, 31, []),
    ("month", 1, 12, _MONTHS),
    ("day of week", 0, 6, _DAYS),
)
_ITEM = re.compile(r"^(?P<range>\*|[A-Za-z0-9]+(-[A-Za-z0-9]+)?)(/(?P<step>\d+))?$")


def _value(text: str, low: int, names: list[str]) -> int | None:
    if text.isdigit():
        return int(text)
    upper = text.upper()
    return names.index(upper) + low if upper in names else None


def _field_problem(text: str, name: str, low: int, high: int, names: list[str]) -> str | None:
    for item in text.split(","):
        match = _ITEM.match(item)
        if not match:
            return f"{name} {item!r} is not *, a value, a range or a step"
        if match["step"] is not None and int(match["step"]) < 1:
            return f"{name} step must be at least 1"
        if match["range"] == "*":
            continue
        bounds = [_value(part, low, names) for part in match["range"].split("-")]
        if any(b is None or not low <= b <= high for b in bounds):
            return f"{name} {item!r} is outside {low}-{high}"
        if len(bounds) == 2 and bounds[0] > bounds[1]:  # type: ignore[operator]
            return f"{name} range {item!r} runs backwards"
    return None


def cron_problem(expression: str) -> str | None:
    """Why `expression` is not a five-field cron schedule both targets accept; None if it is."""
    if expression.strip().startswith("@"):
        return "macros like @daily are not accepted by Container Apps"
    parts = expression.split()
    if len(parts) != 5:
        return f"has {len(parts)} fields, not 5 (minute hour day-of-month month day-of-week)"
    for part, (name, low, high, names) in zip(parts, _FIELDS, strict=True):
        problem = _field_problem(part, name, low, high, names)
        if problem:
            return problem
    return None
