"""Validation rules, one small function each, grouped by topic; each docstring is its rationale.

Importing this package registers every rule. To add a rule: write a function in the topic's
module (or a new module imported below) and decorate it, e.g. `@service_rule("autoscaling")`,
`@chart_rule(...)`, `@relation_rule(...)` for one that relates workloads, or
`@catalog_rule(...)` for one over the validated catalog and the stack it deploys to; the runners
(`registry.check_service` / `check_job` / `check_chart` / `check_relations` / `check_catalog`)
collect every problem of every rule.
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

# After every topic: they see the problems the others found (a value is reported once), and
# the catalog rules run on what the workload rules accepted.
from infra.services.rules import kubernetes_api  # noqa: F401
from infra.services.rules import rollouts  # noqa: F401
from infra.services.rules import hosts  # noqa: F401
from infra.services.rules import preflight  # noqa: F401

# isort: on
from infra.services.rules.registry import (
    CATALOG_RULES,
    CHART_RULES,
    DECLARATIONS,
    JOB_RULES,
    RELATION_RULES,
    SERVICE_RULES,
    WORKLOAD_RULES,
    CatalogCheck,
    Check,
    NodeMemory,
    Relations,
    ValidationContext,
    check_catalog,
    check_chart,
    check_job,
    check_relations,
    check_service,
)

__all__ = [
    "CATALOG_RULES",
    "CHART_RULES",
    "DECLARATIONS",
    "JOB_RULES",
    "RELATION_RULES",
    "SERVICE_RULES",
    "WORKLOAD_RULES",
    "CatalogCheck",
    "Check",
    "NodeMemory",
    "Relations",
    "ValidationContext",
    "check_catalog",
    "check_chart",
    "check_job",
    "check_relations",
    "check_service",
]
