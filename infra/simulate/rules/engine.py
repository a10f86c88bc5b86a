"""Rules of the Pulumi engine itself, before any provider is called."""

from __future__ import annotations

from collections.abc import Iterator

from infra.simulate.registry import Refusal, StepContext, rule


@rule(
    "duplicate-urn",
    refuses="a plan that registers two resources with one URN (the same type and name under the "
    "same parent type): the engine stops the whole deployment",
    source="pulumi/pulumi pkg/diag/errors.go `GetDuplicateResourceURNError` (code 2001, "
    "\"Duplicate resource URN '<urn>'; try giving it a unique name\"), raised by the step "
    "generator on the second registration",
)
def urn_registered_once(ctx: StepContext) -> Iterator[Refusal]:
    """A URN names one resource in the state: the engine refuses a second registration of it
    and the `pulumi up` fails there, with everything after it (e.g. two private DNS records for
    one internal host shared by two services, issue 21 point 4). The offline engine
    (`infra/preview/engine.py`) refuses such a run too; this rule catches a recorded plan."""
    count = ctx.plan.registered.get(ctx.resource.urn, 1)
    if count > 1:
        yield ctx.refuse(
            "duplicate-urn",
            f"the plan registers {ctx.resource.urn} {count} times (Duplicate resource URN).",
            "give each resource its own name (or register it once and share it).",
        )
