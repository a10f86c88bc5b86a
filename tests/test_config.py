"""Stack config: both stack files are valid; bad config fails once, naming every bad key."""

from __future__ import annotations

import copy
import json
import re
from pathlib import Path
from typing import Any

import pytest
import yaml

from infra.config import Environment
from infra.config_loader import platform_config_from_values
from infra.preview.engine import ProgramFailed, run_offline
from infra.preview.stackfile import ROOT, StackConfig, read_stack
from infra.problems import InvalidInput
from infra.program import build


def stack_values(stack: str) -> dict[str, Any]:
    """The `platform:*` values of a stack file, as Python objects, keys without namespace."""
    document = yaml.safe_load((ROOT / f"Pulumi.{stack}.yaml").read_text())
    return {
        k.split(":", 1)[1]: v for k, v in document["config"].items() if k.startswith("platform:")
    }


def as_cli(values: dict[str, Any]) -> dict[str, str]:
    return {k: v if isinstance(v, str) else json.dumps(v) for k, v in values.items()}


def problems_for(values: dict[str, Any]) -> list[str]:
    with pytest.raises(InvalidInput) as caught:
        platform_config_from_values(as_cli(values))
    return [p.render().strip() for p in caught.value.problems]


@pytest.mark.parametrize("stack", ["dev", "prod"])
def test_stack_files_are_valid(stack: str) -> None:
    config = platform_config_from_values(as_cli(stack_values(stack)))
    assert config.environment is Environment(stack)


def test_dev_and_prod_differ_where_they_should() -> None:
    dev = platform_config_from_values(as_cli(stack_values("dev")))
    prod = platform_config_from_values(as_cli(stack_values("prod")))
    assert (dev.aks.tier, prod.aks.tier) == ("Free", "Standard")
    assert dev.aks.zones == ()
    assert prod.aks.zones == ("1", "2", "3")
    assert prod.aks.user_pool.max_count > dev.aks.user_pool.max_count
    assert not dev.protect_stateful
    assert prod.protect_stateful
    assert prod.container_apps.zone_redundant
    assert not dev.container_apps.zone_redundant


def _mutate(stack: str, path: str, value: Any) -> dict[str, Any]:
    values = copy.deepcopy(stack_values(stack))
    *parents, last = path.split(".")
    target = values
    for part in parents:
        target = target.setdefault(part, {})
    if value is _DELETE:
        del target[last]
    else:
        target[last] = value
    return values


_DELETE = object()

BAD_CONFIG = [
    (
        "dev",
        "location",
        _DELETE,
        "platform:location: required key is missing → set it: an Azure region name, e.g. westeurope",
    ),
    (
        "dev",
        "lcoation",
        "westeurope",
        "platform:lcoation = 'westeurope': unknown key → did you mean 'location'?",
    ),
    (
        "dev",
        "aks.userPool.maxCont",
        3,
        "platform:aks.userPool.maxCont = 3: unknown key → did you mean 'maxCount'?",
    ),
    (
        "dev",
        "aks.userPool.minCount",
        "three",
        "platform:aks.userPool.minCount = 'three': Input should be a valid integer, unable to parse string as an integer → expected the autoscaler's floor, 1..1000",
    ),
    (
        "dev",
        "aks.userPool.minCount",
        5,
        "platform:aks.userPool.minCount = 5: is greater than maxCount 3 → lower minCount or raise maxCount",
    ),
    (
        "dev",
        "aks.tier",
        "Gold",
        "platform:aks.tier = 'Gold': Input should be 'Free', 'Standard' or 'Premium' → expected Free for dev, Standard (uptime SLA) for prod, Premium for long-term support",
    ),
    (
        "dev",
        "network.vnetCidr",
        "10.20.0.0/33",
        "platform:network.vnetCidr = '10.20.0.0/33': Input is not a valid IPv4 network → expected the VNet range, e.g. 10.20.0.0/16",
    ),
    (
        "dev",
        "network.containerAppsSubnetCidr",
        "10.20.2.0/23",
        "platform:network.containerAppsSubnetCidr = 10.20.2.0/23: overlaps aksNodesSubnetCidr 10.20.0.0/22 → give each subnet its own range",
    ),
    (
        "prod",
        "network.privateEndpointsSubnetCidr",
        "10.30.17.0/27",
        "platform:network.privateEndpointsSubnetCidr = 10.30.17.0/27: overlaps containerAppsSubnetCidr 10.30.16.0/23 → give each subnet its own range",
    ),
    (
        "prod",
        "network.privateEndpointsSubnetCidr",
        "10.31.0.0/27",
        "platform:network.privateEndpointsSubnetCidr = 10.31.0.0/27: is outside vnetCidr 10.30.0.0/16 → pick a range inside 10.30.0.0/16",
    ),
    (
        "prod",
        "network.privateEndpointsSubnetCidr",
        "10.30.18.0/29",
        "platform:network.privateEndpointsSubnetCidr = 10.30.18.0/29: is too small: Azure reserves 5 addresses in every subnet → use a /28 or larger",
    ),
    (
        "dev",
        "network.privateEndpointsSubnetCidr",
        "10.20.10.0/27",
        "platform:registry.sku = Basic: a registry reachable through a private endpoint must be Premium → set registry.sku to Premium, or remove network.privateEndpointsSubnetCidr",
    ),
    (
        "dev",
        "registry.publicNetworkAccess",
        False,
        "platform:registry.publicNetworkAccess = false: would leave no way in: there is no private endpoint → set network.privateEndpointsSubnetCidr, or keep publicNetworkAccess true",
    ),
    (
        "dev",
        "keyVault.publicNetworkAccess",
        False,
        "platform:keyVault.publicNetworkAccess = false: would leave no way in: there is no private endpoint → set network.privateEndpointsSubnetCidr, or keep publicNetworkAccess true",
    ),
    (
        "dev",
        "network.containerAppsSubnetCidr",
        "10.20.8.0/28",
        "platform:network.containerAppsSubnetCidr = 10.20.8.0/28: is too small for a workload-profiles environment → use a /27 or larger (/23 leaves room to grow)",
    ),
    (
        "dev",
        "network.aksNodesSubnetCidr",
        "10.99.0.0/22",
        "platform:network.aksNodesSubnetCidr = 10.99.0.0/22: is outside vnetCidr 10.20.0.0/16 → pick a range inside 10.20.0.0/16",
    ),
    (
        "dev",
        "network.podCidr",
        "10.20.0.0/14",
        "platform:network.podCidr = 10.20.0.0/14: overlaps vnetCidr 10.20.0.0/16 → use a range outside the VNet (pods and services are not VNet addresses)",
    ),
    (
        "dev",
        "network.dnsServiceIp",
        "10.0.0.10",
        "platform:network.dnsServiceIp = 10.0.0.10: must be a usable address inside serviceCidr 172.16.0.0/16 → use e.g. 172.16.0.10",
    ),
    (
        "dev",
        "aks.zones",
        ["1", "4"],
        "platform:aks.zones[1] = '4': Input should be '1', '2' or '3' → expected availability zones, e.g. [\"1\", \"2\", \"3\"]",
    ),
    (
        "dev",
        "aks.zones",
        ["1", "1"],
        "platform:aks.zones = ['1', '1']: lists a zone twice → list each zone once",
    ),
    (
        "prod",
        "aks.zones",
        ["1"],
        'platform:aks.zones = [\'1\']: prod must survive the loss of a zone → set zones: ["1", "2", "3"] in a zonal region',
    ),
    (
        "prod",
        "aks.tier",
        "Free",
        "platform:aks.tier = Free: the Free tier has no uptime SLA → use Standard (or Premium) in prod",
    ),
    (
        "dev",
        "aks.apiServer.authorizedIpRanges",
        [],
        "platform:aks.apiServer: the API server would be open to the whole internet → list authorizedIpRanges (your office/CI egress CIDRs) or set privateCluster: true",
    ),
    (
        "dev",
        "aks.apiServer.authorizedIpRanges",
        ["0.0.0.0/0"],
        "platform:aks.apiServer.authorizedIpRanges[0] = 0.0.0.0/0: allows every address → list only the CIDRs that need access",
    ),
    (
        "dev",
        "aks.maintenanceWindow.startTime",
        "25:00",
        "platform:aks.maintenanceWindow.startTime = '25:00': String should match pattern '^([01]\\d|2[0-3]):[0-5]\\d$' → expected HH:MM in 24h, e.g. 02:00",
    ),
    (
        "dev",
        "environment",
        "production",
        "platform:environment = 'production': Input should be 'dev', 'staging', 'prod' or 'local' → expected dev, staging, prod or local",
    ),
    (
        "dev",
        "aks.userPool.maxCount",
        1200,
        "platform:aks.userPool.maxCount = 1200: Input should be less than or equal to 1000 → expected the autoscaler's ceiling, 1..1000, at least minCount",
    ),
]


@pytest.mark.parametrize(("stack", "path", "value", "expected"), BAD_CONFIG)
def test_bad_config_is_named_with_its_fix(stack: str, path: str, value: Any, expected: str) -> None:
    assert expected in problems_for(_mutate(stack, path, value))


def test_small_node_subnet_is_refused_for_the_pools_it_must_hold() -> None:
    values = _mutate("prod", "network.aksNodesSubnetCidr", "10.30.0.0/27")
    assert any("usable addresses, fewer than" in p for p in problems_for(values))


def test_zones_in_a_region_without_zones_are_refused() -> None:
    values = _mutate("dev", "location", "northcentralus")
    values["aks"]["zones"] = ["1"]
    assert (
        "platform:aks.zones = ['1']: region northcentralus has no availability zones → remove zones or pick a zonal region such as westeurope"
        in problems_for(values)
    )


def test_every_problem_is_reported_at_once() -> None:
    values = _mutate("dev", "lcoation", "x")
    values["aks"]["tier"] = "Gold"
    values["network"]["vnetCidr"] = "not-a-cidr"
    with pytest.raises(InvalidInput) as caught:
        platform_config_from_values(as_cli(values))
    message = str(caught.value)
    assert message.startswith("3 problems in the stack config")
    for key in ("platform:lcoation", "platform:aks.tier", "platform:network.vnetCidr"):
        assert key in message


def test_bad_config_registers_nothing() -> None:
    good = read_stack("dev")
    values = dict(good.values)
    values["platform:aks"] = values["platform:aks"].replace('"Free"', '"Gold"')
    bad = StackConfig(good.stack, good.project, values, good.secret_keys)
    with pytest.raises(ProgramFailed) as caught:
        run_offline(bad, build)
    assert isinstance(caught.value.cause, InvalidInput)
    assert "platform:aks.tier" in str(caught.value)
    assert caught.value.run.resources == []


def test_the_ingress_mode_is_one_typed_value_with_the_properties_the_stages_ask() -> None:
    """`aks.ingress` is decided once (issue 22): the stages read these properties, never the
    setting's text, so a mode's meaning cannot differ between two files."""
    from infra.config import IngressMode

    table = {
        IngressMode.GATEWAY: (True, True, False),
        IngressMode.BOTH: (True, False, True),
        IngressMode.NGINX: (False, False, True),
    }
    for mode, expected in table.items():
        assert (mode.public_gateway, mode.internal_gateway, mode.managed_nginx) == expected
    assert set(table) == set(IngressMode)
    infra = Path(__file__).resolve().parents[1] / "infra"
    compared = [
        f"{path.relative_to(infra.parent)}:{number}"
        for path in infra.rglob("*.py")
        for number, line in enumerate(path.read_text().splitlines(), 1)
        if re.search(r"\.ingress\s*(==|!=|in \()\s*\(?\"(gateway|both|nginx)\"", line)
    ]
    assert compared == [], "ask IngressMode's properties instead"
