"""Team stacks: a Container Apps host's DNS records and environment certificate are the
platform stack's, and no application may read the vault through the certificate identity
(docs/team-stacks.md "Custom domains"; review15 findings 1.3, 1.6, 2.1)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from infra.preview.engine import OfflineRun, ProgramFailed, run_offline
from infra.preview.mocks import identity_principal_id
from infra.problems import InvalidInput
from infra.program import build
from infra.services.custom_domains import environment_certificate_name
from infra.stacks import recorded
from infra.stacks.contract import CONTRACT_OUTPUT, PlatformContract, parse_contract
from infra.stacks.examples import example_stack, full_name
from infra.stacks.platform import DEPLOYER_ACTIONS

SPEC = Path(__file__).resolve().parents[1] / "upstream/azure-rest-api-specs"
HOST = "shop.example.com"
"""The storefront's web host in prod (tests/apps), granted by platform-prod."""


@pytest.fixture(scope="module")
def platform() -> OfflineRun:
    return run_offline(example_stack("platform-prod"), build)


@pytest.fixture(scope="module")
def storefront() -> OfflineRun:
    return run_offline(example_stack("storefront-prod"), build)


@pytest.fixture(scope="module")
def contract(platform: OfflineRun) -> PlatformContract:
    return parse_contract(platform.outputs[CONTRACT_OUTPUT])


def _definitions() -> dict[str, Any]:
    return json.loads((SPEC / "container-apps-certificates.json").read_text())


def test_the_vendored_spec_says_what_the_design_relies_on() -> None:
    """A custom domain binds a certificate that must already exist in the environment, named
    `{environmentId}/certificates/{certificateName}`; a Container App secret is read from Key
    Vault with whatever identity it names, as a certificate is."""
    spec = _definitions()
    definitions = spec["definitions"]
    certificate_id = definitions["CustomDomain"]["properties"]["certificateId"]["description"]
    assert "Must exist in the Managed Environment" in certificate_id
    example = spec["example"]
    parameters = example["parameters"]
    assert example["id"].endswith(
        f"/managedEnvironments/{parameters['environmentName']}/certificates/"
        f"{parameters['certificateName']}"
    )
    assert {"identity", "keyVaultUrl"} <= set(definitions["Secret"]["properties"])
    assert {"identity", "keyVaultUrl"} == set(
        definitions["CertificateKeyVaultProperties"]["properties"]
    )


def test_the_platform_writes_the_granted_hosts_certificate(
    platform: OfflineRun, contract: PlatformContract
) -> None:
    (certificate,) = platform.by_type("azure-native:app:Certificate")
    inputs = certificate.inputs
    assert inputs["certificateName"] == environment_certificate_name(HOST)
    assert inputs["environmentName"] == contract.container_apps.environment_name
    assert inputs["resourceGroupName"] == contract.resource_group
    vault = inputs["properties"]["certificateKeyVaultProperties"]
    assert vault["identity"] == contract.container_apps.certificate_identity_id
    assert vault["keyVaultUrl"].startswith(f"{contract.key_vault.uri.rstrip('/')}/secrets/")


def test_the_platform_writes_the_granted_hosts_records(
    platform: OfflineRun, contract: PlatformContract
) -> None:
    """Container Apps binds the host once TXT asuid.<host> holds the environment's verification
    id and the host is a CNAME to the app: the platform writes both in its zone."""
    records = {
        r.inputs["recordType"]: r.inputs for r in platform.by_type("azure-native:dns:RecordSet")
    }
    assert records["TXT"]["relativeRecordSetName"] == "asuid.shop"
    assert records["TXT"]["txtRecords"] == [
        {"value": [contract.container_apps.domain_verification_id]}
    ]
    assert records["CNAME"]["relativeRecordSetName"] == "shop"
    assert records["CNAME"]["cnameRecord"] == {
        "cname": f"web.{contract.container_apps.default_domain}"
    }


def test_the_application_binds_the_platforms_certificate_and_writes_none(
    storefront: OfflineRun, contract: PlatformContract
) -> None:
    assert storefront.by_type("azure-native:app:Certificate") == []
    assert storefront.by_type("azure-native:dns:RecordSet") == []
    web = next(r for r in storefront.by_type("azure-native:app:ContainerApp") if r.name == "web")
    (domain,) = web.inputs["configuration"]["ingress"]["customDomains"]
    assert domain["name"] == HOST
    assert domain["certificateId"] == (
        f"{contract.container_apps.environment_id}/certificates/"
        f"{environment_certificate_name(HOST)}"
    )
    attached = web.inputs["identity"]["userAssignedIdentities"]
    assert contract.container_apps.certificate_identity_id not in attached


def test_no_application_may_write_certificates_or_assign_the_certificate_identity(
    platform: OfflineRun, contract: PlatformContract
) -> None:
    """The certificate identity holds Key Vault Secrets User on the whole vault: an application
    that could attach it to its own Container App could read every secret of the vault (a
    Container App secret names its identity), so no application's role reaches it."""
    assert not [a for a in DEPLOYER_ACTIONS if "/certificates/" in a]
    certificate_identity = contract.container_apps.certificate_identity_id.lower()
    for application in ("storefront", "loyalty"):
        principal = identity_principal_id(f"{application}-deploy")
        scopes = [
            str(r.inputs["scope"]).lower()
            for r in platform.by_type("azure-native:authorization:RoleAssignment")
            if r.inputs["principalId"] == principal
        ]
        assert scopes, application
        assert not [s for s in scopes if certificate_identity.startswith(s)], application


def _refused_with(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, **dns: Any) -> str:
    document = json.loads(recorded.recorded_path(full_name("platform-prod")).read_text())
    contract = document["outputs"][CONTRACT_OUTPUT]
    recorded.write_recorded(
        full_name("platform-prod"),
        {CONTRACT_OUTPUT: {**contract, "dns": {**contract["dns"], **dns}}},
        folder=tmp_path,
    )
    monkeypatch.setenv(recorded.RECORDED_ENV, str(tmp_path))
    with pytest.raises(ProgramFailed) as raised:
        run_offline(example_stack("storefront-prod"), build)
    assert raised.value.run.resources == [], "something was registered before the refusal"
    assert isinstance(raised.value.__cause__, InvalidInput)
    return str(raised.value.__cause__)


def test_a_granted_host_outside_the_platforms_zones_is_refused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Nobody writes its records (the application's identity cannot write a zone, the platform
    writes only in its own), so Container Apps would refuse to bind it at deploy."""
    error = _refused_with(tmp_path, monkeypatch, publicZones=[])
    assert f"ingress.host = {HOST}" in error
    assert "the platform writes them only in its DNS zones (none)" in error
    assert "platform:dns.zoneName of the platform stack" in error


def test_no_application_stack_writes_the_shared_environment(
    storefront: OfflineRun, contract: PlatformContract
) -> None:
    """Review15 1.6: parallel application stacks writing one environment. Its certificates are
    the platform's now; an application only joins the environment with its Container Apps
    (resources of its own group), and its role has no write on the environment or its
    children."""
    environment = contract.container_apps.environment_id.lower()
    for resource in storefront.resources:
        assert not resource.type.startswith("azure-native:app:ManagedEnvironment"), resource.name
        assert resource.type != "azure-native:app:Certificate", resource.name
        assert not str(resource.inputs.get("scope", "")).lower().startswith(environment)
    on_environment = {a for a in DEPLOYER_ACTIONS if a.startswith("Microsoft.App/")}
    assert on_environment == {
        "Microsoft.App/managedEnvironments/read",
        "Microsoft.App/managedEnvironments/join/action",
    }


def test_the_default_deny_is_not_a_boundary_the_application_could_cross(
    storefront: OfflineRun,
) -> None:
    """Review15 2.5: the platform's default-deny-ingress sits in the application's namespace,
    where its Writer role may delete it. NetworkPolicies are additive and select pods of their
    own namespace only (upstream/kubernetes-docs/), and the application must write
    NetworkPolicies there (its stack admits its callers with them): protecting the default-deny
    alone would not stop it opening its own pods, and it can open no other namespace's."""
    docs = (SPEC.parent / "kubernetes-docs/network-policies.excerpt.md").read_text()
    assert "Network policies do not conflict; they are additive." in docs
    assert "you can create a policy that explicitly allows all traffic in that namespace" in docs
    policies = storefront.by_type("kubernetes:networking.k8s.io/v1:NetworkPolicy")
    assert policies, "the application stack writes its services' NetworkPolicies"
    assert {p.inputs["metadata"]["namespace"] for p in policies} <= {
        "storefront",
        "storefront-jobs",
    }
