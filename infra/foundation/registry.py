"""The container registry and the identity Container Apps pull images with."""

from __future__ import annotations

from dataclasses import dataclass

import pulumi
from pulumi_azure_native import containerregistry

from infra.config import RegistryConfig
from infra.constants import ACR_PULL_ROLE
from infra.foundation.common import Placement
from infra.foundation.propagation import DATA_PLANE_PROPAGATION, propagation_wait


@dataclass(frozen=True)
class RegistryArgs:
    placement: Placement
    config: RegistryConfig
    registry_name: str
    """Globally unique, 5-50 alphanumerics: derived from the stack's name prefix and environment."""


class Registry(pulumi.ComponentResource):
    """ACR with the admin user off: every pull is by managed identity, so no password exists."""

    registry_id: pulumi.Output[str]
    login_server: pulumi.Output[str]
    pull_identity_id: pulumi.Output[str]
    pull_identity_client_id: pulumi.Output[str]
    pull_ready: pulumi.Resource
    """Waited for by every Container App: the pull identity's AcrPull has propagated."""

    def __init__(
        self, name: str, args: RegistryArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__("platform:foundation:Registry", name, None, opts)
        placement = args.placement
        registry = containerregistry.Registry(
            f"{name}-acr",
            registry_name=args.registry_name,
            resource_group_name=placement.resource_group_name,
            location=placement.location,
            sku=containerregistry.SkuArgs(name=args.config.sku),
            admin_user_enabled=False,
            anonymous_pull_enabled=False,
            # Disabled: pushes and pulls only through the private endpoint.
            public_network_access=(
                containerregistry.PublicNetworkAccess.ENABLED
                if args.config.public_network_access
                else containerregistry.PublicNetworkAccess.DISABLED
            ),
            # Zone redundancy is a Premium feature; Basic/Standard would reject the setting.
            zone_redundancy=(
                containerregistry.ZoneRedundancy.ENABLED
                if args.config.sku == "Premium"
                else containerregistry.ZoneRedundancy.DISABLED
            ),
            tags=placement.tags,
            opts=pulumi.ResourceOptions(parent=self, protect=placement.protect_stateful),
        )
        pull_identity = placement.identity(f"{name}-pull", self)
        pull_grant = placement.grant(
            f"{name}-pull-acrpull",
            role_guid=ACR_PULL_ROLE,
            principal_id=pull_identity.principal_id,
            scope=registry.id,
            description="Container Apps pull images with this identity",
            parent=self,
        )
        self.pull_ready = propagation_wait(
            f"{name}-pull-propagation",
            duration=DATA_PLANE_PROPAGATION,
            grants=[pull_grant],
            triggers={"identity": pull_identity.principal_id},
            parent=self,
        )
        self.registry_id = registry.id
        self.login_server = registry.login_server
        self.pull_identity_id = pull_identity.id
        self.pull_identity_client_id = pull_identity.client_id
        self.register_outputs(
            {
                "registryId": self.registry_id,
                "loginServer": self.login_server,
                "pullIdentityId": self.pull_identity_id,
            }
        )
