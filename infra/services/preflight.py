"""Before any service is created: does every Key Vault secret and certificate it reads exist?

A vault created by the same stack starts empty, and the program may hold no secret's value.
A Container App whose secret is missing fails with "Unable to get value using Managed identity"
(microsoft/azure-container-apps#1159, #930); an AKS pod hangs in ContainerCreating until Pulumi's
await gives up. So, against real Azure, the program asks Azure Resource Manager for each reference
first (metadata only, never a value: `Microsoft.KeyVault/vaults/secrets/read`, which the deploying
identity's Owner/Contributor role includes) and stops with ONE error listing every missing one and
the command that creates it. Offline (under mocks) there is nothing to ask: the preflight says
"skipped", never "passed".
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import TYPE_CHECKING

from infra.problems import InvalidInput, Problem
from infra.services.catalog import Catalog
from infra.services.roles import expand
from infra.services.spec import Application, KeyVaultSecret, Target

if TYPE_CHECKING:
    from infra.config import PlatformConfig

_VAULT_ID = re.compile(
    r"^/subscriptions/[^/]+/resourceGroups/(?P<group>[^/]+)"
    r"/providers/Microsoft\.KeyVault/vaults/(?P<vault>[^/]+)$",
    re.IGNORECASE,
)
_VAULT_URI = re.compile(
    r"^https://(?P<vault>[a-zA-Z0-9-]+)\.vault\.azure\.net/(?:certificates|secrets)/(?P<name>[^/]+)"
)


class ReferenceKind(StrEnum):
    SECRET = "secret"
    CERTIFICATE = "certificate"


@dataclass(frozen=True, order=True)
class VaultReference:
    """One secret or certificate a service reads, and where it must be."""

    vault: str
    name: str
    kind: ReferenceKind
    resource_group: str | None
    """None when only the vault's name is known (a certificate URI in another stack's vault)."""
    used_by: str
    """`<service>: <field>`, for the report."""

    def create_command(self) -> str:
        """The command that creates it, reading the value from a file (never the command line)."""
        if self.kind is ReferenceKind.CERTIFICATE:
            return (
                f"az keyvault certificate import --vault-name {self.vault} --name {self.name} "
                "--file <certificate.pfx>"
            )
        return (
            f"az keyvault secret set --vault-name {self.vault} --name {self.name} "
            "--file <file holding the value>"
        )


def vault_references(
    catalog: Catalog, *, platform_vault: str, platform_group: str, environment: str
) -> list[VaultReference]:
    """Every Key Vault secret and certificate the catalog's services read, once each."""
    found: dict[tuple[str, str, ReferenceKind], VaultReference] = {}

    def add(reference: VaultReference) -> None:
        found.setdefault((reference.vault, reference.name, reference.kind), reference)

    for service in catalog.services:
        references = [
            *sorted(service.spec.secrets.items()),
            *(
                (f"secret file {name}", ref)
                for name, ref in sorted(service.spec.secret_files.items())
            ),
        ]
        for variable, ref in references:
            if not isinstance(ref, KeyVaultSecret):
                continue
            vault, group = platform_vault, platform_group
            if ref.vault_id is not None:
                match = _VAULT_ID.match(expand(ref.vault_id, "-", environment))
                assert match is not None, "validated: vault ids are resource ids"
                vault, group = match["vault"], match["group"]
            add(
                VaultReference(
                    vault, ref.name, ReferenceKind.SECRET, group, f"{service.name}: {variable}"
                )
            )
        tls = service.spec.ingress.tls
        if tls is not None:
            match = _VAULT_URI.match(tls.key_vault_certificate_uri)
            assert match is not None, "validated: certificate URIs point into a vault"
            vault = match["vault"]
            add(
                VaultReference(
                    vault,
                    match["name"],
                    ReferenceKind.CERTIFICATE,
                    platform_group if vault == platform_vault else None,
                    f"{service.name}: ingress.tls ({_serves(service.spec.target)})",
                )
            )
    return sorted(found.values())


def _serves(target: Target) -> str:
    return "app routing" if target is Target.AKS else "Container Apps custom domain"


class PreflightStatus(StrEnum):
    PASSED = "passed"
    SKIPPED = "skipped"


@dataclass(frozen=True)
class PreflightReport:
    status: PreflightStatus
    checked: int
    unchecked: tuple[VaultReference, ...] = ()
    reason: str = ""

    def summary(self) -> str:
        if self.status is PreflightStatus.SKIPPED:
            return f"skipped: {self.reason}"
        text = f"passed: {self.checked} Key Vault references exist"
        if self.unchecked:
            names = ", ".join(f"{r.vault}/{r.name}" for r in self.unchecked)
            text += f"; not checked (vault outside this stack, resource group unknown): {names}"
        return text


Exists = Callable[[VaultReference], bool]
"""Asks Azure whether a reference exists (the reference has a resource group)."""

PREFLIGHT = "the preflight (Key Vault references that do not exist yet; no service was created)"
"""The report's subject for missing references."""


def missing_references(references: Iterable[VaultReference], exists: Exists) -> list[Problem]:
    """A problem naming each reference Azure does not have, with the command that creates it
    (the registered rule `rules/preflight.py` runs this with every other rule)."""
    return [
        Problem(
            path=f"{r.kind.value} {r.vault}/{r.name}",
            value="",
            problem=f"missing, read by {r.used_by}",
            fix=r.create_command(),
        )
        for r in references
        if r.resource_group is not None and not exists(r)
    ]


def passed(references: Iterable[VaultReference]) -> PreflightReport:
    """The report once every reference that can be checked exists."""
    references = list(references)
    return PreflightReport(
        PreflightStatus.PASSED,
        checked=sum(1 for r in references if r.resource_group is not None),
        unchecked=tuple(r for r in references if r.resource_group is None),
    )


def run_preflight(references: Iterable[VaultReference], exists: Exists) -> PreflightReport:
    """Check every reference; raise one `InvalidInput` naming each missing one and its fix."""
    references = list(references)
    if missing := missing_references(references, exists):
        raise InvalidInput(PREFLIGHT, missing)
    return passed(references)


def skipped(reason: str) -> PreflightReport:
    return PreflightReport(PreflightStatus.SKIPPED, checked=0, reason=reason)


def check_stack(
    stack: str, applications: Sequence[Application] | None = None
) -> tuple[PlatformConfig, Catalog]:
    """The stack file's config and the declarations validated for it offline, under the same
    rules and context as the deploy (`validation.stack_context`); `applications` defaults to
    the package the plan loads (`apps/`)."""
    from infra.config import platform_config_from_values
    from infra.preview.stackfile import read_stack
    from infra.services.loader import load_applications
    from infra.services.validation import stack_context, validate_applications

    stack_config = read_stack(stack)
    values = {
        k.split(":", 1)[1]: v for k, v in stack_config.values.items() if k.startswith("platform:")
    }
    config = platform_config_from_values(values)
    catalog = validate_applications(
        load_applications() if applications is None else applications,
        stack_context(config, {k: k in stack_config.secret_keys for k in stack_config.values}),
    )
    return config, catalog


def main(argv: list[str] | None = None) -> int:
    """`python -m infra.services.preflight STACK`: what to seed before the services' deploy.

    Offline (the stack file and `apps/`, no Azure): the declarations are validated for the
    stack as the deploy validates them (a problem either refuses, both refuse), then one line
    per Key Vault secret and certificate the stack's services read, with the command that
    creates it. Against Azure the program's preflight checks the same list before it registers
    anything.
    """
    import argparse

    parser = argparse.ArgumentParser(prog="python -m infra.services.preflight")
    parser.add_argument("stack")
    config, catalog = check_stack(parser.parse_args(argv).stack)
    for reference in vault_references(
        catalog,
        platform_vault=config.key_vault_name,
        platform_group=config.resource_group_name,
        environment=config.environment.value,
    ):
        print(f"{reference.kind.value} {reference.vault}/{reference.name}  ({reference.used_by})")
        print(f"    {reference.create_command()}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
