"""Rules of custom domains on Container Apps."""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from typing import Any

from infra.plan.kinds import (
    ACA_CERTIFICATE,
    DNS_RECORD_SET,
    NETWORK_RECORD_SET,
    PRIVATE_RECORD_SET,
)
from infra.plan.paths import value_at
from infra.simulate.plan import PlannedResource, stack_of
from infra.simulate.references import CONTAINER_APP
from infra.simulate.registry import Refusal, StepContext, rule

# Public DNS record sets are `dns:RecordSet` in pulumi-azure-native 3.x (installed here); the
# issue-11 contract says `network:RecordSet` (the 2.x name): both are recognised.
RECORD_SETS = (DNS_RECORD_SET, NETWORK_RECORD_SET)
PRIVATE_RECORD_SETS = (PRIVATE_RECORD_SET,)


def _fqdn(relative: str, zone: str) -> str:
    relative = relative.strip().rstrip(".")
    zone = zone.strip().rstrip(".")
    return zone.lower() if relative in ("", "@") else f"{relative}.{zone}".lower()


def declared_records(config: Mapping[str, Any]) -> set[tuple[str, str]]:
    """The records a stack's config declares made outside it (`platform:dns.recordsPresent`:
    both records of each host, the `asuid` TXT and the CNAME)."""
    dns = config.get("platform:dns")
    hosts = (dns.get("recordsPresent") if isinstance(dns, dict) else None) or ()
    return {r for h in hosts for r in (("TXT", f"asuid.{h}".lower()), ("CNAME", str(h).lower()))}


def present_records(ctx: StepContext) -> set[tuple[str, str]]:
    """DNS records that exist when this step starts: in the world, declared present in the
    stack config (`declared_records`), or created by a RecordSet this step waits for."""
    records = ctx.world.dns_records | declared_records(ctx.plan.config)
    for record in ctx.existing(*RECORD_SETS):
        inputs = record.inputs
        name = _fqdn(str(inputs.get("relativeRecordSetName", "")), str(inputs.get("zoneName", "")))
        records.add((str(inputs.get("recordType", "")).upper(), name))
    return records


@rule(
    "aca-custom-domain-records",
    refuses="a Container Apps custom domain bound before its `asuid.<host>` TXT record and its "
    "CNAME (or A) record exist",
    source="Container Apps docs 'Custom domain names and certificates' (domain verification "
    "TXT asuid.<host>, CNAME to the app); issue 11 defect 4",
)
def domain_records(ctx: StepContext) -> Iterator[Refusal]:
    """Container Apps verify domain ownership when the hostname is bound: the TXT record
    `asuid.<host>` must hold the environment's verification id and the host must resolve to the
    app (CNAME, or A for an apex) already."""
    if ctx.resource.type != CONTAINER_APP:
        return
    records = present_records(ctx)
    for domain in value_at(ctx.resource.inputs, "configuration.ingress.customDomains") or ():
        host = str(domain.get("name", "")).lower() if isinstance(domain, dict) else ""
        if not host:
            continue
        missing = []
        if ("TXT", f"asuid.{host}") not in records:
            missing.append(f"TXT asuid.{host}")
        if ("CNAME", host) not in records and ("A", host) not in records:
            missing.append(f"CNAME {host}")
        if missing:
            yield ctx.refuse(
                "aca-custom-domain-records",
                f"custom domain {host} is bound but {' and '.join(missing)} do not exist yet.",
                "create them first: in a managed zone as azure-native:dns:RecordSet this app "
                f"depends on, or by hand and then list {host} in `platform:dns.recordsPresent`.",
            )


_ENVIRONMENT_CERTIFICATE = re.compile(
    r"/managedEnvironments/(?P<environment>[^/]+)/certificates/(?P<name>[^/]+)$", re.IGNORECASE
)


def _certificate_matches(
    certificate: PlannedResource, certificate_id: str, read_from: tuple[str, ...]
) -> bool:
    """The custom domain names this Certificate: its id is computed from it (a single stack
    binds `certificate.id`: the snapshot's `reads`), or it is `{environmentId}/certificates/
    {name}` with its environment and name (an application stack binds the platform's
    certificate by its derived id, `infra.services.custom_domains.environment_certificate_id`)."""
    if certificate.urn in read_from:
        return True
    found = _ENVIRONMENT_CERTIFICATE.search(certificate_id)
    if found is None:
        return False
    inputs = certificate.inputs
    name = str(inputs.get("certificateName") or certificate.name)
    return (
        str(inputs.get("environmentName", "")).lower() == found["environment"].lower()
        and name.lower() == found["name"].lower()
    )


@rule(
    "aca-custom-domain-certificate",
    refuses="a Container Apps custom domain bound to a certificate that does not exist in the "
    "managed environment yet",
    source="Container Apps REST API 2025-02-02-preview, CommonDefinitions.json `CustomDomain."
    "certificateId`: 'Resource Id of the Certificate to be bound to this hostname. Must exist "
    "in the Managed Environment.' (upstream/azure-rest-api-specs/container-apps-certificates.json)",
)
def domain_certificate(ctx: StepContext) -> Iterator[Refusal]:
    """An environment certificate is its own resource (`Microsoft.App/managedEnvironments/
    certificates`); in team stacks the platform stack writes it and the application's Container
    App binds it by id, so it exists only once the platform has deployed with that host."""
    if ctx.resource.type != CONTAINER_APP:
        return
    certificates = ctx.existing(ACA_CERTIFICATE)
    domains = value_at(ctx.resource.inputs, "configuration.ingress.customDomains") or ()
    for index, domain in enumerate(domains):
        if not isinstance(domain, dict) or not domain.get("certificateId"):
            continue
        certificate_id = str(domain["certificateId"])
        read_from = ctx.resource.reads.get(
            f"configuration.ingress.customDomains.{index}.certificateId", ()
        )
        if any(_certificate_matches(c, certificate_id, read_from) for c in certificates):
            continue
        host = str(domain.get("name", ""))
        yield ctx.refuse(
            "aca-custom-domain-certificate",
            f"custom domain {host} is bound to certificate {certificate_id}, which does not "
            "exist in the environment yet.",
            "create the certificate first (a single stack: the service's Certificate; team "
            f"stacks: deploy the platform stack with {host} granted to this application and "
            "its TLS declared, then this stack).",
        )


@rule(
    "dns-record-set-exists",
    refuses="creating a DNS record set under a name that already holds records made outside "
    "the stack (any record beside a CNAME, or a record set of the same type)",
    source="RFC 1034 §3.6.2 and Azure DNS docs 'CNAME records' (a CNAME cannot share its name "
    "with other records; Azure DNS refuses the record set); pulumi-azure-native refuses to "
    "create a resource that already exists (import it instead)",
)
def record_set_not_taken(ctx: StepContext) -> Iterator[Refusal]:
    """A host moved to the platform's zone (AGC public hosts with `aks.ingress: gateway`,
    Container Apps custom domains) often has a record someone made by hand: the platform's
    record set must not be created on top of it."""
    if ctx.resource.type not in RECORD_SETS or ctx.action != "create":
        return
    inputs = ctx.resource.inputs
    record_type = str(inputs.get("recordType", "")).upper()
    name = _fqdn(str(inputs.get("relativeRecordSetName", "")), str(inputs.get("zoneName", "")))
    taken = sorted(t for t, n in ctx.world.dns_records if n == name)
    if record_type in taken or (taken and record_type == "CNAME") or "CNAME" in taken:
        yield ctx.refuse(
            "dns-record-set-exists",
            f"{record_type} {name} would be created, but {', '.join(taken)} {name} already "
            "exists outside the stack.",
            f"delete the hand-made record (or `pulumi import` it as this record set) before the "
            f"deploy that writes {name}.",
        )


def record_set_id(resource: PlannedResource) -> tuple[str, str, str, str]:
    """What Azure names a record set by: resource group, zone, name, type."""
    inputs = resource.inputs
    zone = str(inputs.get("zoneName") or inputs.get("privateZoneName") or "")
    return (
        str(inputs.get("resourceGroupName", "")).lower(),
        zone.lower(),
        _fqdn(str(inputs.get("relativeRecordSetName", "")), zone),
        str(inputs.get("recordType", "")).upper(),
    )


@rule(
    "dns-record-set-held",
    refuses="creating a DNS record set that another resource of the stack holds and this "
    "deploy deletes (a record moved to a new owner without an alias)",
    source="pulumi-azure-native refuses to create a resource that already exists (import it "
    "instead); pulumi/pulumi pkg/resource/deploy/deployment_executor.go `performDeletes`: the "
    "resources the program no longer registers are deleted after every other step, so the old "
    "owner's delete removes the record; step_generator.go matches a new URN to the old "
    "state through the resource's aliases",
)
def record_set_not_held(ctx: StepContext) -> Iterator[Refusal]:
    """A record set is one Azure resource whichever component registers it: moving it (a
    service moved between targets, an ingress switched) needs an alias to the old URN, so the
    engine updates it in place."""
    tokens = (*RECORD_SETS, *PRIVATE_RECORD_SETS)
    if ctx.resource.type not in tokens or ctx.action != "create":
        return
    wanted = record_set_id(ctx.resource)
    for held in ctx.world.resources.values():
        if held.type not in tokens or held.urn == ctx.resource.urn:
            continue
        if record_set_id(held) != wanted or held.urn in ctx.plan.resources:
            continue
        if stack_of(held.urn) != stack_of(ctx.resource.urn):
            continue  # another stack's, which this deploy does not delete (`held.py`)
        _, _, name, kind = wanted
        yield ctx.refuse(
            "dns-record-set-held",
            f"{kind} {name} would be created, but {held.urn} holds it and this deploy deletes "
            "that resource after creating this one: the create fails (it exists), and the "
            "delete would remove the record.",
            f"give this record set pulumi.Alias(name={held.name!r}, parent=<the old parent's "
            "URN>) so the engine updates the record in place.",
        )
