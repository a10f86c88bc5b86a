"""Helm hooks: `helm.v4.Chart` never applies them, so every chart version the platform pins has
a vendored hook list read from its templates, and each hook the chart renders is either created
by the program (gateway-helm's certgen), turned off by values, or does without with a stated
reason (the ALB chart's pre-delete cleanup); a version whose list has any other hook is not
installed. The real plans pass `chart-hooks-dropped` and `chart-namespace-missing`; today's
shape (no certgen objects, no ALB namespace) is refused."""

from __future__ import annotations

import copy
import re
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from infra.preview.engine import OfflineRun, run_offline
from infra.preview.snapshot import to_snapshot
from infra.preview.stackfile import read_stack
from infra.program import build
from infra.services import chart_hooks as chart_hooks_module
from infra.services.chart_hooks import (
    UnhandledChartHook,
    chart_hooks,
    chart_name,
    dropped,
    vendored,
)
from infra.services.chart_versions import ALB_CHART, ALB_CHART_VERSION, REVIEWED_CHARTS
from infra.services.components.gateway import ALB_ACCEPTED_HOOKS
from infra.services.render.envoy_gateway import (
    ENVOY_GATEWAY_CHART_NAME,
    certgen_objects,
    controller_values,
)
from infra.simulate import Plan, World, replay
from infra.simulate.scenario import parsed_config
from tests.fixtures import NO_EXTENSIONS
from tests.k8s_schema import validate_object

CHART = "kubernetes:helm.sh/v4:Chart"
JOB = "kubernetes:batch/v1:Job"
NAMESPACE = "kubernetes:core/v1:Namespace"
RA = "azure-native:authorization:RoleAssignment"
READER = "acdd72a7-3385-48ef-bd42-f606fba81ae7"

PINNED = sorted(
    {(chart_name(c.chart), c.version) for c in REVIEWED_CHARTS}
    | {(chart_name(ALB_CHART), ALB_CHART_VERSION)}
)
"""Every chart version the platform installs: the reviewed list and the ALB controller."""
EG_VERSION = next(v for c, v in PINNED if c == ENVOY_GATEWAY_CHART_NAME)


# ----- The vendored lists ----------------------------------------------------------------------


@pytest.mark.parametrize(("chart", "version"), PINNED)
def test_every_pinned_chart_version_has_a_vendored_hook_list(chart: str, version: str) -> None:
    """A version bump without reading the new version's hooks fails here."""
    hooks = chart_hooks(chart, version)
    assert hooks is not None, f"vendor upstream/charts/{chart}-{version}/hooks.yaml"
    source = (hooks.folder / "SOURCE.md").read_text()
    assert re.search(r"Read: \d{4}-\d{2}-\d{2}|read 2026-\d{2}-\d{2}", source), "date read"


def _template_hooks(path: Path) -> list[tuple[str, str, int, tuple[str, ...]]]:
    """(kind, events, weight, delete policy) of each document of a vendored template that
    carries `helm.sh/hook`, read from the template text itself."""
    found = []
    for document in re.split(r"^---\s*$", path.read_text(), flags=re.M):
        hook = re.search(r'"helm\.sh/hook":\s*(.+)', document)
        if hook is None:
            continue
        kind = re.search(r"^kind:\s*(\w+)", document, flags=re.M)
        assert kind is not None
        weight = re.search(r'"helm\.sh/hook-weight":\s*"(-?\d+)"', document)
        policy = re.search(r'"helm\.sh/hook-delete-policy":\s*(.+)', document)
        events = ",".join(sorted(e.strip() for e in hook.group(1).split(",")))
        found.append(
            (
                kind.group(1),
                events,
                int(weight.group(1)) if weight else 0,
                tuple(p.strip() for p in policy.group(1).split(",")) if policy else (),
            )
        )
    return found


@pytest.mark.parametrize("hooks", vendored(), ids=lambda h: h.folder.name)
def test_each_hook_list_is_what_its_vendored_templates_say(hooks: Any) -> None:
    """The list is read from the templates: kinds, events, weights and delete policies agree
    with the `helm.sh/hook*` annotations of the vendored template files, and every vendored
    template with a hook is listed."""
    if hooks.evidence != "templates":
        assert hooks.evidence == "documented"
        assert (
            "no public" in (hooks.folder / "SOURCE.md").read_text().lower()
            or "none public" in (hooks.folder / "SOURCE.md").read_text()
        )
        return
    listed = sorted(
        (h.kind, ",".join(sorted(h.events)), h.weight or 0, h.delete_policy or ())
        for h in hooks.hooks
    )
    from_templates = sorted(
        hook
        for path in sorted(hooks.folder.rglob("*.yaml"))
        if path.name != "hooks.yaml" and "templates" in path.parts
        for hook in _template_hooks(path)
    )
    assert listed == from_templates
    for hook in hooks.hooks:
        assert (hooks.folder / hook.template).is_file()


# ----- Every pinned chart's hooks are handled ------------------------------------------------


def test_gateway_helm_hooks_are_all_created_by_the_program() -> None:
    """Each install hook the controller chart renders with the platform's values is one object
    certgen_objects creates, under the hook's resolved name; the rest are off by values."""
    hooks = chart_hooks(ENVOY_GATEWAY_CHART_NAME, EG_VERSION)
    assert hooks is not None
    values = controller_values()
    expected = {
        (h.kind, h.resolved_name("envoy-gateway", "gateway-helm", "envoy-gateway-system", values))
        for h in hooks.rendered(values)
        if h.at_install
    }
    created = [o for wave in certgen_objects(EG_VERSION, NO_EXTENSIONS) for o in wave]
    assert {(o["kind"], o["metadata"]["name"]) for o in created} == expected
    assert expected == {
        (kind, "envoy-gateway-gateway-helm-certgen")
        for kind in ("ServiceAccount", "Role", "RoleBinding", "Job")
    }
    off = {h.kind for h in hooks.hooks} - {h.kind for h in hooks.rendered(values)}
    assert off == {"ClusterRole", "ClusterRoleBinding", "MutatingWebhookConfiguration"}


def test_the_alb_chart_hooks_are_handled_or_accepted_with_a_reason() -> None:
    values = {"albController": {"namespace": "azure-alb-system", "podIdentity": {"clientID": "x"}}}
    assert dropped("alb-controller", ALB_CHART_VERSION, values, accepted=ALB_ACCEPTED_HOOKS) == []
    assert dropped("alb-controller", ALB_CHART_VERSION, values), "the cleanup Job is a hook"


@pytest.mark.parametrize(
    ("chart", "version"), [(c, v) for c, v in PINNED if c in ("valkey", "gateway-crds-helm")]
)
def test_application_and_crd_charts_have_no_hook_to_drop(chart: str, version: str) -> None:
    assert dropped(chart, version, {"auth": {"enabled": True}}) == []


@pytest.fixture
def bumped(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """The vendored lists, with the pinned gateway-helm's list gaining one install hook (what a
    version bump could bring)."""
    copy_root = tmp_path / "charts"
    shutil.copytree(chart_hooks_module.UPSTREAM_CHARTS, copy_root)
    path = copy_root / f"gateway-helm-{EG_VERSION}" / "hooks.yaml"
    raw = yaml.safe_load(path.read_text())
    raw["hooks"].append(
        {
            "kind": "ConfigMap",
            "apiVersion": "v1",
            "name": "{fullname}-migration",
            "namespaced": True,
            "events": ["post-upgrade"],
            "weight": 0,
            "deletePolicy": [],
            "when": None,
            "template": "templates/certgen.yaml",
        }
    )
    path.write_text(yaml.safe_dump(raw))
    monkeypatch.setattr(chart_hooks_module, "UPSTREAM_CHARTS", copy_root)
    chart_hooks_module.chart_hooks.cache_clear()
    yield copy_root
    chart_hooks_module.chart_hooks.cache_clear()


def test_a_new_hook_in_a_pinned_version_stops_the_program(bumped: Path) -> None:
    with pytest.raises(UnhandledChartHook, match=r"ConfigMap \{fullname\}-migration"):
        certgen_objects(EG_VERSION, NO_EXTENSIONS)
    assert dropped("gateway-helm", EG_VERSION, controller_values(), provided=frozenset())


# ----- The certgen objects -----------------------------------------------------------------


def _template(name: str) -> str:
    return (
        chart_hooks_module.UPSTREAM_CHARTS / f"gateway-helm-{EG_VERSION}" / "templates" / name
    ).read_text()


def test_certgen_objects_are_valid_and_match_the_chart_templates() -> None:
    waves = certgen_objects(EG_VERSION, NO_EXTENSIONS)
    assert [[o["kind"] for o in wave] for wave in waves] == [
        ["ServiceAccount", "Role", "RoleBinding"],
        ["Job"],
    ], "Helm's hook weights: RBAC (-1) before the Job (0)"
    objects = {o["kind"]: o for wave in waves for o in wave}
    for obj in objects.values():
        validate_object(obj)
        assert obj["metadata"]["namespace"] == "envoy-gateway-system"
    rbac = _template("certgen-rbac.yaml")
    rules = yaml.safe_load(rbac.split("rules:\n", 1)[1].split("---", 1)[0])
    assert objects["Role"]["rules"] == rules
    assert "automountServiceAccountToken: false" in rbac
    assert objects["ServiceAccount"]["automountServiceAccountToken"] is False
    job_template = _template("certgen.yaml")
    spec = objects["Job"]["spec"]
    pod = spec["template"]["spec"]
    (container,) = pod["containers"]
    for field in ("backoffLimit: 1", "completions: 1", "parallelism: 1", "restartPolicy: Never"):
        assert field in job_template
    assert container["command"] == ["envoy-gateway", "certgen"]
    assert '"--disable-topology-injector"' in job_template
    assert container["args"] == ["--disable-topology-injector"]
    assert [e["name"] for e in container["env"]] == re.findall(
        r"- name: (ENVOY_GATEWAY_NAMESPACE|KUBERNETES_CLUSTER_DOMAIN)", job_template
    )
    assert container["image"] == f"docker.io/envoyproxy/gateway:{EG_VERSION}"
    assert pod["serviceAccountName"] == objects["ServiceAccount"]["metadata"]["name"]
    # Kept after completion: a TTL-deleted Job would be recreated by every refreshing `up`.
    assert "ttlSecondsAfterFinished" not in spec


# ----- The programs' plans ------------------------------------------------------------------


@pytest.fixture(scope="module")
def local() -> OfflineRun:
    return run_offline(read_stack("local"), build)


def _plan(run: OfflineRun, stack: str, edit: Any = None) -> Plan:
    snapshot = copy.deepcopy(to_snapshot(run))
    if edit is not None:
        edit(snapshot["resources"])
    return Plan.from_snapshot(snapshot, parsed_config(read_stack(stack).values))


def _rules(plan: Plan) -> set[str]:
    phase, _ = replay("test", plan, World())
    return {r.rule for r in phase.refusals}


def test_the_controller_chart_waits_for_the_certgen_job(
    runs: dict[str, OfflineRun], local: OfflineRun
) -> None:
    for run in (runs["dev"], local):
        job = run.one(JOB, "envoy-gateway-system-envoy-gateway-gateway-helm-certgen")
        controller = run.one(CHART, "envoy-gateway")
        assert job.urn in controller.depends_on
        assert controller.inputs["values"]["topologyInjector"] == {"enabled": False}


def test_chart_rules_pass_on_the_real_plans(runs: dict[str, OfflineRun], local: OfflineRun) -> None:
    for run, stack in ((runs["dev"], "dev"), (runs["prod"], "prod"), (local, "local")):
        found = _rules(_plan(run, stack))
        assert "chart-hooks-dropped" not in found, stack
        assert "chart-namespace-missing" not in found, stack


def _without_hook_objects(resources: list[dict[str, Any]]) -> None:
    """Today's plan: the controller chart alone, certgen dropped with the hooks."""
    gone = {r["urn"] for r in resources if "gateway-helm-certgen" in r["name"]}
    resources[:] = [r for r in resources if r["urn"] not in gone]
    for r in resources:
        deps = r.get("options", {}).get("dependsOn")
        if deps:
            r["options"]["dependsOn"] = [d for d in deps if d not in gone]
    for r in resources:
        if r["type"] == CHART and r["name"] == "envoy-gateway":
            r["inputs"]["values"].pop("topologyInjector")


def test_todays_plan_without_certgen_is_refused(local: OfflineRun) -> None:
    assert "chart-hooks-dropped" in _rules(_plan(local, "local", _without_hook_objects))


def test_the_alb_controller_gets_its_namespace_and_node_group_reader(
    runs: dict[str, OfflineRun],
) -> None:
    dev = runs["dev"]
    namespace = dev.one(NAMESPACE, "azure-alb-system")
    alb = dev.one(CHART, "alb-controller")
    assert namespace.urn in alb.depends_on
    assert alb.inputs["namespace"] == "azure-alb-system"
    readers = [
        r
        for r in dev.by_type(RA)
        if str(r.inputs.get("roleDefinitionId", "")).endswith(READER)
        and "/resourceGroups/MC_" in str(r.inputs.get("scope", ""))
    ]
    assert len(readers) == 1
    assert readers[0].urn in alb.depends_on


def test_todays_alb_chart_without_its_namespace_is_refused(runs: dict[str, OfflineRun]) -> None:
    def no_namespace(resources: list[dict[str, Any]]) -> None:
        (ns,) = [r for r in resources if r["type"] == NAMESPACE and r["name"] == "azure-alb-system"]
        resources.remove(ns)
        for r in resources:
            deps = r.get("options", {}).get("dependsOn")
            if deps:
                r["options"]["dependsOn"] = [d for d in deps if d != ns["urn"]]

    assert "chart-namespace-missing" in _rules(_plan(runs["dev"], "dev", no_namespace))


def test_todays_alb_identity_without_node_group_reader_is_refused(
    runs: dict[str, OfflineRun],
) -> None:
    def no_reader(resources: list[dict[str, Any]]) -> None:
        (reader,) = [
            r for r in resources if r["type"] == RA and r["name"].endswith("alb-node-reader")
        ]
        resources.remove(reader)
        for r in resources:
            deps = r.get("options", {}).get("dependsOn")
            if deps:
                r["options"]["dependsOn"] = [d for d in deps if d != reader["urn"]]

    assert "alb-controller-roles" in _rules(_plan(runs["dev"], "dev", no_reader))
