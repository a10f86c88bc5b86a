"""The offline preview: deterministic snapshots, correct diffs, rendered files, no secret leaks."""

from __future__ import annotations

import contextlib
import copy
import dataclasses
import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st
from rich.console import Console

from infra.preview.cli import EXIT_BLOCKED, EXIT_CHANGES, EXIT_NO_CHANGES, main
from infra.preview.diff import Operation, diff, to_json
from infra.preview.engine import OfflineRun, run_offline
from infra.preview.render import render_snapshot
from infra.preview.report import markdown, print_diff, print_plan
from infra.preview.snapshot import dumps, to_snapshot
from infra.preview.stackfile import ROOT, read_stack
from infra.program import build
from infra.services.loader import load_applications
from tests.fixtures import run_python, run_with_config_secret
from tests.k8s_schema import validate_object

SECRET = "n0-0ne-may-see-th1s"


@pytest.fixture(scope="module")
def dev_snapshot(dev: OfflineRun) -> dict[str, Any]:
    return to_snapshot(dev)


def _find(snapshot: dict[str, Any], token: str, name: str) -> dict[str, Any]:
    return next(r for r in snapshot["resources"] if r["type"] == token and r["name"] == name)


@pytest.mark.slow
def test_snapshot_is_byte_identical_across_processes(
    dev_snapshot: dict[str, Any], tmp_path: Path
) -> None:
    out = tmp_path / "plan.json"
    result = run_python("-m", "infra.preview", "plan", "dev", "--out", str(out), "--quiet")
    assert result.returncode == 0, result.stderr
    assert out.read_text() == dumps(dev_snapshot)
    again = to_snapshot(run_offline(read_stack("dev"), build))
    assert dumps(again) == dumps(dev_snapshot)


def test_snapshot_records_type_parent_provider_inputs_and_options(
    dev_snapshot: dict[str, Any],
) -> None:
    cluster = _find(dev_snapshot, "azure-native:containerservice:ManagedCluster", "aks-cluster")
    assert cluster["parent"].endswith("platform:foundation:AksCluster::aks")
    assert cluster["options"]["ignoreChanges"] == [
        "agentPoolProfiles[0].count",
        "agentPoolProfiles[1].count",
        "kubernetesVersion",
    ]
    deployment = _find(dev_snapshot, "kubernetes:apps/v1:Deployment", "storefront-catalog-api")
    assert deployment["provider"].endswith("pulumi:providers:kubernetes::aks-k8s")
    assert (
        deployment["inputs"]["spec"]["selector"]["matchLabels"]["app.kubernetes.io/name"]
        == "catalog-api"
    )
    assert dev_snapshot["outputs"]["kubeconfig"] == "[secret]"
    assert [s["name"] for s in dev_snapshot["topology"]["services"]][:2] == [
        "admin-web",
        "basket-api",
    ]


def test_prod_snapshot_marks_protected_resources(prod: OfflineRun) -> None:
    snapshot = to_snapshot(prod)
    protected = {r["name"] for r in snapshot["resources"] if r["options"].get("protect")}
    assert {"aks-cluster", "registry-acr", "observability-logs", "keyvault-vault"} <= protected


# ----- diffs on crafted pairs ------------------------------------------------------------


def test_identical_snapshots_have_no_changes(dev_snapshot: dict[str, Any]) -> None:
    result = diff(dev_snapshot, copy.deepcopy(dev_snapshot))
    assert result.empty
    assert markdown(result) == "", "no comment when nothing changed"


def test_update_with_nested_property_path(dev_snapshot: dict[str, Any]) -> None:
    head = copy.deepcopy(dev_snapshot)
    _find(head, "kubernetes:apps/v1:Deployment", "storefront-catalog-api")["inputs"]["spec"][
        "template"
    ]["spec"]["containers"][0]["image"] = "shopdevacr.azurecr.io/storefront/catalog-api:1.15.0"
    result = diff(dev_snapshot, head)
    assert [(c.operation, c.name, c.service) for c in result.changes] == [
        (Operation.UPDATE, "storefront-catalog-api", "catalog-api")
    ]
    assert [p.path for p in result.changes[0].changes] == ["spec.template.spec.containers[0].image"]
    assert result.counts() == {"create": 0, "update": 1, "replace": 0, "delete": 0}
    assert result.by_service() == {"catalog-api": {"update": 1}}


@pytest.mark.parametrize(
    ("token", "name", "path", "value"),
    [
        (
            "azure-native:containerservice:ManagedCluster",
            "aks-cluster",
            ["networkProfile", "podCidr"],
            "192.169.0.0/16",
        ),
        (
            "kubernetes:apps/v1:Deployment",
            "storefront-catalog-api",
            ["spec", "selector", "matchLabels", "tier"],
            "x",
        ),
        ("azure-native:app:ContainerApp", "web", ["containerAppName"], "web2"),
        ("azure-native:app:ManagedEnvironment", "container-apps-env", ["zoneRedundant"], True),
        ("azure-native:network:VirtualNetwork", "network-vnet", ["location"], "northeurope"),
    ],
)
def test_changes_that_force_a_new_resource_are_replacements(
    dev_snapshot: dict[str, Any], token: str, name: str, path: list[Any], value: Any
) -> None:
    head = copy.deepcopy(dev_snapshot)
    target = _find(head, token, name)["inputs"]
    for part in path[:-1]:
        target = target[part]
    target[path[-1]] = value
    result = diff(dev_snapshot, head)
    changed = next(c for c in result.changes if c.type == token and c.name == name)
    assert changed.operation is Operation.REPLACE
    assert changed.changes[0].forces_replacement
    # What reads the replaced resource's outputs changes too (see test_preview_semantics).
    assert all(c.operation in (Operation.UPDATE, Operation.REPLACE) for c in result.changes)


def test_protected_resources_are_blocked(prod: OfflineRun, tmp_path: Path) -> None:
    base = to_snapshot(prod)
    head = copy.deepcopy(base)
    head["resources"] = [r for r in head["resources"] if r["name"] != "registry-acr"]
    _find(head, "azure-native:containerservice:ManagedCluster", "aks-cluster")["inputs"][
        "networkProfile"
    ]["podCidr"] = "192.169.0.0/16"
    _find(head, "azure-native:operationalinsights:Workspace", "observability-logs")["inputs"][
        "retentionInDays"
    ] = 120
    result = diff(base, head)
    blocked = {c.name: c.operation for c in result.blocked}
    assert blocked == {"registry-acr": Operation.DELETE, "aks-cluster": Operation.REPLACE}
    workspace = next(c for c in result.changes if c.name == "observability-logs")
    assert workspace.protected
    assert not workspace.blocked, "updating a protected resource is allowed"
    (tmp_path / "base.json").write_text(dumps(base))
    (tmp_path / "head.json").write_text(dumps(head))
    assert (
        main(
            [
                "diff",
                str(tmp_path / "base.json"),
                str(tmp_path / "head.json"),
                "--format",
                "json",
                "--out",
                str(tmp_path / "d.json"),
            ]
        )
        == EXIT_BLOCKED
    )
    report = json.loads((tmp_path / "d.json").read_text())
    assert sorted(report["blocked"]) == sorted(c.urn for c in result.blocked)


def test_exit_codes_for_no_changes_and_changes(
    dev_snapshot: dict[str, Any], tmp_path: Path
) -> None:
    (tmp_path / "a.json").write_text(dumps(dev_snapshot))
    head = copy.deepcopy(dev_snapshot)
    head["resources"] = head["resources"][:-1]
    (tmp_path / "b.json").write_text(dumps(head))
    assert (
        main(
            [
                "diff",
                str(tmp_path / "a.json"),
                str(tmp_path / "a.json"),
                "--out",
                str(tmp_path / "o.txt"),
            ]
        )
        == EXIT_NO_CHANGES
    )
    assert (
        main(
            [
                "diff",
                str(tmp_path / "a.json"),
                str(tmp_path / "b.json"),
                "--out",
                str(tmp_path / "o.txt"),
            ]
        )
        == EXIT_CHANGES
    )
    assert main(["diff", str(tmp_path / "a.json"), str(tmp_path / "missing.json")]) == 2


def test_changing_a_service_in_apps_shows_exactly_that_change(dev_snapshot: dict[str, Any]) -> None:
    apps = load_applications()
    changed = [
        dataclasses.replace(
            a,
            services=tuple(
                dataclasses.replace(s, image="storefront/basket-api:3.3.0")
                if s.name == "basket-api"
                else s
                for s in a.services
            ),
        )
        for a in apps
    ]
    head = to_snapshot(run_offline(read_stack("dev"), lambda: build(applications=changed)))
    result = diff(dev_snapshot, head)
    assert [(c.name, c.operation) for c in result.changes] == [
        ("storefront-basket-api", Operation.UPDATE)
    ]
    paths = [p.path for p in result.changes[0].changes]
    assert paths == [
        "metadata.labels.app.kubernetes.io/version",
        "spec.template.metadata.labels.app.kubernetes.io/version",
        "spec.template.spec.containers[0].image",
    ]


def test_topology_change_is_shown_in_the_comment(dev_snapshot: dict[str, Any]) -> None:
    head = copy.deepcopy(dev_snapshot)
    head["topology"]["services"][0]["exposure"] = "public"
    head["resources"] = head["resources"][:-1]
    text = markdown(diff(dev_snapshot, head))
    assert "```mermaid" in text
    assert "internet -->|https| svc_admin_web" in text
    unchanged = copy.deepcopy(dev_snapshot)
    unchanged["resources"] = unchanged["resources"][:-1]
    assert "```mermaid" not in markdown(diff(dev_snapshot, unchanged))


def test_text_report_uses_pulumi_prefixes_and_no_colour_for_files(
    dev_snapshot: dict[str, Any],
) -> None:
    head = copy.deepcopy(dev_snapshot)
    gone = head["resources"].pop()
    head["resources"].append({**gone, "urn": gone["urn"] + "-new", "name": gone["name"] + "-new"})
    console = Console(record=True, width=200, no_color=True)
    print_diff(diff(dev_snapshot, head), console)
    text = console.export_text()
    assert f"-  {gone['type']}  {gone['name']}" in text
    assert f"+  {gone['type']}  {gone['name']}-new" in text
    assert "\x1b[" not in text
    plan_console = Console(record=True, width=200, no_color=True)
    print_plan(dev_snapshot, plan_console)
    assert "Resources:" in plan_console.export_text()


# ----- render -------------------------------------------------------------------------------


@pytest.mark.slow
def test_render_writes_kubernetes_yaml_by_namespace_azure_json_and_topology(
    dev_snapshot: dict[str, Any], tmp_path: Path
) -> None:
    written = render_snapshot(dev_snapshot, tmp_path)
    deployment = tmp_path / "kubernetes" / "storefront" / "Deployment-catalog-api.yaml"
    assert deployment in written
    assert (tmp_path / "kubernetes" / "_cluster" / "Namespace-storefront.yaml").exists()
    assert (tmp_path / "azure" / "containerservice" / "ManagedCluster-aks-cluster.json").exists()
    for path in (tmp_path / "kubernetes").rglob("*.yaml"):
        validate_object(yaml.safe_load(path.read_text()))
    topology = (tmp_path / "topology.mmd").read_text()
    assert topology.startswith("flowchart LR")
    assert "svc_web --> svc_catalog_api" in topology
    assert 'subgraph container_apps["Container Apps"]' in topology


# ----- secrets ------------------------------------------------------------------------------


def test_a_known_secret_never_appears_in_plan_diff_render_or_logs(
    dev_snapshot: dict[str, Any], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    head = to_snapshot(run_with_config_secret(SECRET))
    result = diff(dev_snapshot, head)
    outputs = [dumps(head), json.dumps(to_json(result)), markdown(result)]
    console = Console(record=True, width=200)
    print_diff(result, console)
    print_plan(head, console)
    outputs.append(console.export_text())
    render_snapshot(head, tmp_path)
    outputs += [p.read_text() for p in tmp_path.rglob("*") if p.is_file()]
    captured = capsys.readouterr()
    outputs += [captured.out, captured.err]
    assert not [o for o in outputs if SECRET in o]
    assert any("extra-aks-api-config" in o for o in outputs), (
        "the secret's resource is there, masked"
    )


# ----- properties of diff -------------------------------------------------------------------

VALUES = st.recursive(
    st.one_of(st.integers(-3, 3), st.booleans(), st.text(max_size=3), st.none()),
    lambda inner: st.one_of(
        st.lists(inner, max_size=3), st.dictionaries(st.sampled_from("abc"), inner, max_size=3)
    ),
    max_leaves=8,
)


@st.composite
def snapshots(draw: st.DrawFn) -> dict[str, Any]:
    names = draw(st.lists(st.from_regex(r"[a-e]{1,2}", fullmatch=True), unique=True, max_size=6))
    kinds = {n: draw(st.sampled_from(["test:a:B", "kubernetes:apps/v1:Deployment"])) for n in names}
    # As in Pulumi, the URN carries the type: a resource's type never changes under one URN.
    resources = [
        {
            "urn": f"urn:x::{kinds[n]}::{n}",
            "type": kinds[n],
            "name": n,
            "parent": "",
            "custom": True,
            "provider": draw(st.sampled_from(["", "urn:p::one"])),
            "inputs": draw(
                st.dictionaries(st.sampled_from(["x", "y", "spec"]), VALUES, max_size=3)
            ),
            "options": {"protect": True} if draw(st.booleans()) else {},
        }
        for n in names
    ]
    return {"stack": "t", "resources": resources, "topology": {}}


@pytest.mark.slow
@settings(max_examples=150, deadline=None)
@given(snapshots())
def test_diff_of_a_snapshot_with_itself_is_empty(snapshot: dict[str, Any]) -> None:
    assert diff(snapshot, copy.deepcopy(snapshot)).empty


@pytest.mark.slow
@settings(max_examples=150, deadline=None)
@given(snapshots(), snapshots())
def test_diff_names_exactly_the_resources_that_differ(a: dict[str, Any], b: dict[str, Any]) -> None:
    by_a = {r["urn"]: r for r in a["resources"]}
    by_b = {r["urn"]: r for r in b["resources"]}

    # The engine diffs inputs and the provider reference; options alone are no step.
    def decided_by(r: dict[str, Any]) -> str:
        return json.dumps([r["inputs"], r["provider"]], sort_keys=True)

    differing = {
        u
        for u in set(by_a) | set(by_b)
        if u not in by_a or u not in by_b or decided_by(by_a[u]) != decided_by(by_b[u])
    }
    assert {c.urn for c in diff(a, b).changes} == differing


@pytest.mark.slow
@settings(max_examples=150, deadline=None)
@given(snapshots(), snapshots())
def test_swapping_base_and_head_swaps_creates_and_deletes(
    a: dict[str, Any], b: dict[str, Any]
) -> None:
    forward, backward = diff(a, b), diff(b, a)
    creates = {c.urn for c in forward.changes if c.operation is Operation.CREATE}
    deletes = {c.urn for c in forward.changes if c.operation is Operation.DELETE}
    assert creates == {c.urn for c in backward.changes if c.operation is Operation.DELETE}
    assert deletes == {c.urn for c in backward.changes if c.operation is Operation.CREATE}
    assert {c.urn for c in forward.changes} == {c.urn for c in backward.changes}


def test_workflows_are_valid_github_workflows() -> None:
    files = sorted((ROOT / ".github" / "workflows").glob("*.yml"))
    assert {f.name for f in files} >= {
        "ci.yml",
        "offline-preview.yml",
        "preview-comment.yml",
        "pulumi-preview.yml",
        "deploy.yml",
    }
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "check_jsonschema",
            "--builtin-schema",
            "vendor.github-workflows",
            *map(str, files),
        ],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    # The local composite actions the deploy workflows share (first deploy, the lock's return).
    actions = sorted((ROOT / ".github" / "actions").glob("*/action.yml"))
    assert {f.parent.name for f in actions} >= {"first-deploy-foundation", "return-image-lock"}
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "check_jsonschema",
            "--builtin-schema",
            "vendor.github-actions",
            *map(str, actions),
        ],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    deploy = yaml.safe_load((ROOT / ".github" / "workflows" / "deploy.yml").read_text())
    assert "dev" in deploy["jobs"]["prod"]["needs"], "prod after dev"
    assert deploy["jobs"]["prod"]["environment"] == "production"
    offline = yaml.safe_load((ROOT / ".github" / "workflows" / "offline-preview.yml").read_text())
    assert offline["permissions"] == {"contents": "read"}, (
        "the fork-facing job holds no write token"
    )


@pytest.mark.slow
def test_plans_of_several_stacks_in_one_command_match_single_plans(tmp_path: Path) -> None:
    result = run_python(
        "-m",
        "infra.preview",
        "plan",
        "dev",
        "prod",
        "--quiet",
        "--out",
        str(tmp_path / "{stack}.json"),
    )
    assert result.returncode == 0, result.stderr
    for stack in ("dev", "prod"):
        single = dumps(to_snapshot(run_offline(read_stack(stack), build)))
        assert (tmp_path / f"{stack}.json").read_text() == single
    assert main(["plan", "dev", "prod", "--out", str(tmp_path / "one.json")]) == 2


def test_offline_runs_drop_provider_version_aliases_only_while_they_run() -> None:
    import pulumi

    from infra.preview.engine import _only_program_aliases

    version = pulumi.Alias(type_="azure-native:network:PrivateRecordSet")
    own = pulumi.Alias(name="old")
    with_alias = pulumi.ResourceOptions(aliases=[own])
    with _only_program_aliases():
        assert pulumi.ResourceOptions.merge(with_alias, None).aliases == [own]
        only_version = pulumi.ResourceOptions(aliases=[version])
        assert pulumi.ResourceOptions.merge(None, only_version).aliases is None
        merged = pulumi.ResourceOptions.merge(with_alias, only_version)
        assert merged.aliases == [own]
    assert pulumi.ResourceOptions.merge(with_alias, only_version).aliases == [own, version]
    assert with_alias.merge(pulumi.ResourceOptions()).aliases is not None


def test_skipping_the_sdks_stack_walk_changes_no_plan(
    dev: OfflineRun, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Offline plans skip the SDK's source positions for speed (infra/preview/engine.py): the
    recorded plan is byte-identical to one made with the SDK's own stack walk, and the SDK's
    function is back in place after a plan."""
    from pulumi.runtime import resource as runtime_resource

    from infra.preview import engine

    sdk = runtime_resource._get_stack_trace
    monkeypatch.setattr(engine, "_without_source_positions", contextlib.nullcontext)
    with_sdk = run_offline(read_stack("dev"), build)
    assert runtime_resource._get_stack_trace is sdk
    assert dumps(to_snapshot(with_sdk)) == dumps(to_snapshot(dev))
