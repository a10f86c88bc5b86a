"""Admission-time guardrails inside the cluster: AKS Deployment Safeguards and the Azure Policy pod
security initiative.

Both are evaluated by the Azure Policy add-on (Gatekeeper) when an object reaches the API server.
The offline rules in `infra/policy/rules.py` check the same things in the plan first, so a change
that would be warned about or refused by the cluster fails review instead (the
"Hardening" table of docs/security.md maps each safeguard to its rule).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import pulumi
from pulumi_azure_native import authorization, containerservice

from infra.config import ClusterHardening
from infra.constants import (
    ALB_NAMESPACE,
    ENVOY_GATEWAY_NAMESPACE,
    POD_SECURITY_RESTRICTED_INITIATIVE_ID,
)

SYSTEM_NAMESPACES = (
    "app-routing-system",
    ALB_NAMESPACE,
    "gatekeeper-system",
    "kube-node-lease",
    "kube-public",
    "kube-system",
)
"""Where AKS and its add-ons run (CoreDNS, CSI, KEDA, Defender, monitoring agents in kube-system;
managed NGINX in app-routing-system; the policy agent in gatekeeper-system) and Microsoft's ALB
controller for Application Gateway for Containers (its chart sets its pods' security; excluded
like the add-ons it stands for). They are Microsoft's to configure; application namespaces may
not use these names (`RESERVED_NAMESPACES` in infra/services/patterns.py)."""

SAFEGUARD_EXCLUDED_NAMESPACES = (*SYSTEM_NAMESPACES, ENVOY_GATEWAY_NAMESPACE)
"""Deployment Safeguards also skip Envoy Gateway's namespace: its chart's certgen Job has no
probes (Enforce denies probe-less containers, AKS "Deployment safeguards" policies) and the
proxies are shaped by Envoy Gateway, not by this repository. Its pods stay under the pod
security initiative: every one of them meets `restricted` (render/envoy_gateway.py)."""

POD_SECURITY_RESTRICTED_INITIATIVE = (
    "/providers/Microsoft.Authorization/policySetDefinitions/"
    + POD_SECURITY_RESTRICTED_INITIATIVE_ID
)
"""Built-in initiative "Kubernetes cluster pod security restricted standards for Linux-based
workloads" (the baseline one is a8640138-9b0a-4a28-b8cb-1666c838647d); ids as assigned by the AKS
baseline reference architecture (mspnp/aks-baseline) and listed in the AKS pod security docs."""

_EFFECT = {"Audit": "audit", "Deny": "deny"}


@dataclass(frozen=True)
class ClusterGuardrailsArgs:
    cluster_id: pulumi.Input[str]
    cluster_name: str
    hardening: ClusterHardening
    job_namespaces: tuple[str, ...] = ()
    """Where the applications' AKS jobs run (`<app>-jobs`): excluded from the safeguards."""


def safeguard_excluded_namespaces(job_namespaces: Sequence[str]) -> list[str]:
    """The DeploymentSafeguard's `excludedNamespaces`: the platform's and the jobs namespaces.

    Job pods have no probes, and the safeguards' probe policy refuses probe-less Pods (kinds
    Pod, source All: a Job's or CronJob's pods too; upstream/azure-policy, read by
    infra/policy/safeguards.py). The exclusion covers every safeguard of the initiative (the
    AKS API excludes whole namespaces), so the offline policy checks those namespaces' pods for
    everything else the safeguards check (docs/policy-and-safeguards.md)."""
    return [*SAFEGUARD_EXCLUDED_NAMESPACES, *sorted(set(job_namespaces))]


class ClusterGuardrails(pulumi.ComponentResource):
    """Deployment Safeguards (Warn/Enforce) and the pod security initiative (audit/deny) on one
    cluster, with the system namespaces excluded from both."""

    def __init__(
        self, name: str, args: ClusterGuardrailsArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__("platform:foundation:ClusterGuardrails", name, None, opts)
        hardening = args.hardening
        if hardening.deployment_safeguards != "Off":
            # learn.microsoft.com/azure/aks/deployment-safeguards: Warn answers kubectl with a
            # warning, Enforce denies (and mutates) non-compliant workloads.
            containerservice.DeploymentSafeguard(
                f"{name}-safeguards",
                resource_uri=args.cluster_id,
                level=containerservice.DeploymentSafeguardsLevel(hardening.deployment_safeguards),
                excluded_namespaces=safeguard_excluded_namespaces(args.job_namespaces),
                opts=pulumi.ResourceOptions(parent=self),
            )
        if hardening.pod_security != "Off":
            authorization.PolicyAssignment(
                f"{name}-pod-security",
                policy_assignment_name=f"{args.cluster_name}-pod-security-restricted",
                display_name=f"[{args.cluster_name}] Pod security restricted standards",
                description="Pod Security Standards 'restricted' for every application namespace"
                " (the namespaces' own PSA label enforces the same; this adds Azure Policy"
                " compliance reporting and a second gate)",
                scope=args.cluster_id,
                policy_definition_id=POD_SECURITY_RESTRICTED_INITIATIVE,
                enforcement_mode=authorization.EnforcementMode.DEFAULT,
                parameters={
                    "effect": authorization.ParameterValuesValueArgs(
                        value=_EFFECT[hardening.pod_security]
                    ),
                    "excludedNamespaces": authorization.ParameterValuesValueArgs(
                        value=list(SYSTEM_NAMESPACES)
                    ),
                },
                opts=pulumi.ResourceOptions(parent=self),
            )
        self.register_outputs({})
