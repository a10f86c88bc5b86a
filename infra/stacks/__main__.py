"""`python -m infra.stacks` (also `python3 dev.py team-stacks ...`), docs/team-stacks.md:

- `record [--check] <platform-stack>...`: run the platform stack's offline plan and record its
  contract (`infra/stacks/recorded/`, or `$PLATFORM_RECORDED_OUTPUTS`), which its application
  stacks' offline plans read; `--check`: exit 1 if a recording is stale;
- `schema`: write the contract's JSON schema for `CONTRACT_VERSION` (`infra/stacks/schemas/`);
- `list [--mode platform|application] [--environment ENV] [--examples] [--json]
  [--environments]`: the team stacks (stack files; `--examples`: the reference ones too), or
  their environments (what `--set ENV` takes);
- `affected [--against REV] [<platform-stack>...]`: for a platform change, the application
  stacks it affects and the contract fields each reads (the recorded contract at REV, default
  HEAD, against the working tree's); `affected --before F --after F` compares two files;
- `deploy-matrix <platform-stack> --before F --after F [--changed-files F] [--examples]`: the
  deploy workflow's matrix (JSON) of the application stacks to deploy after the platform;
- `migrate --from <single-stack> [--application APP]... [--to APP=STACK]...
  [--ci-subject APP=SUBJECT]... [--state F] [--organization ORG]`: the steps that turn a single
  stack into a platform stack and move every application it deploys (or those named, when the
  others would lose nothing) into its own stack (the platform's onboarding, `pulumi state move`
  of each application's URNs, the previews, in order), checked on the offline plans to replace
  and delete nothing (exit 3 when they would; `infra/stacks/migrate.py`).
- `preview-matrix [STACK...] --contracts DIR [--preview-identities DIR] [--examples]`: what
  `pulumi-preview.yml` previews as the platform's identity, and the application stacks each as
  its own read-only preview identity (DIRs hold `<platform-stack>.json`: `pulumi stack output
  contract --json` and `pulumi stack output previewIdentityClientIds --json` of each deployed
  platform).
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
from pathlib import Path
from typing import Any

from infra.preview.stackfile import ROOT
from infra.stacks.contract import CONTRACT_OUTPUT, write_schema
from infra.stacks.examples import example_stack, full_name
from infra.stacks.recorded import (
    REPOSITORY,
    recorded_folder,
    recorded_outputs,
    recorded_path,
    write_recorded,
)


def _record(stacks: list[str], *, check: bool = False) -> int:
    """Record each platform stack's contract; `check`: write nothing, and exit 1 naming each
    recording that differs from what the platform exports today (.ci/apps runs it on `apps/`)."""
    from infra.preview.engine import run_offline
    from infra.program import build

    stale: list[str] = []
    for stack in stacks:
        run = run_offline(example_stack(stack), build)
        # Only the contract: what application stacks may read (no secret output is recorded).
        outputs = {CONTRACT_OUTPUT: run.outputs[CONTRACT_OUTPUT]}
        if not check:
            print(write_recorded(full_name(stack), outputs))
            continue
        try:
            current = recorded_outputs(full_name(stack))
        except LookupError:
            current = None
        if current != outputs:
            stale.append(stack)
    for stack in stale:
        print(
            f"{recorded_path(full_name(stack))}: not what {stack} exports today → "
            f"python -m infra.stacks record {stack}",
            file=sys.stderr,
        )
    return 1 if stale else 0


def _contract_file(path: str) -> dict[str, Any] | None:
    """A contract from a file: a recording, or `pulumi stack output contract --json` (None:
    empty or absent, e.g. before a platform's first deploy)."""
    file = Path(path)
    text = file.read_text().strip() if file.is_file() else ""
    if not text:
        return None
    document = json.loads(text)
    if isinstance(document, dict) and "outputs" in document:
        document = document["outputs"].get(CONTRACT_OUTPUT)
    return document if isinstance(document, dict) else None


def _at(rev: str, stack: str) -> dict[str, Any] | None:
    relative = recorded_path(full_name(stack)).relative_to(REPOSITORY)
    shown = subprocess.run(
        ["git", "show", f"{rev}:{relative.as_posix()}"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    if shown.returncode != 0:
        return None
    return json.loads(shown.stdout)["outputs"].get(CONTRACT_OUTPUT)


def _declared() -> list[Any]:
    from infra.services.loader import load_applications

    return load_applications()


def _affected(args: argparse.Namespace) -> int:
    from infra.stacks.pipeline import affected, application_stacks, team_stacks

    if args.before or args.after:
        pairs = {"": (_contract_file(args.before or ""), _contract_file(args.after or ""))}
    else:
        platforms = args.platform_stacks or sorted(p.stem for p in recorded_folder().glob("*.json"))
        pairs = {
            p: (_at(args.against, p), _contract_file(str(recorded_path(full_name(p)))))
            for p in platforms
        }
    stacks = team_stacks(examples=True)
    report: dict[str, dict[str, Any]] = {}
    for platform, (before, after) in pairs.items():
        if before is None or after is None:
            print(
                f"{platform or 'contract'}: no contract to compare (first record?)", file=sys.stderr
            )
            continue
        on = application_stacks(stacks, platform) if platform else {}
        for app, paths in affected(before, after, _declared()).items():
            report[on.get(app, app)] = {"application": app, "platform": platform, "fields": paths}
    if args.json:
        print(json.dumps(report, indent=2, sort_keys=True))
    elif not report:
        print("no application stack reads a changed contract field")
    else:
        for stack, entry in sorted(report.items()):
            print(f"{stack} ({entry['application']}): {', '.join(entry['fields'])}")
    return 0


def _list(args: argparse.Namespace) -> int:
    from infra.stacks.pipeline import team_stacks

    matching = [
        s
        for s in team_stacks(examples=args.examples)
        if (args.mode is None or s.mode.value == args.mode)
        and (args.environment is None or s.environment == args.environment)
    ]
    found = [s.name for s in matching]
    if args.environments:
        found = sorted({s.environment for s in matching})
    print(json.dumps(found) if args.json else " ".join(found))
    return 0


def _matrix(args: argparse.Namespace) -> int:
    from infra.stacks.contract import parse_contract
    from infra.stacks.pipeline import affected, application_stacks, deploy_matrix, team_stacks

    after = _contract_file(args.after)
    if after is None:
        print(f"{args.after}: no contract (is the platform stack deployed?)", file=sys.stderr)
        return 2
    before = _contract_file(args.before) if args.before else None
    declared = _declared()
    changed = None
    if args.changed_files and before is not None:
        changed = Path(args.changed_files).read_text().split()
    include = deploy_matrix(
        parse_contract(after, stack=args.platform_stack),
        application_stacks(team_stacks(examples=args.examples), args.platform_stack),
        affected_by_platform=affected(before, after, declared) if before is not None else (),
        changed_files=changed,
        declared=declared,
    )
    print(json.dumps({"include": include}))
    return 0


def _migrate(args: argparse.Namespace) -> int:
    from infra.exit_codes import Exit
    from infra.preview.engine import ProgramFailed
    from infra.stacks.migrate import plan_migration

    try:
        migration = plan_migration(
            args.source,
            args.application,
            to=args.to,
            ci_subject=args.ci_subject,
            state=args.state,
            organization=args.organization,
        )
    except (LookupError, FileNotFoundError) as error:
        print(f"error: {error}", file=sys.stderr)
        return Exit.ERROR
    except ProgramFailed as error:
        print(f"error: a plan of the migration failed: {error.__cause__ or error}", file=sys.stderr)
        return Exit.ERROR
    print("\n".join(migration.lines()))
    return Exit.BLOCKED if migration.problems else Exit.OK


def _preview_matrix(args: argparse.Namespace) -> int:
    from infra.config import StackMode
    from infra.stack_scaffold import azure_stacks
    from infra.stacks.contract import parse_contract
    from infra.stacks.pipeline import preview_matrix, team_stacks

    stacks = team_stacks(examples=args.examples)
    contracts = {}
    identities: dict[str, dict[str, str]] = {}
    for platform in (s.name for s in stacks if s.mode is StackMode.PLATFORM):
        found = _contract_file(str(Path(args.contracts) / f"{platform}.json"))
        if found is not None:
            contracts[platform] = parse_contract(found, stack=platform)
        if args.preview_identities:
            identities[platform] = _preview_identities(
                Path(args.preview_identities) / f"{platform}.json"
            )
    previewed = list(args.stacks) or azure_stacks()
    if args.examples:
        previewed += [s.name for s in stacks if s.name not in previewed]
    print(json.dumps(preview_matrix(previewed, stacks, contracts, identities), sort_keys=True))
    return 0


def _preview_identities(file: Path) -> dict[str, str]:
    """`pulumi stack output previewIdentityClientIds --json` of a platform (application →
    client id); empty when absent (a platform not deployed since it onboarded preview
    identities)."""
    text = file.read_text().strip() if file.is_file() else ""
    document = json.loads(text) if text else {}
    if not isinstance(document, dict):
        return {}
    return {str(k): str(v) for k, v in document.items() if isinstance(v, str) and v}


def parser() -> argparse.ArgumentParser:
    top = argparse.ArgumentParser(prog="python -m infra.stacks", description=__doc__)
    sub = top.add_subparsers(dest="command", required=True)
    record = sub.add_parser("record", help="record platform stacks' contracts (offline plan)")
    record.add_argument("stacks", nargs="+")
    record.add_argument(
        "--check", action="store_true", help="write nothing; exit 1 if a recording is stale"
    )
    sub.add_parser("schema", help="write the contract's JSON schema")
    listing = sub.add_parser("list", help="the team stacks")
    listing.add_argument("--mode", choices=("platform", "application"))
    listing.add_argument("--environment")
    listing.add_argument("--examples", action="store_true")
    listing.add_argument("--json", action="store_true")
    listing.add_argument(
        "--environments", action="store_true", help="their environments instead (for --set ENV)"
    )
    across = sub.add_parser("affected", help="application stacks a platform change affects")
    across.add_argument("platform_stacks", nargs="*")
    across.add_argument("--against", default="HEAD", help="git revision of the base recording")
    across.add_argument("--before", help="a contract file (instead of the recordings)")
    across.add_argument("--after", help="a contract file (instead of the recordings)")
    across.add_argument("--json", action="store_true")
    matrix = sub.add_parser("deploy-matrix", help="the deploy workflow's application matrix")
    matrix.add_argument("platform_stack")
    matrix.add_argument("--before", help="the contract before the platform's deploy")
    matrix.add_argument("--after", required=True, help="the contract it exports now")
    matrix.add_argument("--changed-files", help="files changed by the deployed push")
    matrix.add_argument("--examples", action="store_true")
    migrate = sub.add_parser(
        "migrate", help="move a single stack's applications into their own stacks"
    )
    migrate.add_argument("--from", dest="source", required=True, help="the single stack")
    migrate.add_argument(
        "--application",
        action="append",
        default=[],
        help="an application to migrate (repeatable; default: every one the stack deploys)",
    )
    migrate.add_argument(
        "--to",
        action="append",
        default=[],
        metavar="APP=STACK",
        help="an application's stack (repeatable; default <application>-<stack>; a bare STACK "
        "when one application moves)",
    )
    migrate.add_argument(
        "--ci-subject",
        action="append",
        default=[],
        metavar="APP=SUBJECT",
        help="an application's deploy workflow OIDC subject (repeatable; default "
        "repo:<owner>/<repo>:environment:<application>-<environment>; a bare SUBJECT when one "
        "application moves)",
    )
    migrate.add_argument("--state", help="`pulumi stack export` of the single stack (its ids)")
    migrate.add_argument("--organization", help="the Pulumi organization of the stacks")
    preview = sub.add_parser(
        "preview-matrix", help="pulumi-preview.yml's stacks and application matrix"
    )
    preview.add_argument(
        "stacks", nargs="*", help="the stacks CI previews (default: infra.stack_scaffold list)"
    )
    preview.add_argument(
        "--contracts", required=True, help="a folder of <platform-stack>.json deployed contracts"
    )
    preview.add_argument(
        "--preview-identities",
        help="a folder of <platform-stack>.json: each deployed platform's "
        "previewIdentityClientIds output",
    )
    preview.add_argument("--examples", action="store_true")
    return top


def main(argv: list[str]) -> int:
    args = parser().parse_args(argv)
    if args.command == "schema":
        print(write_schema())
        return 0
    if args.command == "record":
        return _record(args.stacks, check=args.check)
    if args.command == "list":
        return _list(args)
    if args.command == "affected":
        return _affected(args)
    if args.command == "migrate":
        return _migrate(args)
    if args.command == "preview-matrix":
        return _preview_matrix(args)
    return _matrix(args)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
