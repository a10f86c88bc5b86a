"""The offline diff says what `pulumi preview --diff` would say, edit by edit.

Each edit is one a reviewer would make, to `apps/` or to a stack file, on either target and in
either stack; each is planned by the real program in-process and compared with the unedited
plan, and the step per resource must be the one the engine and the providers take:

- inputs decide update vs no step (`dependsOn` alone is none: pulumi/pulumi
  pkg/resource/deploy/step_generator.go);
- the provider's rules decide replacement (pulumi-kubernetes provider/pkg/provider/diff.go,
  pulumi-azure-native provider/pkg/provider/diff.go; see infra/preview/replacement.py);
- unknown outputs cascade: a created or replaced resource's outputs, and an updated azure-native
  resource's computed outputs, are unknown in a preview, and what reads them changes with them.

The edits are planned once per module, in forked workers (two at a time), from the plans
the session already loaded.
"""

from __future__ import annotations

import copy
import json
import multiprocessing
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from rich.console import Console

from infra.preview.cli import EXIT_CHANGES, EXIT_NO_CHANGES, main
from infra.preview.diff import Operation, diff, to_json
from infra.preview.replacement import azure_path_parameters
from infra.preview.report import markdown, print_diff
from infra.preview.snapshot import dumps
from infra.services.spec import (
    Autoscaling,
    Dependency,
    Exposure,
    HttpProbe,
    Identity,
    Ingress,
    Override,
    Port,
    Probes,
    Protocol,
    Resources,
    RoleGrant,
)
from tests.preview_edits import (
    Edit,
    extra,
    operations,
    plan,
    service,
    services,
    setting,
    spec,
)

pytestmark = pytest.mark.slow  # every edit planned in forked workers: a minute on 2 cores

U, R, C, D = "update", "replace", "create", "delete"


def _grant(name: str, role: str) -> Identity:
    declared = spec(name).identity
    assert declared is not None
    return Identity(roles=(*declared.roles, RoleGrant(role=role, scope=declared.roles[0].scope)))


def _config(mutate: Callable[[dict[str, Any]], None]) -> Callable[[dict[str, Any]], None]:
    return mutate


# Cluster updates: azure-native previews an update's computed outputs as unknown, so the kubelet
# identity's role assignment (principalId forces replacement) is replaced and the federated
# credentials' issuer is updated, in a preview (the update itself changes neither).
CLUSTER_UPDATE = {
    "ManagedCluster:aks-cluster": U,
    "RoleAssignment:aks-kubelet-acrpull": R,
    "FederatedIdentityCredential:catalog-api-federation": U,
    "FederatedIdentityCredential:notification-service-federation": U,
    "FederatedIdentityCredential:ordering-api-federation": U,
    "FederatedIdentityCredential:notification-service-keda-federation": U,
    "FederatedIdentityCredential:gateway-alb-federation": U,
    # Its scope reads the cluster's nodeResourceGroup output, unknown while the cluster updates
    # (like the kubelet grant's principal).
    "RoleAssignment:gateway-alb-node-reader": R,
}
# Replacing the Container Apps environment replaces every app in it (managedEnvironmentId
# forces replacement); AKS services calling a Container App get an unknown URL (its domain).
ENVIRONMENT_REPLACED = {
    "ManagedEnvironment:container-apps-env": R,
    "ContainerApp:aca-api": R,
    "ContainerApp:identity-api": R,
    "ContainerApp:order-worker": R,
    "ContainerApp:payment-api": R,
    "ContainerApp:web": R,
    "Deployment:storefront-notification-service": U,
    "Deployment:storefront-ordering-api": U,
}

EDITS: list[Edit] = [
    # ----- apps/: AKS --------------------------------------------------------------------
    Edit(
        "aks-image",
        "dev",
        {"Deployment:storefront-catalog-api": U},
        apps=service(
            "catalog-api",
            image="storefront/catalog-api:1.15.0@sha256:5555555555555555555555555555555555555555555555555555555555555555",
        ),
    ),
    Edit(
        "aks-image-prod",
        "prod",
        {"Deployment:storefront-catalog-api": U},
        apps=service(
            "catalog-api",
            image="storefront/catalog-api:1.15.0@sha256:5555555555555555555555555555555555555555555555555555555555555555",
        ),
    ),
    Edit(
        "aks-replicas",
        "dev",
        {"Deployment:storefront-admin-web": U},
        apps=service("admin-web", replicas=3),
    ),
    Edit(
        "aks-env",
        "dev",
        {"Deployment:storefront-catalog-api": U},
        apps=service("catalog-api", env={**spec("catalog-api").env, "LOG_LEVEL": "debug"}),
    ),
    Edit(
        "aks-resources",
        "prod",
        {"Deployment:storefront-basket-api": U},
        apps=service("basket-api", resources=Resources(cpu=0.5, memory="1Gi")),
    ),
    Edit(
        "aks-probe",
        "dev",
        {"Deployment:storefront-admin-web": U},
        apps=service(
            "admin-web",
            probes=Probes(readiness=HttpProbe(path="/ready"), liveness=HttpProbe(path="/live")),
        ),
    ),
    Edit(
        "aks-autoscaling",
        "dev",
        {"HorizontalPodAutoscaler:storefront-catalog-api": U},
        apps=service(
            "catalog-api",
            autoscaling=Autoscaling(min_replicas=2, max_replicas=8, cpu_utilization=70),
        ),
    ),
    Edit(
        "aks-prod-override-in-dev",
        "dev",
        {},
        apps=service(
            "catalog-api",
            overrides={
                **spec("catalog-api").overrides,
                "prod": Override(
                    image="storefront/catalog-api:1.15.0@sha256:5555555555555555555555555555555555555555555555555555555555555555",
                    autoscaling=Autoscaling(min_replicas=3, max_replicas=20),
                ),
            },
        ),
        why="an override for prod changes nothing in dev",
    ),
    Edit(
        "aks-prod-override-in-prod",
        "prod",
        {"Deployment:storefront-catalog-api": U},
        apps=service(
            "catalog-api",
            overrides={
                **spec("catalog-api").overrides,
                "prod": Override(
                    image="storefront/catalog-api:1.15.0@sha256:5555555555555555555555555555555555555555555555555555555555555555",
                    autoscaling=Autoscaling(min_replicas=3, max_replicas=20),
                ),
            },
        ),
    ),
    Edit(
        "aks-role-grant",
        "dev",
        {"RoleAssignment:ordering-api-role-1": C},
        apps=service(
            "ordering-api", identity=_grant("ordering-api", "Azure Service Bus Data Receiver")
        ),
        why="the Deployment's dependsOn changes, which is no step",
    ),
    Edit(
        "aks-role-grant-prod",
        "prod",
        {"RoleAssignment:ordering-api-role-1": C},
        apps=service(
            "ordering-api", identity=_grant("ordering-api", "Azure Service Bus Data Receiver")
        ),
    ),
    Edit(
        "config-secret-reference",
        "dev",
        {"Secret:extra-aks-api-config": R, "ContainerApp:aca-api": U},
        apps=extra(key="other-token"),
        why="another stack secret: shown changed, value hidden; a Secret's stringData forces "
        "replacement (the provider does not enable mutable Secrets)",
    ),
    # ----- apps/: Container Apps ---------------------------------------------------------
    Edit(
        "ca-image",
        "dev",
        {"ContainerApp:web": U},
        apps=service(
            "web",
            image="storefront/web:2.9.0@sha256:5555555555555555555555555555555555555555555555555555555555555555",
        ),
    ),
    Edit(
        "ca-image-prod",
        "prod",
        {"ContainerApp:web": U},
        apps=service(
            "web",
            image="storefront/web:2.9.0@sha256:5555555555555555555555555555555555555555555555555555555555555555",
        ),
    ),
    Edit(
        "ca-replicas",
        "dev",
        {"ContainerApp:identity-api": U},
        apps=service("identity-api", replicas=3),
    ),
    Edit(
        "ca-env",
        "prod",
        {"ContainerApp:payment-api": U},
        apps=service("payment-api", env={"LOG_LEVEL": "debug"}),
    ),
    Edit(
        "ca-resources",
        "dev",
        {"ContainerApp:payment-api": U},
        apps=service("payment-api", resources=Resources(cpu=1.0, memory="2Gi")),
    ),
    Edit(
        "ca-autoscaling",
        "dev",
        {"ContainerApp:payment-api": U},
        apps=service(
            "payment-api",
            autoscaling=Autoscaling(min_replicas=2, max_replicas=12, cpu_utilization=70),
        ),
    ),
    Edit(
        "ca-public",
        "dev",
        {"ContainerApp:identity-api": U},
        apps=service("identity-api", ingress=Ingress(exposure=Exposure.PUBLIC)),
    ),
    Edit(
        "ca-role-grant",
        "dev",
        {"RoleAssignment:order-worker-role-1": C},
        apps=service(
            "order-worker", identity=_grant("order-worker", "Azure Service Bus Data Sender")
        ),
        why="the Container App's dependsOn changes, which is no step",
    ),
    Edit(
        "ca-ingress-beside-a-secret",
        "dev",
        {"ContainerApp:aca-api": U},
        apps=extra(exposure=Exposure.PUBLIC),
        why="the secret in `configuration` hides only itself",
    ),
    Edit(
        "ca-target-port-beside-a-secret",
        "prod",
        {"ContainerApp:aca-api": U, "Deployment:extra-aks-api": U, "Service:extra-aks-api": U},
        apps=extra(port=9000),
    ),
    Edit(
        "config-secret-reference-prod",
        "prod",
        {"ContainerApp:aca-api": U, "Secret:extra-aks-api-config": R},
        apps=extra(key="other-token"),
    ),
    # ----- apps/: across targets ---------------------------------------------------------
    Edit(
        "first-container-apps-caller",
        "dev",
        {
            "Service:storefront-admin-web": U,
            "NetworkPolicy:storefront-admin-web": U,
            "PrivateRecordSet:admin-web-private-dns": C,
            "ContainerApp:payment-api": U,
        },
        apps=service("payment-api", dependencies=(Dependency(service="admin-web"),)),
        why="spec.type ClusterIP -> LoadBalancer updates a Service in place",
    ),
    Edit(
        "last-container-apps-caller",
        "prod",
        {
            "Service:storefront-notification-service": U,
            "NetworkPolicy:storefront-notification-service": U,
            "PrivateRecordSet:notification-service-private-dns": D,
            "ContainerApp:order-worker": U,
        },
        apps=service("order-worker", dependencies=()),
    ),
    Edit(
        "aks-port",
        "dev",
        {
            "Deployment:storefront-admin-web": U,
            "Service:storefront-admin-web": U,
            "NetworkPolicy:storefront-admin-web": U,
            "HTTPRoute:storefront-admin-web": U,
        },
        why="the Deployment and NetworkPolicy name the container port, and a Gateway API "
        "backendRef the Service port, by number",
        apps=service("admin-web", ports=(Port(name="http", number=8081, protocol=Protocol.HTTP),)),
    ),
    Edit(
        "remove-a-service",
        "dev",
        {
            "Deployment:storefront-admin-web": D,
            "Service:storefront-admin-web": D,
            "ServiceAccount:storefront-admin-web": D,
            "NetworkPolicy:storefront-admin-web": D,
            "PodDisruptionBudget:storefront-admin-web": D,
            "HTTPRoute:storefront-admin-web": D,
            "AksService:admin-web": D,
            "NetworkPolicy:storefront-catalog-api": U,
            "NetworkPolicy:storefront-ordering-api": U,
            "EnvoyGateway:envoy-gateway": D,
            "Chart:envoy-gateway": D,
            "Chart:envoy-gateway-crds": D,
            "Namespace:envoy-gateway-system": D,
            **{
                f"{kind}:envoy-gateway-system-envoy-gateway-gateway-helm-certgen": D
                for kind in ("ServiceAccount", "Role", "RoleBinding", "Job")
            },
            "GatewayClass:envoy-gateway": D,
            "EnvoyProxy:envoy-gateway-system-envoy-gateway": D,
            "Gateway:envoy-gateway-system-internal": D,
            "PrivateRecordSet:internal-host-admin.dev.shop.internal": D,
        },
        apps=services(lambda declared: [s for s in declared if s.name != "admin-web"]),
        why="its callees stop allowing it; it was the only internally exposed service",
    ),
    # ----- stack files -------------------------------------------------------------------
    Edit(
        "user-pool-max",
        "dev",
        CLUSTER_UPDATE,
        config=setting("aks", "userPool", "maxCount", value=5),
    ),
    Edit(
        "kubernetes-version",
        "prod",
        {},
        config=setting("aks", "kubernetesVersion", value="1.35"),
        why="with an upgrade channel AKS owns the version (ignoreChanges, pulumi-azure-native#2059)",
    ),
    Edit(
        "authorized-ip-ranges",
        "dev",
        CLUSTER_UPDATE,
        config=setting(
            "aks", "apiServer", "authorizedIpRanges", value=["203.0.113.0/24", "192.0.2.0/24"]
        ),
    ),
    Edit(
        "maintenance-day",
        "dev",
        {
            "MaintenanceConfiguration:aks-aksManagedAutoUpgradeSchedule": U,
            "MaintenanceConfiguration:aks-aksManagedNodeOSUpgradeSchedule": U,
        },
        config=setting("aks", "maintenanceWindow", "dayOfWeek", value="Wednesday"),
    ),
    Edit(
        "container-apps-internal",
        "dev",
        {
            **ENVIRONMENT_REPLACED,
            "NetworkSecurityGroup:network-container-apps-nsg": U,
            "PrivateZone:container-apps-private-zone": C,
            "VirtualNetworkLink:container-apps-private-zone-link": C,
            "PrivateRecordSet:container-apps-wildcard": C,
        },
        config=setting("containerApps", "internal", value=True),
        why="vnetConfiguration.internal is create-only",
    ),
    Edit(
        "zone-redundancy-off",
        "prod",
        {
            **ENVIRONMENT_REPLACED,
            "Certificate:web-certificate": R,
            "RecordSet:web-domain-address": U,
            "RecordSet:web-domain-verification": U,
        },
        config=setting("containerApps", "zoneRedundant", value=False),
        why="zoneRedundant is create-only; the certificate's environmentName reads it, and the "
        "custom domain's records read the environment's domain and verification id",
    ),
    Edit(
        "log-retention",
        "dev",
        {
            "Workspace:observability-logs": U,
            "ManagedEnvironment:container-apps-env": U,
            "ContainerApp:web": U,
            "Deployment:storefront-notification-service": U,
            "Deployment:storefront-ordering-api": U,
        },
        config=setting("monitoring", "retentionDays", value=60),
        why="the workspace's customerId and the environment's domain are unknown while updating "
        "(web calls identity-api at <app>.<domain>)",
    ),
    Edit(
        "protect-dev",
        "dev",
        {"Vault:keyvault-vault": U},
        config=setting("protect", value=True),
        why="protect alone is no step; the vault's purge protection follows it (an input)",
    ),
    Edit(
        "kubelogin-mode",
        "prod",
        {"kubernetes:aks-k8s": U},
        config=setting("aks", "kubeloginMode", value="azurecli"),
        why="clusterIdentifier is unchanged: the provider is updated, nothing replaced",
    ),
    Edit(
        "registry-sku",
        "dev",
        {
            "Registry:registry-acr": U,
            **{f"ContainerApp:{n}": U for n in ("aca-api", "identity-api", "order-worker")},
            **{f"ContainerApp:{n}": U for n in ("payment-api", "web")},
            **{
                f"Deployment:{n}": U
                for n in (
                    "extra-aks-api",
                    "storefront-admin-web",
                    "storefront-basket-api",
                    "storefront-catalog-api",
                    "storefront-notification-service",
                    "storefront-ordering-api",
                    "storefront-stock-sync",
                )
            },
            "CronJob:storefront-jobs-catalog-reindex": U,
        },
        config=setting("registry", "sku", value="Standard"),
        why="the login server is a computed output, unknown while the registry updates, and "
        "every image names it",
    ),
    Edit(
        "workload-profile-max",
        "prod",
        {
            "ManagedEnvironment:container-apps-env": U,
            "ContainerApp:web": U,
            "Deployment:storefront-notification-service": U,
            "Deployment:storefront-ordering-api": U,
            "RecordSet:web-domain-address": U,
            "RecordSet:web-domain-verification": U,
        },
        config=setting(
            "containerApps",
            "workloadProfiles",
            value=[{"name": "general-d4", "type": "D4", "minCount": 1, "maxCount": 8}],
        ),
    ),
]

# Edits after which nothing may change (reordering, restating defaults).
NO_CHANGE: list[Edit] = [
    Edit(
        "reorder-services",
        "dev",
        {},
        apps=services(lambda declared: list(reversed(declared))),
    ),
    Edit(
        "reorder-env",
        "dev",
        {},
        apps=service("ordering-api", env=dict(reversed(list(spec("ordering-api").env.items())))),
    ),
    Edit(
        "restate-defaults-aks",
        "dev",
        {},
        apps=service(
            "admin-web",
            resources=Resources(cpu=0.25, memory="512Mi"),
            writable_paths=("/tmp",),
            ports=(Port(name="http", number=8080, protocol=Protocol.HTTP),),
        ),
    ),
    Edit(
        "restate-defaults-ca",
        "prod",
        {},
        apps=service(
            "identity-api", ingress=Ingress(exposure=Exposure.NONE), writable_paths=("/tmp",)
        ),
    ),
    Edit(
        "reorder-stack-keys",
        "prod",
        {},
        config=lambda document: document.update(dict(reversed(list(document.items())))),
    ),
    Edit(
        "restate-protect-default",
        "prod",
        {},
        config=setting("protect", value=True),
    ),
    Edit(
        "restate-pool-defaults",
        "dev",
        {},
        config=setting("aks", "systemPool", "maxPods", value=110),
    ),
    Edit(
        "reorder-pool-keys",
        "dev",
        {},
        config=setting(
            "aks",
            "userPool",
            value={"maxCount": 3, "minCount": 1, "vmSize": "Standard_D4ds_v5"},
        ),
    ),
]


# Edits whose cascade is checked by rule rather than listed (dozens of resources).
CASCADES: list[Edit] = [
    Edit(
        "aks-replaced",
        "dev",
        {},
        config=setting("network", "podCidr", value="192.169.0.0/16"),
        why="networkProfile.podCidr is force-new",
    ),
    Edit(
        "aks-replaced-prod",
        "prod",
        {},
        config=setting("network", "podCidr", value="192.169.0.0/16"),
    ),
]
ALL = EDITS + NO_CHANGE + CASCADES


def _plan_edit(index: int) -> tuple[dict[str, str], dict[str, Any]]:
    """Plan `ALL[index]` (an index: workers import the table themselves)."""
    edit = ALL[index]
    result = diff(_BASES[edit.stack], plan(edit.stack, edit.apps, edit.config))
    return operations(result), to_json(result)


_BASES: dict[str, dict[str, Any]] = {}


def _start_worker(bases: dict[str, dict[str, Any]]) -> None:
    from infra.preview.engine import preload_providers

    preload_providers()
    _BASES.update(bases)


@pytest.fixture(scope="module")
def bases() -> dict[str, dict[str, Any]]:
    return {stack: plan(stack) for stack in ("dev", "prod")}


@pytest.fixture(scope="module")
def outcomes(bases: dict[str, dict[str, Any]]) -> dict[str, tuple[dict[str, str], dict[str, Any]]]:
    """Every edit planned once, by two workers. Not forked from this process: the Pulumi
    runtime's executor threads are alive here after the session's plans, and a fork with live
    threads can deadlock; a fork server starts clean, and its workers load the program once."""
    edits = ALL
    if "forkserver" not in multiprocessing.get_all_start_methods():
        _BASES.update(bases)
        results = [_plan_edit(i) for i in range(len(edits))]
    else:
        context = multiprocessing.get_context("forkserver")
        context.set_forkserver_preload(["infra.program", "tests.preview_edits"])
        with context.Pool(2, initializer=_start_worker, initargs=(bases,)) as pool:
            results = pool.map(_plan_edit, range(len(edits)), chunksize=3)
    return {e.id: r for e, r in zip(edits, results, strict=True)}


def test_the_table_covers_both_targets_both_stacks_and_forty_edits() -> None:
    assert len(EDITS) + len(NO_CHANGE) >= 40
    assert {e.stack for e in EDITS} == {"dev", "prod"}
    assert {e.stack for e in NO_CHANGE} == {"dev", "prod"}
    assert len({e.id for e in EDITS + NO_CHANGE}) == len(EDITS) + len(NO_CHANGE)


@pytest.mark.parametrize("edit", EDITS, ids=[e.id for e in EDITS])
def test_each_edit_gets_the_step_pulumi_would_take(
    edit: Edit, outcomes: dict[str, tuple[dict[str, str], dict[str, Any]]]
) -> None:
    got, _ = outcomes[edit.id]
    assert got == dict(edit.expected), edit.why


@pytest.mark.parametrize("edit", NO_CHANGE, ids=[e.id for e in NO_CHANGE])
def test_reordering_and_restating_defaults_change_nothing(
    edit: Edit, outcomes: dict[str, tuple[dict[str, str], dict[str, Any]]]
) -> None:
    got, report = outcomes[edit.id]
    assert got == {}
    assert report["summary"] == {"create": 0, "update": 0, "replace": 0, "delete": 0}


# ----- each class of misreport, one by one ---------------------------------------------------

Outcomes = dict[str, tuple[dict[str, str], dict[str, Any]]]


def _change(report: dict[str, Any], kind: str, name: str) -> dict[str, Any]:
    return next(
        c for c in report["changes"] if c["type"].endswith(f":{kind}") and c["name"] == name
    )


def _property(change: dict[str, Any], path: str) -> dict[str, Any]:
    return next(p for p in change["properties"] if p["path"] == path)


def test_a_service_type_change_updates_the_service_in_place(outcomes: Outcomes) -> None:
    """Used to read as a replacement; pulumi-kubernetes replaces a Service on spec.clusterIP."""
    _, report = outcomes["first-container-apps-caller"]
    service_change = _change(report, "Service", "storefront-admin-web")
    assert service_change["operation"] == "update"
    spec_type = _property(service_change, "spec.type")
    assert (spec_type["before"], spec_type["after"]) == ("ClusterIP", "LoadBalancer")
    assert not spec_type["forcesReplacement"]


def test_a_dependency_only_change_is_no_step_and_exits_zero(tmp_path: Path) -> None:
    """Used to read as an update per resource whose dependsOn changed (and exit 1)."""
    base = plan("dev")
    head = copy.deepcopy(base)
    app = next(r for r in head["resources"] if r["name"] == "web" and r["custom"])
    app["options"]["dependsOn"] = [*app["options"].get("dependsOn", []), "urn:pulumi:x::y::z::w"]
    result = diff(base, head)
    assert result.empty
    assert markdown(result) == ""
    (tmp_path / "base.json").write_text(dumps(base))
    args = ["diff", str(tmp_path / "base.json"), str(tmp_path / "head.json")]
    out = tmp_path / "d.json"
    (tmp_path / "head.json").write_text(dumps(head))
    assert main([*args, "--format", "json", "--out", str(out)]) == EXIT_NO_CHANGES
    assert json.loads(out.read_text())["changes"] == []
    # protect alone is no step either (a "same" step), but pulumi preview shows the toggle.
    app["options"]["protect"] = True
    (tmp_path / "head.json").write_text(dumps(head))
    assert main([*args, "--format", "json", "--out", str(out)]) == EXIT_NO_CHANGES
    report = json.loads(out.read_text())
    assert report["changes"] == []
    assert [(c["name"], c["before"], c["after"]) for c in report["protectChanges"]] == [
        ("web", False, True)
    ]
    assert "azure-native:app:ContainerApp web  [protect: false => true]" in markdown(
        diff(base, head)
    )


def test_one_secret_hides_only_itself(outcomes: Outcomes) -> None:
    """Used to mask the whole `configuration`, so an ingress change was invisible."""
    _, report = outcomes["ca-ingress-beside-a-secret"]
    app = _change(report, "ContainerApp", "aca-api")
    external = _property(app, "configuration.ingress.external")
    assert (external["before"], external["after"]) == (False, True)
    _, ported = outcomes["ca-target-port-beside-a-secret"]
    port = _property(_change(ported, "ContainerApp", "aca-api"), "configuration.ingress.targetPort")
    assert (port["before"], port["after"]) == (8080, 9000)


def test_pointing_at_another_stack_secret_shows_a_change_and_no_value(
    outcomes: Outcomes,
) -> None:
    """Used to show nothing: every `secure:` value was the same placeholder."""
    _, report = outcomes["config-secret-reference"]
    app = _change(report, "ContainerApp", "aca-api")
    value = _property(app, "configuration.secrets[0].value")
    assert (value["before"], value["after"]) == ("[secret]", "[secret]")
    text = json.dumps(report)
    assert "offline-secret:" not in text
    assert "ciphertext" not in text


def test_replacing_the_cluster_cascades_through_the_provider(outcomes: Outcomes) -> None:
    """Used to show only the cluster replaced: offline ids are derived from names, so nothing
    that read its id changed. In a preview they are unknown until the new cluster exists."""
    for edit_id in ("aks-replaced", "aks-replaced-prod"):
        got, report = outcomes[edit_id]
        assert got["ManagedCluster:aks-cluster"] == R
        assert got["kubernetes:aks-k8s"] == R, "clusterIdentifier is the cluster id"
        provider = _change(report, "kubernetes", "aks-k8s")
        identifier = _property(provider, "clusterIdentifier")
        assert identifier["after"] == "output<string>"
        assert identifier["unknown"]
        deployed = [c for c in report["changes"] if c["type"].startswith("kubernetes:")]
        custom = [c for c in deployed if not c["type"].startswith("kubernetes:helm.sh/")]
        assert len(custom) >= 40
        assert all(c["operation"] == R for c in custom), "a replaced provider replaces its objects"
        assert _property(custom[0], "provider")["after"] == "output<string>"
        for service_name in ("catalog-api", "ordering-api", "notification-service"):
            credential = f"FederatedIdentityCredential:{service_name}-federation"
            assert got[credential] == U
            issuer = _property(
                _change(report, "FederatedIdentityCredential", f"{service_name}-federation"),
                "issuer",
            )
            assert issuer["after"] == "output<string>"
        assert got["RoleAssignment:aks-kubelet-acrpull"] == R, "principalId: the new kubelet"
        # Nothing outside the cluster's reach: the registry, vault, network stay as they are.
        assert not {
            "Registry:registry-acr",
            "Vault:keyvault-vault",
            "VirtualNetwork:network-vnet",
        } & set(got)
    _, prod = outcomes["aks-replaced-prod"]
    assert "aks-cluster" in {c["name"] for c in prod["changes"] if c["blocked"]}


def test_markdown_and_text_show_unknowns_as_pulumi_does(
    outcomes: Outcomes, bases: dict[str, dict[str, Any]]
) -> None:
    head = plan("dev", config=setting("network", "podCidr", value="192.169.0.0/16"))
    result = diff(bases["dev"], head)
    text = markdown(result)
    assert '~ clusterIdentifier: "/subscriptions/' in text
    assert "=> output<string> (forces replacement)" in text
    assert "+- pulumi:providers:kubernetes aks-k8s" in text
    assert '~ issuer: "https://' in text
    assert "=> output<string>\n" in text
    console = Console(record=True, width=300, no_color=True)
    print_diff(result, console)
    terminal = console.export_text()
    assert "+- pulumi:providers:kubernetes  aks-k8s" in terminal
    assert "~ clusterIdentifier: " in terminal
    assert "=> output<string> (forces replacement)" in terminal


def test_azure_replacement_rules_come_from_the_provider_and_sdk(
    bases: dict[str, dict[str, Any]],
) -> None:
    """URL path parameters derived from the SDK, force-new properties from the provider."""
    tokens = {
        r["type"]
        for b in bases.values()
        for r in b["resources"]
        if r["type"].startswith("azure-native:")
    }
    for token in tokens:
        assert azure_path_parameters(token), token  # every type the program uses resolves
    assert azure_path_parameters("azure-native:monitor:DataCollectionRuleAssociation") == {
        "associationName",
        "resourceUri",
    }
    assert azure_path_parameters("azure-native:authorization:RoleAssignment") == {
        "roleAssignmentName",
        "scope",
    }
    assert azure_path_parameters("azure-native:network:Subnet") == {
        "resourceGroupName",
        "virtualNetworkName",
        "subnetName",
    }
    base = bases["dev"]
    for kind, name, path, value in (
        (
            "DataCollectionRuleAssociation",
            "container-insights-rule-association",
            ["associationName"],
            "x",
        ),
        (
            "DataCollectionRuleAssociation",
            "container-insights-rule-association",
            ["resourceUri"],
            "/x",
        ),
        ("RoleAssignment", "aks-kubelet-acrpull", ["principalId"], "p"),
        ("ContainerApp", "web", ["managedEnvironmentId"], "/e"),
        ("PublicIPAddress", "aks-egress", ["location"], "northeurope"),
    ):
        head = copy.deepcopy(base)
        target = next(
            r for r in head["resources"] if r["type"].endswith(f":{kind}") and r["name"] == name
        )
        target["inputs"][path[0]] = value
        change = next(c for c in diff(base, head).changes if c.name == name)
        assert change.operation is Operation.REPLACE, (kind, path)
    # Not force-new: an agent pool's VM size is updated in place (Azure then refuses it, which
    # the preview cannot know; pulumi-azure-native#2774), and so are tags.
    head = copy.deepcopy(base)
    cluster = next(r for r in head["resources"] if r["name"] == "aks-cluster")
    cluster["inputs"]["agentPoolProfiles"][1]["vmSize"] = "Standard_D8ds_v5"
    cluster["inputs"]["tags"]["owner"] = "someone-else"
    change = next(c for c in diff(base, head).changes if c.name == "aks-cluster")
    assert change.operation is Operation.UPDATE


def test_a_location_spelled_differently_is_no_change(bases: dict[str, dict[str, Any]]) -> None:
    head = copy.deepcopy(bases["dev"])
    vnet = next(r for r in head["resources"] if r["name"] == "network-vnet")
    vnet["inputs"]["location"] = "West Europe"
    assert diff(bases["dev"], head).empty


def test_a_replaced_provider_replaces_every_object_it_manages(
    bases: dict[str, dict[str, Any]], tmp_path: Path
) -> None:
    """The diff itself shows `+- kubernetes aks-k8s`: its objects show replaced too."""
    base = bases["dev"]
    head = copy.deepcopy(base)
    provider = next(r for r in head["resources"] if r["type"] == "pulumi:providers:kubernetes")
    provider["inputs"]["clusterIdentifier"] = "/subscriptions/0/another-cluster"
    result = diff(base, head)
    # Custom resources: a component (the Helm chart) has no provider of its own in state.
    managed = {
        r["urn"] for r in base["resources"] if r["provider"] == provider["urn"] and r["custom"]
    }
    replaced = {c.urn for c in result.changes if c.operation is Operation.REPLACE}
    assert replaced == managed | {provider["urn"]}
    # And what reads the replaced Services' load-balancer addresses: their private DNS records.
    others = {c.name: c.operation for c in result.changes if c.urn not in replaced}
    assert others == {
        f"{name}-private-dns": Operation.UPDATE
        for name in ("basket-api", "catalog-api", "notification-service", "ordering-api")
    }
    (tmp_path / "base.json").write_text(dumps(base))
    (tmp_path / "head.json").write_text(dumps(head))
    assert (
        main(
            [
                "diff",
                str(tmp_path / "base.json"),
                str(tmp_path / "head.json"),
                "--out",
                str(tmp_path / "d.txt"),
            ]
        )
        == EXIT_CHANGES
    )
