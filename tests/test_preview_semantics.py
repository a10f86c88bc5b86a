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
import dataclasses
import json
import multiprocessing
from collections.abc import Callable
from typing import Any

import pytest

from infra.preview.cli import EXIT_CHANGES, EXIT_NO_CHANGES, main
from infra.preview.diff import Operation, PlanDiff, diff, to_json
from infra.preview.report import markdown
from infra.preview.snapshot import dumps
from infra.services.spec import (
    Autoscaling,
    Dependency,
    Exposure,
    HttpProbe,
    Identity,
    Ingress,
    KeyVaultSecret,
    Override,
    Port,
    Probes,
    Protocol,
    Resources,
    RoleGrant,
    ServiceSpec,
    Target,
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

U, R, C, D = "update", "replace", "create", "delete"


def _grant(name: str, role: str) -> Identity:
    declared = spec(name).identity
    assert declared is not None
    return Identity(roles=(*declared.roles, RoleGrant(role=role, scope=declared.roles[0].scope)))


def _config(mutate: Callable[[dict[str, Any]], None]) -> Callable[[dict[str, Any]], None]:
    return mutate


# Cluster updates: azure-native previews an update's computed outputs as unknown, so the kubelet
# and app-routing identities' role assignments (principalId forces replacement) are replaced and
# the federated credentials' issuer is updated, in a preview (the update itself changes neither).
CLUSTER_UPDATE = {
    "ManagedCluster:aks-cluster": U,
    "RoleAssignment:aks-app-routing-keyvault-certificates": R,
    "RoleAssignment:aks-app-routing-keyvault-secrets": R,
    "RoleAssignment:aks-kubelet-acrpull": R,
    "FederatedIdentityCredential:catalog-api-federation": U,
    "FederatedIdentityCredential:notification-service-federation": U,
    "FederatedIdentityCredential:ordering-api-federation": U,
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
        apps=service("catalog-api", image="storefront/catalog-api:1.15.0"),
    ),
    Edit(
        "aks-image-prod",
        "prod",
        {"Deployment:storefront-catalog-api": U},
        apps=service("catalog-api", image="storefront/catalog-api:1.15.0"),
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
                    image="storefront/catalog-api:1.15.0",
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
                    image="storefront/catalog-api:1.15.0",
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
        apps=service("web", image="storefront/web:2.9.0"),
    ),
    Edit(
        "ca-image-prod",
        "prod",
        {"ContainerApp:web": U},
        apps=service("web", image="storefront/web:2.9.0"),
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
        },
        why="the Ingress names the Service port, not its number",
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
            "Ingress:storefront-admin-web": D,
            "AksService:admin-web": D,
            "NetworkPolicy:storefront-catalog-api": U,
            "NetworkPolicy:storefront-ordering-api": U,
            "InternalIngress:internal-ingress": D,
            "NginxIngressController:nginx-internal": D,
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
        CLUSTER_UPDATE,
        config=setting("aks", "kubernetesVersion", value="1.34"),
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
        {**ENVIRONMENT_REPLACED, "Certificate:web-certificate": R},
        config=setting("containerApps", "zoneRedundant", value=False),
        why="zoneRedundant is create-only; the certificate's environmentName reads it",
    ),
    Edit(
        "log-retention",
        "dev",
        {
            "Workspace:observability-logs": U,
            "ManagedEnvironment:container-apps-env": U,
            "Deployment:storefront-notification-service": U,
            "Deployment:storefront-ordering-api": U,
        },
        config=setting("monitoring", "retentionDays", value=60),
        why="the workspace's customerId and the environment's domain are unknown while updating",
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
        config=setting("aks", "kubeloginMode", value="workloadidentity"),
        why="clusterIdentifier is unchanged: the provider is updated, nothing replaced",
    ),
    Edit(
        "workload-profile-max",
        "prod",
        {
            "ManagedEnvironment:container-apps-env": U,
            "Deployment:storefront-notification-service": U,
            "Deployment:storefront-ordering-api": U,
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


def _plan_edit(index: int) -> tuple[dict[str, str], dict[str, Any]]:
    """Plan `(EDITS + NO_CHANGE)[index]` (an index: workers import the table themselves)."""
    edit = (EDITS + NO_CHANGE)[index]
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
    edits = EDITS + NO_CHANGE
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
