"""`AksService`: one service on AKS, from its validated spec."""

from __future__ import annotations

from dataclasses import dataclass

import pulumi
import pulumi_kubernetes as k8s
from pulumi_azure_native import managedidentity, privatedns

from infra.foundation.common import Placement
from infra.foundation.propagation import DATA_PLANE_PROPAGATION, propagation_wait
from infra.services.components.identity import create_identity
from infra.services.components.kubernetes_objects import create_objects, logical_name
from infra.services.render.aks import ServiceSecrets, render_on_aks
from infra.services.render.common import PlatformExtensions, PlatformFacts
from infra.services.spec import KeyVaultSecret
from infra.services.validation import Catalog, PlannedService
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


@dataclass(frozen=True)
class AksServiceArgs:
    service: PlannedService
    catalog: Catalog
    facts: PlatformFacts
    extensions: PlatformExtensions
    provider: k8s.Provider
    secrets: ServiceSecrets
    namespace: pulumi.Resource
    azure: AzureWiring | None
    """None on a local cluster: no identity, no Key Vault, no private DNS."""


class AksService(pulumi.ComponentResource):
    """Identity (federated with the service account), then the rendered Kubernetes objects."""

    def __init__(
        self, name: str, args: AksServiceArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__("platform:services:AksService", name, None, opts)
        service = args.service
        azure = args.azure
        identity = (
            create_identity(
                self,
                service.spec,
                azure.placement,
                args.facts.environment.value,
                azure.platform_vault_id,
            )
            if azure is not None
            else None
        )
        client_id: pulumi.Input[str] | None = None
        depends: list[pulumi.Resource] = [args.namespace]
        if identity is not None and azure is not None:
            # Tokens for this service account (and no other) are exchanged for the identity.
            federation = managedidentity.FederatedIdentityCredential(
                f"{service.name}-federation",
                resource_group_name=azure.placement.resource_group_name,
                resource_name_=identity.identity.name,
                issuer=azure.oidc_issuer_url,
                subject=f"system:serviceaccount:{service.app}:{service.name}",
                audiences=[WORKLOAD_IDENTITY_AUDIENCE],
                opts=pulumi.ResourceOptions(parent=self),
            )
            depends += [federation]
            scale = service.spec.autoscaling
            if scale is not None and scale.queue is not None:
                # KEDA's operator reads the queue with this identity through its own service
                # account (TriggerAuthentication `azure-workload`): it needs a credential too
                # (AKS "KEDA with workload identity"). Azure refuses concurrent writes of
                # federated credentials on one identity, so this one waits for the first.
                depends.append(
                    managedidentity.FederatedIdentityCredential(
                        f"{service.name}-keda-federation",
                        resource_group_name=azure.placement.resource_group_name,
                        resource_name_=identity.identity.name,
                        issuer=azure.oidc_issuer_url,
                        subject=KEDA_OPERATOR_SUBJECT,
                        audiences=[WORKLOAD_IDENTITY_AUDIENCE],
                        opts=pulumi.ResourceOptions(parent=self, depends_on=[federation]),
                    )
                )
            client_id = identity.identity.client_id
            depends += list(identity.grants)
            if service.spec.secret_files or any(
                isinstance(r, KeyVaultSecret) for r in service.spec.secrets.values()
            ):
                # The CSI driver mounts Key Vault secrets with this identity when the first pod
                # starts; wait for the grants to take effect rather than race the rollout's
                # deadline (Key Vault RBAC: up to 10 minutes).
                depends.append(
                    propagation_wait(
                        f"{service.name}-rbac-propagation",
                        duration=DATA_PLANE_PROPAGATION,
                        grants=identity.grants,
                        triggers={"identity": identity.identity.principal_id},
                        parent=self,
                    )
                )
        objects = render_on_aks(
            service,
            catalog=args.catalog,
            facts=args.facts,
            extensions=args.extensions,
            client_id=client_id,
            secrets=args.secrets,
        )
        created = create_objects(
            objects, pulumi.ResourceOptions(parent=self, provider=args.provider, depends_on=depends)
        )
        if azure is not None and reachability(args.catalog, service).needs_internal_load_balancer:
            k8s_service = created[f"Service/{service.name}"]
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
                resource_group_name=azure.placement.resource_group_name,
                record_type="A",
                relative_record_set_name=f"{service.name}.{service.app}",
                ttl=60,
                a_records=[privatedns.ARecordArgs(ipv4_address=ip)],
                opts=pulumi.ResourceOptions(parent=self),
            )
        self.register_outputs({"objects": [logical_name(o) for o in objects]})
