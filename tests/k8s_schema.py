"""Validate rendered Kubernetes objects, strictly: built-in kinds against the Kubernetes OpenAPI
schema of the stacks' cluster versions (kubernetes-validate, `KUBERNETES_VERSIONS`), CRDs against the schemas below.

The CRD schemas are written here from the fields each CRD documents (KEDA, the Secrets Store
CSI driver, the AKS app routing operator), limited to what the platform renders and with
`additionalProperties: false`, so a misspelt field fails the test instead of being dropped by
the API server.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import jsonschema
import kubernetes_validate

from infra.aks_versions import minor_of
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
    ("keda.sh/v1alpha1", "TriggerAuthentication"): _crd(
        _object(
            {
                "podIdentity": _object(
                    {
                        "provider": {"enum": ["none", "azure-workload", "aws", "aws-eks", "gcp"]},
                        "identityId": {"type": "string"},
                        "identityTenantId": {"type": "string"},
                        "identityAuthorityHost": {"type": "string"},
                    },
                    ["provider"],
                )
            },
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


GATEWAY_API_SCHEMAS = Path(__file__).parent / "schemas" / "gateway-api-v1.6.1-standard.json"
"""The `openAPIV3Schema` of the Gateway, HTTPRoute, GRPCRoute and GatewayClass CRDs (`v1`) and
the ReferenceGrant CRD (`v1beta1`, still served and the storage version; `v1` is served too) of
the Gateway API standard channel, v1.6.1 (commit 8bb74df), copied verbatim (with each CRD's
scope, under `kinds`) from
https://github.com/kubernetes-sigs/gateway-api/tree/v1.6.1/config/crd/standard: the version
Envoy Gateway v1.9 is built on and installs locally (its compatibility matrix); on AKS the ALB
controller 1.13.0 installs v1.6.2, a patch release of the same minor."""


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


def _gateway_api_schemas() -> dict[tuple[str, str], dict[str, Any]]:
    vendored = json.loads(GATEWAY_API_SCHEMAS.read_text())
    schemas: dict[tuple[str, str], dict[str, Any]] = {}
    for kind, schema in vendored["schemas"].items():
        # `kinds` names the served version each schema is of (ReferenceGrant: v1beta1, the one
        # the platform renders) and the CRD's scope (GatewayClass is cluster-scoped).
        facts = vendored["kinds"][kind]
        closed = _closed(schema)
        # The CRD leaves `metadata` to the API server (`type: object`): check it as for the
        # other CRDs, with a namespace exactly when the kind is namespaced.
        required = ["name", "namespace"] if facts["scope"] == "Namespaced" else ["name"]
        metadata = {**_METADATA, "required": required}
        if facts["scope"] != "Namespaced":
            metadata["properties"] = {
                k: v for k, v in _METADATA["properties"].items() if k != "namespace"
            }
        closed["properties"]["metadata"] = metadata
        closed["required"] = ["apiVersion", "kind", "metadata", "spec"]
        schemas[(facts["apiVersion"], kind)] = closed
    return schemas


CRD_SCHEMAS.update(_gateway_api_schemas())

ENVOY_PROXY_SCHEMA = Path(__file__).parent / "schemas" / "envoy-gateway-v1.9.0-envoyproxy.json"
"""The `openAPIV3Schema` of Envoy Gateway's EnvoyProxy CRD (`gateway.envoyproxy.io/v1alpha1`, its
only version) at the pinned release, copied verbatim from
https://github.com/envoyproxy/gateway/blob/v1.9.0/charts/gateway-helm/charts/crds/crds/generated/
gateway.envoyproxy.io_envoyproxies.yaml (commit 39763b1; the copy gateway-crds-helm renders,
templates/generated/, is the same CRD), closed like the Gateway API ones."""


def _envoy_proxy_schema() -> dict[tuple[str, str], dict[str, Any]]:
    vendored = json.loads(ENVOY_PROXY_SCHEMA.read_text())
    closed = _closed(vendored["schema"])
    closed["properties"]["metadata"] = {**_METADATA, "required": ["name", "namespace"]}
    closed["required"] = ["apiVersion", "kind", "metadata", "spec"]
    return {(vendored["apiVersion"], vendored["kind"]): closed}


CRD_SCHEMAS.update(_envoy_proxy_schema())


def validate_object(obj: dict[str, Any]) -> None:
    """Raise if the object is not valid for its kind (strict: unknown fields are errors)."""
    obj = normalise(obj)
    key = (obj.get("apiVersion"), obj.get("kind"))
    if key in CRD_SCHEMAS:
        jsonschema.validate(obj, CRD_SCHEMAS[key])  # type: ignore[arg-type]
        if key == ("keda.sh/v1alpha1", "ScaledJob"):
            job = {
                "apiVersion": "batch/v1",
                "kind": "Job",
                "metadata": {"name": obj["metadata"]["name"]},
                "spec": obj["spec"]["jobTargetRef"],
            }
            for version in KUBERNETES_VERSIONS:
                kubernetes_validate.validate(job, version, strict=True)
        return
    for version in KUBERNETES_VERSIONS:
        kubernetes_validate.validate(obj, version, strict=True)
