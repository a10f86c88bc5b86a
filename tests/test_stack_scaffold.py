"""`python3 dev.py stack new`: a stack from an existing one in one command (issue 24 point 7).

Each test runs in a copy of the repository, as a platform engineer would on a clone: the
scaffold writes the stack file, and the new stack plans offline with no edit beyond its own.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[1]
SKIP = shutil.ignore_patterns(
    ".git", ".venv", ".venv-tools", "__pycache__", "tests", "docs", "bench", "out"
)
SKIP_CACHE = shutil.ignore_patterns("__pycache__")


def _copy(tmp_path: Path) -> Path:
    """The repository without its tests, but with the fixture applications the platform's
    tests plan (tests/apps, PLATFORM_APPS), so the new stack plans what the suite plans."""
    copy = tmp_path / "repo"
    shutil.copytree(ROOT, copy, ignore=SKIP)
    shutil.copytree(ROOT / "tests/apps", copy / "tests/apps", ignore=SKIP_CACHE)
    shutil.copy(ROOT / "tests" / "__init__.py", copy / "tests")
    return copy


def _run(root: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", *args], cwd=root, capture_output=True, text=True, check=False
    )


@pytest.mark.slow  # a subprocess plan of a whole stack: full suite only
def test_a_new_environment_from_dev_plans_offline_as_written(tmp_path: Path) -> None:
    root = _copy(tmp_path)
    made = _run(
        root, "infra.stack_scaffold", "new", "staging", "--from", "dev", "--environment", "staging"
    )
    assert made.returncode == 0, made.stderr
    assert "staging plans offline" in made.stdout
    # The copy is the source file with its environment set: comments and every other value kept.
    source = (root / "Pulumi.dev.yaml").read_text().splitlines()
    written = (root / "Pulumi.staging.yaml").read_text().splitlines()
    assert written[0].startswith("# staging: made from Pulumi.dev.yaml")
    assert [line for line in written[1:] if line not in source] == [
        "  platform:environment: staging"
    ]
    assert yaml.safe_load("\n".join(written))["config"]["platform:environment"] == "staging"
    # The same VNet range as dev is reported as what must differ, not refused.
    assert "platform:network.vnetCidr = 10.20.0.0/16: overlaps stack dev's" in made.stdout
    plan = _run(root, "infra.preview", "plan", "staging", "--quiet")
    assert plan.returncode == 0, plan.stderr


def test_a_second_stack_of_one_environment_needs_its_own_name_prefix(tmp_path: Path) -> None:
    root = _copy(tmp_path)
    refused = _run(root, "infra.stack_scaffold", "new", "prod-ne", "--from", "prod")
    assert refused.returncode == 2
    assert not (root / "Pulumi.prod-ne.yaml").exists()
    assert "registry shopprodacr, Key Vault kv-shop-prod" in refused.stderr
    assert "the same as stack prod's" in refused.stderr
    assert "→ pass --name-prefix" in refused.stderr


@pytest.mark.slow  # a subprocess plan of a whole stack: full suite only
def test_a_second_prod_region_is_told_what_it_inherits_and_what_blocks_it(
    tmp_path: Path,
) -> None:
    """Overrides are keyed by environment: prod-ne gets prod's, the certificate in prod's
    vault included, and the report says so instead of leaving it to trial and error."""
    root = _copy(tmp_path)
    made = _run(
        root, "infra.stack_scaffold", "new", "prod-ne", "--from", "prod", "--name-prefix", "shopne"
    )
    assert (root / "Pulumi.prod-ne.yaml").exists()
    assert "both peer the deploy runner's VNet vnet-runners" in made.stdout
    assert "overrides keyed by 'prod' in apps/ apply to this stack too" in made.stdout
    assert "storefront/web" in made.stdout
    assert "prod-ne does not plan yet" in made.stdout
    assert "kv-shop-prod.vault.azure.net/certificates/shop-example-com" in made.stdout
    assert made.returncode == 2


def test_bad_arguments_are_refused_together_and_nothing_is_written(tmp_path: Path) -> None:
    root = _copy(tmp_path)
    before = sorted(p.name for p in root.glob("Pulumi.*.yaml"))
    refused = _run(
        root, "infra.stack_scaffold", "new", "Prod_2", "--from", "nope", "--environment", "local"
    )
    assert refused.returncode == 2
    assert "stack name 'Prod_2'" in refused.stderr
    assert "--from nope: no Pulumi.nope.yaml" in refused.stderr
    assert "--environment local: is not an Azure environment" in refused.stderr
    assert sorted(p.name for p in root.glob("Pulumi.*.yaml")) == before


def test_the_workflows_preview_every_stack_file_but_local() -> None:
    """The stack list comes from the stack files (`infra.stack_scaffold list`), not from the
    workflows: a stack added by the scaffold is previewed without a workflow edit."""
    listed = subprocess.run(
        [sys.executable, "-S", "-m", "infra.stack_scaffold", "list", "--json"],  # no .venv
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    )
    files = sorted(p.name.split(".")[1] for p in ROOT.glob("Pulumi.*.yaml"))
    assert yaml.safe_load(listed.stdout) == [s for s in files if s != "local"]
    workflows = ROOT / ".github" / "workflows"
    for name in ("offline-preview.yml", "pulumi-preview.yml"):
        text = (workflows / name).read_text()
        assert "infra.stack_scaffold list" in text, name
        assert "dev prod" not in text, name
        assert "[dev, prod]" not in text, name
    matrix = yaml.safe_load((workflows / "pulumi-preview.yml").read_text())["jobs"]["preview"]
    assert matrix["strategy"]["matrix"]["stack"] == "${{ fromJSON(needs.stacks.outputs.names) }}"
