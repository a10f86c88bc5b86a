"""Built-in Azure roles a service may ask for by name (ids are the same in every tenant).

Only data-plane roles: a service identity never needs control-plane rights like Contributor,
and asking for one by name is refused (a GUID is accepted for the rare, reviewed exception).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from infra.constants import (
    KEY_VAULT_SECRETS_USER_ROLE,
    REQUESTABLE_ROLES,
    SERVICE_BUS_DATA_OWNER_ROLE,
    STORAGE_QUEUE_DATA_READER_ROLE,
)
from infra.services.spec import (
    Event,
    JobSpec,
    QueueTrigger,
    ServiceBusQueue,
    ServiceSpec,
    StorageQueue,
)

BUILT_IN_ROLES: dict[str, str] = REQUESTABLE_ROLES

KEY_VAULT_SECRETS_USER = KEY_VAULT_SECRETS_USER_ROLE
SERVICE_BUS_DATA_OWNER = SERVICE_BUS_DATA_OWNER_ROLE
"""Not requestable by name: the platform grants it to scalers alone, on one queue."""
STORAGE_QUEUE_DATA_READER = STORAGE_QUEUE_DATA_READER_ROLE

SERVICE_ROLES: frozenset[str] = frozenset(
    {*BUILT_IN_ROLES.values(), SERVICE_BUS_DATA_OWNER, STORAGE_QUEUE_DATA_READER}
)
"""Every built-in role a service's identity is granted by name: the requestable roles and the
scalers' (`scaler_grant`). A role declared by GUID (the reviewed exception) is not among them."""

GUID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")
RESOURCE_ID = re.compile(r"^/subscriptions/[^/]+/resourceGroups/[^/]+/providers/[^/]+/.+[^/]$")


def role_guid(role: str) -> str | None:
    """The role definition GUID for a built-in name or a GUID; None when unknown."""
    if GUID.match(role.lower()):
        return role.lower()
    return BUILT_IN_ROLES.get(role)


PLACEHOLDERS = ("subscription", "environment")
_PLACEHOLDER = re.compile(r"\{([^{}]*)\}")


def unknown_placeholders(template: str) -> list[str]:
    """Placeholders in a scope or vault id other than {subscription} and {environment}."""
    return [name for name in _PLACEHOLDER.findall(template) if name not in PLACEHOLDERS]


def expand(template: str, subscription: str, environment: str) -> str:
    """Fill a declaration's `{subscription}` and `{environment}` for one stack."""
    return template.replace("{subscription}", subscription).replace("{environment}", environment)


@dataclass(frozen=True)
class ScalerGrant:
    """What a queue scaler must be granted to read the queue's length, and where."""

    role_guid: str
    role_name: str
    scope: str
    """A template: `{subscription}` and `{environment}` are filled in per stack."""


def scaler_grant(queue: ServiceBusQueue | StorageQueue) -> ScalerGrant:
    """The narrowest grant that lets KEDA (on AKS, or inside Container Apps) read the queue.
    (A `KedaScaler` needs no role: it reads its credentials from Key Vault.)

    Service Bus: queue runtime properties (the message count) need Manage rights, which among the
    built-in roles only Data Owner carries (kedacore/keda#806, microsoft/azure-container-apps#1138).
    Storage: the approximate message count needs read on the queue (KEDA azure-queue scaler).
    """
    assert queue.resource_group is not None, "validated: queue triggers name their group"
    group = f"/subscriptions/{{subscription}}/resourceGroups/{queue.resource_group}/providers"
    if isinstance(queue, ServiceBusQueue):
        return ScalerGrant(
            SERVICE_BUS_DATA_OWNER,
            "Azure Service Bus Data Owner",
            f"{group}/Microsoft.ServiceBus/namespaces/{queue.namespace}/queues/{queue.queue}",
        )
    return ScalerGrant(
        STORAGE_QUEUE_DATA_READER,
        "Storage Queue Data Reader",
        f"{group}/Microsoft.Storage/storageAccounts/{queue.account}"
        f"/queueServices/default/queues/{queue.queue}",
    )


def queue_trigger(spec: ServiceSpec | JobSpec) -> QueueTrigger | None:
    """The queue a scaler reads for this workload: a service's autoscaling trigger or an event
    job's trigger."""
    if isinstance(spec, JobSpec):
        return spec.trigger.queue if isinstance(spec.trigger, Event) else None
    return spec.autoscaling.queue if spec.autoscaling is not None else None
