"""Validate rendered Kubernetes objects, strictly: built-in kinds against the Kubernetes OpenAPI
schema of the stacks' cluster versions (kubernetes-validate, `KUBERNETES_VERSIONS`), CRDs
against the schemas below; the vendored Gateway API and EnvoyProxy CRDs (`upstream/`) against their OpenAPI schema *and* their
CEL rules (`x-kubernetes-validations`, evaluated by `infra/crds/cel.py`).

The CRD schemas are written here from the fields each CRD documents (KEDA, the Secrets Store
CSI driver, the AKS app routing operator), limited to what the platform renders and with
`additionalProperties: false`, so a misspelt field fails the test instead of being dropped by
the API server.
"""

from __future__ import annotations

import functools
import re
from typing import Any

import jsonschema
import jsonschema.exceptions
import jsonschema.validators
import kubernetes_validate
import kubernetes_validate.utils
import referencing

from infra.aks_versions import minor_of
from infra.crds.cel import violations as cel_violations
from infra.crds.vendored import vendored_crds
from infra.preview.stackfile import read_stack
from infra.simulate.scenario import parsed_config

AZURE_STACKS = ("dev", "prod")


def stack_kubernetes_minors(stacks: tuple[str, ...] = AZURE_STACKS) -> tuple[str, ...]:
    """The Kubernetes minors the stacks' clusters are created on (`platform:aks`
    kubernetesVersion), read from the stack files: rendered objects are validated against
    each, so a version bump in a stack file moves the schema with it."""
    minors = {
        minor_of(str(parsed_config(read_stack(stack).values)["platform:aks"]["kubernetesVersion"]))
        for stack in stacks
    }
    return tuple(sorted(minors))


KUBERNETES_VERSIONS = stack_kubernetes_minors()

_STRING_MAP = {"type": "object", "additionalProperties": {"type": "string"}}
_METADATA = {
    "type": "object",
    "required": ["name"],
    "properties": {
        "name": {"type": "string", "pattern": "^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$", "maxLength": 253},
        "namespace": {"type": "string"},
        "labels": _STRING_MAP,
        "annotations": _STRING_MAP,
    },
    "additionalProperties": False,
}


def _crd(spec: dict[str, Any], namespaced: bool = True) -> dict[str, Any]:
    metadata = dict(_METADATA)
    if namespaced:
        metadata = {**_METADATA, "required": ["name", "namespace"]}
    return {
        "type": "object",
        "required": ["apiVersion", "kind", "metadata", "spec"],
        "properties": {
            "apiVersion": {"type": "string"},
            "kind": {"type": "string"},
            "metadata": metadata,
            "spec": spec,
        },
        "additionalProperties": False,
    }


def _object(properties: dict[str, Any], required: list[str] | None = None) -> dict[str, Any]:
    return {
        "type": "object",
        "properties": properties,
        "required": required or [],
        "additionalProperties": False,
    }


_TRIGGER = _object(
    {
        "type": {"type": "string"},
        "name": {"type": "string"},
        "metadata": _STRING_MAP,
        "metricType": {"enum": ["AverageValue", "Value", "Utilization"]},
        "useCachedMetrics": {"type": "boolean"},
        "authenticationRef": _object(
            {
                "name": {"type": "string"},
                "kind": {"enum": ["TriggerAuthentication", "ClusterTriggerAuthentication"]},
            },
            ["name"],
        ),
    },
    ["type", "metadata"],
)

CRD_SCHEMAS: dict[tuple[str, str], dict[str, Any]] = {
    ("keda.sh/v1alpha1", "ScaledObject"): _crd(
        _object(
            {
                "scaleTargetRef": _object(
                    {
                        "name": {"type": "string"},
                        "kind": {"type": "string"},
                        "apiVersion": {"type": "string"},
                        "envSourceContainerName": {"type": "string"},
                    },
                    ["name"],
                ),
                "minReplicaCount": {"type": "integer", "minimum": 0},
                "maxReplicaCount": {"type": "integer", "minimum": 1},
                "idleReplicaCount": {"type": "integer", "minimum": 0},
                "pollingInterval": {"type": "integer", "minimum": 1},
                "cooldownPeriod": {"type": "integer", "minimum": 0},
                "initialCooldownPeriod": {"type": "integer", "minimum": 0},
                "triggers": {"type": "array", "minItems": 1, "items": _TRIGGER},
            },
            ["scaleTargetRef", "triggers"],
        )
    ),
    # keda.sh/docs/2.17/reference/scaledjob-spec: the fields KEDA documents. `jobTargetRef` is
    # a batch/v1 JobSpec: `validate_object` checks it against the Kubernetes schema as well.
    ("keda.sh/v1alpha1", "ScaledJob"): _crd(
        _object(
            {
                "jobTargetRef": {"type": "object"},
                "pollingInterval": {"type": "integer", "minimum": 1},
                "successfulJobsHistoryLimit": {"type": "integer", "minimum": 0},
                "failedJobsHistoryLimit": {"type": "integer", "minimum": 0},
                "envSourceContainerName": {"type": "string"},
                "minReplicaCount": {"type": "integer", "minimum": 0},
                "maxReplicaCount": {"type": "integer", "minimum": 1},
                "rollout": _object(
                    {
                        "strategy": {"enum": ["default", "gradual"]},
                        "propagationPolicy": {"enum": ["foreground", "background"]},
                    }
                ),
                "scalingStrategy": _object(
                    {
                        "strategy": {"enum": ["default", "custom", "accurate", "eager"]},
                        "customScalingQueueLengthDeduction": {"type": "integer"},
                        "customScalingRunningJobPercentage": {"type": "string"},
                        "pendingPodConditions": {"type": "array", "items": {"type": "string"}},
                        "multipleScalersCalculation": {"enum": ["max", "min", "avg", "sum"]},
                    }
                ),
                "triggers": {"type": "array", "minItems": 1, "items": _TRIGGER},
            },
            ["jobTargetRef", "triggers"],
        )
    ),
    ("secrets-store.csi.x-k8s.io/v1", "SecretProviderClass"): _crd(
        _object(
            {
                "provider": {"type": "string"},
                "parameters": _STRING_MAP,
                "secretObjects": {
                    "type": "array",
                    "items": _object(
                        {
                            "secretName": {"type": "string"},
                            "type": {"type": "string"},
                            "labels": _STRING_MAP,
                            "annotations": _STRING_MAP,
                            "data": {
                                "type": "array",
                                "items": _object(
                                    {"objectName": {"type": "string"}, "key": {"type": "string"}},
                                    ["objectName", "key"],
                                ),
                            },
                        },
                        ["secretName", "type", "data"],
                    ),
                },
            },
            ["provider", "parameters"],
        )
    ),
    ("approuting.kubernetes.azure.com/v1alpha1", "NginxIngressController"): _crd(
        _object(
            {
                "ingressClassName": {
                    "type": "string",
                    "pattern": "^[a-z0-9][-a-z0-9\\.]*[a-z0-9]$",
                    "maxLength": 253,
                },
                "controllerNamePrefix": {
                    "type": "string",
                    "pattern": "^[a-z0-9][-a-z0-9]*[a-z0-9]$",
                    "maxLength": 60,
                },
                "loadBalancerAnnotations": _STRING_MAP,
            },
            ["ingressClassName", "controllerNamePrefix"],
        ),
        namespaced=False,
    ),
}


def normalise(obj: Any) -> Any:
    """Objects captured under mocks carry numbers as floats: whole ones go back to ints."""
    if isinstance(obj, dict):
        return {k: normalise(v) for k, v in obj.items()}
    if isinstance(obj, list):
        return [normalise(v) for v in obj]
    if isinstance(obj, float) and obj.is_integer():
        return int(obj)
    return obj


_COMBINATORS = ("oneOf", "anyOf", "allOf", "not")


def _closed(schema: Any, *, branch: bool = False) -> Any:
    """Strict like `kubectl --validate=strict`: an object schema that lists its properties
    refuses any other one (the API server would silently prune it). The branches of
    `oneOf`/`anyOf`/`allOf`/`not` only add constraints to their parent's properties, so they
    stay open (closing them would refuse every field they do not repeat)."""
    if isinstance(schema, dict):
        closed: dict[str, Any] = {}
        for key, value in schema.items():
            if key in _COMBINATORS:
                closed[key] = _closed(value, branch=True)
            elif key == "properties":
                closed[key] = {name: _closed(sub) for name, sub in value.items()}
            else:
                closed[key] = _closed(value, branch=branch and key != "items")
        if "properties" in closed and "additionalProperties" not in closed and not branch:
            closed["additionalProperties"] = False
        return closed
    if isinstance(schema, list):
        return [_closed(item, branch=branch) for item in schema]
    return schema


def _vendored_schemas() -> dict[tuple[str, str], dict[str, Any]]:
    """The Gateway API and EnvoyProxy CRD schemas vendored under `upstream/` (see
    `infra/crds/vendored.py` and each folder's SOURCE.md), closed: strict like the others."""
    schemas: dict[tuple[str, str], dict[str, Any]] = {}
    for key, vendored in vendored_crds().items():
        closed = _closed(vendored.schema)
        # The CRD leaves `metadata` to the API server (`type: object`): check it as for the
        # other CRDs, with a namespace exactly when the kind is namespaced.
        metadata = {
            **_METADATA,
            "required": ["name", "namespace"] if vendored.namespaced else ["name"],
        }
        if not vendored.namespaced:
            metadata["properties"] = {
                k: v for k, v in _METADATA["properties"].items() if k != "namespace"
            }
        closed["properties"]["metadata"] = metadata
        closed["required"] = ["apiVersion", "kind", "metadata", "spec"]
        schemas[key] = closed
    return schemas


CRD_SCHEMAS.update(_vendored_schemas())


@functools.cache
def _kubernetes_validator(version: str, api_version: str, kind: str) -> Any:
    """kubernetes-validate's strict validator for one kind, built once per session.

    `kubernetes_validate.validate` reads and parses its schema files on every call (the strict
    `_definitions.json` alone is 1.3 MB per Kubernetes version) and resolves every `$ref`
    again: half the time of a test that validates a whole plan. This builds the same validator
    from the same files as `kubernetes_validate.utils.validate` (kubernetes-validate 1.37.0,
    pinned), once: the schema of the newest packaged version not newer than `version`, strict."""
    utils = kubernetes_validate.utils
    schema_version = [
        v for v in utils.all_versions() if utils.major_minor(v) <= utils.major_minor(version)
    ][-1]
    group = re.sub(r"^([^./]*)(?:\.[^/]*)?/", r"\1-", api_version)
    folder = f"kubernetes-json-schema/v{schema_version}-local-strict"
    try:
        schema = utils.schema_contents(f"{folder}/{kind.lower()}-{group}.json", version)
    except FileNotFoundError:
        raise kubernetes_validate.SchemaNotFoundError(
            version=utils.major_minor(version), kind=kind, api_version=api_version
        ) from None
    definitions = utils.schema_contents(f"{folder}/_definitions.json", version)
    registry = referencing.Resource.from_contents(definitions) @ (
        referencing.Resource.from_contents(schema) @ referencing.Registry()
    )
    return jsonschema.validators.Draft202012Validator(schema, registry=registry)


def _validate_kubernetes(obj: dict[str, Any], version: str) -> None:
    """`kubernetes_validate.validate(obj, version, strict=True)`, with the cached validator."""
    validator = _kubernetes_validator(version, obj["apiVersion"], obj["kind"])
    try:
        validator.validate(obj)
    except jsonschema.ValidationError as error:
        raise kubernetes_validate.ValidationError(
            error, version=kubernetes_validate.utils.major_minor(version)
        ) from None


@functools.cache
def _crd_validator(key: tuple[str, str]) -> Any:
    """The validator of one CRD schema, checked and built once: `jsonschema.validate` re-checks
    the (large) schema on every call."""
    schema = CRD_SCHEMAS[key]
    validator_class = jsonschema.validators.validator_for(schema)
    validator_class.check_schema(schema)
    return validator_class(schema)


class CelRuleViolation(AssertionError):
    """A rendered object that a vendored CRD's CEL rule (`x-kubernetes-validations`) refuses:
    the API server would refuse it on create."""


def validate_object(obj: dict[str, Any]) -> None:
    """Raise if the object is not valid for its kind (strict: unknown fields are errors)."""
    obj = normalise(obj)
    key = (obj.get("apiVersion"), obj.get("kind"))
    if key in CRD_SCHEMAS:
        error = jsonschema.exceptions.best_match(_crd_validator(key).iter_errors(obj))  # type: ignore[arg-type]
        if error is not None:
            raise error
        vendored = vendored_crds().get(key)  # type: ignore[arg-type]
        if vendored is not None:
            # The CEL rules of the vendored schema, as the API server runs them on create
            # (defaults applied first; transition rules skipped): `infra/crds/cel.py`.
            refused = cel_violations(obj, vendored.schema)
            if refused:
                name = obj["metadata"].get("name")
                raise CelRuleViolation(
                    f"{obj['kind']} {name!r} is refused by its CRD's CEL rules: "
                    + "; ".join(str(v) for v in refused)
                )
        if key == ("keda.sh/v1alpha1", "ScaledJob"):
            job = {
                "apiVersion": "batch/v1",
                "kind": "Job",
                "metadata": {"name": obj["metadata"]["name"]},
                "spec": obj["spec"]["jobTargetRef"],
            }
            for version in KUBERNETES_VERSIONS:
                _validate_kubernetes(job, version)
        return
    for version in KUBERNETES_VERSIONS:
        _validate_kubernetes(obj, version)
