"""Entry point for the Pulumi language host (`main: infra/` in Pulumi.yaml).

The host runs this file with `infra/` as the working directory and only `infra/` on sys.path,
so the repository root (and with it the `infra` package and `apps/`) is added here.
"""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from infra.program import build

build()
