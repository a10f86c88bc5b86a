"""`.github/CODEOWNERS` matches the ownership the docs describe (README "Three doors"): the
platform team owns `infra/`, `upstream/`, `.github/` and the stacks, each application module has
its team, and every path it names exists (a renamed path would silently lose its reviewers)."""

from __future__ import annotations

from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PLATFORM = "@example-org/platform-team"


def _rules() -> dict[str, list[str]]:
    rules: dict[str, list[str]] = {}
    for line in (ROOT / ".github" / "CODEOWNERS").read_text().splitlines():
        if line.strip() and not line.lstrip().startswith("#"):
            pattern, *owners = line.split()
            rules[pattern] = owners
    return rules


def _owners(path: str) -> list[str]:
    """The owners GitHub applies to a file: the last matching rule wins."""
    found: list[str] = []
    for pattern, owners in _rules().items():
        bare = pattern.strip("/")
        if (
            pattern == "*"
            or path == bare
            or (pattern.endswith("/") and path.startswith(bare + "/"))
        ):
            found = owners
    return found


def test_every_path_in_codeowners_exists() -> None:
    missing = [p for p in _rules() if p != "*" and not (ROOT / p.strip("/")).exists()]
    assert missing == []
    assert all(owner.startswith("@") for owners in _rules().values() for owner in owners)


def test_the_platform_team_owns_the_program_upstream_ci_and_the_stacks() -> None:
    for path in (
        "infra/program.py",
        "infra/policy/exceptions.yaml",
        next(str(p.relative_to(ROOT)) for p in sorted((ROOT / "upstream").rglob("SOURCE.md"))),
        ".github/workflows/deploy.yml",
        "Pulumi.prod.yaml",
        "apps/__init__.py",
        "apps/images.lock.yaml",
    ):
        assert _owners(path) == [PLATFORM], path
    for stack in ROOT.glob("Pulumi.*.yaml"):
        assert PLATFORM in _owners(stack.name), stack.name


def test_each_application_module_has_its_own_team() -> None:
    for module in sorted((ROOT / "apps").glob("*.py")):
        if module.name == "__init__.py":
            continue
        owners = _owners(f"apps/{module.name}")
        assert owners, module.name
        assert PLATFORM not in owners, module.name


def test_each_docs_page_is_reviewed_by_its_reader() -> None:
    assert "@example-org/app-teams" in _owners("docs/app-team-quickstart.md")
    assert "@example-org/operators" in _owners("docs/deploying.md")
    assert _owners("docs/architecture.md") == [PLATFORM]
