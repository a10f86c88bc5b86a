"""Read a stack's `Pulumi.<stack>.yaml` the way the Pulumi CLI hands it to the program.

Offline there is no CLI to decrypt `secure:` values, so each becomes a placeholder that is still
marked secret: the program sees a secret, the plan shows it masked. The placeholder is derived from
the key name and the ciphertext (both already public in the stack file), never from the plaintext,
so pointing a service at another secret, or re-encrypting one, is visible in a diff while nothing
about any value is revealed.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parents[2]


def offline_secret(full_key: str, ciphertext: str) -> str:
    """The placeholder for a `secure:` value: a digest of public data only."""
    digest = hashlib.sha256(f"{full_key}\n{ciphertext}".encode()).hexdigest()[:16]
    return f"offline-secret:{digest}"


@dataclass(frozen=True)
class StackConfig:
    stack: str
    project: str
    values: dict[str, str]
    """Full keys (`namespace:key`) to the strings the CLI would pass (JSON for objects)."""
    secret_keys: tuple[str, ...]


def project_name(root: Path = ROOT) -> str:
    document = yaml.safe_load((root / "Pulumi.yaml").read_text())
    return str(document["name"])


def _as_cli_string(value: Any) -> str:
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    return json.dumps(value, sort_keys=True)


def read_stack(stack: str, root: Path = ROOT) -> StackConfig:
    path = root / f"Pulumi.{stack}.yaml"
    if not path.is_file() and stack in example_names():
        # The reference team stacks (docs/team-stacks.md) until they are adopted as stack files.
        return example_stack(stack, root)
    if not path.is_file():
        known = sorted(p.name.split(".")[1] for p in root.glob("Pulumi.*.yaml"))
        raise FileNotFoundError(f"no stack file {path.name}; stacks here: {', '.join(known)}")
    project = project_name(root)
    document = yaml.safe_load(path.read_text()) or {}
    values: dict[str, str] = {}
    secret_keys: list[str] = []
    for key, value in (document.get("config") or {}).items():
        full_key = key if ":" in key else f"{project}:{key}"
        if isinstance(value, dict) and set(value) == {"secure"}:
            values[full_key] = offline_secret(full_key, str(value["secure"]))
            secret_keys.append(full_key)
        else:
            values[full_key] = _as_cli_string(value)
    return StackConfig(stack, project, values, tuple(sorted(secret_keys)))


EXAMPLES = ROOT / "infra" / "stacks" / "examples"
"""The reference team stacks (docs/team-stacks.md): read like stack files until a project
adopts them as `Pulumi.<stack>.yaml`."""
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
