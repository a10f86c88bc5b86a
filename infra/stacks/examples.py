"""The reference team stacks (`infra/stacks/examples/<stack>.yaml`): a platform stack per
environment (an environment stack's config plus `base:`'s overlay) and the storefront's
application stack on it. The offline plan and the tests run them like stack files; a project
adopts them as `Pulumi.<stack>.yaml` files (docs/team-stacks.md)."""

from __future__ import annotations

from pathlib import Path

import yaml

from infra.preview.stackfile import ROOT, StackConfig, _as_cli_string, project_name, read_stack

EXAMPLES = Path(__file__).with_name("examples")
ORGANIZATION = "example-org"
"""The Pulumi organization the reference stacks name (`platform:platformStack`)."""


def example_names() -> list[str]:
    return sorted(p.stem for p in EXAMPLES.glob("*.yaml"))


def example_stack(name: str, root: Path = ROOT) -> StackConfig:
    path = EXAMPLES / f"{name}.yaml"
    if not path.is_file():
        raise FileNotFoundError(f"no team stack {name}; known: {', '.join(example_names())}")
    document = yaml.safe_load(path.read_text()) or {}
    base = document.get("base")
    values: dict[str, str] = {}
    secret_keys: tuple[str, ...] = ()
    if base:
        inherited = read_stack(str(base), root)
        values, secret_keys = dict(inherited.values), inherited.secret_keys
    for key, value in (document.get("config") or {}).items():
        values[key] = _as_cli_string(value)
    return StackConfig(name, project_name(root), values, secret_keys)


def full_name(stack: str, root: Path = ROOT) -> str:
    """`organization/project/stack`, as a StackReference names it."""
    return f"{ORGANIZATION}/{project_name(root)}/{stack}"
