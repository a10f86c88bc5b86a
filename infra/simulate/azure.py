"""Azure facts the rules share: built-in role ids, scopes, Key Vault URLs, durations.

Role ids are the built-in role definition GUIDs (learn.microsoft.com, "Azure built-in roles").
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from infra.constants import ACR_PULL_ROLE as ACR_PULL
from infra.constants import ACR_PUSH_ROLE as ACR_PUSH
from infra.constants import AKS_RBAC_CLUSTER_ADMIN_ROLE as AKS_RBAC_CLUSTER_ADMIN
from infra.constants import KEY_VAULT_ADMINISTRATOR_ROLE as KEY_VAULT_ADMINISTRATOR
from infra.constants import KEY_VAULT_CERTIFICATE_USER_ROLE as KEY_VAULT_CERTIFICATE_USER
from infra.constants import KEY_VAULT_SECRETS_OFFICER_ROLE as KEY_VAULT_SECRETS_OFFICER
from infra.constants import KEY_VAULT_SECRETS_USER_ROLE as KEY_VAULT_SECRETS_USER
from infra.constants import SERVICE_BUS_DATA_OWNER_ROLE as SERVICE_BUS_DATA_OWNER
from infra.constants import STORAGE_QUEUE_DATA_CONTRIBUTOR_ROLE as STORAGE_QUEUE_DATA_CONTRIBUTOR
from infra.constants import STORAGE_QUEUE_DATA_READER_ROLE as STORAGE_QUEUE_DATA_READER

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
