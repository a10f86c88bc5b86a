"""Key Vault secrets as read-only files, on both targets and locally."""

from __future__ import annotations

import dataclasses
from typing import Any

import pytest

from infra.config import Environment
from infra.preview.engine import OfflineRun
from infra.problems import InvalidInput
from infra.services.local import for_local_cluster
from infra.services.render.aks import ServiceSecrets, render_on_aks
from infra.services.render.common import ClusterKind
from infra.services.spec import KeyVaultSecret, Port, ServiceSpec, Target
from tests import test_render_aks, test_render_container_apps
from tests.fixtures import NO_EXTENSIONS, catalog_of, facts
from tests.k8s_schema import validate_object

OTHER_VAULT = "/subscriptions/0/resourceGroups/rg/providers/Microsoft.KeyVault/vaults/kv-other"


def _service(target: Target, **fields: Any) -> ServiceSpec:
    return ServiceSpec(
        name="api",
        image="api:1.0",
        target=target,
        ports=(Port(name="http", number=8080),),
        **{"secret_files": {"db-password": KeyVaultSecret(name="api-db-password")}, **fields},
    )


def test_on_aks_files_come_from_a_csi_volume_and_never_from_a_kubernetes_secret() -> None:
    objects = test_render_aks.render(catalog_of(_service(Target.AKS)), "api")
    for obj in objects.values():
        validate_object(obj)
    spc = objects["SecretProviderClass/api-files"]["spec"]
    assert "secretObjects" not in spc
    assert spc["parameters"]["objects"] == (
        "array:\n    - |\n      objectName: api-db-password\n      objectAlias: db-password\n"
        "      objectType: secret\n"
    )
    assert spc["parameters"]["keyvaultName"] == "kv-shop-dev"
    pod = objects["Deployment/api"]["spec"]["template"]["spec"]
    assert {
        "name": "secret-files",
        "csi": {
            "driver": "secrets-store.csi.k8s.io",
            "readOnly": True,
            "volumeAttributes": {"secretProviderClass": "api-files"},
        },
    } in pod["volumes"]
    (container,) = pod["containers"]
    assert {"name": "secret-files", "mountPath": "/mnt/secrets", "readOnly": True} in container[
        "volumeMounts"
    ]
    assert not any("valueFrom" in e for e in container.get("env", []))
    assert not any(o["kind"] == "Secret" for o in objects.values())


def test_on_container_apps_files_are_a_secret_volume_of_key_vault_references() -> None:
    plan = test_render_container_apps.render(catalog_of(_service(Target.CONTAINER_APPS)), "api")
    (secret,) = plan.configuration.secrets
    assert secret.name == "file-db-password"
    assert secret.key_vault_url == "https://kv-shop-dev.vault.azure.net/secrets/api-db-password"
    assert secret.identity == test_render_container_apps.IDENTITY
    volume = next(v for v in plan.template.volumes if v.name == "secret-files")
    assert volume.storage_type == "Secret"
    assert [(i.secret_ref, i.path) for i in volume.secrets] == [("file-db-password", "db-password")]
    (container,) = plan.template.containers
    assert [(m.volume_name, m.mount_path) for m in container.volume_mounts][-1] == (
        "secret-files",
        "/mnt/secrets",
    )
    assert not container.env


def test_locally_files_come_from_the_optional_service_secret() -> None:
    local = for_local_cluster(catalog_of(_service(Target.CONTAINER_APPS)))
    objects = render_on_aks(
        local.get("api"),
        catalog=local,
        facts=dataclasses.replace(facts(), cluster=ClusterKind.LOCAL, local_domain="localtest.me"),
        extensions=NO_EXTENSIONS,
        client_id=None,
        secrets=ServiceSecrets(config_values={}),
    )
    deployment = next(o for o in objects if o["kind"] == "Deployment")
    validate_object(deployment)
    assert {
        "name": "secret-files",
        "secret": {
            "secretName": "api-secrets",
            "optional": True,
            "items": [{"key": "db-password", "path": "db-password"}],
        },
    } in deployment["spec"]["template"]["spec"]["volumes"]
    assert not any(o["kind"] == "SecretProviderClass" for o in objects)


def test_the_reference_app_reads_its_secrets_from_files_where_the_process_can(
    prod: OfflineRun,
) -> None:
    grant = prod.one(
        "azure-native:authorization:RoleAssignment", "ordering-api-secret-file-ordering-db-password"
    )
    assert grant.inputs["scope"].endswith("/vaults/kv-shop-prod/secrets/ordering-db-password")
    ordering = prod.one("kubernetes:apps/v1:Deployment", "storefront-ordering-api")
    (container,) = ordering.inputs["spec"]["template"]["spec"]["containers"]
    env = {e["name"]: e for e in container["env"]}
    assert env["ORDERING_DB_PASSWORD_FILE"]["value"] == "/mnt/secrets/ordering-db-password"
    assert "ORDERING_DB_PASSWORD" not in env


@pytest.mark.parametrize(
    ("fields", "expected"),
    [
        (
            {"secret_files": {"DB.pw": KeyVaultSecret(name="x")}},
            "secret_files['DB.pw']: is not a file name for a secret → use 1-63 lowercase letters,"
            " digits and '-', e.g. db-password",
        ),
        (
            {
                "secret_files": {
                    "a": KeyVaultSecret(name="a"),
                    "b": KeyVaultSecret(name="b", vault_id=OTHER_VAULT),
                }
            },
            "secret_files: reads from more than one vault (one read-only volume holds them all) →"
            " keep a service's secret files in one vault, or pass the others in secrets",
        ),
        (
            {"writable_paths": ("/mnt/secrets/cache",)},
            "writable_paths[0] = '/mnt/secrets/cache': is where secret files are mounted"
            " (/mnt/secrets) → use another path",
        ),
        (
            {"secrets": {"FILE_DB_PASSWORD": KeyVaultSecret(name="y")}},
            "secret_files['db-password']: clashes with the Container Apps secret of env var"
            " 'file-db-password' → rename the file or the variable",
        ),
        (
            {"secret_files": {"key": KeyVaultSecret(name="bad name!")}},
            "secret_files['key'].name = 'bad name!': is not a Key Vault secret name → use 1-127"
            " letters, digits and '-'",
        ),
        (
            {"env": {"DB_PASSWORD": "/etc/password"}},
            "env['DB_PASSWORD'] = <hidden>: looks like a secret given as plain text",
        ),
    ],
)
def test_bad_secret_files_are_refused(fields: dict[str, Any], expected: str) -> None:
    with pytest.raises(InvalidInput) as caught:
        catalog_of(_service(Target.AKS, **fields), environment=Environment.DEV)
    assert expected in str(caught.value)


def test_a_path_to_a_secret_file_is_not_a_plain_text_secret() -> None:
    catalog = catalog_of(_service(Target.AKS, env={"DB_PASSWORD_FILE": "/mnt/secrets/db-password"}))
    assert catalog.get("api").spec.env == {"DB_PASSWORD_FILE": "/mnt/secrets/db-password"}
