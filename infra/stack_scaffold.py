"""A new stack from an existing one in one command (docs/adding-a-stack.md).

`python3 dev.py stack new NAME --from SOURCE [--environment E] [--name-prefix P]` copies
`Pulumi.SOURCE.yaml` to `Pulumi.NAME.yaml` as it is (comments too), setting
`platform:environment` (and `platform:namePrefix`), validates the copy as the program would,
and reports what must differ from the other stacks before the first deploy:

- **names**: resource group, cluster, Application Gateway for Containers, registry, vault and
  private DNS zone derive from `namePrefix` and `environment` (`PlatformConfig`'s properties,
  read here, not restated). Two stacks with the same pair collide (the registry's and the
  vault's names are unique across Azure, the others within a subscription): refused, the fix
  is `--name-prefix`.
- **address ranges**: a VNet range another stack uses must differ when the two VNets are, or
  will be, peered with each other or with one shared VNet (the deploy runner's
  `deployRunner.vnet`): Azure refuses a peering whose address spaces overlap. Reported, not
  refused: whether two stacks' VNets ever meet is not in the stack files.
- **overrides**: `overrides` in `apps/` are keyed by environment, so a stack that shares an
  environment with another gets the same overrides (a second prod region gets prod's). The
  report lists the workloads that declare one.

Nothing is written when the copy is refused. The stack is planned offline with
`python3 dev.py preview NAME`.
"""

from __future__ import annotations

import argparse
import ipaddress
import json
import re
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from infra.exit_codes import Exit

if TYPE_CHECKING:
    from infra.config import PlatformConfig

# Only the standard library at import time: dev.py reads `add_arguments` before .venv exists.

ROOT = Path(__file__).resolve().parents[1]
STACK_NAME = re.compile(r"[a-z][a-z0-9-]{0,29}")
"""Stack names this scaffold writes: the file name `Pulumi.<name>.yaml` and the `-s` argument
(a narrower set than Pulumi accepts, so the name is also a valid matrix entry and file name)."""
LOCAL_STACK = "local"
"""`Pulumi.local.yaml`: the laptop stack (docs/local.md)."""

NAMES: dict[str, Callable[[PlatformConfig], str]] = {
    "resource group": lambda c: c.resource_group_name,
    "AKS cluster": lambda c: c.cluster_name,
    "Application Gateway for Containers": lambda c: c.gateway_name,
    "registry": lambda c: c.registry_name,
    "Key Vault": lambda c: c.key_vault_name,
    "private DNS zone": lambda c: c.private_dns_zone,
}
"""The names derived from namePrefix and environment (or set explicitly), read from the config."""


class ScaffoldRefused(Exception):
    """The copy would not be a stack that deploys next to the others; nothing was written."""

    def __init__(self, problems: Sequence[str]) -> None:
        super().__init__("\n".join(problems))
        self.problems = tuple(problems)

    def __reduce__(self) -> tuple[object, ...]:
        return (ScaffoldRefused, (self.problems,))


@dataclass(frozen=True)
class Scaffold:
    path: Path
    environment: str
    name_prefix: str
    must_differ: tuple[str, ...] = field(default=())
    shared_overrides: tuple[str, ...] = field(default=())
    plan_errors: str = ""
    """What the offline plan of the new stack reported, when it did not plan (empty: it plans)."""

    @property
    def stack(self) -> str:
        return self.path.name.split(".")[1]


def _set_key(text: str, key: str, value: str) -> str:
    from infra.config import NAMESPACE

    pattern = re.compile(rf"^(\s*{NAMESPACE}:{key}:)\s*\S+(.*)$", re.MULTILINE)
    if not pattern.search(text):
        raise ScaffoldRefused([f"{NAMESPACE}:{key}: not in the source stack file → add it there"])
    return pattern.sub(lambda m: f"{m[1]} {value}{m[2]}", text, count=1)


def _azure_environments() -> tuple[str, ...]:
    from infra.config import Environment

    return tuple(e.value for e in Environment if e is not Environment.LOCAL)


def _config(stack: str, root: Path) -> PlatformConfig | None:
    """A stack's validated Azure config (None for the local stack)."""
    from infra.config import NAMESPACE, PlatformConfig
    from infra.config_loader import stack_config_from_values
    from infra.preview.stackfile import read_stack

    values = read_stack(stack, root).values
    prefix = f"{NAMESPACE}:"
    config = stack_config_from_values(
        {k[len(prefix) :]: v for k, v in values.items() if k.startswith(prefix)}
    )
    return config if isinstance(config, PlatformConfig) else None


def _runner_vnet(config: PlatformConfig) -> str | None:
    vnet = config.deploy_runner.vnet
    return vnet.id.lower() if vnet else None


def _stacks(root: Path) -> list[str]:
    return sorted(p.name.split(".")[1] for p in root.glob("Pulumi.*.yaml"))


def azure_stacks(root: Path = ROOT) -> list[str]:
    """The stacks the workflows preview: every `Pulumi.<stack>.yaml` but the local one (which
    deploys to a laptop's cluster, never from CI). Standard library only: the workflows ask
    before `.venv` exists (`python3 -m infra.stack_scaffold list`)."""
    return [stack for stack in _stacks(root) if stack != LOCAL_STACK]


def _overriding(environment: str) -> tuple[str, ...]:
    """Workloads in apps/ whose overrides are keyed by this environment."""
    from infra.services.loader import load_applications

    found: list[str] = []
    for application in load_applications():
        for workload in (*application.services, *application.jobs):
            if environment in workload.overrides:
                found.append(f"{application.name}/{workload.name}")
    return tuple(sorted(found))


def new_stack(
    name: str,
    source: str,
    *,
    environment: str | None = None,
    name_prefix: str | None = None,
    root: Path = ROOT,
    overriding: Callable[[str], tuple[str, ...]] = _overriding,
) -> Scaffold:
    """Write `Pulumi.<name>.yaml` from `Pulumi.<source>.yaml`; every refusal at once."""
    from infra.config import NAMESPACE
    from infra.problems import InvalidInput

    problems: list[str] = []
    if not STACK_NAME.fullmatch(name):
        problems.append(
            f"stack name {name!r}: is not 1-30 lowercase letters, digits and '-' starting with a "
            "letter → e.g. prod-ne"
        )
    target = root / f"Pulumi.{name}.yaml"
    if target.exists():
        problems.append(f"{target.name}: exists already → choose another name")
    source_path = root / f"Pulumi.{source}.yaml"
    if not source_path.is_file():
        problems.append(
            f"--from {source}: no {source_path.name} → one of {', '.join(_stacks(root))}"
        )
    if environment is not None and environment not in _azure_environments():
        problems.append(
            f"--environment {environment}: is not an Azure environment → one of "
            f"{', '.join(_azure_environments())}"
        )
    if problems:
        raise ScaffoldRefused(problems)

    text = source_path.read_text()
    if environment is not None:
        text = _set_key(text, "environment", environment)
    if name_prefix is not None:
        text = _set_key(text, "namePrefix", name_prefix)
    text = (
        f"# {name}: made from Pulumi.{source}.yaml by `python3 dev.py stack new` "
        "(docs/adding-a-stack.md).\n" + text
    )

    with tempfile.TemporaryDirectory() as scratch:
        shutil.copy(root / "Pulumi.yaml", scratch)
        (Path(scratch) / target.name).write_text(text)
        try:
            config = _config(name, Path(scratch))
        except InvalidInput as error:
            raise ScaffoldRefused(
                [f"the copy has {len(error.problems)} problem(s) in {error.subject}"]
                + [problem.render() for problem in error.problems]
            ) from None
    if config is None:
        raise ScaffoldRefused([f"--from {source}: is the local stack → copy an Azure stack"])

    must_differ: list[str] = []
    vnet = ipaddress.ip_network(config.network.vnet_cidr)
    for other in _stacks(root):
        other_config = _config(other, root)
        if other_config is None:
            continue
        clashing = [
            f"{what} {mine}"
            for what, derive in NAMES.items()
            if (mine := derive(config)) == derive(other_config)
        ]
        if clashing:
            problems.append(
                f"names: {', '.join(clashing)}: the same as stack {other}'s (they derive from "
                f"namePrefix {config.name_prefix!r} and environment "
                f"{config.environment.value!r}) → pass --name-prefix with another prefix"
            )
        if vnet.overlaps(ipaddress.ip_network(other_config.network.vnet_cidr)):
            shared = _runner_vnet(config)
            through = (
                f"both peer the deploy runner's VNet {shared.rsplit('/', 1)[-1]}, and Azure "
                "refuses a peering that overlaps another of that VNet's peerings"
                if shared and shared == _runner_vnet(other_config)
                else "needed if the two VNets are, or will be, peered with each other or with "
                "one shared VNet: Azure refuses overlapping peerings"
            )
            must_differ.append(
                f"{NAMESPACE}:network.vnetCidr = {vnet}: overlaps stack {other}'s "
                f"{other_config.network.vnet_cidr} → choose another range and move the subnets "
                f"inside it ({through})"
            )
    if problems:
        raise ScaffoldRefused(problems)

    target.write_text(text)
    return Scaffold(
        path=target,
        environment=config.environment.value,
        name_prefix=config.name_prefix,
        must_differ=tuple(must_differ),
        shared_overrides=overriding(config.environment.value),
        plan_errors=_plan_errors(name, root),
    )


def _plan_errors(stack: str, root: Path) -> str:
    """The new stack planned offline, as `python3 dev.py preview STACK` plans it."""
    result = subprocess.run(
        [sys.executable, "-m", "infra.preview", "plan", stack, "--quiet"],
        cwd=root,
        capture_output=True,
        text=True,
        check=False,
    )
    return "" if result.returncode == Exit.OK else (result.stderr or result.stdout).strip()


def report(scaffold: Scaffold, source: str) -> str:
    lines = [
        f"wrote {scaffold.path.name} from Pulumi.{source}.yaml (environment "
        f"{scaffold.environment}, namePrefix {scaffold.name_prefix})"
    ]
    if scaffold.must_differ:
        lines.append("must differ before the first deploy:")
        lines += [f"  {line}" for line in scaffold.must_differ]
    if scaffold.shared_overrides:
        lines.append(
            f"overrides keyed by {scaffold.environment!r} in apps/ apply to this stack too: "
            + ", ".join(scaffold.shared_overrides)
        )
        lines.append("  (per-stack differences go in this stack file; see docs/adding-a-stack.md)")
    if scaffold.plan_errors:
        lines.append(
            f"{scaffold.stack} does not plan yet (python3 dev.py preview {scaffold.stack}):"
        )
        lines += [f"  {line}" for line in scaffold.plan_errors.splitlines()]
    else:
        lines.append(f"{scaffold.stack} plans offline: python3 dev.py preview {scaffold.stack}")
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python3 dev.py stack", description="Add a stack from an existing one."
    )
    commands = parser.add_subparsers(dest="command", required=True)
    add_arguments(commands.add_parser("new", help="a new Pulumi.NAME.yaml from --from SOURCE"))
    add_list_arguments(commands.add_parser("list", help="the stacks CI previews"))
    args = parser.parse_args(argv)
    if args.command == "list":
        stacks = azure_stacks()
        print(json.dumps(stacks) if args.json else " ".join(stacks))
        return Exit.OK
    try:
        scaffold = new_stack(
            args.name, args.source, environment=args.environment, name_prefix=args.name_prefix
        )
    except ScaffoldRefused as refused:
        print(f"error: stack {args.name}: nothing written", file=sys.stderr)
        for problem in refused.problems:
            print(f"  {problem}", file=sys.stderr)
        return Exit.ERROR
    print(report(scaffold, args.source))
    return Exit.ERROR if scaffold.plan_errors else Exit.OK


def add_arguments(new: argparse.ArgumentParser) -> None:
    """`stack new`'s options, defined once (dev.py shows them before .venv exists)."""
    new.add_argument("name", help="the new stack, e.g. prod-ne")
    new.add_argument("--from", dest="source", required=True, metavar="SOURCE", help="e.g. prod")
    new.add_argument("--environment", help="an Azure environment (default: the source's)")
    new.add_argument("--name-prefix", help="namePrefix (2-12 lowercase), when names would clash")


def add_list_arguments(listing: argparse.ArgumentParser) -> None:
    listing.add_argument("--json", action="store_true", help="a JSON list (a workflow matrix)")


if __name__ == "__main__":
    sys.exit(main())
