"""Rules across workloads (`infra/services/rules/relations.py`): each a registered function with
its rationale, each problem in the group of the workload it is about."""

from __future__ import annotations

import dataclasses

from infra.problems import Problem
from infra.services.catalog import PlannedChart, PlannedJob, PlannedService
from infra.services.charts import valkey
from infra.services.rules import (
    CHART_RULES,
    JOB_RULES,
    RELATION_RULES,
    SERVICE_RULES,
    WORKLOAD_RULES,
    check_relations,
)
from infra.services.spec import Dependency, Target
from tests.test_validation import job, svc


def _service(**changes: object) -> PlannedService:
    return PlannedService("shop", svc(**changes), "apps/test.py")


def _lines(problems: list[Problem]) -> list[str]:
    return [f"{p.group} | {p.path} = {p.value}: {p.problem} → {p.fix}" for p in problems]


def test_every_relation_rule_is_registered_with_its_rationale() -> None:
    assert len(RELATION_RULES) >= 10
    for rule in RELATION_RULES:
        assert rule.topic in ("names", "dependencies", "ingress")
    every = (*WORKLOAD_RULES, *SERVICE_RULES, *JOB_RULES, *CHART_RULES, *RELATION_RULES)
    assert [rule.check.__name__ for rule in every if not rule.rationale] == []
    assert len(CHART_RULES) >= 6


def test_chart_problems_of_relations() -> None:
    """A chart named like a service, a dependency giving a chart a port, and a Container App
    calling a chart: each reported once, in its own group."""
    cache = PlannedChart("shop", valkey("cache"), "apps/test.py")
    clash = PlannedChart("shop", valkey("api"), "apps/test.py")
    caller = _service(dependencies=(Dependency(service="cache", port="redis"),))
    remote = PlannedService(
        "shop",
        dataclasses.replace(
            svc(name="web", target=Target.CONTAINER_APPS),
            dependencies=(Dependency(service="cache"),),
        ),
        "apps/test.py",
    )
    assert _lines(check_relations([caller, remote], charts=[cache, clash])) == [
        "api (apps/test.py) | name = 'api': is also a service name → give the chart release its own name",
        "web (apps/test.py) | dependencies[0].service = 'cache': is a Helm chart on AKS, which Container Apps cannot reach → target AKS for this service, or use an Azure service (e.g. Azure Cache)",
        "api (apps/test.py) | dependencies[0].port = 'redis': charts expose one port → leave port out",
    ]


def test_a_job_calling_itself_or_a_portless_service() -> None:
    worker = _service(name="worker", ports=())
    batch = PlannedJob(
        "shop",
        job(dependencies=(Dependency(service="batch"), Dependency(service="worker"))),
        "apps/test.py",
    )
    assert _lines(check_relations([worker], jobs=[batch])) == [
        "batch (apps/test.py) | dependencies[0].service = 'batch': is the job itself → remove it",
        "batch (apps/test.py) | dependencies[1].port = None: 'worker' has no ports → use one of: none",
    ]
