"""The benchmark's synthetic services stay valid declarations as the model's rules grow (a rule
that refuses them breaks `python3 dev.py bench`, which no other test runs)."""

from __future__ import annotations

import pytest

from bench.synthetic import synthetic_applications
from infra.preview.engine import run_offline
from infra.preview.stackfile import read_stack
from infra.program import build


@pytest.mark.slow
def test_synthetic_services_plan_on_the_dev_stack() -> None:
    run = run_offline(read_stack("dev"), lambda: build(applications=synthetic_applications(12)))
    services = {r.name for r in run.resources if r.type.startswith("platform:services:")}
    assert sum(name.startswith("svc-") for name in services) == 12
