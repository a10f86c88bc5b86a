"""Rules of environment variables and secret references: no secret in plain text."""

from __future__ import annotations

from infra.services.catalog import config_secret_key
from infra.services.patterns import (
    ENV_NAME,
    KEY_VAULT_SECRET_NAME,
    SECRET_LOOKING,
    SECRETS_NAMESPACE,
)
from infra.services.roles import RESOURCE_ID, expand, unknown_placeholders
from infra.services.rules.registry import (
    Workload,
    _Raw,
    workload_rule,
)
from infra.services.spec import (
    SECRET_FILES_MOUNT,
    ConfigSecret,
    KeyVaultSecret,
)


def key_vault_ref(c: Workload, path: str, ref: KeyVaultSecret) -> None:
    if not KEY_VAULT_SECRET_NAME.match(ref.name):
        c.add(
            f"{path}.name",
            ref.name,
            "is not a Key Vault secret name",
            "use 1-127 letters, digits and '-'",
        )
    vault = None if ref.vault_id is None else expand(ref.vault_id, "0", c.context.environment.value)
    if vault is not None and (
        unknown_placeholders(vault)
        or not (RESOURCE_ID.match(vault) and "/providers/Microsoft.KeyVault/vaults/" in vault)
    ):
        c.add(
            f"{path}.vault_id",
            ref.vault_id,
            "is not a Key Vault resource id",
            "use /subscriptions/<id>/resourceGroups/<rg>/providers/Microsoft.KeyVault/vaults/<name>, or leave it out for the platform vault",
        )


@workload_rule("env-and-secrets")
def env_and_secrets(c: Workload) -> None:
    """No secret in plain text: variables that look like secrets must come from Key Vault or encrypted
    config, and every reference must be one the platform can resolve at deploy time."""
    spec = c.spec
    for key, value in spec.env.items():
        if not ENV_NAME.match(key):
            c.add(
                f"env[{key!r}]",
                None,
                "is not a valid variable name",
                "use letters, digits and '_', not starting with a digit",
            )
        # A path to a secret file (the *_FILE convention) is not the secret itself.
        if (
            SECRET_LOOKING.search(key.upper())
            and value
            and not value.startswith(f"{SECRET_FILES_MOUNT}/")
        ):
            c.add(
                f"env[{key!r}]",
                _Raw("<hidden>"),
                "looks like a secret given as plain text",
                "move it to secrets= with KeyVaultSecret(...) or ConfigSecret(...)",
            )
    for key, ref in spec.secrets.items():
        path = f"secrets[{key!r}]"
        if not ENV_NAME.match(key):
            c.add(
                path,
                None,
                "is not a valid variable name",
                "use letters, digits and '_', not starting with a digit",
            )
        if key in spec.env:
            c.add(path, None, "is also set in env", "set it in one place only")
        if isinstance(ref, KeyVaultSecret):
            key_vault_ref(c, path, ref)
        elif isinstance(ref, ConfigSecret):
            full = config_secret_key(ref)
            if full.startswith("platform:"):
                c.add(
                    f"{path}.key",
                    ref.key,
                    "is in the platform namespace",
                    f"use the {SECRETS_NAMESPACE}: namespace",
                )
            elif full not in c.context.config_secrets:
                c.add(
                    f"{path}.key",
                    ref.key,
                    "is not set in this stack",
                    f"run: pulumi config set --secret {full} <value>",
                )
            elif not c.context.config_secrets[full]:
                c.add(
                    f"{path}.key",
                    ref.key,
                    "is stored in plain text in the stack file",
                    f"run: pulumi config set --secret {full} <value>",
                )
