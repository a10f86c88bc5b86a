"""The platform's rules, written once as plain functions over a resource's type and inputs.

No Pulumi imports: the same functions run in the offline plan (over snapshots) and in the
CrossGuard pack in `policy-pack/` (over live previews). Each rule has an id, a severity, a
one-line rationale; `infra/policy/exceptions.yaml` may exempt one service from one rule.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

SECRET_MASK = "[secret]"
SECRET_LOOKING = re.compile(
    r"(PASSWORD|PASSWD|SECRET|TOKEN|API_?KEY|PRIVATE_KEY|CONNECTION_?STRING)", re.I
)
VERSION_TAG = re.compile(r"^v?\d+(\.\d+){1,3}([-+][0-9A-Za-z.-]+)?$")
NAME_LABEL = "app.kubernetes.io/name"
PUBLIC_INGRESS_CLASS = "webapprouting.kubernetes.azure.com"

CLUSTER = "azure-native:containerservice:ManagedCluster"
REGISTRY = "azure-native:containerregistry:Registry"
WORKSPACE = "azure-native:operationalinsights:Workspace"
VAULT = "azure-native:keyvault:Vault"
CONTAINER_APP = "azure-native:app:ContainerApp"
CONTAINER_APP_JOB = "azure-native:app:Job"
DEPLOYMENT = "kubernetes:apps/v1:Deployment"
CRON_JOB = "kubernetes:batch/v1:CronJob"
SCALED_JOB = "kubernetes:keda.sh/v1alpha1:ScaledJob"
WORKLOADS = (DEPLOYMENT, CRON_JOB, SCALED_JOB)
"""Everything that runs pods: services' Deployments and jobs' CronJobs and ScaledJobs."""
CONTAINER_APPS = (CONTAINER_APP, CONTAINER_APP_JOB)
INGRESS = "kubernetes:networking.k8s.io/v1:Ingress"
HPA = "kubernetes:autoscaling/v2:HorizontalPodAutoscaler"
SCALED_OBJECT = "kubernetes:keda.sh/v1alpha1:ScaledObject"
PDB = "kubernetes:policy/v1:PodDisruptionBudget"
METRICS_WORKSPACE = "azure-native:monitor:AzureMonitorWorkspace"
SUBNET = "azure-native:network:Subnet"
STATEFUL = (CLUSTER, REGISTRY, WORKSPACE, VAULT, METRICS_WORKSPACE)


class Severity(StrEnum):
    MANDATORY = "mandatory"
    """Fails the offline plan and the policy pack."""
    ADVISORY = "advisory"
    """Reported, never blocking."""


@dataclass(frozen=True)
class PolicyResource:
    """What a rule sees: the same shape from a snapshot and from a CrossGuard preview."""

    type: str
    name: str
    inputs: Mapping[str, Any]
    protect: bool = False

    @property
    def service(self) -> str:
        """The service a resource belongs to, for exceptions and reports."""
        labels = (
            ((self.inputs.get("metadata") or {}).get("labels") or {})
            if isinstance(self.inputs.get("metadata"), dict)
            else {}
        )
        if labels.get(NAME_LABEL):
            return str(labels[NAME_LABEL])
        if self.type == CONTAINER_APP and self.inputs.get("containerAppName"):
            return str(self.inputs["containerAppName"])
        if self.type == CONTAINER_APP_JOB and self.inputs.get("jobName"):
            return str(self.inputs["jobName"])
        return "platform"


@dataclass(frozen=True)
class PolicyContext:
    environment: str

    @property
    def prod(self) -> bool:
        return self.environment == "prod"


ResourceCheck = Callable[[PolicyResource, PolicyContext], Iterable[str]]
StackCheck = Callable[[list[PolicyResource], PolicyContext], Iterable[tuple[PolicyResource, str]]]


@dataclass(frozen=True)
class Rule:
    id: str
    severity: Severity
    rationale: str
    types: tuple[str, ...]
    check: ResourceCheck | None = None
    stack_check: StackCheck | None = None
    environments: tuple[str, ...] = ()
    """Empty: every environment."""


@dataclass(frozen=True)
class Violation:
    rule: Rule
    resource: PolicyResource
    message: str
    excepted_by: str = ""
    """The exception's reason when one applies (reported, not enforced)."""

    @property
    def enforced(self) -> bool:
        return self.rule.severity is Severity.MANDATORY and not self.excepted_by


RULES: dict[str, Rule] = {}


def rule(
    rule_id: str,
    severity: Severity,
    rationale: str,
    *types: str,
    environments: tuple[str, ...] = (),
) -> Callable[[ResourceCheck], ResourceCheck]:
    def register(check: ResourceCheck) -> ResourceCheck:
        RULES[rule_id] = Rule(
            rule_id, severity, rationale, types, check=check, environments=environments
        )
        return check

    return register


def stack_rule(
    rule_id: str,
    severity: Severity,
    rationale: str,
    *types: str,
    environments: tuple[str, ...] = (),
) -> Callable[[StackCheck], StackCheck]:
    def register(check: StackCheck) -> StackCheck:
        RULES[rule_id] = Rule(
            rule_id, severity, rationale, types, stack_check=check, environments=environments
        )
        return check

    return register


def _get(obj: Any, path: str, default: Any = None) -> Any:
    for part in path.split("."):
        if not isinstance(obj, Mapping):
            return default
        obj = obj.get(part)
    return default if obj is None else obj


M = Severity.MANDATORY
A = Severity.ADVISORY

# ----- AKS -----------------------------------------------------------------------------------


@rule(
    "aks-local-accounts-disabled",
    M,
    "A static admin kubeconfig bypasses Entra ID and cannot be audited per person.",
    CLUSTER,
)
def _local_accounts(r: PolicyResource, _: PolicyContext) -> Iterable[str]:
    if r.inputs.get("disableLocalAccounts") is not True:
        yield "disableLocalAccounts must be true"


@rule(
    "aks-entra-rbac",
    M,
    "People and automation sign in with Entra ID, and Azure RBAC decides what they may do.",
    CLUSTER,
)
def _entra(r: PolicyResource, _: PolicyContext) -> Iterable[str]:
    if not (
        _get(r.inputs, "aadProfile.managed") is True
        and _get(r.inputs, "aadProfile.enableAzureRBAC") is True
    ):
        yield "aadProfile.managed and aadProfile.enableAzureRBAC must be true"


@rule(
    "aks-network-policy",
    M,
    "Without a network policy engine, NetworkPolicies are silently not enforced.",
    CLUSTER,
)
def _network_policy(r: PolicyResource, _: PolicyContext) -> Iterable[str]:
    if _get(r.inputs, "networkProfile.networkPolicy") not in ("cilium", "azure", "calico"):
        yield "networkProfile.networkPolicy must be cilium, azure or calico"


@rule(
    "aks-workload-identity",
    M,
    "Pods get Azure access through federated identities, never stored credentials.",
    CLUSTER,
)
def _workload_identity(r: PolicyResource, _: PolicyContext) -> Iterable[str]:
    if (
        _get(r.inputs, "oidcIssuerProfile.enabled") is not True
        or _get(r.inputs, "securityProfile.workloadIdentity.enabled") is not True
    ):
        yield "oidcIssuerProfile.enabled and securityProfile.workloadIdentity.enabled must be true"


@rule(
    "aks-upgrade-channel",
    M,
    "Clusters that are never upgraded fall out of support and miss security fixes.",
    CLUSTER,
)
def _upgrade(r: PolicyResource, _: PolicyContext) -> Iterable[str]:
    if _get(r.inputs, "autoUpgradeProfile.upgradeChannel") in (None, "none"):
        yield "autoUpgradeProfile.upgradeChannel must be set (patch, stable, rapid or node-image)"
    if _get(r.inputs, "autoUpgradeProfile.nodeOSUpgradeChannel") in (None, "None", "Unmanaged"):
        yield "autoUpgradeProfile.nodeOSUpgradeChannel should be NodeImage or SecurityPatch"


@rule(
    "aks-api-server-restricted",
    M,
    "An API server open to the internet invites credential stuffing and zero-days.",
    CLUSTER,
)
def _api_server(r: PolicyResource, _: PolicyContext) -> Iterable[str]:
    if _get(r.inputs, "apiServerAccessProfile.enablePrivateCluster") is True:
        return
    ranges = _get(r.inputs, "apiServerAccessProfile.authorizedIPRanges", [])
    if not ranges:
        yield "apiServerAccessProfile needs authorizedIPRanges or enablePrivateCluster"
    for cidr in ranges:
        try:
            if ipaddress.ip_network(str(cidr), strict=False).prefixlen == 0:
                yield f"authorizedIPRanges contains {cidr}, which allows everyone"
        except ValueError:
            yield f"authorizedIPRanges contains {cidr!r}, which is not a CIDR"


@rule(
    "aks-monitoring",
    M,
    "Without Container Insights (managed-identity auth) and Prometheus metrics, incidents are"
    " investigated blind.",
    CLUSTER,
)
def _monitoring(r: PolicyResource, _: PolicyContext) -> Iterable[str]:
    if _get(r.inputs, "addonProfiles.omsagent.enabled") is not True:
        yield "addonProfiles.omsagent (Container Insights) must be enabled"
    elif _get(r.inputs, "addonProfiles.omsagent.config.useAADAuth") != "true":
        yield (
            "addonProfiles.omsagent.config.useAADAuth must be 'true': the agent then uses its"
            " managed identity, not the workspace key"
        )
    if _get(r.inputs, "azureMonitorProfile.metrics.enabled") is not True:
        yield "azureMonitorProfile.metrics (managed Prometheus) must be enabled"


@rule(
    "aks-azure-policy",
    M,
    "The Azure Policy add-on enforces the organisation's guardrails inside the cluster.",
    CLUSTER,
)
def _azure_policy(r: PolicyResource, _: PolicyContext) -> Iterable[str]:
    if _get(r.inputs, "addonProfiles.azurepolicy.enabled") is not True:
        yield "addonProfiles.azurepolicy must be enabled"


@rule(
    "aks-system-pool-reserved",
    M,
    "Workloads on system nodes can starve CoreDNS and the other critical add-ons.",
    CLUSTER,
)
def _system_pool(r: PolicyResource, _: PolicyContext) -> Iterable[str]:
    for pool in r.inputs.get("agentPoolProfiles") or []:
        if pool.get("mode") == "System" and "CriticalAddonsOnly=true:NoSchedule" not in (
            pool.get("nodeTaints") or []
        ):
            yield f"system pool {pool.get('name')!r} must carry the CriticalAddonsOnly=true:NoSchedule taint"


# ----- ACR and Container Apps ----------------------------------------------------------------


@rule(
    "acr-admin-disabled",
    M,
    "The admin user is one shared password for the whole registry.",
    REGISTRY,
)
def _acr_admin(r: PolicyResource, _: PolicyContext) -> Iterable[str]:
    if r.inputs.get("adminUserEnabled") is not False:
        yield "adminUserEnabled must be false"


@rule(
    "subnet-nsg",
    M,
    "A subnet without a network security group takes whatever its neighbours send it.",
    SUBNET,
)
def _subnet_nsg(r: PolicyResource, _: PolicyContext) -> Iterable[str]:
    if not _get(r.inputs, "networkSecurityGroup.id"):
        yield "networkSecurityGroup.id must reference a network security group"


def _configuration(r: PolicyResource) -> Mapping[str, Any]:
    value = r.inputs.get("configuration")
    return value if isinstance(value, Mapping) else {}


@rule(
    "aca-no-insecure-ingress", M, "Plain HTTP exposes tokens and data on the wire.", CONTAINER_APP
)
def _aca_insecure(r: PolicyResource, _: PolicyContext) -> Iterable[str]:
    if _get(_configuration(r), "ingress.allowInsecure") is True:
        yield "configuration.ingress.allowInsecure must not be true"


@rule(
    "aca-registry-identity",
    M,
    "Registry passwords leak and do not rotate; managed identities do.",
    *CONTAINER_APPS,
)
def _aca_registry(r: PolicyResource, _: PolicyContext) -> Iterable[str]:
    for registry in _configuration(r).get("registries") or []:
        if not registry.get("identity") or registry.get("passwordSecretRef"):
            yield f"registry {registry.get('server')!r} must be pulled with a managed identity, not a password"


def _env_literal_secrets(env: Iterable[Mapping[str, Any]]) -> Iterable[str]:
    for var in env:
        name = str(var.get("name", ""))
        if SECRET_LOOKING.search(name) and var.get("value") not in (None, "", SECRET_MASK):
            yield f"env {name} holds a literal value; reference a secret instead"


@rule(
    "aca-no-plaintext-secrets",
    M,
    "Secrets in plain env vars end up in revisions, logs and portals.",
    *CONTAINER_APPS,
)
def _aca_secrets(r: PolicyResource, _: PolicyContext) -> Iterable[str]:
    containers = _get(r.inputs, "template.containers", [])
    for container in containers if isinstance(containers, list) else []:
        yield from _env_literal_secrets(container.get("env") or [])


# ----- Kubernetes workloads ------------------------------------------------------------------


def _pod(r: PolicyResource) -> Mapping[str, Any]:
    """The pod template, wherever the kind keeps it."""
    path = {
        CRON_JOB: "spec.jobTemplate.spec.template.spec",
        SCALED_JOB: "spec.jobTargetRef.template.spec",
    }.get(r.type, "spec.template.spec")
    return _get(r.inputs, path, {})


def _containers(r: PolicyResource) -> list[Mapping[str, Any]]:
    pod = _pod(r)
    return [*(pod.get("initContainers") or []), *(pod.get("containers") or [])]


@rule(
    "k8s-resources",
    M,
    "Without requests the scheduler overcommits; without limits one pod can starve a node.",
    *WORKLOADS,
)
def _resources(r: PolicyResource, _: PolicyContext) -> Iterable[str]:
    for c in _containers(r):
        for kind in ("requests", "limits"):
            for resource in ("cpu", "memory"):
                if not _get(c, f"resources.{kind}.{resource}"):
                    yield f"container {c.get('name')!r} has no {kind}.{resource}"


def _mebibytes(quantity: object) -> float | None:
    """A Kubernetes memory quantity in Mi (the forms the renderer writes, and Gi/M/G/Ki)."""
    match = re.fullmatch(r"(\d+(?:\.\d+)?)(Ki|Mi|Gi|Ti|K|M|G|T)?", str(quantity))
    if not match:
        return None
    factor = {
        None: 1 / 2**20,
        "Ki": 1 / 1024,
        "Mi": 1,
        "Gi": 1024,
        "Ti": 1024**2,
        "K": 1e3 / 2**20,
        "M": 1e6 / 2**20,
        "G": 1e9 / 2**20,
        "T": 1e12 / 2**20,
    }[match[2]]
    return float(match[1]) * factor


@rule(
    "k8s-prod-memory-request-equals-limit",
    M,
    "Memory cannot be reclaimed: a pod using more than it requested is OOM-killed or evicted "
    "first when its node runs short, so prod reserves what it may use (CPU may still burst).",
    *WORKLOADS,
    environments=("prod",),
)
def _memory_request(r: PolicyResource, _: PolicyContext) -> Iterable[str]:
    for c in _containers(r):
        request = _get(c, "resources.requests.memory")
        limit = _get(c, "resources.limits.memory")
        if request is None or limit is None:
            continue  # k8s-resources reports the missing value
        if _mebibytes(request) != _mebibytes(limit):
            yield (
                f"container {c.get('name')!r} requests {request} of memory but may use {limit};"
                " set memory_request=None (equal to the limit) in prod"
            )


@rule(
    "k8s-probes",
    M,
    "Without a readiness probe, traffic reaches pods before they can serve it.",
    DEPLOYMENT,
)
def _probes(r: PolicyResource, _: PolicyContext) -> Iterable[str]:
    for c in _pod(r).get("containers") or []:
        if c.get("ports") and not c.get("readinessProbe"):
            yield f"container {c.get('name')!r} serves ports but has no readinessProbe"


@rule(
    "k8s-liveness-probe",
    A,
    "A liveness probe restarts a wedged process; a bad one causes restart storms.",
    DEPLOYMENT,
)
def _liveness(r: PolicyResource, _: PolicyContext) -> Iterable[str]:
    for c in _pod(r).get("containers") or []:
        if c.get("ports") and not c.get("livenessProbe"):
            yield f"container {c.get('name')!r} has no livenessProbe"


@rule(
    "k8s-restricted-security-context",
    M,
    "Pod Security 'restricted': non-root, no escalation, no capabilities, seccomp.",
    *WORKLOADS,
)
def _security(r: PolicyResource, _: PolicyContext) -> Iterable[str]:
    pod = _pod(r)
    pod_non_root = _get(pod, "securityContext.runAsNonRoot") is True
    pod_seccomp = _get(pod, "securityContext.seccompProfile.type") == "RuntimeDefault"
    for c in _containers(r):
        ctx = c.get("securityContext") or {}
        name = c.get("name")
        if not (pod_non_root or ctx.get("runAsNonRoot") is True):
            yield f"container {name!r} may run as root (runAsNonRoot)"
        if ctx.get("allowPrivilegeEscalation") is not False:
            yield f"container {name!r} must set allowPrivilegeEscalation: false"
        if "ALL" not in (_get(ctx, "capabilities.drop", []) or []):
            yield f"container {name!r} must drop ALL capabilities"
        if not (pod_seccomp or _get(ctx, "seccompProfile.type") == "RuntimeDefault"):
            yield f"container {name!r} needs seccompProfile RuntimeDefault"
        if ctx.get("readOnlyRootFilesystem") is not True:
            yield f"container {name!r} must have a read-only root filesystem"


@rule(
    "k8s-no-host-access",
    M,
    "Host paths, host namespaces and privileged containers break out of isolation.",
    *WORKLOADS,
)
def _host(r: PolicyResource, _: PolicyContext) -> Iterable[str]:
    pod = _pod(r)
    for key in ("hostNetwork", "hostPID", "hostIPC"):
        if pod.get(key) is True:
            yield f"{key} must not be true"
    for volume in pod.get("volumes") or []:
        if "hostPath" in volume:
            yield f"volume {volume.get('name')!r} is a hostPath"
    for c in _containers(r):
        if _get(c, "securityContext.privileged") is True:
            yield f"container {c.get('name')!r} is privileged"


def _tag(image: str) -> str | None:
    if "@sha256:" in image:
        return None
    last = image.rsplit("/", 1)[-1]
    return last.split(":", 1)[1] if ":" in last else "latest"


@rule(
    "no-mutable-image-tags",
    M,
    "A tag like latest or main can point at different code tomorrow: prod must be reproducible.",
    *WORKLOADS,
    *CONTAINER_APPS,
    environments=("prod",),
)
def _mutable_tags(r: PolicyResource, _: PolicyContext) -> Iterable[str]:
    containers = (
        _containers(r) if r.type in WORKLOADS else _get(r.inputs, "template.containers", [])
    )
    for c in containers if isinstance(containers, list) else []:
        image = str(c.get("image", ""))
        tag = _tag(image)
        if tag is not None and not VERSION_TAG.match(tag):
            yield f"image {image} uses the mutable tag {tag!r}; pin a version or a digest"


@rule(
    "k8s-env-no-plaintext-secrets",
    M,
    "Secrets in plain env vars end up in manifests, logs and kubectl output.",
    *WORKLOADS,
)
def _k8s_secrets(r: PolicyResource, _: PolicyContext) -> Iterable[str]:
    for c in _containers(r):
        yield from _env_literal_secrets(c.get("env") or [])


@rule(
    "k8s-zone-spread",
    M,
    "In prod, losing one zone must not take every replica with it.",
    DEPLOYMENT,
    environments=("prod",),
)
def _zone_spread(r: PolicyResource, _: PolicyContext) -> Iterable[str]:
    keys = {c.get("topologyKey") for c in _pod(r).get("topologySpreadConstraints") or []}
    if "topology.kubernetes.io/zone" not in keys:
        yield "pods must spread over topology.kubernetes.io/zone"


@rule("k8s-public-ingress-tls", M, "Public endpoints must encrypt traffic.", INGRESS)
def _ingress_tls(r: PolicyResource, _: PolicyContext) -> Iterable[str]:
    if _get(r.inputs, "spec.ingressClassName") == PUBLIC_INGRESS_CLASS and not _get(
        r.inputs, "spec.tls"
    ):
        yield "a public ingress needs spec.tls"


@stack_rule(
    "k8s-prod-replicas-and-pdb",
    M,
    "In prod a single replica or a missing PodDisruptionBudget turns every node drain into an outage.",
    DEPLOYMENT,
    environments=("prod",),
)
def _prod_replicas(
    resources: list[PolicyResource], _: PolicyContext
) -> Iterable[tuple[PolicyResource, str]]:
    floors: dict[tuple[str, str], int] = {}
    budgets: set[tuple[str, str]] = set()
    for r in resources:
        namespace = str(_get(r.inputs, "metadata.namespace", ""))
        if r.type == HPA:
            floors[(namespace, str(_get(r.inputs, "spec.scaleTargetRef.name", "")))] = int(
                _get(r.inputs, "spec.minReplicas", 1)
            )
        elif r.type == SCALED_OBJECT:
            floors[(namespace, str(_get(r.inputs, "spec.scaleTargetRef.name", "")))] = int(
                _get(r.inputs, "spec.minReplicaCount", 0)
            )
        elif r.type == PDB:
            budgets.add(
                (
                    namespace,
                    str(_get(r.inputs, "spec.selector.matchLabels", {}).get(NAME_LABEL, "")),
                )
            )
    for r in resources:
        if r.type != DEPLOYMENT:
            continue
        key = (
            str(_get(r.inputs, "metadata.namespace", "")),
            str(_get(r.inputs, "metadata.name", "")),
        )
        replicas: int = floors.get(key, int(_get(r.inputs, "spec.replicas", 1)))
        if key in floors and floors[key] == 0:
            continue  # scale-to-zero workers: no replica to protect while idle
        if replicas < 2:
            yield r, f"runs {replicas} replica(s); prod needs at least 2"
        if (key[0], r.service) not in budgets:
            yield r, "has no PodDisruptionBudget"


@rule(
    "prod-stateful-protected",
    M,
    "Deleting the cluster, registry, logs or vault by accident loses data and every workload.",
    *STATEFUL,
    environments=("prod",),
)
def _protected(r: PolicyResource, _: PolicyContext) -> Iterable[str]:
    if not r.protect:
        yield "must be protected from deletion (protect=True)"


@dataclass(frozen=True)
class PolicyReport:
    violations: tuple[Violation, ...] = field(default_factory=tuple)
    expired_exceptions: tuple[str, ...] = ()

    @property
    def enforced(self) -> tuple[Violation, ...]:
        return tuple(v for v in self.violations if v.enforced)
