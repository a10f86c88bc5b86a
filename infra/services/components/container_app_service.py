"""`ContainerAppService`: one service on Azure Container Apps, from its validated spec."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import pulumi
from pulumi_azure_native import app, dns

from infra.constants import CONTAINER_APP_SERVICE_COMPONENT, CONTAINER_APP_TYPE
from infra.foundation.common import Placement
from infra.services.catalog import Catalog, PlannedService
from infra.services.components.identity import create_identity, grants_in_force
from infra.services.custom_domains import (
    CustomDomain,
    ManagedRecords,
    domain_address_record,
    environment_certificate_id,
    gateway_host_alias,
)
from infra.services.render.common import PlatformExtensions, PlatformFacts, Text
from infra.services.render.container_apps import render_on_container_apps
from infra.services.render.revisions import running_revision


@dataclass(frozen=True)
class ContainerAppServiceArgs:
    service: PlannedService
    catalog: Catalog
    facts: PlatformFacts
    extensions: PlatformExtensions
    placement: Placement
    environment_id: pulumi.Input[str]
    environment_name: pulumi.Input[str]
    certificate_identity_id: pulumi.Input[str]
    pull_identity_id: pulumi.Input[str]
    pull_ready: pulumi.Resource
    """The pull identity's AcrPull has propagated: the first revision pulls its image at once."""
    certificates_ready: pulumi.Resource
    """The environment's certificate identity may read the vault."""
    custom_domain: CustomDomain | None
    environment_domain: pulumi.Input[str]
    environment_static_ip: pulumi.Input[str]
    domain_verification_id: pulumi.Input[str]
    platform_vault_id: pulumi.Input[str]
    config_secrets: Mapping[str, Text]
    environment_group: pulumi.Input[str] | None = None
    """The environment's resource group when it is not `placement`'s (an application stack:
    its certificates are children of the platform's environment, docs/team-stacks.md)."""
    platform_certificates: bool = False
    """An application stack: the platform stack writes the environment's certificate of each
    granted host (`infra/stacks/platform.py`); the app binds it by its derived id and writes
    none (its identity may neither write the environment's certificates nor assign the
    certificate identity, which reads the whole vault: docs/team-stacks.md)."""


class ContainerAppService(pulumi.ComponentResource):
    """Identity and roles first, then the Container App that uses them."""

    fqdn: pulumi.Output[str]

    def __init__(
        self, name: str, args: ContainerAppServiceArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__(CONTAINER_APP_SERVICE_COMPONENT, name, None, opts)
        service = args.service
        placement = args.placement
        identity = create_identity(
            self, service.spec, placement, args.facts.environment.value, args.platform_vault_id
        )
        # Its group (the platform's for one it adopted, docs/team-stacks.md, Migration).
        home = placement.home(CONTAINER_APP_TYPE, service.name)
        depends: list[pulumi.Resource] = [args.pull_ready]
        if identity is not None and identity.grants:
            # A revision reads its Key Vault secrets when it is created and fails if the grant
            # has not propagated yet.
            depends.append(grants_in_force(self, service.name, identity))
        certificate_id: pulumi.Input[str] | None = None
        tls = service.spec.ingress.tls
        route = service.route
        if tls is not None and args.platform_certificates:
            host = route.host if route is not None else None
            if host is not None:
                certificate_id = environment_certificate_id(args.environment_id, host)
        elif tls is not None:
            certificate_id = environment_certificate(
                self,
                service.name,
                tls.key_vault_certificate_uri,
                environment_name=args.environment_name,
                resource_group_name=args.environment_group or placement.resource_group_name,
                location=placement.location,
                identity_id=args.certificate_identity_id,
                tags=home.tags,
                ready=args.certificates_ready,
            ).id
        if args.custom_domain is not None and args.custom_domain.records is not None:
            depends += domain_records(
                self,
                service.name,
                args.custom_domain.records,
                verification_id=args.domain_verification_id,
                static_ip=args.environment_static_ip,
                environment_domain=args.environment_domain,
            )
        plan = render_on_container_apps(
            service,
            catalog=args.catalog,
            facts=args.facts,
            extensions=args.extensions,
            identity_id=identity.identity.id if identity else None,
            pull_identity_id=args.pull_identity_id,
            config_values=args.config_secrets,
            certificate_id=certificate_id,
            stable_revision=_stable_revision(service.name, home)
            if service.spec.rollout is not None
            else None,
        )
        container_app = app.ContainerApp(
            service.name,
            container_app_name=plan.name,
            resource_group_name=home.resource_group_name,
            location=home.location,
            managed_environment_id=args.environment_id,
            workload_profile_name=plan.workload_profile_name,
            identity=plan.identity,
            configuration=plan.configuration,
            template=plan.template,
            tags={**home.tags, **plan.tags},
            opts=pulumi.ResourceOptions(parent=self, depends_on=depends),
        )
        self.fqdn = container_app.latest_revision_fqdn
        self.register_outputs({"fqdn": self.fqdn})


def _stable_revision(app_name: str, placement: Placement) -> pulumi.Output[str]:
    """The revision the app runs now, read from Azure at preview and at deploy (not from the
    declaration: see render/revisions.py). Only asked during a rollout, which needs the app to
    exist already."""
    live = app.get_container_app_output(
        container_app_name=app_name, resource_group_name=placement.resource_group_name
    )
    return live.apply(_running_revision)


def _running_revision(result: app.GetContainerAppResult) -> str:
    ingress = result.configuration.ingress if result.configuration else None
    traffic = (ingress.traffic or []) if ingress else []
    return running_revision(
        ((entry.label, entry.revision_name) for entry in traffic),
        result.latest_ready_revision_name,
        result.latest_revision_name,
    )


def domain_records(
    parent: pulumi.Resource | None,
    app_name: str,
    records: ManagedRecords,
    *,
    verification_id: pulumi.Input[str],
    static_ip: pulumi.Input[str],
    environment_domain: pulumi.Input[str],
) -> list[pulumi.Resource]:
    """The TXT and CNAME (A at the apex) records Azure checks before binding the host; the app's
    address `<app>.<environment domain>` is known before the app exists. `parent`: the app's
    component in a single stack; None in a platform stack (infra/stacks/platform.py), which
    writes them for its onboarded applications at the stack's root."""
    verification = dns.RecordSet(
        f"{app_name}-domain-verification",
        zone_name=records.zone,
        resource_group_name=records.resource_group,
        relative_record_set_name=records.verification_name,
        record_type="TXT",
        ttl=3600,
        txt_records=[dns.TxtRecordArgs(value=[verification_id])],
        opts=pulumi.ResourceOptions(parent=parent),
    )
    address = (
        dns.RecordSet(
            domain_address_record(app_name),
            zone_name=records.zone,
            resource_group_name=records.resource_group,
            relative_record_set_name="@",
            record_type="A",
            ttl=300,
            a_records=[dns.ARecordArgs(ipv4_address=static_ip)],
            opts=pulumi.ResourceOptions(parent=parent),
        )
        if records.apex
        else dns.RecordSet(
            domain_address_record(app_name),
            zone_name=records.zone,
            resource_group_name=records.resource_group,
            relative_record_set_name=records.relative_name,
            record_type="CNAME",
            ttl=300,
            cname_record=dns.CnameRecordArgs(
                cname=pulumi.Output.concat(app_name, ".", environment_domain)
            ),
            # Moving the service from AKS: the public gateway's CNAME of this host is this one.
            opts=pulumi.ResourceOptions(parent=parent, aliases=[gateway_host_alias(app_name)]),
        )
    )
    return [verification, address]


def environment_certificate(
    parent: pulumi.Resource | None,
    app_name: str,
    certificate_uri: str,
    *,
    environment_name: pulumi.Input[str],
    resource_group_name: pulumi.Input[str],
    location: str,
    identity_id: pulumi.Input[str],
    tags: Mapping[str, str],
    ready: pulumi.Resource,
    certificate_name: str | None = None,
) -> app.Certificate:
    """A custom domain's certificate in the environment, read from Key Vault by the
    environment's certificate identity once its grant has propagated (`ready`). `parent`: the
    app's component in a single stack (`<app>-certificate`, autonamed); None in a platform
    stack, which names it (logical and Azure name) for its host (`environment_certificate_name`),
    so the application binds it by id and it is never mistaken for a single stack's."""
    return app.Certificate(
        certificate_name or f"{app_name}-certificate",
        certificate_name=certificate_name,
        environment_name=environment_name,
        resource_group_name=resource_group_name,
        location=location,
        properties=app.CertificatePropertiesArgs(
            certificate_key_vault_properties=app.CertificateKeyVaultPropertiesArgs(
                identity=identity_id,
                key_vault_url=key_vault_secret_id(certificate_uri),
            )
        ),
        tags=dict(tags),
        opts=pulumi.ResourceOptions(parent=parent, depends_on=[ready]),
    )


def key_vault_secret_id(certificate_uri: str) -> str:
    """The secret identifier behind a Key Vault certificate, which Container Apps requires.

    `certificateKeyVaultProperties.keyVaultUrl` is "URL pointing to the Azure Key Vault secret that
    holds the certificate" (SDK docstring; Container Apps "Import certificates from Key Vault"):
    every Key Vault certificate has a secret of the same name holding its key and chain.
    `https://<vault>/certificates/<name>[/<version>]` → `https://<vault>/secrets/<name>[/<version>]`.
    """
    prefix, marker, rest = certificate_uri.partition("/certificates/")
    return f"{prefix}/secrets/{rest}" if marker else certificate_uri
