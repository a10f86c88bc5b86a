"""`python -m infra.release rollouts [ENVIRONMENT]`: one JSON line per service with a rollout in
that environment (default dev; overrides applied): `app`, `service`, `target`, `weight`, for
the workflow to sample.

`python -m infra.release decide SAMPLES.json`: the verdict for one service's canary, as one
JSON line (`verdict`, `weight`, `reason`); exit 0 for advance/wait/complete, 3 for rollback so
a workflow step can stop. The file: `{"service": ..., "weight": 10, "canary": [samples],
"stable": [samples]}`, each sample `{"ready_replicas", "desired_replicas", "requests",
"errors"}`, oldest first (written by the deploy workflow's canary-health job)."""

from __future__ import annotations

import json
import sys
from pathlib import Path

from infra.exit_codes import Exit
from infra.release.decision import Sample, Verdict, decide

ROLLBACK_EXIT = Exit.BLOCKED


def rollouts(environment: str) -> int:
    from infra.services.loader import load_applications
    from infra.services.overrides import for_environment

    for application in load_applications():
        for declared in application.services:
            service = for_environment(declared, environment)
            if service.rollout is not None:
                line = {
                    "app": application.name,
                    "service": service.name,
                    "target": service.target.value,
                    "weight": service.rollout.weight,
                }
                print(json.dumps(line))
    return 0


def main(argv: list[str]) -> int:
    if argv[:1] == ["rollouts"] and len(argv) <= 2:
        return rollouts(argv[1] if len(argv) == 2 else "dev")
    if len(argv) != 2 or argv[0] != "decide":
        print(__doc__, file=sys.stderr)
        return Exit.ERROR
    recorded = json.loads(Path(argv[1]).read_text())
    decision = decide(
        int(recorded["weight"]),
        [Sample(**s) for s in recorded["canary"]],
        [Sample(**s) for s in recorded.get("stable", [])],
    )
    print(
        json.dumps(
            {
                "service": recorded.get("service", ""),
                "verdict": decision.verdict.value,
                "weight": decision.weight,
                "reason": decision.reason,
            }
        )
    )
    return ROLLBACK_EXIT if decision.verdict is Verdict.ROLLBACK else Exit.OK


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
