"""Container Apps revisions an app ran before: Azure does not create them again."""

from __future__ import annotations

from collections.abc import Iterator

from infra.simulate.references import CONTAINER_APP, revision_suffix
from infra.simulate.registry import Refusal, StepContext, rule


@rule(
    "aca-revision-recreated",
    refuses="a Container App step whose template asks again for a revision an earlier run "
    "created and a later one replaced (a rollback to the stable template after a canary): "
    "Azure keeps the old revision's name, so no revision is created and the latest one, the "
    "canary, keeps serving",
    source="microsoft/azure-container-apps#650 (a suffix of an existing, inactive revision: "
    "the update succeeds and nothing changes); Azure/terraform-azurerm-avm-res-app-"
    "containerapp#115 ('template.revisionsuffix is invalid … revision with suffix already "
    "exists'); Container Apps docs 'Revisions' (`latestRevision` is the newest revision)",
)
def revision_not_recreated(ctx: StepContext) -> Iterator[Refusal]:
    """A suffix derived from the declaration derives an earlier suffix for every return to an
    earlier declaration (a rollback, a revert). While the previous template kept it, nothing is
    asked (no new revision); if a later revision replaced it, Azure will not create it again.
    This is why the platform's templates carry no suffix (render/revisions.py)."""
    if ctx.resource.type != CONTAINER_APP or ctx.previous is None:
        return
    suffix = revision_suffix(ctx.resource)
    running = revision_suffix(ctx.previous)
    history = ctx.world.revisions.get(ctx.resource.urn, ())
    if not suffix or suffix == running or suffix not in history:
        return
    app = ctx.resource.inputs.get("containerAppName") or ctx.resource.name
    yield ctx.refuse(
        "aca-revision-recreated",
        f"its template asks for revision {app}--{suffix} again, which an earlier run created "
        f"and {app}--{running} replaced: Azure creates no revision under an existing name, so "
        f"{app}--{running} would keep the traffic.",
        "leave `template.revisionSuffix` unset (as the platform's renderer does): Azure then "
        "names each new revision itself.",
    )


@rule(
    "aca-rollout-before-first-revision",
    refuses="a Container App created with traffic on a revision named in advance (a rollout "
    "declared before the app's first deploy): no revision of a new app exists yet",
    source="Container Apps docs 'Traffic splitting' (`revisionName` names an existing "
    "revision); the platform reads the running revision from the live app during a rollout "
    "(`app.getContainerApp`), which fails for an app that does not exist",
)
def rollout_needs_a_running_revision(ctx: StepContext) -> Iterator[Refusal]:
    """A canary splits traffic with the revision that runs now; a new app runs nothing."""
    if ctx.resource.type != CONTAINER_APP or ctx.action != "create":
        return
    ingress = (ctx.resource.inputs.get("configuration") or {}).get("ingress") or {}
    named = sorted(
        str(entry["revisionName"])
        for entry in ingress.get("traffic") or ()
        if isinstance(entry, dict) and entry.get("revisionName")
    )
    if named:
        yield ctx.refuse(
            "aca-rollout-before-first-revision",
            f"it is created with traffic on {', '.join(named)}, a revision that does not exist "
            "yet.",
            "deploy the service without `rollout` first; declare the rollout once it runs.",
        )
