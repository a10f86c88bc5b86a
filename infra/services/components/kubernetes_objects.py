"""Turn rendered Kubernetes object dicts into Pulumi resources, one class per kind."""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

import pulumi
import pulumi_kubernetes as k8s

from infra.services.render.common import Manifest

_TYPED: dict[tuple[str, str], Any] = {
    ("v1", "Namespace"): k8s.core.v1.Namespace,
    ("v1", "ServiceAccount"): k8s.core.v1.ServiceAccount,
    ("v1", "Secret"): k8s.core.v1.Secret,
    ("v1", "Service"): k8s.core.v1.Service,
    ("apps/v1", "Deployment"): k8s.apps.v1.Deployment,
    ("apps/v1", "StatefulSet"): k8s.apps.v1.StatefulSet,
    ("batch/v1", "CronJob"): k8s.batch.v1.CronJob,
    ("batch/v1", "Job"): k8s.batch.v1.Job,
    ("rbac.authorization.k8s.io/v1", "Role"): k8s.rbac.v1.Role,
    ("rbac.authorization.k8s.io/v1", "RoleBinding"): k8s.rbac.v1.RoleBinding,
    ("autoscaling/v2", "HorizontalPodAutoscaler"): k8s.autoscaling.v2.HorizontalPodAutoscaler,
    ("policy/v1", "PodDisruptionBudget"): k8s.policy.v1.PodDisruptionBudget,
    ("networking.k8s.io/v1", "Ingress"): k8s.networking.v1.Ingress,
    ("networking.k8s.io/v1", "NetworkPolicy"): k8s.networking.v1.NetworkPolicy,
}


def _snake(key: str) -> str:
    return re.sub(r"(?<!^)(?=[A-Z])", "_", key).lower()


def logical_name(obj: Manifest) -> str:
    meta = obj["metadata"]
    namespace = meta.get("namespace")
    return f"{namespace}-{meta['name']}" if namespace else str(meta["name"])


class Created:
    """The resources made from a plan's objects: found again by the object (a plan's named
    field), not by a `Kind/name` string."""

    def __init__(self) -> None:
        self._by_object: dict[int, pulumi.CustomResource] = {}
        self.resources: list[pulumi.CustomResource] = []
        """In the order created."""

    def add(self, obj: Manifest, resource: pulumi.CustomResource) -> None:
        self._by_object[id(obj)] = resource
        self.resources.append(resource)

    def of(self, obj: Manifest) -> pulumi.CustomResource:
        """The resource created from `obj` (the very object passed in, e.g. `plan.service`)."""
        return self._by_object[id(obj)]


def create_objects(objects: Sequence[Manifest], opts: pulumi.ResourceOptions) -> Created:
    """Create each object with the typed class for its kind (CRDs as CustomResource), in the
    order given."""
    created = Created()
    for obj in objects:
        api_version, kind = obj["apiVersion"], obj["kind"]
        name = logical_name(obj)
        cls = _TYPED.get((api_version, kind))
        if cls is None:
            resource: pulumi.CustomResource = k8s.apiextensions.CustomResource(
                name,
                api_version=api_version,
                kind=kind,
                metadata=obj["metadata"],
                spec=obj.get("spec"),
                opts=opts,
            )
        else:
            fields = {_snake(k): v for k, v in obj.items() if k not in ("apiVersion", "kind")}
            resource = cls(name, opts=opts, **fields)
        created.add(obj, resource)
    return created
