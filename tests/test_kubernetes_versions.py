"""The AKS version calendar (upstream/aks/) and what reads it: the stack config's version rules,
the advisory, the simulator rule `aks-version-unsupported`, the cluster's support plan.

Every check takes its day as a parameter; these tests pass fixed days (the suite's day is
tests/conftest.py TEST_DAY), except one that asks about the real today on purpose.
"""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

import kubernetes_validate.utils
import pytest

from infra.aks_versions import (
    CALENDAR_FILE,
    EXCERPT_FILE,
    LTS,
    OFFICIAL,
    UPSTREAM,
    calendar_document,
    load_calendar,
    parse_excerpt,
    version_support,
)
from infra.component_kubernetes import pinned_components
from infra.config import IngressMode, PlatformConfig
from infra.config_loader import platform_config_from_values
from infra.config_rules import config_advisories
from infra.preview.engine import OfflineRun
from infra.preview.stackfile import read_stack
from infra.problems import InvalidInput
from infra.simulate.scenario import parsed_config
from tests.k8s_schema import AZURE_STACKS, KUBERNETES_VERSIONS
from tests.simulate_builders import CLUSTER_TOKEN, plan, refusals, res

DAY = dt.date(2026, 12, 7)
"""The day issue 21 was filed: 1.33 and 1.34 have left community support."""


# --- the vendored calendar --------------------------------------------------------------------


def test_the_calendar_data_is_the_parse_of_the_vendored_excerpt() -> None:
    """Nobody hand-edits one of the two: the JSON is exactly what the excerpt says."""
    shipped = json.loads(CALENDAR_FILE.read_text())
    assert shipped == calendar_document(EXCERPT_FILE.read_text(), shipped["source"])


def test_the_calendar_names_its_source_and_the_excerpt_is_verbatim_upstream_text() -> None:
    source = json.loads(CALENDAR_FILE.read_text())["source"]
    assert source["path"] == "articles/aks/supported-kubernetes-versions.md"
    assert len(source["commit"]) == 40
    assert source["read"]
    assert source["msDate"]
    assert source["commit"] in (UPSTREAM / "SOURCE.md").read_text()
    excerpt = EXCERPT_FILE.read_text()
    assert "the End of Life (EOL) date is the last day of the specified month" in excerpt
    assert (
        "requires moving your cluster to the Premium tier"
        in (UPSTREAM / "long-term-support.excerpt.md").read_text()
    )
    assert (
        "| Cluster creation | Supported | Not supported |"
        in (UPSTREAM / "platform-support.excerpt.md").read_text()
    )


def test_month_only_end_dates_are_the_last_day_and_explicit_days_are_kept() -> None:
    minors = parse_excerpt(EXCERPT_FILE.read_text())
    assert minors["1.33"]["communitySupportEnds"] == "2026-07-31"
    assert minors["1.33"]["ltsEnds"] == "2027-07-31"
    assert minors["1.34"]["communitySupportEnds"] == "2026-11-30"
    assert minors["1.30"]["communitySupportEnds"] == "2025-08-22"  # "Aug 22, 2025"
    assert minors["1.36"]["platformSupport"] == "Until 1.40 GA"


def test_tables_that_disagree_on_a_minor_are_refused() -> None:
    text = EXCERPT_FILE.read_text().replace(
        "| 1.35 | Dec 2025 | Feb 2026 | Mar 2026 | Mar 2027 | Mar 2028 |",
        "| 1.35 | Dec 2025 | Feb 2026 | Mar 2026 | Apr 2027 | Mar 2028 |",
    )
    with pytest.raises(ValueError, match=r"disagree on 1\.35"):
        parse_excerpt(text)


# --- support on a day -------------------------------------------------------------------------


def test_on_the_issue_day_community_support_has_left_1_33_and_1_34() -> None:
    book = load_calendar()
    assert book.supported(OFFICIAL, DAY) == ["1.35", "1.36", "1.37"]
    assert book.supported(LTS, DAY) == ["1.32", "1.33", "1.34", "1.35", "1.36", "1.37"]
    assert not version_support("1.33", OFFICIAL, DAY).ok
    assert version_support("1.33", LTS, DAY).ok


def test_patch_versions_are_judged_by_their_minor() -> None:
    assert version_support("1.35.2", OFFICIAL, DAY).ok
    assert not version_support("1.34.9", OFFICIAL, DAY).ok
    assert version_support("1.34.9", OFFICIAL, dt.date(2026, 11, 30)).ok  # its last day


def test_a_minor_counts_from_the_month_after_its_ga_month() -> None:
    """1.37 is GA in Oct 2026: surely in every region from 1 November."""
    assert not version_support("1.37", OFFICIAL, dt.date(2026, 10, 15)).ok
    assert "not generally available" in version_support("1.37", OFFICIAL, dt.date(2026, 10, 15)).why
    assert version_support("1.37", OFFICIAL, dt.date(2026, 11, 1)).ok


def test_a_version_missing_from_the_calendar_is_unsupported() -> None:
    support = version_support("1.38", OFFICIAL, DAY)
    assert not support.ok
    assert "not in the AKS release calendar" in support.why


# --- the stack config -----------------------------------------------------------------------


def _values(stack: str, **aks: Any) -> dict[str, Any]:
    config = parsed_config(read_stack(stack).values)
    values = {key.split(":", 1)[1]: value for key, value in config.items()}
    values["aks"] = {**values["aks"], **aks}
    return values


def _problems(stack: str, day: dt.date, **aks: Any) -> list[str]:
    try:
        platform_config_from_values(_values(stack, **aks), day)
    except InvalidInput as error:
        return [f"{p.path} {p.problem} → {p.fix}" for p in error.problems]
    return []


@pytest.mark.parametrize("stack", AZURE_STACKS)
def test_the_old_pin_1_33_is_refused_naming_the_supported_versions(stack: str) -> None:
    (problem,) = _problems(stack, DAY, kubernetesVersion="1.33")
    assert problem.startswith("platform:aks.kubernetesVersion AKS cannot create a cluster on it")
    assert "left AKS community support on 2026-07-31" in problem
    assert "use one of 1.35, 1.36 " in problem  # AKS's 1.37 is past Envoy Gateway v1.9's range
    assert "aks.supportPlan: AKSLongTermSupport (until 2027-07-31)" in problem
    assert "azure-aks-docs" in problem


@pytest.mark.parametrize("version", ["1.36", "1.36.2", "1.35"])
def test_supported_versions_and_patches_pass(version: str) -> None:
    assert _problems("prod", DAY, kubernetesVersion=version) == []


def test_a_version_aks_supports_but_envoy_gateway_does_not_is_refused() -> None:
    (problem,) = _problems("dev", DAY, kubernetesVersion="1.37")
    assert "Envoy Gateway v1.9 supports Kubernetes 1.33, 1.34, 1.35, 1.36" in problem
    assert "upstream/envoy-gateway-matrix/matrix.excerpt.md" in problem


def test_envoy_gateway_is_not_a_constraint_without_it() -> None:
    """aks.ingress nginx installs neither Envoy Gateway nor the ALB controller."""
    assert pinned_components(IngressMode.NGINX) == []
    assert [c.component.split()[0] for c in pinned_components(IngressMode.BOTH)] == ["ALB"]


def test_long_term_support_needs_premium() -> None:
    (problem,) = _problems("prod", DAY, kubernetesVersion="1.33", supportPlan=LTS)
    assert problem.startswith("platform:aks.supportPlan long-term support needs the Premium tier")


def test_long_term_support_on_premium_keeps_1_33_creatable() -> None:
    assert _problems("prod", DAY, kubernetesVersion="1.33", supportPlan=LTS, tier="Premium") == []


def test_long_term_support_ends_too() -> None:
    (problem,) = _problems(
        "prod", dt.date(2027, 8, 1), kubernetesVersion="1.33", supportPlan=LTS, tier="Premium"
    )
    assert "left AKS long-term support on 2027-07-31" in problem


def _config(stack: str, day: dt.date, **aks: Any) -> PlatformConfig:
    return platform_config_from_values(_values(stack, **aks), day)


def test_an_end_of_support_within_three_months_is_a_warning_not_an_error() -> None:
    day = dt.date(2027, 1, 15)  # 1.35 ends 2027-03-31
    config = _config("dev", day, kubernetesVersion="1.35")
    (advisory,) = config_advisories(config, day)
    assert advisory.problem == (
        "leaves AKS support (KubernetesOfficial) on 2027-03-31, less than 3 months after 2027-01-15"
    )
    assert "move to 1.36" in advisory.fix
    assert config_advisories(config, dt.date(2026, 12, 30)) == []  # 3 months + 1 day ahead


def test_the_shipped_stacks_are_not_warned_on_the_suite_day() -> None:
    for stack in AZURE_STACKS:
        assert config_advisories(_config(stack, DAY), DAY) == []


def test_the_shipped_version_is_creatable_today() -> None:
    """The one test on the real date: it fails the day the stacks' version leaves support (the
    advisory says so three months ahead). Fix: bump it (docs/kubernetes-versions.md)."""
    today = dt.date.today()
    for stack in AZURE_STACKS:
        config = _config(stack, DAY)
        support = version_support(config.aks.kubernetes_version, config.aks.support_plan, today)
        assert support.ok, f"{stack}: {config.aks.kubernetes_version} {support.why}"


def test_the_test_schemas_follow_the_stacks_version() -> None:
    """kubernetes-validate has the OpenAPI schema of every minor the stacks run."""
    available = {v.rsplit(".", 1)[0] for v in kubernetes_validate.utils.all_versions()}
    assert set(KUBERNETES_VERSIONS) <= available
    stacks = {_config(stack, DAY).aks.kubernetes_version for stack in AZURE_STACKS}
    assert tuple(sorted(stacks)) == KUBERNETES_VERSIONS


# --- the cluster ----------------------------------------------------------------------------


def test_the_cluster_is_created_with_its_support_plan(dev: OfflineRun, prod: OfflineRun) -> None:
    for run in (dev, prod):
        cluster = run.one("azure-native:containerservice:ManagedCluster")
        assert cluster.inputs["supportPlan"] == "KubernetesOfficial"
        assert cluster.inputs["kubernetesVersion"] == KUBERNETES_VERSIONS[0]


# --- simulator: aks-version-unsupported -----------------------------------------------------


def _cluster(version: str, **inputs: Any) -> dict[str, Any]:
    return res(CLUSTER_TOKEN, "aks-cluster", {"kubernetesVersion": version, **inputs})


def _rules(cluster: dict[str, Any], day: dt.date) -> list[str]:
    return [r.rule for r in refusals(plan(cluster, date=day))]


def test_simulator_refuses_creating_a_cluster_past_community_support() -> None:
    (found,) = refusals(plan(_cluster("1.33", sku={"tier": "Standard"}), date=DAY))
    assert found.rule == "aks-version-unsupported"
    assert "left AKS community support on 2026-07-31" in found.why
    assert "1.35, 1.36, 1.37" in found.fix
    assert "AKSLongTermSupport (until 2027-07-31)" in found.fix


def test_simulator_accepts_a_supported_version_and_lts_on_premium() -> None:
    assert _rules(_cluster("1.36.2", sku={"tier": "Free"}), DAY) == []
    lts = _cluster("1.33", sku={"tier": "Premium"}, supportPlan=LTS)
    assert _rules(lts, DAY) == []


def test_simulator_refuses_lts_off_premium() -> None:
    lts = _cluster("1.36", sku={"tier": "Standard"}, supportPlan=LTS)
    assert _rules(lts, DAY) == ["aks-version-unsupported"]


def test_simulator_reads_the_plans_day() -> None:
    cluster = _cluster("1.36", sku={"tier": "Standard"})
    assert _rules(cluster, DAY) == []
    assert _rules(cluster, dt.date(2027, 7, 1)) == ["aks-version-unsupported"]


def test_simulator_leaves_an_existing_cluster_alone() -> None:
    """Only creation is checked: a running cluster is upgraded by its channel."""
    from infra.simulate import World

    cluster = _cluster("1.36", sku={"tier": "Standard"})
    existing = World(resources=dict(plan(cluster, date=DAY).resources))
    assert refusals(plan(cluster, date=dt.date(2027, 7, 1)), existing) == []


def test_the_program_warns_months_ahead_and_still_builds(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    """`pulumi preview`/`up` print the advisory (pulumi.log.warn); nothing is refused."""
    import dataclasses

    from infra.aks_versions import REFERENCE_DATE_ENV
    from infra.preview.engine import run_offline
    from infra.program import build

    monkeypatch.setenv(REFERENCE_DATE_ENV, "2027-01-15")
    stack = read_stack("dev")
    aks = {**parsed_config(stack.values)["platform:aks"], "kubernetesVersion": "1.35"}
    values = {**stack.values, "platform:aks": json.dumps(aks), "platform:deployServices": "false"}
    run = run_offline(dataclasses.replace(stack, values=values), build)
    assert run.one("azure-native:containerservice:ManagedCluster").inputs["kubernetesVersion"] == (
        "1.35"
    )
    assert "leaves AKS support (KubernetesOfficial) on 2027-03-31" in caplog.text


# --- the upgrade channel's target ---------------------------------------------------------------


def test_the_channel_table_is_the_vendored_one() -> None:
    table = (UPSTREAM / "auto-upgrade-channels.excerpt.md").read_text()
    assert "latest supported patch release on minor version _N-1_" in table  # stable
    assert "latest supported patch release on the latest supported minor version" in table


def test_rapid_would_move_the_cluster_past_envoy_gateway_and_is_refused() -> None:
    """On the issue day AKS's newest minor is 1.37 (GA Oct 2026); Envoy Gateway v1.9 stops at
    1.36, so `rapid` would take the internal ingress out of its supported range."""
    (problem,) = _problems("prod", DAY, upgradeChannel="rapid")
    assert problem.startswith(
        "platform:aks.upgradeChannel AKS upgrades the cluster to Kubernetes 1.37 on this channel"
    )
    assert "Envoy Gateway v1.9 supports Kubernetes 1.33, 1.34, 1.35, 1.36" in problem
    assert "use upgradeChannel: patch" in problem


@pytest.mark.parametrize("channel", ["stable", "patch", "node-image"])
def test_channels_that_stay_in_range_pass(channel: str) -> None:
    assert _problems("prod", DAY, upgradeChannel=channel) == []


def test_a_channel_move_months_ahead_is_a_warning() -> None:
    day = dt.date(2026, 9, 15)  # rapid → 1.36 today; 1.37 is GA from 1 November
    config = _config("prod", day, upgradeChannel="rapid")
    (advisory,) = config_advisories(config, day)
    assert advisory.path == "platform:aks.upgradeChannel"
    assert advisory.problem.startswith(
        "within 3 months: AKS upgrades the cluster to Kubernetes 1.37"
    )
