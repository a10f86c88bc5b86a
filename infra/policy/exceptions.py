"""Reviewed, expiring exceptions: one rule waived for one service, with a reason."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from infra.policy.rules import RULES
from infra.problems import InvalidInput, Problem

EXCEPTIONS_FILE = Path(__file__).with_name("exceptions.yaml")


class _Entry(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    rule: str
    service: str = Field(min_length=1)
    environments: tuple[str, ...] = ()
    reason: str = Field(min_length=10)
    approved_by: str = Field(min_length=1)
    expires: dt.date


class _File(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    exceptions: tuple[_Entry, ...] = ()


@dataclass(frozen=True)
class PolicyException:
    rule: str
    service: str
    environments: tuple[str, ...]
    reason: str
    approved_by: str
    expires: dt.date

    def applies(self, rule: str, service: str, environment: str, today: dt.date) -> bool:
        return (
            self.rule == rule
            and self.service == service
            and (not self.environments or environment in self.environments)
            and today <= self.expires
        )


def parse_exceptions(
    document: Any, source: str = "infra/policy/exceptions.yaml"
) -> tuple[PolicyException, ...]:
    try:
        parsed = _File.model_validate(document or {})
    except ValidationError as error:
        raise InvalidInput(
            source,
            [
                Problem(
                    ".".join(str(p) for p in e["loc"]),
                    str(e.get("input", ""))[:60],
                    e["msg"],
                    "each entry needs rule, service, reason (10+ chars), approved_by and "
                    "expires (YYYY-MM-DD)",
                )
                for e in error.errors()
            ],
        ) from None
    unknown = [
        Problem(
            f"exceptions[{i}].rule",
            e.rule,
            "is not a rule id",
            f"use one of {', '.join(sorted(RULES))}",
        )
        for i, e in enumerate(parsed.exceptions)
        if e.rule not in RULES
    ]
    if unknown:
        raise InvalidInput(source, unknown)
    return tuple(
        PolicyException(e.rule, e.service, e.environments, e.reason, e.approved_by, e.expires)
        for e in parsed.exceptions
    )


def load_exceptions(path: Path = EXCEPTIONS_FILE) -> tuple[PolicyException, ...]:
    return parse_exceptions(yaml.safe_load(path.read_text()) if path.exists() else {})


def expired(exceptions: Sequence[PolicyException], today: dt.date) -> tuple[str, ...]:
    return tuple(
        f"{e.rule} for {e.service} expired on {e.expires}" for e in exceptions if today > e.expires
    )
