"""`PublicGateway`: the ALB controller (Helm) in its namespace and, per application with public
AKS services, an Application Gateway for Containers Frontend, the Gateway that uses it, and the
CNAME of each host in the platform's DNS zone to the Frontend's FQDN.

The namespace: the chart renders a Namespace for `albController.namespace` only when the release
is installed into another namespace (`templates/common.yaml`, `if not (eq .Release.Namespace
.Values.albController.namespace)`, as reported from the rendered chart; Microsoft's Helm
quickstart installs into a separate namespace with `--create-namespace`: upstream/charts/
alb-controller-1.13.0/SOURCE.md). The release lives in `azure-alb-system` itself, and
helm.v4.Chart has no create-namespace, so the program creates the Namespace and the chart waits
for it; otherwise every namespaced object of the chart is refused ("namespaces
\"azure-alb-system\" not found").

Hooks: the 1.13.0 chart's one known hook is the `pre-delete` Job `alb-controller-cleanup`
(`ALB_ACCEPTED_HOOKS`); the program checks the vendored list before it installs the chart.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import pulumi
import pulumi_kubernetes as k8s
from pulumi_azure_native import dns, servicenetworking

from infra.constants import PUBLIC_GATEWAY_COMPONENT, PUBLIC_GATEWAY_NAME
from infra.foundation.common import Placement
from infra.foundation.gateway import ALB_NAMESPACE, GatewayForContainers
from infra.services.catalog import PlannedService
from infra.services.chart_hooks import UnhandledChartHook, chart_name, dropped
from infra.services.chart_versions import ALB_CHART, ALB_CHART_VERSION
from infra.services.components.kubernetes_objects import create_objects
from infra.services.custom_domains import (
    ManagedRecords,
    container_app_host_alias,
    gateway_host_record,
)
from infra.services.render.common import GatewayFacts, PlatformExtensions
from infra.services.render.gateway import (
    alb_namespace_object,
    frontend_name,
    gateway_object,
    public_hosts,
)

ALB_ACCEPTED_HOOKS: dict[tuple[str, str], str] = {
    ("Job", "alb-controller-cleanup"): (
        "pre-delete, runs only on `helm uninstall`, which a Pulumi deploy never does. What it "
        "cleans is not documented; the deployment is bring-your-own, so the Azure resources "
        "the controller programs (TrafficController, Association, Frontends) are this stack's "
        "and Pulumi deletes them, and the Gateways depend on the chart, so a destroy deletes "
        "them while the controller still runs. Removing the controller by hand: run "
        "Microsoft's uninstall steps (delete the namespace and the azure-alb-external "
        "GatewayClass after the chart)."
    ),
}
"""The ALB chart's hooks the platform does without, each with the reason (see `dropped`)."""


class PublicGateway(pulumi.ComponentResource):
    """Gateway API objects wait for the controller chart (it brings their CRDs), and the chart
    waits for what the controller needs to program a Frontend (association, federated
    credential, roles)."""

    controller: k8s.helm.v4.Chart
    frontends: dict[str, pulumi.Output[str]]
    """Application → its Frontend's FQDN: where each public host's CNAME points."""
    gateways: dict[str, dict[str, Any]]
    """Application → its Gateway object as created (the platform stack's contract lists their
    listeners)."""

    def __init__(
        self,
        agc: GatewayForContainers,
        *,
        services: Sequence[PlannedService],
        namespaces: Mapping[str, pulumi.Resource],
        gateway: GatewayFacts,
        placement: Placement,
        extensions: PlatformExtensions,
        provider: k8s.Provider,
        host_records: Mapping[str, ManagedRecords] | None = None,
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        """`host_records`: service → the CNAME its host gets in the platform's DNS zone
        (`custom_domains.gateway_host_records`; `aks.ingress: gateway` only)."""
        super().__init__(PUBLIC_GATEWAY_COMPONENT, PUBLIC_GATEWAY_NAME, None, opts)
        self.frontends = {}
        self.gateways = {}
        values = {
            "albController": {
                "namespace": ALB_NAMESPACE,
                "podIdentity": {"clientID": agc.controller_client_id},
            }
        }
        problems = dropped(
            chart_name(ALB_CHART), ALB_CHART_VERSION, values, accepted=ALB_ACCEPTED_HOOKS
        )
        if problems:
            raise UnhandledChartHook("; ".join(problems))
        namespace_created = create_objects(
            [alb_namespace_object(extensions)],
            pulumi.ResourceOptions(parent=self, provider=provider),
        )
        self.controller = k8s.helm.v4.Chart(
            "alb-controller",
            chart=ALB_CHART,
            version=ALB_CHART_VERSION,
            namespace=ALB_NAMESPACE,
            values=values,
            opts=pulumi.ResourceOptions(
                parent=self,
                provider=provider,
                depends_on=[*agc.ready, *namespace_created.resources],
            ),
        )
        for app, namespace in sorted(namespaces.items()):
            obj = gateway_object(app, services, gateway, extensions)
            if obj is None:
                continue
            frontend = servicenetworking.FrontendsInterface(
                f"{app}-frontend",
                servicenetworking.FrontendsInterfaceArgs(
                    resource_group_name=placement.resource_group_name,
                    traffic_controller_name=agc.traffic_controller_name,
                    frontend_name=frontend_name(app),
                    location=placement.location,
                    tags=placement.tags,
                ),
                opts=pulumi.ResourceOptions(parent=self),
            )
            create_objects(
                [obj],
                pulumi.ResourceOptions(
                    parent=self,
                    provider=provider,
                    depends_on=[namespace, self.controller, frontend],
                ),
            )
            self.frontends[app] = frontend.fqdn
            self.gateways[app] = obj
            # One CNAME per host, named after its first service (the listener's name), however
            # many services share the host.
            for on_host in public_hosts(services, app).values():
                records = (host_records or {}).get(on_host[0].name)
                if records is not None:
                    _host_cname(self, on_host[0].name, records, frontend.fqdn)
        self.register_outputs({"frontends": self.frontends})


def _host_cname(
    parent: pulumi.Resource, service: str, records: ManagedRecords, target: pulumi.Input[str]
) -> dns.RecordSet:
    """The host's name in the zone, an alias of the Frontend's FQDN (AGC serves the host named
    in the request; it verifies no DNS record, so the route works before or after this)."""
    return dns.RecordSet(
        gateway_host_record(service),
        zone_name=records.zone,
        resource_group_name=records.resource_group,
        relative_record_set_name=records.relative_name,
        record_type="CNAME",
        ttl=300,
        cname_record=dns.CnameRecordArgs(cname=target),
        # Moving the service from Container Apps: the CNAME its component held is this one
        # (one Azure record set; without the alias Pulumi would create it here, then delete it
        # there, and the host would resolve nowhere).
        opts=pulumi.ResourceOptions(parent=parent, aliases=[container_app_host_alias(service)]),
    )
