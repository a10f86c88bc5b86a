"""The service model: what an application team declares, once, for either target.

Plain frozen dataclasses with no Pulumi imports: declarations in `apps/` are data, checked
statically by pyright and at run time by `infra.services.validation` (which reports every
problem at once). Every field has a default where one is safe, and the default's reason.

Two kinds of workload: a `ServiceSpec` runs continuously; a `JobSpec` runs to completion
(manually, on a schedule, or per queue message). Both share image, env, secrets, identity,
resources and the security defaults.

Overrides patch: each declaration remembers which fields its constructor was given, and an
`Override` applies exactly those (recursively into nested objects such as `Autoscaling`), so
what an override does not mention is inherited from the base. Passing `None` explicitly is a
setting like any other: `Autoscaling(cpu_utilization=None)` in an override turns the base's CPU
trigger off.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any, TypeVar

from pydantic import ConfigDict

__all__ = [
    "AddressForm",
    "Application",
    "Autoscaling",
    "ConfigSecret",
    "Dependency",
    "Event",
    "ExecProbe",
    "Exposure",
    "GrpcProbe",
    "HelmChart",
    "HttpProbe",
    "Identity",
    "Ingress",
    "InitContainer",
    "JobOverride",
    "JobSpec",
    "JobTrigger",
    "KedaScaler",
    "KeyVaultSecret",
    "Manual",
    "NotSecret",
    "Override",
    "Port",
    "Probe",
    "ProbeTiming",
    "Probes",
    "Protocol",
    "QueueTrigger",
    "Resources",
    "RoleGrant",
    "Rollout",
    "Schedule",
    "SecretRef",
    "ServiceBusQueue",
    "ServiceSpec",
    "StorageQueue",
    "Target",
    "TcpProbe",
    "Tls",
    "UpdateStrategy",
    "Volume",
]

# Declarations are revalidated (types, unknown fields) by infra.services.validation, which
# collects every problem instead of failing at the first constructor call.
_CHECKED = ConfigDict(revalidate_instances="always", extra="forbid")

_T = TypeVar("_T")
_EXPLICIT = "_explicit_fields"


def _records_explicit_fields(cls: type[_T]) -> type[_T]:
    """Remember which keyword arguments a declaration was built with, so an override can apply
    just those (see `explicit_fields`). The signature `help()` shows is unchanged."""
    init: Callable[..., None] = cls.__init__  # type: ignore[misc]

    @functools.wraps(init)
    def recording_init(self: Any, **kwargs: Any) -> None:
        init(self, **kwargs)
        object.__setattr__(self, _EXPLICIT, frozenset(kwargs))

    cls.__init__ = recording_init  # type: ignore[misc]
    return cls


def explicit_fields(declaration: object) -> frozenset[str] | None:
    """The fields a declaration's constructor was given; None when unknown (an object rebuilt
    by validation), which callers treat as "every field"."""
    return getattr(declaration, _EXPLICIT, None)


# --------------------------------------------------------------------------------------------
# Closed sets: values, never free strings or booleans.


class Target(StrEnum):
    """Where a service or job runs. One declaration renders on either."""

    AKS = "aks"
    CONTAINER_APPS = "container-apps"


class Protocol(StrEnum):
    """What a port speaks: decides probes, ingress transport and the address form callers get."""

    HTTP = "http"
    GRPC = "grpc"
    TCP = "tcp"


class Exposure(StrEnum):
    """Who can reach a service beyond the callers it declares.

    NONE: only services and jobs that list it in `dependencies` (the default: least exposure).
    INTERNAL: anything inside the platform's network, by host name.
    PUBLIC: the internet, always over TLS.
    """

    NONE = "none"
    INTERNAL = "internal"
    PUBLIC = "public"


class UpdateStrategy(StrEnum):
    """How a service's replicas are replaced when its template changes."""

    ROLLING = "rolling"
    """New replicas start (and pass readiness) before old ones stop: no downtime, but old and
    new run side by side for a while."""
    RECREATE = "recreate"
    """The old replica stops before the new one starts: never two at once (a broker or database
    that takes a lock on its data), at the cost of a short outage per update. AKS only, one
    replica."""


class AddressForm(StrEnum):
    """How a caller wants a dependency's address in its environment variable."""

    URL = "url"  # http://host:port, or <scheme>://host:port with Dependency.scheme (grpc and
    # tcp callees without a scheme get host:port)
    HOST_PORT = "host-port"  # host:port
    HOST = "host"  # host alone (clients that take the port in another variable)
    PORT = "port"  # the port number alone


class NotSecret(str):
    """An `env` value that looks like a secret but is not one, said so on purpose: e.g.
    `env={"DATABASE_URL": NotSecret("postgres://reader:public@demo-db/shop")}` for a published
    demo account. Validation refuses values that carry a password, token or key by their
    content (`infra/services/rules/secrets.py`); this wrapper is the one way past that check,
    and a reviewer sees it in the declaration. It is a `str`: renderers see the plain value."""

    __slots__ = ()


SECRET_FILES_MOUNT = "/mnt/secrets"
"""Where `ServiceSpec.secret_files` appear, read-only, on both targets."""


def file_secret_name(file_name: str) -> str:
    """The Container Apps secret behind one secret file (env var secrets have no `file-` form
    unless a variable is named FILE_…; validation refuses that clash)."""
    return f"file-{file_name}"


# --------------------------------------------------------------------------------------------
# Parts of a service


@_records_explicit_fields
@dataclass(frozen=True, kw_only=True)
class Port:
    """A port the container listens on, and the port callers use to reach it."""

    __pydantic_config__ = _CHECKED

    name: str
    """An IANA-style name (`http`, `grpc`, `metrics`): probes and dependencies refer to it."""
    number: int
    """The container's port (what the process binds; 1024 or above, it runs without
    capabilities)."""
    protocol: Protocol = Protocol.HTTP
    """HTTP by default: most services speak it, and it gets HTTP probes, routing and URLs."""
    service_port: int | None = None
    """The port callers use, when it differs from `number` (e.g. container 8080 served as 80).
    None: the same as `number`, so nothing is translated unless asked. AKS: the Service's `port`;
    Container Apps: the ingress's exposed port for tcp (http and grpc are always served on
    80/443 by the environment's ingress there)."""


MEMORY = re.compile(r"^(?P<amount>\d+(\.\d+)?)(?P<unit>Mi|Gi)$")
"""A memory size as declared: `Mi` or `Gi`, e.g. `512Mi`, `1.5Gi`."""


def _mib(memory: str) -> float:
    match = MEMORY.match(memory)
    if not match:
        raise ValueError(memory)
    amount = float(match["amount"])
    return amount * 1024 if match["unit"] == "Gi" else amount


@_records_explicit_fields
@dataclass(frozen=True, kw_only=True)
class Resources:
    """CPU and memory. By default requests equal limits (Guaranteed QoS on AKS; Container Apps
    has one value for both), so a workload behaves the same on either target and never starves
    its neighbours. Set `cpu_request`/`memory_request` below the limits for a Burstable pod on
    AKS; Container Apps allocates (and bills) the limits, as it has one size per replica."""

    __pydantic_config__ = _CHECKED

    cpu: float = 0.25
    """Cores (the limit). A quarter core: the smallest Container Apps size, enough for a small
    API. On Container Apps: 0.25 steps, with memory = 2 × cpu Gi."""
    memory: str = "0.5Gi"
    """The limit, `Mi` or `Gi`, e.g. `512Mi`, `1Gi`, `1.5Gi`. Half a gigabyte: the memory
    Container Apps pairs with 0.25 cores."""
    cpu_request: float | None = None
    """Cores reserved on the node (AKS). None: equal to `cpu` (Guaranteed), so nothing is
    overcommitted unless asked. At most `cpu`."""
    memory_request: str | None = None
    """Memory reserved on the node (AKS). None: equal to `memory`. At most `memory`; prod
    refuses a lower value (policy `k8s-prod-memory-request-equals-limit`): memory cannot be
    reclaimed, so an overcommitted pod is the first to be OOM-killed."""

    def memory_mib(self) -> float:
        """The memory limit in MiB; ValueError when it is not a size (the `resources` rule
        reports that before any renderer asks)."""
        return _mib(self.memory)

    def memory_request_mib(self) -> float:
        """The memory request in MiB: the limit's unless declared lower."""
        return self.memory_mib() if self.memory_request is None else _mib(self.memory_request)


@_records_explicit_fields
@dataclass(frozen=True, kw_only=True)
class ProbeTiming:
    """When and how often a probe runs, and how many results change its verdict. None: the
    platform's default for the probe's kind (readiness every 5 s, liveness every 10 s, 3 failures;
    startup every 5 s, 60 failures: 5 minutes to start), the same on both targets. Validation
    checks each target's limits, read from their upstream sources (docs/service-model.md lists
    them); a slow starter raises the startup probe's `failure_threshold` (times
    `period_seconds`) rather than delaying liveness."""

    __pydantic_config__ = _CHECKED

    initial_delay_seconds: int = 0
    """None waited before the first probe: a startup probe holds the others off instead, without
    delaying the detection of a wedged process on every later restart."""
    period_seconds: int | None = None
    """Seconds between probes. None: 5 (readiness, startup) or 10 (liveness)."""
    timeout_seconds: int | None = None
    """Seconds a probe may take. None: 2, so one slow answer under load is not a failure."""
    failure_threshold: int | None = None
    """Consecutive failures that fail the probe. None: 3 (60 for startup)."""
    success_threshold: int = 1
    """Consecutive successes that pass it again: 1, the only value liveness and startup accept
    (readiness may ask for more)."""


@_records_explicit_fields
@dataclass(frozen=True, kw_only=True)
class HttpProbe:
    """An HTTP GET that must answer 2xx/3xx."""

    __pydantic_config__ = _CHECKED

    path: str = "/healthz"
    """The conventional health path, so most services need no argument."""
    port: str | None = None
    """Port name; None: the service's first port (the one most services have)."""
    timing: ProbeTiming = field(default_factory=ProbeTiming)
    """The kind's defaults (see `ProbeTiming`)."""


@_records_explicit_fields
@dataclass(frozen=True, kw_only=True)
class TcpProbe:
    """A TCP connect: the process listens. The default readiness probe."""

    __pydantic_config__ = _CHECKED

    port: str | None = None
    """Port name; None: the service's first port."""
    timing: ProbeTiming = field(default_factory=ProbeTiming)
    """The kind's defaults (see `ProbeTiming`)."""


@_records_explicit_fields
@dataclass(frozen=True, kw_only=True)
class GrpcProbe:
    """gRPC health checking protocol. Container Apps has no gRPC probe: it becomes a TCP probe
    on the same port there (documented in docs/service-model.md)."""

    __pydantic_config__ = _CHECKED

    port: str | None = None
    """Port name; None: the service's first port."""
    service: str | None = None
    """The gRPC health service name; None asks about the server as a whole."""
    timing: ProbeTiming = field(default_factory=ProbeTiming)
    """The kind's defaults (see `ProbeTiming`)."""


@_records_explicit_fields
@dataclass(frozen=True, kw_only=True)
class ExecProbe:
    """A command run inside the container: healthy when it exits 0. For workers without ports
    (a queue consumer checks its own heartbeat file or broker connection). AKS only: Container
    Apps has no exec probe (its probes are httpGet and tcpSocket), so there a worker runs without
    probes and its replica is restarted when the process exits; validation says so."""

    __pydantic_config__ = _CHECKED

    command: tuple[str, ...]
    """No default: what proves health is the workload's to say, e.g. `("test", "-f",
    "/tmp/healthy")`. Run directly (no shell), as the container's user."""
    timing: ProbeTiming = field(default_factory=ProbeTiming)
    """The kind's defaults (see `ProbeTiming`)."""


Probe = HttpProbe | TcpProbe | GrpcProbe | ExecProbe


@_records_explicit_fields
@dataclass(frozen=True, kw_only=True)
class Probes:
    """Health checks. Workers without ports have no port to probe and get none by default; on AKS
    they declare `ExecProbe`s (prod requires readiness and liveness probes on every container)."""

    __pydantic_config__ = _CHECKED

    readiness: Probe | None = None
    """Gates traffic. None: a TCP check on the first port, so no pod takes traffic before it
    listens (no probe at all for a service without ports)."""
    liveness: Probe | None = None
    """Restarts a wedged process. None by default: a bad liveness probe causes restart storms."""
    startup: Probe | None = None
    """Holds liveness off while a slow starter boots. None: most services start within the
    readiness window."""


@_records_explicit_fields
@dataclass(frozen=True, kw_only=True)
class ServiceBusQueue:
    """Scale on the length of an Azure Service Bus queue (KEDA `azure-servicebus`), read with
    the workload's own identity."""

    __pydantic_config__ = _CHECKED

    namespace: str
    """The namespace's name (`<namespace>.servicebus.windows.net`)."""
    queue: str
    """The queue's name."""
    messages_per_replica: int = 5
    """Target backlog per replica (for a job: per execution). Five keeps latency low without a
    replica per message."""
    resource_group: str | None = None
    """The namespace's resource group (`{environment}` is filled in), in the platform's
    subscription. Required: reading a queue's length takes Manage rights (kedacore/keda#806), so the
    platform grants the scaler's identity `Azure Service Bus Data Owner` on exactly this queue."""


@_records_explicit_fields
@dataclass(frozen=True, kw_only=True)
class StorageQueue:
    """Scale on the length of an Azure Storage queue (KEDA `azure-queue`), read with the
    workload's own identity."""

    __pydantic_config__ = _CHECKED

    account: str
    """The storage account's name."""
    queue: str
    """The queue's name."""
    messages_per_replica: int = 5
    """Target backlog per replica (for a job: per execution); as for Service Bus."""
    resource_group: str | None = None
    """The storage account's resource group (`{environment}` is filled in), in the platform's
    subscription. Required: the platform grants the scaler's identity `Storage Queue Data Reader`
    on exactly this queue, which reading its length needs."""


@_records_explicit_fields
@dataclass(frozen=True, kw_only=True)
class KedaScaler:
    """Scale on another KEDA scaler, e.g. a RabbitMQ queue (`type="rabbitmq"`): the scaler's
    metadata as KEDA documents it, and its credentials from Key Vault. Accepted types and their
    parameters are those vendored under `upstream/keda-scalers/` (KEDA 2.19, the AKS add-on's on
    Kubernetes 1.36); a misspelt parameter is refused (KEDA would silently ignore it). On AKS a
    ScaledObject/ScaledJob whose TriggerAuthentication reads the secrets from Key Vault as the
    workload's identity; on Container Apps a `custom` scale rule whose `auth` names Key Vault
    secret references. Example::

        KedaScaler(
            type="rabbitmq",
            metadata={"queueName": "orders", "mode": "QueueLength", "value": "10"},
            auth={"host": KeyVaultSecret(name="orders-amqp-uri")},
        )
    """

    __pydantic_config__ = _CHECKED

    type: str
    """The KEDA trigger type (`rabbitmq`)."""
    metadata: Mapping[str, str] = field(default_factory=dict)
    """Trigger metadata: plain settings only (queue name, mode, target value). Connection
    strings and passwords belong in `auth`. Empty: the scaler's defaults."""
    auth: Mapping[str, KeyVaultSecret] = field(default_factory=dict)
    """Authentication parameter (`host`, `password`, ...) → the Key Vault secret that holds it,
    read with the workload's identity (granted on that secret only). All from one vault. Empty:
    none (a scaler whose required parameter is an auth parameter is refused without it)."""


QueueTrigger = ServiceBusQueue | StorageQueue | KedaScaler


@_records_explicit_fields
@dataclass(frozen=True, kw_only=True)
class Autoscaling:
    """Replica range and what drives it. `min_replicas=0` (scale to zero) needs a queue or HTTP
    trigger that can wake the service up. A trigger set to None is off; in an override, passing
    None turns off a trigger the base declared."""

    __pydantic_config__ = _CHECKED

    min_replicas: int = 2
    """Two, so one replica can be drained or crash without an outage."""
    max_replicas: int = 10
    """A ceiling that bounds cost and the blast radius of a runaway trigger."""
    cpu_utilization: int | None = 70
    """Target average CPU, percent of the request. 70 leaves headroom for a spike while new
    replicas start. None: no CPU trigger."""
    memory_utilization: int | None = None
    """Target average memory, percent of the request. None: memory rarely tracks load."""
    http_concurrency: int | None = None
    """Concurrent requests per replica (Container Apps only: AKS has no HTTP scaler
    installed). None: off."""
    queue: QueueTrigger | None = None
    """Scale on a queue's backlog. None: off."""


@_records_explicit_fields
@dataclass(frozen=True, kw_only=True)
class Tls:
    """A certificate in Key Vault. AKS: the app routing add-on serves it; Container Apps: an
    environment certificate bound to the custom domain. Both read it with managed identity."""

    __pydantic_config__ = _CHECKED

    key_vault_certificate_uri: str
    """e.g. https://kv-shop.vault.azure.net/certificates/shop-example-com"""


@_records_explicit_fields
@dataclass(frozen=True, kw_only=True)
class Ingress:
    """Who reaches the service besides its declared callers, and by which name."""

    __pydantic_config__ = _CHECKED

    exposure: Exposure = Exposure.NONE
    """NONE: least exposure; only declared callers get through."""
    host: str | None = None
    """A DNS name for INTERNAL/PUBLIC; without one, Container Apps uses its generated domain."""
    path: str = "/"
    """The whole host; Container Apps cannot route by path."""
    port: str | None = None
    """Port name; None: the first port."""
    tls: Tls | None = None
    """None: no custom certificate (required for public hosts on AKS and custom hosts on
    Container Apps, which validation says)."""
    allow_insecure: bool = False
    """Container Apps: also serve plain HTTP (and plaintext gRPC, h2c) to callers inside the
    environment, instead of redirecting to TLS, for clients that cannot dial TLS (e.g. Online
    Boutique's). Off: every address the platform hands out is TLS. Container Apps callers then
    get `http://` on port 80; AKS callers keep `https://` (they cross the network). Refused with
    public exposure (the internet would reach it in plaintext). On AKS a no-op: in-cluster
    traffic is plaintext already."""


VOLUME_SIZE = re.compile(r"^(?P<gib>[1-9]\d*)Gi$")
"""A disk size as declared: whole `Gi` (Azure Disks are provisioned in GiB)."""


@_records_explicit_fields
@dataclass(frozen=True, kw_only=True)
class Volume:
    """A persistent disk for single-instance stateful software (a broker, a database run from
    its own image): the data survives restarts, reschedules and updates. AKS: a StatefulSet with
    one replica and a volume claim on the built-in Azure Disk CSI class `managed-csi-premium`
    (zone-redundant on a zonal cluster); the claim is kept when the service is removed. Not on
    Container Apps, and not in prod (use a managed service): docs/service-model.md says why."""

    __pydantic_config__ = _CHECKED

    size: str
    """Whole GiB, e.g. `8Gi`. No default: the data's size is the workload's to say. It can be
    grown later on the claim (the class allows expansion), not through the declaration: a
    StatefulSet's claim template cannot change (see the deploy simulator)."""
    mount_path: str
    """Where the process keeps its data, e.g. `/var/lib/rabbitmq`; an absolute path that is not
    also a writable path."""
    name: str = "data"
    """The claim template's name: the disk is the claim `<name>-<service>-0`."""


@_records_explicit_fields
@dataclass(frozen=True, kw_only=True)
class Rollout:
    """A canary release: a new image next to the stable one, taking `weight` percent of the
    service's ingress traffic. Advance it by editing `weight` (e.g. 10 → 50 → 100), abandon it
    by setting `weight=0` (the canary keeps running and takes nothing), finish it by making
    `image` the service's image and removing the rollout. See docs/canary-releases.md."""

    __pydantic_config__ = _CHECKED

    image: str
    """The canary's image; must differ from the service's (stable) image."""
    weight: int = 0
    """Percent of ingress traffic to the canary, 0..100; the stable revision takes the rest."""


@_records_explicit_fields
@dataclass(frozen=True, kw_only=True)
class KeyVaultSecret:
    """A secret in Key Vault, read by the workload's own identity (granted on that secret only)."""

    __pydantic_config__ = _CHECKED

    name: str
    """The secret's name in the vault."""
    vault_id: str | None = None
    """Full resource id of the vault; None: the platform's vault, which every stack has."""


@_records_explicit_fields
@dataclass(frozen=True, kw_only=True)
class ConfigSecret:
    """A Pulumi secret config value (`pulumi config set --secret secrets:<key> ...`)."""

    __pydantic_config__ = _CHECKED

    key: str
    """`<key>` in the `secrets` namespace, or a full `namespace:key`."""


SecretRef = KeyVaultSecret | ConfigSecret


@_records_explicit_fields
@dataclass(frozen=True, kw_only=True)
class Dependency:
    """A service this workload calls: the platform injects its address and allows the traffic."""

    __pydantic_config__ = _CHECKED

    service: str
    """The callee: a service or a Helm chart (not a job: jobs serve nothing)."""
    env: str | None = None
    """Variable name; None: `<SERVICE>_URL` (URL form) or `<SERVICE>_ADDR` (host:port)."""
    form: AddressForm = AddressForm.URL
    """URL: what most HTTP clients take (grpc and tcp callees get host:port anyway)."""
    port: str | None = None
    """Callee's port name; None: its first port."""
    scheme: str | None = None
    """A URL scheme for a tcp port's protocol (`amqp`, `mongodb`, `redis`): the URL form becomes
    `<scheme>://host:port`. None: `http://`/`https://` for http ports (as the target serves
    them), host:port for grpc and tcp ports (a chart's own `scheme`, if it has one)."""
    suffix: str = ""
    """Appended to a URL: a path or query the client needs (`/?tls=true`, `/orders`). Empty:
    none."""
    also_env: Mapping[str, AddressForm] = field(default_factory=dict)
    """More variables from the same dependency, each in its form, e.g.
    `{"ORDER_QUEUE_PORT": AddressForm.PORT}` beside `env="ORDER_QUEUE_HOSTNAME",
    form=AddressForm.HOST`. Empty: just `env`."""

    def env_name(self) -> str:
        """The variable the callee's address is injected as: `env`, else `<SERVICE>_URL` (URL
        form) or `<SERVICE>_ADDR` (host:port)."""
        if self.env:
            return self.env
        suffix = {"url": "URL", "host": "HOST", "port": "PORT"}.get(str(self.form), "ADDR")
        return f"{self.service.upper().replace('-', '_')}_{suffix}"

    def variables(self) -> dict[str, AddressForm]:
        """Every variable this dependency sets, with its form: `env_name()` first."""
        return {self.env_name(): self.form, **self.also_env}


@_records_explicit_fields
@dataclass(frozen=True, kw_only=True)
class RoleGrant:
    """An Azure role for the workload's identity, on the narrowest scope that works."""

    __pydantic_config__ = _CHECKED

    role: str
    """A built-in role name from `infra.services.roles` or a role definition GUID."""
    scope: str
    """A full Azure resource id."""


@_records_explicit_fields
@dataclass(frozen=True, kw_only=True)
class Identity:
    """A user-assigned identity for the workload, with exactly these roles."""

    __pydantic_config__ = _CHECKED

    roles: tuple[RoleGrant, ...] = ()
    """None granted unless declared: least privilege."""


@_records_explicit_fields
@dataclass(frozen=True, kw_only=True)
class InitContainer:
    """A container that runs to completion before the workload's container starts (e.g. "wait
    for RabbitMQ"), in the same pod (AKS `initContainers`) or replica (Container Apps
    `initContainers`). Same image, resource and env rules and the same security defaults as the
    main container; it gets the workload's dependency addresses too, so it can wait for them."""

    __pydantic_config__ = _CHECKED

    name: str
    """A DNS label, other than the workload's own name (which its main container has)."""
    image: str
    """As for the workload: pinned, `latest` refused in prod, locked to a digest in prod."""
    command: tuple[str, ...] = ()
    """Empty: the image's entrypoint."""
    args: tuple[str, ...] = ()
    """Empty: the image's arguments."""
    env: Mapping[str, str] = field(default_factory=dict)
    """Plain settings (secret-looking names refused), beside the dependency addresses."""
    resources: Resources = field(default_factory=Resources)
    """The smallest size both targets offer. On Container Apps it counts towards the replica's
    size, like the main container."""
    ingress: Ingress | None = None
    """Always refused: an init container exits before anything could reach it. Declared only so
    the mistake is told with every other problem."""


@_records_explicit_fields
@dataclass(frozen=True, kw_only=True)
class Override:
    """Per-environment differences (`dev`, `staging`, `prod`) for a service. A patch: every
    field passed wins (nested objects field by field), everything else is inherited. Passing
    None explicitly sets None (e.g. `autoscaling=None` goes back to fixed `replicas`). Build
    overrides with the constructor: `dataclasses.replace` passes every field."""

    __pydantic_config__ = _CHECKED

    image: str | None = None
    """Not passed: the base image."""
    replicas: int | None = None
    """Not passed: the base count."""
    resources: Resources | None = None
    """Patches the base's resources, e.g. `Resources(memory_request=None)`."""
    autoscaling: Autoscaling | None = None
    """Patches the base's autoscaling, e.g. `Autoscaling(min_replicas=3)`."""
    ingress: Ingress | None = None
    """Patches the base's ingress, e.g. `Ingress(host="shop.example.com", tls=...)`."""
    env: Mapping[str, str] | None = None
    """Merged over the base `env`, key by key."""
    rollout: Rollout | None = None
    """A canary in this environment only (e.g. dev first), or `None` to run none here."""


@_records_explicit_fields
@dataclass(frozen=True, kw_only=True)
class ServiceSpec:
    """One microservice: runs continuously. See docs/service-model.md for every field."""

    __pydantic_config__ = _CHECKED

    name: str
    """A DNS label, unique across services, jobs and charts."""
    image: str
    """`registry/repository:tag` or `...@sha256:...`; without a registry host, the platform's
    registry is used. `latest` is refused in prod."""
    target: Target
    """No default: where a service runs is a decision, not an accident."""
    ports: tuple[Port, ...] = ()
    """None: a worker (consumer, load generator) that nobody calls."""
    command: tuple[str, ...] = ()
    """Empty: the image's entrypoint."""
    args: tuple[str, ...] = ()
    """Empty: the image's arguments."""
    env: Mapping[str, str] = field(default_factory=dict)
    """Plain settings; secret-looking names are refused."""
    secrets: Mapping[str, SecretRef] = field(default_factory=dict)
    """Environment variable name → reference. Never a literal value."""
    resources: Resources = field(default_factory=Resources)
    """The smallest size both targets offer, Guaranteed."""
    replicas: int = 2
    """Without autoscaling. Two by default so one pod can be drained without an outage."""
    autoscaling: Autoscaling | None = None
    """None: a fixed `replicas` count, predictable until load says otherwise."""
    ingress: Ingress = field(default_factory=Ingress)
    """Exposure NONE: only declared callers."""
    probes: Probes = field(default_factory=Probes)
    """TCP readiness on the first port (see `Probes`)."""
    dependencies: tuple[Dependency, ...] = ()
    """Nothing is reachable unless declared here."""
    identity: Identity | None = None
    """None: no Azure roles (one is still created for Key Vault secrets)."""
    overrides: Mapping[str, Override] = field(default_factory=dict)
    """Environment name → patch."""
    writable_paths: tuple[str, ...] = ("/tmp",)
    """The root filesystem is read-only; these get an emptyDir (AKS) or ephemeral volume. /tmp
    because most runtimes write there."""
    secret_files: Mapping[str, KeyVaultSecret] = field(default_factory=dict)
    """File name → Key Vault secret, mounted read-only at `/mnt/secrets/<file name>` on both
    targets (AKS: Secrets Store CSI volume, never copied into a Kubernetes Secret; Container Apps:
    a secret volume). Prefer this to `secrets` where the process can read a file: a file is not
    inherited by child processes, not printed by `env` dumps or crash reports, and is refreshed
    on rotation without a restart (AKS)."""
    rollout: Rollout | None = None
    """A canary release in progress (one at a time per service); None: every replica runs
    `image`."""
    init_containers: tuple[InitContainer, ...] = ()
    """Run in order, each to completion, before the container starts; none by default."""
    update: UpdateStrategy = UpdateStrategy.ROLLING
    """Rolling (surge) by default: no downtime. RECREATE for single-instance software that must
    never run twice (one replica, AKS)."""
    storage: Volume | None = None
    """None: stateless (writable paths are emptied on restart). A volume makes the service
    single-instance stateful: one replica, never two at once, data kept (AKS StatefulSet)."""

    def single_instance(self) -> bool:
        """One replica that must never run beside another: a volume, or RECREATE updates."""
        return self.storage is not None or self.update is UpdateStrategy.RECREATE

    def port_named(self, name: str | None) -> Port | None:
        """The declared port called `name`; None names the first port (the default of probes,
        ingress and dependencies). None when there is no such port (validation reports it)."""
        if not self.ports:
            return None
        if name is None:
            return self.ports[0]
        return next((p for p in self.ports if p.name == name), None)

    def probe(self, kind: str) -> Probe | None:
        """The probe of `kind` (readiness, liveness, startup) the workload runs with: as
        declared, and for readiness, when none is declared, TCP on the first port (no replica
        takes traffic before it listens). None: no such probe (a worker's default)."""
        declared: Probe | None = getattr(self.probes, kind)
        if declared is None and kind == "readiness" and self.ports:
            return TcpProbe()
        return declared


# --------------------------------------------------------------------------------------------
# Jobs: run to completion


@_records_explicit_fields
@dataclass(frozen=True, kw_only=True)
class Manual:
    """Runs only when started: `az containerapp job start` (Container Apps) or
    `kubectl create job --from=cronjob/<name> <run>` (AKS, a suspended CronJob). Never at
    deploy time, on either target."""

    __pydantic_config__ = _CHECKED


@_records_explicit_fields
@dataclass(frozen=True, kw_only=True)
class Schedule:
    """Runs on a cron schedule."""

    __pydantic_config__ = _CHECKED

    cron: str
    """Five fields: minute hour day-of-month month day-of-week, e.g. `30 2 * * *`."""
    time_zone: str = "Etc/UTC"
    """IANA name. UTC: the only zone Container Apps supports, and free of daylight-saving gaps.
    Another zone is honoured on AKS (CronJob `timeZone`) and refused on Container Apps."""


@_records_explicit_fields
@dataclass(frozen=True, kw_only=True)
class Event:
    """Runs an execution per batch of queue messages (KEDA: a ScaledJob on AKS, an event job
    on Container Apps), read with the job's own identity like a service's queue trigger."""

    __pydantic_config__ = _CHECKED

    queue: QueueTrigger
    """The queue; `messages_per_replica` is the backlog that starts one more execution."""
    max_executions: int = 10
    """Concurrent executions at most: bounds cost and the load on what the job calls."""
    polling_seconds: int = 30
    """How often the queue is checked. 30 s: the Container Apps default."""


JobTrigger = Manual | Schedule | Event


@_records_explicit_fields
@dataclass(frozen=True, kw_only=True)
class JobOverride:
    """Per-environment differences for a job; a patch, like `Override`."""

    __pydantic_config__ = _CHECKED

    image: str | None = None
    """Not passed: the base image."""
    resources: Resources | None = None
    """Patches the base's resources."""
    trigger: JobTrigger | None = None
    """Patches the base's trigger (a different kind of trigger replaces it)."""
    parallelism: int | None = None
    """Not passed: the base value."""
    completions: int | None = None
    """Not passed: the base value."""
    retries: int | None = None
    """Not passed: the base value."""
    timeout_seconds: int | None = None
    """Not passed: the base value."""
    env: Mapping[str, str] | None = None
    """Merged over the base `env`, key by key."""


@_records_explicit_fields
@dataclass(frozen=True, kw_only=True)
class JobSpec:
    """A task that runs to completion: a migration, a nightly batch, a queue-driven worker.
    Same image, env, secrets, identity, resources and security defaults as a service; no
    ports, no ingress, no replicas."""

    __pydantic_config__ = _CHECKED

    name: str
    """A DNS label, unique across services, jobs and charts."""
    image: str
    """As for a service: pinned, `latest` refused in prod."""
    target: Target
    """No default, as for a service."""
    trigger: JobTrigger = field(default_factory=Manual)
    """Manual: nothing runs until someone (or a pipeline) starts it."""
    command: tuple[str, ...] = ()
    """Empty: the image's entrypoint."""
    args: tuple[str, ...] = ()
    """Empty: the image's arguments."""
    env: Mapping[str, str] = field(default_factory=dict)
    """Plain settings; secret-looking names are refused."""
    secrets: Mapping[str, SecretRef] = field(default_factory=dict)
    """Environment variable name → reference. Never a literal value."""
    resources: Resources = field(default_factory=Resources)
    """As for a service."""
    parallelism: int = 1
    """Replicas running at once per execution. One: most tasks are not written to share work."""
    completions: int = 1
    """Successful replicas that complete an execution. One: one run does the task."""
    retries: int = 1
    """Failed replicas retried before the execution fails. One: a node drain or a transient
    error is retried once; more would hide a real failure."""
    timeout_seconds: int = 1800
    """Thirty minutes: a hung run must not hold resources (or the next schedule) forever."""
    dependencies: tuple[Dependency, ...] = ()
    """Services it calls: addresses injected, traffic allowed, as for a service."""
    identity: Identity | None = None
    """As for a service."""
    overrides: Mapping[str, JobOverride] = field(default_factory=dict)
    """Environment name → patch."""
    writable_paths: tuple[str, ...] = ("/tmp",)
    """As for a service."""
    secret_files: Mapping[str, KeyVaultSecret] = field(default_factory=dict)
    """As for a service: Key Vault secrets as read-only files under `/mnt/secrets/`."""
    ingress: Ingress | None = None
    """Always refused: a job serves no traffic. Declared only so a service turned into a job is
    told why, with every other problem, instead of failing at import."""
    init_containers: tuple[InitContainer, ...] = ()
    """As for a service."""


# --------------------------------------------------------------------------------------------
# Applications


@_records_explicit_fields
@dataclass(frozen=True, kw_only=True)
class HelmChart:
    """Third-party software (a cache, a broker) from a pinned Helm chart, on AKS, in the
    application's namespace. Services list it in `dependencies` like any other service: they
    get its address and are the only pods allowed to connect."""

    __pydantic_config__ = _CHECKED

    name: str
    """The release name; also the Service the chart creates unless `service` says otherwise."""
    chart: str
    """The chart's name in its repository."""
    version: str
    """An exact chart version (e.g. 1.0.0): upgrades are reviewed changes, never surprises."""
    repository: str
    """`https://…` chart repository or `oci://…` registry path."""
    port: int
    """The port the chart's Service exposes."""
    protocol: Protocol = Protocol.TCP
    """TCP: third-party servers (caches, brokers) mostly speak their own protocol."""
    scheme: str = ""
    """URL scheme callers get with `AddressForm.URL` (e.g. `redis`); empty: host:port."""
    service: str | None = None
    """The chart's Service name; None: the release name (what most charts do)."""
    values: Mapping[str, object] = field(default_factory=dict)
    """Chart values. Typed helpers (e.g. `infra.services.charts.valkey`) build them."""


@_records_explicit_fields
@dataclass(frozen=True, kw_only=True)
class Application:
    """A group of services and jobs owned by one team; on AKS, one namespace."""

    __pydantic_config__ = _CHECKED

    name: str
    """A DNS label: it names the namespace."""
    services: tuple[ServiceSpec, ...]
    """What runs continuously."""
    jobs: tuple[JobSpec, ...] = ()
    """What runs to completion; none by default."""
    charts: tuple[HelmChart, ...] = ()
    """Third-party software the services depend on (AKS only)."""
    owner: str = ""
    """The owning team, for people reading the declaration; empty when not said."""
    source: str = ""
    """Where it is declared (set by the loader), so errors can point at the file."""
