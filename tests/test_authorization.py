"""What Azure checks for each resource an application stack creates, updates or deletes, and
whether a role allows it (infra/stacks/authorization.py): one test per verb and linked check, each
failing on a wrong mapping, read against the vendored upstream files."""

from __future__ import annotations

import pytest

from infra.constants import AKS_CLUSTER_USER_ROLE, AKS_RBAC_WRITER_ROLE, CONTRIBUTOR_ROLE
from infra.stacks.authorization import (
    ASSIGN_IDENTITY,
    CHART,
    DELETE,
    JOIN_ENVIRONMENT,
    KUBERNETES_PROVIDER,
    LIST_USER_CREDENTIAL,
    WRITE,
    Assignment,
    Need,
    Target,
    allowed,
    arm_resource,
    built_in_role,
    refused,
    required,
    role_from_definition,
)
from infra.stacks.permissions import UPSTREAM
from infra.stacks.platform import DEPLOYER_ACTIONS, GRANTER_ACTIONS

SUB = "/subscriptions/s"
GROUP = f"{SUB}/resourceGroups/rg-app"
PLATFORM = f"{SUB}/resourceGroups/rg-platform"
CLUSTER = f"{PLATFORM}/providers/Microsoft.ContainerService/managedClusters/aks"
ENVIRONMENT = f"{PLATFORM}/providers/Microsoft.App/managedEnvironments/env"
PULL = f"{PLATFORM}/providers/Microsoft.ManagedIdentity/userAssignedIdentities/registry-pull"
OWN = f"{GROUP}/providers/Microsoft.ManagedIdentity/userAssignedIdentities/api-identity"
TARGET = Target("s", CLUSTER)
APP = {
    "resourceGroupName": "rg-app",
    "containerAppName": "api",
    "managedEnvironmentId": ENVIRONMENT,
    "identity": {"type": "UserAssigned", "userAssignedIdentities": [PULL, OWN]},
}
DEPLOYER = role_from_definition(
    {"roleName": "deployer", "permissions": [{"actions": DEPLOYER_ACTIONS}]}
)
GRANTER = role_from_definition(
    {"roleName": "granter", "permissions": [{"actions": GRANTER_ACTIONS}]}
)


def _actions(needs: list[Need]) -> list[tuple[str, str]]:
    return [(n.action, n.scope) for n in needs]


@pytest.mark.parametrize(
    ("token", "inputs", "name", "arm_type", "resource_id"),
    [
        (
            "azure-native:app:ContainerApp",
            APP,
            "api",
            "Microsoft.App/containerApps",
            f"{GROUP}/providers/Microsoft.App/containerApps/api",
        ),
        (
            "azure-native:app:Job",
            {"resourceGroupName": "rg-app", "jobName": "nightly", "environmentId": ENVIRONMENT},
            "nightly",
            "Microsoft.App/jobs",
            f"{GROUP}/providers/Microsoft.App/jobs/nightly",
        ),
        (
            "azure-native:app:Certificate",
            {
                "resourceGroupName": "rg-platform",
                "environmentName": "env",
                "certificateName": "web",
            },
            "web-certificate",
            "Microsoft.App/managedEnvironments/certificates",
            f"{ENVIRONMENT}/certificates/web",
        ),
        (
            "azure-native:managedidentity:UserAssignedIdentity",
            {"resourceGroupName": "rg-app"},  # autonamed: the logical name, as the mocks answer
            "api-identity",
            "Microsoft.ManagedIdentity/userAssignedIdentities",
            OWN,
        ),
        (
            "azure-native:managedidentity:FederatedIdentityCredential",
            {"resourceGroupName": "rg-app", "resourceName": "api-identity"},
            "api-federation",
            "Microsoft.ManagedIdentity/userAssignedIdentities/federatedIdentityCredentials",
            f"{OWN}/federatedIdentityCredentials/api-federation",
        ),
        (
            "azure-native:privatedns:PrivateRecordSet",
            {
                "resourceGroupName": "rg-platform",
                "privateZoneName": "dev.shop.internal",
                "recordType": "A",
                "relativeRecordSetName": "api.shop",
            },
            "api-private-dns",
            "Microsoft.Network/privateDnsZones/A",
            f"{PLATFORM}/providers/Microsoft.Network/privateDnsZones/dev.shop.internal/A/api.shop",
        ),
        (
            "azure-native:authorization:RoleAssignment",
            {"scope": f"{PLATFORM}/providers/Microsoft.KeyVault/vaults/kv/secrets/db"},
            "api-secret",
            "Microsoft.Authorization/roleAssignments",
            f"{PLATFORM}/providers/Microsoft.KeyVault/vaults/kv/secrets/db/providers/"
            "Microsoft.Authorization/roleAssignments/api-secret",
        ),
    ],
)
def test_an_azure_resource_is_its_rest_path_type_at_its_id(
    token: str, inputs: dict[str, object], name: str, arm_type: str, resource_id: str
) -> None:
    assert arm_resource(token, inputs, TARGET, name) == (arm_type, resource_id)
    write, delete = (required(token, inputs, verb, TARGET, name)[0] for verb in (WRITE, DELETE))
    assert (write.action, write.scope) == (f"{arm_type}/write", resource_id)
    assert (delete.action, delete.scope) == (f"{arm_type}/delete", resource_id)


def test_a_container_app_write_joins_its_environment_and_assigns_each_identity() -> None:
    needs = required("azure-native:app:ContainerApp", APP, WRITE, TARGET, "api")
    assert _actions(needs)[1:] == [
        (ASSIGN_IDENTITY, PULL),
        (ASSIGN_IDENTITY, OWN),
        (JOIN_ENVIRONMENT, ENVIRONMENT),
    ]
    # Azure answers with a map of identity ids: the same checks.
    mapped = {**APP, "identity": {"userAssignedIdentities": {PULL: {}, OWN: {}}}}
    assert _actions(required("azure-native:app:ContainerApp", mapped, WRITE, TARGET))[1:3] == [
        (ASSIGN_IDENTITY, PULL),
        (ASSIGN_IDENTITY, OWN),
    ]


def test_a_container_apps_job_write_joins_its_environment() -> None:
    job = {"resourceGroupName": "rg-app", "jobName": "nightly", "environmentId": ENVIRONMENT}
    needs = required("azure-native:app:Job", job, WRITE, TARGET)
    assert _actions(needs)[1:] == [(JOIN_ENVIRONMENT, ENVIRONMENT)]


def test_a_removal_makes_no_linked_check() -> None:
    needs = required("azure-native:app:ContainerApp", APP, DELETE, TARGET, "api")
    assert [n.action for n in needs] == ["Microsoft.App/containerApps/delete"]


def test_the_linked_checks_are_the_vendored_operations() -> None:
    folder = UPSTREAM / "azure-docs-permissions"
    identity = (folder / "identity.excerpt.md").read_text()
    containers = (folder / "containers.excerpt.md").read_text().lower()
    linked = (folder / "linked-access.excerpt.md").read_text()
    assert f"| {ASSIGN_IDENTITY} | RBAC action for assigning" in identity
    assert f"| {JOIN_ENVIRONMENT.lower()} | allows to create a container app" in containers
    assert f"perform action '{JOIN_ENVIRONMENT}' on the linked scope(s)" in linked
    assert "/providers/Microsoft.Authorization/roleAssignments/<role-assignment-id>'" in linked


def test_an_unknown_verb_or_resource_type_is_not_guessed() -> None:
    with pytest.raises(ValueError, match="verb 'update'"):
        required("azure-native:app:ContainerApp", APP, "update", TARGET)
    (need,) = required("azure-native:storage:StorageAccount", {}, WRITE, TARGET)
    assert "resource-paths.json" in need.unknown
    everything = role_from_definition({"permissions": [{"actions": ["*"], "dataActions": ["*"]}]})
    assert not allowed(need, [Assignment("owner", SUB, everything)])


@pytest.mark.parametrize(
    ("token", "verb", "action"),
    [
        ("kubernetes:apps/v1:Deployment", WRITE, "apps/deployments/write"),
        ("kubernetes:apps/v1:Deployment", DELETE, "apps/deployments/delete"),
        ("kubernetes:core/v1:Service", DELETE, "services/delete"),
        ("kubernetes:keda.sh/v1alpha1:ScaledObject", DELETE, "customresources/delete"),
    ],
)
def test_a_kubernetes_object_is_its_data_action_at_its_namespace(
    token: str, verb: str, action: str
) -> None:
    inputs = {"metadata": {"name": "x", "namespace": "shop"}}
    (need,) = required(token, inputs, verb, TARGET)
    assert need.data
    assert (need.action, need.scope) == (
        f"Microsoft.ContainerService/managedClusters/{action}",
        f"{CLUSTER}/namespaces/shop",
    )
    (cluster_scoped,) = required(token, {"metadata": {"name": "x"}}, verb, TARGET)
    assert cluster_scoped.scope == CLUSTER


def test_a_vendored_chart_needs_each_kind_it_may_render_in_its_namespace() -> None:
    inputs = {"chart": "valkey", "version": "0.11.0", "namespace": "shop"}
    for verb in (WRITE, DELETE):
        needs = required(CHART, inputs, verb, TARGET, "basket-valkey")
        actions = {
            n.action.removeprefix("Microsoft.ContainerService/managedClusters/") for n in needs
        }
        assert {
            f"apps/statefulsets/{verb}",
            f"secrets/{verb}",
            f"customresources/{verb}",
        } <= actions
        assert {n.scope for n in needs} == {f"{CLUSTER}/namespaces/shop"}
    writer = Assignment(
        AKS_RBAC_WRITER_ROLE, f"{CLUSTER}/namespaces/shop", built_in_role(AKS_RBAC_WRITER_ROLE)
    )
    # Writer alone: the chart's PodMonitor, ServiceMonitor, PrometheusRule are custom resources.
    assert {n.action for n in refused(required(CHART, inputs, WRITE, TARGET), [writer])} == {
        "Microsoft.ContainerService/managedClusters/customresources/write"
    }


def test_a_chart_whose_kinds_are_not_vendored_cannot_be_proven() -> None:
    inputs = {"chart": "oci://registry/charts/redis", "version": "1.0.0", "namespace": "shop"}
    (need,) = required(CHART, inputs, WRITE, TARGET)
    assert "upstream/charts/redis-1.0.0/kinds.json" in need.unknown
    admin = role_from_definition({"permissions": [{"dataActions": ["*"]}]})
    assert not allowed(need, [Assignment("admin", CLUSTER, admin)])


def test_the_kubernetes_provider_lists_the_user_kubeconfig() -> None:
    (need,) = required(KUBERNETES_PROVIDER, {"clusterIdentifier": CLUSTER}, WRITE, TARGET)
    assert (need.action, need.scope, need.data) == (LIST_USER_CREDENTIAL, CLUSTER, False)
    assert built_in_role(AKS_CLUSTER_USER_ROLE).allows(need)
    assert required(KUBERNETES_PROVIDER, {}, DELETE, TARGET) == []


def test_contributor_writes_resources_but_not_role_assignments_nor_data() -> None:
    contributor = built_in_role(CONTRIBUTOR_ROLE)
    assert contributor.allows_action("Microsoft.App/containerApps/write")
    assert contributor.allows_action(ASSIGN_IDENTITY)
    # notActions `Microsoft.Authorization/*/Write` (another case) refuses what `*` allows.
    assert not contributor.allows_action("Microsoft.Authorization/roleAssignments/write")
    assert not contributor.allows_data("Microsoft.ContainerService/managedClusters/pods/write")
    writer = built_in_role(AKS_RBAC_WRITER_ROLE)
    assert writer.allows_data("Microsoft.ContainerService/managedClusters/pods/write")
    assert not writer.allows_action("Microsoft.App/containerApps/write")


def test_a_role_covers_its_scope_and_below_only() -> None:
    app = required("azure-native:app:ContainerApp", APP, WRITE, TARGET, "api")
    held = [
        Assignment(CONTRIBUTOR_ROLE, GROUP, built_in_role(CONTRIBUTOR_ROLE)),
        Assignment("deployer", ENVIRONMENT, DEPLOYER),
        Assignment("deployer", PULL, DEPLOYER),
    ]
    assert refused(app, held) == []
    # Without the deployer role on the pull identity, assigning it is refused (a 403), and the
    # environment's join stays allowed: each linked check on its own scope.
    assert _actions(refused(app, held[:2])) == [(ASSIGN_IDENTITY, PULL)]
    # A sibling group does not cover the app.
    other = [
        Assignment(
            CONTRIBUTOR_ROLE, f"{SUB}/resourceGroups/rg-other", built_in_role(CONTRIBUTOR_ROLE)
        )
    ]
    assert (
        "Microsoft.App/containerApps/write",
        f"{GROUP}/providers/Microsoft.App/containerApps/api",
    ) in _actions(refused(app, other))


def test_a_role_assignment_needs_the_granter_role_at_its_scope() -> None:
    secret = f"{PLATFORM}/providers/Microsoft.KeyVault/vaults/kv/secrets/db"
    needs = required(
        "azure-native:authorization:RoleAssignment", {"scope": secret}, WRITE, TARGET, "g"
    )
    assert refused(needs, [Assignment("granter", secret, GRANTER)]) == []
    assert refused(needs, [Assignment("granter", f"{secret}-other", GRANTER)]) == needs
    # Contributor on the whole subscription does not write role assignments.
    assert refused(needs, [Assignment(CONTRIBUTOR_ROLE, SUB, built_in_role(CONTRIBUTOR_ROLE))])


def test_a_child_of_a_platform_resource_is_under_its_reported_id() -> None:
    mock = f"{PLATFORM}/providers/Microsoft.Privatedns/privatezones/dev.shop.internal"
    arm = f"{PLATFORM}/providers/Microsoft.Network/privateDnsZones/dev.shop.internal"
    target = Target("s", CLUSTER, reported=((arm, mock),))
    record = {
        "resourceGroupName": "rg-platform",
        "privateZoneName": "dev.shop.internal",
        "recordType": "A",
        "relativeRecordSetName": "api",
    }
    (need,) = required("azure-native:privatedns:PrivateRecordSet", record, DELETE, target)
    assert need.scope == f"{mock}/A/api"
    assert refused([need], [Assignment("deployer", mock, DEPLOYER)]) == []
