"""Price a plan snapshot: every resource is priced, known to be free (with the reason), or
listed as not priced — nothing silently counts as zero.

The stack's total is the sum of the counted lines (floor at minimum replicas and nodes, ceiling
at maximum); a service's figure is its own lines plus, on AKS, its pods' share of the user pool
(already inside the pool's line, so not added to the total twice). Platform add-ons' pods (the
ALB and Envoy Gateway controllers, Envoy proxies) take their share too, reported as platform
lines that are likewise not added again.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from infra.config import CostConfig, PlatformConfig
from infra.cost import aks, container_apps, gateway, shared
from infra.cost.lines import HOURS_PER_MONTH, MISSING, Context, Line, fine, money
from infra.cost.sheet import PriceSheet
from infra.plan.kinds import (
    ACA_CERTIFICATE,
    ASSOCIATION,
    CHART,
    CONTAINER_APP,
    DATA_COLLECTION_ENDPOINT,
    DATA_COLLECTION_RULE,
    DATA_COLLECTION_RULE_ASSOCIATION,
    DEPLOYMENT_SAFEGUARD,
    DNS_RECORD_SET,
    FEDERATED_IDENTITY_CREDENTIAL,
    FRONTEND,
    MAINTENANCE_CONFIGURATION,
    MANAGED_CLUSTER,
    MANAGED_ENVIRONMENT,
    METRICS_WORKSPACE,
    NETWORK_SECURITY_GROUP,
    POLICY_ASSIGNMENT,
    PRIVATE_DNS_ZONE_GROUP,
    PRIVATE_ENDPOINT,
    PRIVATE_RECORD_SET,
    PRIVATE_ZONE,
    PUBLIC_IP_ADDRESS,
    REGISTRY,
    RESOURCE_GROUP,
    ROLE_ASSIGNMENT,
    SUBNET,
    TRAFFIC_CONTROLLER,
    USER_ASSIGNED_IDENTITY,
    VAULT,
    VIRTUAL_NETWORK,
    VIRTUAL_NETWORK_LINK,
    VIRTUAL_NETWORK_PEERING,
    WORKSPACE,
)
from infra.plan.owners import PLATFORM
from infra.problems import InvalidInput, Problem

FREE: dict[str, str] = {
    RESOURCE_GROUP: "resource groups are free",
    VIRTUAL_NETWORK: "virtual networks are free (traffic is billed)",
    SUBNET: "subnets are free",
    NETWORK_SECURITY_GROUP: "network security groups are free",
    PRIVATE_DNS_ZONE_GROUP: "links a private endpoint to zones, free",
    VIRTUAL_NETWORK_PEERING: (
        "a peering has no hourly price; traffic across it is billed per GB (here: the deploy "
        "runner's, small)"
    ),
    ROLE_ASSIGNMENT: "role assignments are free",
    USER_ASSIGNED_IDENTITY: "managed identities are free",
    FEDERATED_IDENTITY_CREDENTIAL: "federated credentials are free",
    MAINTENANCE_CONFIGURATION: "maintenance windows are free",
    DATA_COLLECTION_ENDPOINT: "billed as the data it ingests",
    DATA_COLLECTION_RULE: "billed as the data it ingests",
    DATA_COLLECTION_RULE_ASSOCIATION: "billed as the data it ingests",
    PRIVATE_RECORD_SET: "records are included in the zone's price",
    VIRTUAL_NETWORK_LINK: "links are included in the zone's price",
    ACA_CERTIFICATE: "environment certificates are free",
    DNS_RECORD_SET: "records are included in the (existing, shared) zone's price",
    POLICY_ASSIGNMENT: "Azure Policy assignments are free",
    DEPLOYMENT_SAFEGUARD: "included in the AKS tier",
}
NOT_ESTIMATED = (
    "data transfer (egress, inter-zone, load balancer and private endpoint data processed)",
    "registry storage beyond the SKU's included GB",
    "log and metric queries, alerts",
    "reservations, savings plans and negotiated discounts (list prices only)",
    "taxes",
)

Pricer = Callable[[dict[str, Any], list[dict[str, Any]], Context], list[Line]]


def _one(function: Callable[[dict[str, Any], Context], Line]) -> Pricer:
    return lambda r, _all, ctx: [function(r, ctx)]


PRICERS: dict[str, Pricer] = {
    MANAGED_CLUSTER: aks.price_cluster,
    MANAGED_ENVIRONMENT: lambda r, _all, ctx: container_apps.price_environment(r, ctx),
    REGISTRY: _one(shared.price_registry),
    WORKSPACE: _one(shared.price_workspace),
    METRICS_WORKSPACE: _one(shared.price_prometheus),
    VAULT: shared.price_vault_operations,
    PUBLIC_IP_ADDRESS: _one(shared.price_public_ip),
    PRIVATE_ENDPOINT: _one(shared.price_private_endpoint),
    PRIVATE_ZONE: _one(shared.price_private_zone),
    TRAFFIC_CONTROLLER: lambda r, _all, ctx: gateway.price_traffic_controller(r, ctx),
    ASSOCIATION: _one(gateway.price_association),
    FRONTEND: _one(gateway.price_frontend),
}


@dataclass(frozen=True)
class Estimate:
    currency: str
    region: str
    prices_as_of: str
    price_sheet: str
    lines: tuple[Line, ...]
    not_priced: tuple[tuple[str, str, str], ...]
    """(type, name, why) of resources the model has no price for."""
    assumptions: CostConfig
    budget: dict[str, Any] | None
    warnings: tuple[Problem, ...] = ()
    """Missing prices (a region without a sheet, a meter or VM size not in it): each resource
    they touch is listed as not priced, and the preview goes on."""

    @property
    def floor(self) -> float:
        return sum(line.floor for line in self.lines if line.counted)

    @property
    def ceiling(self) -> float:
        return sum(line.ceiling for line in self.lines if line.counted)

    def services(self) -> dict[str, tuple[float, float]]:
        totals: dict[str, tuple[float, float]] = {}
        for line in self.lines:
            if line.service == PLATFORM:
                continue
            low, high = totals.get(line.service, (0.0, 0.0))
            totals[line.service] = (low + line.floor, high + line.ceiling)
        return dict(sorted(totals.items()))

    def platform(self) -> tuple[tuple[float, float], tuple[float, float]]:
        """(counted platform lines, platform add-ons' share of the nodes): the share is already
        inside the node pool's line, like a service's."""
        counted = [line for line in self.lines if line.service == PLATFORM and line.counted]
        shares = [line for line in self.lines if line.service == PLATFORM and not line.counted]
        return (
            (sum(x.floor for x in counted), sum(x.ceiling for x in counted)),
            (sum(x.floor for x in shares), sum(x.ceiling for x in shares)),
        )

    def to_json(self) -> dict[str, Any]:
        (low, high), (pods_low, pods_high) = self.platform()
        return {
            "currency": self.currency,
            "region": self.region,
            "pricesAsOf": self.prices_as_of,
            "priceSheet": self.price_sheet,
            "hoursPerMonth": HOURS_PER_MONTH,
            "stack": {"floor": money(self.floor), "ceiling": money(self.ceiling)},
            "platform": {
                "floor": money(low),
                "ceiling": money(high),
                "addOnPods": {"floor": money(pods_low), "ceiling": money(pods_high)},
            },
            "services": {
                name: {"floor": money(floor), "ceiling": money(ceiling)}
                for name, (floor, ceiling) in self.services().items()
            },
            "lines": [line.to_json() for line in self.lines],
            "notPriced": [{"type": t, "name": n, "reason": why} for t, n, why in self.not_priced],
            "notEstimated": list(NOT_ESTIMATED),
            "assumptions": self.assumptions.model_dump(mode="json", by_alias=True),
            "budget": self.budget,
            **({"warnings": [p.render().strip() for p in self.warnings]} if self.warnings else {}),
        }


def _budget(config: PlatformConfig) -> dict[str, Any] | None:
    cost = config.cost
    if cost.budget_monthly is None:
        return None
    enforcement = cost.budget_enforcement or ("mandatory" if config.is_prod else "advisory")
    return {"monthly": cost.budget_monthly, "enforcement": enforcement, "basis": cost.budget_basis}


def estimate(
    snapshot: dict[str, Any],
    config: PlatformConfig,
    sheet: PriceSheet,
    problems: tuple[Problem, ...] = (),
) -> Estimate:
    """Price every resource of a plan. A missing price is never a refusal and never a zero: the
    lines it would have priced are left out, their resources listed as not priced, and the
    problem (with its fix) kept as a warning; `problems` are warnings found before (no sheet)."""
    return estimate_with(snapshot, config.cost, sheet, problems, budget=_budget(config))


def estimate_with(
    snapshot: dict[str, Any],
    assumptions: CostConfig,
    sheet: PriceSheet,
    problems: tuple[Problem, ...] = (),
    *,
    budget: dict[str, Any] | None = None,
) -> Estimate:
    """`estimate` with the cost assumptions alone (no stack config): what an estimate recorded
    in a plan (`cost.assumptions`) says, e.g. to price several stacks' plans together
    (`infra/cost/across.py`)."""
    if sheet.currency != assumptions.currency:
        raise InvalidInput(
            "the cost estimate",
            [
                Problem(
                    "platform:cost.currency",
                    assumptions.currency,
                    f"the price sheet {sheet.path} is in {sheet.currency}",
                    "refresh prices in that currency: python -m infra.preview prices refresh "
                    f"--region {sheet.region} --currency {assumptions.currency}",
                )
            ],
        )
    ctx = Context(sheet, assumptions, list(problems))
    resources = [r for r in snapshot.get("resources", []) if r.get("custom") or r["type"] == CHART]
    lines: list[Line] = []
    not_priced: list[tuple[str, str, str]] = []
    apps: list[container_apps.AppUsage] = []
    for r in resources:
        kind = r["type"]
        if kind in PRICERS:
            lines += PRICERS[kind](r, resources, ctx)
        elif kind == CONTAINER_APP:
            usage = container_apps.price_app(r, ctx)
            apps.append(usage)
            lines.append(usage.line)
        elif kind in FREE or not kind.startswith("azure-native:"):
            continue  # free, or Kubernetes objects and providers (priced as AKS nodes)
        else:
            not_priced.append((kind, r["name"], "no pricing model for this resource type"))
    grant = container_apps.free_grant_line(apps, ctx)
    if grant is not None:
        lines.append(grant)
    lines, unpriced = _without_missing_prices(lines, ctx.problems)
    not_priced += unpriced
    lines.sort(key=lambda line: (line.service != PLATFORM, line.service, line.item, line.resource))
    return Estimate(
        currency=sheet.currency,
        region=sheet.region,
        prices_as_of=sheet.as_of,
        price_sheet=sheet.path,
        lines=tuple(
            Line(
                line.service,
                line.item,
                line.resource,
                fine(line.floor),
                fine(line.ceiling),
                line.assumptions,
                line.prices,
                line.counted,
            )
            for line in lines
        ),
        not_priced=tuple(sorted(set(not_priced))),
        assumptions=assumptions,
        budget=budget,
        warnings=tuple(ctx.problems),
    )


def _without_missing_prices(
    lines: list[Line], problems: list[Problem]
) -> tuple[list[Line], list[tuple[str, str, str]]]:
    """The lines whose every price is in the sheet, and (type, name, why) of each resource
    a missing price or VM size touched."""
    unpriced: list[tuple[str, str, str]] = []
    for problem in problems:
        kind, _, rest = problem.path.partition(" ")
        if not rest:
            continue  # a stack key (no sheet): the lines it leaves out name their resources
        unpriced.append((kind, rest.split(" ", 1)[0], f"{problem.problem} → {problem.fix}"))
    kept: list[Line] = []
    for line in lines:
        missing = [p.meter for p in line.prices if p.source == MISSING]
        if not missing:
            kept.append(line)
            continue
        kind, _, rest = line.resource.partition(" ")
        unpriced.append((kind, rest, f"{line.item}: no price for {', '.join(missing)}"))
    return kept, unpriced
