"""What every foundation component shares: where it lives, its tags, whether it is protected."""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field

import pulumi
from pulumi_azure_native import authorization, managedidentity, privatedns


@dataclass(frozen=True)
class Administrator:
    """Whoever deploys (the identity running `pulumi up`) or administers the platform (an Entra ID
    group): granted the data-plane rights services never get (cluster admin, vault officer)."""

    label: str
    """`deployer` or `admin-group-<n>`: part of each grant's name."""
    object_id: pulumi.Input[str]
    principal_type: authorization.PrincipalType


PREVIEW_DEPLOYER_ENV = "PLATFORM_PREVIEW_DEPLOYER_OBJECT_ID"
"""In a preview, the deploy identity's object id (pulumi-preview.yml sets it from the repository
variable AZURE_DEPLOY_OBJECT_ID): docs/deploying.md, "Pull-request previews"."""

_GUID = re.compile(r"^[0-9a-fA-F]{8}-([0-9a-fA-F]{4}-){3}[0-9a-fA-F]{12}$")


def deployer_object_id(running: pulumi.Input[str]) -> pulumi.Input[str]:
    """Whom the foundation grants as its deployer: `running`, the identity that runs the
    program (`getClientConfig`), except in a preview (`pulumi.runtime.is_dry_run()`) where
    PLATFORM_PREVIEW_DEPLOYER_OBJECT_ID names the deploy identity. A pull request previews as a
    read-only identity, and without it the preview would show the deployer's grants replaced by
    grants for that identity. An update (and an offline plan, which is not a dry run) ignores it,
    so it can never move a real grant."""
    named = os.environ.get(PREVIEW_DEPLOYER_ENV, "").strip()
    if not named or not pulumi.runtime.is_dry_run():
        return running
    if not _GUID.match(named):
        raise ValueError(
            f"{PREVIEW_DEPLOYER_ENV}={named!r} is not an object id (a GUID): set the repository "
            "variable AZURE_DEPLOY_OBJECT_ID to the deploy identity's object (principal) id, "
            "or leave it unset"
        )
    return named


def administrators(
    deployer_object_id: pulumi.Input[str],
    deployer_type: authorization.PrincipalType,
    admin_group_object_ids: tuple[str, ...],
) -> tuple[Administrator, ...]:
    return (
        Administrator("deployer", deployer_object_id, deployer_type),
        *(
            Administrator(f"admin-group-{index}", group, authorization.PrincipalType.GROUP)
            for index, group in enumerate(admin_group_object_ids)
        ),
    )


@dataclass(frozen=True)
class Placement:
    """Where a component's Azure resources go and what they carry."""

    resource_group_name: pulumi.Input[str]
    location: str
    tags: dict[str, str]
    subscription_id: pulumi.Input[str]
    protect_stateful: bool
    """Protect what loses data or breaks every workload when deleted (cluster, registry, logs)."""
    _role_ids: dict[str, pulumi.Output[str]] = field(
        default_factory=dict, compare=False, repr=False
    )
    """One Output per role, shared by every grant of it (hundreds of services, a few roles)."""

    def home(self, azure_type: str, name: str) -> Placement:
        """Where one Azure resource of a service goes (`azure_type`, e.g. `IDENTITY_TYPE` of
        infra/constants.py; `name`, its logical name): here. An application migrated from a single
        stack keeps the resources it adopted in the platform's group
        (`infra.stacks.view.ApplicationPlacement`)."""
        del azure_type, name
        return self

    def group_scope(self, group: pulumi.Input[str]) -> pulumi.Output[str]:
        """The Azure resource id of a resource group of this subscription (a role's scope)."""
        return pulumi.Output.concat(
            "/subscriptions/", self.subscription_id, "/resourceGroups/", group
        )

    def grant(
        self,
        name: str,
        *,
        role_guid: str,
        principal_id: pulumi.Input[str],
        scope: pulumi.Input[str],
        description: str,
        parent: pulumi.Resource,
        principal_type: authorization.PrincipalType = authorization.PrincipalType.SERVICE_PRINCIPAL,
    ) -> authorization.RoleAssignment:
        """A role for a principal: by default a managed identity, for which ServicePrincipal avoids
        the replication race of a just-created identity. Always explicit: the SDK would default to
        User, and Azure refuses a principalType that does not match the principal
        (UnmatchedPrincipalType)."""
        return authorization.RoleAssignment(
            name,
            principal_id=principal_id,
            principal_type=principal_type,
            role_definition_id=self.role_definition_id(role_guid),
            scope=scope,
            description=description,
            opts=pulumi.ResourceOptions(parent=parent),
        )

    def identity(self, name: str, parent: pulumi.Resource) -> managedidentity.UserAssignedIdentity:
        """A user-assigned identity here, so roles can be granted before its user exists."""
        return managedidentity.UserAssignedIdentity(
            name,
            resource_group_name=self.resource_group_name,
            location=self.location,
            tags=self.tags,
            opts=pulumi.ResourceOptions(parent=parent),
        )

    def private_zone(
        self,
        name: str,
        zone_name: pulumi.Input[str],
        vnet_id: pulumi.Input[str],
        parent: pulumi.Resource,
    ) -> privatedns.PrivateZone:
        """A private DNS zone resolvable inside the VNet (and only there)."""
        zone = privatedns.PrivateZone(
            name,
            private_zone_name=zone_name,
            resource_group_name=self.resource_group_name,
            location="global",
            tags=self.tags,
            opts=pulumi.ResourceOptions(parent=parent),
        )
        privatedns.VirtualNetworkLink(
            f"{name}-link",
            private_zone_name=zone.name,
            resource_group_name=self.resource_group_name,
            location="global",
            virtual_network=privatedns.SubResourceArgs(id=vnet_id),
            registration_enabled=False,
            tags=self.tags,
            opts=pulumi.ResourceOptions(parent=parent),
        )
        return zone

    def role_definition_id(self, role_guid: str) -> pulumi.Output[str]:
        if role_guid not in self._role_ids:
            self._role_ids[role_guid] = pulumi.Output.concat(
                "/subscriptions/",
                self.subscription_id,
                "/providers/Microsoft.Authorization/roleDefinitions/",
                role_guid,
            )
        return self._role_ids[role_guid]
