"""Migrate one application of a single stack to its own application stack, replacing nothing
(docs/team-stacks.md, "Migration from one stack"): `python -m infra.stacks migrate --from dev
--application storefront` (also `python3 dev.py team-stacks migrate ...`).

From the offline plans it derives, and checks:

- the application stack's config, and the single stack's `platform:mode: platform` with the
  application's onboarding, its Container Apps and identities **adopted**: they stay in the
  platform's resource group, where the single stack created them (a resource group is part of an
  Azure resource's id, so pulumi-azure-native replaces a resource whose `resourceGroupName`
  changes: `infra.preview.replacement`). No Azure resource is moved;
- the `pulumi state move` of the application's resources (every child listed: the URNs the
  engine gives them, which the offline plan's mock URNs are translated to) into the application
  stack;
- that after these steps every resource of the single stack is in exactly one of the two stacks,
  and that neither stack's next preview replaces or deletes anything (`infra.preview.diff`, the
  same replacement rules as `python -m infra.preview diff`): the platform's plan against the
  single stack's without the moved resources, the application's against the moved resources as
  `pulumi state move` writes them into its state (URNs renamed to the application stack, the
  single stack's Kubernetes provider copied, which the application's provider aliases).
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
class Migration:
    source: str
    """The single stack, `organization/project/stack`."""
    dest: str
    """The application stack."""
    application: str
    moved: tuple[str, ...]
    """The engine URNs (in the single stack) `pulumi state move` moves, every child listed."""
    adopted: tuple[str, ...]
    """The Azure ids of its Container Apps and identities, kept in the platform's group."""
    onboarding: dict[str, Any]
    """Its `platform:applications` entry in the platform stack (the former single stack)."""
    application_config: dict[str, str]
    kept: int
    """The single stack's resources the platform stack keeps."""
    platform_diff: PlanDiff
    application_diff: PlanDiff
    problems: tuple[str, ...]
    """Everything that makes the migration replace, delete or duplicate a resource."""
    ids_from_state: bool
    in_both: tuple[str, ...] = ()
    in_neither: tuple[str, ...] = ()
    """The single stack's resources neither program registers (URN tails)."""
    replaced: tuple[str, ...] = ()
    single_plan: dict[str, Any] = dataclasses.field(default_factory=dict)
    platform_plan: dict[str, Any] = dataclasses.field(default_factory=dict)
    """The former single stack's offline plan as the platform stack."""
    application_plan: dict[str, Any] = dataclasses.field(default_factory=dict)

    def lines(self) -> list[str]:
        source_stack, dest_stack = self.source.rsplit("/", 1)[1], self.dest.rsplit("/", 1)[1]
        out = [
            f"Migrating {self.application} from the single stack {self.source} to the "
            f"application stack {self.dest}, {source_stack} becoming its platform stack",
            "",
            f"1. Create the application stack: save Pulumi.{dest_stack}.yaml as",
            "",
            *_indented(yaml.safe_dump({"config": self.application_config}, sort_keys=False)),
            f"   and run `pulumi stack init {self.dest}` (in this project's directory).",
            "",
            f"2. Move the application's {len(self.moved)} resources into it (nothing in Azure "
            "changes; pause deploy.yml for this stack until step 3 is done: a single-stack "
            f"`pulumi up` of {source_stack} would create them again):",
            "",
            f"   pulumi state move --source {self.source} --dest {self.dest} --yes \\",
            *(f"     '{urn}' \\" for urn in self.moved[:-1]),
            f"     '{self.moved[-1]}'" if self.moved else "",
            "",
            f"3. Make {source_stack} the platform stack: add to Pulumi.{source_stack}.yaml",
            "",
            *_indented(
                yaml.safe_dump(
                    {"platform:mode": "platform", "platform:applications": [self.onboarding]},
                    sort_keys=False,
                )
            ),
            f"   then `pulumi preview --stack {source_stack}` (it creates only the onboarding of "
            f"{self.application}: nothing replaced, nothing deleted) and `pulumi up`.",
            "",
            f"4. Deploy {dest_stack} as {self.application}'s own identity (`pulumi preview` "
            "updates in place only, then `pulumi up`), from now on by deploy-team-stacks.yml.",
            "",
            "Azure resource moves: none. Its Container Apps and identities stay in the "
            f"platform's resource group (adopted, {len(self.adopted)}): its identity gets a role "
            "on each of them, not on the group; the ones it adds later go to its own group "
            "(contract 1.3.0).",
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
            f"{source_stack} (platform), {len(self.moved)} in {dest_stack}"
        )
        for label, result in (
            (f"{source_stack} (platform)", self.platform_diff),
            (dest_stack, self.application_diff),
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


def _indented(text: str) -> list[str]:
    return [f"   {line}" for line in text.rstrip("\n").splitlines()]


@contextmanager
def _recorded(stack: str, contract: object) -> Iterator[None]:
    """The platform's contract as its application stack's offline plan reads it."""
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
    application: str,
    dest: str,
    onboarding: dict[str, Any],
    organization: str | None,
) -> tuple[dict[str, Any], dict[str, Any], dict[str, str]]:
    from infra.program import build

    values = {
        **single.values,
        "platform:mode": "platform",
        "platform:applications": json.dumps([onboarding]),
    }
    platform = to_snapshot(run_offline(dataclasses.replace(single, values=values), build))
    config = {
        "platform:mode": "application",
        "platform:environment": single.values.get("platform:environment", single.stack),
        "platform:application": application,
        "platform:platformStack": _full(single.stack, organization),
    }
    app_stack = StackConfig(dest, single.project, config, ())
    with _recorded(_full(single.stack, organization), platform["outputs"][CONTRACT_OUTPUT]):
        app = to_snapshot(run_offline(app_stack, build))
    return platform, app, config


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


def plan_migration(
    source: str,
    application: str,
    *,
    dest: str | None = None,
    ci_subject: str | None = None,
    state: str | None = None,
    organization: str | None = None,
) -> Migration:
    """Everything `migrate` prints, from the offline plans of `source` (a single stack's file)."""
    from infra.program import build
    from infra.services.loader import load_applications

    declared = sorted({a.name for a in load_applications()})
    if application not in declared:
        raise LookupError(refused(application, declared))
    single_config = read_stack(source)
    if single_config.values.get("platform:mode", "single") != "single":
        raise LookupError(
            f"--from {source}: is a {single_config.values['platform:mode']} stack, not a single "
            "stack → name the single stack the application is deployed in today"
        )
    single_run = run_offline(single_config, build)
    single = to_snapshot(single_run)
    dest = dest or f"{application}-{source}"
    environment = single_config.values.get("platform:environment", source)
    platform_group = _platform_group(single)
    onboarding: dict[str, Any] = {
        "name": application,
        "hosts": _hosts(single_run.result, application),
        "ciSubject": ci_subject or f"repo:<owner>/<repo>:environment:{application}-{environment}",
    }
    # First without adoption: which of the single stack's resources the application's own
    # program registers (its resources), by URN.
    _, first, _ = _plans(single_config, application, dest, onboarding, organization)
    singles = engine_urns(single)
    ids = _state_ids(state)
    mine = [singles[t] for t in engine_urns(first) if t in singles]
    scopes = _grant_scopes(mine, platform_group)
    if scopes:
        onboarding["grantScopes"] = scopes
    adopted = sorted(
        ids.get(tail, _resource_id(r))
        for tail, r in singles.items()
        if r in mine
        and r["type"] in ADOPTABLE_TYPES
        and str(r["inputs"].get("resourceGroupName", "")).lower() == platform_group.lower()
    )
    if adopted:
        onboarding["adopted"] = adopted
    platform, app, app_config = _plans(single_config, application, dest, onboarding, organization)
    checked = check(
        single, platform, app, app_config, onboarding, application, source, dest, bool(ids)
    )
    return dataclasses.replace(
        checked, source=_full(source, organization), dest=_full(dest, organization)
    )


def _platform_group(single: Mapping[str, Any]) -> str:
    groups = [
        str(r["inputs"]["resourceGroupName"])
        for r in single["resources"]
        if r["type"] == "azure-native:resources:ResourceGroup"
    ]
    return groups[0] if groups else ""


def check(  # noqa: PLR0917 (the plans and their names, once)
    single: dict[str, Any],
    platform: dict[str, Any],
    app: dict[str, Any],
    app_config: dict[str, str],
    onboarding: dict[str, Any],
    application: str,
    source: str,
    dest: str,
    ids_from_state: bool,
) -> Migration:
    singles, platforms, apps = engine_urns(single), engine_urns(platform), engine_urns(app)
    moved_tails: list[str] = []
    both: list[str] = []
    lost: list[str] = []
    kept = 0
    for tail in sorted(singles):
        where = [n for n, plan in (("platform", platforms), ("application", apps)) if tail in plan]
        if len(where) == 2:
            both.append(tail)
        elif not where:
            lost.append(tail)
        elif where == ["application"]:
            moved_tails.append(tail)
        else:
            kept += 1
    created = [
        t
        for t in sorted(set(apps) - set(singles))
        if not t.split("::", 1)[0].startswith(_NEW_IN_APPLICATION)
    ]
    # The platform's next preview: the single stack's state without the moved resources.
    moved = {id(singles[t]) for t in moved_tails}
    remaining = {**single, "resources": [r for r in single["resources"] if id(r) not in moved]}
    platform_diff = diff(remaining, platform)
    # The application's: what `pulumi state move` writes into its state.
    application_diff = diff(_moved_state(single, moved_tails, singles, source, dest), app)
    by_urn = {str(r["urn"]): r for r in single["resources"]}
    heads = {str(r["urn"]): r for r in (*platform["resources"], *app["resources"])}

    def label(urn: str) -> str:
        """A diff's URN as the engine's tail."""
        found = by_urn.get(urn) or by_urn.get(urn.replace(f":{dest}::", f":{source}::", 1))
        if found is not None:
            return _tail(engine_urn(found, by_urn))
        return _tail(engine_urn(heads[urn], heads)) if urn in heads else _tail(urn)

    replaced = [
        f"{label(c.urn)} ({', '.join(p.path for p in c.changes if p.forces_replacement)})"
        for result in (platform_diff, application_diff)
        for c in result.changes
        if c.operation is Operation.REPLACE
    ]
    deleted = [
        label(c.urn)
        for result in (platform_diff, application_diff)
        for c in result.changes
        if c.operation is Operation.DELETE
    ]
    problems = [
        *(f"{t}: in both the platform and the application stack" for t in both),
        *(
            f"{t}: in neither stack, so the migration deletes it (a platform stack deploys no "
            "application's services: move every application out of the stack, each into its "
            "own application stack, before it becomes the platform stack)"
            for t in lost
        ),
        *(f"{t}: replaced" for t in replaced),
        *(f"{t}: deleted" for t in deleted if t not in lost),
        *(f"{t}: new in the application stack (created, not moved)" for t in created),
    ]
    engine = [engine_urn(singles[t], by_urn) for t in moved_tails]
    return Migration(
        source=full_name(source),
        dest=full_name(dest),
        application=application,
        moved=tuple(engine),
        adopted=tuple(onboarding.get("adopted", ())),
        onboarding=onboarding,
        application_config=app_config,
        kept=kept,
        platform_diff=platform_diff,
        application_diff=application_diff,
        problems=tuple(problems),
        ids_from_state=ids_from_state,
        in_both=tuple(both),
        in_neither=tuple(lost),
        replaced=tuple(replaced),
        single_plan=single,
        platform_plan=platform,
        application_plan=app,
    )


def _moved_state(
    single: Mapping[str, Any],
    moved_tails: Sequence[str],
    singles: Mapping[str, Mapping[str, Any]],
    source: str,
    dest: str,
) -> dict[str, Any]:
    """The application stack's state after `pulumi state move`: the moved resources and the
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
