"""What a first real `pulumi up` on an empty subscription needs, as the program registers it.

Each test names the deploy-time rule of Azure or AKS it guards (mocks accept all of them). The
deploy simulator (tests/test_simulate*.py) replays whole plans against the same rules.
"""

from __future__ import annotations

import dataclasses
import json
import re

import pytest

from infra.preview.engine import OfflineRun, ProgramFailed, Registration, run_offline
from infra.preview.stackfile import read_stack
from infra.problems import InvalidInput
from infra.program import build
from infra.services.chart_versions import REVIEWED_CHARTS
from infra.services.components.container_app_service import key_vault_secret_id
from infra.services.vault_references import (
    PreflightStatus,
    ReferenceKind,
    VaultReference,
    run_preflight,
    vault_references,
)
from tests.fixtures import reference_catalog

CLUSTER_ADMIN = "b1ff04bb-8a4e-4dc4-8eb5-8693973ce19b"
SECRETS_OFFICER = "b86a8fe4-44ce-4948-aee5-eccb2c155cd7"
ROLE_ASSIGNMENT = "azure-native:authorization:RoleAssignment"
SLEEP = "time:index/sleep:Sleep"
K8S_PROVIDER = "pulumi:providers:kubernetes"


def _by_urn(run: OfflineRun) -> dict[str, Registration]:
    return {r.urn: r for r in run.resources}


def _seconds(duration: str) -> int:
    match = re.fullmatch(r"(\d+)s", duration)
    assert match, duration
    return int(match[1])


def _grants(run: OfflineRun, role: str) -> list[Registration]:
    return [
        r
        for r in run.by_type(ROLE_ASSIGNMENT)
        if str(r.inputs["roleDefinitionId"]).endswith(f"/roleDefinitions/{role}")
    ]


def _caller_object_id() -> str:
    """The object id the mocks' getClientConfig reports for whoever runs `pulumi up`."""
    import pulumi

    from infra.preview.mocks import PlatformMocks

    call = pulumi.runtime.MockCallArgs("azure-native:authorization:getClientConfig", {}, "")
    return str(PlatformMocks().call(call)["objectId"])


def _with_config(stack: str, **values: str) -> OfflineRun:
    base = read_stack(stack)
    return run_offline(
        dataclasses.replace(base, values={**base.values, **values}),
        build,
    )


@pytest.mark.parametrize("stack", ["dev", "prod"])
def test_the_deployer_may_talk_to_the_cluster_before_any_kubernetes_object(
    runs: dict[str, OfflineRun], stack: str
) -> None:
    """Local accounts off + Azure RBAC: without a data-plane role every object answers 403."""
    run = runs[stack]
    cluster = run.one("azure-native:containerservice:ManagedCluster")
    admins = _grants(run, CLUSTER_ADMIN)
    deployer = [g for g in admins if g.name == "aks-deployer-cluster-admin"]
    assert len(deployer) == 1
    assert deployer[0].inputs["principalId"] == _caller_object_id()
    # The deploy workflow's identity; Azure refuses a principalType that does not match.
    assert deployer[0].inputs["principalType"] == "ServicePrincipal"
    assert (
        deployer[0]
        .inputs["scope"]
        .lower()
        .endswith(f"/managedclusters/{cluster.inputs['resourceName']}")
    )
    groups = cluster.inputs["aadProfile"].get("adminGroupObjectIds", [])
    assert sorted(
        g.inputs["principalId"] for g in admins if g.inputs["principalType"] == "Group"
    ) == (sorted(groups))
    by_urn = _by_urn(run)
    provider = run.one(K8S_PROVIDER)
    waits = [by_urn[u] for u in provider.depends_on if by_urn[u].type == SLEEP]
    assert len(waits) == 1, "the Kubernetes provider waits for the role propagation"
    assert _seconds(waits[0].inputs["createDuration"]) >= 300, "AKS: up to five minutes"
    assert {g.urn for g in admins} <= set(waits[0].depends_on)
    kubernetes_objects = [r for r in run.resources if r.provider == provider.urn]
    assert kubernetes_objects, "every Kubernetes object goes through the provider that waits"


def test_admin_groups_get_cluster_admin_and_may_seed_the_vault() -> None:
    group = "5f0c1a3e-0000-4000-8000-000000000001"
    run = _with_config("dev", **{"platform:aks": _aks_with_admin_group(group)})
    for role in (CLUSTER_ADMIN, SECRETS_OFFICER):
        principals = {
            (g.inputs["principalId"], g.inputs.get("principalType")) for g in _grants(run, role)
        }
        assert (group, "Group") in principals, role


def _aks_with_admin_group(group: str) -> str:
    import json

    aks = json.loads(read_stack("dev").values["platform:aks"])
    aks["adminGroupObjectIds"] = [group]
    return json.dumps(aks)


@pytest.mark.parametrize("stack", ["dev", "prod"])
def test_the_deployer_may_write_the_secrets_services_read(
    runs: dict[str, OfflineRun], stack: str
) -> None:
    """The vault is RBAC-only: without Secrets Officer nobody can seed it."""
    run = runs[stack]
    vault = run.one("azure-native:keyvault:Vault")
    officers = [
        g for g in _grants(run, SECRETS_OFFICER) if g.inputs["principalId"] == _caller_object_id()
    ]
    assert len(officers) == 1
    assert officers[0].inputs["scope"].lower().endswith(f"/vaults/{vault.inputs['vaultName']}")


def test_a_foundation_only_deploy_creates_no_service() -> None:
    """The first deploy's first step: nothing that needs images or secrets."""
    run = _with_config("dev", **{"platform:deployServices": "false"})
    types = {r.type for r in run.resources}
    assert not any(t.startswith("kubernetes:") for t in types)
    assert not {t for t in types if t.startswith("platform:services:")}
    assert "azure-native:app:ContainerApp" not in types
    assert "azure-native:containerservice:ManagedCluster" in types
    assert "azure-native:app:ManagedEnvironment" in types
    assert run.outputs["preflight"].startswith("skipped: deployServices is false")


@pytest.mark.parametrize("stack", ["dev", "prod"])
def test_offline_the_preflight_is_skipped_not_passed(
    runs: dict[str, OfflineRun], stack: str
) -> None:
    assert runs[stack].outputs["preflight"].startswith("skipped: offline plan")


def test_preflight_lists_every_missing_reference_with_the_command_that_creates_it() -> None:
    references = vault_references(
        reference_catalog(),
        platform_vault="kv-shop-dev",
        platform_group="rg-shop-dev",
        environment="dev",
    )
    names = {(r.vault, r.name, r.kind) for r in references}
    assert ("kv-shop-dev", "catalog-db-password", ReferenceKind.SECRET) in names
    # Secrets read as files are references too.
    assert ("kv-shop-dev", "ordering-db-password", ReferenceKind.SECRET) in names
    present = {"catalog-db-password"}
    with pytest.raises(InvalidInput) as error:
        run_preflight(references, lambda r: r.name in present)
    message = str(error.value)
    missing = [r for r in references if r.name not in present]
    assert len(missing) >= 2, "the reference app reads several Key Vault secrets"
    assert f"{len(missing)} problems in the preflight" in message
    for reference in missing:
        assert f"{reference.kind.value} {reference.vault}/{reference.name}" in message
        assert f"az keyvault secret set --vault-name {reference.vault} --name {reference.name}" in (
            message
        )
    assert "no service was created" in message


def test_preflight_passes_when_everything_exists_and_names_what_it_could_not_check() -> None:
    outside = VaultReference(
        "kv-elsewhere", "tls", ReferenceKind.CERTIFICATE, None, "web: ingress.tls"
    )
    inside = VaultReference("kv-shop-dev", "a", ReferenceKind.SECRET, "rg-shop-dev", "api: A")
    report = run_preflight([inside, outside], lambda r: True)
    assert report.status is PreflightStatus.PASSED
    assert report.checked == 1
    assert "kv-elsewhere/tls" in report.summary()


def test_preflight_finds_the_prod_certificate_in_the_platform_vault() -> None:
    from infra.config import Environment

    references = vault_references(
        reference_catalog(Environment.PROD),
        platform_vault="kv-shop-prod",
        platform_group="rg-shop-prod",
        environment="prod",
    )
    certificates = [r for r in references if r.kind is ReferenceKind.CERTIFICATE]
    assert [(c.vault, c.name, c.resource_group) for c in certificates] == [
        ("kv-shop-prod", "shop-example-com", "rg-shop-prod")
    ]
    assert "az keyvault certificate import" in certificates[0].create_command()


def test_container_apps_certificates_reference_the_key_vault_secret() -> None:
    """ACA requires the secret identifier (`…/secrets/<name>`), not the certificate URL."""
    assert (
        key_vault_secret_id("https://kv.vault.azure.net/certificates/shop")
        == "https://kv.vault.azure.net/secrets/shop"
    )
    assert (
        key_vault_secret_id("https://kv.vault.azure.net/certificates/shop/0123abcd")
        == "https://kv.vault.azure.net/secrets/shop/0123abcd"
    )


def test_prod_custom_domain_certificate_waits_for_its_grant(prod: OfflineRun) -> None:
    certificate = prod.one("azure-native:app:Certificate")
    url = certificate.inputs["properties"]["certificateKeyVaultProperties"]["keyVaultUrl"]
    assert "/secrets/" in url
    assert "/certificates/" not in url
    by_urn = _by_urn(prod)
    assert any(by_urn[u].type == SLEEP for u in certificate.depends_on)


@pytest.mark.parametrize("stack", ["dev", "prod"])
def test_container_apps_wait_until_their_pull_and_secret_grants_are_in_force(
    runs: dict[str, OfflineRun], stack: str
) -> None:
    """A revision pulls its image and reads its secrets at creation: grants must have propagated."""
    run = runs[stack]
    by_urn = _by_urn(run)
    for container_app in run.by_type("azure-native:app:ContainerApp"):
        waits = [by_urn[u] for u in container_app.depends_on if by_urn[u].type == SLEEP]
        pull = [w for w in waits if w.name == "registry-pull-propagation"]
        assert pull, container_app.name
        reads_vault = any(
            s.get("keyVaultUrl") for s in container_app.inputs["configuration"].get("secrets", [])
        )
        own = [w for w in waits if w.name == f"{container_app.name}-rbac-propagation"]
        if reads_vault:
            assert own, container_app.name
        for wait in waits:
            assert _seconds(wait.inputs["createDuration"]) >= 600
            assert any(by_urn[u].type == ROLE_ASSIGNMENT for u in wait.depends_on)


@pytest.mark.parametrize(
    ("channel", "ignored"),
    [("stable", True), ("rapid", True), ("patch", True), ("node-image", False)],
)
@pytest.mark.slow
def test_an_upgrade_channel_owns_the_cluster_version(
    channel: str, ignored: bool, monkeypatch: pytest.MonkeyPatch
) -> None:
    """pulumi-azure-native#2059: a pinned version would be 'downgraded' after an auto-upgrade."""
    import json

    from infra.aks_versions import REFERENCE_DATE_ENV

    if channel == "rapid":
        # A day on which `rapid` stays inside Envoy Gateway v1.9's range (1.37 is GA from
        # November 2026; the config rule upgrade-channel-target refuses it after).
        monkeypatch.setenv(REFERENCE_DATE_ENV, "2026-10-15")
    aks = json.loads(read_stack("dev").values["platform:aks"])
    aks["upgradeChannel"] = channel
    run = _with_config("dev", **{"platform:aks": json.dumps(aks)})
    cluster = run.one("azure-native:containerservice:ManagedCluster")
    assert ("kubernetesVersion" in cluster.ignore_changes) is ignored
    assert cluster.inputs["kubernetesVersion"] == aks["kubernetesVersion"], "still set on create"


def test_the_valkey_chart_version_is_published() -> None:
    """valkey-helm's index lists 0.1.0 … 0.11.0; round 1 pinned 1.0.0, which does not exist."""
    published = {f"0.{minor}.0" for minor in range(12)} | {"0.5.1", "0.8.1", "0.9.1"}
    valkey = next(c for c in REVIEWED_CHARTS if c.chart == "valkey")
    assert valkey.version in published
    assert valkey.version == "0.11.0"


def _aks_with(stack: str, **settings: object) -> str:
    return json.dumps({**json.loads(read_stack(stack).values["platform:aks"]), **settings})


def test_a_person_deploying_by_hand_is_granted_as_a_user() -> None:
    run = _with_config(
        "dev",
        **{
            "platform:deployerPrincipalType": "User",
            "platform:aks": _aks_with("dev", kubeloginMode="azurecli"),
        },
    )
    deployer = run.one(ROLE_ASSIGNMENT, "aks-deployer-cluster-admin")
    assert deployer.inputs["principalType"] == "User"


@pytest.mark.parametrize(
    ("principal", "mode", "why"),
    [
        ("User", "workloadidentity", "a person (deployerPrincipalType: User) does not have"),
        ("ServicePrincipal", "interactive", "the deployer is a service principal"),
    ],
)
def test_a_login_mode_the_deployer_cannot_renew_is_refused(
    principal: str, mode: str, why: str
) -> None:
    """The Kubernetes provider's token must come from the deploying identity, renewably."""
    refusal = _refused(
        "dev",
        **{
            "platform:deployerPrincipalType": principal,
            "platform:aks": _aks_with("dev", kubeloginMode=mode),
        },
    )
    assert "platform:aks.kubeloginMode" in str(refusal)
    assert why in str(refusal)


@pytest.mark.parametrize("stack", ["dev", "prod"])
def test_queue_scalers_may_read_exactly_their_queue(
    runs: dict[str, OfflineRun], stack: str
) -> None:
    """KEDA reads a Service Bus queue's length only with Manage rights (kedacore/keda#806)."""
    run = runs[stack]
    worker = run.one(ROLE_ASSIGNMENT, "order-worker-scaler")
    assert worker.inputs["roleDefinitionId"].endswith("/090c5cfd-751d-490a-894a-3ce6f1109419")
    assert worker.inputs["scope"].endswith(
        f"/resourceGroups/rg-storefront-messaging-{stack}/providers/Microsoft.ServiceBus"
        f"/namespaces/sb-storefront-{stack}/queues/orders"
    )
    app = run.one("azure-native:app:ContainerApp", "order-worker")
    rule = next(r for r in app.inputs["template"]["scale"]["rules"] if r["name"] == "queue")
    assert (
        rule["custom"]["identity"].lower().endswith("/userassignedidentities/order-worker-identity")
    )
    storage = run.one(ROLE_ASSIGNMENT, "notification-service-scaler")
    assert storage.inputs["roleDefinitionId"].endswith("/19e7f393-937e-4f77-808e-94535e297925")
    assert storage.inputs["scope"].endswith(
        f"/storageAccounts/ststorefront{stack}/queueServices/default/queues/notifications"
    )


def test_a_queue_trigger_without_its_resource_group_is_refused() -> None:
    from infra.config import Environment
    from infra.services.rules import ValidationContext
    from infra.services.spec import Application, Autoscaling, ServiceBusQueue, ServiceSpec, Target
    from infra.services.validation import validate_applications

    worker = ServiceSpec(
        name="worker",
        image="team/worker:1.0.0",
        target=Target.CONTAINER_APPS,
        autoscaling=Autoscaling(
            min_replicas=0, cpu_utilization=None, queue=ServiceBusQueue(namespace="sb", queue="q")
        ),
    )
    with pytest.raises(InvalidInput) as error:
        validate_applications(
            [Application(name="team", source="apps/team.py", services=(worker,))],
            ValidationContext(Environment.DEV, {}, "kv"),
        )
    assert "autoscaling.queue.resource_group: is required" in str(error.value)


@pytest.mark.parametrize("stack", ["dev", "prod"])
def test_keda_has_a_federated_credential_written_after_the_services(
    runs: dict[str, OfflineRun], stack: str
) -> None:
    """AKS "KEDA with workload identity"; Azure refuses concurrent credential writes on one
    identity (ConcurrentFederatedIdentityCredentialsWritesForSingleManagedIdentity)."""
    run = runs[stack]
    own = run.one(
        "azure-native:managedidentity:FederatedIdentityCredential",
        "notification-service-federation",
    )
    keda = run.one(
        "azure-native:managedidentity:FederatedIdentityCredential",
        "notification-service-keda-federation",
    )
    assert keda.inputs["subject"] == "system:serviceaccount:kube-system:keda-operator"
    assert keda.inputs["resourceName"] == own.inputs["resourceName"]
    assert keda.inputs["issuer"] == own.inputs["issuer"]
    assert own.urn in keda.depends_on
    scaled = run.one("kubernetes:keda.sh/v1alpha1:ScaledObject")
    assert keda.urn in scaled.depends_on
    credentials: dict[str, list[Registration]] = {}
    for credential in run.by_type("azure-native:managedidentity:FederatedIdentityCredential"):
        credentials.setdefault(credential.inputs["resourceName"], []).append(credential)
    for chain in credentials.values():
        # Every pair on one identity is ordered (here: a chain from the first).
        later = [c for c in chain if any(o.urn in c.depends_on for o in chain)]
        assert len(later) == len(chain) - 1


def test_prod_custom_domain_records_exist_before_the_app_binds_the_host(prod: OfflineRun) -> None:
    """Container Apps checks TXT asuid.<host> and a CNAME to the app before binding <host>."""
    web = prod.one("azure-native:app:ContainerApp", "web")
    assert web.inputs["configuration"]["ingress"]["customDomains"][0]["name"] == "shop.example.com"
    txt = prod.one("azure-native:dns:RecordSet", "web-domain-verification")
    cname = prod.one("azure-native:dns:RecordSet", "web-domain-address")
    environment = prod.one("azure-native:app:ManagedEnvironment")
    assert (txt.inputs["zoneName"], txt.inputs["resourceGroupName"]) == ("example.com", "rg-dns")
    assert txt.inputs["relativeRecordSetName"] == "asuid.shop"
    assert txt.inputs["recordType"] == "TXT"
    assert txt.inputs["txtRecords"] == [
        {"value": [prod.outputs["containerAppsDomainVerificationId"]]}
    ]
    assert environment.urn in txt.depends_on
    assert cname.inputs["relativeRecordSetName"] == "shop"
    assert cname.inputs["cnameRecord"]["cname"] == (
        f"web.{prod.outputs['containerAppsDefaultDomain']}"
    )
    assert {txt.urn, cname.urn} <= set(web.depends_on)


def _refused(stack: str, **values: str) -> InvalidInput:
    """The run fails with one report and registers nothing."""
    base = read_stack(stack)
    with pytest.raises(ProgramFailed) as caught:
        run_offline(dataclasses.replace(base, values={**base.values, **values}), build)
    assert caught.value.run.resources == []
    assert isinstance(caught.value.cause, InvalidInput)
    return caught.value.cause


def _prod_with_dns(dns: str) -> OfflineRun:
    return _with_config("prod", **{"platform:dns": dns})


def test_a_custom_domain_without_records_is_refused_before_anything_is_registered() -> None:
    message = str(_refused("prod", **{"platform:dns": "{}"}))
    assert "in the service hosts" in message
    assert "ingress.host = shop.example.com:" in message
    assert "create TXT asuid.shop.example.com" in message
    assert "platform:dns.recordsPresent" in message


def test_records_declared_present_bind_without_a_managed_zone() -> None:
    run = _prod_with_dns('{"recordsPresent": ["shop.example.com"]}')
    assert not run.by_type("azure-native:dns:RecordSet")
    web = run.one("azure-native:app:ContainerApp", "web")
    assert web.inputs["configuration"]["ingress"]["customDomains"][0]["name"] == "shop.example.com"


def test_a_host_at_the_zone_apex_gets_an_a_record() -> None:
    run = _prod_with_dns('{"zoneName": "shop.example.com", "zoneResourceGroup": "rg-dns"}')
    address = run.one("azure-native:dns:RecordSet", "web-domain-address")
    assert (address.inputs["recordType"], address.inputs["relativeRecordSetName"]) == ("A", "@")
    verification = run.one("azure-native:dns:RecordSet", "web-domain-verification")
    assert verification.inputs["relativeRecordSetName"] == "asuid"


@pytest.mark.parametrize(
    ("runner", "expected"),
    [
        ('{"kind": "github-hosted"}', "GitHub-hosted runners have no stable egress address"),
        ('{"egressCidrs": []}', "the runner's address is not declared"),
        ('{"egressCidrs": ["192.0.2.7/32"]}', "is not inside aks.apiServer.authorizedIpRanges"),
    ],
)
def test_a_deploy_runner_that_cannot_reach_the_api_server_is_refused(
    runner: str, expected: str
) -> None:
    assert expected in str(_refused("dev", **{"platform:deployRunner": runner}))


def test_prod_is_private_and_deploys_from_inside_the_vnet(prod: OfflineRun) -> None:
    """Issue 16: with the runner in the VNet, prod closes the API server, vault and registry."""
    cluster = prod.one("azure-native:containerservice:ManagedCluster").inputs
    assert cluster["apiServerAccessProfile"]["enablePrivateCluster"] is True
    vault = prod.one("azure-native:keyvault:Vault").inputs["properties"]
    assert vault["publicNetworkAccess"] == "Disabled"
    assert vault["networkAcls"]["defaultAction"] == "Deny"
    registry = prod.one("azure-native:containerregistry:Registry").inputs
    assert registry["publicNetworkAccess"] == "Disabled"
    assert prod.by_type("azure-native:network:PrivateEndpoint"), "the way in for nodes and apps"


def test_closing_the_vault_needs_a_runner_in_the_vnet() -> None:
    outside = '{"egressCidrs": ["203.0.113.10/32"]}'
    public_api = (
        read_stack("prod")
        .values["platform:aks"]
        .replace('"privateCluster": true', '"authorizedIpRanges": ["203.0.113.0/24"]')
    )
    refusal = _refused(
        "prod",
        **{
            "platform:keyVault": '{"publicNetworkAccess": false}',
            "platform:deployRunner": outside,
            "platform:aks": public_api,
        },
    )
    assert "would lock the deploy runner out" in str(refusal)
    run = _with_config(
        "prod",
        **{
            "platform:keyVault": '{"publicNetworkAccess": false}',
            # prod's own runner: a VNet of its own, peered and linked by the foundation.
            "platform:deployRunner": read_stack("prod").values["platform:deployRunner"],
        },
    )
    vault = run.one("azure-native:keyvault:Vault")
    assert vault.inputs["properties"]["publicNetworkAccess"] == "Disabled"


@pytest.mark.parametrize("stack", ["dev", "prod"])
def test_internal_hosts_resolve_to_the_internal_ingress(
    runs: dict[str, OfflineRun], stack: str
) -> None:
    """admin-web's internal host had no DNS record (and in prod was outside the private zone).
    Its Gateway (Envoy Gateway, `aks.ingress: gateway`) gets an internal load balancer on the
    address the record holds."""
    run = runs[stack]
    gateway = run.one(
        "kubernetes:gateway.networking.k8s.io/v1:Gateway", "envoy-gateway-system-internal"
    )
    annotations = gateway.inputs["spec"]["infrastructure"]["annotations"]
    address = annotations["service.beta.kubernetes.io/azure-load-balancer-ipv4"]
    assert annotations["service.beta.kubernetes.io/azure-load-balancer-internal"] == "true"
    route = run.one("kubernetes:gateway.networking.k8s.io/v1:HTTPRoute", "storefront-admin-web")
    (host,) = route.inputs["spec"]["hostnames"]
    zone = run.one("azure-native:privatedns:PrivateZone", "network-private-zone")
    zone_name = zone.inputs["privateZoneName"]
    assert host.endswith(f".{zone_name}")
    record = run.one("azure-native:privatedns:PrivateRecordSet", f"internal-host-{host}")
    assert f"{record.inputs['relativeRecordSetName']}.{zone_name}" == host
    assert record.inputs["aRecords"] == [{"ipv4Address": address}]
    import ipaddress

    nodes = run.one("azure-native:network:Subnet", "network-aks-nodes").inputs["addressPrefix"]
    assert ipaddress.ip_address(address) in ipaddress.ip_network(nodes)


def test_an_internal_host_outside_the_private_zone_is_refused() -> None:
    import json

    network = json.loads(read_stack("prod").values["platform:network"])
    network["privateDnsZone"] = "corp.internal"
    message = str(_refused("prod", **{"platform:network": json.dumps(network)}))
    assert "ingress.host = admin.prod.shop.internal:" in message
    assert "outside the platform's private DNS zone corp.internal" in message


@pytest.mark.parametrize("stack", ["dev", "prod"])
def test_no_dedicated_workload_profile_sits_idle(runs: dict[str, OfflineRun], stack: str) -> None:
    """A profile no app runs on bills its minimum nodes for nothing."""
    run = runs[stack]
    environment = run.one("azure-native:app:ManagedEnvironment")
    dedicated = {
        p["name"]
        for p in environment.inputs["workloadProfiles"]
        if p["workloadProfileType"] != "Consumption"
    }
    used = {
        a.inputs.get("workloadProfileName") for a in run.by_type("azure-native:app:ContainerApp")
    }
    assert dedicated <= used


@pytest.mark.parametrize("job", ["dev", "prod"])
def test_the_deploy_workflow_follows_the_first_deploy_order(job: str) -> None:
    """Foundation alone (only for a new stack), images pushed, secrets listed, then services —
    on the runners that can reach the API server."""
    from infra.preview.stackfile import ROOT
    from tests.workflow_steps import load

    workflow = load(ROOT / ".github" / "workflows" / "deploy.yml")
    steps = workflow["jobs"][job]["steps"]
    text = [str(s.get("run", "")) + str(s.get("uses", "")) for s in steps]

    def first(needle: str) -> int:
        return next(i for i, t in enumerate(text) if needle in t)

    foundation = first("platform:deployServices=false")
    assert "registryLoginServer" in text[foundation], "only while the stack has no foundation"
    assert "pulumi config rm platform:deployServices" in text[foundation]
    push = first("az acr import")
    lock = first("image_lock resolve" if job == "dev" else "image_lock verify")
    secrets = first("infra.services.preflight")
    up = first("pulumi/actions")
    assert foundation < push < lock < secrets < up
    assert "DEPLOY_RUNNER_LABELS" in workflow["jobs"][job]["runs-on"]


@pytest.mark.slow
def test_a_vault_name_left_soft_deleted_by_a_destroy_can_be_recovered() -> None:
    """A destroyed vault keeps its name while soft-deleted (purge protection: no purge); the
    deploy after it must recover, and the simulator refuses a plain create (keyvault-soft-deleted-name)."""
    from infra.preview.snapshot import to_snapshot
    from infra.simulate.plan import Plan
    from infra.simulate.replay import replay
    from infra.simulate.world import World

    plain = to_snapshot(_with_config("prod", **{"platform:keyVault": "{}"}))
    recovering = _with_config("prod", **{"platform:keyVault": '{"recoverSoftDeleted": true}'})
    vault = recovering.one("azure-native:keyvault:Vault")
    assert vault.inputs["properties"]["createMode"] == "recover"
    destroyed = World(deleted_vaults={"kv-shop-prod"})
    phase, _ = replay("after destroy", Plan.from_snapshot(plain), destroyed)
    assert "keyvault-soft-deleted-name" in {r.rule for r in phase.refusals}
    phase, _ = replay("after destroy", Plan.from_snapshot(to_snapshot(recovering)), destroyed)
    assert "keyvault-soft-deleted-name" not in {r.rule for r in phase.refusals}
