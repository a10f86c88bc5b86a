"""Deployment Safeguards under Enforce (issue 21 point 3) and the offline policy over every
workload kind (issue 22: the image rules never ran on jobs).

The probe safeguard is read from the vendored Azure Policy definitions (upstream/azure-policy);
these tests prove the reader reads them, that the policy checks the pods of every kind the plan
can hold, and that the reference app's jobs run where the safeguards admit them.
"""

from __future__ import annotations

import copy
import json
import shutil
from pathlib import Path
from typing import Any

import pytest

from infra.config import Environment
from infra.constants import JOBS_NAMESPACE_SUFFIX
from infra.foundation.guardrails import SAFEGUARD_EXCLUDED_NAMESPACES
from infra.plan.kinds import (
    CONTAINER_APP,
    CONTAINER_APP_JOB,
    CRON_JOB,
    DEPLOYMENT,
    DEPLOYMENT_SAFEGUARD,
    JOB,
    POD,
    SCALED_JOB,
    STATEFUL_SET,
)
from infra.policy.evaluate import evaluate, resources_of_snapshot
from infra.policy.rules import PolicyContext, PolicyResource
from infra.policy.safeguards import UPSTREAM, probe_safeguard
from infra.preview.engine import OfflineRun, run_offline
from infra.preview.snapshot import to_snapshot
from infra.preview.stackfile import read_stack
from infra.problems import InvalidInput
from infra.program import build
from infra.services.loader import load_applications
from infra.services.spec import Application, ServiceSpec, Target
from infra.services.validation import validate_applications
from tests.fixtures import context
from tests.test_jobs import event_job

DIGEST = "sha256:" + "b" * 64
TRUSTED = f"crshop.azurecr.io/team/app:1.0.0@{DIGEST}"
PROBES = {
    "readinessProbe": {"tcpSocket": {"port": 8080}},
    "livenessProbe": {"httpGet": {"path": "/healthz", "port": 8080}},
}

# ----- The vendored definitions are what the emulation reads -------------------------------


def test_the_probe_safeguard_is_read_from_the_vendored_definitions() -> None:
    probe = probe_safeguard()
    initiative = json.loads((UPSTREAM / "AKS_Safeguards.json").read_text())["properties"]
    assert initiative["parameters"]["source"]["defaultValue"] == "All"
    assert probe.source == "All", "the initiative evaluates generated pods too"
    assert probe.kinds == ("Pod",)
    assert probe.required_probes == ("readinessProbe", "livenessProbe")
    assert probe.container_fields == ("containers",), "init containers are not checked"
    assert probe.probe_handlers == ("tcpSocket", "httpGet", "exec"), "grpc does not count"
    assert set(probe.default_excluded_namespaces) == {
        "kube-system",
        "gatekeeper-system",
        "azure-arc",
    }
    assert probe.definition_id.endswith("b1a9997f-2883-4f12-bdff-2280f99b5915")
    assert (UPSTREAM / "SOURCE.md").read_text().count("f4a50bacae07ddb096943c597669bcae494a6e29")


def test_an_upstream_change_reaches_the_emulation(tmp_path: Path) -> None:
    """Not a hand-copied value: edit the vendored files and the emulation changes with them."""
    root = tmp_path / "azure-policy"
    shutil.copytree(UPSTREAM, root)
    initiative_path = root / "AKS_Safeguards.json"
    initiative = json.loads(initiative_path.read_text())
    initiative["properties"]["parameters"]["requiredProbes"]["defaultValue"] = ["startupProbe"]
    initiative["properties"]["parameters"]["excludedNamespaces"]["defaultValue"] = ["x"]
    initiative_path.write_text(json.dumps(initiative))
    definition_path = root / "ContainerEnforceProbes.json"
    definition = json.loads(definition_path.read_text())
    definition["properties"]["policyRule"]["then"]["details"]["kinds"] = ["Pod", "Deployment"]
    definition_path.write_text(json.dumps(definition))
    template = root / "container-enforce-probes.template.yaml"
    template.write_text(
        template.read_text().replace(
            "c := input.review.object.spec.containers[_]",
            "c := input.review.object.spec.containers[_]\n        }\n"
            "        input_containers[c] {\n"
            "          c := input.review.object.spec.initContainers[_]",
        )
    )
    probe = probe_safeguard.__wrapped__(root)
    assert probe.required_probes == ("startupProbe",)
    assert probe.default_excluded_namespaces == ("x",)
    assert probe.kinds == ("Pod", "Deployment")
    assert probe.container_fields == ("containers", "initContainers")


def test_the_initiative_must_name_the_vendored_probe_definition(tmp_path: Path) -> None:
    root = tmp_path / "azure-policy"
    shutil.copytree(UPSTREAM, root)
    path = root / "ContainerEnforceProbes.json"
    path.write_text(path.read_text().replace("b1a9997f-2883", "00000000-0000"))
    with pytest.raises(ValueError, match="refers to"):
        probe_safeguard.__wrapped__(root)


def test_a_probe_counts_only_with_a_handler_the_template_counts() -> None:
    probe = probe_safeguard()
    assert probe.missing({"name": "c", **PROBES}) == []
    grpc = {"grpc": {"port": 50051}, "periodSeconds": 5}
    assert probe.missing({"name": "c", "readinessProbe": grpc, "livenessProbe": grpc}) == [
        "readinessProbe",
        "livenessProbe",
    ]
    assert probe.missing({"name": "c"}) == ["readinessProbe", "livenessProbe"]
    assert probe.refused_at_apply("Pod")
    assert probe.refused_at_apply("CronJob"), "source All: the generated pod of a CronJob"
    assert not probe.refused_at_apply("ScaledJob"), "KEDA's Jobs' pods are refused later"


# ----- The offline policy checks the pods of every workload kind --------------------------

KIND_PODS: dict[str, str] = {
    DEPLOYMENT: "spec.template.spec",
    STATEFUL_SET: "spec.template.spec",
    JOB: "spec.template.spec",
    CRON_JOB: "spec.jobTemplate.spec.template.spec",
    SCALED_JOB: "spec.jobTargetRef.template.spec",
    POD: "spec",
    CONTAINER_APP: "template",
    CONTAINER_APP_JOB: "template",
}


def _nest(path: str, value: Any) -> dict[str, Any]:
    for part in reversed(path.split(".")):
        value = {part: value}
    return value


def workload(
    kind: str, container: dict[str, Any], namespace: str = "shop", init: bool = False
) -> PolicyResource:
    key = "initContainers" if init else "containers"
    inputs = _nest(KIND_PODS[kind], {key: [{"name": "main", **container}]})
    if kind.startswith("kubernetes:"):
        inputs["metadata"] = {
            "name": "w",
            "namespace": namespace,
            "labels": {"app.kubernetes.io/name": "w"},
        }
    return PolicyResource(kind, "w", inputs)


def enforced(resources: list[PolicyResource], environment: str) -> set[tuple[str, str]]:
    report = evaluate(resources, PolicyContext(environment))
    return {(v.rule.id, v.resource.type) for v in report.enforced}


@pytest.mark.parametrize("kind", list(KIND_PODS))
@pytest.mark.parametrize("init", [False, True])
def test_images_from_trusted_registries_runs_on_every_kind(kind: str, init: bool) -> None:
    bad = workload(kind, {"image": f"docker.io/library/busybox:1.37@{DIGEST}"}, init=init)
    good = workload(kind, {"image": TRUSTED}, init=init)
    assert ("images-from-trusted-registries", kind) in enforced([bad], "dev")
    assert ("images-from-trusted-registries", kind) not in enforced([good], "dev")


@pytest.mark.parametrize("kind", list(KIND_PODS))
def test_images_pinned_by_digest_runs_on_every_kind(kind: str) -> None:
    bad = workload(kind, {"image": "crshop.azurecr.io/team/app:1.0.0"})
    good = workload(kind, {"image": TRUSTED})
    assert ("images-pinned-by-digest", kind) in enforced([bad], "prod")
    assert ("images-pinned-by-digest", kind) not in enforced([good], "prod")


@pytest.mark.parametrize("kind", [k for k in KIND_PODS if k.startswith("kubernetes:")])
def test_pod_rules_run_on_every_kubernetes_kind(kind: str) -> None:
    """Resources, pod security and plaintext secrets: the same rules whatever holds the pod."""
    found = enforced(
        [
            workload(
                kind,
                {
                    "image": TRUSTED,
                    "securityContext": {"privileged": True},
                    "env": [{"name": "DB_PASSWORD", "value": "hunter2"}],
                },
            )
        ],
        "dev",
    )
    for rule_id in (
        "k8s-resources",
        "k8s-restricted-security-context",
        "k8s-no-host-access",
        "k8s-env-no-plaintext-secrets",
    ):
        assert (rule_id, kind) in found, rule_id


def _safeguard(level: str = "Enforce", excluded: tuple[str, ...] = ()) -> PolicyResource:
    return PolicyResource(
        DEPLOYMENT_SAFEGUARD, "safeguards", {"level": level, "excludedNamespaces": list(excluded)}
    )


@pytest.mark.parametrize("kind", [k for k in KIND_PODS if k.startswith("kubernetes:")])
def test_enforced_safeguards_refuse_probeless_pods_of_every_kind(kind: str) -> None:
    probeless = workload(kind, {"image": TRUSTED})
    assert ("k8s-probes-enforced", kind) in enforced([_safeguard(), probeless], "prod")
    probed = workload(kind, {"image": TRUSTED, **PROBES})
    assert ("k8s-probes-enforced", kind) not in enforced([_safeguard(), probed], "prod")


def test_the_probe_rule_follows_the_plans_safeguard_not_the_environment() -> None:
    job = workload(CRON_JOB, {"image": TRUSTED})
    assert ("k8s-probes-enforced", CRON_JOB) not in enforced([_safeguard("Warn"), job], "prod")
    assert ("k8s-probes-enforced", CRON_JOB) in enforced([_safeguard(), job], "dev")
    excluded = _safeguard(excluded=("shop-jobs",))
    assert ("k8s-probes-enforced", CRON_JOB) in enforced([excluded, job], "prod")
    moved = workload(CRON_JOB, {"image": TRUSTED}, namespace="shop-jobs")
    assert ("k8s-probes-enforced", CRON_JOB) not in enforced([excluded, moved], "prod")
    system = workload(CRON_JOB, {"image": TRUSTED}, namespace="kube-system")
    assert ("k8s-probes-enforced", CRON_JOB) not in enforced([_safeguard(), system], "prod")


def test_init_containers_need_no_probes_and_grpc_probes_do_not_count() -> None:
    init = workload(DEPLOYMENT, {"image": TRUSTED}, init=True)
    assert ("k8s-probes-enforced", DEPLOYMENT) not in enforced([_safeguard(), init], "prod")
    grpc = {"grpc": {"port": 50051}}
    with_grpc = workload(
        DEPLOYMENT, {"image": TRUSTED, "readinessProbe": grpc, "livenessProbe": grpc}
    )
    assert ("k8s-probes-enforced", DEPLOYMENT) in enforced([_safeguard(), with_grpc], "prod")


# ----- The reference app's prod plan -------------------------------------------------------


@pytest.fixture(scope="module")
def prod(runs: dict[str, OfflineRun]) -> dict[str, Any]:
    return to_snapshot(runs["prod"])


def _resource(snapshot: dict[str, Any], token: str) -> dict[str, Any]:
    return next(r for r in snapshot["resources"] if r["type"] == token)


def test_prod_jobs_run_in_the_jobs_namespace_the_safeguards_exclude(prod: dict[str, Any]) -> None:
    cron = _resource(prod, CRON_JOB)
    namespace = cron["inputs"]["metadata"]["namespace"]
    assert namespace == "storefront" + JOBS_NAMESPACE_SUFFIX
    safeguard = _resource(prod, DEPLOYMENT_SAFEGUARD)["inputs"]
    assert safeguard["level"] == "Enforce"
    assert safeguard["excludedNamespaces"] == [*SAFEGUARD_EXCLUDED_NAMESPACES, namespace]
    pod = cron["inputs"]["spec"]["jobTemplate"]["spec"]["template"]["spec"]
    assert "readinessProbe" not in pod["containers"][0], "a job has nothing to probe"
    accounts = [
        r
        for r in prod["resources"]
        if r["type"] == "kubernetes:core/v1:ServiceAccount"
        and r["inputs"]["metadata"]["name"] == "catalog-reindex"
    ]
    assert [a["inputs"]["metadata"]["namespace"] for a in accounts] == [namespace]
    catalog_policy = next(
        r
        for r in prod["resources"]
        if r["type"] == "kubernetes:networking.k8s.io/v1:NetworkPolicy"
        and r["inputs"]["metadata"]["name"] == "catalog-api"
    )
    sources = catalog_policy["inputs"]["spec"]["ingress"][0]["from"]
    assert {
        "namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": namespace}},
        "podSelector": {
            "matchLabels": {
                "app.kubernetes.io/name": "catalog-reindex",
                "app.kubernetes.io/part-of": "storefront",
            }
        },
    } in sources, "the job still reaches catalog-api from its own namespace"


def test_a_prod_job_beside_the_services_is_refused_by_the_policy(prod: dict[str, Any]) -> None:
    broken = copy.deepcopy(prod)
    cron = _resource(broken, CRON_JOB)
    cron["inputs"]["metadata"]["namespace"] = "storefront"
    report = evaluate(resources_of_snapshot(broken), PolicyContext("prod"))
    found = [v for v in report.enforced if v.rule.id == "k8s-probes-enforced"]
    assert [v.resource.type for v in found] == [CRON_JOB]
    assert "readinessProbe or livenessProbe" in found[0].message


def test_prod_grpc_probes_become_tcp_where_enforce_admits_no_grpc(
    prod: dict[str, Any], runs: dict[str, OfflineRun]
) -> None:
    def basket(snapshot: dict[str, Any]) -> dict[str, Any]:
        deployment = next(
            r
            for r in snapshot["resources"]
            if r["type"] == DEPLOYMENT and r["name"] == "storefront-basket-api"
        )
        return deployment["inputs"]["spec"]["template"]["spec"]["containers"][0]

    assert basket(prod)["readinessProbe"]["tcpSocket"] == {"port": 50051}
    assert basket(prod)["livenessProbe"]["tcpSocket"] == {"port": 50051}
    dev = to_snapshot(runs["dev"])
    assert basket(dev)["readinessProbe"]["grpc"] == {"port": 50051}, "Warn: gRPC kept"


def test_an_event_jobs_identity_and_scaler_follow_it_into_the_jobs_namespace(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The federated credential names the service account where the pods run, and KEDA's
    TriggerAuthentication sits beside the ScaledJob that refers to it."""
    monkeypatch.setattr("infra.services.validation.load_lock", lambda: None)
    apps = [
        *load_applications(),
        Application(name="imports", source="t.py", services=(), jobs=(event_job(),)),
    ]
    run = run_offline(read_stack("prod"), lambda: build(applications=apps))
    federation = run.one(
        "azure-native:managedidentity:FederatedIdentityCredential", "importer-federation"
    )
    assert federation.inputs["subject"] == "system:serviceaccount:imports-jobs:importer"
    assert run.one(SCALED_JOB).inputs["metadata"]["namespace"] == "imports-jobs"
    authentication = run.one(
        "kubernetes:keda.sh/v1alpha1:TriggerAuthentication",
        "imports-jobs-importer-workload-identity",
    )
    assert authentication.inputs["metadata"]["namespace"] == "imports-jobs"
    namespaces = {r.inputs["metadata"]["name"] for r in run.by_type("kubernetes:core/v1:Namespace")}
    assert {"imports-jobs", "storefront-jobs"} <= namespaces
    assert "imports" not in namespaces, "an application with only jobs has no services' namespace"
    safeguard = run.one(DEPLOYMENT_SAFEGUARD)
    assert safeguard.inputs["excludedNamespaces"][-2:] == ["imports-jobs", "storefront-jobs"]


def test_an_application_named_like_anothers_jobs_namespace_is_refused() -> None:
    web = ServiceSpec(name="web", image="team/web:1.0.0", target=Target.AKS)
    with pytest.raises(InvalidInput) as caught:
        validate_applications(
            [
                Application(name="shop", source="a.py", services=(), jobs=(event_job(),)),
                Application(name="shop-jobs", source="b.py", services=(web,)),
            ],
            context(Environment.DEV),
        )
    problems = [p for p in caught.value.problems if p.value == "shop-jobs"]
    assert problems
    assert "AKS jobs run in" in problems[0].problem
    long_name = "a" * 60
    with pytest.raises(InvalidInput) as caught:
        validate_applications(
            [Application(name=long_name, source="a.py", services=(), jobs=(event_job(),))],
            context(Environment.DEV),
        )
    assert any("longer than 63" in p.problem for p in caught.value.problems)
