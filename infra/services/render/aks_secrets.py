"""A workload's identity and secrets on AKS: its ServiceAccount (federated with its managed
identity), the Secret of its `ConfigSecret`s, and the Secrets Store CSI classes that bring its
Key Vault secrets (env vars and files). Shared by services and jobs."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from infra.services.catalog import Planned
from infra.services.render.common import (
    ClusterKind,
    Manifest,
    PlatformExtensions,
    PlatformFacts,
    Text,
)
from infra.services.render.objects import service_meta
from infra.services.spec import ConfigSecret, JobSpec, KeyVaultSecret, ServiceSpec

WORKLOAD_IDENTITY_CLIENT_ID = "azure.workload.identity/client-id"


@dataclass(frozen=True)
class ServiceSecrets:
    """Secret material for one service, resolved by the component (values may be Outputs)."""

    config_values: Mapping[str, Text]
    """Env var → value of the `ConfigSecret`s (secret Outputs in a real run)."""


def key_vault_secrets(
    spec: ServiceSpec | JobSpec,
) -> dict[str | None, list[tuple[str, KeyVaultSecret]]]:
    """Env-var secrets by vault (None: the platform vault), one SecretProviderClass each."""
    by_vault: dict[str | None, list[tuple[str, KeyVaultSecret]]] = {}
    for variable, ref in sorted(spec.secrets.items()):
        if isinstance(ref, KeyVaultSecret):
            by_vault.setdefault(ref.vault_id, []).append((variable, ref))
    return by_vault


def key_vault_class_name(service: Planned, index: int) -> str:
    """The SecretProviderClass (and synced Secret) of the service's `index`-th vault."""
    return f"{service.name}-kv{index}"


def files_class_name(service: Planned) -> str:
    """The SecretProviderClass of the service's secret files."""
    return f"{service.name}-files"


def secret_provider_classes(
    service: Planned, facts: PlatformFacts, client_id: Text | None, extensions: PlatformExtensions
) -> tuple[Manifest, ...]:
    objects: list[Manifest] = []
    if facts.cluster is ClusterKind.LOCAL:
        return ()  # no Key Vault locally: secrets come from a plain Secret (docs/local.md)
    for index, (vault_id, refs) in enumerate(key_vault_secrets(service.spec).items()):
        name = key_vault_class_name(service, index)
        vault_name: Text = facts.key_vault_name if vault_id is None else vault_id.rsplit("/", 1)[-1]
        listed = "".join(
            f"    - |\n      objectName: {ref.name}\n      objectType: secret\n" for _, ref in refs
        )
        objects.append(
            {
                "apiVersion": "secrets-store.csi.x-k8s.io/v1",
                "kind": "SecretProviderClass",
                "metadata": service_meta(service, extensions, name),
                "spec": {
                    "provider": "azure",
                    "parameters": {
                        "usePodIdentity": "false",
                        "clientID": client_id or "",
                        "keyvaultName": vault_name,
                        "tenantId": facts.tenant_id,
                        "objects": "array:\n" + listed,
                    },
                    # Synced into a Kubernetes Secret so they can be env vars; rotation re-syncs it.
                    "secretObjects": [
                        {
                            "secretName": name,
                            "type": "Opaque",
                            "data": [
                                {"objectName": ref.name, "key": variable} for variable, ref in refs
                            ],
                        }
                    ],
                },
            }
        )
    files = sorted(service.spec.secret_files.items())
    if files:
        vault_id = files[0][1].vault_id  # validated: one vault per service for files
        vault_name = facts.key_vault_name if vault_id is None else vault_id.rsplit("/", 1)[-1]
        listed = "".join(
            f"    - |\n      objectName: {ref.name}\n      objectAlias: {file}\n"
            "      objectType: secret\n"
            for file, ref in files
        )
        objects.append(
            {
                "apiVersion": "secrets-store.csi.x-k8s.io/v1",
                "kind": "SecretProviderClass",
                "metadata": service_meta(service, extensions, files_class_name(service)),
                # No secretObjects: file secrets stay in the pod's tmpfs volume, never in etcd.
                "spec": {
                    "provider": "azure",
                    "parameters": {
                        "usePodIdentity": "false",
                        "clientID": client_id or "",
                        "keyvaultName": vault_name,
                        "tenantId": facts.tenant_id,
                        "objects": "array:\n" + listed,
                    },
                },
            }
        )
    return tuple(objects)


def service_account(
    service: Planned, extensions: PlatformExtensions, client_id: Text | None
) -> Manifest:
    """The workload's own account; with Azure, annotated with its identity's client id."""
    own = {WORKLOAD_IDENTITY_CLIENT_ID: client_id} if client_id is not None else None
    return {
        "apiVersion": "v1",
        "kind": "ServiceAccount",
        "metadata": service_meta(service, extensions, annotations=own),
        "automountServiceAccountToken": False,
    }


def config_secret_name(service: Planned) -> str:
    return f"{service.name}-config"


def config_secret(
    service: Planned, extensions: PlatformExtensions, secrets: ServiceSecrets
) -> Manifest | None:
    refs = {k: v for k, v in service.spec.secrets.items() if isinstance(v, ConfigSecret)}
    if not refs:
        return None
    return {
        "apiVersion": "v1",
        "kind": "Secret",
        "metadata": service_meta(service, extensions, config_secret_name(service)),
        "type": "Opaque",
        "stringData": {variable: secrets.config_values[variable] for variable in sorted(refs)},
    }
