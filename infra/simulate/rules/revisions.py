"""Rules of Container Apps revisions."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from infra.simulate.references import CONTAINER_APP, revision_suffix
from infra.simulate.registry import Refusal, StepContext, rule


def _without_suffix(template: Any) -> Any:
    if not isinstance(template, dict):
        return template
    return {k: v for k, v in template.items() if k != "revisionSuffix"}


@rule(
    "aca-revision-suffix-reused",
    refuses="a Container App update whose template changes (a new revision) under the "
    "revision suffix of the running one: the revision name `<app>--<suffix>` already exists",
    source="Container Apps docs 'Update and deploy changes' and 'Revisions' (a template change "
    "creates a revision named <app>--<revisionSuffix>; revision names are unique per app)",
)
def suffix_not_reused(ctx: StepContext) -> Iterator[Refusal]:
    """A template that sets `revisionSuffix` and changes while the suffix stays asks for a
    revision that exists. The platform's templates set none (render/revisions.py); this
    guards any that do."""
    if ctx.resource.type != CONTAINER_APP or ctx.previous is None:
        return
    before = ctx.previous.inputs.get("template") or {}
    after = ctx.resource.inputs.get("template") or {}
    suffix = revision_suffix(ctx.resource)
    if suffix is None or suffix != revision_suffix(ctx.previous):
        return
    if _without_suffix(before) != _without_suffix(after):
        app = ctx.resource.inputs.get("containerAppName") or ctx.resource.name
        yield ctx.refuse(
            "aca-revision-suffix-reused",
            f"its template changes but keeps revision suffix {suffix}: revision "
            f"{app}--{suffix} already exists.",
            "give the new template a new suffix, or leave `revisionSuffix` unset so Azure names "
            "the new revision.",
        )
