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


_DAYS_IN_MONTH = (31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31)
"""The most days each month has (February: in a leap year, when `0 0 29 2 *` fires)."""


def _values(text: str, low: int, high: int, names: list[str]) -> tuple[set[int], bool]:
    """The values a (valid) field matches, and whether it carries robfig/cron's star bit: an
    item `*` without a step above 1 (parser.go `getRange`, upstream/robfig-cron/)."""
    values: set[int] = set()
    star = False
    for item in text.split(","):
        match = _ITEM.match(item)
        assert match is not None  # `cron_problem` has accepted the field
        step = int(match["step"] or 1)
        if match["range"] == "*":
            start, end = low, high
            star = star or step <= 1
        else:
            bounds = [_value(part, low, names) for part in match["range"].split("-")]
            start = bounds[0] or 0
            # "N/step" means "N-max/step" (parser.go).
            end = bounds[-1] if len(bounds) == 2 or match["step"] is None else high
            end = high if end is None else end
        values.update(range(start, end + 1, step))
    return values, star


def never_fires(expression: str) -> str | None:
    """Why a schedule `cron_problem` accepts (call it first) can never run, or None.

    Kubernetes matches a day as robfig/cron's `dayMatches` does
    (upstream/robfig-cron/cron.go.excerpt): when day-of-month or day-of-week is a star, the day
    must match both, so only the day-of-month counts (every weekday matches); otherwise either.
    A day of the month that no chosen month has (`0 0 31 2 *`) then never comes, and `Next`
    gives up after five years."""
    parts = expression.split()
    (days, dom_star), (months, _), (_, dow_star) = (
        _values(part, low, high, names)
        for part, (_, low, high, names) in zip(parts[2:], _FIELDS[2:], strict=True)
    )
    if dom_star or not dow_star:
        return None  # either day field may match, or every day of the month does
    if any(day <= _DAYS_IN_MONTH[month - 1] for month in months for day in days):
        return None
    shown = ", ".join(str(d) for d in sorted(days))
    return f"never runs: day {shown} of the month does not exist in the months it names"


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
