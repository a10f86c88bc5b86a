"""The stack config's rules that span several keys, one small function each (`@config_rule`).

Pydantic (`infra/config.py`) checks each key's type and range; these rules check what no single
key can: overlapping ranges, sizes, zones, reachability. Each rule returns its problems and
its docstring is its rationale; `config_problems` runs them all, so a user sees every mistake.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable

from infra.aks_versions import (
    ADVANCE_WARNING_MONTHS,
    LTS,
    LTS_TIER,
    OFFICIAL,
    add_months,
    channel_target,
    load_calendar,
    minor_key,
    minor_of,
    reference_date,
    version_support,
)
from infra.component_kubernetes import pinned_components
from infra.config import (
    ACA_MIN_WORKLOAD_PROFILES_PREFIX,
    AZURE_RESERVED_IPS_PER_SUBNET,
    CI_LOGIN_MODE,
    ENVIRONMENT_SUBJECT,
    GITHUB_OIDC_ISSUER,
    NAMESPACE,
    PEOPLE_LOGIN_MODES,
    PRIVATE_ENDPOINTS_MIN_PREFIX,
    REPOSITORY_SUBJECT,
    ZONAL_REGIONS,
    OnboardedApplication,
    PlatformConfig,
)
from infra.problems import Problem, show
from infra.vm_sizes import VM_SIZES, ephemeral_fits, supports_encryption_at_host

ConfigRule = Callable[[PlatformConfig], list[Problem]]
DatedConfigRule = Callable[[PlatformConfig, dt.date], list[Problem]]
CONFIG_RULES: list[tuple[str, ConfigRule]] = []
DATED_CONFIG_RULES: list[tuple[str, DatedConfigRule]] = []
"""Rules whose answer depends on the day (support calendars): they get the reference day."""


def config_rule(topic: str) -> Callable[[ConfigRule], ConfigRule]:
    """Register a rule over the whole (type-checked) stack config."""

    def register(rule: ConfigRule) -> ConfigRule:
        CONFIG_RULES.append((topic, rule))
        return rule

    return register


def dated_config_rule(topic: str) -> Callable[[DatedConfigRule], DatedConfigRule]:
    """Register a rule over the stack config on a given day (`infra.aks_versions`)."""

    def register(rule: DatedConfigRule) -> DatedConfigRule:
        DATED_CONFIG_RULES.append((topic, rule))
        return rule

    return register


def config_problems(config: PlatformConfig, today: dt.date | None = None) -> list[Problem]:
    """Every problem every rule finds, sorted by key; dated rules on `today` (by default the
    real date, see `infra.aks_versions.reference_date`)."""
    day = reference_date(today)
    found = [problem for _, rule in CONFIG_RULES for problem in rule(config)]
    found += [problem for _, rule in DATED_CONFIG_RULES for problem in rule(config, day)]
    return sorted(found)


@config_rule("subnets")
def subnets(config: PlatformConfig) -> list[Problem]:
    """Every subnet lies inside the VNet and no two overlap: Azure refuses the deployment
    otherwise, after the resource group and VNet already exist."""
    problems: list[Problem] = []
    net = config.network
    key = f"{NAMESPACE}:network"
    subnets = {
        "aksNodesSubnetCidr": net.aks_nodes_subnet_cidr,
        "containerAppsSubnetCidr": net.container_apps_subnet_cidr,
    }
    if net.private_endpoints_subnet_cidr is not None:
        subnets["privateEndpointsSubnetCidr"] = net.private_endpoints_subnet_cidr
    if net.gateway_subnet_cidr is not None:
        subnets["gatewaySubnetCidr"] = net.gateway_subnet_cidr
    for name, cidr in subnets.items():
        if not cidr.subnet_of(net.vnet_cidr):
            problems.append(
                Problem(
                    f"{key}.{name}",
                    str(cidr),
                    f"is outside vnetCidr {net.vnet_cidr}",
                    f"pick a range inside {net.vnet_cidr}",
                )
            )
    named = list(subnets.items())
    for index, (name, cidr) in enumerate(named):
        for earlier, earlier_cidr in named[:index]:
            if cidr.overlaps(earlier_cidr):
                problems.append(
                    Problem(
                        f"{key}.{name}",
                        str(cidr),
                        f"overlaps {earlier} {earlier_cidr}",
                        "give each subnet its own range",
                    )
                )
    return problems


GATEWAY_SUBNET_MAX_PREFIX = 24
"""Application Gateway for Containers needs at least 250 free addresses in its association
subnet (learn.microsoft.com, "Quickstart: Create Application Gateway for Containers - bring your
own deployment", "Create an association resource")."""


@config_rule("gateway-subnet")
def gateway_subnet(config: PlatformConfig) -> list[Problem]:
    """The Gateway API ingress (Application Gateway for Containers) joins a subnet delegated to
    it, with room for 250 addresses; the deprecated NGINX ingress needs none."""
    cidr = config.network.gateway_subnet_cidr
    key = f"{NAMESPACE}:network.gatewaySubnetCidr"
    if config.aks.ingress.public_gateway and cidr is None:
        return [
            Problem(
                key,
                "",
                f"is required for aks.ingress {config.aks.ingress} (Application Gateway for "
                "Containers joins a subnet delegated to it)",
                "add a free /24 inside vnetCidr, e.g. network.gatewaySubnetCidr: 10.20.12.0/24",
            )
        ]
    if cidr is not None and cidr.prefixlen > GATEWAY_SUBNET_MAX_PREFIX:
        return [
            Problem(
                key,
                str(cidr),
                "is too small: Application Gateway for Containers needs 250 free addresses",
                f"use a /{GATEWAY_SUBNET_MAX_PREFIX} or larger",
            )
        ]
    return []


@config_rule("private-endpoints")
def private_endpoints(config: PlatformConfig) -> list[Problem]:
    """Private endpoints need room (Azure reserves 5 addresses per subnet), a Premium registry, and
    closing public access is only safe when a private endpoint is the way in."""
    problems: list[Problem] = []
    net = config.network
    key = f"{NAMESPACE}:network"
    endpoints = net.private_endpoints_subnet_cidr
    if endpoints is not None and endpoints.prefixlen > PRIVATE_ENDPOINTS_MIN_PREFIX:
        problems.append(
            Problem(
                f"{key}.privateEndpointsSubnetCidr",
                str(endpoints),
                "is too small: Azure reserves 5 addresses in every subnet",
                f"use a /{PRIVATE_ENDPOINTS_MIN_PREFIX} or larger",
            )
        )
    for section, public in (
        ("registry", config.registry.public_network_access),
        ("keyVault", config.key_vault.public_network_access),
    ):
        if not public and endpoints is None:
            problems.append(
                Problem(
                    f"{NAMESPACE}:{section}.publicNetworkAccess",
                    "false",
                    "would leave no way in: there is no private endpoint",
                    "set network.privateEndpointsSubnetCidr, or keep publicNetworkAccess true",
                )
            )
    if endpoints is not None and config.registry.sku != "Premium":
        problems.append(
            Problem(
                f"{NAMESPACE}:registry.sku",
                config.registry.sku,
                "a registry reachable through a private endpoint must be Premium",
                "set registry.sku to Premium, or remove network.privateEndpointsSubnetCidr",
            )
        )
    return problems


@config_rule("cluster-ranges")
def cluster_ranges(config: PlatformConfig) -> list[Problem]:
    """Pod and service ranges are not VNet addresses: they must not overlap the VNet or each other,
    and the cluster DNS address must be a usable address of the service range."""
    problems: list[Problem] = []
    net = config.network
    key = f"{NAMESPACE}:network"
    for name, cidr in {"podCidr": net.pod_cidr, "serviceCidr": net.service_cidr}.items():
        if cidr.overlaps(net.vnet_cidr):
            problems.append(
                Problem(
                    f"{key}.{name}",
                    str(cidr),
                    f"overlaps vnetCidr {net.vnet_cidr}",
                    "use a range outside the VNet (pods and services are not VNet addresses)",
                )
            )
    if net.pod_cidr.overlaps(net.service_cidr):
        problems.append(
            Problem(
                f"{key}.serviceCidr",
                str(net.service_cidr),
                f"overlaps podCidr {net.pod_cidr}",
                "give pods and services separate ranges",
            )
        )
    if net.dns_service_ip not in net.service_cidr or net.dns_service_ip in (
        net.service_cidr.network_address,
        net.service_cidr.network_address + 1,
        net.service_cidr.broadcast_address,
    ):
        problems.append(
            Problem(
                f"{key}.dnsServiceIp",
                str(net.dns_service_ip),
                f"must be a usable address inside serviceCidr {net.service_cidr}",
                f"use e.g. {net.service_cidr.network_address + 10}",
            )
        )
    return problems


@config_rule("container-apps-subnet")
def container_apps_subnet(config: PlatformConfig) -> list[Problem]:
    """A workload-profiles Container Apps environment needs at least a /27 (Microsoft's minimum)."""
    problems: list[Problem] = []
    net = config.network
    key = f"{NAMESPACE}:network"
    if net.container_apps_subnet_cidr.prefixlen > ACA_MIN_WORKLOAD_PROFILES_PREFIX:
        problems.append(
            Problem(
                f"{key}.containerAppsSubnetCidr",
                str(net.container_apps_subnet_cidr),
                "is too small for a workload-profiles environment",
                f"use a /{ACA_MIN_WORKLOAD_PROFILES_PREFIX} or larger (/23 leaves room to grow)",
            )
        )
    return problems


@config_rule("node-pools")
def node_pools(config: PlatformConfig) -> list[Problem]:
    """Pool bounds are ordered and the node subnet holds every node plus upgrade surge (overlay
    networking: one VNet address per node)."""
    problems: list[Problem] = []
    net = config.network
    key = f"{NAMESPACE}:network"
    aks = config.aks
    akey = f"{NAMESPACE}:aks"
    for pool_key, pool in (("systemPool", aks.system_pool), ("userPool", aks.user_pool)):
        if pool.min_count > pool.max_count:
            problems.append(
                Problem(
                    f"{akey}.{pool_key}.minCount",
                    str(pool.min_count),
                    f"is greater than maxCount {pool.max_count}",
                    "lower minCount or raise maxCount",
                )
            )
    # Overlay networking: one VNet address per node, plus surge nodes during upgrades.
    max_nodes = aks.system_pool.max_count + aks.user_pool.max_count
    surge = -(-max_nodes // 3)
    usable = net.aks_nodes_subnet_cidr.num_addresses - AZURE_RESERVED_IPS_PER_SUBNET
    if max_nodes + surge > usable:
        problems.append(
            Problem(
                f"{key}.aksNodesSubnetCidr",
                str(net.aks_nodes_subnet_cidr),
                f"has {usable} usable addresses, fewer than {max_nodes + surge} "
                f"(max nodes {max_nodes} plus upgrade surge {surge})",
                "use a larger subnet or lower the pools' maxCount",
            )
        )
    return problems


@config_rule("zones")
def zones(config: PlatformConfig) -> list[Problem]:
    """Zones are distinct and exist in the region; prod spreads over three zones on a paid tier, so
    one zone's outage or a control-plane incident does not stop it."""
    problems: list[Problem] = []
    aks = config.aks
    akey = f"{NAMESPACE}:aks"
    if len(set(aks.zones)) != len(aks.zones):
        problems.append(
            Problem(
                f"{akey}.zones", show(list(aks.zones)), "lists a zone twice", "list each zone once"
            )
        )
    if aks.zones and config.location not in ZONAL_REGIONS:
        problems.append(
            Problem(
                f"{akey}.zones",
                show(list(aks.zones)),
                f"region {config.location} has no availability zones",
                "remove zones or pick a zonal region such as westeurope",
            )
        )
    if config.is_prod and len(set(aks.zones)) < 3:
        problems.append(
            Problem(
                f"{akey}.zones",
                show(list(aks.zones)),
                "prod must survive the loss of a zone",
                'set zones: ["1", "2", "3"] in a zonal region',
            )
        )
    if config.is_prod and aks.tier == "Free":
        problems.append(
            Problem(
                f"{akey}.tier",
                "Free",
                "the Free tier has no uptime SLA",
                "use Standard (or Premium) in prod",
            )
        )
    if config.container_apps.zone_redundant and config.location not in ZONAL_REGIONS:
        problems.append(
            Problem(
                f"{NAMESPACE}:containerApps.zoneRedundant",
                "true",
                f"region {config.location} has no availability zones",
                "set zoneRedundant: false or pick a zonal region",
            )
        )
    return problems


@config_rule("api-server")
def api_server(config: PlatformConfig) -> list[Problem]:
    """The API server is never open to the internet: private, or limited to authorized ranges that
    are valid CIDRs (not both)."""
    problems: list[Problem] = []
    aks = config.aks
    akey = f"{NAMESPACE}:aks"
    api = aks.api_server
    if api.private_cluster and api.authorized_ip_ranges:
        problems.append(
            Problem(
                f"{akey}.apiServer.authorizedIpRanges",
                show([str(r) for r in api.authorized_ip_ranges]),
                "does not apply to a private cluster",
                "remove authorizedIpRanges or set privateCluster: false",
            )
        )
    if not api.private_cluster and not api.authorized_ip_ranges:
        problems.append(
            Problem(
                f"{akey}.apiServer",
                "",
                "the API server would be open to the whole internet",
                "list authorizedIpRanges (your office/CI egress CIDRs) or set privateCluster: true",
            )
        )
    for index, cidr in enumerate(api.authorized_ip_ranges):
        if cidr.prefixlen == 0:
            problems.append(
                Problem(
                    f"{akey}.apiServer.authorizedIpRanges[{index}]",
                    str(cidr),
                    "allows every address",
                    "list only the CIDRs that need access",
                )
            )
    return problems


@config_rule("internal-ingress")
def internal_ingress(config: PlatformConfig) -> list[Problem]:
    """The internal ingress's fixed address must be a usable address of the node subnet, where its
    internal load balancer lives."""
    problems: list[Problem] = []
    net = config.network
    key = f"{NAMESPACE}:network"
    ingress_ip = net.internal_ingress_address
    nodes = net.aks_nodes_subnet_cidr
    if ingress_ip not in nodes or ingress_ip in (
        *(nodes.network_address + i for i in range(4)),
        nodes.broadcast_address,
    ):
        problems.append(
            Problem(
                f"{key}.internalIngressIp",
                str(ingress_ip),
                f"is not a usable address of aksNodesSubnetCidr {nodes} (Azure reserves the first "
                "four and the last)",
                f"pick an unused address inside {nodes}, e.g. {nodes.broadcast_address - 1}",
            )
        )
    return problems


@config_rule("dns")
def dns(config: PlatformConfig) -> list[Problem]:
    """A DNS zone is named with its resource group, or not at all (half cannot be found)."""
    problems: list[Problem] = []
    dns = config.dns
    if (dns.zone_name is None) != (dns.zone_resource_group is None):
        problems.append(
            Problem(
                f"{NAMESPACE}:dns",
                "",
                "zoneName and zoneResourceGroup go together",
                "set both (the Azure DNS zone and its resource group) or neither",
            )
        )
    return problems


@config_rule("workload-profiles")
def workload_profiles(config: PlatformConfig) -> list[Problem]:
    """Workload profiles have distinct names and bounds the environment accepts."""
    problems: list[Problem] = []
    seen: set[str] = set()
    for index, profile in enumerate(config.container_apps.workload_profiles):
        pkey = f"{NAMESPACE}:containerApps.workloadProfiles[{index}]"
        if profile.min_count > profile.max_count:
            problems.append(
                Problem(
                    f"{pkey}.minCount",
                    str(profile.min_count),
                    f"is greater than maxCount {profile.max_count}",
                    "lower minCount or raise maxCount",
                )
            )
        if profile.name in seen or profile.name == "Consumption":
            problems.append(
                Problem(
                    f"{pkey}.name",
                    show(profile.name),
                    "is already used",
                    "give each workload profile a unique name other than Consumption",
                )
            )
        seen.add(profile.name)
    return problems


@config_rule("deploy-runner")
def deploy_runner(config: PlatformConfig) -> list[Problem]:
    """Can the machine that runs `pulumi up` reach what it must? (Issue: CI locked out.)

    The Kubernetes provider talks to the API server, which is never open to the internet: either
    its authorized ranges contain the runner's egress, or (private cluster) the runner reaches the
    VNet. GitHub-hosted runners have no stable egress address, so neither works for them. A closed
    vault or registry is reachable only through its private endpoint, from the VNet.

    A runner cannot sit in a VNet the stack has not created yet, so "reaches the VNet" means its
    own VNet (`deployRunner.vnet`), which the foundation peers with the platform VNet and links to
    every private DNS zone the deploy resolves (upstream/azure-aks-docs/: peer both ways, link
    the private DNS zone to the runner's VNet). Peered address spaces may not overlap (same page:
    "plan your network CIDR ranges to ensure there are no overlapping ranges").
    """
    runner = config.deploy_runner
    api = config.aks.api_server
    key = f"{NAMESPACE}:deployRunner"
    problems: list[Problem] = []
    if runner.kind == "github-hosted":
        problems.append(
            Problem(
                f"{key}.kind",
                "github-hosted",
                "GitHub-hosted runners have no stable egress address, so they can pass neither "
                "aks.apiServer.authorizedIpRanges nor reach a private cluster",
                "run deploys on a self-hosted runner (set the repository variable "
                "DEPLOY_RUNNER_LABELS) and list its egressCidrs, or declare its VNet (vnet)",
            )
        )
        return problems
    if api.private_cluster and not runner.in_vnet:
        problems.append(
            Problem(
                f"{key}.vnet",
                "(none)",
                "a private cluster's API server is reachable only from its VNet and VNets peered "
                "with it and linked to its private DNS zone",
                "run the deploy runner in a VNet of its own that exists before the stack and "
                "declare it: vnet: {id: <its resource id>, addressPrefixes: [<its range>]}",
            )
        )
    if runner.vnet is not None:
        for index, prefix in enumerate(runner.vnet.address_prefixes):
            if prefix.overlaps(config.network.vnet_cidr):
                problems.append(
                    Problem(
                        f"{key}.vnet.addressPrefixes[{index}]",
                        str(prefix),
                        f"overlaps network.vnetCidr {config.network.vnet_cidr}: Azure refuses "
                        "to peer VNets whose address spaces overlap",
                        "give the runner's VNet (or the platform VNet) a range that does not "
                        "overlap the other",
                    )
                )
    if not api.private_cluster and not runner.in_vnet:
        if not runner.egress_cidrs:
            problems.append(
                Problem(
                    f"{key}.egressCidrs",
                    "[]",
                    "the API server admits only aks.apiServer.authorizedIpRanges, and the runner's "
                    "address is not declared",
                    "list the runner's fixed egress, e.g. [203.0.113.10/32], inside "
                    "authorizedIpRanges",
                )
            )
        for index, cidr in enumerate(runner.egress_cidrs):
            if not any(cidr.subnet_of(allowed) for allowed in api.authorized_ip_ranges):
                problems.append(
                    Problem(
                        f"{key}.egressCidrs[{index}]",
                        str(cidr),
                        "is not inside aks.apiServer.authorizedIpRanges: the deploy would be "
                        "refused by the API server",
                        f"add {cidr} to authorizedIpRanges",
                    )
                )
    for section, public in (
        ("registry", config.registry.public_network_access),
        ("keyVault", config.key_vault.public_network_access),
    ):
        if not public and not runner.in_vnet:
            problems.append(
                Problem(
                    f"{NAMESPACE}:{section}.publicNetworkAccess",
                    "false",
                    "would lock the deploy runner out (it pushes images and seeds secrets)",
                    "declare the deploy runner's own VNet (deployRunner.vnet: the foundation "
                    "peers and links it) or keep publicNetworkAccess true",
                )
            )
    return problems


@config_rule("kubelogin-mode")
def kubelogin_mode(config: PlatformConfig) -> list[Problem]:
    """The Kubernetes provider's login must be one the deploying identity can renew.

    A person (`deployerPrincipalType: User`) has no federated token, so workloadidentity cannot
    sign them in; a service principal is not a person who can answer a browser (interactive), and
    the cluster-admin grant is for the deployer, not for whoever signs in. On GitHub Actions
    kubelogin's workloadidentity mode requests a fresh OIDC token per Entra token
    (upstream/kubelogin/), while an az session from a federated token stops renewing once the
    assertion expires (Azure/azure-cli#28708): the deploy workflow checks its stacks use
    workloadidentity (tests/test_deploy_path.py).
    """
    mode = config.aks.kubelogin_mode
    key = f"{NAMESPACE}:aks.kubeloginMode"
    if config.deployer_principal_type == "User" and mode == CI_LOGIN_MODE:
        return [
            Problem(
                key,
                mode,
                "signs in with a federated token, which a person (deployerPrincipalType: User) "
                "does not have",
                f"use one of {', '.join(sorted(PEOPLE_LOGIN_MODES))} when a person deploys",
            )
        ]
    if config.deployer_principal_type == "ServicePrincipal" and mode == "interactive":
        return [
            Problem(
                key,
                mode,
                "signs a person in through a browser, but the deployer is a service principal "
                "(the cluster-admin grant is for it)",
                f"use {CI_LOGIN_MODE} in CI (or azurecli after az login as the service "
                "principal), or set deployerPrincipalType: User",
            )
        ]
    return []


@config_rule("node-sizes")
def node_sizes(config: PlatformConfig) -> list[Problem]:
    """Ephemeral OS disks must fit the VM size's local disk; encryption at host needs a size
    that supports it (both from the table in infra/vm_sizes.py)."""
    problems: list[Problem] = []
    akey = f"{NAMESPACE}:aks"
    encryption = config.hardening.encryption_at_host
    for pool_key, pool in (
        ("systemPool", config.aks.system_pool),
        ("userPool", config.aks.user_pool),
    ):
        size = VM_SIZES.get(pool.vm_size)
        if pool.os_disk_type == "Ephemeral" and not ephemeral_fits(
            pool.vm_size, pool.os_disk_size_gb
        ):
            if size is None:
                problems.append(
                    Problem(
                        f"{akey}.{pool_key}.osDiskType",
                        "Ephemeral",
                        f"VM size {pool.vm_size} is not in the table of sizes with known "
                        "cache/temp disk capacity (infra/vm_sizes.py)",
                        "pick a listed size, add this one with its documented capacity, or set "
                        "osDiskType: Managed",
                    )
                )
            else:
                problems.append(
                    Problem(
                        f"{akey}.{pool_key}.osDiskSizeGb",
                        str(pool.os_disk_size_gb),
                        f"is larger than {pool.vm_size}'s ephemeral capacity of "
                        f"{size.ephemeral_capacity_gib} GiB (cache {size.cache_gib} GiB, temp "
                        f"{size.temp_gib} GiB)",
                        f"set osDiskSizeGb to at most {size.ephemeral_capacity_gib}, pick a size "
                        "with a larger local disk, or set osDiskType: Managed",
                    )
                )
        if encryption and not supports_encryption_at_host(pool.vm_size):
            problems.append(
                Problem(
                    f"{akey}.{pool_key}.vmSize",
                    pool.vm_size,
                    "is not known to support encryption at host (aks.encryptionAtHost is on)",
                    "pick a size listed in infra/vm_sizes.py (check `az vm list-skus` for "
                    "EncryptionAtHostSupported), or set aks.encryptionAtHost: false; encryption "
                    "at host also needs the subscription feature "
                    "Microsoft.Compute/EncryptionAtHost registered (az feature register "
                    "--namespace Microsoft.Compute --name EncryptionAtHost)",
                )
            )
    return problems


def _creatable_minors(config: PlatformConfig, day: dt.date) -> list[str]:
    """The minors AKS creates under the stack's plan on `day` that every pinned component of
    the stack supports."""
    components = pinned_components(config.aks.ingress)
    return [
        minor
        for minor in load_calendar().supported(config.aks.support_plan, day)
        if all(component.supports(minor) for component in components)
    ]


@config_rule("support-plan")
def support_plan(config: PlatformConfig) -> list[Problem]:
    """Long-term support is sold on the Premium tier only: AKS refuses the plan on Free or
    Standard ("Enabling LTS requires moving your cluster to the Premium tier",
    upstream/aks/long-term-support.excerpt.md)."""
    aks = config.aks
    if aks.support_plan == LTS and aks.tier != LTS_TIER:
        return [
            Problem(
                f"{NAMESPACE}:aks.supportPlan",
                LTS,
                f"long-term support needs the {LTS_TIER} tier (aks.tier is {aks.tier})",
                f"set aks.tier: {LTS_TIER}, or supportPlan: {OFFICIAL} with a version in "
                "community support",
            )
        ]
    return []


@dated_config_rule("kubernetes-version")
def kubernetes_version(config: PlatformConfig, day: dt.date) -> list[Problem]:
    """AKS creates a cluster only on a version in support for its plan: community support
    (KubernetesOfficial) or, on Premium, long-term support; a version past its end of life is
    in platform support, where "Cluster creation | Not supported"
    (upstream/aks/platform-support.excerpt.md). The days come from the vendored AKS calendar
    (upstream/aks/version-calendar.json). A patch version (1.36.2) is judged by its minor: which
    patches AKS offers in a region is live data (`az aks get-versions`), not in the calendar.

    Every pinned component with its own Kubernetes range must support the version too
    (`infra.component_kubernetes`: Envoy Gateway's matrix, the ALB controller's minimum)."""
    aks = config.aks
    key = f"{NAMESPACE}:aks.kubernetesVersion"
    plan = aks.support_plan
    good = _creatable_minors(config, day)
    choices = ", ".join(good) or "none (vendor a newer calendar or component pins)"
    support = version_support(aks.kubernetes_version, plan, day)
    where = f"tier {aks.tier}, supportPlan {plan}"
    problems: list[Problem] = []
    if not support.ok:
        lts = version_support(aks.kubernetes_version, LTS, day)
        also = (
            f"; or keep it with aks.tier: {LTS_TIER} and aks.supportPlan: {LTS} (until {lts.ends})"
            if plan == OFFICIAL and lts.ok
            else ""
        )
        problems.append(
            Problem(
                key,
                aks.kubernetes_version,
                f"AKS cannot create a cluster on it ({where}): it {support.why} "
                f"[{load_calendar().cited}]",
                f"use one of {choices} (supported on {day} by AKS for {where} and by every "
                f"pinned component){also}",
            )
        )
    minor = minor_of(aks.kubernetes_version)
    for component in pinned_components(aks.ingress):
        if not component.supports(minor):
            problems.append(
                Problem(
                    key,
                    aks.kubernetes_version,
                    f"{component.described} ({component.source})",
                    f"use one of {choices}, or move the component's pin to a release that "
                    f"supports {minor}",
                )
            )
    return problems


def _channel_problem(config: PlatformConfig, day: dt.date) -> Problem | None:
    """Where the upgrade channel takes the cluster on `day`, if a pinned component does not
    support that minor."""
    aks = config.aks
    target = channel_target(load_calendar(), aks.upgrade_channel, day)
    if target is None or minor_key(target) <= minor_key(minor_of(aks.kubernetes_version)):
        return None
    unsupported = [c for c in pinned_components(aks.ingress) if not c.supports(target)]
    if not unsupported:
        return None
    return Problem(
        f"{NAMESPACE}:aks.upgradeChannel",
        aks.upgrade_channel,
        f"AKS upgrades the cluster to Kubernetes {target} on this channel (on {day}; "
        "upstream/aks/auto-upgrade-channels.excerpt.md), and "
        + "; ".join(f"{c.described} ({c.source})" for c in unsupported),
        "use upgradeChannel: patch (AKS keeps the minor; move it yourself with the components), "
        f"or move the component's pin to a release that supports {target}",
    )


@dated_config_rule("upgrade-channel-target")
def upgrade_channel_target(config: PlatformConfig, day: dt.date) -> list[Problem]:
    """A `stable` or `rapid` channel moves the cluster's minor by itself (to N-1 or N of the
    AKS calendar); every pinned component must support where it moves to, or the upgrade breaks
    ingress with no deploy in between."""
    problem = _channel_problem(config, day)
    return [problem] if problem is not None else []


def config_advisories(config: PlatformConfig, today: dt.date | None = None) -> list[Problem]:
    """Non-fatal, ADVANCE_WARNING_MONTHS ahead of the day: the stack's version leaves support,
    or the upgrade channel will move the cluster to a minor a pinned component does not
    support (the program reports them with `pulumi.log.warn`)."""
    day = reference_date(today)
    aks = config.aks
    found: list[Problem] = []
    ahead = add_months(day, ADVANCE_WARNING_MONTHS)
    if _channel_problem(config, day) is None and (moved := _channel_problem(config, ahead)):
        found.append(
            Problem(
                moved.path,
                moved.value,
                f"within {ADVANCE_WARNING_MONTHS} months: {moved.problem}",
                moved.fix,
            )
        )
    support = version_support(aks.kubernetes_version, aks.support_plan, day)
    if not support.ending_within():
        return found
    current = minor_key(minor_of(aks.kubernetes_version))
    later = [m for m in _creatable_minors(config, day) if minor_key(m) > current]
    return [
        *found,
        Problem(
            f"{NAMESPACE}:aks.kubernetesVersion",
            aks.kubernetes_version,
            f"leaves AKS support ({aks.support_plan}) on {support.ends}, less than "
            f"{ADVANCE_WARNING_MONTHS} months after {day}",
            f"plan the upgrade now: move to {', '.join(later) or 'a newer minor'} "
            "(docs/kubernetes-versions.md)",
        ),
    ]


@config_rule("onboarded-applications")
def onboarded_applications(config: PlatformConfig) -> list[Problem]:
    """Each namespace and each host belongs to one onboarded application (its stack owns it, and
    its identity's rights end there: docs/team-stacks.md); only a platform stack onboards."""
    from infra.config import StackMode
    from infra.constants import application_namespaces

    key = f"{NAMESPACE}:applications"
    problems: list[Problem] = []
    if config.applications and config.mode is not StackMode.PLATFORM:
        problems.append(
            Problem(
                key,
                ", ".join(a.name for a in config.applications),
                f"only a platform stack onboards applications (this stack is {config.mode})",
                f"set {NAMESPACE}:mode to platform, or delete {key}",
            )
        )
    claims: dict[tuple[str, str], list[str]] = {}
    for app in config.applications:
        for namespace in application_namespaces(app.name):
            claims.setdefault(("namespace", namespace), []).append(app.name)
        for host in app.hosts:
            claims.setdefault(("host", host), []).append(app.name)
        for resource_id in app.adopted:
            claims.setdefault(("adopted resource", resource_id.lower()), []).append(app.name)
            problems += _adopted_problems(config, app.name, resource_id)
        problems += _onboarding_problems(app)
    for (kind, value), owners in sorted(claims.items()):
        if len(owners) > 1:
            problems.append(
                Problem(
                    key,
                    value,
                    f"{kind} {value} is claimed by {len(owners)} applications "
                    f"({', '.join(owners)})",
                    f"give the {kind} to one application",
                )
            )
    return problems


GRANT_SCOPE = re.compile(
    r"^/subscriptions/[0-9a-fA-F-]{36}/resourceGroups/[-\w._()]{1,90}(/providers/[^/]+/.+[^/])?$"
)
"""A resource group, or a resource in one: where an application's `granter` may be assigned."""


def _onboarding_problems(app: OnboardedApplication) -> list[Problem]:
    """Each `grantScopes` entry is one of the granter role's assignableScopes: Azure refuses to
    create or update a custom role whose assignable scopes are invalid, or that its writer lacks
    roleDefinitions/write on (Azure RBAC troubleshooting, "Unable to create or update a custom
    role"; upstream/azure-rbac-docs/troubleshooting.excerpt.md), so the platform's first run would
    fail there. A subscription or a management group would let the application grant roles
    across all of it. And the preview identity's subject comes from ciSubject's repository
    unless previewSubject is set (`infra.stacks.platform.preview_subject`)."""
    key = f"{NAMESPACE}:applications"
    problems: list[Problem] = []
    for index, scope in enumerate(app.grant_scopes):
        if not GRANT_SCOPE.match(scope):
            problems.append(
                Problem(
                    f"{key}[{app.name}].grantScopes[{index}]",
                    scope,
                    "is not a resource group or a resource in one "
                    "(/subscriptions/<id>/resourceGroups/<group>[/providers/...])",
                    "name the resource group (or resource) its team owns, in this subscription; "
                    "it must exist before the platform deploys",
                )
            )
    if app.preview_subject is None and not REPOSITORY_SUBJECT.match(app.ci_subject):
        problems.append(
            Problem(
                f"{key}[{app.name}].previewSubject",
                app.ci_subject,
                "ciSubject names no GitHub repository (repo:<owner>/<repo>:...), so the preview "
                "identity's subject cannot be derived from it",
                "set previewSubject, e.g. "
                f"repo:<owner>/<repo>:environment:{app.name}-<env>-preview",
            )
        )
    return problems


def _adopted_problems(config: PlatformConfig, app: str, resource_id: str) -> list[Problem]:
    """An adopted resource is one of the application's Container Apps, jobs or identities in the
    platform's own group (where the single stack put it): a role on anything else (the cluster,
    the vault, the platform's identities' group) would be more than its stack needs."""
    from infra.constants import ADOPTABLE_TYPES

    parts = resource_id.strip("/").split("/")
    group = parts[3] if len(parts) > 3 else ""
    kind = "/".join(parts[5:7]) if len(parts) == 8 else ""
    if (
        len(parts) == 8
        and [p.lower() for p in (parts[0], parts[2], parts[4])]
        == ["subscriptions", "resourcegroups", "providers"]
        and group.lower() == config.resource_group_name.lower()
        and kind.lower() in {t.lower() for t in ADOPTABLE_TYPES.values()}
    ):
        return []
    return [
        Problem(
            f"{NAMESPACE}:applications[{app}].adopted",
            resource_id,
            "is not a Container App, Container Apps job or user-assigned identity in the "
            "platform's resource group "
            f"{config.resource_group_name} (an adopted resource is one the single stack created "
            f"there for {app}: /subscriptions/<id>/resourceGroups/{config.resource_group_name}/"
            f"providers/<{' or '.join(ADOPTABLE_TYPES.values())}>/<name>)",
            "list only the ids `python -m infra.stacks migrate` prints for this application",
        )
    ]


@config_rule("ci-subject")
def ci_subject(config: PlatformConfig) -> list[Problem]:
    """An onboarded application's `ciSubject` is the subject of the token its deploy job
    presents, or Entra ID refuses the login (AADSTS700213, no matching federated identity
    record). deploy-team-stacks.yml runs each application's job in this repository's GitHub
    environment `<application>-<env>`, and "the subject claim includes the environment name when
    the job references an environment": `repo:<owner>/<repo>:environment:<name>`
    (https://docs.github.com/en/actions/reference/security/oidc). The repository is checked
    where it is known (`ci_subject_advisories`)."""
    from infra.constants import deploy_environment

    problems: list[Problem] = []
    for index, app in enumerate(config.applications):
        if app.ci_issuer != GITHUB_OIDC_ISSUER:
            continue
        expected = deploy_environment(app.name, config.environment.value)
        found = ENVIRONMENT_SUBJECT.match(app.ci_subject)
        if found is not None and found["environment"] == expected:
            continue
        repo = found["repo"] if found is not None else "<owner>/<repo>"
        problems.append(
            Problem(
                f"{NAMESPACE}:applications[{index}].ciSubject",
                app.ci_subject,
                f"is not the subject GitHub sends for {app.name}'s deploy job, which runs in "
                f"this repository's environment {expected} (deploy-team-stacks.yml)",
                f"set it to repo:{repo}:environment:{expected}",
            )
        )
    return problems


def ci_subject_advisories(config: PlatformConfig, repository: str | None) -> list[Problem]:
    """Non-fatal: where the repository is known (`GITHUB_REPOSITORY` in a workflow run), each
    GitHub `ciSubject` names it; the stack file cannot know its repository anywhere else."""
    if not repository:
        return []
    found: list[Problem] = []
    for index, app in enumerate(config.applications):
        match = ENVIRONMENT_SUBJECT.match(app.ci_subject)
        if app.ci_issuer != GITHUB_OIDC_ISSUER or match is None:
            continue
        if match["repo"].lower() != repository.lower():
            found.append(
                Problem(
                    f"{NAMESPACE}:applications[{index}].ciSubject",
                    app.ci_subject,
                    f"names repository {match['repo']}, but this run is in {repository}, where "
                    f"{app.name}'s deploy job runs (deploy-team-stacks.yml)",
                    f"set it to repo:{repository}:environment:{match['environment']}",
                )
            )
    return found
