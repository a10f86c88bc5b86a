"""Which property changes make a provider replace a resource rather than update it in place.

Offline there is no provider to ask, so each provider's own rule is followed, from its source:

- **pulumi-kubernetes** (`provider/pkg/provider/diff.go`, `forceNewProperties`; `provider.go`,
  `Diff`): any object is replaced when `metadata.name` or `metadata.namespace` changes; per kind,
  the fields of its `forceNew` table below (a Deployment's `spec.selector`, a Service's
  `spec.clusterIP` — not `spec.type`); a Secret's `type`/`data`/`stringData` and a ConfigMap's
  `data`/`binaryData` unless the provider enables mutable Secrets/ConfigMaps. The table is
  transcribed from that file as of pulumi-kubernetes 4.x; its StatefulSet row
  (`podManagementPolicy`, `revisionHistoryLimit`, `selector`, `serviceName`,
  `volumeClaimTemplates`) re-read at 94977969d641 (v4.32.0+27, 2026-07-01) on 2026-12-07. Every
  StatefulSet spec field the API server forbids to update is in it
  (`tests/test_simulate_rules.py`), so a preview shows such a change as the replacement it is.
- **pulumi-kubernetes provider configuration** (`provider.go`, `DiffConfig`): see
  `provider_replaced`.
- **pulumi-azure-native** (`provider/pkg/provider/diff.go`, `calculateDetailedDiff`): every
  parameter of the resource's URL path (its name, its parents' names, resource group, scope)
  and every property the provider marks `ForceNew`. The URL parameters are derived from the
  installed SDK: each resource's `get<Resource>` function takes exactly its URL's parameters (plus
  a few query parameters, listed below). `ForceNew` comes from the Azure REST specs
  (`x-ms-mutability` without `update`) and the provider's `forceNewMap`
  (`provider/pkg/gen/replacement.go`), neither of which ships in the SDK: they are the reviewed
  table `AZURE_FORCE_NEW`, for the resource types this platform uses. `location` (ARM's
  `TrackedResource.location` is create-only) forces replacement for every type.
- The engine's own rules (`pkg/resource/deploy/step_generator.go`): a `replaceOnChanges` option
  path turns a change at or below it into a replacement.
"""

from __future__ import annotations

import functools
import importlib.util
import re
from collections.abc import Mapping
from enum import StrEnum
from pathlib import Path
from typing import Any

from infra.plan.kinds import (
    CONTAINER_APP,
    KUBERNETES_PROVIDER,
    MANAGED_CLUSTER,
    MANAGED_ENVIRONMENT,
    PRIVATE_ENDPOINT,
    PUBLIC_IP_ADDRESS,
    ROLE_ASSIGNMENT,
)

PathKey = tuple[str | int, ...]


class ChangeKind(StrEnum):
    """How a value differs, in the provider's terms (they decide differently per kind)."""

    UPDATE = "update"
    """A value changed (or became unknown)."""
    ADD = "add"
    """An object key was added."""
    REMOVE = "remove"
    """An object key was removed."""
    ADD_ITEM = "add-item"
    """A list grew."""
    REMOVE_ITEM = "remove-item"
    """A list shrank."""


def dotted(path: PathKey) -> str:
    """`spec.template.spec.containers[0].image`, as Pulumi displays a property path."""
    text = ""
    for part in path:
        if isinstance(part, int):
            text += f"[{part}]"
        else:
            text += f".{part}" if text else part
    return text


# ----- pulumi-kubernetes ---------------------------------------------------------------------

_LABEL_SELECTOR = (
    ".matchExpressions",
    ".matchExpressions.key",
    ".matchExpressions.operator",
    ".matchExpressions.values",
    ".matchLabels",
)


def _selector(prefix: str) -> tuple[str, ...]:
    return (prefix, *(prefix + p for p in _LABEL_SELECTOR))


_CONTAINER_FIELDS = (
    "args",
    "command",
    "env",
    "env.value",
    "image",
    "imagePullPolicy",
    "lifecycle",
    "livenessProbe",
    "ports",
    "readinessProbe",
    "resources",
    "securityContext",
    "stdin",
    "stdinOnce",
    "terminationMessagePath",
    "terminationMessagePolicy",
    "tty",
    "volumeDevices",
    "volumeMounts",
    "workingDir",
)
_POD_FIELDS = (
    ".spec.affinity",
    ".spec.automountServiceAccountToken",
    ".spec.dnsConfig",
    ".spec.dnsPolicy",
    ".spec.enableServiceLinks",
    ".spec.hostAliases",
    ".spec.hostIPC",
    ".spec.hostNetwork",
    ".spec.hostPID",
    ".spec.hostname",
    ".spec.imagePullSecrets",
    ".spec.nodeName",
    ".spec.nodeSelector",
    ".spec.overhead",
    ".spec.preemptionPolicy",
    ".spec.priority",
    ".spec.priorityClassName",
    ".spec.readinessGates",
    ".spec.restartPolicy",
    ".spec.runtimeClassName",
    ".spec.schedulerName",
    ".spec.securityContext",
    ".spec.serviceAccount",
    ".spec.serviceAccountName",
    ".spec.shareProcessNamespace",
    ".spec.subdomain",
    ".spec.terminationGracePeriodSeconds",
    ".spec.volumes",
    *(
        f"{container}.{f}"
        for container in (".spec.containers[*]", ".spec.initContainers[*]")
        for f in _CONTAINER_FIELDS
    ),
)
_DEPLOYMENT = _selector(".spec.selector")
_STATEFUL_SET = (
    ".spec.podManagementPolicy",
    ".spec.revisionHistoryLimit",
    ".spec.serviceName",
    ".spec.volumeClaimTemplates",
    *_selector(".spec.selector"),
)
_JOB = (".spec.completions", ".spec.parallelism", ".spec.template", *_selector(".spec.selector"))
_ROLE_BINDING = (".roleRef",)
_CORE_V1: dict[str, tuple[str, ...]] = {
    "PersistentVolume": tuple(
        f".spec.{v}"
        for v in (
            *("awsElasticBlockStore", "azureDisk", "azureFile", "cephfs", "cinder", "csi"),
            *("fc", "flexVolume", "flocker", "gcePersistentDisk", "glusterfs", "hostPath"),
            *("iscsi", "local", "nfs", "photonPersistentDisk", "portworxVolume", "quobyte"),
            *("rbd", "scaleIO", "storageos", "vsphereVolume"),
        )
    ),
    "PersistentVolumeClaim": (
        ".spec.accessModes",
        ".spec.storageClassName",
        ".spec.volumeName",
        *_selector(".spec.selector"),
    ),
    "Pod": _POD_FIELDS,
    "ResourceQuota": (".spec.scopes",),
    "Secret": (".type",),
    "Service": (".spec.clusterIP",),
}
# group -> version -> kind -> force-new field paths (`[*]`: any list index).
KUBERNETES_FORCE_NEW: dict[str, dict[str, dict[str, tuple[str, ...]]]] = {
    "apps": {
        "v1beta1": {"StatefulSet": _STATEFUL_SET},
        **{
            v: {"DaemonSet": _DEPLOYMENT, "Deployment": _DEPLOYMENT, "StatefulSet": _STATEFUL_SET}
            for v in ("v1beta2", "v1")
        },
    },
    "core": {"v1": _CORE_V1},
    "policy": {"v1beta1": {"PodDisruptionBudget": (".spec",)}},
    "rbac.authorization.k8s.io": {
        v: {"ClusterRoleBinding": _ROLE_BINDING, "RoleBinding": _ROLE_BINDING}
        for v in ("v1alpha1", "v1beta1", "v1")
    },
    "storage.k8s.io": {"v1": {"StorageClass": (".parameters", ".provisioner")}},
    "batch": {v: {"Job": _JOB} for v in ("v1beta1", "v1", "v2alpha1")},
}
_METADATA = (".metadata.name", ".metadata.namespace")


def kubernetes_force_new(
    token: str, inputs: Mapping[str, Any], provider_inputs: Mapping[str, Any]
) -> tuple[str, ...]:
    """`forceNewProperties` for one object: its kind's fields plus name and namespace."""
    _, group_version, kind = token.split(":", 2)
    group, _, version = group_version.rpartition("/")
    group = group or "core"
    fields: list[str] = list(_METADATA)
    versions = KUBERNETES_FORCE_NEW.get(group)
    if versions is None or version not in versions:
        return tuple(fields)
    immutable = inputs.get("immutable") is True
    is_core = group == "core"
    mutable_secrets = _flag(provider_inputs, "enableSecretMutable")
    if is_core and kind == "Secret" and (not mutable_secrets or immutable):
        fields += [".type", ".stringData", ".data"]
    elif kind in versions[version]:
        fields.extend(versions[version][kind])
    elif (
        is_core
        and kind == "ConfigMap"
        and (not _flag(provider_inputs, "enableConfigMapMutable") or immutable)
    ):
        fields += [".binaryData", ".data"]
    return tuple(fields)


def _flag(inputs: Mapping[str, Any], key: str) -> bool:
    value = inputs.get(key)
    return value is True or value == "true"


def _field_tokens(field: str) -> list[str | None]:
    """`.spec.containers[*].image` -> ["spec", "containers", None, "image"] (None: any index)."""
    tokens: list[str | None] = []
    for part in field.lstrip(".").split("."):
        name, star, _ = part.partition("[*]")
        tokens.append(name)
        if star:
            tokens.append(None)
    return tokens


def _kubernetes_matches(field: str, path: PathKey) -> bool:
    """A change replaces when it lies at or below a force-new field, or contains one (a whole
    object added, removed or unknown)."""
    tokens = _field_tokens(field)
    for want, have in zip(tokens, path, strict=False):
        if want is None:
            if not isinstance(have, int):
                return False
        elif want != have:
            return False
    return True


# ----- pulumi-azure-native -------------------------------------------------------------------


@functools.cache
def _azure_sdk() -> Path:
    """The installed pulumi-azure-native package (found, not imported: it is large)."""
    spec = importlib.util.find_spec("pulumi_azure_native")
    if spec is None or not spec.submodule_search_locations:
        raise LookupError("pulumi-azure-native is not installed")
    return Path(next(iter(spec.submodule_search_locations)))


AZURE_QUERY_PARAMETERS = frozenset({"expand", "tenantId"})
"""Arguments of `get<Resource>` functions that are query parameters, not URL path parameters
(`$expand` on network reads; `tenantId` on role assignment reads, for cross-tenant requests)."""

AZURE_FORCE_NEW: dict[str, frozenset[str]] = {
    # provider forceNewMap: principalId, scope.
    ROLE_ASSIGNMENT: frozenset({"principalId", "scope"}),
    # provider forceNewMap (ManagedCluster pass; networkProfile sub-properties only, see
    # pulumi-azure-native#4756). Agent pool profile fields are not force-new (#2774): Azure
    # refuses a vmSize change in place, which a preview cannot see.
    MANAGED_CLUSTER: frozenset(
        {
            "diskEncryptionSetID",
            "dnsPrefix",
            "fqdnSubdomain",
            "linuxProfile",
            "nodeResourceGroup",
            "windowsProfile",
            *(
                f"networkProfile.{p}"
                for p in (
                    "serviceCidr",
                    "serviceCidrs",
                    "dnsServiceIP",
                    "networkMode",
                    "networkPlugin",
                    "networkPluginMode",
                    "podCidr",
                    "networkDataplane",
                    "networkPolicy",
                    "outboundType",
                )
            ),
        }
    ),
    # provider forceNewMap.
    PRIVATE_ENDPOINT: frozenset({"subnet"}),
    PUBLIC_IP_ADDRESS: frozenset({"publicIPAddressVersion", "publicIPPrefix", "sku"}),
    # Microsoft.App spec: managedEnvironmentId and environmentId carry x-ms-mutability
    # [create, read] (checked against a copy of the spec).
    CONTAINER_APP: frozenset({"managedEnvironmentId", "environmentId"}),
    # An environment's network and zone redundancy are fixed at creation (Container Apps
    # networking docs); the spec's x-ms-mutability for these was not re-checked here: review
    # against specification/app/resource-manager/Microsoft.App when upgrading the provider.
    MANAGED_ENVIRONMENT: frozenset(
        {
            "zoneRedundant",
            "vnetConfiguration.infrastructureSubnetId",
            "vnetConfiguration.internal",
            "vnetConfiguration.dockerBridgeCidr",
            "vnetConfiguration.platformReservedCidr",
            "vnetConfiguration.platformReservedDnsIP",
        }
    ),
}
"""Force-new body properties per type, in the provider's replace-key form (`a`, `a.b`, `a[].b`).
Reviewed: sources named on each entry. Types not listed have no force-new body property here."""


@functools.cache
def azure_path_parameters(token: str) -> frozenset[str]:
    """The resource's URL path parameters, from its SDK `get<Resource>` function's arguments
    (read from the installed SDK's source, without importing it)."""
    _, module, kind = token.split(":", 2)
    folder = _azure_sdk() / module
    needle = f"'azure-native:{module}:get{kind}'"
    snake = re.sub(r"(?<!^)(?=[A-Z])", "_", kind).lower()
    candidates = [folder / f"get_{snake}.py", *sorted(folder.glob("get_*.py"))]
    for candidate in candidates:
        if not candidate.is_file():
            continue
        source = candidate.read_text()
        if needle in source:
            arguments = set(re.findall(r"__args__\['(\w+)'\]", source))
            return frozenset(arguments - AZURE_QUERY_PARAMETERS)
    raise LookupError(f"no get function for {token} in the installed pulumi-azure-native SDK")


def azure_replace_keys(token: str) -> frozenset[str]:
    return azure_path_parameters(token) | AZURE_FORCE_NEW.get(token, frozenset()) | {"location"}


def _replace_base(path: PathKey) -> str:
    """The provider's replace key for a path: list indexes become `[]`."""
    text = ""
    for part in path:
        text += "[]" if isinstance(part, int) else (f".{part}" if text else part)
    return text


def _azure_forces_replacement(token: str, path: PathKey, kind: ChangeKind) -> bool:
    """`calculateDetailedDiff`: a changed value replaces when its key, or an enclosing object's
    key, is a replace key; an added or removed key only by its own; list items never."""
    keys = azure_replace_keys(token)
    if kind in (ChangeKind.ADD_ITEM, ChangeKind.REMOVE_ITEM):
        return False
    if _replace_base(path) in keys:
        return True
    if kind is not ChangeKind.UPDATE:
        return False
    # Enclosing objects (not lists: the provider converts updates below an object only).
    return any(
        _replace_base(path[:i]) in keys for i in range(1, len(path)) if not isinstance(path[i], int)
    )


# ----- all providers -------------------------------------------------------------------------


def forces_replacement(
    token: str,
    path: PathKey,
    kind: ChangeKind,
    *,
    inputs: Mapping[str, Any] | None = None,
    provider_inputs: Mapping[str, Any] | None = None,
    replace_on_changes: tuple[str, ...] = (),
) -> bool:
    """Whether this change makes the resource's provider (or its replaceOnChanges option)
    replace it."""
    if any(_option_matches(option, path) for option in replace_on_changes):
        return True
    if token.startswith("kubernetes:") and not token.startswith("kubernetes:helm.sh/"):
        fields = kubernetes_force_new(token, inputs or {}, provider_inputs or {})
        return any(_kubernetes_matches(f, path) for f in fields)
    if token.startswith("azure-native:"):
        return _azure_forces_replacement(token, path, kind)
    return False


def _option_matches(option: str, path: PathKey) -> bool:
    """`replaceOnChanges`: the engine's `PropertyPath.Contains` (at or below; `*` any key)."""
    if option == "*":
        return True
    return len(path) >= len(_field_tokens(option)) and _kubernetes_matches(option, path)


def stable_on_update(token: str, output_path: PathKey) -> bool:
    """Whether an output keeps its value while its resource is updated in a preview.

    pulumi-azure-native previews an update's outputs as its inputs plus `name` and `location`
    (and the engine keeps the id); every other computed output is unknown until the update runs
    (`Update`, `req.GetPreview()`). Other providers' updates keep their outputs."""
    if token.startswith("azure-native:"):
        return output_path == () or output_path[:1] in (("name",), ("location",))
    return True


def provider_replaced(
    token: str, before: Mapping[str, Any], after: Mapping[str, Any], unknown: set[str]
) -> tuple[str, ...]:
    """The configuration keys for which a provider resource is replaced (`DiffConfig`), given
    its old and new inputs and the top-level keys that are unknown in this preview.

    pulumi-kubernetes: a changed `clusterIdentifier` replaces (added or removed does not); an
    unchanged one means nothing else replaces; without one, an unknown kubeconfig/context/cluster
    or a changed active cluster (offline: a changed kubeconfig) does, as does a changed
    `renderYamlToDirectory`."""
    if token != KUBERNETES_PROVIDER:
        return ()
    key = "clusterIdentifier"
    if key in before and key in after:
        if key in unknown or before[key] != after[key]:
            return (key,)
        return ()
    keys = [k for k in ("kubeconfig", "context", "cluster") if k in unknown]
    if keys:
        return tuple(keys)
    changed = [k for k in ("kubeconfig", "context", "cluster") if before.get(k) != after.get(k)]
    if before.get("renderYamlToDirectory") != after.get("renderYamlToDirectory"):
        changed.append("renderYamlToDirectory")
    return tuple(changed)
