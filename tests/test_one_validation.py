"""Validation in one place: every check is a registered rule, one context per stack (built by
`stack_context` from the stack config), one report with every problem, and the preflight
command refuses exactly what the deploy refuses (docs/validation.md)."""

from __future__ import annotations

import dataclasses
import re
from pathlib import Path

import pytest

from infra.config import Environment, PlatformConfig
from infra.preview.engine import ProgramFailed, run_offline
from infra.preview.stackfile import read_stack
from infra.problems import InvalidInput, Problem
from infra.program import build
from infra.services import preflight
from infra.services.rules import CATALOG_RULES, SERVICE_RULES, NodeMemory
from infra.services.spec import (
    Application,
    Exposure,
    HttpProbe,
    Ingress,
    Override,
    Port,
    Probes,
    Resources,
    Rollout,
    ServiceSpec,
    Target,
    Tls,
)
from infra.services.validation import stack_context, validate_applications
from tests.fixtures import stack_config

ROOT = Path(__file__).resolve().parents[1]


def _service(**changes: object) -> ServiceSpec:
    """A service every stack accepts: a pinned image of the fixture lock, probes, resources."""
    base = ServiceSpec(
        name="api",
        image="storefront/catalog-api:1.14.0",
        target=Target.AKS,
        ports=(Port(name="http", number=8080),),
        probes=Probes(readiness=HttpProbe(path="/ready"), liveness=HttpProbe(path="/live")),
        resources=Resources(cpu=0.5, memory="512Mi"),
    )
    return dataclasses.replace(base, **changes)  # type: ignore[arg-type]


def _custom_domain(host: str) -> ServiceSpec:
    """A prod Container Apps service on a custom host, with its certificate."""
    return _service(
        target=Target.CONTAINER_APPS,
        resources=Resources(cpu=0.5, memory="1Gi"),
        ingress=Ingress(
            exposure=Exposure.PUBLIC,
            host=host,
            tls=Tls(
                key_vault_certificate_uri="https://kv-shop-prod.vault.azure.net/certificates/api"
            ),
        ),
    )


def _app(*services: ServiceSpec) -> Application:
    return Application(name="team", source="apps/team.py", services=services)


BAD_INPUTS = {
    # Hosts: checked by the deploy's second report, never by the preflight.
    "internal host outside the private zone": (
        "dev",
        _service(ingress=Ingress(exposure=Exposure.INTERNAL, host="api.elsewhere.internal")),
        "ingress.host",
    ),
    "container apps host without records": (
        "prod",
        _custom_domain("api.example.org"),
        "ingress.host",
    ),
    # The stacks the project has: the preflight did not know them.
    "override for an environment no stack has": (
        "dev",
        _service(overrides={"staging": Override(replicas=3)}),
        "overrides['staging']",
    ),
    # The user pool's nodes: the preflight did not know them.
    "memory no node offers": (
        "dev",
        _service(resources=Resources(cpu=0.5, memory="64Gi")),
        "resources.memory",
    ),
    # The image lock: the preflight validated without it.
    "prod canary without a digest": (
        "prod",
        _service(rollout=Rollout(image="storefront/catalog-api:1.15.0", weight=10)),
        "rollout.image",
    ),
}


def _deploy_refuses(stack: str, application: Application) -> InvalidInput:
    with pytest.raises(ProgramFailed) as caught:
        run_offline(read_stack(stack), lambda: build(applications=[application]))
    assert caught.value.run.resources == [], "nothing is registered on bad input"
    assert isinstance(caught.value.cause, InvalidInput)
    return caught.value.cause


def _preflight_refuses(stack: str, application: Application) -> InvalidInput:
    with pytest.raises(InvalidInput) as caught:
        preflight.check_stack(stack, [application])
    return caught.value


@pytest.mark.parametrize("case", sorted(BAD_INPUTS))
def test_the_preflight_refuses_what_the_deploy_refuses_and_nothing_else(case: str) -> None:
    stack, service, path = BAD_INPUTS[case]
    deploy = _deploy_refuses(stack, _app(service))
    checked = _preflight_refuses(stack, _app(service))
    assert path in {p.path for p in deploy.problems}, str(deploy)
    assert set(checked.problems) == set(deploy.problems)
    assert str(checked) == str(deploy), "the same report, in the same order"


def test_what_the_deploy_accepts_the_preflight_accepts() -> None:
    for stack in ("dev", "prod"):
        config, catalog = preflight.check_stack(stack, [_app(_service())])
        assert isinstance(config, PlatformConfig)
        assert [s.name for s in catalog.services] == ["api"]
        run = run_offline(read_stack(stack), lambda: build(applications=[_app(_service())]))
        assert run.one("kubernetes:apps/v1:Deployment", "team-api")


def test_one_report_holds_the_declarations_and_the_hosts_problems() -> None:
    """The hosts were a second report, shown only once the declarations passed."""
    bad = _service(name="bad", replicas=-1)
    host = _custom_domain("api.example.org")
    error = _deploy_refuses("prod", _app(bad, host))
    lines = str(error).splitlines()
    assert lines[0] == (
        "2 problems in the service declarations and the service hosts (nothing was registered)"
    )
    assert {(p.group, p.path) for p in error.problems} == {
        ("api (apps/team.py)", "ingress.host"),
        ("bad (apps/team.py)", "replicas"),
    }
    assert lines == str(_deploy_refuses("prod", _app(host, bad))).splitlines(), "deterministic"


def test_the_preflight_rule_names_each_missing_reference_in_the_same_report() -> None:
    """Against Azure (`vault_exists`): a missing Key Vault secret is one more problem of the one
    report, before anything is registered; never asked when no service is deployed."""
    from infra.services.spec import KeyVaultSecret

    config = stack_config(Environment.DEV)
    assert isinstance(config, PlatformConfig)
    reader = _service(secrets={"DB_PASSWORD": KeyVaultSecret(name="db-password")}, replicas=-1)
    asked: list[str] = []

    def exists(reference: preflight.VaultReference) -> bool:
        asked.append(reference.name)
        return False

    with pytest.raises(InvalidInput) as caught:
        validate_applications(
            [_app(reader, _service(name="other"))],
            stack_context(config, {}, pinned=False, vault_exists=exists),
        )
    # `api` is refused (replicas) and so not in the catalog; `other` reads nothing.
    assert asked == []
    reader = dataclasses.replace(reader, replicas=1)
    with pytest.raises(InvalidInput) as caught:
        validate_applications(
            [_app(reader)], stack_context(config, {}, pinned=False, vault_exists=exists)
        )
    assert str(caught.value).startswith(f"1 problem in {preflight.PREFLIGHT}")
    (problem,) = caught.value.problems
    assert problem == Problem(
        "secret kv-shop-dev/db-password",
        "",
        "missing, read by api: DB_PASSWORD",
        "az keyvault secret set --vault-name kv-shop-dev --name db-password "
        "--file <file holding the value>",
    )
    foundation_only = config.model_copy(update={"deploy_services": False})
    asked.clear()
    validate_applications(
        [_app(reader)], stack_context(foundation_only, {}, pinned=False, vault_exists=exists)
    )
    assert asked == []


def test_the_stack_context_reads_everything_from_the_stack_config() -> None:
    dev = stack_config(Environment.DEV)
    assert isinstance(dev, PlatformConfig)
    context = stack_context(dev, {"secrets:token": True, "platform:environment": False})
    assert context.stack is dev
    assert context.environment is Environment.DEV
    assert context.key_vault_name == dev.key_vault_name
    assert context.config_secrets == {"secrets:token": True}
    assert context.internal_routes is dev.aks.ingress.internal_gateway
    assert context.stack_environments == frozenset({"dev", "prod", "local"})
    assert isinstance(context.node_memory, NodeMemory)
    assert context.node_memory.vm_size == dev.aks.user_pool.vm_size
    assert context.image_lock, "deploys pin images through the lock"
    assert stack_context(dev, {}, pinned=False).image_lock is None
    local = stack_context(stack_config(Environment.LOCAL), {})
    assert (local.image_lock, local.node_memory, local.key_vault_name) == (None, None, "")
    assert local.internal_routes


def test_every_check_is_a_registered_rule() -> None:
    """Rollouts, Gateway routes, API limits, hosts, gateway limits and the preflight's references
    run from the registry, not from calls of their own in the validation pass or the program."""
    topics = {r.topic for r in SERVICE_RULES} | {r.topic for r in CATALOG_RULES}
    assert {
        "rollout",
        "routes",
        "kubernetes api",
        "kubernetes names",
        "custom domains",
        "internal hosts",
        "gateway limits",
        "gateway host records",
        "key vault references",
    } <= topics
    program = (ROOT / "infra" / "program.py").read_text()
    validation = (ROOT / "infra" / "services" / "validation.py").read_text()
    for direct in (
        "agc_problems",
        "envoy_problems",
        "internal_host_problems",
        "rollout_problems",
        "route_problems",
        "number_problems",
        "name_problems",
        "run_preflight",
    ):
        assert not re.search(rf"\b{direct}\(", program + validation), direct


def test_the_validation_context_is_built_in_one_place() -> None:
    """Only `stack_context` constructs one (the tests' helpers call it too)."""
    builders = [
        path.relative_to(ROOT).as_posix()
        for path in sorted((ROOT / "infra").rglob("*.py"))
        if "ValidationContext(" in path.read_text()
    ]
    assert builders == ["infra/services/validation.py"]
    assert "ValidationContext(" not in (ROOT / "tests" / "fixtures.py").read_text()
