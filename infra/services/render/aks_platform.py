"""What an application's AKS services share and no one service owns: the namespace with its
default-deny policy, the internal ingress controller, and a Helm chart's callers' policy."""

from __future__ import annotations

from dataclasses import dataclass

from infra.constants import INTERNAL_INGRESS_CLASS
from infra.services.catalog import Catalog, PlannedChart
from infra.services.render.common import (
    PART_OF_LABEL,
    Manifest,
    PlatformExtensions,
    selector,
)
from infra.services.render.objects import KubernetesPlan, hooked, object_meta, platform_meta

POD_SECURITY = {
    "pod-security.kubernetes.io/enforce": "restricted",
    "pod-security.kubernetes.io/enforce-version": "latest",
    "pod-security.kubernetes.io/audit": "restricted",
    "pod-security.kubernetes.io/warn": "restricted",
}


@dataclass(frozen=True)
class NamespacePlan(KubernetesPlan):
    """The application's namespace, then what must exist in it before any service."""

    namespace: Manifest
    default_deny: Manifest


def namespace_plan(
    app: str, extensions: PlatformExtensions, name: str | None = None
) -> NamespacePlan:
    """The application's namespace (`name`, default the application's own; its jobs namespace
    for its AKS jobs), restricted by Pod Security Admission, denying all ingress traffic unless
    a service's own policy allows it."""
    namespace = name or app
    return NamespacePlan(
        namespace={
            "apiVersion": "v1",
            "kind": "Namespace",
            "metadata": object_meta(
                namespace,
                extensions,
                namespace=None,
                own_labels={PART_OF_LABEL: app, **POD_SECURITY},
            ),
        },
        default_deny={
            "apiVersion": "networking.k8s.io/v1",
            "kind": "NetworkPolicy",
            "metadata": platform_meta("default-deny-ingress", extensions, app, namespace=namespace),
            "spec": {"podSelector": {}, "policyTypes": ["Ingress"]},
        },
    ).with_hooks(extensions)


def namespace_objects(
    app: str, extensions: PlatformExtensions, name: str | None = None
) -> list[Manifest]:
    """`namespace_plan`'s objects, in apply order."""
    return namespace_plan(app, extensions, name).objects()


def internal_ingress_controller(address: str, extensions: PlatformExtensions) -> Manifest:
    """A second app-routing NGINX behind an internal load balancer, for Exposure.INTERNAL, on a
    fixed address so internal hosts can have DNS records before the load balancer exists.
    Labelled and hooked like every other object."""
    controller = {
        "apiVersion": "approuting.kubernetes.azure.com/v1alpha1",
        "kind": "NginxIngressController",
        "metadata": platform_meta(INTERNAL_INGRESS_CLASS, extensions),
        "spec": {
            "ingressClassName": INTERNAL_INGRESS_CLASS,
            "controllerNamePrefix": INTERNAL_INGRESS_CLASS,
            "loadBalancerAnnotations": {
                "service.beta.kubernetes.io/azure-load-balancer-internal": "true",
                "service.beta.kubernetes.io/azure-load-balancer-ipv4": address,
            },
        },
    }
    return hooked(controller, extensions)


def render_chart(
    chart: PlannedChart, catalog: Catalog, extensions: PlatformExtensions
) -> tuple[Manifest, list[Manifest]]:
    """The Helm chart's arguments, and the NetworkPolicy that lets exactly its declared callers
    in (the namespace denies everything else)."""
    spec = chart.chart
    oci = spec.repository.startswith("oci://")
    arguments: Manifest = {
        "chart": f"{spec.repository.rstrip('/')}/{spec.chart}" if oci else spec.chart,
        "version": spec.version,
        "namespace": chart.app,
        "values": {
            "commonLabels": {**extensions.labels, PART_OF_LABEL: chart.app},
            **dict(spec.values),
        },
    }
    if not oci:
        arguments["repository"] = spec.repository
    callers = catalog.callers_of(chart.name)
    sources = [
        {
            "namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": caller.namespace}},
            "podSelector": {"matchLabels": selector(caller)},
        }
        for caller in callers
    ]
    policy: Manifest = {
        "apiVersion": "networking.k8s.io/v1",
        "kind": "NetworkPolicy",
        "metadata": object_meta(
            f"{chart.name}-callers",
            extensions,
            namespace=chart.app,
            own_labels={PART_OF_LABEL: chart.app, "app.kubernetes.io/instance": chart.name},
        ),
        "spec": {
            "podSelector": {"matchLabels": {"app.kubernetes.io/instance": chart.name}},
            "policyTypes": ["Ingress"],
            "ingress": [{"from": sources, "ports": [{"port": spec.port, "protocol": "TCP"}]}]
            if sources
            else [],
        },
    }
    return arguments, [hooked(policy, extensions)]
