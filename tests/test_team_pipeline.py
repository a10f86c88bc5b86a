"""Team stacks in the pipeline (docs/team-stacks.md, "Deploying and previewing team stacks"):
which application stacks a platform change affects (contract diff → the applications reading
the changed fields), the deploy workflow's matrix, and the workflow's order and identities."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest
import yaml

from infra.config import StackMode
from infra.services.loader import APPS_ENV, load_applications
from infra.services.spec import Application
from infra.stacks import recorded
from infra.stacks.__main__ import main
from infra.stacks.contract import CONTRACT_OUTPUT, parse_contract
from infra.stacks.examples import full_name
from infra.stacks.pipeline import (
    affected,
    application_stacks,
    changed_paths,
    deploy_matrix,
    team_stacks,
)

ROOT = Path(__file__).resolve().parents[1]
WORKFLOW = ROOT / ".github" / "workflows" / "deploy-team-stacks.yml"


@pytest.fixture(scope="module")
def declared() -> list[Application]:
    return load_applications("tests.team_apps")


def _contract() -> dict[str, Any]:
    raw = recorded.recorded_outputs(full_name("platform-dev"))[CONTRACT_OUTPUT]
    contract = copy.deepcopy(raw)
    # As the platform records it from tests/team_apps: loyalty's points-api calls catalog-api.
    contract["calls"] = [
        {
            "application": "loyalty",
            "caller": "points-api",
            "kind": "service",
            "target": "aks",
            "service": "catalog-api",
            "port": None,
        }
    ]
    return contract


def _changed(edit: Any) -> dict[str, Any]:
    after = _contract()
    edit(after)
    return after


def _service(contract: dict[str, Any], name: str) -> dict[str, Any]:
    return next(s for s in contract["services"] if s["name"] == name)


def test_an_unchanged_contract_affects_no_application(declared: list[Application]) -> None:
    assert affected(_contract(), _contract(), declared) == {}


def test_a_cluster_change_affects_the_applications_on_aks(declared: list[Application]) -> None:
    after = _changed(lambda c: c["cluster"].update(apiServer="aks-new.hcp.example"))
    assert affected(_contract(), after, declared) == {
        "loyalty": ["cluster.apiServer"],
        "storefront": ["cluster.apiServer"],
    }


def test_a_container_apps_change_affects_only_the_applications_there(
    declared: list[Application],
) -> None:
    after = _changed(lambda c: c["containerApps"].update(staticIp="10.0.9.9"))
    # loyalty runs nothing on Container Apps.
    assert affected(_contract(), after, declared) == {"storefront": ["containerApps.staticIp"]}


def test_a_grant_change_affects_only_its_application(declared: list[Application]) -> None:
    def edit(contract: dict[str, Any]) -> None:
        grant = next(a for a in contract["applications"] if a["name"] == "loyalty")
        grant["hosts"] = ["points.example.com"]

    assert affected(_contract(), _changed(edit), declared) == {
        "loyalty": ["applications[loyalty].hosts"]
    }


def test_a_published_address_change_affects_its_callers(declared: list[Application]) -> None:
    after = _changed(lambda c: _service(c, "catalog-api")["addresses"][0].update(number=81))
    assert affected(_contract(), after, declared) == {
        "loyalty": ["services[storefront/catalog-api].addresses"]
    }


def test_a_new_call_affects_the_callee(declared: list[Application]) -> None:
    before = {**_contract(), "calls": []}
    assert affected(before, _contract(), declared) == {"storefront": ["calls"]}


def test_changed_paths_compare_named_entries_by_name() -> None:
    before = {"gateways": [{"name": "a", "port": 1}, {"name": "b", "port": 2}]}
    after = {"gateways": [{"name": "b", "port": 3}, {"name": "a", "port": 1}]}
    assert changed_paths(before, after) == ["gateways[b].port"]


def test_the_cli_lists_the_affected_application_stacks(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(APPS_ENV, "tests.team_apps")
    before, after = tmp_path / "before.json", tmp_path / "after.json"
    before.write_text(json.dumps(_contract()))
    after.write_text(json.dumps(_changed(lambda c: c["containerApps"].update(staticIp="1.2.3.4"))))
    assert main(["affected", "--before", str(before), "--after", str(after)]) == 0
    assert capsys.readouterr().out.strip() == "storefront (storefront): containerApps.staticIp"


def test_the_reference_team_stacks_are_listed_by_mode_and_environment() -> None:
    stacks = {s.name: s for s in team_stacks(examples=True)}
    assert stacks["platform-dev"].mode is StackMode.PLATFORM
    assert stacks["loyalty-prod"].environment == "prod"
    assert application_stacks(stacks.values(), "platform-dev") == {
        "loyalty": "loyalty-dev",
        "storefront": "storefront-dev",
    }
    # Never deployed unless adopted as stack files.
    assert [s for s in team_stacks() if s.name in stacks] == []


def _matrix(declared: list[Application], **kwargs: Any) -> list[str]:
    stacks = application_stacks(team_stacks(examples=True), "platform-dev")
    contract = parse_contract(_contract())
    rows = deploy_matrix(contract, stacks, declared=declared, **kwargs)
    clients = {a.name: a.deploy_identity_client_id for a in contract.applications}
    assert all(r["clientId"] == clients[r["application"]] for r in rows), "its own identity"
    return [r["stack"] for r in rows]


def test_the_deploy_matrix_holds_the_changed_application_stacks(
    declared: list[Application],
) -> None:
    every = ["loyalty-dev", "storefront-dev"]
    assert _matrix(declared) == every, "a manual run or a first deploy: all of them"
    assert _matrix(declared, changed_files=["tests/team_apps/loyalty.py"]) == ["loyalty-dev"]
    assert _matrix(declared, changed_files=["infra/stacks/registry.py"]) == every
    assert _matrix(declared, changed_files=["docs/x.md"]) == []
    assert _matrix(declared, changed_files=[], affected_by_platform=["storefront"]) == [
        "storefront-dev"
    ]


def test_the_workflow_deploys_the_platform_first_then_each_application_as_itself() -> None:
    jobs = yaml.safe_load(WORKFLOW.read_text())["jobs"]
    for env, before in (("dev", "stacks"), ("prod", "dev-applications")):
        platform, apps = jobs[f"{env}-platform"], jobs[f"{env}-applications"]
        needs = platform["needs"]
        assert before in (needs if isinstance(needs, list) else [needs])
        assert apps["needs"] == f"{env}-platform"
        assert (
            apps["strategy"]["matrix"]
            == f"${{{{ fromJSON(needs.{env}-platform.outputs.matrix) }}}}"
        )
        # Each application stack logs in as its own deploy identity, in its own environment.
        assert (
            apps["env"]["ARM_CLIENT_ID"]
            == apps["env"]["AZURE_CLIENT_ID"]
            == ("${{ matrix.clientId }}")
        )
        assert apps["environment"] == f"${{{{ matrix.application }}}}-{env}"
        assert platform["env"]["ARM_CLIENT_ID"] == "${{ vars.AZURE_CLIENT_ID }}"
        steps = [s.get("uses", "") + s.get("run", "") for s in platform["steps"]]
        up = next(i for i, s in enumerate(steps) if s.startswith("pulumi/actions"))
        assert "deploy-matrix" in steps[up + 1], "the matrix is read from the deployed contract"


# --- The workflows' first deploy, locks, logins (review15 1.1, 1.4, 1.7, 2.3, 2.4) ----------

DEPLOY = ROOT / ".github" / "workflows" / "deploy.yml"
PREVIEW = ROOT / ".github" / "workflows" / "pulumi-preview.yml"
FIRST_DEPLOY = "./.github/actions/first-deploy-foundation"


def _jobs(path: Path) -> dict[str, Any]:
    return yaml.safe_load(path.read_text())["jobs"]


def _uses(step: dict[str, Any]) -> str:
    return str(step.get("uses", ""))


def _index(steps: list[dict[str, Any]], found: Any) -> int:
    return next(i for i, s in enumerate(steps) if found(s))


def test_the_platform_jobs_do_the_single_stacks_first_deploy_step() -> None:
    """Was one plain `pulumi up` of a stack that may not exist: pulumi/actions v7 only selects
    a stack unless `upsert` (pulumi/actions action.yml `upsert`, default 'false'; src/main.ts
    `selectStack`), and the shared ingress's charts fail a preview before the cluster exists."""
    from tests.workflow_steps import expanded

    team, single = _jobs(WORKFLOW), _jobs(DEPLOY)
    # The one step, shared: deploy.yml's single stacks use the same action.
    for job, stack in (("dev", "dev"), ("prod", "prod")):
        step = next(s for s in single[job]["steps"] if _uses(s) == FIRST_DEPLOY)
        assert step["with"] == {"stack": stack}
    for env in ("dev", "prod"):
        steps = team[f"{env}-platform"]["steps"]
        first = _index(steps, lambda s: _uses(s) == FIRST_DEPLOY)
        assert steps[first]["with"] == {"stack": "${{ env.STACK }}"}
        before = _index(steps, lambda s: "> before.json" in str(s.get("run", "")))
        up = _index(steps, lambda s: _uses(s).startswith("pulumi/actions@"))
        assert before < first < up, "the contract before, the foundation alone, then up"
        script = "\n".join(str(s.get("run", "")) for s in expanded([steps[first]]))
        assert 'pulumi stack select "$STACK" --create' in script
        assert "registryLoginServer" in script
        assert "--config platform:deployServices=false" in script
        assert "pulumi config rm platform:deployServices" in script


def test_the_platform_job_pushes_and_locks_the_images_before_the_applications_deploy() -> None:
    """Was: no image import, no lock (docs/team-stacks.md said the platform pipeline pushes)."""
    jobs = _jobs(WORKFLOW)
    for env, lock in (("dev", "image_lock resolve"), ("prod", "image_lock verify")):
        steps = jobs[f"{env}-platform"]["steps"]
        text = [str(s.get("run", "")) for s in steps]
        push = _index(steps, lambda s: "az acr import" in str(s.get("run", "")))
        locked = _index(steps, lambda s, lock=lock: lock in str(s.get("run", "")))
        handed = _index(steps, lambda s: _uses(s).startswith("actions/upload-artifact@"))
        up = _index(steps, lambda s: _uses(s).startswith("pulumi/actions@"))
        assert push < locked < handed < up
        assert 'image_lock list "$STACK"' in text[push]
        assert steps[handed]["with"]["name"] == f"images-lock-{env}"
        apps = jobs[f"{env}-applications"]["steps"]
        download = _index(apps, lambda s: _uses(s).startswith("actions/download-artifact@"))
        app_up = _index(apps, lambda s: _uses(s).startswith("pulumi/actions@"))
        assert download < app_up
        assert apps[download]["with"] == {"name": f"images-lock-{env}", "path": "apps"}
        # The first run of an application stack creates it.
        assert apps[app_up]["with"]["upsert"] is True
    prod = jobs["prod-platform"]["steps"]
    download = _index(prod, lambda s: _uses(s).startswith("actions/download-artifact@"))
    assert prod[download]["with"]["name"] == "images-lock-dev", "prod deploys what dev ran"


def test_deploy_yml_skips_the_team_stacks() -> None:
    """Was: after `migrate`, Pulumi.dev.yaml is the platform stack and both workflows ran
    `pulumi up -s dev` at once (Pulumi Cloud refuses the second: update in progress)."""
    jobs = _jobs(DEPLOY)
    listing = next(s["run"] for s in jobs["stacks"]["steps"] if s.get("id") == "list")
    assert "infra.stacks list --json" in listing
    for job in ("dev", "prod"):
        assert "stacks" in jobs[job]["needs"]
        assert f"!contains(fromJSON(needs.stacks.outputs.team), '{job}')" in jobs[job]["if"]
    # prod still deploys once dev has become a team stack (its job skipped).
    assert "needs.dev.result == 'skipped'" in jobs["prod"]["if"]


def test_the_team_stacks_list_names_a_migrated_single_stack(tmp_path: Path) -> None:
    """What deploy.yml's `stacks` job reads: `dev` becomes a team stack once its file says
    platform:mode platform (migration step 3), and deploy.yml then skips it."""
    (tmp_path / "Pulumi.yaml").write_text((ROOT / "Pulumi.yaml").read_text())
    (tmp_path / "Pulumi.dev.yaml").write_text(
        "config:\n  platform:environment: dev\n  platform:mode: platform\n"
    )
    (tmp_path / "Pulumi.prod.yaml").write_text("config:\n  platform:environment: prod\n")
    assert [s.name for s in team_stacks(tmp_path)] == ["dev"]


def test_no_shared_pulumi_token_and_each_job_has_its_teams() -> None:
    """Was: every job had secrets.PULUMI_ACCESS_TOKEN (write on every stack, all teams)."""
    jobs = _jobs(WORKFLOW)
    assert "secrets.PULUMI_ACCESS_TOKEN" not in WORKFLOW.read_text()
    scopes = {"dev-platform": "team:platform", "prod-platform": "team:platform"}
    scopes |= {f"{e}-applications": "team:${{ matrix.application }}" for e in ("dev", "prod")}
    for name, scope in scopes.items():
        steps = jobs[name]["steps"]
        auth = _index(steps, lambda s: _uses(s).startswith("pulumi/auth-actions@"))
        pulumi = [
            i
            for i, s in enumerate(steps)
            if _uses(s).startswith(("pulumi/actions@", FIRST_DEPLOY))
            or "pulumi " in str(s.get("run", ""))
        ]
        assert auth < min(pulumi), f"{name}: the token before any Pulumi command"
        assert steps[auth]["with"] == {
            "organization": "${{ vars.PULUMI_ORGANIZATION }}",
            "requested-token-type": "urn:pulumi:token-type:access_token:team",
            "scope": scope,
        }
    apps = _jobs(PREVIEW)["applications"]
    assert "PULUMI_ACCESS_TOKEN" not in apps.get("env", {})
    auth = next(s for s in apps["steps"] if _uses(s).startswith("pulumi/auth-actions@"))
    assert auth["with"]["scope"] == "team:${{ matrix.application }}"


def test_pull_requests_preview_application_stacks_outside_their_deploy_environment() -> None:
    """Was: a pull request ran in `<app>-<env>` as the deploy identity (review15 2.3)."""
    from infra.constants import deploy_environment, preview_environment
    from infra.stacks.platform import PREVIEW_IDENTITIES_OUTPUT

    deploy = _jobs(WORKFLOW)["dev-applications"]["environment"]
    preview = _jobs(PREVIEW)["applications"]["environment"]
    assert deploy == "${{ matrix.application }}-dev"
    assert preview == "${{ matrix.application }}-${{ matrix.environment }}-preview"
    assert deploy_environment("storefront", "prod") == "storefront-prod"
    # The environment the platform federates the preview identity with, and the output the
    # workflow reads its client id from, are the platform stack's.
    assert preview_environment("storefront", "prod") == "storefront-prod-preview"
    listing = next(s["run"] for s in _jobs(PREVIEW)["stacks"]["steps"] if s.get("id") == "list")
    assert f"pulumi stack output {PREVIEW_IDENTITIES_OUTPUT} --json" in listing
    assert "--preview-identities previews" in listing


def _values(node: Any) -> list[str]:
    """Every string a workflow's parsed YAML holds (comments are not in it)."""
    if isinstance(node, dict):
        return [v for k, item in node.items() for v in (str(k), *_values(item))]
    if isinstance(node, list):
        return [v for item in node for v in _values(item)]
    return [str(node)]


def test_pull_requests_preview_single_and_platform_stacks_read_only() -> None:
    """Was: the `preview` job ran as the deploy identity (vars.AZURE_CLIENT_ID, Owner-level,
    federated with `pull_request`) with secrets.PULUMI_ACCESS_TOKEN, and a pull request's
    workflow file is its own (review15 2.3). Now as the read-only platform preview identity,
    with no environment (GitHub issues the `pull_request` subject only to a job that references
    none: upstream/github-docs/), and a Pulumi team token of `platform-preview` (Stack Read:
    "Allows for running previews", no `stack:write`: upstream/pulumi-docs/)."""
    jobs = _jobs(PREVIEW)
    values = _values(jobs)
    assert not [v for v in values if "secrets." in v], "no job holds a repository secret"
    assert not [v for v in values if "vars.AZURE_CLIENT_ID" in v], "nor the deploy identity"
    preview = "${{ vars.AZURE_PREVIEW_CLIENT_ID }}"
    assert "vars.AZURE_PREVIEW_CLIENT_ID != ''" in jobs["stacks"]["if"]
    platform = jobs["preview"]
    assert platform["env"]["ARM_CLIENT_ID"] == platform["env"]["AZURE_CLIENT_ID"] == preview
    subject = (ROOT / "upstream" / "github-docs" / "oidc-subject.excerpt.md").read_text()
    assert "`pull_request` string" in subject
    assert "but only if the job doesn't reference an environment" in subject
    for name in ("stacks", "preview"):
        assert "environment" not in jobs[name], f"{name}: its subject must stay pull_request"
        steps = jobs[name]["steps"]
        auth = _index(steps, lambda s: _uses(s).startswith("pulumi/auth-actions@"))
        pulumi = [
            i
            for i, s in enumerate(steps)
            if _uses(s).startswith("pulumi/actions@") or "pulumi " in str(s.get("run", ""))
        ]
        assert pulumi, name
        assert auth < min(pulumi), f"{name}: the token before any Pulumi command"
        assert steps[auth]["with"] == {
            "organization": "${{ vars.PULUMI_ORGANIZATION }}",
            "requested-token-type": "urn:pulumi:token-type:access_token:team",
            "scope": "team:platform-preview",
        }
    sets = (ROOT / "upstream" / "pulumi-docs" / "permission-sets.excerpt.md").read_text()
    read = next(line for line in sets.splitlines() if line.startswith("| `Stack Read`"))
    assert "Allows for running previews" in read
    assert "`stack:write`" not in read
    # deploy.yml keeps the deploy identity (its environments are branch-restricted).
    for name in ("dev", "prod"):
        deploy = _jobs(DEPLOY)[name]
        assert deploy["env"]["ARM_CLIENT_ID"] == "${{ vars.AZURE_CLIENT_ID }}"
        assert "environment" in deploy


def test_the_dev_platform_job_returns_the_lock_it_resolved_by_deploy_ymls_step() -> None:
    shared = "./.github/actions/return-image-lock"
    single = _jobs(DEPLOY)["dev"]
    platform = _jobs(WORKFLOW)["dev-platform"]
    for job in (single, platform):
        steps = job["steps"]
        back = _index(steps, lambda s: _uses(s) == shared)
        up = max(i for i, s in enumerate(steps) if _uses(s).startswith("pulumi/actions@"))
        assert up < back
        assert job["permissions"] == {
            "contents": "write",
            "pull-requests": "write",
            "id-token": "write",
        }


UPSTREAM = ROOT / "upstream"


def _inputs(action: str) -> dict[str, Any]:
    return yaml.safe_load((UPSTREAM / action / "action.yml").read_text())["inputs"]


def test_the_pulumi_actions_steps_pass_only_inputs_the_vendored_actions_have() -> None:
    """pulumi/actions v7 and pulumi/auth-actions v2 as vendored (upstream/*/SOURCE.md): every
    `with:` key is one of their inputs; without `upsert` pulumi/actions only selects a stack."""
    actions = _inputs("pulumi-actions")
    auth = _inputs("pulumi-auth-actions")
    assert actions["upsert"]["default"] == "false"
    main = (UPSTREAM / "pulumi-actions" / "main_selectStack.ts").read_text()
    assert "config.upsert\n      ? LocalWorkspace.createOrSelectStack" in main
    assert ": LocalWorkspace.selectStack(stackArgs, wsOpts)" in main
    assert "urn:pulumi:token-type:access_token:team" in auth["requested-token-type"]["description"]
    assert "team:TEAM_NAME" in auth["scope"]["description"]
    for path in (WORKFLOW, PREVIEW, DEPLOY):
        for name, job in _jobs(path).items():
            for step in job.get("steps", []):
                uses, given = _uses(step), set(step.get("with") or {})
                if uses == "pulumi/actions@v7":
                    assert given <= set(actions), (path.name, name, given - set(actions))
                elif uses == "pulumi/auth-actions@v2":
                    assert given <= set(auth), (path.name, name, given - set(auth))
                else:
                    assert not uses.startswith(("pulumi/actions@", "pulumi/auth-actions@")), (
                        f"{path.name} {name}: {uses} is not the vendored version"
                    )


def test_a_preview_grants_the_deploy_identity_it_is_told_and_an_update_never(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Was: a preview as the read-only identity granted the deployer's roles (cluster admin,
    vault officer) to the identity running it (getClientConfig), so every pull request's
    platform preview showed them replaced. pulumi-preview.yml names the deploy identity;
    an update (not a dry run) ignores the variable."""
    from infra.foundation.common import PREVIEW_DEPLOYER_ENV
    from infra.preview.engine import run_offline
    from infra.preview.mocks import DEPLOYER_OBJECT_ID
    from infra.program import build
    from infra.stacks.examples import example_stack

    assert _jobs(PREVIEW)["preview"]["env"][PREVIEW_DEPLOYER_ENV] == (
        "${{ vars.AZURE_DEPLOY_OBJECT_ID }}"
    )
    deploy = "0f0f0f0f-1111-2222-3333-444444444444"

    def deployer_grants(*, preview: bool) -> set[str]:
        run = run_offline(example_stack("platform-dev"), build, preview=preview)
        return {
            str(a.inputs.get("principalId"))
            for a in run.by_type("azure-native:authorization:RoleAssignment")
            if "deployer" in a.name
        }

    assert deployer_grants(preview=True) == {DEPLOYER_OBJECT_ID}, "unset: the running one"
    monkeypatch.setenv(PREVIEW_DEPLOYER_ENV, deploy)
    assert deployer_grants(preview=True) == {deploy}
    assert deployer_grants(preview=False) == {DEPLOYER_OBJECT_ID}
    monkeypatch.setenv(PREVIEW_DEPLOYER_ENV, "storefront-deploy")
    with pytest.raises(Exception, match="AZURE_DEPLOY_OBJECT_ID"):
        deployer_grants(preview=True)
