"""The resource kinds a recorded plan holds, as Pulumi type tokens, written once.

`<package>:<module>:<Type>` as the providers name them (pulumi-azure-native 3, pulumi-kubernetes
4): the preview, cost, the deploy simulator and the offline policy all recognise resources by
these constants, never by a literal of their own (tests/test_plan_reader.py checks).
"""

from __future__ import annotations

# --- Azure (pulumi-azure-native) -------------------------------------------------------------
ACA_CERTIFICATE = "azure-native:app:Certificate"
CONTAINER_APP = "azure-native:app:ContainerApp"
CONTAINER_APP_JOB = "azure-native:app:Job"
MANAGED_ENVIRONMENT = "azure-native:app:ManagedEnvironment"
POLICY_ASSIGNMENT = "azure-native:authorization:PolicyAssignment"
ROLE_ASSIGNMENT = "azure-native:authorization:RoleAssignment"
ROLE_DEFINITION = "azure-native:authorization:RoleDefinition"
REGISTRY = "azure-native:containerregistry:Registry"
DEPLOYMENT_SAFEGUARD = "azure-native:containerservice:DeploymentSafeguard"
MAINTENANCE_CONFIGURATION = "azure-native:containerservice:MaintenanceConfiguration"
MANAGED_CLUSTER = "azure-native:containerservice:ManagedCluster"
DNS_RECORD_SET = "azure-native:dns:RecordSet"
KEYVAULT_SECRET = "azure-native:keyvault:Secret"
VAULT = "azure-native:keyvault:Vault"
FEDERATED_IDENTITY_CREDENTIAL = "azure-native:managedidentity:FederatedIdentityCredential"
USER_ASSIGNED_IDENTITY = "azure-native:managedidentity:UserAssignedIdentity"
METRICS_WORKSPACE = "azure-native:monitor:AzureMonitorWorkspace"
DATA_COLLECTION_ENDPOINT = "azure-native:monitor:DataCollectionEndpoint"
DATA_COLLECTION_RULE = "azure-native:monitor:DataCollectionRule"
DATA_COLLECTION_RULE_ASSOCIATION = "azure-native:monitor:DataCollectionRuleAssociation"
NETWORK_SECURITY_GROUP = "azure-native:network:NetworkSecurityGroup"
PRIVATE_DNS_ZONE_GROUP = "azure-native:network:PrivateDnsZoneGroup"
PRIVATE_ENDPOINT = "azure-native:network:PrivateEndpoint"
PUBLIC_IP_ADDRESS = "azure-native:network:PublicIPAddress"
NETWORK_RECORD_SET = "azure-native:network:RecordSet"
SUBNET = "azure-native:network:Subnet"
VIRTUAL_NETWORK = "azure-native:network:VirtualNetwork"
VIRTUAL_NETWORK_PEERING = "azure-native:network:VirtualNetworkPeering"
WORKSPACE = "azure-native:operationalinsights:Workspace"
PRIVATE_RECORD_SET = "azure-native:privatedns:PrivateRecordSet"
PRIVATE_ZONE = "azure-native:privatedns:PrivateZone"
VIRTUAL_NETWORK_LINK = "azure-native:privatedns:VirtualNetworkLink"
RESOURCE_GROUP = "azure-native:resources:ResourceGroup"
ASSOCIATION = "azure-native:servicenetworking:AssociationsInterface"
FRONTEND = "azure-native:servicenetworking:FrontendsInterface"
TRAFFIC_CONTROLLER = "azure-native:servicenetworking:TrafficControllerInterface"

# --- Kubernetes (pulumi-kubernetes) ----------------------------------------------------------
NGINX_CONTROLLER = "kubernetes:approuting.kubernetes.azure.com/v1alpha1:NginxIngressController"
DAEMON_SET = "kubernetes:apps/v1:DaemonSet"
DEPLOYMENT = "kubernetes:apps/v1:Deployment"
STATEFUL_SET = "kubernetes:apps/v1:StatefulSet"
HPA = "kubernetes:autoscaling/v2:HorizontalPodAutoscaler"
CRON_JOB = "kubernetes:batch/v1:CronJob"
JOB = "kubernetes:batch/v1:Job"
NAMESPACE = "kubernetes:core/v1:Namespace"
NODE = "kubernetes:core/v1:Node"
POD = "kubernetes:core/v1:Pod"
KUBERNETES_SERVICE = "kubernetes:core/v1:Service"
ENVOY_PROXY = "kubernetes:gateway.envoyproxy.io/v1alpha1:EnvoyProxy"
GATEWAY = "kubernetes:gateway.networking.k8s.io/v1:Gateway"
GATEWAY_CLASS = "kubernetes:gateway.networking.k8s.io/v1:GatewayClass"
HTTP_ROUTE = "kubernetes:gateway.networking.k8s.io/v1:HTTPRoute"
GRPC_ROUTE = "kubernetes:gateway.networking.k8s.io/v1:GRPCRoute"
CHART = "kubernetes:helm.sh/v4:Chart"
SCALED_JOB = "kubernetes:keda.sh/v1alpha1:ScaledJob"
SCALED_OBJECT = "kubernetes:keda.sh/v1alpha1:ScaledObject"
TRIGGER_AUTHENTICATION = "kubernetes:keda.sh/v1alpha1:TriggerAuthentication"
INGRESS = "kubernetes:networking.k8s.io/v1:Ingress"
PDB = "kubernetes:policy/v1:PodDisruptionBudget"
SECRET_PROVIDER_CLASS = "kubernetes:secrets-store.csi.x-k8s.io/v1:SecretProviderClass"
STORAGE_CLASS = "kubernetes:storage.k8s.io/v1:StorageClass"
CONFIG_FILE = "kubernetes:yaml/v2:ConfigFile"
KUBERNETES_PROVIDER = "pulumi:providers:kubernetes"

AZURE_PREFIX = "azure-native:"
KUBERNETES_PREFIX = "kubernetes:"


def is_azure(kind: str) -> bool:
    return kind.startswith(AZURE_PREFIX)


def is_kubernetes(kind: str) -> bool:
    """A Kubernetes object (what the kubernetes provider sends to a cluster)."""
    return kind.startswith(KUBERNETES_PREFIX)


def short(kind: str) -> str:
    """`kubernetes:apps/v1:Deployment` → `Deployment`."""
    return kind.rsplit(":", 1)[-1]
