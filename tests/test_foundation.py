"""The Azure foundation of both stacks, as the real program registers it under mocks."""

from __future__ import annotations

import dataclasses
import json
import subprocess
import sys

import pytest
import yaml

from infra.foundation.kubeconfig import with_login_mode
from infra.preview.engine import SECRET_MASK, OfflineRun, run_offline
from infra.preview.mocks import fake_kubeconfig
from infra.preview.stackfile import ROOT, read_stack
from infra.program import build

CLUSTER = "azure-native:containerservice:ManagedCluster"
ACR_PULL = "7f951dda-4ed3-4680-a7ca-43fe172d538d"
STATEFUL = (
    "azure-native:monitor:AzureMonitorWorkspace",
    "azure-native:containerservice:ManagedCluster",
    "azure-native:containerregistry:Registry",
    "azure-native:operationalinsights:Workspace",
)
UNTAGGABLE = (
    "azure-native:monitor:DataCollectionRuleAssociation",
    "azure-native:network:Subnet",
    "azure-native:authorization:RoleAssignment",
    "azure-native:containerservice:MaintenanceConfiguration",
    "azure-native:privatedns:PrivateRecordSet",
    "azure-native:managedidentity:FederatedIdentityCredential",
    "azure-native:network:PrivateDnsZoneGroup",
    "azure-native:dns:RecordSet",
    "azure-native:containerservice:DeploymentSafeguard",
    "azure-native:authorization:PolicyAssignment",
    "azure-native:network:VirtualNetworkPeering",
)


def test_the_untaggable_types_really_take_no_tags() -> None:
    """The exemption list above may only hold types whose SDK class has no `tags` argument."""
    import importlib
    import inspect

    for token in UNTAGGABLE:
        _, module, kind = token.split(":")
        cls = getattr(importlib.import_module(f"pulumi_azure_native.{module}"), kind)
        assert "tags" not in inspect.signature(cls._internal_init).parameters, token


def cluster(run: OfflineRun) -> dict:
    return run.one(CLUSTER).inputs


def test_network_has_node_subnet_and_delegated_container_apps_subnet(dev: OfflineRun) -> None:
    vnet = dev.one("azure-native:network:VirtualNetwork").inputs
    assert vnet["addressSpace"]["addressPrefixes"] == ["10.20.0.0/16"]
    assert "subnets" not in vnet, "subnets are separate resources, never inline"
    nodes = dev.one("azure-native:network:Subnet", "network-aks-nodes").inputs
    apps = dev.one("azure-native:network:Subnet", "network-container-apps").inputs
    assert nodes["addressPrefix"] == "10.20.0.0/22"
    assert apps["addressPrefix"] == "10.20.8.0/23"
    assert [d["serviceName"] for d in apps["delegations"]] == ["Microsoft.App/environments"]


WEB_FROM_INTERNET = {
    "name": "allow-http-https-from-internet",
    "priority": 100,
    "direction": "Inbound",
    "access": "Allow",
    "protocol": "Tcp",
    "sourceAddressPrefix": "Internet",
    "sourcePortRange": "*",
    "destinationAddressPrefix": "*",
    "destinationPortRanges": ["80", "443"],
}


def _subnet_rules(run: OfflineRun, subnet: str) -> list[dict[str, object]]:
    """The custom rules of the NSG a subnet is attached to (mock ids end in logical names)."""
    nsg_id = run.one("azure-native:network:Subnet", subnet).inputs["networkSecurityGroup"]["id"]
    nsg = run.one("azure-native:network:NetworkSecurityGroup", nsg_id.rsplit("/", 1)[-1])
    return [
        {k: v for k, v in rule.items() if k != "description"}
        for rule in nsg.inputs.get("securityRules", [])
    ]


def _overlay_flows(run: OfflineRun) -> set[tuple[str, str, str, str, str]]:
    """(direction, source, destination, protocol, ports) of the node subnet's other rules."""
    return {
        (
            str(r["direction"]),
            str(r["sourceAddressPrefix"]),
            str(r["destinationAddressPrefix"]),
            str(r["protocol"]),
            str(r["destinationPortRange"]),
        )
        for r in _subnet_rules(run, "network-aks-nodes")
        if r["name"] != WEB_FROM_INTERNET["name"]
    }


@pytest.mark.parametrize("stack", ["dev", "prod"])
def test_each_subnet_has_an_nsg_open_only_to_public_web_ingress(
    runs: dict[str, OfflineRun], stack: str
) -> None:
    """The external Container Apps environment sits behind a public load balancer: HTTP(S) from
    the internet is the one internet rule added to Azure's defaults there. The nodes take
    nothing from the internet by default (`aks.ingress: gateway`: public traffic arrives from
    AGC's subnet, internal traffic on an internal load balancer). The node subnet allows the
    flows Azure CNI Overlay requires (pod addresses are outside the VNet), in both directions,
    and nothing else."""
    run = runs[stack]
    node_rules = _subnet_rules(run, "network-aks-nodes")
    assert WEB_FROM_INTERNET not in node_rules
    network = run.one(CLUSTER).inputs["networkProfile"]
    nodes = run.one("azure-native:network:Subnet", "network-aks-nodes").inputs["addressPrefix"]
    pods = network["podCidr"]
    assert _overlay_flows(run) == {
        (direction, source, destination, "*", "*")
        for direction in ("Inbound", "Outbound")
        for source, destination in ((nodes, nodes), (nodes, pods), (pods, pods))
    }
    assert len(node_rules) == 6
    priorities = [(r["direction"], r["priority"]) for r in node_rules]
    assert len(set(priorities)) == len(priorities), "NSG priorities must be unique per direction"
    assert _subnet_rules(run, "network-container-apps") == [WEB_FROM_INTERNET]


@pytest.mark.parametrize("mode", ["nginx", "both"])
def test_the_managed_nginx_modes_open_the_nodes_to_web_from_the_internet(mode: str) -> None:
    """App routing's public NGINX sits behind a public load balancer in front of the nodes; a
    subnet NSG is evaluated for load-balanced traffic too and denies internet inbound by
    default."""
    base = read_stack("dev")
    aks = json.loads(base.values["platform:aks"])
    stack = dataclasses.replace(
        base, values={**base.values, "platform:aks": json.dumps({**aks, "ingress": mode})}
    )
    run = run_offline(stack, build)
    assert _subnet_rules(run, "network-aks-nodes")[0] == WEB_FROM_INTERNET


def test_an_internal_container_apps_environment_takes_nothing_from_the_internet() -> None:
    base = read_stack("dev")
    apps_config = json.loads(base.values["platform:containerApps"])
    stack = dataclasses.replace(
        base,
        values={
            **base.values,
            "platform:containerApps": json.dumps({**apps_config, "internal": True}),
        },
    )
    run = run_offline(stack, build)
    assert run.one("azure-native:app:ManagedEnvironment").inputs["vnetConfiguration"]["internal"]
    assert _subnet_rules(run, "network-container-apps") == []


@pytest.mark.parametrize("stack", ["dev", "prod"])
def test_cluster_security_settings(runs: dict[str, OfflineRun], stack: str) -> None:
    inputs = cluster(runs[stack])
    assert inputs["disableLocalAccounts"] is True
    assert inputs["aadProfile"]["managed"] is True
    assert inputs["aadProfile"]["enableAzureRBAC"] is True
    assert inputs["oidcIssuerProfile"] == {"enabled": True}
    assert inputs["securityProfile"]["workloadIdentity"] == {"enabled": True}
    network = inputs["networkProfile"]
    assert (network["networkPlugin"], network["networkPluginMode"]) == ("azure", "overlay")
    assert (network["networkDataplane"], network["networkPolicy"]) == ("cilium", "cilium")
    assert network["podCidr"] == "192.168.0.0/16"
    api = inputs["apiServerAccessProfile"]
    # Never open to the internet: a list of ranges (dev) or a private API server (prod).
    assert api.get("authorizedIPRanges") or api.get("enablePrivateCluster") is True
    # aks.ingress: gateway (the default): AGC and Envoy Gateway, no app routing add-on.
    assert inputs["ingressProfile"]["webAppRouting"]["enabled"] is False
    assert inputs["workloadAutoScalerProfile"]["keda"]["enabled"] is True
    assert inputs["azureMonitorProfile"]["metrics"]["enabled"] is True
    addons = inputs["addonProfiles"]
    assert addons["omsagent"]["enabled"] is True
    assert addons["omsagent"]["config"]["logAnalyticsWorkspaceResourceID"].endswith(
        "/workspaces/observability-logs"
    )
    assert addons["omsagent"]["config"]["useAADAuth"] == "true"
    assert addons["azureKeyvaultSecretsProvider"]["config"]["enableSecretRotation"] == "true"
    assert addons["azurepolicy"]["enabled"] is True
    assert inputs["identity"]["type"] == "UserAssigned"


@pytest.mark.parametrize("stack", ["dev", "prod"])
def test_pools_system_tainted_user_autoscaled_and_counts_left_to_autoscaler(
    runs: dict[str, OfflineRun], stack: str
) -> None:
    registration = runs[stack].one(CLUSTER)
    system, user = registration.inputs["agentPoolProfiles"]
    assert (system["mode"], user["mode"]) == ("System", "User")
    assert system["nodeTaints"] == ["CriticalAddonsOnly=true:NoSchedule"]
    assert "nodeTaints" not in user
    assert system["enableAutoScaling"]
    assert user["enableAutoScaling"]
    assert registration.ignore_changes[:2] == (
        "agentPoolProfiles[0].count",
        "agentPoolProfiles[1].count",
    )


def test_prod_uses_three_zones_standard_tier_and_wider_ranges(
    prod: OfflineRun, dev: OfflineRun
) -> None:
    prod_inputs, dev_inputs = cluster(prod), cluster(dev)
    assert prod_inputs["sku"] == {"name": "Base", "tier": "Standard"}
    assert dev_inputs["sku"] == {"name": "Base", "tier": "Free"}
    for pool in prod_inputs["agentPoolProfiles"]:
        assert pool["availabilityZones"] == ["1", "2", "3"]
    assert prod_inputs["agentPoolProfiles"][1]["maxCount"] == 30
    assert dev_inputs["agentPoolProfiles"][1]["maxCount"] == 3


def test_upgrade_channels_and_maintenance_windows(prod: OfflineRun) -> None:
    assert cluster(prod)["autoUpgradeProfile"] == {
        "upgradeChannel": "stable",
        "nodeOSUpgradeChannel": "NodeImage",
    }
    windows = prod.by_type("azure-native:containerservice:MaintenanceConfiguration")
    assert sorted(w.inputs["configName"] for w in windows) == [
        "aksManagedAutoUpgradeSchedule",
        "aksManagedNodeOSUpgradeSchedule",
    ]
    for window in windows:
        spec = window.inputs["maintenanceWindow"]
        assert spec["schedule"]["weekly"] == {"dayOfWeek": "Sunday", "intervalWeeks": 1}
        assert (spec["startTime"], spec["durationHours"], spec["utcOffset"]) == (
            "02:00",
            6,
            "+01:00",
        )


def test_registry_admin_disabled_and_acrpull_for_kubelet_and_container_apps(
    dev: OfflineRun,
) -> None:
    registry = dev.one("azure-native:containerregistry:Registry").inputs
    assert registry["adminUserEnabled"] is False
    assert registry["anonymousPullEnabled"] is False
    grants = [
        r.inputs
        for r in dev.by_type("azure-native:authorization:RoleAssignment")
        if r.inputs["roleDefinitionId"].endswith(ACR_PULL)
    ]
    assert len(grants) == 2
    assert all(g["scope"].endswith("/registries/shopdevacr") for g in grants)
    principals = {g["principalId"] for g in grants}
    pull_identity = dev.one("azure-native:managedidentity:UserAssignedIdentity", "registry-pull")
    assert pull_identity.name == "registry-pull"
    assert len(principals) == 2, "kubelet and pull identity each get AcrPull"
    assert all(principals)


def test_control_plane_identity_may_join_the_node_subnet_before_the_cluster(
    dev: OfflineRun,
) -> None:
    grant = dev.one("azure-native:authorization:RoleAssignment", "aks-control-plane-network")
    assert grant.inputs["scope"].endswith("/subnets/network-aks-nodes")
    assert grant.urn in dev.one(CLUSTER).depends_on


def test_container_apps_environment(dev: OfflineRun, prod: OfflineRun) -> None:
    env = dev.one("azure-native:app:ManagedEnvironment").inputs
    assert env["vnetConfiguration"]["infrastructureSubnetId"].endswith(
        "/subnets/network-container-apps"
    )
    assert env["vnetConfiguration"]["internal"] is False
    # The workspace key is secret; Pulumi keeps the marker on that value, not the whole block.
    logs = env["appLogsConfiguration"]
    assert logs["logAnalyticsConfiguration"]["sharedKey"] == SECRET_MASK
    assert logs["destination"] == "log-analytics"
    assert env["zoneRedundant"] is False
    assert [p["name"] for p in env["workloadProfiles"]] == ["Consumption"]
    prod_env = prod.one("azure-native:app:ManagedEnvironment").inputs
    assert prod_env["zoneRedundant"] is True
    assert [p["name"] for p in prod_env["workloadProfiles"]] == ["Consumption"]
    base = read_stack("prod")
    profile = (
        '{"workloadProfiles": [{"name": "general-d4", "type": "D4", "minCount": 1, "maxCount": 6}]}'
    )
    with_profile = run_offline(
        dataclasses.replace(base, values={**base.values, "platform:containerApps": profile}),
        build,
    )
    dedicated = with_profile.one("azure-native:app:ManagedEnvironment").inputs
    assert dedicated["workloadProfiles"][1] | {"enableFips": False} == {
        "enableFips": False,
        "maximumCount": 6,
        "minimumCount": 1,
        "name": "general-d4",
        "workloadProfileType": "D4",
    }


def test_stateful_resources_protected_in_prod_only(dev: OfflineRun, prod: OfflineRun) -> None:
    for token in STATEFUL:
        assert prod.one(token).protect, f"{token} must be protected in prod"
        assert not dev.one(token).protect, f"{token} stays deletable in dev"


@pytest.mark.parametrize("stack", ["dev", "prod"])
def test_every_taggable_azure_resource_is_tagged(runs: dict[str, OfflineRun], stack: str) -> None:
    azure = [r for r in runs[stack].resources if r.type.startswith("azure-native:")]
    assert azure
    for resource in azure:
        if resource.type in UNTAGGABLE:
            continue
        tags = resource.inputs.get("tags") or {}
        expected = {
            "environment": stack,
            "owner": "platform-team",
            "costCenter": "CC-1042",
            "managedBy": "pulumi",
        }
        assert {k: tags.get(k) for k in expected} == expected, resource.name


@pytest.mark.parametrize("stack", ["dev", "prod"])
def test_children_are_parented_to_components(runs: dict[str, OfflineRun], stack: str) -> None:
    run = runs[stack]
    stack_urn = f"urn:pulumi:{stack}::platform::pulumi:pulumi:Stack::platform-{stack}"
    components = {r.urn for r in run.resources if not r.custom}
    assert components
    for resource in run.resources:
        if resource.custom and resource.type != "azure-native:resources:ResourceGroup":
            assert resource.parent in components, resource.name
        elif not resource.custom:
            # Platform components sit under the stack; library components (helm.v4.Chart)
            # under the platform component that created them.
            assert resource.parent == stack_urn or resource.parent in components, resource.name


def test_kubernetes_provider_survives_credential_rotation(dev: OfflineRun) -> None:
    provider = dev.one("pulumi:providers:kubernetes").inputs
    assert provider["kubeconfig"] == SECRET_MASK
    assert provider["clusterIdentifier"].endswith("/managedclusters/aks-shop-dev")


def test_kubeconfig_login_is_rewritten_for_automation() -> None:
    rewritten = yaml.safe_load(with_login_mode(fake_kubeconfig("c"), "workloadidentity"))
    args = rewritten["users"][0]["user"]["exec"]["args"]
    assert args[-2:] == ["--login", "workloadidentity"]
    assert "devicecode" not in args
    assert "--client-id" not in args
    assert "--server-id" in args
    kept = yaml.safe_load(with_login_mode(fake_kubeconfig("c"), "devicecode"))
    assert "--client-id" in kept["users"][0]["user"]["exec"]["args"]


@pytest.mark.parametrize("stack", ["dev", "prod"])
def test_stack_outputs(runs: dict[str, OfflineRun], stack: str) -> None:
    outputs = runs[stack].outputs
    assert outputs["resourceGroupName"] == f"rg-shop-{stack}"
    assert outputs["clusterName"] == f"aks-shop-{stack}"
    assert outputs["oidcIssuerUrl"].startswith("https://")
    assert outputs["kubeconfig"] == SECRET_MASK
    assert outputs["registryLoginServer"] == f"shop{stack}acr.azurecr.io"
    assert outputs["containerAppsEnvironmentId"].endswith("/managedenvironments/container-apps-env")
    assert outputs["containerAppsDefaultDomain"].endswith(".azurecontainerapps.io")


def test_preview_registers_what_up_would(dev: OfflineRun) -> None:
    """Resources created inside apply() would be missing from a real preview."""
    previewed = run_offline(read_stack("dev"), build, preview=True)
    assert sorted(r.urn for r in previewed.resources) == sorted(r.urn for r in dev.resources)


@pytest.mark.slow
def test_program_starts_the_way_the_pulumi_language_host_starts_it() -> None:
    """cwd infra/, only infra/ importable, runpy of __main__.py: what `pulumi up` does."""
    result = subprocess.run(
        [
            sys.executable,
            str(ROOT / "tests" / "langhost_bootstrap.py"),
            json.dumps(read_stack("dev").values),
        ],
        cwd=ROOT / "infra",
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
        env={"PATH": "/usr/bin:/bin"},
    )
    assert "program-ok" in result.stdout, result.stderr[-3000:]


@pytest.mark.parametrize("stack", ["dev", "prod"])
def test_managed_prometheus_metrics_have_somewhere_to_go(
    runs: dict[str, OfflineRun], stack: str
) -> None:
    run = runs[stack]
    workspace = run.one("azure-native:monitor:AzureMonitorWorkspace")
    rule = run.one("azure-native:monitor:DataCollectionRule", "prometheus-rule").inputs
    assert rule["kind"] == "Linux"
    assert rule["dataSources"]["prometheusForwarder"][0]["streams"] == [
        "Microsoft-PrometheusMetrics"
    ]
    account = rule["destinations"]["monitoringAccounts"][0]
    assert account["accountResourceId"].endswith("/prometheus-workspace")
    assert rule["dataFlows"] == [
        {"destinations": [account["name"]], "streams": ["Microsoft-PrometheusMetrics"]}
    ]
    associations = {
        a.inputs["associationName"]: a.inputs
        for a in run.by_type("azure-native:monitor:DataCollectionRuleAssociation")
    }
    cluster_id = run.one(CLUSTER).inputs["resourceName"]
    assert all(
        a["resourceUri"].endswith(f"/managedclusters/{cluster_id}") for a in associations.values()
    )
    assert "dataCollectionEndpointId" in associations["configurationAccessEndpoint"]
    assert any("dataCollectionRuleId" in a for a in associations.values())
    assert workspace.protect is (stack == "prod")


@pytest.mark.parametrize("stack", ["dev", "prod"])
def test_container_insights_collects_into_the_shared_workspace_with_its_identity(
    runs: dict[str, OfflineRun], stack: str
) -> None:
    """With useAADAuth the add-on collects nothing until a rule associated with the cluster
    says what and where: the rule, its destination and the association must all be there."""
    run = runs[stack]
    rule = run.one("azure-native:monitor:DataCollectionRule", "container-insights-rule")
    inputs = rule.inputs
    cluster = run.one(CLUSTER).inputs
    assert inputs["kind"] == "Linux"
    assert inputs["dataCollectionRuleName"] == (
        f"MSCI-{inputs['location']}-{cluster['resourceName']}"
    )
    (extension,) = inputs["dataSources"]["extensions"]
    assert extension["extensionName"] == "ContainerInsights"
    assert extension["streams"] == ["Microsoft-ContainerInsights-Group-Default"]
    assert extension["extensionSettings"]["dataCollectionSettings"]["enableContainerLogV2"] is True
    (destination,) = inputs["destinations"]["logAnalytics"]
    assert (
        destination["workspaceResourceId"]
        == (cluster["addonProfiles"]["omsagent"]["config"]["logAnalyticsWorkspaceResourceID"])
    )
    assert inputs["dataFlows"] == [
        {
            "destinations": [destination["name"]],
            "streams": ["Microsoft-ContainerInsights-Group-Default"],
        }
    ]
    association = next(
        a.inputs
        for a in run.by_type("azure-native:monitor:DataCollectionRuleAssociation")
        if a.inputs["associationName"] == "ContainerInsightsExtension"
    )
    assert association["resourceUri"].endswith(f"/managedclusters/{cluster['resourceName']}")
    # The mocks derive ids from logical names: this is the rule above.
    assert association["dataCollectionRuleId"].endswith("/container-insights-rule")
    assert rule.parent.endswith("platform:foundation:ContainerInsights::container-insights")


def test_prod_reaches_key_vault_and_the_registry_through_private_endpoints(
    prod: OfflineRun, dev: OfflineRun
) -> None:
    """Each endpoint sits in the private-endpoints subnet (NSG applied), targets the right
    sub-resource, and its privatelink zone is linked to the VNet and kept in step by a zone
    group, so the usual names resolve privately from nodes and Container Apps."""
    subnet = prod.one("azure-native:network:Subnet", "network-private-endpoints").inputs
    assert subnet["addressPrefix"] == "10.30.18.0/27"
    assert subnet["privateEndpointNetworkPolicies"] == "Enabled"
    assert subnet["networkSecurityGroup"]["id"].endswith("/network-private-endpoints-nsg")
    vault_name = prod.one("azure-native:keyvault:Vault").inputs["vaultName"]
    registry_name = prod.one("azure-native:containerregistry:Registry").inputs["registryName"]
    expected = {
        "keyvault": ("vault", "privatelink.vaultcore.azure.net", vault_name),
        "registry": ("registry", "privatelink.azurecr.io", registry_name),
    }
    links: dict[str, set[str]] = {}
    for link in prod.by_type("azure-native:privatedns:VirtualNetworkLink"):
        links.setdefault(link.inputs["privateZoneName"], set()).add(
            link.inputs["virtualNetwork"]["id"]
        )
    runner_vnet = json.loads(read_stack("prod").values["platform:deployRunner"])["vnet"]["id"]
    for target, (group, zone_name, resource_name) in expected.items():
        endpoint = prod.one("azure-native:network:PrivateEndpoint", f"private-endpoints-{target}")
        assert endpoint.inputs["subnet"]["id"].endswith("/subnets/network-private-endpoints")
        (connection,) = endpoint.inputs["privateLinkServiceConnections"]
        assert connection["groupIds"] == [group]
        provider, resource_type, name = connection["privateLinkServiceId"].split("/")[-3:]
        # Azure resource ids compare case-insensitively.
        assert (provider.lower(), resource_type.lower(), name) == {
            "keyvault": ("microsoft.keyvault", "vaults", resource_name),
            "registry": ("microsoft.containerregistry", "registries", resource_name),
        }[target]
        zone = prod.one("azure-native:privatedns:PrivateZone", f"private-endpoints-{target}-zone")
        assert zone.inputs["privateZoneName"] == zone_name
        # The platform VNet resolves it, and so does the deploy runner's (peered) VNet.
        assert {vnet.rsplit("/", 1)[1] for vnet in links[zone_name]} == {
            "network-vnet",
            "vnet-runners",
        }
        assert runner_vnet in links[zone_name]
        group_resource = prod.one(
            "azure-native:network:PrivateDnsZoneGroup",
            f"private-endpoints-{target}-dns",
        ).inputs
        assert group_resource["privateEndpointName"] == endpoint.name
        (config,) = group_resource["privateDnsZoneConfigs"]
        assert config["privateDnsZoneId"].endswith(f"/{zone_name}")
    assert dev.by_type("azure-native:network:PrivateEndpoint") == []


def test_prod_peers_the_runner_vnet_and_links_the_api_server_zone_to_it(prod: OfflineRun) -> None:
    """A runner in a peered VNet resolves none of the private names without a DNS link: the
    private API server's zone (AKS makes it in the node resource group) gets one too, and the
    Kubernetes provider waits for it and for both peerings."""
    runner_vnet = json.loads(read_stack("prod").values["platform:deployRunner"])["vnet"]["id"]
    api_link = prod.one("azure-native:privatedns:VirtualNetworkLink", "aks-api-server-runner-link")
    assert api_link.inputs["virtualNetwork"]["id"] == runner_vnet
    assert ".privatelink.westeurope.azmk8s.io" in api_link.inputs["privateZoneName"]
    assert api_link.inputs["resourceGroupName"].startswith("MC_")
    peerings = {
        p.name: p.inputs for p in prod.by_type("azure-native:network:VirtualNetworkPeering")
    }
    assert peerings["deploy-runner-to-runner"]["remoteVirtualNetwork"]["id"] == runner_vnet
    assert peerings["deploy-runner-from-runner"]["virtualNetworkName"] == "vnet-runners"
    assert peerings["deploy-runner-from-runner"]["resourceGroupName"] == "rg-runners"
    provider = prod.one("pulumi:providers:kubernetes")
    waits_for = {urn.rsplit("::", 1)[1] for urn in provider.depends_on}
    assert {
        "aks-api-server-runner-link",
        "deploy-runner-to-runner",
        "deploy-runner-from-runner",
    } <= waits_for


def test_public_access_to_vault_and_registry_can_be_closed_behind_the_endpoints() -> None:
    base = read_stack("prod")
    values = dict(base.values)
    for section in ("platform:registry", "platform:keyVault"):
        current = json.loads(values.get(section, "{}"))
        values[section] = json.dumps({**current, "publicNetworkAccess": False})
    # Only a runner whose VNet is peered and linked can still push images and seed secrets:
    # prod declares one (deployRunner.vnet).
    assert "vnet" in json.loads(values["platform:deployRunner"])
    closed = run_offline(dataclasses.replace(base, values=values), build)
    vault = closed.one("azure-native:keyvault:Vault").inputs["properties"]
    assert vault["publicNetworkAccess"] == "Disabled"
    assert vault["networkAcls"] == {"bypass": "AzureServices", "defaultAction": "Deny"}
    registry = closed.one("azure-native:containerregistry:Registry").inputs
    assert registry["publicNetworkAccess"] == "Disabled"
    assert len(closed.by_type("azure-native:network:PrivateEndpoint")) == 2


def test_vault_and_registry_stay_public_by_default(dev: OfflineRun) -> None:
    """Public unless a stack closes them (prod does: its deploy runner is in the VNet)."""
    vault = dev.one("azure-native:keyvault:Vault").inputs["properties"]
    assert vault["publicNetworkAccess"] == "Enabled"
    assert "networkAcls" not in vault
    registry = dev.one("azure-native:containerregistry:Registry").inputs
    assert registry["publicNetworkAccess"] == "Enabled"
