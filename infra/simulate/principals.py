"""Who is who: the principal behind an identity resource id, a client id, a cluster's kubelet.

Offline, Azure's answers are the mocks' (infra/preview/mocks.py), derived from logical names;
this module asks the same functions, so a role assignment's `principalId` in a plan can be
matched with the identity a Container App, a SecretProviderClass or a scaler names.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from infra.plan.kinds import MANAGED_CLUSTER, USER_ASSIGNED_IDENTITY
from infra.preview.mocks import (
    DEPLOYER_OBJECT_ID,
    app_routing_object_id,
    identity_client_id,
    identity_principal_id,
    kubelet_object_id,
)
from infra.simulate.azure import last_segment
from infra.simulate.plan import PlannedResource


@dataclass(frozen=True)
class Principals:
    by_resource_name: dict[str, str]
    """Identity's Azure name (last segment of its id), lowercase → principal id."""
    by_client_id: dict[str, str]
    kubelet: dict[str, str]
    """Cluster's Azure name → kubelet identity's object id."""
    app_routing: dict[str, str]
    deployer: str = DEPLOYER_OBJECT_ID

    @staticmethod
    def of(resources: Iterable[PlannedResource]) -> Principals:
        by_name: dict[str, str] = {}
        by_client: dict[str, str] = {}
        kubelet: dict[str, str] = {}
        app_routing: dict[str, str] = {}
        for resource in resources:
            physical = str(resource.inputs.get("resourceName") or resource.name).lower()
            if resource.type == USER_ASSIGNED_IDENTITY:
                principal = identity_principal_id(resource.name)
                by_name[physical] = principal
                by_client[identity_client_id(resource.name)] = principal
            elif resource.type == MANAGED_CLUSTER:
                kubelet[physical] = kubelet_object_id(resource.name)
                app_routing[physical] = app_routing_object_id(resource.name)
        return Principals(by_name, by_client, kubelet, app_routing)

    def of_identity_id(self, resource_id: str) -> str | None:
        """A user-assigned identity's resource id → its principal id (None if not known)."""
        if "/userassignedidentities/" not in resource_id.lower():
            return None
        return self.by_resource_name.get(last_segment(resource_id).lower())

    def of_client_id(self, client_id: str) -> str | None:
        return self.by_client_id.get(client_id)
