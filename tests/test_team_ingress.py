"""Shared ingress in the platform stack (docs/team-stacks.md, "Shared ingress"): the platform
holds the controllers, Gateways, listeners, Frontends and DNS records of every onboarded
application, the objects a single stack holds; an application stack holds only its routes, equal
to the single stack's, attached to a listener of the platform's that admits their namespace."""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any

import pulumi
import pytest

from infra.crds.attachment import admits
from infra.preview.engine import OfflineRun, Registration, run_offline
from infra.preview.snapshot import to_snapshot
from infra.preview.stackfile import StackConfig, read_stack
from infra.program import build
from infra.services.loader import APPS_ENV
from infra.services.spec import Application
from infra.simulate import Plan, World, replay
from infra.stacks import recorded
from infra.stacks.contract import AGC_KIND, CONTRACT_OUTPUT, ENVOY_KIND, parse_contract
from infra.stacks.examples import example_stack, full_name
from tests import ingress_apps

ENVIRONMENTS = ("dev", "prod")
GATEWAY = "kubernetes:gateway.networking.k8s.io/v1:Gateway"
HTTP_ROUTE = "kubernetes:gateway.networking.k8s.io/v1:HTTPRoute"
ROUTE_KINDS = (HTTP_ROUTE, "kubernetes:gateway.networking.k8s.io/v1:GRPCRoute")
CHART = "kubernetes:helm.sh/v4:Chart"
FRONTEND = "azure-native:servicenetworking:FrontendsInterface"
PRIVATE_RECORD = "azure-native:privatedns:PrivateRecordSet"
RECORD = "azure-native:dns:RecordSet"
NETWORK_POLICY = "kubernetes:networking.k8s.io/v1:NetworkPolicy"
SHARED = ("platform:services:PublicGateway", "platform:services:EnvoyGateway")


def _grants(environment: str, billing_hosts: Sequence[str] | None = None) -> list[dict[str, Any]]:
    example = json.loads(example_stack(f"platform-{environment}").values["platform:applications"])
    hosts = (
        [ingress_apps.PUBLIC_HOST, ingress_apps.internal_host(environment)]
        if billing_hosts is None
        else list(billing_hosts)
    )
    subject = f"repo:example-org/platform:environment:billing-{environment}"
    return [*example, {"name": "billing", "hosts": hosts, "ciSubject": subject}]


def _platform(environment: str, grants: list[dict[str, Any]]) -> StackConfig:
    stack = example_stack(f"platform-{environment}")
    values = {**stack.values, "platform:applications": json.dumps(grants)}
    return dataclasses.replace(stack, values=values)


def _program(applications: list[Application]) -> Callable[[], object]:
    return lambda: build(applications=applications)


def _billing_stack(environment: str) -> StackConfig:
    stack = example_stack(f"storefront-{environment}")
    return dataclasses.replace(stack, values={**stack.values, "platform:application": "billing"})


@pytest.fixture(scope="module")
def runs(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, OfflineRun]]:
    """Per environment: the platform stack onboarding billing (its contract recorded in a
    folder of its own), billing's application stack on it, and the single stack of the same
    declarations (the reference)."""
    folder = tmp_path_factory.mktemp("recorded")
    program = _program(ingress_apps.APPLICATIONS)
    found: dict[str, OfflineRun] = {}
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv(recorded.RECORDED_ENV, str(folder))
        # The image lock of tests/team_apps (billing runs the storefront's images).
        patch.setenv(APPS_ENV, "tests.team_apps")
        for env in ENVIRONMENTS:
            platform = found[f"platform-{env}"] = run_offline(_platform(env, _grants(env)), program)
            recorded.write_recorded(
                full_name(f"platform-{env}"), {CONTRACT_OUTPUT: platform.outputs[CONTRACT_OUTPUT]}
            )
            found[f"billing-{env}"] = run_offline(_billing_stack(env), program)
            found[env] = run_offline(read_stack(env), program)
        yield found


def _gateway(run: OfflineRun, name: str, namespace: str) -> Registration:
    found = [
        r
        for r in run.by_type(GATEWAY)
        if (r.inputs["metadata"]["name"], r.inputs["metadata"].get("namespace"))
        == (name, namespace)
    ]
    assert len(found) == 1, [r.name for r in run.by_type(GATEWAY)]
    return found[0]


def _listener(gateway: Registration, name: str) -> dict[str, Any]:
    listeners = {item["name"]: item for item in gateway.inputs["spec"]["listeners"]}
    assert name in listeners, sorted(listeners)
    return listeners[name]


def _in_shared_ingress(run: OfflineRun) -> dict[str, Registration]:
    """The shared ingress's resources, by their URN's type and name (as in every stack)."""
    return {r.urn.split("::", 2)[2]: r for r in run.resources if any(c in r.urn for c in SHARED)}


@pytest.mark.parametrize("environment", ENVIRONMENTS)
def test_the_platform_holds_the_controllers_gateways_listeners_and_records(
    runs: dict[str, OfflineRun], environment: str
) -> None:
    platform = runs[f"platform-{environment}"]
    charts = {r.name for r in platform.by_type(CHART)}
    assert {"alb-controller", "envoy-gateway", "envoy-gateway-crds"} <= charts
    # Public: billing's own AGC Gateway in its namespace, on its own Frontend, a listener for
    # its host admitting routes from that namespace only.
    public = _gateway(platform, "public", "billing")
    listener = _listener(public, "invoice-api")
    assert listener["hostname"] == ingress_apps.PUBLIC_HOST
    assert listener["allowedRoutes"] == {"namespaces": {"from": "Same"}}
    assert [r.inputs["frontendName"] for r in platform.by_type(FRONTEND)] == ["fe-billing"]
    # Internal: the shared Envoy Gateway's listener for each application's internal host,
    # admitting that application's namespace only.
    internal = _gateway(platform, "internal", "envoy-gateway-system")
    host = ingress_apps.internal_host(environment)
    billing_listener = _listener(internal, "billing-billing-admin")
    assert billing_listener["hostname"] == host
    assert admits(billing_listener, "envoy-gateway-system", "billing")
    assert not admits(billing_listener, "envoy-gateway-system", "storefront")
    _listener(internal, "storefront-admin-web")
    records = {r.inputs["relativeRecordSetName"] for r in platform.by_type(PRIVATE_RECORD)}
    assert {"billing", "admin"} <= records
    # Public hosts in the platform's zone (prod: example.com) get their CNAME to the Frontend.
    cnames = {r.name for r in platform.by_type(RECORD) if r.inputs.get("recordType") == "CNAME"}
    assert ("invoice-api-gateway-host" in cnames) is (environment == "prod")
    # The contract lists them: what each listener serves and whom it admits.
    contract = parse_contract(platform.outputs[CONTRACT_OUTPUT])
    by_kind = {g.kind: g for g in contract.gateways}
    agc = {item.name: item for item in by_kind[AGC_KIND].listeners}
    assert agc["invoice-api"].model_dump() == {
        "name": "invoice-api",
        "protocol": "HTTPS",
        "port": 443,
        "hostname": ingress_apps.PUBLIC_HOST,
        "application": "billing",
        "gateway_name": "public",
        "gateway_namespace": "billing",
        "route_namespaces": ("billing",),
    }
    envoy = {item.name: item for item in by_kind[ENVOY_KIND].listeners}
    assert envoy["billing-billing-admin"].route_namespaces == ("billing",)
    assert envoy["storefront-admin-web"].application == "storefront"


@pytest.mark.parametrize("environment", ENVIRONMENTS)
def test_the_shared_ingress_is_the_single_stacks(
    runs: dict[str, OfflineRun], environment: str
) -> None:
    """The same components build it from the same routes: every resource of the ALB controller,
    the Gateways, Frontends, records and Envoy Gateway has the single stack's URN and inputs (a
    single stack moves to the platform without replacing its ingress)."""
    platform = _in_shared_ingress(runs[f"platform-{environment}"])
    single = _in_shared_ingress(runs[environment])
    assert sorted(platform) == sorted(single)
    differ = [k for k in platform if platform[k].inputs != single[k].inputs]
    assert differ == []


@pytest.mark.parametrize("environment", ENVIRONMENTS)
def test_application_routes_equal_the_single_stacks_and_attach_to_the_platforms_listeners(
    runs: dict[str, OfflineRun], environment: str
) -> None:
    app, single = runs[f"billing-{environment}"], runs[environment]
    platform = runs[f"platform-{environment}"]

    def routes(run: OfflineRun) -> dict[str, dict[str, Any]]:
        return {
            r.urn.split("::", 2)[2]: r.inputs
            for r in run.resources
            if r.type in (*ROUTE_KINDS, NETWORK_POLICY)
            and r.inputs["metadata"]["namespace"] == "billing"
            # The namespace's default deny is the platform's, with the namespace.
            and "platform:services:ApplicationNamespace" not in r.urn
        }

    mine = routes(app)
    assert len([k for k in mine if "Route::" in k]) == 2
    assert mine == routes(single)
    # No Gateway, Frontend, record or controller of the platform's in the application stack.
    assert not [r for r in app.resources if r.type in (GATEWAY, FRONTEND, PRIVATE_RECORD, CHART)]
    # Each route's parent is a Gateway of the platform's plan, its listener admits it.
    for route in (r for r in app.resources if r.type in ROUTE_KINDS):
        namespace = route.inputs["metadata"]["namespace"]
        for parent in route.inputs["spec"]["parentRefs"]:
            gateway = _gateway(platform, parent["name"], parent.get("namespace", namespace))
            listener = _listener(gateway, parent["sectionName"])
            assert admits(listener, gateway.inputs["metadata"]["namespace"], namespace)
            assert listener["hostname"] in route.inputs["spec"]["hostnames"]
    # The deploy simulator agrees: on the cluster the platform stack left, every route attaches.
    world = World(resources=dict(Plan.from_snapshot(to_snapshot(platform)).resources))
    phase, _ = replay("application", Plan.from_snapshot(to_snapshot(app)), world)
    assert [r.words() for r in phase.refusals if r.rule == "gateway-route-not-accepted"] == []
    # Without the platform's Gateways, it refuses them.
    phase, _ = replay("alone", Plan.from_snapshot(to_snapshot(app)), World())
    refused = {r.resource for r in phase.refusals if r.rule == "gateway-route-not-accepted"}
    assert len(refused) == 2


def _without_listener(run: OfflineRun, name: str) -> bool:
    return all(
        name not in {item["name"] for item in g.inputs["spec"]["listeners"]}
        for g in run.by_type(GATEWAY)
    )


def _warnings(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    said: list[str] = []
    monkeypatch.setattr(pulumi.log, "warn", lambda message, *_, **__: said.append(message))
    return said


def test_a_host_the_platform_did_not_grant_gets_no_listener_nor_record(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    said = _warnings(monkeypatch)
    grants = _grants("dev", billing_hosts=[ingress_apps.PUBLIC_HOST])
    run = run_offline(_platform("dev", grants), _program(ingress_apps.APPLICATIONS))
    assert _without_listener(run, "billing-billing-admin")
    records = {r.inputs["relativeRecordSetName"] for r in run.by_type(PRIVATE_RECORD)}
    assert "billing" not in records
    # The granted host keeps its listener, the other applications theirs.
    _listener(_gateway(run, "public", "billing"), "invoice-api")
    _listener(_gateway(run, "internal", "envoy-gateway-system"), "storefront-admin-web")
    assert any(
        "application billing: billing-admin declares host billing.dev.shop.internal, which "
        "platform:applications does not grant it" in w
        for w in said
    ), said


def test_one_applications_broken_declarations_skip_only_its_listeners(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    said = _warnings(monkeypatch)
    run = run_offline(_platform("dev", _grants("dev")), _program(ingress_apps.BROKEN))
    assert _without_listener(run, "billing-billing-admin")
    assert not [
        g for g in run.by_type(GATEWAY) if g.inputs["metadata"].get("namespace") == "billing"
    ]
    assert not run.by_type(FRONTEND)
    _listener(_gateway(run, "internal", "envoy-gateway-system"), "storefront-admin-web")
    contract = parse_contract(run.outputs[CONTRACT_OUTPUT])
    listed = {item.application for g in contract.gateways for item in g.listeners}
    assert listed == {"storefront"}
    assert [w for w in said if "application billing: its routes cannot be rendered" in w], said


def test_a_route_the_deployed_platform_has_no_listener_for_is_warned_of(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """The platform deployed before billing added its internal service: the application's
    preview names the route that would not attach until the platform deploys again."""
    monkeypatch.setenv(recorded.RECORDED_ENV, str(tmp_path))
    older = dataclasses.replace(ingress_apps.billing, services=(ingress_apps.invoice,))
    apps = [*ingress_apps.APPLICATIONS[:2], older]
    platform = run_offline(_platform("dev", _grants("dev")), _program(apps))
    recorded.write_recorded(
        full_name("platform-dev"), {CONTRACT_OUTPUT: platform.outputs[CONTRACT_OUTPUT]}
    )
    said = _warnings(monkeypatch)
    run_offline(_billing_stack("dev"), _program(ingress_apps.APPLICATIONS))
    unattached = [w for w in said if "which the platform's contract does not list" in w]
    assert len(unattached) == 1, said
    assert unattached[0].startswith(
        "shared ingress: billing-admin: its route attaches to listener billing-billing-admin of "
        "Gateway envoy-gateway-system/internal"
    )
