"""AKS: the cluster tier, node pools (VM times nodes, OS disks), load balancers and the share of
the user pool each service's pods (and each platform add-on's) take.

What a node offers pods after AKS's reservations: `infra/node_capacity.py`. Packing ignores
daemonsets and fragmentation, so the node floor is a lower bound.
"""

from __future__ import annotations

import dataclasses
import math
from typing import Any

from infra.cost import meters
from infra.cost.envoy_gateway import envoy_gateways
from infra.cost.lines import HOURS_PER_MONTH, Context, Line
from infra.cost.workloads import Workload, workloads
from infra.node_capacity import allocatable
from infra.plan.kinds import KUBERNETES_SERVICE, MANAGED_CLUSTER, NGINX_CONTROLLER
from infra.plan.owners import PLATFORM
from infra.plan.paths import as_mapping

INTERNAL_LB = "service.beta.kubernetes.io/azure-load-balancer-internal"


def _pools(cluster: dict[str, Any]) -> list[dict[str, Any]]:
    return list(cluster["inputs"].get("agentPoolProfiles") or [])


def _range(pool: dict[str, Any]) -> tuple[int, int]:
    if pool.get("enableAutoScaling"):
        return int(pool.get("minCount", 1)), int(pool.get("maxCount", 1))
    count = int(pool.get("count", 1))
    return count, count


def price_cluster(
    cluster: dict[str, Any], resources: list[dict[str, Any]], ctx: Context
) -> list[Line]:
    label = f"{MANAGED_CLUSTER} {cluster['name']}"
    inputs = cluster["inputs"]
    lines = [_tier(inputs, label, ctx)]
    pods = workloads(resources)
    pools = _pools(cluster)
    user = next((p for p in pools if p.get("mode") == "User"), pools[0] if pools else None)
    routing = as_mapping(as_mapping(inputs.get("ingressProfile")).get("webAppRouting")).get(
        "enabled"
    )
    for pool in pools:
        priced = _pool(pool, pool is user, pods, label, ctx)
        if routing and pool is user and pods:
            # The add-on's NGINX Deployments are AKS's, not in the plan; their requests are not
            # documented as source either, so they are named rather than guessed.
            pool_line = priced[0]
            priced[0] = dataclasses.replace(
                pool_line,
                assumptions=pool_line.assumptions.replace(
                    "daemonsets not counted",
                    "daemonsets and the app routing add-on's NGINX pods not counted",
                ),
            )
        lines += priced
    lines += _load_balancers(inputs, resources, label, ctx)
    return lines


def _tier(inputs: dict[str, Any], label: str, ctx: Context) -> Line:
    tier = str(as_mapping(inputs.get("sku")).get("tier", "Free"))
    if tier == "Free":
        return Line(
            PLATFORM,
            "AKS tier Free",
            label,
            0.0,
            0.0,
            "Free tier: no cluster management fee, no uptime SLA",
        )
    meter = meters.AKS_PREMIUM if tier == "Premium" else meters.AKS_STANDARD
    price = ctx.price(meter, label)
    monthly = price.unit_price * HOURS_PER_MONTH
    return Line(
        PLATFORM,
        f"AKS tier {tier}",
        label,
        monthly,
        monthly,
        f"1 cluster × {HOURS_PER_MONTH:.0f} h × {price.unit_price} per cluster-hour",
        (price,),
    )


def node_monthly(pool: dict[str, Any], label: str, ctx: Context) -> tuple[float, tuple[Any, ...]]:
    """One node of a pool for a month: the VM and (unless ephemeral) its Premium SSD OS disk."""
    vm = ctx.price(meters.vm(str(pool.get("vmSize", ""))), label)
    prices: tuple[Any, ...] = (vm,)
    monthly = vm.unit_price * HOURS_PER_MONTH
    if str(pool.get("osDiskType", "Managed")) != "Ephemeral":
        disk = ctx.price(
            meters.premium_disk(meters.disk_tier(int(pool.get("osDiskSizeGB", 128)))), label
        )
        prices += (disk,)
        monthly += disk.unit_price
    return monthly, prices


def _pool(
    pool: dict[str, Any], runs_workloads: bool, pods: list[Workload], label: str, ctx: Context
) -> list[Line]:
    name = str(pool.get("name", "pool"))
    vm_size = str(pool.get("vmSize", ""))
    low, high = _range(pool)
    per_node, prices = node_monthly(pool, f"{label} agentPoolProfiles[{name}]", ctx)
    size = ctx.vm_size(vm_size, f"{label} agentPoolProfiles[{name}].vmSize")
    disk = (
        "ephemeral OS disk (no charge)"
        if str(pool.get("osDiskType", "Managed")) == "Ephemeral"
        else f"Premium SSD {meters.disk_tier(int(pool.get('osDiskSizeGB', 128)))} OS disk per node"
    )
    notes = [f"{vm_size} × {low}..{high} nodes × {HOURS_PER_MONTH:.0f} h, {disk}"]
    floor_nodes = low
    lines: list[Line] = []
    if runs_workloads and size is not None and pods:
        cpu, memory = allocatable(size, int(pool.get("maxPods", 110)))
        need_min = _nodes_for(pods, cpu, memory, at_max=False)
        need_max = _nodes_for(pods, cpu, memory, at_max=True)
        floor_nodes = min(max(low, need_min), high)
        notes.append(
            f"pods' requests (services and platform add-ons) need {need_min} node(s) at "
            "minimum replicas, "
            f"{need_max} at maximum "
            f"({cpu:.2f} cores, {memory:.1f} GiB allocatable per node; daemonsets not counted)"
        )
        if need_min > high:
            notes.append(
                f"minimum replicas need more than maxCount {high}: pods would stay Pending"
            )
        if need_max > high:
            notes.append(
                f"maximum replicas need more than maxCount {high}: the ceiling is capped there"
            )
        lines += [
            _share(
                pod,
                pool=name,
                vm_size=vm_size,
                cpu=cpu,
                memory=memory,
                per_node=per_node,
                prices=prices,
            )
            for pod in pods
        ]
    lines.insert(
        0,
        Line(
            PLATFORM,
            f"AKS node pool {name}",
            label,
            per_node * floor_nodes,
            per_node * high,
            "; ".join(notes) + f"; floor {floor_nodes} node(s), ceiling {high}",
            prices,
        ),
    )
    return lines


def _share(
    pod: Workload,
    *,
    pool: str,
    vm_size: str,
    cpu: float,
    memory: float,
    per_node: float,
    prices: tuple[Any, ...],
) -> Line:
    """A workload's share of the pool's nodes (already inside the pool's line): a service's
    under its name, a platform add-on's as a platform line naming what runs."""
    share = max(pod.cpu / cpu, pod.memory_gib / memory) * per_node
    shape = (
        f"{pod.min_replicas}..{pod.max_replicas} replicas × "
        f"{pod.cpu:.3g} cores / {pod.memory_gib:.3g} GiB of a {vm_size} node"
    )
    if pod.service == PLATFORM:
        item = f"share of AKS pool {pool}: {pod.what}"
        shape += f"; requests: {pod.requests_from}"
    else:
        item = f"share of AKS pool {pool}"
    return Line(
        pod.service,
        item,
        pod.resource,
        share * pod.min_replicas,
        share * pod.max_replicas,
        f"{shape}; inside the pool's line, not added again",
        prices,
        counted=False,
    )


def _nodes_for(pods: list[Workload], cpu: float, memory: float, *, at_max: bool) -> int:
    total_cpu = sum(p.cpu * (p.max_replicas if at_max else p.min_replicas) for p in pods)
    total_memory = sum(p.memory_gib * (p.max_replicas if at_max else p.min_replicas) for p in pods)
    return max(math.ceil(total_cpu / cpu - 1e-9), math.ceil(total_memory / memory - 1e-9), 0)


def _load_balancers(
    inputs: dict[str, Any], resources: list[dict[str, Any]], label: str, ctx: Context
) -> list[Line]:
    """AKS's Standard load balancers (created by AKS, outside the plan, billed to the
    subscription): `kubernetes` (outbound rule, public ingress) and `kubernetes-internal`.
    A rule per port of every `LoadBalancer` Service: the plan's own, the app routing add-on's
    NGINX controllers, and the Service Envoy Gateway makes for each of its Gateways."""
    network = as_mapping(inputs.get("networkProfile"))
    public_rules = 1 if network.get("outboundType", "loadBalancer") == "loadBalancer" else 0
    public_ips = 0
    internal_rules = 0
    routing = as_mapping(as_mapping(inputs.get("ingressProfile")).get("webAppRouting")).get(
        "enabled"
    )
    notes_public = ["1 outbound rule"] if public_rules else []
    notes_internal: list[str] = []
    if routing:
        public_rules += 2
        public_ips += 1
        notes_public.append("app routing's default public NGINX (ports 80, 443, 1 public IP)")
    services = {"public": 0, "internal": 0}
    for r in resources:
        spec = as_mapping(r["inputs"].get("spec"))
        annotations = as_mapping(as_mapping(r["inputs"].get("metadata")).get("annotations"))
        if r["type"] == KUBERNETES_SERVICE and spec.get("type") == "LoadBalancer":
            ports = len(spec.get("ports") or [])
            if str(annotations.get(INTERNAL_LB, "")).lower() == "true":
                internal_rules += ports
                services["internal"] += ports
            else:
                public_rules += ports
                public_ips += 1
                services["public"] += ports
        elif r["type"] == NGINX_CONTROLLER:
            internal = (
                str(
                    as_mapping(r["inputs"].get("spec"))
                    .get("loadBalancerAnnotations", {})
                    .get(INTERNAL_LB, "")
                ).lower()
                == "true"
            )
            name = str(as_mapping(r["inputs"].get("metadata")).get("name", r["name"]))
            if internal:
                internal_rules += 2
                notes_internal.append(f"NGINX controller {name} (ports 80, 443)")
            else:
                public_rules += 2
                public_ips += 1
                notes_public.append(f"NGINX controller {name} (ports 80, 443, 1 public IP)")
    if services["public"]:
        notes_public.append(f"{services['public']} port(s) of LoadBalancer services")
    if services["internal"]:
        notes_internal.insert(
            0, f"{services['internal']} port(s) of internal LoadBalancer services"
        )
    for gateway in envoy_gateways(resources):
        if not gateway.load_balancer or not gateway.ports:
            continue
        ports = ", ".join(str(port) for port, _protocol in gateway.ports)
        if gateway.internal:
            internal_rules += len(gateway.ports)
            notes_internal.append(f"Envoy Gateway {gateway.gateway} (ports {ports})")
        else:
            public_rules += len(gateway.ports)
            public_ips += 1
            notes_public.append(f"Envoy Gateway {gateway.gateway} (ports {ports}, 1 public IP)")
    lines: list[Line] = []
    for name, rules, note in (
        ("kubernetes (public)", public_rules, ", ".join(notes_public)),
        ("kubernetes-internal", internal_rules, ", ".join(notes_internal)),
    ):
        if not rules:
            continue
        first = ctx.price(meters.LB_FIRST_RULES, label)
        extra = ctx.price(meters.LB_EXTRA_RULE, label)
        monthly = (first.unit_price + max(0, rules - 5) * extra.unit_price) * HOURS_PER_MONTH
        lines.append(
            Line(
                PLATFORM,
                f"AKS load balancer {name}",
                label,
                monthly,
                monthly,
                f"{rules} rule(s) ({note}): first 5 in the base rate, then per rule; "
                f"{HOURS_PER_MONTH:.0f} h; data processed not estimated",
                (first, extra),
            )
        )
    if public_ips:
        ip = ctx.price(meters.PUBLIC_IP, label)
        monthly = public_ips * ip.unit_price * HOURS_PER_MONTH
        lines.append(
            Line(
                PLATFORM,
                "AKS ingress public IPs",
                label,
                monthly,
                monthly,
                f"{public_ips} Standard static IP(s) AKS creates for public LoadBalancer services",
                (ip,),
            )
        )
    return lines
