"""Adapts CrossGuard's arguments to the platform's rule functions (no pulumi_policy import, so
the tests can exercise it without starting a policy server)."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

import yaml  # noqa: E402

from infra.policy.evaluate import evaluate  # noqa: E402
from infra.policy.exceptions import load_exceptions  # noqa: E402
from infra.policy.rules import RULES, PolicyContext, PolicyResource  # noqa: E402


def stack_of(urn: str) -> str:
    """`urn:pulumi:<stack>::<project>::...` → stack."""
    return urn.split("::", 1)[0].rsplit(":", 1)[-1]


def environment_of(urn: str) -> str:
    """The stack's `platform:environment`, read from its stack file (the stack name otherwise)."""
    stack = stack_of(urn)
    path = ROOT / f"Pulumi.{stack}.yaml"
    if path.exists():
        config = (yaml.safe_load(path.read_text()) or {}).get("config") or {}
        return str(config.get("platform:environment", stack))
    return stack


def to_resource(args: Any) -> PolicyResource:
    opts = getattr(args, "opts", None)
    return PolicyResource(
        args.resource_type, args.name, dict(args.props), bool(getattr(opts, "protect", False))
    )


_cache: dict[tuple[str, ...], list[tuple[str, str, str]]] = {}


def _all_violations(resources: list[Any]) -> list[tuple[str, str, str]]:
    """(rule id, message, urn) for the whole stack, evaluated once per preview, not per rule."""
    key = tuple(r.urn for r in resources)
    if key not in _cache:
        context = PolicyContext(environment_of(resources[0].urn))
        converted = [to_resource(r) for r in resources]
        urns = {id(c): r.urn for c, r in zip(converted, resources, strict=True)}
        report = evaluate(converted, context, load_exceptions())
        _cache.clear()
        _cache[key] = [
            (v.rule.id, f"{v.message} ({v.rule.rationale})", urns[id(v.resource)])
            for v in report.violations
            if not v.excepted_by
        ]
    return _cache[key]


def violations_for(resources: list[Any], rule_id: str) -> list[tuple[str, str]]:
    """(message, urn) pairs for one rule over a stack's resources."""
    if not resources:
        return []
    assert rule_id in RULES
    return [(message, urn) for rid, message, urn in _all_violations(resources) if rid == rule_id]
