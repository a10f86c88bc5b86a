"""Migrate a single stack to a platform stack and one application stack per application,
replacing nothing (docs/team-stacks.md, "Migration from one stack"): `python -m infra.stacks
migrate --from dev` (also `python3 dev.py team-stacks migrate ...`) moves every application the
single stack deploys in one run; `--application APP` (repeatable) picks some of them, which is
refused when another application's resources would be deleted.

From the offline plans it derives, and checks:

- the single stack's `platform:mode: platform` with every migrated application's onboarding, its
  Container Apps, jobs and identities **adopted**: they stay in the platform's resource group, where
  the single stack created them (a resource group is part of an Azure resource's id, so
  pulumi-azure-native replaces a resource whose `resourceGroupName` changes:
  `infra.preview.replacement`). No Azure resource is moved;
- each application stack's config, planned against the contract of that platform stack (which
  onboards all of them, so one application's calls to another's services resolve from its
  registry, and each callee admits its callers as in the single stack);
- per application, the `pulumi state move` of its resources (every child listed: the URNs the
  engine gives them, which the offline plan's mock URNs are translated to) into its stack;
- that after these steps every resource of the single stack is in exactly one stack (the
  platform or one application's), and that no stack's next preview replaces or deletes anything
  (`infra.preview.diff`, the same replacement rules as `python -m infra.preview diff`): the
  platform's plan against the single stack's without the moved resources, each application's
  against its moved resources as `pulumi state move` writes them into its state (URNs renamed to
  the application stack, the single stack's Kubernetes provider copied, which the application's
  provider aliases).
"""

from __future__ import annotations

import dataclasses
import json
import os
import tempfile
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from infra.constants import ADOPTABLE_TYPES
from infra.preview.changes import Operation
from infra.preview.diff import PlanDiff, diff
from infra.preview.engine import run_offline
from infra.preview.snapshot import to_snapshot
from infra.preview.stackfile import StackConfig, full_name, read_stack
from infra.stacks.contract import CONTRACT_OUTPUT
from infra.stacks.recorded import RECORDED_ENV, write_recorded

ROOT_STACK = "pulumi:pulumi:Stack"
PROVIDERS = "pulumi:providers:"
_NEW_IN_APPLICATION = ("platform:stacks:",)
"""Registered by the application stack only: the contract stand-in and its provider."""
PLATFORM = "platform"
"""Where a resource lands: the platform stack (else an application's name)."""


def engine_urn(resource: Mapping[str, Any], by_urn: Mapping[str, Mapping[str, Any]]) -> str:
    """The URN the Pulumi engine gives a resource of an offline plan.

    The engine qualifies a type with its parent's whole qualified type, and never with the root
    stack's (pulumi/pulumi sdk/go/common/resource/urn.go, `NewURN`); the SDK's mock monitor,
    which the offline plan records, qualifies it with the parent's last type only, root stack
    included (pulumi sdk/python/lib/pulumi/runtime/mocks.py, `make_urn`). `pulumi state move`
    matches URNs exactly, so the command gets the engine's."""
    head, _, rest = str(resource["urn"]).partition("::")
    project = rest.split("::", 1)[0]
    return f"{head}::{project}::{_chain(resource, by_urn)}::{resource['name']}"


def _chain(resource: Mapping[str, Any], by_urn: Mapping[str, Mapping[str, Any]]) -> str:
    parent = by_urn.get(str(resource.get("parent") or ""))
    own = str(resource["type"])
    if parent is None or parent["type"] == ROOT_STACK:
        return own
    return f"{_chain(parent, by_urn)}${own}"


def _tail(urn: str) -> str:
    """`urn:pulumi:<stack>::<project>::<type>::<name>` → `<type>::<name>`."""
    return urn.split("::", 2)[2]


def engine_urns(snapshot: Mapping[str, Any]) -> dict[str, dict[str, Any]]:
    """The plan's resources (the root stack left out) by the engine's URN tail."""
    by_urn = {str(r["urn"]): r for r in snapshot["resources"]}
    return {
        _tail(engine_urn(r, by_urn)): r
        for r in snapshot["resources"]
        if r["type"] != ROOT_STACK or r.get("parent")
    }


@dataclass(frozen=True)
class ApplicationStack:
    """One application's stack as the migration plans it (the input of `check`)."""

    application: str
    stack: str
    """Its stack's name (`storefront-dev`)."""
    config: dict[str, str]
    """Its `Pulumi.<stack>.yaml` config."""
    onboarding: dict[str, Any]
    """Its `platform:applications` entry in the platform stack (the former single stack)."""
    plan: dict[str, Any]
    """Its offline plan against the platform stack's contract."""


@dataclass(frozen=True)
class MovedApplication:
    """One migrated application: where it goes, what moves, what its next preview does."""

    application: str
    dest: str
    """Its application stack, `organization/project/stack`."""
    config: dict[str, str]
    onboarding: dict[str, Any]
    moved: tuple[str, ...]
    """The engine URNs (in the single stack) `pulumi state move` moves, every child listed."""
    diff: PlanDiff
    """Its next preview: its plan against the state `pulumi state move` writes."""
    plan: dict[str, Any]
    returned: tuple[str, ...] = ()
    """The engine URNs (in its stack) moved back to the platform stack after the move: children
    of its resources the platform stack registers at its root (its Container Apps hosts'
    records, which the platform writes in its zone)."""
    superseded: tuple[str, ...] = ()
    """The engine URNs (in its stack) of its environment certificates, which the move takes
    along with their Container Apps and the platform stack replaces with its own, one per host
    (`infra/stacks/platform.py` `_host_certificates`): forgotten in its state after the move
    (its identity may not delete them), deleted by the platform team once it has deployed."""

    @property
    def stack(self) -> str:
        return self.dest.rsplit("/", 1)[1]

    @property
    def adopted(self) -> tuple[str, ...]:
        """The Azure ids of its Container Apps, jobs and identities, kept in the platform's
        group."""
        return tuple(self.onboarding.get("adopted", ()))


@dataclass(frozen=True)
class Migration:
    source: str
    """The single stack, `organization/project/stack`: the platform stack once migrated."""
    applications: tuple[MovedApplication, ...]
    """The migrated applications, each into its own stack."""
    kept: int
    """The single stack's resources the platform stack keeps."""
    platform_diff: PlanDiff
    problems: tuple[str, ...]
    """Everything that makes the migration replace, delete or duplicate a resource."""
    ids_from_state: bool
    in_several: tuple[str, ...] = ()
    """The single stack's resources more than one stack registers (URN tails)."""
    in_neither: tuple[str, ...] = ()
    """The single stack's resources no stack registers (URN tails)."""
    replaced: tuple[str, ...] = ()
    not_migrated: Mapping[str, tuple[str, ...]] = dataclasses.field(default_factory=dict)
    """Applications the single stack deploys that are not migrated: the URN tails of theirs
    that the migration would delete."""
    single_plan: dict[str, Any] = dataclasses.field(default_factory=dict)
    platform_plan: dict[str, Any] = dataclasses.field(default_factory=dict)
    """The former single stack's offline plan as the platform stack."""

    def application(self, name: str) -> MovedApplication:
        return next(a for a in self.applications if a.application == name)

    @property
    def onboarding(self) -> list[dict[str, Any]]:
        """The platform stack's `platform:applications`."""
        return [a.onboarding for a in self.applications]

    def lines(self) -> list[str]:
        source_stack = self.source.rsplit("/", 1)[1]
        names = ", ".join(a.application for a in self.applications)
        out = [
            f"Migrating the single stack {self.source} to team stacks: "
            + "; ".join(f"{a.application} to {a.dest}" for a in self.applications)
            + f"; {source_stack} becomes their platform stack",
            "",
            f"Pause deploy.yml for {source_stack} until step 4 is done, and do steps 1 to 4 in "
            f"one go: a single-stack `pulumi up` of {source_stack} after step 3 would create the "
            "moved resources again, a platform-stack `pulumi up` before it would delete them.",
            "",
            f"1. Make {source_stack} the platform stack: add to Pulumi.{source_stack}.yaml (do "
            "not deploy it before step 4)",
            "",
            *_indented(
                yaml.safe_dump(
                    {"platform:mode": "platform", "platform:applications": self.onboarding},
                    sort_keys=False,
                )
            ),
            "",
            "2. Create the application stacks (in this project's directory):",
        ]
        for app in self.applications:
            out += [
                "",
                f"   {app.application}: save Pulumi.{app.stack}.yaml as",
                "",
                *_indented(yaml.safe_dump({"config": app.config}, sort_keys=False), "     "),
                f"     and run `pulumi stack init {app.dest}`.",
            ]
        out += [
            "",
            "3. Move each application's resources into its stack (nothing in Azure changes):",
        ]
        for app in self.applications:
            out += ["", f"   {app.application} ({len(app.moved)} resources):", ""]
            if not app.moved:
                out.append("     nothing to move")
                continue
            out += _state_move(self.source, app.dest, app.moved)
            if app.returned:
                out += [
                    "",
                    f"   then move back what {source_stack} keeps at its root, children of "
                    f"{app.application}'s resources (its Container Apps hosts' records, which "
                    "the platform writes in its zone):",
                    "",
                    *_state_move(app.dest, self.source, app.returned),
                ]
            if app.superseded:
                out += [
                    "",
                    "   then forget its environment certificates, which the platform replaces "
                    "with its own (one per host; its Container Apps bind those on its first "
                    "deploy, and its identity may not delete certificates):",
                    "",
                    *(
                        f"     pulumi state delete --stack {app.dest} --yes '{urn}'"
                        for urn in app.superseded
                    ),
                ]
        out += [
            "",
            "4. Preview and deploy, the platform first:",
            "",
            f"   {source_stack}: `pulumi preview --stack {source_stack}` (it creates only the "
            f"onboarding of {names}: nothing replaced, nothing deleted), then `pulumi up`;",
            "   then each application stack as its own identity, in any order or in parallel "
            "(`pulumi preview` creates the contract stand-in only, then `pulumi up`): "
            + ", ".join(a.stack for a in self.applications)
            + "; from now on deploy-team-stacks.yml deploys them.",
            *(
                [
                    "   Once they have deployed, delete the environment certificates forgotten in "
                    "step 3 (no custom domain binds them any more; Container Apps refuses to "
                    "delete a certificate a custom domain still uses): "
                    "`az containerapp env certificate delete --resource-group <platform group> "
                    "--name <environment> --certificate <name>`."
                ]
                if any(a.superseded for a in self.applications)
                else []
            ),
            "",
            "Azure resource moves: none. Their Container Apps, jobs and identities stay in the "
            "platform's resource group (adopted: "
            + ", ".join(f"{a.application} {len(a.adopted)}" for a in self.applications)
            + "): each application's identity gets a role on each of its own, not on the "
            "group; the ones it adds later go to its own group (contract 1.3.0).",
        ]
        if not self.ids_from_state:
            out.append(
                "  The ids above are the offline plan's; Pulumi names the identities with a "
                f"random suffix: run again with --state <(pulumi stack export --stack "
                f"{self.source}) for the deployed ids."
            )
        out += ["", "Checked on the offline plans:"]
        out.append(
            f"  every resource of {source_stack} lands in exactly one stack: {self.kept} in "
            f"{source_stack} (platform), "
            + ", ".join(
                f"{len(a.moved) - len(a.returned)} in {a.stack}"
                + (f" ({len(a.returned)} moved back)" if a.returned else "")
                + (f" ({len(a.superseded)} forgotten: step 3)" if a.superseded else "")
                for a in self.applications
            )
        )
        for label, result in (
            (f"{source_stack} (platform)", self.platform_diff),
            *((a.stack, a.diff) for a in self.applications),
        ):
            counts = {k: v for k, v in result.counts().items() if v}
            summary = ", ".join(f"{v} {k}" for k, v in sorted(counts.items())) or "no change"
            out.append(f"  {label}'s next preview: {summary}")
        if self.problems:
            out += ["", f"{len(self.problems)} problem(s): the migration would break something"]
            out += [f"  {p}" for p in self.problems]
        else:
            out.append("  no resource is replaced or deleted")
        return out


def _state_move(source: str, dest: str, urns: Sequence[str]) -> list[str]:
    return [
        f"   pulumi state move --source {source} --dest {dest} --yes \\",
        *(f"     '{urn}' \\" for urn in urns[:-1]),
        f"     '{urns[-1]}'",
    ]


def _indented(text: str, indent: str = "   ") -> list[str]:
    return [f"{indent}{line}" for line in text.rstrip("\n").splitlines()]


@contextmanager
def _recorded(stack: str, contract: object) -> Iterator[None]:
    """The platform's contract as its application stacks' offline plans read it."""
    before = os.environ.get(RECORDED_ENV)
    with tempfile.TemporaryDirectory() as folder:
        write_recorded(stack, {CONTRACT_OUTPUT: contract}, folder=Path(folder))
        os.environ[RECORDED_ENV] = folder
        try:
            yield
        finally:
            if before is None:
                os.environ.pop(RECORDED_ENV, None)
            else:
                os.environ[RECORDED_ENV] = before


def _full(stack: str, organization: str | None) -> str:
    """`organization/project/stack` (the reference stacks' organization unless given)."""
    name = full_name(stack)
    return name if organization is None else f"{organization}/{name.split('/', 1)[1]}"


def _plans(
    single: StackConfig,
    dests: Mapping[str, str],
    onboarding: Sequence[dict[str, Any]],
    organization: str | None,
) -> tuple[dict[str, Any], list[ApplicationStack]]:
    """The platform stack's plan onboarding every application of `onboarding`, and the stack of
    each application of `dests` (application → its stack) planned against its contract."""
    from infra.program import build

    values = {
        **single.values,
        "platform:mode": "platform",
        "platform:applications": json.dumps(list(onboarding)),
    }
    platform = to_snapshot(run_offline(dataclasses.replace(single, values=values), build))
    entries = {str(entry["name"]): entry for entry in onboarding}
    stacks: list[ApplicationStack] = []
    with _recorded(_full(single.stack, organization), platform["outputs"][CONTRACT_OUTPUT]):
        for application, dest in dests.items():
            config = {
                "platform:mode": "application",
                "platform:environment": single.values.get("platform:environment", single.stack),
                "platform:application": application,
                "platform:platformStack": _full(single.stack, organization),
            }
            plan = to_snapshot(run_offline(StackConfig(dest, single.project, config, ()), build))
            stacks.append(ApplicationStack(application, dest, config, entries[application], plan))
    return platform, stacks


def _deployed(result: object) -> list[str]:
    """The applications whose services, jobs or charts the single stack deploys."""
    from infra.program_result import program_result

    found = program_result(result)
    if found is None:
        return []
    catalog = found.catalog
    return sorted({p.app for p in (*catalog.services, *catalog.jobs, *catalog.charts)})


def _hosts(result: object, application: str) -> list[str]:
    """The hosts its services bind in the single stack (its validated catalog)."""
    from infra.program_result import program_result

    found = program_result(result)
    services = found.catalog.services if found is not None else ()
    return sorted(
        {s.spec.ingress.host for s in services if s.app == application and s.spec.ingress.host}
    )


def _grant_scopes(moved: Sequence[Mapping[str, Any]], platform_group: str) -> list[str]:
    """The resource groups outside the platform's where its services get roles (`grantScopes`;
    its vault secrets the platform grants by name)."""
    scopes: set[str] = set()
    for resource in moved:
        if resource["type"] != "azure-native:authorization:RoleAssignment":
            continue
        parts = str(resource["inputs"].get("scope", "")).split("/")
        if len(parts) > 4 and parts[4].lower() != platform_group.lower():
            scopes.add("/".join(parts[:5]))
    return sorted(scopes)


def _state_ids(path: str | None) -> dict[str, str]:
    """Engine URN tail → id, from `pulumi stack export` (the deployed resources' ids)."""
    if not path:
        return {}
    document = json.loads(Path(path).read_text())
    deployment = document.get("deployment", document)
    return {
        _tail(str(r["urn"])): str(r["id"]) for r in deployment.get("resources") or [] if r.get("id")
    }


def _resource_id(resource: Mapping[str, Any]) -> str:
    computed = resource.get("computed") or ()
    return str(computed[0]["value"]) if computed else ""


def _per_application(
    flag: str, values: Sequence[str], migrated: Sequence[str], declared: Sequence[str]
) -> tuple[dict[str, str], list[str]]:
    """`--flag APP=VALUE` (repeatable), or one bare `--flag VALUE` when one application moves."""
    found: dict[str, str] = {}
    errors: list[str] = []
    for value in values:
        name, equals, rest = value.partition("=")
        if equals and name not in declared:
            errors.append(
                f"{flag} {value}: no application {name} is declared (declared: "
                f"{', '.join(declared)}) → {flag} <application>=<value>"
            )
            continue
        if not equals and len(migrated) == 1:
            name, rest = migrated[0], value
        elif not equals:
            errors.append(
                f"{flag} {value}: {len(migrated)} applications are migrated "
                f"({', '.join(migrated)}) → name the application: {flag} <application>={value}"
            )
            continue
        if name not in migrated:
            errors.append(
                f"{flag} {value}: {name} is not migrated (migrated: {', '.join(migrated)}) "
                f"→ drop it, or add --application {name}"
            )
        elif name in found:
            errors.append(f"{flag} {value}: {name}'s is given twice → give it once")
        else:
            found[name] = rest
    return found, errors


def _flag_problems(
    source: str,
    migrated: Sequence[str],
    declared: Sequence[str],
    to: Sequence[str],
    ci_subject: Sequence[str],
) -> list[str]:
    """Every problem of `--to` and `--ci-subject` for these applications, at once."""
    dests, problems = _per_application("--to", to, migrated, declared)
    problems += _per_application("--ci-subject", ci_subject, migrated, declared)[1]
    stacks = [dests.get(a, f"{a}-{source}") for a in migrated]
    problems += [
        f"--to {stack}: {'is the single stack' if stack == source else 'named twice'} → give "
        "each application a stack of its own"
        for stack in sorted(set(stacks))
        if stack == source or stacks.count(stack) > 1
    ]
    return problems


def plan_migration(
    source: str,
    applications: Sequence[str] = (),
    *,
    to: Sequence[str] = (),
    ci_subject: Sequence[str] = (),
    state: str | None = None,
    organization: str | None = None,
) -> Migration:
    """Everything `migrate` prints, from the offline plans of `source` (a single stack's file).

    `applications`: the applications to migrate (default: every one the single stack deploys);
    `to` and `ci_subject`: `APP=VALUE` each (or one bare value when one application moves),
    its stack (default `<application>-<source>`) and its deploy workflow's OIDC subject (default
    `repo:<owner>/<repo>:environment:<application>-<environment>`, deploy-team-stacks.yml's)."""
    from infra.program import build
    from infra.services.loader import load_applications

    declared = list(dict.fromkeys(a.name for a in load_applications()))
    single_config = read_stack(source)
    if single_config.values.get("platform:mode", "single") != "single":
        raise LookupError(
            f"--from {source}: is a {single_config.values['platform:mode']} stack, not a single "
            "stack → name the single stack the applications are deployed in today"
        )
    problems = [refused(a, declared) for a in applications if a not in declared]
    if applications:  # the flags are checked before anything is planned
        picked = [a for a in declared if a in applications]
        problems += _flag_problems(source, picked, declared, to, ci_subject)
    if problems:
        raise LookupError("\n".join(problems))
    single_run = run_offline(single_config, build)
    single = to_snapshot(single_run)
    deployed = _deployed(single_run.result)
    migrated = [a for a in declared if a in (applications or deployed)]
    if not migrated:
        raise LookupError(
            f"--from {source}: deploys no application (declared: {', '.join(declared) or 'none'})"
            " → nothing to migrate"
        )
    problems = _flag_problems(source, migrated, declared, to, ci_subject)
    if problems:
        raise LookupError("\n".join(problems))
    # Every application the stack deploys is onboarded, migrated or not: the migrated ones'
    # calls to the others resolve, and what the others would lose is named (not_migrated).
    onboarded = [a for a in declared if a in migrated or a in deployed]
    dests, _ = _per_application("--to", to, migrated, declared)
    subjects, _ = _per_application("--ci-subject", ci_subject, migrated, declared)
    stacks = {a: dests.get(a, f"{a}-{source}") for a in onboarded}
    environment = single_config.values.get("platform:environment", source)
    platform_group = _platform_group(single)
    onboarding = [
        {
            "name": a,
            "hosts": _hosts(single_run.result, a),
            "ciSubject": subjects.get(a, f"repo:<owner>/<repo>:environment:{a}-{environment}"),
        }
        for a in onboarded
    ]
    # First without adoption: which of the single stack's resources each application's own
    # program registers (its resources), by URN.
    _, first = _plans(single_config, stacks, onboarding, organization)
    singles = engine_urns(single)
    ids = _state_ids(state)
    for entry, planned in zip(onboarding, first, strict=True):
        mine = {t: singles[t] for t in engine_urns(planned.plan) if t in singles}
        scopes = _grant_scopes(list(mine.values()), platform_group)
        if scopes:
            entry["grantScopes"] = scopes
        adopted = sorted(
            ids.get(tail, _resource_id(r))
            for tail, r in mine.items()
            if r["type"] in ADOPTABLE_TYPES
            and str(r["inputs"].get("resourceGroupName", "")).lower() == platform_group.lower()
        )
        if adopted:
            entry["adopted"] = adopted
    platform, planned = _plans(single_config, stacks, onboarding, organization)
    return check(
        single,
        platform,
        [p for p in planned if p.application in migrated],
        source,
        ids_from_state=bool(ids),
        not_migrated=[p for p in planned if p.application not in migrated],
        organization=organization,
    )


def _platform_group(single: Mapping[str, Any]) -> str:
    groups = [
        str(r["inputs"]["resourceGroupName"])
        for r in single["resources"]
        if r["type"] == "azure-native:resources:ResourceGroup"
    ]
    return groups[0] if groups else ""


def check(
    single: dict[str, Any],
    platform: dict[str, Any],
    stacks: Sequence[ApplicationStack],
    source: str,
    *,
    ids_from_state: bool,
    not_migrated: Sequence[ApplicationStack] = (),
    organization: str | None = None,
) -> Migration:
    """Account for every resource of `single` (the single stack `source`'s plan) across the
    platform stack's plan and the migrated applications' `stacks`, and diff each stack's next
    preview; `not_migrated`: the stacks of applications it deploys that stay behind, planned
    only to name what of theirs the migration would delete."""
    singles, platforms = engine_urns(single), engine_urns(platform)
    mine = {s.application: engine_urns(s.plan) for s in stacks}
    left = {t: s.application for s in not_migrated for t in engine_urns(s.plan) if t in singles}
    moved: dict[str, list[str]] = {s.application: [] for s in stacks}
    several: list[str] = []
    lost: list[str] = []
    kept = 0
    for tail in sorted(singles):
        where = [PLATFORM] * (tail in platforms) + [a for a, urns in mine.items() if tail in urns]
        if len(where) > 1:
            several.append(f"{tail}: in {len(where)} stacks ({', '.join(where)})")
        elif not where:
            lost.append(tail)
        elif where == [PLATFORM]:
            kept += 1
        else:
            moved[where[0]].append(tail)
    # `pulumi state move` takes a moved resource's children with it: one its application does
    # not register but the platform registers at its root (a Container Apps host's records) is
    # moved back, and lands there (state_move.go reparents it to the root stack).
    carried = _carried(singles, moved)
    returned: dict[str, list[str]] = {s.application: [] for s in stacks}
    at_root: dict[str, str] = {}
    for tail in list(lost):
        chain, _, name = tail.partition("::")
        root = f"{chain.rsplit('$', 1)[-1]}::{name}"
        if tail in carried and "$" in chain and root in platforms:
            returned[carried[tail]].append(tail)
            at_root[tail] = root
            lost.remove(tail)
    several += [
        f"{t}: registered by the platform stack, but `pulumi state move` takes it into "
        f"{carried[t]}'s stack with its parent"
        for t in sorted(singles)
        if t in carried and t in platforms
    ]
    kept += len(at_root)
    superseded = _superseded(singles, platforms, carried, lost)
    lost = [t for t in lost if t not in superseded]
    created = [
        f"{t}: new in {s.stack} (created, not moved)"
        for s in stacks
        for t in sorted(set(mine[s.application]) - set(singles))
        if not t.split("::", 1)[0].startswith(_NEW_IN_APPLICATION)
    ]
    # The platform's next preview: the single stack's state without the moved resources, the
    # returned ones at its root.
    gone = {id(singles[t]) for moving in (*moved.values(), superseded) for t in moving}
    tails = {id(r): t for t, r in singles.items()}
    remaining = {
        **single,
        "resources": [
            _at(r, platforms[at_root[t]]) if (t := tails.get(id(r), "")) in at_root else r
            for r in single["resources"]
            if id(r) not in gone
        ],
    }
    platform_diff = diff(remaining, platform)
    # Each application's: what `pulumi state move` writes into its state.
    diffs = {
        s.application: diff(
            _moved_state(
                single,
                [t for t in moved[s.application] if t not in superseded],
                singles,
                source,
                s.stack,
            ),
            s.plan,
        )
        for s in stacks
    }
    by_urn = {str(r["urn"]): r for r in single["resources"]}
    heads = {
        str(r["urn"]): r
        for plan in (platform, *(s.plan for s in stacks))
        for r in plan["resources"]
    }

    def label(urn: str, stack: str) -> str:
        """A diff's URN as the engine's tail."""
        found = by_urn.get(urn) or by_urn.get(urn.replace(f":{stack}::", f":{source}::", 1))
        if found is not None:
            return _tail(engine_urn(found, by_urn))
        return _tail(engine_urn(heads[urn], heads)) if urn in heads else _tail(urn)

    results = [(source, platform_diff), *((s.stack, diffs[s.application]) for s in stacks)]
    replaced = [
        f"{label(c.urn, stack)} ({', '.join(p.path for p in c.changes if p.forces_replacement)})"
        for stack, result in results
        for c in result.changes
        if c.operation is Operation.REPLACE
    ]
    deleted = [
        label(c.urn, stack)
        for stack, result in results
        for c in result.changes
        if c.operation is Operation.DELETE
    ]
    behind = {
        s.application: tuple(t for t in lost if left.get(t) == s.application) for s in not_migrated
    }
    behind = {a: tails for a, tails in behind.items() if tails}
    chosen = " ".join(f"--application {s.application}" for s in stacks)
    problems = [
        *(
            f"{a}: {source} deploys it and it is not migrated ({chosen}), so its {len(tails)} "
            "resources would be deleted (a platform stack deploys no application's services) → "
            f"migrate it too: add --application {a}, or omit --application to migrate every "
            f"application {source} deploys"
            for a, tails in behind.items()
        ),
        *several,
        *(
            f"{t}: {left[t]}'s, not migrated: in neither stack, so the migration deletes it"
            if t in left
            else f"{t}: in neither stack, so the migration deletes it (a platform stack deploys "
            "no application's services: migrate every application of the stack, each into its "
            "own application stack, as it becomes the platform stack)"
            for t in lost
        ),
        *(f"{t}: replaced" for t in replaced),
        *(f"{t}: deleted" for t in deleted if t not in lost),
        *created,
    ]
    return Migration(
        source=_full(source, organization),
        applications=tuple(
            MovedApplication(
                application=s.application,
                dest=_full(s.stack, organization),
                config=s.config,
                onboarding=s.onboarding,
                moved=tuple(
                    engine_urn(singles[t], by_urn)
                    for t in sorted([*moved[s.application], *returned[s.application]])
                ),
                returned=tuple(
                    engine_urn(singles[t], by_urn).replace(
                        f"urn:pulumi:{source}::", f"urn:pulumi:{s.stack}::", 1
                    )
                    for t in returned[s.application]
                ),
                superseded=tuple(
                    engine_urn(singles[t], by_urn).replace(
                        f"urn:pulumi:{source}::", f"urn:pulumi:{s.stack}::", 1
                    )
                    for t in sorted(superseded)
                    if superseded[t] == s.application
                ),
                diff=diffs[s.application],
                plan=s.plan,
            )
            for s in stacks
        ),
        kept=kept,
        platform_diff=platform_diff,
        problems=tuple(problems),
        ids_from_state=ids_from_state,
        in_several=tuple(several),
        in_neither=tuple(lost),
        replaced=tuple(replaced),
        not_migrated=behind,
        single_plan=single,
        platform_plan=platform,
    )


def _superseded(
    singles: Mapping[str, Mapping[str, Any]],
    platforms: Mapping[str, Mapping[str, Any]],
    carried: Mapping[str, str],
    lost: Sequence[str],
) -> dict[str, str]:
    """A single stack's environment certificate (a child of its Container App's component, so
    `pulumi state move` takes it into the application's stack) that the platform stack replaces
    with its own for the same Key Vault certificate: URN tail → application. Not a deletion the
    migration causes by mistake: the application's Container App binds the platform's
    certificate instead (docs/team-stacks.md, "Custom domains")."""

    def source_of(resource: Mapping[str, Any]) -> str:
        properties = resource["inputs"].get("properties") or {}
        return str((properties.get("certificateKeyVaultProperties") or {}).get("keyVaultUrl", ""))

    platform_sources = {
        source_of(r) for r in platforms.values() if r["type"] == "azure-native:app:Certificate"
    }
    return {
        tail: carried[tail]
        for tail in lost
        if tail in carried
        and singles[tail]["type"] == "azure-native:app:Certificate"
        and source_of(singles[tail]) in platform_sources
    }


def _carried(
    singles: Mapping[str, Mapping[str, Any]], moved: Mapping[str, Sequence[str]]
) -> dict[str, str]:
    """Each resource `pulumi state move` takes along with a moved ancestor (URN tail →
    application), not itself moved: the children of every moved resource, recursively
    (pulumi/pulumi pkg/cmd/pulumi/state/state_move.go, "include all children")."""
    owner = {str(singles[t]["urn"]): a for a, tails in moved.items() for t in tails}
    by_urn = {str(r["urn"]): (t, r) for t, r in singles.items()}
    found: dict[str, str] = {}
    for tail, resource in singles.items():
        parent = str(resource.get("parent") or "")
        while parent in by_urn and parent not in owner:
            parent = str(by_urn[parent][1].get("parent") or "")
        if parent in owner and str(resource["urn"]) not in owner:
            found[tail] = owner[parent]
    return found


def _at(resource: Mapping[str, Any], root: Mapping[str, Any]) -> dict[str, Any]:
    """A resource moved back from an application's stack: at the platform's root, as `pulumi
    state move` reparents it (`root`: the platform plan's resource of that URN)."""
    return {**resource, "urn": root["urn"], "parent": root.get("parent")}


def _moved_state(
    single: Mapping[str, Any],
    moved_tails: Sequence[str],
    singles: Mapping[str, Mapping[str, Any]],
    source: str,
    dest: str,
) -> dict[str, Any]:
    """An application stack's state after `pulumi state move`: the moved resources and the
    providers they use (copied), their URNs' stack renamed (pulumi/pulumi
    pkg/cmd/pulumi/state/state_move.go), in the offline plan's URN scheme."""
    moved = [singles[t] for t in moved_tails]
    providers = {str(r.get("provider") or "") for r in moved} - {""}
    copied = [r for r in single["resources"] if str(r["urn"]) in providers]
    text = json.dumps([*moved, *copied])
    text = text.replace(f"urn:pulumi:{source}::", f"urn:pulumi:{dest}::")
    return {"stack": dest, "resources": json.loads(text)}


def refused(application: str, known: Sequence[str]) -> str:
    return (
        f"--application {application}: no application of that name is declared in this "
        f"project's applications (declared: {', '.join(known) or 'none'}) → name one of them"
    )
