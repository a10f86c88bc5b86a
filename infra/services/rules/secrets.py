"""Rules of environment variables and secret references: no secret in plain text."""

from __future__ import annotations

import re
from collections.abc import Mapping

from infra.problems import Problem
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
    NotSecret,
)

SECRET_CONTENT: tuple[tuple[str, re.Pattern[str]], ...] = (
    # scheme://user:password@host (RFC 3986 userinfo): a password in a connection URL.
    ("a password in a URL", re.compile(r"^[a-z][a-z0-9+.-]*://[^/?#@\s:]*:[^/?#@\s]+@", re.I)),
    # Azure Storage shared access signatures carry `sig=` (learn.microsoft.com/azure/storage/
    # common/storage-sas-overview, "SAS token"); connection strings their key by name.
    ("a SAS token signature (sig=)", re.compile(r"(^|[?&;\s])sig=[A-Za-z0-9%+/=]{10,}", re.I)),
    (
        "an account or shared access key",
        re.compile(r"(AccountKey|SharedAccessKey|SharedAccessSignature)=[^;\s]{8,}", re.I),
    ),
    # RFC 7519: header.payload.signature, each base64url; a JSON header starts `eyJ` (`{"`).
    ("a JSON Web Token", re.compile(r"eyJ[A-Za-z0-9_-]{5,}\.eyJ[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]+")),
    # RFC 7468 labels: PRIVATE KEY, RSA/EC/OPENSSH PRIVATE KEY, ENCRYPTED PRIVATE KEY.
    ("a PEM private key", re.compile(r"-----BEGIN [A-Z0-9 ]*PRIVATE KEY-----")),
    # Prefixes the issuers put on their tokens so they can be recognised: GitHub (ghp_, gho_,
    # ghu_, ghs_, ghr_, github_pat_), Slack (xox?-), AWS access key ids (AKIA), Stripe live
    # keys, Google API keys (AIza).
    (
        "a token with a well-known prefix",
        re.compile(
            r"\b(gh[opusr]_[A-Za-z0-9]{20,}|github_pat_[A-Za-z0-9_]{20,}|xox[abposr]-[A-Za-z0-9-]{10,}"
            r"|AKIA[0-9A-Z]{16}|[sr]k_live_[A-Za-z0-9]{10,}|AIza[0-9A-Za-z_-]{30,})"
        ),
    ),
)
"""What a secret looks like by its content, whatever the variable is called."""


def secret_content(value: str) -> str | None:
    """What secret `value` appears to hold, or None."""
    return next((what for what, pattern in SECRET_CONTENT if pattern.search(value)), None)


def secret_content_problems(env: object, group: str) -> list[Problem]:
    """`env` values (as declared, patched for the environment) that hold a secret by their
    content. Read from the declaration, not the type-checked copy, so `NotSecret(...)` (which
    the type pass turns into a plain `str`) is still seen."""
    if not isinstance(env, Mapping):
        return []
    problems: list[Problem] = []
    for key, value in env.items():
        if not isinstance(value, str) or isinstance(value, NotSecret):
            continue
        if isinstance(key, str) and SECRET_LOOKING.search(key.upper()):
            continue  # refused by its name already (`env_and_secrets`)
        what = secret_content(value)
        if what is not None:
            problems.append(
                Problem(
                    f"env[{key!r}]",
                    "<hidden>",
                    f"holds {what} in plain text",
                    "move the value to secrets= (KeyVaultSecret(...) or ConfigSecret(...)) and "
                    "keep only the non-secret part in env; if it is not a secret, wrap it: "
                    "NotSecret(...)",
                    group,
                )
            )
    return problems


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
