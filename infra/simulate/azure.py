"""Azure facts the rules share: built-in role ids, scopes, Key Vault URLs, durations.

Role ids are the built-in role definition GUIDs (learn.microsoft.com, "Azure built-in roles").
"""

from __future__ import annotations

import re
from dataclasses import dataclass

AKS_RBAC_CLUSTER_ADMIN = "b1ff04bb-8a4e-4dc4-8eb5-8693973ce19b"
KEY_VAULT_ADMINISTRATOR = "00482a5a-887f-4fb3-b363-3b7fe8e74483"
KEY_VAULT_SECRETS_OFFICER = "b86a8fe4-44ce-4948-aee5-eccb2c155cd7"
KEY_VAULT_SECRETS_USER = "4633458b-17de-408a-b874-0445c86b69e6"
KEY_VAULT_CERTIFICATE_USER = "db79e9a7-68ee-4b58-9aeb-b90e7c24fcba"
ACR_PULL = "7f951dda-4ed3-4680-a7ca-43fe172d538d"
ACR_PUSH = "8311e382-0749-4cb8-b61a-304f252e45ec"
SERVICE_BUS_DATA_OWNER = "090c5cfd-751d-490a-894a-3ce6f1109419"
STORAGE_QUEUE_DATA_READER = "19e7f393-937e-4f77-808e-94535e297925"
STORAGE_QUEUE_DATA_CONTRIBUTOR = "974c5e8b-45b9-4653-ba55-5f855dd0fb88"

ROLE_NAMES = {
    AKS_RBAC_CLUSTER_ADMIN: "Azure Kubernetes Service RBAC Cluster Admin",
    KEY_VAULT_ADMINISTRATOR: "Key Vault Administrator",
    KEY_VAULT_SECRETS_OFFICER: "Key Vault Secrets Officer",
    KEY_VAULT_SECRETS_USER: "Key Vault Secrets User",
    KEY_VAULT_CERTIFICATE_USER: "Key Vault Certificate User",
    ACR_PULL: "AcrPull",
    ACR_PUSH: "AcrPush",
    SERVICE_BUS_DATA_OWNER: "Azure Service Bus Data Owner",
    STORAGE_QUEUE_DATA_READER: "Storage Queue Data Reader",
    STORAGE_QUEUE_DATA_CONTRIBUTOR: "Storage Queue Data Contributor",
}


def role_guid(role_definition_id: str) -> str:
    """`/subscriptions/…/roleDefinitions/<guid>` (or a bare guid) → the guid, lowercase."""
    return role_definition_id.rstrip("/").rsplit("/", 1)[-1].lower()


def covers(scope: str, suffixes: tuple[str, ...], resource_group: str = "") -> bool:
    """Whether a role assigned at `scope` applies to a resource.

    `suffixes` name the resource and the parents a role may be assigned on, as lowercase path
    ends (`/microsoft.keyvault/vaults/kv-shop-dev`, `…/secrets/db`). Azure RBAC inherits down
    the scope tree, so the resource's group and the whole subscription cover it too.
    """
    path = scope.lower().rstrip("/")
    if re.fullmatch(r"/subscriptions/[^/]+", path):
        return True
    if resource_group and re.fullmatch(
        rf"/subscriptions/[^/]+/resourcegroups/{re.escape(resource_group.lower())}", path
    ):
        return True
    return any(path.endswith(suffix.lower().rstrip("/")) for suffix in suffixes)


@dataclass(frozen=True)
class VaultObject:
    """A Key Vault object a resource reads: `kind` is `secrets` or `certificates`."""

    vault: str
    kind: str
    name: str

    @property
    def url(self) -> str:
        return f"https://{self.vault}.vault.azure.net/{self.kind}/{self.name}"

    @property
    def scope_suffixes(self) -> tuple[str, ...]:
        vault = f"/microsoft.keyvault/vaults/{self.vault}"
        return (vault, f"{vault}/{self.kind}/{self.name}", f"{vault}/secrets/{self.name}")


_VAULT_URL = re.compile(
    r"https://(?P<vault>[a-z0-9-]+)\.vault\.azure\.net/(?P<kind>secrets|certificates|keys)/(?P<name>[^/?#]+)",
    re.IGNORECASE,
)


def parse_vault_url(url: str) -> VaultObject | None:
    found = _VAULT_URL.match(url.strip())
    if not found:
        return None
    return VaultObject(found["vault"].lower(), found["kind"].lower(), found["name"])


_DURATION = re.compile(r"(\d+(?:\.\d+)?)(h|m|s|ms)")


def seconds(duration: str) -> float:
    """A Go duration as pulumiverse-time takes it ("300s", "5m", "1m30s") → seconds."""
    text = duration.strip()
    total = 0.0
    matched = 0
    for number, unit in _DURATION.findall(text):
        total += float(number) * {"h": 3600, "m": 60, "s": 1, "ms": 0.001}[unit]
        matched += len(number) + len(unit)
    if not text or matched != len(text):
        raise ValueError(f"not a duration: {duration!r}")
    return total


def last_segment(resource_id: str) -> str:
    return resource_id.rstrip("/").rsplit("/", 1)[-1]
