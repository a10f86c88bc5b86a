"""The platform's tests plan their own applications (tests/apps/), never the app teams' `apps/`
(issue 22, point 6): an app team's edit to `apps/` fails none of the platform's tests.

Two proofs: no test module names `apps/` as something to read or load, and a copy of the
repository whose `apps/storefront.py` gained a service and a Container Apps canary (as the
README's "Canary releases" shows) still passes the golden files, the stack simulations and the
other whole-plan tests, while that edited `apps/` itself plans and simulates cleanly.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from infra.exit_codes import Exit
from infra.preview.stackfile import ROOT
from infra.services.image_lock import lock_path
from infra.services.loader import APPS_ENV, applications_package, load_applications
from tests.conftest import FIXTURE_APPS

TESTS = Path(__file__).resolve().parent

READS_APPS = re.compile(
    r"(?<![\w/.])apps[/.]storefront"  # the reference module, by path or by import
    r"""|/\s*["']apps["']"""  # a path into the folder: ROOT / "apps" / …
    r"""|load_applications\(\s*["']apps["']"""  # the package loaded by name
    r"|^\s*(?:from|import)\s+apps\b",  # an import of the package
    re.MULTILINE,
)
"""What a test module that reads the app teams' `apps/` would contain."""

WHOLE_PLAN_TESTS = (
    "tests/test_golden.py",
    "tests/test_simulate_stacks.py",
    "tests/test_services_program.py",
    "tests/test_rollout_preview.py",
    "tests/test_local.py",
    "tests/test_policy.py",
)
"""A representative subset: every test here plans the whole reference stacks, and each failed
on an edit to apps/storefront.py before the fixture existed (the goldens on any edit)."""

NEW_SERVICE = """
reviews = ServiceSpec(
    name="reviews-api",
    image="storefront/reviews-api:1.0.0",
    target=Target.AKS,
    ports=(Port(name="http", number=8080),),
    resources=Resources(cpu=0.25, memory="512Mi"),
    probes=HEALTH,
)
"""

CANARY = '    rollout=Rollout(image="storefront/web:2.9.0", weight=10),\n'


def _edit_reference_app(root: Path) -> None:
    """An app team's change: a new AKS service, and a canary on the Container Apps `web`."""
    storefront = root / "apps" / "storefront.py"
    text = storefront.read_text()
    web = text.index('    name="web",')
    end = text.index("\n)\n", web)
    text = text[:end] + "\n" + CANARY.rstrip("\n") + text[end:]
    text = text.replace(
        "\napplication = Application(", NEW_SERVICE + "\napplication = Application("
    )
    text = text.replace("        stock_sync,\n", "        stock_sync,\n        reviews,\n", 1)
    text = text.replace(
        "from infra.services.spec import (", "from infra.services.spec import (\n    Rollout,", 1
    )
    storefront.write_text(text)
    lock = root / "apps" / "images.lock.yaml"
    # The lock the deploy workflow would return for the new images (prod runs only pinned ones).
    lock.write_text(
        lock.read_text()
        + "".join(
            f"  {image}: sha256:{'5' * 64}\n"
            for image in ("storefront/reviews-api:1.0.0", "storefront/web:2.9.0")
        )
    )


def test_the_suite_plans_the_fixture_applications() -> None:
    assert os.environ[APPS_ENV] == FIXTURE_APPS == applications_package()
    assert {a.source for a in load_applications()} == {"tests/apps/stack.py"}
    assert lock_path() == ROOT / "tests" / "apps" / "images.lock.yaml"


OWNERSHIP_TESTS = frozenset({TESTS / "test_codeowners.py"})
"""Tests that list `apps/`'s module names, never their contents: every application module has
an owning team in .github/CODEOWNERS (a new module without one is a review gap, not a bug)."""


def test_no_test_module_reads_the_app_teams_folder() -> None:
    found = [
        f"{path.relative_to(ROOT)}:{text.count(chr(10), 0, match.start()) + 1}: {match.group(0)}"
        for path in sorted(TESTS.rglob("*.py"))
        if TESTS / "apps" not in path.parents
        and path != Path(__file__).resolve()
        and path not in OWNERSHIP_TESTS
        for text in [path.read_text()]
        for match in READS_APPS.finditer(text)
    ]
    assert not found, "tests read apps/ (use the fixture tests/apps/):\n" + "\n".join(found)


def _run(root: Path, *args: str, apps: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, *args],
        cwd=root,
        env={**os.environ, APPS_ENV: apps},
        capture_output=True,
        text=True,
        timeout=900,
        check=False,
    )


@pytest.mark.slow
def test_an_app_teams_edit_fails_none_of_the_platforms_tests(tmp_path: Path) -> None:
    root = tmp_path / "repo"
    listed = subprocess.run(
        ["git", "ls-files", "--cached", "--others", "--exclude-standard", "-z"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    for name in filter(None, listed.split("\0")):
        if (ROOT / name).is_file():  # a file deleted in the working tree is not copied
            (root / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(ROOT / name, root / name)

    # The edit is a real, correct one: the edited apps/ plans (validation, mandatory policy)
    # and its change simulates over the base's deployed stack, on every stack, as the app
    # teams' CI checks it (.ci/apps) …
    for args in (("init", "-q", "-b", "main"), ("add", "-A"), ("commit", "-qm", "base")):
        subprocess.run(
            ["git", "-c", "user.name=t", "-c", "user.email=t@t", *args], cwd=root, check=True
        )
    _edit_reference_app(root)
    snapshot = root / "dev.json"
    planned = _run(
        root, "-m", "infra.preview", "plan", "dev", "--quiet", "--out", str(snapshot), apps="apps"
    )
    assert planned.returncode == Exit.OK, planned.stderr
    plan = snapshot.read_text()
    assert "storefront-reviews-api" in plan
    assert '"label": "canary"' in plan
    assert "storefront/web:2.9.0" in plan
    for stack in ("dev", "prod", "local"):
        simulated = _run(
            root, "-m", "infra.preview", "simulate", stack, "--base", "main", apps="apps"
        )
        assert simulated.returncode == Exit.OK, simulated.stdout + simulated.stderr

    # … and the platform's whole-plan tests, run in that copy as CI runs them, still pass.
    tests = _run(
        root,
        "-m",
        "pytest",
        "-q",
        "-x",
        "-p",
        "no:cacheprovider",
        *WHOLE_PLAN_TESTS,
        apps=FIXTURE_APPS,
    )
    assert tests.returncode == 0, tests.stdout[-4000:] + tests.stderr[-2000:]
