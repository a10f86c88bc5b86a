"""The deploy runner's network (rules `private-api-server-unreachable` and
`runner-private-endpoint-unresolvable`): a private name resolves only from a VNet peered with the
platform's and linked to the name's private DNS zone."""

from __future__ import annotations

from typing import Any

from infra.preview.mocks import DEPLOYER_OBJECT_ID
from infra.simulate import World
from infra.simulate.azure import KEY_VAULT_SECRETS_OFFICER
from infra.simulate.bootstrap import bootstrap
from tests.simulate_builders import (
    RG,
    SLEEP_TOKEN,
    SUB,
    VAULT_ID,
    admin_grant,
    cluster,
    container_app,
    grant,
    identity,
    identity_id,
    k8s,
    plan,
    provider,
    res,
    rules_of,
    sleep,
    urn,
)

VNET = "azure-native:network:VirtualNetwork"
PEERING = "azure-native:network:VirtualNetworkPeering"
LINK = "azure-native:privatedns:VirtualNetworkLink"
RUNNER_VNET = (
    f"{SUB}/resourceGroups/rg-runners/providers/Microsoft.Network/virtualNetworks/vnet-runners"
)
PLATFORM_VNET = f"{RG}/providers/Microsoft.Network/virtualNetworks/network-vnet"
API_ZONE = "0f1e2d3c.privatelink.westeurope.azmk8s.io"
NAMESPACE = "kubernetes:core/v1:Namespace"


def runner_network(*zones: str, peered: bool = True) -> list[dict[str, Any]]:
    """The platform VNet, the peering both ways and a link from each zone to the runner's VNet."""
    found = [res(VNET, "network-vnet", {"virtualNetworkName": "network-vnet"})]
    if peered:
        found += [
            res(
                PEERING,
                "to-runner",
                {
                    "virtualNetworkName": "network-vnet",
                    "remoteVirtualNetwork": {"id": RUNNER_VNET},
                },
            ),
            res(
                PEERING,
                "from-runner",
                {
                    "virtualNetworkName": "vnet-runners",
                    "remoteVirtualNetwork": {"id": PLATFORM_VNET},
                },
            ),
        ]
    found += [
        res(
            LINK,
            f"{zone}-platform-link",
            {"privateZoneName": zone, "virtualNetwork": {"id": PLATFORM_VNET}},
        )
        for zone in zones
    ]
    found += [
        res(
            LINK,
            f"{zone}-runner-link",
            {"privateZoneName": zone, "virtualNetwork": {"id": RUNNER_VNET}},
        )
        for zone in zones
    ]
    return found


def private_cluster_plan(network: list[dict[str, Any]]) -> list[dict[str, Any]]:
    waits = (
        urn(SLEEP_TOKEN, "aks-rbac-propagation"),
        *(urn(r["type"], r["name"]) for r in network),
    )
    return [
        cluster(apiServerAccessProfile={"enablePrivateCluster": True}),
        admin_grant(),
        sleep(
            "aks-rbac-propagation",
            "300s",
            (urn("azure-native:authorization:RoleAssignment", "aks-deployer-cluster-admin"),),
        ),
        *network,
        provider(deps=waits),
        k8s(NAMESPACE, "ns", {"metadata": {"name": "shop"}}),
    ]


# --- private-api-server-unreachable -----------------------------------------------------------


def test_an_object_for_a_private_cluster_without_the_runner_link_is_refused() -> None:
    """Today's prod: the API server zone is linked to the cluster's VNet only."""
    only_platform = [r for r in runner_network(API_ZONE) if not r["name"].endswith("-runner-link")]
    assert "private-api-server-unreachable" in rules_of(plan(*private_cluster_plan(only_platform)))


def test_a_linked_but_unpeered_runner_vnet_is_refused() -> None:
    unpeered = runner_network(API_ZONE, peered=False)
    assert "private-api-server-unreachable" in rules_of(plan(*private_cluster_plan(unpeered)))


def test_a_link_the_provider_does_not_wait_for_is_refused() -> None:
    steps = private_cluster_plan(runner_network(API_ZONE))
    for step in steps:
        if step["type"] == "pulumi:providers:kubernetes":
            step["options"]["dependsOn"] = [urn(SLEEP_TOKEN, "aks-rbac-propagation")]
    assert "private-api-server-unreachable" in rules_of(plan(*steps))


def test_an_object_for_a_private_cluster_from_a_peered_and_linked_runner_is_accepted() -> None:
    assert "private-api-server-unreachable" not in rules_of(
        plan(*private_cluster_plan(runner_network(API_ZONE)))
    )


def test_a_public_cluster_needs_no_runner_network() -> None:
    steps = [
        cluster(),
        admin_grant(),
        sleep(
            "aks-rbac-propagation",
            "300s",
            (urn("azure-native:authorization:RoleAssignment", "aks-deployer-cluster-admin"),),
        ),
        provider(deps=(urn(SLEEP_TOKEN, "aks-rbac-propagation"),)),
        k8s(NAMESPACE, "ns", {}),
    ]
    assert rules_of(plan(*steps)) == set()


# --- runner-private-endpoint-unresolvable (bootstrap) -----------------------------------------


def _closed_vault_world(network: list[dict[str, Any]]) -> World:
    foundation = plan(
        res(
            "azure-native:keyvault:Vault",
            "keyvault",
            {
                "vaultName": "kv-t",
                "properties": {"publicNetworkAccess": "Disabled"},
            },
        ),
        grant("deployer-officer", DEPLOYER_OBJECT_ID, KEY_VAULT_SECRETS_OFFICER, VAULT_ID),
        *network,
    )
    return World(resources=dict(foundation.resources))


def _app_reading_the_vault() -> Any:
    return plan(
        identity("api-identity"),
        container_app(
            "api",
            secrets=[
                {
                    "name": "db",
                    "keyVaultUrl": "https://kv-t.vault.azure.net/secrets/db-password",
                    "identity": identity_id("api-identity"),
                }
            ],
        ),
    )


def test_seeding_a_closed_vault_from_an_unlinked_runner_is_refused() -> None:
    phase, _ = bootstrap(_app_reading_the_vault(), _closed_vault_world([]))
    (found,) = [r for r in phase.refusals if r.rule == "runner-private-endpoint-unresolvable"]
    assert found.resource == "vault kv-t"
    assert "privatelink.vaultcore.azure.net" in found.why


def test_seeding_a_closed_vault_from_a_peered_and_linked_runner_is_accepted() -> None:
    world = _closed_vault_world(runner_network("privatelink.vaultcore.azure.net"))
    phase, _ = bootstrap(_app_reading_the_vault(), world)
    assert phase.refusals == []
