"""A service's own Azure identity and exactly the roles it declared (least privilege)."""

from __future__ import annotations

from dataclasses import dataclass

import pulumi
from pulumi_azure_native import authorization, managedidentity

from infra.foundation.common import Placement
from infra.services.roles import KEY_VAULT_SECRETS_USER, expand, role_guid
from infra.services.spec import JobSpec, KeyVaultSecret, ServiceSpec


@dataclass(frozen=True)
class ServiceIdentity:
    identity: managedidentity.UserAssignedIdentity
    grants: tuple[authorization.RoleAssignment, ...]


def needs_identity(spec: ServiceSpec | JobSpec) -> bool:
    return spec.identity is not None or any(
        isinstance(r, KeyVaultSecret) for r in spec.secrets.values()
    )


def create_identity(
    parent: pulumi.Resource,
    spec: ServiceSpec | JobSpec,
    placement: Placement,
    environment: str,
    platform_vault_id: pulumi.Input[str],
) -> ServiceIdentity | None:
    """An identity only for services that use Azure: roles as declared, and Key Vault Secrets
    User on each referenced secret alone (not the vault)."""
    if not needs_identity(spec):
        return None
    identity = placement.identity(f"{spec.name}-identity", parent)
    grants: list[authorization.RoleAssignment] = []
    declared = spec.identity.roles if spec.identity else ()
    for index, grant in enumerate(declared):
        guid = role_guid(grant.role)
        assert guid is not None, "validated: roles are known"
        scope = pulumi.Output.from_input(placement.subscription_id).apply(
            lambda subscription, template=grant.scope: expand(template, subscription, environment)
        )
        grants.append(
            placement.grant(
                f"{spec.name}-role-{index}",
                role_guid=guid,
                principal_id=identity.principal_id,
                scope=scope,
                description=f"{spec.name}: {grant.role}",
                parent=parent,
            )
        )
    for variable, ref in sorted(spec.secrets.items()):
        if not isinstance(ref, KeyVaultSecret):
            continue
        vault: pulumi.Input[str] = (
            platform_vault_id
            if ref.vault_id is None
            else pulumi.Output.from_input(placement.subscription_id).apply(
                lambda subscription, template=ref.vault_id: expand(
                    template, subscription, environment
                )
            )
        )
        scope = pulumi.Output.concat(vault, "/secrets/", ref.name)
        grants.append(
            placement.grant(
                f"{spec.name}-secret-{variable.lower().replace('_', '-')}",
                role_guid=KEY_VAULT_SECRETS_USER,
                principal_id=identity.principal_id,
                scope=scope,
                description=f"{spec.name} reads {ref.name}",
                parent=parent,
            )
        )
    return ServiceIdentity(identity, tuple(grants))
