"""The service model: what an application team declares, once, for either target.

Plain frozen dataclasses with no Pulumi imports: declarations in `apps/` are data, checked
statically by pyright and at run time by `infra.services.validation` (which reports every
problem at once). Every field has a default where one is safe, and the default's reason.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum

from pydantic import ConfigDict

# Declarations are revalidated (types, unknown fields) by infra.services.validation, which
# collects every problem instead of failing at the first constructor call.
_CHECKED = ConfigDict(revalidate_instances="always", extra="forbid")

# --------------------------------------------------------------------------------------------
# Closed sets: values, never free strings or booleans.


class Target(StrEnum):
    """Where a service runs. One declaration renders on either."""

    AKS = "aks"
    CONTAINER_APPS = "container-apps"


class Protocol(StrEnum):
    HTTP = "http"
    GRPC = "grpc"
    TCP = "tcp"


class Exposure(StrEnum):
    """Who can reach a service beyond the callers it declares.

    NONE: only services that list it in `dependencies` (the default: least exposure).
    INTERNAL: anything inside the platform's network, by host name.
    PUBLIC: the internet, always over TLS.
    """

    NONE = "none"
    INTERNAL = "internal"
    PUBLIC = "public"


class AddressForm(StrEnum):
    """How a caller wants a dependency's address in its environment variable."""

    URL = "url"  # http://host:port (grpc and tcp callees get host:port)
    HOST_PORT = "host-port"  # host:port


SECRET_FILES_MOUNT = "/mnt/secrets"
"""Where `ServiceSpec.secret_files` appear, read-only, on both targets."""


def file_secret_name(file_name: str) -> str:
    """The Container Apps secret behind one secret file (env var secrets have no `file-` form
    unless a variable is named FILE_…; validation refuses that clash)."""
    return f"file-{file_name}"


# --------------------------------------------------------------------------------------------
# Parts of a service


@dataclass(frozen=True, kw_only=True)
class Port:
    __pydantic_config__ = _CHECKED

    name: str
    """An IANA-style name (`http`, `grpc`, `metrics`): probes and dependencies refer to it."""
    number: int
    protocol: Protocol = Protocol.HTTP


@dataclass(frozen=True, kw_only=True)
class Resources:
    __pydantic_config__ = _CHECKED

    """Requests equal limits (Guaranteed QoS on AKS; Container Apps has one value for both), so
    a service behaves the same on either target and never starves its neighbours."""

    cpu: float = 0.25
    """Cores. On Container Apps: 0.25 steps, with memory = 2 × cpu Gi."""
    memory: str = "0.5Gi"
    """`Mi` or `Gi`, e.g. `512Mi`, `1Gi`, `1.5Gi`."""


@dataclass(frozen=True, kw_only=True)
class HttpProbe:
    __pydantic_config__ = _CHECKED

    path: str = "/healthz"
    port: str | None = None
    """Port name; defaults to the service's first port."""


@dataclass(frozen=True, kw_only=True)
class TcpProbe:
    __pydantic_config__ = _CHECKED

    port: str | None = None


@dataclass(frozen=True, kw_only=True)
class GrpcProbe:
    __pydantic_config__ = _CHECKED

    """gRPC health checking protocol. Container Apps has no gRPC probe: it becomes a TCP probe
    on the same port there (documented in the README)."""

    port: str | None = None
    service: str | None = None


Probe = HttpProbe | TcpProbe | GrpcProbe


@dataclass(frozen=True, kw_only=True)
class Probes:
    __pydantic_config__ = _CHECKED

    readiness: Probe | None = None
    """Gates traffic. Defaults to a TCP check on the first port, so no pod takes traffic before
    it listens."""
    liveness: Probe | None = None
    """Restarts a wedged process. None by default: a bad liveness probe causes restart storms."""
    startup: Probe | None = None
    """Holds liveness off while a slow starter boots."""


@dataclass(frozen=True, kw_only=True)
class ServiceBusQueue:
    __pydantic_config__ = _CHECKED

    """Scale on the length of an Azure Service Bus queue (KEDA `azure-servicebus`)."""

    namespace: str
    """The namespace's name (`<namespace>.servicebus.windows.net`)."""
    queue: str
    messages_per_replica: int = 5
    resource_group: str | None = None
    """The namespace's resource group (`{environment}` is filled in), in the platform's
    subscription. Required: reading a queue's length takes Manage rights (kedacore/keda#806), so the
    platform grants the scaler's identity `Azure Service Bus Data Owner` on exactly this queue."""


@dataclass(frozen=True, kw_only=True)
class StorageQueue:
    __pydantic_config__ = _CHECKED

    """Scale on the length of an Azure Storage queue (KEDA `azure-queue`)."""

    account: str
    queue: str
    messages_per_replica: int = 5
    resource_group: str | None = None
    """The storage account's resource group (`{environment}` is filled in), in the platform's
    subscription. Required: the platform grants the scaler's identity `Storage Queue Data Reader`
    on exactly this queue, which reading its length needs."""


QueueTrigger = ServiceBusQueue | StorageQueue


@dataclass(frozen=True, kw_only=True)
class Autoscaling:
    __pydantic_config__ = _CHECKED

    """Replica range and what drives it. `min_replicas=0` (scale to zero) needs a queue or HTTP
    trigger that can wake the service up."""

    min_replicas: int = 2
    max_replicas: int = 10
    cpu_utilization: int | None = 70
    """Target average CPU, percent of the request."""
    memory_utilization: int | None = None
    http_concurrency: int | None = None
    """Concurrent requests per replica (Container Apps only: AKS has no HTTP scaler installed)."""
    queue: QueueTrigger | None = None


@dataclass(frozen=True, kw_only=True)
class Tls:
    __pydantic_config__ = _CHECKED

    """A certificate in Key Vault. AKS: the app routing add-on serves it; Container Apps: an
    environment certificate bound to the custom domain. Both read it with managed identity."""

    key_vault_certificate_uri: str
    """e.g. https://kv-shop.vault.azure.net/certificates/shop-example-com"""


@dataclass(frozen=True, kw_only=True)
class Ingress:
    __pydantic_config__ = _CHECKED

    exposure: Exposure = Exposure.NONE
    host: str | None = None
    """A DNS name for INTERNAL/PUBLIC; without one, Container Apps uses its generated domain."""
    path: str = "/"
    port: str | None = None
    """Port name; defaults to the first port."""
    tls: Tls | None = None


@dataclass(frozen=True, kw_only=True)
class KeyVaultSecret:
    __pydantic_config__ = _CHECKED

    """A secret in Key Vault, read by the service's own identity (granted on that secret only)."""

    name: str
    vault_id: str | None = None
    """Full resource id of the vault; defaults to the platform's vault."""


@dataclass(frozen=True, kw_only=True)
class ConfigSecret:
    __pydantic_config__ = _CHECKED

    """A Pulumi secret config value (`pulumi config set --secret secrets:<key> ...`)."""

    key: str
    """`<key>` in the `secrets` namespace, or a full `namespace:key`."""


SecretRef = KeyVaultSecret | ConfigSecret


@dataclass(frozen=True, kw_only=True)
class Dependency:
    __pydantic_config__ = _CHECKED

    """A service this one calls: the platform injects its address and allows the traffic."""

    service: str
    env: str | None = None
    """Variable name; defaults to `<SERVICE>_URL` (URL form) or `<SERVICE>_ADDR` (host:port)."""
    form: AddressForm = AddressForm.URL
    port: str | None = None
    """Callee's port name; defaults to its first port."""


@dataclass(frozen=True, kw_only=True)
class RoleGrant:
    __pydantic_config__ = _CHECKED

    """An Azure role for the service's identity, on the narrowest scope that works."""

    role: str
    """A built-in role name from `infra.services.roles` or a role definition GUID."""
    scope: str
    """A full Azure resource id."""


@dataclass(frozen=True, kw_only=True)
class Identity:
    __pydantic_config__ = _CHECKED

    roles: tuple[RoleGrant, ...] = ()


@dataclass(frozen=True, kw_only=True)
class Override:
    __pydantic_config__ = _CHECKED

    """Per-environment differences (`dev`, `staging`, `prod`): anything set replaces the base."""

    image: str | None = None
    replicas: int | None = None
    resources: Resources | None = None
    autoscaling: Autoscaling | None = None
    ingress: Ingress | None = None
    env: Mapping[str, str] | None = None
    """Merged over the base `env`."""


@dataclass(frozen=True, kw_only=True)
class ServiceSpec:
    __pydantic_config__ = _CHECKED

    """One microservice. See the README's "Service model" for every field."""

    name: str
    image: str
    """`registry/repository:tag` or `...@sha256:...`; without a registry host, the platform's
    registry is used. `latest` is refused in prod."""
    target: Target
    ports: tuple[Port, ...] = ()
    command: tuple[str, ...] = ()
    args: tuple[str, ...] = ()
    env: Mapping[str, str] = field(default_factory=dict)
    secrets: Mapping[str, SecretRef] = field(default_factory=dict)
    """Environment variable name → reference. Never a literal value."""
    resources: Resources = field(default_factory=Resources)
    replicas: int = 2
    """Without autoscaling. Two by default so one pod can be drained without an outage."""
    autoscaling: Autoscaling | None = None
    ingress: Ingress = field(default_factory=Ingress)
    probes: Probes = field(default_factory=Probes)
    dependencies: tuple[Dependency, ...] = ()
    identity: Identity | None = None
    overrides: Mapping[str, Override] = field(default_factory=dict)
    writable_paths: tuple[str, ...] = ("/tmp",)
    """The root filesystem is read-only; these get an emptyDir (AKS) or ephemeral volume."""
    secret_files: Mapping[str, KeyVaultSecret] = field(default_factory=dict)
    """File name → Key Vault secret, mounted read-only at `/mnt/secrets/<file name>` on both
    targets (AKS: Secrets Store CSI volume, never copied into a Kubernetes Secret; Container Apps:
    a secret volume). Prefer this to `secrets` where the process can read a file: a file is not
    inherited by child processes, not printed by `env` dumps or crash reports, and is refreshed
    on rotation without a restart (AKS)."""


@dataclass(frozen=True, kw_only=True)
class Application:
    __pydantic_config__ = _CHECKED

    """A group of services owned by one team; on AKS, one namespace."""

    name: str
    services: tuple[ServiceSpec, ...]
    charts: tuple[HelmChart, ...] = ()
    """Third-party software the services depend on (AKS only)."""
    owner: str = ""
    source: str = ""
    """Where it is declared (set by the loader), so errors can point at the file."""


@dataclass(frozen=True, kw_only=True)
class HelmChart:
    """Third-party software (a cache, a broker) from a pinned Helm chart, on AKS, in the
    application's namespace. Services list it in `dependencies` like any other service: they
    get its address and are the only pods allowed to connect."""

    __pydantic_config__ = _CHECKED

    name: str
    """The release name; also the Service the chart creates unless `service` says otherwise."""
    chart: str
    version: str
    """An exact chart version (e.g. 1.0.0): upgrades are reviewed changes, never surprises."""
    repository: str
    """`https://…` chart repository or `oci://…` registry path."""
    port: int
    protocol: Protocol = Protocol.TCP
    scheme: str = ""
    """URL scheme callers get with `AddressForm.URL` (e.g. `redis`); host:port when empty."""
    service: str | None = None
    values: Mapping[str, object] = field(default_factory=dict)
    """Chart values. Typed helpers (e.g. `infra.services.charts.valkey`) build them."""
