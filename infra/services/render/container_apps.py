"""A service on Azure Container Apps as typed `app.*Args`: a pure function of the spec.

The typed Args classes reject unknown keywords, so a misspelt field fails here, not in Azure.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass

from pulumi_azure_native import app

from infra.constants import (
    CONSUMPTION_PROFILE,
    SCALER_COOLDOWN_SECONDS,
    SCALER_POLLING_SECONDS,
    TERMINATION_GRACE_SECONDS,
    azure_tag_key,
)
from infra.services.catalog import (
    Catalog,
    Planned,
    PlannedJob,
    PlannedService,
    probe_timing,
    service_port,
)
from infra.services.patterns import env_secret_name, scaler_secret_name
from infra.services.render.common import (
    PlatformExtensions,
    PlatformFacts,
    Text,
    concat,
    image,
    image_reference,
    keda_queue_scaler,
    labels,
    max_replicas,
    min_replicas,
    probe_port_number,
    run_hook,
    version_label,
)
from infra.services.render.container_app_plan import ContainerAppPlan
from infra.services.render.revisions import canary_spec, traffic
from infra.services.roles import queue_trigger
from infra.services.spec import (
    SECRET_FILES_MOUNT,
    ConfigSecret,
    Event,
    ExecProbe,
    HttpProbe,
    JobSpec,
    KedaScaler,
    KeyVaultSecret,
    Manual,
    Probe,
    Protocol,
    Schedule,
    ServiceBusQueue,
    ServiceSpec,
    StorageQueue,
    file_secret_name,
)
from infra.services.wiring import container_app_external, dependency_env, reachability
from infra.upstream_facts import PROBE_KINDS


def _probe(spec: ServiceSpec, probe: Probe, kind: str) -> app.ContainerAppProbeArgs:
    assert not isinstance(probe, ExecProbe), "validated: Container Apps has no exec probe"
    port = probe_port_number(spec, probe)
    timing = probe_timing(probe, kind)
    # Container Apps has no gRPC probe: a TCP check on the same port (docs/service-model.md).
    http = isinstance(probe, HttpProbe)
    return app.ContainerAppProbeArgs(
        type=app.Type(kind.capitalize()),
        http_get=app.ContainerAppProbeHttpGetArgs(path=probe.path, port=port) if http else None,
        tcp_socket=None if http else app.ContainerAppProbeTcpSocketArgs(port=port),
        # The API's own defaults (no delay, one success) are left out.
        initial_delay_seconds=timing["initialDelaySeconds"] or None,
        period_seconds=timing["periodSeconds"],
        failure_threshold=timing["failureThreshold"],
        success_threshold=None if timing["successThreshold"] == 1 else timing["successThreshold"],
        timeout_seconds=timing["timeoutSeconds"],
    )


def _key_vault_url(ref: KeyVaultSecret, facts: PlatformFacts) -> Text:
    vault: Text = facts.key_vault_name if ref.vault_id is None else ref.vault_id.rsplit("/", 1)[-1]
    return concat("https://", vault, f".vault.azure.net/secrets/{ref.name}")


def _secrets(
    spec: ServiceSpec | JobSpec,
    facts: PlatformFacts,
    identity_id: Text | None,
    config_values: Mapping[str, Text],
) -> list[app.SecretArgs]:
    secrets = []
    for variable, ref in sorted(spec.secrets.items()):
        if isinstance(ref, KeyVaultSecret):
            secrets.append(
                app.SecretArgs(
                    name=env_secret_name(variable),
                    key_vault_url=_key_vault_url(ref, facts),
                    identity=identity_id,
                )
            )
        else:
            assert isinstance(ref, ConfigSecret)
            secrets.append(
                app.SecretArgs(name=env_secret_name(variable), value=config_values[variable])
            )
    for file, ref in sorted(spec.secret_files.items()):
        secrets.append(
            app.SecretArgs(
                name=file_secret_name(file),
                key_vault_url=_key_vault_url(ref, facts),
                identity=identity_id,
            )
        )
    queue = queue_trigger(spec)
    if isinstance(queue, KedaScaler):
        for parameter, ref in sorted(queue.auth.items()):
            secrets.append(
                app.SecretArgs(
                    name=scaler_secret_name(parameter),
                    key_vault_url=_key_vault_url(ref, facts),
                    identity=identity_id,
                )
            )
    return secrets


def _scaler_auth(queue: KedaScaler) -> list[app.ScaleRuleAuthArgs] | None:
    """A `KedaScaler`'s auth parameters, each from the app's Key Vault reference secret."""
    return [
        app.ScaleRuleAuthArgs(secret_ref=scaler_secret_name(p), trigger_parameter=p)
        for p in sorted(queue.auth)
    ] or None


def _ingress(
    service: PlannedService,
    catalog: Catalog,
    facts: PlatformFacts,
    certificate_id: Text | None,
    stable_revision: Text | None,
) -> app.IngressArgs | None:
    spec = service.spec
    reach = reachability(catalog, service)
    route = service.route
    if not spec.ports or (
        route is None and not reach.aks_callers and not reach.container_apps_callers
    ):
        return None
    port = spec.port_named(spec.ingress.port)
    assert port is not None
    external = container_app_external(service, reach)
    restrictions = None
    if external and not (route is not None and route.public):
        # External only so AKS can call it: allow AKS's egress address(es), nothing else.
        source = (
            facts.aks_nodes_subnet_cidr
            if facts.container_apps_internal
            else concat(facts.aks_egress_ip, "/32")
        )
        restrictions = [
            app.IpSecurityRestrictionRuleArgs(
                name="aks",
                action=app.Action.ALLOW,
                ip_address_range=source,
                description="AKS services that declare this dependency",
            )
        ]
    transport = {
        Protocol.HTTP: app.IngressTransportMethod.AUTO,
        Protocol.GRPC: app.IngressTransportMethod.HTTP2,
        Protocol.TCP: app.IngressTransportMethod.TCP,
    }[port.protocol]
    custom_domains = None
    host = None if route is None else route.host
    if host is not None and certificate_id is not None:
        custom_domains = [
            app.CustomDomainArgs(
                name=host,
                binding_type=app.BindingType.SNI_ENABLED,
                certificate_id=certificate_id,
            )
        ]
    return app.IngressArgs(
        external=external,
        target_port=port.number,
        # tcp: callers use the Service port; http/grpc are served on 80/443 by the ingress.
        exposed_port=service_port(port) if port.protocol is Protocol.TCP else None,
        transport=transport,
        # Off: http:// is redirected to https:// and every address handed out is TLS. On
        # (`Ingress.allow_insecure`, internal callers only): plain HTTP and h2c answered too,
        # and Container Apps callers get http:// on port 80 (infra/services/wiring.py).
        allow_insecure=spec.ingress.allow_insecure and port.protocol is not Protocol.TCP,
        traffic=traffic(spec, stable_revision),
        ip_security_restrictions=restrictions,
        custom_domains=custom_domains,
    )


def _scale(spec: ServiceSpec, identity_id: Text | None) -> app.ScaleArgs:
    scale = spec.autoscaling
    rules: list[app.ScaleRuleArgs] = []
    if scale is not None:
        if scale.http_concurrency is not None:
            rules.append(
                app.ScaleRuleArgs(
                    name="http",
                    http=app.HttpScaleRuleArgs(
                        metadata={"concurrentRequests": str(scale.http_concurrency)}
                    ),
                )
            )
        for metric, target in (
            ("cpu", scale.cpu_utilization),
            ("memory", scale.memory_utilization),
        ):
            if target is not None:
                rules.append(
                    app.ScaleRuleArgs(
                        name=metric,
                        custom=app.CustomScaleRuleArgs(
                            type=metric, metadata={"type": "Utilization", "value": str(target)}
                        ),
                    )
                )
        queue = scale.queue
        if isinstance(queue, KedaScaler):
            kind, metadata = keda_queue_scaler(queue)
            rules.append(
                app.ScaleRuleArgs(
                    name="queue",
                    custom=app.CustomScaleRuleArgs(
                        type=kind, metadata=metadata, auth=_scaler_auth(queue)
                    ),
                )
            )
        elif isinstance(queue, ServiceBusQueue):
            kind, metadata = keda_queue_scaler(queue)
            rules.append(
                app.ScaleRuleArgs(
                    name="queue",
                    custom=app.CustomScaleRuleArgs(
                        type=kind, identity=identity_id, metadata=metadata
                    ),
                )
            )
        elif isinstance(queue, StorageQueue):
            rules.append(
                app.ScaleRuleArgs(
                    name="queue",
                    azure_queue=app.QueueScaleRuleArgs(
                        account_name=queue.account,
                        queue_name=queue.queue,
                        queue_length=queue.messages_per_replica,
                        identity=identity_id,
                    ),
                )
            )
    return app.ScaleArgs(
        min_replicas=min_replicas(spec),
        max_replicas=max_replicas(spec),
        rules=rules or None,
        polling_interval=SCALER_POLLING_SECONDS,
        cooldown_period=SCALER_COOLDOWN_SECONDS,
    )


def _volumes(spec: ServiceSpec | JobSpec) -> list[app.VolumeArgs]:
    volumes = [
        app.VolumeArgs(name=f"writable-{i}", storage_type=app.StorageType.EMPTY_DIR)
        for i, _ in enumerate(spec.writable_paths)
    ]
    files = _secret_files(spec)
    if files:
        # A secret volume: one read-only file per entry, from the app's Key Vault references.
        volumes.append(
            app.VolumeArgs(
                name="secret-files",
                storage_type=app.StorageType.SECRET,
                secrets=[
                    app.SecretVolumeItemArgs(secret_ref=file_secret_name(f), path=f)
                    for f in sorted(files)
                ],
            )
        )
    return volumes


def _secret_files(spec: ServiceSpec | JobSpec) -> Mapping[str, KeyVaultSecret]:
    """Services may read Key Vault secrets as files; jobs take them as variables."""
    return spec.secret_files if isinstance(spec, ServiceSpec) else {}


def _container(
    service: Planned,
    catalog: Catalog,
    facts: PlatformFacts,
    probes: list[app.ContainerAppProbeArgs],
) -> app.ContainerArgs:
    """The container as services and jobs share it: image, env, secrets, size, volumes."""
    spec = service.spec
    env: list[app.EnvironmentVarArgs] = [
        app.EnvironmentVarArgs(name=k, value=v) for k, v in sorted(spec.env.items())
    ]
    env += [
        app.EnvironmentVarArgs(name=e.name, value=e.value)
        for e in dependency_env(service, catalog, facts)
    ]
    env += [
        app.EnvironmentVarArgs(name=k, secret_ref=env_secret_name(k)) for k in sorted(spec.secrets)
    ]
    mounts = [
        app.VolumeMountArgs(volume_name=f"writable-{i}", mount_path=path)
        for i, path in enumerate(spec.writable_paths)
    ]
    if _secret_files(spec):
        mounts.append(
            app.VolumeMountArgs(volume_name="secret-files", mount_path=SECRET_FILES_MOUNT)
        )
    return app.ContainerArgs(
        name=service.name,
        image=image(spec, facts),
        command=list(spec.command) or None,
        args=list(spec.args) or None,
        env=env or None,
        # One size per replica: Container Apps allocates (and bills) the limits; requests below
        # them (Burstable on AKS) have no meaning here.
        resources=app.ContainerResourcesArgs(
            cpu=spec.resources.cpu, memory=f"{spec.resources.cpu * 2:g}Gi"
        ),
        probes=probes or None,
        volume_mounts=mounts or None,
    )


def _init_containers(
    service: Planned, catalog: Catalog, facts: PlatformFacts
) -> list[app.InitContainerArgs] | None:
    """The workload's init containers (`template.initContainers`): their own image, size and env
    plus the workload's dependency addresses, its writable paths mounted."""
    spec = service.spec
    if not spec.init_containers:
        return None
    addresses = [
        app.EnvironmentVarArgs(name=e.name, value=e.value)
        for e in dependency_env(service, catalog, facts)
    ]
    mounts = [
        app.VolumeMountArgs(volume_name=f"writable-{i}", mount_path=path)
        for i, path in enumerate(spec.writable_paths)
    ]
    return [
        app.InitContainerArgs(
            name=init.name,
            image=image_reference(init.image, facts),
            command=list(init.command) or None,
            args=list(init.args) or None,
            env=[app.EnvironmentVarArgs(name=k, value=v) for k, v in sorted(init.env.items())]
            + addresses
            or None,
            resources=app.ContainerResourcesArgs(
                cpu=init.resources.cpu, memory=f"{init.resources.cpu * 2:g}Gi"
            ),
            volume_mounts=mounts or None,
        )
        for init in spec.init_containers
    ]


def _identities(identity_id: Text | None, pull_identity_id: Text) -> list[Text]:
    return [pull_identity_id] + ([identity_id] if identity_id is not None else [])


def _tags(service: Planned, extensions: PlatformExtensions) -> dict[str, str]:
    return {
        azure_tag_key(k): v
        for k, v in {**labels(service, extensions), **version_label(service.spec)}.items()
    }


def render_on_container_apps(
    service: PlannedService,
    *,
    catalog: Catalog,
    facts: PlatformFacts,
    extensions: PlatformExtensions,
    identity_id: Text | None,
    pull_identity_id: Text,
    config_values: Mapping[str, Text],
    certificate_id: Text | None = None,
    stable_revision: Text | None = None,
) -> ContainerAppPlan:
    """`certificate_id`: the environment certificate for `ingress.host` (created by the
    component from `ingress.tls`); `stable_revision`: during a rollout, the name of the revision
    running now (see render/revisions.py)."""
    spec = service.spec
    probes = [
        _probe(spec, probe, kind) for kind in PROBE_KINDS if (probe := spec.probe(kind)) is not None
    ]
    # During a rollout the template (the latest revision) runs the canary image.
    running = (
        dataclasses.replace(service, spec=canary_spec(spec))
        if spec.rollout is not None
        else service
    )
    container = _container(running, catalog, facts, probes)
    identities = _identities(identity_id, pull_identity_id)
    tags = _tags(service, extensions)
    volumes = _volumes(spec)
    plan = ContainerAppPlan(
        name=service.name,
        identity=app.ManagedServiceIdentityArgs(
            type=app.ManagedServiceIdentityType.USER_ASSIGNED, user_assigned_identities=identities
        ),
        configuration=app.ConfigurationArgs(
            # One revision takes all traffic, and only once it is healthy (readiness gates it);
            # during a rollout the stable and the canary revision share it.
            active_revisions_mode=app.ActiveRevisionsMode.SINGLE
            if spec.rollout is None
            else app.ActiveRevisionsMode.MULTIPLE,
            ingress=_ingress(service, catalog, facts, certificate_id, stable_revision),
            registries=[
                app.RegistryCredentialsArgs(server=facts.registry_server, identity=pull_identity_id)
            ],
            secrets=_secrets(spec, facts, identity_id, config_values) or None,
            max_inactive_revisions=5,
        ),
        template=app.TemplateArgs(
            containers=[container],
            init_containers=_init_containers(service, catalog, facts),
            scale=_scale(spec, identity_id),
            volumes=volumes or None,
            termination_grace_period_seconds=TERMINATION_GRACE_SECONDS,
        ),
        tags=tags,
        workload_profile_name=CONSUMPTION_PROFILE,
    )
    for hook in extensions.container_app_hooks:
        plan = run_hook(hook, plan, f"ContainerApp {plan.name}")
    return plan


@dataclass(frozen=True)
class ContainerAppJobPlan:
    """Everything the component passes to `app.Job`."""

    name: str
    identity: app.ManagedServiceIdentityArgs
    configuration: app.JobConfigurationArgs
    template: app.JobTemplateArgs
    tags: dict[str, str]
    workload_profile_name: str


@dataclass(frozen=True)
class _JobTrigger:
    """The trigger type and the one configuration that goes with it."""

    type: app.TriggerType
    manual: app.JobConfigurationManualTriggerConfigArgs | None = None
    schedule: app.JobConfigurationScheduleTriggerConfigArgs | None = None
    event: app.JobConfigurationEventTriggerConfigArgs | None = None


def _job_trigger(job: PlannedJob, identity_id: Text | None) -> _JobTrigger:
    spec = job.spec
    trigger = spec.trigger
    if isinstance(trigger, Schedule):
        return _JobTrigger(
            app.TriggerType.SCHEDULE,
            # Evaluated in UTC (validation refuses any other time zone here).
            schedule=app.JobConfigurationScheduleTriggerConfigArgs(
                cron_expression=trigger.cron,
                parallelism=spec.parallelism,
                replica_completion_count=spec.completions,
            ),
        )
    if isinstance(trigger, Event):
        kind, metadata = keda_queue_scaler(trigger.queue)
        if isinstance(trigger.queue, KedaScaler):
            # Its credentials come from Key Vault reference secrets, not the identity.
            rule = app.JobScaleRuleArgs(
                name="queue", type=kind, metadata=metadata, auth=_scaler_auth(trigger.queue)
            )
        else:
            rule = app.JobScaleRuleArgs(
                name="queue", type=kind, identity=identity_id, metadata=metadata
            )
        return _JobTrigger(
            app.TriggerType.EVENT,
            event=app.JobConfigurationEventTriggerConfigArgs(
                parallelism=spec.parallelism,
                replica_completion_count=spec.completions,
                scale=app.JobScaleArgs(
                    min_executions=0,
                    max_executions=trigger.max_executions,
                    polling_interval=trigger.polling_seconds,
                    rules=[rule],
                ),
            ),
        )
    assert isinstance(trigger, Manual)
    return _JobTrigger(
        app.TriggerType.MANUAL,
        manual=app.JobConfigurationManualTriggerConfigArgs(
            parallelism=spec.parallelism, replica_completion_count=spec.completions
        ),
    )


def render_job_on_container_apps(
    job: PlannedJob,
    *,
    catalog: Catalog,
    facts: PlatformFacts,
    extensions: PlatformExtensions,
    identity_id: Text | None,
    pull_identity_id: Text,
    config_values: Mapping[str, Text],
) -> ContainerAppJobPlan:
    """A Container Apps job: the same container, registry, secrets and identity as a service,
    with the trigger's configuration instead of ingress and scale rules."""
    spec = job.spec
    trigger = _job_trigger(job, identity_id)
    return ContainerAppJobPlan(
        name=job.name,
        identity=app.ManagedServiceIdentityArgs(
            type=app.ManagedServiceIdentityType.USER_ASSIGNED,
            user_assigned_identities=_identities(identity_id, pull_identity_id),
        ),
        configuration=app.JobConfigurationArgs(
            # Each replica (attempt) must finish within the timeout.
            replica_timeout=spec.timeout_seconds,
            replica_retry_limit=spec.retries,
            registries=[
                app.RegistryCredentialsArgs(server=facts.registry_server, identity=pull_identity_id)
            ],
            secrets=_secrets(spec, facts, identity_id, config_values) or None,
            trigger_type=trigger.type,
            manual_trigger_config=trigger.manual,
            schedule_trigger_config=trigger.schedule,
            event_trigger_config=trigger.event,
        ),
        template=app.JobTemplateArgs(
            containers=[_container(job, catalog, facts, [])],
            init_containers=_init_containers(job, catalog, facts),
            volumes=_volumes(spec) or None,
        ),
        tags=_tags(job, extensions),
        workload_profile_name=CONSUMPTION_PROFILE,
    )
