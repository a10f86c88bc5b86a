"""The KEDA scalers a `KedaScaler` may name, and what each refuses, read from the parameter lists
vendored under `upstream/keda-scalers/` (kedacore/keda v2.19.0, the AKS add-on's KEDA on the
stacks' Kubernetes 1.36; see that folder's SOURCE.md).

Each parameter's `order` says where KEDA reads it: `triggerMetadata` (the trigger's metadata),
`authParams` (a TriggerAuthentication, or a Container Apps scale rule's `auth`) or `resolvedEnv`
(a `<name>FromEnv` key naming a container variable). A parameter neither `optional` nor with a
`default` is required (`pkg/scalers/scalersconfig/typed_config.go`). KEDA ignores unknown keys
(it only logs them behind a feature flag), so a misspelt one would silently fall back to the
default: refused here, with the closest name.

The platform's own choices, on top of KEDA's:
- Secrets come from Key Vault through `auth`, never from metadata: `SECRET_PARAMETERS` are refused
  in metadata (a connection string carries the broker's password).
- `<name>FromEnv` is refused: a Container Apps scaler cannot read the container's variables, and
  on AKS the variable would be a second copy of a secret `auth` already names.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

from infra.input_errors import did_you_mean

SCALERS_DIR = Path(__file__).resolve().parents[2] / "upstream" / "keda-scalers"

SECRET_PARAMETERS = frozenset({"host", "username", "password", "key", "keyPassword", "cert", "ca"})
"""Parameters that carry a credential (or, for `host`, a URI with one): `auth` only."""


@dataclass(frozen=True)
class Parameter:
    name: str
    order: tuple[str, ...]
    optional: bool
    default: str | None

    @property
    def required(self) -> bool:
        return not self.optional and self.default is None

    @property
    def in_metadata(self) -> bool:
        return "triggerMetadata" in self.order

    @property
    def in_auth(self) -> bool:
        return "authParams" in self.order


@dataclass(frozen=True)
class Scaler:
    type: str
    parameters: Mapping[str, Parameter]
    facts: Mapping[str, Any]
    """The rest of the vendored file (enums, mode rules), for the type's own checks."""
    source: str


@lru_cache(maxsize=1)
def scalers() -> dict[str, Scaler]:
    """Every vendored scaler, by KEDA trigger type."""
    found: dict[str, Scaler] = {}
    for path in sorted(SCALERS_DIR.glob("*.json")):
        data = json.loads(path.read_text())
        parameters = {
            name: Parameter(
                name,
                tuple(p["order"]),
                bool(p.get("optional", False)),
                p.get("default"),
            )
            for name, p in data["parameters"].items()
        }
        found[data["type"]] = Scaler(
            data["type"], parameters, data, f"{data['source']} {data['tag']}"
        )
    return found


@dataclass(frozen=True)
class ScalerProblem:
    field: str
    """Relative to the trigger: `type`, `metadata.<key>`, `auth.<key>`, `metadata`."""
    value: object
    problem: str
    fix: str


def _suggest(word: str, names: list[str]) -> str:
    close = did_you_mean(word, names)
    return f"did you mean {close[0]!r}?" if close else f"use one of: {', '.join(sorted(names))}"


def check(
    type_: str, metadata: Mapping[str, str], auth: Mapping[str, object]
) -> list[ScalerProblem]:
    """Every problem of one trigger against its scaler's vendored parameters, at once."""
    known = scalers()
    scaler = known.get(type_)
    if scaler is None:
        close = did_you_mean(type_, list(known))
        hint = f"did you mean {close[0]!r}? " if close else ""
        return [
            ScalerProblem(
                "type",
                type_,
                "is not a KEDA scaler the platform has the parameters of "
                f"(vendored: {', '.join(sorted(known))})",
                f"{hint}or vendor the scaler's parameters under upstream/keda-scalers/",
            )
        ]
    found: list[ScalerProblem] = []
    params = scaler.parameters
    metadata_names = [n for n, p in params.items() if p.in_metadata and n not in SECRET_PARAMETERS]
    auth_names = [n for n, p in params.items() if p.in_auth]
    for key, value in metadata.items():
        if key.endswith("FromEnv") and key[: -len("FromEnv")] in params:
            found.append(
                ScalerProblem(
                    f"metadata.{key}",
                    value,
                    "reads a container variable, which a Container Apps scaler cannot, and "
                    "which on AKS would copy a secret",
                    f'declare it as auth={{"{key[: -len("FromEnv")]}": KeyVaultSecret(...)}}',
                )
            )
        elif key in SECRET_PARAMETERS and key in params:
            found.append(
                ScalerProblem(
                    f"metadata.{key}",
                    "<hidden>",
                    "is a credential (or a URI carrying one): it would be a literal in the "
                    "scaler's configuration",
                    f'put it in Key Vault and declare auth={{"{key}": KeyVaultSecret(name=...)}}',
                )
            )
        elif key not in params or not params[key].in_metadata:
            where = " (it is an auth parameter)" if key in auth_names else ""
            found.append(
                ScalerProblem(
                    f"metadata.{key}",
                    value,
                    f"is not a metadata parameter of the KEDA {type_} scaler{where}; KEDA would "
                    "ignore it",
                    _suggest(key, metadata_names)
                    if not where
                    else f'declare it as auth={{"{key}": KeyVaultSecret(...)}}',
                )
            )
    for key in auth:
        if key not in params or not params[key].in_auth:
            found.append(
                ScalerProblem(
                    f"auth.{key}",
                    None,
                    f"is not an authentication parameter of the KEDA {type_} scaler",
                    _suggest(key, auth_names),
                )
            )
    for name, param in params.items():
        if not param.required or name in metadata or name in auth:
            continue
        if param.in_metadata and name not in SECRET_PARAMETERS:
            fix = f'set metadata["{name}"]'
        else:
            fix = f'declare auth={{"{name}": KeyVaultSecret(name=<secret holding it>)}}'
        found.append(
            ScalerProblem(
                "auth" if fix.startswith("declare") else "metadata",
                None,
                f"lacks {name!r}, which the KEDA {type_} scaler requires",
                fix,
            )
        )
    own = TYPE_RULES.get(type_)
    if own is not None:
        found.extend(own(scaler, metadata, auth))
    return found


def _rabbitmq(
    scaler: Scaler, metadata: Mapping[str, str], auth: Mapping[str, object]
) -> Iterator[ScalerProblem]:
    """`rabbitMQMetadata.Validate` and `validateTrigger` (rabbitmq_scaler.go, v2.19.0) as far as
    they can be judged without the host, which is a secret: its scheme (amqp or http) is unknown
    here, so what needs http needs `protocol: http` said in metadata."""
    enums: Mapping[str, list[str]] = scaler.facts["enums"]
    for key, allowed in enums.items():
        if key in metadata and metadata[key] not in allowed:
            yield ScalerProblem(
                f"metadata.{key}",
                metadata[key],
                f"is not one of {', '.join(allowed)}",
                _suggest(metadata[key], allowed),
            )
    mode, value = metadata.get("mode"), metadata.get("value")
    if "queueLength" in metadata and (mode is not None or value is not None):
        yield ScalerProblem(
            "metadata.queueLength",
            metadata["queueLength"],
            "is deprecated and KEDA refuses it beside mode/value",
            "drop queueLength; use mode and value",
        )
    elif mode is not None and value is None:
        yield ScalerProblem(
            "metadata.value", None, f"is required with mode {mode}", 'set metadata["value"]'
        )
    elif value is not None and mode is None:
        yield ScalerProblem(
            "metadata.mode", None, "is required with value", 'set metadata["mode"] (QueueLength)'
        )
    for key in ("value", "activationValue", "queueLength"):
        if key in metadata:
            try:
                number = float(metadata[key])
            except ValueError:
                number = None
            if number is None or (key != "activationValue" and number <= 0):
                yield ScalerProblem(
                    f"metadata.{key}",
                    metadata[key],
                    "must be a number above 0" if key != "activationValue" else "must be a number",
                    'use e.g. "10"',
                )
    http = metadata.get("protocol") == "http"
    if mode in scaler.facts["httpOnlyModes"] and not http:
        yield ScalerProblem(
            "metadata.mode",
            mode,
            "needs the http protocol (the management API); KEDA refuses it over AMQP",
            'set metadata["protocol"] = "http" and a host URI on the management port',
        )
    for key in scaler.facts["httpOnlyParameters"]:
        if (key in metadata or key in auth) and not http:
            yield ScalerProblem(
                f"{'auth' if key in auth else 'metadata'}.{key}",
                metadata.get(key),
                "works over the http protocol only; KEDA refuses it over AMQP",
                f'set metadata["protocol"] = "http", or drop {key}',
            )
    if ("username" in auth) != ("password" in auth):
        yield ScalerProblem(
            "auth", None, "has one of username/password: KEDA needs both", "declare both or neither"
        )
    if ("cert" in auth) != ("key" in auth):
        yield ScalerProblem(
            "auth", None, "has one of cert/key: KEDA needs both", "declare both or neither"
        )


TYPE_RULES: dict[
    str,
    Callable[[Scaler, Mapping[str, str], Mapping[str, object]], Iterator[ScalerProblem]],
] = {"rabbitmq": _rabbitmq}
"""Cross-field rules of a scaler type beyond its parameter list, each citing its upstream code."""
