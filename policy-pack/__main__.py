"""CrossGuard pack: `pulumi preview --policy-pack policy-pack` runs the platform's rules.

Every rule from infra/policy/rules.py, with its severity as the enforcement level; the same
functions the offline plan runs, over the live preview's resources.
"""

from adapter import violations_for  # type: ignore[import-not-found]
from pulumi_policy import (  # type: ignore[import-not-found]
    EnforcementLevel,
    PolicyPack,
    StackValidationPolicy,
)

from infra.policy.rules import RULES, Severity


def _policy(rule_id: str) -> StackValidationPolicy:
    rule = RULES[rule_id]

    def validate(args, report_violation) -> None:
        for message, urn in violations_for(list(args.resources), rule_id):
            report_violation(message, urn)

    return StackValidationPolicy(
        name=rule.id,
        description=rule.rationale,
        enforcement_level=EnforcementLevel.MANDATORY
        if rule.severity is Severity.MANDATORY
        else EnforcementLevel.ADVISORY,
        validate=validate,
    )


PolicyPack(name="platform-guardrails", policies=[_policy(rule_id) for rule_id in sorted(RULES)])
