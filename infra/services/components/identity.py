"""A service's own Azure identity and exactly the roles it declared (least privilege)."""

from __future__ import annotations

from dataclasses import dataclass

import pulumi
from pulumi_azure_native import authorization, managedidentity

from infra.constants import IDENTITY_TYPE
from infra.foundation.common import Placement
from infra.foundation.propagation import DATA_PLANE_PROPAGATION, propagation_wait
from infra.services.patterns import scaler_secret_name
from infra.services.roles import (
    KEY_VAULT_SECRETS_USER,
    expand,
    queue_trigger,
    role_guid,
    scaler_grant,
)
from infra.services.spec import JobSpec, KedaScaler, KeyVaultSecret, ServiceSpec


@dataclass(frozen=True)
class ServiceIdentity:
    identity: managedidentity.UserAssignedIdentity
    grants: tuple[authorization.RoleAssignment, ...]
    placement: Placement
    """Where the identity is (its federated credentials, its children, go there too)."""


def reads_key_vault(spec: ServiceSpec | JobSpec) -> bool:
    """Key Vault secrets as environment variables or (services) as files."""
    return bool(getattr(spec, "secret_files", None)) or any(
        isinstance(r, KeyVaultSecret) for r in spec.secrets.values()
    )


def needs_identity(spec: ServiceSpec | JobSpec) -> bool:
    return spec.identity is not None or reads_key_vault(spec) or queue_trigger(spec) is not None


def create_identity(
    parent: pulumi.Resource,
    spec: ServiceSpec | JobSpec,
    placement: Placement,
    environment: str,
    platform_vault_id: pulumi.Input[str],
    *,
    certificates: tuple[str, ...] = (),
) -> ServiceIdentity | None:
    """An identity only for services that use Azure: roles as declared, and Key Vault Secrets
    User on each referenced secret alone (not the vault). `certificates`: platform-vault
    certificates the service's pods sync for its Gateway listener (read as secrets)."""
    if not needs_identity(spec) and not certificates:
        return None
    name = f"{spec.name}-identity"
    home = placement.home(IDENTITY_TYPE, name)
    identity = home.identity(name, parent)
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
    queue = queue_trigger(spec)
    if queue is not None and not isinstance(queue, KedaScaler):
        # The scaler (KEDA on AKS, the Container Apps scaler) reads the queue's length with this
        # identity: a right the service's own role may not include.
        scaler = scaler_grant(queue)
        grants.append(
            placement.grant(
                f"{spec.name}-scaler",
                role_guid=scaler.role_guid,
                principal_id=identity.principal_id,
                scope=pulumi.Output.from_input(placement.subscription_id).apply(
                    lambda subscription, template=scaler.scope: expand(
                        template, subscription, environment
                    )
                ),
                description=f"{spec.name}'s scaler reads the queue length ({scaler.role_name})",
                parent=parent,
            )
        )
    vault_refs = [
        (variable.lower().replace("_", "-"), ref)
        for variable, ref in sorted(spec.secrets.items())
        if isinstance(ref, KeyVaultSecret)
    ] + [(f"file-{file}", ref) for file, ref in sorted(spec.secret_files.items())]
    vault_refs += [(f"tls-{name}", KeyVaultSecret(name=name)) for name in certificates]
    if isinstance(queue, KedaScaler):
        # The scaler's credentials: KEDA (on AKS, TriggerAuthentication `azureKeyVault`) or
        # Container Apps (a Key Vault reference secret) reads each as this identity.
        vault_refs += [(scaler_secret_name(p), ref) for p, ref in sorted(queue.auth.items())]
    for label, ref in vault_refs:
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
                f"{spec.name}-secret-{label}",
                role_guid=KEY_VAULT_SECRETS_USER,
                principal_id=identity.principal_id,
                scope=scope,
                description=f"{spec.name} reads {ref.name}",
                parent=parent,
            )
        )
    return ServiceIdentity(identity, tuple(grants), home)


def grants_in_force(
    parent: pulumi.Resource, name: str, identity: ServiceIdentity
) -> pulumi.Resource:
    """A wait until the identity's grants apply: what reads secrets or pulls images at creation
    (a Container Apps revision or job, a pod mounting Key Vault secrets) depends on it (Key Vault
    RBAC: up to 10 minutes; microsoft/azure-container-apps#1159)."""
    return propagation_wait(
        f"{name}-rbac-propagation",
        duration=DATA_PLANE_PROPAGATION,
        grants=identity.grants,
        triggers={"identity": identity.identity.principal_id},
        parent=parent,
    )
