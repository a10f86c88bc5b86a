"""Custom domains on Container Apps: the DNS records Azure checks before it binds a host.

Container Apps binds `<host>` only when a TXT record `asuid.<host>` holds the environment's domain
verification id and `<host>` resolves to the app (a CNAME to `<app>.<environment domain>`, or an A
record to the environment's static IP at a zone apex) — Container Apps "Custom domain names and
certificates". Where the platform manages the Azure DNS zone (`platform:dns.zoneName`) it writes
both records before the app; the app's address is predictable, so ONE `pulumi up` succeeds. Where it
does not, the hosts must be declared present (`platform:dns.recordsPresent`) after someone created
the records; until then the plan is refused, naming the records to create.
"""

from __future__ import annotations

from dataclasses import dataclass

import pulumi

from infra.config import NAMESPACE, DnsConfig
from infra.constants import (
    CONTAINER_APP_SERVICE_COMPONENT,
    PUBLIC_GATEWAY_COMPONENT,
    PUBLIC_GATEWAY_NAME,
)
from infra.problems import Problem
from infra.services.catalog import Catalog, PlannedService
from infra.services.routes import Gateway


@dataclass(frozen=True)
class ManagedRecords:
    """Records the platform writes into a zone it manages, before the app binds the host."""

    zone: str
    resource_group: str
    relative_name: str
    """`@` at the zone apex."""

    @property
    def apex(self) -> bool:
        return self.relative_name == "@"

    @property
    def verification_name(self) -> str:
        return "asuid" if self.apex else f"asuid.{self.relative_name}"


@dataclass(frozen=True)
class CustomDomain:
    service: str
    host: str
    records: ManagedRecords | None
    """None: declared present in `platform:dns.recordsPresent`."""


def custom_domains(
    catalog: Catalog, dns: DnsConfig
) -> tuple[dict[str, CustomDomain], list[Problem]]:
    """Each Container Apps host, and how its records come to exist; a problem per host that has
    no way to get them."""
    domains: dict[str, CustomDomain] = {}
    problems: list[Problem] = []
    for service in catalog.services:
        route = service.route
        host = None if route is None or route.gateway is not Gateway.CONTAINER_APPS else route.host
        if host is None:
            continue
        records = _in_zone(host, dns)
        if records is None and host not in dns.records_present:
            problems.append(_missing_records(service, host))
            continue
        domains[service.name] = CustomDomain(service.name, host, records)
    return domains, problems


def in_zone(host: str, zone: str) -> bool:
    """`host` is `zone` itself or a name under it."""
    return host == zone or host.endswith(f".{zone}")


def _in_zone(host: str, dns: DnsConfig) -> ManagedRecords | None:
    zone = dns.zone_name
    if zone is None or dns.zone_resource_group is None or not in_zone(host, zone):
        return None
    return ManagedRecords(
        zone, dns.zone_resource_group, "@" if host == zone else host[: -len(zone) - 1]
    )


def environment_certificate_name(host: str) -> str:
    """The name of the environment certificate a platform stack writes for a granted Container
    Apps host (`infra/stacks/platform.py`), which the application's Container App binds by id
    (`environment_certificate_id`): one name per host, and a host belongs to one application.
    A single stack names its certificates as before (autonamed, under each service)."""
    return "host-" + host.lower().replace(".", "-")


def environment_certificate_id(environment_id: pulumi.Input[str], host: str) -> pulumi.Output[str]:
    """`{environmentId}/certificates/{name}`: a Certificate is a child of the managed environment
    (Container Apps REST API `Certificates_CreateOrUpdate`), and a custom domain's `certificateId`
    "must exist in the Managed Environment" (`CustomDomain`; upstream/azure-rest-api-specs/
    container-apps-certificates.json)."""
    return pulumi.Output.concat(
        environment_id, "/certificates/", environment_certificate_name(host)
    )


def _missing_records(service: PlannedService, host: str) -> Problem:
    return Problem(
        path="ingress.host",
        value=host,
        problem="Container Apps binds a custom domain only once its DNS records exist, and the "
        "platform manages no zone containing it",
        fix=(
            f"create TXT asuid.{host} = <`pulumi stack output containerAppsDomainVerificationId`> "
            f"and CNAME {host} → {service.name}.<`pulumi stack output "
            f"containerAppsDefaultDomain`>, then list {host} in {NAMESPACE}:dns.recordsPresent; "
            f"or set {NAMESPACE}:dns.zoneName to an Azure DNS zone containing it"
        ),
        group=f"{service.name} ({service.source})",
    )


def gateway_host_records(
    catalog: Catalog, dns: DnsConfig
) -> tuple[dict[str, ManagedRecords], list[Problem]]:
    """The CNAME each public AKS host gets in the zone the platform manages, to its
    application's Application Gateway for Containers Frontend (`aks.ingress: gateway`).

    AGC checks no DNS before it serves a host, so a host outside the zone is not refused: its
    record is the operator's, to the Frontend FQDN the stack exports (`publicGatewayFrontends`).
    A zone apex is: a Frontend has an FQDN and no address ("Application Gateway for Containers
    components": frontends provide a unique FQDN for a CNAME; private or static IPs are not
    offered), a CNAME cannot sit at an apex (RFC 1034 §3.6.2), and Azure DNS alias records
    target public IPs, Traffic Manager and Front Door, not AGC."""
    records: dict[str, ManagedRecords] = {}
    problems: list[Problem] = []
    for service in catalog.services:
        route = service.route
        host = None if route is None or route.gateway is not Gateway.AGC else route.host
        if host is None:
            continue
        managed = _in_zone(host, dns)
        if managed is None:
            continue
        if managed.apex:
            problems.append(
                Problem(
                    path="ingress.host",
                    value=host,
                    problem="is the apex of the platform's DNS zone; a public AKS service is "
                    "served by an Application Gateway for Containers Frontend, which has a "
                    "name and no fixed address, and a zone apex cannot be a CNAME",
                    fix=f"serve a subdomain (e.g. www.{host}) from AKS, or serve the apex from "
                    "Container Apps (an A record to the environment's static IP)",
                    group=f"{service.name} ({service.source})",
                )
            )
            continue
        records[service.name] = managed
    return records, problems


def internal_host_problems(catalog: Catalog, private_zone: str) -> list[Problem]:
    """An internal AKS host resolves only through the platform's private zone, where the platform
    writes its record (to the internal ingress address): a host outside the zone would resolve
    nowhere."""
    return [
        Problem(
            path="ingress.host",
            value=host,
            problem=f"is outside the platform's private DNS zone {private_zone}, so nothing in the "
            "VNet resolves it",
            fix=f"use a name ending in .{private_zone} (the zone is {NAMESPACE}:network."
            "privateDnsZone)",
            group=f"{service.name} ({service.source})",
        )
        for service in catalog.services
        if (route := service.route) is not None
        and route.internal_on_aks
        and (host := route.host) is not None
        and not host.endswith(f".{private_zone}")
    ]


def gateway_host_record(service: str) -> str:
    """The name of the CNAME a public AKS host gets to its Frontend (`PublicGateway`'s child)."""
    return f"{service}-gateway-host"


def domain_address_record(service: str) -> str:
    """The name of the CNAME (A at an apex) a Container Apps host gets (the service's child)."""
    return f"{service}-domain-address"


def gateway_host_alias(service: str) -> pulumi.Alias:
    """For a Container Apps host's CNAME: the same Azure record set, held by the public gateway
    while the service ran on AKS. Moving a service between targets keeps its host's record (an
    update of its value), instead of creating it under one owner and deleting it under the
    other, which would leave the host resolving nowhere."""
    return pulumi.Alias(
        name=gateway_host_record(service),
        parent=pulumi.create_urn(PUBLIC_GATEWAY_NAME, PUBLIC_GATEWAY_COMPONENT),
    )


def container_app_host_alias(service: str) -> pulumi.Alias:
    """For a public AKS host's CNAME: the same record set, held by the service's Container Apps
    component while it ran there (see `gateway_host_alias`)."""
    return pulumi.Alias(
        name=domain_address_record(service),
        parent=pulumi.create_urn(service, CONTAINER_APP_SERVICE_COMPONENT),
    )
