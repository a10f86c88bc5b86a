"""Per-environment overrides as patches: what an override sets wins, the rest is inherited.

Field-wise merge, recursively: for each field the override's constructor was given
(`spec.explicit_fields`), a nested declaration of the same class as the base's value is merged
field by field in turn; a mapping (`env`) is merged key by key; anything else (a value, a tuple,
`None`, a declaration of another class such as a StorageQueue replacing a ServiceBusQueue)
replaces the base's value. So `Override(autoscaling=Autoscaling(min_replicas=3))` keeps the
base's triggers, and `Autoscaling(cpu_utilization=None)` turns the CPU trigger off.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from typing import Any, TypeVar

from infra.services.spec import explicit_fields

_T = TypeVar("_T")


def _given(patch: Any) -> list[str]:
    names = [f.name for f in dataclasses.fields(patch)]
    given = explicit_fields(patch)
    return names if given is None else [n for n in names if n in given]


def merged(base: Any, value: Any) -> Any:
    """`value` applied over `base` (one field's worth)."""
    if (
        dataclasses.is_dataclass(value)
        and not isinstance(value, type)
        and type(value) is type(base)
    ):
        return patched(base, value)
    if isinstance(base, Mapping) and isinstance(value, Mapping):
        return {**base, **value}
    return value


def patched(base: _T, patch: Any) -> _T:
    """`base` with every field `patch` was given applied, field-wise. `patch` may be of another
    class (an `Override` over a `ServiceSpec`): fields `base` does not have are ignored."""
    own = {f.name for f in dataclasses.fields(base)}  # type: ignore[arg-type]
    changes = {
        name: merged(getattr(base, name), getattr(patch, name))
        for name in _given(patch)
        if name in own
    }
    return dataclasses.replace(base, **changes) if changes else base  # type: ignore[type-var]


ENVIRONMENT_PLACEHOLDER = "{environment}"
"""Filled with the stack's environment in a service's host and certificate, so one declaration
serves every stack (`admin.{environment}.shop.internal`), as queue and scope ids already do."""


def _with_environment(declared: _T, environment: str) -> _T:
    """`declared` with `{environment}` filled in its ingress host and certificate."""
    ingress: Any = getattr(declared, "ingress", None)
    if ingress is None or not dataclasses.is_dataclass(type(ingress)):
        return declared
    changes: dict[str, Any] = {}
    host = getattr(ingress, "host", None)
    if isinstance(host, str) and ENVIRONMENT_PLACEHOLDER in host:
        changes["host"] = host.replace(ENVIRONMENT_PLACEHOLDER, environment)
    tls: Any = getattr(ingress, "tls", None)
    uri = getattr(tls, "key_vault_certificate_uri", None)
    if isinstance(uri, str) and ENVIRONMENT_PLACEHOLDER in uri:
        filled = uri.replace(ENVIRONMENT_PLACEHOLDER, environment)
        changes["tls"] = dataclasses.replace(tls, key_vault_certificate_uri=filled)
    if not changes:
        return declared
    whole: Any = declared
    return dataclasses.replace(whole, ingress=dataclasses.replace(ingress, **changes))


def for_environment(declared: _T, environment: str) -> _T:
    """The declaration as it runs in `environment`: its override for that environment (if any)
    applied as a patch, then `{environment}` filled in its host and certificate. Call it on the
    declaration as written (before validation rebuilds it), which is what remembers the fields
    each constructor was given."""
    overrides = getattr(declared, "overrides", None)
    override = overrides.get(environment) if isinstance(overrides, Mapping) else None
    if override is not None and dataclasses.is_dataclass(override):
        declared = patched(declared, override)
    return _with_environment(declared, environment)
