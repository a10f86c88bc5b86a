"""A canary step previewed: the offline diff and the pull-request comment show the split as
`stable 90 % → canary 10 %` per service, the topology draws both tracks, and promoting or
rolling back is one field's change."""

from __future__ import annotations

import dataclasses
from typing import Any

import pytest
from rich.console import Console

from infra.preview.diff import diff
from infra.preview.engine import run_offline
from infra.preview.mocks import LIVE_REVISION_SUFFIX
from infra.preview.report import markdown, print_diff
from infra.preview.snapshot import to_snapshot
from infra.preview.stackfile import read_stack
from infra.program import build
from infra.services.loader import load_applications
from infra.services.spec import Rollout

CANARY = "storefront/web:2.9.0"


def snapshot_with(rollout: Rollout | None) -> dict[str, Any]:
    apps = [
        dataclasses.replace(
            a,
            services=tuple(
                dataclasses.replace(s, rollout=rollout) if s.name == "web" else s
                for s in a.services
            ),
        )
        for a in load_applications()
    ]
    return to_snapshot(run_offline(read_stack("dev"), lambda: build(applications=apps)))


@pytest.fixture(scope="module")
def steps() -> dict[str, dict[str, Any]]:
    return {
        "none": snapshot_with(None),
        "10": snapshot_with(Rollout(image=CANARY, weight=10)),
        "50": snapshot_with(Rollout(image=CANARY, weight=50)),
        "0": snapshot_with(Rollout(image=CANARY, weight=0)),
    }


def _app(snapshot: dict[str, Any]) -> dict[str, Any]:
    (web,) = [
        r
        for r in snapshot["resources"]
        if r["type"] == "azure-native:app:ContainerApp" and r["name"] == "web"
    ]
    return web["inputs"]


def test_starting_a_canary_shows_the_split_in_the_comment(steps: dict[str, Any]) -> None:
    result = diff(steps["none"], steps["10"])
    text = markdown(result)
    assert "- web: stable 90 % → canary 10 % (storefront/web:2.9.0)" in text
    assert "internet -->|https 90 %| svc_web\n" in text
    assert "internet -->|https 10 %| svc_web_canary" in text
    assert 'svc_web_canary["web canary<br/>storefront/web:2.9.0"]' in text
    (change,) = [c for c in result.changes if c.name == "web"]
    paths = {p.path for p in change.changes}
    assert "configuration.activeRevisionsMode" in paths


def test_the_console_diff_shows_the_split(steps: dict[str, Any]) -> None:
    console = Console(record=True, width=200)
    print_diff(diff(steps["10"], steps["50"]), console)
    assert "web: stable 50 % → canary 50 % (storefront/web:2.9.0)" in console.export_text()


def test_promote_and_rollback_change_only_the_weights(steps: dict[str, Any]) -> None:
    ten, fifty, zero = _app(steps["10"]), _app(steps["50"]), _app(steps["0"])
    weights = [
        [(t.get("label"), t["weight"]) for t in app["configuration"]["ingress"]["traffic"]]
        for app in (ten, fifty, zero)
    ]
    assert weights == [
        [("stable", 90), ("canary", 10)],
        [("stable", 50), ("canary", 50)],
        [("stable", 100), ("canary", 0)],
    ]
    # The stable revision is the one running (read from Azure; offline, the mocks' `web--live`)
    # and keeps its name through every step (never wiped).
    names = {
        app["configuration"]["ingress"]["traffic"][0]["revisionName"] for app in (ten, fifty, zero)
    }
    assert names == {f"web--{LIVE_REVISION_SUFFIX}"}
    # Azure names revisions: a return to an earlier declaration makes a new one.
    assert all("revisionSuffix" not in app["template"] for app in (ten, fifty, zero))
    (change,) = [c for c in diff(steps["10"], steps["50"]).changes if c.name == "web"]
    assert {p.path.split("[")[0] for p in change.changes} == {"configuration.ingress.traffic"}
