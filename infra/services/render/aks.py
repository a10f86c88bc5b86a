"""A service or job on AKS as a typed plan of Kubernetes objects: a pure function of the spec.

`AksServicePlan` and `AksJobPlan` name each object the workload gets (the twin of
`ContainerAppPlan`): the component reads `plan.service`, not a `Kind/name` key, and creates
`plan.objects()` in the order the fields are declared. The objects themselves are built by one
module per job: `aks_secrets` (identity and secrets), `aks_workload` (pods, Deployment or
StatefulSet), `aks_scaling` (autoscaler, disruption budget), `aks_network` (Service, ingress,
policy), `aks_jobs` (CronJob, ScaledJob), `aks_platform` (namespace, internal controller,
charts); their metadata in `objects`. Each object is validated against the Kubernetes OpenAPI
schema in the tests, so a misspelt field cannot hide in a dict.
"""

from __future__ import annotations

from dataclasses import dataclass

from infra.services.catalog import Catalog, PlannedJob, PlannedService
from infra.services.render.aks_jobs import cron_job, job_spec, scaled_job
from infra.services.render.aks_network import (
    ingress_object,
    network_policy,
    route_of,
    service_object,
)
from infra.services.render.aks_platform import (
    NamespacePlan,
    internal_ingress_controller,
    namespace_objects,
    namespace_plan,
    render_chart,
)
from infra.services.render.aks_scaling import (
    autoscaler,
    disruption_budget,
    queue_authentication,
    trigger_authentication,
)
from infra.services.render.aks_secrets import (
    ServiceSecrets,
    config_secret,
    secret_provider_classes,
    service_account,
)
from infra.services.render.aks_workload import workload
from infra.services.render.common import Manifest, PlatformExtensions, PlatformFacts, Text
from infra.services.render.envoy_gateway import reference_grant
from infra.services.render.gateway import tls_secret_provider_class
from infra.services.render.objects import KubernetesPlan, service_meta
from infra.services.spec import Event, Manual, Schedule

__all__ = [
    "AksJobPlan",
    "AksServicePlan",
    "NamespacePlan",
    "ServiceSecrets",
    "internal_ingress_controller",
    "job_plan_on_aks",
    "namespace_objects",
    "namespace_plan",
    "plan_on_aks",
    "render_chart",
    "render_job_on_aks",
    "render_on_aks",
]


@dataclass(frozen=True)
class AksServicePlan(KubernetesPlan):
    """Every Kubernetes object of one service, by what it is, declared in apply order: the
    identity and the secrets before the pods that mount them, the workload before what scales,
    shields and routes to it. Hooks already applied."""

    service_account: Manifest
    config_secret: Manifest | None
    key_vault_classes: tuple[Manifest, ...]
    """Secrets Store CSI classes: one per Key Vault of env secrets, one for secret files."""
    tls_class: Manifest | None
    """The class that syncs the gateway listener's certificate (public TLS on the gateway)."""
    workload: Manifest
    """The Deployment, or the StatefulSet of a service with `storage`."""
    service: Manifest | None
    """None for a worker without ports."""
    trigger_authentication: Manifest | None
    """KEDA's credential for a queue-scaled service (the workload's own identity)."""
    autoscaler: Manifest | None
    """HorizontalPodAutoscaler, or KEDA ScaledObject with a queue; None at fixed replicas."""
    disruption_budget: Manifest | None
    route: Manifest | None
    """HTTPRoute or GRPCRoute on the application's public Gateway (AGC) or on the Envoy
    Gateway (internal services, the local stack)."""
    reference_grant: Manifest | None
    """Lets the shared internal Envoy Gateway read this service's TLS Secret."""
    ingress: Manifest | None
    """The managed-NGINX Ingress (deprecated `aks.ingress: nginx|both`; never locally)."""
    network_policy: Manifest | None


@dataclass(frozen=True)
class AksJobPlan(KubernetesPlan):
    """Every Kubernetes object of one job, in apply order. No Service, NetworkPolicy or PDB:
    nothing calls a job (the namespace's default deny keeps it so), and a run to completion has
    no replicas to keep available."""

    service_account: Manifest
    config_secret: Manifest | None
    key_vault_classes: tuple[Manifest, ...]
    trigger_authentication: Manifest | None
    workload: Manifest
    """CronJob (schedule, or suspended for manual runs) or KEDA ScaledJob (event)."""


def plan_on_aks(
    service: PlannedService,
    *,
    catalog: Catalog,
    facts: PlatformFacts,
    extensions: PlatformExtensions,
    client_id: Text | None,
    secrets: ServiceSecrets,
) -> AksServicePlan:
    """One service's objects, each built by its module, then passed through the hooks."""
    tls = tls_secret_provider_class(service, facts, client_id)
    if tls is not None:
        # Fix: the listener's class carried no labels; its metadata comes from the one builder
        # like every other object's (docs/extending.md: platform labels on every object).
        tls = {**tls, "metadata": service_meta(service, extensions, tls["metadata"]["name"])}
    return AksServicePlan(
        service_account=service_account(service, extensions, client_id),
        config_secret=config_secret(service, extensions, secrets),
        key_vault_classes=secret_provider_classes(service, facts, client_id, extensions),
        tls_class=tls,
        workload=workload(service, catalog, facts, extensions, uses_identity=client_id is not None),
        service=service_object(service, catalog, extensions),
        trigger_authentication=queue_authentication(service, extensions, facts, client_id),
        autoscaler=autoscaler(service, extensions),
        disruption_budget=disruption_budget(service, extensions),
        route=route_of(service, facts, extensions),
        reference_grant=reference_grant(service, extensions),
        ingress=ingress_object(service, facts, extensions),
        network_policy=network_policy(service, catalog, facts, extensions),
    ).with_hooks(extensions)


def render_on_aks(
    service: PlannedService,
    *,
    catalog: Catalog,
    facts: PlatformFacts,
    extensions: PlatformExtensions,
    client_id: Text | None,
    secrets: ServiceSecrets,
) -> list[Manifest]:
    """Every Kubernetes object for one service, in apply order."""
    return plan_on_aks(
        service,
        catalog=catalog,
        facts=facts,
        extensions=extensions,
        client_id=client_id,
        secrets=secrets,
    ).objects()


def job_plan_on_aks(
    job: PlannedJob,
    *,
    catalog: Catalog,
    facts: PlatformFacts,
    extensions: PlatformExtensions,
    client_id: Text | None,
    secrets: ServiceSecrets,
) -> AksJobPlan:
    """One job's objects: its workload by trigger, then passed through the hooks."""
    trigger = job.spec.trigger
    spec = job_spec(job, catalog, facts, extensions, uses_identity=client_id is not None)
    if isinstance(trigger, Event):
        authentication = trigger_authentication(job, extensions, facts, client_id)
        workload = scaled_job(job, trigger, spec, extensions)
    else:
        assert isinstance(trigger, (Manual, Schedule))
        authentication = None
        workload = cron_job(job, spec, extensions)
    return AksJobPlan(
        service_account=service_account(job, extensions, client_id),
        config_secret=config_secret(job, extensions, secrets),
        key_vault_classes=secret_provider_classes(job, facts, client_id, extensions),
        trigger_authentication=authentication,
        workload=workload,
    ).with_hooks(extensions)


def render_job_on_aks(
    job: PlannedJob,
    *,
    catalog: Catalog,
    facts: PlatformFacts,
    extensions: PlatformExtensions,
    client_id: Text | None,
    secrets: ServiceSecrets,
) -> list[Manifest]:
    """Every Kubernetes object for one job, in apply order."""
    return job_plan_on_aks(
        job,
        catalog=catalog,
        facts=facts,
        extensions=extensions,
        client_id=client_id,
        secrets=secrets,
    ).objects()
