"""The Container Apps environment: VNet-integrated, workload profiles, logs to Log Analytics."""

from __future__ import annotations

from dataclasses import dataclass

import pulumi
from pulumi_azure_native import app, privatedns

from infra.config import ContainerAppsConfig
from infra.constants import CONSUMPTION_PROFILE, KEY_VAULT_SECRETS_USER_ROLE
from infra.foundation.common import Placement
from infra.foundation.propagation import DATA_PLANE_PROPAGATION, propagation_wait


@dataclass(frozen=True)
class ContainerAppsEnvironmentArgs:
    placement: Placement
    config: ContainerAppsConfig
    infrastructure_subnet_id: pulumi.Input[str]
    log_analytics_customer_id: pulumi.Input[str]
    log_analytics_shared_key: pulumi.Input[str]
    key_vault_id: pulumi.Input[str]
    vnet_id: pulumi.Input[str]


class ContainerAppsEnvironment(pulumi.ComponentResource):
    """A workload-profiles environment: Consumption for scale-to-zero services, optional
    dedicated profiles for steady or large ones."""

    environment_id: pulumi.Output[str]
    default_domain: pulumi.Output[str]
    static_ip: pulumi.Output[str]
    certificate_identity_id: pulumi.Output[str]
    environment_name: pulumi.Output[str]
    domain_verification_id: pulumi.Output[str]
    """The value of every custom domain's `asuid.<host>` TXT record."""
    certificates_ready: pulumi.Resource
    """Waited for by every Key Vault certificate: the identity's grant has propagated."""

    def __init__(
        self,
        name: str,
        args: ContainerAppsEnvironmentArgs,
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        super().__init__("platform:foundation:ContainerAppsEnvironment", name, None, opts)
        placement = args.placement
        profiles = [
            app.WorkloadProfileArgs(
                name=CONSUMPTION_PROFILE, workload_profile_type=CONSUMPTION_PROFILE
            ),
            *(
                app.WorkloadProfileArgs(
                    name=profile.name,
                    workload_profile_type=profile.type,
                    minimum_count=profile.min_count,
                    maximum_count=profile.max_count,
                )
                for profile in args.config.workload_profiles
            ),
        ]
        # The environment reads custom-domain certificates from the platform vault with this.
        certificates = placement.identity(f"{name}-certificates", self)
        certificate_grant = placement.grant(
            f"{name}-certificates-keyvault",
            role_guid=KEY_VAULT_SECRETS_USER_ROLE,
            principal_id=certificates.principal_id,
            scope=args.key_vault_id,
            description="Container Apps read custom-domain certificates",
            parent=self,
        )
        environment = app.ManagedEnvironment(
            f"{name}-env",
            resource_group_name=placement.resource_group_name,
            location=placement.location,
            vnet_configuration=app.VnetConfigurationArgs(
                infrastructure_subnet_id=args.infrastructure_subnet_id,
                internal=args.config.internal,
            ),
            workload_profiles=profiles,
            zone_redundant=args.config.zone_redundant,
            app_logs_configuration=app.AppLogsConfigurationArgs(
                destination="log-analytics",
                log_analytics_configuration=app.LogAnalyticsConfigurationArgs(
                    customer_id=args.log_analytics_customer_id,
                    shared_key=args.log_analytics_shared_key,
                ),
            ),
            # Traffic between apps inside the environment is encrypted too.
            peer_traffic_configuration=app.ManagedEnvironmentPeerTrafficConfigurationArgs(
                encryption=app.ManagedEnvironmentEncryptionArgs(enabled=True)
            ),
            identity=app.ManagedServiceIdentityArgs(
                type=app.ManagedServiceIdentityType.USER_ASSIGNED,
                user_assigned_identities=[certificates.id],
            ),
            tags=placement.tags,
            opts=pulumi.ResourceOptions(
                parent=self,
                depends_on=[certificate_grant],
                # The environment's subnet and zone redundancy cannot change in place.
                replace_on_changes=["vnetConfiguration", "zoneRedundant"],
            ),
        )
        if args.config.internal:
            # An internal environment has no public DNS: resolve its domain inside the VNet.
            zone = placement.private_zone(
                f"{name}-private-zone", environment.default_domain, args.vnet_id, self
            )
            privatedns.PrivateRecordSet(
                f"{name}-wildcard",
                private_zone_name=zone.name,
                resource_group_name=placement.resource_group_name,
                record_type="A",
                relative_record_set_name="*",
                ttl=300,
                a_records=[privatedns.ARecordArgs(ipv4_address=environment.static_ip)],
                opts=pulumi.ResourceOptions(parent=self),
            )
        self.certificates_ready = propagation_wait(
            f"{name}-certificates-propagation",
            duration=DATA_PLANE_PROPAGATION,
            grants=[certificate_grant],
            triggers={"identity": certificates.principal_id},
            parent=self,
        )
        self.certificate_identity_id = certificates.id
        self.domain_verification_id = environment.custom_domain_configuration.apply(
            lambda domains: (domains.custom_domain_verification_id if domains else None) or ""
        )
        self.environment_id = environment.id
        self.environment_name = environment.name
        self.default_domain = environment.default_domain
        self.static_ip = environment.static_ip
        self.environment_group: pulumi.Input[str] | None = None
        """None: in the placement's group (`infra.services.foundation_view`)."""
        self.register_outputs(
            {"environmentId": self.environment_id, "defaultDomain": self.default_domain}
        )
