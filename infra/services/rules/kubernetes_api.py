"""What the Kubernetes API server would refuse: integers outside the range of the field they land
in, and names (or label values) derived from a workload's name that are too long. The checks
and the upstream copies they read are in `infra/services/api_limits.py`; here they are
registered, so they run with every other rule.

The number rules are registered after every other rule of a workload (this module is imported
after the topic modules), so a value another rule already reported is not reported twice.
"""

from __future__ import annotations

from infra.services.api_limits import name_problems, number_problems
from infra.services.rules.registry import (
    CatalogCheck,
    Check,
    Workload,
    catalog_rule,
    chart_rule,
    job_rule,
    service_rule,
)
from infra.services.spec import HelmChart


def _numbers(check: Workload | Check[HelmChart]) -> None:
    already = {p.path for p in check.problems}
    check.problems.extend(number_problems(check.spec, check.group, already))


@service_rule("kubernetes api")
def service_numbers(check: Workload) -> None:
    """A service's integers fit the Kubernetes (and KEDA) fields they are written to."""
    _numbers(check)


@job_rule("kubernetes api")
def job_numbers(check: Workload) -> None:
    """A job's integers fit the Kubernetes (and KEDA) fields they are written to."""
    _numbers(check)


@chart_rule("kubernetes api")
def chart_numbers(check: Check[HelmChart]) -> None:
    """A chart's integers fit the Kubernetes fields they are written to."""
    _numbers(check)


@catalog_rule("kubernetes names", needs_sound_catalog=True)
def object_names(check: CatalogCheck) -> None:
    """Every object the AKS renderers derive from a workload's name is a name Kubernetes
    accepts (rendered, so only a catalog every other rule accepts is checked)."""
    check.problems.extend(name_problems(check.catalog))
