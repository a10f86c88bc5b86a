"""Plain (Output-free) inputs for the pure renderers: the reference catalog and platform facts."""

from __future__ import annotations

import dataclasses
import functools
import shutil
import subprocess
import sys
from collections.abc import Mapping
from pathlib import Path

from infra.config import (
    NAMESPACE,
    Environment,
    LocalConfig,
    PlatformConfig,
    stack_config_from_values,
)
from infra.preview.engine import OfflineRun, run_offline
from infra.preview.stackfile import ROOT, read_stack
from infra.program import build
from infra.services.catalog import Catalog
from infra.services.loader import load_applications
from infra.services.render.common import PlatformExtensions, PlatformFacts
from infra.services.routes import NO_GATEWAY, StackIngress
from infra.services.rules import ValidationContext
from infra.services.spec import (
    Application,
    ConfigSecret,
    Port,
    Probes,
    ServiceSpec,
    Target,
    TcpProbe,
)
from infra.services.validation import stack_context, validate_applications

NO_EXTENSIONS = PlatformExtensions()
FIXTURE_APPS = Path("tests/apps")
"""The fixture applications' folder (tests/apps/), relative to a checkout's root."""


def copy_program(root: Path) -> Path:
    """A copy of the program at `root` (the code, the vendored rules, the stack files and the
    fixture applications the tests plan; not `apps/`, which no test reads); returns `root`."""
    for name in ("infra", "upstream", str(FIXTURE_APPS)):
        shutil.copytree(ROOT / name, root / name, ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copy(ROOT / "tests" / "__init__.py", root / "tests")
    for stack_file in ROOT.glob("Pulumi*.yaml"):
        shutil.copy(stack_file, root)
    return root


def run_python(*args: str, stdin: str = "") -> subprocess.CompletedProcess[str]:
    """`python ARGS` in a fresh interpreter at the repository root: nothing preloaded, as a
    user's shell or CI runs it."""
    return subprocess.run(
        [sys.executable, *args],
        input=stdin,
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


def facts(environment: Environment = Environment.DEV, *, internal: bool = False) -> PlatformFacts:
    return PlatformFacts(
        environment=environment,
        zonal=environment is Environment.PROD,
        registry_server="shopdevacr.azurecr.io",
        container_apps_domain="happy-hill-1234.westeurope.azurecontainerapps.io",
        container_apps_internal=internal,
        container_apps_subnet_cidr="10.20.8.0/23",
        aks_nodes_subnet_cidr="10.20.0.0/22",
        aks_egress_ip="198.51.100.7",
        private_zone="dev.shop.internal",
        tenant_id="11111111-1111-1111-1111-111111111111",
        key_vault_name="kv-shop-dev",
        key_vault_id="/subscriptions/0/resourceGroups/rg-shop-dev/providers/Microsoft.KeyVault/vaults/kv-shop-dev",
        subscription_id="00000000-0000-0000-0000-000000000000",
    )


@functools.cache
def stack_config(environment: Environment) -> PlatformConfig | LocalConfig:
    """The config of the project's stack for `environment` (`Pulumi.<environment>.yaml`); for an
    environment no stack has (staging), the dev stack's with that environment."""
    prefix = f"{NAMESPACE}:"
    name = environment.value if (ROOT / f"Pulumi.{environment.value}.yaml").is_file() else "dev"
    values = {
        key[len(prefix) :]: value
        for key, value in read_stack(name).values.items()
        if key.startswith(prefix)
    }
    return stack_config_from_values({**values, "environment": environment.value})


def context(
    environment: Environment = Environment.DEV,
    secrets: Mapping[str, bool] | None = None,
    *,
    ingress: StackIngress = NO_GATEWAY,
) -> ValidationContext:
    """The context the deploy and the preflight validate with (`stack_context`), for the
    project's stack of `environment`; the declarations are checked as written (images not
    pinned through the lock), and `secrets` are the stack's config keys (key → encrypted).
    `ingress`: what serves ingress, from which each service's route is decided; the default,
    `NO_GATEWAY`, matches `facts()` (no gateway facts)."""
    found = stack_context(stack_config(environment), dict(secrets or {}), pinned=False)
    return dataclasses.replace(found, ingress=ingress)


def reference_catalog(environment: Environment = Environment.DEV) -> Catalog:
    return validate_applications(load_applications(), context(environment))


def catalog_of(
    *services: ServiceSpec,
    environment: Environment = Environment.DEV,
    secrets: Mapping[str, bool] | None = None,
    ingress: StackIngress = NO_GATEWAY,
) -> Catalog:
    return validate_applications(
        [Application(name="shop", services=tuple(services), source="apps/test.py")],
        context(environment, secrets, ingress=ingress),
    )


def run_with_config_secret(value: str) -> OfflineRun:
    """The dev stack plus an application whose services (one per target) read a Pulumi secret
    config value, so tests can prove the value never surfaces."""
    base = read_stack("dev")
    stack = dataclasses.replace(
        base,
        values={**base.values, "secrets:api-token": value},
        secret_keys=(*base.secret_keys, "secrets:api-token"),
    )
    services = tuple(
        ServiceSpec(
            name=name,
            image="api:1.0",
            target=target,
            ports=(Port(name="http", number=8080),),
            secrets={"API_TOKEN": ConfigSecret(key="api-token")},
            # prod (AKS Deployment Safeguards) requires a liveness probe
            probes=Probes(liveness=TcpProbe()),
        )
        for name, target in (("aks-api", Target.AKS), ("aca-api", Target.CONTAINER_APPS))
    )
    extra = Application(name="extra", source="apps/extra.py", services=services)
    return run_offline(stack, lambda: build(applications=[*load_applications(), extra]))
