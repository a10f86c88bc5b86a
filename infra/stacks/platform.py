"""The platform stack (`platform:mode: platform`): the foundation, one deploy identity per
onboarded application, and the contract its application stacks read (docs/team-stacks.md).

No application's services are deployed here: each application deploys its own, with its own
identity, from its own stack (`infra/stacks/application.py`).
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

import pulumi
from pulumi_azure_native import authorization, managedidentity, resources

from infra.config import REPOSITORY_SUBJECT, OnboardedApplication, PlatformConfig
from infra.constants import (
    AKS_CLUSTER_USER_ROLE,
    AKS_RBAC_READER_ROLE,
    AKS_RBAC_WRITER_ROLE,
    CONTRIBUTOR_ROLE,
    ENVOY_GATEWAY_NAMESPACE,
    KEY_VAULT_SECRETS_OFFICER_ROLE,
    KEY_VAULT_SECRETS_USER_ROLE,
    READER_ROLE,
    application_namespaces,
    jobs_namespace,
    preview_environment,
)
from infra.foundation.common import Placement
from infra.foundation.gateway import ALB_NAMESPACE, WORKLOAD_IDENTITY_AUDIENCE
from infra.foundation.platform import Foundation, build_foundation
from infra.foundation.propagation import (
    ROLE_ASSIGNMENT_PROPAGATION,
    ROLE_DEFINITION_PROPAGATION,
    propagation_wait,
)
from infra.services.components.container_app_service import (
    domain_records as container_app_domain_records,
)
from infra.services.components.container_app_service import environment_certificate
from infra.services.components.namespace import ApplicationNamespace
from infra.services.custom_domains import ManagedRecords, environment_certificate_name
from infra.services.deploy import shared_ingress
from infra.services.render.common import PlatformExtensions, PlatformFacts
from infra.services.render.envoy_gateway import gateway_name
from infra.services.roles import SERVICE_ROLES
from infra.services.routes import StackIngress
from infra.services.spec import Application
from infra.stacks.authorization import ASSIGN_IDENTITY, JOIN_ENVIRONMENT
from infra.stacks.contract import (
    AGC_KIND,
    CONTRACT_OUTPUT,
    CONTRACT_VERSION,
    ENVOY_KIND,
    PlatformContract,
)
from infra.stacks.ingress import (
    OnboardedIngress,
    domain_records,
    gateway_listeners,
    host_records,
    onboarded_ingress,
)
from infra.stacks.registry import service_registry

ONBOARDING_COMPONENT = "platform:stacks:ApplicationOnboarding"
ROLES_COMPONENT = "platform:stacks:ApplicationRoles"
PREVIEW_IDENTITIES_OUTPUT = "previewIdentityClientIds"
"""The platform stack's output that names each onboarded application's preview identity:
`{application: clientId}` (`pulumi stack output previewIdentityClientIds --json`). Not part of
the contract: an application's program never needs it, its pull-request workflow does."""

DEPLOYER_ACTIONS = (
    # Create a Container App in the platform's environment (Azure resource provider operations,
    # Microsoft.App: "Allows to create a Container App in a Managed Environment").
    "Microsoft.App/managedEnvironments/read",
    JOIN_ENVIRONMENT,
    # No certificate: the platform writes the environment's certificates of the granted hosts
    # (`_host_certificates`), and no application may assign the certificate identity.
    # Give a Container App the platform's pull identity.
    "Microsoft.ManagedIdentity/userAssignedIdentities/read",
    ASSIGN_IDENTITY,
    # Its AKS services' A records in the platform's private zone (Container Apps callers).
    "Microsoft.Network/privateDnsZones/read",
    "Microsoft.Network/privateDnsZones/A/read",
    "Microsoft.Network/privateDnsZones/A/write",
    "Microsoft.Network/privateDnsZones/A/delete",
)
"""What an application's deploy identity does on the platform's resources, and nothing else:
assigned on the environment, the pull identity and the private zone only."""
GRANTER_ACTIONS = (
    "Microsoft.Authorization/roleAssignments/read",
    "Microsoft.Authorization/roleAssignments/write",
    "Microsoft.Authorization/roleAssignments/delete",
)
"""Grant its services' identities a role: assigned on each of its own secrets and on the
scopes its team owns (`grantScopes`), so what it can grant stays inside them."""
ADOPTED_ACTIONS = (
    # Update (and, when it removes the service, delete) a Container App it adopted.
    "Microsoft.App/containerApps/read",
    "Microsoft.App/containerApps/write",
    "Microsoft.App/containerApps/delete",
    # The same for a Container Apps job it adopted (its executions are started by its pipeline
    # with its own role, not by its stack).
    "Microsoft.App/jobs/read",
    "Microsoft.App/jobs/write",
    "Microsoft.App/jobs/delete",
    # Update an identity it adopted, give it to its Container Apps, and its federated
    # credentials (children of the identity, so within its scope).
    "Microsoft.ManagedIdentity/userAssignedIdentities/read",
    "Microsoft.ManagedIdentity/userAssignedIdentities/write",
    "Microsoft.ManagedIdentity/userAssignedIdentities/delete",
    ASSIGN_IDENTITY,
    "Microsoft.ManagedIdentity/userAssignedIdentities/federatedIdentityCredentials/read",
    "Microsoft.ManagedIdentity/userAssignedIdentities/federatedIdentityCredentials/write",
    "Microsoft.ManagedIdentity/userAssignedIdentities/federatedIdentityCredentials/delete",
)
"""What an application migrated from a single stack does on the resources it keeps in the
platform's group (`adopted`): assigned on each of those resources' ids, never on the group (the
platform's own identities are there too). The action names are the Azure resource provider
operations (upstream/azure-docs-permissions/, read by tests/test_team_migration.py)."""

KUBERNETES_DATA_ACTIONS = (
    "Microsoft.ContainerService/managedClusters/customresources/read",
    "Microsoft.ContainerService/managedClusters/customresources/write",
    "Microsoft.ContainerService/managedClusters/customresources/delete",
)
"""What RBAC Writer lacks for an application's objects: AKS's authorizer checks an object of a
CRD (HTTPRoute, ScaledObject, TriggerAuthentication, SecretProviderClass) as
`customresources/<verb>` at `{clusterId}/namespaces/{ns}` (upstream/kubeguard/, AKS docs
'Create custom roles definitions' in upstream/azure-aks-docs/), and the built-in Writer lists no
such data action (upstream/azure-built-in-roles/). Assigned at each application namespace only."""


KUBERNETES_READ_DATA_ACTIONS = ("Microsoft.ContainerService/managedClusters/customresources/read",)
"""What RBAC Reader lacks for a preview's refresh of an application's custom resources (the same
authorizer check as `KUBERNETES_DATA_ACTIONS`, read only)."""


class ApplicationRoles(pulumi.ComponentResource):
    """The custom roles the onboarded applications' identities get, each defined once, and the
    wait every assignment of them starts after (`ready`): a custom role definition is eventually
    consistent, so an assignment sent right after its create or update can meet
    RoleDefinitionDoesNotExist or a scope not yet in its assignableScopes
    (`ROLE_DEFINITION_PROPAGATION`). The wait sleeps again when a definition's content changes."""

    def __init__(self, config: PlatformConfig, placement: Placement) -> None:
        super().__init__(ROLES_COMPONENT, "application-roles", None, None)
        self._contents: dict[str, pulumi.Output[str]] = {}
        self._placement = placement
        self._ids: dict[authorization.RoleDefinition, pulumi.Output[str]] = {}
        group = placement.group_scope(placement.resource_group_name)
        # A custom role is assignable only within its assignableScopes (Azure custom roles:
        # AssignableScopes): the granter also on the scopes the applications' teams own.
        owned = sorted({scope for app in config.applications for scope in app.grant_scopes})
        self.deployer = self._role(config, group, "deployer", DEPLOYER_ACTIONS, [group])
        self.granter = self._role(config, group, "granter", GRANTER_ACTIONS, [group, *owned])
        # Only where an application was migrated with its resources left in place.
        self.adopted = (
            self._role(config, group, "adopted", ADOPTED_ACTIONS, [group])
            if any(app.adopted for app in config.applications)
            else None
        )
        self.kubernetes = self._role(
            config, group, "kubernetes", (), [group], data_actions=KUBERNETES_DATA_ACTIONS
        )
        self.kubernetes_reader = self._role(
            config,
            group,
            "kubernetes-reader",
            (),
            [group],
            data_actions=KUBERNETES_READ_DATA_ACTIONS,
        )
        definitions = [self.deployer, self.granter, self.kubernetes, self.kubernetes_reader]
        self.ready = propagation_wait(
            "application-roles-propagation",
            duration=ROLE_DEFINITION_PROPAGATION,
            grants=[*definitions, *([self.adopted] if self.adopted else [])],
            triggers=dict(sorted(self._contents.items())),
            parent=self,
        )
        self.register_outputs({})

    def _role(
        self,
        config: PlatformConfig,
        group: pulumi.Output[str],
        kind: str,
        actions: Sequence[str],
        assignable: Sequence[pulumi.Input[str]],
        *,
        data_actions: Sequence[str] = (),
    ) -> authorization.RoleDefinition:
        name = f"{config.resource_group_name}-application-{kind}"
        # What its assignments wait for when it changes (ApplicationRoles.ready's triggers).
        self._contents[kind] = pulumi.Output.from_input(list(assignable)).apply(
            lambda scopes: json.dumps(
                {"actions": list(actions), "dataActions": list(data_actions), "scopes": scopes},
                sort_keys=True,
            )
        )
        # A custom role's name is a GUID: derived from its role name, so it is stable.
        guid = str(uuid.uuid5(uuid.NAMESPACE_URL, name))
        definition = authorization.RoleDefinition(
            f"application-{kind}",
            role_definition_id=guid,
            role_name=name,
            description=f"what an onboarded application's stack may do ({kind})",
            scope=group,
            assignable_scopes=list(assignable),
            permissions=[
                authorization.PermissionArgs(actions=list(actions), data_actions=list(data_actions))
                if data_actions
                else authorization.PermissionArgs(actions=list(actions))
            ],
            opts=pulumi.ResourceOptions(parent=self),
        )
        self._ids[definition] = self._placement.role_definition_id(guid)
        return definition

    def role_id(self, role: authorization.RoleDefinition) -> pulumi.Output[str]:
        """A custom role's id as an assignment names it: the subscription-level form
        `/subscriptions/<sub>/providers/Microsoft.Authorization/roleDefinitions/<guid>` (Azure
        RBAC REST docs: the form Role Definitions - Get returns for a custom role and the one
        their role-assignment examples send; upstream/azure-rbac-docs/custom-roles-rest.excerpt.md),
        not the id Azure returns for a definition written at a resource group. Known before the
        definition exists; the assignment waits for it through `ready`."""
        return self._ids[role]


def deploy_identity_name(application: str) -> str:
    """The logical name of an onboarded application's deploy identity (in the platform's
    group): what its stack runs as."""
    return f"{application}-deploy"


def application_group(config: PlatformConfig, name: str) -> str:
    """The resource group of an application's Azure resources (Container Apps, identities)."""
    return f"{config.resource_group_name}-{name}"


def adopted_name(resource_id: str) -> str:
    """A stable logical name for the grant on one adopted resource: its kind and name (not its
    place in the list, so reordering the list replaces nothing)."""
    parts = resource_id.strip("/").split("/")
    kind = "container-app" if parts[-2].lower() == "containerapps" else "identity"
    return f"{kind}-{parts[-1].lower()}"


def namespace_scope(cluster_id: pulumi.Input[str], namespace: str) -> pulumi.Output[str]:
    """Azure RBAC for Kubernetes at namespace scope: `{clusterId}/namespaces/{ns}`."""
    return pulumi.Output.concat(cluster_id, "/namespaces/", namespace)


def secret_scope(vault_id: pulumi.Input[str], secret: str) -> pulumi.Output[str]:
    """One Key Vault secret as a role's scope: `{vaultId}/secrets/{name}`."""
    return pulumi.Output.concat(vault_id, "/secrets/", secret)


def granter_condition(roles: Iterable[str]) -> str:
    """The ABAC condition on each `granter` assignment: the application may add or remove only
    assignments of `roles` (the roles its services get there), and only to service principals
    (its services' managed identities). The documented template "Constrain roles and principal
    types" (upstream/azure-rbac-docs/delegate-role-assignments-examples.excerpt.md), on the
    attributes of `Microsoft.Authorization/roleAssignments/write` (request) and `/delete`
    (resource) that conditions-authorization-actions-attributes lists; conditionVersion 2.0."""
    ids = ", ".join(sorted({role.lower() for role in roles}))
    kind = "{'ServicePrincipal'}"
    attribute = "Microsoft.Authorization/roleAssignments"
    return (
        f"((!(ActionMatches{{'{attribute}/write'}})) OR "
        f"(@Request[{attribute}:RoleDefinitionId] ForAnyOfAnyValues:GuidEquals {{{ids}}} AND "
        f"@Request[{attribute}:PrincipalType] ForAnyOfAnyValues:StringEqualsIgnoreCase {kind})) "
        f"AND ((!(ActionMatches{{'{attribute}/delete'}})) OR "
        f"(@Resource[{attribute}:RoleDefinitionId] ForAnyOfAnyValues:GuidEquals {{{ids}}} AND "
        f"@Resource[{attribute}:PrincipalType] ForAnyOfAnyValues:StringEqualsIgnoreCase {kind}))"
    )


CONDITION_VERSION = "2.0"
"""pulumi-azure-native RoleAssignment `condition_version`: "Currently the only accepted value is
'2.0'" (its docstring, read by tests/test_team_onboarding.py)."""


def preview_subject(app: OnboardedApplication, environment: str) -> str:
    """The OIDC subject the preview identity is federated with: `previewSubject`, else ciSubject's
    repository in the GitHub environment `<app>-<env>-preview` (GitHub: "the subject claim
    includes the environment name when the job references an environment",
    `repo:<owner>/<repo>:environment:<name>`). The config rule refuses an application that has
    neither (`onboarded-applications`)."""
    if app.preview_subject:
        return app.preview_subject
    found = REPOSITORY_SUBJECT.match(app.ci_subject)
    assert found is not None, "validated: ciSubject names a repository, or previewSubject is set"
    return f"repo:{found['repo']}:environment:{preview_environment(app.name, environment)}"


@dataclass(frozen=True)
class OnboardingArgs:
    application: OnboardedApplication
    config: PlatformConfig
    foundation: Foundation
    secrets: Sequence[str]
    """The Key Vault secrets its declarations reference (Secrets Officer on each, so its CI
    seeds them)."""
    roles: ApplicationRoles


class ApplicationOnboarding(pulumi.ComponentResource):
    """One application's own resource group and deploy identity (federated with its CI), with
    the roles its application stack needs and no more:

    - Azure Kubernetes Service RBAC Writer on each of its namespaces;
    - Azure Kubernetes Service Cluster User Role on the cluster (to list the user kubeconfig:
      no Kubernetes right comes with it);
    - Contributor on its resource group (its Container Apps, identities, grants);
    - Key Vault Secrets Officer on each secret its declarations reference;
    - the platform's `deployer` role on the Container Apps environment, the pull identity and
      the private zone (not the certificate identity: the platform writes the granted hosts'
      certificates), and its `granter` role on each of its secrets and on its team's own scopes
      (`grantScopes`), where its services get their roles, each granter assignment with an ABAC
      condition (`granter_condition`): only the roles its services get there, only to service
      principals;
    - migrated from a single stack with its resources left in the platform's group (`adopted`):
      the `adopted` role on each of those resources' ids (never a role on the platform's group),
      and its own group with Contributor for every Container App and identity it adds later
      (docs/team-stacks.md, Migration).

    And a read-only **preview identity** `<application>-preview` for its pull requests' `pulumi
    preview --refresh`: Reader on each Azure scope above but the identities, AKS RBAC Reader and
    the platform's `kubernetes-reader` role on its namespaces, Cluster User on the cluster;
    federated with `preview_subject` (its GitHub environment `<app>-<env>-preview`).

    The platform's run ends with a wait for all of these grants (`ROLE_ASSIGNMENT_PROPAGATION`):
    the application's stack deploys right after it, as the identity they name. It sleeps when
    created and again when the grants or the identities change.

    AcrPush is not granted: repository-scoped pushes need the registry's ABAC repository
    permissions mode, which pulumi-azure-native 3.29 does not expose (docs/team-stacks.md).
    """

    def __init__(self, args: OnboardingArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        app = args.application
        super().__init__(ONBOARDING_COMPONENT, app.name, None, opts)
        self._placement: Placement = args.foundation.placement
        self._roles = args.roles
        self._grants: list[authorization.RoleAssignment] = []
        self._grant_names: list[str] = []
        foundation, config = args.foundation, args.config
        placement: Placement = foundation.placement
        # Migrated with its resources left in place (`adopted`): they stay in the platform's
        # group, so that is its group in the contract (what a 1.2 application reads), and its
        # own group (contract 1.3.0: `ownResourceGroup`) takes everything it adds.
        group = resources.ResourceGroup(
            f"{app.name}-group",
            resource_group_name=application_group(config, app.name),
            location=config.location,
            tags={**config.tags, "application": app.name},
            opts=pulumi.ResourceOptions(parent=self),
        )
        self.own_group_name = application_group(config, app.name)
        self.own_group_id: pulumi.Output[str] = group.id
        self.group_name = config.resource_group_name if app.adopted else self.own_group_name
        # In the platform's group, so the application cannot delete or re-federate it.
        identity = placement.identity(deploy_identity_name(app.name), self)
        managedidentity.FederatedIdentityCredential(
            f"{app.name}-deploy-ci",
            resource_group_name=placement.resource_group_name,
            resource_name_=identity.name,
            issuer=app.ci_issuer,
            subject=app.ci_subject,
            audiences=[WORKLOAD_IDENTITY_AUDIENCE],
            opts=pulumi.ResourceOptions(parent=self),
        )
        principal = identity.principal_id
        cluster_id = foundation.aks.cluster_id
        self._cluster_grants(
            f"{app.name}-deploy",
            app.name,
            principal,
            cluster_id,
            namespace_role=(AKS_RBAC_WRITER_ROLE, "writer"),
            custom_resources=args.roles.kubernetes,
            purpose=f"{app.name}'s stack deploys into",
        )
        self._grant(
            f"{app.name}-deploy-group",
            role_guid=CONTRIBUTOR_ROLE,
            principal_id=principal,
            scope=group.id,
            description=f"{app.name}'s stack owns its resource group",
        )
        if args.roles.adopted is not None:
            for resource_id in sorted(set(app.adopted)):
                self._custom(
                    f"{app.name}-adopted-{adopted_name(resource_id)}",
                    args.roles.adopted,
                    principal,
                    resource_id,
                )
        for secret in sorted(set(args.secrets)):
            self._grant(
                f"{app.name}-deploy-secret-{secret}",
                role_guid=KEY_VAULT_SECRETS_OFFICER_ROLE,
                principal_id=principal,
                scope=secret_scope(foundation.key_vault.vault_id, secret),
                description=f"{app.name}'s pipeline seeds its secret {secret}",
            )
        apps = foundation.container_apps
        deployer_scopes = {
            "environment": apps.environment_id,
            "pull-identity": foundation.registry.pull_identity_id,
            "private-zone": foundation.network.private_zone_id,
        }
        for what, scope in deployer_scopes.items():
            self._custom(f"{app.name}-deploy-{what}", args.roles.deployer, principal, scope)
        # What its services get where the granter is assigned: Key Vault Secrets User on its
        # secrets; the roles a service is granted by name on its team's own scopes.
        granter_scopes: dict[str, tuple[pulumi.Input[str], frozenset[str]]] = {
            f"secret-{secret}": (
                secret_scope(foundation.key_vault.vault_id, secret),
                frozenset({KEY_VAULT_SECRETS_USER_ROLE}),
            )
            for secret in sorted(set(args.secrets))
        }
        granter_scopes |= {
            f"owned-{i}": (scope, SERVICE_ROLES) for i, scope in enumerate(app.grant_scopes)
        }
        for what, (scope, granted) in granter_scopes.items():
            self._custom(
                f"{app.name}-grant-{what}",
                args.roles.granter,
                principal,
                scope,
                condition=granter_condition(granted),
            )
        self.group_id = (
            placement.group_scope(config.resource_group_name) if app.adopted else group.id
        )
        self.client_id = identity.client_id
        preview = self._preview_identity(
            app,
            config,
            group_scopes=[group.id, *sorted(set(app.adopted))],
            scopes={
                **{
                    f"secret-{s}": secret_scope(foundation.key_vault.vault_id, s)
                    for s in sorted(set(args.secrets))
                },
                "environment": apps.environment_id,
                "private-zone": foundation.network.private_zone_id,
                **{f"owned-{i}": scope for i, scope in enumerate(app.grant_scopes)},
            },
            cluster_id=cluster_id,
        )
        self.preview_client_id = preview.client_id
        # The application's stack deploys next, as these grants' principal.
        self.grants_ready = propagation_wait(
            f"{app.name}-grants-propagation",
            duration=ROLE_ASSIGNMENT_PROPAGATION,
            grants=list(self._grants),
            triggers={
                "deploy": principal,
                "preview": preview.principal_id,
                "grants": ",".join(sorted(self._grant_names)),
            },
            parent=self,
        )
        self.register_outputs({"clientId": self.client_id, "resourceGroup": group.name})

    def _preview_identity(
        self,
        app: OnboardedApplication,
        config: PlatformConfig,
        *,
        group_scopes: Sequence[pulumi.Input[str]],
        scopes: Mapping[str, pulumi.Input[str]],
        cluster_id: pulumi.Input[str],
    ) -> managedidentity.UserAssignedIdentity:
        """`<application>-preview`: read what its stack's preview (with refresh) reads, write
        nothing."""
        placement = self._placement
        preview = placement.identity(f"{app.name}-preview", self)
        managedidentity.FederatedIdentityCredential(
            f"{app.name}-preview-ci",
            resource_group_name=placement.resource_group_name,
            resource_name_=preview.name,
            issuer=app.ci_issuer,
            subject=preview_subject(app, config.environment.value),
            audiences=[WORKLOAD_IDENTITY_AUDIENCE],
            opts=pulumi.ResourceOptions(parent=self),
        )
        principal = preview.principal_id
        readable = {
            **{f"group-{i}": scope for i, scope in enumerate(group_scopes)},
            **scopes,
        }
        for what, scope in readable.items():
            self._grant(
                f"{app.name}-preview-{what}-reader",
                role_guid=READER_ROLE,
                principal_id=principal,
                scope=scope,
                description=f"{app.name}'s pull-request previews read it",
            )
        self._cluster_grants(
            f"{app.name}-preview",
            app.name,
            principal,
            cluster_id,
            namespace_role=(AKS_RBAC_READER_ROLE, "reader"),
            custom_resources=self._roles.kubernetes_reader,
            purpose=f"{app.name}'s pull-request previews read",
        )
        return preview

    def _cluster_grants(
        self,
        prefix: str,
        application: str,
        principal: pulumi.Input[str],
        cluster_id: pulumi.Input[str],
        *,
        namespace_role: tuple[str, str],
        custom_resources: authorization.RoleDefinition,
        purpose: str,
    ) -> None:
        """An identity's rights in the cluster: a built-in AKS RBAC role and the custom role for
        custom resources on each of the application's namespaces (RBAC Writer and Reader list
        built-in API groups only), and Cluster User on the cluster (its kubeconfig)."""
        role_guid, label = namespace_role
        for namespace in application_namespaces(application):
            self._grant(
                f"{prefix}-{namespace}-{label}",
                role_guid=role_guid,
                principal_id=principal,
                scope=namespace_scope(cluster_id, namespace),
                description=f"{purpose} namespace {namespace}",
            )
            self._custom(
                f"{prefix}-{namespace}-custom-resources",
                custom_resources,
                principal,
                namespace_scope(cluster_id, namespace),
            )
        self._grant(
            f"{prefix}-cluster-user",
            role_guid=AKS_CLUSTER_USER_ROLE,
            principal_id=principal,
            scope=cluster_id,
            description=f"{purpose} the cluster through the user kubeconfig",
        )

    def _grant(
        self,
        name: str,
        *,
        role_guid: str,
        principal_id: pulumi.Input[str],
        scope: pulumi.Input[str],
        description: str,
    ) -> authorization.RoleAssignment:
        grant = self._placement.grant(
            name,
            role_guid=role_guid,
            principal_id=principal_id,
            scope=scope,
            description=description,
            parent=self,
        )
        self._grants.append(grant)
        self._grant_names.append(name)
        return grant

    def _custom(
        self,
        name: str,
        role: authorization.RoleDefinition,
        principal: pulumi.Input[str],
        scope: pulumi.Input[str],
        *,
        condition: str | None = None,
    ) -> authorization.RoleAssignment:
        grant = authorization.RoleAssignment(
            name,
            principal_id=principal,
            principal_type=authorization.PrincipalType.SERVICE_PRINCIPAL,
            role_definition_id=self._roles.role_id(role),
            scope=scope,
            condition=condition,
            condition_version=CONDITION_VERSION if condition else None,
            opts=pulumi.ResourceOptions(parent=self, depends_on=[self._roles.ready]),
        )
        self._grants.append(grant)
        self._grant_names.append(name)
        return grant


def contract_output(
    config: PlatformConfig,
    foundation: Foundation,
    facts: PlatformFacts,
    onboarded: Sequence[tuple[OnboardedApplication, ApplicationOnboarding]],
    declared: Sequence[Application] = (),
    *,
    listeners: Mapping[str, list[dict[str, object]]] | None = None,
) -> pulumi.Output[dict[str, object]]:
    """The contract, validated against its types once every Output has resolved. `listeners`:
    by gateway kind, the listeners the platform created for the onboarded applications."""
    net = foundation.network
    apps = foundation.container_apps
    gateways: list[dict[str, object]] = []
    if foundation.gateway is not None:
        gateways.append(
            {
                "kind": AGC_KIND,
                "id": foundation.gateway.traffic_controller_id,
                "name": config.gateway_name,
                "namespace": ALB_NAMESPACE,
                "exposure": "public",
                "listeners": (listeners or {}).get(AGC_KIND, []),
            }
        )
    if facts.internal_gateway is not None:
        gateways.append(
            {
                "kind": ENVOY_KIND,
                "id": "",
                "name": gateway_name(facts),
                "namespace": ENVOY_GATEWAY_NAMESPACE,
                "exposure": "internal",
                "listeners": (listeners or {}).get(ENVOY_KIND, []),
            }
        )
    raw: dict[str, object] = {
        "version": CONTRACT_VERSION,
        "environment": config.environment.value,
        "subscriptionId": foundation.subscription_id,
        "tenantId": foundation.tenant_id,
        "location": config.location,
        "resourceGroup": config.resource_group_name,
        "tags": config.tags,
        "zonal": bool(config.aks.zones),
        "cluster": {
            "id": foundation.aks.cluster_id,
            "name": foundation.aks.cluster_name,
            "apiServer": foundation.aks.api_server,
            "oidcIssuerUrl": foundation.aks.oidc_issuer_url,
            "deploymentSafeguards": config.hardening.deployment_safeguards,
        },
        "registry": {
            "id": foundation.registry.registry_id,
            "loginServer": foundation.registry.login_server,
            "pullIdentityId": foundation.registry.pull_identity_id,
        },
        "keyVault": {
            "id": foundation.key_vault.vault_id,
            "name": config.key_vault_name,
            "uri": foundation.key_vault.vault_uri,
        },
        "network": {
            "aksNodesSubnetId": net.aks_nodes_subnet_id,
            "aksNodesSubnetCidr": str(config.network.aks_nodes_subnet_cidr),
            "containerAppsSubnetId": net.container_apps_subnet_id,
            "containerAppsSubnetCidr": str(config.network.container_apps_subnet_cidr),
            "internalIngressAddress": str(config.network.internal_ingress_address),
            "gatewaySubnetCidr": str(config.network.gateway_subnet_cidr or ""),
            "aksEgressIp": foundation.aks.egress_ip,
        },
        "dns": {
            "privateZone": config.private_dns_zone,
            "privateZoneId": net.private_zone_id,
            "publicZones": [config.dns.zone_name] if config.dns.zone_name else [],
        },
        "ingressMode": config.aks.ingress.value,
        "gateways": gateways,
        "containerApps": {
            "environmentId": apps.environment_id,
            "environmentName": apps.environment_name,
            "defaultDomain": apps.default_domain,
            "staticIp": apps.static_ip,
            "domainVerificationId": apps.domain_verification_id,
            "internal": config.container_apps.internal,
            "certificateIdentityId": apps.certificate_identity_id,
        },
        "logAnalytics": {
            "workspaceId": foundation.logs.workspace_id if foundation.logs else "",
            "customerId": foundation.logs.customer_id if foundation.logs else "",
        },
        "applications": [
            {
                "name": app.name,
                "namespaces": list(application_namespaces(app.name)),
                "resourceGroup": onboarding.group_name,
                "resourceGroupId": onboarding.group_id,
                "hosts": list(app.hosts),
                "deployIdentityClientId": onboarding.client_id,
                **(
                    {
                        "adopted": sorted(set(app.adopted)),
                        "ownResourceGroup": onboarding.own_group_name,
                        "ownResourceGroupId": onboarding.own_group_id,
                    }
                    if app.adopted
                    else {}
                ),
            }
            for app, onboarding in onboarded
        ],
    }
    raw["services"], raw["calls"] = service_registry(
        declared,
        [app.name for app, _ in onboarded],
        config.environment,
        StackIngress(config.aks.ingress),
        facts,
    )
    return pulumi.Output.from_input(raw).apply(_checked)


def _checked(plain: dict[str, object]) -> dict[str, object]:
    """What the types say, in the shape the schema says (a typo fails the platform's own run)."""
    return PlatformContract.model_validate(plain).model_dump(mode="json", by_alias=True)


def _shared_ingress(
    config: PlatformConfig,
    foundation: Foundation,
    *,
    facts: PlatformFacts,
    extensions: PlatformExtensions,
    namespaces: Mapping[str, pulumi.Resource],
    declared: Sequence[Application],
) -> dict[str, list[dict[str, object]]]:
    """The onboarded applications' shared ingress, built by the single stack's components
    (`infra.stacks.ingress`); the listeners of its Gateways by gateway kind, for the contract.
    The application stacks' routes wait for none of it: the platform deploys first."""
    served = onboarded_ingress(
        declared,
        config.applications,
        environment=config.environment,
        stack=StackIngress(config.aks.ingress),
        facts=facts,
        extensions=extensions,
    )
    gateway_hosts: dict[str, ManagedRecords] = {}
    warnings = list(served.warnings)
    if config.aks.ingress.internal_gateway:
        # As a single stack: during `both` the hosts still resolve to NGINX.
        gateway_hosts, host_warnings = host_records(served, config.dns)
        warnings += host_warnings
    for warning in warnings:
        pulumi.log.warn(f"shared ingress: {warning}")
    # The Container Apps hosts' records, as the single stack writes them under each service
    # (same names, at the stack's root: where `pulumi state move` leaves them when a migration
    # moves them back from the application's stack, docs/team-stacks.md "Migration").
    environment = foundation.container_apps
    for service, records in sorted(domain_records(served, config.dns).items()):
        container_app_domain_records(
            None,
            service,
            records,
            verification_id=environment.domain_verification_id,
            static_ip=environment.static_ip,
            environment_domain=environment.default_domain,
        )
    _host_certificates(config, foundation, served)
    public, envoy = shared_ingress(
        list(served.services),
        foundation,
        namespaces=namespaces,
        facts=facts,
        extensions=extensions,
        provider=foundation.aks.provider,
        gateway_hosts=gateway_hosts,
    )
    listeners: dict[str, list[dict[str, object]]] = {AGC_KIND: [], ENVOY_KIND: []}
    if public is not None:
        for app in sorted(public.gateways):
            listeners[AGC_KIND] += gateway_listeners(public.gateways[app], config.applications)
    if envoy is not None and envoy.gateway is not None:
        listeners[ENVOY_KIND] = gateway_listeners(envoy.gateway, config.applications)
    return listeners


def _host_certificates(
    config: PlatformConfig, foundation: Foundation, served: OnboardedIngress
) -> None:
    """The environment's certificate of each granted Container Apps host with TLS, named for its
    host (`environment_certificate_name`), which the application's Container App binds by id.

    The platform writes them, not the application: a certificate is read from Key Vault by the
    environment's certificate identity, which holds Key Vault Secrets User on the whole vault
    (`infra/foundation/container_apps.py`). An application that may assign that identity to its
    own Container App can resolve any secret of the vault into it (a Container App secret is
    `{keyVaultUrl, identity}`, CommonDefinitions.json `Secret`: upstream/azure-rest-api-specs/),
    so no application's role assigns it or writes the environment's certificates; and no two
    application stacks write the shared environment at once."""
    environment = foundation.container_apps
    for service in sorted(served.container_apps, key=lambda s: s.name):
        tls = service.spec.ingress.tls
        host = service.route.host if service.route is not None else None
        if tls is None or host is None:
            continue
        environment_certificate(
            None,
            service.name,
            tls.key_vault_certificate_uri,
            environment_name=environment.environment_name,
            resource_group_name=config.resource_group_name,
            location=config.location,
            identity_id=environment.certificate_identity_id,
            tags=config.tags,
            ready=environment.certificates_ready,
            certificate_name=environment_certificate_name(host),
        )


def build_platform(
    config: PlatformConfig,
    secrets_of: Mapping[str, Sequence[str]],
    extensions: PlatformExtensions,
    declared: Sequence[Application] = (),
) -> Foundation:
    """The foundation, the onboarded applications and the contract (exported as `contract`).
    `secrets_of`: each onboarded application's Key Vault secrets, by application name;
    `declared`: the applications' declarations, the registry of published services is
    computed from (`infra.stacks.registry`)."""
    job_namespaces = [jobs_namespace(app.name) for app in config.applications]
    foundation = build_foundation(config, job_namespaces)
    from infra.running_stack import platform_facts  # the single stack's own facts, said once

    facts = platform_facts(config, foundation)
    roles = ApplicationRoles(config, foundation.placement)
    onboarded = [
        (
            app,
            ApplicationOnboarding(
                OnboardingArgs(app, config, foundation, secrets_of.get(app.name, ()), roles)
            ),
        )
        for app in config.applications
    ]
    # Namespaces are cluster-scoped: the platform creates them (as the single stack does, same
    # logical names), the application's identity writes inside them only.
    namespaces: dict[str, pulumi.Resource] = {}
    for app in config.applications:
        for namespace in application_namespaces(app.name):
            created = ApplicationNamespace(
                app.name,
                extensions,
                foundation.aks.provider,
                name=None if namespace == app.name else namespace,
            )
            if namespace == app.name:
                namespaces[app.name] = created  # where its Gateway and routes live
    # The first deploy's first step (`deployServices: false`), as in a single stack: the shared
    # ingress is Helm charts through the new cluster's provider, whose kubeconfig is unknown
    # until the cluster exists (helm.v4.Chart fails that preview: the simulator's
    # helm-chart-unknown-cluster rule). Its Gateways' listeners join the contract on the next
    # run, before any application stack deploys.
    listeners = (
        _shared_ingress(
            config,
            foundation,
            facts=facts,
            extensions=extensions,
            namespaces=namespaces,
            declared=declared,
        )
        if config.deploy_services
        else None
    )
    pulumi.export(
        CONTRACT_OUTPUT,
        contract_output(config, foundation, facts, onboarded, declared, listeners=listeners),
    )
    pulumi.export(
        PREVIEW_IDENTITIES_OUTPUT,
        {app.name: onboarding.preview_client_id for app, onboarding in onboarded},
    )
    return foundation
