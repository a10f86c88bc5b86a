"""`python -m infra.preview simulate`: each phase in words, the first refusal with its rule id,
why and fix; exit 0 when nothing is refused, 1 otherwise."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from infra.preview.cli import main
from tests.simulate_builders import res

LOCAL = res("pulumi:providers:kubernetes", "local", {"context": "kind-platform"})
GROUP = res("azure-native:resources:ResourceGroup", "platform", {"resourceGroupName": "rg-t"})
CHART = res(
    "kubernetes:helm.sh/v4:Chart",
    "cache",
    {
        "chart": "valkey",
        "version": "1.0.0",
        "repositoryOpts": {"repo": "https://valkey.io/valkey-helm/"},
    },
    provider=LOCAL["urn"],
    custom=False,
)


def write(path: Path, *resources: dict[str, Any]) -> Path:
    path.write_text(json.dumps({"stack": "t", "version": 1, "resources": list(resources)}))
    return path


def simulate(tmp_path: Path, *full: dict[str, Any]) -> int:
    foundation = write(tmp_path / "foundation.json", GROUP)
    return main(
        [
            "simulate",
            "t",
            "--foundation",
            str(foundation),
            "--full",
            str(write(tmp_path / "full.json", GROUP, *full)),
        ]
    )


def test_a_plan_azure_accepts_reports_no_refusal(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert simulate(tmp_path, LOCAL) == 0
    out = capsys.readouterr().out
    assert "1. first deploy: foundation only (deployServices: false)" in out
    assert "5. second deploy (same plan, after drift)" in out
    assert out.rstrip().endswith("t: no refusal")


def test_the_first_refusal_is_reported_in_words(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert simulate(tmp_path, LOCAL, CHART) == 1
    out = capsys.readouterr().out
    assert "Chart cache [helm-chart-unpublished]" in out
    assert (
        "why: chart valkey version 1.0.0 is not published by https://valkey.io/valkey-helm." in out
    )
    assert "fix: pin a published version (newest: 0.11.0)." in out
    assert out.rstrip().endswith("t: refused")


def test_recorded_plans_come_in_pairs(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["simulate", "t", "--full", str(write(tmp_path / "full.json", GROUP))]) == 2
    assert "--foundation and --full go together" in capsys.readouterr().err


def test_a_base_revision_and_recorded_plans_exclude_each_other(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    plans = [str(write(tmp_path / f"{n}.json", GROUP)) for n in ("foundation", "full")]
    argv = ["simulate", "t", "--base", "main", "--foundation", plans[0], "--full", plans[1]]
    assert main(argv) == 2
    assert "--base plans REV itself" in capsys.readouterr().err
