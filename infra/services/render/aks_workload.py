"""The pods on AKS: the container (image, env, probes, mounts, security) and the pod around it
that services and jobs share, and a service's Deployment (or StatefulSet).

The defaults that matter for security and availability are set here, each with its reason;
`tests/test_render_aks.py` asserts every one; `tests/test_stateful.py` the StatefulSet and
Recreate forms of single-instance services.
"""

from __future__ import annotations

from collections.abc import Sequence

from infra.constants import (
    PRESTOP_SLEEP_SECONDS,
    TERMINATION_GRACE_SECONDS,
    USER_POOL,
)
from infra.services.catalog import Catalog, Planned, PlannedService, probe_timing
from infra.services.render.aks_secrets import (
    config_secret_name,
    files_class_name,
    key_vault_class_name,
    key_vault_secrets,
)
from infra.services.render.common import (
    ClusterKind,
    Manifest,
    PlatformExtensions,
    PlatformFacts,
    Text,
    image,
    image_reference,
    kubernetes_resources,
    labels,
    probe_port_number,
    selector,
    version_label,
)
from infra.services.render.gateway import tls_volume
from infra.services.render.objects import service_meta
from infra.services.spec import (
    SECRET_FILES_MOUNT,
    ExecProbe,
    GrpcProbe,
    HttpProbe,
    KeyVaultSecret,
    Probe,
    ServiceSpec,
    UpdateStrategy,
)
from infra.services.wiring import dependency_env
from infra.upstream_facts import PROBE_KINDS, aks_disk_storage_class

WORKLOAD_IDENTITY_USE = "azure.workload.identity/use"
SECRETS_STORE_MOUNT = "/mnt/secrets-store"
RUN_AS = 10001
"""A fixed non-root uid/gid: `runAsNonRoot` alone fails on images whose USER is a name."""


def _probe(spec: ServiceSpec, probe: Probe, kind: str, facts: PlatformFacts) -> Manifest:
    """A probe as Kubernetes declares it. A gRPC probe on a cluster whose Deployment Safeguards
    admit no `grpc` handler (`facts.probe_handlers`) becomes a TCP probe on the same port, as on
    Container Apps: the pod is admitted, and a process that does not listen is still caught."""
    grpc_admitted = facts.probe_handlers is None or "grpc" in facts.probe_handlers
    if isinstance(probe, ExecProbe):
        action: Manifest = {"exec": {"command": list(probe.command)}}
    elif isinstance(probe, HttpProbe):
        action = {"httpGet": {"path": probe.path, "port": probe_port_number(spec, probe)}}
    elif isinstance(probe, GrpcProbe) and grpc_admitted:
        port = probe_port_number(spec, probe)
        action = {"grpc": {"port": port, **({"service": probe.service} if probe.service else {})}}
    else:
        action = {"tcpSocket": {"port": probe_port_number(spec, probe)}}
    timing = probe_timing(probe, kind)
    # The APIs' own defaults (no delay, one success) are left out.
    if timing["initialDelaySeconds"] == 0:
        del timing["initialDelaySeconds"]
    if timing["successThreshold"] == 1:
        del timing["successThreshold"]
    return {**action, **timing}


def _env(service: Planned, catalog: Catalog, facts: PlatformFacts) -> list[Manifest]:
    spec = service.spec
    env: list[Manifest] = [{"name": k, "value": v} for k, v in sorted(spec.env.items())]
    for entry in dependency_env(service, catalog, facts):
        env.append({"name": entry.name, "value": entry.value})
    vault_index = {vault: i for i, vault in enumerate(key_vault_secrets(spec))}
    for variable, ref in sorted(spec.secrets.items()):
        if isinstance(ref, KeyVaultSecret) and facts.cluster is ClusterKind.LOCAL:
            # Locally, `kubectl create secret generic <service>-secrets` provides them.
            source = {"name": f"{service.name}-secrets", "key": variable, "optional": True}
        elif isinstance(ref, KeyVaultSecret):
            source = {
                "name": key_vault_class_name(service, vault_index[ref.vault_id]),
                "key": variable,
            }
        else:
            source = {"name": config_secret_name(service), "key": variable}
        env.append({"name": variable, "valueFrom": {"secretKeyRef": source}})
    return env


def volumes(service: Planned, facts: PlatformFacts) -> tuple[list[Manifest], list[Manifest]]:
    """The pod's volumes and the container's mounts: writable paths, Key Vault secrets (the
    CSI volume keeps their synced Secret alive), secret files, the listener's certificate."""
    volumes: list[Manifest] = []
    mounts: list[Manifest] = []
    for index, path in enumerate(service.spec.writable_paths):
        volumes.append({"name": f"writable-{index}", "emptyDir": {"sizeLimit": "256Mi"}})
        mounts.append({"name": f"writable-{index}", "mountPath": path})
    vaults = key_vault_secrets(service.spec) if facts.cluster is ClusterKind.AKS else {}
    for index, _ in enumerate(vaults):
        volumes.append(
            {
                "name": f"secrets-store-{index}",
                "csi": {
                    "driver": "secrets-store.csi.k8s.io",
                    "readOnly": True,
                    "volumeAttributes": {
                        "secretProviderClass": key_vault_class_name(service, index)
                    },
                },
            }
        )
        mounts.append(
            {
                "name": f"secrets-store-{index}",
                "mountPath": f"{SECRETS_STORE_MOUNT}/{index}",
                "readOnly": True,
            }
        )
    files = sorted(service.spec.secret_files)
    if files and facts.cluster is ClusterKind.LOCAL:
        # Locally the optional Secret `<service>-secrets` holds them, one key per file name.
        volumes.append(
            {
                "name": "secret-files",
                "secret": {
                    "secretName": f"{service.name}-secrets",
                    "optional": True,
                    "items": [{"key": f, "path": f} for f in files],
                },
            }
        )
    elif files:
        volumes.append(
            {
                "name": "secret-files",
                "csi": {
                    "driver": "secrets-store.csi.k8s.io",
                    "readOnly": True,
                    "volumeAttributes": {"secretProviderClass": files_class_name(service)},
                },
            }
        )
    if files:
        mounts.append({"name": "secret-files", "mountPath": SECRET_FILES_MOUNT, "readOnly": True})
    if isinstance(service, PlannedService):
        tls_volumes, tls_mounts = tls_volume(service)
        volumes += tls_volumes
        mounts += tls_mounts
    return volumes, mounts


def _security_context() -> Manifest:
    """Every container's, main or init: Pod Security 'restricted'."""
    return {
        "allowPrivilegeEscalation": False,
        "readOnlyRootFilesystem": True,
        "runAsNonRoot": True,
        "privileged": False,
        "capabilities": {"drop": ["ALL"]},
        "seccompProfile": {"type": "RuntimeDefault"},
    }


def _container(
    name: str,
    *,
    image_ref: Text,
    env: list[Manifest],
    resources: Manifest,
    mounts: list[Manifest],
    command: Sequence[str],
    args: Sequence[str],
) -> Manifest:
    """One container as the platform runs every one (the main one and init containers alike):
    pull policy, read-only root and dropped privileges, the given mounts."""
    container: Manifest = {
        "name": name,
        "image": image_ref,
        "imagePullPolicy": "IfNotPresent",
        "env": env,
        "resources": resources,
        "securityContext": _security_context(),
        "volumeMounts": mounts,
    }
    if command:
        container["command"] = list(command)
    if args:
        container["args"] = list(args)
    return container


def container(
    service: Planned, catalog: Catalog, facts: PlatformFacts, mounts: list[Manifest]
) -> Manifest:
    """The container as services and jobs share it: image, env, resources, security."""
    spec = service.spec
    return _container(
        service.name,
        image_ref=image(spec, facts),
        env=_env(service, catalog, facts),
        resources=kubernetes_resources(spec.resources),
        mounts=mounts,
        command=spec.command,
        args=spec.args,
    )


def init_containers(service: Planned, catalog: Catalog, facts: PlatformFacts) -> list[Manifest]:
    """The workload's init containers: the main container's security and pull policy, their own
    image, size and env plus the workload's dependency addresses (to wait for them), and its
    writable paths (the root filesystem is read-only)."""
    addresses = [
        {"name": e.name, "value": e.value} for e in dependency_env(service, catalog, facts)
    ]
    mounts = [
        {"name": f"writable-{index}", "mountPath": path}
        for index, path in enumerate(service.spec.writable_paths)
    ]
    return [
        _container(
            init.name,
            image_ref=image_reference(init.image, facts),
            env=[{"name": k, "value": v} for k, v in sorted(init.env.items())] + addresses,
            resources=kubernetes_resources(init.resources),
            mounts=mounts,
            command=init.command,
            args=init.args,
        )
        for init in service.spec.init_containers
    ]


def pod_security(facts: PlatformFacts, extensions: PlatformExtensions) -> Manifest:
    """What every pod (service or job) gets: non-root, no API token, the user pool."""
    pod: Manifest = {
        # No Kubernetes API token in the pod: workloads do not talk to the API server. (Workload
        # identity injects its own, Entra-only, projected token.)
        "automountServiceAccountToken": False,
        "enableServiceLinks": False,
        "securityContext": {
            "runAsNonRoot": True,
            "runAsUser": RUN_AS,
            "runAsGroup": RUN_AS,
            "fsGroup": RUN_AS,
            "seccompProfile": {"type": "RuntimeDefault"},
        },
        "terminationGracePeriodSeconds": TERMINATION_GRACE_SECONDS,
        "nodeSelector": {
            **({"platform.io/pool": USER_POOL} if facts.cluster is ClusterKind.AKS else {}),
            **extensions.node_selector,
        },
    }
    if extensions.tolerations:
        pod["tolerations"] = [dict(t) for t in extensions.tolerations]
    return pod


def pod_template_metadata(
    service: Planned, extensions: PlatformExtensions, uses_identity: bool
) -> Manifest:
    """The pods' labels (with the version; workload identity's opt-in) and annotations."""
    pod_labels = {**labels(service, extensions), **version_label(service.spec)}
    if uses_identity:
        pod_labels[WORKLOAD_IDENTITY_USE] = "true"
    return {
        "labels": pod_labels,
        **({"annotations": dict(extensions.annotations)} if extensions.annotations else {}),
    }


def _pod_spec(
    service: PlannedService, catalog: Catalog, facts: PlatformFacts, extensions: PlatformExtensions
) -> Manifest:
    spec = service.spec
    pod_volumes, mounts = volumes(service, facts)
    main = container(service, catalog, facts, mounts)
    main["ports"] = [
        {"name": p.name, "containerPort": p.number, "protocol": "TCP"} for p in spec.ports
    ]
    # Graceful termination: stop getting new traffic before the process is asked to exit.
    main["lifecycle"] = {"preStop": {"sleep": {"seconds": PRESTOP_SLEEP_SECONDS}}}
    for kind in PROBE_KINDS:
        probe = spec.probe(kind)
        if probe is not None:
            main[f"{kind}Probe"] = _probe(spec, probe, kind, facts)
    if not main["ports"]:
        del main["ports"]

    spread_zone = "DoNotSchedule" if facts.zonal else "ScheduleAnyway"
    pod: Manifest = {
        "serviceAccountName": service.name,
        **pod_security(facts, extensions),
        "topologySpreadConstraints": [
            {
                "maxSkew": 1,
                "topologyKey": "topology.kubernetes.io/zone",
                "whenUnsatisfiable": spread_zone,
                "labelSelector": {"matchLabels": selector(service)},
                "matchLabelKeys": ["pod-template-hash"],
            },
            {
                "maxSkew": 1,
                "topologyKey": "kubernetes.io/hostname",
                "whenUnsatisfiable": "ScheduleAnyway",
                "labelSelector": {"matchLabels": selector(service)},
                "matchLabelKeys": ["pod-template-hash"],
            },
        ],
        "containers": [main],
        "volumes": pod_volumes,
    }
    if spec.init_containers:
        pod["initContainers"] = init_containers(service, catalog, facts)
    return pod


def _template(
    service: PlannedService,
    catalog: Catalog,
    facts: PlatformFacts,
    extensions: PlatformExtensions,
    uses_identity: bool,
) -> Manifest:
    pod = _pod_spec(service, catalog, facts, extensions)
    storage = service.spec.storage
    if storage is not None:
        # A StatefulSet's pods carry no pod-template-hash label to match.
        for constraint in pod["topologySpreadConstraints"]:
            del constraint["matchLabelKeys"]
        pod["containers"][0]["volumeMounts"].append(
            {"name": storage.name, "mountPath": storage.mount_path}
        )
    return {
        "metadata": pod_template_metadata(service, extensions, uses_identity),
        "spec": pod,
    }


def _claim_template(service: PlannedService, facts: PlatformFacts) -> Manifest:
    """The disk: ReadWriteOnce (an Azure Disk attaches to one node), on the built-in Premium
    SSD class, zone-redundant on a zonal cluster (`infra.upstream_facts.aks_disk_storage_class`);
    locally, the cluster's default class."""
    storage = service.spec.storage
    assert storage is not None
    claim: Manifest = {
        "accessModes": ["ReadWriteOnce"],
        "resources": {"requests": {"storage": storage.size}},
    }
    if facts.cluster is ClusterKind.AKS:
        claim["storageClassName"] = aks_disk_storage_class()
    return {"metadata": {"name": storage.name}, "spec": claim}


def stateful_set(
    service: PlannedService,
    catalog: Catalog,
    facts: PlatformFacts,
    extensions: PlatformExtensions,
    uses_identity: bool,
) -> Manifest:
    """A single-instance stateful service: one pod with its disk. With one replica a rolling
    update deletes the old pod before it creates the new one (the StatefulSet controller never
    runs two pods of one ordinal), so two never run at once; the claim is kept when the
    StatefulSet is deleted or scaled (the data outlives a removal from the declaration: delete
    the claim by hand to drop it). No `serviceName`: callers reach the one pod through the
    service's ordinary Service, and per-pod DNS (a headless Service) is for clustered sets."""
    spec = service.spec
    return {
        "apiVersion": "apps/v1",
        "kind": "StatefulSet",
        "metadata": service_meta(service, extensions, extra_labels=version_label(spec)),
        "spec": {
            "replicas": spec.replicas,
            "selector": {"matchLabels": selector(service)},
            "podManagementPolicy": "OrderedReady",
            "updateStrategy": {"type": "RollingUpdate"},
            "revisionHistoryLimit": 5,
            "minReadySeconds": 5,
            "persistentVolumeClaimRetentionPolicy": {
                "whenDeleted": "Retain",
                "whenScaled": "Retain",
            },
            "template": _template(service, catalog, facts, extensions, uses_identity),
            "volumeClaimTemplates": [_claim_template(service, facts)],
        },
    }


def deployment(
    service: PlannedService,
    catalog: Catalog,
    facts: PlatformFacts,
    extensions: PlatformExtensions,
    uses_identity: bool,
) -> Manifest:
    spec = service.spec
    # Never below the desired ready replicas: new pods come up (and pass readiness) first.
    # RECREATE (single-instance): the old pod is gone before the new one starts.
    strategy: Manifest = (
        {"type": "Recreate"}
        if spec.update is UpdateStrategy.RECREATE
        else {"type": "RollingUpdate", "rollingUpdate": {"maxUnavailable": 0, "maxSurge": "25%"}}
    )
    deployment_spec: Manifest = {
        "selector": {"matchLabels": selector(service)},
        "revisionHistoryLimit": 5,
        "progressDeadlineSeconds": 600,
        "minReadySeconds": 5,
        "strategy": strategy,
        "template": _template(service, catalog, facts, extensions, uses_identity),
    }
    if spec.autoscaling is None:
        # With an autoscaler, replicas is left out so `pulumi up` never resets its choice.
        deployment_spec["replicas"] = spec.replicas
    return {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": service_meta(service, extensions, extra_labels=version_label(spec)),
        "spec": deployment_spec,
    }


def workload(
    service: PlannedService,
    catalog: Catalog,
    facts: PlatformFacts,
    extensions: PlatformExtensions,
    uses_identity: bool,
) -> Manifest:
    """The service's pods: a StatefulSet with a disk (`storage`), else a Deployment."""
    build = stateful_set if service.spec.storage is not None else deployment
    return build(service, catalog, facts, extensions, uses_identity)
