"""Deploy a validated catalog onto the foundation: namespaces, then each service on its target."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import pulumi
import pulumi_kubernetes as k8s

from infra.services.catalog import Catalog, Planned, PlannedService, config_secret_key
from infra.services.components.aks_service import AksService, AksServiceArgs, AzureWiring
from infra.services.components.container_app_job import ContainerAppJob, ContainerAppJobArgs
from infra.services.components.container_app_service import (
    ContainerAppService,
    ContainerAppServiceArgs,
)
from infra.services.components.envoy_gateway import EnvoyGateway, InternalDns
from infra.services.components.gateway import PublicGateway
from infra.services.components.helm_chart import HelmRelease
from infra.services.components.namespace import ApplicationNamespace, InternalIngress
from infra.services.custom_domains import CustomDomain, ManagedRecords
from infra.services.foundation_view import FoundationView
from infra.services.render.aks import ServiceSecrets
from infra.services.render.common import PlatformExtensions, PlatformFacts, Text
from infra.services.render.envoy_gateway import envoy_services
from infra.services.routes import Gateway
from infra.services.spec import ConfigSecret, Target


def config_secret_values(service: Planned) -> Mapping[str, Text]:
    """Each `ConfigSecret` as a secret Output (never a plain value)."""
    values: dict[str, Text] = {}
    for variable, ref in service.spec.secrets.items():
        if isinstance(ref, ConfigSecret):
            namespace, key = config_secret_key(ref).split(":", 1)
            values[variable] = pulumi.Config(namespace).require_secret(key)
    return values


def deploy_services(
    catalog: Catalog,
    foundation: FoundationView | None,
    provider: k8s.Provider,
    facts: PlatformFacts,
    extensions: PlatformExtensions,
    *,
    domains: Mapping[str, CustomDomain] | None = None,
    gateway_hosts: Mapping[str, ManagedRecords] | None = None,
    platform_owned: pulumi.Resource | None = None,
) -> dict[str, pulumi.ComponentResource]:
    """Every service on its target. Without a foundation (the local stack) every service must
    already target the cluster (see `infra.services.local`). `platform_owned` (an application
    stack, docs/team-stacks.md): the namespaces, ingress controllers and gateways are the
    platform stack's, and this resource stands for them; only the services' own objects (their
    routes included) are deployed."""
    shared_ingress_here = platform_owned is None
    azure = (
        AzureWiring(
            placement=foundation.placement,
            oidc_issuer_url=foundation.aks.oidc_issuer_url,
            platform_vault_id=foundation.key_vault.vault_id,
            private_zone_name=foundation.network.private_zone_name,
            private_zone_group=foundation.network.private_zone_group,
        )
        if foundation is not None
        else None
    )
    aks_services = [s for s in catalog.services if s.spec.target is Target.AKS]
    aks_jobs = [j for j in catalog.jobs if j.spec.target is Target.AKS]
    namespaces: dict[str, pulumi.Resource] = {
        app: platform_owned or ApplicationNamespace(app, extensions, provider)
        for app in sorted({s.app for s in aks_services} | {c.app for c in catalog.charts})
    }
    # Jobs run in their application's jobs namespace, which Deployment Safeguards exclude
    # (job pods have no probes: infra/constants.py JOBS_NAMESPACE_SUFFIX).
    job_namespaces: dict[str, pulumi.Resource] = {
        namespace: platform_owned or ApplicationNamespace(app, extensions, provider, name=namespace)
        for namespace, app in sorted({(j.namespace, j.app) for j in aks_jobs})
    }
    for chart in catalog.charts:
        HelmRelease(
            chart,
            catalog=catalog,
            extensions=extensions,
            provider=provider,
            namespace=namespaces[chart.app],
        )
    public, envoy = (
        shared_ingress(
            aks_services,
            foundation,
            namespaces=namespaces,
            facts=facts,
            extensions=extensions,
            provider=provider,
            gateway_hosts=gateway_hosts,
        )
        if shared_ingress_here
        else (None, None)
    )
    components: dict[str, pulumi.ComponentResource] = {}
    for service in catalog.services:
        if service.spec.target is Target.AKS:
            # A route waits for its CRD and its Gateway's controller.
            route_after: list[pulumi.Resource] = []
            route = service.route
            if envoy is not None and route is not None and route.gateway.envoy:
                route_after = envoy.ready
            elif public is not None and route is not None and route.gateway is Gateway.AGC:
                route_after = [public.controller]
            components[service.name] = AksService(
                service.name,
                AksServiceArgs(
                    service=service,
                    catalog=catalog,
                    facts=facts,
                    extensions=extensions,
                    provider=provider,
                    secrets=ServiceSecrets(config_values=config_secret_values(service)),
                    namespace=namespaces[service.app],
                    azure=azure,
                    after=tuple(route_after),
                ),
            )
        else:
            assert foundation is not None, "the local stack runs every service on the cluster"
            environment = foundation.container_apps
            components[service.name] = ContainerAppService(
                service.name,
                ContainerAppServiceArgs(
                    service=service,
                    catalog=catalog,
                    facts=facts,
                    extensions=extensions,
                    placement=foundation.placement,
                    environment_id=environment.environment_id,
                    environment_name=environment.environment_name,
                    certificate_identity_id=environment.certificate_identity_id,
                    pull_identity_id=foundation.registry.pull_identity_id,
                    pull_ready=foundation.registry.pull_ready,
                    certificates_ready=environment.certificates_ready,
                    custom_domain=(domains or {}).get(service.name),
                    environment_domain=environment.default_domain,
                    environment_static_ip=environment.static_ip,
                    domain_verification_id=environment.domain_verification_id,
                    platform_vault_id=foundation.key_vault.vault_id,
                    config_secrets=config_secret_values(service),
                    environment_group=environment.environment_group,
                    platform_certificates=not shared_ingress_here,
                ),
            )
    for job in catalog.jobs:
        if job.spec.target is Target.AKS:
            # Same component as a service: identity, federation, then the rendered objects.
            components[job.name] = AksService(
                job.name,
                AksServiceArgs(
                    service=job,
                    catalog=catalog,
                    facts=facts,
                    extensions=extensions,
                    provider=provider,
                    secrets=ServiceSecrets(config_values=config_secret_values(job)),
                    namespace=job_namespaces[job.namespace],
                    azure=azure,
                ),
            )
        else:
            assert foundation is not None, "the local stack runs every job on the cluster"
            components[job.name] = ContainerAppJob(
                job.name,
                ContainerAppJobArgs(
                    job=job,
                    catalog=catalog,
                    facts=facts,
                    extensions=extensions,
                    placement=foundation.placement,
                    environment_id=foundation.container_apps.environment_id,
                    pull_identity_id=foundation.registry.pull_identity_id,
                    pull_ready=foundation.registry.pull_ready,
                    platform_vault_id=foundation.key_vault.vault_id,
                    config_secrets=config_secret_values(job),
                ),
            )
    return components


def shared_ingress(
    aks_services: Sequence[PlannedService],
    foundation: FoundationView | None,
    *,
    namespaces: Mapping[str, pulumi.Resource],
    facts: PlatformFacts,
    extensions: PlatformExtensions,
    provider: k8s.Provider,
    gateway_hosts: Mapping[str, ManagedRecords] | None = None,
) -> tuple[PublicGateway | None, EnvoyGateway | None]:
    """The ingress every application shares, for `aks_services` (routed: `PlannedService.route`):
    the internal NGINX (deprecated), the ALB controller with each application's AGC Gateway,
    Frontend and host CNAMEs, and Envoy Gateway with the shared internal Gateway and the
    internal hosts' private records. A single stack builds it for its catalog
    (`deploy_services`); the platform stack for every onboarded application
    (`infra.stacks.ingress`), so both hold the same objects under the same names."""
    # Deprecated (`aks.ingress: nginx` or `both`): internal services on the app-routing NGINX.
    on_internal_nginx = [
        route
        for s in aks_services
        if (route := s.route) is not None and route.gateway is Gateway.NGINX and not route.public
    ]
    if foundation is not None and on_internal_nginx:
        config = foundation.config
        InternalIngress(
            provider,
            address=str(config.network.internal_ingress_address),
            # One record per host, however many services share it.
            hosts=sorted({route.host for route in on_internal_nginx if route.host}),
            placement=foundation.placement,
            zone_name=foundation.network.private_zone_name,
            zone=config.private_dns_zone,
            extensions=extensions,
        )
    public = None
    if foundation is not None and foundation.gateway is not None and facts.gateway is not None:
        public = PublicGateway(
            foundation.gateway,
            services=aks_services,
            namespaces=namespaces,
            gateway=facts.gateway,
            placement=foundation.placement,
            extensions=extensions,
            provider=provider,
            host_records=gateway_hosts,
        )
        # Where to point the public hosts the platform writes no record for (outside its zone,
        # or during the `both` migration release: docs/ingress.md, "Migration from managed NGINX").
        pulumi.export("publicGatewayFrontends", public.frontends)
    envoy = None
    if envoy_services(aks_services):
        # Internal AKS ingress (`aks.ingress: gateway`) and the local stack's ingress.
        envoy = EnvoyGateway(
            services=aks_services,
            facts=facts,
            extensions=extensions,
            provider=provider,
            gateway_api_crds=public.controller if public is not None else None,
            dns=InternalDns(
                foundation.placement,
                foundation.network.private_zone_name,
                foundation.config.private_dns_zone,
            )
            if foundation is not None
            else None,
        )
    return public, envoy
