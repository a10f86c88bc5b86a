"""A service on Azure Container Apps as typed `app.*Args`: a pure function of the spec.

The typed Args classes reject unknown keywords, so a misspelt field fails here, not in Azure.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from pulumi_azure_native import app

from infra.foundation.container_apps import CONSUMPTION_PROFILE
from infra.services.render.common import (
    PlatformExtensions,
    PlatformFacts,
    Text,
    concat,
    env_secret_name,
    image,
    labels,
    max_replicas,
    min_replicas,
    probe_port_number,
    readiness,
    version_label,
)
from infra.services.spec import (
    SECRET_FILES_MOUNT,
    ConfigSecret,
    Exposure,
    HttpProbe,
    KeyVaultSecret,
    Probe,
    Protocol,
    ServiceBusQueue,
    ServiceSpec,
    StorageQueue,
    file_secret_name,
)
from infra.services.validation import Catalog, PlannedService, port_named
from infra.services.wiring import container_app_external, dependency_env, reachability

TERMINATION_GRACE_SECONDS = 30


@dataclass(frozen=True)
class ContainerAppPlan:
    """Everything the component passes to `app.ContainerApp`, plus the certificate to bind."""

    name: str
    identity: app.ManagedServiceIdentityArgs
    configuration: app.ConfigurationArgs
    template: app.TemplateArgs
    tags: dict[str, str]
    workload_profile_name: str


def _probe(spec: ServiceSpec, probe: Probe, kind: app.Type) -> app.ContainerAppProbeArgs:
    port = probe_port_number(spec, probe)
    timing = {
        app.Type.READINESS: (5, 3),
        app.Type.LIVENESS: (10, 3),
        app.Type.STARTUP: (5, 60),
    }[kind]
    if isinstance(probe, HttpProbe):
        return app.ContainerAppProbeArgs(
            type=kind,
            http_get=app.ContainerAppProbeHttpGetArgs(path=probe.path, port=port),
            period_seconds=timing[0],
            failure_threshold=timing[1],
            timeout_seconds=2,
        )
    # Container Apps has no gRPC probe: a TCP check on the same port (README: translations).
    return app.ContainerAppProbeArgs(
        type=kind,
        tcp_socket=app.ContainerAppProbeTcpSocketArgs(port=port),
        period_seconds=timing[0],
        failure_threshold=timing[1],
        timeout_seconds=2,
    )


def _key_vault_url(ref: KeyVaultSecret, facts: PlatformFacts) -> Text:
    vault: Text = facts.key_vault_name if ref.vault_id is None else ref.vault_id.rsplit("/", 1)[-1]
    return concat("https://", vault, f".vault.azure.net/secrets/{ref.name}")


def _secrets(
    spec: ServiceSpec,
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
    return secrets


def _ingress(
    service: PlannedService, catalog: Catalog, facts: PlatformFacts, certificate_id: Text | None
) -> app.IngressArgs | None:
    spec = service.spec
    reach = reachability(catalog, service)
    if not spec.ports or (
        spec.ingress.exposure is Exposure.NONE
        and not reach.aks_callers
        and not reach.container_apps_callers
    ):
        return None
    port = port_named(spec, spec.ingress.port)
    assert port is not None
    external = container_app_external(service, reach)
    restrictions = None
    if external and spec.ingress.exposure is not Exposure.PUBLIC:
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
    if spec.ingress.host is not None and certificate_id is not None:
        custom_domains = [
            app.CustomDomainArgs(
                name=spec.ingress.host,
                binding_type=app.BindingType.SNI_ENABLED,
                certificate_id=certificate_id,
            )
        ]
    return app.IngressArgs(
        external=external,
        target_port=port.number,
        exposed_port=port.number if port.protocol is Protocol.TCP else None,
        transport=transport,
        # Plain HTTP is refused, not redirected: clients must use TLS.
        allow_insecure=False,
        traffic=[app.TrafficWeightArgs(latest_revision=True, weight=100)],
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
        if isinstance(queue, ServiceBusQueue):
            rules.append(
                app.ScaleRuleArgs(
                    name="queue",
                    custom=app.CustomScaleRuleArgs(
                        type="azure-servicebus",
                        identity=identity_id,
                        metadata={
                            "namespace": queue.namespace,
                            "queueName": queue.queue,
                            "messageCount": str(queue.messages_per_replica),
                        },
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
        polling_interval=15,
        cooldown_period=300,
    )


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
) -> ContainerAppPlan:
    """`certificate_id`: the environment certificate for `ingress.host` (created by the
    component from `ingress.tls`)."""
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
    ready = readiness(spec)
    probes = [_probe(spec, ready, app.Type.READINESS)] if ready is not None else []
    if spec.probes.liveness is not None:
        probes.append(_probe(spec, spec.probes.liveness, app.Type.LIVENESS))
    if spec.probes.startup is not None:
        probes.append(_probe(spec, spec.probes.startup, app.Type.STARTUP))
    volumes = [
        app.VolumeArgs(name=f"writable-{i}", storage_type=app.StorageType.EMPTY_DIR)
        for i, _ in enumerate(spec.writable_paths)
    ]
    mounts = [
        app.VolumeMountArgs(volume_name=f"writable-{i}", mount_path=path)
        for i, path in enumerate(spec.writable_paths)
    ]
    if spec.secret_files:
        # A secret volume: one read-only file per entry, from the app's Key Vault references.
        volumes.append(
            app.VolumeArgs(
                name="secret-files",
                storage_type=app.StorageType.SECRET,
                secrets=[
                    app.SecretVolumeItemArgs(secret_ref=file_secret_name(f), path=f)
                    for f in sorted(spec.secret_files)
                ],
            )
        )
        mounts.append(
            app.VolumeMountArgs(volume_name="secret-files", mount_path=SECRET_FILES_MOUNT)
        )
    container = app.ContainerArgs(
        name=service.name,
        image=image(spec, facts),
        command=list(spec.command) or None,
        args=list(spec.args) or None,
        env=env or None,
        resources=app.ContainerResourcesArgs(
            cpu=spec.resources.cpu, memory=f"{spec.resources.cpu * 2:g}Gi"
        ),
        probes=probes or None,
        volume_mounts=mounts or None,
    )
    identities: list[Text] = [pull_identity_id] + ([identity_id] if identity_id is not None else [])
    tags = {
        k.replace("/", "_"): v
        for k, v in {**labels(service, extensions), **version_label(spec)}.items()
    }
    plan = ContainerAppPlan(
        name=service.name,
        identity=app.ManagedServiceIdentityArgs(
            type=app.ManagedServiceIdentityType.USER_ASSIGNED, user_assigned_identities=identities
        ),
        configuration=app.ConfigurationArgs(
            # One revision takes all traffic, and only once it is healthy (readiness gates it).
            active_revisions_mode=app.ActiveRevisionsMode.SINGLE,
            ingress=_ingress(service, catalog, facts, certificate_id),
            registries=[
                app.RegistryCredentialsArgs(server=facts.registry_server, identity=pull_identity_id)
            ],
            secrets=_secrets(spec, facts, identity_id, config_values) or None,
            max_inactive_revisions=5,
        ),
        template=app.TemplateArgs(
            containers=[container],
            scale=_scale(spec, identity_id),
            volumes=volumes or None,
            termination_grace_period_seconds=TERMINATION_GRACE_SECONDS,
        ),
        tags=tags,
        workload_profile_name=CONSUMPTION_PROFILE,
    )
    for hook in extensions.container_app_hooks:
        plan = hook(plan)
    return plan
