"""The typed AKS plan: each object under its own name, created in the order the fields are
declared, every object's metadata from one builder (platform labels and annotations)."""

from __future__ import annotations

import dataclasses
from typing import Any

from infra.config import Environment
from infra.services.render.aks import (
    AksJobPlan,
    AksServicePlan,
    ServiceSecrets,
    job_plan_on_aks,
    namespace_plan,
    plan_on_aks,
    render_chart,
)
from infra.services.render.common import PlatformExtensions
from infra.services.spec import Target
from tests.fixtures import NO_EXTENSIONS, facts, reference_catalog

FIELD_KINDS = {
    "service_account": {"ServiceAccount"},
    "config_secret": {"Secret"},
    "key_vault_classes": {"SecretProviderClass"},
    "tls_class": {"SecretProviderClass"},
    "service": {"Service"},
    "trigger_authentication": {"TriggerAuthentication"},
    "autoscaler": {"HorizontalPodAutoscaler", "ScaledObject"},
    "disruption_budget": {"PodDisruptionBudget"},
    "route": {"HTTPRoute", "GRPCRoute"},
    "reference_grant": {"ReferenceGrant"},
    "ingress": {"Ingress"},
    "network_policy": {"NetworkPolicy"},
}
SERVICE_WORKLOADS = {"Deployment", "StatefulSet"}
"""`AksServicePlan.workload`; a job plan's `workload` is a CronJob or ScaledJob."""
ANNOTATED = PlatformExtensions(labels={"team": "platform"}, annotations={"owner": "platform"})


def _kinds(slot: Any) -> list[str]:
    objects = slot if isinstance(slot, tuple) else () if slot is None else (slot,)
    return [obj["kind"] for obj in objects]


def test_each_field_holds_its_kind_and_objects_follow_the_declaration_order() -> None:
    catalog = reference_catalog(Environment.PROD)
    seen: set[str] = set()
    for service in (s for s in catalog.services if s.spec.target is Target.AKS):
        plan = plan_on_aks(
            service,
            catalog=catalog,
            facts=facts(Environment.PROD),
            extensions=NO_EXTENSIONS,
            client_id="cid",
            secrets=ServiceSecrets(config_values={}),
        )
        in_order: list[Any] = []
        for field in dataclasses.fields(AksServicePlan):
            slot = getattr(plan, field.name)
            kinds = SERVICE_WORKLOADS if field.name == "workload" else FIELD_KINDS[field.name]
            assert set(_kinds(slot)) <= kinds, (service.name, field.name)
            if _kinds(slot):
                seen.add(field.name)
            in_order += list(slot) if isinstance(slot, tuple) else [] if slot is None else [slot]
        objects = plan.objects()
        assert [id(o) for o in objects] == [id(o) for o in in_order]
        assert objects[0]["kind"] == "ServiceAccount"
    # The reference app exercises the scaling, budget, ingress and policy fields.
    assert {"autoscaler", "trigger_authentication", "disruption_budget", "ingress"} <= seen


def test_a_job_plan_names_its_workload() -> None:
    catalog = reference_catalog()
    (job,) = catalog.jobs
    plan = job_plan_on_aks(
        job,
        catalog=catalog,
        facts=facts(),
        extensions=NO_EXTENSIONS,
        client_id="cid",
        secrets=ServiceSecrets(config_values={}),
    )
    assert isinstance(plan, AksJobPlan)
    assert plan.workload["kind"] == "CronJob"
    assert plan.trigger_authentication is None
    assert plan.objects()[-1] is plan.workload


def test_platform_labels_and_annotations_reach_platform_owned_objects() -> None:
    """The namespace, its default-deny policy and a chart's callers' policy get their metadata
    from the same builder as a service's objects (the chart's policy used to miss the
    platform's annotations)."""
    catalog = reference_catalog()
    plan = namespace_plan("storefront", ANNOTATED)
    _, chart_objects = render_chart(catalog.charts[0], catalog, ANNOTATED)
    for obj in [plan.namespace, plan.default_deny, *chart_objects]:
        assert obj["metadata"]["labels"]["team"] == "platform", obj["kind"]
        assert obj["metadata"]["annotations"] == {"owner": "platform"}, obj["kind"]
