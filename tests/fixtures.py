"""Plain (Output-free) inputs for the pure renderers: the reference catalog and platform facts."""

from __future__ import annotations

from collections.abc import Mapping

from infra.config import Environment
from infra.services.loader import load_applications
from infra.services.render.common import PlatformExtensions, PlatformFacts
from infra.services.spec import Application, ServiceSpec
from infra.services.validation import Catalog, ValidationContext, validate_applications

NO_EXTENSIONS = PlatformExtensions()


def facts(environment: Environment = Environment.DEV, *, internal: bool = False) -> PlatformFacts:
    return PlatformFacts(
        environment=environment,
        zonal=environment is Environment.PROD,
        registry_server="shopdevacr.azurecr.io",
        container_apps_domain="happy-hill-1234.westeurope.azurecontainerapps.io",
        container_apps_internal=internal,
        container_apps_subnet_cidr="10.20.8.0/23",
        aks_nodes_subnet_cidr="10.20.0.0/22",
        aks_egress_ip="198.51.100.7",
        private_zone="dev.shop.internal",
        tenant_id="11111111-1111-1111-1111-111111111111",
        key_vault_name="kv-shop-dev",
        key_vault_id="/subscriptions/0/resourceGroups/rg-shop-dev/providers/Microsoft.KeyVault/vaults/kv-shop-dev",
        subscription_id="00000000-0000-0000-0000-000000000000",
    )


def context(
    environment: Environment = Environment.DEV, secrets: Mapping[str, bool] | None = None
) -> ValidationContext:
    return ValidationContext(environment, dict(secrets or {}), f"kv-shop-{environment.value}")


def reference_catalog(environment: Environment = Environment.DEV) -> Catalog:
    return validate_applications(load_applications(), context(environment))


def catalog_of(
    *services: ServiceSpec,
    environment: Environment = Environment.DEV,
    secrets: Mapping[str, bool] | None = None,
) -> Catalog:
    return validate_applications(
        [Application(name="shop", services=tuple(services), source="apps/test.py")],
        context(environment, secrets),
    )
