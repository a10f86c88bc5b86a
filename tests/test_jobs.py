"""Jobs on both targets: every rendered object strictly valid, the security defaults services
have, dependencies wired like any caller, and each row of the table of differences in docs/jobs.md."""

from __future__ import annotations

import dataclasses
import inspect
from typing import Any

import pytest
from pulumi_azure_native import app

from infra.config import Environment
from infra.preview.cli import policy_report
from infra.preview.engine import run_offline
from infra.preview.snapshot import to_snapshot
from infra.preview.stackfile import ROOT, read_stack
from infra.problems import InvalidInput
from infra.program import build
from infra.services.catalog import Catalog
from infra.services.loader import load_applications
from infra.services.render.aks import ServiceSecrets, render_job_on_aks, render_on_aks
from infra.services.render.container_apps import (
    render_job_on_container_apps,
    render_on_container_apps,
)
from infra.services.spec import (
    Application,
    Dependency,
    Event,
    Identity,
    JobSpec,
    KeyVaultSecret,
    Manual,
    Port,
    Resources,
    RoleGrant,
    Schedule,
    ServiceBusQueue,
    ServiceSpec,
    StorageQueue,
    Target,
)
from infra.services.validation import validate_applications
from tests.fixtures import NO_EXTENSIONS, context, facts, reference_catalog
from tests.k8s_schema import validate_object

CLIENT_ID = "33333333-3333-3333-3333-333333333333"
IDENTITY_ID = "/subscriptions/0/resourceGroups/rg/providers/Microsoft.ManagedIdentity/userAssignedIdentities/id-job"
QUEUE_SCOPE = (
    "/subscriptions/{subscription}/resourceGroups/rg/providers/Microsoft.ServiceBus"
    "/namespaces/sb-shop/queues/imports"
)
RECEIVER = Identity(roles=(RoleGrant(role="Azure Service Bus Data Receiver", scope=QUEUE_SCOPE),))
HTTP = (Port(name="http", number=8080),)


def job(**changes: Any) -> JobSpec:
    base = JobSpec(name="importer", image="team/importer:1.0.0", target=Target.AKS)
    return dataclasses.replace(base, **changes)


def event_job(target: Target = Target.AKS) -> JobSpec:
    return job(
        target=target,
        trigger=Event(
            queue=ServiceBusQueue(namespace="sb-shop", queue="imports", resource_group="rg-shop"),
            max_executions=4,
        ),
        identity=RECEIVER,
        parallelism=2,
        completions=3,
        retries=2,
        timeout_seconds=600,
    )


def catalog_with(*jobs: JobSpec, services: tuple[ServiceSpec, ...] = ()) -> Catalog:
    return validate_applications(
        [Application(name="shop", services=services, jobs=jobs, source="apps/test.py")],
        context(),
    )


def on_aks(catalog: Catalog, name: str, client_id: str | None = CLIENT_ID) -> dict[str, Any]:
    planned = next(j for j in catalog.jobs if j.name == name)
    objects = render_job_on_aks(
        planned,
        catalog=catalog,
        facts=facts(),
        extensions=NO_EXTENSIONS,
        client_id=client_id,
        secrets=ServiceSecrets(config_values={}),
    )
    return {f"{o['kind']}/{o['metadata']['name']}": o for o in objects}


def on_container_apps(catalog: Catalog, name: str, identity_id: str | None = IDENTITY_ID) -> Any:
    """The plan, typed loosely: the SDK types every Args field as Input[...] (maybe awaitable),
    which tests reading plain values back would have to narrow at every step."""
    planned = next(j for j in catalog.jobs if j.name == name)
    return render_job_on_container_apps(
        planned,
        catalog=catalog,
        facts=facts(),
        extensions=NO_EXTENSIONS,
        identity_id=identity_id,
        pull_identity_id="pull-identity",
        config_values={},
    )


def job_spec(objects: dict[str, Any], name: str) -> dict[str, Any]:
    if f"CronJob/{name}" in objects:
        return objects[f"CronJob/{name}"]["spec"]["jobTemplate"]["spec"]
    return objects[f"ScaledJob/{name}"]["spec"]["jobTargetRef"]


# ----- AKS ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "trigger",
    [Manual(), Schedule(cron="*/15 8-18 * * MON-FRI", time_zone="Europe/Amsterdam"), "event"],
    ids=["manual", "schedule", "event"],
)
def test_every_job_object_is_strictly_valid(trigger: Any) -> None:
    spec = event_job() if trigger == "event" else job(trigger=trigger)
    spec = dataclasses.replace(spec, secrets={"DB_PASSWORD": KeyVaultSecret(name="db-password")})
    objects = on_aks(catalog_with(spec), "importer")
    assert objects, "rendered something"
    for obj in objects.values():
        validate_object(obj)


def test_the_reference_job_is_a_nightly_cronjob_calling_catalog_api() -> None:
    catalog = reference_catalog(Environment.PROD)
    objects = on_aks(catalog, "catalog-reindex", client_id=None)
    cron = objects["CronJob/catalog-reindex"]["spec"]
    assert (cron["schedule"], cron["timeZone"], cron["suspend"]) == ("30 2 * * *", "Etc/UTC", False)
    env = {
        e["name"]: e["value"]
        for e in job_spec(objects, "catalog-reindex")["template"]["spec"]["containers"][0]["env"]
    }
    assert env["CATALOG_URL"] == "http://catalog-api.storefront.svc.cluster.local"
    dev = on_aks(reference_catalog(Environment.DEV), "catalog-reindex", client_id=None)
    assert dev["CronJob/catalog-reindex"]["spec"]["schedule"] == "30 2 * * 1", "dev override"
    for obj in objects.values():
        validate_object(obj)


def test_scaled_job_schema_catches_misspelt_fields() -> None:
    objects = on_aks(catalog_with(event_job()), "importer")
    scaled = objects["ScaledJob/importer"]
    validate_object(scaled)
    broken = {**scaled, "spec": {**scaled["spec"], "maxReplicas": 3}}
    with pytest.raises(Exception, match="maxReplicas"):
        validate_object(broken)
    target = {**scaled["spec"]["jobTargetRef"], "backofLimit": 1}
    with pytest.raises(Exception, match="backofLimit"):
        validate_object({**scaled, "spec": {**scaled["spec"], "jobTargetRef": target}})


def test_job_pods_get_the_service_security_defaults() -> None:
    spec = job(trigger=Schedule(cron="0 * * * *"))
    objects = on_aks(catalog_with(spec), "importer", client_id=None)
    pod = job_spec(objects, "importer")["template"]["spec"]
    container = pod["containers"][0]
    assert pod["automountServiceAccountToken"] is False
    assert pod["securityContext"]["runAsNonRoot"] is True
    assert pod["securityContext"]["runAsUser"] == 10001
    assert container["securityContext"] == {
        "allowPrivilegeEscalation": False,
        "readOnlyRootFilesystem": True,
        "runAsNonRoot": True,
        "privileged": False,
        "capabilities": {"drop": ["ALL"]},
        "seccompProfile": {"type": "RuntimeDefault"},
    }
    assert pod["nodeSelector"] == {"platform.io/pool": "user"}
    assert pod["restartPolicy"] == "Never"
    assert {"ports", "readinessProbe", "livenessProbe", "lifecycle"}.isdisjoint(container)
    assert container["resources"]["requests"] == container["resources"]["limits"]
    assert objects["ServiceAccount/importer"]["automountServiceAccountToken"] is False
    assert "Service/importer" not in objects
    assert "NetworkPolicy/importer" not in objects


def test_event_job_reads_its_queue_with_its_own_identity_on_aks() -> None:
    objects = on_aks(catalog_with(event_job()), "importer")
    scaled = objects["ScaledJob/importer"]["spec"]
    assert scaled["triggers"] == [
        {
            "type": "azure-servicebus",
            "metadata": {"namespace": "sb-shop", "queueName": "imports", "messageCount": "5"},
            "authenticationRef": {"name": "importer-workload-identity"},
        }
    ]
    auth = objects["TriggerAuthentication/importer-workload-identity"]["spec"]
    assert auth == {"podIdentity": {"provider": "azure-workload", "identityId": CLIENT_ID}}
    labels = scaled["jobTargetRef"]["template"]["metadata"]["labels"]
    assert labels["azure.workload.identity/use"] == "true"
    assert scaled["maxReplicaCount"] == 4


def test_a_job_is_allowed_into_the_services_it_calls_on_either_target() -> None:
    api = ServiceSpec(name="api", image="team/api:1.0.0", target=Target.AKS, ports=HTTP)
    aca_api = ServiceSpec(
        name="aca-api", image="team/api:1.0.0", target=Target.CONTAINER_APPS, ports=HTTP
    )
    aks_job = job(name="aks-job", dependencies=(Dependency(service="aca-api"),))
    aca_job = job(
        name="aca-job", target=Target.CONTAINER_APPS, dependencies=(Dependency(service="api"),)
    )
    in_cluster = job(name="local-job", dependencies=(Dependency(service="api"),))
    catalog = catalog_with(aks_job, aca_job, in_cluster, services=(api, aca_api))
    objects = render_on_aks(
        catalog.get("api"),
        catalog=catalog,
        facts=facts(),
        extensions=NO_EXTENSIONS,
        client_id=None,
        secrets=ServiceSecrets(config_values={}),
    )
    sources = objects[-1]["spec"]["ingress"][0]["from"]
    assert objects[-1]["kind"] == "NetworkPolicy"
    assert {
        # An AKS job runs in its application's jobs namespace (excluded from the safeguards).
        "namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": "shop-jobs"}},
        "podSelector": {
            "matchLabels": {
                "app.kubernetes.io/name": "local-job",
                "app.kubernetes.io/part-of": "shop",
            }
        },
    } in sources
    assert {"ipBlock": {"cidr": "10.20.8.0/23"}} in sources, "the Container Apps job"
    service = next(o for o in objects if o["kind"] == "Service")
    assert service["spec"]["type"] == "LoadBalancer", "reachable from Container Apps"
    aca_env = on_container_apps(catalog, "aca-job").template.containers[0].env
    assert [(e.name, e.value) for e in aca_env] == [
        ("API_URL", "http://api.shop.dev.shop.internal:8080")
    ]
    plan: Any = render_on_container_apps(
        catalog.get("aca-api"),
        catalog=catalog,
        facts=facts(),
        extensions=NO_EXTENSIONS,
        identity_id=None,
        pull_identity_id="pull",
        config_values={},
    )
    assert plan.configuration.ingress.external is True, "the AKS job calls it from outside"
    assert (
        plan.configuration.ingress.ip_security_restrictions[0].ip_address_range == "198.51.100.7/32"
    )


# ----- Container Apps -------------------------------------------------------------------------


def test_container_apps_jobs_use_the_typed_sdk_args() -> None:
    plan = on_container_apps(catalog_with(event_job(Target.CONTAINER_APPS)), "importer")
    assert isinstance(plan.configuration, app.JobConfigurationArgs)
    assert isinstance(plan.template, app.JobTemplateArgs)
    config = plan.configuration
    assert config.trigger_type == app.TriggerType.EVENT
    event = config.event_trigger_config
    assert isinstance(event, app.JobConfigurationEventTriggerConfigArgs)
    assert (event.parallelism, event.replica_completion_count) == (2, 3)
    scale = event.scale
    assert isinstance(scale, app.JobScaleArgs)
    assert (scale.min_executions, scale.max_executions, scale.polling_interval) == (0, 4, 30)
    rule: Any = scale.rules[0]  # type: ignore[index]  # a plain list here
    assert (rule.type, rule.identity) == ("azure-servicebus", IDENTITY_ID)
    assert rule.metadata == {"namespace": "sb-shop", "queueName": "imports", "messageCount": "5"}
    registry: Any = config.registries[0]  # type: ignore[index]
    assert registry.identity == "pull-identity", "pulled with the platform's identity"
    container: Any = plan.template.containers[0]  # type: ignore[index]
    assert container.probes is None


def test_storage_queue_event_job_on_container_apps() -> None:
    spec = dataclasses.replace(
        event_job(Target.CONTAINER_APPS),
        trigger=Event(
            queue=StorageQueue(account="stshop", queue="imports", resource_group="rg-shop")
        ),
        identity=Identity(
            roles=(
                RoleGrant(
                    role="Storage Queue Data Message Processor",
                    scope="/subscriptions/{subscription}/resourceGroups/rg/providers/Microsoft.Storage/storageAccounts/stshop/queueServices/default/queues/imports",
                ),
            )
        ),
    )
    rule = on_container_apps(
        catalog_with(spec), "importer"
    ).configuration.event_trigger_config.scale.rules[0]
    assert (rule.type, rule.identity) == ("azure-queue", IDENTITY_ID)
    assert rule.metadata == {"accountName": "stshop", "queueName": "imports", "queueLength": "5"}


def test_an_event_job_on_container_apps_is_registered_and_passes_policy() -> None:
    extra = Application(
        name="extra",
        source="apps/extra.py",
        services=(),
        jobs=(event_job(Target.CONTAINER_APPS), job(name="migrate", target=Target.CONTAINER_APPS)),
    )
    run = run_offline(read_stack("dev"), lambda: build(applications=[*load_applications(), extra]))
    registered = run.one("azure-native:app:Job", "importer")
    assert registered.inputs["configuration"]["triggerType"] == "Event"
    assert registered.inputs["jobName"] == "importer"
    assert (
        run.one("azure-native:app:Job", "migrate").inputs["configuration"]["triggerType"]
        == "Manual"
    )
    assert policy_report("dev", to_snapshot(run)).enforced == ()


# ----- docs/jobs.md's table of differences: one test per row -----------------------------------


def test_difference_manual_runs_only_when_started_on_both() -> None:
    spec = job(trigger=Manual())
    cron = on_aks(catalog_with(spec), "importer")["CronJob/importer"]["spec"]
    assert cron["suspend"] is True, "AKS: a suspended CronJob, runs via kubectl create job --from"
    plan = on_container_apps(
        catalog_with(dataclasses.replace(spec, target=Target.CONTAINER_APPS)), "importer"
    )
    assert plan.configuration.trigger_type == app.TriggerType.MANUAL
    assert plan.configuration.schedule_trigger_config is None


def test_difference_time_zone_honoured_on_aks_refused_on_container_apps() -> None:
    spec = job(trigger=Schedule(cron="0 6 * * *", time_zone="Europe/Amsterdam"))
    cron = on_aks(catalog_with(spec), "importer")["CronJob/importer"]["spec"]
    assert cron["timeZone"] == "Europe/Amsterdam"
    with pytest.raises(InvalidInput, match="is not available on Container Apps"):
        catalog_with(dataclasses.replace(spec, target=Target.CONTAINER_APPS))
    utc = job(target=Target.CONTAINER_APPS, trigger=Schedule(cron="0 6 * * *"))
    schedule = on_container_apps(
        catalog_with(utc), "importer"
    ).configuration.schedule_trigger_config
    assert schedule.cron_expression == "0 6 * * *"


def test_difference_overlapping_scheduled_runs() -> None:
    cron = on_aks(catalog_with(job(trigger=Schedule(cron="* * * * *"))), "importer")
    assert cron["CronJob/importer"]["spec"]["concurrencyPolicy"] == "Forbid"
    # Container Apps has no such setting: its schedule configuration takes none.
    parameters = inspect.signature(
        app.JobConfigurationScheduleTriggerConfigArgs.__init__
    ).parameters
    assert set(parameters) == {
        "__self__",
        "cron_expression",
        "parallelism",
        "replica_completion_count",
    }


def test_difference_timeout_bounds_the_execution_on_aks_and_each_replica_on_container_apps() -> (
    None
):
    spec = job(trigger=Schedule(cron="0 * * * *"), timeout_seconds=900)
    assert (
        job_spec(on_aks(catalog_with(spec), "importer"), "importer")["activeDeadlineSeconds"] == 900
    )
    aca = dataclasses.replace(spec, target=Target.CONTAINER_APPS)
    assert on_container_apps(catalog_with(aca), "importer").configuration.replica_timeout == 900


def test_difference_retries_count_failed_pods_on_aks_and_per_replica_on_container_apps() -> None:
    spec = job(retries=3)
    assert job_spec(on_aks(catalog_with(spec), "importer"), "importer")["backoffLimit"] == 3
    aca = dataclasses.replace(spec, target=Target.CONTAINER_APPS)
    assert on_container_apps(catalog_with(aca), "importer").configuration.replica_retry_limit == 3


def test_difference_parallelism_and_completions_mean_the_same() -> None:
    spec = job(parallelism=2, completions=4)
    aks = job_spec(on_aks(catalog_with(spec), "importer"), "importer")
    assert (aks["parallelism"], aks["completions"]) == (2, 4)
    aca = on_container_apps(
        catalog_with(dataclasses.replace(spec, target=Target.CONTAINER_APPS)), "importer"
    )
    manual = aca.configuration.manual_trigger_config
    assert (manual.parallelism, manual.replica_completion_count) == (2, 4)


def test_difference_event_executions_are_bounded_the_same_way() -> None:
    scaled = on_aks(catalog_with(event_job()), "importer")["ScaledJob/importer"]["spec"]
    assert (scaled["minReplicaCount"], scaled["maxReplicaCount"], scaled["pollingInterval"]) == (
        0,
        4,
        30,
    )
    scale = on_container_apps(
        catalog_with(event_job(Target.CONTAINER_APPS)), "importer"
    ).configuration.event_trigger_config.scale
    assert (scale.min_executions, scale.max_executions, scale.polling_interval) == (0, 4, 30)


def test_difference_requests_below_limits_burst_on_aks_and_allocate_the_limit_on_container_apps() -> (
    None
):
    burstable = Resources(cpu=0.5, memory="1Gi", cpu_request=0.25, memory_request="512Mi")
    spec = job(resources=burstable)
    resources = job_spec(on_aks(catalog_with(spec), "importer"), "importer")["template"]["spec"][
        "containers"
    ][0]["resources"]
    assert resources == {
        "requests": {"cpu": "250m", "memory": "512Mi"},
        "limits": {"cpu": "500m", "memory": "1024Mi"},
    }
    aca = on_container_apps(
        catalog_with(dataclasses.replace(spec, target=Target.CONTAINER_APPS)), "importer"
    )
    size = aca.template.containers[0].resources
    assert (size.cpu, size.memory) == (0.5, "1Gi")


def test_every_row_of_the_docs_differences_table_names_a_test_here() -> None:
    page = (ROOT / "docs" / "jobs.md").read_text()
    table = page.split("Where the targets differ, and the test that holds each row")[1]
    rows = table.split("\n\n")[1].splitlines()[2:]  # after the header and its rule
    named = [row.rstrip(" |").rsplit("`", 2)[-2] for row in rows]
    assert len(named) >= 8
    module = globals()
    assert [name for name in named if not callable(module.get(name))] == []
