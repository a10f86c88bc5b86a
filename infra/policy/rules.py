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

from infra.constants import (
    APP_ROUTING_INGRESS_CLASS,
    BELOW_SAFEGUARDS_MINIMUM,
    CRITICAL_ADDONS_TAINT,
    MIN_CPU_MILLICORES,
    MIN_MEMORY_MIB,
    NAME_LABEL,
    POD_SECURITY_RESTRICTED_INITIATIVE_ID,
    PROD_MIN_REPLICAS,
    PROD_REPLICAS_PROBLEM,
    SECRET_LOOKING_PATTERN,
)
from infra.plan.kinds import (
    CONTAINER_APP,
    DEPLOYMENT_SAFEGUARD,
    HPA,
    INGRESS,
    KUBERNETES_SERVICE,
    MANAGED_CLUSTER,
    METRICS_WORKSPACE,
    NGINX_CONTROLLER,
    NODE,
    PDB,
    POLICY_ASSIGNMENT,
    REGISTRY,
    RESOURCE_GROUP,
    SCALED_OBJECT,
    STORAGE_CLASS,
    SUBNET,
    VAULT,
    WORKSPACE,
    is_kubernetes,
)
from infra.plan.owners import service_of
from infra.plan.paths import as_mapping, mappings, value_at
from infra.plan.quantities import QuantityError, mebibytes, millicores
from infra.plan.workloads import (
    CONTAINER_APPS_KINDS,
    POD_KINDS,
    SERVING_KINDS,
    containers,
    images,
    pod_metadata,
    pod_spec,
)
from infra.policy.safeguards import probe_safeguard

SECRET_MASK = "[secret]"
SECRET_FILE_PATH = "/mnt/secrets/"
"""Where services' secret files are mounted: a variable holding such a path holds no secret."""
SECRET_LOOKING = re.compile(SECRET_LOOKING_PATTERN, re.I)
VERSION_TAG = re.compile(r"^v?\d+(\.\d+){1,3}([-+][0-9A-Za-z.-]+)?$")
PUBLIC_INGRESS_CLASS = APP_ROUTING_INGRESS_CLASS

POD_SECURITY_RESTRICTED = POD_SECURITY_RESTRICTED_INITIATIVE_ID
AKS_RESERVED_LABEL = "kubernetes.azure.com"
TRUSTED_REGISTRY = re.compile(r"^([a-z0-9]+\.azurecr\.io|mcr\.microsoft\.com)/")
IN_TREE_PROVISIONERS = ("kubernetes.io/azure-disk", "kubernetes.io/azure-file")
STATEFUL = (MANAGED_CLUSTER, REGISTRY, WORKSPACE, VAULT, METRICS_WORKSPACE)


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
        """The service a resource belongs to, for exceptions and reports (infra/plan/owners.py:
        a rule sees no plan tree, so what the resource names itself after)."""
        return service_of(self.type, self.inputs)

    @property
    def pod(self) -> Mapping[str, Any]:
        """The pod spec of a Kubernetes workload (infra/plan/workloads.py); {} for other kinds."""
        return pod_spec(self.type, self.inputs) or {}

    @property
    def containers(self) -> list[Mapping[str, Any]]:
        """Every container of a workload of either target, init containers first."""
        return containers(self.type, self.inputs)


@dataclass(frozen=True)
class PolicyContext:
    environment: str
    cost: Mapping[str, Any] | None = None
    """The plan's monthly cost estimate (`infra/cost`), when the offline plan made one."""

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
    severity_in: Callable[[PolicyContext], Severity] | None = None
    """For rules whose severity the stack configures (e.g. the budget): it wins over `severity`."""

    def severity_for(self, context: PolicyContext) -> Severity:
        return self.severity_in(context) if self.severity_in is not None else self.severity


@dataclass(frozen=True)
class Violation:
    rule: Rule
    resource: PolicyResource
    message: str
    excepted_by: str = ""
    """The exception's reason when one applies (reported, not enforced)."""
    severity_override: Severity | None = None
    """The stack's own severity for this rule, when the rule lets the stack choose."""

    @property
    def severity(self) -> Severity:
        return self.severity_override or self.rule.severity

    @property
    def enforced(self) -> bool:
        return self.severity is Severity.MANDATORY and not self.excepted_by


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
    severity_in: Callable[[PolicyContext], Severity] | None = None,
) -> Callable[[StackCheck], StackCheck]:
    def register(check: StackCheck) -> StackCheck:
        RULES[rule_id] = Rule(
            rule_id,
            severity,
            rationale,
            types,
            stack_check=check,
            environments=environments,
            severity_in=severity_in,
        )
        return check

    return register


M = Severity.MANDATORY
A = Severity.ADVISORY

# ----- AKS -----------------------------------------------------------------------------------


@rule(
    "aks-local-accounts-disabled",
    M,
    "A static admin kubeconfig bypasses Entra ID and cannot be audited per person.",
    MANAGED_CLUSTER,
)
def _local_accounts(r: PolicyResource, _: PolicyContext) -> Iterable[str]:
    if r.inputs.get("disableLocalAccounts") is not True:
        yield "disableLocalAccounts must be true"


@rule(
    "aks-entra-rbac",
    M,
    "People and automation sign in with Entra ID, and Azure RBAC decides what they may do.",
    MANAGED_CLUSTER,
)
def _entra(r: PolicyResource, _: PolicyContext) -> Iterable[str]:
    if not (
        value_at(r.inputs, "aadProfile.managed") is True
        and value_at(r.inputs, "aadProfile.enableAzureRBAC") is True
    ):
        yield "aadProfile.managed and aadProfile.enableAzureRBAC must be true"


@rule(
    "aks-network-policy",
    M,
    "Without a network policy engine, NetworkPolicies are silently not enforced.",
    MANAGED_CLUSTER,
)
def _network_policy(r: PolicyResource, _: PolicyContext) -> Iterable[str]:
    if value_at(r.inputs, "networkProfile.networkPolicy") not in ("cilium", "azure", "calico"):
        yield "networkProfile.networkPolicy must be cilium, azure or calico"


@rule(
    "aks-workload-identity",
    M,
    "Pods get Azure access through federated identities, never stored credentials.",
    MANAGED_CLUSTER,
)
def _workload_identity(r: PolicyResource, _: PolicyContext) -> Iterable[str]:
    if (
        value_at(r.inputs, "oidcIssuerProfile.enabled") is not True
        or value_at(r.inputs, "securityProfile.workloadIdentity.enabled") is not True
    ):
        yield "oidcIssuerProfile.enabled and securityProfile.workloadIdentity.enabled must be true"


@rule(
    "aks-upgrade-channel",
    M,
    "Clusters that are never upgraded fall out of support and miss security fixes.",
    MANAGED_CLUSTER,
)
def _upgrade(r: PolicyResource, _: PolicyContext) -> Iterable[str]:
    if value_at(r.inputs, "autoUpgradeProfile.upgradeChannel") in (None, "none"):
        yield "autoUpgradeProfile.upgradeChannel must be set (patch, stable, rapid or node-image)"
    if value_at(r.inputs, "autoUpgradeProfile.nodeOSUpgradeChannel") in (None, "None", "Unmanaged"):
        yield "autoUpgradeProfile.nodeOSUpgradeChannel should be NodeImage or SecurityPatch"


@rule(
    "aks-api-server-restricted",
    M,
    "An API server open to the internet invites credential stuffing and zero-days.",
    MANAGED_CLUSTER,
)
def _api_server(r: PolicyResource, _: PolicyContext) -> Iterable[str]:
    if value_at(r.inputs, "apiServerAccessProfile.enablePrivateCluster") is True:
        return
    ranges = value_at(r.inputs, "apiServerAccessProfile.authorizedIPRanges", [])
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
    MANAGED_CLUSTER,
)
def _monitoring(r: PolicyResource, _: PolicyContext) -> Iterable[str]:
    if value_at(r.inputs, "addonProfiles.omsagent.enabled") is not True:
        yield "addonProfiles.omsagent (Container Insights) must be enabled"
    elif value_at(r.inputs, "addonProfiles.omsagent.config.useAADAuth") != "true":
        yield (
            "addonProfiles.omsagent.config.useAADAuth must be 'true': the agent then uses its"
            " managed identity, not the workspace key"
        )
    if value_at(r.inputs, "azureMonitorProfile.metrics.enabled") is not True:
        yield "azureMonitorProfile.metrics (managed Prometheus) must be enabled"


@rule(
    "aks-azure-policy",
    M,
    "The Azure Policy add-on enforces the organisation's guardrails inside the cluster.",
    MANAGED_CLUSTER,
)
def _azure_policy(r: PolicyResource, _: PolicyContext) -> Iterable[str]:
    if value_at(r.inputs, "addonProfiles.azurepolicy.enabled") is not True:
        yield "addonProfiles.azurepolicy must be enabled"


@rule(
    "aks-system-pool-reserved",
    M,
    "Workloads on system nodes can starve CoreDNS and the other critical add-ons.",
    MANAGED_CLUSTER,
)
def _system_pool(r: PolicyResource, _: PolicyContext) -> Iterable[str]:
    for pool in r.inputs.get("agentPoolProfiles") or []:
        taints = pool.get("nodeTaints") or []
        if pool.get("mode") == "System" and CRITICAL_ADDONS_TAINT not in taints:
            yield f"system pool {pool.get('name')!r} must carry the {CRITICAL_ADDONS_TAINT} taint"
        if pool.get("mode") != "System" and any(
            str(t).startswith("CriticalAddonsOnly") for t in taints
        ):
            # Deployment Safeguards "Reserved System Pool Taints": only the system pool has it.
            yield f"user pool {pool.get('name')!r} must not carry the CriticalAddonsOnly taint"


@rule(
    "aks-host-encryption",
    M,
    "Without encryption at host, node temp disks and disk caches hold workload data unencrypted.",
    MANAGED_CLUSTER,
    environments=("prod",),
)
def _host_encryption(r: PolicyResource, _: PolicyContext) -> Iterable[str]:
    for pool in r.inputs.get("agentPoolProfiles") or []:
        if pool.get("enableEncryptionAtHost") is not True:
            yield f"pool {pool.get('name')!r} must set enableEncryptionAtHost"


@rule(
    "aks-defender",
    M,
    "Without Defender for Containers nobody is told about a compromised node or container.",
    MANAGED_CLUSTER,
    environments=("prod",),
)
def _defender(r: PolicyResource, _: PolicyContext) -> Iterable[str]:
    defender = value_at(r.inputs, "securityProfile.defender", {})
    if value_at(defender, "securityMonitoring.enabled") is not True or not defender.get(
        "logAnalyticsWorkspaceResourceId"
    ):
        yield "securityProfile.defender needs securityMonitoring.enabled and a workspace"


@stack_rule(
    "aks-admission-guardrails",
    M,
    "In prod the cluster itself refuses what the offline rules refuse: Deployment Safeguards in"
    " Enforce and the pod security restricted initiative in deny.",
    MANAGED_CLUSTER,
    environments=("prod",),
)
def _admission_guardrails(
    resources: list[PolicyResource], _: PolicyContext
) -> Iterable[tuple[PolicyResource, str]]:
    clusters = [r for r in resources if r.type == MANAGED_CLUSTER]
    safeguards = [r for r in resources if r.type == DEPLOYMENT_SAFEGUARD]
    assignments = [
        r
        for r in resources
        if r.type == POLICY_ASSIGNMENT
        and str(r.inputs.get("policyDefinitionId", "")).endswith(POD_SECURITY_RESTRICTED)
    ]
    for cluster in clusters:
        if not any(s.inputs.get("level") == "Enforce" for s in safeguards):
            yield cluster, "needs a DeploymentSafeguard with level Enforce"
        if not any(
            value_at(a.inputs, "parameters.effect.value") == "deny"
            and a.inputs.get("enforcementMode", "Default") == "Default"
            for a in assignments
        ):
            yield cluster, "needs the pod security restricted initiative assigned with effect deny"


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
    if not value_at(r.inputs, "networkSecurityGroup.id"):
        yield "networkSecurityGroup.id must reference a network security group"


def _configuration(r: PolicyResource) -> Mapping[str, Any]:
    value = r.inputs.get("configuration")
    return value if isinstance(value, Mapping) else {}


@rule(
    "aca-no-insecure-ingress",
    M,
    "Plain HTTP exposes tokens and data on the wire.",
    CONTAINER_APP,
)
def _aca_insecure(r: PolicyResource, _: PolicyContext) -> Iterable[str]:
    """allowInsecure is the opt-in for plaintext callers inside the environment
    (`Ingress.allow_insecure`); on an external ingress (public, or reached from AKS) the
    plaintext would leave it."""
    ingress = as_mapping(value_at(_configuration(r), "ingress"))
    if ingress.get("allowInsecure") is True and ingress.get("external") is not False:
        yield "configuration.ingress.allowInsecure must not be true on an external ingress"


@rule(
    "aca-registry-identity",
    M,
    "Registry passwords leak and do not rotate; managed identities do.",
    *CONTAINER_APPS_KINDS,
)
def _aca_registry(r: PolicyResource, _: PolicyContext) -> Iterable[str]:
    for registry in _configuration(r).get("registries") or []:
        if not registry.get("identity") or registry.get("passwordSecretRef"):
            yield f"registry {registry.get('server')!r} must be pulled with a managed identity, not a password"


def _env_literal_secrets(env: Iterable[Mapping[str, Any]]) -> Iterable[str]:
    for var in env:
        name = str(var.get("name", ""))
        value = var.get("value")
        if (
            SECRET_LOOKING.search(name)
            and value not in (None, "", SECRET_MASK)
            and not str(value).startswith(SECRET_FILE_PATH)
        ):
            yield f"env {name} holds a literal value; reference a secret instead"


@rule(
    "aca-no-plaintext-secrets",
    M,
    "Secrets in plain env vars end up in revisions, logs and portals.",
    *CONTAINER_APPS_KINDS,
)
def _aca_secrets(r: PolicyResource, _: PolicyContext) -> Iterable[str]:
    for container in r.containers:
        yield from _env_literal_secrets(container.get("env") or [])


# ----- Kubernetes workloads ------------------------------------------------------------------


@rule(
    "k8s-resources",
    M,
    "Without requests the scheduler overcommits; without limits one pod can starve a node.",
    *POD_KINDS,
)
def _resources(r: PolicyResource, _: PolicyContext) -> Iterable[str]:
    for c in r.containers:
        for kind in ("requests", "limits"):
            for resource in ("cpu", "memory"):
                value = value_at(c, f"resources.{kind}.{resource}")
                if not value:
                    yield f"container {c.get('name')!r} has no {kind}.{resource}"
                    continue
                # Deployment Safeguards (Enforce) would raise smaller values: the plan and the
                # cluster would disagree, and the next `pulumi up` would fight the mutator.
                amount = (
                    _millicores_or_none(value) if resource == "cpu" else _mebibytes_or_none(value)
                )
                floor = MIN_CPU_MILLICORES if resource == "cpu" else MIN_MEMORY_MIB
                if amount is not None and amount < floor:
                    unit = "m" if resource == "cpu" else "Mi"
                    yield (
                        f"container {c.get('name')!r} {kind}.{resource} = {value} "
                        + BELOW_SAFEGUARDS_MINIMUM.format(floor=f"{floor}{unit}")
                    )


def _millicores_or_none(value: Any) -> float | None:
    try:
        return millicores(value)
    except QuantityError:
        return None


def _mebibytes_or_none(value: Any) -> float | None:
    try:
        return mebibytes(value)
    except QuantityError:
        return None


@rule(
    "k8s-prod-memory-request-equals-limit",
    M,
    "Memory cannot be reclaimed: a pod using more than it requested is OOM-killed or evicted "
    "first when its node runs short, so prod reserves what it may use (CPU may still burst).",
    *POD_KINDS,
    environments=("prod",),
)
def _memory_request(r: PolicyResource, _: PolicyContext) -> Iterable[str]:
    for c in r.containers:
        request = value_at(c, "resources.requests.memory")
        limit = value_at(c, "resources.limits.memory")
        if request is None or limit is None:
            continue  # k8s-resources reports the missing value
        if _mebibytes_or_none(request) != _mebibytes_or_none(limit):
            yield (
                f"container {c.get('name')!r} requests {request} of memory but may use {limit};"
                " set memory_request=None (equal to the limit) in prod"
            )


@rule(
    "k8s-probes",
    M,
    "Without a readiness probe, traffic reaches pods before they can serve it.",
    *SERVING_KINDS,
)
def _probes(r: PolicyResource, _: PolicyContext) -> Iterable[str]:
    for c in r.pod.get("containers") or []:
        if c.get("ports") and not c.get("readinessProbe"):
            yield f"container {c.get('name')!r} serves ports but has no readinessProbe"


@rule(
    "k8s-liveness-probe",
    A,
    "A liveness probe restarts a wedged process; a bad one causes restart storms.",
    *SERVING_KINDS,
)
def _liveness(r: PolicyResource, _: PolicyContext) -> Iterable[str]:
    for c in r.pod.get("containers") or []:
        if c.get("ports") and not c.get("livenessProbe"):
            yield f"container {c.get('name')!r} has no livenessProbe"


@rule(
    "k8s-restricted-security-context",
    M,
    "Pod Security 'restricted': non-root, no escalation, no capabilities, seccomp.",
    *POD_KINDS,
)
def _security(r: PolicyResource, _: PolicyContext) -> Iterable[str]:
    pod = r.pod
    pod_non_root = value_at(pod, "securityContext.runAsNonRoot") is True
    pod_seccomp = value_at(pod, "securityContext.seccompProfile.type") == "RuntimeDefault"
    for c in r.containers:
        ctx = c.get("securityContext") or {}
        name = c.get("name")
        if not (pod_non_root or ctx.get("runAsNonRoot") is True):
            yield f"container {name!r} may run as root (runAsNonRoot)"
        if ctx.get("allowPrivilegeEscalation") is not False:
            yield f"container {name!r} must set allowPrivilegeEscalation: false"
        if "ALL" not in (value_at(ctx, "capabilities.drop", []) or []):
            yield f"container {name!r} must drop ALL capabilities"
        if not (pod_seccomp or value_at(ctx, "seccompProfile.type") == "RuntimeDefault"):
            yield f"container {name!r} needs seccompProfile RuntimeDefault"
        if ctx.get("readOnlyRootFilesystem") is not True:
            yield f"container {name!r} must have a read-only root filesystem"


@rule(
    "k8s-no-host-access",
    M,
    "Host paths, host namespaces and privileged containers break out of isolation.",
    *POD_KINDS,
)
def _host(r: PolicyResource, _: PolicyContext) -> Iterable[str]:
    pod = r.pod
    for key in ("hostNetwork", "hostPID", "hostIPC"):
        if pod.get(key) is True:
            yield f"{key} must not be true"
    for volume in pod.get("volumes") or []:
        if "hostPath" in volume:
            yield f"volume {volume.get('name')!r} is a hostPath"
    for c in r.containers:
        if value_at(c, "securityContext.privileged") is True:
            yield f"container {c.get('name')!r} is privileged"


@stack_rule(
    "k8s-probes-enforced",
    M,
    "Deployment Safeguards in Enforce refuse every Pod (a Deployment's, a Job's, a CronJob's: "
    "source All) whose containers lack readiness and liveness probes, outside the namespaces "
    "they exclude (upstream/azure-policy ContainerEnforceProbes).",
    *POD_KINDS,
    DEPLOYMENT_SAFEGUARD,
)
def _probes_enforced(
    resources: list[PolicyResource], _: PolicyContext
) -> Iterable[tuple[PolicyResource, str]]:
    """The probe safeguard as the vendored definitions say (infra/policy/safeguards.py): which
    containers, which probes, which handlers count, which namespaces are skipped (the
    initiative's defaults and the DeploymentSafeguard's `excludedNamespaces`)."""
    enforced = [
        r
        for r in resources
        if r.type == DEPLOYMENT_SAFEGUARD and r.inputs.get("level") == "Enforce"
    ]
    if not enforced:
        return
    probe = probe_safeguard()
    excluded = probe.excluded(
        str(n) for s in enforced for n in (s.inputs.get("excludedNamespaces") or [])
    )
    for r in resources:
        if r.type not in POD_KINDS:
            continue
        namespace = str(value_at(r.inputs, "metadata.namespace", "default"))
        if namespace in excluded:
            continue
        pod = r.pod
        for field_name in probe.container_fields:
            for c in mappings(pod.get(field_name)):
                missing = probe.missing(c)
                if r.type in SERVING_KINDS and c.get("ports") and not c.get("readinessProbe"):
                    # A missing readiness probe on a container with ports is k8s-probes' finding.
                    missing = [m for m in missing if m != "readinessProbe"]
                if missing:
                    yield (
                        r,
                        f"container {c.get('name')!r} in namespace {namespace} has no"
                        f" {' or '.join(missing)} with one of {', '.join(probe.probe_handlers)}"
                        " (Deployment Safeguards refuse its pods); run it where the safeguards"
                        " are excluded (an AKS job's namespace) or give it the probes",
                    )


@rule(
    "k8s-spread-or-anti-affinity",
    M,
    "Replicas packed onto one node all go down with it; spread them or keep them apart.",
    *SERVING_KINDS,
)
def _spread(r: PolicyResource, _: PolicyContext) -> Iterable[str]:
    pod = r.pod
    if not pod.get("topologySpreadConstraints") and not value_at(pod, "affinity.podAntiAffinity"):
        yield "pods need topologySpreadConstraints or podAntiAffinity"


def _labels(obj: Any) -> Mapping[str, Any]:
    labels = value_at(obj, "metadata.labels", {})
    return labels if isinstance(labels, Mapping) else {}


@stack_rule(
    "k8s-no-aks-reserved-labels",
    M,
    "Labels under kubernetes.azure.com belong to AKS; workloads using them confuse its add-ons.",
    *POD_KINDS,
    KUBERNETES_SERVICE,
)
def _reserved_labels(
    resources: list[PolicyResource], _: PolicyContext
) -> Iterable[tuple[PolicyResource, str]]:
    for r in resources:
        if not is_kubernetes(r.type):
            continue
        template = {"metadata": pod_metadata(r.type, r.inputs)}
        for where, labels in (("metadata", _labels(r.inputs)), ("pod template", _labels(template))):
            for key in labels:
                if AKS_RESERVED_LABEL in str(key):
                    yield r, f"{where} label {key} is reserved for AKS"


@rule(
    "images-from-trusted-registries",
    M,
    "Images from anywhere run code nobody here built or scanned; pull only from ACR or MCR.",
    *POD_KINDS,
    *CONTAINER_APPS_KINDS,
    environments=("dev", "staging", "prod"),
)
def _trusted_registries(r: PolicyResource, _: PolicyContext) -> Iterable[str]:
    for image in images(r.type, r.inputs):
        if not TRUSTED_REGISTRY.match(image):
            yield f"image {image} is not from an Azure Container Registry or mcr.microsoft.com"


@rule(
    "k8s-no-node-edits",
    M,
    "Nodes are cattle managed through node pools; edits to single nodes vanish on reimage.",
    NODE,
)
def _node_edits(r: PolicyResource, _: PolicyContext) -> Iterable[str]:
    yield "taint or label node pools (agentPoolProfiles), not individual nodes"


@rule(
    "k8s-csi-storage-class",
    M,
    "The in-tree Azure disk and file provisioners are removed; only the CSI drivers work.",
    STORAGE_CLASS,
)
def _csi(r: PolicyResource, _: PolicyContext) -> Iterable[str]:
    provisioner = str(r.inputs.get("provisioner", ""))
    if provisioner in IN_TREE_PROVISIONERS:
        yield f"provisioner {provisioner} is in-tree; use disk.csi.azure.com or file.csi.azure.com"


@stack_rule(
    "k8s-unique-service-selectors",
    M,
    "Two Services selecting the same pods send one service's traffic to the other's pods.",
    KUBERNETES_SERVICE,
)
def _unique_selectors(
    resources: list[PolicyResource], _: PolicyContext
) -> Iterable[tuple[PolicyResource, str]]:
    seen: dict[tuple[str, tuple[tuple[str, str], ...]], str] = {}
    for r in resources:
        if r.type != KUBERNETES_SERVICE:
            continue
        selector = value_at(r.inputs, "spec.selector", {})
        if not isinstance(selector, Mapping) or not selector:
            continue
        key = (
            str(value_at(r.inputs, "metadata.namespace", "")),
            tuple(sorted((str(k), str(v)) for k, v in selector.items())),
        )
        name = str(value_at(r.inputs, "metadata.name", r.name))
        if key in seen:
            yield r, f"selects the same pods as Service {seen[key]}"
        else:
            seen[key] = name


def _tag(image: str) -> str | None:
    if "@sha256:" in image:
        return None
    last = image.rsplit("/", 1)[-1]
    return last.split(":", 1)[1] if ":" in last else "latest"


@rule(
    "no-mutable-image-tags",
    M,
    "A tag like latest or main can point at different code tomorrow: prod must be reproducible.",
    *POD_KINDS,
    *CONTAINER_APPS_KINDS,
    environments=("prod",),
)
def _mutable_tags(r: PolicyResource, _: PolicyContext) -> Iterable[str]:
    for image in images(r.type, r.inputs):
        tag = _tag(image)
        if tag is not None and not VERSION_TAG.match(tag):
            yield f"image {image} uses the mutable tag {tag!r}; pin a version or a digest"


@rule(
    "images-pinned-by-digest",
    M,
    "A tag can be pushed again; only a digest names the exact bytes that were reviewed.",
    *POD_KINDS,
    *CONTAINER_APPS_KINDS,
    environments=("prod",),
)
def _digest(r: PolicyResource, _: PolicyContext) -> Iterable[str]:
    for image in images(r.type, r.inputs):
        if "@sha256:" not in image:
            yield f"image {image} has no digest; lock it in apps/images.lock.yaml"


@rule(
    "k8s-env-no-plaintext-secrets",
    M,
    "Secrets in plain env vars end up in manifests, logs and kubectl output.",
    *POD_KINDS,
)
def _k8s_secrets(r: PolicyResource, _: PolicyContext) -> Iterable[str]:
    for c in r.containers:
        yield from _env_literal_secrets(c.get("env") or [])


@rule(
    "k8s-zone-spread",
    M,
    "In prod, losing one zone must not take every replica with it.",
    *SERVING_KINDS,
    environments=("prod",),
)
def _zone_spread(r: PolicyResource, _: PolicyContext) -> Iterable[str]:
    keys = {c.get("topologyKey") for c in r.pod.get("topologySpreadConstraints") or []}
    if "topology.kubernetes.io/zone" not in keys:
        yield "pods must spread over topology.kubernetes.io/zone"


@rule("k8s-public-ingress-tls", M, "Public endpoints must encrypt traffic.", INGRESS)
def _ingress_tls(r: PolicyResource, _: PolicyContext) -> Iterable[str]:
    if value_at(r.inputs, "spec.ingressClassName") == PUBLIC_INGRESS_CLASS and not value_at(
        r.inputs, "spec.tls"
    ):
        yield "a public ingress needs spec.tls"


MANAGED_NGINX_CLASSES = (PUBLIC_INGRESS_CLASS, "nginx-internal")


@rule(
    "ingress-managed-nginx-deprecated",
    A,
    "Azure supports the app routing add-on's managed NGINX only until November 2026 (upstream "
    "ingress-nginx retired March 2026): move to the Gateway API (aks.ingress: gateway).",
    INGRESS,
    NGINX_CONTROLLER,
)
def _managed_nginx(r: PolicyResource, _: PolicyContext) -> Iterable[str]:
    if r.type == NGINX_CONTROLLER:
        yield "a managed-NGINX controller: deprecated, support ends November 2026"
    elif value_at(r.inputs, "spec.ingressClassName") in MANAGED_NGINX_CLASSES:
        yield (
            f"ingress class {value_at(r.inputs, 'spec.ingressClassName')} is managed NGINX: "
            "deprecated → route it through the Gateway API (docs/ingress.md)"
        )


@stack_rule(
    "k8s-prod-replicas-and-pdb",
    M,
    "In prod a single replica or a missing PodDisruptionBudget turns every node drain into an outage.",
    *SERVING_KINDS,
    environments=("prod",),
)
def _prod_replicas(
    resources: list[PolicyResource], _: PolicyContext
) -> Iterable[tuple[PolicyResource, str]]:
    floors: dict[tuple[str, str], int] = {}
    budgets: set[tuple[str, str]] = set()
    for r in resources:
        namespace = str(value_at(r.inputs, "metadata.namespace", ""))
        if r.type == HPA:
            floors[(namespace, str(value_at(r.inputs, "spec.scaleTargetRef.name", "")))] = int(
                value_at(r.inputs, "spec.minReplicas", 1)
            )
        elif r.type == SCALED_OBJECT:
            floors[(namespace, str(value_at(r.inputs, "spec.scaleTargetRef.name", "")))] = int(
                value_at(r.inputs, "spec.minReplicaCount", 0)
            )
        elif r.type == PDB:
            budgets.add(
                (
                    namespace,
                    str(value_at(r.inputs, "spec.selector.matchLabels", {}).get(NAME_LABEL, "")),
                )
            )
    for r in resources:
        if (
            r.type not in SERVING_KINDS
        ):  # a StatefulSet's one replica is an outage like a Deployment's
            continue
        key = (
            str(value_at(r.inputs, "metadata.namespace", "")),
            str(value_at(r.inputs, "metadata.name", "")),
        )
        replicas: int = floors.get(key, int(value_at(r.inputs, "spec.replicas", 1)))
        if key in floors and floors[key] == 0:
            continue  # scale-to-zero workers: no replica to protect while idle
        if replicas < PROD_MIN_REPLICAS:
            yield r, PROD_REPLICAS_PROBLEM.format(replicas=replicas, floor=PROD_MIN_REPLICAS)
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


def _budget_severity(context: PolicyContext) -> Severity:
    """mandatory or advisory as the stack's `platform:cost.budgetEnforcement` says (the plan
    resolves its default: mandatory in prod, advisory elsewhere)."""
    budget = (context.cost or {}).get("budget") or {}
    return Severity.MANDATORY if budget.get("enforcement") == "mandatory" else Severity.ADVISORY


@stack_rule(
    "stack-monthly-budget",
    M,
    "A plan whose monthly estimate exceeds the stack's budget needs a decision in review, not a "
    "surprise on the invoice.",
    RESOURCE_GROUP,
    severity_in=_budget_severity,
)
def _monthly_budget(
    resources: list[PolicyResource], context: PolicyContext
) -> Iterable[tuple[PolicyResource, str]]:
    cost = context.cost or {}
    budget = cost.get("budget")
    group = next((r for r in resources if r.type == RESOURCE_GROUP), None)
    if not budget or group is None:
        return
    basis = str(budget["basis"])
    amount = float(cost["stack"][basis])
    limit = float(budget["monthly"])
    if amount > limit:
        currency = cost.get("currency", "")
        yield (
            group,
            f"monthly estimate {basis} {amount:,.2f} {currency} exceeds the budget "
            f"{limit:,.2f} {currency} (prices as of {cost.get('pricesAsOf')}) → lower minimum or "
            "maximum replicas/nodes, or raise platform:cost.budgetMonthly",
        )


@dataclass(frozen=True)
class PolicyReport:
    violations: tuple[Violation, ...] = field(default_factory=tuple)
    expired_exceptions: tuple[str, ...] = ()

    @property
    def enforced(self) -> tuple[Violation, ...]:
        return tuple(v for v in self.violations if v.enforced)
