"""What `deploy_services` reads of the foundation, as a protocol: the seam between the platform
and the services.

In a `single` stack the foundation's own components (`infra.foundation.platform.Foundation`)
satisfy it; in an application stack (`platform:mode: application`) the platform contract does
(`infra.stacks.view.ContractFoundation`), built from the platform stack's outputs instead of
from resources (docs/team-stacks.md). Only read-only properties, so either may hold Outputs or
plain values.
"""

from __future__ import annotations

import ipaddress
from typing import Protocol

import pulumi

from infra.foundation.common import Placement
from infra.foundation.gateway import GatewayForContainers


class NetworkView(Protocol):
    @property
    def internal_ingress_address(self) -> ipaddress.IPv4Address: ...


class ConfigView(Protocol):
    @property
    def network(self) -> NetworkView: ...
    @property
    def private_dns_zone(self) -> str: ...


class AksView(Protocol):
    @property
    def oidc_issuer_url(self) -> pulumi.Input[str]: ...


class VaultView(Protocol):
    @property
    def vault_id(self) -> pulumi.Input[str]: ...


class PrivateNetworkView(Protocol):
    @property
    def private_zone_name(self) -> pulumi.Input[str]: ...
    @property
    def private_zone_group(self) -> pulumi.Input[str] | None:
        """None: the zone is in the placement's resource group."""
        ...


class ContainerAppsView(Protocol):
    @property
    def environment_id(self) -> pulumi.Input[str]: ...
    @property
    def environment_name(self) -> pulumi.Input[str]: ...
    @property
    def certificate_identity_id(self) -> pulumi.Input[str]: ...
    @property
    def certificates_ready(self) -> pulumi.Resource: ...
    @property
    def default_domain(self) -> pulumi.Input[str]: ...
    @property
    def static_ip(self) -> pulumi.Input[str]: ...
    @property
    def domain_verification_id(self) -> pulumi.Input[str]: ...
    @property
    def environment_group(self) -> pulumi.Input[str] | None:
        """None: the environment is in the placement's resource group."""
        ...


class RegistryView(Protocol):
    @property
    def pull_identity_id(self) -> pulumi.Input[str]: ...
    @property
    def pull_ready(self) -> pulumi.Resource: ...


class FoundationView(Protocol):
    """The foundation as the service components see it."""

    @property
    def config(self) -> ConfigView: ...
    @property
    def placement(self) -> Placement: ...
    @property
    def aks(self) -> AksView: ...
    @property
    def key_vault(self) -> VaultView: ...
    @property
    def network(self) -> PrivateNetworkView: ...
    @property
    def container_apps(self) -> ContainerAppsView: ...
    @property
    def registry(self) -> RegistryView: ...
    @property
    def gateway(self) -> GatewayForContainers | None:
        """The shared public gateway the stack installs the ALB controller for; None in an
        application stack (the platform stack owns it)."""
        ...
