"""The one reader of a recorded plan (infra/plan/): every workload kind's pod, containers and
images; one quantity parser; one owner; and the tools reading plans only through it."""

from __future__ import annotations

import ast
import re
from pathlib import Path
from typing import Any

import pytest

from infra.constants import WORKLOAD_COMPONENTS
from infra.plan import kinds
from infra.plan.owners import (
    PLATFORM,
    ancestry,
    application_of,
    named_service,
    service_of,
    service_of_recorded,
)
from infra.plan.paths import value_at
from infra.plan.quantities import QuantityError, cores, gibibytes, mebibytes, millicores
from infra.plan.workloads import (
    POD_KINDS,
    WORKLOAD_KINDS,
    containers,
    images,
    pod_metadata,
    pod_spec,
    template,
)
from infra.preview.engine import OfflineRun
from infra.preview.snapshot import to_snapshot
from infra.simulate import World
from infra.simulate.world import Grant
from tests.fixtures import run_python
from tests.simulate_builders import (
    REGISTRY_ID,
    identity,
    identity_id,
    plan,
    principal,
    res,
    rules_of,
)

ROOT = Path(__file__).resolve().parents[1]
INIT = {"name": "migrate", "image": "tacr.azurecr.io/shop/migrate:1.0"}
MAIN = {"name": "api", "image": "tacr.azurecr.io/shop/api:1.0"}


def _pod() -> dict[str, Any]:
    return {"initContainers": [INIT], "containers": [MAIN]}


def _template() -> dict[str, Any]:
    return {"metadata": {"labels": {"app.kubernetes.io/name": "api"}}, "spec": _pod()}


WORKLOADS: dict[str, dict[str, Any]] = {
    kinds.POD: {"metadata": {"labels": {"a": "b"}}, "spec": _pod()},
    kinds.DEPLOYMENT: {"spec": {"template": _template()}},
    kinds.STATEFUL_SET: {"spec": {"template": _template()}},
    kinds.DAEMON_SET: {"spec": {"template": _template()}},
    kinds.JOB: {"spec": {"template": _template()}},
    kinds.CRON_JOB: {"spec": {"jobTemplate": {"spec": {"template": _template()}}}},
    kinds.SCALED_JOB: {"spec": {"jobTargetRef": {"template": _template()}}},
    kinds.CONTAINER_APP: {"containerAppName": "api", "template": _pod()},
    kinds.CONTAINER_APP_JOB: {"jobName": "api", "template": _pod()},
}
"""Each workload kind as the plan records it (Kubernetes objects' and Microsoft.App's shapes)."""


def test_every_workload_kind_has_a_case() -> None:
    assert set(WORKLOADS) == set(WORKLOAD_KINDS)


@pytest.mark.parametrize("kind", list(WORKLOADS))
def test_the_reader_finds_each_kinds_pod_containers_and_images(kind: str) -> None:
    inputs = WORKLOADS[kind]
    assert template(kind, inputs) == _pod()
    assert [c["name"] for c in containers(kind, inputs)] == ["migrate", "api"]
    assert images(kind, inputs) == [INIT["image"], MAIN["image"]]
    if kind in POD_KINDS:
        assert pod_spec(kind, inputs) == _pod()
        assert pod_metadata(kind, inputs)
    else:
        assert pod_spec(kind, inputs) is None


def test_other_kinds_run_no_containers_and_masked_inputs_read_as_none() -> None:
    assert containers(kinds.KUBERNETES_SERVICE, {"spec": _pod()}) == []
    assert images(kinds.DEPLOYMENT, {"spec": "[secret]"}) == []
    assert template(kinds.CONTAINER_APP, {"template": "[secret]"}) == {}


def _job_pulling(image: str) -> dict[str, Any]:
    return res(
        kinds.CONTAINER_APP_JOB,
        "reindex",
        {
            "jobName": "reindex",
            "configuration": {
                "registries": [{"server": "tacr.azurecr.io", "identity": identity_id("pull")}]
            },
            "template": {"containers": [{"name": "reindex", "image": image}]},
        },
    )


REGISTRY = res(kinds.REGISTRY, "registry-acr", {"registryName": "tacr"})


def test_the_simulator_checks_a_container_apps_jobs_image_and_pull_identity() -> None:
    """The fixed disagreement: the simulator's image reader saw only Container Apps (policy's
    walk saw jobs too), so a job's unpushed image or ungranted pull identity went through."""
    image = "tacr.azurecr.io/shop/reindex:1.0"
    world = World()
    world.grants.append(
        Grant(principal("pull"), "7f951dda-4ed3-4680-a7ca-43fe172d538d", REGISTRY_ID.lower())
    )
    assert rules_of(plan(REGISTRY, identity("pull"), _job_pulling(image)), world) == {
        "registry-image-missing"
    }
    assert rules_of(
        plan(REGISTRY, identity("pull"), _job_pulling(image)), World(images={image})
    ) == {"registry-pull-grant"}
    pushed = World(images={image}, grants=world.grants)
    assert rules_of(plan(REGISTRY, identity("pull"), _job_pulling(image)), pushed) == set()


# --- quantities --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "cpu"),
    [("250m", 0.25), ("2", 2.0), (0.5, 0.5), ("1.5", 1.5), ("500000u", 0.5), ("1e3", 1000.0)],
)
def test_cpu_quantities(value: object, cpu: float) -> None:
    assert cores(value) == pytest.approx(cpu)
    assert millicores(value) == pytest.approx(cpu * 1000)


@pytest.mark.parametrize(
    ("value", "mib"),
    [("128Mi", 128), ("1Gi", 1024), ("1.0Gi", 1024), ("100M", 100e6 / 2**20), ("1Ti", 2**20)],
)
def test_memory_quantities(value: object, mib: float) -> None:
    assert mebibytes(value) == pytest.approx(mib)
    assert gibibytes(value) == pytest.approx(mib / 1024)


@pytest.mark.parametrize("value", ["", "1K", "Mi", "1.2.3", "1 Gi x", True])
def test_not_a_quantity_is_refused(value: object) -> None:
    """`K` is no Kubernetes suffix (the old cost parser took it; apimachinery does not)."""
    with pytest.raises(QuantityError):
        cores(value)


def test_policy_reads_memory_in_millibytes_as_below_the_floor() -> None:
    """`100m` of memory is 0.1 bytes (a classic slip for 100Mi): the old policy parser could not
    read it and let it pass; the one parser reads it as Kubernetes does."""
    from infra.policy.rules import RULES, PolicyContext, PolicyResource

    container = {
        "name": "api",
        "image": "x",
        "resources": {
            "requests": {"cpu": "100m", "memory": "100m"},
            "limits": {"cpu": "100m", "memory": "128Mi"},
        },
    }
    inputs = {"spec": {"template": {"spec": {"containers": [container]}}}}
    check = RULES["k8s-resources"].check
    assert check is not None
    found = list(check(PolicyResource(kinds.DEPLOYMENT, "api", inputs), PolicyContext("dev")))
    assert found == [
        "container 'api' requests.memory = 100m is below the Deployment Safeguards minimum 100Mi"
    ]


# --- paths and owners ----------------------------------------------------------------------


def test_value_at_reads_dotted_and_tuple_paths() -> None:
    doc = {"metadata": {"labels": {"app.kubernetes.io/name": "api"}}, "list": [{"a": 1}]}
    assert value_at(doc, ("metadata", "labels", "app.kubernetes.io/name")) == "api"
    assert value_at(doc, ("list", 0, "a")) == 1
    assert value_at(doc, "metadata.missing.deeper", "x") == "x"
    assert value_at({"a": None}, "a", 3) == 3
    assert value_at({"a": "[secret]"}, "a.b") is None


def test_a_resource_names_its_service_and_application() -> None:
    labels = {"app.kubernetes.io/name": "api", "app.kubernetes.io/part-of": "shop"}
    assert service_of(kinds.DEPLOYMENT, {"metadata": {"labels": labels}}) == "api"
    assert application_of(kinds.DEPLOYMENT, {"metadata": {"labels": labels}}) == "shop"
    tags = {"app.kubernetes.io_name": "web", "app.kubernetes.io_part-of": "shop"}
    app = {"containerAppName": "web", "tags": tags}
    assert service_of(kinds.CONTAINER_APP, app) == "web"
    assert application_of(kinds.CONTAINER_APP, app) == "shop"
    assert service_of(kinds.CONTAINER_APP_JOB, {"jobName": "nightly"}) == "nightly"
    assert service_of(kinds.VAULT, {"vaultName": "kv"}) == PLATFORM
    assert application_of(kinds.VAULT, {}) is None


def test_the_nearest_workload_component_owns_what_it_creates() -> None:
    component = next(iter(WORKLOAD_COMPONENTS))
    parent = f"urn:pulumi:dev::platform::{component}::api"
    identity_doc = {
        "urn": f"urn:pulumi:dev::platform::{component}${kinds.USER_ASSIGNED_IDENTITY}::api-id",
        "type": kinds.USER_ASSIGNED_IDENTITY,
        "name": "api-id",
        "parent": parent,
        "inputs": {},
    }
    tree = {
        parent: {"type": component, "name": "api", "parent": ""},
        identity_doc["urn"]: identity_doc,
    }
    assert service_of_recorded(identity_doc, tree) == "api"
    assert service_of_recorded(identity_doc) == "api"  # the parent as its URN names it
    assert service_of(kinds.USER_ASSIGNED_IDENTITY, {}) == PLATFORM  # no tree: the platform's


def test_on_the_dev_stack_the_tree_and_the_names_agree(dev: OfflineRun) -> None:
    """Wherever a resource names its service (the only rule the policy can apply), the tree
    (the preview's and cost's) says the same, or the resource sits under no workload."""
    snapshot = to_snapshot(dev)
    by_urn = {r["urn"]: r for r in snapshot["resources"]}
    for r in snapshot["resources"]:
        named = named_service(r["type"], r.get("inputs") or {})
        in_workload = any(t in WORKLOAD_COMPONENTS for t, _ in ancestry(r["urn"], by_urn))
        if named is not None and in_workload:
            assert service_of_recorded(r, by_urn) == named, r["urn"]


# --- the tools read plans only through the reader -----------------------------------------

TOOLS = ("infra/preview", "infra/cost", "infra/simulate", "infra/policy")
PRIVATE_READERS = {"_get", "_pod", "_containers", "_images", "_service_of", "nested", "_path"}


def _tool_modules() -> list[Path]:
    return sorted(p for tool in TOOLS for p in (ROOT / tool).rglob("*.py"))


def test_tools_define_no_type_token_the_reader_defines() -> None:
    defined = {
        v
        for k, v in vars(kinds).items()
        if k.isupper() and isinstance(v, str) and v.count(":") == 2
    }
    found = []
    for path in _tool_modules():
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Constant) and isinstance(node.value, str):  # noqa: SIM102
                if node.value in defined:
                    found.append(f"{path.relative_to(ROOT)}:{node.lineno} {node.value}")
    assert found == [], "use infra.plan.kinds instead:\n" + "\n".join(found)


def test_tools_keep_no_private_plan_readers() -> None:
    found = [
        f"{path.relative_to(ROOT)}:{node.lineno} def {node.name}"
        for path in _tool_modules()
        for node in ast.walk(ast.parse(path.read_text()))
        if isinstance(node, ast.FunctionDef)
        and (
            node.name in PRIVATE_READERS
            or re.fullmatch(r"_?(millicores|mebibytes|cores|gibibytes)", node.name)
        )
    ]
    assert found == [], "read through infra/plan instead:\n" + "\n".join(found)


def test_the_reader_imports_none_of_the_tools_nor_pulumi() -> None:
    probe = (
        "import sys, infra.plan.kinds, infra.plan.paths, infra.plan.workloads, "
        "infra.plan.owners, infra.plan.quantities\n"
        "print(','.join(sorted(m for m in sys.modules if m.split('.')[0] == 'pulumi' or "
        "m.startswith(('infra.preview', 'infra.cost', 'infra.simulate', 'infra.policy', "
        "'infra.services')))))"
    )
    result = run_python("-c", probe)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == ""
