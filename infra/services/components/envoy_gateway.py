"""`EnvoyGateway`: Envoy Gateway from its pinned charts, the GatewayClass and the shared Gateway
that serve internal AKS ingress (`aks.ingress: gateway`) and the local stack's ingress, and on
AKS a private DNS record per internal host to the Gateway's fixed internal address.

CRD ownership: one Helm release owns each CRD. From v1.9 the `gateway-helm` chart carries the
Gateway API CRDs (experimental channel) and Envoy Gateway's own in a `crds` subchart, whose
templates also render the Gateway API safe-upgrades ValidatingAdmissionPolicy and binding
(v1.9.0 charts/gateway-helm/Chart.yaml `condition: crds.enabled`,
charts/gateway-helm/charts/crds/templates/gatewayapi-safe-upgrade-policy.yaml). `skipCrds` skips
only the CRD files, not that policy, so the controller chart is installed with
`crds.enabled: false` (and `skip_crds` kept) and the CRDs come from `gateway-crds-helm` of the
same release, whose values choose them separately (`crds.gatewayAPI.enabled`,
`crds.envoyGateway.enabled`; Envoy Gateway docs "Install with Helm", "Installing CRDs
separately"; v1.9.0 release notes, breaking changes: the policy moved out of the CRD bundle). On
AKS the ALB controller owns the Gateway API CRDs (and whatever policy guards them), so this chart
installs only Envoy Gateway's; locally nothing else does, so it installs both, from the standard
channel (the one the platform's objects are validated against), with the safe-upgrades policy
that `templates/standard-gatewayapi-crds.yaml` renders alongside them.
The deploy simulator's `crd-owned-twice` rule checks it.

Gateway API versions: Envoy Gateway v1.9 is built on Gateway API v1.6.1; the ALB controller
1.13.0 installs v1.6.2 (a patch of the same minor). Envoy Gateway tolerates a cluster whose
Gateway API bundle lacks a kind: at start it asks the discovery API for each optional kind
(ListenerSet, GRPCRoute, TLSRoute, UDPRoute, TCPRoute at `v1`, BackendTLSPolicy, ServiceImport,
its own CRDs) and skips the watch of a missing one with a log line instead of crash-looping;
GatewayClass, Gateway, HTTPRoute and ReferenceGrant are required (v1.9.0
internal/provider/kubernetes/controller.go `watchResources`, `crdExists`). It checks once, at
start: it must start after the CRDs exist, hence the ordering below.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import pulumi
import pulumi_kubernetes as k8s
from pulumi_azure_native import privatedns

from infra.constants import INTERNAL_INGRESS_COMPONENT
from infra.foundation.common import Placement
from infra.services.catalog import PlannedService
from infra.services.chart_versions import reviewed
from infra.services.components.kubernetes_objects import create_objects
from infra.services.render.common import ClusterKind, PlatformExtensions, PlatformFacts
from infra.services.render.envoy_gateway import (
    ENVOY_GATEWAY_NAMESPACE,
    ENVOY_GATEWAY_RELEASE,
    certgen_objects,
    controller_values,
    envoy_proxy_object,
    envoy_services,
    gateway_class_object,
    gateway_object,
    namespace_object,
)

ENVOY_GATEWAY_REPOSITORY = "oci://docker.io/envoyproxy"
ENVOY_GATEWAY_CHART = f"{ENVOY_GATEWAY_REPOSITORY}/gateway-helm"
ENVOY_GATEWAY_CRDS_CHART = f"{ENVOY_GATEWAY_REPOSITORY}/gateway-crds-helm"


def _reviewed_version(chart: str) -> str:
    entry = reviewed(ENVOY_GATEWAY_REPOSITORY, chart)
    assert entry is not None, f"{chart} is in infra/services/chart_versions.py"
    return entry.version


ENVOY_GATEWAY_VERSION = _reviewed_version("gateway-helm")
"""From the reviewed list (`infra/services/chart_versions.py`, with where it was checked and the
line's end of life): the newest release of the only supported Envoy Gateway line on 2026-11-28,
v1.9 (compatibility matrix: built on Gateway API v1.6.1, the version of the vendored CRD
schemas; end of life 2027-02-14). Its chart version is the release tag (tools/make/helm.mk)."""
ENVOY_GATEWAY_CRDS_VERSION = _reviewed_version("gateway-crds-helm")


@dataclass(frozen=True)
class InternalDns:
    """Where internal hosts get their private DNS records (AKS only)."""

    placement: Placement
    zone_name: pulumi.Input[str]
    zone: str


ENVOY_GATEWAY_COMPONENT = "platform:services:EnvoyGateway"


class EnvoyGateway(pulumi.ComponentResource):
    """Namespace → CRDs chart → certgen (the controller chart's hooks) → controller chart →
    GatewayClass and Gateway. `ready` is what a route must wait for (its CRD and a programmed
    parent)."""

    ready: list[pulumi.Resource]
    gateway: dict[str, Any] | None
    """The shared Gateway object as created, None without an Envoy-served service (the platform
    stack's contract lists its listeners)."""

    def __init__(
        self,
        *,
        services: Sequence[PlannedService],
        facts: PlatformFacts,
        extensions: PlatformExtensions,
        provider: k8s.Provider,
        gateway_api_crds: pulumi.Resource | None,
        dns: InternalDns | None,
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        super().__init__(ENVOY_GATEWAY_COMPONENT, "envoy-gateway", None, opts)
        local = facts.cluster is ClusterKind.LOCAL
        on_cluster = pulumi.ResourceOptions(parent=self, provider=provider)
        namespace = create_objects([namespace_object(extensions)], on_cluster)
        crds = k8s.helm.v4.Chart(
            "envoy-gateway-crds",
            chart=ENVOY_GATEWAY_CRDS_CHART,
            version=ENVOY_GATEWAY_CRDS_VERSION,
            namespace=ENVOY_GATEWAY_NAMESPACE,
            values={
                "crds": {
                    # Locally this release owns the Gateway API CRDs; on AKS the ALB controller
                    # chart does (two owners of one CRD fight over it).
                    "gatewayAPI": {"enabled": gateway_api_crds is None, "channel": "standard"},
                    "envoyGateway": {"enabled": True},
                }
            },
            opts=pulumi.ResourceOptions.merge(
                on_cluster, pulumi.ResourceOptions(depends_on=list(namespace.resources))
            ),
        )
        crd_sources: list[pulumi.Resource] = [crds]
        if gateway_api_crds is not None:
            crd_sources.append(gateway_api_crds)
        # The chart's pre-install/pre-upgrade hooks (certgen: the controller's TLS Secrets),
        # which helm.v4.Chart never applies, as ordinary objects in the hooks' order; the Job
        # is awaited until it completes (render.envoy_gateway.certgen_objects says why).
        certgen: list[pulumi.Resource] = []
        after: list[pulumi.Resource] = list(namespace.resources)
        for wave in certgen_objects(ENVOY_GATEWAY_VERSION, extensions):
            created_wave = create_objects(
                wave,
                pulumi.ResourceOptions.merge(on_cluster, pulumi.ResourceOptions(depends_on=after)),
            )
            after = [*after, *created_wave.resources]
            certgen.extend(created_wave.resources)
        controller = k8s.helm.v4.Chart(
            ENVOY_GATEWAY_RELEASE,
            chart=ENVOY_GATEWAY_CHART,
            version=ENVOY_GATEWAY_VERSION,
            namespace=ENVOY_GATEWAY_NAMESPACE,
            skip_crds=True,
            values=controller_values(),
            # After every CRD source: the controller looks each optional kind (GRPCRoute among
            # them) up once, at start, and never watches one that was missing then. After
            # certgen: the controller mounts the Secret it creates.
            opts=pulumi.ResourceOptions.merge(
                on_cluster,
                pulumi.ResourceOptions(depends_on=[*namespace.resources, *crd_sources, *certgen]),
            ),
        )
        objects = [envoy_proxy_object(facts, extensions), gateway_class_object(extensions)]
        gateway = gateway_object(services, facts, extensions)
        self.gateway = gateway
        if gateway is not None:
            objects.append(gateway)
        created = create_objects(
            objects,
            pulumi.ResourceOptions.merge(
                on_cluster, pulumi.ResourceOptions(depends_on=[*crd_sources, controller])
            ),
        )
        self.ready = [*crd_sources, controller, *created.resources]
        # One record per host, however many services share it (two records of one name would
        # be one Azure record set under two URNs).
        hosts = sorted(
            {route.host for s in envoy_services(services) if (route := s.route) and route.host}
        )
        if dns is not None and not local and facts.internal_gateway is not None:
            address = facts.internal_gateway.address
            # The records the internal NGINX path created, kept under their old parent's URN
            # (an alias), so switching `aks.ingress` to gateway updates them instead of
            # creating and then deleting the same Azure record.
            old_parent = pulumi.create_urn("internal-ingress", INTERNAL_INGRESS_COMPONENT)
            for host in hosts:
                privatedns.PrivateRecordSet(
                    f"internal-host-{host}",
                    private_zone_name=dns.zone_name,
                    resource_group_name=dns.placement.resource_group_name,
                    record_type="A",
                    relative_record_set_name=host.removesuffix(f".{dns.zone}"),
                    ttl=300,
                    a_records=[privatedns.ARecordArgs(ipv4_address=address)],
                    opts=pulumi.ResourceOptions(
                        parent=self, aliases=[pulumi.Alias(parent=old_parent)]
                    ),
                )
        self.register_outputs(
            {"gateway": None if gateway is None else gateway["metadata"]["name"], "hosts": hosts}
        )
