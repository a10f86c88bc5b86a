"""An application stack (`platform:mode: application`): one application of `apps/`, deployed on
the contract its environment's platform stack exports (docs/team-stacks.md).

The contract is read through `pulumi.StackReference` (offline: the platform stack's recorded
outputs, `infra/stacks/recorded.py`). Its values are known in a preview as in an update (a stack
reference reads the deployed platform's state), so the whole application is validated on them,
and built, once they resolve: on bad input (an unknown contract version, an application the
platform did not onboard, a namespace or host outside its grant, a broken declaration) the run
fails before any of the application's resources is registered.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from typing import Any

import pulumi
import pulumi_kubernetes as k8s
from pulumi_azure_native import containerservice

from infra import running_stack
from infra.config import (
    CI_LOGIN_MODE,
    ApplicationStackConfig,
    DnsConfig,
    Environment,
)
from infra.foundation.aks import AKS_CLUSTER_COMPONENT, AKS_CLUSTER_NAME, kubernetes_provider_name
from infra.foundation.kubeconfig import with_login_mode
from infra.policy.safeguards import probe_safeguard
from infra.problems import InvalidInput, Problem
from infra.running_stack import config_keys
from infra.services.catalog import Catalog
from infra.services.custom_domains import CustomDomain, custom_domains, in_zone
from infra.services.deploy import deploy_services
from infra.services.loader import load_applications
from infra.services.render.common import PlatformExtensions
from infra.services.render.dry_run import aks_objects
from infra.services.routes import StackIngress
from infra.services.spec import Application, KeyVaultSecret, Target
from infra.services.validation import stack_context, validate_applications
from infra.services.vault_references import (
    PREFLIGHT,
    ReferenceKind,
    missing_references,
    vault_references,
)
from infra.stacks.contract import (
    CONTRACT_OUTPUT,
    ApplicationGrant,
    PlatformContract,
    parse_contract,
)
from infra.stacks.ingress import unattached_routes
from infra.stacks.registry import neighbours, removal_problems
from infra.stacks.view import contract_facts, contract_foundation

CONTRACT_COMPONENT = "platform:stacks:PlatformContract"
PLATFORM_REFERENCE = "platform"
"""The logical name of the StackReference (its physical name is `platform:platformStack`)."""


def moved_provider_urn() -> str:
    """The URN under which `pulumi state move` leaves a single stack's Kubernetes provider in
    this stack: it copies the provider of the moved objects, renaming only the stack and the
    project in its URN (pulumi/pulumi pkg/cmd/pulumi/state/state_move.go, `rewriteURNs`).

    This stack's provider aliases it, so the moved objects keep their provider: the engine does
    not replace a resource whose provider reference changed to an alias of the old one
    (pkg/resource/deploy/step_generator.go, `providerChanged`). In a stack that moved nothing the
    alias matches nothing."""
    token = f"{AKS_CLUSTER_COMPONENT}$pulumi:providers:kubernetes"
    name = kubernetes_provider_name(AKS_CLUSTER_NAME)
    return f"urn:pulumi:{pulumi.get_stack()}::{pulumi.get_project()}::{token}::{name}"


def _config_path(key: str) -> str:
    return f"platform:{key}"


def grant_problems(
    config: ApplicationStackConfig, contract: PlatformContract
) -> tuple[ApplicationGrant | None, list[Problem]]:
    """The application's grant in the contract, or why this stack cannot use it."""
    problems: list[Problem] = []
    if contract.environment != config.environment.value:
        problems.append(
            Problem(
                _config_path("environment"),
                config.environment.value,
                f"the platform stack {config.platform_stack} is the {contract.environment} "
                "platform",
                f"set platform:environment to {contract.environment}, or platform:platformStack "
                f"to the {config.environment.value} platform stack",
            )
        )
    grant = contract.application(config.application)
    if grant is None:
        onboarded = ", ".join(a.name for a in contract.applications) or "none"
        problems.append(
            Problem(
                _config_path("application"),
                config.application,
                f"is not onboarded by the platform stack {config.platform_stack} (onboarded: "
                f"{onboarded})",
                "add it to platform:applications of the platform stack and deploy that first",
            )
        )
    return grant, problems


def scope_problems(catalog: Catalog, grant: ApplicationGrant) -> list[Problem]:
    """Everything the application declares must lie within what the platform granted it: its
    namespaces and its hosts (another application's namespace or host is refused here, before
    any resource is registered, not by Azure in the middle of an update)."""
    problems: list[Problem] = []
    namespaces = set(grant.namespaces)
    hosts = set(grant.hosts)
    for planned in (*catalog.services, *catalog.jobs):
        group = f"{planned.app} ({planned.spec.__class__.__name__} {planned.name})"
        if planned.spec.target is Target.AKS and planned.namespace not in namespaces:
            problems.append(
                Problem(
                    planned.name,
                    planned.namespace,
                    f"runs in namespace {planned.namespace}, which application {grant.name} "
                    f"does not own (it owns {', '.join(sorted(namespaces))})",
                    "declare it in its own application's stack",
                    group=group,
                )
            )
    for service in catalog.services:
        host = service.spec.ingress.host
        if host and host not in hosts:
            problems.append(
                Problem(
                    f"{service.name}.ingress.host",
                    host,
                    f"is not a host the platform granted application {grant.name} "
                    f"(granted: {', '.join(sorted(hosts)) or 'none'})",
                    f"add it to the hosts of {grant.name} in platform:applications of the "
                    "platform stack (each host belongs to one application)",
                    group=f"{service.app} ({service.name})",
                )
            )
    return problems


def platform_domains(
    catalog: Catalog, contract: PlatformContract, grant: ApplicationGrant
) -> tuple[dict[str, CustomDomain], list[Problem]]:
    """Each Container Apps host's custom domain, its records and certificate the platform's.

    The platform stack writes the asuid TXT and the CNAME of each granted host in its zones
    (`contract.dns.publicZones`; `infra.stacks.ingress.domain_records`) and the environment's
    certificate of each granted host (`platform._host_certificates`), so this stack writes
    neither (`records=None`) and binds the host once the platform has deployed. A granted host
    outside the platform's zones has nobody to write its records, and the contract cannot say
    that someone made them (a single stack's `dns.recordsPresent` is the platform's config, not
    in the contract): refused, as a single stack refuses a host it cannot get records for."""
    written = tuple(
        host for host in grant.hosts if any(in_zone(host, z) for z in contract.dns.public_zones)
    )
    domains, problems = custom_domains(catalog, DnsConfig(records_present=written))
    zones = ", ".join(contract.dns.public_zones) or "none"
    return domains, [
        dataclasses.replace(
            p,
            problem="Container Apps binds a custom domain only once its DNS records exist, and "
            f"the platform writes them only in its DNS zones ({zones})",
            fix="use a host in one of those zones, or ask the platform team to manage a zone "
            f"containing {p.value} (platform:dns.zoneName of the platform stack)",
        )
        for p in problems
    ]


def _own_application(
    config: ApplicationStackConfig, applications: Sequence[Application]
) -> tuple[list[Application], list[Problem]]:
    mine = [a for a in applications if a.name == config.application]
    if mine:
        return mine, []
    known = ", ".join(sorted({a.name for a in applications})) or "none"
    return [], [
        Problem(
            _config_path("application"),
            config.application,
            f"no application of that name is declared (declared: {known})",
            "set it to the name of an Application in apps/",
        )
    ]


def platform_secrets(applications: Sequence[Application]) -> dict[str, list[str]]:
    """Each application's secrets in the platform vault, as its declarations name them (read
    without validating them: one team's broken declaration must not stop the platform)."""
    found: dict[str, set[str]] = {}
    for app in applications:
        names = found.setdefault(app.name, set())
        for spec in (*app.services, *app.jobs):
            for ref in (*spec.secrets.values(), *spec.secret_files.values()):
                if isinstance(ref, KeyVaultSecret) and ref.vault_id is None:
                    names.add(ref.name)
    return {name: sorted(secrets) for name, secrets in found.items()}


def pre_deploy_problems(
    catalog: Catalog,
    contract: PlatformContract,
    application: str,
    mine: Sequence[Application],
) -> list[Problem]:
    """The single stack's pre-deploy refusals, by the same code (`infra.running_stack`): a Key Vault
    secret its services read that is not seeded yet (asked of Azure, never offline), and a
    placeholder image lock on a real deploy. Before any resource is registered, as there.

    Only the secrets the platform grants this identity are asked (Key Vault Secrets Officer on
    each of its platform-vault secrets, whose `Microsoft.KeyVault/vaults/*/read` covers the
    metadata read `secret_exists` makes: Azure built-in roles, "Key Vault Secrets Officer");
    a certificate or a secret in another vault is not its to read, so the report leaves it
    unchecked instead of calling it missing."""
    problems: list[Problem] = []
    exists = running_stack.vault_check()
    if exists is not None:
        granted = set(platform_secrets(mine).get(application, ()))
        references = [
            r
            if r.kind is ReferenceKind.SECRET
            and r.vault == contract.key_vault.name
            and r.name in granted
            else dataclasses.replace(r, resource_group=None)
            for r in vault_references(
                catalog,
                platform_vault=contract.key_vault.name,
                platform_group=contract.resource_group,
                environment=contract.environment,
            )
        ]
        problems += [
            dataclasses.replace(p, group=PREFLIGHT) for p in missing_references(references, exists)
        ]
    problems += [
        dataclasses.replace(p, group=f"{running_stack.lock_shown()} (the image lock)")
        for p in running_stack.lock_problems()
    ]
    return problems


def deploy_application(
    config: ApplicationStackConfig,
    raw_contract: object,
    extensions: PlatformExtensions,
    applications: Sequence[Application],
) -> list[str]:
    """Validate the application against the contract, then deploy it; returns its components'
    names. Raises InvalidInput with every problem before registering anything."""
    contract = parse_contract(raw_contract, stack=config.platform_stack)
    grant, problems = grant_problems(config, contract)
    mine, declaration_problems = _own_application(config, applications)
    problems += declaration_problems
    if problems:
        raise InvalidInput("the application stack (nothing was registered)", problems)
    assert grant is not None
    environment = Environment(contract.environment)
    # Calls across applications: the services it may call and its callers, from the registry.
    known = neighbours(contract, config.application, mine)
    catalog = validate_applications(
        mine,
        dataclasses.replace(
            stack_context(
                environment,
                config_keys(),
                platform=(contract.key_vault.name, StackIngress(contract.ingress_mode)),
                aks_objects=aks_objects,
            ),
            neighbours=known.planned,
            published=known.published,
        ),
    )
    problems = scope_problems(catalog, grant)
    problems += removal_problems(contract, config.application, catalog)
    domains, host_problems = platform_domains(catalog, contract, grant)
    problems += host_problems
    problems += pre_deploy_problems(catalog, contract, config.application, mine)
    if problems:
        raise InvalidInput("the application stack (nothing was registered)", problems)

    ready = pulumi.ComponentResource(CONTRACT_COMPONENT, PLATFORM_REFERENCE)
    ready.register_outputs({"version": contract.version})
    credentials = containerservice.list_managed_cluster_user_credentials_output(
        resource_group_name=contract.resource_group,
        resource_name=contract.cluster.name,
        opts=pulumi.InvokeOutputOptions(parent=ready),
    )
    provider = k8s.Provider(
        "aks",
        kubeconfig=pulumi.Output.secret(
            credentials.kubeconfigs.apply(lambda k: with_login_mode(k[0].value, CI_LOGIN_MODE))
        ),
        cluster_identifier=contract.cluster.id,
        enable_server_side_apply=True,
        opts=pulumi.ResourceOptions(parent=ready, aliases=[moved_provider_urn()]),
    )
    handlers = (
        probe_safeguard().probe_handlers
        if contract.cluster.deployment_safeguards == "Enforce"
        else None
    )
    facts = contract_facts(contract, handlers)
    # The shared Gateways are the platform's (infra/stacks/ingress.py): a route it lists no
    # listener for attaches once the platform deploys with it.
    for warning in unattached_routes(catalog, contract, facts, extensions):
        pulumi.log.warn(f"shared ingress: {warning}")
    foundation = contract_foundation(contract, grant, ready)
    services = deploy_services(
        catalog,
        foundation,
        provider,
        facts,
        extensions,
        domains=domains,
        platform_owned=ready,
    )
    for resource_id in foundation.placement.unclaimed():
        pulumi.log.warn(
            f"adopted: {resource_id} is none of {grant.name}'s Container Apps, jobs and identities "
            "→ a removed service's: this stack deletes it, then drop it from adopted in the "
            "platform's platform:applications; else adopted lists a wrong id (python -m "
            "infra.stacks migrate --state prints the deployed ones)"
        )
    return sorted(services)


def stack_output(reference: pulumi.StackReference, name: str) -> pulumi.Output[Any]:
    """`reference.get_output(name)` without its cost in the size of the referenced stack's
    outputs (docs/performance.md, "Team stacks").

    The SDK's `get_output` (pulumi 3.272, sdk/python/lib/pulumi/stack_reference.py) is
    `Output.all(Output.from_input(name), self.outputs).apply(...)`, and `Output.from_input` of
    an Output deep-unwraps its value: one Output per dict, list and leaf of *every* output of
    the platform stack, and each Output walks its value again for unknowns
    (`_OutputData.__post_init__`, output.py). The contract's registry lists every onboarded
    application's services, so each application's preview grew with the number of other
    applications (40 applications of 10 services: ~20,000 Outputs, a plan of 0.9 s instead of
    0.3 s). A deserialized stack output holds no Output, so there is nothing to unwrap: this
    reads the value from the reference's outputs in one Output (one walk). Secret as
    `get_output` decides it (`StackReference.__is_secret_name`): the output is secret when the
    platform lists it in `secretOutputNames`, else, when those names are unknown or absent (an
    older CLI), when the outputs as a whole are. It depends on the reference, and is unknown
    while the referenced outputs are."""
    outputs, names = reference.outputs, reference.secret_output_names

    async def value() -> Any:
        found = await outputs.future()
        return found.get(name) if found else None

    async def secret() -> bool:
        listed = await names.future() if await names.is_known() else None
        return await outputs.is_secret() if listed is None else name in listed

    return pulumi.Output(outputs.resources(), value(), outputs.is_known(), secret())


def build_application(
    config: ApplicationStackConfig,
    extensions: PlatformExtensions,
    applications: Sequence[Application] | None,
) -> pulumi.Output[list[str]]:
    """The application stack's program (the dispatch in `infra.program.build` calls it)."""
    declared = load_applications() if applications is None else list(applications)
    reference = pulumi.StackReference(PLATFORM_REFERENCE, stack_name=config.platform_stack)
    components = stack_output(reference, CONTRACT_OUTPUT).apply(
        lambda raw: deploy_application(config, raw, extensions, declared)
    )
    pulumi.export("application", config.application)
    pulumi.export("components", components)
    return components
