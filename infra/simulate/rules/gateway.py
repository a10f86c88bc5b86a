"""Rules of the Gateway API ingress on Application Gateway for Containers (AGC)."""

from __future__ import annotations

from collections.abc import Iterator

from infra.simulate.plan import PlannedResource
from infra.simulate.registry import Refusal, StepContext, nested, rule

CHART = "kubernetes:helm.sh/v4:Chart"
GATEWAY_API_GROUP = "gateway.networking.k8s.io"
TRAFFIC_CONTROLLER = "azure-native:servicenetworking:TrafficControllerInterface"
SUBNET = "azure-native:network:Subnet"
AGC_DELEGATION = "microsoft.servicenetworking/trafficcontrollers"
AGC_CONFIGURATION_MANAGER = "fbc52c3f-28ad-4303-a892-8a056630b8f1"
NETWORK_CONTRIBUTOR = "4d97b98b-1d4f-4787-a291-c67834d212e7"


def _is_alb_controller(resource: PlannedResource) -> bool:
    return resource.type == CHART and str(resource.inputs.get("chart", "")).rstrip("/").endswith(
        "/alb-controller"
    )


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
    refuses="a Gateway API object (Gateway, HTTPRoute, GRPCRoute) sent before the chart that "
    'installs the Gateway API CRDs (the ALB controller) is applied ("no matches for kind")',
    source="AKS has no Gateway API CRDs unless something installs them (Gateway API install "
    "docs; AGC quickstart: the ALB controller chart brings them and the azure-alb-external "
    "GatewayClass)",
)
def gateway_api_crds(ctx: StepContext) -> Iterator[Refusal]:
    """A plain AKS cluster serves no gateway.networking.k8s.io kinds. The ALB controller
    chart installs them; an object that does not wait for that chart races it, and
    pulumi-kubernetes gives up after ~31 s of "no matches for kind"."""
    if _group(ctx.resource.type) != GATEWAY_API_GROUP:
        return
    charts = [r for r in _known(ctx, CHART) if _is_alb_controller(r)]
    if not charts:
        yield ctx.refuse(
            "gateway-api-crds-missing",
            "nothing in the plan or the cluster installs the Gateway API CRDs.",
            "install the ALB controller chart (infra/services/components/gateway.py) and make "
            "Gateway API objects depend on it.",
        )
    elif all(ctx.age(chart.urn) is None for chart in charts):
        yield ctx.refuse(
            "gateway-api-crds-missing",
            f"it does not wait for {charts[0].name}, which installs its CRD.",
            f"make it depend on {charts[0].name}.",
        )


def _subnet_suffix(subnet: PlannedResource) -> str:
    return f"/subnets/{str(subnet.inputs.get('subnetName') or subnet.name).lower()}"


@rule(
    "alb-controller-roles",
    refuses="the ALB controller started before its workload identity holds AppGw for "
    "Containers Configuration Manager on the TrafficController (or its resource group) and "
    "Network Contributor on the "
    "association subnet (it cannot program the frontend: AuthorizationFailed)",
    source="AGC quickstarts (deploy ALB controller; bring-your-own deployment: 'Delegate "
    "permissions to managed identity')",
)
def alb_controller_roles(ctx: StepContext) -> Iterator[Refusal]:
    """The controller writes AGC's configuration with its own identity (chart value
    `albController.podIdentity.clientID`): both grants must exist before it starts."""
    if not _is_alb_controller(ctx.resource):
        return
    client_id = str(
        nested(ctx.resource.inputs, "values", "albController", "podIdentity", "clientID") or ""
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
    for role, suffix, words, group in needed:
        if principal is None or ctx.grant_age(principal, {role}, (suffix,), group) is None:
            yield ctx.refuse(
                "alb-controller-roles",
                f"its identity ({client_id or 'no clientID'}) has no {words} in place when it "
                "starts.",
                f"grant {words} to the controller's identity and make the chart depend on the "
                "grant.",
            )
