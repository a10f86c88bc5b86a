"""Rules of managed identities."""

from __future__ import annotations

from collections.abc import Iterator

from infra.plan.kinds import FEDERATED_IDENTITY_CREDENTIAL, ROLE_ASSIGNMENT, TRIGGER_AUTHENTICATION
from infra.simulate.registry import Refusal, StepContext, rule


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
    if ctx.resource.type != FEDERATED_IDENTITY_CREDENTIAL:
        return
    mine = _identity(ctx.resource.inputs)
    position = ctx.plan.order.index(ctx.resource.urn)
    for other in ctx.plan.order[:position]:
        resource = ctx.plan.resources[other]
        if (
            resource.type == FEDERATED_IDENTITY_CREDENTIAL
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


KEDA_OPERATOR_SUBJECT = "system:serviceaccount:kube-system:keda-operator"


@rule(
    "keda-operator-federation",
    refuses="a KEDA TriggerAuthentication with `podIdentity.provider: azure-workload` whose "
    "identity has no federated credential for the KEDA operator's service account (the scaler "
    "cannot get a token)",
    source="AKS docs 'Securely scale your applications using the KEDA add-on and workload "
    "identity'; issue 11 defect 6",
)
def keda_operator_federated(ctx: StepContext) -> Iterator[Refusal]:
    """With workload identity, the KEDA operator (not the workload's pod) exchanges its own
    service account token: the identity needs a federated credential with subject
    `system:serviceaccount:kube-system:keda-operator`. KEDA retries, so the credential only has
    to exist by the end of the run."""
    if ctx.resource.type != TRIGGER_AUTHENTICATION:
        return
    pod_identity = (ctx.resource.inputs.get("spec") or {}).get("podIdentity") or {}
    if pod_identity.get("provider") != "azure-workload":
        return
    client = str(pod_identity.get("identityId") or "")
    principal = ctx.principals.of_client_id(client)
    names = {n for n, p in ctx.principals.by_resource_name.items() if p == principal}
    credentials = [*ctx.plan.of_type(FEDERATED_IDENTITY_CREDENTIAL), *ctx.world.resources.values()]
    if not any(
        c.type == FEDERATED_IDENTITY_CREDENTIAL
        and c.inputs.get("subject") == KEDA_OPERATOR_SUBJECT
        and str(c.inputs.get("resourceName", "")).lower() in names
        for c in credentials
    ):
        yield ctx.refuse(
            "keda-operator-federation",
            f"identity {client or '(none)'} has no federated credential for "
            f"{KEDA_OPERATOR_SUBJECT}, so the KEDA operator cannot authenticate as it.",
            "add a FederatedIdentityCredential with that subject on the identity (chained "
            "after its other credentials).",
        )


@rule(
    "role-assignment-principal-type",
    refuses="a role assignment for a managed identity whose `principalType` is not "
    "`ServicePrincipal` (UnmatchedPrincipalType; or PrincipalNotFound for an identity created "
    "moments before, when the type is left out)",
    source="Azure RBAC docs 'Assign roles with ARM templates: new service principal' and "
    "'Troubleshoot Azure RBAC' (PrincipalNotFound, UnmatchedPrincipalType)",
)
def principal_type_matches(ctx: StepContext) -> Iterator[Refusal]:
    """Azure checks `principalType` against the principal: a managed identity is a
    ServicePrincipal. Leaving the type out makes Azure look the principal up in Entra ID, which
    may not have replicated a just-created identity yet."""
    if ctx.resource.type != ROLE_ASSIGNMENT:
        return
    principal = str(ctx.resource.inputs.get("principalId", ""))
    known = {
        *ctx.principals.by_resource_name.values(),
        *ctx.principals.kubelet.values(),
        *ctx.principals.app_routing.values(),
    }
    kind = ctx.resource.inputs.get("principalType")
    if principal in known and kind != "ServicePrincipal":
        yield ctx.refuse(
            "role-assignment-principal-type",
            f"it grants a managed identity with principalType {kind or '(not set)'}.",
            "set principal_type=PrincipalType.SERVICE_PRINCIPAL on the role assignment.",
        )
