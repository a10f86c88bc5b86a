"""Guardrails: rules over both stacks, each rule proven to fire, exceptions, the CrossGuard adapter."""

from __future__ import annotations

import copy
import dataclasses
import datetime as dt
import importlib.util
import sys
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest

from infra.policy.evaluate import evaluate, format_report, resources_of_snapshot
from infra.policy.exceptions import PolicyException, load_exceptions, parse_exceptions
from infra.policy.rules import RULES, PolicyContext, Severity
from infra.preview.cli import policy_report
from infra.preview.engine import OfflineRun, run_offline
from infra.preview.snapshot import to_snapshot
from infra.preview.stackfile import ROOT, read_stack
from infra.problems import InvalidInput
from infra.program import build
from infra.services.loader import load_applications
from tests.test_hardening import HARDENING_RULES, break_hardening_rule

TODAY = dt.date(2026, 11, 26)


@pytest.fixture(scope="module")
def snapshots(runs: dict[str, OfflineRun]) -> dict[str, dict[str, Any]]:
    return {stack: to_snapshot(run) for stack, run in runs.items()}


def violations(
    snapshot: dict[str, Any], environment: str, exceptions: tuple[PolicyException, ...] = ()
) -> list[str]:
    """The mandatory rules the plan breaks, as the gate judges it: with the given exceptions and
    the reviewed ones (infra/policy/exceptions.yaml, the platform's own certgen hook)."""
    report = evaluate(
        resources_of_snapshot(snapshot),
        PolicyContext(environment),
        (*exceptions, *load_exceptions()),
        TODAY,
    )
    return [v.rule.id for v in report.enforced]


def test_every_rule_has_an_id_severity_and_rationale() -> None:
    assert len(RULES) >= 20
    for rule_id, rule in RULES.items():
        assert rule.id == rule_id
        assert rule.severity in Severity
        assert len(rule.rationale) > 20
        assert rule.types


@pytest.mark.parametrize("stack", ["dev", "prod"])
def test_reference_application_passes_every_mandatory_rule(
    snapshots: dict[str, dict[str, Any]], stack: str
) -> None:
    """As the policy gate judges it, with the reviewed exceptions; and those exempt only the
    platform's own Envoy Gateway certgen hook, never an application's workload."""
    reviewed = load_exceptions()
    assert violations(snapshots[stack], stack) == []
    report = evaluate(
        resources_of_snapshot(snapshots[stack]), PolicyContext(stack), reviewed, TODAY
    )
    assert {v.resource.service for v in report.violations if v.excepted_by} <= {"gateway-helm"}


def _nginx_ingress(snapshot: dict[str, Any]) -> dict[str, Any]:
    """The default plans have no Ingress (issue 17: internal services route through Envoy
    Gateway): add the managed-NGINX Ingress `aks.ingress: both` gives admin-web."""
    route = _find(snapshot, "kubernetes:gateway.networking.k8s.io/v1:HTTPRoute")
    ingress = copy.deepcopy(route)
    ingress["type"] = "kubernetes:networking.k8s.io/v1:Ingress"
    ingress["urn"] = route["urn"].replace(route["type"], ingress["type"])
    host = route["inputs"]["spec"]["hostnames"][0]
    ingress["inputs"] = {
        "apiVersion": "networking.k8s.io/v1",
        "kind": "Ingress",
        "metadata": route["inputs"]["metadata"],
        "spec": {
            "ingressClassName": "nginx-internal",
            "rules": [{"host": host}],
            "tls": [{"hosts": [host], "secretName": "keyvault-admin-web"}],
        },
    }
    snapshot["resources"].append(ingress)
    return ingress


def _find(snapshot: dict[str, Any], token: str, name: str | None = None) -> dict[str, Any]:
    return next(
        r
        for r in snapshot["resources"]
        if r["type"] == token and (name is None or r["name"] == name)
    )


def _container(snapshot: dict[str, Any]) -> dict[str, Any]:
    deployment = _find(snapshot, "kubernetes:apps/v1:Deployment", "storefront-catalog-api")
    return deployment["inputs"]["spec"]["template"]["spec"]["containers"][0]


def _cron_container(snapshot: dict[str, Any]) -> dict[str, Any]:
    cron = _find(snapshot, "kubernetes:batch/v1:CronJob", "storefront-jobs-catalog-reindex")
    return cron["inputs"]["spec"]["jobTemplate"]["spec"]["template"]["spec"]["containers"][0]


CLUSTER = "azure-native:containerservice:ManagedCluster"


def _break(rule_id: str, s: dict[str, Any]) -> None:
    """Make the prod snapshot violate exactly one rule."""
    cluster = _find(s, CLUSTER)["inputs"]
    deployment = _find(s, "kubernetes:apps/v1:Deployment", "storefront-catalog-api")
    pod = deployment["inputs"]["spec"]["template"]["spec"]
    app = _find(s, "azure-native:app:ContainerApp", "web")["inputs"]
    match rule_id:
        case "aks-local-accounts-disabled":
            cluster["disableLocalAccounts"] = False
        case "aks-entra-rbac":
            cluster["aadProfile"]["enableAzureRBAC"] = False
        case "aks-network-policy":
            cluster["networkProfile"]["networkPolicy"] = "none"
        case "aks-workload-identity":
            cluster["securityProfile"]["workloadIdentity"]["enabled"] = False
        case "aks-upgrade-channel":
            cluster["autoUpgradeProfile"]["upgradeChannel"] = "none"
        case "aks-api-server-restricted":
            cluster["apiServerAccessProfile"] = {"authorizedIPRanges": ["0.0.0.0/0"]}
        case "aks-monitoring":
            cluster["addonProfiles"]["omsagent"]["enabled"] = False
        case "aks-azure-policy":
            del cluster["addonProfiles"]["azurepolicy"]
        case "aks-system-pool-reserved":
            cluster["agentPoolProfiles"][0]["nodeTaints"] = []
        case "subnet-nsg":
            del _find(s, "azure-native:network:Subnet", "network-container-apps")["inputs"][
                "networkSecurityGroup"
            ]
        case "acr-admin-disabled":
            _find(s, "azure-native:containerregistry:Registry")["inputs"]["adminUserEnabled"] = True
        case "aca-no-insecure-ingress":
            app["configuration"]["ingress"].update(allowInsecure=True, external=True)
        case "aca-registry-identity":
            app["configuration"]["registries"][0] = {
                "server": "x.azurecr.io",
                "username": "u",
                "passwordSecretRef": "pw",
            }
        case "aca-no-plaintext-secrets":
            app["template"]["containers"][0]["env"].append(
                {"name": "DB_PASSWORD", "value": "hunter2"}
            )
        case "k8s-resources":
            del _container(s)["resources"]["limits"]
        case "k8s-probes":
            del _container(s)["readinessProbe"]
        case "k8s-liveness-probe":
            del _container(s)["livenessProbe"]
        case "k8s-restricted-security-context":
            _container(s)["securityContext"]["allowPrivilegeEscalation"] = True
        case "k8s-no-host-access":
            pod["volumes"].append({"name": "host", "hostPath": {"path": "/var/run"}})
        case "no-mutable-image-tags":
            _container(s)["image"] = "shopprodacr.azurecr.io/storefront/catalog-api:main"
        case "k8s-env-no-plaintext-secrets":
            _container(s)["env"].append({"name": "API_TOKEN", "value": "abc"})
        case "k8s-zone-spread":
            pod["topologySpreadConstraints"] = []
        case "ingress-managed-nginx-deprecated":
            ingress = _nginx_ingress(s)
            ingress["inputs"]["spec"]["ingressClassName"] = "webapprouting.kubernetes.azure.com"
        case "k8s-public-ingress-tls":
            ingress = _nginx_ingress(s)
            ingress["inputs"]["spec"]["ingressClassName"] = "webapprouting.kubernetes.azure.com"
            ingress["inputs"]["spec"].pop("tls", None)
        case "k8s-prod-replicas-and-pdb":
            s["resources"] = [
                r
                for r in s["resources"]
                if not (
                    r["type"] == "kubernetes:policy/v1:PodDisruptionBudget"
                    and r["name"] == "storefront-catalog-api"
                )
            ]
        case "k8s-prod-memory-request-equals-limit":
            # On a job: the workload rules see CronJobs' pod templates too.
            _cron_container(s)["resources"]["requests"]["memory"] = "512Mi"
        case "prod-stateful-protected":
            _find(s, "azure-native:keyvault:Vault")["options"].pop("protect")
        case "stack-monthly-budget":
            s["cost"]["budget"] = {"monthly": 100.0, "enforcement": "mandatory", "basis": "floor"}
        case _ if rule_id in HARDENING_RULES:
            break_hardening_rule(rule_id, s)
        case _:
            raise AssertionError(f"no breaking case for {rule_id}: add one")


@pytest.mark.parametrize("rule_id", sorted(RULES))
def test_breaking_a_rule_is_reported_with_its_id(
    snapshots: dict[str, dict[str, Any]], rule_id: str
) -> None:
    broken = copy.deepcopy(snapshots["prod"])
    _break(rule_id, broken)
    context = PolicyContext("prod", cost=broken["cost"])
    report = evaluate(resources_of_snapshot(broken), context, (), TODAY)
    assert rule_id in {v.rule.id for v in report.violations}
    if RULES[rule_id].severity is Severity.MANDATORY:
        assert rule_id in {v.rule.id for v in report.enforced}
        assert rule_id in format_report(report)


def test_container_insights_with_the_workspace_key_breaks_the_monitoring_rule(
    snapshots: dict[str, dict[str, Any]],
) -> None:
    broken = copy.deepcopy(snapshots["prod"])
    cluster = _find(broken, "azure-native:containerservice:ManagedCluster")["inputs"]
    del cluster["addonProfiles"]["omsagent"]["config"]["useAADAuth"]
    report = evaluate(resources_of_snapshot(broken), PolicyContext("prod"), (), TODAY)
    (violation,) = [v for v in report.enforced if v.rule.id == "aks-monitoring"]
    assert "useAADAuth" in violation.message


def test_a_mutable_tag_in_a_prod_declaration_fails_the_offline_plan(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # Without the lock (a declaration validated outside a deploy) the rule is the last gate.
    monkeypatch.setattr("infra.services.validation.load_lock", lambda: None)
    apps = [
        dataclasses.replace(
            a,
            services=tuple(
                dataclasses.replace(s, image="storefront/basket-api:main")
                if s.name == "basket-api"
                else s
                for s in a.services
            ),
        )
        for a in load_applications()
    ]
    snapshot = to_snapshot(run_offline(read_stack("prod"), lambda: build(applications=apps)))
    report = policy_report("prod", snapshot)
    # Jobs too (issue 22: the image rules never ran on jobs): every workload without the lock.
    workloads = sorted(w.name for a in apps for w in (*a.services, *a.jobs))
    assert "catalog-reindex" in workloads
    assert sorted({(v.rule.id, v.resource.service) for v in report.enforced}) == [
        ("images-pinned-by-digest", name) for name in workloads
    ] + [("no-mutable-image-tags", "basket-api")]
    dev = to_snapshot(run_offline(read_stack("dev"), lambda: build(applications=apps)))
    assert policy_report("dev", dev).enforced == (), "mutable tags are a prod rule"


def test_an_exception_waives_one_rule_for_one_service_until_it_expires(
    snapshots: dict[str, dict[str, Any]],
) -> None:
    broken = copy.deepcopy(snapshots["prod"])
    _break("k8s-probes", broken)
    waiver = PolicyException(
        "k8s-probes",
        "catalog-api",
        ("prod",),
        "migration in progress, see TICKET-12",
        "platform-team",
        dt.date(2026, 12, 31),
    )
    reviewed = load_exceptions()  # the platform's own, which this test leaves as they are
    report = evaluate(
        resources_of_snapshot(broken), PolicyContext("prod"), (waiver, *reviewed), TODAY
    )
    assert report.enforced == ()
    (waived,) = [v for v in report.violations if v.resource.service == "catalog-api"]
    assert waived.excepted_by.startswith("migration in progress")
    other = dataclasses.replace(waiver, service="basket-api")
    assert "k8s-probes" in violations(broken, "prod", (other,))
    late = evaluate(
        resources_of_snapshot(broken),
        PolicyContext("prod"),
        (waiver, *reviewed),
        dt.date(2027, 1, 1),
    )
    assert [v.rule.id for v in late.enforced] == ["k8s-probes"]
    assert late.expired_exceptions == ("k8s-probes for catalog-api expired on 2026-12-31",)


def test_exceptions_file_is_checked() -> None:
    reviewed = load_exceptions()
    assert all(e.rule in RULES and e.expires > TODAY for e in reviewed)
    with pytest.raises(InvalidInput, match="is not a rule id"):
        parse_exceptions(
            {
                "exceptions": [
                    {
                        "rule": "no-such-rule",
                        "service": "x",
                        "reason": "long enough reason",
                        "approved_by": "me",
                        "expires": "2027-01-01",
                    }
                ]
            }
        )
    with pytest.raises(InvalidInput, match="reason"):
        parse_exceptions(
            {
                "exceptions": [
                    {
                        "rule": "k8s-probes",
                        "service": "x",
                        "reason": "short",
                        "approved_by": "me",
                        "expires": "2027-01-01",
                    }
                ]
            }
        )


def _load_adapter() -> Any:
    spec = importlib.util.spec_from_file_location(
        "policy_pack_adapter", ROOT / "policy-pack" / "adapter.py"
    )
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


def test_crossguard_adapter_reports_the_same_rules(snapshots: dict[str, dict[str, Any]]) -> None:
    adapter = _load_adapter()
    broken = copy.deepcopy(snapshots["prod"])
    _break("acr-admin-disabled", broken)
    resources = [
        SimpleNamespace(
            urn=r["urn"],
            resource_type=r["type"],
            name=r["name"],
            props=r["inputs"],
            opts=SimpleNamespace(protect=bool(r["options"].get("protect"))),
        )
        for r in broken["resources"]
        if r["custom"]
    ]
    assert adapter.stack_of(resources[0].urn) == "prod"
    assert adapter.environment_of(resources[0].urn) == "prod"
    found = adapter.violations_for(resources, "acr-admin-disabled")
    assert len(found) == 1
    assert found[0][1].endswith("::registry-acr")
    assert adapter.violations_for(resources, "aks-monitoring") == []
    pack = (ROOT / "policy-pack" / "__main__.py").read_text()
    assert "StackValidationPolicy" in pack
    assert (ROOT / "policy-pack" / "requirements.txt").read_text().count("pulumi-policy==") == 1


def test_policy_pack_lives_in_its_own_folder_with_its_own_requirements() -> None:
    assert Path(ROOT / "policy-pack" / "PulumiPolicy.yaml").exists()
    assert "pulumi-policy" not in (ROOT / "requirements.txt").read_text()


def test_docs_document_every_rule() -> None:
    page = (ROOT / "docs" / "policy-and-safeguards.md").read_text()
    table = page.split("## Policy rules", 1)[1].split("\n## ", 1)[0]
    missing = [rule_id for rule_id in RULES if f"| `{rule_id}` |" not in table]
    assert missing == []


def test_prod_accepts_burstable_cpu_but_not_burstable_memory(
    snapshots: dict[str, dict[str, Any]],
) -> None:
    """The reference notification-service bursts CPU in prod and memory only in dev."""
    prod = _find(
        snapshots["prod"], "kubernetes:apps/v1:Deployment", "storefront-notification-service"
    )
    resources = prod["inputs"]["spec"]["template"]["spec"]["containers"][0]["resources"]
    assert resources["requests"]["cpu"] != resources["limits"]["cpu"]
    assert resources["requests"]["memory"] == resources["limits"]["memory"]
    dev = _find(
        snapshots["dev"], "kubernetes:apps/v1:Deployment", "storefront-notification-service"
    )
    dev_resources = dev["inputs"]["spec"]["template"]["spec"]["containers"][0]["resources"]
    assert dev_resources["requests"]["memory"] == "128Mi"
    assert dev_resources["limits"]["memory"] == "256Mi"
    assert "k8s-prod-memory-request-equals-limit" not in violations(snapshots["dev"], "dev")
    burst = copy.deepcopy(snapshots["prod"])
    _container(burst)["resources"]["requests"]["cpu"] = "100m"
    assert violations(burst, "prod") == []
    _container(burst)["resources"]["requests"]["memory"] = "1Gi"  # limit is 1Gi: "1024Mi" equal
    assert violations(burst, "prod") == []


@pytest.mark.parametrize(
    "rule_id", ["k8s-restricted-security-context", "k8s-env-no-plaintext-secrets", "k8s-resources"]
)
def test_workload_rules_cover_job_pods(snapshots: dict[str, dict[str, Any]], rule_id: str) -> None:
    broken = copy.deepcopy(snapshots["prod"])
    container = _cron_container(broken)
    match rule_id:
        case "k8s-restricted-security-context":
            container["securityContext"]["readOnlyRootFilesystem"] = False
        case "k8s-env-no-plaintext-secrets":
            container["env"].append({"name": "API_TOKEN", "value": "abc"})
        case _:
            del container["resources"]["requests"]
    report = evaluate(
        resources_of_snapshot(broken), PolicyContext("prod"), load_exceptions(), TODAY
    )
    assert {(v.rule.id, v.resource.service) for v in report.enforced} == {
        (rule_id, "catalog-reindex")
    }
