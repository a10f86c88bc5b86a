"""Starts infra/__main__.py the way the Pulumi language host does, under mocks.

Run with cwd infra/ and nothing of the repository on sys.path but `infra/` itself:
`python tests/langhost_bootstrap.py CONFIG_JSON` (see test_foundation.py).
"""

import json
import runpy
import sys
from typing import Any

from pulumi.runtime import MockCallArgs, MockResourceArgs, Mocks, set_all_config, set_mocks


class EchoMocks(Mocks):
    def new_resource(self, args: MockResourceArgs) -> tuple[str, dict[str, Any]]:
        return (args.name + "-id", dict(args.inputs))

    def call(self, args: MockCallArgs) -> dict[str, Any]:  # type: ignore[override]
        return {}


sys.path[0] = "."  # the script's own folder must not leak in: the host only has infra/
set_all_config(json.loads(sys.argv[1]))
set_mocks(EchoMocks(), project="platform", stack="dev", preview=True)
runpy.run_path("__main__.py", run_name="__main__")
print("program-ok")
