"""Dependency addresses in the forms clients take (a URI with a scheme and a suffix, a bare
host, a bare port), several variables from one dependency, on every target pair."""

from __future__ import annotations

import pytest

from infra.problems import InvalidInput
from infra.services.spec import AddressForm, Dependency, Port, Protocol, ServiceSpec, Target
from infra.services.wiring import dependency_env
from tests.fixtures import catalog_of, facts

ACA_DOMAIN = "happy-hill-1234.westeurope.azurecontainerapps.io"


def queue(target: Target) -> ServiceSpec:
    return ServiceSpec(
        name="order-queue",
        image="team/rabbitmq:3.13.0",
        target=target,
        ports=(
            Port(name="amqp", number=5672, protocol=Protocol.TCP),
            Port(name="management", number=15672),
        ),
    )


def client(target: Target, *deps: Dependency) -> ServiceSpec:
    return ServiceSpec(name="orders", image="team/orders:1.0.0", target=target, dependencies=deps)


ONE_QUEUE = (
    Dependency(
        service="order-queue",
        port="amqp",
        env="ORDER_QUEUE_HOSTNAME",
        form=AddressForm.HOST,
        also_env={"ORDER_QUEUE_PORT": AddressForm.PORT, "ORDER_QUEUE_URI": AddressForm.URL},
        scheme="amqp",
        suffix="/orders",
    ),
)


@pytest.mark.parametrize(
    ("callee_target", "caller_target", "host"),
    [
        (Target.AKS, Target.AKS, "order-queue.shop.svc.cluster.local"),
        (Target.AKS, Target.CONTAINER_APPS, "order-queue.shop.dev.shop.internal"),
        (Target.CONTAINER_APPS, Target.CONTAINER_APPS, "order-queue"),
        (Target.CONTAINER_APPS, Target.AKS, f"order-queue.{ACA_DOMAIN}"),
    ],
)
def test_one_dependency_gives_host_port_and_uri_on_every_target_pair(
    callee_target: Target, caller_target: Target, host: str
) -> None:
    catalog = catalog_of(queue(callee_target), client(caller_target, *ONE_QUEUE))
    env = {e.name: e.value for e in dependency_env(catalog.get("orders"), catalog, facts())}
    assert env == {
        "ORDER_QUEUE_HOSTNAME": host,
        "ORDER_QUEUE_PORT": "5672",
        "ORDER_QUEUE_URI": f"amqp://{host}:5672/orders",
    }


def test_a_suffix_follows_an_http_url_as_the_target_serves_it() -> None:
    api = ServiceSpec(
        name="api",
        image="team/api:1.0.0",
        target=Target.CONTAINER_APPS,
        ports=(Port(name="http", number=8080),),
    )
    dep = Dependency(service="api", env="API", suffix="/v2?tls=true")
    catalog = catalog_of(api, client(Target.CONTAINER_APPS, dep))
    (entry,) = dependency_env(catalog.get("orders"), catalog, facts())
    assert entry.value == f"https://api.internal.{ACA_DOMAIN}/v2?tls=true"


def test_address_forms_a_protocol_cannot_have_are_each_refused_together() -> None:
    bad = client(
        Target.AKS,
        # a mongodb:// URI for an http port
        Dependency(service="order-queue", port="management", env="A", scheme="mongodb"),
        Dependency(service="order-queue", port="amqp", env="B", scheme="amqp://"),
        Dependency(service="order-queue", port="amqp", env="C", suffix="tls=true"),
        Dependency(service="order-queue", port="amqp", env="D", suffix="/x"),
        Dependency(
            service="order-queue", port="amqp", env="E", form=AddressForm.HOST, scheme="amqp"
        ),
        # a port the callee does not expose
        Dependency(service="order-queue", port="stomp", env="F"),
        Dependency(service="order-queue", port="amqp", env="G", also_env={"G": AddressForm.PORT}),
    )
    with pytest.raises(InvalidInput) as refused:
        catalog_of(queue(Target.AKS), bad)
    text = "\n".join(p.render() for p in refused.value.problems)
    assert len(refused.value.problems) == 7, text
    assert (
        "dependencies[0].scheme = 'mongodb': is a scheme for a tcp protocol, but 'order-queue'"
        " speaks http on this port" in text
    )
    assert "dependencies[1].scheme = 'amqp://': is not a URL scheme" in text
    assert "dependencies[2].suffix = 'tls=true': must start with '/' or '?'" in text
    assert "dependencies[3].suffix = '/x': follows a URL, and this dependency has no URL" in text
    assert "dependencies[4].scheme = 'amqp': is only used by the URL form" in text
    assert "dependencies[5].port = 'stomp': 'order-queue' has no such port" in text
    assert (
        "dependencies[6].also_env = 'G': is already set by env, secrets or another dependency → choose another variable name in also_env"
        in text
    )


def test_network_policy_opens_only_the_port_each_caller_uses() -> None:
    """RabbitMQ's management port is not opened to its AMQP clients (issue: NetworkPolicy
    opened every port of the callee to every caller)."""
    from infra.services.render.aks import ServiceSecrets, render_on_aks
    from tests.fixtures import NO_EXTENSIONS
    from tests.k8s_schema import validate_object

    admin = ServiceSpec(
        name="queue-admin",
        image="team/admin:1.0.0",
        target=Target.AKS,
        dependencies=(Dependency(service="order-queue", port="management"),),
    )
    catalog = catalog_of(queue(Target.AKS), client(Target.AKS, *ONE_QUEUE), admin)
    objects = render_on_aks(
        catalog.get("order-queue"),
        catalog=catalog,
        facts=facts(),
        extensions=NO_EXTENSIONS,
        client_id=None,
        secrets=ServiceSecrets(config_values={}),
    )
    (policy,) = [o for o in objects if o["kind"] == "NetworkPolicy"]
    validate_object(policy)
    allowed = {
        rule["from"][0]["podSelector"]["matchLabels"]["app.kubernetes.io/name"]: [
            p["port"] for p in rule["ports"]
        ]
        for rule in policy["spec"]["ingress"]
    }
    assert allowed == {"orders": [5672], "queue-admin": [15672]}
