"""Declarations the program used to accept (or crash on) and Kubernetes or Azure refuses: each
class is refused with the project's report, naming the workload, the field and the fix, and
nothing is registered. Ends with a property test over the reference app, mutated one field at
a time: a report that names the workload and the field, or objects the API server accepts.
"""

from __future__ import annotations

import dataclasses
import json
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from infra.config import Environment, project_environments
from infra.preview.engine import ProgramFailed, run_offline
from infra.preview.stackfile import read_stack
from infra.problems import InvalidInput
from infra.program import build
from infra.services import api_limits
from infra.services.api_limits import LANDS_IN, bounds, name_rule
from infra.services.catalog import Catalog
from infra.services.loader import load_applications
from infra.services.render.aks import ServiceSecrets, render_job_on_aks, render_on_aks
from infra.services.rules import NodeMemory, ValidationContext
from infra.services.spec import (
    Application,
    Autoscaling,
    Exposure,
    HelmChart,
    JobSpec,
    NotSecret,
    Override,
    Port,
    Resources,
    Schedule,
    ServiceSpec,
    Target,
)
from infra.services.validation import validate_applications
from tests.fixtures import NO_EXTENSIONS, context, facts
from tests.k8s_schema import validate_object

WEB = ServiceSpec(
    name="web", image="team/web:1.0", target=Target.AKS, ports=(Port(name="http", number=8080),)
)
NIGHTLY = JobSpec(
    name="nightly", image="team/nightly:1.0", target=Target.AKS, trigger=Schedule(cron="0 2 * * *")
)


def _messages(*applications: Application, ctx: ValidationContext | None = None) -> list[str]:
    with pytest.raises(InvalidInput) as caught:
        validate_applications(list(applications), ctx or context())
    return [
        f"{p.group} | {p.path} = {p.value}: {p.problem} → {p.fix}" for p in caught.value.problems
    ]


def _registers_nothing(application: Application) -> str:
    """The dev stack's program with the reference apps plus `application`: refused, nothing
    registered; the report's text."""
    with pytest.raises(ProgramFailed) as caught:
        run_offline(
            read_stack("dev"), lambda: build(applications=[*load_applications(), application])
        )
    assert isinstance(caught.value.cause, InvalidInput)
    assert caught.value.run.resources == []
    return str(caught.value)


# --------------------------------------------------------------------------------------------
# An application's own fields


@pytest.mark.parametrize(
    ("field", "value", "expected"),
    [
        (
            "services",
            WEB,
            "services = ServiceSpec(name='web', ...): is one ServiceSpec, not a "
            "tuple of them → add a trailing comma: services=(web,) (a tuple of one)",
        ),
        (
            "jobs",
            NIGHTLY,
            "jobs = JobSpec(name='nightly', ...): is one JobSpec, not a tuple of "
            "them → add a trailing comma: jobs=(nightly,) (a tuple of one)",
        ),
        (
            "charts",
            HelmChart(
                name="cache",
                chart="valkey",
                version="1.0.0",
                repository="oci://registry-1.docker.io/bitnamicharts",
                port=6379,
            ),
            "charts = HelmChart(name='cache', ...): is one HelmChart, not a tuple of them → add a "
            "trailing comma: charts=(cache,) (a tuple of one)",
        ),
        (
            "services",
            "web",
            "services = 'web': is a str, not a tuple of ServiceSpec → declare "
            "services=(ServiceSpec(...), ...), or () for none",
        ),
    ],
)
def test_an_application_field_that_is_not_a_tuple_is_named_with_its_fix(
    field: str, value: object, expected: str
) -> None:
    fields: dict[str, Any] = {"services": (), field: value}
    application = Application(name="shop", source="apps/shop.py", **fields)
    text = _registers_nothing(application)
    assert "application 'shop' (apps/shop.py)" in text
    assert expected in text


# --------------------------------------------------------------------------------------------
# Names Kubernetes refuses


def test_the_name_limits_are_read_from_upstream() -> None:
    assert name_rule("CronJob").max_length == 52
    assert name_rule("Service").max_length == 63
    assert not name_rule("Service").pattern.match("1-starts-with-a-digit")
    assert name_rule("Secret").max_length == 253
    assert name_rule("Deployment").pattern.match("a.b")


def test_a_cronjob_name_over_52_characters_is_refused_with_the_length_that_fits() -> None:
    long = "nightly-catalog-reindex-for-the-storefront-" + "x" * 10  # 53 characters
    assert len(long) == 53
    job = dataclasses.replace(NIGHTLY, name=long)
    [message] = _messages(Application(name="shop", source="apps/shop.py", services=(), jobs=(job,)))
    assert message == (
        f"{long} (apps/shop.py) | name = {long!r}: makes the CronJob name {long!r} (53 "
        "characters), over 52, which Kubernetes refuses → shorten the name to at most 52 "
        "characters"
    )
    # 52 fits, and a Container Apps job has its own (32) limit.
    validate_applications(
        [Application(name="shop", services=(), jobs=(dataclasses.replace(job, name=long[:52]),))],
        context(),
    )


def test_the_program_checks_the_names_its_renderers_give() -> None:
    """Validation renders nothing itself (it sits below the renderers, tests/test_layers.py):
    the program hands it the AKS renderer, so the stack is refused, not only the test's
    context."""
    long = "nightly-catalog-reindex-for-the-storefront-" + "x" * 10
    job = dataclasses.replace(NIGHTLY, name=long)
    text = _registers_nothing(
        Application(name="shop", source="apps/shop.py", services=(), jobs=(job,))
    )
    assert f"makes the CronJob name {long!r} (53 characters), over 52" in text


# --------------------------------------------------------------------------------------------
# Numbers out of range


def test_integer_bounds_come_from_the_schema_of_the_field_they_land_in() -> None:
    assert bounds("JobSpec.completions") == (-(2**31), 2**31 - 1)
    # HPA maxReplicas is int32; KEDA's ScaledObject adds minimum 1.
    assert bounds("Autoscaling.max_replicas") == (1, 2**31 - 1)
    # activeDeadlineSeconds is int64; the job's integers never exceed int32 anyway.
    assert bounds("JobSpec.timeout_seconds")[1] == 2**31 - 1


def _integer_fields() -> set[str]:
    import infra.services.spec as spec_module

    found: set[str] = set()
    for cls in vars(spec_module).values():
        if isinstance(cls, type) and dataclasses.is_dataclass(cls):
            for f in dataclasses.fields(cls):
                if f.name != "overrides" and "int" in str(f.type).replace("tuple", ""):
                    found.add(f"{cls.__name__}.{f.name}")
    overrides = {"Override.replicas"} | {
        f"JobOverride.{n}" for n in ("parallelism", "completions", "retries", "timeout_seconds")
    }
    return found - overrides  # patches: checked as the fields they patch


def test_every_integer_a_declaration_sets_says_where_it_lands() -> None:
    assert _integer_fields() == set(LANDS_IN)


def test_the_vendored_openapi_extract_matches_the_pinned_kubernetes_validate() -> None:
    import importlib.util

    spec = importlib.util.spec_from_file_location(
        "extract", api_limits.UPSTREAM / "kubernetes-openapi" / "extract.py"
    )
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    folder = api_limits.UPSTREAM / "kubernetes-openapi"
    vendored = json.loads((folder / "integer-fields.json").read_text())
    assert module.extract() == vendored
    assert module.probe() == (folder / "probe-v1.json").read_text()


def test_the_vendored_openapi_is_the_version_the_stacks_clusters_run() -> None:
    """One extract, driven by the stack files: bumping `kubernetesVersion` in a stack without
    re-running extract.py fails here, so validation never reads an older API than the
    clusters (and tests/k8s_schema.py) use."""
    from tests.k8s_schema import KUBERNETES_VERSIONS

    vendored = json.loads(
        (api_limits.UPSTREAM / "kubernetes-openapi" / "integer-fields.json").read_text()
    )
    assert vendored["kubernetesVersion"] == min(
        KUBERNETES_VERSIONS, key=lambda v: tuple(map(int, v.split(".")))
    )


@pytest.mark.parametrize(
    ("workload", "path", "expected"),
    [
        (
            dataclasses.replace(NIGHTLY, completions=2**31, parallelism=2),
            "completions",
            "is above 2147483647, the most JobSpec.completions can take",
        ),
        (
            dataclasses.replace(WEB, autoscaling=Autoscaling(max_replicas=2**31)),
            "autoscaling.max_replicas",
            "is above 2147483647, the most HorizontalPodAutoscalerSpec.maxReplicas and "
            "ScaledObject.spec.maxReplicaCount can take",
        ),
    ],
)
def test_a_number_above_int32_is_refused(workload: object, path: str, expected: str) -> None:
    services = (workload,) if isinstance(workload, ServiceSpec) else ()
    jobs = (workload,) if isinstance(workload, JobSpec) else ()
    messages = _messages(
        Application(name="shop", source="apps/shop.py", services=services, jobs=jobs)
    )
    assert any(f"| {path} = {2**31}: {expected} → use at most 2147483647" in m for m in messages)


# --------------------------------------------------------------------------------------------
# Surely a mistake: secrets by content, overrides no stack deploys, schedules that never fire,
# memory no node holds


@pytest.mark.parametrize(
    ("value", "what"),
    [
        ("postgres://app:p4ss@db.internal/shop", "a password in a URL"),
        (
            "https://st.blob.core.windows.net/c?sv=2022-11-02&sr=c&sig=Zm9vYmFyYmF6cXV4%3D",
            "a SAS token signature (sig=)",
        ),
        (
            "DefaultEndpointsProtocol=https;AccountName=st;AccountKey=Zm9vYmFyYmF6cXV4Zm9v",
            "an account or shared access key",
        ),
        (
            "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.dozjgNryP4J3jVmNHl0w5N_XgL0n3I9PlFUP0THsR8U",
            "a JSON Web Token",
        ),
        ("-----BEGIN PRIVATE KEY-----\nMIIE...", "a PEM private key"),
        ("ghp_" + "A1b2" * 9, "a token with a well-known prefix"),
    ],
)
def test_a_secret_under_a_neutral_name_is_refused_by_its_content(value: str, what: str) -> None:
    service = dataclasses.replace(WEB, env={"DATABASE_URL": value})
    [message] = _messages(Application(name="shop", source="apps/shop.py", services=(service,)))
    assert message.startswith(f"web (apps/shop.py) | env['DATABASE_URL'] = <hidden>: holds {what}")
    assert "NotSecret(...)" in message
    assert value not in message, "the report never shows the secret"


def test_not_secret_says_a_value_is_deliberately_plain_and_renders_as_the_string() -> None:
    value = NotSecret("postgres://reader:public@demo-db/shop")
    service = dataclasses.replace(WEB, env={"DATABASE_URL": value, "URLS": "http://+:8080"})
    catalog = validate_applications([Application(name="shop", services=(service,))], context())
    assert catalog.services[0].spec.env["DATABASE_URL"] == str(value)


def test_an_override_for_an_environment_no_stack_has_is_refused() -> None:
    assert project_environments() == {"dev", "prod", "local"}
    service = dataclasses.replace(WEB, overrides={"staging": Override(replicas=3)})
    text = _registers_nothing(Application(name="shop", source="apps/shop.py", services=(service,)))
    assert (
        "overrides['staging']: is for an environment no stack of the project has (no "
        "Pulumi.<stack>.yaml sets platform:environment: staging), so it is never deployed or "
        "checked → remove it, or key it by one of dev, local, prod"
    ) in text


@pytest.mark.parametrize("cron", ["0 0 31 2 *", "0 0 30 2 *", "0 0 31 4,6,9,11 *"])
def test_a_schedule_that_can_never_fire_is_refused(cron: str) -> None:
    job = dataclasses.replace(NIGHTLY, trigger=Schedule(cron=cron))
    [message] = _messages(Application(name="shop", source="apps/shop.py", services=(), jobs=(job,)))
    assert message.startswith(f"nightly (apps/shop.py) | trigger.cron = {cron!r}: never runs: day")


@pytest.mark.parametrize("cron", ["0 0 29 2 *", "0 0 31 2 1", "0 0 31 */2 *", "0 0 31 2 */2"])
def test_a_schedule_that_fires_rarely_or_by_weekday_is_accepted(cron: str) -> None:
    job = dataclasses.replace(NIGHTLY, trigger=Schedule(cron=cron))
    validate_applications([Application(name="shop", services=(), jobs=(job,))], context())


def test_a_memory_size_no_user_pool_node_holds_is_refused() -> None:
    service = dataclasses.replace(WEB, resources=Resources(cpu=1, memory="100000Gi"))
    text = _registers_nothing(Application(name="shop", source="apps/shop.py", services=(service,)))
    # The dev user pool is Standard_D4ds_v5 (16 GiB, less AKS's reservations).
    assert (
        "resources.memory = '100000Gi': does not fit on any node: a Standard_D4ds_v5 node of "
        "the user pool offers pods 13.7Gi, so the pod would never be scheduled"
    ) in text


def test_a_memory_size_container_apps_does_not_offer_is_refused() -> None:
    service = dataclasses.replace(
        WEB, target=Target.CONTAINER_APPS, resources=Resources(cpu=1, memory="100000Gi")
    )
    [message] = _messages(Application(name="shop", source="apps/shop.py", services=(service,)))
    assert "is not a Container Apps size" in message


# --------------------------------------------------------------------------------------------
# Property: the reference app, one field changed


CONTEXT = ValidationContext(
    Environment.DEV,
    {},
    "kv-shop-dev",
    stack_environments=frozenset({"dev", "prod", "local"}),
    node_memory=NodeMemory("Standard_D4ds_v5", 14034.0),
)
EDGE_VALUES = st.one_of(
    st.sampled_from(
        [
            0,
            -1,
            1,
            2**31 - 1,
            2**31,
            2**63,
            1.5,
            "",
            "a" * 53,
            "a" * 64,
            "x" * 300,
            "0 0 31 2 *",
            "100000Gi",
            "64Gi",
            "0.25",
            "postgres://u:p4ss@h/db",
            "eyJ",
            None,
            True,
            (),
            {},
            "web",
            "Etc/UTC",
            "/",
            "//",
            "--",
            "A",
            "a--b",
        ]
    ),
    st.integers(-(2**64), 2**64),
    st.text(max_size=70),
    st.from_regex(r"[a-z][a-z0-9-]{0,70}", fullmatch=True),
)


def _paths(obj: object, prefix: str = "", depth: int = 2) -> list[str]:
    """Dotted paths to every field of a declaration, nested declarations to `depth`."""
    if not dataclasses.is_dataclass(obj) or isinstance(obj, type) or depth == 0:
        return []
    found: list[str] = []
    for f in dataclasses.fields(obj):
        here = f"{prefix}{f.name}"
        found.append(here)
        found += _paths(getattr(obj, f.name), f"{here}.", depth - 1)
    return found


def _replaced(obj: Any, path: str, value: object) -> Any:
    head, _, rest = path.partition(".")
    inner = value if not rest else _replaced(getattr(obj, head), rest, value)
    return dataclasses.replace(obj, **{head: inner})


REFERENCE = load_applications()
WORKLOADS = [
    (a_index, kind, index, path)
    for a_index, application in enumerate(REFERENCE)
    for kind in ("services", "jobs")
    for index, workload in enumerate(getattr(application, kind))
    for path in _paths(workload)
]


def _render_every_aks_object(catalog: Catalog) -> None:
    common: dict[str, Any] = {
        "catalog": catalog,
        "facts": facts(),
        "extensions": NO_EXTENSIONS,
        "client_id": None,
        "secrets": ServiceSecrets(config_values={}),
    }
    for service in catalog.services:
        if service.spec.target is Target.AKS:
            for obj in render_on_aks(service, **common):
                validate_object(obj)
    for job in catalog.jobs:
        if job.spec.target is Target.AKS:
            for obj in render_job_on_aks(job, **common):
                validate_object(obj)


@pytest.mark.slow
@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.sampled_from(WORKLOADS), EDGE_VALUES)
def test_one_field_changed_gives_a_report_naming_it_or_objects_kubernetes_accepts(
    where: tuple[int, str, int, str], value: object
) -> None:
    a_index, kind, index, path = where
    application = REFERENCE[a_index]
    workloads = list(getattr(application, kind))
    before = workloads[index]
    try:
        workloads[index] = _replaced(before, path, value)
    except (TypeError, ValueError):
        return  # the constructor itself refuses it: the user sees that at import
    changed = dataclasses.replace(application, **{kind: tuple(workloads)})
    catalog: Catalog | None = None
    refused: InvalidInput | None = None
    try:
        catalog = validate_applications([changed], CONTEXT)
    except InvalidInput as error:
        refused = error
    if catalog is not None:
        _render_every_aks_object(catalog)
        return
    assert refused is not None
    names = {before.name, str(getattr(workloads[index], "name", ""))}
    top = path.split(".")[0]
    # The report names the changed field: as a problem's path, or, where the change breaks
    # what refers to it (`ports=()` under an ingress that names a port), in the fix of the
    # referring field's problem ("declare the port in ports= ...").
    assert any(
        any(p.group.startswith(f"{n} (") for n in names)
        and (p.path.split("[")[0].split(".")[0] == top or p.path == "name" or f"{top}=" in p.fix)
        for p in refused.problems
    ) or any(p.path.startswith("dependencies") for p in refused.problems), refused


def test_emptied_ports_are_named_in_the_fix_of_what_referred_to_them() -> None:
    """Hypothesis found it (services[0].ports=()): the exposed web service's report names
    `ingress.port` and the probes, and the ingress problem's fix tells the user to declare the
    port in `ports=` — the field they changed."""
    application = REFERENCE[0]
    web = next(
        s for s in application.services if s.ports and s.ingress.exposure is not Exposure.NONE
    )
    changed = dataclasses.replace(
        application,
        services=tuple(
            dataclasses.replace(s, ports=()) if s is web else s for s in application.services
        ),
    )
    with pytest.raises(InvalidInput) as caught:
        validate_applications([changed], CONTEXT)
    ingress = [p for p in caught.value.problems if p.path == "ingress.port"]
    assert ingress, caught.value
    assert "ports=" in ingress[0].fix
