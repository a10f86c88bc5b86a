"""Rules of Key Vault references: the object must exist, its reader must be allowed in time."""

from __future__ import annotations

from collections.abc import Iterator

from infra.plan.kinds import KEYVAULT_SECRET, VAULT
from infra.plan.paths import value_at
from infra.simulate.azure import (
    KEY_VAULT_ADMINISTRATOR,
    KEY_VAULT_CERTIFICATE_USER,
    KEY_VAULT_SECRETS_OFFICER,
    KEY_VAULT_SECRETS_USER,
)
from infra.simulate.references import ACA_CERTIFICATE, MANAGED_ENVIRONMENT, vault_reads
from infra.simulate.registry import Refusal, StepContext, rule

SECRET_READERS = {KEY_VAULT_SECRETS_USER, KEY_VAULT_SECRETS_OFFICER, KEY_VAULT_ADMINISTRATOR}
CERTIFICATE_READERS = {*SECRET_READERS, KEY_VAULT_CERTIFICATE_USER}

# Azure RBAC data-plane roles take minutes to apply ("Latency for role assignments - it can
# take several minutes", Key Vault docs, "Migrate from vault access policy to Azure RBAC");
# the model uses the 5 minutes AKS documents for its own RBAC, the same for every data plane.
DATA_PLANE_PROPAGATION_S = 300.0


def _vault_group(ctx: StepContext, vault: str) -> str:
    for resource in [*ctx.plan.of_type(VAULT), *ctx.world.resources.values()]:
        if resource.type == VAULT and str(resource.inputs.get("vaultName") or "").lower() == vault:
            return str(resource.inputs.get("resourceGroupName") or "")
    return ""


def _created_in_plan(ctx: StepContext, vault: str, name: str) -> bool:
    return any(
        str(r.inputs.get("vaultName") or "").lower() == vault and r.inputs.get("secretName") == name
        for r in ctx.existing(KEYVAULT_SECRET)
    )


@rule(
    "keyvault-secret-missing",
    refuses="a Key Vault secret/certificate reference (Container App secret, custom-domain "
    "certificate, SecretProviderClass mount, app-routing TLS annotation) to an object the vault "
    "does not hold",
    source='microsoft/azure-container-apps#1159, #930 ("Unable to get value using Managed '
    'identity"); Secrets Store CSI driver mount errors; issue 11 defect 2',
)
def secret_exists(ctx: StepContext) -> Iterator[Refusal]:
    """Container Apps resolve Key Vault references when the revision is provisioned, and the
    CSI driver when the pod mounts: a missing object fails the deploy (or leaves pods in
    ContainerCreating until Pulumi's await times out). The vault is new on a first deploy, so
    the object must be seeded between the foundation and the services."""
    for read in vault_reads(ctx):
        target = read.object
        if ctx.world.has_secret(target.vault, target.name) or _created_in_plan(
            ctx, target.vault, target.name
        ):
            continue
        yield ctx.refuse(
            "keyvault-secret-missing",
            f"it reads {read.url}, which vault {target.vault} does not hold.",
            f"seed it before the services are deployed: `az keyvault "
            f"{'certificate import' if target.kind == 'certificates' else 'secret set'} "
            f"--vault-name {target.vault} --name {target.name} …` (first deploy: foundation, "
            "then seed, then services).",
        )


@rule(
    "keyvault-reader-grant",
    refuses="a Key Vault reference read by an identity without a propagated Key Vault Secrets "
    "User/Officer/Administrator (or, for certificates, Certificate User) grant on the vault or "
    "the object",
    source="Key Vault RBAC docs (role latency: several minutes); azure-container-apps#1159; "
    "issue 11 defect 2 and risk 'role-assignment propagation'",
)
def reader_granted(ctx: StepContext) -> Iterator[Refusal]:
    """The vault authorizes with Azure RBAC only, so the reading identity needs a data-plane
    role on the vault or the object, done and propagated before the read."""
    for read in vault_reads(ctx):
        target = read.object
        roles = CERTIFICATE_READERS if target.kind == "certificates" else SECRET_READERS
        age = ctx.grant_age(
            read.reader, roles, target.scope_suffixes, _vault_group(ctx, target.vault)
        )
        fix = (
            f"grant Key Vault Secrets User on {target.vault}/{target.name} to {read.who}, and "
            f"make this resource wait for the grant plus a Sleep of at least "
            f"{DATA_PLANE_PROPAGATION_S:.0f}s (the `<service>-rbac-propagation` Sleep)."
        )
        if read.reader is None:
            yield ctx.refuse(
                "keyvault-reader-grant",
                f"it reads {read.url} with {read.who}, an identity the plan does not define.",
                fix,
            )
        elif age is None:
            yield ctx.refuse(
                "keyvault-reader-grant",
                f"{read.who} has no read grant on {read.url} in place when this is created.",
                fix,
            )
        elif age < DATA_PLANE_PROPAGATION_S:
            yield ctx.refuse(
                "keyvault-reader-grant",
                f"{read.who}'s grant on {read.url} is only guaranteed {age:.0f} s old when this "
                f"is created; it needs up to {DATA_PLANE_PROPAGATION_S:.0f} s to apply.",
                fix,
            )


@rule(
    "aca-certificate-url",
    refuses="a Container Apps Key Vault certificate whose `keyVaultUrl` is not a secret "
    "identifier (`…/secrets/<name>`)",
    source="pulumi-azure-native CertificateKeyVaultPropertiesArgs docstring; Container Apps "
    "docs 'Import certificates from Azure Key Vault'; issue 11 defect 4",
)
def certificate_url(ctx: StepContext) -> Iterator[Refusal]:
    """Container Apps fetch the certificate with its private key through the secret endpoint;
    a `/certificates/` URL does not bind."""
    if ctx.resource.type not in (ACA_CERTIFICATE, MANAGED_ENVIRONMENT):
        return
    for path in (
        ("properties", "certificateKeyVaultProperties", "keyVaultUrl"),
        ("customDomainConfiguration", "certificateKeyVaultProperties", "keyVaultUrl"),
    ):
        url = value_at(ctx.resource.inputs, path)
        if isinstance(url, str) and "/secrets/" not in url:
            yield ctx.refuse(
                "aca-certificate-url",
                f"keyVaultUrl {url} is not a Key Vault secret identifier.",
                "use https://<vault>.vault.azure.net/secrets/<certificate name>.",
            )


@rule(
    "keyvault-soft-deleted-name",
    refuses="creating a Key Vault under the name of a soft-deleted one (after a destroy) "
    "without `createMode: recover`",
    source="Key Vault docs 'Soft-delete overview' (a soft-deleted vault's name stays taken "
    "until it is purged or recovered; purge protection forbids the purge); issue 11 risk "
    "'re-creating a soft-deleted vault name after a destroy'",
)
def vault_name_free(ctx: StepContext) -> Iterator[Refusal]:
    """A deleted vault is kept, soft-deleted, for its retention period and its name cannot be
    reused: creating it again fails with a conflict unless the create recovers it."""
    if ctx.resource.type != VAULT or ctx.action != "create":
        return
    name = str(ctx.resource.inputs.get("vaultName") or ctx.resource.name).lower()
    if name not in ctx.world.deleted_vaults:
        return
    if value_at(ctx.resource.inputs, "properties.createMode") == "recover":
        return
    yield ctx.refuse(
        "keyvault-soft-deleted-name",
        f"vault {name} exists in the soft-deleted state (a destroy keeps it), so its name is "
        "taken.",
        "recover it (`properties.createMode: recover`, or `az keyvault recover --name "
        f"{name}` before the deploy), purge it if purge protection is off (`az keyvault purge "
        f"--name {name}`), or choose another `keyVault.name`.",
    )
