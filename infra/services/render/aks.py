"""A service on AKS as plain Kubernetes objects (dicts): a pure function of the spec.

Each object is validated against the Kubernetes OpenAPI schema in the tests, so a misspelt
field cannot hide in a dict. The defaults that matter for security and availability are set
here, each with its reason; `tests/test_render_aks.py` asserts every one.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from infra.constants import (
    APP_ROUTING_INGRESS_CLASS,
    INTERNAL_INGRESS_CLASS,
    PRESTOP_SLEEP_SECONDS,
    PROBE_TIMEOUT_SECONDS,
    PROBE_TIMINGS,
    SCALER_COOLDOWN_SECONDS,
    SCALER_POLLING_SECONDS,
    TERMINATION_GRACE_SECONDS,
    USER_POOL,
)
from infra.services.catalog import (
    Catalog,
    Planned,
    PlannedChart,
    PlannedJob,
    PlannedService,
    port_named,
    service_port,
)
from infra.services.render.common import (
    MANAGED_BY_LABEL,
    PART_OF_LABEL,
    ClusterKind,
    GatewayFacts,
    PlatformExtensions,
    PlatformFacts,
    Text,
    image,
    keda_queue_scaler,
    kubernetes_resources,
    labels,
    min_replicas,
    probe_port_number,
    readiness,
    selector,
    version_label,
)
from infra.services.render.envoy_gateway import proxy_source, reference_grant
from infra.services.render.envoy_gateway import route_object as envoy_route
from infra.services.render.gateway import (
    gateway_source,
    route_object,
    served_by_envoy,
    served_by_gateway,
    tls_secret_provider_class,
    tls_volume,
)
from infra.services.spec import (
    SECRET_FILES_MOUNT,
    ConfigSecret,
    Event,
    Exposure,
    GrpcProbe,
    HttpProbe,
    JobSpec,
    KeyVaultSecret,
    Manual,
    Probe,
    Protocol,
    QueueTrigger,
    Schedule,
    ServiceSpec,
)
from infra.services.wiring import dependency_env, reachability

Obj = dict[str, Any]

PART_OF = "app.kubernetes.io/part-of"
INGRESS_CONTROLLER_NAMESPACE = "app-routing-system"
LOCAL_INGRESS_NAMESPACE = "ingress-nginx"
WORKLOAD_IDENTITY_USE = "azure.workload.identity/use"
WORKLOAD_IDENTITY_CLIENT_ID = "azure.workload.identity/client-id"
KEYVAULT_TLS_ANNOTATION = "kubernetes.azure.com/tls-cert-keyvault-uri"
SECRETS_STORE_MOUNT = "/mnt/secrets-store"
RUN_AS = 10001
"""A fixed non-root uid/gid: `runAsNonRoot` alone fails on images whose USER is a name."""


@dataclass(frozen=True)
class ServiceSecrets:
    """Secret material for one service, resolved by the component (values may be Outputs)."""

    config_values: Mapping[str, Text]
    """Env var → value of the `ConfigSecret`s (secret Outputs in a real run)."""


def namespace_objects(app: str, extensions: PlatformExtensions) -> list[Obj]:
    """The application's namespace, restricted by Pod Security Admission, denying all ingress
    traffic unless a service's own policy allows it."""
    namespace = {
        "apiVersion": "v1",
        "kind": "Namespace",
        "metadata": {
            "name": app,
            "labels": {
                **extensions.labels,
                "app.kubernetes.io/part-of": app,
                "pod-security.kubernetes.io/enforce": "restricted",
                "pod-security.kubernetes.io/enforce-version": "latest",
                "pod-security.kubernetes.io/audit": "restricted",
                "pod-security.kubernetes.io/warn": "restricted",
            },
            **({"annotations": dict(extensions.annotations)} if extensions.annotations else {}),
        },
    }
    deny = {
        "apiVersion": "networking.k8s.io/v1",
        "kind": "NetworkPolicy",
        "metadata": _platform_metadata("default-deny-ingress", extensions, app),
        "spec": {"podSelector": {}, "policyTypes": ["Ingress"]},
    }
    return _hooked([namespace, deny], extensions)


def _platform_metadata(name: str, extensions: PlatformExtensions, app: str | None = None) -> Obj:
    """Metadata of an object the platform owns rather than one service (the namespace's
    default-deny policy, the internal ingress controller): the platform labels and annotations
    every object carries (README: extension points), part of the application when namespaced."""
    meta: Obj = {
        "name": name,
        **({"namespace": app} if app else {}),
        "labels": {
            **extensions.labels,
            **({PART_OF_LABEL: app} if app else {}),
            MANAGED_BY_LABEL: "pulumi",
        },
    }
    if extensions.annotations:
        meta["annotations"] = dict(extensions.annotations)
    return meta


def internal_ingress_controller(address: str, extensions: PlatformExtensions) -> Obj:
    """A second app-routing NGINX behind an internal load balancer, for Exposure.INTERNAL, on a
    fixed address so internal hosts can have DNS records before the load balancer exists.
    Labelled and hooked like every other object."""
    controller = {
        "apiVersion": "approuting.kubernetes.azure.com/v1alpha1",
        "kind": "NginxIngressController",
        "metadata": _platform_metadata(INTERNAL_INGRESS_CLASS, extensions),
        "spec": {
            "ingressClassName": INTERNAL_INGRESS_CLASS,
            "controllerNamePrefix": INTERNAL_INGRESS_CLASS,
            "loadBalancerAnnotations": {
                "service.beta.kubernetes.io/azure-load-balancer-internal": "true",
                "service.beta.kubernetes.io/azure-load-balancer-ipv4": address,
            },
        },
    }
    return _hooked([controller], extensions)[0]


def _probe(spec: ServiceSpec, probe: Probe, kind: str) -> Obj:
    port = probe_port_number(spec, probe)
    if isinstance(probe, HttpProbe):
        action: Obj = {"httpGet": {"path": probe.path, "port": port}}
    elif isinstance(probe, GrpcProbe):
        action = {"grpc": {"port": port, **({"service": probe.service} if probe.service else {})}}
    else:
        action = {"tcpSocket": {"port": port}}
    period, failures = PROBE_TIMINGS[kind]
    return {
        **action,
        "timeoutSeconds": PROBE_TIMEOUT_SECONDS,
        "periodSeconds": period,
        "failureThreshold": failures,
    }


def _key_vault_secrets(
    spec: ServiceSpec | JobSpec,
) -> dict[str | None, list[tuple[str, KeyVaultSecret]]]:
    by_vault: dict[str | None, list[tuple[str, KeyVaultSecret]]] = {}
    for variable, ref in sorted(spec.secrets.items()):
        if isinstance(ref, KeyVaultSecret):
            by_vault.setdefault(ref.vault_id, []).append((variable, ref))
    return by_vault


def _secret_provider_classes(
    service: Planned, facts: PlatformFacts, client_id: Text | None, extensions: PlatformExtensions
) -> list[Obj]:
    objects: list[Obj] = []
    if facts.cluster is ClusterKind.LOCAL:
        return objects  # no Key Vault locally: secrets come from a plain Secret (README)
    for index, (vault_id, refs) in enumerate(_key_vault_secrets(service.spec).items()):
        name = f"{service.name}-kv{index}"
        vault_name: Text = facts.key_vault_name if vault_id is None else vault_id.rsplit("/", 1)[-1]
        listed = "".join(
            f"    - |\n      objectName: {ref.name}\n      objectType: secret\n" for _, ref in refs
        )
        objects.append(
            {
                "apiVersion": "secrets-store.csi.x-k8s.io/v1",
                "kind": "SecretProviderClass",
                "metadata": _metadata(service, extensions, name),
                "spec": {
                    "provider": "azure",
                    "parameters": {
                        "usePodIdentity": "false",
                        "clientID": client_id or "",
                        "keyvaultName": vault_name,
                        "tenantId": facts.tenant_id,
                        "objects": "array:\n" + listed,
                    },
                    # Synced into a Kubernetes Secret so they can be env vars; rotation re-syncs it.
                    "secretObjects": [
                        {
                            "secretName": name,
                            "type": "Opaque",
                            "data": [
                                {"objectName": ref.name, "key": variable} for variable, ref in refs
                            ],
                        }
                    ],
                },
            }
        )
    files = sorted(service.spec.secret_files.items())
    if files:
        vault_id = files[0][1].vault_id  # validated: one vault per service for files
        vault_name = facts.key_vault_name if vault_id is None else vault_id.rsplit("/", 1)[-1]
        listed = "".join(
            f"    - |\n      objectName: {ref.name}\n      objectAlias: {file}\n"
            "      objectType: secret\n"
            for file, ref in files
        )
        objects.append(
            {
                "apiVersion": "secrets-store.csi.x-k8s.io/v1",
                "kind": "SecretProviderClass",
                "metadata": _metadata(service, extensions, f"{service.name}-files"),
                # No secretObjects: file secrets stay in the pod's tmpfs volume, never in etcd.
                "spec": {
                    "provider": "azure",
                    "parameters": {
                        "usePodIdentity": "false",
                        "clientID": client_id or "",
                        "keyvaultName": vault_name,
                        "tenantId": facts.tenant_id,
                        "objects": "array:\n" + listed,
                    },
                },
            }
        )
    return objects


def _env(service: Planned, catalog: Catalog, facts: PlatformFacts) -> list[Obj]:
    spec = service.spec
    env: list[Obj] = [{"name": k, "value": v} for k, v in sorted(spec.env.items())]
    for entry in dependency_env(service, catalog, facts):
        env.append({"name": entry.name, "value": entry.value})
    vault_index = {vault: i for i, vault in enumerate(_key_vault_secrets(spec))}
    for variable, ref in sorted(spec.secrets.items()):
        if isinstance(ref, KeyVaultSecret) and facts.cluster is ClusterKind.LOCAL:
            # Locally, `kubectl create secret generic <service>-secrets` provides them.
            source = {"name": f"{service.name}-secrets", "key": variable, "optional": True}
        elif isinstance(ref, KeyVaultSecret):
            source = {"name": f"{service.name}-kv{vault_index[ref.vault_id]}", "key": variable}
        else:
            source = {"name": f"{service.name}-config", "key": variable}
        env.append({"name": variable, "valueFrom": {"secretKeyRef": source}})
    return env


def _volumes(service: Planned, facts: PlatformFacts) -> tuple[list[Obj], list[Obj]]:
    volumes: list[Obj] = []
    mounts: list[Obj] = []
    for index, path in enumerate(service.spec.writable_paths):
        volumes.append({"name": f"writable-{index}", "emptyDir": {"sizeLimit": "256Mi"}})
        mounts.append({"name": f"writable-{index}", "mountPath": path})
    vaults = _key_vault_secrets(service.spec) if facts.cluster is ClusterKind.AKS else {}
    for index, _ in enumerate(vaults):
        name = f"{service.name}-kv{index}"
        volumes.append(
            {
                "name": f"secrets-store-{index}",
                "csi": {
                    "driver": "secrets-store.csi.k8s.io",
                    "readOnly": True,
                    "volumeAttributes": {"secretProviderClass": name},
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
                    "volumeAttributes": {"secretProviderClass": f"{service.name}-files"},
                },
            }
        )
    if files:
        mounts.append({"name": "secret-files", "mountPath": SECRET_FILES_MOUNT, "readOnly": True})
    if isinstance(service, PlannedService):
        tls_volumes, tls_mounts = tls_volume(service, facts)
        volumes += tls_volumes
        mounts += tls_mounts
    return volumes, mounts


def _container(service: Planned, catalog: Catalog, facts: PlatformFacts, mounts: list[Obj]) -> Obj:
    """The container as services and jobs share it: image, env, resources, security."""
    spec = service.spec
    container: Obj = {
        "name": service.name,
        "image": image(spec, facts),
        "imagePullPolicy": "IfNotPresent",
        "env": _env(service, catalog, facts),
        "resources": kubernetes_resources(spec.resources),
        "securityContext": {
            "allowPrivilegeEscalation": False,
            "readOnlyRootFilesystem": True,
            "runAsNonRoot": True,
            "privileged": False,
            "capabilities": {"drop": ["ALL"]},
            "seccompProfile": {"type": "RuntimeDefault"},
        },
        "volumeMounts": mounts,
    }
    if spec.command:
        container["command"] = list(spec.command)
    if spec.args:
        container["args"] = list(spec.args)
    return container


def _pod_security(facts: PlatformFacts, extensions: PlatformExtensions) -> Obj:
    """What every pod (service or job) gets: non-root, no API token, the user pool."""
    pod: Obj = {
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


def _pod_spec(
    service: PlannedService, catalog: Catalog, facts: PlatformFacts, extensions: PlatformExtensions
) -> Obj:
    spec = service.spec
    volumes, mounts = _volumes(service, facts)
    container = _container(service, catalog, facts, mounts)
    container["ports"] = [
        {"name": p.name, "containerPort": p.number, "protocol": "TCP"} for p in spec.ports
    ]
    # Graceful termination: stop getting new traffic before the process is asked to exit.
    container["lifecycle"] = {"preStop": {"sleep": {"seconds": PRESTOP_SLEEP_SECONDS}}}
    ready = readiness(spec)
    if ready is not None:
        container["readinessProbe"] = _probe(spec, ready, "readiness")
    if spec.probes.liveness is not None:
        container["livenessProbe"] = _probe(spec, spec.probes.liveness, "liveness")
    if spec.probes.startup is not None:
        container["startupProbe"] = _probe(spec, spec.probes.startup, "startup")
    if not container["ports"]:
        del container["ports"]

    spread_zone = "DoNotSchedule" if facts.zonal else "ScheduleAnyway"
    pod: Obj = {
        "serviceAccountName": service.name,
        **_pod_security(facts, extensions),
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
        "containers": [container],
        "volumes": volumes,
    }
    return pod


def _deployment(
    service: PlannedService,
    catalog: Catalog,
    facts: PlatformFacts,
    extensions: PlatformExtensions,
    uses_identity: bool,
) -> Obj:
    spec = service.spec
    pod_labels = {**labels(service, extensions), **version_label(spec)}
    if uses_identity:
        pod_labels[WORKLOAD_IDENTITY_USE] = "true"
    deployment_spec: Obj = {
        "selector": {"matchLabels": selector(service)},
        "revisionHistoryLimit": 5,
        "progressDeadlineSeconds": 600,
        "minReadySeconds": 5,
        # Never below the desired ready replicas: new pods come up (and pass readiness) first.
        "strategy": {
            "type": "RollingUpdate",
            "rollingUpdate": {"maxUnavailable": 0, "maxSurge": "25%"},
        },
        "template": {
            "metadata": {
                "labels": pod_labels,
                **({"annotations": dict(extensions.annotations)} if extensions.annotations else {}),
            },
            "spec": _pod_spec(service, catalog, facts, extensions),
        },
    }
    if spec.autoscaling is None:
        # With an autoscaler, replicas is left out so `pulumi up` never resets its choice.
        deployment_spec["replicas"] = spec.replicas
    return {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {
            **_metadata(service, extensions),
            "labels": {**labels(service, extensions), **version_label(spec)},
        },
        "spec": deployment_spec,
    }


def _metadata(service: Planned, extensions: PlatformExtensions, name: str | None = None) -> Obj:
    meta: Obj = {
        "name": name or service.name,
        "namespace": service.app,
        "labels": labels(service, extensions),
    }
    if extensions.annotations:
        meta["annotations"] = dict(extensions.annotations)
    return meta


def _service(
    service: PlannedService, catalog: Catalog, extensions: PlatformExtensions
) -> Obj | None:
    spec = service.spec
    if not spec.ports:
        return None
    reach = reachability(catalog, service)
    meta = _metadata(service, extensions)
    body: Obj = {
        "selector": selector(service),
        "ports": [
            {
                "name": p.name,
                # Callers use the Service port; the named targetPort maps it to the container's.
                "port": service_port(p),
                "targetPort": p.name,
                "protocol": "TCP",
                "appProtocol": {"http": "http", "grpc": "kubernetes.io/h2c", "tcp": "tcp"}[
                    p.protocol.value
                ],
            }
            for p in spec.ports
        ],
    }
    if reach.needs_internal_load_balancer:
        # Container Apps cannot reach cluster IPs: an internal load balancer in the VNet, keeping
        # the caller's address (Local) so the NetworkPolicy can allow just their subnet.
        meta.setdefault("annotations", {})[
            "service.beta.kubernetes.io/azure-load-balancer-internal"
        ] = "true"
        body["type"] = "LoadBalancer"
        body["externalTrafficPolicy"] = "Local"
    else:
        body["type"] = "ClusterIP"
    return {"apiVersion": "v1", "kind": "Service", "metadata": meta, "spec": body}


def _autoscaler(
    service: PlannedService, extensions: PlatformExtensions, client_id: Text | None
) -> list[Obj]:
    spec = service.spec
    scale = spec.autoscaling
    if scale is None:
        return []
    resource_metrics = [
        (metric, target)
        for metric, target in (("cpu", scale.cpu_utilization), ("memory", scale.memory_utilization))
        if target is not None
    ]
    if scale.queue is None:
        return [
            {
                "apiVersion": "autoscaling/v2",
                "kind": "HorizontalPodAutoscaler",
                "metadata": _metadata(service, extensions),
                "spec": {
                    "scaleTargetRef": {
                        "apiVersion": "apps/v1",
                        "kind": "Deployment",
                        "name": service.name,
                    },
                    "minReplicas": scale.min_replicas,
                    "maxReplicas": scale.max_replicas,
                    "metrics": [
                        {
                            "type": "Resource",
                            "resource": {
                                "name": metric,
                                "target": {"type": "Utilization", "averageUtilization": target},
                            },
                        }
                        for metric, target in resource_metrics
                    ],
                    # Scale in slowly: a traffic dip should not cost capacity needed a minute later.
                    "behavior": {"scaleDown": {"stabilizationWindowSeconds": 300}},
                },
            }
        ]
    triggers = [_queue_trigger(service, scale.queue)] + [
        {"type": metric, "metricType": "Utilization", "metadata": {"value": str(target)}}
        for metric, target in resource_metrics
    ]
    return [
        _trigger_authentication(service, extensions, client_id),
        {
            "apiVersion": "keda.sh/v1alpha1",
            "kind": "ScaledObject",
            "metadata": _metadata(service, extensions),
            "spec": {
                "scaleTargetRef": {"name": service.name},
                "minReplicaCount": scale.min_replicas,
                "maxReplicaCount": scale.max_replicas,
                "pollingInterval": SCALER_POLLING_SECONDS,
                "cooldownPeriod": SCALER_COOLDOWN_SECONDS,
                "triggers": triggers,
            },
        },
    ]


def _auth_name(service: Planned) -> str:
    return f"{service.name}-workload-identity"


def _queue_trigger(service: Planned, queue: QueueTrigger) -> Obj:
    """A KEDA queue trigger authenticated as the workload's own identity (no connection
    string), for a service's ScaledObject and a job's ScaledJob alike."""
    kind, metadata = keda_queue_scaler(queue)
    trigger: Obj = {"type": kind, "metadata": metadata}
    trigger["authenticationRef"] = {"name": _auth_name(service)}
    return trigger


def _trigger_authentication(
    service: Planned, extensions: PlatformExtensions, client_id: Text | None
) -> Obj:
    return {
        "apiVersion": "keda.sh/v1alpha1",
        "kind": "TriggerAuthentication",
        "metadata": _metadata(service, extensions, _auth_name(service)),
        "spec": {"podIdentity": {"provider": "azure-workload", "identityId": client_id or ""}},
    }


def _disruption_budget(service: PlannedService, extensions: PlatformExtensions) -> Obj | None:
    if min_replicas(service.spec) < 2:
        return None
    return {
        "apiVersion": "policy/v1",
        "kind": "PodDisruptionBudget",
        "metadata": _metadata(service, extensions),
        # A node drain takes one replica at a time; the rest keep serving.
        "spec": {
            "maxUnavailable": 1,
            "selector": {"matchLabels": selector(service)},
            "unhealthyPodEvictionPolicy": "AlwaysAllow",
        },
    }


def _ingress_objects(
    service: PlannedService, facts: PlatformFacts, extensions: PlatformExtensions
) -> list[Obj | None]:
    """The Gateway API route, the managed-NGINX Ingress, or both during the migration release."""
    if served_by_envoy(service, facts):
        grant = reference_grant(service, facts, extensions)
        return [envoy_route(service, facts, extensions), grant]
    if not served_by_gateway(service, facts):
        return [_ingress(service, facts, extensions)]
    route = route_object(service, extensions)
    return [route, _ingress(service, facts, extensions)] if facts.nginx_alongside else [route]


def _ingress_sources(service: PlannedService, facts: PlatformFacts) -> list[Obj]:
    """Who delivers ingress traffic: AGC's subnet, Envoy Gateway's proxies, the NGINX
    controllers' namespace, or AGC and NGINX during the migration release."""
    if served_by_envoy(service, facts):
        return [proxy_source()]
    if served_by_gateway(service, facts):
        assert isinstance(facts.gateway, GatewayFacts)
        agc = gateway_source(facts.gateway)
        return [agc, _nginx_source(facts)] if facts.nginx_alongside else [agc]
    return [_nginx_source(facts)]


def _nginx_source(facts: PlatformFacts) -> Obj:
    return {
        "namespaceSelector": {
            "matchLabels": {
                "kubernetes.io/metadata.name": LOCAL_INGRESS_NAMESPACE
                if facts.cluster is ClusterKind.LOCAL
                else INGRESS_CONTROLLER_NAMESPACE
            }
        }
    }


def _ingress(
    service: PlannedService, facts: PlatformFacts, extensions: PlatformExtensions
) -> Obj | None:
    spec = service.spec
    ingress = spec.ingress
    if ingress.exposure is Exposure.NONE:
        return None
    port = port_named(spec, ingress.port)
    assert port is not None, "validated: ingress names a declared port"
    local = facts.cluster is ClusterKind.LOCAL
    # Locally every exposed service answers on <name>.<domain> (a domain resolving to 127.0.0.1).
    host = f"{service.name}.{facts.local_domain}" if local else ingress.host
    assert local or ingress.host is not None, "validated: AKS ingress has a host"
    meta = _metadata(service, extensions)
    annotations = meta.setdefault("annotations", {})
    if port.protocol is Protocol.GRPC:
        annotations["nginx.ingress.kubernetes.io/backend-protocol"] = "GRPC"
    body: Obj = {
        "ingressClassName": facts.local_ingress_class
        if local
        else APP_ROUTING_INGRESS_CLASS
        if ingress.exposure is Exposure.PUBLIC
        else INTERNAL_INGRESS_CLASS,
        "rules": [
            {
                "host": host,
                "http": {
                    "paths": [
                        {
                            "path": ingress.path,
                            "pathType": "Prefix",
                            "backend": {
                                "service": {"name": service.name, "port": {"name": port.name}}
                            },
                        }
                    ]
                },
            }
        ],
    }
    if ingress.tls is not None and not local:
        # The app routing add-on fetches the certificate from Key Vault into this secret.
        annotations[KEYVAULT_TLS_ANNOTATION] = ingress.tls.key_vault_certificate_uri
        body["tls"] = [{"hosts": [ingress.host], "secretName": f"keyvault-{service.name}"}]
    return {"apiVersion": "networking.k8s.io/v1", "kind": "Ingress", "metadata": meta, "spec": body}


def _network_policy(
    service: PlannedService, catalog: Catalog, facts: PlatformFacts, extensions: PlatformExtensions
) -> Obj | None:
    """Allow exactly the declared callers (and the ingress controller for exposed services);
    the namespace's default-deny refuses everything else."""
    spec = service.spec
    if not spec.ports:
        return None
    reach = reachability(catalog, service)
    ports = [{"port": p.number, "protocol": "TCP"} for p in spec.ports]
    sources: list[Obj] = [
        {
            "namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": caller.app}},
            "podSelector": {"matchLabels": selector(caller)},
        }
        for caller in reach.aks_callers
    ]
    if reach.container_apps_callers:
        sources.append({"ipBlock": {"cidr": facts.container_apps_subnet_cidr}})
    if spec.ingress.exposure is not Exposure.NONE:
        sources.extend(_ingress_sources(service, facts))
    rules: list[Obj] = [{"from": sources, "ports": ports}] if sources else []
    metrics = [p for p in spec.ports if p.name == "metrics"]
    if metrics:
        # Azure Monitor managed Prometheus scrapes from kube-system.
        rules.append(
            {
                "from": [
                    {
                        "namespaceSelector": {
                            "matchLabels": {"kubernetes.io/metadata.name": "kube-system"}
                        }
                    }
                ],
                "ports": [{"port": p.number, "protocol": "TCP"} for p in metrics],
            }
        )
    return {
        "apiVersion": "networking.k8s.io/v1",
        "kind": "NetworkPolicy",
        "metadata": _metadata(service, extensions),
        "spec": {
            "podSelector": {"matchLabels": selector(service)},
            "policyTypes": ["Ingress"],
            "ingress": rules,
        },
    }


def _service_account(
    service: Planned, extensions: PlatformExtensions, client_id: Text | None
) -> Obj:
    meta = _metadata(service, extensions)
    if client_id is not None:
        meta.setdefault("annotations", {})[WORKLOAD_IDENTITY_CLIENT_ID] = client_id
    return {
        "apiVersion": "v1",
        "kind": "ServiceAccount",
        "metadata": meta,
        "automountServiceAccountToken": False,
    }


def _config_secret(
    service: Planned, extensions: PlatformExtensions, secrets: ServiceSecrets
) -> Obj | None:
    refs = {k: v for k, v in service.spec.secrets.items() if isinstance(v, ConfigSecret)}
    if not refs:
        return None
    return {
        "apiVersion": "v1",
        "kind": "Secret",
        "metadata": _metadata(service, extensions, f"{service.name}-config"),
        "type": "Opaque",
        "stringData": {variable: secrets.config_values[variable] for variable in sorted(refs)},
    }


def _hooked(objects: list[Obj], extensions: PlatformExtensions) -> list[Obj]:
    for hook in extensions.kubernetes_hooks:
        objects = [hook(obj) for obj in objects]
    return objects


def render_on_aks(
    service: PlannedService,
    *,
    catalog: Catalog,
    facts: PlatformFacts,
    extensions: PlatformExtensions,
    client_id: Text | None,
    secrets: ServiceSecrets,
) -> list[Obj]:
    """Every Kubernetes object for one service, in apply order."""
    candidates = [
        _service_account(service, extensions, client_id),
        _config_secret(service, extensions, secrets),
        *_secret_provider_classes(service, facts, client_id, extensions),
        tls_secret_provider_class(service, facts, client_id),
        _deployment(service, catalog, facts, extensions, uses_identity=client_id is not None),
        _service(service, catalog, extensions),
        *_autoscaler(service, extensions, client_id),
        _disruption_budget(service, extensions),
        *_ingress_objects(service, facts, extensions),
        _network_policy(service, catalog, facts, extensions),
    ]
    return _hooked([obj for obj in candidates if obj is not None], extensions)


MANUAL_SCHEDULE = "0 0 1 1 *"
"""A manual job's CronJob is suspended, so this schedule never fires; it is a valid one because
the API server requires a schedule."""
JOB_HISTORY = 3
"""Finished runs kept (each kind) for `kubectl logs`; older ones are deleted by the controller."""
SCHEDULE_STARTING_DEADLINE_SECONDS = 300
"""A run missed by more than five minutes (controller down, cluster upgrade) is skipped, not
started late at a surprising time."""


def _job_spec(
    job: PlannedJob,
    catalog: Catalog,
    facts: PlatformFacts,
    extensions: PlatformExtensions,
    uses_identity: bool,
) -> Obj:
    """A batch/v1 JobSpec: what a CronJob's jobTemplate and a ScaledJob's jobTargetRef hold."""
    spec = job.spec
    volumes, mounts = _volumes(job, facts)
    pod_labels = {**labels(job, extensions), **version_label(spec)}
    if uses_identity:
        pod_labels[WORKLOAD_IDENTITY_USE] = "true"
    pod: Obj = {
        "serviceAccountName": job.name,
        **_pod_security(facts, extensions),
        # A failed replica is replaced by a new pod (not restarted in place), so `backoffLimit`
        # counts failed attempts and each attempt's logs stay readable.
        "restartPolicy": "Never",
        "containers": [_container(job, catalog, facts, mounts)],
        "volumes": volumes,
    }
    return {
        "parallelism": spec.parallelism,
        "completions": spec.completions,
        "backoffLimit": spec.retries,
        # The whole execution (every attempt) must finish within the timeout.
        "activeDeadlineSeconds": spec.timeout_seconds,
        "template": {
            "metadata": {
                "labels": pod_labels,
                **({"annotations": dict(extensions.annotations)} if extensions.annotations else {}),
            },
            "spec": pod,
        },
    }


def _cron_job(job: PlannedJob, job_spec: Obj, extensions: PlatformExtensions) -> Obj:
    """Schedule: a CronJob. Manual: the same CronJob, suspended, as the template each run is
    created from (`kubectl create job --from=cronjob/<name> <run>`): like a Container Apps
    manual job, nothing runs at deploy time and every run is a fresh Job."""
    trigger = job.spec.trigger
    schedule = trigger if isinstance(trigger, Schedule) else None
    return {
        "apiVersion": "batch/v1",
        "kind": "CronJob",
        "metadata": {
            **_metadata(job, extensions),
            "labels": {**labels(job, extensions), **version_label(job.spec)},
        },
        "spec": {
            "schedule": schedule.cron if schedule else MANUAL_SCHEDULE,
            "timeZone": schedule.time_zone if schedule else "Etc/UTC",
            "suspend": schedule is None,
            # A run still going when the next is due: the next is skipped, never stacked.
            "concurrencyPolicy": "Forbid",
            "startingDeadlineSeconds": SCHEDULE_STARTING_DEADLINE_SECONDS,
            "successfulJobsHistoryLimit": JOB_HISTORY,
            "failedJobsHistoryLimit": JOB_HISTORY,
            "jobTemplate": {
                "metadata": {"labels": labels(job, extensions)},
                "spec": job_spec,
            },
        },
    }


def _scaled_job(
    job: PlannedJob, event: Event, job_spec: Obj, extensions: PlatformExtensions
) -> Obj:
    """Event: a KEDA ScaledJob, one Job per `messages_per_replica` messages waiting."""
    return {
        "apiVersion": "keda.sh/v1alpha1",
        "kind": "ScaledJob",
        "metadata": _metadata(job, extensions),
        "spec": {
            "jobTargetRef": job_spec,
            "pollingInterval": event.polling_seconds,
            "minReplicaCount": 0,
            "maxReplicaCount": event.max_executions,
            "successfulJobsHistoryLimit": JOB_HISTORY,
            "failedJobsHistoryLimit": JOB_HISTORY,
            "triggers": [_queue_trigger(job, event.queue)],
        },
    }


def render_job_on_aks(
    job: PlannedJob,
    *,
    catalog: Catalog,
    facts: PlatformFacts,
    extensions: PlatformExtensions,
    client_id: Text | None,
    secrets: ServiceSecrets,
) -> list[Obj]:
    """Every Kubernetes object for one job, in apply order. No Service, NetworkPolicy or PDB:
    nothing calls a job (the namespace's default deny keeps it so), and a run to completion
    has no replicas to keep available."""
    trigger = job.spec.trigger
    job_spec = _job_spec(job, catalog, facts, extensions, uses_identity=client_id is not None)
    workload: list[Obj]
    if isinstance(trigger, Event):
        workload = [
            _trigger_authentication(job, extensions, client_id),
            _scaled_job(job, trigger, job_spec, extensions),
        ]
    else:
        assert isinstance(trigger, (Manual, Schedule))
        workload = [_cron_job(job, job_spec, extensions)]
    candidates = [
        _service_account(job, extensions, client_id),
        _config_secret(job, extensions, secrets),
        *_secret_provider_classes(job, facts, client_id, extensions),
        *workload,
    ]
    return _hooked([obj for obj in candidates if obj is not None], extensions)


def render_chart(
    chart: PlannedChart, catalog: Catalog, extensions: PlatformExtensions
) -> tuple[Obj, list[Obj]]:
    """The Helm chart's arguments, and the NetworkPolicy that lets exactly its declared callers
    in (the namespace denies everything else)."""
    spec = chart.chart
    oci = spec.repository.startswith("oci://")
    arguments: Obj = {
        "chart": f"{spec.repository.rstrip('/')}/{spec.chart}" if oci else spec.chart,
        "version": spec.version,
        "namespace": chart.app,
        "values": {
            "commonLabels": {**extensions.labels, PART_OF: chart.app},
            **dict(spec.values),
        },
    }
    if not oci:
        arguments["repository"] = spec.repository
    callers = catalog.callers_of(chart.name)
    sources = [
        {
            "namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": caller.app}},
            "podSelector": {"matchLabels": selector(caller)},
        }
        for caller in callers
    ]
    policy: Obj = {
        "apiVersion": "networking.k8s.io/v1",
        "kind": "NetworkPolicy",
        "metadata": {
            "name": f"{chart.name}-callers",
            "namespace": chart.app,
            "labels": {
                **extensions.labels,
                PART_OF: chart.app,
                "app.kubernetes.io/instance": chart.name,
            },
        },
        "spec": {
            "podSelector": {"matchLabels": {"app.kubernetes.io/instance": chart.name}},
            "policyTypes": ["Ingress"],
            "ingress": [{"from": sources, "ports": [{"port": spec.port, "protocol": "TCP"}]}]
            if sources
            else [],
        },
    }
    return arguments, _hooked([policy], extensions)
