"""A service moved between targets (AKS ↔ Container Apps) reads as a move: a note that its
address changes for its callers, and what its host's DNS needs; the host's record set is kept
through aliases (one Azure record, two owners), which the deploy simulator checks."""

from __future__ import annotations

import io
from typing import Any

import pytest
from rich.console import Console

from infra.preview.diff import Operation, PlanDiff, diff, to_json
from infra.preview.report import markdown, print_diff
from infra.services.spec import Exposure, Ingress, Target, Tls
from infra.simulate import World
from tests.preview_edits import Apps, plan, service, setting
from tests.simulate_builders import plan as sim_plan
from tests.simulate_builders import refusals, res

CERT = "https://kv-shop-prod.vault.azure.net/certificates/api-example-com"
CLUSTER_ADDRESS = "http://catalog-api.storefront.svc.cluster.local"


def _text(result: PlanDiff) -> str:
    console = Console(record=True, no_color=True, width=300, file=io.StringIO())
    print_diff(result, console)
    return console.export_text()


@pytest.fixture(scope="module")
def catalog_move() -> PlanDiff:
    """dev: catalog-api (AKS, called by admin-web, stock-sync, web and a job) → Container Apps."""
    return diff(plan("dev"), plan("dev", apps=service("catalog-api", target=Target.CONTAINER_APPS)))


def test_a_move_says_the_address_changes_and_who_gets_the_new_one(catalog_move: PlanDiff) -> None:
    (move,) = catalog_move.moves
    assert (move.service, move.before, move.after) == ("catalog-api", "AKS", "Container Apps")
    callers = {caller: (old, new) for caller, old, new in move.callers}
    assert {"admin-web", "stock-sync", "web", "catalog-reindex"} <= set(callers)
    # The new address names the stack output that holds the real domain, not the mocks' value.
    assert callers["admin-web"] == (
        CLUSTER_ADDRESS,
        "https://catalog-api.<containerAppsDefaultDomain>",
    )
    text = _text(catalog_move)
    assert "catalog-api moves AKS → Container Apps: its address changes" in text
    assert "callers get the new address in this deploy:" in text
    comment = markdown(catalog_move)
    note = comment.index("> **catalog-api moves AKS → Container Apps")
    assert note < comment.index("| | create | update | replace | delete |")
    assert to_json(catalog_move)["moves"][0]["to"] == "Container Apps"


def _public_api(target: Target, host: str = "api.example.com") -> Any:
    """The extra application's aks-api, public on `host` (TLS from the platform vault)."""

    def edit(apps: Apps) -> Apps:
        ingress = Ingress(
            exposure=Exposure.PUBLIC, host=host, tls=Tls(key_vault_certificate_uri=CERT)
        )
        return service("aks-api", target=target, ingress=ingress)(apps)

    return edit


@pytest.fixture(scope="module")
def host_plans() -> dict[str, dict[str, Any]]:
    """prod (aks.ingress: gateway, DNS zone example.com) with aks-api public on each target."""
    gateway = setting("aks", "ingress", value="gateway")
    return {
        target.value: plan("prod", apps=_public_api(target), config=gateway)
        for target in (Target.AKS, Target.CONTAINER_APPS)
    }


@pytest.mark.parametrize("direction", ["to-container-apps", "to-aks"])
def test_the_hosts_record_set_is_kept_when_the_service_moves(
    host_plans: dict[str, dict[str, Any]], direction: str
) -> None:
    aks, aca = host_plans["aks"], host_plans["container-apps"]
    base, head = (aks, aca) if direction == "to-container-apps" else (aca, aks)
    result = diff(base, head)
    cnames = [
        c
        for c in result.changes
        if c.type == "azure-native:dns:RecordSet"
        and c.name in ("aks-api-gateway-host", "aks-api-domain-address")
    ]
    # One Azure record set (CNAME api in example.com): updated, never created and deleted.
    assert [c.operation for c in cnames] == [Operation.UPDATE], cnames
    (move,) = result.moves
    (cname,) = [r for r in move.records if r.startswith("~ CNAME api.example.com:")]
    if direction == "to-container-apps":
        assert cname.endswith(
            "<publicGatewayFrontends.extra> → aks-api.<containerAppsDefaultDomain>"
        )
        assert "+ TXT asuid.api.example.com → <containerAppsDomainVerificationId>" in move.records
    else:
        assert cname.endswith(
            "aks-api.<containerAppsDefaultDomain> → <publicGatewayFrontends.extra>"
        )
    assert move.needs == ()


def test_a_host_outside_the_zone_says_what_records_and_stack_value_it_needs() -> None:
    """Container Apps binds a host only once its records exist; outside the platform's zone
    someone makes them and the platform's stack file lists the host (`dns.recordsPresent`)."""
    host = "api.other.org"
    present = setting("dns", "recordsPresent", value=[host])
    base = plan("prod", apps=_public_api(Target.AKS, host), config=present)
    head = plan("prod", apps=_public_api(Target.CONTAINER_APPS, host), config=present)
    (move,) = diff(base, head).moves
    needs = "\n".join(move.needs)
    assert f"TXT asuid.{host} = <containerAppsDomainVerificationId>" in needs
    assert f"CNAME {host} → aks-api.<containerAppsDefaultDomain> before this deploy" in needs
    assert "platform:dns.recordsPresent in Pulumi.prod.yaml" in needs
    assert "az containerapp env list -g rg-shop-prod" in needs


# --- deploy simulator: dns-record-set-held ------------------------------------------------------

RECORD = "azure-native:dns:RecordSet"


def _cname(name: str, parent: str, aliases: tuple[str, ...] = ()) -> dict[str, Any]:
    record = res(
        RECORD,
        name,
        {
            "zoneName": "example.com",
            "resourceGroupName": "rg-dns",
            "relativeRecordSetName": "api",
            "recordType": "CNAME",
            "cnameRecord": {"cname": f"{name}.example.net"},
        },
        parent=parent,
    )
    if aliases:
        record["aliases"] = list(aliases)
    return record


def _world_with_gateway_record() -> tuple[World, dict[str, Any]]:
    held = _cname(
        "api-gateway-host", "urn:pulumi:t::p::platform:services:PublicGateway::public-gateway"
    )
    return World(resources=dict(sim_plan(held).resources)), held


def test_a_record_set_moved_to_a_new_owner_without_an_alias_is_refused() -> None:
    world, _ = _world_with_gateway_record()
    moved = _cname("api-domain-address", "")
    (found,) = refusals(sim_plan(moved), world)
    assert found.rule == "dns-record-set-held"
    assert "pulumi.Alias(name='api-gateway-host'" in found.fix


def test_a_record_set_moved_with_an_alias_is_an_update_and_accepted() -> None:
    world, held = _world_with_gateway_record()
    moved = _cname("api-domain-address", "", (held["urn"],))
    assert refusals(sim_plan(moved), world) == []
