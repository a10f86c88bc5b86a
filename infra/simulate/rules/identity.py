"""Rules of managed identities."""

from __future__ import annotations

from collections.abc import Iterator

from infra.simulate.registry import Refusal, StepContext, rule

FEDERATED_CREDENTIAL = "azure-native:managedidentity:FederatedIdentityCredential"


def _identity(resource_inputs: object) -> tuple[str, str]:
    inputs = resource_inputs if isinstance(resource_inputs, dict) else {}
    return (
        str(inputs.get("resourceGroupName", "")).lower(),
        str(inputs.get("resourceName", "")).lower(),
    )


@rule(
    "fic-concurrent-writes",
    refuses="two federated identity credentials written on one user-assigned identity at the "
    "same time (ConcurrentFederatedIdentityCredentialsWritesForSingleManagedIdentity)",
    source="Entra workload identity federation docs (concurrent FIC writes on one identity are "
    "refused); issue 11 defect 6",
)
def one_credential_at_a_time(ctx: StepContext) -> Iterator[Refusal]:
    """Azure serializes federated credentials per identity and refuses a second write while one
    is in flight. Two credentials that do not depend on each other can be sent in the same
    wave, so they must be chained with dependsOn."""
    if ctx.resource.type != FEDERATED_CREDENTIAL:
        return
    mine = _identity(ctx.resource.inputs)
    position = ctx.plan.order.index(ctx.resource.urn)
    for other in ctx.plan.order[:position]:
        resource = ctx.plan.resources[other]
        if (
            resource.type == FEDERATED_CREDENTIAL
            and other in ctx.steps
            and _identity(resource.inputs) == mine
            and not ctx.plan.ordered(other, ctx.resource.urn)
        ):
            yield ctx.refuse(
                "fic-concurrent-writes",
                f"it and {resource.name} write federated credentials on identity {mine[1]} with "
                "nothing ordering them, so they can run at once.",
                f"make {ctx.resource.name} depend on {resource.name} (chain the credentials of "
                "one identity).",
            )
