"""Container Apps rendering: ingress, scale, secrets, identity, probes and sizes."""

from __future__ import annotations

from typing import Any

from infra.config import Environment
from infra.services.catalog import Catalog
from infra.services.render.container_apps import render_on_container_apps
from infra.services.spec import (
    ConfigSecret,
    Dependency,
    GrpcProbe,
    Port,
    Probes,
    Protocol,
    ServiceSpec,
    Target,
)
from tests.fixtures import NO_EXTENSIONS, catalog_of, facts, reference_catalog

IDENTITY = "/subscriptions/0/resourceGroups/rg/providers/Microsoft.ManagedIdentity/userAssignedIdentities/svc"
PULL = "/subscriptions/0/resourceGroups/rg/providers/Microsoft.ManagedIdentity/userAssignedIdentities/pull"


def render(
    catalog: Catalog,
    name: str,
    *,
    internal: bool = False,
    identity: str | None = IDENTITY,
    secrets: dict[str, Any] | None = None,
    certificate_id: str | None = None,
    environment: Environment = Environment.DEV,
) -> Any:
    """The plan, typed loosely: Args attributes are declared as Input unions."""
    return render_on_container_apps(
        catalog.get(name),
        catalog=catalog,
        facts=facts(environment, internal=internal),
        extensions=NO_EXTENSIONS,
        identity_id=identity,
        pull_identity_id=PULL,
        config_values=secrets or {},
        certificate_id=certificate_id,
    )


def test_public_web_front_end() -> None:
    plan = render(reference_catalog(), "web")
    ingress = plan.configuration.ingress
    assert ingress is not None
    assert ingress.external is True
    assert ingress.allow_insecure is False
    assert ingress.target_port == 8080
    assert ingress.ip_security_restrictions is None
    assert [(t.latest_revision, t.weight) for t in ingress.traffic] == [(True, 100)]
    assert plan.configuration.active_revisions_mode == "Single"
    rules = plan.template.scale.rules
    assert [r.name for r in rules] == ["http"]
    assert rules[0].http.metadata == {"concurrentRequests": "80"}
    assert (plan.template.scale.min_replicas, plan.template.scale.max_replicas) == (1, 10)


def test_registry_pull_by_managed_identity_only() -> None:
    plan = render(reference_catalog(), "web", identity=None)
    registry = plan.configuration.registries[0]
    assert registry.server == "shopdevacr.azurecr.io"
    assert registry.identity == PULL
    assert registry.password_secret_ref is None
    assert plan.identity.user_assigned_identities == [PULL]
    assert plan.template.containers[0].image == "shopdevacr.azurecr.io/storefront/web:2.8.1"


def test_key_vault_secret_references_through_the_service_identity() -> None:
    plan = render(reference_catalog(), "payment-api")
    secret = plan.configuration.secrets[0]
    assert secret.name == "payment-provider-key"
    assert (
        secret.key_vault_url == "https://kv-shop-dev.vault.azure.net/secrets/payment-provider-key"
    )
    assert secret.identity == IDENTITY
    assert secret.value is None
    env = {e.name: e for e in plan.template.containers[0].env}
    assert env["PAYMENT_PROVIDER_KEY"].secret_ref == "payment-provider-key"
    assert env["PAYMENT_PROVIDER_KEY"].value is None
    assert plan.identity.user_assigned_identities == [PULL, IDENTITY]


def test_config_secret_is_a_container_app_secret() -> None:
    catalog = catalog_of(
        ServiceSpec(
            name="api",
            image="api:1.0",
            target=Target.CONTAINER_APPS,
            ports=(Port(name="http", number=8080),),
            secrets={"API_TOKEN": ConfigSecret(key="api-token")},
        ),
        secrets={"secrets:api-token": True},
    )
    plan = render(catalog, "api", identity=None, secrets={"API_TOKEN": "s3cr3t"})
    assert plan.configuration.secrets[0].name == "api-token"
    assert plan.configuration.secrets[0].value == "s3cr3t"


def test_queue_worker_scales_to_zero_on_service_bus_with_its_identity() -> None:
    plan = render(reference_catalog(), "order-worker")
    scale = plan.template.scale
    assert scale.min_replicas == 0
    rule = scale.rules[0]
    assert rule.custom.type == "azure-servicebus"
    assert rule.custom.identity == IDENTITY
    assert rule.custom.metadata == {
        "namespace": "sb-storefront-dev",
        "queueName": "orders",
        "messageCount": "10",
    }
    assert plan.configuration.ingress is None, "a worker without ports has no ingress"


def test_service_called_only_from_container_apps_stays_inside_the_environment() -> None:
    catalog = reference_catalog()
    # notification-service is on AKS; identity-api is called by it, payment-api by ordering (AKS).
    payment = render(catalog, "payment-api").configuration.ingress
    assert payment is not None
    assert payment.external is True, "AKS calls it, and AKS is outside the environment"
    restriction = payment.ip_security_restrictions[0]
    assert (restriction.action, restriction.ip_address_range) == ("Allow", "198.51.100.7/32")
    internal_env = render(catalog, "payment-api", internal=True).configuration.ingress
    assert internal_env.ip_security_restrictions[0].ip_address_range == "10.20.0.0/22"


def test_environment_internal_callers_only() -> None:
    catalog = catalog_of(
        ServiceSpec(
            name="front",
            image="front:1.0",
            target=Target.CONTAINER_APPS,
            ports=(Port(name="http", number=8080),),
            dependencies=(),
        ),
        ServiceSpec(
            name="caller",
            image="caller:1.0",
            target=Target.CONTAINER_APPS,
            dependencies=(Dependency(service="front"),),
        ),
    )
    ingress = render(catalog, "front").configuration.ingress
    assert ingress is not None
    assert ingress.external is False
    env = {e.name: e.value for e in render(catalog, "caller").template.containers[0].env}
    # Environment-only ingress answers on <app>.internal.<domain>, over TLS.
    assert (
        env["FRONT_URL"]
        == "https://front.internal.happy-hill-1234.westeurope.azurecontainerapps.io"
    )


def test_grpc_uses_http2_and_grpc_probes_become_tcp() -> None:
    catalog = catalog_of(
        ServiceSpec(
            name="rpc",
            image="rpc:1.0",
            target=Target.CONTAINER_APPS,
            ports=(Port(name="grpc", number=50051, protocol=Protocol.GRPC),),
            probes=Probes(readiness=GrpcProbe(), liveness=GrpcProbe()),
        ),
        ServiceSpec(
            name="client",
            image="client:1.0",
            target=Target.CONTAINER_APPS,
            dependencies=(Dependency(service="rpc"),),
        ),
    )
    plan = render(catalog, "rpc")
    assert plan.configuration.ingress.transport == "http2"
    probes = plan.template.containers[0].probes
    assert [(p.type, p.tcp_socket.port) for p in probes] == [
        ("Readiness", 50051),
        ("Liveness", 50051),
    ]


def test_resources_and_fixed_replicas() -> None:
    plan = render(reference_catalog(Environment.PROD), "identity-api", environment=Environment.PROD)
    resources = plan.template.containers[0].resources
    assert (resources.cpu, resources.memory) == (0.5, "1Gi")
    assert (plan.template.scale.min_replicas, plan.template.scale.max_replicas) == (3, 3)


def test_readonly_defaults_writable_tmp_and_graceful_termination() -> None:
    plan = render(reference_catalog(), "web")
    assert plan.template.volumes[0].storage_type == "EmptyDir"
    assert plan.template.containers[0].volume_mounts[0].mount_path == "/tmp"
    assert plan.template.termination_grace_period_seconds == 30
    assert plan.template.containers[0].probes[0].type == "Readiness"


def test_custom_domain_binds_the_environment_certificate_in_prod() -> None:
    plan = render(
        reference_catalog(Environment.PROD),
        "web",
        certificate_id="cert-id",
        environment=Environment.PROD,
    )
    domain = plan.configuration.ingress.custom_domains[0]
    assert (domain.name, domain.binding_type, domain.certificate_id) == (
        "shop.example.com",
        "SniEnabled",
        "cert-id",
    )
