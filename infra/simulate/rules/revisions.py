"""Rules of Container Apps revisions."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from infra.simulate.registry import Refusal, StepContext, rule

CONTAINER_APP = "azure-native:app:ContainerApp"


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
    """The platform derives `revisionSuffix` from the declaration (so a canary's stable
    revision has a known name). A template that changes while the suffix stays (a change that
    reaches the template only through a platform value) asks for a revision that exists."""
    if ctx.resource.type != CONTAINER_APP or ctx.previous is None:
        return
    before = ctx.previous.inputs.get("template") or {}
    after = ctx.resource.inputs.get("template") or {}
    suffix = after.get("revisionSuffix") if isinstance(after, dict) else None
    if not suffix or not isinstance(before, dict) or before.get("revisionSuffix") != suffix:
        return
    if _without_suffix(before) != _without_suffix(after):
        app = ctx.resource.inputs.get("containerAppName") or ctx.resource.name
        yield ctx.refuse(
            "aca-revision-suffix-reused",
            f"its template changes but keeps revision suffix {suffix}: revision "
            f"{app}--{suffix} already exists.",
            "change the declaration that shapes the template (or let the platform derive a "
            "new suffix), so the new revision gets its own name.",
        )
