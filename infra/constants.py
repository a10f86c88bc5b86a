"""Facts the whole program shares, written once: built-in Azure ids, ingress class names, timings.

This module imports nothing, so any layer (config, spec, validation, renderers, foundation,
policy, simulator) may import it without pulling in the Azure SDK or running back up the pipeline.
A value belongs here when two modules would otherwise write it twice; a value one module owns
stays in that module.
"""

# --- Built-in Azure role definition ids (the same in every tenant). ---------------------------
# learn.microsoft.com/azure/role-based-access-control/built-in-roles
ACR_PULL_ROLE = "7f951dda-4ed3-4680-a7ca-43fe172d538d"
ACR_PUSH_ROLE = "8311e382-0749-4cb8-b61a-304f252e45ec"
AKS_RBAC_CLUSTER_ADMIN_ROLE = "b1ff04bb-8a4e-4dc4-8eb5-8693973ce19b"
AKS_RBAC_WRITER_ROLE = "a7ffa36f-339b-4b5c-8bdf-e2c188b2c0eb"
"""Azure Kubernetes Service RBAC Writer: read/write most objects of a namespace at
`{clusterId}/namespaces/{ns}` scope (an application stack's deploy identity)."""
AKS_RBAC_READER_ROLE = "7f6c6a51-bcf8-42ba-9220-52d62157d7db"
"""Azure Kubernetes Service RBAC Reader: read most objects of a namespace, not Secrets (an
onboarded application's preview identity)."""
AKS_CLUSTER_USER_ROLE = "4abbcc35-e782-43d8-92c5-2d3f1bd2253f"
"""Azure Kubernetes Service Cluster User Role: list the user kubeconfig (no Kubernetes rights)."""
CONTRIBUTOR_ROLE = "b24988ac-6180-42a0-ab88-20f7382dd24c"
EVENT_HUBS_DATA_RECEIVER_ROLE = "a638d3c7-ab3a-418d-83e6-5f17a39d4fde"
EVENT_HUBS_DATA_SENDER_ROLE = "2b629674-e913-4c01-ae53-ef4638d8f975"
KEY_VAULT_ADMINISTRATOR_ROLE = "00482a5a-887f-4fb3-b363-3b7fe8e74483"
KEY_VAULT_CERTIFICATE_USER_ROLE = "db79e9a7-68ee-4b58-9aeb-b90e7c24fcba"
KEY_VAULT_CERTIFICATES_OFFICER_ROLE = "a4417e6f-fecd-4de8-b567-7b0420556985"
KEY_VAULT_SECRETS_OFFICER_ROLE = "b86a8fe4-44ce-4948-aee5-eccb2c155cd7"
KEY_VAULT_SECRETS_USER_ROLE = "4633458b-17de-408a-b874-0445c86b69e6"
NETWORK_CONTRIBUTOR_ROLE = "4d97b98b-1d4f-4787-a291-c67834d212e7"
AGC_CONFIGURATION_MANAGER_ROLE = "fbc52c3f-28ad-4303-a892-8a056630b8f1"
"""Built-in "AppGw for Containers Configuration Manager"."""
READER_ROLE = "acdd72a7-3385-48ef-bd42-f606fba81ae7"
OWNER_ROLE = "8e3af657-a8ff-443c-a75c-2fe8c4bcb635"
SERVICE_BUS_DATA_OWNER_ROLE = "090c5cfd-751d-490a-894a-3ce6f1109419"
SERVICE_BUS_DATA_RECEIVER_ROLE = "4f6d3b9b-027b-4f4c-9142-0e5a2a2247e0"
SERVICE_BUS_DATA_SENDER_ROLE = "69a216fc-b8fb-44d8-bc22-1f3c2cd27a39"
STORAGE_BLOB_DATA_CONTRIBUTOR_ROLE = "ba92f5b4-2d11-453d-a403-e96b0029c9fe"
STORAGE_BLOB_DATA_READER_ROLE = "2a2b9908-6ea1-4ae2-8e65-a410df84e7d1"
STORAGE_QUEUE_DATA_CONTRIBUTOR_ROLE = "974c5e8b-45b9-4653-ba55-5f855dd0fb88"
STORAGE_QUEUE_DATA_MESSAGE_PROCESSOR_ROLE = "8a0f0c08-91a1-4084-bc3d-661d67233fed"
STORAGE_QUEUE_DATA_READER_ROLE = "19e7f393-937e-4f77-808e-94535e297925"

REQUESTABLE_ROLES: dict[str, str] = {
    "AcrPull": ACR_PULL_ROLE,
    "Azure Event Hubs Data Receiver": EVENT_HUBS_DATA_RECEIVER_ROLE,
    "Azure Event Hubs Data Sender": EVENT_HUBS_DATA_SENDER_ROLE,
    "Azure Service Bus Data Receiver": SERVICE_BUS_DATA_RECEIVER_ROLE,
    "Azure Service Bus Data Sender": SERVICE_BUS_DATA_SENDER_ROLE,
    "Key Vault Secrets User": KEY_VAULT_SECRETS_USER_ROLE,
    "Storage Blob Data Contributor": STORAGE_BLOB_DATA_CONTRIBUTOR_ROLE,
    "Storage Blob Data Reader": STORAGE_BLOB_DATA_READER_ROLE,
    "Storage Queue Data Contributor": STORAGE_QUEUE_DATA_CONTRIBUTOR_ROLE,
    "Storage Queue Data Message Processor": STORAGE_QUEUE_DATA_MESSAGE_PROCESSOR_ROLE,
    "Storage Queue Data Reader": STORAGE_QUEUE_DATA_READER_ROLE,
}
"""Data-plane roles a service may ask for by name (control-plane roles are refused by name)."""

POD_SECURITY_RESTRICTED_INITIATIVE_ID = "42b8ef37-b724-4e24-bbc8-7a7708edfe00"
"""Built-in initiative "Kubernetes cluster pod security restricted standards for Linux-based
workloads" (infra/foundation/guardrails.py assigns it, the policy pack checks it)."""

# --- Names that look like secrets. --------------------------------------------------------------
SECRET_LOOKING_PATTERN = r"(PASSWORD|PASSWD|SECRET|TOKEN|API_?KEY|PRIVATE_KEY|CONNECTION_?STRING)"
"""A variable or setting whose name matches (case-insensitively) must not hold a plain value:
validation refuses it in specs and config, the policy pack in rendered objects."""

# --- Ingress classes and node pools. ------------------------------------------------------------
APP_ROUTING_INGRESS_CLASS = "webapprouting.kubernetes.azure.com"
"""The class of AKS application routing's managed NGINX (the public ingress)."""
INTERNAL_INGRESS_CLASS = "nginx-internal"
"""The platform's second app-routing NGINX, behind an internal load balancer."""
CONSUMPTION_PROFILE = "Consumption"
"""The Container Apps environment's serverless workload profile (every app and job runs on it)."""
SYSTEM_POOL = "system"
USER_POOL = "user"
CRITICAL_ADDONS_TAINT = "CriticalAddonsOnly=true:NoSchedule"

# --- Labels every rendered object carries (Kubernetes' recommended labels). ------------------
NAME_LABEL = "app.kubernetes.io/name"
"""The service (or chart) an object belongs to."""
PART_OF_LABEL = "app.kubernetes.io/part-of"
"""The application the service belongs to."""


def azure_tag_key(label: str) -> str:
    """The Azure tag a label becomes on Container Apps (a tag name cannot hold `/`)."""
    return label.replace("/", "_")


# --- Component types: how the preview groups recorded resources by service. ------------------
AKS_SERVICE_COMPONENT = "platform:services:AksService"
CONTAINER_APP_SERVICE_COMPONENT = "platform:services:ContainerAppService"
CONTAINER_APP_JOB_COMPONENT = "platform:services:ContainerAppJob"
HELM_RELEASE_COMPONENT = "platform:services:HelmRelease"
NAMESPACE_COMPONENT = "platform:services:ApplicationNamespace"
INTERNAL_INGRESS_COMPONENT = "platform:services:InternalIngress"
PUBLIC_GATEWAY_COMPONENT = "platform:services:PublicGateway"
PUBLIC_GATEWAY_NAME = "public-gateway"
WORKLOAD_COMPONENTS = frozenset(
    {
        AKS_SERVICE_COMPONENT,
        CONTAINER_APP_SERVICE_COMPONENT,
        CONTAINER_APP_JOB_COMPONENT,
        HELM_RELEASE_COMPONENT,
    }
)
"""Components that each deploy one service, job or chart (named after it): a change under one
is that workload's change in the preview. New workload components belong in this set."""

# --- Timings both targets share (Kubernetes and Container Apps render the same numbers). -------
PROBE_TIMEOUT_SECONDS = 2
PROBE_TIMINGS: dict[str, tuple[int, int]] = {
    "readiness": (5, 3),
    "liveness": (10, 3),
    # Up to 5 minutes to start before liveness may restart the container.
    "startup": (5, 60),
}
"""(period seconds, failure threshold) per probe kind."""
TERMINATION_GRACE_SECONDS = 30
PRESTOP_SLEEP_SECONDS = 5
"""Time for endpoints and the ingress to stop sending traffic before the process gets SIGTERM."""
SCALER_POLLING_SECONDS = 15
SCALER_COOLDOWN_SECONDS = 300

# --- Namespaces of the ingress controllers the platform installs (Helm). ----------------------
ALB_NAMESPACE = "azure-alb-system"
"""Application Gateway for Containers' ALB controller (Microsoft's chart)."""
ENVOY_GATEWAY_NAMESPACE = "envoy-gateway-system"
"""Envoy Gateway's controller and proxies (internal AKS ingress, the local stack)."""

# --- Where an application's AKS jobs run. --------------------------------------------------
JOBS_NAMESPACE_SUFFIX = "-jobs"
"""An application's AKS jobs (CronJobs, ScaledJobs) run in `<app>-jobs`, not beside its
services: job pods have no probes, and Deployment Safeguards' probe policy (Enforce) refuses
probe-less Pods in every namespace it does not exclude (upstream/azure-policy). The jobs'
namespace is excluded from the safeguards (infra/foundation/guardrails.py) and the offline
policy checks what they would have (docs/policy-and-safeguards.md)."""


def jobs_namespace(app: str) -> str:
    """Where an application's AKS jobs run (`JOBS_NAMESPACE_SUFFIX`)."""
    return f"{app}{JOBS_NAMESPACE_SUFFIX}"


CONTAINER_APP_TYPE = "Microsoft.App/containerApps"
IDENTITY_TYPE = "Microsoft.ManagedIdentity/userAssignedIdentities"
CONTAINER_APP_JOB_TYPE = "Microsoft.App/jobs"
ADOPTABLE_TYPES = {
    "azure-native:app:ContainerApp": CONTAINER_APP_TYPE,
    "azure-native:app:Job": CONTAINER_APP_JOB_TYPE,
    "azure-native:managedidentity:UserAssignedIdentity": IDENTITY_TYPE,
}
"""Pulumi type → Azure resource type of what an application stack creates in its resource group,
so what an application migrated from a single stack keeps in the platform's group (`adopted`:
its role on each, docs/team-stacks.md, Migration): its Container Apps, Container Apps jobs
and identities. A federated credential is a child of its identity (the identity's scope covers
it)."""


def application_namespaces(app: str) -> tuple[str, ...]:
    """The AKS namespaces an application owns: its own and its jobs' (what an onboarded
    application's deploy identity may write: docs/team-stacks.md)."""
    return (app, jobs_namespace(app))


def deploy_environment(application: str, environment: str) -> str:
    """The GitHub environment an application stack deploys in (deploy-team-stacks.yml:
    `environment: <matrix.application>-<env>`)."""
    return f"{application}-{environment}"


def preview_environment(app: str, environment: str) -> str:
    """The GitHub environment an onboarded application's pull-request previews run in: its
    preview identity is federated with `repo:<owner>/<repo>:environment:<this>` (GitHub's OIDC
    subject for a job that references an environment), so its deploy environment `<app>-<env>`
    can require reviewers and admit main alone (docs/team-stacks.md)."""
    return f"{app}-{environment}-preview"


# --- The smallest requests Deployment Safeguards leave alone. --------------------------------
# Deployment Safeguards' resource-requests mutator raises anything below these
# (learn.microsoft.com/azure/aks/deployment-safeguards, "Minimum enforcement"). The `resources`
# validation rule (infra/services/rules/resources.py) refuses smaller declarations and the
# policy rule `k8s-resources` smaller rendered values: what validation accepts passes policy.
MIN_CPU_MILLICORES = 100
MIN_MEMORY_MIB = 100
BELOW_SAFEGUARDS_MINIMUM = "is below the Deployment Safeguards minimum {floor}"
"""The words both say it in (`floor` e.g. `100m`, `100Mi`)."""

# --- The replicas a prod AKS service keeps. ---------------------------------------------------
PROD_MIN_REPLICAS = 2
"""Fewer and a node drain or upgrade is an outage (and no PodDisruptionBudget is rendered):
policy `k8s-prod-replicas-and-pdb` refuses fewer in a prod plan, the `scaling` validation rule
(infra/services/rules/scaling.py) a prod declaration of fewer. Scale-to-zero workers (minimum 0,
woken by a queue) have no replica to protect while idle and are left alone by both."""
PROD_REPLICAS_PROBLEM = "runs {replicas} replica(s); prod needs at least {floor}"
"""The words both say it in, so the declaration's author and the plan's reader see one rule."""
