"""Imports run down the pipeline, never up (README: Architecture): what each layer may not pull in,
checked in a fresh interpreter so nothing another test imported hides a violation."""

from __future__ import annotations

import pytest

from tests.fixtures import run_python

PROBE = """
import sys, {module}
loaded = sorted(m for m in sys.modules if m.split(".")[0] in ("pulumi", "pulumi_azure_native")
                or m.startswith("infra.foundation") or m.startswith("infra.services.validation"))
print(",".join(loaded))
"""


@pytest.mark.parametrize(
    ("module", "forbidden"),
    [
        ("infra.constants", ("pulumi", "infra.foundation", "infra.services.validation")),
        ("infra.services.catalog", ("pulumi", "infra.foundation", "infra.services.validation")),
        (
            "infra.services.render.aks",
            ("pulumi_azure_native", "infra.foundation", "infra.services.validation"),
        ),
        ("infra.services.wiring", ("infra.foundation", "infra.services.validation")),
        ("infra.services.render.container_apps", ("infra.foundation",)),
    ],
)
def test_a_layer_does_not_import_what_sits_above_it(
    module: str, forbidden: tuple[str, ...]
) -> None:
    result = run_python("-c", PROBE.format(module=module))
    assert result.returncode == 0, result.stderr
    loaded = [m for m in result.stdout.strip().split(",") if m]
    assert [m for m in loaded if m.split(".")[0] in forbidden or m.startswith(forbidden)] == []
