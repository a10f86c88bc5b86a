"""Internal AKS ingress and the local stack's ingress on the Kubernetes Gateway API, served by
Envoy Gateway (CNCF, a conformant Gateway API implementation): one GatewayClass, one shared
Gateway in Envoy Gateway's namespace with a listener per exposed service, and per service an
`HTTPRoute`/`GRPCRoute` with the same host and path matching as the public routes.

Why Envoy Gateway here and AGC for public services (docs/ingress.md): AGC
Frontends are public (the installed `servicenetworking.FrontendsInterfaceArgs` has no private IP
or subnet field), and the app routing / Istio add-on Gateway API implementations are preview
and need ManagedCluster API versions newer than the installed SDK's 2025-09-01.

One Gateway for every application (not one per namespace, as for AGC): Envoy Gateway gives
each Gateway its own Envoy Deployment and Service, and internal hosts all resolve to one fixed
address (`network.internalIngressIp`), which only one load balancer Service can hold. Each
listener admits routes from its service's namespace only (`allowedRoutes` selector), so one
application cannot take another's host.

The internal load balancer comes from the Gateway's `spec.infrastructure.annotations`: Envoy
Gateway copies them onto the Envoy Service it generates (v1.9.0:
internal/gatewayapi/translator.go `infrastructureAnnotations` → proxy metadata;
internal/infrastructure/kubernetes/proxy/resource_provider.go `Service()` copies
`GetProxyMetadata().Annotations`), and the Azure cloud provider reads them there (AKS docs
"Use an internal load balancer": `azure-load-balancer-internal`, `azure-load-balancer-ipv4`).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from infra.constants import ENVOY_GATEWAY_NAMESPACE
from infra.services.catalog import PlannedService
from infra.services.chart_hooks import UnhandledChartHook, chart_hooks
from infra.services.gateway_api import GATEWAY_API
from infra.services.render.common import ClusterKind, PlatformExtensions, PlatformFacts
from infra.services.render.gateway import (
    gateway_certificate,
    gateway_route,
    tls_secret_name,
)
from infra.services.render.objects import hooked, platform_meta
from infra.services.routes import Route

Obj = dict[str, Any]

"""Where the Envoy Gateway controller, the Envoy proxies it provisions and the shared Gateway
live (the chart's documented namespace; proxies run in the controller's namespace unless
`GatewayNamespace` deploy mode is set, which it is not)."""
ENVOY_GATEWAY_CLASS = "envoy-gateway"
ENVOY_CONTROLLER_NAME = "gateway.envoyproxy.io/gatewayclass-controller"
"""The chart's default `config.envoyGateway.gateway.controllerName` (v1.9.0 values.tmpl.yaml)."""
ENVOY_PROXY_API = "gateway.envoyproxy.io/v1alpha1"
INTERNAL_GATEWAY = "internal"
LOCAL_GATEWAY = "local"
ENVOY_PROXY_LABELS = {"app.kubernetes.io/name": "envoy", "app.kubernetes.io/component": "proxy"}
"""Labels Envoy Gateway puts on every Envoy proxy pod (v1.9.0:
internal/infrastructure/kubernetes/proxy/resource.go `EnvoyAppLabel`): the NetworkPolicy peer."""
NAMESPACE_LABEL = "kubernetes.io/metadata.name"
INTERNAL_LB_ANNOTATION = "service.beta.kubernetes.io/azure-load-balancer-internal"
LB_IPV4_ANNOTATION = "service.beta.kubernetes.io/azure-load-balancer-ipv4"


def gateway_name(facts: PlatformFacts) -> str:
    return LOCAL_GATEWAY if facts.cluster is ClusterKind.LOCAL else INTERNAL_GATEWAY


def on_envoy(service: PlannedService) -> Route | None:
    """The service's route when an Envoy Gateway serves it (`service.route`, decided by
    validation: internal AKS services with `aks.ingress: gateway`, every exposed service of the
    local stack)."""
    route = service.route
    return route if route is not None and route.gateway.envoy else None


def route_host(service: PlannedService) -> str:
    """Locally every exposed service answers on `<name>.<domain>` (a domain resolving to
    127.0.0.1); on AKS on its declared internal host (`Route.host`)."""
    route = on_envoy(service)
    assert route is not None, "envoy_services: on Envoy"
    assert route.host is not None, "validated: AKS ingress has a host"
    return route.host


def envoy_services(services: Sequence[PlannedService]) -> list[PlannedService]:
    """The services the Envoy Gateway serves, in a stable order."""
    return sorted((s for s in services if on_envoy(s)), key=lambda s: (s.app, s.name))


def services_by_host(services: Sequence[PlannedService]) -> dict[str, list[PlannedService]]:
    """The Envoy-served services grouped by the host they answer on (several services may
    share one, each on its own path: validation's `hosts_have_one_owner` makes them one
    application's, with one certificate), in a stable order."""
    hosts: dict[str, list[PlannedService]] = {}
    for service in envoy_services(services):
        hosts.setdefault(route_host(service), []).append(service)
    return hosts


def listener_name(first: PlannedService) -> str:
    """Unique on the shared Gateway (service names are unique per application only): a host's
    listener is named after its first service, `<app>-<service>` (`Route.listener`), so a host
    with one service keeps the name it always had."""
    route = on_envoy(first)
    assert route is not None, "envoy_services: on Envoy"
    assert route.listener is not None, "catalog.with_routes names every Gateway API listener"
    return route.listener


def namespace_object(extensions: PlatformExtensions) -> Obj:
    """Envoy Gateway's namespace, Pod Security `restricted` like the application namespaces:
    every pod Envoy Gateway runs there complies (v1.9.0: the controller's and the certgen Job's
    pod and container securityContext defaults in charts/gateway-helm/values.tmpl.yaml, non-root
    65532, RuntimeDefault seccomp, no privilege escalation, all capabilities dropped, read-only
    root filesystem; the proxies' in internal/infrastructure/kubernetes/proxy/resource.go, from
    `resource.DefaultSecurityContext`, the same)."""
    meta = platform_meta(ENVOY_GATEWAY_NAMESPACE, extensions)
    meta["labels"].update(
        {
            "pod-security.kubernetes.io/enforce": "restricted",
            "pod-security.kubernetes.io/enforce-version": "latest",
            "pod-security.kubernetes.io/audit": "restricted",
            "pod-security.kubernetes.io/warn": "restricted",
        }
    )
    return hooked({"apiVersion": "v1", "kind": "Namespace", "metadata": meta}, extensions)


def envoy_proxy_object(facts: PlatformFacts, extensions: PlatformExtensions) -> Obj:
    """How Envoy Gateway runs the proxies of this class (EnvoyProxy, its own CRD, v1alpha1).
    On AKS two replicas spread over nodes (and zones when the cluster is zonal) with a
    PodDisruptionBudget: a node drain or upgrade must not take every internal host down (the
    default is one replica and no budget). Locally one replica."""
    if facts.cluster is ClusterKind.LOCAL:
        kubernetes: Obj = {"envoyDeployment": {"replicas": 1}}
    else:
        spread = [("kubernetes.io/hostname", "ScheduleAnyway")]
        if facts.zonal:
            spread.append(("topology.kubernetes.io/zone", "ScheduleAnyway"))
        kubernetes = {
            "envoyDeployment": {
                "replicas": 2,
                "pod": {
                    "topologySpreadConstraints": [
                        {
                            "maxSkew": 1,
                            "topologyKey": key,
                            "whenUnsatisfiable": when,
                            "labelSelector": {"matchLabels": dict(ENVOY_PROXY_LABELS)},
                        }
                        for key, when in spread
                    ]
                },
            },
            "envoyPDB": {"minAvailable": 1},
        }
    obj: Obj = {
        "apiVersion": ENVOY_PROXY_API,
        "kind": "EnvoyProxy",
        "metadata": platform_meta(
            ENVOY_GATEWAY_CLASS, extensions, namespace=ENVOY_GATEWAY_NAMESPACE
        ),
        "spec": {"provider": {"type": "Kubernetes", "kubernetes": kubernetes}},
    }
    return hooked(obj, extensions)


def gateway_class_object(extensions: PlatformExtensions) -> Obj:
    """Cluster-scoped: the class every Envoy-served Gateway names, with the EnvoyProxy that
    shapes its proxies (Envoy Gateway reads a GatewayClass `parametersRef` to an EnvoyProxy)."""
    obj: Obj = {
        "apiVersion": GATEWAY_API,
        "kind": "GatewayClass",
        "metadata": platform_meta(ENVOY_GATEWAY_CLASS, extensions),
        "spec": {
            "controllerName": ENVOY_CONTROLLER_NAME,
            "parametersRef": {
                "group": ENVOY_PROXY_API.split("/", 1)[0],
                "kind": "EnvoyProxy",
                "name": ENVOY_GATEWAY_CLASS,
                "namespace": ENVOY_GATEWAY_NAMESPACE,
            },
        },
    }
    return hooked(obj, extensions)


def _listener(host: str, on_host: Sequence[PlannedService]) -> Obj:
    """One listener per host, whichever number of services share it (two listeners with one
    port, protocol and hostname are refused by the Gateway CRD). The services agree on their
    application and certificate (validation: `hosts_have_one_owner`), so the first one's stand
    for all."""
    service = on_host[0]
    listener: Obj = {
        "name": listener_name(service),
        "hostname": host,
        "allowedRoutes": {
            "namespaces": {
                "from": "Selector",
                "selector": {"matchLabels": {NAMESPACE_LABEL: service.app}},
            }
        },
    }
    if gateway_certificate(service) is None:
        return {**listener, "protocol": "HTTP", "port": 80}
    # The Secret lives in the service's namespace (its pods sync it from Key Vault); the
    # ReferenceGrant there lets this Gateway read it.
    ref = {"kind": "Secret", "name": tls_secret_name(service), "namespace": service.app}
    return {
        **listener,
        "protocol": "HTTPS",
        "port": 443,
        "tls": {"mode": "Terminate", "certificateRefs": [ref]},
    }


def gateway_object(
    services: Sequence[PlannedService], facts: PlatformFacts, extensions: PlatformExtensions
) -> Obj | None:
    """The shared Gateway; on AKS behind an internal Azure load balancer on the fixed address.
    None when no service is exposed through it."""
    served = envoy_services(services)
    if not served:
        return None
    spec: Obj = {
        "gatewayClassName": ENVOY_GATEWAY_CLASS,
        "listeners": [
            _listener(host, on_host) for host, on_host in services_by_host(served).items()
        ],
    }
    if facts.cluster is ClusterKind.AKS:
        assert facts.internal_gateway is not None, "Gateway.ENVOY: internal gateway on"
        spec["infrastructure"] = {
            "annotations": {
                INTERNAL_LB_ANNOTATION: "true",
                LB_IPV4_ANNOTATION: facts.internal_gateway.address,
            }
        }
    obj: Obj = {
        "apiVersion": GATEWAY_API,
        "kind": "Gateway",
        "metadata": platform_meta(
            gateway_name(facts), extensions, namespace=ENVOY_GATEWAY_NAMESPACE
        ),
        "spec": spec,
    }
    return hooked(obj, extensions)


def route_object(
    service: PlannedService, facts: PlatformFacts, extensions: PlatformExtensions
) -> Obj | None:
    """The service's route on the shared Gateway, attached to its host's listener
    (`Route.listener`)."""
    route = on_envoy(service)
    if route is None:
        return None
    parent = {
        "name": gateway_name(facts),
        "namespace": ENVOY_GATEWAY_NAMESPACE,
        "sectionName": listener_name(service),
    }
    return gateway_route(service, extensions, parent=parent, host=route_host(service))


def reference_grant(service: PlannedService, extensions: PlatformExtensions) -> Obj | None:
    """Lets the shared Gateway (another namespace) read exactly this service's listener
    Secret; a cross-namespace `certificateRefs` is refused without it (Gateway API
    ReferenceGrant)."""
    if gateway_certificate(service) is None or on_envoy(service) is None:
        return None
    # The plan passes it through the hooks (AksServicePlan.reference_grant).
    meta = platform_meta(tls_secret_name(service), extensions, namespace=service.app)
    return {
        "apiVersion": "gateway.networking.k8s.io/v1beta1",
        "kind": "ReferenceGrant",
        "metadata": meta,
        "spec": {
            "from": [
                {
                    "group": "gateway.networking.k8s.io",
                    "kind": "Gateway",
                    "namespace": ENVOY_GATEWAY_NAMESPACE,
                }
            ],
            "to": [{"group": "", "kind": "Secret", "name": tls_secret_name(service)}],
        },
    }


def proxy_source() -> Obj:
    """The NetworkPolicy peer for Envoy Gateway: its proxy pods, in its namespace."""
    return {
        "namespaceSelector": {"matchLabels": {NAMESPACE_LABEL: ENVOY_GATEWAY_NAMESPACE}},
        "podSelector": {"matchLabels": dict(ENVOY_PROXY_LABELS)},
    }


# ----- The controller chart's hooks, as ordinary objects ---------------------------------------

ENVOY_GATEWAY_CHART_NAME = "gateway-helm"
ENVOY_GATEWAY_RELEASE = "envoy-gateway"
"""The controller chart's release name: `helm.v4.Chart` uses its resource name (pulumi-kubernetes
provider/pkg/provider/helm/v4/chart.go: `if chartArgs.Name == "" { chartArgs.Name = name }`), and
the hook objects' names derive from it (`eg.fullname`)."""
ENVOY_GATEWAY_IMAGE = "docker.io/envoyproxy/gateway"
"""The image the chart's `eg.image` resolves to: `global.images.envoyGateway.image`, which the
release sets to `docker.io/envoyproxy/gateway:<tag>` (v1.9.0 .github/workflows/release.yaml
`IMAGE=docker.io/envoyproxy/gateway TAG=<tag> make helm-package`; values.tmpl.yaml
`image: ${GatewayImage}`)."""


def controller_values() -> Obj:
    """The controller chart's values, the one copy the chart and its hook objects are made from.

    `crds.enabled: false`: no `crds` subchart, whose CRDs and safe-upgrades policy would be a
    second owner of what gateway-crds-helm (locally) or the ALB controller (on AKS) installs.
    `topologyInjector.enabled: false`: the topology injector (a pods/binding webhook that copies
    node zone labels onto Envoy pods for zone-aware routing, v1.9.0 site/content/en/latest/
    tasks/traffic/zone-aware-routing.md) comes as three more hooks (a MutatingWebhookConfiguration
    whose CA certgen patches, a ClusterRole and a ClusterRoleBinding: upstream/charts/
    gateway-helm-v1.9.0/hooks.yaml). The platform sets no zone-aware routing, so it does not
    install the injector rather than own a webhook whose caBundle another writer patches; off,
    the chart passes `--disable-topology-injector` to certgen and
    `proxyTopologyInjector.disabled` to the controller (templates/certgen.yaml, _helpers.tpl)."""
    return {"crds": {"enabled": False}, "topologyInjector": {"enabled": False}}


def certgen_objects(version: str, extensions: PlatformExtensions) -> list[list[Obj]]:
    """What gateway-helm's `pre-install, pre-upgrade` hooks create, as ordinary objects, in
    waves of the hooks' weight order (Helm applies lower weights first: the ServiceAccount, Role
    and RoleBinding at -1, then the Job at 0), for the controller chart to wait for.
    Which objects, and their names, come from the vendored hook list of the pinned version
    (`upstream/charts/gateway-helm-<version>/hooks.yaml`, read from the chart's templates); each
    object is the template (vendored beside the list) rendered with
    `controller_values()`. A hook the list holds and this function cannot build fails the
    program, so a chart version with a new hook is not installed without it.

    Why ordinary objects and not `helm.v3.Release` (which runs Helm, hooks included): a Release
    is one opaque resource, so `pulumi preview --diff` would show no object of the controller,
    the policy pack and the deploy simulator could not read them, and the platform's Kubernetes
    hooks would not apply; moving the existing release would also delete and recreate every
    object. Registered by the program, each hook object is a resource like any other:
    - Order: the chart `depends_on` the Job, and pulumi-kubernetes waits for a Job to complete
      (`.status.conditions` Complete; provider/pkg/await/awaiters.go `batchV1Job: jobAwaiter`),
      so the controller's pods start with the Secret `envoy-gateway` in place.
    - No `ttlSecondsAfterFinished` (the chart's default is 30): a Job the TTL controller deletes
      would be read back as gone by every refreshing `pulumi up` and created, and run, again. It
      stays, completed; its pod holds no resources.
    - Upgrades: the Job's pod template holds the image tag, i.e. the chart version, and a
      changed Job template is a replacement (provider/pkg/provider/diff.go: Job
      `.spec.template`), delete-before-replace since the name is fixed; so a version bump
      reruns certgen before the controller chart updates, as Helm's `pre-upgrade` would.
      certgen only creates missing Secrets (never overwrites without `--overwrite`), so a rerun
      keeps existing certificates and adds any a new version needs.
    - Deletion: Helm never deletes these hook objects (they are not part of the release); here
      they go with the stack, and the Secrets certgen created stay, as with Helm."""
    hooks = chart_hooks(ENVOY_GATEWAY_CHART_NAME, version)
    if hooks is None:
        raise UnhandledChartHook(
            f"no vendored hook list for {ENVOY_GATEWAY_CHART_NAME} {version}: read the chart's "
            f"templates into upstream/charts/{ENVOY_GATEWAY_CHART_NAME}-{version}/hooks.yaml"
        )
    values = controller_values()
    name_of = {
        h.kind: h.resolved_name(
            ENVOY_GATEWAY_RELEASE, ENVOY_GATEWAY_CHART_NAME, ENVOY_GATEWAY_NAMESPACE, values
        )
        for h in hooks.rendered(values)
    }
    builders = {
        "ServiceAccount": _certgen_service_account,
        "Role": _certgen_role,
        "RoleBinding": _certgen_role_binding,
        "Job": _certgen_job,
    }
    rendered = sorted(hooks.rendered(values), key=lambda h: h.weight or 0)
    unknown = [h.words() for h in rendered if h.at_install and h.kind not in builders]
    if unknown or len(name_of) != len(rendered):
        raise UnhandledChartHook(
            f"{ENVOY_GATEWAY_CHART_NAME} {version} renders hooks the program does not create: "
            f"{', '.join(unknown) or 'two hooks of one kind'} ({hooks.source}); create them in "
            "infra/services/render/envoy_gateway.py certgen_objects, or turn them off by values"
        )
    labels = {
        "app.kubernetes.io/name": ENVOY_GATEWAY_CHART_NAME,
        "app.kubernetes.io/component": "certgen",
    }
    waves: dict[int, list[Obj]] = {}
    for h in rendered:
        if h.at_install:
            obj = builders[h.kind](name_of, version, labels, extensions)
            waves.setdefault(h.weight or 0, []).append(hooked(obj, extensions))
    return [waves[weight] for weight in sorted(waves)]


def _meta(name: str, labels: Mapping[str, str], extensions: PlatformExtensions) -> Obj:
    meta = platform_meta(name, extensions, namespace=ENVOY_GATEWAY_NAMESPACE)
    meta["labels"].update(labels)
    return meta


def _certgen_service_account(
    names: Mapping[str, str], version: str, labels: Mapping[str, str], ext: PlatformExtensions
) -> Obj:
    """templates/certgen-rbac.yaml: no token automount on the account (the Job's pod opts in)."""
    return {
        "apiVersion": "v1",
        "kind": "ServiceAccount",
        "metadata": _meta(names["ServiceAccount"], labels, ext),
        "automountServiceAccountToken": False,
    }


def _certgen_role(
    names: Mapping[str, str], version: str, labels: Mapping[str, str], ext: PlatformExtensions
) -> Obj:
    """templates/certgen-rbac.yaml: get, create and update Secrets in the namespace."""
    return {
        "apiVersion": "rbac.authorization.k8s.io/v1",
        "kind": "Role",
        "metadata": _meta(names["Role"], labels, ext),
        "rules": [
            {"apiGroups": [""], "resources": ["secrets"], "verbs": ["get", "create", "update"]}
        ],
    }


def _certgen_role_binding(
    names: Mapping[str, str], version: str, labels: Mapping[str, str], ext: PlatformExtensions
) -> Obj:
    return {
        "apiVersion": "rbac.authorization.k8s.io/v1",
        "kind": "RoleBinding",
        "metadata": _meta(names["RoleBinding"], labels, ext),
        "roleRef": {
            "apiGroup": "rbac.authorization.k8s.io",
            "kind": "Role",
            "name": names["Role"],
        },
        "subjects": [
            {
                "kind": "ServiceAccount",
                "name": names["ServiceAccount"],
                "namespace": ENVOY_GATEWAY_NAMESPACE,
            }
        ],
    }


_NON_ROOT = 65532
"""The certgen pod's and container's user and group (values.tmpl.yaml `certgen.job`)."""


def _certgen_job(
    names: Mapping[str, str], version: str, labels: Mapping[str, str], ext: PlatformExtensions
) -> Obj:
    """templates/certgen.yaml with the chart's `certgen.job` defaults (values.tmpl.yaml), except
    `ttlSecondsAfterFinished` (see `certgen_objects`). With the topology injector off the chart
    appends `--disable-topology-injector` to the (empty) `certgen.job.args`."""
    seccomp = {"type": "RuntimeDefault"}
    return {
        "apiVersion": "batch/v1",
        "kind": "Job",
        "metadata": _meta(names["Job"], labels, ext),
        "spec": {
            "backoffLimit": 1,
            "completions": 1,
            "parallelism": 1,
            "template": {
                "metadata": {"labels": {"app": "certgen", **labels}},
                "spec": {
                    # certgen writes Secrets through the API server.
                    "automountServiceAccountToken": True,
                    "securityContext": {
                        "runAsNonRoot": True,
                        "runAsGroup": _NON_ROOT,
                        "runAsUser": _NON_ROOT,
                        "fsGroup": _NON_ROOT,
                        "seccompProfile": seccomp,
                    },
                    "containers": [
                        {
                            "name": "envoy-gateway-certgen",
                            "image": f"{ENVOY_GATEWAY_IMAGE}:{version}",
                            "imagePullPolicy": "IfNotPresent",
                            "command": ["envoy-gateway", "certgen"],
                            # The chart leaves `certgen.job.resources` empty; the platform's
                            # policy (k8s-resources) wants every container's requests and
                            # limits, and certgen only writes a few certificates.
                            "resources": {
                                "requests": {"cpu": "100m", "memory": "128Mi"},
                                "limits": {"cpu": "100m", "memory": "128Mi"},
                            },
                            "args": ["--disable-topology-injector"],
                            "env": [
                                {
                                    "name": "ENVOY_GATEWAY_NAMESPACE",
                                    "valueFrom": {
                                        "fieldRef": {
                                            "apiVersion": "v1",
                                            "fieldPath": "metadata.namespace",
                                        }
                                    },
                                },
                                {"name": "KUBERNETES_CLUSTER_DOMAIN", "value": "cluster.local"},
                            ],
                            "securityContext": {
                                "allowPrivilegeEscalation": False,
                                "capabilities": {"drop": ["ALL"]},
                                "privileged": False,
                                "readOnlyRootFilesystem": True,
                                "runAsNonRoot": True,
                                "runAsGroup": _NON_ROOT,
                                "runAsUser": _NON_ROOT,
                                "seccompProfile": seccomp,
                            },
                        }
                    ],
                    "restartPolicy": "Never",
                    "serviceAccountName": names["ServiceAccount"],
                },
            },
        },
    }
