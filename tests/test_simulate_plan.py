"""The deploy simulator's model of the engine: dependency order, waves, simulated time, and
which resources a run creates, updates or leaves alone."""

from __future__ import annotations

import json
import math
from pathlib import Path

from infra.simulate import Plan, World, replay
from infra.simulate.azure import covers, parse_vault_url, seconds
from infra.simulate.replay import applied, without
from infra.simulate.timeline import Timeline
from tests.simulate_builders import K8S, aks_access, k8s, plan, res, sleep, urn

COMPONENT = "platform:services:AksService"
NAMESPACE = "kubernetes:core/v1:Namespace"


def test_depending_on_a_component_waits_for_everything_under_it() -> None:
    component = res(COMPONENT, "api", custom=False)
    child = res(
        "azure-native:managedidentity:UserAssignedIdentity", "api-id", parent=component["urn"]
    )
    nested = res(COMPONENT, "inner", parent=component["urn"], custom=False)
    grandchild = res("azure-native:authorization:RoleAssignment", "api-ra", parent=nested["urn"])
    waiter = res("azure-native:app:ContainerApp", "web", deps=(component["urn"],))
    p = plan(component, child, nested, grandchild, waiter)
    assert p.dependencies[waiter["urn"]] == {child["urn"], grandchild["urn"]}
    assert component["urn"] not in p.dependencies  # a component has no step of its own


def test_a_resource_waits_for_its_provider() -> None:
    p = plan(*aks_access(), k8s(NAMESPACE, "ns", {}))
    assert K8S in p.dependencies[urn(NAMESPACE, "ns")]
    assert (
        urn("time:index/sleep:Sleep", "aks-rbac-propagation") in p.ancestors[urn(NAMESPACE, "ns")]
    )


def test_waves_group_what_can_run_at_once() -> None:
    a = res("t:m:A", "a")
    b = res("t:m:B", "b")
    c = res("t:m:C", "c", deps=(a["urn"], b["urn"]))
    d = res("t:m:D", "d", deps=(a["urn"],))
    p = plan(a, b, c, d)
    assert p.waves == {a["urn"]: 1, b["urn"]: 1, c["urn"]: 2, d["urn"]: 2}
    assert p.ordered(a["urn"], c["urn"])
    assert not p.ordered(c["urn"], d["urn"])
    assert p.order.index(a["urn"]) < p.order.index(c["urn"])


def test_only_sleeps_on_the_path_count_as_time_between_two_steps() -> None:
    grant = res("t:m:Grant", "g")
    short = sleep("short", "60s", (grant["urn"],))
    long = sleep("long", "5m", ())
    after_both = res("t:m:User", "u", deps=(short["urn"], long["urn"]))
    p = plan(grant, short, long, after_both)
    timeline = Timeline(p, set(p.order))
    # The 5 min Sleep runs in parallel with the grant: only the 60 s after it are guaranteed.
    assert timeline.elapsed(grant["urn"], after_both["urn"]) == 60
    assert timeline.start[after_both["urn"]] == 300
    assert timeline.elapsed(long["urn"], grant["urn"]) is None  # not ordered: a race
    assert timeline.elapsed(grant["urn"], short["urn"]) == 0


def test_what_existed_before_the_run_is_old_enough() -> None:
    grant = res("t:m:Grant", "g")
    user = res("t:m:User", "u", deps=(grant["urn"],))
    p = plan(grant, user)
    assert Timeline(p, {user["urn"]}).elapsed(grant["urn"], user["urn"]) == math.inf


def test_a_second_run_creates_nothing_that_exists_unchanged() -> None:
    p = plan(*aks_access(), k8s(NAMESPACE, "ns", {"metadata": {"name": "shop"}}))
    first, world = replay("first", p, World())
    assert [s.action for s in first.steps] == ["create"] * 5
    assert first.duration == 300
    second, _ = replay("second", p, world)
    assert second.steps == []
    changed = plan(*aks_access(), k8s(NAMESPACE, "ns", {"metadata": {"name": "other"}}))
    third, _ = replay("third", changed, world)
    assert [(s.label, s.action) for s in third.steps] == [("Namespace ns", "update")]
    assert third.refusals == []  # the grant and its propagation happened in the first run


def test_ignore_changes_paths_hide_drift_and_keep_what_azure_has() -> None:
    cluster = res(
        "azure-native:containerservice:ManagedCluster",
        "aks",
        {"kubernetesVersion": "1.33", "agentPoolProfiles": [{"count": 3, "name": "system"}]},
        options={"ignoreChanges": ["agentPoolProfiles[0].count", "kubernetesVersion"]},
    )
    p = plan(cluster)
    drifted = World(
        resources=dict(
            plan(
                res(
                    "azure-native:containerservice:ManagedCluster",
                    "aks",
                    {
                        "kubernetesVersion": "1.34.1",
                        "agentPoolProfiles": [{"count": 7, "name": "system"}],
                    },
                )
            ).resources
        )
    )
    phase, _ = replay("second", p, drifted)
    assert phase.steps == []
    assert applied(p, drifted).resources[cluster["urn"]].inputs["kubernetesVersion"] == "1.34.1"
    assert without({"a": [{"b": 1, "c": 2}]}, ("a[0].b",)) == {"a": [{"c": 2}]}
    assert without({"a": {"k.x": 1, "y": 2}}, ('a["k.x"]',)) == {"a": {"y": 2}}


def test_the_plan_is_read_from_a_snapshot_file(tmp_path: Path) -> None:
    snapshot = {"stack": "t", "resources": [res(NAMESPACE, "ns")], "version": 1}
    path = tmp_path / "plan.json"
    path.write_text(json.dumps(snapshot))
    p = Plan.from_snapshot(json.loads(path.read_text()))
    assert p.stack == "t"
    assert [r.label for r in p] == ["Namespace ns"]


def test_durations_scopes_and_vault_urls() -> None:
    assert seconds("300s") == 300
    assert seconds("5m") == 300
    assert seconds("1m30s") == 90
    vault = "/microsoft.keyvault/vaults/kv"
    rg = "/subscriptions/s/resourceGroups/rg/providers/Microsoft.KeyVault/vaults/kv"
    assert covers(rg, (vault,))
    assert covers(f"{rg}/secrets/db", (vault, f"{vault}/secrets/db"))
    assert not covers(f"{rg}/secrets/other", (vault, f"{vault}/secrets/db"))
    assert not covers(rg + "2", (vault,))
    assert covers("/subscriptions/s/resourceGroups/rg", (vault,), "rg")
    assert not covers("/subscriptions/s/resourceGroups/other", (vault,), "rg")
    assert covers("/subscriptions/s", (vault,))
    found = parse_vault_url("https://kv-shop.vault.azure.net/secrets/db/0123")
    assert found is not None
    assert (found.vault, found.kind, found.name) == ("kv-shop", "secrets", "db")
    assert parse_vault_url("https://example.com/secrets/db") is None
