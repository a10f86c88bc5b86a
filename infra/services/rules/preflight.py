"""The preflight's check, registered: every Key Vault secret and certificate the services read
exists before anything is registered (`infra/services/preflight.py` lists them and says why).

Only against Azure (`context.vault_exists`, which the program sets when it is not planning
offline) and only when the stack deploys services; offline the preflight reports itself
skipped, never passed.
"""

from __future__ import annotations

from infra.config import PlatformConfig
from infra.services.preflight import PREFLIGHT, missing_references, vault_references
from infra.services.rules.registry import CatalogCheck, catalog_rule


@catalog_rule("key vault references", subject=PREFLIGHT)
def references_exist(check: CatalogCheck) -> None:
    """A Key Vault reference that does not exist yet fails the workload at start-up, far from
    the deploy that caused it: each is named with the command that creates it."""
    context, stack = check.context, check.context.stack
    if context.vault_exists is None or not isinstance(stack, PlatformConfig):
        return
    if not context.deploys_services:
        return
    references = vault_references(
        check.catalog,
        platform_vault=stack.key_vault_name,
        platform_group=stack.resource_group_name,
        environment=stack.environment.value,
    )
    check.problems.extend(missing_references(references, context.vault_exists))
