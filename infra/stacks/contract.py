"""The platform contract: everything an application stack needs from the platform stack of its
environment, and nothing more (docs/team-stacks.md).

The platform stack (`platform:mode: platform`) exports it as the stack output `contract`; an
application stack (`platform:mode: application`) reads it through `pulumi.StackReference` and
parses it here. The types are the contract: `schemas/contract-<version>.json` is generated from
them (`python -m infra.stacks schema`) and a test refuses a schema change that
does not come with a new `CONTRACT_VERSION`.

Versioning (semver): a new optional field is a minor version; a removed, renamed or retyped field,
or an existing field that comes to mean something else, is a major version. An application reads
a contract of its own major version whatever its minor: a newer minor's additions are ignored, an
older minor's missing fields take their defaults, which mean what that older version meant (the
`(1.x.0)` in a field's description says since when it is there). A contract of another major
version, or without one, is refused with the version it read, the version it understands, and
the fix.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError
from pydantic.alias_generators import to_camel

from infra.config import IngressMode
from infra.problems import InvalidInput, Problem

CONTRACT_VERSION = "1.3.0"
"""The contract's semver; bump it with every schema change (see the module doc)."""
CONTRACT_OUTPUT = "contract"
"""The platform stack's output the application stacks read."""
SCHEMAS = Path(__file__).with_name("schemas")
_SEMVER = re.compile(r"^(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)$")


class _Part(BaseModel):
    """Frozen and camelCase like the stack config. Unknown keys are ignored: they are fields of a
    newer minor version, which an older application may read (the version check comes first)."""

    model_config = ConfigDict(
        frozen=True, extra="ignore", alias_generator=to_camel, populate_by_name=True
    )


class ClusterContract(_Part):
    id: str = Field(description="the managed cluster's resource id (role assignments' scope)")
    name: str
    api_server: str = Field(description="the API server's FQDN (public or private)")
    oidc_issuer_url: str = Field(description="the issuer workload identities federate with")
    deployment_safeguards: Literal["Off", "Warn", "Enforce"] = Field(
        description="what the cluster does with a pod the safeguards refuse"
    )


class RegistryContract(_Part):
    id: str
    login_server: str
    pull_identity_id: str = Field(description="the identity Container Apps pull images with")


class VaultContract(_Part):
    id: str
    name: str
    uri: str


class NetworkContract(_Part):
    aks_nodes_subnet_id: str
    aks_nodes_subnet_cidr: str
    container_apps_subnet_id: str
    container_apps_subnet_cidr: str
    internal_ingress_address: str = Field(description="the internal load balancer's address")
    gateway_subnet_cidr: str = Field(description="AGC's subnet; empty without AGC")
    aks_egress_ip: str


class DnsContract(_Part):
    private_zone: str = Field(description="the private zone internal hosts get a record in")
    private_zone_id: str
    public_zones: tuple[str, ...] = Field(description="zones the platform writes records in")


class GatewayListener(_Part):
    """One listener of a Gateway the platform created for an onboarded application (1.2.0: its
    hostname, Gateway and the namespaces whose routes it admits). A route attaches to it by
    `gatewayName`, `gatewayNamespace` and `name` (its parentRef's sectionName)."""

    name: str
    protocol: Literal["HTTP", "HTTPS", "TLS", "TCP", "UDP"]
    port: int
    hostname: str | None = Field(default=None, description="the host it serves (1.2.0)")
    application: str | None = Field(
        default=None, description="the onboarded application whose routes it admits (1.2.0)"
    )
    gateway_name: str | None = Field(
        default=None, description="the Kubernetes Gateway it belongs to (1.2.0)"
    )
    gateway_namespace: str | None = Field(
        default=None, description="that Gateway's namespace (1.2.0)"
    )
    route_namespaces: tuple[str, ...] = Field(
        default=(), description="the namespaces whose routes it admits (allowedRoutes; 1.2.0)"
    )


AGC_KIND = "application-gateway-for-containers"
ENVOY_KIND = "envoy-gateway"


class GatewayContract(_Part):
    kind: Literal["application-gateway-for-containers", "envoy-gateway"]
    id: str = Field(description="Azure resource id (AGC); empty for an in-cluster gateway")
    name: str
    namespace: str
    exposure: Literal["public", "internal"]
    listeners: tuple[GatewayListener, ...] = Field(
        default=(),
        description="the listeners of every onboarded application's hosts on it (1.2.0: "
        "filled; AGC: each application's own Gateway `public` in its namespace; Envoy Gateway: "
        "the shared Gateway)",
    )


class ContainerAppsContract(_Part):
    environment_id: str
    environment_name: str
    default_domain: str
    static_ip: str
    domain_verification_id: str
    internal: bool
    certificate_identity_id: str


class LogAnalyticsContract(_Part):
    workspace_id: str
    customer_id: str


class ApplicationGrant(_Part):
    """What the platform onboarded one application with: what its stack may own."""

    name: str
    namespaces: tuple[str, ...] = Field(description="the AKS namespaces it may own")
    resource_group: str = Field(
        description="its resource group (Container Apps, identities); for an application "
        "migrated from a single stack with `adopted` resources, the platform's, where they stay"
    )
    resource_group_id: str
    hosts: tuple[str, ...] = Field(description="public and internal hosts it may bind")
    deploy_identity_client_id: str = Field(description="what its CI logs in as")
    adopted: tuple[str, ...] = Field(
        default=(),
        description="the Azure ids of the Container Apps and identities it adopted "
        "(`platform:applications[].adopted`), which stay in `resourceGroup`: its identity holds "
        "the adopted role on each id (1.3.0)",
    )
    own_resource_group: str | None = Field(
        default=None,
        description="with `adopted`: its own resource group, where every other Container App "
        "and identity it declares goes (Contributor on it); null without `adopted`, "
        "`resourceGroup` being its own (1.3.0)",
    )
    own_resource_group_id: str | None = Field(default=None, description="its id (1.3.0)")


WorkloadTarget = Literal["aks", "container-apps"]
"""`infra.services.spec.Target`'s values."""


class PublishedPort(_Part):
    name: str
    protocol: Literal["http", "grpc", "tcp"]
    number: int = Field(description="the container's port (what a NetworkPolicy admits)")


class PublishedAddress(_Part):
    """Where a caller on `callerTarget` reaches one port (what `infra.services.wiring` gives a
    caller in the same stack)."""

    caller_target: WorkloadTarget
    port: str
    host: str
    number: int
    scheme: str | None = None


class PublishedService(_Part):
    """A service of an onboarded application, in the platform's registry (1.1.0)."""

    application: str
    name: str
    target: WorkloadTarget
    ports: tuple[PublishedPort, ...]
    addresses: tuple[PublishedAddress, ...]


class ServiceCall(_Part):
    """A dependency of one onboarded application's workload on another application's service
    (1.1.0): the callee's stack admits the caller from it."""

    application: str = Field(description="the caller's application")
    caller: str
    kind: Literal["service", "job"]
    target: WorkloadTarget
    service: str = Field(description="the callee")
    port: str | None = Field(default=None, description="the callee's port name; None: its first")


class PlatformContract(_Part):
    """One environment's platform, as its application stacks see it."""

    version: str = Field(description="CONTRACT_VERSION of the platform that exported it")
    environment: str
    subscription_id: str
    tenant_id: str
    location: str
    resource_group: str = Field(description="the platform's resource group")
    tags: dict[str, str]
    zonal: bool
    cluster: ClusterContract
    registry: RegistryContract
    key_vault: VaultContract
    network: NetworkContract
    dns: DnsContract
    ingress_mode: IngressMode = Field(
        description="the platform's `aks.ingress`: from it each service's route is decided"
    )
    gateways: tuple[GatewayContract, ...]
    container_apps: ContainerAppsContract
    log_analytics: LogAnalyticsContract
    applications: tuple[ApplicationGrant, ...]
    services: tuple[PublishedService, ...] = Field(
        default=(),
        description="the registry of published services: every onboarded application's "
        "services, from their declarations (1.1.0)",
    )
    calls: tuple[ServiceCall, ...] = Field(
        default=(), description="calls across applications, from the callers' declarations"
    )

    def application(self, name: str) -> ApplicationGrant | None:
        return next((a for a in self.applications if a.name == name), None)


def _version(text: str) -> tuple[int, int, int] | None:
    match = _SEMVER.match(text)
    return None if match is None else (int(match[1]), int(match[2]), int(match[3]))


def version_problem(found: object, understood: str = CONTRACT_VERSION) -> Problem | None:
    """Why an application that understands `understood` cannot read a contract of `found`."""
    mine = _version(understood)
    assert mine is not None, understood
    theirs = _version(found) if isinstance(found, str) else None
    path = f"{CONTRACT_OUTPUT}.version"
    if theirs is None:
        return Problem(
            path,
            repr(found),
            "is not a semver version: the platform stack exports no contract this program "
            "understands (is it deployed with `platform:mode: platform`?)",
            "deploy the platform stack with a platform program of this repository, then preview "
            "again",
        )
    if theirs[0] != mine[0]:
        newer = theirs[0] > mine[0]
        return Problem(
            path,
            str(found),
            f"contract major version {theirs[0]} is not understood by this program (it "
            f"understands {understood}: major {mine[0]})",
            f"update this application's platform program to one that understands {theirs[0]}.x"
            if newer
            else f"the platform stack is older than this program: deploy it with {mine[0]}.x first",
        )
    # A newer minor only adds optional fields: readable, the additions ignored.
    return None


def parse_contract(raw: object, *, stack: str = "the platform stack") -> PlatformContract:
    """The contract a platform stack exported, or InvalidInput naming what is wrong with it."""
    if not isinstance(raw, Mapping):
        raise InvalidInput(
            f"the contract of {stack}",
            [
                Problem(
                    CONTRACT_OUTPUT,
                    type(raw).__name__,
                    f"{stack} exports no `{CONTRACT_OUTPUT}` output",
                    "deploy it with `platform:mode: platform` (docs/team-stacks.md)",
                )
            ],
        )
    if problem := version_problem(raw.get("version")):
        raise InvalidInput(f"the contract of {stack}", [problem])
    try:
        return PlatformContract.model_validate(raw)
    except ValidationError as error:
        raise InvalidInput(
            f"the contract of {stack}",
            [
                Problem(
                    ".".join([CONTRACT_OUTPUT, *(str(p) for p in e["loc"])]),
                    "",
                    e["msg"],
                    "the platform stack's contract does not match its version: re-deploy it",
                )
                for e in error.errors()
            ],
        ) from None


def contract_schema() -> dict[str, Any]:
    """The JSON schema of `PlatformContract`, as the vendored file holds it."""
    schema = PlatformContract.model_json_schema(by_alias=True)
    return {"$comment": f"platform contract {CONTRACT_VERSION}", **schema}


def schema_path(version: str = CONTRACT_VERSION) -> Path:
    return SCHEMAS / f"contract-{version}.json"


def write_schema() -> Path:
    path = schema_path()
    SCHEMAS.mkdir(exist_ok=True)
    path.write_text(json.dumps(contract_schema(), indent=2, sort_keys=True) + "\n")
    return path
