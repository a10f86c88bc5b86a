"""The monthly cost estimate: arithmetic pinned on hand-computed fixtures, the delta a pull
request shows, the budget rule, bad input, and `prices refresh` against a recorded response."""

from __future__ import annotations

import copy
import dataclasses
import json
from pathlib import Path
from typing import Any

import pytest

from infra.config import CostConfig
from infra.config_loader import platform_config_from_values
from infra.cost.delta import cost_delta
from infra.cost.model import estimate
from infra.cost.plan import estimate_for
from infra.cost.refresh import build_sheet, fetch, refresh
from infra.cost.report import delta_markdown, estimate_markdown, estimate_text
from infra.cost.sheet import PRICES_DIR, PriceError, load_sheet, parse_sheet
from infra.policy.evaluate import evaluate, resources_of_snapshot
from infra.policy.rules import PolicyContext
from infra.preview.engine import OfflineRun, run_offline
from infra.preview.snapshot import to_snapshot
from infra.preview.stackfile import read_stack
from infra.problems import InvalidInput
from infra.program import build
from infra.services.loader import load_applications

FIXTURES = Path(__file__).parent / "fixtures_cost"


def _item(
    meter: tuple[str, str, str, str], unit: str, price: float, **extra: Any
) -> dict[str, Any]:
    service, product, sku, name = meter
    return {
        "currencyCode": "USD",
        "tierMinimumUnits": extra.pop("tier", 0.0),
        "retailPrice": price,
        "unitPrice": price,
        "armRegionName": "testregion",
        "serviceName": service,
        "productName": product,
        "skuName": sku,
        "meterName": name,
        "unitOfMeasure": unit,
        "type": "Consumption",
        **extra,
    }


ACA = "Azure Container Apps"
VM = ("Virtual Machines", "Virtual Machines Ddsv5 Series", "D4ds v5", "D4ds v5")
DISK = ("Storage", "Premium SSD Managed Disks", "P10 LRS", "P10 LRS Disk")
AKS = ("Azure Kubernetes Service", "Azure Kubernetes Service", "Standard", "Standard Uptime SLA")
# Round prices, so every expected figure below can be checked by hand.
SHEET = parse_sheet(
    {
        "region": "testregion",
        "currency": "USD",
        "asOf": "2026-01-01",
        "Items": [
            _item(VM, "1 Hour", 0.10, armSkuName="Standard_D4ds_v5"),
            _item(DISK, "1/Month", 10.0),
            _item(AKS, "1 Hour", 0.10),
            _item((ACA, ACA, "Standard", "Standard vCPU Active Usage"), "1 Second", 0.000034),
            _item((ACA, ACA, "Standard", "Standard vCPU Idle Usage"), "1 Second", 0.000004),
            _item((ACA, ACA, "Standard", "Standard Memory Active Usage"), "1 GiB Second", 0.000004),
            _item((ACA, ACA, "Standard", "Standard Memory Idle Usage"), "1 GiB Second", 0.000004),
            _item((ACA, ACA, "Standard", "Standard Requests"), "1M", 0.40),
            _item((ACA, ACA, "Dedicated", "Dedicated vCPU Usage"), "1 Hour", 0.08),
            _item((ACA, ACA, "Dedicated", "Dedicated Memory Usage"), "1 Hour", 0.01),
            _item((ACA, ACA, "Dedicated", "Dedicated Plan Management"), "1 Hour", 0.10),
        ],
        "vmSizes": {"Standard_D4ds_v5": {"vcpu": 4, "memoryGiB": 16}},
    },
    "test-sheet.json",
)


def _config(**cost: Any) -> Any:
    values = {k.split(":", 1)[1]: v for k, v in read_stack("dev").values.items()}
    values["location"] = "testregion"
    values["cost"] = json.dumps(cost)
    return platform_config_from_values(values)


def _snapshot(*resources: dict[str, Any]) -> dict[str, Any]:
    return {
        "stack": "test",
        "resources": [
            {"custom": True, "name": r["type"].rsplit(":", 1)[-1].lower(), **r} for r in resources
        ],
    }


def _pool(**fields: Any) -> dict[str, Any]:
    return {
        "name": "user",
        "mode": "User",
        "vmSize": "Standard_D4ds_v5",
        "enableAutoScaling": True,
        "minCount": 2,
        "maxCount": 5,
        "osDiskSizeGB": 128,
        "osDiskType": "Managed",
        "maxPods": 110,
        **fields,
    }


def _cluster(*pools: dict[str, Any], tier: str = "Standard") -> dict[str, Any]:
    return {
        "type": "azure-native:containerservice:ManagedCluster",
        "inputs": {
            "sku": {"name": "Base", "tier": tier},
            "agentPoolProfiles": list(pools),
            "networkProfile": {"outboundType": "userDefinedRouting"},
        },
    }


def _deployment(name: str, cpu: str, memory: str, replicas: int) -> dict[str, Any]:
    return {
        "type": "kubernetes:apps/v1:Deployment",
        "name": name,
        "inputs": {
            "metadata": {
                "name": name,
                "namespace": "ns",
                "labels": {"app.kubernetes.io/name": name},
            },
            "spec": {
                "replicas": replicas,
                "template": {
                    "spec": {
                        "containers": [{"resources": {"requests": {"cpu": cpu, "memory": memory}}}]
                    }
                },
            },
        },
    }


def _app(name: str, low: int, high: int, *, ingress: bool = False) -> dict[str, Any]:
    configuration: dict[str, Any] = {"ingress": {"external": True}} if ingress else {}
    return {
        "type": "azure-native:app:ContainerApp",
        "name": name,
        "inputs": {
            "containerAppName": name,
            "workloadProfileName": "Consumption",
            "configuration": configuration,
            "template": {
                "containers": [{"resources": {"cpu": 0.5, "memory": "1Gi"}}],
                "scale": {"minReplicas": low, "maxReplicas": high},
            },
        },
    }


def _line(result: Any, item: str) -> Any:
    return next(line for line in result.lines if line.item == item)


# ------------------------------------------------------------------ arithmetic (hand-computed)


def test_node_pool_is_vm_plus_os_disk_times_nodes_from_min_to_max() -> None:
    result = estimate(_snapshot(_cluster(_pool())), _config(), SHEET)
    pool = _line(result, "AKS node pool user")
    # one node: 0.10 $/h x 730 h + P10 disk 10 $ = 83 $; floor 2 nodes, ceiling 5
    assert (pool.floor, pool.ceiling) == (166.0, 415.0)
    tier = _line(result, "AKS tier Standard")
    assert (tier.floor, tier.ceiling) == (73.0, 73.0)  # 0.10 $ per cluster-hour x 730
    assert (result.floor, result.ceiling) == (239.0, 488.0)
    assert "730 h" in pool.assumptions
    assert "2..5 nodes" in pool.assumptions


def test_ephemeral_os_disks_cost_nothing_and_say_so() -> None:
    result = estimate(_snapshot(_cluster(_pool(osDiskType="Ephemeral"))), _config(), SHEET)
    pool = _line(result, "AKS node pool user")
    assert (pool.floor, pool.ceiling) == (146.0, 365.0)
    assert "ephemeral OS disk (no charge)" in pool.assumptions


def test_pods_that_need_more_nodes_than_the_pool_minimum_raise_the_floor() -> None:
    # D4ds_v5 allocatable: 4 - 0.14 = 3.86 cores (AKS reservations); 10 pods x 1 core = 10 cores
    # → ceil(10 / 3.86) = 3 nodes > minCount 2; each pod is 1/3.86 of an 83 $ node.
    snapshot = _snapshot(_cluster(_pool()), _deployment("api", "1", "1Gi", 10))
    result = estimate(snapshot, _config(), SHEET)
    assert _line(result, "AKS node pool user").floor == 249.0
    share = _line(result, "share of AKS pool user")
    assert share.service == "api"
    assert not share.counted
    assert share.floor == pytest.approx(10 * 83 / 3.86, abs=0.01)
    assert result.floor == 249.0 + 73.0  # the share is not counted twice
    assert result.services()["api"] == (share.floor, share.ceiling)


def test_scale_to_zero_app_inside_the_free_grant_costs_nothing_at_its_floor() -> None:
    # 1 replica 2 h/day: 0.5 vCPU x 7,200 s x 30.4167 days = 109,500 vCPU-s (< 180,000)
    # and 219,000 GiB-s (< 360,000): 109,500 x 0.000034 + 219,000 x 0.000004 = 4.599 $
    result = estimate(_snapshot(_app("worker", 0, 4)), _config(), SHEET)
    app = _line(result, "Container App (Consumption)")
    assert app.floor == pytest.approx(4.60, abs=0.005)
    grant = _line(result, "Container Apps free grant")
    assert grant.floor == pytest.approx(-4.60, abs=0.005)
    assert result.floor == 0.0
    # ceiling: 4 replicas active all month = 5,256,000 vCPU-s and 10,512,000 GiB-s; the grant
    # takes 180,000 and 360,000: 5,076,000 x 0.000034 + 10,152,000 x 0.000004 = 213.19 $
    assert result.ceiling == pytest.approx(213.19, abs=0.01)


def test_scale_to_zero_app_beyond_the_free_grant_pays_the_excess() -> None:
    # 8 h/day: 438,000 vCPU-s and 876,000 GiB-s; beyond the grant 258,000 and 516,000:
    # 258,000 x 0.000034 + 516,000 x 0.000004 = 8.772 + 2.064 = 10.836 $
    result = estimate(
        _snapshot(_app("worker", 0, 4)), _config(scaleToZeroActiveHoursPerDay=8), SHEET
    )
    assert result.floor == pytest.approx(10.84, abs=0.01)


def test_always_on_replicas_are_billed_idle_at_the_floor_and_requests_counted() -> None:
    # 2 replicas idle all month: 2 x 2,628,000 s x (0.5 x 0.000004 + 1 x 0.000004) = 31.536 $
    # plus 3 M requests x 0.40 $/M = 1.20 $
    result = estimate(
        _snapshot(_app("api", 2, 2, ingress=True)),
        _config(requestsPerMonth=3_000_000, containerAppsFreeGrant=False),
        SHEET,
    )
    assert _line(result, "Container App (Consumption)").floor == pytest.approx(32.74, abs=0.01)
    grant = _line(result, "Container Apps free grant")
    assert (grant.floor, grant.ceiling) == (0.0, 0.0)
    assert "not applied" in grant.assumptions


def test_dedicated_profile_is_instances_times_size_plus_the_management_fee() -> None:
    environment = {
        "type": "azure-native:app:ManagedEnvironment",
        "inputs": {
            "workloadProfiles": [
                {"name": "Consumption", "workloadProfileType": "Consumption"},
                {
                    "name": "general-d4",
                    "workloadProfileType": "D4",
                    "minimumCount": 1,
                    "maximumCount": 3,
                },
            ]
        },
    }
    result = estimate(_snapshot(environment), _config(), SHEET)
    profile = _line(result, "Container Apps profile general-d4 (D4)")
    # (4 vCPU x 0.08 + 16 GiB x 0.01) $/h x 730 h = 350.40 $ per instance; 1..3 instances
    assert (profile.floor, profile.ceiling) == pytest.approx((350.40, 1051.20))
    fee = _line(result, "Container Apps dedicated plan management")
    assert (fee.floor, fee.ceiling) == (73.0, 73.0)


def test_an_unknown_azure_resource_type_is_listed_as_not_priced_never_zero() -> None:
    result = estimate(
        _snapshot({"type": "azure-native:cache:Redis", "name": "cache", "inputs": {}}),
        _config(),
        SHEET,
    )
    assert result.not_priced == (
        ("azure-native:cache:Redis", "cache", "no pricing model for this resource type"),
    )
    assert "azure-native:cache:Redis" in estimate_markdown(result.to_json(), "test")


# ------------------------------------------------------------------ the reference plans


@pytest.fixture(scope="module")
def prod_snapshot(prod: OfflineRun) -> dict[str, Any]:
    return to_snapshot(prod)


def test_every_azure_resource_of_the_reference_plans_is_priced_or_known_free(
    prod_snapshot: dict[str, Any], dev: OfflineRun
) -> None:
    for snapshot in (prod_snapshot, to_snapshot(dev)):
        cost = snapshot["cost"]
        assert cost["notPriced"] == []
        assert cost["pricesAsOf"] == "2026-11-28"
        assert 0 < cost["stack"]["floor"] < cost["stack"]["ceiling"]
        assert {line["service"] for line in cost["lines"]} >= {"platform", "web", "catalog-api"}


def test_application_gateway_for_containers_is_priced_in_both_reference_plans(
    prod_snapshot: dict[str, Any], dev: OfflineRun
) -> None:
    # Per hour (westeurope sheet, East US 2 example prices, marked approximate): gateway
    # 0.017 x 730 = 12.41; 5 capacity units (the default assumption) x 0.008 x 730 = 29.20;
    # association 0.12 x 730 = 87.60. The reference apps have no public AKS service, so no
    # frontend.
    for snapshot, name in ((prod_snapshot, "agc-shop-prod"), (to_snapshot(dev), "agc-shop-dev")):
        lines = {
            line["item"]: line
            for line in snapshot["cost"]["lines"]
            if line["item"].startswith("Application Gateway for Containers")
        }
        assert {item: (line["floor"], line["ceiling"]) for item, line in lines.items()} == {
            f"Application Gateway for Containers {name}": (12.41, 12.41),
            f"Application Gateway for Containers {name} capacity units": (29.2, 29.2),
            "Application Gateway for Containers association default": (87.6, 87.6),
        }
        assert all(line["service"] == "platform" and line["counted"] for line in lines.values())
        assert all(p["approximate"] for line in lines.values() for p in line["prices"])
        markdown = estimate_markdown(snapshot["cost"], snapshot["stack"])
        assert f"Application Gateway for Containers {name} capacity units | $29.20" in markdown


def test_an_application_with_public_aks_services_adds_one_frontend_hour_a_month(
    dev: OfflineRun,
) -> None:
    from infra.services.spec import Application, Exposure, Ingress, Port, ServiceSpec, Target, Tls

    shop = ServiceSpec(
        name="shop",
        image="shop:1.0@sha256:" + "7" * 64,
        target=Target.AKS,
        ports=(Port(name="http", number=8080),),
        ingress=Ingress(
            exposure=Exposure.PUBLIC,
            host="shop.example.com",
            tls=Tls(
                key_vault_certificate_uri="https://kv-shop-dev.vault.azure.net/certificates/shop"
            ),
        ),
    )
    added = [*load_applications(), Application(name="shop", services=(shop,), source="x.py")]
    base = to_snapshot(dev)
    head = to_snapshot(run_offline(read_stack("dev"), lambda: build(applications=added)))
    delta = cost_delta(base, head)
    (frontend,) = [
        line for line in head["cost"]["lines"] if line["item"].endswith("frontend fe-shop")
    ]
    # One frontend: 0.01 $/frontend-hour x 730 h = 7.30 $, on the platform (the node pool
    # holds the new pods without another node at the floor or the ceiling).
    assert (frontend["floor"], frontend["ceiling"]) == (7.3, 7.3)
    (platform,) = [s for s in delta.services if s.name == "platform"]
    assert platform.delta == (7.3, 7.3)
    own = [s for s in delta.services if s.name == "shop"]
    counted = sum(
        line["floor"]
        for line in head["cost"]["lines"]
        if line["service"] == "shop" and line["counted"]
    )
    assert delta.total.delta[0] == round(7.3 + counted, 2)
    assert own, "the new service's own lines (its certificate's Key Vault reads)"
    assert "frontend fe-shop" in estimate_markdown(head["cost"], "dev")
    assert "+$7.30" in delta_markdown(delta)


def _patched(declaration: Any, **changes: Any) -> Any:
    from infra.services.spec import explicit_fields

    given = explicit_fields(declaration) or frozenset()
    kept = {f: getattr(declaration, f) for f in given if f not in changes}
    return type(declaration)(**kept, **changes)


def test_raising_a_prod_minimum_replica_count_shows_the_delta_first(
    prod_snapshot: dict[str, Any],
) -> None:
    def raised(service: Any) -> Any:
        override = service.overrides["prod"]
        assert override.autoscaling is not None
        # Rebuilt with the fields the declaration set (an override is a patch: replace() would
        # set every field).
        scaling = _patched(override.autoscaling, min_replicas=5)
        prod = _patched(override, autoscaling=scaling)
        return dataclasses.replace(service, overrides={**service.overrides, "prod": prod})

    changed = [
        dataclasses.replace(
            a, services=tuple(raised(s) if s.name == "web" else s for s in a.services)
        )
        for a in load_applications()
    ]
    head = to_snapshot(run_offline(read_stack("prod"), lambda: build(applications=changed)))
    delta = cost_delta(prod_snapshot, head)
    # web: 3 → 5 replicas idle at the floor: 2 x 2,628,000 s x (0.5 vCPU + 1 GiB) x 0.000004 $
    # (westeurope sheet) = 31.54 $; its ceiling (40 replicas) is unchanged. The free grant is
    # already used up by idle seconds, so the stack moves by the same amount.
    (web,) = [s for s in delta.services if s.name == "web"]
    assert web.delta == (31.54, 0.0)
    assert delta.total.delta == (31.54, 0.0)
    comment = delta_markdown(delta)
    assert comment.startswith(
        "### Monthly cost: `prod` +$31.54/month at the floor, ±$0.00 at the ceiling"
    )
    assert "prices as of 2026-11-28" in comment


def test_one_more_prod_user_node_at_the_floor_is_one_vm(
    prod_snapshot: dict[str, Any],
) -> None:
    head = copy.deepcopy(prod_snapshot)
    cluster = next(r for r in head["resources"] if r["type"].endswith("ManagedCluster"))
    (user,) = [p for p in cluster["inputs"]["agentPoolProfiles"] if p["mode"] == "User"]
    user["minCount"] = 4
    prod = platform_config_from_values(
        {k.split(":", 1)[1]: v for k, v in read_stack("prod").values.items()}
    )
    head["cost"] = estimate_for(head, prod).to_json()
    delta = cost_delta(prod_snapshot, head)
    # Standard_D8ds_v5 0.544 $/h x 730 h = 397.12 $ (westeurope sheet); prod's user pool runs
    # ephemeral OS disks on the VM's local disk, so no managed disk is added.
    assert user["osDiskType"] == "Ephemeral"
    assert delta.total.delta == (397.12, 0.0)
    assert [s.name for s in delta.services] == ["platform"]


def test_an_unchanged_estimate_adds_nothing_to_the_comment(prod_snapshot: dict[str, Any]) -> None:
    assert delta_markdown(cost_delta(prod_snapshot, copy.deepcopy(prod_snapshot))) == ""


def test_a_base_plan_without_an_estimate_shows_the_head_not_a_delta(
    prod_snapshot: dict[str, Any],
) -> None:
    base = copy.deepcopy(prod_snapshot)
    del base["cost"]
    comment = delta_markdown(cost_delta(base, prod_snapshot))
    low, high = prod_snapshot["cost"]["stack"]["floor"], prod_snapshot["cost"]["stack"]["ceiling"]
    assert comment.startswith(f"### Monthly cost: `prod` ${low:,.2f} – ${high:,.2f}")
    assert "the base plan has no estimate to compare with" in comment
    assert "+$" not in comment


def test_over_budget_warns_in_dev_and_fails_in_prod(prod_snapshot: dict[str, Any]) -> None:
    def budget_violations(environment: str, enforcement: str) -> tuple[int, int]:
        snapshot = copy.deepcopy(prod_snapshot)
        snapshot["cost"]["budget"] = {
            "monthly": 1000.0,
            "enforcement": enforcement,
            "basis": "floor",
        }
        report = evaluate(
            resources_of_snapshot(snapshot), PolicyContext(environment, snapshot["cost"])
        )
        found = [v for v in report.violations if v.rule.id == "stack-monthly-budget"]
        enforced = [v for v in report.enforced if v.rule.id == "stack-monthly-budget"]
        return len(found), len(enforced)

    assert budget_violations("dev", "advisory") == (1, 0)
    assert budget_violations("prod", "mandatory") == (1, 1)
    assert budget_violations("prod", "advisory") == (1, 0)  # configurable


def test_budget_enforcement_defaults_to_mandatory_in_prod_only() -> None:
    values = {k.split(":", 1)[1]: v for k, v in read_stack("prod").values.items()}
    values["cost"] = json.dumps({"budgetMonthly": 10})
    sheet = load_sheet("westeurope", "USD")
    prod = estimate({"resources": []}, platform_config_from_values(values), sheet)
    dev = estimate(
        {"resources": []},
        _config(budgetMonthly=10).model_copy(update={"location": "westeurope"}),
        sheet,
    )
    assert prod.budget == {"monthly": 10.0, "enforcement": "mandatory", "basis": "ceiling"}
    assert dev.budget is not None
    assert dev.budget["enforcement"] == "advisory"


# ------------------------------------------------------------------ bad input


def test_an_unknown_vm_size_is_a_warning_and_not_priced_never_a_refusal() -> None:
    result = estimate(_snapshot(_cluster(_pool(vmSize="Standard_E4s_v5"))), _config(), SHEET)
    text = "\n".join(p.render() for p in result.warnings)
    assert "agentPoolProfiles[user]" in text
    assert "Standard_E4s_v5" in text
    assert "python -m infra.preview prices refresh --region testregion --currency USD" in text
    # never a zero: the pool's line is left out and its cluster listed as not priced
    assert [line.item for line in result.lines if line.item == "AKS node pool user"] == []
    assert "azure-native:containerservice:ManagedCluster" in {t for t, _, _ in result.not_priced}
    assert "warning: " in estimate_text(result.to_json(), "dev")


def test_a_region_without_a_sheet_still_previews_with_everything_not_priced(
    dev: OfflineRun,
) -> None:
    values = {k.split(":", 1)[1]: v for k, v in read_stack("dev").values.items()}
    config = platform_config_from_values({**values, "location": "swedencentral"})
    result = estimate_for(to_snapshot(dev), config)
    assert [line.item for line in result.lines if line.prices] == []  # only what needs none
    assert {t for t, _, _ in result.not_priced} >= {
        "azure-native:containerservice:ManagedCluster",
        "azure-native:app:ContainerApp",
    }
    (warning,) = result.warnings
    assert warning.path == "platform:location"
    assert "prices refresh --region swedencentral" in warning.fix
    head = {"stack": "dev", "cost": result.to_json()}
    assert "Not priced" in delta_markdown(cost_delta(head, head))


def test_a_region_without_a_sheet_names_the_key_and_the_refresh_command(tmp_path: Path) -> None:
    with pytest.raises(
        PriceError,
        match=r"no price sheet for region northeurope in EUR.*"
        r"prices refresh --region northeurope --currency EUR",
    ):
        load_sheet("northeurope", "EUR", tmp_path)


def test_a_currency_the_sheet_is_not_in_is_refused() -> None:
    with pytest.raises(
        InvalidInput,
        match=r"platform:cost.currency = EUR: the price sheet test-sheet.json is in USD",
    ):
        estimate(_snapshot(), _config(currency="EUR"), SHEET)


@pytest.mark.parametrize(
    ("cost", "message"),
    [
        (
            {"logIngestionGbPerDay": -1},
            "platform:cost.logIngestionGbPerDay = -1: Input should be greater than or equal to 0",
        ),
        ({"currency": ""}, "platform:cost.currency = '': String should match pattern"),
        (
            {"budgetMonthy": 5},
            "platform:cost.budgetMonthy = 5: unknown key → did you mean 'budgetMonthly'?",
        ),
        ({"prometheusSamplesPerDay": -5}, "platform:cost.prometheusSamplesPerDay = -5"),
    ],
)
def test_bad_cost_config_is_one_clear_problem(cost: dict[str, Any], message: str) -> None:
    with pytest.raises(InvalidInput) as error:
        _config(**cost)
    assert message in str(error.value)


def test_cost_defaults_say_why() -> None:
    defaults = CostConfig()
    assert (defaults.currency, defaults.log_ingestion_gb_per_day, defaults.budget_monthly) == (
        "USD",
        1.0,
        None,
    )
    for name, field in CostConfig.model_fields.items():
        assert field.description, name
        assert len(field.description) > 20, name


def test_a_sheet_item_without_a_currency_is_refused() -> None:
    with pytest.raises(PriceError, match=r"Items\[0\] lacks currencyCode"):
        parse_sheet(
            {
                "region": "r",
                "currency": "USD",
                "asOf": "x",
                "Items": [{"unitPrice": 1, "meterName": "m", "unitOfMeasure": "1 Hour"}],
            }
        )


def test_the_pinned_sheet_says_where_every_price_came_from() -> None:
    document = json.loads((PRICES_DIR / "westeurope-USD.json").read_text())
    for item in document["Items"]:
        assert item["x-source"]
        assert item["x-asOf"]
        assert isinstance(item["x-approximate"], bool)
        assert item["currencyCode"] == "USD"
        assert item["armRegionName"] in ("westeurope", "Zone 1")


# ------------------------------------------------------------------ prices refresh (no network)


def _recorded(url: str) -> dict[str, Any]:
    """The recorded API answers: two pages for the Container Apps query, one for the rest."""
    pages = json.loads((FIXTURES / "retail-prices-responses.json").read_text())["pages"]
    for page in pages:
        if page["url"] == url:
            return page["response"]
    return {"BillingCurrency": "EUR", "Items": [], "NextPageLink": None, "Count": 0}


def test_fetch_follows_next_page_links_and_sends_the_currency() -> None:
    seen: list[str] = []

    def get(url: str) -> dict[str, Any]:
        seen.append(url)
        return _recorded(url)

    items = fetch(
        "serviceName eq 'Azure Container Apps' and armRegionName eq 'westeurope' and productName eq "
        "'Azure Container Apps' and skuName eq 'Standard' and meterName eq 'Standard vCPU Active Usage' "
        "and priceType eq 'Consumption'",
        "EUR",
        get,
    )
    assert len(seen) == 2
    assert seen[1].endswith("&$skip=100")
    assert "currencyCode=%27EUR%27" in seen[0]
    assert "%24filter" not in seen[0]
    assert [i["retailPrice"] for i in items] == [0.0000306, 0.0000306]


def test_refresh_writes_a_sheet_the_model_can_price_from(tmp_path: Path) -> None:
    out = tmp_path / "westeurope-EUR.json"
    refresh("westeurope", "EUR", out, get=_recorded)
    sheet = json.loads(out.read_text())
    assert sheet["currency"] == "EUR"
    assert sheet["region"] == "westeurope"
    (vcpu,) = [i for i in sheet["Items"] if i["meterName"] == "Standard vCPU Active Usage"]
    assert vcpu["x-source"].startswith(
        "Azure Retail Prices API, $filter=serviceName eq 'Azure Container Apps'"
    )
    assert vcpu["retailPrice"] == 0.0000306
    assert sheet["vmSizes"]["Standard_D4ds_v5"] == {
        "memoryGiB": 16,
        "vcpu": 4,
        "x-source": sheet["vmSizes"]["Standard_D4ds_v5"]["x-source"],
    }
    # Application Gateway for Containers: its query (serviceName `Application Gateway`,
    # productName `Application Gateway for Containers`) maps the recorded item onto the meter.
    (frontend,) = [
        i
        for i in sheet["Items"]
        if i["productName"] == "Application Gateway for Containers"
        and i["meterName"] == "Standard Frontend"
    ]
    assert frontend["retailPrice"] == 0.0092
    assert frontend["x-approximate"] is False
    parsed = parse_sheet(sheet)
    result = estimate(
        _snapshot(_app("worker", 0, 4)),
        _config(currency="EUR"),
        dataclasses.replace(parsed, region="testregion"),
    )
    assert result.currency == "EUR"
    assert result.ceiling > 0


def test_a_meter_the_api_does_not_return_keeps_the_previous_price_and_says_so() -> None:
    previous = json.loads((PRICES_DIR / "westeurope-USD.json").read_text())
    sheet, notes = build_sheet("westeurope", "USD", previous, set(), get=_recorded)
    assert any(n.startswith("prometheus:ingestion: the API returned no item") for n in notes)
    kept = [i for i in sheet["Items"] if i["meterName"] == "Prometheus Metrics Samples Ingested"]
    assert kept
    assert kept[0]["x-approximate"] is True


def _mounting(deployment: dict[str, Any], spc: str) -> dict[str, Any]:
    pod = deployment["inputs"]["spec"]["template"]["spec"]
    pod["volumes"] = [{"csi": {"volumeAttributes": {"secretProviderClass": spc}}}]
    return deployment


def test_every_deployment_mounting_a_key_vault_class_pays_its_reads() -> None:
    """A canary mounts its stable service's SecretProviderClass: both tracks' pods poll the
    vault, so each gets a line (one used to overwrite the other)."""
    vault = {"type": "azure-native:keyvault:Vault", "name": "vault", "inputs": {}}
    spc = {
        "type": "kubernetes:secrets-store.csi.x-k8s.io/v1:SecretProviderClass",
        "name": "shop-kv",
        "inputs": {
            "metadata": {"name": "shop-kv", "namespace": "ns"},
            "spec": {"parameters": {"objects": "array:\n- objectName: a\n- objectName: b\n"}},
        },
    }
    stable = _mounting(_deployment("shop", "100m", "128Mi", 2), "shop-kv")
    canary = _mounting(_deployment("shop-canary", "100m", "128Mi", 1), "shop-kv")
    elsewhere = _mounting(_deployment("other", "100m", "128Mi", 1), "shop-kv")
    elsewhere["inputs"]["metadata"]["namespace"] = "other-ns"  # same class name, other namespace
    sheet = parse_sheet(
        {
            "region": "testregion",
            "currency": "USD",
            "asOf": "2026-01-01",
            "Items": [_item(("Key Vault", "Key Vault", "Standard", "Operations"), "10K", 0.03)],
            "vmSizes": {},
        },
        "kv-sheet.json",
    )
    result = estimate(_snapshot(vault, spc, stable, canary, elsewhere), _config(), sheet)
    reads = {
        line.service: line for line in result.lines if line.item == "Key Vault reads (CSI rotation)"
    }
    assert set(reads) == {"shop", "shop-canary"}
    # 2 secrets polled every 2 minutes by each pod: the stable's 2 pods read twice the canary's 1.
    assert reads["shop"].floor == pytest.approx(2 * reads["shop-canary"].floor)
    assert reads["shop-canary"].floor > 0


@pytest.mark.slow
def test_plan_of_a_stack_in_a_region_without_prices_previews_and_exits_0(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """A missing price is a warning, never a refusal to preview (it was exit 2)."""
    from infra.preview import cli

    original = cli.read_stack

    def in_sweden(stack: str) -> Any:
        config = original(stack)
        values = {**config.values, "platform:location": "swedencentral"}
        return dataclasses.replace(config, values=values)

    monkeypatch.setattr(cli, "read_stack", in_sweden)
    assert cli.main(["plan", "dev", "--jobs", "1"]) == cli.EXIT_NO_CHANGES
    out = capsys.readouterr().out
    assert "not priced: " in out
    assert "warning: platform:location = swedencentral: no price sheet" in out
