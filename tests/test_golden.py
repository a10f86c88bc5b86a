"""Golden files: what the pure renderers make of the fixture applications, reviewed as diffs.

`tests/golden/render/<environment>/<application>.json` holds, for one fixture application
(`tests/apps/`: the stack fixture and the feature fixtures, never `apps/`) in one environment,
every Kubernetes object its AKS workloads, canaries, namespaces and charts get, and the
arguments of each Container App and Container Apps job, rendered by the pure functions of
`infra/services/render/` (no Pulumi program, no Outputs: the values that would be Outputs in a
real run are named placeholders such as `[identity of web]`). The platform facts are the ones
the program derives from each stack's config (`infra.program.platform_facts`, `local_facts`),
so a stack setting that changes the rendering (the ingress mode, Deployment Safeguards) shows
here too.

`tests/golden/program.json` guards what only the whole program decides: the type and name of
every resource each stack registers (its URN: a changed one is a replacement in Azure), Azure
resources included, which no renderer makes.

A change to a renderer, a default or a fixture shows as a diff a reviewer reads; an intended
one is accepted with `python -m pytest tests/test_golden.py --update-golden`. The per-default
tests (test_render_*.py) still say *why* each value is what it is.
"""

from __future__ import annotations

import dataclasses
import enum
import json
from collections.abc import Mapping
from pathlib import Path
from types import SimpleNamespace
from typing import Any, cast

import pytest

from infra.config import (
    Environment,
    LocalConfig,
    PlatformConfig,
    stack_config_from_values,
)
from infra.extensions import EXTENSIONS
from infra.foundation.platform import Foundation
from infra.preview.engine import OfflineRun, run_offline
from infra.preview.stackfile import read_stack
from infra.program import build, local_facts, platform_facts, stack_ingress
from infra.services.catalog import Catalog, PlannedJob, PlannedService, jobs_namespace
from infra.services.components.identity import needs_identity
from infra.services.image_lock import load_lock
from infra.services.loader import load_applications
from infra.services.local import for_local_cluster
from infra.services.render import envoy_gateway, gateway
from infra.services.render.aks import (
    ServiceSecrets,
    namespace_objects,
    render_chart,
    render_job_on_aks,
    render_on_aks,
)
from infra.services.render.canary import render_canary_on_aks
from infra.services.render.common import PlatformFacts
from infra.services.render.container_apps import (
    render_job_on_container_apps,
    render_on_container_apps,
)
from infra.services.rules import ValidationContext
from infra.services.spec import Application, ConfigSecret, Target
from infra.services.validation import validate_applications
from tests.apps.features import ENVIRONMENTS
from tests.k8s_schema import validate_object

GOLDEN = Path(__file__).parent / "golden"
RENDERED = GOLDEN / "render"
PROGRAM = GOLDEN / "program.json"
STACKS = {Environment.DEV: "dev", Environment.PROD: "prod", Environment.LOCAL: "local"}
GOLDEN_SECRETS = {"secrets:batch-api-token": True}
"""The stack config secrets the feature fixtures read, stored encrypted."""
CONFIG_SECRET = "[secret]"
"""What a `ConfigSecret` renders as here (a secret Output in a real run)."""


def _stack_config(environment: Environment) -> PlatformConfig | LocalConfig:
    stack = read_stack(STACKS[environment])
    prefix = f"{stack.project}:"
    return stack_config_from_values(
        {k.removeprefix(prefix): v for k, v in stack.values.items() if k.startswith(prefix)}
    )


def _foundation(config: PlatformConfig) -> Foundation:
    """The foundation's outputs the facts read, as named placeholders."""
    gateway = (
        SimpleNamespace(traffic_controller_id="[traffic controller id]")
        if config.aks.ingress.public_gateway
        else None
    )
    return cast(
        Foundation,
        SimpleNamespace(
            registry=SimpleNamespace(login_server="[registry login server]"),
            container_apps=SimpleNamespace(default_domain="[container apps default domain]"),
            aks=SimpleNamespace(egress_ip="[aks egress ip]"),
            tenant_id="[tenant id]",
            key_vault=SimpleNamespace(vault_id="[platform key vault id]"),
            subscription_id="[subscription id]",
            gateway=gateway,
        ),
    )


def stack_facts(environment: Environment) -> PlatformFacts:
    config = _stack_config(environment)
    if isinstance(config, LocalConfig):
        return local_facts(config)
    return platform_facts(config, _foundation(config))


def _config_values(planned: PlannedService | PlannedJob) -> dict[str, str]:
    return {
        v: CONFIG_SECRET for v, r in planned.spec.secrets.items() if isinstance(r, ConfigSecret)
    }


def _plain(value: Any) -> Any:
    """A renderer's result as JSON: Pulumi Args by their fields, enums by value."""
    if isinstance(value, enum.Enum):
        return value.value
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: _plain(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, Mapping):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    if hasattr(value, "__dict__"):  # a pulumi input type (`...Args`)
        return {k: _plain(v) for k, v in vars(value).items() if v is not None}
    return value


def _on_aks(planned: PlannedService | PlannedJob, catalog: Catalog, facts: PlatformFacts) -> Any:
    azure = facts.cluster.value == "aks"
    common: dict[str, Any] = {
        "catalog": catalog,
        "facts": facts,
        "extensions": EXTENSIONS,
        "client_id": f"[client id of {planned.name}]"
        if azure and needs_identity(planned.spec)
        else None,
        "secrets": ServiceSecrets(config_values=_config_values(planned)),
    }
    if isinstance(planned, PlannedJob):
        return render_job_on_aks(planned, **common)
    return render_on_aks(planned, **common) + render_canary_on_aks(planned, **common)


def _on_container_apps(
    planned: PlannedService | PlannedJob, catalog: Catalog, facts: PlatformFacts
) -> Any:
    common: dict[str, Any] = {
        "catalog": catalog,
        "facts": facts,
        "extensions": EXTENSIONS,
        "identity_id": f"[identity of {planned.name}]" if needs_identity(planned.spec) else None,
        "pull_identity_id": "[registry pull identity]",
        "config_values": _config_values(planned),
    }
    if isinstance(planned, PlannedJob):
        return render_job_on_container_apps(planned, **common)
    spec = planned.spec
    return render_on_container_apps(
        planned,
        **common,
        certificate_id=f"[certificate of {spec.ingress.host}]" if spec.ingress.tls else None,
        stable_revision=f"[running revision of {planned.name}]" if spec.rollout else None,
    )


def stack_context(environment: Environment, *, pinned: bool) -> ValidationContext:
    """What the program validates with on this stack (`infra.program.build`): its ingress,
    from which each service's route is decided, and (`pinned`) the image lock."""
    config = _stack_config(environment)
    local = isinstance(config, LocalConfig)
    return ValidationContext(
        environment,
        GOLDEN_SECRETS,
        "" if local else config.key_vault_name,
        image_lock=load_lock() if pinned and not local else None,
        ingress=stack_ingress(config),
    )


def rendered(application: Application, environment: Environment) -> dict[str, Any]:
    """One application in one environment, through the pure renderers only. The stack
    fixture's images are pinned by its lock (`tests/apps/images.lock.yaml`), as the stacks
    deploy them; the feature fixtures, which no stack deploys, render their tags."""
    pinned = application.source.count("/") == 2  # tests/apps/<module>.py
    catalog = validate_applications([application], stack_context(environment, pinned=pinned))
    facts = stack_facts(environment)
    if environment is Environment.LOCAL:
        catalog = for_local_cluster(catalog)
    workloads = [*catalog.services, *catalog.jobs]
    on_aks = [w for w in workloads if w.spec.target is Target.AKS]
    namespaces = [application.name] if catalog.services or catalog.charts else []
    if any(isinstance(w, PlannedJob) for w in on_aks):
        namespaces.append(jobs_namespace(application.name))
    aks_services = [s for s in catalog.services if s.spec.target is Target.AKS]
    gateways = [
        envoy_gateway.gateway_object(aks_services, facts, EXTENSIONS),
        facts.gateway
        and gateway.gateway_object(application.name, aks_services, facts.gateway, EXTENSIONS),
    ]
    out: dict[str, Any] = {
        # The application's Gateway on AGC, and the shared Envoy Gateway as its services make it
        # (the platform's other objects are the program's, tests/golden/program.json).
        "gateways": [g for g in gateways if g],
        "namespaces": [
            o for n in namespaces for o in namespace_objects(application.name, EXTENSIONS, n)
        ],
        "aks": {w.name: _on_aks(w, catalog, facts) for w in on_aks},
        "charts": {c.name: render_chart(c, catalog, EXTENSIONS) for c in catalog.charts},
        "container-apps": {
            w.name: _on_container_apps(w, catalog, facts)
            for w in workloads
            if w.spec.target is Target.CONTAINER_APPS
        },
    }
    return cast(dict[str, Any], _plain(out))


def _cases() -> list[tuple[str, Environment]]:
    stack_fixture = [
        (a.name, e)
        for a in load_applications("tests.apps")
        for e in (Environment.DEV, Environment.PROD, Environment.LOCAL)
    ]
    features = [
        (a.name, e) for a in load_applications("tests.apps.features") for e in ENVIRONMENTS[a.name]
    ]
    return stack_fixture + features


def _application(name: str) -> Application:
    found = [
        a
        for a in (*load_applications("tests.apps"), *load_applications("tests.apps.features"))
        if a.name == name
    ]
    assert len(found) == 1, name
    return found[0]


def _compare(path: Path, value: Any, update: bool) -> None:
    text = json.dumps(value, indent=2, sort_keys=True, ensure_ascii=False) + "\n"
    if update:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
        return
    assert path.exists(), f"no golden file {path}: run pytest --update-golden and review it"
    assert text == path.read_text(), (
        f"{path.relative_to(GOLDEN.parent)} changed: review `git diff` after "
        "pytest tests/test_golden.py --update-golden, commit if intended"
    )


@pytest.mark.parametrize(("application", "environment"), _cases())
def test_rendered_objects_match_the_golden_files(
    application: str, environment: Environment, update_golden: bool
) -> None:
    value = rendered(_application(application), environment)
    assert value["aks"] or value["container-apps"], "the fixture renders nothing"
    _compare(RENDERED / environment.value / f"{application}.json", value, update_golden)


def test_every_golden_file_has_a_fixture(update_golden: bool) -> None:
    """A renamed or removed fixture leaves no stale golden file behind."""
    expected = {RENDERED / e.value / f"{a}.json" for a, e in _cases()}
    found = set(RENDERED.rglob("*.json"))
    if update_golden:
        for stale in found - expected:
            stale.unlink()
        return
    assert found == expected


@pytest.fixture(scope="module")
def local_run() -> OfflineRun:
    return run_offline(read_stack("local"), build)


def test_the_program_registers_the_golden_resources(
    runs: dict[str, OfflineRun], local_run: OfflineRun, update_golden: bool
) -> None:
    """Every resource's type and name per stack: what the components make of the renderers'
    output (Azure resources included), and their URNs."""
    stacks = {**runs, "local": local_run}
    value = {
        stack: sorted(f"{r.type} {r.name}" for r in run.resources) for stack, run in stacks.items()
    }
    _compare(PROGRAM, value, update_golden)


@pytest.mark.parametrize(("application", "environment"), _cases())
def test_every_golden_kubernetes_object_is_schema_valid(
    application: str, environment: Environment
) -> None:
    """The golden files hold objects a cluster accepts: each validated strictly against the
    Kubernetes OpenAPI schema and the vendored CRD schemas (tests/k8s_schema.py)."""
    value = rendered(_application(application), environment)
    objects = [
        *value["gateways"],
        *value["namespaces"],
        *(o for listed in value["aks"].values() for o in listed),
        *(o for _, listed in value["charts"].values() for o in listed),
    ]
    assert objects or not value["aks"]
    for obj in objects:
        validate_object(obj)
