"""The platform Key Vault: service secrets and TLS certificates, read only by managed identity."""

from __future__ import annotations

from dataclasses import dataclass

import pulumi
from pulumi_azure_native import keyvault

from infra.constants import KEY_VAULT_CERTIFICATES_OFFICER_ROLE, KEY_VAULT_SECRETS_OFFICER_ROLE
from infra.foundation.common import Administrator, Placement


@dataclass(frozen=True)
class KeyVaultArgs:
    placement: Placement
    vault_name: str
    tenant_id: pulumi.Input[str]
    administrators: tuple[Administrator, ...]
    """The deployer and the admin groups: they seed the secrets and certificates services read."""
    public_network_access: bool = True
    """False: reachable only through its private endpoint (trusted Azure services excepted)."""
    recover_soft_deleted: bool = False
    """Recreate by recovering the soft-deleted vault of the same name (after a destroy)."""


class KeyVault(pulumi.ComponentResource):
    """RBAC-only (no access policies): each service identity is granted single secrets."""

    vault_id: pulumi.Output[str]
    vault_name: pulumi.Output[str]
    vault_uri: pulumi.Output[str]

    def __init__(
        self, name: str, args: KeyVaultArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__("platform:foundation:KeyVault", name, None, opts)
        placement = args.placement
        vault = keyvault.Vault(
            f"{name}-vault",
            vault_name=args.vault_name,
            resource_group_name=placement.resource_group_name,
            location=placement.location,
            properties=keyvault.VaultPropertiesArgs(
                tenant_id=args.tenant_id,
                sku=keyvault.SkuArgs(family=keyvault.SkuFamily.A, name=keyvault.SkuName.STANDARD),
                enable_rbac_authorization=True,
                # A destroyed vault stays soft-deleted and keeps its name: recover it.
                create_mode=keyvault.CreateMode.RECOVER if args.recover_soft_deleted else None,
                enable_soft_delete=True,
                soft_delete_retention_in_days=90,
                # Purge protection cannot be turned off again: only where state is protected.
                enable_purge_protection=True if placement.protect_stateful else None,
                enabled_for_deployment=False,
                enabled_for_disk_encryption=False,
                enabled_for_template_deployment=False,
                public_network_access="Enabled" if args.public_network_access else "Disabled",
                network_acls=(
                    None
                    if args.public_network_access
                    else keyvault.NetworkRuleSetArgs(
                        default_action=keyvault.NetworkRuleAction.DENY,
                        bypass=keyvault.NetworkRuleBypassOptions.AZURE_SERVICES,
                    )
                ),
            ),
            tags=placement.tags,
            opts=pulumi.ResourceOptions(parent=self, protect=placement.protect_stateful),
        )
        # RBAC-only: without a data-plane role nobody (not even the subscription Owner) can write
        # the secrets the services read. The deployer and the admin groups seed them
        # (docs/deploying.md, "First deploy"); services only ever get Secrets User on their own
        # secrets.
        for admin in args.administrators:
            for what, role in (
                ("secrets", KEY_VAULT_SECRETS_OFFICER_ROLE),
                ("certificates", KEY_VAULT_CERTIFICATES_OFFICER_ROLE),
            ):
                placement.grant(
                    f"{name}-{admin.label}-{what}-officer",
                    role_guid=role,
                    principal_id=admin.object_id,
                    scope=vault.id,
                    description=f"Seeds the platform vault's {what}",
                    parent=self,
                    principal_type=admin.principal_type,
                )
        self.vault_id = vault.id
        self.vault_name = vault.name
        self.vault_uri = vault.properties.apply(lambda p: p.vault_uri or "")
        self.register_outputs({"vaultId": self.vault_id, "vaultUri": self.vault_uri})


def secret_exists(resource_group: str, vault: str, name: str) -> bool:
    """Whether Azure Resource Manager knows the secret (a certificate has a same-named secret).

    Metadata only, through the management plane (`Microsoft.KeyVault/vaults/secrets/read`, part of
    Owner/Contributor/Reader): it works before any data-plane grant has propagated. A missing vault
    counts as a missing secret.
    """
    try:
        keyvault.get_secret(resource_group_name=resource_group, vault_name=vault, secret_name=name)
    except Exception:
        return False
    return True
