"""The offline plan's file format: a deterministic JSON snapshot of a stack's desired state.

Sorted keys, sorted resources, no timestamps and no random ids: the same source and config give
a byte-identical file, so snapshots can be diffed and committed.
"""

from __future__ import annotations

import json
from typing import Any

from infra.cost.plan import attach_estimate
from infra.preview.engine import OfflineRun, Registration
from infra.preview.topology import topology_of
from infra.program_result import program_result

SNAPSHOT_VERSION = 2
"""2: secrets masked per value; `reads` (which input paths read which resources' outputs) and
`secrets` (a digest of each masked value, never decrypted offline) and `computed` (the output
strings the provider computes, the id first) and `aliases` (the old URNs the program's own
aliases stand for) per resource, when present."""


def _resource(r: Registration) -> dict[str, Any]:
    entry: dict[str, Any] = {
        "urn": r.urn,
        "type": r.type,
        "name": r.name,
        "parent": r.parent,
        "custom": r.custom,
        "provider": r.provider,
        "inputs": r.inputs,
        "options": r.options(),
    }
    if r.reads:
        entry["reads"] = [{"path": list(path), "from": list(urns)} for path, urns in r.reads]
    if r.secrets:
        entry["secrets"] = [{"path": list(path), "digest": digest} for path, digest in r.secrets]
    if r.aliases:
        entry["aliases"] = list(r.aliases)
    if r.computed:
        entry["computed"] = [{"path": list(path), "value": value} for path, value in r.computed]
    return entry


def to_snapshot(run: OfflineRun) -> dict[str, Any]:
    resources = [_resource(r) for r in sorted(run.resources, key=lambda r: r.urn)]
    result = program_result(run.result)
    snapshot = {
        "topology": topology_of(result.catalog) if result is not None else {},
        "version": SNAPSHOT_VERSION,
        "project": run.project,
        "stack": run.stack,
        "resources": resources,
        "outputs": run.outputs,
    }
    # The monthly cost estimate (`infra/cost`), for an Azure stack.
    return attach_estimate(snapshot, result.azure_config if result is not None else None)


def dumps(snapshot: dict[str, Any]) -> str:
    return json.dumps(snapshot, indent=2, sort_keys=True, ensure_ascii=False) + "\n"
