"""What Azure checks when an application stack's identity creates, updates or deletes a
resource, and whether the roles assigned to that identity allow it (docs/team-stacks.md,
"Least privilege per application").

One model for the least-privilege proof (tests/test_team_stacks.py) and the deploy simulator's
`application-deploy-identity` rule, on a plain interface: a resource's type token, its inputs
and a verb (`write` for a create or an update, `delete` for a removal), and the two facts of
the platform's contract it needs (`Target`). Every rule comes from a vendored upstream file:

- an Azure resource (pulumi-azure-native): its ARM type and id from the REST API path that
  creates it (upstream/azure-rest-api-specs/resource-paths.json); Azure RBAC checks
  `<Namespace>/<type>/write` for a PUT or PATCH and `<type>/delete` for a DELETE at that id
  (upstream/azure-rbac-docs/role-definitions.excerpt.md, "Operations format");
- the linked access checks of a write: `Microsoft.ManagedIdentity/userAssignedIdentities/
  assign/action` on each user-assigned identity the resource names (upstream/
  azure-docs-permissions/identity.excerpt.md), `Microsoft.App/managedEnvironments/join/action`
  on the environment a Container App names (linked-access.excerpt.md, containers.excerpt.md);
  a role assignment is written at its own id under the scope it grants, so a role held at that
  scope covers it (linked-access.excerpt.md, the spec's path);
- a Kubernetes object: the data action AKS checks at its namespace (`infra/stacks/
  permissions.py`, upstream/kubeguard/), for `write` or `delete`;
- a Helm chart (helm.v4.Chart renders it and applies each object): the data action of every
  kind the chart version may render (upstream/charts/<chart>-<version>/kinds.json); a chart
  whose kinds are not vendored cannot be proven and is reported as such (`Need.unknown`);
- the Kubernetes provider of an application stack: its kubeconfig is listed with
  `listClusterUserCredential`, a POST on the cluster, checked as
  `Microsoft.ContainerService/managedClusters/listClusterUserCredential/action` (the action the
  built-in Cluster User Role grants, upstream/azure-built-in-roles/roles.json).

A role allows an action when one of its `actions` (`dataActions` for a data action) matches it
and none of its `notActions` (`notDataActions`) does, `*` a wildcard, without regard to case; a
role assigned at a scope covers every scope below it; another role may allow what one excludes
(upstream/azure-rbac-docs/).
"""

from __future__ import annotations

import dataclasses
import json
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from functools import cache
from typing import Any

import pulumi
import pulumi_kubernetes as k8s
from pulumi_azure_native import privatedns

from infra.services.chart_hooks import chart_name
from infra.stacks.contract import PlatformContract
from infra.stacks.permissions import MANAGED_CLUSTERS, UPSTREAM, data_action, matches, within

WRITE = "write"
DELETE = "delete"
VERBS = (WRITE, DELETE)


def token_of(resource: type) -> str:
    """A Pulumi SDK class's type token (its `@pulumi.type_token`)."""
    token = pulumi.get_type_token(resource)
    if token is None:
        raise TypeError(f"{resource.__name__} has no type token")
    return token


CHART = token_of(k8s.helm.v4.Chart)
PRIVATE_ZONE = token_of(privatedns.PrivateZone)
KUBERNETES_PROVIDER = token_of(k8s.Provider)
ASSIGN_IDENTITY = "Microsoft.ManagedIdentity/userAssignedIdentities/assign/action"
JOIN_ENVIRONMENT = "Microsoft.App/managedEnvironments/join/action"
LIST_USER_CREDENTIAL = f"{MANAGED_CLUSTERS}/listClusterUserCredential/action"

_PATHS = UPSTREAM / "azure-rest-api-specs" / "resource-paths.json"
_ROLES = UPSTREAM / "azure-built-in-roles" / "roles.json"
_CHARTS = UPSTREAM / "charts"
_PARAMETER = re.compile(r"\{(\w+)\}")
# Components and waits: nothing in Azure or the cluster (a remote component's children are
# checked through it: the chart).
_NOTHING = ("platform:", "time:", "pulumi:pulumi:")


@dataclass(frozen=True)
class Target:
    """The platform facts an application's resource ids are built from (its contract)."""

    subscription_id: str
    cluster_id: str
    reported: tuple[tuple[str, str], ...] = ()
    """(ARM id, the id the platform reports) of the platform resources an application's
    resources live under: a child's id starts with its parent's as the platform reports it. In
    Azure both are one id; offline the mocks name a private zone
    `Microsoft.Privatedns/privatezones/<zone>` (infra/preview/mocks.py), which this keeps the
    model on."""

    def as_reported(self, resource_id: str) -> str:
        for arm_id, reported in self.reported:
            if within(resource_id, [arm_id]):
                return reported + resource_id[len(arm_id) :]
        return resource_id


def target_of(contract: PlatformContract) -> Target:
    """The target of an application stack on this contract."""
    target = Target(contract.subscription_id, contract.cluster.id)
    group = re.search(r"/resourceGroups/([^/]+)/", contract.dns.private_zone_id, re.IGNORECASE)
    zone = arm_resource(
        PRIVATE_ZONE,
        {
            "resourceGroupName": group.group(1) if group else contract.resource_group,
            "privateZoneName": contract.dns.private_zone,
        },
        target,
    )
    if zone is None:
        return target
    return dataclasses.replace(target, reported=((zone[1], contract.dns.private_zone_id),))


@dataclass(frozen=True)
class Need:
    """One check Azure makes: `action` at `scope` (a data action for a Kubernetes object)."""

    action: str
    scope: str
    data: bool = False
    why: str = ""
    """What asks for it, in words (the resource's own write, a linked check, a chart's kind)."""
    unknown: str = ""
    """Set when the model cannot say what Azure checks (nothing allows it then): why, the fix."""

    def words(self) -> str:
        if self.unknown:
            return self.unknown
        kind = "data action" if self.data else "action"
        return f"{kind} {self.action} at {self.scope}" + (f" ({self.why})" if self.why else "")


@dataclass(frozen=True)
class Role:
    """A role definition's permissions (the control-plane and the data-plane parts)."""

    name: str
    actions: tuple[str, ...] = ()
    not_actions: tuple[str, ...] = ()
    data_actions: tuple[str, ...] = ()
    not_data_actions: tuple[str, ...] = ()

    def allows_action(self, action: str) -> bool:
        return _allowed(action, self.actions, self.not_actions)

    def allows_data(self, action: str) -> bool:
        return _allowed(action, self.data_actions, self.not_data_actions)

    def allows(self, need: Need) -> bool:
        if need.unknown:
            return False
        return self.allows_data(need.action) if need.data else self.allows_action(need.action)


def _allowed(action: str, allowed: Iterable[str], refused: Iterable[str]) -> bool:
    return any(matches(p, action) for p in allowed) and not any(matches(p, action) for p in refused)


def role_from_definition(definition: Mapping[str, Any]) -> Role:
    """A role definition as roles.json or the RoleDefinition resource's inputs spell it
    (`roleName`, `permissions[].actions|notActions|dataActions|notDataActions`)."""
    lists: dict[str, list[str]] = {
        k: [] for k in ("actions", "notActions", "dataActions", "notDataActions")
    }
    for permission in definition.get("permissions") or []:
        for key, found in lists.items():
            found.extend(str(a) for a in permission.get(key) or [])
    return Role(
        str(definition.get("roleName", "")),
        tuple(lists["actions"]),
        tuple(lists["notActions"]),
        tuple(lists["dataActions"]),
        tuple(lists["notDataActions"]),
    )


def role_guid(role_definition_id: str) -> str:
    """`/subscriptions/…/roleDefinitions/<guid>` (or a bare guid) → the guid, lowercase."""
    return role_definition_id.rstrip("/").rsplit("/", 1)[-1].lower()


@cache
def _built_in_roles() -> dict[str, Role]:
    return {str(d["name"]).lower(): role_from_definition(d) for d in json.loads(_ROLES.read_text())}


def built_in_role(role_id: str) -> Role:
    """A built-in role by its GUID (`name` in roles.json), e.g. `AKS_RBAC_WRITER_ROLE`."""
    found = _built_in_roles().get(role_id.lower())
    if found is None:
        raise KeyError(f"{role_id} is not in {_ROLES}")
    return found


def role_definitions(custom: Iterable[Mapping[str, Any]]) -> dict[str, Role]:
    """Every role a grant may name, by GUID: the vendored built-in roles, and the custom roles
    of these RoleDefinition inputs (`roleDefinitionId` is the custom role's GUID)."""
    found = dict(_built_in_roles())
    for definition in custom:
        found[role_guid(str(definition.get("roleDefinitionId", "")))] = role_from_definition(
            definition
        )
    return found


@dataclass(frozen=True)
class Assignment:
    """A role assigned at a scope (`role` None: a role the model does not know, which allows
    nothing here; e.g. Key Vault Secrets Officer, whose definition is not vendored)."""

    role_id: str
    scope: str
    role: Role | None


def assignments(
    grants: Iterable[tuple[str, str, str]], principal: str, roles: Mapping[str, Role]
) -> list[Assignment]:
    """The assignments of `principal` among `(principalId, roleDefinitionId, scope)` grants."""
    return [
        Assignment(role_guid(role), scope, roles.get(role_guid(role)))
        for who, role, scope in grants
        if who == principal
    ]


def granted_by(
    role_assignments: Iterable[Mapping[str, Any]],
    custom_roles: Iterable[Mapping[str, Any]],
    principal: str,
) -> list[Assignment]:
    """What a platform's RoleAssignment and RoleDefinition inputs grant `principal`."""
    grants = [
        (str(a.get("principalId", "")), str(a.get("roleDefinitionId", "")), str(a.get("scope", "")))
        for a in role_assignments
    ]
    return assignments(grants, principal, role_definitions(custom_roles))


def allowed(need: Need, held: Iterable[Assignment]) -> bool:
    """Some role assigned at `need.scope` or above allows `need.action`."""
    return any(
        a.role is not None and a.role.allows(need) and within(need.scope, [a.scope]) for a in held
    )


def refused(needs: Iterable[Need], held: Iterable[Assignment]) -> list[Need]:
    """The needs no held assignment allows, in order."""
    kept = list(held)
    return [n for n in needs if not allowed(n, kept)]


# --- What a resource needs ---------------------------------------------------------------------


@cache
def _resource_paths() -> dict[str, str]:
    raw: dict[str, Any] = json.loads(_PATHS.read_text())["resources"]
    return {token: str(entry["path"]) for token, entry in raw.items()}


def arm_resource(
    token: str, inputs: Mapping[str, Any], target: Target, name: str = ""
) -> tuple[str, str] | None:
    """(ARM type, resource id) of an azure-native resource, from its vendored REST path; None
    when no path is vendored for the token. A name parameter the inputs leave out (the
    provider autonames it) is the logical `name`, as the offline mocks answer."""
    path = _resource_paths().get(token)
    if path is None:
        return None

    def value(match: re.Match[str]) -> str:
        key = match.group(1)
        if key == "subscriptionId":
            return target.subscription_id
        if key == "scope":
            return str(inputs.get("scope", "")).strip("/")
        return str(inputs.get(key) or name)

    resource_id = target.as_reported(_PARAMETER.sub(value, path))
    provider = _PARAMETER.sub(value, path.rsplit("/providers/", 1)[1]).split("/")
    # Namespace, then alternating type and name segments: the type drops the names.
    arm_type = "/".join([provider[0], *provider[1::2]])
    return arm_type, resource_id


def _identities(inputs: Mapping[str, Any]) -> list[str]:
    found = (inputs.get("identity") or {}).get("userAssignedIdentities") or []
    return [str(i) for i in (found.keys() if isinstance(found, Mapping) else found)]


def _kubernetes(token: str, namespace: str, verb: str, target: Target, why: str) -> Need:
    scope = f"{target.cluster_id}/namespaces/{namespace}" if namespace else target.cluster_id
    return Need(data_action(token, verb), scope, data=True, why=why)


def chart_kinds(chart: str, version: str) -> list[str] | None:
    """The object tokens a vendored chart version may render (kinds.json), or None."""
    path = _CHARTS / f"{chart}-{version}" / "kinds.json"
    if not path.is_file():
        return None
    raw = json.loads(path.read_text())
    if raw.get("chart") != chart or str(raw.get("version")) != version:
        raise ValueError(f"{path} describes {raw.get('chart')} {raw.get('version')}")
    tokens: list[str] = []
    for kind in raw["kinds"]:
        group_version = str(kind["apiVersion"])
        if "/" not in group_version:
            group_version = f"core/{group_version}"
        token = f"kubernetes:{group_version}:{kind['kind']}"
        if token not in tokens:
            tokens.append(token)
    return tokens


def required(
    token: str, inputs: Mapping[str, Any], verb: str, target: Target, name: str = ""
) -> list[Need]:
    """What Azure checks when the deploying identity applies `verb` (`write`: create or update;
    `delete`: remove) to a resource of this type with these inputs."""
    if verb not in VERBS:
        raise ValueError(f"verb {verb!r}: one of {', '.join(VERBS)}")
    label = f"{verb} {token.rsplit(':', 1)[-1]} {name}".rstrip()
    if token.startswith(_NOTHING):
        return []
    if token == KUBERNETES_PROVIDER:
        if verb == DELETE:
            return []
        cluster = str(inputs.get("clusterIdentifier") or target.cluster_id)
        return [Need(LIST_USER_CREDENTIAL, cluster, why="list the cluster's user kubeconfig")]
    if token == CHART:
        chart, version = chart_name(str(inputs.get("chart", ""))), str(inputs.get("version", ""))
        namespace = str(inputs.get("namespace") or "")
        kinds = chart_kinds(chart, version)
        if kinds is None:
            return [
                Need(
                    "",
                    f"{target.cluster_id}/namespaces/{namespace}",
                    data=True,
                    unknown=f"the objects chart {chart} {version} renders are not known offline: "
                    f"vendor upstream/charts/{chart}-{version}/kinds.json (every kind its "
                    "templates may render, as upstream/charts/valkey-0.11.0/ does)",
                )
            ]
        return [
            _kubernetes(kind, namespace, verb, target, f"{label}: renders {kind}") for kind in kinds
        ]
    if token.startswith("kubernetes:"):
        namespace = str((inputs.get("metadata") or {}).get("namespace") or "")
        return [_kubernetes(token, namespace, verb, target, label)]
    found = arm_resource(token, inputs, target, name)
    if found is None:
        return [
            Need(
                "",
                "",
                unknown=f"{token}: no REST API path is vendored for it, so what Azure checks "
                "is not known: add it to upstream/azure-rest-api-specs/resource-paths.json",
            )
        ]
    arm_type, resource_id = found
    needs = [Need(f"{arm_type}/{verb}", resource_id, why=label)]
    if verb == WRITE:
        for identity in _identities(inputs):
            needs.append(Need(ASSIGN_IDENTITY, identity, why=f"{label} names identity"))
        environment = inputs.get("managedEnvironmentId") or inputs.get("environmentId")
        if environment:
            needs.append(Need(JOIN_ENVIRONMENT, str(environment), why=f"{label} joins it"))
    return needs
