"""Which property changes force Pulumi to replace a resource rather than update it.

The providers decide this at preview time; offline we follow their documented rules for the
resources this platform creates. A path matches a rule when it equals it or lies below it.
`replaceOnChanges` options recorded in the snapshot count too.
"""

from __future__ import annotations

import re

_ANY_AZURE = ("location", "resourceGroupName")
_ANY_KUBERNETES = ("metadata.name", "metadata.namespace", "apiVersion", "kind")

# Per type: input paths ([*] matches any index) whose change means delete-and-create.
FORCES_REPLACEMENT: dict[str, tuple[str, ...]] = {
    "azure-native:resources:ResourceGroup": ("resourceGroupName", "location"),
    "azure-native:containerservice:ManagedCluster": (
        "resourceName",
        "dnsPrefix",
        "networkProfile.networkPlugin",
        "networkProfile.podCidr",
        "networkProfile.serviceCidr",
        "networkProfile.dnsServiceIP",
        "agentPoolProfiles[*].vmSize",
        "agentPoolProfiles[*].availabilityZones",
        "agentPoolProfiles[*].vnetSubnetID",
        "agentPoolProfiles[*].osDiskSizeGB",
        # Set only when a pool is created (AKS "Ephemeral OS", "host-based encryption" docs).
        "agentPoolProfiles[*].osDiskType",
        "agentPoolProfiles[*].enableEncryptionAtHost",
        "agentPoolProfiles[*].maxPods",
        "agentPoolProfiles[*].name",
    ),
    "azure-native:containerregistry:Registry": ("registryName",),
    "azure-native:containerservice:DeploymentSafeguard": ("resourceUri",),
    "azure-native:authorization:PolicyAssignment": ("policyAssignmentName", "scope"),
    "azure-native:keyvault:Vault": ("vaultName", "properties.tenantId"),
    "azure-native:network:VirtualNetwork": ("virtualNetworkName",),
    "azure-native:network:Subnet": ("subnetName", "virtualNetworkName"),
    "azure-native:network:PublicIPAddress": ("sku", "zones", "publicIPAddressVersion"),
    "azure-native:operationalinsights:Workspace": ("workspaceName",),
    "azure-native:app:ManagedEnvironment": (
        "environmentName",
        "vnetConfiguration",
        "zoneRedundant",
    ),
    "azure-native:app:ContainerApp": ("containerAppName", "managedEnvironmentId"),
    "azure-native:app:Certificate": ("certificateName", "environmentName"),
    "azure-native:managedidentity:UserAssignedIdentity": ("resourceName",),
    "azure-native:managedidentity:FederatedIdentityCredential": (
        "resourceName",
        "federatedIdentityCredentialResourceName",
    ),
    "azure-native:authorization:RoleAssignment": (
        "principalId",
        "roleDefinitionId",
        "scope",
        "roleAssignmentName",
    ),
    "azure-native:privatedns:PrivateZone": ("privateZoneName",),
    "azure-native:privatedns:PrivateRecordSet": (
        "privateZoneName",
        "relativeRecordSetName",
        "recordType",
    ),
    "kubernetes:apps/v1:Deployment": ("spec.selector",),
    "kubernetes:core/v1:Service": ("spec.clusterIP", "spec.type"),
    "kubernetes:policy/v1:PodDisruptionBudget": (),
    "kubernetes:core/v1:Secret": ("type",),
    "pulumi:providers:kubernetes": ("clusterIdentifier",),
}


def _pattern(rule: str) -> re.Pattern[str]:
    escaped = re.escape(rule).replace(r"\[\*\]", r"\[\d+\]")
    return re.compile(rf"^{escaped}(\.|\[|$)")


_COMPILED: dict[str, list[re.Pattern[str]]] = {}


def forces_replacement(token: str, path: str, replace_on_changes: tuple[str, ...] = ()) -> bool:
    rules = _COMPILED.get(token)
    if rules is None:
        names = list(FORCES_REPLACEMENT.get(token, ()))
        if token.startswith("azure-native:"):
            names += _ANY_AZURE
        elif token.startswith("kubernetes:"):
            names += _ANY_KUBERNETES
        rules = _COMPILED[token] = [_pattern(n) for n in names]
    if any(rule.match(path) for rule in rules):
        return True
    return any(_pattern(option).match(path) for option in replace_on_changes if option != "*") or (
        "*" in replace_on_changes
    )
