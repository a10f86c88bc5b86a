"""Run every rule over a stack's resources, apply reviewed exceptions, report."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from typing import Any

from infra.policy.exceptions import PolicyException, expired
from infra.policy.rules import RULES, PolicyContext, PolicyReport, PolicyResource, Rule, Violation


def _applies(rule: Rule, context: PolicyContext) -> bool:
    return not rule.environments or context.environment in rule.environments


def _excepted(
    rule: Rule,
    resource: PolicyResource,
    context: PolicyContext,
    exceptions: Sequence[PolicyException],
    today: dt.date,
) -> str:
    for exception in exceptions:
        if exception.applies(rule.id, resource.service, context.environment, today):
            approval = f"approved by {exception.approved_by}, until {exception.expires}"
            return f"{exception.reason} ({approval})"
    return ""


def evaluate(
    resources: Sequence[PolicyResource],
    context: PolicyContext,
    exceptions: Sequence[PolicyException] = (),
    today: dt.date | None = None,
) -> PolicyReport:
    today = today or dt.date.today()
    found: list[Violation] = []
    for rule in RULES.values():
        if not _applies(rule, context):
            continue
        pairs: Iterable[tuple[PolicyResource, str]]
        if rule.stack_check is not None:
            pairs = rule.stack_check(list(resources), context)
        else:
            assert rule.check is not None
            check = rule.check
            pairs = (
                (r, message)
                for r in resources
                if r.type in rule.types
                for message in check(r, context)
            )
        severity = rule.severity_for(context) if rule.severity_in is not None else None
        for resource, message in pairs:
            found.append(
                Violation(
                    rule,
                    resource,
                    message,
                    _excepted(rule, resource, context, exceptions, today),
                    severity,
                )
            )
    found.sort(
        key=lambda v: (v.severity.value != "mandatory", v.rule.id, v.resource.name, v.message)
    )
    return PolicyReport(tuple(found), expired(exceptions, today))


def resources_of_snapshot(snapshot: dict[str, Any]) -> list[PolicyResource]:
    return [
        PolicyResource(r["type"], r["name"], r["inputs"], bool(r.get("options", {}).get("protect")))
        for r in snapshot["resources"]
        if r.get("custom")
    ]


def format_report(report: PolicyReport, stack: str = "") -> str:
    """The report as text; `stack` names the stack in the heading (a run of several stacks)."""
    heading = f"Policies ({stack}):" if stack else "Policies:"
    if not report.violations and not report.expired_exceptions:
        return f"{heading} all rules pass"
    lines = [heading]
    for v in report.violations:
        status = "excepted" if v.excepted_by else v.severity.value
        lines.append(
            f"  [{status}] {v.rule.id}  {v.resource.type} {v.resource.name} ({v.resource.service})"
        )
        lines.append(f"      {v.message}")
        lines.append(f"      why: {v.rule.rationale}")
        if v.excepted_by:
            lines.append(f"      exception: {v.excepted_by}")
    lines.extend(f"  [expired exception] {text}" for text in report.expired_exceptions)
    lines.append(f"  {len(report.enforced)} mandatory violation(s)")
    return "\n".join(lines)
