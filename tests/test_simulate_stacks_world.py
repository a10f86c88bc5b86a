"""One simulated world, several stacks (docs/simulator.md, "Team stacks"): a stack's run changes
only its own resources, and what another stack holds cannot be created again
(`resource-held-by-another-stack`)."""

from __future__ import annotations

from typing import Any

from infra.simulate import Plan, World, replay
from infra.simulate.replay import applied
from infra.simulate.rules.held import provider_error
from infra.simulate.scenario import TeamPlans, simulate_team
from tests.simulate_builders import RG, container_app, res

ENVIRONMENT = f"{RG}/providers/Microsoft.App/managedEnvironments/container-apps-env"
OTHER_ENVIRONMENT = f"{RG}/providers/Microsoft.App/managedEnvironments/other-env"
RECORD_SET = "azure-native:privatedns:PrivateRecordSet"


def of_stack(stack: str, *resources: dict[str, Any]) -> Plan:
    """A plan of `stack`: the builders' resources with their URNs in that stack."""
    moved = [
        {**r, "urn": r["urn"].replace("urn:pulumi:t::", f"urn:pulumi:{stack}::")} for r in resources
    ]
    return Plan.from_snapshot({"stack": stack, "resources": moved})


def app(name: str, group: str, environment: str = ENVIRONMENT) -> dict[str, Any]:
    found = container_app(name)
    found["inputs"] |= {"resourceGroupName": group, "managedEnvironmentId": environment}
    return found


def record(name: str) -> dict[str, Any]:
    inputs = {
        "resourceGroupName": "rg-shop-dev",
        "privateZoneName": "dev.shop.internal",
        "relativeRecordSetName": "search-api",
        "recordType": "A",
    }
    return res(RECORD_SET, name, inputs)


def deployed(*plans: Plan) -> World:
    world = World()
    for plan in plans:
        _, world = replay("deploy", plan, world)
    return world


def rules(plan: Plan, world: World) -> list[str]:
    phase, _ = replay("test", plan, world)
    return [r.rule for r in phase.refusals]


def test_a_stacks_run_keeps_the_other_stacks_resources() -> None:
    """Was: applying an application's plan deleted its platform from the world (the second
    deploy of an application stack ran on a world without its cluster)."""
    platform = of_stack("platform-dev", res("azure-native:resources:ResourceGroup", "rg"))
    application = of_stack("shop-dev", app("web", "rg-shop"))
    world = deployed(platform, application)
    assert set(world.resources) == {*platform.resources, *application.resources}
    # What a stack no longer declares is deleted: its own resources only.
    after = applied(of_stack("shop-dev"), world)
    assert set(after.resources) == set(platform.resources)


def test_two_container_apps_of_one_name_in_one_environment_are_refused() -> None:
    """Two application stacks, each with its own resource group, in one Container Apps
    environment: the name addresses one app there."""
    world = deployed(of_stack("storefront-dev", app("search-api", "rg-storefront")))
    loyalty = of_stack("loyalty-dev", app("search-api", "rg-loyalty"))
    phase, _ = replay("loyalty", loyalty, world)
    (found,) = phase.refusals
    assert found.rule == "resource-held-by-another-stack"
    assert "Container App search-api in environment container-apps-env" in found.why
    assert "stack storefront-dev holds it" in found.why
    assert "its name is taken in the environment" in found.why
    assert "rename the service" in found.fix


def test_another_name_or_another_environment_is_accepted() -> None:
    world = deployed(of_stack("storefront-dev", app("search-api", "rg-storefront")))
    assert rules(of_stack("loyalty-dev", app("points-api", "rg-loyalty")), world) == []
    other = app("search-api", "rg-loyalty", OTHER_ENVIRONMENT)
    assert rules(of_stack("loyalty-dev", other), world) == []
    # Its own app, deployed again, is no create.
    assert rules(of_stack("storefront-dev", app("search-api", "rg-storefront")), world) == []


def test_a_record_set_another_stack_holds_is_refused_with_the_providers_error() -> None:
    world = deployed(of_stack("storefront-dev", record("search-api-private-dns")))
    phase, _ = replay("loyalty", of_stack("loyalty-dev", record("search-dns")), world)
    (found,) = phase.refusals  # not dns-record-set-held: that stack's record is not deleted
    assert found.rule == "resource-held-by-another-stack"
    assert "A record set search-api.dev.shop.internal" in found.why
    assert provider_error() == "cannot create already existing resource"
    assert provider_error() in found.why


def test_a_record_moved_within_one_stack_is_still_dns_record_set_held() -> None:
    world = deployed(of_stack("storefront-dev", record("old-owner")))
    assert rules(of_stack("storefront-dev", record("new-owner")), world) == ["dns-record-set-held"]


def dns_record(kind: str, name: str) -> dict[str, Any]:
    inputs = {"zoneName": "example.com", "relativeRecordSetName": name, "recordType": kind}
    return res("azure-native:dns:RecordSet", f"{kind.lower()}-{name}", inputs)


def test_parallel_applications_cannot_rely_on_each_other() -> None:
    """Application stacks deploy in parallel (the deploy workflow's matrix): an app whose
    custom domain's records another application creates is refused in its own deploy over the
    platform, whichever order the set lists them in (one after the other, it would pass)."""
    records = of_stack("dns-dev", dns_record("TXT", "asuid.shop"), dns_record("CNAME", "shop"))
    bound = container_app("shop", ingress={"customDomains": [{"name": "shop.example.com"}]})
    shop = of_stack("shop-dev", bound)
    one_after_the_other = deployed(records)
    assert rules(shop, one_after_the_other) == []
    platform = of_stack("platform-dev")
    simulation = simulate_team("--set dev", platform, TeamPlans(platform, (records, shop)))
    found = simulation.first_refusal
    assert found is not None
    phase, refusal = found
    assert phase.name == "application shop-dev: first deploy"
    assert refusal.rule == "aca-custom-domain-records"


def test_records_the_platform_declares_present_are_there_for_its_applications() -> None:
    """`platform:dns.recordsPresent` is the platform stack's setting: an application stack's
    custom domain on such a host is bound over records made by hand (its own config lists
    none). Without them, refused."""
    bound = container_app("shop", ingress={"customDomains": [{"name": "shop.example.com"}]})
    shop = of_stack("shop-dev", bound)
    declared = {"platform:dns": {"recordsPresent": ["shop.example.com"]}}
    platform = Plan.from_snapshot({"stack": "platform-dev", "resources": []}, declared)
    accepted = simulate_team("shop-dev", platform, TeamPlans(platform, (shop,)))
    assert accepted.ok, accepted.first_refusal
    bare = of_stack("platform-dev")
    refused = simulate_team("shop-dev", bare, TeamPlans(bare, (shop,)))
    found = refused.first_refusal
    assert found is not None
    assert found[1].rule == "aca-custom-domain-records"
