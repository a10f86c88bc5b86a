"""Validation rules, one small function each, grouped by topic; each docstring is its rationale.

Importing this package registers every rule. To add a rule: write a function in the topic's
module (or a new module imported below) and decorate it, e.g. `@service_rule("autoscaling")`,
`@chart_rule(...)`, or `@relation_rule(...)` for one that relates workloads; the runners
(`registry.check_service` / `check_job` / `check_chart` / `check_relations`) collect every
problem of every rule.
"""

# isort: off
# The order of these imports is the order the rules run (and report) in.
from infra.services.rules import shape  # noqa: F401
from infra.services.rules import secrets  # noqa: F401
from infra.services.rules import resources  # noqa: F401
from infra.services.rules import identity  # noqa: F401
from infra.services.rules import files  # noqa: F401
from infra.services.rules import init_containers  # noqa: F401
from infra.services.rules import ports  # noqa: F401
from infra.services.rules import scaling  # noqa: F401
from infra.services.rules import stateful  # noqa: F401
from infra.services.rules import ingress  # noqa: F401
from infra.services.rules import probes  # noqa: F401
from infra.services.rules import jobs  # noqa: F401
from infra.services.rules import charts  # noqa: F401
from infra.services.rules import relations  # noqa: F401

# isort: on
from infra.services.rules.registry import (
    CHART_RULES,
    JOB_RULES,
    RELATION_RULES,
    SERVICE_RULES,
    WORKLOAD_RULES,
    Check,
    NodeMemory,
    Relations,
    ValidationContext,
    check_chart,
    check_job,
    check_relations,
    check_service,
)

__all__ = [
    "CHART_RULES",
    "JOB_RULES",
    "RELATION_RULES",
    "SERVICE_RULES",
    "WORKLOAD_RULES",
    "Check",
    "NodeMemory",
    "Relations",
    "ValidationContext",
    "check_chart",
    "check_job",
    "check_relations",
    "check_service",
]
