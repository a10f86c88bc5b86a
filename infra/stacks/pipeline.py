"""Team stacks in the pipeline (docs/team-stacks.md, "Deploying and previewing team stacks"):
which team stacks there are, which application stacks a platform change affects, and the deploy
workflow's matrix of application stacks, each with its own identity.

- `team_stacks`: every stack file (`Pulumi.<stack>.yaml`) with `platform:mode` platform or
  application, by environment (the reference examples on request, never for a deploy);
- `affected`: a platform change as a contract diff (two contracts the platform exported: the
  recorded one at the pull request's base and head, or the deployed one before and after its
  `pulumi up`) → each application stack reading a changed field, with the fields;
- `deploy_matrix`: the application stacks of one platform stack to deploy after it (those the
  platform change affects, those whose declarations changed, all of them when the program
  changed), each with its deploy identity's client id from the contract.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from infra.config import StackMode
from infra.config_loader import stack_mode
from infra.preview.stackfile import ROOT, StackConfig, read_stack
from infra.services.spec import Application, Target
from infra.stacks.contract import PlatformContract, parse_contract
from infra.stacks.examples import example_names

NAMESPACE = "platform:"


@dataclass(frozen=True)
class TeamStack:
    name: str
    mode: StackMode
    environment: str
    application: str = ""
    """An application stack's application; empty for a platform stack."""
    platform_stack: str = ""
    """An application stack's `platform:platformStack` (organization/project/stack)."""


def _values(stack: StackConfig) -> dict[str, str]:
    return {k[len(NAMESPACE) :]: v for k, v in stack.values.items() if k.startswith(NAMESPACE)}


def _plain(value: str) -> str:
    """A CLI-string config value as text (strings may be JSON-quoted)."""
    try:
        loaded = json.loads(value)
    except ValueError:
        return value
    return loaded if isinstance(loaded, str) else value


def team_stacks(root: Path = ROOT, *, examples: bool = False) -> list[TeamStack]:
    """The project's platform and application stacks (stack files; the reference examples of
    `infra/stacks/examples/` too with `examples`, where no stack file of that name exists)."""
    names = {p.name.split(".")[1] for p in root.glob("Pulumi.*.yaml")}
    if examples:
        names |= set(example_names())
    return [found for name in sorted(names) if (found := team_stack(name, root)) is not None]


def team_stack(name: str, root: Path = ROOT) -> TeamStack | None:
    """The stack `name` (stack file, or reference example) as a team stack; None for a single
    stack."""
    values = _values(read_stack(name, root))
    mode = stack_mode(values)
    if mode is StackMode.SINGLE:
        return None
    return TeamStack(
        name,
        mode,
        _plain(values.get("environment", "")),
        _plain(values.get("application", "")),
        _plain(values.get("platformStack", "")),
    )


def _stack_name(full: str) -> str:
    return full.rsplit("/", 1)[-1]


def application_stacks(stacks: Iterable[TeamStack], platform: str) -> dict[str, str]:
    """application → its stack, for the application stacks on the platform stack `platform`."""
    return {
        s.application: s.name
        for s in stacks
        if s.mode is StackMode.APPLICATION and _stack_name(s.platform_stack) == platform
    }


def platform_of(stack: TeamStack) -> str:
    """The platform stack an application stack deploys on (its `platform:platformStack`'s stack
    name); a platform stack's own name."""
    return stack.name if stack.mode is StackMode.PLATFORM else _stack_name(stack.platform_stack)


@dataclass(frozen=True)
class StackSet:
    """An environment's team stacks, as the offline tools plan them together (`--set ENV`):
    its platform stacks first, then their application stacks."""

    environment: str
    stacks: tuple[str, ...]
    skipped: tuple[tuple[str, str], ...] = ()
    """(stack, why) of reference stacks left out: their application is not declared here."""


def stack_set(
    environment: str, declared: Iterable[str], root: Path = ROOT, *, examples: bool = True
) -> StackSet:
    """The team stacks of `environment` (stack files, and the reference examples where no stack
    file of that name exists). A reference application stack whose application is not among
    `declared` (the `apps/` module the run loads, `PLATFORM_APPS`) is left out and said why:
    the examples cover the `tests/team_apps` applications. A stack file never is: its plan
    reports the missing application."""
    found = [s for s in team_stacks(root, examples=examples) if s.environment == environment]
    names = set(declared)
    files = {p.name.split(".")[1] for p in root.glob("Pulumi.*.yaml")}
    platforms = [s.name for s in found if s.mode is StackMode.PLATFORM]
    apps: list[str] = []
    skipped: list[tuple[str, str]] = []
    for s in found:
        if s.mode is not StackMode.APPLICATION:
            continue
        if s.application not in names and s.name not in files:
            skipped.append((s.name, f"application {s.application} is not declared (PLATFORM_APPS)"))
        else:
            apps.append(s.name)
    return StackSet(environment, (*platforms, *apps), tuple(skipped))


# --- What a platform change affects -------------------------------------------------------


def changed_paths(before: Any, after: Any, path: str = "") -> list[str]:
    """The JSON paths whose values differ (lists of named entries compared by name)."""
    if isinstance(before, Mapping) and isinstance(after, Mapping):
        keys = sorted(set(before) | set(after))
        return [
            p
            for k in keys
            for p in changed_paths(before.get(k), after.get(k), f"{path}.{k}" if path else k)
        ]
    if isinstance(before, list) and isinstance(after, list):
        named = [e for e in (*before, *after) if isinstance(e, Mapping) and "name" in e]
        if named and len(named) == len(before) + len(after):
            old = {_entry_key(e): e for e in before}
            new = {_entry_key(e): e for e in after}
            return [
                p
                for k in sorted(set(old) | set(new))
                for p in changed_paths(old.get(k), new.get(k), f"{path}[{k}]")
            ]
    return [] if before == after else [path]


def _entry_key(entry: Mapping[str, Any]) -> str:
    """A list entry's identity: its name (and application, for published services)."""
    app = entry.get("application")
    return f"{app}/{entry['name']}" if isinstance(app, str) else str(entry["name"])


_BY_TARGET = {"cluster": Target.AKS, "containerApps": Target.CONTAINER_APPS}
"""Top-level fields only the applications with a workload on that target read."""


def _targets(application: Application | None) -> set[Target]:
    if application is None:
        return set(Target)
    workloads = (*application.services, *application.jobs)
    return {w.target for w in workloads if isinstance(getattr(w, "target", None), Target)}


def _readers(
    path: str,
    contracts: Sequence[PlatformContract],
    declared: Mapping[str, Application],
    onboarded: Sequence[str],
) -> set[str]:
    """The applications whose stacks read the contract's field `path`."""
    head = path.split(".", 1)[0].split("[", 1)[0]
    entry = path[len(head) + 1 :].split("]", 1)[0] if path[len(head) :].startswith("[") else ""
    if head == "applications":
        return {entry} & set(onboarded)
    if head == "services":
        # A published service is read by its callers (their addresses).
        _, _, name = entry.partition("/")
        return {c.application for k in contracts for c in k.calls if c.service == name}
    if head == "calls":
        # A call is read by the callee's application (it admits the caller).
        readers: set[str] = set()
        for contract in contracts:
            owner = {s.name: s.application for s in contract.services}
            readers |= {owner[c.service] for c in contract.calls if c.service in owner}
        return readers
    target = _BY_TARGET.get(head)
    if target is not None:
        return {a for a in onboarded if target in _targets(declared.get(a))}
    return set(onboarded)


def affected(
    before: Mapping[str, Any],
    after: Mapping[str, Any],
    declared: Sequence[Application] = (),
) -> dict[str, list[str]]:
    """Each application whose stack reads a field the platform change moves → those fields.
    `before`/`after`: the contracts the platform exported (raw, as recorded)."""
    contracts = [parse_contract(c) for c in (before, after)]
    onboarded = sorted({a.name for c in contracts for a in c.applications})
    by_name = {a.name: a for a in declared}
    found: dict[str, list[str]] = {}
    for path in changed_paths(before, after):
        for app in sorted(_readers(path, contracts, by_name, onboarded)):
            found.setdefault(app, []).append(path)
    return found


# --- The deploy workflow's matrix ------------------------------------------------------------

PROGRAM_PATHS = ("infra/", "Pulumi.yaml", "requirements.txt", "pyproject.toml", "uv.lock")
"""A change under these is a change of every application stack's program."""


def deploy_matrix(
    contract: PlatformContract,
    stacks: Mapping[str, str],
    *,
    affected_by_platform: Iterable[str] = (),
    changed_files: Sequence[str] | None = None,
    declared: Sequence[Application] = (),
) -> list[dict[str, str]]:
    """The application stacks to deploy after the platform stack, each with its identity.
    `changed_files` None: every application stack (a manual run, a first deploy)."""
    onboarded = {a.name: a for a in contract.applications}
    chosen: set[str]
    if changed_files is None or any(f.startswith(PROGRAM_PATHS) for f in changed_files):
        chosen = set(stacks)
    else:
        sources = {a.name: a.source for a in declared if a.source}
        chosen = set(affected_by_platform) | {
            app for app, source in sources.items() if source in changed_files
        }
        chosen |= {app for app in stacks if f"Pulumi.{stacks[app]}.yaml" in changed_files}
    return [
        {
            "stack": stacks[app],
            "application": app,
            "environment": contract.environment,
            "clientId": onboarded[app].deploy_identity_client_id,
        }
        for app in sorted(chosen & set(stacks))
        if app in onboarded
    ]


def preview_matrix(
    previewed: Sequence[str],
    stacks: Sequence[TeamStack],
    contracts: Mapping[str, PlatformContract],
    preview_identities: Mapping[str, Mapping[str, str]] | None = None,
) -> dict[str, Any]:
    """What `pulumi-preview.yml` previews and as whom: `stacks`, the stacks of `previewed` (the
    stack files CI previews) that are not application stacks, as the platform's identity;
    `applications`, a matrix of the application stacks, each as its own read-only preview
    identity (`preview_identities`: by platform stack, the `previewIdentityClientIds` output of the
    deployed platform, application → client id), never as its deploy identity; `waiting`,
    application stacks whose platform stack has no deployed contract yet (nothing to preview
    against) or lists no preview identity for them (not deployed since it onboarded them)."""
    applications = {s.name for s in stacks if s.mode is StackMode.APPLICATION}
    identities = preview_identities or {}
    include: list[dict[str, str]] = []
    for platform, contract in sorted(contracts.items()):
        mine = {a: n for a, n in application_stacks(stacks, platform).items() if n in previewed}
        previews = identities.get(platform, {})
        include += [
            {**row, "clientId": previews[row["application"]]}
            for row in deploy_matrix(contract, mine)
            if previews.get(row["application"])
        ]
    ready = {row["stack"] for row in include}
    return {
        "stacks": [s for s in previewed if s not in applications],
        "applications": {"include": include},
        "waiting": sorted(s for s in previewed if s in applications and s not in ready),
    }
