"""Overrides patch: what an override sets wins, everything else is inherited, and None passed
explicitly turns a setting off. A property test checks the rule over arbitrary declarations
against an independent model of the field-wise merge."""

from __future__ import annotations

import dataclasses
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from infra.config import Environment
from infra.problems import InvalidInput
from infra.services.overrides import for_environment
from infra.services.spec import (
    Autoscaling,
    Event,
    Exposure,
    Ingress,
    JobOverride,
    JobSpec,
    Manual,
    Override,
    Port,
    Probes,
    Resources,
    Schedule,
    ServiceBusQueue,
    ServiceSpec,
    StorageQueue,
    Target,
    TcpProbe,
    Tls,
)
from tests.fixtures import catalog_of, reference_catalog

PROD = Environment.PROD


def test_reference_basket_api_keeps_its_memory_trigger_in_prod() -> None:
    """The bug that motivated patches: a replacing override silently dropped this trigger."""
    dev = reference_catalog().get("basket-api").spec.autoscaling
    prod = reference_catalog(PROD).get("basket-api").spec.autoscaling
    assert dev is not None
    assert prod is not None
    assert (prod.min_replicas, prod.max_replicas) == (3, 24)
    assert (prod.cpu_utilization, prod.memory_utilization) == (65, 80)


def test_reference_web_inherits_its_triggers_and_exposure_in_prod() -> None:
    web = reference_catalog(PROD).get("web").spec
    assert web.autoscaling is not None
    assert (web.autoscaling.cpu_utilization, web.autoscaling.http_concurrency) == (None, 80)
    assert web.ingress.exposure is Exposure.PUBLIC
    assert web.ingress.host == "shop.example.com"


def test_reference_order_worker_inherits_messages_per_replica_in_prod() -> None:
    scale = reference_catalog(PROD).get("order-worker").spec.autoscaling
    assert scale is not None
    assert scale.queue == ServiceBusQueue(
        namespace="sb-storefront-prod",
        queue="orders",
        messages_per_replica=10,
        resource_group="rg-storefront-messaging-{environment}",
    )
    assert (scale.min_replicas, scale.max_replicas, scale.cpu_utilization) == (0, 60, None)


def test_none_passed_explicitly_turns_a_trigger_off() -> None:
    base = ServiceSpec(
        name="api",
        image="team/api:1.0.0",
        target=Target.AKS,
        ports=(Port(name="http", number=8080),),
        autoscaling=Autoscaling(cpu_utilization=60, memory_utilization=80),
        probes=Probes(liveness=TcpProbe()),
        overrides={"prod": Override(autoscaling=Autoscaling(memory_utilization=None))},
    )
    scale = catalog_of(base, environment=PROD).get("api").spec.autoscaling
    assert scale == Autoscaling(cpu_utilization=60, memory_utilization=None)


def test_none_for_a_whole_block_goes_back_to_its_default() -> None:
    base = ServiceSpec(
        name="api",
        image="team/api:1.0.0",
        target=Target.AKS,
        replicas=3,
        autoscaling=Autoscaling(),
        overrides={"dev": Override(autoscaling=None)},
    )
    spec = catalog_of(base).get("api").spec
    assert (spec.autoscaling, spec.replicas) == (None, 3)


def test_a_different_kind_of_value_replaces_the_base() -> None:
    base = JobSpec(
        name="batch",
        image="team/batch:1.0.0",
        target=Target.AKS,
        trigger=Event(
            queue=ServiceBusQueue(namespace="sb", queue="q", resource_group="rg"), max_executions=5
        ),
        overrides={
            "prod": JobOverride(
                trigger=Event(queue=StorageQueue(account="st", queue="q", resource_group="rg"))
            )
        },
    )
    trigger = for_environment(base, "prod").trigger
    assert trigger == Event(
        queue=StorageQueue(account="st", queue="q", resource_group="rg"), max_executions=5
    )
    scheduled = dataclasses.replace(
        base, overrides={"prod": JobOverride(trigger=Schedule(cron="0 3 * * *"))}
    )
    assert for_environment(scheduled, "prod").trigger == Schedule(cron="0 3 * * *")


def test_an_environment_without_an_override_is_the_base() -> None:
    base = ServiceSpec(
        name="api", image="team/api:1.0.0", target=Target.AKS, overrides={"prod": Override()}
    )
    assert for_environment(base, "dev") is base
    assert for_environment(base, "prod") == base


# ----- The property ---------------------------------------------------------------------------
# Declarations are drawn as trees, (class, keyword arguments), so the test knows exactly which
# fields each constructor was given, independently of how the platform records it.

Tree = tuple[type, dict[str, Any]]


def build(value: Any) -> Any:
    if isinstance(value, tuple) and len(value) == 2 and isinstance(value[0], type):
        cls, kwargs = value
        return cls(**{k: build(v) for k, v in kwargs.items()})
    return value


def default_tree(cls: type, name: str) -> Any:
    """What the base holds for a field it was not given, as a tree."""
    declared = next(f for f in dataclasses.fields(cls) if f.name == name)
    if declared.default is not dataclasses.MISSING:
        return declared.default
    value = declared.default_factory()  # type: ignore[misc]
    return (type(value), {}) if dataclasses.is_dataclass(value) else value


def merge_tree(base: Any, patch: Any) -> Any:
    """The field-wise merge, written as plainly as possible: the model the property checks."""
    if isinstance(patch, tuple) and isinstance(base, tuple) and patch[0] is base[0]:
        merged = dict(base[1])
        for key, value in patch[1].items():
            current = base[1][key] if key in base[1] else default_tree(base[0], key)
            merged[key] = merge_tree(current, value)
        return (base[0], merged)
    if isinstance(patch, dict) and isinstance(base, dict):
        return {**base, **patch}
    return patch


def subset(draw: st.DrawFn, options: dict[str, st.SearchStrategy[Any]]) -> dict[str, Any]:
    keys = draw(st.lists(st.sampled_from(sorted(options)), unique=True))
    return {key: draw(options[key]) for key in keys}


PERCENT = st.one_of(st.none(), st.integers(1, 100))


@st.composite
def queues(draw: st.DrawFn) -> Tree:
    if draw(st.booleans()):
        return (
            ServiceBusQueue,
            {
                "namespace": draw(st.sampled_from(["sb-a", "sb-b"])),
                "queue": "orders",
                **subset(draw, {"messages_per_replica": st.integers(1, 20)}),
            },
        )
    return (
        StorageQueue,
        {
            "account": draw(st.sampled_from(["sta", "stb"])),
            "queue": "jobs",
            **subset(draw, {"messages_per_replica": st.integers(1, 20)}),
        },
    )


def autoscaling() -> st.SearchStrategy[Tree]:
    return st.composite(
        lambda draw: (
            Autoscaling,
            subset(
                draw,
                {
                    "min_replicas": st.integers(0, 5),
                    "max_replicas": st.integers(1, 30),
                    "cpu_utilization": PERCENT,
                    "memory_utilization": PERCENT,
                    "http_concurrency": st.one_of(st.none(), st.integers(1, 200)),
                    "queue": st.one_of(st.none(), queues()),
                },
            ),
        )
    )()


def resources() -> st.SearchStrategy[Tree]:
    return st.composite(
        lambda draw: (
            Resources,
            subset(
                draw,
                {
                    "cpu": st.sampled_from([0.25, 0.5, 1.0]),
                    "memory": st.sampled_from(["512Mi", "1Gi", "2Gi"]),
                    "cpu_request": st.one_of(st.none(), st.sampled_from([0.1, 0.25])),
                    "memory_request": st.one_of(st.none(), st.sampled_from(["128Mi", "256Mi"])),
                },
            ),
        )
    )()


def ingress() -> st.SearchStrategy[Tree]:
    return st.composite(
        lambda draw: (
            Ingress,
            subset(
                draw,
                {
                    "exposure": st.sampled_from(list(Exposure)),
                    "host": st.one_of(
                        st.none(), st.sampled_from(["a.example.com", "b.example.com"])
                    ),
                    "path": st.sampled_from(["/", "/api"]),
                    "tls": st.one_of(
                        st.none(),
                        st.just(
                            (
                                Tls,
                                {
                                    "key_vault_certificate_uri": "https://kv-x.vault.azure.net/certificates/c"
                                },
                            )
                        ),
                    ),
                },
            ),
        )
    )()


ENV = st.dictionaries(st.sampled_from(["A", "B", "MODE"]), st.sampled_from(["1", "2"]), max_size=3)


@st.composite
def service_trees(draw: st.DrawFn) -> tuple[Tree, Tree]:
    base: Tree = (
        ServiceSpec,
        {
            "name": "api",
            "image": "team/api:1.0.0",
            "target": draw(st.sampled_from(list(Target))),
            **subset(
                draw,
                {
                    "replicas": st.integers(1, 5),
                    "resources": resources(),
                    "autoscaling": st.one_of(st.none(), autoscaling()),
                    "ingress": ingress(),
                    "env": ENV,
                },
            ),
        },
    )
    patch: Tree = (
        Override,
        subset(
            draw,
            {
                "image": st.just("team/api:2.0.0"),
                "replicas": st.integers(1, 5),
                "resources": resources(),
                "autoscaling": st.one_of(st.none(), autoscaling()),
                "ingress": ingress(),
                "env": ENV,
            },
        ),
    )
    return base, patch


@pytest.mark.slow
@settings(max_examples=200, deadline=None)
@given(service_trees())
def test_any_override_over_any_base_is_the_field_wise_merge(trees: tuple[Tree, Tree]) -> None:
    base_tree, patch_tree = trees
    base = build((base_tree[0], {**base_tree[1], "overrides": {"prod": build(patch_tree)}}))
    # An Override is not a ServiceSpec: the model merges its fields into the spec's tree.
    expected_tree = merge_tree(base_tree, (ServiceSpec, patch_tree[1]))
    expected = dataclasses.replace(build(expected_tree), overrides=base.overrides)
    assert for_environment(base, "prod") == expected
    assert for_environment(base, "dev") == base


@st.composite
def triggers(draw: st.DrawFn) -> Any:
    kind = draw(st.sampled_from(["manual", "schedule", "event"]))
    if kind == "manual":
        return (Manual, {})
    if kind == "schedule":
        return (
            Schedule,
            {
                "cron": draw(st.sampled_from(["0 3 * * *", "*/5 * * * *"])),
                **subset(draw, {"time_zone": st.sampled_from(["Etc/UTC", "Europe/Paris"])}),
            },
        )
    return (
        Event,
        {
            "queue": draw(queues()),
            **subset(
                draw, {"max_executions": st.integers(1, 9), "polling_seconds": st.integers(5, 60)}
            ),
        },
    )


@st.composite
def job_trees(draw: st.DrawFn) -> tuple[Tree, Tree]:
    numbers = {
        "parallelism": st.integers(1, 4),
        "completions": st.integers(1, 4),
        "retries": st.integers(0, 3),
        "timeout_seconds": st.integers(60, 7200),
    }
    base: Tree = (
        JobSpec,
        {
            "name": "batch",
            "image": "team/batch:1.0.0",
            "target": draw(st.sampled_from(list(Target))),
            **subset(
                draw, {**numbers, "trigger": triggers(), "resources": resources(), "env": ENV}
            ),
        },
    )
    patch: Tree = (
        JobOverride,
        subset(
            draw,
            {
                **numbers,
                "trigger": triggers(),
                "resources": resources(),
                "env": ENV,
                "image": st.just("team/batch:2.0.0"),
            },
        ),
    )
    return base, patch


@pytest.mark.slow
@settings(max_examples=100, deadline=None)
@given(job_trees())
def test_any_job_override_over_any_job_is_the_field_wise_merge(trees: tuple[Tree, Tree]) -> None:
    base_tree, patch_tree = trees
    base = build((base_tree[0], {**base_tree[1], "overrides": {"prod": build(patch_tree)}}))
    expected_tree = merge_tree(base_tree, (JobSpec, patch_tree[1]))
    expected = dataclasses.replace(build(expected_tree), overrides=base.overrides)
    assert for_environment(base, "prod") == expected


# ----- {environment} in hosts -----------------------------------------------------------------


def _internal(host: str, tls: Tls | None = None) -> ServiceSpec:
    return ServiceSpec(
        name="admin",
        image="team/admin:1.0.0",
        target=Target.AKS,
        ports=(Port(name="http", number=8080),),
        ingress=Ingress(exposure=Exposure.INTERNAL, host=host, tls=tls),
    )


def test_a_host_follows_the_stack_through_its_environment_placeholder() -> None:
    """One declaration serves every stack: a new stack needs no edit of the app."""
    service = _internal("admin.{environment}.shop.internal")
    for environment in Environment:
        run = for_environment(service, environment.value)
        assert run.ingress.host == f"admin.{environment.value}.shop.internal"
    (planned,) = catalog_of(service, environment=Environment.STAGING).services
    assert planned.spec.ingress.host == "admin.staging.shop.internal"


def test_the_certificate_follows_the_stack_too_and_an_override_still_wins() -> None:
    cert = "https://kv-shop-{environment}.vault.azure.net/secrets/admin"
    service = dataclasses.replace(
        _internal("admin.{environment}.shop.internal", Tls(key_vault_certificate_uri=cert)),
        overrides={"prod": Override(ingress=Ingress(host="admin.shop.example.com"))},
    )
    prod = for_environment(service, "prod")
    assert prod.ingress.host == "admin.shop.example.com"
    assert prod.ingress.tls is not None
    assert prod.ingress.tls.key_vault_certificate_uri == (
        "https://kv-shop-prod.vault.azure.net/secrets/admin"
    )


def test_an_unknown_placeholder_is_refused_with_the_one_that_is_filled() -> None:
    service = _internal("admin.{stack}.shop.internal")
    with pytest.raises(
        InvalidInput, match=r"ingress.host.*not a DNS name.*\{environment\} is the only"
    ):
        catalog_of(service)
