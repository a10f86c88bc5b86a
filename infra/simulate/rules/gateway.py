"""Rules of the Gateway API ingress: Application Gateway for Containers (AGC, public) and Envoy
Gateway (internal and local), and the charts that install their CRDs."""

from __future__ import annotations

from collections.abc import Iterator

from infra.crds.attachment import admits, hostnames_intersect
from infra.plan.kinds import (
    CHART,
    FRONTEND,
    GATEWAY,
    GATEWAY_CLASS,
    GRPC_ROUTE,
    HTTP_ROUTE,
    MANAGED_CLUSTER,
    NAMESPACE,
    SUBNET,
    TRAFFIC_CONTROLLER,
)
from infra.plan.paths import value_at
from infra.simulate.plan import PlannedResource
from infra.simulate.registry import Refusal, StepContext, rule

GATEWAY_API_GROUP = "gateway.networking.k8s.io"
AGC_DELEGATION = "microsoft.servicenetworking/trafficcontrollers"
AGC_CONFIGURATION_MANAGER = "fbc52c3f-28ad-4303-a892-8a056630b8f1"
NETWORK_CONTRIBUTOR = "4d97b98b-1d4f-4787-a291-c67834d212e7"
READER = "acdd72a7-3385-48ef-bd42-f606fba81ae7"


ENVOY_GATEWAY_GROUP = "gateway.envoyproxy.io"
ENVOY_CONTROLLER_NAME = "gateway.envoyproxy.io/gatewayclass-controller"
ALB_GATEWAY_CLASS = "azure-alb-external"
"""The GatewayClass the ALB controller chart creates itself (AGC quickstarts)."""


SAFE_UPGRADES = "safe-upgrades.gateway.networking.k8s.io"
"""Not an API group: the Gateway API safe-upgrades ValidatingAdmissionPolicy (and its binding),
one cluster-scoped object that Gateway API v1.5+ bundles ship with their CRDs; two charts
rendering it conflict like two charts rendering one CRD."""

_CRD_SETS = {
    GATEWAY_API_GROUP: "Gateway API CRDs",
    ENVOY_GATEWAY_GROUP: "Envoy Gateway CRDs",
    SAFE_UPGRADES: "Gateway API safe-upgrades ValidatingAdmissionPolicy",
}


def _chart_name(resource: PlannedResource) -> str:
    return str(resource.inputs.get("chart", "")).rstrip("/").rsplit("/", 1)[-1]


def _is_alb_controller(resource: PlannedResource) -> bool:
    return resource.type == CHART and _chart_name(resource) == "alb-controller"


def _is_envoy_gateway(resource: PlannedResource) -> bool:
    return resource.type == CHART and _chart_name(resource) == "gateway-helm"


def crd_groups(resource: PlannedResource) -> frozenset[str]:
    """The API groups whose CRDs a chart installs (and `SAFE_UPGRADES` when it renders that
    policy), for the charts the platform uses:
    - alb-controller: the Gateway API (standard channel) (AGC quickstart "Deploy ALB
      controller"; whether it also applies the safe-upgrades policy is not documented);
    - Envoy Gateway's gateway-helm (v1.9): its `crds` subchart, on unless `crds.enabled` is
      false (Chart.yaml `condition: crds.enabled`), holds the Gateway API (experimental
      channel) and Envoy Gateway CRDs in its `crds/` directory, which `skipCrds` skips, and
      templates the safe-upgrades policy, which `skipCrds` does not skip (off with
      `crds.gatewayAPI.safeUpgradePolicy.enabled` false; v1.9.0 release notes);
    - gateway-crds-helm: each set its values enable (`crds.gatewayAPI.enabled`,
      `crds.envoyGateway.enabled`; both off by default, v1.9.0 values.yaml), plus the
      safe-upgrades policy with the standard-channel Gateway API CRDs
      (templates/standard-gatewayapi-crds.yaml)."""
    if resource.type != CHART:
        return frozenset()
    name = _chart_name(resource)
    if name == "alb-controller":
        return frozenset({GATEWAY_API_GROUP})
    if name == "gateway-helm":
        if value_at(resource.inputs, "values.crds.enabled") is False:
            return frozenset()
        groups = set[str]()
        if not resource.inputs.get("skipCrds"):
            groups |= {GATEWAY_API_GROUP, ENVOY_GATEWAY_GROUP}
        policy = value_at(resource.inputs, "values.crds.gatewayAPI.safeUpgradePolicy")
        if not (isinstance(policy, dict) and policy.get("enabled") is False):
            groups.add(SAFE_UPGRADES)
        return frozenset(groups)
    if name == "gateway-crds-helm":
        groups = set[str]()
        if value_at(resource.inputs, "values.crds.gatewayAPI.enabled"):
            groups.add(GATEWAY_API_GROUP)
            channel = value_at(resource.inputs, "values.crds.gatewayAPI.channel")
            if channel == "standard":
                groups.add(SAFE_UPGRADES)
        if value_at(resource.inputs, "values.crds.envoyGateway.enabled"):
            groups.add(ENVOY_GATEWAY_GROUP)
        return frozenset(groups)
    return frozenset()


def _known(ctx: StepContext, token: str) -> list[PlannedResource]:
    """Resources of a type in the plan or already in Azure."""
    return [
        *ctx.plan.of_type(token),
        *(r for r in ctx.world.resources.values() if r.type == token),
    ]


def _group(token: str) -> str:
    parts = token.split(":")
    return parts[1].rsplit("/", 1)[0] if len(parts) == 3 and "/" in parts[1] else ""


@rule(
    "gateway-api-crds-missing",
    refuses="a Gateway API object (Gateway, HTTPRoute, GRPCRoute, GatewayClass, ReferenceGrant) "
    "or an Envoy Gateway object sent before the chart that installs its CRDs is applied "
    '("no matches for kind")',
    source="AKS has no Gateway API CRDs unless something installs them (Gateway API install "
    "docs; AGC quickstart: the ALB controller chart brings them and the azure-alb-external "
    "GatewayClass; Envoy Gateway 'Install with Helm': gateway-crds-helm)",
)
def gateway_api_crds(ctx: StepContext) -> Iterator[Refusal]:
    """A plain cluster serves no gateway.networking.k8s.io kinds. A chart installs them (the
    ALB controller on AKS, Envoy Gateway's CRD chart locally); an object that does not wait
    for that chart races it, and pulumi-kubernetes gives up after ~31 s of "no matches for
    kind"."""
    group = _group(ctx.resource.type)
    if group not in (GATEWAY_API_GROUP, ENVOY_GATEWAY_GROUP):
        return
    charts = [r for r in _known(ctx, CHART) if group in crd_groups(r)]
    if not charts:
        yield ctx.refuse(
            "gateway-api-crds-missing",
            f"nothing in the plan or the cluster installs the {_CRD_SETS[group]}.",
            "install the chart that brings them (the ALB controller, "
            "infra/services/components/gateway.py, or Envoy Gateway's CRD chart, "
            "infra/services/components/envoy_gateway.py) and make the object depend on it.",
        )
    elif all(ctx.age(chart.urn) is None for chart in charts):
        yield ctx.refuse(
            "gateway-api-crds-missing",
            f"it does not wait for {charts[0].name}, which installs its CRD.",
            f"make it depend on {charts[0].name}.",
        )


@rule(
    "crd-owned-twice",
    refuses="two Helm charts that both install the same CRDs (e.g. the ALB controller and "
    "Envoy Gateway's gateway-helm without skipCrds, both bringing the Gateway API CRDs) or "
    "both render the Gateway API safe-upgrades ValidatingAdmissionPolicy (gateway-helm v1.9 "
    "with its crds subchart on, next to gateway-crds-helm's standard channel): the second "
    "apply conflicts with the first's field manager, and deleting either release removes "
    "CRDs, and every Gateway and route, the other still needs",
    source="Helm docs 'Custom Resource Definitions' (CRDs in crds/ are installed, never "
    "upgraded or deleted by Helm; with rendered CRDs the release owns them); Envoy Gateway "
    "'Install with Helm: Installing CRDs separately' (--skip-crds when the CRDs are "
    "installed otherwise) and v1.9.0 release notes (the safe-upgrades policy is a "
    "gateway-helm template: crds.enabled / crds.gatewayAPI.safeUpgradePolicy.enabled); "
    "Kubernetes server-side apply field-manager conflicts",
)
def crd_owned_twice(ctx: StepContext) -> Iterator[Refusal]:
    """helm.v4.Chart renders CRDs as ordinary resources: two charts with the same CRD are two
    owners of one cluster object, which server-side apply refuses ("conflict with
    <manager>") and whose deletion with either chart breaks the other."""
    mine = crd_groups(ctx.resource)
    if not mine:
        return
    for other in _known(ctx, CHART):
        if other.urn == ctx.resource.urn:
            continue
        shared = sorted(mine & crd_groups(other))
        if shared:
            yield ctx.refuse(
                "crd-owned-twice",
                f"{other.name} already installs the "
                f"{' and '.join(_CRD_SETS[g] for g in shared)} this chart installs too.",
                "let one chart own each CRD: crds.enabled false (and skipCrds) on gateway-helm "
                "and choose the sets gateway-crds-helm installs (crds.gatewayAPI.enabled false "
                "where the ALB controller installs the Gateway API).",
            )
            return


@rule(
    "gateway-class-unserved",
    refuses="a Gateway whose GatewayClass does not exist, or whose class's controller is not "
    "installed (the Gateway is accepted by the API server but never programmed: no address, "
    "no traffic)",
    source="Gateway API spec (GatewayClass.spec.controllerName; a Gateway is reconciled only "
    "by the controller of its class); Envoy Gateway v1.9.0 values.yaml "
    "(controllerName gateway.envoyproxy.io/gatewayclass-controller); AGC quickstart "
    "(azure-alb-external comes with the ALB controller)",
)
def gateway_class_unserved(ctx: StepContext) -> Iterator[Refusal]:
    """The API server takes any `gatewayClassName`; nothing reports the mistake until the
    host does not answer. Checked against the plan and the cluster as a whole (a controller
    may start after the Gateway: it reconciles it then)."""
    if ctx.resource.type != GATEWAY:
        return
    wanted = str(value_at(ctx.resource.inputs, "spec.gatewayClassName") or "")
    charts = _known(ctx, CHART)
    if wanted == ALB_GATEWAY_CLASS:
        if not any(_is_alb_controller(c) for c in charts):
            yield ctx.refuse(
                "gateway-class-unserved",
                f"its class {wanted} comes with the ALB controller chart, which is not installed.",
                "install the ALB controller (aks.ingress gateway or both).",
            )
        return
    classes = [
        c
        for c in _known(ctx, GATEWAY_CLASS)
        if str(value_at(c.inputs, "metadata.name") or "") == wanted
    ]
    if not classes:
        yield ctx.refuse(
            "gateway-class-unserved",
            f"no GatewayClass {wanted!r} exists in the plan or the cluster.",
            "create the GatewayClass (infra/services/render/envoy_gateway.py) or fix "
            "gatewayClassName.",
        )
        return
    controller = str(value_at(classes[0].inputs, "spec.controllerName") or "")
    if controller == ENVOY_CONTROLLER_NAME and not any(_is_envoy_gateway(c) for c in charts):
        yield ctx.refuse(
            "gateway-class-unserved",
            f"GatewayClass {wanted} names {controller}, and no Envoy Gateway chart "
            "(gateway-helm) is installed.",
            "install Envoy Gateway (infra/services/components/envoy_gateway.py).",
        )


def _subnet_suffix(subnet: PlannedResource) -> str:
    return f"/subnets/{str(subnet.inputs.get('subnetName') or subnet.name).lower()}"


@rule(
    "alb-controller-roles",
    refuses="the ALB controller started before its workload identity holds AppGw for "
    "Containers Configuration Manager on the TrafficController (or its resource group), "
    "Network Contributor on the association subnet and Reader on the AKS node resource group "
    "(it cannot program the frontend: AuthorizationFailed)",
    source="AGC quickstarts (deploy ALB controller - Helm, MicrosoftDocs/azure-docs commit "
    "03e5750, ms.date 2026-02-07: 'Apply Reader role to the AKS managed cluster resource "
    "group'; bring-your-own deployment: 'Delegate permissions to managed identity')",
)
def alb_controller_roles(ctx: StepContext) -> Iterator[Refusal]:
    """The controller writes AGC's configuration with its own identity (chart value
    `albController.podIdentity.clientID`): both grants must exist before it starts."""
    if not _is_alb_controller(ctx.resource):
        return
    client_id = str(
        value_at(ctx.resource.inputs, "values.albController.podIdentity.clientID") or ""
    )
    principal = ctx.principals.of_client_id(client_id)
    needed: list[tuple[str, str, str, str]] = []
    for controller in _known(ctx, TRAFFIC_CONTROLLER):
        name = str(controller.inputs.get("trafficControllerName") or controller.name).lower()
        needed.append(
            (
                AGC_CONFIGURATION_MANAGER,
                f"/trafficcontrollers/{name}",
                f"AppGw for Containers Configuration Manager on TrafficController {name}",
                str(controller.inputs.get("resourceGroupName") or ""),
            )
        )
    for subnet in _known(ctx, SUBNET):
        delegations = subnet.inputs.get("delegations") or []
        if any(
            str(d.get("serviceName", "")).lower() == AGC_DELEGATION
            for d in delegations
            if isinstance(d, dict)
        ):
            needed.append(
                (
                    NETWORK_CONTRIBUTOR,
                    _subnet_suffix(subnet),
                    f"Network Contributor on subnet {subnet.name}",
                    "",
                )
            )
    for cluster in _known(ctx, MANAGED_CLUSTER):
        group = node_resource_group(cluster)
        needed.append((READER, f"/resourcegroups/{group.lower()}", f"Reader on {group}", ""))
    for role, suffix, words, group in needed:
        if principal is None or ctx.grant_age(principal, {role}, (suffix,), group) is None:
            yield ctx.refuse(
                "alb-controller-roles",
                f"its identity ({client_id or 'no clientID'}) has no {words} in place when it "
                "starts.",
                f"grant {words} to the controller's identity and make the chart depend on the "
                "grant.",
            )


def node_resource_group(cluster: PlannedResource) -> str:
    """The cluster's node resource group: `nodeResourceGroup` when set, else AKS's default
    `MC_<group>_<cluster>_<location>` (AKS FAQ "Why are two resource groups created with
    AKS?")."""
    explicit = cluster.inputs.get("nodeResourceGroup")
    if explicit:
        return str(explicit)
    name = cluster.inputs.get("resourceName") or cluster.name
    return (
        f"MC_{cluster.inputs.get('resourceGroupName', '')}_{name}_"
        f"{cluster.inputs.get('location', '')}"
    )


AGC_MAX_FRONTENDS = 5
""""Application Gateway for Containers limits" (azure-docs
includes/application-gateway-for-containers-limits.md): Frontends, 5 per gateway."""


@rule(
    "agc-frontend-limit",
    refuses="creating a sixth Frontend on one Application Gateway for Containers (at most 5 per "
    "gateway)",
    source="azure-docs includes/application-gateway-for-containers-limits.md ('Frontends | 5 "
    "per gateway')",
)
def agc_frontend_limit(ctx: StepContext) -> Iterator[Refusal]:
    """The platform gives each application with public AKS services its own Frontend (a
    Frontend serves one Gateway); validation refuses a sixth application before anything is
    registered (`infra/services/gateway_limits.py`), this catches any other way to get one."""
    if ctx.resource.type != FRONTEND or ctx.action != "create":
        return
    controller = str(ctx.resource.inputs.get("trafficControllerName", ""))
    others = {
        r.urn
        for r in [*ctx.world.resources.values(), *ctx.plan]
        if r.type == FRONTEND
        and str(r.inputs.get("trafficControllerName", "")) == controller
        and r.urn != ctx.resource.urn
    }
    if len(others) >= AGC_MAX_FRONTENDS:
        yield ctx.refuse(
            "agc-frontend-limit",
            f"TrafficController {controller} would have {len(others) + 1} Frontends; Azure "
            f"allows {AGC_MAX_FRONTENDS}.",
            "serve fewer applications' public services from AKS (Container Apps has no such "
            "limit), or group them into fewer applications.",
        )


def _meta(resource: PlannedResource) -> tuple[str, str]:
    """(namespace, name) of a Kubernetes object in the plan."""
    meta = resource.inputs.get("metadata") or {}
    return str(meta.get("namespace") or ""), str(meta.get("name") or resource.name)


def _namespace_labels(ctx: StepContext, namespace: str) -> dict[str, str]:
    for candidate in _known(ctx, NAMESPACE):
        meta = candidate.inputs.get("metadata") or {}
        if str(meta.get("name") or "") == namespace:
            return {str(k): str(v) for k, v in (meta.get("labels") or {}).items()}
    return {}


@rule(
    "gateway-route-not-accepted",
    refuses="an HTTPRoute or GRPCRoute whose parentRef names a Gateway that exists neither in "
    "the plan nor in the cluster (another stack's: the platform stack's), a listener "
    "(sectionName) that Gateway does not have, or only listeners whose allowedRoutes do not "
    "admit the route's namespace or whose hostname does not intersect the route's hostnames: "
    "the API server stores it, the controller never attaches it (Accepted=False), the host "
    "does not answer",
    source="Gateway API v1.6.1 CRDs (upstream/gateway-api-crds/, kubernetes-sigs/gateway-api "
    "8bb74df): HTTPRoute parentRefs[].sectionName ('If no Gateway listeners accept attachment "
    "from this Route, the Route MUST be considered detached'), Gateway listeners[]."
    "allowedRoutes.namespaces (from All/Selector/Same, default Same), HTTPRoute hostnames "
    "('at least one intersecting hostname ... otherwise the HTTPRoute is not accepted'); "
    "infra/crds/attachment.py",
)
def gateway_route_not_accepted(ctx: StepContext) -> Iterator[Refusal]:
    """A route is accepted by a parent when one of the parent's listeners (the one its
    sectionName names, else any) admits its namespace and hostnames. In a team stack the
    Gateway is the platform stack's: it is in the cluster (the world) when the application
    stack deploys, since the platform deploys first (docs/team-stacks.md)."""
    if ctx.resource.type not in (HTTP_ROUTE, GRPC_ROUTE):
        return
    namespace, _ = _meta(ctx.resource)
    spec = ctx.resource.inputs.get("spec") or {}
    hosts = [str(h) for h in spec.get("hostnames") or []]
    labels = _namespace_labels(ctx, namespace)
    gateways = {_meta(g): g for g in _known(ctx, GATEWAY)}
    for parent in spec.get("parentRefs") or []:
        if parent.get("kind", "Gateway") != "Gateway":
            continue
        where = (str(parent.get("namespace") or namespace), str(parent.get("name") or ""))
        shown = f"{where[0]}/{where[1]}"
        gateway = gateways.get(where)
        if gateway is None:
            yield ctx.refuse(
                "gateway-route-not-accepted",
                f"its parent Gateway {shown} exists neither in this plan nor in the cluster.",
                "deploy the stack that owns the Gateway first (the platform stack, for an "
                "application stack), or fix parentRefs.",
            )
            continue
        listeners = list((gateway.inputs.get("spec") or {}).get("listeners") or [])
        section = parent.get("sectionName")
        if section:
            listeners = [item for item in listeners if item.get("name") == section]
            if not listeners:
                yield ctx.refuse(
                    "gateway-route-not-accepted",
                    f"Gateway {shown} has no listener {section} (its sectionName).",
                    "give the Gateway that listener (the platform stack lists the "
                    "application's hosts: platform:applications[].hosts, then deploy it), or "
                    "fix sectionName.",
                )
                continue
        if not any(admits(item, where[0], namespace, labels) for item in listeners):
            yield ctx.refuse(
                "gateway-route-not-accepted",
                f"no listener of Gateway {shown}{f' named {section}' if section else ''} "
                f"admits routes from namespace {namespace} (allowedRoutes.namespaces).",
                "attach the route to its own application's listener, or admit its namespace "
                "in the listener's allowedRoutes.",
            )
            continue
        if not any(hostnames_intersect(item.get("hostname"), hosts) for item in listeners):
            yield ctx.refuse(
                "gateway-route-not-accepted",
                f"no listener of Gateway {shown} serves its hostnames {', '.join(hosts)}.",
                "attach the route to the listener of its host.",
            )
