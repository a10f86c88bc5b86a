"""`python -m infra.preview`: see what a stack would create, offline, without Azure or the CLI.

python -m infra.preview plan STACK [--out FILE]
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from infra.preview.engine import OfflineRun, ProgramFailed, run_offline
from infra.preview.snapshot import dumps, to_snapshot
from infra.preview.stackfile import read_stack
from infra.problems import InvalidInput

EXIT_ERROR = 2


def _tree(run: OfflineRun) -> str:
    children: dict[str, list[str]] = {}
    by_urn = {r.urn: r for r in run.resources}
    for r in sorted(run.resources, key=lambda r: (r.type, r.name)):
        children.setdefault(r.parent, []).append(r.urn)
    lines = [f"Plan for stack {run.stack} ({run.project}): {len(run.resources)} resources"]

    def walk(parent: str, depth: int) -> None:
        for urn in children.get(parent, []):
            r = by_urn[urn]
            flag = "  [protected]" if r.protect else ""
            lines.append(f"{'    ' * depth}+ {r.type}  {r.name}{flag}")
            walk(urn, depth + 1)

    roots = [p for p in children if p not in by_urn]
    for root in sorted(roots):
        walk(root, 0)
    lines.append("Outputs:")
    lines.extend(f"    {k}: {v}" for k, v in run.outputs.items())
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m infra.preview", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    plan = commands.add_parser("plan", help="run the program offline and snapshot its plan")
    plan.add_argument("stack", help="stack name, e.g. dev or prod")
    plan.add_argument("--out", type=Path, help="write the JSON snapshot here")
    args = parser.parse_args(argv)

    from infra.program import build

    try:
        run = run_offline(read_stack(args.stack), build)
    except ProgramFailed as failure:
        cause = failure.cause
        message = str(cause) if isinstance(cause, InvalidInput) else repr(cause)
        print(f"error: {message}", file=sys.stderr)
        return EXIT_ERROR
    except FileNotFoundError as missing:
        print(f"error: {missing}", file=sys.stderr)
        return EXIT_ERROR
    if args.out:
        args.out.write_text(dumps(to_snapshot(run)))
    print(_tree(run))
    return 0


if __name__ == "__main__":
    sys.exit(main())
