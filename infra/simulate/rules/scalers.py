"""Rules of autoscalers that read a queue: the scaler's identity needs the right role."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from infra.plan.kinds import CONTAINER_APP_JOB, SCALED_OBJECT, TRIGGER_AUTHENTICATION
from infra.plan.paths import value_at
from infra.simulate.azure import (
    SERVICE_BUS_DATA_OWNER,
    STORAGE_QUEUE_DATA_CONTRIBUTOR,
    STORAGE_QUEUE_DATA_READER,
    last_segment,
    parse_vault_url,
)
from infra.simulate.references import CONTAINER_APP
from infra.simulate.registry import Refusal, StepContext, rule
from infra.simulate.rules.keyvault import SECRET_READERS


@dataclass(frozen=True)
class Trigger:
    type: str
    metadata: dict[str, Any]
    principal: str | None
    who: str


def _triggers(ctx: StepContext) -> list[Trigger]:
    resource = ctx.resource
    found: list[Trigger] = []
    if resource.type == CONTAINER_APP:
        for scale_rule in value_at(resource.inputs, "template.scale.rules") or ():
            custom = scale_rule.get("custom") if isinstance(scale_rule, dict) else None
            if isinstance(custom, dict):
                identity = str(custom.get("identity") or "")
                found.append(
                    Trigger(
                        str(custom.get("type", "")),
                        dict(custom.get("metadata") or {}),
                        ctx.principals.of_identity_id(identity),
                        f"scale rule identity {last_segment(identity) or '(none)'}",
                    )
                )
    elif resource.type == SCALED_OBJECT:
        namespace = value_at(resource.inputs, "metadata.namespace")
        for trigger in value_at(resource.inputs, "spec.triggers") or ():
            if not isinstance(trigger, dict):
                continue
            auth = str(value_at(trigger, "authenticationRef.name") or "")
            client = ""
            for candidate in ctx.plan.of_type(TRIGGER_AUTHENTICATION):
                if (
                    value_at(candidate.inputs, "metadata.name") == auth
                    and value_at(candidate.inputs, "metadata.namespace") == namespace
                ):
                    client = str(value_at(candidate.inputs, "spec.podIdentity.identityId") or "")
            found.append(
                Trigger(
                    str(trigger.get("type", "")),
                    dict(trigger.get("metadata") or {}),
                    ctx.principals.of_client_id(client),
                    f"TriggerAuthentication {auth or '(none)'} identity {client or '(none)'}",
                )
            )
    return found


@rule(
    "scaler-servicebus-rights",
    refuses="a KEDA / Container Apps scaler on a Service Bus queue whose identity lacks `Azure "
    "Service Bus Data Owner` on the queue or namespace (it cannot read the queue length)",
    source="kedacore/keda#806; microsoft/azure-container-apps#1138; issue 11 defect 7",
)
def servicebus_owner(ctx: StepContext) -> Iterator[Refusal]:
    """KEDA reads a queue's message count through the management runtime API, which needs
    Manage rights: with Entra ID that is Azure Service Bus Data Owner (Receiver is not enough).
    KEDA retries, so the grant only has to exist by the end of the run."""
    for trigger in _triggers(ctx):
        if trigger.type != "azure-servicebus":
            continue
        namespace = str(trigger.metadata.get("namespace", "")).lower()
        queue = str(
            trigger.metadata.get("queueName") or trigger.metadata.get("topicName") or ""
        ).lower()
        base = f"/microsoft.servicebus/namespaces/{namespace}"
        suffixes = (base, f"{base}/queues/{queue}", f"{base}/topics/{queue}")
        if not ctx.grant_anywhere(trigger.principal, {SERVICE_BUS_DATA_OWNER}, suffixes):
            yield ctx.refuse(
                "scaler-servicebus-rights",
                f"its Service Bus scaler on {namespace}/{queue} authenticates as {trigger.who}, "
                "which has no Azure Service Bus Data Owner there: the scaler cannot read the "
                "queue length.",
                f"grant Azure Service Bus Data Owner on {base}/queues/{queue} to the scaler's "
                "identity.",
            )


@rule(
    "scaler-storage-queue-rights",
    refuses="a KEDA / Container Apps scaler on a Storage queue whose identity lacks a queue "
    "data-read role (Storage Queue Data Reader or Contributor) on the queue or account",
    source="KEDA azure-queue scaler docs (reads the queue's properties, or peeks with "
    "queueLengthStrategy visibleonly); issue 11 defect 7 and contract item 6 (which role is the "
    "least that works is not verified against Azure)",
)
def storage_queue_reader(ctx: StepContext) -> Iterator[Refusal]:
    """The azure-queue scaler peeks the queue and reads its approximate length; with Entra ID
    that needs a queue data-read role. KEDA retries, so the grant only has to exist by the end
    of the run."""
    for trigger in _triggers(ctx):
        if trigger.type != "azure-queue":
            continue
        account = str(trigger.metadata.get("accountName", "")).lower()
        queue = str(trigger.metadata.get("queueName", "")).lower()
        base = f"/microsoft.storage/storageaccounts/{account}"
        suffixes = (
            base,
            f"{base}/queueservices/default",
            f"{base}/queueservices/default/queues/{queue}",
        )
        roles = {STORAGE_QUEUE_DATA_READER, STORAGE_QUEUE_DATA_CONTRIBUTOR}
        if not ctx.grant_anywhere(trigger.principal, roles, suffixes):
            yield ctx.refuse(
                "scaler-storage-queue-rights",
                f"its Storage queue scaler on {account}/{queue} authenticates as {trigger.who}, "
                "which has no Storage Queue Data Reader there.",
                f"grant Storage Queue Data Reader on {base}/queueServices/default/queues/{queue} "
                "to the scaler's identity.",
            )


def _auth_refs(rules: Any) -> Iterator[tuple[str, str, str]]:
    """(rule name, trigger parameter, secretRef) of every scale rule's `auth` entry."""
    for scale_rule in rules or ():
        if not isinstance(scale_rule, dict):
            continue
        entries = [scale_rule.get("auth")]
        for kind in ("custom", "azureQueue", "http", "tcp"):
            inner = scale_rule.get(kind)
            if isinstance(inner, dict):
                entries.append(inner.get("auth"))
        for entry in entries:
            for auth in entry or ():
                if isinstance(auth, dict):
                    yield (
                        str(scale_rule.get("name", "")),
                        str(auth.get("triggerParameter", "")),
                        str(auth.get("secretRef", "")),
                    )


@rule(
    "aca-scale-rule-secret-ref",
    refuses="a Container Apps scale rule (an app's or an event job's) whose `auth` names a "
    "`secretRef` that is not among the app's (job's) `configuration.secrets`",
    source="microsoft/azure-container-apps#231 (\"SecretRef '<name>' ... not found\": a "
    "revision referencing an undefined secret fails to deploy); Container Apps REST API "
    "ScaleRuleAuth.secretRef ('Name of the secret from which to pull the auth params')",
)
def aca_scale_rule_secret_ref(ctx: StepContext) -> Iterator[Refusal]:
    """Azure resolves each scale rule auth `secretRef` against the app's secrets when it
    provisions the revision (or the job), and refuses one it does not define."""
    resource = ctx.resource
    if resource.type == CONTAINER_APP:
        rules = value_at(resource.inputs, "template.scale.rules")
    elif resource.type == CONTAINER_APP_JOB:
        rules = value_at(resource.inputs, "configuration.eventTriggerConfig.scale.rules")
    else:
        return
    defined = {
        str(s.get("name"))
        for s in value_at(resource.inputs, "configuration.secrets") or ()
        if isinstance(s, dict)
    }
    for name, parameter, secret_ref in _auth_refs(rules):
        if secret_ref not in defined:
            yield ctx.refuse(
                "aca-scale-rule-secret-ref",
                f"its scale rule {name!r} takes {parameter!r} from secret {secret_ref!r}, which "
                f"is not among its secrets ({', '.join(sorted(defined)) or 'none'}).",
                f"add a secret named {secret_ref!r} (a Key Vault reference) to "
                "configuration.secrets, or point the rule's auth at an existing one.",
            )


@rule(
    "scaler-keyvault-reader",
    refuses="a KEDA TriggerAuthentication that reads scaler credentials from Key Vault "
    "(`azureKeyVault`) as an identity with no Key Vault Secrets User (or Officer, "
    "Administrator) on the vault or the secret",
    source="keda.sh/docs/2.19/authentication-providers/azure-key-vault (\"Ensure that 'read "
    "secret' permissions have been granted\"); upstream/keda-crds (TriggerAuthentication "
    "v2.19.0 `spec.azureKeyVault`)",
)
def scaler_keyvault_reader(ctx: StepContext) -> Iterator[Refusal]:
    """KEDA's operator fetches each `secrets[]` entry from the vault with the pod identity's
    token when it builds the scaler: without a read role the scaler fails and the workload is
    never scaled. KEDA retries, so the grant only has to exist by the end of the run."""
    resource = ctx.resource
    if resource.type != TRIGGER_AUTHENTICATION:
        return
    vault = value_at(resource.inputs, "spec.azureKeyVault")
    if not isinstance(vault, dict):
        return
    client = str(value_at(vault, "podIdentity.identityId") or "")
    reader = ctx.principals.of_client_id(client)
    uri = str(vault.get("vaultUri") or "").rstrip("/")
    for secret in vault.get("secrets") or ():
        if not isinstance(secret, dict):
            continue
        target = parse_vault_url(f"{uri}/secrets/{secret.get('name', '')}")
        if target is None:
            continue
        if not ctx.grant_anywhere(reader, SECRET_READERS, target.scope_suffixes):
            yield ctx.refuse(
                "scaler-keyvault-reader",
                f"its scaler reads {secret.get('parameter')!r} from {target.vault}/{target.name} "
                f"as client id {client or '(none)'}, which has no Key Vault Secrets User there: "
                "KEDA cannot build the scaler.",
                f"grant Key Vault Secrets User on {target.vault}/secrets/{target.name} to the "
                "scaler's identity.",
            )
