"""Rules of an AKS cluster: who may talk to its API, when add-on CRDs exist, version moves."""

from __future__ import annotations

import math
from collections.abc import Iterator, Mapping
from typing import Any

from infra.aks_versions import LTS, LTS_TIER, OFFICIAL, load_calendar, version_support
from infra.plan.kinds import MANAGED_CLUSTER
from infra.plan.paths import value_at
from infra.simulate.azure import AKS_RBAC_CLUSTER_ADMIN
from infra.simulate.plan import PlannedResource
from infra.simulate.references import Cluster, cluster_of
from infra.simulate.registry import Refusal, StepContext, rule
from infra.simulate.rules.deploy_identity import application_of

# "It can take up to five minutes for role assignments to propagate" (AKS docs, "Use Azure
# role-based access control for Kubernetes authorization").
AKS_RBAC_PROPAGATION_S = 300.0

# pulumi-kubernetes retries creating an object while the API answers NotFound or "no matches
# for kind" (a CRD not yet registered): provider/pkg/await/await.go `Creation` calls
# `retrier.Do(apierrors.IsNotFound, meta.IsNoMatchError)` with WithMaxRetries(5) and
# WithBackoffFactor(2), and provider/pkg/retry/retry.go starts at 1 s: tries at 0, 1, 3, 7, 15
# and 31 s, then the error stands. So a custom resource survives a CRD that appears up to 31 s
# after its first attempt, and no later.
CRD_RETRY_WINDOW_S = 31.0
# Add-on CRDs (KEDA, Secrets Store CSI, app routing) are installed by AKS's add-on manager
# after the cluster is provisioned, asynchronously; no documented bound. The model assumes
# they are registered within 2 minutes of the cluster's creation finishing (an assumption,
# not a documented figure: a real first deploy is the test).
ADDON_CRD_REGISTRATION_S = 120.0

# API group of the custom resource → (path of the add-on switch in the cluster's inputs, name)
ADDON_CRDS = {
    "keda.sh": (("workloadAutoScalerProfile", "keda", "enabled"), "KEDA"),
    "secrets-store.csi.x-k8s.io": (
        ("addonProfiles", "azureKeyvaultSecretsProvider", "enabled"),
        "Key Vault secrets provider (azureKeyvaultSecretsProvider)",
    ),
    "approuting.kubernetes.azure.com": (
        ("ingressProfile", "webAppRouting", "enabled"),
        "application routing (ingressProfile.webAppRouting)",
    ),
}


def _cluster_resource(ctx: StepContext, cluster: Cluster) -> PlannedResource | None:
    for resource in [*ctx.plan.of_type(MANAGED_CLUSTER), *ctx.world.resources.values()]:
        if resource.type == MANAGED_CLUSTER and (
            str(resource.inputs.get("resourceName") or resource.name).lower() == cluster.name
        ):
            return resource
    return None


def _seconds(value: float) -> str:
    return "never" if value == math.inf else f"{value:.0f} s"


@rule(
    "aks-rbac-cluster-admin",
    refuses="a Kubernetes object sent before the deploying identity holds a propagated "
    "`Azure Kubernetes Service RBAC Cluster Admin` grant on the cluster (403 Forbidden)",
    source="AKS docs: Azure RBAC for Kubernetes authorization (local accounts off; up to 5 min "
    "to propagate); issue 11 defect 1",
)
def cluster_admin(ctx: StepContext) -> Iterator[Refusal]:
    """With local accounts disabled and Azure RBAC authorizing the Kubernetes API, a caller
    needs a data-plane role: subscription Owner/Contributor do not grant one. The role takes up
    to five minutes to propagate, so the object must also wait that long after the grant. An
    application stack deploys as its own identity instead, with namespace-scoped roles
    (`application-deploy-identity`, rules/deploy_identity.py)."""
    if application_of(ctx.plan) is not None:
        return
    cluster = cluster_of(ctx)
    if cluster is None:
        return
    suffixes = (f"/managedclusters/{cluster.name}",)
    age = ctx.grant_age(
        ctx.principals.deployer, {AKS_RBAC_CLUSTER_ADMIN}, suffixes, cluster.resource_group
    )
    fix = (
        f"grant `Azure Kubernetes Service RBAC Cluster Admin` on cluster {cluster.name} to the "
        "deploying identity (authorization.getClientConfig objectId), follow it with a "
        f"pulumiverse_time.Sleep of at least {AKS_RBAC_PROPAGATION_S:.0f}s, and make the "
        "Kubernetes provider depend on that Sleep."
    )
    if age is None:
        yield ctx.refuse(
            "aks-rbac-cluster-admin",
            f"the deploying identity has no cluster-admin grant on {cluster.name} in place when "
            "this object is sent (the API server answers 403).",
            fix,
        )
    elif age < AKS_RBAC_PROPAGATION_S:
        yield ctx.refuse(
            "aks-rbac-cluster-admin",
            f"the deploying identity's cluster-admin grant on {cluster.name} is only guaranteed "
            f"{_seconds(age)} old when this object is sent; it takes up to "
            f"{AKS_RBAC_PROPAGATION_S:.0f} s to propagate.",
            fix,
        )


def _group(token: str) -> str:
    # "kubernetes:keda.sh/v1alpha1:ScaledObject" -> "keda.sh"
    parts = token.split(":")
    return parts[1].rsplit("/", 1)[0] if len(parts) == 3 and "/" in parts[1] else ""


@rule(
    "crd-addon-disabled",
    refuses="a custom resource (keda.sh, secrets-store.csi.x-k8s.io, "
    "approuting.kubernetes.azure.com) on a cluster whose add-on that installs its CRD is off "
    '("no matches for kind")',
    source="AKS add-on docs (KEDA, Key Vault secrets provider, application routing)",
)
def addon_enabled(ctx: StepContext) -> Iterator[Refusal]:
    """These kinds exist only when AKS installs their add-on; without it the API server has no
    such resource and pulumi-kubernetes gives up after its retries."""
    known = ADDON_CRDS.get(_group(ctx.resource.type))
    cluster = cluster_of(ctx)
    if known is None or cluster is None:
        return
    path, addon = known
    resource = _cluster_resource(ctx, cluster)
    if resource is not None and value_at(resource.inputs, path) is not True:
        yield ctx.refuse(
            "crd-addon-disabled",
            f"its CRD comes with the {addon} add-on, which is not enabled on {cluster.name}.",
            f"enable `{'.'.join(path)}` on the cluster, or do not create this kind.",
        )


@rule(
    "crd-not-registered",
    refuses="a custom resource created before the cluster is done, or too soon after it for "
    "the add-on's CRD to be registered",
    source="pulumi-kubernetes provider/pkg/await/await.go (Creation retries 'no matches for "
    "kind' for ~31 s); AKS add-ons install CRDs after provisioning",
)
def crd_registered(ctx: StepContext) -> Iterator[Refusal]:
    """Add-on CRDs appear after the cluster, asynchronously. pulumi-kubernetes retries a
    create whose kind is unknown for about 31 s (5 retries, backoff 1-2-4-8-16 s), so a custom
    resource must start no earlier than the CRD's registration minus that window."""
    if _group(ctx.resource.type) not in ADDON_CRDS:
        return
    cluster = cluster_of(ctx)
    resource = _cluster_resource(ctx, cluster) if cluster else None
    if cluster is None or resource is None:
        return
    age = ctx.age(resource.urn)
    needed = ADDON_CRD_REGISTRATION_S - CRD_RETRY_WINDOW_S
    if age is None or age < needed:
        when = (
            "does not wait for the cluster"
            if age is None
            else f"starts {_seconds(age)} after the cluster"
        )
        yield ctx.refuse(
            "crd-not-registered",
            f"this custom resource {when}; its add-on CRD may be registered up to "
            f"{ADDON_CRD_REGISTRATION_S:.0f} s after the cluster and pulumi-kubernetes retries "
            f"for only {CRD_RETRY_WINDOW_S:.0f} s.",
            "make it wait for the cluster and at least "
            f"{needed:.0f} s more (the cluster-admin propagation Sleep does both).",
        )


def _version(text: str) -> tuple[int, ...]:
    return tuple(int(p) for p in text.strip().split(".") if p.isdigit())


@rule(
    "aks-version-downgrade",
    refuses="an update that sends a `kubernetesVersion` lower than the cluster runs (after an "
    "automatic upgrade)",
    source="pulumi/pulumi-azure-native#2059; AKS does not downgrade a control plane",
)
def no_downgrade(ctx: StepContext) -> Iterator[Refusal]:
    """With an auto-upgrade channel, AKS moves the cluster past the pinned version; the next
    update sends the whole cluster body with the old pin, which AKS refuses as a downgrade.
    ignoreChanges on kubernetesVersion (or no pin) keeps the running version."""
    if ctx.resource.type != MANAGED_CLUSTER or ctx.previous is None:
        return
    if "kubernetesVersion" in ctx.resource.ignore_changes:
        return
    wanted = str(ctx.resource.inputs.get("kubernetesVersion") or "")
    running = str(ctx.previous.inputs.get("kubernetesVersion") or "")
    if not wanted or not running:
        return
    pin, actual = _version(wanted), _version(running)
    if pin < actual[: len(pin)]:
        yield ctx.refuse(
            "aks-version-downgrade",
            f"the cluster runs {running} after an automatic upgrade and this update sends "
            f"kubernetesVersion {wanted}: AKS refuses to downgrade.",
            "list `kubernetesVersion` in the cluster's ignore_changes when an upgrade channel "
            "is set (or do not pin it).",
        )


@rule(
    "aks-version-unsupported",
    refuses="creating a ManagedCluster on a `kubernetesVersion` outside AKS support on the "
    "plan's day for its `sku.tier` and `supportPlan` (past community support without LTS, "
    "not GA yet, past LTS), or `supportPlan: AKSLongTermSupport` off the Premium tier",
    source="AKS 'Supported Kubernetes versions' release calendar and platform support table "
    "(cluster creation not supported), 'Long-term support' (Premium tier required): "
    "MicrosoftDocs/azure-aks-docs, vendored in upstream/aks/",
)
def version_unsupported(ctx: StepContext) -> Iterator[Refusal]:
    """AKS creates clusters only on versions in support: community support under
    KubernetesOfficial, long-term support under AKSLongTermSupport (Premium only). A version
    past community support is in platform support, which does not allow creating a cluster.
    Checked on `ctx.plan.date` against the vendored calendar (`infra.aks_versions`); a patch
    version is judged by its minor. No version: AKS picks its default, nothing to refuse."""
    if ctx.resource.type != MANAGED_CLUSTER or ctx.action != "create":
        return
    inputs = ctx.resource.inputs
    version = str(inputs.get("kubernetesVersion") or "")
    tier = str(value_at(inputs, "sku.tier") or "Free")  # AKS's default tier
    plan = LTS if inputs.get("supportPlan") == LTS else OFFICIAL
    if plan == LTS and tier != LTS_TIER:
        yield ctx.refuse(
            "aks-version-unsupported",
            f"supportPlan {LTS} on the {tier} tier: long-term support needs the {LTS_TIER} tier.",
            f"set sku.tier {LTS_TIER}, or supportPlan {OFFICIAL} with a version in community "
            "support.",
        )
        return
    if not version:
        return
    try:
        support = version_support(version, plan, ctx.plan.date)
    except ValueError:
        return  # not a version: the provider's schema refuses it first
    if not support.ok:
        lts = version_support(version, LTS, ctx.plan.date)
        keep = (
            f", or keep {version} with sku.tier {LTS_TIER} and supportPlan {LTS} (until {lts.ends})"
            if plan == OFFICIAL and lts.ok
            else ""
        )
        yield ctx.refuse(
            "aks-version-unsupported",
            f"kubernetesVersion {version} on {ctx.plan.date} ({tier} tier, supportPlan "
            f"{plan}): it {support.why} [{load_calendar().cited}].",
            f"create the cluster on one of {', '.join(support.supported_minors) or 'none'} "
            f"(supportPlan {plan}){keep}.",
        )


# Agent pool properties AKS fixes when a pool is created: an update of an existing pool that
# changes one is refused (the pool must be recreated, e.g. a new pool and a drain). The provider
# previews it as an in-place update (pulumi-azure-native#2774), so only a deploy sees it.
# Sources: AKS "Ephemeral OS disks" (osDiskType is set at pool creation), "Host-based encryption"
# (enable on new pools only), "Resize node pools" (vmSize: create a new pool), availability zones
# ("zones can only be set when the pool is created").
POOL_CREATE_ONLY = (
    "vmSize",
    "osDiskType",
    "osDiskSizeGB",
    "enableEncryptionAtHost",
    "availabilityZones",
    "vnetSubnetID",
    "maxPods",
)


@rule(
    "aks-pool-create-only",
    refuses="an update of an existing node pool that changes a property AKS sets only when the "
    "pool is created (VM size, OS disk type/size, encryption at host, zones, subnet, max pods)",
    source="AKS docs: Ephemeral OS disks, Host-based encryption, Resize node pools; "
    "pulumi-azure-native#2774 (previewed as an update)",
)
def pool_create_only(ctx: StepContext) -> Iterator[Refusal]:
    """The cluster body carries every pool; AKS refuses the PUT when an existing pool's
    create-only property differs, and `pulumi up` fails half-way."""
    if ctx.resource.type != MANAGED_CLUSTER or ctx.previous is None:
        return
    before = {str(p.get("name")): p for p in ctx.previous.inputs.get("agentPoolProfiles") or ()}
    for pool in ctx.resource.inputs.get("agentPoolProfiles") or ():
        old = before.get(str(pool.get("name")))
        if old is None:
            continue
        changed = [f for f in POOL_CREATE_ONLY if old.get(f) != pool.get(f)]
        if changed:
            yield ctx.refuse(
                "aks-pool-create-only",
                f"node pool {pool.get('name')!r} exists and this update changes "
                f"{', '.join(changed)}, which AKS sets only when a pool is created.",
                "add a new pool with the new settings, move workloads (cordon and drain), then "
                "remove the old pool; or recreate the cluster in a new stack.",
            )


def _keda_on(inputs: Mapping[str, Any]) -> bool:
    return bool(value_at(inputs, "workloadAutoScalerProfile.keda.enabled"))


def _workload_identity_on(inputs: Mapping[str, Any]) -> bool:
    return bool(value_at(inputs, "securityProfile.workloadIdentity.enabled"))


@rule(
    "keda-before-workload-identity",
    refuses="an update that turns workload identity on for a cluster whose KEDA add-on already "
    "runs: the running keda-operator pods never get the workload identity environment, so "
    "every `azure-workload` scaler fails to authenticate until they are restarted",
    source="AKS docs 'Securely scale your applications using the KEDA add-on and workload "
    "identity' (azure-aks-docs includes/keda/keda-workload-identity-note.md: 'if you enable "
    "KEDA before Workload ID, you need to restart the KEDA operator pods')",
)
def keda_before_workload_identity(ctx: StepContext) -> Iterator[Refusal]:
    """The workload identity webhook injects the AZURE_* variables when a pod is created; the
    KEDA operator pods that already run are not re-created. The platform turns both on in the
    cluster's create (infra/foundation/aks_profiles.py `security_profile`, `keda_profile`), so
    no restart is ever needed; an update of an existing cluster that adds workload identity
    next to a running KEDA is refused, with the restart as the fix."""
    if ctx.resource.type != MANAGED_CLUSTER or ctx.previous is None:
        return
    now, before = ctx.resource.inputs, ctx.previous.inputs
    if not (_keda_on(now) and _workload_identity_on(now)):
        return
    if _keda_on(before) and not _workload_identity_on(before):
        yield ctx.refuse(
            "keda-before-workload-identity",
            "this update turns workload identity on while the KEDA add-on already runs: its "
            "operator pods keep running without the workload identity environment.",
            "run `kubectl rollout restart deployment keda-operator -n kube-system` right after "
            "this update (AKS does not restart them), before any azure-workload scaler needs it.",
        )
