"""`python -m infra.services.preflight STACK`: the Key Vault secrets and certificates a stack's
services read, validated as the deploy validates them (`infra/services/vault_references.py` is
the check itself, which validation runs as a registered rule).
"""

from __future__ import annotations

from collections.abc import Sequence

from infra.config import PlatformConfig
from infra.services.catalog import Catalog
from infra.services.spec import Application
from infra.services.vault_references import vault_references


def check_stack(
    stack: str, applications: Sequence[Application] | None = None
) -> tuple[PlatformConfig, Catalog]:
    """The stack file's config and the declarations validated for it offline, under the same
    rules and context as the deploy (`validation.stack_context`); `applications` defaults to
    the package the plan loads (`apps/`)."""
    from infra.config_loader import platform_config_from_values
    from infra.preview.stackfile import read_stack
    from infra.services.loader import load_applications
    from infra.services.render.dry_run import aks_objects
    from infra.services.validation import stack_context, validate_applications

    stack_config = read_stack(stack)
    values = {
        k.split(":", 1)[1]: v for k, v in stack_config.values.items() if k.startswith("platform:")
    }
    config = platform_config_from_values(values)
    catalog = validate_applications(
        load_applications() if applications is None else applications,
        stack_context(
            config,
            {k: k in stack_config.secret_keys for k in stack_config.values},
            aks_objects=aks_objects,
        ),
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
