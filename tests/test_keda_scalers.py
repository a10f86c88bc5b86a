"""Scaling on any vendored KEDA scaler (`KedaScaler`, RabbitMQ first), credentials from Key Vault,
on both targets: validated against upstream/keda-scalers/, rendered for AKS (ScaledObject /
ScaledJob + TriggerAuthentication `azureKeyVault`) and Container Apps (`custom` rule + `auth` on
Key Vault reference secrets), and the deploy simulator's rules for what KEDA/Azure check."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path
from typing import Any

import pytest

from infra.preview.engine import ProgramFailed, run_offline
from infra.preview.snapshot import to_snapshot
from infra.preview.stackfile import read_stack
from infra.problems import InvalidInput
from infra.program import build
from infra.services.catalog import Catalog
from infra.services.keda_scalers import SCALERS_DIR, check, scalers
from infra.services.render.aks import (
    ServiceSecrets,
    job_plan_on_aks,
    render_on_aks,
)
from infra.services.render.common import ClusterKind
from infra.services.render.container_apps import (
    render_job_on_container_apps,
    render_on_container_apps,
)
from infra.services.spec import (
    Application,
    Autoscaling,
    Event,
    JobSpec,
    KedaScaler,
    KeyVaultSecret,
    ServiceSpec,
    Target,
)
from infra.services.validation import validate_applications
from infra.simulate import Plan
from infra.simulate.scenario import parsed_config
from tests.fixtures import NO_EXTENSIONS, context, facts
from tests.k8s_schema import validate_object
from tests.simulate_builders import client as client_of
from tests.simulate_builders import (
    container_app,
    identity,
    k8s,
    plan,
    res,
    rules_of,
    secret_reader,
)

CLIENT_ID = "33333333-3333-3333-3333-333333333333"
IDENTITY = "/subscriptions/0/resourceGroups/rg/providers/Microsoft.ManagedIdentity/userAssignedIdentities/svc"

RABBIT = KedaScaler(
    type="rabbitmq",
    metadata={"queueName": "orders", "mode": "QueueLength", "value": "10"},
    auth={"host": KeyVaultSecret(name="orders-amqp-uri")},
)


def consumer(name: str, target: Target) -> ServiceSpec:
    """A portless RabbitMQ consumer that scales to zero on its queue's backlog."""
    return ServiceSpec(
        name=name,
        image="team/order-consumer:1.0.0",
        target=target,
        autoscaling=Autoscaling(min_replicas=0, max_replicas=5, cpu_utilization=None, queue=RABBIT),
    )


def batch(name: str, target: Target) -> JobSpec:
    return JobSpec(
        name=name, image="team/order-batch:1.0.0", target=target, trigger=Event(queue=RABBIT)
    )


FIXTURE_APP = Application(
    name="brokered",
    source="tests/test_keda_scalers.py",
    services=(
        consumer("consumer-aks", Target.AKS),
        consumer("consumer-aca", Target.CONTAINER_APPS),
    ),
    jobs=(batch("batch-aks", Target.AKS), batch("batch-aca", Target.CONTAINER_APPS)),
)
"""The test fixture app: a consumer and an event job per target, all on one RabbitMQ queue."""


@pytest.fixture(scope="module")
def catalog() -> Catalog:
    return validate_applications([FIXTURE_APP], context())


def _aks(catalog: Catalog, name: str, cluster: ClusterKind = ClusterKind.AKS) -> dict[str, Any]:
    platform = dataclasses.replace(facts(), cluster=cluster)
    secrets = ServiceSecrets(config_values={})
    if name.startswith("batch"):
        job = next(j for j in catalog.jobs if j.name == name)
        objects = job_plan_on_aks(
            job,
            catalog=catalog,
            facts=platform,
            extensions=NO_EXTENSIONS,
            client_id=CLIENT_ID,
            secrets=secrets,
        ).objects()
    else:
        objects = render_on_aks(
            catalog.get(name),
            catalog=catalog,
            facts=platform,
            extensions=NO_EXTENSIONS,
            client_id=CLIENT_ID,
            secrets=secrets,
        )
    return {f"{o['kind']}/{o['metadata']['name']}": o for o in objects}


# --- the vendored parameter list -------------------------------------------------------------


def test_the_rabbitmq_parameters_are_vendored_from_keda_2_19_with_their_source() -> None:
    data = json.loads((SCALERS_DIR / "rabbitmq.json").read_text())
    assert data["tag"] == "v2.19.0"
    assert len(data["commit"]) == 40
    assert "kedacore/keda" in data["source"]
    assert data["read"]
    rabbit = scalers()["rabbitmq"]
    # What KEDA's typed config requires: neither optional nor defaulted.
    assert {n for n, p in rabbit.parameters.items() if p.required} == {"queueName", "host"}
    assert rabbit.parameters["host"].in_auth
    assert rabbit.parameters["host"].in_metadata
    assert not rabbit.parameters["password"].in_metadata
    assert (Path(SCALERS_DIR) / "SOURCE.md").exists()


def test_a_good_rabbitmq_trigger_has_no_problem() -> None:
    assert check("rabbitmq", dict(RABBIT.metadata), dict(RABBIT.auth)) == []


# --- bad input: one clear error each, all at once, nothing registered ------------------------


BAD = KedaScaler(
    type="rabbitmq",
    metadata={
        "queueNam": "orders",
        "mode": "MessageRate",
        "value": "10",
        "queueLength": "5",
        "hostFromEnv": "RABBITMQ_HOST",
        "password": "hunter2",
        "useRegex": "true",
    },
    auth={"hosst": KeyVaultSecret(name="orders-amqp-uri")},
)


def _problems(*declared: ServiceSpec | JobSpec) -> list[str]:
    services = tuple(d for d in declared if isinstance(d, ServiceSpec))
    jobs = tuple(d for d in declared if isinstance(d, JobSpec))
    with pytest.raises(InvalidInput) as caught:
        validate_applications(
            [Application(name="shop", services=services, jobs=jobs, source="apps/test.py")],
            context(),
        )
    return [p.render().strip() for p in caught.value.problems]


def test_every_rabbitmq_mistake_is_named_with_its_fix_at_once() -> None:
    service = ServiceSpec(
        name="api",
        image="team/api:1.0.0",
        target=Target.AKS,
        autoscaling=Autoscaling(min_replicas=0, cpu_utilization=None, queue=BAD),
    )
    text = "\n".join(_problems(service))
    expected = [
        # unknown parameter, with the closest name (KEDA would ignore it)
        "autoscaling.queue.metadata.queueNam = 'orders': is not a metadata parameter of the KEDA "
        "rabbitmq scaler; KEDA would ignore it → did you mean 'queueName'?",
        "autoscaling.queue.auth.hosst: is not an authentication parameter of the KEDA rabbitmq "
        "scaler → did you mean 'host'?",
        # missing required parameters
        "autoscaling.queue.metadata: lacks 'queueName', which the KEDA rabbitmq scaler requires",
        "autoscaling.queue.auth: lacks 'host', which the KEDA rabbitmq scaler requires → declare "
        'auth={"host": KeyVaultSecret(name=<secret holding it>)}',
        # combinations KEDA refuses (rabbitmq_scaler.go validateTrigger / Validate)
        "autoscaling.queue.metadata.queueLength = '5': is deprecated and KEDA refuses it beside "
        "mode/value",
        "autoscaling.queue.metadata.mode = 'MessageRate': needs the http protocol",
        "autoscaling.queue.metadata.useRegex = 'true': works over the http protocol only",
        # a literal secret, and a variable KEDA on Container Apps cannot read
        "autoscaling.queue.metadata.password = '<hidden>': is a credential",
        "autoscaling.queue.metadata.hostFromEnv = 'RABBITMQ_HOST': reads a container variable",
    ]
    for line in expected:
        assert line in text, line
    assert "hunter2" not in text


def test_an_unknown_scaler_type_is_refused_with_the_closest_vendored_one() -> None:
    job = JobSpec(
        name="batch",
        image="team/batch:1.0.0",
        target=Target.CONTAINER_APPS,
        trigger=Event(queue=KedaScaler(type="rabbit-mq", metadata={"queueName": "q"})),
    )
    (line,) = [p for p in _problems(job) if "trigger.queue.type" in p]
    assert "is not a KEDA scaler the platform has the parameters of (vendored: rabbitmq)" in line
    assert "did you mean 'rabbitmq'?" in line


def test_a_connection_string_in_any_metadata_value_is_refused_as_plain_text() -> None:
    scaler = KedaScaler(
        type="rabbitmq",
        metadata={"queueName": "amqp://guest:s3cret@rabbit:5672/"},
        auth={"host": KeyVaultSecret(name="amqp")},
    )
    job = JobSpec(
        name="batch", image="team/batch:1.0.0", target=Target.AKS, trigger=Event(queue=scaler)
    )
    (line,) = _problems(job)
    assert (
        "trigger.queue.metadata.queueName = '<hidden>': holds a password in a URL in plain text"
        in line
    )


def test_a_bad_scaler_registers_nothing() -> None:
    broken = Application(
        name="shop",
        source="apps/shop.py",
        services=(
            ServiceSpec(
                name="consumer",
                image="team/consumer:1.0.0",
                target=Target.CONTAINER_APPS,
                autoscaling=Autoscaling(min_replicas=0, cpu_utilization=None, queue=BAD),
            ),
        ),
    )
    with pytest.raises(ProgramFailed) as caught:
        run_offline(read_stack("dev"), lambda: build(applications=[broken]))
    assert isinstance(caught.value.cause, InvalidInput)
    assert caught.value.run.resources == []
    assert "did you mean 'queueName'?" in str(caught.value)


# --- AKS -------------------------------------------------------------------------------------


def test_aks_scales_on_rabbitmq_with_the_host_read_from_key_vault(catalog: Catalog) -> None:
    objects = _aks(catalog, "consumer-aks")
    for obj in objects.values():
        validate_object(obj)  # strict; TriggerAuthentication against the vendored v2.19.0 CRD
    (trigger,) = objects["ScaledObject/consumer-aks"]["spec"]["triggers"]
    assert trigger["type"] == "rabbitmq"
    assert trigger["metadata"] == {"mode": "QueueLength", "queueName": "orders", "value": "10"}
    auth = objects[f"TriggerAuthentication/{trigger['authenticationRef']['name']}"]["spec"]
    assert auth == {
        "azureKeyVault": {
            "vaultUri": "https://kv-shop-dev.vault.azure.net",
            "podIdentity": {"provider": "azure-workload", "identityId": CLIENT_ID},
            "secrets": [{"parameter": "host", "name": "orders-amqp-uri"}],
        }
    }
    # No copy of the credential in the cluster: no Secret, no synced SecretProviderClass.
    assert not [k for k in objects if k.startswith(("Secret/", "SecretProviderClass/"))]


def test_an_aks_event_job_scales_on_rabbitmq_the_same_way(catalog: Catalog) -> None:
    objects = _aks(catalog, "batch-aks")
    for obj in objects.values():
        validate_object(obj)
    (trigger,) = objects["ScaledJob/batch-aks"]["spec"]["triggers"]
    assert trigger["type"] == "rabbitmq"
    auth = objects[f"TriggerAuthentication/{trigger['authenticationRef']['name']}"]["spec"]
    assert auth["azureKeyVault"]["secrets"] == [{"parameter": "host", "name": "orders-amqp-uri"}]


def test_locally_the_host_comes_from_a_plain_secret(catalog: Catalog) -> None:
    objects = _aks(catalog, "consumer-aks", ClusterKind.LOCAL)
    for obj in objects.values():
        validate_object(obj)
    auth = objects["TriggerAuthentication/consumer-aks-workload-identity"]["spec"]
    assert auth == {
        "secretTargetRef": [
            {"parameter": "host", "name": "consumer-aks-scaler", "key": "orders-amqp-uri"}
        ]
    }


# --- Container Apps --------------------------------------------------------------------------


def test_container_apps_scale_rule_takes_the_host_from_a_key_vault_reference(
    catalog: Catalog,
) -> None:
    plan_: Any = render_on_container_apps(
        catalog.get("consumer-aca"),
        catalog=catalog,
        facts=facts(),
        extensions=NO_EXTENSIONS,
        identity_id=IDENTITY,
        pull_identity_id="pull",
        config_values={},
    )
    (rule,) = plan_.template.scale.rules
    assert rule.custom.type == "rabbitmq"
    assert rule.custom.metadata == {"mode": "QueueLength", "queueName": "orders", "value": "10"}
    assert rule.custom.identity is None  # RabbitMQ over AMQP takes no Entra ID token
    ((secret_ref, parameter),) = [(a.secret_ref, a.trigger_parameter) for a in rule.custom.auth]
    assert parameter == "host"
    (secret,) = [s for s in plan_.configuration.secrets if s.name == secret_ref]
    assert secret.key_vault_url == "https://kv-shop-dev.vault.azure.net/secrets/orders-amqp-uri"
    assert secret.identity == IDENTITY
    assert secret.value is None
    assert plan_.template.scale.min_replicas == 0


def test_a_container_apps_event_job_scale_rule_has_the_same_auth(catalog: Catalog) -> None:
    job = next(j for j in catalog.jobs if j.name == "batch-aca")
    plan_: Any = render_job_on_container_apps(
        job,
        catalog=catalog,
        facts=facts(),
        extensions=NO_EXTENSIONS,
        identity_id=IDENTITY,
        pull_identity_id="pull",
        config_values={},
    )
    (rule,) = plan_.configuration.event_trigger_config.scale.rules
    assert (rule.type, rule.identity) == ("rabbitmq", None)
    ((secret_ref, parameter),) = [(a.secret_ref, a.trigger_parameter) for a in rule.auth]
    assert parameter == "host"
    assert secret_ref in {s.name for s in plan_.configuration.secrets}


# --- the whole program, and the simulator on its plan ----------------------------------------


@pytest.fixture(scope="module")
def fixture_plan() -> Plan:
    config = read_stack("dev")
    run = run_offline(config, lambda: build(applications=[FIXTURE_APP]))
    return Plan.from_snapshot(to_snapshot(run), parsed_config(config.values))


SCALER_RULES = {
    "aca-scale-rule-secret-ref",
    "scaler-keyvault-reader",
    "keda-operator-federation",
    "keyvault-reader-grant",
}


def test_each_identity_reads_exactly_its_scaler_secret(fixture_plan: Plan) -> None:
    grants = [
        r.inputs
        for r in fixture_plan.of_type("azure-native:authorization:RoleAssignment")
        if "orders-amqp-uri" in str(r.inputs.get("scope"))
    ]
    assert len(grants) == 4  # one per workload, on the secret alone
    assert all(str(g["scope"]).endswith("/secrets/orders-amqp-uri") for g in grants)
    credentials = [
        r.inputs["subject"]
        for r in fixture_plan.of_type("azure-native:managedidentity:FederatedIdentityCredential")
    ]
    # KEDA's operator reads Key Vault as each AKS workload's identity.
    assert credentials.count("system:serviceaccount:kube-system:keda-operator") == 2


def test_the_simulator_accepts_the_rendered_plan(fixture_plan: Plan) -> None:
    assert rules_of(fixture_plan) & SCALER_RULES == set()


# --- deploy simulator rules: a plan each accepts, one each refuses ---------------------------


def _rabbit_rule(secret_ref: str) -> dict[str, Any]:
    return {
        "name": "queue",
        "custom": {
            "type": "rabbitmq",
            "metadata": {"queueName": "orders"},
            "auth": [{"secretRef": secret_ref, "triggerParameter": "host"}],
        },
    }


def _app(secret_ref: str) -> dict[str, Any]:
    return container_app(
        "worker",
        secrets=[{"name": "keda-host", "value": "x"}],
        template={
            "containers": [{"name": "w", "image": "nginx:1"}],
            "scale": {"rules": [_rabbit_rule(secret_ref)]},
        },
    )


def test_a_scale_rule_auth_on_an_undefined_secret_is_refused() -> None:
    assert rules_of(plan(_app("keda-hots"))) == {"aca-scale-rule-secret-ref"}


def test_a_scale_rule_auth_on_a_defined_secret_is_accepted() -> None:
    assert "aca-scale-rule-secret-ref" not in rules_of(plan(_app("keda-host")))


def test_an_event_job_scale_rule_auth_on_an_undefined_secret_is_refused() -> None:
    job = res(
        "azure-native:app:Job",
        "batch",
        {
            "configuration": {
                "secrets": [],
                "eventTriggerConfig": {
                    "scale": {"rules": [{**_rabbit_rule("keda-host")["custom"], "name": "q"}]}
                },
            },
            "template": {"containers": [{"name": "b", "image": "nginx:1"}]},
        },
    )
    assert "aca-scale-rule-secret-ref" in rules_of(plan(job))


def _key_vault_auth() -> dict[str, Any]:
    return k8s(
        "kubernetes:keda.sh/v1alpha1:TriggerAuthentication",
        "worker-auth",
        {
            "metadata": {"name": "worker-auth", "namespace": "shop"},
            "spec": {
                "azureKeyVault": {
                    "vaultUri": "https://kv-t.vault.azure.net",
                    "podIdentity": {
                        "provider": "azure-workload",
                        "identityId": client_of("worker"),
                    },
                    "secrets": [{"parameter": "host", "name": "orders-amqp-uri"}],
                }
            },
        },
    )


def test_a_trigger_authentication_without_read_on_its_key_vault_secret_is_refused() -> None:
    assert "scaler-keyvault-reader" in rules_of(plan(identity("worker"), _key_vault_auth()))


def test_a_trigger_authentication_with_secrets_user_on_the_secret_is_accepted() -> None:
    reader = secret_reader("worker-read", "worker", "orders-amqp-uri")
    assert "scaler-keyvault-reader" not in rules_of(
        plan(identity("worker"), reader, _key_vault_auth())
    )
