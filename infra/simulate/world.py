"""What exists in Azure (and in the cluster) before a run: the state the rules check against.

Resources are what earlier runs created (with the inputs they were last applied with); the
rest is what people and pipelines put there outside Pulumi: secrets seeded into vaults, images
pushed to registries, DNS records made by hand, role assignments made by an administrator.
Published chart versions are the public world (see published_charts.py).
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field

from infra.plan.kinds import ROLE_ASSIGNMENT, VAULT
from infra.simulate.plan import PlannedResource
from infra.simulate.published_charts import PUBLISHED_CHARTS
from infra.stacks.authorization import role_guid


@dataclass(frozen=True)
class Grant:
    """A role assignment: `role` is the role definition guid, `scope` lowercase."""

    principal: str
    role: str
    scope: str
    source: str = ""

    @staticmethod
    def of(resource: PlannedResource) -> Grant:
        inputs = resource.inputs
        return Grant(
            principal=str(inputs.get("principalId", "")),
            role=role_guid(str(inputs.get("roleDefinitionId", ""))),
            scope=str(inputs.get("scope", "")).lower(),
            source=resource.urn,
        )


@dataclass
class World:
    resources: dict[str, PlannedResource] = field(default_factory=dict)
    secrets: set[tuple[str, str]] = field(default_factory=set)
    """(vault, name) of every secret, certificates included (a certificate has a secret)."""
    certificates: set[tuple[str, str]] = field(default_factory=set)
    images: set[str] = field(default_factory=set)
    """Full references, `server/repository:tag`."""
    dns_records: set[tuple[str, str]] = field(default_factory=set)
    """(record type, fully qualified name), e.g. ("TXT", "asuid.shop.example.com")."""
    grants: list[Grant] = field(default_factory=list)
    """Role assignments made outside the stack."""
    deleted_vaults: set[str] = field(default_factory=set)
    """Names of soft-deleted Key Vaults (kept 7-90 days; with purge protection, unpurgeable)."""
    charts: dict[tuple[str, str], frozenset[str]] = field(
        default_factory=lambda: dict(PUBLISHED_CHARTS)
    )
    """(repository URL, chart name) → published versions."""
    revisions: dict[str, tuple[str, ...]] = field(default_factory=dict)
    """Container App URN → the suffixes of the revisions earlier runs created, oldest first
    (Azure keeps a deactivated revision's name: `maxInactiveRevisions`)."""

    def copy(self) -> World:
        return dataclasses.replace(
            self,
            resources=dict(self.resources),
            secrets=set(self.secrets),
            certificates=set(self.certificates),
            images=set(self.images),
            dns_records=set(self.dns_records),
            grants=list(self.grants),
            deleted_vaults=set(self.deleted_vaults),
            charts=dict(self.charts),
            revisions=dict(self.revisions),
        )

    def all_grants(self) -> list[Grant]:
        """Every role assignment that exists: made outside the stack and made by it."""
        made = [Grant.of(r) for r in self.resources.values() if r.type == ROLE_ASSIGNMENT]
        return [*self.grants, *made]

    def destroyed(self) -> World:
        """After `pulumi destroy`: the stack's resources are gone (and what lived in its vaults
        and registries with them), but every vault stays soft-deleted under its name (soft
        delete cannot be turned off)."""
        vaults = {
            str(r.inputs.get("vaultName") or r.name).lower()
            for r in self.resources.values()
            if r.type == VAULT
        }
        return World(
            dns_records=set(self.dns_records),
            grants=list(self.grants),
            deleted_vaults=self.deleted_vaults | vaults,
            charts=dict(self.charts),
        )

    def has_secret(self, vault: str, name: str) -> bool:
        return (vault.lower(), name) in self.secrets
