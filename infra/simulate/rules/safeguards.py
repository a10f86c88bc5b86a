"""Rules of AKS Deployment Safeguards: what the Azure Policy add-on refuses at admission."""

from __future__ import annotations

from collections.abc import Iterator

from infra.plan.kinds import DEPLOYMENT_SAFEGUARD
from infra.plan.paths import value_at
from infra.plan.workloads import POD_KINDS, pod_spec
from infra.policy.safeguards import probe_safeguard
from infra.simulate.registry import Refusal, StepContext, rule


def _excluded_when_enforced(ctx: StepContext) -> frozenset[str] | None:
    """The namespaces the probe policy skips, when a safeguard in Enforce guards the cluster
    (in the plan or already deployed); None when none does."""
    enforced = [
        r
        for r in [*ctx.plan.of_type(DEPLOYMENT_SAFEGUARD), *ctx.world.resources.values()]
        if r.type == DEPLOYMENT_SAFEGUARD and r.inputs.get("level") == "Enforce"
    ]
    if not enforced:
        return None
    return probe_safeguard().excluded(
        str(n) for r in enforced for n in (r.inputs.get("excludedNamespaces") or ())
    )


@rule(
    "safeguards-refuse-pod",
    refuses="a pod template of any workload kind (Deployment, StatefulSet, Job, CronJob, KEDA "
    "ScaledJob, Pod) in a namespace Deployment Safeguards in Enforce do not exclude, whose "
    "containers lack a readiness and a liveness probe with a tcpSocket, httpGet or exec handler",
    source="Azure/azure-policy AKS_Safeguards.json (source All) and ContainerEnforceProbes.json "
    "(kinds Pod) with its Gatekeeper template, vendored in upstream/azure-policy (f4a50bac); "
    "issue 21 point 3",
)
def probeless_pod(ctx: StepContext) -> Iterator[Refusal]:
    """The safeguards' probe policy matches every Pod and, with `source: All`, the Pods
    Gatekeeper generates from a workload's template, so a Deployment, Job or CronJob without
    probes is denied when it is applied; a ScaledJob's pods are denied when KEDA creates them,
    so no run ever starts. Only `spec.containers` are checked (not init containers), and a
    probe counts only with a tcpSocket, httpGet or exec handler (a gRPC probe does not).
    What the policy requires is read from the vendored definitions (infra/policy/safeguards.py).
    """
    if ctx.resource.type not in POD_KINDS:
        return
    excluded = _excluded_when_enforced(ctx)
    if excluded is None:
        return
    namespace = str(value_at(ctx.resource.inputs, "metadata.namespace") or "default")
    if namespace in excluded:
        return
    probe = probe_safeguard()
    pod = pod_spec(ctx.resource.type, ctx.resource.inputs) or {}
    kind = ctx.resource.type.rsplit(":", 1)[-1]
    for field_name in probe.container_fields:
        for container in pod.get(field_name) or ():
            if not isinstance(container, dict):
                continue
            missing = probe.missing(container)
            if not missing:
                continue
            when = (
                "is denied at admission"
                if probe.refused_at_apply(kind)
                else "is applied, but every Pod its controller creates is denied: nothing runs"
            )
            yield ctx.refuse(
                "safeguards-refuse-pod",
                f"container {container.get('name')!r} in namespace {namespace} has no "
                f"{' or '.join(missing)} with a {', '.join(probe.probe_handlers)} handler, and "
                f"Deployment Safeguards (Enforce) do not exclude {namespace}: the {kind} {when}.",
                "give the container both probes (a gRPC probe does not count: use tcpSocket), "
                "or, for a job, run it in its application's jobs namespace, which the "
                "DeploymentSafeguard excludes (infra/foundation/guardrails.py).",
            )
