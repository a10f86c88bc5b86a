"""Stateful single-instance software (a broker or database from its own image): one replica that
never runs beside another and keeps its data (AKS StatefulSet with a disk, or a Recreate
Deployment), refused where a target or prod cannot give that, with every other problem."""

from __future__ import annotations

import dataclasses
from typing import Any

import pytest

from infra.config import Environment
from infra.problems import InvalidInput
from infra.services.render.aks import ServiceSecrets, render_on_aks
from infra.services.render.common import ClusterKind
from infra.services.spec import (
    Autoscaling,
    Dependency,
    Port,
    Protocol,
    Rollout,
    ServiceSpec,
    Target,
    UpdateStrategy,
    Volume,
)
from infra.upstream_facts import UPSTREAM, aks_disk_storage_class
from tests.fixtures import NO_EXTENSIONS, catalog_of, facts
from tests.k8s_schema import validate_object

AMQP = Port(name="amqp", number=5672, protocol=Protocol.TCP)
BROKER = ServiceSpec(
    name="order-queue",
    image="team/rabbitmq:3.13.0",
    target=Target.AKS,
    ports=(AMQP, Port(name="management", number=15672)),
    replicas=1,
    storage=Volume(size="8Gi", mount_path="/var/lib/rabbitmq"),
)
CLIENT = ServiceSpec(
    name="order-service",
    image="team/orders:1.0.0",
    target=Target.AKS,
    dependencies=(Dependency(service="order-queue", port="amqp", scheme="amqp"),),
)


def rendered(spec: ServiceSpec, **facts_args: Any) -> list[dict[str, Any]]:
    catalog = catalog_of(spec, CLIENT)
    objects = render_on_aks(
        catalog.get(spec.name),
        catalog=catalog,
        facts=dataclasses.replace(facts(), **facts_args),
        extensions=NO_EXTENSIONS,
        client_id=None,
        secrets=ServiceSecrets(config_values={}),
    )
    for obj in objects:
        validate_object(obj)
    return objects


def test_a_service_with_storage_is_a_statefulset_with_a_zone_redundant_disk_claim() -> None:
    objects = rendered(BROKER)
    kinds = [o["kind"] for o in objects]
    assert "Deployment" not in kinds
    assert "PodDisruptionBudget" not in kinds  # one replica: a budget would block every drain
    (sts,) = [o for o in objects if o["kind"] == "StatefulSet"]
    spec = sts["spec"]
    assert spec["replicas"] == 1
    assert spec["updateStrategy"] == {"type": "RollingUpdate"}
    assert spec["podManagementPolicy"] == "OrderedReady"
    assert spec["persistentVolumeClaimRetentionPolicy"] == {
        "whenDeleted": "Retain",
        "whenScaled": "Retain",
    }
    (claim,) = spec["volumeClaimTemplates"]
    assert claim == {
        "metadata": {"name": "data"},
        "spec": {
            "accessModes": ["ReadWriteOnce"],
            "resources": {"requests": {"storage": "8Gi"}},
            "storageClassName": "managed-csi-premium",
        },
    }
    pod = spec["template"]["spec"]
    (container,) = pod["containers"]
    assert {"name": "data", "mountPath": "/var/lib/rabbitmq"} in container["volumeMounts"]
    assert container["securityContext"]["readOnlyRootFilesystem"] is True
    assert pod["securityContext"]["fsGroup"] == 10001  # the disk is writable by the pod's user
    (service,) = [o for o in objects if o["kind"] == "Service"]  # callers' address
    assert service["spec"]["selector"].items() <= spec["template"]["metadata"]["labels"].items()
    assert spec["selector"]["matchLabels"].items() <= spec["template"]["metadata"]["labels"].items()


def test_the_disk_class_is_aks_s_built_in_zone_redundant_premium_class() -> None:
    """Read from the vendored AKS docs: built in, ZRS on zonal clusters from Kubernetes 1.29."""
    assert aks_disk_storage_class() == "managed-csi-premium"
    text = (UPSTREAM / "azure-aks-docs" / "create-volume-azure-disk.excerpt.md").read_text()
    assert "AKS uses [zone-redundant storage (ZRS)]" in text


def test_locally_the_claim_uses_the_cluster_s_default_class() -> None:
    (sts,) = [o for o in rendered(BROKER, cluster=ClusterKind.LOCAL) if o["kind"] == "StatefulSet"]
    assert "storageClassName" not in sts["spec"]["volumeClaimTemplates"][0]["spec"]


def test_recreate_without_storage_is_a_deployment_that_never_surges() -> None:
    singleton = dataclasses.replace(BROKER, storage=None, update=UpdateStrategy.RECREATE)
    (deployment,) = [o for o in rendered(singleton) if o["kind"] == "Deployment"]
    assert deployment["spec"]["strategy"] == {"type": "Recreate"}
    assert deployment["spec"]["replicas"] == 1


def test_a_stateless_service_still_rolls_with_surge() -> None:
    stateless = dataclasses.replace(BROKER, storage=None, replicas=2)
    (deployment,) = [o for o in rendered(stateless) if o["kind"] == "Deployment"]
    assert deployment["spec"]["strategy"]["type"] == "RollingUpdate"


def refused(*services: ServiceSpec, environment: Environment = Environment.DEV) -> str:
    with pytest.raises(InvalidInput) as caught:
        catalog_of(*services, environment=environment)
    return "\n".join(p.render() for p in caught.value.problems)


def test_bad_stateful_declarations_are_each_refused_together() -> None:
    many = dataclasses.replace(
        BROKER,
        replicas=3,
        storage=Volume(size="8GB", mount_path="/tmp", name="Data"),
        rollout=Rollout(image="team/rabbitmq:4.0.0", weight=10),
    )
    singleton = ServiceSpec(
        name="scheduler",
        image="team/scheduler:1.0.0",
        target=Target.AKS,
        update=UpdateStrategy.RECREATE,
        autoscaling=Autoscaling(min_replicas=1, max_replicas=3),
    )
    text = refused(many, singleton, CLIENT)
    assert "storage.size = '8GB': must be whole GiB" in text
    assert "storage.mount_path = '/tmp': is also a writable path" in text
    assert "storage.name = 'Data': must be a DNS label" in text
    assert "replicas = 3: must be 1 for a single-instance service (storage=" in text
    assert "rollout = 'team/rabbitmq:4.0.0': runs a canary beside a single-instance service" in (
        text
    )
    assert "autoscaling: scales a single-instance service (update=recreate)" in text


def test_recreate_with_more_than_one_replica_and_no_storage_is_refused() -> None:
    two = dataclasses.replace(BROKER, storage=None, update=UpdateStrategy.RECREATE, replicas=2)
    assert "replicas = 2: must be 1 for a single-instance service (update=recreate)" in refused(
        two, CLIENT
    )


def test_stateful_on_container_apps_is_refused_with_the_reason_and_the_fix() -> None:
    on_aca = dataclasses.replace(BROKER, target=Target.CONTAINER_APPS)
    text = refused(on_aca, dataclasses.replace(CLIENT, target=Target.CONTAINER_APPS))
    assert "is not available on Container Apps: an update starts the new revision before" in text
    assert "run it on AKS (target=Target.AKS), or use a managed service" in text


def test_prod_refuses_self_run_state_and_points_to_a_managed_service() -> None:
    text = refused(BROKER, CLIENT, environment=Environment.PROD)
    assert "storage = \"Volume(size='8Gi')\": is refused in prod" in text
    assert "use a managed service in prod (Azure Service Bus for a broker" in text


def test_prod_policy_refuses_a_single_replica_statefulset() -> None:
    """The prod replica/PDB policy covers every serving kind, so a one-replica StatefulSet
    cannot reach prod by a path validation does not see (it counted Deployments only)."""
    from infra.plan.kinds import STATEFUL_SET
    from infra.policy.evaluate import evaluate
    from infra.policy.rules import PolicyContext, PolicyResource

    (sts,) = [o for o in rendered(BROKER) if o["kind"] == "StatefulSet"]
    report = evaluate(
        [PolicyResource(STATEFUL_SET, "shop-order-queue", sts)], PolicyContext("prod")
    )
    found = {
        (v.rule.id, v.message)
        for v in report.violations
        if v.rule.id in ("k8s-prod-replicas-and-pdb", "k8s-zone-spread")
    }
    assert found == {
        ("k8s-prod-replicas-and-pdb", "runs 1 replica(s); prod needs at least 2"),
        ("k8s-prod-replicas-and-pdb", "has no PodDisruptionBudget"),
    }


def test_dev_policy_passes_the_rendered_statefulset() -> None:
    from infra.plan.kinds import STATEFUL_SET
    from infra.policy.evaluate import evaluate
    from infra.policy.rules import PolicyContext, PolicyResource

    (sts,) = [o for o in rendered(BROKER) if o["kind"] == "StatefulSet"]
    report = evaluate([PolicyResource(STATEFUL_SET, "shop-order-queue", sts)], PolicyContext("dev"))
    assert [(v.rule.id, v.message) for v in report.enforced] == []


def test_the_cost_estimate_counts_the_statefulset_s_pod() -> None:
    """It counted Deployments only: a stateful service's CPU and memory were free."""
    from infra.cost.workloads import workloads
    from infra.plan.kinds import STATEFUL_SET

    (sts,) = [o for o in rendered(BROKER) if o["kind"] == "StatefulSet"]
    (found,) = workloads([{"type": STATEFUL_SET, "name": "shop-order-queue", "inputs": sts}])
    assert (found.service, found.cpu, found.min_replicas, found.max_replicas) == (
        "order-queue",
        0.25,
        1,
        1,
    )
