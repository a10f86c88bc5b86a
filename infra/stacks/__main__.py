"""`python -m infra.stacks record <platform-stack>...`: run the platform stack's offline plan and
record its contract (`infra/stacks/recorded/`), which its application stacks' offline plans read.
`python -m infra.stacks schema`: write the contract's JSON schema for `CONTRACT_VERSION`
(`infra/stacks/schemas/`). Also `python3 dev.py team-stacks ...`."""

from __future__ import annotations

import sys

from infra.preview.engine import run_offline
from infra.program import build
from infra.stacks.contract import CONTRACT_OUTPUT, write_schema
from infra.stacks.examples import example_stack, full_name
from infra.stacks.recorded import write_recorded


def main(argv: list[str]) -> int:
    if argv == ["schema"]:
        print(write_schema())
        return 0
    if len(argv) < 2 or argv[0] != "record":
        print("usage: python -m infra.stacks record <platform-stack>... | schema", file=sys.stderr)
        return 2
    for stack in argv[1:]:
        run = run_offline(example_stack(stack), build)
        # Only the contract: what application stacks may read (no secret output is recorded).
        print(write_recorded(full_name(stack), {CONTRACT_OUTPUT: run.outputs[CONTRACT_OUTPUT]}))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
