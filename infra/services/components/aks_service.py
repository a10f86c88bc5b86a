"""`AksService`: one service on AKS, from its validated spec."""

from __future__ import annotations

from dataclasses import dataclass

import pulumi
import pulumi_kubernetes as k8s
from pulumi_azure_native import managedidentity, privatedns

from infra.constants import AKS_SERVICE_COMPONENT
from infra.foundation.common import Placement
from infra.services.catalog import Catalog, PlannedJob, PlannedService
from infra.services.components.identity import (
    create_identity,
    grants_in_force,
    reads_key_vault,
)
from infra.services.components.kubernetes_objects import create_objects, logical_name
from infra.services.render.aks import ServiceSecrets, job_plan_on_aks, plan_on_aks
from infra.services.render.canary import render_canary_on_aks
from infra.services.render.common import Manifest, PlatformExtensions, PlatformFacts
from infra.services.render.gateway import gateway_certificate
from infra.services.roles import queue_trigger
from infra.services.wiring import reachability

WORKLOAD_IDENTITY_AUDIENCE = "api://AzureADTokenExchange"
KEDA_OPERATOR_SUBJECT = "system:serviceaccount:kube-system:keda-operator"
"""The AKS KEDA add-on's operator (namespace kube-system, service account keda-operator)."""


@dataclass(frozen=True)
class AzureWiring:
    """What a service on AKS needs from Azure (absent on a local cluster)."""

    placement: Placement
    oidc_issuer_url: pulumi.Input[str]
    platform_vault_id: pulumi.Input[str]
    private_zone_name: pulumi.Input[str]
    private_zone_group: pulumi.Input[str] | None = None
    """The zone's resource group when it is not `placement`'s (an application stack's records
    go in the platform's zone: docs/team-stacks.md)."""


@dataclass(frozen=True)
class AksServiceArgs:
    service: PlannedService | PlannedJob
    """A service, or a job (which gets the same identity and federation, and no Service)."""
    catalog: Catalog
    facts: PlatformFacts
    extensions: PlatformExtensions
    provider: k8s.Provider
    secrets: ServiceSecrets
    namespace: pulumi.Resource
    azure: AzureWiring | None
    """None on a local cluster: no identity, no Key Vault, no private DNS."""
    after: tuple[pulumi.Resource, ...] = ()
    """What the service's objects wait for besides its namespace: the Gateway API CRDs and the
    Gateway controller when it has a route."""


class AksService(pulumi.ComponentResource):
    """Identity (federated with the service account), then the rendered Kubernetes objects."""

    def __init__(
        self, name: str, args: AksServiceArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__(AKS_SERVICE_COMPONENT, name, None, opts)
        service = args.service
        azure = args.azure
        certificate = gateway_certificate(service) if isinstance(service, PlannedService) else None
        certificates = (certificate,) if certificate else ()
        identity = (
            create_identity(
                self,
                service.spec,
                azure.placement,
                args.facts.environment.value,
                azure.platform_vault_id,
                certificates=certificates,
            )
            if azure is not None
            else None
        )
        client_id: pulumi.Input[str] | None = None
        depends: list[pulumi.Resource] = [args.namespace, *args.after]
        if identity is not None and azure is not None:
            # Tokens for this service account (and no other) are exchanged for the identity.
            federation = managedidentity.FederatedIdentityCredential(
                f"{service.name}-federation",
                resource_group_name=identity.placement.resource_group_name,
                resource_name_=identity.identity.name,
                issuer=azure.oidc_issuer_url,
                subject=f"system:serviceaccount:{service.namespace}:{service.name}",
                audiences=[WORKLOAD_IDENTITY_AUDIENCE],
                opts=pulumi.ResourceOptions(parent=self),
            )
            depends += [federation]
            if queue_trigger(service.spec) is not None:
                # KEDA's operator reads the queue with this identity through its own service
                # account (TriggerAuthentication `azure-workload`): it needs a credential too
                # (AKS "KEDA with workload identity"). Azure refuses concurrent writes of
                # federated credentials on one identity, so this one waits for the first.
                depends.append(
                    managedidentity.FederatedIdentityCredential(
                        f"{service.name}-keda-federation",
                        resource_group_name=identity.placement.resource_group_name,
                        resource_name_=identity.identity.name,
                        issuer=azure.oidc_issuer_url,
                        subject=KEDA_OPERATOR_SUBJECT,
                        audiences=[WORKLOAD_IDENTITY_AUDIENCE],
                        opts=pulumi.ResourceOptions(parent=self, depends_on=[federation]),
                    )
                )
            client_id = identity.identity.client_id
            depends += list(identity.grants)
            if reads_key_vault(service.spec) or certificates:
                # The CSI driver mounts Key Vault secrets with this identity when the first pod
                # starts: wait for the grants rather than race the rollout's deadline.
                depends.append(grants_in_force(self, service.name, identity))
        balanced: Manifest | None = None
        if isinstance(service, PlannedService):
            plan = plan_on_aks(
                service,
                catalog=args.catalog,
                facts=args.facts,
                extensions=args.extensions,
                client_id=client_id,
                secrets=args.secrets,
            )
            objects = plan.objects() + render_canary_on_aks(
                service,
                catalog=args.catalog,
                facts=args.facts,
                extensions=args.extensions,
                client_id=client_id,
                secrets=args.secrets,
            )
            if reachability(args.catalog, service).needs_internal_load_balancer:
                # Container Apps callers reach it through its internal load balancer's address.
                balanced = plan.service
        else:
            objects = job_plan_on_aks(
                service,
                catalog=args.catalog,
                facts=args.facts,
                extensions=args.extensions,
                client_id=client_id,
                secrets=args.secrets,
            ).objects()
        created = create_objects(
            objects, pulumi.ResourceOptions(parent=self, provider=args.provider, depends_on=depends)
        )
        if azure is not None and balanced is not None:
            k8s_service = created.of(balanced)
            assert isinstance(k8s_service, k8s.core.v1.Service)
            ip = k8s_service.status.apply(
                lambda status: (
                    (
                        status.load_balancer.ingress[0].ip
                        if status and status.load_balancer and status.load_balancer.ingress
                        else None
                    )
                    or ""
                )
            )
            # Container Apps callers resolve <service>.<namespace>.<zone> to the internal LB.
            privatedns.PrivateRecordSet(
                f"{service.name}-private-dns",
                private_zone_name=azure.private_zone_name,
                resource_group_name=azure.private_zone_group or azure.placement.resource_group_name,
                record_type="A",
                relative_record_set_name=f"{service.name}.{service.app}",
                ttl=60,
                a_records=[privatedns.ARecordArgs(ipv4_address=ip)],
                opts=pulumi.ResourceOptions(parent=self),
            )
        self.register_outputs({"objects": [logical_name(o) for o in objects]})
