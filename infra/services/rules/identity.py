"""Rules of a workload's Azure identity and the roles it asks for."""

from __future__ import annotations

import re

from infra.services.keda_scalers import SECRET_PARAMETERS
from infra.services.keda_scalers import check as check_scaler
from infra.services.patterns import env_secret_name, scaler_secret_name
from infra.services.roles import RESOURCE_ID, expand, role_guid, unknown_placeholders
from infra.services.rules.registry import (
    Workload,
    workload_rule,
)
from infra.services.rules.secrets import key_vault_ref, secret_content
from infra.services.spec import (
    KedaScaler,
    QueueTrigger,
    ServiceBusQueue,
    ServiceSpec,
)


def queue_identity(c: Workload, path: str, queue: QueueTrigger) -> None:
    """A queue trigger (a service's autoscaling, a job's event): valid names, a positive
    target, and an identity with a role to read it with (the scaler authenticates as the
    workload's identity, never with a connection string)."""
    if isinstance(queue, KedaScaler):
        keda_scaler(c, path, queue)
        return
    names = ("namespace", "queue") if isinstance(queue, ServiceBusQueue) else ("account", "queue")
    for field_name in names:
        value = getattr(queue, field_name)
        if not re.match(r"^[a-z0-9][a-z0-9-]{1,62}$", value):
            c.add(
                f"{path}.{field_name}",
                value,
                "is not a valid name",
                "use the Azure resource's name",
            )
    if queue.resource_group is None:
        c.add(
            f"{path}.resource_group",
            None,
            "is required: the scaler's identity is granted read access to exactly this "
            "queue, which needs its resource id",
            'set resource_group="<the queue\'s resource group>" ({environment} allowed)',
        )
    elif not re.match(r"^[-\w.(){}]{1,90}$", queue.resource_group) or unknown_placeholders(
        queue.resource_group
    ):
        c.add(
            f"{path}.resource_group",
            queue.resource_group,
            "is not a resource group name",
            "use the group's name; {environment} is the only placeholder",
        )
    if queue.messages_per_replica < 1:
        c.add(
            f"{path}.messages_per_replica",
            queue.messages_per_replica,
            "must be at least 1",
            "use e.g. 5",
        )
    identity = c.spec.identity
    if identity is None or not identity.roles:
        role = (
            "Azure Service Bus Data Receiver"
            if isinstance(queue, ServiceBusQueue)
            else "Storage Queue Data Message Processor"
        )
        kind = "service" if isinstance(c.spec, ServiceSpec) else "job"
        c.add(
            path,
            None,
            f"is read with the {kind}'s identity, which has no role",
            f'add identity=Identity(roles=(RoleGrant(role="{role}", scope=<queue resource id>),))',
        )


def keda_scaler(c: Workload, path: str, scaler: KedaScaler) -> None:
    """Another KEDA scaler: its type and parameters as the vendored list has them
    (`infra.services.keda_scalers`), no literal credential in its metadata, and its `auth` from
    Key Vault secrets of one vault (a TriggerAuthentication's `azureKeyVault` names one
    `vaultUri`), which the platform grants the workload's identity on, each alone."""
    for problem in check_scaler(scaler.type, scaler.metadata, scaler.auth):
        c.add(f"{path}.{problem.field}", problem.value, problem.problem, problem.fix)
    for key, value in scaler.metadata.items():
        what = secret_content(value)
        if what is not None and key not in SECRET_PARAMETERS:  # those are refused by name
            c.add(
                f"{path}.metadata.{key}",
                "<hidden>",
                f"holds {what} in plain text",
                'put it in Key Vault and declare auth={"<parameter>": KeyVaultSecret(...)}',
            )
    for key, ref in scaler.auth.items():
        key_vault_ref(c, f"{path}.auth.{key}", ref)
    for parameter in scaler.auth:
        clash = next(
            (v for v in c.spec.secrets if env_secret_name(v) == scaler_secret_name(parameter)), None
        )
        if clash is not None:
            c.add(
                f"secrets[{clash!r}]",
                None,
                f"has the name the platform gives the scaler's {parameter!r} secret",
                "rename the variable",
            )
    vaults = {ref.vault_id for ref in scaler.auth.values()}
    if len(vaults) > 1:
        c.add(
            f"{path}.auth",
            None,
            "names secrets in more than one vault: KEDA reads a trigger's secrets from one",
            "keep the scaler's secrets in one vault",
        )


@workload_rule("identity")
def identity(c: Workload) -> None:
    """A workload acts in Azure only through its own identity with data-plane roles on named scopes:
    least privilege, reviewable in the declaration."""
    if c.spec.identity is None:
        return
    for index, grant in enumerate(c.spec.identity.roles):
        path = f"identity.roles[{index}]"
        if role_guid(grant.role) is None:
            c.add(
                f"{path}.role",
                grant.role,
                "is not a known data-plane role",
                "use a name from infra/services/roles.py or a role definition GUID",
            )
        scope = expand(grant.scope, "0", c.context.environment.value)
        if unknown_placeholders(grant.scope):
            c.add(
                f"{path}.scope",
                grant.scope,
                "has an unknown placeholder",
                "use only {subscription} and {environment}",
            )
        elif not RESOURCE_ID.match(scope):
            c.add(
                f"{path}.scope",
                grant.scope,
                "is not an Azure resource id",
                "use the narrowest resource that works, e.g. the queue's id",
            )
        elif scope.count("/") < 8:
            c.add(
                f"{path}.scope",
                grant.scope,
                "is broader than a single resource",
                "grant on the resource the service uses",
            )
