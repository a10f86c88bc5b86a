"""The services' hosts and the gateways that serve them, against the stack they deploy to: the
checks of `infra/services/custom_domains.py` (DNS records a host needs) and
`infra/services/gateway_limits.py` (what a gateway can hold), registered as catalog rules.

They read the stack's ingress (`context.ingress`, from `aks.ingress`: the same value the routes
are decided from) and its config (`context.stack`: `platform:dns`, the private zone)
and run only when the stack deploys services (`platform:deployServices`): the first deploy's
foundation-only step serves no host.
"""

from __future__ import annotations

from infra.config import LocalConfig, PlatformConfig
from infra.services.custom_domains import (
    custom_domains,
    gateway_host_records,
    internal_host_problems,
)
from infra.services.gateway_limits import agc_problems, envoy_problems
from infra.services.local import for_local_cluster
from infra.services.rules.registry import CatalogCheck, catalog_rule

HOSTS = "the service hosts (nothing was registered)"
"""The report's subject for these rules' problems."""


def _azure(check: CatalogCheck) -> PlatformConfig | None:
    stack = check.context.stack
    return stack if isinstance(stack, PlatformConfig) and check.context.deploys_services else None


@catalog_rule("custom domains", subject=HOSTS)
def container_apps_domains(check: CatalogCheck) -> None:
    """A Container Apps host binds only once its DNS records exist (`custom_domains`)."""
    if (stack := _azure(check)) is not None:
        check.problems.extend(custom_domains(check.catalog, stack.dns)[1])


@catalog_rule("internal hosts", subject=HOSTS)
def internal_hosts(check: CatalogCheck) -> None:
    """An internal AKS host resolves only inside the platform's private zone."""
    if (stack := _azure(check)) is not None:
        check.problems.extend(internal_host_problems(check.catalog, stack.private_dns_zone))


@catalog_rule("gateway limits", subject=HOSTS)
def application_gateway_limits(check: CatalogCheck) -> None:
    """Public AKS services fit Application Gateway for Containers (`aks.ingress` gateway,
    both)."""
    mode = check.context.ingress.mode
    if _azure(check) is not None and mode is not None and mode.public_gateway:
        check.problems.extend(agc_problems(check.catalog.services))


@catalog_rule("gateway limits", subject=HOSTS)
def envoy_gateway_limits(check: CatalogCheck) -> None:
    """The hosts served by the shared Envoy Gateway fit its listeners: internal AKS services
    (`aks.ingress` gateway), or every exposed service of the local stack."""
    stack = check.context.stack
    if isinstance(stack, LocalConfig) and stack.deploy_services:
        local = for_local_cluster(check.catalog)
        check.problems.extend(envoy_problems(local.services))
    elif _azure(check) is not None and (mode := check.context.ingress.mode) is not None:
        if mode.internal_gateway:
            check.problems.extend(envoy_problems(check.catalog.services))


@catalog_rule("gateway host records", subject=HOSTS)
def gateway_hosts(check: CatalogCheck) -> None:
    """A public AKS host in the platform's zone gets a CNAME to its Frontend: not at the apex
    (`gateway_host_records`; `aks.ingress` gateway)."""
    mode = check.context.ingress.mode
    if (stack := _azure(check)) is not None and mode is not None and mode.internal_gateway:
        check.problems.extend(gateway_host_records(check.catalog, stack.dns)[1])
