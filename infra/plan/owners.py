"""Whom a recorded resource belongs to: its service and its application, one definition.

The service is, in this order:
1. the nearest workload component above the resource (itself included) when the plan's tree is
   known (`WORKLOAD_COMPONENTS`: each is named after the service, job or chart it deploys, so
   the identity, role assignments and DNS records it creates are that service's);
2. what the resource says of itself: the `app.kubernetes.io/name` label of a Kubernetes object,
   the name of a Container App (`containerAppName`) or Container Apps job (`jobName`);
3. otherwise the platform (`PLATFORM`).
The offline policy judges each resource alone (the CrossGuard pack sees no tree), so it knows
only 2 and 3; the preview and cost pass the tree. On every stack the two agree wherever a
resource names itself (tests/test_plan_reader.py).

The application is the `app.kubernetes.io/part-of` label (an Azure resource's tag of that
name, `azure_tag_key`), else None.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from typing import Any

from infra.constants import (
    NAME_LABEL,
    PART_OF_LABEL,
    WORKLOAD_COMPONENTS,
    azure_tag_key,
)
from infra.plan import kinds
from infra.plan.paths import mapping_at

PLATFORM = "platform"
"""The owner of everything no service owns (the foundation, add-ons, shared gateways)."""

Component = tuple[str, str]
"""(type, name) of a resource above another in the plan's tree."""


def ancestry(urn: str, by_urn: Mapping[str, Mapping[str, Any]]) -> Iterator[Component]:
    """The resource at `urn`, then its parent, and so on up to the stack (snapshot documents
    with `type`, `name` and `parent`): the `components` of `service_of`."""
    current = by_urn.get(urn)
    seen: set[str] = set()
    while current is not None and urn not in seen:
        seen.add(urn)
        yield str(current.get("type", "")), str(current.get("name", ""))
        urn = str(current.get("parent") or "")
        current = by_urn.get(urn)


def named_by(urn: str) -> Component | None:
    """(type, name) of the resource a URN names (`urn:pulumi:<stack>::<project>::<parent
    types>$<type>::<name>`), or None for anything else: enough to know a resource's parent
    from its `parent` alone, without the rest of the plan."""
    parts = urn.split("::", 3)
    if len(parts) < 4 or not urn.startswith("urn:pulumi:"):
        return None
    return parts[2].rsplit("$", 1)[-1], parts[3]


def labels(kind: str, inputs: Mapping[str, Any]) -> Mapping[str, Any]:
    """A Kubernetes object's `metadata.labels`; an Azure resource's tags, keyed as labels."""
    if kinds.is_azure(kind):
        return mapping_at(inputs, "tags")
    return mapping_at(inputs, ("metadata", "labels"))


def _label(kind: str, inputs: Mapping[str, Any], label: str) -> str | None:
    key = azure_tag_key(label) if kinds.is_azure(kind) else label
    value = labels(kind, inputs).get(key)
    return str(value) if value else None


def named_service(kind: str, inputs: Mapping[str, Any]) -> str | None:
    """The service a resource names itself after (rule 2), or None."""
    if kinds.is_kubernetes(kind) and (name := _label(kind, inputs, NAME_LABEL)):
        return name
    own = {kinds.CONTAINER_APP: "containerAppName", kinds.CONTAINER_APP_JOB: "jobName"}.get(kind)
    return str(inputs[own]) if own and inputs.get(own) else None


def service_of(kind: str, inputs: Mapping[str, Any], components: Iterable[Component] = ()) -> str:
    """The service a resource belongs to (the module docstring's three rules); `components`
    is its `ancestry` when the plan's tree is known."""
    for component_type, name in components:
        if component_type in WORKLOAD_COMPONENTS:
            return name
    return named_service(kind, inputs) or PLATFORM


def application_of(kind: str, inputs: Mapping[str, Any]) -> str | None:
    """The application a resource belongs to, or None (a platform resource)."""
    return _label(kind, inputs, PART_OF_LABEL)


def service_of_recorded(
    resource: Mapping[str, Any], by_urn: Mapping[str, Mapping[str, Any]] | None = None
) -> str:
    """`service_of` a snapshot's resource document (`type`, `inputs`, `urn`, `parent`): with
    the whole plan (`by_urn`) its full ancestry, else its parent as its URN names it."""
    if by_urn is not None:
        components: list[Component] = list(ancestry(str(resource.get("urn", "")), by_urn))
    else:
        parent = named_by(str(resource.get("parent") or ""))
        components = [parent] if parent else []
    inputs = resource.get("inputs")
    return service_of(
        str(resource.get("type", "")),
        inputs if isinstance(inputs, Mapping) else {},
        components,
    )
