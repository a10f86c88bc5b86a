"""Third-party software from Helm charts: pinned, typed values, wired like any service."""

from __future__ import annotations

import dataclasses

import pytest

from infra.preview.engine import OfflineRun
from infra.problems import InvalidInput
from infra.services.charts import VALKEY_CHART_VERSION, VALKEY_REPOSITORY, valkey
from infra.services.render.aks import render_chart
from infra.services.spec import Application, Dependency, Port, ServiceSpec, Target
from infra.services.validation import validate_applications
from infra.services.wiring import dependency_env
from tests.fixtures import NO_EXTENSIONS, context, facts
from tests.k8s_schema import validate_object

API = ServiceSpec(
    name="api",
    image="api:1.0",
    target=Target.AKS,
    ports=(Port(name="http", number=8080),),
    dependencies=(Dependency(service="cache"),),
)


def catalog(*charts: object, services: tuple[ServiceSpec, ...] = (API,)):
    return validate_applications(
        [Application(name="shop", services=services, charts=charts, source="apps/test.py")],  # type: ignore[arg-type]
        context(),
    )


def test_reference_app_gets_valkey_from_the_pinned_official_chart(dev: OfflineRun) -> None:
    chart = dev.one("kubernetes:helm.sh/v4:Chart", "basket-valkey").inputs
    assert (chart["chart"], chart["version"]) == ("valkey", VALKEY_CHART_VERSION)
    assert chart["repositoryOpts"] == {"repo": VALKEY_REPOSITORY}
    assert chart["namespace"] == "storefront"
    values = chart["values"]
    assert values["securityContext"]["readOnlyRootFilesystem"] is True
    assert (
        values["resources"]["requests"]
        == values["resources"]["limits"]
        == {"cpu": "250m", "memory": "512Mi"}
    )
    assert values["serviceAccount"]["automount"] is False
    component = dev.one("platform:services:HelmRelease", "basket-valkey")
    assert dev.one("kubernetes:helm.sh/v4:Chart", "basket-valkey").parent == component.urn


def test_callers_get_the_address_and_only_they_may_connect(dev: OfflineRun) -> None:
    deployment = dev.one("kubernetes:apps/v1:Deployment", "storefront-basket-api").inputs
    env = {
        e["name"]: e.get("value")
        for e in deployment["spec"]["template"]["spec"]["containers"][0]["env"]
    }
    assert env["BASKET_CACHE_URL"] == "redis://basket-valkey.storefront.svc.cluster.local:6379"
    worker = dev.one("kubernetes:apps/v1:Deployment", "storefront-stock-sync").inputs
    pod = worker["spec"]["template"]["spec"]
    uri = {e["name"]: e.get("value") for e in pod["containers"][0]["env"]}["STOCK_CACHE_URI"]
    assert uri == "redis://basket-valkey.storefront.svc.cluster.local:6379/1", "scheme + suffix"
    assert pod["containers"][0]["livenessProbe"]["exec"]["command"][0] == "catalog-api"
    assert {"name": "STOCK_CACHE_URI", "value": uri} in pod["initContainers"][0]["env"]
    policy = dev.one(
        "kubernetes:networking.k8s.io/v1:NetworkPolicy", "storefront-basket-valkey-callers"
    ).inputs
    validate_object(policy)
    assert policy["spec"]["podSelector"] == {
        "matchLabels": {"app.kubernetes.io/instance": "basket-valkey"}
    }
    sources = policy["spec"]["ingress"][0]["from"]
    assert [s["podSelector"]["matchLabels"]["app.kubernetes.io/name"] for s in sources] == [
        "basket-api",
        "stock-sync",
    ]
    assert policy["spec"]["ingress"][0]["ports"] == [{"port": 6379, "protocol": "TCP"}]


def test_valkey_init_container_has_the_main_containers_resources(dev: OfflineRun) -> None:
    """Deployment Safeguards' resource mutator (Enforce) gives a container without resources
    500m / 2Gi (AKS docs "Deployment safeguards", "Resource requests mutator"); the chart's init
    container has none unless `initResources` is set (valkey 0.11.0 values.yaml: `{}`,
    templates/deploy_valkey.yaml). Set, the pod keeps its own size and stays Guaranteed."""
    values = dev.one("kubernetes:helm.sh/v4:Chart", "basket-valkey").inputs["values"]
    assert values["initResources"] == values["resources"]
    assert values["initResources"]["requests"] == values["initResources"]["limits"]


def test_oci_charts_and_host_port_addresses() -> None:
    chart = dataclasses.replace(
        valkey("cache"), repository="oci://ghcr.io/example/charts", scheme=""
    )
    built = catalog(chart)
    arguments, objects = render_chart(built.charts[0], built, NO_EXTENSIONS)
    assert arguments["chart"] == "oci://ghcr.io/example/charts/valkey"
    assert "repository" not in arguments
    for obj in objects:
        validate_object(obj)
    env = dependency_env(built.get("api"), built, facts())
    assert [(e.name, e.value) for e in env] == [("CACHE_URL", "cache.shop.svc.cluster.local:6379")]


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        (
            {"version": "^1.0"},
            "version = '^1.0': is not an exact chart version → pin one version, e.g. 1.0.0 (ranges would upgrade without review)",
        ),
        (
            {"repository": "http://charts.example.com"},
            "repository = 'http://charts.example.com': is not an https:// or oci:// chart source → use the chart's repository URL or OCI registry path",
        ),
        (
            {"values": {"auth": {"password": "hunter2"}}},
            "values.auth.password = <hidden>: is a secret given as a literal value → let the chart read it from an existing Secret (e.g. auth.usersExistingSecret)",
        ),
        ({"port": 0}, "port = 0: must be 1..65535 → use the port the chart's Service exposes"),
        (
            {"name": "Cache"},
            "name = 'Cache': is not a release name (DNS label, at most 53 characters) → use lowercase letters, digits and '-'",
        ),
    ],
)
def test_malformed_charts_are_refused(change: dict[str, object], expected: str) -> None:
    chart = dataclasses.replace(valkey("cache"), **change)
    with pytest.raises(InvalidInput) as caught:
        catalog(chart, services=(dataclasses.replace(API, dependencies=()),))
    assert expected in [p.render().strip() for p in caught.value.problems]


def test_container_apps_cannot_depend_on_a_chart() -> None:
    aca = dataclasses.replace(API, target=Target.CONTAINER_APPS)
    with pytest.raises(
        InvalidInput, match="is a Helm chart on AKS, which Container Apps cannot reach"
    ):
        catalog(valkey("cache"), services=(aca,))


@pytest.mark.parametrize(
    "values",
    [
        # The fix the rule's own message and the README recommend (valkey-helm's values).
        {"auth": {"enabled": True, "usersExistingSecret": "valkey-users"}},
        # Common chart conventions for naming a Secret, or a key inside one.
        {"auth": {"existingSecret": "db-auth", "existingSecretPasswordKey": "password"}},
        {"tls": {"secretName": "cache-tls"}, "passwordSecretName": "cache-password"},
        {"auth": {"secretKeys": {"adminPasswordKey": "admin-password"}}},
        {
            "extraEnv": [
                {
                    "name": "API_TOKEN",
                    "valueFrom": {"secretKeyRef": {"name": "api", "key": "token"}},
                }
            ]
        },
    ],
)
def test_chart_values_may_reference_secrets(values: dict[str, object]) -> None:
    """Issue 22: the rule matched key names and refused the references it recommends."""
    chart = dataclasses.replace(valkey("cache"), values=values)
    catalog(chart, services=(dataclasses.replace(API, dependencies=()),))


@pytest.mark.parametrize(
    ("values", "path"),
    [
        ({"auth": {"password": "hunter2"}}, "values.auth.password"),
        ({"auth": {"secretKey": "s3cr3t"}}, "values.auth.secretKey"),
        ({"global": {"apiToken": "abc"}}, "values.global.apiToken"),
        # A reference key holding what is plainly not a name: a pasted secret.
        ({"auth": {"existingSecret": "p@ss w0rd!"}}, "values.auth.existingSecret"),
        ({"tls": {"secretName": "-----BEGIN PRIVATE KEY-----"}}, "values.tls.secretName"),
    ],
)
def test_literal_secret_values_in_chart_values_are_still_refused(
    values: dict[str, object], path: str
) -> None:
    chart = dataclasses.replace(valkey("cache"), values=values)
    with pytest.raises(InvalidInput) as caught:
        catalog(chart, services=(dataclasses.replace(API, dependencies=()),))
    assert [p.path for p in caught.value.problems] == [path]
    assert all(p.value == "<hidden>" for p in caught.value.problems), "never echo the value"
