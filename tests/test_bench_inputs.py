"""The benchmark's synthetic services stay valid declarations as the model's rules grow (a rule
that refuses them breaks `python3 dev.py bench`, which no other test runs)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from bench.synthetic import synthetic_applications
from infra.preview.engine import run_offline
from infra.preview.stackfile import read_stack
from infra.program import build
from infra.services.loader import load_applications

ROOT = Path(__file__).resolve().parent.parent


@pytest.mark.slow
def test_synthetic_services_plan_on_the_dev_stack() -> None:
    run = run_offline(read_stack("dev"), lambda: build(applications=synthetic_applications(12)))
    services = {r.name for r in run.resources if r.type.startswith("platform:services:")}
    assert sum(name.startswith("svc-") for name in services) == 12


@pytest.mark.slow
def test_language_host_mode_registers_what_the_offline_plan_does(tmp_path: Path) -> None:
    """The benchmark's language-host mode (infra/__main__.py under set_mocks, drained by the
    SDK's wait_for_rpcs) counts every registration: the same URNs as the offline plan, and its
    floors register exactly those again. A drain that stopped early, or a program that
    registered inside an apply, would count fewer."""
    size = 6
    host_out, floor_out, bare_out = (tmp_path / f"{n}.json" for n in ("host", "floor", "bare"))
    script = str(ROOT / "bench" / "scale.py")
    for args in (
        ("--child-host", str(size), str(host_out)),
        ("--child-host-floor", str(host_out), str(floor_out)),
        ("--child-host-bare-floor", str(host_out), str(bare_out)),
    ):
        subprocess.run([sys.executable, script, *args], check=True, cwd=ROOT, timeout=300)
    host = json.loads(host_out.read_text())
    offline = run_offline(
        read_stack("dev"),
        lambda: build(applications=[*load_applications(), *synthetic_applications(size)]),
    )
    assert sorted(r["urn"] for r in host["registrations"]) == sorted(
        r.urn for r in offline.resources
    )
    assert host["resources"] == len(offline.resources)
    assert json.loads(floor_out.read_text())["resources"] == len(offline.resources)
    assert json.loads(bare_out.read_text())["resources"] == len(offline.resources)
