"""What the vendored Azure RBAC sources say about an application stack's Kubernetes rights
(upstream/azure-built-in-roles, upstream/kubeguard, upstream/azure-aks-docs): the belief that
`Azure Kubernetes Service RBAC Writer` at namespace scope covers every object an application
renders is false for custom resources (issue 25 point 3)."""

from __future__ import annotations

import fnmatch
import importlib.util
import json
from pathlib import Path

from infra.constants import AKS_CLUSTER_USER_ROLE, AKS_RBAC_WRITER_ROLE, CONTRIBUTOR_ROLE

UPSTREAM = Path(__file__).resolve().parent.parent / "upstream"
PREFIX = "Microsoft.ContainerService/managedClusters/"


def _roles() -> dict[str, dict[str, list[str]]]:
    roles = json.loads((UPSTREAM / "azure-built-in-roles" / "roles.json").read_text())
    return {r["name"]: r["permissions"][0] for r in roles}


def _allows(permission: dict[str, list[str]], data_action: str) -> bool:
    """Azure RBAC: a dataAction pattern matches case-insensitively, `*` a wildcard; a match in
    notDataActions takes it away."""

    def hit(patterns: list[str]) -> bool:
        return any(fnmatch.fnmatch(data_action.lower(), p.lower()) for p in patterns)

    return hit(permission["dataActions"]) and not hit(permission["notDataActions"])


def test_the_vendored_role_ids_are_the_constants() -> None:
    assert {AKS_CLUSTER_USER_ROLE, AKS_RBAC_WRITER_ROLE, CONTRIBUTOR_ROLE} <= set(_roles())


def test_rbac_writer_covers_built_in_kinds_but_no_custom_resource() -> None:
    writer = _roles()[AKS_RBAC_WRITER_ROLE]
    for built_in in ("apps/deployments", "services", "policy/poddisruptionbudgets"):
        assert _allows(writer, f"{PREFIX}{built_in}/write"), built_in
    # HTTPRoute, ScaledObject, TriggerAuthentication, SecretProviderClass: custom resources,
    # checked as customresources/<verb> (kubeguard), which Writer does not list.
    assert not _allows(writer, f"{PREFIX}customresources/write")
    assert not _allows(writer, f"{PREFIX}rbac.authorization.k8s.io/roles/write")


def test_the_authorizer_checks_custom_resources_as_customresources_at_namespace_scope() -> None:
    guard = (UPSTREAM / "kubeguard" / "checkaccessreqhelper.excerpt.go").read_text()
    assert 'CustomResources             = "customresources"' in guard
    assert "return path.Join(resourceId, namespaces, attr.Namespace)" in guard
    docs = (UPSTREAM / "azure-aks-docs" / "entra-id-authorization.excerpt.md").read_text()
    assert "Microsoft.ContainerService/managedClusters/customresources/read" in docs
    assert "$AKS_ID/namespaces/<namespace-name>" in docs


def test_the_builtin_kinds_extract_matches_the_pinned_kubernetes_validate() -> None:
    folder = UPSTREAM / "kubernetes-openapi"
    spec = importlib.util.spec_from_file_location("extract", folder / "extract.py")
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    vendored = json.loads((folder / "builtin-kinds.json").read_text())
    assert module.builtin_kinds() == vendored
    groups = vendored["groups"]
    assert "gateway.networking.k8s.io" not in groups
    assert "keda.sh" not in groups
    assert "Deployment" in groups["apps"]


def test_the_platform_grants_each_application_namespace_its_custom_resources() -> None:
    """Fails on the Writer-only grant: at each application namespace the deploy identity's roles
    (built-in from the vendored definitions, custom from the platform's plan) must allow
    `customresources/write`, the data action AKS checks for an HTTPRoute or a ScaledObject."""
    from infra.preview.engine import run_offline
    from infra.preview.mocks import identity_principal_id
    from infra.program import build
    from infra.stacks.examples import example_stack

    run = run_offline(example_stack("platform-dev"), build)
    permissions = dict(_roles())
    for definition in run.by_type("azure-native:authorization:RoleDefinition"):
        permission = definition.inputs["permissions"][0]
        permissions[str(definition.inputs["roleDefinitionId"])] = {
            "dataActions": list(permission.get("dataActions") or []),
            "notDataActions": list(permission.get("notDataActions") or []),
        }
    principal = identity_principal_id("storefront-deploy")
    for namespace in ("storefront", "storefront-jobs"):
        roles = [
            str(a.inputs["roleDefinitionId"]).rsplit("/", 1)[-1]
            for a in run.by_type("azure-native:authorization:RoleAssignment")
            if a.inputs["principalId"] == principal
            and str(a.inputs["scope"]).lower().endswith(f"/namespaces/{namespace}")
        ]
        assert any(_allows(permissions[r], f"{PREFIX}customresources/write") for r in roles), (
            namespace
        )
        assert any(_allows(permissions[r], f"{PREFIX}apps/deployments/write") for r in roles)
