"""`ApplicationNamespace`: the namespace an application's AKS services share."""

from __future__ import annotations

from collections.abc import Sequence

import pulumi
import pulumi_kubernetes as k8s
from pulumi_azure_native import privatedns

from infra.constants import INTERNAL_INGRESS_COMPONENT, NAMESPACE_COMPONENT
from infra.foundation.common import Placement
from infra.services.components.envoy_gateway import ENVOY_GATEWAY_COMPONENT
from infra.services.components.kubernetes_objects import create_objects
from infra.services.render.aks import internal_ingress_controller, namespace_plan
from infra.services.render.common import PlatformExtensions


class ApplicationNamespace(pulumi.ComponentResource):
    """Pod Security `restricted` and deny-all ingress, before any service lands in it. `name`:
    the namespace (default the application's; `<app>-jobs` for its AKS jobs)."""

    def __init__(
        self,
        app: str,
        extensions: PlatformExtensions,
        provider: k8s.Provider,
        opts: pulumi.ResourceOptions | None = None,
        *,
        name: str | None = None,
    ) -> None:
        namespace_name = name or app
        super().__init__(NAMESPACE_COMPONENT, namespace_name, None, opts)
        plan = namespace_plan(app, extensions, namespace_name)
        namespace = create_objects(
            [plan.namespace], pulumi.ResourceOptions(parent=self, provider=provider)
        )
        create_objects(
            [plan.default_deny],
            pulumi.ResourceOptions(parent=self, provider=provider, depends_on=namespace.resources),
        )
        self.register_outputs({"namespace": namespace_name})


class InternalIngress(pulumi.ComponentResource):
    """The app-routing NGINX instance behind an internal load balancer (Exposure.INTERNAL), and a
    private DNS record for each internal host, pointing at its fixed address."""

    def __init__(
        self,
        provider: k8s.Provider,
        *,
        address: str,
        hosts: Sequence[str],
        placement: Placement,
        zone_name: pulumi.Input[str],
        zone: str,
        extensions: PlatformExtensions,
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        super().__init__(INTERNAL_INGRESS_COMPONENT, "internal-ingress", None, opts)
        create_objects(
            [internal_ingress_controller(address, extensions)],
            pulumi.ResourceOptions(parent=self, provider=provider),
        )
        for host in hosts:
            privatedns.PrivateRecordSet(
                f"internal-host-{host}",
                private_zone_name=zone_name,
                resource_group_name=placement.resource_group_name,
                record_type="A",
                relative_record_set_name=host.removesuffix(f".{zone}"),
                ttl=300,
                a_records=[privatedns.ARecordArgs(ipv4_address=address)],
                # Switching back from `aks.ingress: gateway`: the record Envoy Gateway's
                # component held is this one (one Azure record; without the alias Pulumi would
                # create it here and then delete it there).
                opts=pulumi.ResourceOptions(
                    parent=self,
                    aliases=[
                        pulumi.Alias(
                            parent=pulumi.create_urn("envoy-gateway", ENVOY_GATEWAY_COMPONENT)
                        )
                    ],
                ),
            )
        self.register_outputs({"address": address})
