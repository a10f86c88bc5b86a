"""Every object the AKS renderers make of one workload, rendered with placeholder platform
facts: what validation's name check (`infra.services.api_limits.name_problems`) reads. The
program and the preflight hand `aks_objects` to validation in `ValidationContext.aks_objects`,
so validation needs no import of the renderers. Names do not depend on the facts' values.
"""

from __future__ import annotations

from typing import Any

from infra.config import Environment
from infra.services.catalog import Catalog, Planned, PlannedJob
from infra.services.render.aks import ServiceSecrets, render_job_on_aks, render_on_aks
from infra.services.render.common import (
    GatewayFacts,
    InternalGatewayFacts,
    PlatformExtensions,
    PlatformFacts,
)
from infra.services.spec import ConfigSecret


def _placeholder_facts() -> PlatformFacts:
    """Facts that make every object of the workload render (both Gateway paths on); names do
    not depend on their values."""
    return PlatformFacts(
        environment=Environment.DEV,
        zonal=True,
        registry_server="registry.example",
        container_apps_domain="example.invalid",
        container_apps_internal=False,
        container_apps_subnet_cidr="10.0.8.0/23",
        aks_nodes_subnet_cidr="10.0.0.0/22",
        aks_egress_ip="192.0.2.1",
        private_zone="internal.example",
        tenant_id="00000000-0000-0000-0000-000000000000",
        key_vault_name="kv-placeholder",
        key_vault_id="/subscriptions/0/resourceGroups/rg/providers/Microsoft.KeyVault/vaults/kv",
        subscription_id="00000000-0000-0000-0000-000000000000",
        gateway=GatewayFacts(traffic_controller_id="agc", subnet_cidr="10.0.4.0/24"),
        internal_gateway=InternalGatewayFacts("10.0.0.250"),
    )


def aks_objects(planned: Planned, catalog: Catalog) -> list[dict[str, Any]]:
    """The AKS objects of `planned` (a service or a job) in `catalog`."""
    common: dict[str, Any] = {
        "catalog": catalog,
        "facts": _placeholder_facts(),
        "extensions": PlatformExtensions(),
        "client_id": "00000000-0000-0000-0000-000000000000",
        # Placeholders for the config secrets (their values never shape a name).
        "secrets": ServiceSecrets(
            config_values={
                variable: "placeholder"
                for variable, ref in planned.spec.secrets.items()
                if isinstance(ref, ConfigSecret)
            }
        ),
    }
    if isinstance(planned, PlannedJob):
        return render_job_on_aks(planned, **common)
    return render_on_aks(planned, **common)
