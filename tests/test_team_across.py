"""Team stacks across (docs/team-stacks.md, docs/cost.md "Team stacks"): an application stack's
cost priced with its platform's plan, the whole set of an environment (`--set ENV`) planned,
priced, policy-checked and diffed per stack, and the real preview of each application stack as
its own deploy identity (pulumi-preview.yml)."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
import yaml

from infra.config_loader import platform_config_from_values
from infra.cost.across import price_stack_set
from infra.cost.plan import estimate_for
from infra.plan.owners import PLATFORM
from infra.preview import cli
from infra.preview.engine import OfflineRun, run_offline
from infra.preview.snapshot import to_snapshot
from infra.preview.stackfile import read_stack
from infra.program import build
from infra.stacks import recorded
from infra.stacks.__main__ import main as stacks_main
from infra.stacks.contract import CONTRACT_OUTPUT, parse_contract
from infra.stacks.examples import example_stack, full_name
from infra.stacks.pipeline import preview_matrix, stack_set, team_stacks

ROOT = Path(__file__).resolve().parents[1]
PREVIEW = ROOT / ".github" / "workflows" / "pulumi-preview.yml"


@pytest.fixture(scope="module")
def team() -> dict[str, dict[str, Any]]:
    return {
        stack: to_snapshot(run_offline(example_stack(stack), build))
        for stack in ("platform-dev", "storefront-dev")
    }


def _key(line: dict[str, Any]) -> tuple[str, str, str]:
    return line["service"], line["item"], line["resource"]


def test_an_application_stack_is_priced_with_its_platform_plan(
    capsys: pytest.CaptureFixture[str],
) -> None:
    """Was "storefront-dev: no Azure resources, no estimate"."""
    assert cli.main(["cost", "storefront-dev", "--format", "json", "--jobs", "1"]) == 0
    documents = json.loads(capsys.readouterr().out)
    assert list(documents) == ["storefront-dev"], "its platform is planned, not shown"
    cost = documents["storefront-dev"]
    lines = cost["lines"]
    assert {x["service"] for x in lines} >= {"web", "catalog-api"}
    assert not [x for x in lines if x["service"] == PLATFORM], "the platform's lines stay there"
    apps = [x for x in lines if x["item"] == "Container App (Consumption)"]
    shares = [x for x in lines if x["item"].startswith("share of AKS pool")]
    assert apps
    assert all(x["counted"] for x in apps), "its own Container Apps add up"
    assert shares
    assert not any(x["counted"] for x in shares), "inside the platform's pool line"
    counted = [x for x in lines if x["counted"]]
    assert cost["stack"]["floor"] == round(sum(x["floor"] for x in counted), 2)
    assert cost["stackSet"]["role"] == "application"
    assert cost["stackSet"]["platform"] == "platform-dev"


def test_the_set_is_the_single_stack_estimate_of_the_same_resources(
    dev: OfflineRun, team: dict[str, dict[str, Any]]
) -> None:
    """platform-dev + storefront-dev cost what dev costs for the same applications, line for
    line (the shared ingress included: the platform stack builds it), and the stacks' totals
    add up to the set's."""
    single = to_snapshot(dev)
    priced = price_stack_set("platform-dev", team, ["storefront-dev"])
    assert priced is not None
    in_team = {(r["type"], r["name"]) for s in team.values() for r in s["resources"]}
    assert not {(r["type"], r["name"]) for r in single["resources"]} - in_team
    same = single
    values = {k.split(":", 1)[1]: v for k, v in read_stack("dev").values.items()}
    expected = estimate_for(same, platform_config_from_values(values)).to_json()
    got = [line for cost in priced.estimates.values() for line in cost["lines"]]
    assert sorted(got, key=_key) == sorted(expected["lines"], key=_key)
    assert (priced.floor, priced.ceiling) == (
        expected["stack"]["floor"],
        expected["stack"]["ceiling"],
    )
    # Each stack's total is rounded to cents: the parts add up to the set within a cent each.
    totals = [cost["stack"] for cost in priced.estimates.values()]
    cents = 0.01 * len(totals)
    assert abs(sum(t["floor"] for t in totals) - priced.floor) <= cents
    assert abs(sum(t["ceiling"] for t in totals) - priced.ceiling) <= cents
    # Every service's own figures are the single stack's, shared ingress or not.
    services = single["cost"]["services"]
    for name, figures in priced.estimates["storefront-dev"]["services"].items():
        assert figures == services[name], name


def test_the_platform_in_the_set_pays_for_the_applications_nodes(
    team: dict[str, dict[str, Any]],
) -> None:
    """Alone, the platform's user pool floor counts no application pod; in the set it counts
    the storefront's, and the free grant covers its Container Apps, once."""
    priced = price_stack_set("platform-dev", team, ["storefront-dev"])
    assert priced is not None
    alone = team["platform-dev"]["cost"]
    together = priced.estimates["platform-dev"]
    items = {x["item"] for x in together["lines"]}
    assert "Container Apps free grant" in items
    assert "Container Apps free grant" not in {x["item"] for x in alone["lines"]}
    grants = [x for c in priced.estimates.values() for x in c["lines"] if "grant" in x["item"]]
    assert len(grants) == 1
    assert together["stackSet"]["applications"] == ["storefront-dev"]


def test_an_application_stack_alone_says_why_it_has_no_estimate(
    team: dict[str, dict[str, Any]],
) -> None:
    """Planned without its platform, an application stack's plan carries no estimate."""
    assert "cost" not in team["storefront-dev"]
    assert price_stack_set("platform-dev", {**team, "platform-dev": {}}, ["storefront-dev"]) is None


def test_the_set_of_an_environment_is_its_platform_then_its_applications() -> None:
    found = stack_set("dev", ["storefront"])
    assert found.stacks == ("platform-dev", "storefront-dev")
    assert [name for name, _ in found.skipped] == ["loyalty-dev"], "not declared here"
    both = stack_set("dev", ["storefront", "loyalty"])
    assert both.stacks == ("platform-dev", "loyalty-dev", "storefront-dev")


def test_plan_set_reports_each_stack_and_its_policies(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert cli.main(["plan", "--set", "dev", "--jobs", "1"]) == 0
    captured = capsys.readouterr()
    for stack in ("platform-dev", "storefront-dev"):
        assert f"Policies ({stack}):" in captured.out, stack
    assert "Monthly cost estimate: storefront-dev" in captured.out
    assert "loyalty-dev left out" in captured.err


def test_cost_set_adds_the_stacks_up(capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(["cost", "--set", "dev", "--jobs", "1"]) == 0
    out = capsys.readouterr().out
    total = re.search(r"Team stacks on platform-dev: (\S+) – (\S+) per month in all = (.*)", out)
    assert total is not None, out
    assert "platform-dev" in total.group(3)
    assert "storefront-dev" in total.group(3)


def test_no_stack_and_no_set_is_a_usage_error(capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(["cost"]) == 2
    assert "--set dev" in capsys.readouterr().err
    assert cli.main(["plan", "--set", "staging"]) == 2
    assert "no team stacks in environment staging" in capsys.readouterr().err


def _with_contract(contract: dict[str, Any]) -> dict[str, Any]:
    return {"resources": [], "outputs": {CONTRACT_OUTPUT: contract}}


def test_the_diff_across_names_the_affected_application_stacks() -> None:
    before = recorded.recorded_outputs(full_name("platform-dev"))[CONTRACT_OUTPUT]
    after = json.loads(json.dumps(before))
    after["cluster"]["apiServer"] = "https://changed.example"
    sections = cli.affected_sections(
        {"platform-dev": _with_contract(before)},
        {"platform-dev": _with_contract(after)},
        "markdown",
    )
    assert list(sections) == ["platform-dev"]
    assert sections["platform-dev"].startswith(f"### {cli.AFFECTED_HEADING}: `platform-dev`")
    assert "storefront-dev (storefront): cluster.apiServer" in sections["platform-dev"]
    unchanged = cli.affected_sections(
        {"platform-dev": _with_contract(before)}, {"platform-dev": _with_contract(before)}, "text"
    )
    assert unchanged == {}


def test_the_preview_matrix_gives_each_application_stack_its_preview_identity() -> None:
    """Was: its deploy identity, in its deploy environment (review15 2.3)."""
    raw = recorded.recorded_outputs(full_name("platform-dev"))[CONTRACT_OUTPUT]
    contract = parse_contract(raw)
    stacks = team_stacks(examples=True)
    previewed = ["dev", "prod", "platform-dev", "storefront-dev", "storefront-prod", "loyalty-dev"]
    previews = {"platform-dev": {"storefront": "11111111-preview"}}
    matrix = preview_matrix(previewed, stacks, {"platform-dev": contract}, previews)
    assert matrix["stacks"] == ["dev", "prod", "platform-dev"], "the platform's identity"
    client = contract.application("storefront")
    assert client is not None
    assert matrix["applications"]["include"] == [
        {
            "stack": "storefront-dev",
            "application": "storefront",
            "environment": "dev",
            "clientId": "11111111-preview",
        }
    ]
    assert client.deploy_identity_client_id != "11111111-preview"
    # storefront-prod: no contract yet; loyalty-dev: no preview identity listed (never the
    # deploy identity instead).
    assert matrix["waiting"] == ["loyalty-dev", "storefront-prod"]


def test_the_preview_matrix_cli_reads_the_deployed_contracts_and_preview_identities(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    raw = recorded.recorded_outputs(full_name("platform-dev"))[CONTRACT_OUTPUT]
    (tmp_path / "contracts").mkdir()
    (tmp_path / "contracts" / "platform-dev.json").write_text(json.dumps(raw))
    (tmp_path / "previews").mkdir()
    identities = {"storefront": "s-preview", "loyalty": "l-preview"}
    (tmp_path / "previews" / "platform-dev.json").write_text(json.dumps(identities))
    args = ["preview-matrix", "dev", "--contracts", str(tmp_path / "contracts"), "--examples"]
    assert stacks_main([*args, "--preview-identities", str(tmp_path / "previews")]) == 0
    matrix = json.loads(capsys.readouterr().out)
    assert {(r["stack"], r["clientId"]) for r in matrix["applications"]["include"]} == {
        ("storefront-dev", "s-preview"),
        ("loyalty-dev", "l-preview"),
    }
    assert stacks_main(args) == 0
    matrix = json.loads(capsys.readouterr().out)
    assert matrix["applications"]["include"] == [], "no preview identity: not previewed"


def test_pulumi_preview_runs_each_application_stack_as_itself() -> None:
    """Was: every stack previewed with the platform's identity (vars.AZURE_CLIENT_ID)."""
    jobs = yaml.safe_load(PREVIEW.read_text())["jobs"]
    platform, apps = jobs["preview"], jobs["applications"]
    # Single and platform stacks: the platform's read-only preview identity (test_team_pipeline).
    assert platform["env"]["ARM_CLIENT_ID"] == "${{ vars.AZURE_PREVIEW_CLIENT_ID }}"
    assert platform["strategy"]["matrix"]["stack"] == "${{ fromJSON(needs.stacks.outputs.names) }}"
    assert apps["needs"] == "stacks"
    assert apps["strategy"]["matrix"] == "${{ fromJSON(needs.stacks.outputs.applications) }}"
    assert (
        apps["env"]["ARM_CLIENT_ID"] == apps["env"]["AZURE_CLIENT_ID"] == "${{ matrix.clientId }}"
    )
    assert apps["environment"] == "${{ matrix.application }}-${{ matrix.environment }}-preview"
    listing = next(s["run"] for s in jobs["stacks"]["steps"] if s.get("id") == "list")
    assert "pulumi stack output contract" in listing
    assert "preview-matrix" in listing
    preview = next(s for s in apps["steps"] if s.get("uses", "").startswith("pulumi/actions"))
    assert preview["with"]["command"] == "preview"
    assert preview["with"]["stack-name"] == "${{ matrix.stack }}"
