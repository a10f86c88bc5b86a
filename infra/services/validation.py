"""Validate every declared service before anything is registered, and report all problems at once.

Two passes per service: pydantic re-checks the declared types (so `replicas="two"` or a literal
string where a secret reference belongs is caught with its path), then the rules below check
values, targets and the relations between services. Rendering code trusts what passes.
"""

from __future__ import annotations

import dataclasses
import functools
import re
import zoneinfo
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from pydantic import TypeAdapter, ValidationError

from infra.config import Environment
from infra.constants import SECRET_LOOKING_PATTERN
from infra.input_errors import Wording, did_you_mean, problems_from
from infra.problems import InvalidInput, Problem, show
from infra.services.chart_versions import reviewed
from infra.services.cron import cron_problem
from infra.services.image_lock import pin
from infra.services.images import parse_image
from infra.services.overrides import for_environment
from infra.services.roles import RESOURCE_ID, expand, role_guid, unknown_placeholders
from infra.services.spec import (
    SECRET_FILES_MOUNT,
    Application,
    Autoscaling,
    ConfigSecret,
    Event,
    Exposure,
    GrpcProbe,
    HelmChart,
    HttpProbe,
    JobSpec,
    KeyVaultSecret,
    Port,
    Probe,
    Protocol,
    QueueTrigger,
    Schedule,
    ServiceBusQueue,
    ServiceSpec,
    Target,
    file_secret_name,
)

DNS_LABEL = re.compile(r"^[a-z]([-a-z0-9]*[a-z0-9])?$")
PORT_NAME = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$")
ENV_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
HOSTNAME = re.compile(r"^(?=.{1,253}$)([a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$")
KEY_VAULT_SECRET_NAME = re.compile(r"^[0-9a-zA-Z-]{1,127}$")
KEY_VAULT_CERT_URI = re.compile(
    r"^https://[a-z0-9-]{3,24}\.vault\.azure\.net/certificates/[0-9a-zA-Z-]+/?$"
)
SECRET_FILE_NAME = re.compile(r"^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$")
MEMORY = re.compile(r"^(?P<amount>\d+(\.\d+)?)(?P<unit>Mi|Gi)$")
SECRET_LOOKING = re.compile(SECRET_LOOKING_PATTERN, re.I)

MAX_NAME = {Target.AKS: 63, Target.CONTAINER_APPS: 32}
RESERVED_NAMESPACES = frozenset(
    {
        "default",
        "kube-system",
        "kube-public",
        "kube-node-lease",
        "app-routing-system",
        "gatekeeper-system",
        "calico-system",
        "tigera-operator",
    }
)
ACA_MAX_CPU = 4.0
ACA_MAX_REPLICAS = 1000
UTC_ZONES = frozenset({"Etc/UTC", "UTC"})
LOWEST_UNPRIVILEGED_PORT = 1024
SECRETS_NAMESPACE = "secrets"

_SPEC = TypeAdapter(ServiceSpec)
_JOB = TypeAdapter(JobSpec)
_CHART = TypeAdapter(HelmChart)
CHART_VERSION = re.compile(r"^\d+\.\d+\.\d+(-[0-9A-Za-z.-]+)?$")
CHART_NAME = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$")
_SPEC_CLASSES = frozenset(
    cls.__name__
    for cls in vars(__import__("infra.services.spec", fromlist=["x"])).values()
    if isinstance(cls, type) and dataclasses.is_dataclass(cls)
)


@dataclass(frozen=True)
class ValidationContext:
    """What the rules need from the stack, and nothing else (so they stay pure)."""

    environment: Environment
    config_secrets: Mapping[str, bool]
    """Full config keys in the `secrets` (or any non-platform) namespace → whether secret."""
    key_vault_name: str = ""
    """The platform vault: TLS certificates must live there (ingress can read only it)."""
    image_lock: Mapping[str, str] | None = None
    """`apps/images.lock.yaml` (declared tag → digest): images are deployed pinned, and prod
    refuses one it does not pin. None only where declarations are checked without deploying."""


@dataclass(frozen=True)
class PlannedService:
    """A service after overrides for this environment, validated: what renderers receive."""

    app: str
    spec: ServiceSpec
    source: str

    @property
    def name(self) -> str:
        return self.spec.name


@dataclass(frozen=True)
class PlannedJob:
    """A job after overrides for this environment, validated: what renderers receive."""

    app: str
    spec: JobSpec
    source: str

    @property
    def name(self) -> str:
        return self.spec.name


Planned = PlannedService | PlannedJob
"""Anything that runs a container: both call services, get identities and share defaults."""


@dataclass(frozen=True)
class PlannedChart:
    """A validated Helm chart and the application (namespace) it is installed in."""

    app: str
    chart: HelmChart
    source: str

    @property
    def name(self) -> str:
        return self.chart.name

    @property
    def service_name(self) -> str:
        return self.chart.service or self.chart.name


@dataclass(frozen=True)
class Catalog:
    services: tuple[PlannedService, ...]
    charts: tuple[PlannedChart, ...] = ()
    jobs: tuple[PlannedJob, ...] = ()

    def chart(self, name: str) -> PlannedChart | None:
        return next((c for c in self.charts if c.name == name), None)

    def get(self, name: str) -> PlannedService:
        return self._by_name[name]

    @functools.cached_property
    def _by_name(self) -> dict[str, PlannedService]:
        return {service.name: service for service in self.services}

    def callers_of(self, name: str) -> tuple[Planned, ...]:
        """Services and jobs that declare `name` as a dependency."""
        return self._callers.get(name, ())

    @functools.cached_property
    def _callers(self) -> dict[str, tuple[Planned, ...]]:
        """Callee name → callers, built once: rendering asks for every service."""
        index: dict[str, list[Planned]] = {}
        for caller in (*self.services, *self.jobs):
            for callee in dict.fromkeys(d.service for d in caller.spec.dependencies):
                index.setdefault(callee, []).append(caller)
        return {name: tuple(callers) for name, callers in index.items()}


# --------------------------------------------------------------------------------------------
# Helpers used by the renderers too


def memory_mib(memory: str) -> float:
    match = MEMORY.match(memory)
    if not match:
        raise ValueError(memory)
    amount = float(match["amount"])
    return amount * 1024 if match["unit"] == "Gi" else amount


def service_port(port: Port) -> int:
    """The port callers use: `service_port` when declared, else the container's."""
    return port.number if port.service_port is None else port.service_port


def port_named(spec: ServiceSpec, name: str | None) -> Port | None:
    if not spec.ports:
        return None
    if name is None:
        return spec.ports[0]
    return next((p for p in spec.ports if p.name == name), None)


def config_secret_key(ref: ConfigSecret) -> str:
    return ref.key if ":" in ref.key else f"{SECRETS_NAMESPACE}:{ref.key}"


def apply_override(spec: ServiceSpec, environment: Environment) -> ServiceSpec:
    """The service as declared (not as rebuilt by validation), patched for `environment`."""
    return for_environment(spec, environment.value)


# --------------------------------------------------------------------------------------------
# Type pass (pydantic)


def _loc_path(loc: Iterable[Any]) -> str:
    path = ""
    for part in loc:
        if isinstance(part, int):
            path += f"[{part}]"
        elif path and isinstance(part, str) and not part.isidentifier():
            path += f"[{part!r}]"
        else:
            path += f".{part}" if path else str(part)
    return path


def _type_problems(
    spec: Any, group: str, adapter: TypeAdapter[Any] = _SPEC
) -> tuple[Any, list[Problem]]:
    try:
        return adapter.validate_python(spec), []
    except ValidationError as error:
        wording = Wording(
            path=_loc_path,
            unknown="unknown field",
            unknown_fix=lambda _: "remove it or fix its spelling",
            fix=lambda _: "see the README's service model",
            group=group,
        )
        return None, problems_from(error, wording, written=spec, members=_SPEC_CLASSES)


# --------------------------------------------------------------------------------------------
# Rules


class _Raw(str):
    """A value already rendered for the message (not the user's literal): shown unquoted."""


_S = TypeVar("_S", ServiceSpec, JobSpec)


class _Checker(Generic[_S]):
    """Collects problems for one workload; each rule reads the spec and adds what is wrong.
    The rules here apply to services and jobs alike (they share image, env, secrets,
    resources, identity and writable paths); subclasses add their own."""

    def __init__(self, spec: _S, group: str, context: ValidationContext) -> None:
        self.spec: _S = spec
        self.group = group
        self.context = context
        self.problems: list[Problem] = []

    def add(self, path: str, value: object, problem: str, fix: str) -> None:
        shown = "" if value is None else value if isinstance(value, _Raw) else show(value)
        self.problems.append(Problem(path, shown, problem, fix, self.group))

    def run(self) -> list[Problem]:
        self.name()
        self.image()
        self.env_and_secrets()
        self.resources()
        self.identity()
        self.writable_paths()
        self.secret_files()
        return self.problems

    def name(self) -> None:
        spec = self.spec
        limit = MAX_NAME[spec.target]
        if not DNS_LABEL.match(spec.name) or len(spec.name) > limit or "--" in spec.name:
            self.add(
                "name",
                spec.name,
                f"is not a DNS label of at most {limit} characters"
                + (" (the Container Apps limit)" if spec.target is Target.CONTAINER_APPS else ""),
                "use lowercase letters, digits and single '-', starting with a letter",
            )

    def image(self) -> None:
        ref = parse_image(self.spec.image)
        if ref is None:
            self.add(
                "image",
                self.spec.image,
                "is not an image reference",
                "use registry/repository:tag or repository@sha256:<digest>",
            )
            return
        if ref.tag is None and ref.digest is None:
            self.add(
                "image",
                self.spec.image,
                "has no tag or digest (it would mean 'latest')",
                "pin a version tag, e.g. :1.4.2, or a digest",
            )
        elif (
            ref.tag == "latest"
            and ref.digest is None
            and self.context.environment is Environment.PROD
        ):
            self.add(
                "image",
                self.spec.image,
                "uses the mutable 'latest' tag in prod",
                "pin a version tag or a digest (set overrides['prod'].image)",
            )
        elif (
            ref.digest is None
            and self.context.environment is Environment.PROD
            and self.context.image_lock is not None
        ):
            self.add(
                "image",
                self.spec.image,
                "is a tag without a digest, and prod runs images by digest",
                "let the deploy workflow lock it (python -m infra.services.image_lock resolve "
                "prod writes apps/images.lock.yaml) or pin repository@sha256:<digest>",
            )

    def env_and_secrets(self) -> None:
        spec = self.spec
        for key, value in spec.env.items():
            if not ENV_NAME.match(key):
                self.add(
                    f"env[{key!r}]",
                    None,
                    "is not a valid variable name",
                    "use letters, digits and '_', not starting with a digit",
                )
            # A path to a secret file (the *_FILE convention) is not the secret itself.
            if (
                SECRET_LOOKING.search(key.upper())
                and value
                and not value.startswith(f"{SECRET_FILES_MOUNT}/")
            ):
                self.add(
                    f"env[{key!r}]",
                    _Raw("<hidden>"),
                    "looks like a secret given as plain text",
                    "move it to secrets= with KeyVaultSecret(...) or ConfigSecret(...)",
                )
        for key, ref in spec.secrets.items():
            path = f"secrets[{key!r}]"
            if not ENV_NAME.match(key):
                self.add(
                    path,
                    None,
                    "is not a valid variable name",
                    "use letters, digits and '_', not starting with a digit",
                )
            if key in spec.env:
                self.add(path, None, "is also set in env", "set it in one place only")
            if isinstance(ref, KeyVaultSecret):
                self._key_vault_ref(path, ref)
            elif isinstance(ref, ConfigSecret):
                full = config_secret_key(ref)
                if full.startswith("platform:"):
                    self.add(
                        f"{path}.key",
                        ref.key,
                        "is in the platform namespace",
                        f"use the {SECRETS_NAMESPACE}: namespace",
                    )
                elif full not in self.context.config_secrets:
                    self.add(
                        f"{path}.key",
                        ref.key,
                        "is not set in this stack",
                        f"run: pulumi config set --secret {full} <value>",
                    )
                elif not self.context.config_secrets[full]:
                    self.add(
                        f"{path}.key",
                        ref.key,
                        "is stored in plain text in the stack file",
                        f"run: pulumi config set --secret {full} <value>",
                    )

    def resources(self) -> None:
        res = self.spec.resources
        mib: float | None = None
        try:
            mib = memory_mib(res.memory)
        except ValueError:
            self.add(
                "resources.memory", res.memory, "is not a memory size", "use e.g. 512Mi or 1Gi"
            )
        if not 0 < res.cpu <= 64:
            self.add(
                "resources.cpu", res.cpu, "must be more than 0 and at most 64 cores", "use e.g. 0.5"
            )
        elif mib is not None and mib < 16:
            self.add(
                "resources.memory",
                res.memory,
                "is too small to run a container",
                "use at least 64Mi",
            )
        if res.cpu_request is not None:
            if res.cpu_request <= 0:
                self.add(
                    "resources.cpu_request",
                    res.cpu_request,
                    "must be more than 0",
                    "use e.g. 0.1, or leave it out to request the limit",
                )
            elif res.cpu_request > res.cpu:
                self.add(
                    "resources.cpu_request",
                    res.cpu_request,
                    f"is above the limit cpu={res.cpu:g}",
                    "lower the request, or raise cpu (requests may not exceed limits)",
                )
        if res.memory_request is not None:
            try:
                request_mib = memory_mib(res.memory_request)
            except ValueError:
                self.add(
                    "resources.memory_request",
                    res.memory_request,
                    "is not a memory size",
                    "use e.g. 256Mi or 1Gi",
                )
            else:
                if mib is not None and request_mib > mib:
                    self.add(
                        "resources.memory_request",
                        res.memory_request,
                        f"is above the limit memory={res.memory}",
                        "lower the request, or raise memory (requests may not exceed limits)",
                    )
                elif request_mib < 16:
                    self.add(
                        "resources.memory_request",
                        res.memory_request,
                        "is too small to run a container",
                        "use at least 64Mi",
                    )
        if self.spec.target is Target.CONTAINER_APPS and mib is not None and 0 < res.cpu <= 64:
            steps = res.cpu / 0.25
            if (
                res.cpu > ACA_MAX_CPU
                or abs(steps - round(steps)) > 1e-9
                or abs(mib - res.cpu * 2048) > 1e-6
            ):
                cpu = min(max(round(res.cpu * 4) / 4, 0.25), ACA_MAX_CPU)
                self.add(
                    "resources",
                    _Raw(f"cpu={res.cpu}, memory={res.memory}"),
                    "is not a Container Apps size (0.25-4 cores in 0.25 steps, memory = 2 × cpu Gi)",
                    f'use cpu={cpu}, memory="{cpu * 2:g}Gi"',
                )

    def identity(self) -> None:
        if self.spec.identity is None:
            return
        for index, grant in enumerate(self.spec.identity.roles):
            path = f"identity.roles[{index}]"
            if role_guid(grant.role) is None:
                self.add(
                    f"{path}.role",
                    grant.role,
                    "is not a known data-plane role",
                    "use a name from infra/services/roles.py or a role definition GUID",
                )
            scope = expand(grant.scope, "0", self.context.environment.value)
            if unknown_placeholders(grant.scope):
                self.add(
                    f"{path}.scope",
                    grant.scope,
                    "has an unknown placeholder",
                    "use only {subscription} and {environment}",
                )
            elif not RESOURCE_ID.match(scope):
                self.add(
                    f"{path}.scope",
                    grant.scope,
                    "is not an Azure resource id",
                    "use the narrowest resource that works, e.g. the queue's id",
                )
            elif scope.count("/") < 8:
                self.add(
                    f"{path}.scope",
                    grant.scope,
                    "is broader than a single resource",
                    "grant on the resource the service uses",
                )

    def writable_paths(self) -> None:
        seen: set[str] = set()
        for index, path in enumerate(self.spec.writable_paths):
            if not path.startswith("/") or path == "/" or path in seen:
                self.add(
                    f"writable_paths[{index}]",
                    path,
                    "must be a distinct absolute path other than /",
                    "use e.g. /tmp or /var/cache/app",
                )
            seen.add(path)

    def secret_files(self) -> None:
        files = self.spec.secret_files
        for file, ref in sorted(files.items()):
            path = f"secret_files[{file!r}]"
            if not SECRET_FILE_NAME.match(file):
                self.add(
                    path,
                    None,
                    "is not a file name for a secret",
                    "use 1-63 lowercase letters, digits and '-', e.g. db-password",
                )
            # Container Apps secret names of env secrets: render.common.env_secret_name.
            elif file_secret_name(file) in {v.lower().replace("_", "-") for v in self.spec.secrets}:
                self.add(
                    path,
                    None,
                    f"clashes with the Container Apps secret of env var {file_secret_name(file)!r}",
                    "rename the file or the variable",
                )
            self._key_vault_ref(path, ref)
        if len({ref.vault_id for ref in files.values()}) > 1:
            self.add(
                "secret_files",
                None,
                "reads from more than one vault (one read-only volume holds them all)",
                "keep a service's secret files in one vault, or pass the others in secrets",
            )
        for index, writable in enumerate(self.spec.writable_paths):
            if files and (
                writable == SECRET_FILES_MOUNT or writable.startswith(f"{SECRET_FILES_MOUNT}/")
            ):
                self.add(
                    f"writable_paths[{index}]",
                    writable,
                    f"is where secret files are mounted ({SECRET_FILES_MOUNT})",
                    "use another path",
                )

    def _key_vault_ref(self, path: str, ref: KeyVaultSecret) -> None:
        if not KEY_VAULT_SECRET_NAME.match(ref.name):
            self.add(
                f"{path}.name",
                ref.name,
                "is not a Key Vault secret name",
                "use 1-127 letters, digits and '-'",
            )
        vault = (
            None
            if ref.vault_id is None
            else expand(ref.vault_id, "0", self.context.environment.value)
        )
        if vault is not None and (
            unknown_placeholders(vault)
            or not (RESOURCE_ID.match(vault) and "/providers/Microsoft.KeyVault/vaults/" in vault)
        ):
            self.add(
                f"{path}.vault_id",
                ref.vault_id,
                "is not a Key Vault resource id",
                "use /subscriptions/<id>/resourceGroups/<rg>/providers/Microsoft.KeyVault/vaults/<name>, or leave it out for the platform vault",
            )

    def queue(self, path: str, queue: QueueTrigger) -> None:
        """A queue trigger (a service's autoscaling, a job's event): valid names, a positive
        target, and an identity with a role to read it with (the scaler authenticates as the
        workload's identity, never with a connection string)."""
        names = (
            ("namespace", "queue") if isinstance(queue, ServiceBusQueue) else ("account", "queue")
        )
        for field_name in names:
            value = getattr(queue, field_name)
            if not re.match(r"^[a-z0-9][a-z0-9-]{1,62}$", value):
                self.add(
                    f"{path}.{field_name}",
                    value,
                    "is not a valid name",
                    "use the Azure resource's name",
                )
        if queue.resource_group is None:
            self.add(
                f"{path}.resource_group",
                None,
                "is required: the scaler's identity is granted read access to exactly this "
                "queue, which needs its resource id",
                'set resource_group="<the queue\'s resource group>" ({environment} allowed)',
            )
        elif not re.match(r"^[-\w.(){}]{1,90}$", queue.resource_group) or unknown_placeholders(
            queue.resource_group
        ):
            self.add(
                f"{path}.resource_group",
                queue.resource_group,
                "is not a resource group name",
                "use the group's name; {environment} is the only placeholder",
            )
        if queue.messages_per_replica < 1:
            self.add(
                f"{path}.messages_per_replica",
                queue.messages_per_replica,
                "must be at least 1",
                "use e.g. 5",
            )
        identity = self.spec.identity
        if identity is None or not identity.roles:
            role = (
                "Azure Service Bus Data Receiver"
                if isinstance(queue, ServiceBusQueue)
                else "Storage Queue Data Message Processor"
            )
            kind = "service" if isinstance(self.spec, ServiceSpec) else "job"
            self.add(
                path,
                None,
                f"is read with the {kind}'s identity, which has no role",
                f'add identity=Identity(roles=(RoleGrant(role="{role}", scope=<queue resource id>),))',
            )


class _ServiceChecker(_Checker[ServiceSpec]):
    """The rules only services have: ports, scaling, ingress, probes."""

    def run(self) -> list[Problem]:
        super().run()
        self.ports()
        self.scaling()
        self.ingress()
        self.probes()
        return self.problems

    def ports(self) -> None:
        names: set[str] = set()
        numbers: set[int] = set()
        for index, port in enumerate(self.spec.ports):
            path = f"ports[{index}]"
            if (
                not PORT_NAME.match(port.name)
                or len(port.name) > 15
                or not re.search("[a-z]", port.name)
            ):
                self.add(
                    f"{path}.name",
                    port.name,
                    "is not a port name (max 15 lowercase chars)",
                    "use e.g. http, grpc or metrics",
                )
            if port.name in names:
                self.add(f"{path}.name", port.name, "is used twice", "give each port its own name")
            names.add(port.name)
            if not 1 <= port.number <= 65535:
                self.add(
                    f"{path}.number",
                    port.number,
                    "must be 1..65535",
                    "use the port the process listens on",
                )
            elif port.number < LOWEST_UNPRIVILEGED_PORT:
                self.add(
                    f"{path}.number",
                    port.number,
                    "is a privileged port; containers run as non-root without capabilities",
                    "listen on 1024 or above, e.g. 8080",
                )
            if port.number in numbers:
                self.add(
                    f"{path}.number", port.number, "is used twice", "give each port its own number"
                )
            numbers.add(port.number)
        served: dict[int, str] = {}
        for index, port in enumerate(self.spec.ports):
            path = f"ports[{index}]"
            if port.service_port is not None and not 1 <= port.service_port <= 65535:
                self.add(
                    f"{path}.service_port",
                    port.service_port,
                    "must be 1..65535",
                    "use the port callers should use, e.g. 80",
                )
                continue
            number = service_port(port)
            if number in served:
                self.add(
                    f"{path}.service_port" if port.service_port is not None else f"{path}.number",
                    number,
                    f"is also the Service port of '{served[number]}'",
                    "give each port its own service_port (callers could not tell them apart)",
                )
            served.setdefault(number, port.name)

    def scaling(self) -> None:
        spec = self.spec
        if not 0 <= spec.replicas <= 1000:
            self.add("replicas", spec.replicas, "must be 0..1000", "use e.g. 2")
        scale = spec.autoscaling
        if scale is None:
            if spec.replicas == 0:
                self.add(
                    "replicas",
                    0,
                    "runs no replica",
                    "use at least 1, or autoscaling with min_replicas=0 and a trigger",
                )
            return
        self._autoscaling(scale)

    def _autoscaling(self, scale: Autoscaling) -> None:
        spec = self.spec
        if scale.min_replicas < 0:
            self.add(
                "autoscaling.min_replicas", scale.min_replicas, "must be 0 or more", "use e.g. 2"
            )
        if scale.max_replicas < 1:
            self.add(
                "autoscaling.max_replicas", scale.max_replicas, "must be at least 1", "use e.g. 10"
            )
        if scale.min_replicas > scale.max_replicas:
            self.add(
                "autoscaling.min_replicas",
                scale.min_replicas,
                f"is greater than max_replicas {scale.max_replicas}",
                "lower min_replicas or raise max_replicas",
            )
        if spec.target is Target.CONTAINER_APPS and scale.max_replicas > ACA_MAX_REPLICAS:
            self.add(
                "autoscaling.max_replicas",
                scale.max_replicas,
                f"exceeds the Container Apps limit of {ACA_MAX_REPLICAS}",
                f"use at most {ACA_MAX_REPLICAS}",
            )
        for field_name in ("cpu_utilization", "memory_utilization"):
            value = getattr(scale, field_name)
            if value is not None and not 1 <= value <= 100:
                self.add(
                    f"autoscaling.{field_name}",
                    value,
                    "must be 1..100 (percent of the request)",
                    "use e.g. 70",
                )
        if scale.http_concurrency is not None:
            if scale.http_concurrency < 1:
                self.add(
                    "autoscaling.http_concurrency",
                    scale.http_concurrency,
                    "must be at least 1",
                    "use e.g. 50",
                )
            if spec.target is Target.AKS:
                self.add(
                    "autoscaling.http_concurrency",
                    scale.http_concurrency,
                    "is not available on AKS (no HTTP scaler is installed)",
                    "use cpu_utilization on AKS, or target Container Apps",
                )
            elif not any(p.protocol in (Protocol.HTTP, Protocol.GRPC) for p in spec.ports):
                self.add(
                    "autoscaling.http_concurrency",
                    scale.http_concurrency,
                    "needs an http or grpc port",
                    "add a port or use another trigger",
                )
        triggers = [
            scale.cpu_utilization,
            scale.memory_utilization,
            scale.http_concurrency,
            scale.queue,
        ]
        if all(t is None for t in triggers):
            self.add(
                "autoscaling",
                None,
                "has no trigger",
                "set cpu_utilization, memory_utilization, http_concurrency or queue",
            )
        if scale.min_replicas == 0:
            wakes = scale.queue is not None or (
                scale.http_concurrency is not None and spec.target is Target.CONTAINER_APPS
            )
            if not wakes:
                self.add(
                    "autoscaling.min_replicas",
                    0,
                    "cannot scale to zero without a queue (or, on Container Apps, HTTP) trigger",
                    "set min_replicas to 1, or add a queue trigger",
                )
            elif spec.target is Target.AKS and (
                scale.cpu_utilization is not None or scale.memory_utilization is not None
            ):
                self.add(
                    "autoscaling",
                    None,
                    "mixes scale-to-zero with cpu/memory triggers, which KEDA cannot wake from zero",
                    "drop cpu_utilization/memory_utilization or set min_replicas=1",
                )
        if scale.queue is not None:
            self.queue("autoscaling.queue", scale.queue)

    def ingress(self) -> None:
        spec = self.spec
        ingress = spec.ingress
        if ingress.exposure is Exposure.NONE:
            if ingress.host or ingress.tls:
                self.add(
                    "ingress.exposure",
                    "none",
                    "has a host or TLS but exposes nothing",
                    "set exposure=Exposure.INTERNAL or PUBLIC, or drop host/tls",
                )
            return
        port = port_named(spec, ingress.port)
        if port is None:
            self.add(
                "ingress.port",
                ingress.port,
                "names no port of this service" if spec.ports else "needs a port to expose",
                "declare the port in ports= and name it here",
            )
        elif port.protocol is Protocol.TCP:
            self.add(
                "ingress.port",
                port.name,
                "is a tcp port; ingress routes http and grpc",
                "expose an http/grpc port, or keep tcp services internal (Exposure.NONE)",
            )
        if ingress.host is not None and not HOSTNAME.match(ingress.host):
            self.add("ingress.host", ingress.host, "is not a DNS name", "use e.g. shop.example.com")
        if not ingress.path.startswith("/"):
            self.add("ingress.path", ingress.path, "must start with /", "use e.g. / or /api")
        if spec.target is Target.AKS and ingress.host is None:
            self.add(
                "ingress.host",
                None,
                "is required on AKS for internal or public ingress",
                "set a host name for the ingress rule",
            )
        if (
            ingress.exposure is Exposure.PUBLIC
            and ingress.host is not None
            and ingress.tls is None
            and spec.target is Target.AKS
        ):
            self.add(
                "ingress.tls",
                None,
                "is missing: public hosts must serve TLS",
                "set tls=Tls(key_vault_certificate_uri=...) or make it Exposure.INTERNAL",
            )
        if ingress.tls is not None and not KEY_VAULT_CERT_URI.match(
            ingress.tls.key_vault_certificate_uri
        ):
            self.add(
                "ingress.tls.key_vault_certificate_uri",
                ingress.tls.key_vault_certificate_uri,
                "is not a Key Vault certificate URI",
                "use https://<vault>.vault.azure.net/certificates/<name>",
            )
        if ingress.tls is not None and ingress.host is None:
            self.add(
                "ingress.tls", None, "needs a host to bind the certificate to", "set ingress.host"
            )
        if (
            spec.target is Target.CONTAINER_APPS
            and ingress.host is not None
            and ingress.tls is None
        ):
            self.add(
                "ingress.tls",
                None,
                "is required for a custom host on Container Apps",
                "set tls=Tls(key_vault_certificate_uri=...), or drop host to use the generated domain",
            )
        if (
            ingress.tls is not None
            and self.context.key_vault_name
            and not ingress.tls.key_vault_certificate_uri.startswith(
                f"https://{self.context.key_vault_name}.vault.azure.net/"
            )
        ):
            self.add(
                "ingress.tls.key_vault_certificate_uri",
                ingress.tls.key_vault_certificate_uri,
                "is not in the platform Key Vault, which ingress reads certificates from",
                f"import the certificate into {self.context.key_vault_name}",
            )
        if spec.target is Target.CONTAINER_APPS and ingress.path != "/":
            self.add(
                "ingress.path",
                ingress.path,
                "Container Apps routes whole hosts, not paths",
                "use path '/' or give the service its own host",
            )

    def _probe(self, path: str, probe: Probe) -> None:
        port = port_named(self.spec, probe.port)
        if port is None:
            self.add(
                f"{path}.port",
                probe.port,
                "names no port of this service" if self.spec.ports else "needs a port to probe",
                "declare the port in ports= and name it here",
            )
            return
        if isinstance(probe, HttpProbe):
            if port.protocol is not Protocol.HTTP:
                self.add(
                    f"{path}.port",
                    port.name,
                    f"is a {port.protocol.value} port; HttpProbe needs http",
                    "use TcpProbe or GrpcProbe for this port",
                )
            if not probe.path.startswith("/"):
                self.add(f"{path}.path", probe.path, "must start with /", "use e.g. /healthz")
        elif isinstance(probe, GrpcProbe) and port.protocol is not Protocol.GRPC:
            self.add(
                f"{path}.port",
                port.name,
                f"is a {port.protocol.value} port; GrpcProbe needs grpc",
                "use HttpProbe or TcpProbe for this port",
            )

    def probes(self) -> None:
        for kind in ("readiness", "liveness", "startup"):
            probe = getattr(self.spec.probes, kind)
            if probe is not None:
                self._probe(f"probes.{kind}", probe)


class _JobChecker(_Checker[JobSpec]):
    """The rules only jobs have: trigger, parallelism, completions, retries, timeout."""

    def run(self) -> list[Problem]:
        super().run()
        self.shape()
        self.trigger()
        if self.spec.ingress is not None:
            self.add(
                "ingress",
                None,
                "a job serves no traffic, so it takes no ingress",
                "remove ingress, or declare a ServiceSpec for something callers reach",
            )
        return self.problems

    def shape(self) -> None:
        job = self.spec
        for field_name, value in (
            ("parallelism", job.parallelism),
            ("completions", job.completions),
        ):
            if value < 1:
                self.add(field_name, value, "must be at least 1", "use e.g. 1")
        if 1 <= job.completions < job.parallelism:
            self.add(
                "parallelism",
                job.parallelism,
                f"is above completions={job.completions}; the extra replicas would have nothing to do",
                f"lower parallelism to at most {job.completions}, or raise completions",
            )
        if not 0 <= job.retries <= 10:
            self.add("retries", job.retries, "must be 0..10", "use e.g. 1")
        if not 1 <= job.timeout_seconds <= 86400:
            self.add(
                "timeout_seconds",
                job.timeout_seconds,
                "must be 1..86400 (a day)",
                "use e.g. 1800; split longer work into several runs",
            )

    def trigger(self) -> None:
        job = self.spec
        trigger = job.trigger
        if isinstance(trigger, Schedule):
            problem = cron_problem(trigger.cron)
            if problem is not None:
                self.add(
                    "trigger.cron",
                    trigger.cron,
                    f"is not a cron schedule: {problem}",
                    "use five fields: minute hour day-of-month month day-of-week, e.g. '30 2 * * *'",
                )
            if trigger.time_zone not in UTC_ZONES:
                try:
                    zoneinfo.ZoneInfo(trigger.time_zone)
                except (ValueError, zoneinfo.ZoneInfoNotFoundError):
                    self.add(
                        "trigger.time_zone",
                        trigger.time_zone,
                        "is not an IANA time zone",
                        "use e.g. Etc/UTC or Europe/Amsterdam",
                    )
                    return
                if job.target is Target.CONTAINER_APPS:
                    self.add(
                        "trigger.time_zone",
                        trigger.time_zone,
                        "is not available on Container Apps, which runs schedules in UTC",
                        "write the schedule in UTC (time_zone='Etc/UTC'), or target AKS",
                    )
        elif isinstance(trigger, Event):
            if trigger.max_executions < 1:
                self.add(
                    "trigger.max_executions",
                    trigger.max_executions,
                    "must be at least 1",
                    "use e.g. 10",
                )
            if not 1 <= trigger.polling_seconds <= 3600:
                self.add(
                    "trigger.polling_seconds",
                    trigger.polling_seconds,
                    "must be 1..3600",
                    "use e.g. 30",
                )
            self.queue("trigger.queue", trigger.queue)


def _chart_problems(chart: HelmChart, group: str, environment: Environment) -> list[Problem]:
    problems: list[Problem] = []

    def add(path: str, value: object, problem: str, fix: str) -> None:
        shown = "" if value is None else value if isinstance(value, _Raw) else show(value)
        problems.append(Problem(path, shown, problem, fix, group))

    if not DNS_LABEL.match(chart.name) or len(chart.name) > 53:
        add(
            "name",
            chart.name,
            "is not a release name (DNS label, at most 53 characters)",
            "use lowercase letters, digits and '-'",
        )
    if not CHART_NAME.match(chart.chart):
        add("chart", chart.chart, "is not a chart name", "use the chart's name, e.g. valkey")
    if not CHART_VERSION.match(chart.version):
        add(
            "version",
            chart.version,
            "is not an exact chart version",
            "pin one version, e.g. 1.0.0 (ranges would upgrade without review)",
        )
    else:
        pinned = reviewed(chart.repository, chart.chart)
        if pinned is None and environment is Environment.PROD:
            # Outside prod an unreviewed chart may be tried; prod installs only reviewed ones.
            add(
                "chart",
                f"{chart.repository} {chart.chart}",
                "is not a reviewed chart (prod installs only reviewed charts)",
                "add it, with a version published in its repository's index, to "
                "infra/services/chart_versions.py (a platform review)",
            )
        elif pinned is not None and chart.version != pinned.version:
            add(
                "version",
                chart.version,
                f"is not the reviewed version of {chart.chart}",
                f"use {pinned.version}, or review another published version in "
                "infra/services/chart_versions.py",
            )
    if not chart.repository.startswith(("https://", "oci://")):
        add(
            "repository",
            chart.repository,
            "is not an https:// or oci:// chart source",
            "use the chart's repository URL or OCI registry path",
        )
    if not 1 <= chart.port <= 65535:
        add("port", chart.port, "must be 1..65535", "use the port the chart's Service exposes")
    if chart.service is not None and not DNS_LABEL.match(chart.service):
        add(
            "service",
            chart.service,
            "is not a Service name",
            "use the name the chart gives its Service",
        )

    def literal_secrets(values: Any, path: str) -> None:
        if isinstance(values, Mapping):
            for key, value in values.items():
                child = f"{path}.{key}" if path else str(key)
                if SECRET_LOOKING.search(str(key).upper()) and isinstance(value, str) and value:
                    add(
                        f"values.{child}",
                        _Raw("<hidden>"),
                        "is a secret given as a literal value",
                        "let the chart read it from an existing Secret (e.g. auth.usersExistingSecret)",
                    )
                literal_secrets(value, child)
        elif isinstance(values, (list, tuple)):
            for index, item in enumerate(values):
                literal_secrets(item, f"{path}[{index}]")

    literal_secrets(chart.values, "")
    return problems


def _relation_problems(
    services: Sequence[PlannedService],
    charts: Sequence[PlannedChart] = (),
    jobs: Sequence[PlannedJob] = (),
) -> list[Problem]:
    problems: list[Problem] = []
    by_name: dict[str, PlannedService] = {}
    jobs_by_name: dict[str, PlannedJob] = {}
    charts_by_name: dict[str, PlannedChart] = {}
    for chart in charts:
        group = f"{chart.name} ({chart.source})"
        if chart.name in charts_by_name:
            problems.append(
                Problem(
                    "name",
                    show(chart.name),
                    f"is also declared in {charts_by_name[chart.name].source}",
                    "chart release names are unique across the platform: rename one",
                    group,
                )
            )
        charts_by_name.setdefault(chart.name, chart)
    for service in services:
        group = f"{service.name} ({service.source})"
        if service.name in by_name:
            other = by_name[service.name]
            problems.append(
                Problem(
                    "name",
                    show(service.name),
                    f"is also declared in {other.source}",
                    "service names are unique across the platform: rename one",
                    group,
                )
            )
        by_name.setdefault(service.name, service)
    for job in jobs:
        group = f"{job.name} ({job.source})"
        other_source = (
            by_name[job.name].source
            if job.name in by_name
            else jobs_by_name[job.name].source
            if job.name in jobs_by_name
            else None
        )
        if other_source is not None:
            problems.append(
                Problem(
                    "name",
                    show(job.name),
                    f"is also declared in {other_source}",
                    "service and job names are unique across the platform: rename one",
                    group,
                )
            )
        jobs_by_name.setdefault(job.name, job)
    routes: dict[tuple[str, str], str] = {}
    callers: list[Planned] = [*services, *jobs]
    for service in callers:
        spec = service.spec
        group = f"{service.name} ({service.source})"
        kind = "service" if isinstance(service, PlannedService) else "job"
        env_names = set(spec.env) | set(spec.secrets)
        for index, dep in enumerate(spec.dependencies):
            path = f"dependencies[{index}]"
            callee = by_name.get(dep.service)
            if dep.service == spec.name:
                problems.append(
                    Problem(
                        f"{path}.service",
                        show(dep.service),
                        f"is the {kind} itself",
                        "remove it",
                        group,
                    )
                )
                continue
            if callee is None and dep.service in jobs_by_name:
                problems.append(
                    Problem(
                        f"{path}.service",
                        show(dep.service),
                        "is a job, which serves no traffic",
                        "depend on the service the job works for, or trigger the job instead",
                        group,
                    )
                )
                continue
            chart = charts_by_name.get(dep.service)
            if callee is None and chart is not None:
                # A chart: reachable from AKS only, on its one port; env checks below.
                if spec.target is not Target.AKS:
                    problems.append(
                        Problem(
                            f"{path}.service",
                            show(dep.service),
                            "is a Helm chart on AKS, which Container Apps cannot reach",
                            f"target AKS for this {kind}, or use an Azure service (e.g. Azure Cache)",
                            group,
                        )
                    )
                if dep.port is not None:
                    problems.append(
                        Problem(
                            f"{path}.port",
                            show(dep.port),
                            "charts expose one port",
                            "leave port out",
                            group,
                        )
                    )
            if callee is None and chart is None:
                close = did_you_mean(dep.service, [*by_name, *charts_by_name], limit=3)
                hint = (
                    f"did you mean {', '.join(close)}?"
                    if close
                    else "declare that service or fix the name"
                )
                problems.append(
                    Problem(
                        f"{path}.service",
                        show(dep.service),
                        "is not a declared service",
                        hint,
                        group,
                    )
                )
                continue
            if callee is not None and port_named(callee.spec, dep.port) is None:
                problems.append(
                    Problem(
                        f"{path}.port",
                        show(dep.port),
                        f"'{dep.service}' has no such port"
                        if callee.spec.ports
                        else f"'{dep.service}' has no ports",
                        f"use one of: {', '.join(p.name for p in callee.spec.ports) or 'none'}",
                        group,
                    )
                )
            if dep.env is not None and not ENV_NAME.match(dep.env):
                problems.append(
                    Problem(
                        f"{path}.env",
                        show(dep.env),
                        "is not a valid variable name",
                        "use letters, digits and '_'",
                        group,
                    )
                )
            name = dependency_env_name(dep.service, dep.env, dep.form)
            if name in env_names:
                problems.append(
                    Problem(
                        f"{path}.env",
                        show(name),
                        "is already set by env, secrets or another dependency",
                        "choose another variable name with env=",
                        group,
                    )
                )
            env_names.add(name)
        if not isinstance(spec, ServiceSpec):
            continue
        ingress = spec.ingress
        if ingress.exposure is not Exposure.NONE and ingress.host:
            key = (ingress.host, ingress.path)
            if key in routes and routes[key] != service.name:
                problems.append(
                    Problem(
                        "ingress",
                        show(f"{ingress.host}{ingress.path}"),
                        f"is also claimed by '{routes[key]}'",
                        "give each service its own host or path",
                        group,
                    )
                )
            routes.setdefault(key, service.name)
    return problems


def dependency_env_name(service: str, env: str | None, form: object) -> str:
    if env:
        return env
    suffix = "URL" if str(form) == "url" else "ADDR"
    return f"{service.upper().replace('-', '_')}_{suffix}"


def _overrides_problems(declared: Any, group: str) -> list[Problem]:
    overrides = getattr(declared, "overrides", None)
    return [
        Problem(
            f"overrides[{env_name!r}]",
            "",
            "is not an environment",
            f"use one of {', '.join(e.value for e in Environment)}",
            group,
        )
        for env_name in (overrides if isinstance(overrides, Mapping) else ())
        if env_name not in {e.value for e in Environment}
    ]


def _workload(
    declared: Any, adapter: TypeAdapter[Any], group: str, context: ValidationContext
) -> tuple[Any, list[Problem]]:
    """Type-check the declaration, patch it for the environment, type-check the result.

    The override is applied to the declaration as written: validation rebuilds objects, which
    forgets the fields each constructor was given (what makes an override a patch)."""
    problems = _overrides_problems(declared, group)
    spec, type_problems = _type_problems(declared, group, adapter)
    if spec is None:
        return None, problems + type_problems
    spec, type_problems = _type_problems(
        for_environment(declared, context.environment.value), group, adapter
    )
    if spec is not None and context.image_lock is not None and isinstance(spec.image, str):
        # Tags the deploy workflow resolved to digests run by digest (apps/images.lock.yaml).
        spec = dataclasses.replace(spec, image=pin(spec.image, context.image_lock))
    return spec, problems + type_problems


def validate_applications(
    applications: Sequence[Application], context: ValidationContext
) -> Catalog:
    """Every problem in every service and job, at once; or the catalog the renderers trust."""
    problems: list[Problem] = []
    planned: list[PlannedService] = []
    planned_jobs: list[PlannedJob] = []
    planned_charts: list[PlannedChart] = []
    app_names: set[str] = set()
    for application in applications:
        source = application.source or "apps/"
        app_group = f"application {application.name!r} ({source})"
        if (
            not isinstance(application.name, str)
            or not DNS_LABEL.match(application.name)
            or len(application.name) > 63
        ):
            problems.append(
                Problem(
                    "name",
                    show(application.name),
                    "is not a DNS label (it names the namespace)",
                    "use lowercase letters, digits and '-'",
                    app_group,
                )
            )
        elif application.name in RESERVED_NAMESPACES:
            problems.append(
                Problem(
                    "name",
                    application.name,
                    "is a system namespace",
                    "choose another name",
                    app_group,
                )
            )
        if application.name in app_names:
            problems.append(
                Problem("name", application.name, "is declared twice", "merge or rename", app_group)
            )
        app_names.add(application.name)
        for index, declared in enumerate(application.services):
            label = getattr(declared, "name", f"services[{index}]")
            group = f"{label} ({source})"
            if not isinstance(declared, ServiceSpec):
                problems.append(
                    Problem(
                        f"services[{index}]",
                        show(declared),
                        "is not a ServiceSpec",
                        "declare services with ServiceSpec(...)",
                        group,
                    )
                )
                continue
            spec, found = _workload(declared, _SPEC, group, context)
            problems.extend(found)
            if spec is None:
                continue
            problems.extend(_ServiceChecker(spec, group, context).run())
            planned.append(PlannedService(application.name, spec, source))
        for index, declared_job in enumerate(getattr(application, "jobs", ()) or ()):
            group = f"{getattr(declared_job, 'name', f'jobs[{index}]')} ({source})"
            if not isinstance(declared_job, JobSpec):
                problems.append(
                    Problem(
                        f"jobs[{index}]",
                        show(declared_job),
                        "is not a JobSpec",
                        "declare jobs with JobSpec(...)",
                        group,
                    )
                )
                continue
            job, found = _workload(declared_job, _JOB, group, context)
            problems.extend(found)
            if job is None:
                continue
            problems.extend(_JobChecker(job, group, context).run())
            planned_jobs.append(PlannedJob(application.name, job, source))
        for index, declared_chart in enumerate(getattr(application, "charts", ()) or ()):
            group = f"{getattr(declared_chart, 'name', f'charts[{index}]')} ({source})"
            chart, type_problems = _type_problems(declared_chart, group, _CHART)
            if chart is None:
                problems.extend(type_problems)
                continue
            problems.extend(_chart_problems(chart, group, context.environment))
            planned_charts.append(PlannedChart(application.name, chart, source))
    service_names = {s.name for s in planned}
    job_names = {j.name for j in planned_jobs}
    for chart in planned_charts:
        if chart.name in service_names | job_names:
            problems.append(
                Problem(
                    "name",
                    show(chart.name),
                    "is also a service name"
                    if chart.name in service_names
                    else "is also a job name",
                    "give the chart release its own name",
                    f"{chart.name} ({chart.source})",
                )
            )
    problems.extend(_relation_problems(planned, planned_charts, planned_jobs))
    if problems:
        raise InvalidInput("the service declarations", problems)
    return Catalog(
        tuple(sorted(planned, key=lambda s: s.name)),
        tuple(sorted(planned_charts, key=lambda c: c.name)),
        tuple(sorted(planned_jobs, key=lambda j: j.name)),
    )


__all__ = [
    "Catalog",
    "Planned",
    "PlannedChart",
    "PlannedJob",
    "PlannedService",
    "ValidationContext",
    "apply_override",
    "config_secret_key",
    "dependency_env_name",
    "memory_mib",
    "port_named",
    "service_port",
    "validate_applications",
]
