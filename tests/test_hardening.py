"""Hardening (issue 16): nodes, Defender, Deployment Safeguards and the pod security initiative,
images by digest; the safeguards table proven row by row against the prod plan."""

from __future__ import annotations

import copy
import dataclasses
import datetime as dt
import hashlib
from pathlib import Path
from typing import Any

import pytest

from infra.config import Environment
from infra.config_loader import platform_config_from_values
from infra.constants import ALB_NAMESPACE, ENVOY_GATEWAY_NAMESPACE
from infra.foundation.guardrails import (
    POD_SECURITY_RESTRICTED_INITIATIVE,
    SAFEGUARD_EXCLUDED_NAMESPACES,
    SYSTEM_NAMESPACES,
)
from infra.policy.evaluate import evaluate, resources_of_snapshot
from infra.policy.exceptions import load_exceptions
from infra.policy.rules import RULES, PolicyContext
from infra.policy.safeguards import SAFEGUARDS
from infra.preview.diff import Operation, diff
from infra.preview.engine import OfflineRun, ProgramFailed, run_offline
from infra.preview.snapshot import to_snapshot
from infra.preview.stackfile import ROOT, StackConfig, read_stack
from infra.problems import InvalidInput
from infra.program import build
from infra.services import image_lock
from infra.services.image_lock import dump_lock, load_lock, pin, resolve
from infra.services.loader import load_applications
from infra.services.spec import Application, Port, Probes, ServiceSpec, Target, TcpProbe
from infra.services.validation import validate_applications
from infra.vm_sizes import VM_SIZES
from tests.fixtures import context

TODAY = dt.date(2026, 11, 26)
CLUSTER = "azure-native:containerservice:ManagedCluster"
DEPLOYMENT = "kubernetes:apps/v1:Deployment"
SAFEGUARD = "azure-native:containerservice:DeploymentSafeguard"
ASSIGNMENT = "azure-native:authorization:PolicyAssignment"
DIGEST = "sha256:" + "a" * 64


def _find(snapshot: dict[str, Any], token: str, name: str | None = None) -> dict[str, Any]:
    return next(
        r
        for r in snapshot["resources"]
        if r["type"] == token and (name is None or r["name"] == name)
    )


def _pod(snapshot: dict[str, Any]) -> dict[str, Any]:
    return _find(snapshot, DEPLOYMENT, "storefront-catalog-api")["inputs"]["spec"]["template"][
        "spec"
    ]


def _container(snapshot: dict[str, Any]) -> dict[str, Any]:
    return _pod(snapshot)["containers"][0]


def _add(snapshot: dict[str, Any], token: str, name: str, inputs: dict[str, Any]) -> None:
    snapshot["resources"].append(
        {"type": token, "name": name, "inputs": inputs, "custom": True, "options": {}}
    )


def break_hardening_rule(rule_id: str, s: dict[str, Any]) -> None:
    """Make the prod snapshot violate one of the rules this issue added (used by test_policy)."""
    cluster = _find(s, CLUSTER)["inputs"]
    match rule_id:
        case "aks-host-encryption":
            cluster["agentPoolProfiles"][1]["enableEncryptionAtHost"] = False
        case "aks-defender":
            del cluster["securityProfile"]["defender"]
        case "aks-admission-guardrails":
            _find(s, SAFEGUARD)["inputs"]["level"] = "Warn"
        case "k8s-probes-enforced":
            del _container(s)["livenessProbe"]
        case "k8s-spread-or-anti-affinity":
            _pod(s)["topologySpreadConstraints"] = []
        case "k8s-no-aks-reserved-labels":
            metadata = _find(s, DEPLOYMENT, "storefront-catalog-api")["inputs"]["metadata"]
            metadata["labels"]["kubernetes.azure.com/managedby"] = "aks"
        case "images-from-trusted-registries":
            _container(s)["image"] = f"docker.io/library/nginx:1.27@{DIGEST}"
        case "k8s-no-node-edits":
            _add(s, "kubernetes:core/v1:Node", "node-0", {"metadata": {"name": "aks-user-0"}})
        case "k8s-csi-storage-class":
            _add(
                s,
                "kubernetes:storage.k8s.io/v1:StorageClass",
                "disks",
                {"metadata": {"name": "disks"}, "provisioner": "kubernetes.io/azure-disk"},
            )
        case "k8s-unique-service-selectors":
            service = copy.deepcopy(
                _find(s, "kubernetes:core/v1:Service", "storefront-catalog-api")
            )
            service["name"] = "catalog-copy"
            service["inputs"]["metadata"]["name"] = "catalog-copy"
            s["resources"].append(service)
        case "images-pinned-by-digest":
            image = _container(s)["image"]
            _container(s)["image"] = image.split("@", 1)[0]
        case _:
            raise AssertionError(f"no breaking case for {rule_id}")


HARDENING_RULES = frozenset(
    {
        "aks-host-encryption",
        "aks-defender",
        "aks-admission-guardrails",
        "k8s-probes-enforced",
        "k8s-spread-or-anti-affinity",
        "k8s-no-aks-reserved-labels",
        "images-from-trusted-registries",
        "k8s-no-node-edits",
        "k8s-csi-storage-class",
        "k8s-unique-service-selectors",
        "images-pinned-by-digest",
    }
)


@pytest.fixture(scope="module")
def snapshots(runs: dict[str, OfflineRun]) -> dict[str, dict[str, Any]]:
    return {stack: to_snapshot(run) for stack, run in runs.items()}


def _violated(snapshot: dict[str, Any], environment: str = "prod") -> set[str]:
    """The rules the plan breaks, as the policy gate judges it: with the reviewed exceptions
    (infra/policy/exceptions.yaml), which exempt one service from one rule until they expire."""
    report = evaluate(
        resources_of_snapshot(snapshot), PolicyContext(environment), load_exceptions(), TODAY
    )
    return {v.rule.id for v in report.violations if not v.excepted_by}


# ----- Nodes, Defender, admission guardrails -------------------------------------------------


def test_prod_nodes_are_ephemeral_encrypted_at_host_and_watched_by_defender(
    snapshots: dict[str, dict[str, Any]],
) -> None:
    cluster = _find(snapshots["prod"], CLUSTER)["inputs"]
    pools = {p["name"]: p for p in cluster["agentPoolProfiles"]}
    for pool in pools.values():
        assert pool["osDiskType"] == "Ephemeral"
        assert pool["osDiskSizeGB"] <= VM_SIZES[pool["vmSize"]].ephemeral_capacity_gib
        assert pool["enableEncryptionAtHost"] is True
    defender = cluster["securityProfile"]["defender"]
    assert defender["securityMonitoring"] == {"enabled": True}
    workspace = cluster["addonProfiles"]["omsagent"]["config"]["logAnalyticsWorkspaceResourceID"]
    assert defender["logAnalyticsWorkspaceResourceId"] == workspace


def test_dev_keeps_managed_disks_where_the_local_disk_is_too_small_and_skips_paid_extras(
    snapshots: dict[str, dict[str, Any]],
) -> None:
    cluster = _find(snapshots["dev"], CLUSTER)["inputs"]
    pools = {p["name"]: p for p in cluster["agentPoolProfiles"]}
    # Standard_D2ds_v5 has a 75 GiB temp disk: the default 128 GiB OS disk stays managed.
    assert (pools["system"]["vmSize"], pools["system"]["osDiskType"]) == (
        "Standard_D2ds_v5",
        "Managed",
    )
    assert (pools["user"]["vmSize"], pools["user"]["osDiskType"]) == (
        "Standard_D4ds_v5",
        "Ephemeral",
    )
    assert all("enableEncryptionAtHost" not in p for p in pools.values())
    assert "defender" not in cluster["securityProfile"]


@pytest.mark.parametrize(
    ("stack", "level", "effect"), [("dev", "Warn", "audit"), ("prod", "Enforce", "deny")]
)
def test_safeguards_and_pod_security_initiative_are_assigned_to_the_cluster(
    snapshots: dict[str, dict[str, Any]], stack: str, level: str, effect: str
) -> None:
    snapshot = snapshots[stack]
    cluster_id = (
        f"/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/rg-shop-{stack}"
        f"/providers/Microsoft.Containerservice/managedclusters/aks-shop-{stack}"
    )
    safeguard = _find(snapshot, SAFEGUARD)["inputs"]
    assert safeguard == {
        # The platform's namespaces and the reference app's jobs namespace (job pods have no
        # probes: the probe safeguard would refuse them).
        "excludedNamespaces": [*SAFEGUARD_EXCLUDED_NAMESPACES, "storefront-jobs"],
        "level": level,
        "resourceUri": cluster_id,
    }
    assignment = _find(snapshot, ASSIGNMENT)["inputs"]
    assert assignment["scope"] == cluster_id
    assert assignment["policyDefinitionId"] == POD_SECURITY_RESTRICTED_INITIATIVE
    assert assignment["parameters"] == {
        "effect": {"value": effect},
        "excludedNamespaces": {"value": list(SYSTEM_NAMESPACES)},
    }
    assert assignment["enforcementMode"] == "Default"


def test_no_application_namespace_is_excluded_from_the_guardrails(
    snapshots: dict[str, dict[str, Any]],
) -> None:
    namespaces = {
        r["inputs"]["metadata"]["name"]
        for r in snapshots["prod"]["resources"]
        if r["type"] == "kubernetes:core/v1:Namespace"
    }
    assert namespaces
    # The platform's own namespaces: Envoy Gateway's, and the ALB controller's (created by the
    # program since its chart does not create it, and excluded like the add-ons' namespaces).
    excluded = set(_find(snapshots["prod"], SAFEGUARD)["inputs"]["excludedNamespaces"])
    applications = namespaces - {ENVOY_GATEWAY_NAMESPACE, ALB_NAMESPACE, "storefront-jobs"}
    assert applications == {"storefront"}
    assert not applications & excluded, "services stay under every safeguard"
    assert "storefront-jobs" in excluded, "the jobs namespace is excluded (no probes)"


def test_platform_controllers_are_outside_the_checks_their_charts_do_not_meet() -> None:
    """Microsoft's ALB controller is excluded like the add-ons; Envoy Gateway (certgen Job
    without probes) only from Deployment Safeguards: its pods meet pod security `restricted`,
    which its namespace enforces and the initiative still audits/denies."""
    assert ALB_NAMESPACE in SYSTEM_NAMESPACES
    assert ENVOY_GATEWAY_NAMESPACE in SAFEGUARD_EXCLUDED_NAMESPACES
    assert ENVOY_GATEWAY_NAMESPACE not in SYSTEM_NAMESPACES


@pytest.mark.parametrize("name", [ALB_NAMESPACE, ENVOY_GATEWAY_NAMESPACE])
def test_an_application_cannot_take_a_platform_controllers_namespace(name: str) -> None:
    spec = ServiceSpec(
        name="web", image="web:1.0", target=Target.AKS, ports=(Port(name="http", number=8080),)
    )
    with pytest.raises(InvalidInput) as caught:
        validate_applications(
            [Application(name=name, services=(spec,), source="apps/test.py")],
            context(Environment.DEV),
        )
    assert any(p.value == name for p in caught.value.problems)


# ----- Bad node config -----------------------------------------------------------------------


def _values(stack: str, **aks: Any) -> dict[str, Any]:
    values = {
        k.split(":", 1)[1]: v
        for k, v in read_stack(stack).values.items()
        if k.startswith("platform:")
    }
    config = platform_config_from_values(values).model_dump(by_alias=True, mode="json")
    config["aks"] = {**config["aks"], **aks}
    return config


def test_bad_node_hardening_is_reported_together_with_the_fix() -> None:
    values = _values(
        "prod",
        systemPool={
            "vmSize": "Standard_D2ds_v5",
            "minCount": 3,
            "maxCount": 5,
            "osDiskSizeGb": 128,
            "osDiskType": "Ephemeral",
        },
        userPool={"vmSize": "Standard_A2_v2", "minCount": 3, "maxCount": 30},
    )
    with pytest.raises(InvalidInput) as caught:
        platform_config_from_values(values)
    lines = str(caught.value).splitlines()
    assert lines[0] == "2 problems in the stack config"
    assert lines[1:] == [
        "  platform:aks.systemPool.osDiskSizeGb = 128: is larger than Standard_D2ds_v5's ephemeral"
        " capacity of 75 GiB (cache 0 GiB, temp 75 GiB) → set osDiskSizeGb to at most 75, pick a"
        " size with a larger local disk, or set osDiskType: Managed",
        "  platform:aks.userPool.vmSize = Standard_A2_v2: is not known to support encryption at"
        " host (aks.encryptionAtHost is on) → pick a size listed in infra/vm_sizes.py (check `az vm"
        " list-skus` for EncryptionAtHostSupported), or set aks.encryptionAtHost: false; encryption"
        " at host also needs the subscription feature Microsoft.Compute/EncryptionAtHost registered"
        " (az feature register --namespace Microsoft.Compute --name EncryptionAtHost)",
    ]


def test_an_unlisted_size_runs_managed_and_without_encryption_when_not_asked() -> None:
    values = _values("dev", userPool={"vmSize": "Standard_A2_v2", "minCount": 1, "maxCount": 3})
    config = platform_config_from_values(values)
    assert config.aks.user_pool.ephemeral_os is False
    values = _values(
        "dev",
        userPool={
            "vmSize": "Standard_A2_v2",
            "minCount": 1,
            "maxCount": 3,
            "osDiskType": "Ephemeral",
        },
    )
    with pytest.raises(InvalidInput, match="is not in the table of sizes"):
        platform_config_from_values(values)


def test_hardening_defaults_follow_the_environment_and_can_be_set() -> None:
    dev = platform_config_from_values(_values("dev")).hardening
    assert (dev.encryption_at_host, dev.defender, dev.deployment_safeguards, dev.pod_security) == (
        False,
        False,
        "Warn",
        "Audit",
    )
    prod = platform_config_from_values(_values("prod")).hardening
    assert (prod.encryption_at_host, prod.defender) == (True, True)
    assert (prod.deployment_safeguards, prod.pod_security) == ("Enforce", "Deny")
    off = platform_config_from_values(
        _values("dev", deploymentSafeguards="Off", podSecurity="Off", defender=True)
    ).hardening
    assert (off.deployment_safeguards, off.pod_security, off.defender) == ("Off", "Off", True)


def _stack_with(stack: str, **aks: Any) -> StackConfig:
    import json

    base = read_stack(stack)
    values = dict(base.values)
    merged = {**json.loads(values["platform:aks"]), **aks}
    values["platform:aks"] = json.dumps(merged)
    return dataclasses.replace(base, values=values)


def test_bad_nodes_and_a_tag_only_prod_image_are_one_report_and_register_nothing() -> None:
    stack = _stack_with(
        "prod",
        systemPool={
            "vmSize": "Standard_D2ds_v5",
            "minCount": 3,
            "maxCount": 5,
            "osDiskType": "Ephemeral",
        },
        userPool={"vmSize": "Standard_A2_v2", "minCount": 3, "maxCount": 30},
    )
    unlocked = Application(
        name="extra",
        source="apps/extra.py",
        services=(
            ServiceSpec(
                name="extra-api",
                image="extra/api:1.0",
                target=Target.AKS,
                ports=(Port(name="http", number=8080),),
                probes=Probes(liveness=TcpProbe()),
            ),
        ),
    )
    with pytest.raises(ProgramFailed) as caught:
        run_offline(stack, lambda: build(applications=[*load_applications(), unlocked]))
    assert isinstance(caught.value.cause, InvalidInput)
    assert caught.value.run.resources == []
    lines = str(caught.value.cause).splitlines()
    assert lines[0] == "3 problems in the stack config and the service declarations"
    assert "platform:aks.systemPool.osDiskSizeGb = 128: is larger than" in lines[1]
    assert "Microsoft.Compute/EncryptionAtHost" in lines[2]
    assert lines[3:] == [
        "  extra-api (apps/extra.py)",
        "    image = 'extra/api:1.0': is a tag without a digest, and prod runs images by digest →"
        " let the deploy workflow lock it (python -m infra.services.image_lock resolve prod"
        " writes apps/images.lock.yaml) or pin repository@sha256:<digest>",
    ]


def test_off_switches_register_no_guardrail() -> None:
    stack = _stack_with("dev", deploymentSafeguards="Off", podSecurity="Off")
    run = run_offline(stack, build)
    types = {r.type for r in run.resources}
    assert SAFEGUARD not in types
    assert ASSIGNMENT not in types


# ----- Deployment Safeguards, row by row ------------------------------------------------------


def _mutate(safeguard: str, s: dict[str, Any]) -> None:
    """One realistic change per safeguard that the cluster would warn about or refuse."""
    cluster = _find(s, CLUSTER)["inputs"]
    match safeguard:
        case "DS001":
            break_hardening_rule("k8s-no-node-edits", s)
        case "DS002":
            _container(s)["resources"]["requests"]["cpu"] = "50m"
        case "DS003":
            break_hardening_rule("k8s-spread-or-anti-affinity", s)
        case "DS004":
            break_hardening_rule("k8s-no-aks-reserved-labels", s)
        case "DS005":
            break_hardening_rule("images-from-trusted-registries", s)
        case "DS006":
            cluster["agentPoolProfiles"][1]["nodeTaints"] = ["CriticalAddonsOnly=true:NoSchedule"]
        case "DS007":
            del _container(s)["readinessProbe"]
        case "DS008":
            break_hardening_rule("k8s-csi-storage-class", s)
        case "DS009":
            break_hardening_rule("k8s-unique-service-selectors", s)
        case "DS010":
            _container(s)["image"] = "shopprodacr.azurecr.io/storefront/catalog-api:latest"
        case _:
            raise AssertionError(f"no mutation for {safeguard}")


def test_the_safeguards_table_has_ten_rows_and_no_empty_cell() -> None:
    assert [s.id for s in SAFEGUARDS] == [f"DS{n:03}" for n in range(1, 11)]
    for safeguard in SAFEGUARDS:
        assert safeguard.rules
        assert all(r in RULES for r in safeguard.rules)


@pytest.mark.parametrize("safeguard", SAFEGUARDS, ids=lambda s: s.id)
def test_prod_plan_passes_the_safeguard_and_a_mutation_breaks_it(
    snapshots: dict[str, dict[str, Any]], safeguard: Any
) -> None:
    assert not _violated(snapshots["prod"]) & set(safeguard.rules)
    broken = copy.deepcopy(snapshots["prod"])
    _mutate(safeguard.id, broken)
    assert _violated(broken) & set(safeguard.rules)


def test_docs_hardening_table_lists_every_safeguard_with_its_rules() -> None:
    page = (ROOT / "docs" / "security.md").read_text()
    section = page.split("## Hardening", 1)[1].split("\n## ", 1)[0]
    for safeguard in SAFEGUARDS:
        row = next(line for line in section.splitlines() if line.startswith(f"| {safeguard.id} "))
        assert safeguard.name in row
        for rule_id in safeguard.rules:
            assert f"`{rule_id}`" in row


def test_resource_minimums_are_parsed_in_every_unit(snapshots: dict[str, dict[str, Any]]) -> None:
    for cpu, memory, bad in [
        ("0.1", "100Mi", False),
        ("100m", "0.1Gi", False),
        ("0.05", "512Mi", True),
        ("250m", "64Mi", True),
        ("1", "104857600", False),
    ]:
        broken = copy.deepcopy(snapshots["prod"])
        resources = _container(broken)["resources"]
        resources["requests"] = resources["limits"] = {"cpu": cpu, "memory": memory}
        assert ("k8s-resources" in _violated(broken)) is bad, (cpu, memory)


# ----- Images by digest -----------------------------------------------------------------------


def test_the_lock_pins_declared_tags_and_an_explicit_digest_wins() -> None:
    lock = {"team/api:1.0": DIGEST}
    assert pin("team/api:1.0", lock) == f"team/api:1.0@{DIGEST}"
    assert pin("team/api:1.1", lock) == "team/api:1.1"
    other = "sha256:" + "b" * 64
    assert pin(f"team/api:1.0@{other}", lock) == f"team/api:1.0@{other}"


def test_the_reference_lock_pins_every_image_both_stacks_deploy() -> None:
    lock = load_lock()
    for stack in ("dev", "prod"):
        images, _ = image_lock._declared_images(stack)
        assert set(image_lock.tagged_images(images)) <= set(lock), stack


def test_a_malformed_lock_is_refused_whole(tmp_path: Path) -> None:
    path = tmp_path / "images.lock.yaml"
    path.write_text("version: 1\nimages:\n  team/api:1.0: sha256:nothex\n  team/web: " + DIGEST)
    with pytest.raises(InvalidInput) as caught:
        load_lock(path)
    assert [p.path for p in caught.value.problems] == [
        "images['team/api:1.0']",
        "images['team/web']",
    ]


def test_resolve_asks_the_registry_for_each_tag_and_writes_a_reviewable_lock(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    asked: list[str] = []

    def registry(reference: str) -> str:
        asked.append(reference)
        return "sha256:" + hashlib.sha256(reference.encode()).hexdigest()

    path = tmp_path / "images.lock.yaml"
    path.write_text(dump_lock({"storefront/web:2.8.1": DIGEST, "storefront/gone:1.0": DIGEST}))
    assert image_lock.main(["resolve", "prod", "--lock", str(path)], resolver=registry) == 0
    lock = load_lock(path)
    assert "shopprodacr.azurecr.io/storefront/catalog-api:1.14.0" in asked
    assert lock["storefront/web:2.8.1"] != DIGEST
    assert "storefront/gone:1.0" not in lock
    out = capsys.readouterr().out
    assert f"storefront/web:2.8.1: {DIGEST} → sha256:" in out
    assert "storefront/gone:1.0" in out
    assert "(removed)" in out
    assert path.read_text() == dump_lock(lock), "sorted and stable: reruns give the same file"


def test_resolve_refuses_an_answer_that_is_not_a_digest() -> None:
    with pytest.raises(RuntimeError, match="not a sha256 digest"):
        resolve(["team/api:1.0"], "x.azurecr.io", lambda _: "latest")


def test_prod_refuses_a_tag_the_lock_does_not_pin_and_dev_allows_it() -> None:
    from infra.config import Environment
    from infra.services.validation import validate_applications

    apps = [
        Application(
            name="shop",
            source="apps/test.py",
            services=(
                ServiceSpec(
                    name="api",
                    image="team/api:1.0",
                    target=Target.AKS,
                    ports=(Port(name="http", number=8080),),
                    probes=Probes(liveness=TcpProbe()),
                ),
            ),
        )
    ]
    with pytest.raises(InvalidInput) as caught:
        validate_applications(apps, dataclasses.replace(context(Environment.PROD), image_lock={}))
    assert (
        "image = 'team/api:1.0': is a tag without a digest, and prod runs images by digest →"
        " let the deploy workflow lock it (python -m infra.services.image_lock resolve prod writes"
        " apps/images.lock.yaml) or pin repository@sha256:<digest>"
    ) in str(caught.value)
    catalog = validate_applications(
        apps, dataclasses.replace(context(Environment.PROD), image_lock={"team/api:1.0": DIGEST})
    )
    assert catalog.services[0].spec.image == f"team/api:1.0@{DIGEST}"
    dev = validate_applications(apps, dataclasses.replace(context(Environment.DEV), image_lock={}))
    assert dev.services[0].spec.image == "team/api:1.0"


def test_the_preview_shows_the_new_digest_when_a_tag_moves(
    snapshots: dict[str, dict[str, Any]], monkeypatch: pytest.MonkeyPatch
) -> None:
    moved = {**load_lock(), "storefront/catalog-api:1.14.0": DIGEST}
    monkeypatch.setattr("infra.services.validation.load_lock", lambda: moved)
    head = to_snapshot(run_offline(read_stack("prod"), build))
    result = diff(snapshots["prod"], head)
    # catalog-api, the catalog-reindex job and the stock-sync worker run the same image: all
    # move with the tag.
    by_name = {change.name: change for change in result.changes}
    assert set(by_name) == {
        "storefront-catalog-api",
        "storefront-jobs-catalog-reindex",
        "storefront-stock-sync",
    }
    change = by_name["storefront-catalog-api"]
    assert (change.type, change.operation) == (DEPLOYMENT, Operation.UPDATE)
    (prop,) = change.changes
    assert prop.path == "spec.template.spec.containers[0].image"
    assert prop.after == f"shopprodacr.azurecr.io/storefront/catalog-api:1.14.0@{DIGEST}"
    job = by_name["storefront-jobs-catalog-reindex"]
    assert job.operation is Operation.UPDATE
    (job_prop,) = job.changes
    assert job_prop.after == prop.after


def test_every_declared_image_is_deployed_by_digest_in_prod(
    snapshots: dict[str, dict[str, Any]],
) -> None:
    images = [
        c["image"]
        for r in snapshots["prod"]["resources"]
        if r["type"] == DEPLOYMENT
        for c in r["inputs"]["spec"]["template"]["spec"]["containers"]
    ] + [
        c["image"]
        for r in snapshots["prod"]["resources"]
        if r["type"] == "azure-native:app:ContainerApp"
        for c in r["inputs"]["template"]["containers"]
    ]
    assert len(images) == sum(len(a.services) for a in load_applications())
    assert all("@sha256:" in image for image in images)


def test_verify_names_every_image_the_registry_holds_differently_or_the_lock_lacks() -> None:
    lock = {"team/api:1.0": DIGEST, "team/web:2.0": DIGEST}
    other = "sha256:" + "c" * 64
    held = {"x.azurecr.io/team/api:1.0": DIGEST, "x.azurecr.io/team/web:2.0": other}
    problems = image_lock.verify(
        ["team/api:1.0", "team/web:2.0", "team/new:1.0"], "x.azurecr.io", held.__getitem__, lock
    )
    assert problems == [
        "team/new:1.0: not in the lock",
        f"team/web:2.0: x.azurecr.io holds {other}, the lock says {DIGEST}",
    ]


def test_the_deploy_workflow_locks_in_dev_and_deploys_the_same_lock_in_prod() -> None:
    import yaml

    workflow = yaml.safe_load((ROOT / ".github" / "workflows" / "deploy.yml").read_text())
    dev = [s.get("run", "") + str(s.get("uses", "")) for s in workflow["jobs"]["dev"]["steps"]]
    prod = [s.get("run", "") + str(s.get("uses", "")) for s in workflow["jobs"]["prod"]["steps"]]
    up = next(i for i, s in enumerate(dev) if "pulumi/actions" in s)
    assert any("image_lock resolve dev" in s for s in dev[:up])
    up = next(i for i, s in enumerate(prod) if "pulumi/actions" in s)
    assert any("download-artifact" in s for s in prod[:up])
    assert any("image_lock verify prod" in s for s in prod[:up])
    assert not any("image_lock resolve" in s for s in prod), "prod deploys what dev resolved"


def test_turning_encryption_at_host_on_later_previews_as_an_update_that_azure_refuses(
    snapshots: dict[str, dict[str, Any]],
) -> None:
    """AKS sets it only when a pool is created. pulumi-azure-native previews the change as an
    in-place update (agent pool fields are not force-new: pulumi-azure-native#2774), so the
    offline diff says so too; the deploy simulator refuses the update (aks-pool-create-only)."""
    from infra.simulate.plan import Plan
    from infra.simulate.replay import replay
    from infra.simulate.world import World

    before = to_snapshot(run_offline(_stack_with("prod", encryptionAtHost=False), build))
    result = diff(before, snapshots["prod"])
    cluster = next(c for c in result.changes if c.type == CLUSTER)
    assert cluster.operation is Operation.UPDATE
    assert {c.path for c in cluster.changes} >= {
        "agentPoolProfiles[0].enableEncryptionAtHost",
        "agentPoolProfiles[1].enableEncryptionAtHost",
    }
    deployed = Plan.from_snapshot(before)
    phase, _ = replay(
        "update", Plan.from_snapshot(snapshots["prod"]), World(resources=dict(deployed.resources))
    )
    assert "aks-pool-create-only" in {r.rule for r in phase.refusals}


# ----- Placeholder digests never reach a real deploy (issue 21, point 8) ----------------------


def test_the_committed_lock_says_its_digests_are_placeholders() -> None:
    """The reference application's images are fictional: nothing may deploy its digests."""
    assert image_lock.is_placeholder()


def test_resolve_writes_a_lock_that_is_no_placeholder(tmp_path: Path) -> None:
    path = tmp_path / "images.lock.yaml"
    path.write_text(image_lock.lock_path().read_text())
    assert image_lock.is_placeholder(path)

    def registry(reference: str) -> str:
        return "sha256:" + hashlib.sha256(reference.encode()).hexdigest()

    assert image_lock.main(["resolve", "dev", "--lock", str(path)], resolver=registry) == 0
    assert not image_lock.is_placeholder(path)


def test_a_placeholder_flag_that_is_not_a_boolean_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "images.lock.yaml"
    path.write_text(f"version: 1\nplaceholder: 'yes'\nimages:\n  team/api:1.0: {DIGEST}\n")
    with pytest.raises(InvalidInput):
        image_lock.is_placeholder(path)


def test_a_real_deploy_refuses_the_placeholder_lock_before_registering_anything(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """`pulumi up` with placeholder digests: ImagePullBackOff on AKS, a Container Apps revision
    that never starts. The program stops first, naming the lock and the fix."""
    monkeypatch.setattr("infra.running_stack.real_deploy", lambda: True)
    with pytest.raises(ProgramFailed) as caught:
        run_offline(read_stack("dev"), build)
    assert caught.value.run.resources == []
    assert isinstance(caught.value.cause, InvalidInput)
    assert "apps/images.lock.yaml" in str(caught.value.cause)
    assert "image_lock resolve" in str(caught.value.cause)


@pytest.mark.slow
def test_a_real_deploy_with_a_resolved_lock_and_any_preview_go_ahead(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr("infra.running_stack.is_placeholder", lambda: False)
    monkeypatch.setattr("infra.running_stack.real_deploy", lambda: True)
    assert run_offline(read_stack("dev"), build).resources
    monkeypatch.setattr("infra.running_stack.is_placeholder", lambda: True)
    monkeypatch.setattr("infra.running_stack.real_deploy", lambda: False)
    assert run_offline(read_stack("dev"), build).resources
