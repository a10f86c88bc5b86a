"""What AKS checks for a Kubernetes object and whether a role definition allows it
(infra/stacks/permissions.py), read from the vendored upstream files."""

from __future__ import annotations

import json

import pytest

from infra.constants import AKS_RBAC_WRITER_ROLE
from infra.stacks.authorization import built_in_role, role_from_definition
from infra.stacks.permissions import UPSTREAM, data_action, resource_name
from infra.stacks.platform import KUBERNETES_DATA_ACTIONS

CUSTOM = role_from_definition(
    {
        "roleName": "application-kubernetes",
        "permissions": [{"dataActions": KUBERNETES_DATA_ACTIONS}],
    }
)
DEPLOYMENT = "kubernetes:apps/v1:Deployment"
HTTP_ROUTE = "kubernetes:gateway.networking.k8s.io/v1:HTTPRoute"


@pytest.mark.parametrize(
    ("token", "action"),
    [
        (DEPLOYMENT, "Microsoft.ContainerService/managedClusters/apps/deployments/write"),
        ("kubernetes:core/v1:Service", "Microsoft.ContainerService/managedClusters/services/write"),
        (
            "kubernetes:core/v1:Endpoints",
            "Microsoft.ContainerService/managedClusters/endpoints/write",
        ),
        (
            "kubernetes:networking.k8s.io/v1:NetworkPolicy",
            "Microsoft.ContainerService/managedClusters/networking.k8s.io/networkpolicies/write",
        ),
        (HTTP_ROUTE, "Microsoft.ContainerService/managedClusters/customresources/write"),
    ],
)
def test_the_data_action_aks_checks(token: str, action: str) -> None:
    assert data_action(token) == action


def test_the_resource_name_follows_the_restmapper_guess() -> None:
    """`resource_name` mirrors the vendored `UnsafeGuessKindToResource`: its branches are there."""
    go = (UPSTREAM / "kubernetes-apimachinery" / "restmapper-guess.excerpt.go").read_text()
    for branch in (
        "strings.ToLower(kindName)",
        'case "s":\n\t\treturn kind.GroupVersion().WithResource(singularName + "es")',
        'case "y":\n\t\treturn kind.GroupVersion().WithResource(strings.TrimSuffix(singularName, "y") + "ies")',
        'return kind.GroupVersion().WithResource(singularName + "s")',
    ):
        assert branch in go, branch
    assert [resource_name(k) for k in ("Ingress", "NetworkPolicy", "Endpoints", "Pod")] == [
        "ingresses",
        "networkpolicies",
        "endpoints",
        "pods",
    ]


def test_rbac_writer_allows_a_deployment_but_not_a_route_the_custom_role_does() -> None:
    writer = built_in_role(AKS_RBAC_WRITER_ROLE)
    assert writer.allows_data(data_action(DEPLOYMENT))
    assert not writer.allows_data(data_action(HTTP_ROUTE))
    assert CUSTOM.allows_data(data_action(HTTP_ROUTE))
    assert not CUSTOM.allows_data(data_action(DEPLOYMENT))


def test_a_not_data_action_refuses_what_a_wildcard_allows() -> None:
    """RBAC Admin (roles.json): `managedClusters/*` minus `namespaces/write`."""
    roles = json.loads((UPSTREAM / "azure-built-in-roles" / "roles.json").read_text())
    admin = role_from_definition(
        next(r for r in roles if r["roleName"] == "Azure Kubernetes Service RBAC Admin")
    )
    assert admin.allows_data(data_action(DEPLOYMENT))
    assert admin.allows_data(data_action(HTTP_ROUTE))
    assert not admin.allows_data(data_action("kubernetes:core/v1:Namespace"))
    assert not admin.allows_data(data_action("kubernetes:core/v1:Namespace").upper())


def test_an_unknown_token_is_refused_clearly() -> None:
    with pytest.raises(ValueError, match="not a Kubernetes object token"):
        data_action("azure-native:app:ContainerApp")
