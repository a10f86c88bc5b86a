"""Edits a reviewer makes (to `apps/` and to the stack files), planned in-process, for the diff
tests: each edit is one offline run of the real program, compared with the unedited plan."""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from infra.preview.diff import PlanDiff
from infra.preview.engine import run_offline
from infra.preview.snapshot import to_snapshot
from infra.preview.stackfile import StackConfig, offline_secret, read_stack
from infra.program import build
from infra.services.loader import load_applications
from infra.services.spec import (
    Application,
    ConfigSecret,
    Exposure,
    Ingress,
    Port,
    Probes,
    ServiceSpec,
    Target,
    TcpProbe,
)

Apps = list[Application]
AppsEdit = Callable[[Apps], Apps]
ConfigEdit = Callable[[dict[str, Any]], None]

SECRET_KEYS = ("secrets:api-token", "secrets:other-token")
"""Stack secrets every planned stack has here, as `secure:` values would be read offline."""


def stack_config(stack: str, edit: ConfigEdit | None = None) -> StackConfig:
    """The stack file as read offline, plus two `secure:` values, edited like the YAML: `edit`
    receives the `config:` mapping with objects as dicts."""
    base = read_stack(stack)
    document: dict[str, Any] = {}
    for key, text in base.values.items():
        try:
            value = json.loads(text)
        except json.JSONDecodeError:
            value = text
        document[key] = value if isinstance(value, (dict, list)) else text
    if edit is not None:
        edit(document)
    values = {
        k: v if isinstance(v, str) else json.dumps(v, sort_keys=True) for k, v in document.items()
    }
    for key in SECRET_KEYS:
        values[key] = offline_secret(key, f"v1:ciphertext-of-{key}")
    return dataclasses.replace(
        base, values=values, secret_keys=tuple(sorted({*base.secret_keys, *SECRET_KEYS}))
    )


def extra_application(
    *, key: str = "api-token", exposure: Exposure = Exposure.INTERNAL, port: int = 8080
) -> Application:
    """One service per target reading a stack secret (`ConfigSecret`): the secret sits inside
    the Container App's `configuration`, beside its ingress."""
    return Application(
        name="extra",
        source="apps/extra.py",
        services=tuple(
            ServiceSpec(
                name=name,
                image="api:1.0@sha256:5555555555555555555555555555555555555555555555555555555555555555",
                target=target,
                ports=(Port(name="http", number=port),),
                secrets={"API_TOKEN": ConfigSecret(key=key)},
                ingress=Ingress(exposure=exposure)
                if target is Target.CONTAINER_APPS
                else Ingress(),
                # prod (AKS Deployment Safeguards) requires a liveness probe
                probes=Probes(liveness=TcpProbe()),
            )
            for name, target in (("aks-api", Target.AKS), ("aca-api", Target.CONTAINER_APPS))
        ),
    )


def extra(**changes: Any) -> AppsEdit:
    """Replace the extra application by one built with these changes."""

    def edit(apps: Apps) -> Apps:
        return [a for a in apps if a.name != "extra"] + [extra_application(**changes)]

    return edit


def plan(
    stack: str, apps: AppsEdit | None = None, config: ConfigEdit | None = None
) -> dict[str, Any]:
    """The stack's plan with `apps/` plus the extra application, after the given edits."""
    applications = [*load_applications(), extra_application()]
    edited = apps(list(applications)) if apps else applications
    return to_snapshot(run_offline(stack_config(stack, config), lambda: build(applications=edited)))


def service(name: str, **changes: Any) -> AppsEdit:
    """Replace fields of one service (by name) in whatever application declares it."""

    def edit(apps: Apps) -> Apps:
        found = False
        result = []
        for app in apps:
            services = []
            for declared in app.services:
                if declared.name == name:
                    found = True
                    declared = dataclasses.replace(declared, **changes)  # noqa: PLW2901
                services.append(declared)
            result.append(dataclasses.replace(app, services=tuple(services)))
        assert found, f"no service {name}"
        return result

    return edit


def services(edit: Callable[[Sequence[ServiceSpec]], Sequence[ServiceSpec]]) -> AppsEdit:
    """Edit the storefront's service list (add, remove, reorder)."""

    def apply(apps: Apps) -> Apps:
        return [dataclasses.replace(a, services=tuple(edit(a.services))) for a in apps]

    return apply


def spec(name: str) -> ServiceSpec:
    return next(s for a in load_applications() for s in a.services if s.name == name)


def setting(key: str, *path: str, value: Any) -> ConfigEdit:
    """Set `platform:<key>` (or a path inside it) as an edit of the stack file would."""

    def edit(document: dict[str, Any]) -> None:
        full = f"platform:{key}"
        if not path:
            document[full] = value if isinstance(value, (dict, list)) else _text(value)
            return
        target = document[full]
        for part in path[:-1]:
            target = target.setdefault(part, {})
        target[path[-1]] = value

    return edit


def _text(value: Any) -> str:
    return ("true" if value else "false") if isinstance(value, bool) else str(value)


@dataclass(frozen=True)
class Edit:
    """One reviewer's edit and the step `pulumi preview --diff` would show per resource."""

    id: str
    stack: str
    expected: Mapping[str, str]
    """`name` (or `Type:name` where names repeat) -> create/update/replace/delete; every other
    resource unchanged."""
    apps: AppsEdit | None = None
    config: ConfigEdit | None = None
    why: str = ""


def operations(result: PlanDiff) -> dict[str, str]:
    """Each changed resource's operation, keyed `Kind:name`."""
    return {f"{c.type.rsplit(':', 1)[-1]}:{c.name}": c.operation.value for c in result.changes}
