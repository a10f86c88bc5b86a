"""Kubernetes object metadata, and the typed plans AKS renderings return.

The metadata of every object the AKS plans, the namespace and the chart policies hold is built
here, so each carries the platform's labels and annotations (docs/extending.md) and the
labels that place it: a service's objects its name, application, target and `managed-by`; the
platform's own objects (the namespace's default-deny policy, the internal ingress controller)
their application and `managed-by`; the Gateways (the application's AGC Gateway, Envoy
Gateway's shared one) and Envoy Gateway's namespace, class and EnvoyProxy, which their own
components create, too, and they pass through `hooked` like every other object. (Pod
templates carry the pods' labels.)

A plan is a frozen dataclass with one named field per object (None when the service has none,
a tuple when it may have several), declared in apply order: `objects()` walks the fields, so
the order of creation is the order of declaration, in one place. The twin of
`ContainerAppPlan` on the other target.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from typing import Self

from infra.services.catalog import Planned
from infra.services.render.common import (
    MANAGED_BY_LABEL,
    PART_OF_LABEL,
    Manifest,
    PlatformExtensions,
    Text,
    labels,
    manifest_subject,
    run_hook,
)


@dataclass(frozen=True)
class ObjectMeta:
    """`metadata` of one object. `annotations` None leaves the key out (no platform annotations
    and none of the object's own); an object kind that sets annotations of its own (Ingress)
    always has the key, even when it is empty."""

    name: str
    labels: Mapping[str, str]
    namespace: str | None = None
    annotations: Mapping[str, Text] | None = None

    def manifest(self) -> Manifest:
        meta: Manifest = {"name": self.name}
        if self.namespace is not None:
            meta["namespace"] = self.namespace
        meta["labels"] = dict(self.labels)
        if self.annotations is not None:
            meta["annotations"] = dict(self.annotations)
        return meta


def object_meta(
    name: str,
    extensions: PlatformExtensions,
    *,
    namespace: str | None,
    own_labels: Mapping[str, str],
    own_annotations: Mapping[str, Text] | None = None,
) -> Manifest:
    """The one place metadata is made: the platform's labels and annotations first, then the
    object's own (which win on a clash)."""
    annotations: Mapping[str, Text] | None
    if own_annotations is None:
        annotations = dict(extensions.annotations) if extensions.annotations else None
    else:
        annotations = {**extensions.annotations, **own_annotations}
    return ObjectMeta(
        name=name,
        labels={**extensions.labels, **own_labels},
        namespace=namespace,
        annotations=annotations,
    ).manifest()


def service_meta(
    service: Planned,
    extensions: PlatformExtensions,
    name: str | None = None,
    *,
    extra_labels: Mapping[str, str] | None = None,
    annotations: Mapping[str, Text] | None = None,
) -> Manifest:
    """Metadata of an object one service or job owns, in its namespace (the application's; a
    job's: the application's jobs namespace)."""
    return object_meta(
        name or service.name,
        extensions,
        namespace=service.namespace,
        own_labels={**labels(service, extensions), **(extra_labels or {})},
        own_annotations=annotations,
    )


def platform_meta(
    name: str,
    extensions: PlatformExtensions,
    app: str | None = None,
    *,
    namespace: str | None = None,
    annotations: Mapping[str, Text] | None = None,
) -> Manifest:
    """Metadata of an object the platform owns rather than one service (the namespace's
    default-deny policy, the internal ingress controller, the Gateways, Envoy Gateway's
    objects): part of `app`, in `namespace` (default: the application's own) when it belongs to
    one application; otherwise in `namespace` (a platform namespace such as Envoy Gateway's;
    None: cluster-scoped)."""
    return object_meta(
        name,
        extensions,
        namespace=namespace if namespace is not None else app,
        own_labels={**({PART_OF_LABEL: app} if app else {}), MANAGED_BY_LABEL: "pulumi"},
        own_annotations=annotations,
    )


def hooked(obj: Manifest, extensions: PlatformExtensions) -> Manifest:
    """The platform's hooks, in order, last of all (docs/extending.md)."""
    for hook in extensions.kubernetes_hooks:
        obj = run_hook(hook, obj, manifest_subject(obj))
    return obj


Slot = Manifest | tuple[Manifest, ...] | None
"""What a plan field holds: one object, several of one kind, or none."""


@dataclass(frozen=True)
class KubernetesPlan:
    """Base of the AKS plans: fields are objects, declared in apply order."""

    def _slots(self) -> Iterator[tuple[str, Slot]]:
        for f in dataclasses.fields(self):
            yield f.name, getattr(self, f.name)

    def objects(self) -> list[Manifest]:
        """Every object, in apply order (the order the fields are declared in): what the
        component creates and the hooks have seen."""
        ordered: list[Manifest] = []
        for _, slot in self._slots():
            if isinstance(slot, tuple):
                ordered.extend(slot)
            elif slot is not None:
                ordered.append(slot)
        return ordered

    def map(self, change: Callable[[Manifest], Manifest]) -> Self:
        """The same plan with `change` applied to every object (the platform's hooks)."""
        changed: dict[str, Slot] = {}
        for name, slot in self._slots():
            if isinstance(slot, tuple):
                changed[name] = tuple(change(obj) for obj in slot)
            elif slot is not None:
                changed[name] = change(slot)
        return dataclasses.replace(self, **changed)

    def with_hooks(self, extensions: PlatformExtensions) -> Self:
        return self.map(lambda obj: hooked(obj, extensions))
