"""What happens between the foundation deploy and the services deploy on a first deploy: the
deploy workflow builds and pushes every image the services run into the new registry, and
people seed every Key Vault secret and certificate the services reference (docs/deploying.md,
"First deploy"). Seeding needs a data-plane role on the RBAC-only vault."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from infra.plan.kinds import REGISTRY, VAULT
from infra.plan.paths import value_at
from infra.plan.workloads import images
from infra.simulate.azure import KEY_VAULT_ADMINISTRATOR, KEY_VAULT_SECRETS_OFFICER, covers
from infra.simulate.plan import Plan
from infra.simulate.references import platform_registries, registry_of, vault_reads
from infra.simulate.registry import RULES, Refusal, rule
from infra.simulate.replay import Phase, context_for
from infra.simulate.rules.runner_network import RunnerContext
from infra.simulate.world import Grant, World

WRITERS = {KEY_VAULT_SECRETS_OFFICER, KEY_VAULT_ADMINISTRATOR}


@dataclass(frozen=True)
class SeedContext:
    vault: str
    deployer: str
    grants: list[Grant]


@rule(
    "keyvault-secret-writer",
    refuses="seeding a secret into the RBAC-only vault as an identity without Key Vault "
    "Secrets Officer (or Administrator) on it (403 Forbidden)",
    source="Key Vault RBAC docs (Owner/Contributor give no data-plane access); issue 11 defect 2",
    phase="bootstrap",
)
def writer_allowed(ctx: SeedContext) -> Iterator[Refusal]:
    """The vault authorizes with Azure RBAC only: management roles (Owner, Contributor) cannot
    write secrets. The foundation must grant the deployer a writer role before seeding."""
    allowed = any(
        g.principal == ctx.deployer
        and g.role in WRITERS
        and covers(g.scope, (f"/microsoft.keyvault/vaults/{ctx.vault}",))
        for g in ctx.grants
    )
    if not allowed:
        yield Refusal(
            "keyvault-secret-writer",
            "",
            f"vault {ctx.vault}",
            f"the deploying identity has no Key Vault Secrets Officer on {ctx.vault}, so it "
            "cannot seed the secrets the services reference.",
            "grant Key Vault Secrets Officer on the vault to the deployer (and to "
            "`aks.adminGroupObjectIds`) in the foundation.",
        )


def _closed(world: World, registries: set[str], vaults: set[str]) -> tuple[tuple[str, str], ...]:
    """The registries and vaults the bootstrap uses whose public network access is off."""
    found: list[tuple[str, str]] = []
    for resource in world.resources.values():
        if resource.type == REGISTRY:
            name = str(resource.inputs.get("registryName") or resource.name).lower()
            if name in registries and resource.inputs.get("publicNetworkAccess") == "Disabled":
                found.append(("registry", name))
        elif resource.type == VAULT:
            name = str(resource.inputs.get("vaultName") or resource.name).lower()
            access = value_at(resource.inputs, "properties.publicNetworkAccess")
            if name in vaults and access == "Disabled":
                found.append(("vault", name))
    return tuple(sorted(found))


def bootstrap(full: Plan, world: World) -> tuple[Phase, World]:
    """Push the full plan's platform images and seed its Key Vault objects into `world`, as
    the deploying identity; refuse seeding where that identity may not write secrets."""
    after = world.copy()
    phase = Phase("bootstrap: push images, seed Key Vault secrets")
    pushed: set[str] = set()
    seeded: set[tuple[str, str, str]] = set()
    deployer = ""
    for resource in full:
        context = context_for(full, world, resource)
        deployer = context.principals.deployer
        owned = platform_registries(context)
        pushed |= {i for i in images(resource.type, resource.inputs) if registry_of(i) in owned}
        seeded |= {(r.object.vault, r.object.kind, r.object.name) for r in vault_reads(context)}
    grants = world.all_grants()
    for vault in sorted({v for v, _, _ in seeded}):
        for check in (r.check for r in RULES.values() if r.phase == "bootstrap"):
            phase.refusals.extend(check(SeedContext(vault, deployer, grants)))
    runner = RunnerContext(
        _closed(world, {registry_of(i).split(".")[0] for i in pushed}, {v for v, _, _ in seeded}),
        tuple(world.resources.values()),
    )
    for check in (r.check for r in RULES.values() if r.phase == "bootstrap-network"):
        phase.refusals.extend(check(runner))
    after.images |= pushed
    for vault, kind, name in seeded:
        after.secrets.add((vault, name))
        if kind == "certificates":
            after.certificates.add((vault, name))
    phase.note = f"pushed {len(pushed)} images, seeded {len(seeded)} Key Vault objects"
    return phase, after
