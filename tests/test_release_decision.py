"""The promote/rollback decision over recorded samples (tests/release_samples/*.json, the
shape the deploy workflow's canary-health job writes), and its command."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml

from infra.preview.stackfile import ROOT
from infra.release.decision import Policy, Sample, Verdict, decide, next_step
from tests.fixtures import run_python

SAMPLES = Path(__file__).parent / "release_samples"


def recorded(name: str) -> tuple[int, list[Sample], list[Sample]]:
    data = json.loads((SAMPLES / name).read_text())
    return (
        data["weight"],
        [Sample(**s) for s in data["canary"]],
        [Sample(**s) for s in data["stable"]],
    )


@pytest.mark.parametrize(
    ("name", "verdict", "weight", "words"),
    [
        ("healthy-at-10.json", Verdict.ADVANCE, 50, "10 % → 50 %"),
        ("healthy-at-100.json", Verdict.COMPLETE, 100, "remove the rollout"),
        ("crash-loop.json", Verdict.ROLLBACK, 0, "0/2 replicas ready"),
        ("errors.json", Verdict.ROLLBACK, 0, "exceeds 1%"),
        ("shared-outage.json", Verdict.ADVANCE, 100, "50 % → 100 %"),
        ("too-quiet.json", Verdict.WAIT, 10, "fewer than 100"),
        ("just-started.json", Verdict.WAIT, 10, "too early"),
    ],
)
def test_recorded_samples_decide(name: str, verdict: Verdict, weight: int, words: str) -> None:
    decision = decide(*recorded(name))
    assert (decision.verdict, decision.weight) == (verdict, weight), decision.reason
    assert words in decision.reason


def test_error_rate_is_summed_over_the_window_not_averaged() -> None:
    """A busy minute at 0.5 % and a quiet one at 50 % is 0.6 %, not 25 %: advance."""
    canary = [Sample(2, 2, 1000, 5), Sample(2, 2, 1000, 5), Sample(2, 2, 2, 1)]
    assert decide(10, canary, []).verdict is Verdict.ADVANCE


def test_only_the_last_window_counts() -> None:
    """An early crash the canary recovered from does not roll it back."""
    canary = [Sample(0, 2, 0, 0)] * 5 + [Sample(2, 2, 100, 0)] * 3
    assert decide(10, canary, []).verdict is Verdict.ADVANCE


def test_a_canary_at_zero_percent_advances_on_readiness_alone() -> None:
    canary = [Sample(2, 2, 0, 0)] * 3
    decision = decide(0, canary, [])
    assert (decision.verdict, decision.weight) == (Verdict.ADVANCE, 10)


def test_steps_are_configurable() -> None:
    assert next_step(10, (5, 25, 100)) == 25
    canary = [Sample(2, 2, 500, 0)] * 3
    assert decide(5, canary, [], Policy(steps=(5, 25, 100))).weight == 25


def test_the_command_prints_the_verdict_and_fails_on_rollback() -> None:
    ok = run_python("-m", "infra.release", "decide", str(SAMPLES / "healthy-at-10.json"))
    assert ok.returncode == 0, ok.stderr
    assert json.loads(ok.stdout)["weight"] == 50
    bad = run_python("-m", "infra.release", "decide", str(SAMPLES / "crash-loop.json"))
    assert bad.returncode == 3
    assert json.loads(bad.stdout)["verdict"] == "rollback"


def test_the_deploy_workflow_gathers_and_leaves_the_decision_to_the_module() -> None:
    text = (ROOT / ".github" / "workflows" / "deploy.yml").read_text()
    assert "# ---- issue 17: canary health (begin)" in text
    assert "# ---- issue 17: canary health (end)" in text
    job = yaml.safe_load(text)["jobs"]["canary-health"]
    assert job["needs"] == "dev"
    runs = [step.get("run", "") for step in job["steps"]]
    assert any("python -m infra.release rollouts" in r for r in runs)
    assert any("python -m infra.release decide" in r for r in runs)


def test_rollouts_lists_nothing_for_the_reference_apps() -> None:
    result = run_python("-m", "infra.release", "rollouts")
    assert result.returncode == 0, result.stderr
    assert result.stdout == ""
