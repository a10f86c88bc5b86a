"""Init containers ("wait for the queue") on both targets: the main container's security, image
and resource rules, the workload's dependency addresses, and what they cannot have."""

from __future__ import annotations

from typing import Any

import pytest

from infra.config import Environment
from infra.problems import InvalidInput
from infra.services.render.aks import ServiceSecrets, render_on_aks
from infra.services.render.container_apps import render_on_container_apps
from infra.services.spec import (
    Dependency,
    ExecProbe,
    Ingress,
    InitContainer,
    Port,
    Probes,
    Protocol,
    Resources,
    ServiceSpec,
    Target,
    TcpProbe,
)
from tests.fixtures import NO_EXTENSIONS, catalog_of, facts
from tests.k8s_schema import validate_object

QUEUE = ServiceSpec(
    name="queue",
    image="team/queue:3.13.0",
    target=Target.AKS,
    ports=(Port(name="amqp", number=5672, protocol=Protocol.TCP),),
)
WAIT = InitContainer(
    name="wait-for-queue",
    image="team/wait:1.0.0",
    command=("wait-for", "$(QUEUE_ADDR)"),
    resources=Resources(cpu=0.25, memory="0.5Gi"),
)


def consumer(target: Target, *inits: InitContainer) -> ServiceSpec:
    return ServiceSpec(
        name="consumer",
        image="team/consumer:1.0.0",
        target=target,
        dependencies=(Dependency(service="queue", env="QUEUE_ADDR"),),
        init_containers=inits,
    )


def test_init_container_on_aks_has_the_main_container_s_security_and_the_addresses() -> None:
    catalog = catalog_of(consumer(Target.AKS, WAIT), QUEUE)
    objects = render_on_aks(
        catalog.get("consumer"),
        catalog=catalog,
        facts=facts(),
        extensions=NO_EXTENSIONS,
        client_id=None,
        secrets=ServiceSecrets(config_values={}),
    )
    for obj in objects:
        validate_object(obj)
    (deployment,) = [o for o in objects if o["kind"] == "Deployment"]
    pod = deployment["spec"]["template"]["spec"]
    (init,) = pod["initContainers"]
    assert init["name"] == "wait-for-queue"
    assert init["image"] == "shopdevacr.azurecr.io/team/wait:1.0.0"
    assert init["command"] == ["wait-for", "$(QUEUE_ADDR)"]
    assert init["securityContext"] == pod["containers"][0]["securityContext"]
    assert init["resources"]["limits"] == {"cpu": "250m", "memory": "512Mi"}
    assert {"name": "QUEUE_ADDR", "value": "queue.shop.svc.cluster.local:5672"} in init["env"]
    assert init["volumeMounts"] == [{"name": "writable-0", "mountPath": "/tmp"}]


def test_init_container_on_container_apps() -> None:
    callee = ServiceSpec(
        name="queue",
        image="team/queue:3.13.0",
        target=Target.CONTAINER_APPS,
        ports=(Port(name="amqp", number=5672, protocol=Protocol.TCP),),
    )
    catalog = catalog_of(consumer(Target.CONTAINER_APPS, WAIT), callee)
    plan: Any = render_on_container_apps(
        catalog.get("consumer"),
        catalog=catalog,
        facts=facts(),
        extensions=NO_EXTENSIONS,
        identity_id=None,
        pull_identity_id="pull",
        config_values={},
    )
    (init,) = plan.template.init_containers
    assert (init.name, init.command) == ("wait-for-queue", ["wait-for", "$(QUEUE_ADDR)"])
    assert (init.resources.cpu, init.resources.memory) == (0.25, "0.5Gi")
    assert [(e.name, e.value) for e in init.env] == [("QUEUE_ADDR", "queue:5672")]


def test_bad_init_containers_are_each_refused_together() -> None:
    bad = (
        InitContainer(name="consumer", image="team/wait", ingress=Ingress()),
        InitContainer(
            name="big",
            image="team/wait:1.0.0",
            resources=Resources(cpu=4, memory="8Gi"),
            env={"DB_PASSWORD": "hunter2"},
        ),
    )
    with pytest.raises(InvalidInput) as refused:
        catalog_of(consumer(Target.CONTAINER_APPS, *bad), QUEUE)
    text = "\n".join(p.render() for p in refused.value.problems)
    assert "init_containers[0].name = 'consumer': is already a container of this workload" in text
    assert "init_containers[0].ingress: an init container exits before the workload starts" in text
    assert "init_containers[0].image = 'team/wait': has no tag or digest" in text
    assert "init_containers[1].env['DB_PASSWORD']" in text
    assert "init_containers = 4.5 cores with the container: is above the 4 cores" in text


def test_prod_refuses_an_init_image_the_lock_does_not_pin() -> None:
    import dataclasses

    from infra.services.spec import Application
    from infra.services.validation import validate_applications
    from tests.fixtures import context

    healthy = ExecProbe(command=("test", "-f", "/tmp/healthy"))
    probed = dataclasses.replace(
        consumer(Target.AKS, WAIT), probes=Probes(readiness=healthy, liveness=healthy)
    )
    queue = dataclasses.replace(QUEUE, probes=Probes(liveness=TcpProbe()))
    apps = [Application(name="shop", services=(probed, queue))]
    with pytest.raises(InvalidInput) as refused:
        validate_applications(apps, dataclasses.replace(context(Environment.PROD), image_lock={}))
    assert any(p.path == "init_containers[0].image" for p in refused.value.problems)
    lock = dict.fromkeys(
        ("team/wait:1.0.0", "team/consumer:1.0.0", "team/queue:3.13.0"), "sha256:" + "a" * 64
    )
    catalog = validate_applications(
        apps, dataclasses.replace(context(Environment.PROD), image_lock=lock)
    )
    (init,) = catalog.get("consumer").spec.init_containers
    assert init.image == "team/wait:1.0.0@sha256:" + "a" * 64
