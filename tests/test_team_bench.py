"""Team stacks at scale (issue 25, "Scale, measured"; docs/performance.md): an application
stack's preview does not grow with the number of other applications, and the benchmark that
measures it (`python3 dev.py bench --team-stacks 40x10`, bench/team_stacks.py) runs."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pulumi
import pytest
from pulumi.runtime.sync_await import _sync_await

from bench import team_stacks
from infra.preview import stackfile
from infra.preview.engine import run_offline
from infra.preview.stackfile import StackConfig
from infra.services.loader import APPS_ENV
from infra.stacks.application import stack_output
from infra.stacks.recorded import RECORDED_ENV, STACK_REFERENCE

ROOT = Path(__file__).resolve().parent.parent
PLATFORM_OUTPUTS = {
    "contract": {"version": "1.1.0", "services": [{"name": "a", "ports": [{"number": 80}]}]},
    "kubeconfig": "apiVersion: v1",
}


class _ReferenceMocks(pulumi.runtime.Mocks):
    """A platform stack with one plain and one secret output."""

    def new_resource(self, args: pulumi.runtime.MockResourceArgs) -> tuple[str, dict[str, Any]]:
        assert args.typ == STACK_REFERENCE
        return (
            args.name,
            {"name": args.name, "outputs": PLATFORM_OUTPUTS, "secretOutputNames": ["kubeconfig"]},
        )

    def call(self, args: pulumi.runtime.MockCallArgs) -> tuple[dict[str, Any], None]:
        return {}, None


def _resolved(output: pulumi.Output[Any]) -> tuple[Any, bool, bool, set[str]]:
    async def read() -> tuple[Any, bool, bool, set[str]]:
        data = await output._data
        return data.value, data.is_known, data.is_secret, {r._name for r in data.resources}

    return _sync_await(read())


@pytest.mark.parametrize("name", ["contract", "kubeconfig", "absent"])
def test_stack_output_reads_what_get_output_reads(name: str) -> None:
    """The application stack's read of the contract is `StackReference.get_output`'s: the same
    value, known, secret exactly when the platform marks that output secret, depending on the
    reference (so the application's resources wait for it)."""
    pulumi.runtime.set_mocks(_ReferenceMocks(), project="platform", stack="storefront-dev")
    reference = pulumi.StackReference("platform", stack_name="org/platform/platform-dev")
    ours = _resolved(stack_output(reference, name))
    assert ours == _resolved(reference.get_output(name))
    assert ours[0] == PLATFORM_OUTPUTS.get(name)
    assert ours[2] is (name == "kubeconfig")
    assert ours[3] == {"platform"}


def _outputs_made(monkeypatch: pytest.MonkeyPatch, stack: StackConfig) -> tuple[int, int]:
    """(Outputs the program made, resources it registered) in an offline plan of `stack`."""
    from infra.program import build

    made = [0]
    track = pulumi.Output._track

    def counting(self: pulumi.Output[Any]) -> None:
        made[0] += 1
        track(self)

    with monkeypatch.context() as patch:
        patch.setattr(pulumi.Output, "_track", counting)
        run = run_offline(stack, build)
    return made[0], len(run.resources)


def test_an_application_preview_does_not_grow_with_the_other_applications(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The same application (team-00, 2 services) on a platform onboarding 2, then 12
    applications: the contract's registry grows six-fold, the application's plan must not.
    With the SDK's `get_output` it made one Output per node of the whole contract (1,400
    more at 12 applications of 2 services; ~20,000 at 40 x 10)."""
    # Everything use_setup changes is restored after the test.
    monkeypatch.setattr(stackfile, "EXAMPLES", stackfile.EXAMPLES)
    monkeypatch.setattr(sys, "path", list(sys.path))
    monkeypatch.setenv(APPS_ENV, os.environ.get(APPS_ENV, ""))
    monkeypatch.setenv(RECORDED_ENV, os.environ.get(RECORDED_ENV, ""))
    counts = {}
    for applications in (2, 12):
        folder = tmp_path / f"n{applications}"
        team_stacks.write_setup(folder, applications, 2)
        team_stacks.use_setup(folder)
        recorded = team_stacks.record_platform(folder)
        assert recorded["contract_services"] == 2 * applications
        counts[applications] = _outputs_made(
            monkeypatch, stackfile.read_stack(team_stacks.application_stack(0))
        )
    (small, resources_small), (large, resources_large) = counts[2], counts[12]
    assert resources_small == resources_large > 0
    assert large - small < 50, counts


@pytest.mark.slow
def test_the_benchmark_runs_and_reports_its_fields(tmp_path: Path) -> None:
    """`python3 dev.py bench --team-stacks 2x2` (through bench/scale.py, as dev.py runs it)."""
    out = tmp_path / "team.json"
    subprocess.run(
        [
            sys.executable,
            str(ROOT / "bench" / "scale.py"),
            "--team-stacks",
            "2x2",
            "--sizes",
            "1",
            "2",
            "--jobs",
            "1",
            "2",
            "--json",
            str(out),
        ],
        check=True,
        cwd=ROOT,
        timeout=600,
        stdout=subprocess.DEVNULL,
    )
    result = json.loads(out.read_text())
    assert [row["applications"] for row in result["sizes"]] == [1, 2]
    for row in result["sizes"]:
        assert row["platform"]["resources"] > 0
        assert row["platform"]["contract_services"] == 2 * row["applications"]
        assert 0 < row["application_median_seconds"] <= row["application_p95_seconds"]
        assert len({r["stack"] for r in row["application_runs"]}) == row["applications"]
    cost = result["registry_cost"]
    assert cost["contract_applications"] == {"alone": 1, "all": 2}
    assert cost["alone_seconds"] > 0
    assert cost["all_seconds"] > 0
    assert [w["jobs"] for w in result["whole_set"]] == [1, 2]
    for whole in result["whole_set"]:
        assert whole["stacks"] == 3
        assert whole["largest_stack_resources"] == result["largest_stack_resources"]
    assert result["single_stack"]["resources"] > 0
    assert result["machine"]["cpus"]
    assert len(result["machine"]["load_average_at_start"]) == 3
    assert out.with_suffix(".txt").read_text().startswith("team stacks: 2 applications x 2")
