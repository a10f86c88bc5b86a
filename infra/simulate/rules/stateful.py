"""Rules of StatefulSets (single-instance stateful services on AKS)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from infra.plan.kinds import STATEFUL_SET
from infra.preview.replacement import ChangeKind, forces_replacement
from infra.simulate.registry import Refusal, StepContext, rule
from infra.upstream_facts import statefulset_update


def _spec(inputs: Any) -> dict[str, Any]:
    spec = inputs.get("spec") if isinstance(inputs, dict) else None
    return spec if isinstance(spec, dict) else {}


@rule(
    "k8s-statefulset-spec-immutable",
    refuses="a StatefulSet update that changes a spec field the API server forbids to change "
    "(anything but replicas, ordinals, template, updateStrategy, "
    "persistentVolumeClaimRetentionPolicy and minReadySeconds) in place, and a change of its "
    "volumeClaimTemplates, which Pulumi turns into a replacement that adopts the old claims "
    "unchanged",
    source="kubernetes pkg/apis/apps/validation/validation.go ValidateStatefulSetUpdate "
    "(upstream/kubernetes/statefulset-update.json) and pulumi-kubernetes "
    "provider/pkg/provider/diff.go forceNew `statefulSet` (infra/preview/replacement.py)",
)
def statefulset_spec_immutable(ctx: StepContext) -> Iterator[Refusal]:
    """The API server compares an updated StatefulSet's spec with the stored one after copying
    over the six mutable fields, and answers `spec: Forbidden` on any other difference. Pulumi
    replaces (deletes, then creates: the name is fixed) a StatefulSet whose forceNew fields
    change, which covers every forbidden field today; a field outside that table would reach
    the API server as an in-place update and be refused. A replaced StatefulSet keeps its
    claims (`persistentVolumeClaimRetentionPolicy` Retain, the platform's and the API's
    default), and the new one adopts `<claim>-<name>-<ordinal>` as it is: a claim template is
    read only when a claim is created, so a new size or class in it never reaches the disk
    (and the pod is down while the StatefulSet is recreated). Grow a disk on the claim itself
    (the class allows expansion; a claim cannot shrink)."""
    if ctx.resource.type != STATEFUL_SET or ctx.previous is None or ctx.action != "update":
        return
    facts = statefulset_update()
    before, after = _spec(ctx.previous.inputs), _spec(ctx.resource.inputs)
    changed = sorted(
        key
        for key in set(before) | set(after)
        if key not in facts.mutable_spec_fields and before.get(key) != after.get(key)
    )
    in_place = [
        key
        for key in changed
        if not forces_replacement(
            STATEFUL_SET, ("spec", key), ChangeKind.UPDATE, inputs=ctx.resource.inputs
        )
    ]
    name = (ctx.resource.inputs.get("metadata") or {}).get("name", ctx.resource.name)
    if in_place:
        yield ctx.refuse(
            "k8s-statefulset-spec-immutable",
            f"StatefulSet {name} changes {', '.join(f'spec.{k}' for k in in_place)} in place: "
            f"{facts.forbidden_message}.",
            "leave those fields as deployed, or delete the StatefulSet with "
            "`kubectl delete statefulset --cascade=orphan` and let the next `up` recreate it.",
        )
    kept = _kept_claims_changed(before, after)
    if kept:
        adopted = ", ".join(f"{claim}-{name}-0" for claim in kept)
        yield ctx.refuse(
            "k8s-statefulset-spec-immutable",
            f"StatefulSet {name} changes its claim template(s) {', '.join(kept)}: the API "
            "server forbids that update, so Pulumi replaces the StatefulSet, and the new one "
            f"adopts the retained claim(s) {adopted} as they are: the new size or class never "
            "reaches the disk.",
            "keep the Volume's size as first deployed and grow the disk on the claim (`kubectl "
            f"patch pvc {adopted.split(', ')[0]} -p "
            '\'{"spec":{"resources":{"requests":{"storage":"<size>"}}}}\'`; the '
            "class allows expansion, a claim cannot shrink), or give the Volume a new name for "
            "a new, empty disk (copy the data first).",
        )


def _kept_claims_changed(before: dict[str, Any], after: dict[str, Any]) -> list[str]:
    """Claim templates present before and after under one name whose spec differs."""

    def by_name(spec: dict[str, Any]) -> dict[str, Any]:
        return {
            str((t.get("metadata") or {}).get("name")): t.get("spec")
            for t in spec.get("volumeClaimTemplates") or []
            if isinstance(t, dict)
        }

    old, new = by_name(before), by_name(after)
    return sorted(n for n in old.keys() & new.keys() if old[n] != new[n])
