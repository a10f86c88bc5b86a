"""Rules across workloads: unique names, dependencies that resolve to something callable, and
routes no two services claim. Each sees every validated service, job and chart at once."""

from __future__ import annotations

import re
from collections.abc import Iterator
from enum import Enum

from infra.input_errors import did_you_mean
from infra.services.catalog import Planned, PlannedService
from infra.services.patterns import ENV_NAME
from infra.services.rules.registry import Relations, relation_rule
from infra.services.spec import AddressForm, Dependency, Exposure, Protocol, ServiceSpec, Target


class Callee(Enum):
    """What a dependency's name resolves to, in this order of precedence."""

    ITSELF = "itself"
    JOB = "job"
    SERVICE = "service"
    CHART = "chart"
    UNKNOWN = "unknown"


def _callee(r: Relations, caller: Planned, dep: Dependency) -> Callee:
    if dep.service == caller.spec.name:
        return Callee.ITSELF
    if dep.service in r.services_by_name:
        return Callee.SERVICE
    if dep.service in r.jobs_by_name:
        return Callee.JOB
    if dep.service in r.charts_by_name:
        return Callee.CHART
    return Callee.UNKNOWN


def _dependencies(r: Relations, *kinds: Callee) -> Iterator[tuple[Planned, str, Dependency]]:
    """Each caller's dependencies that resolve to one of `kinds`, with their path."""
    for caller in r.callers:
        for index, dep in enumerate(caller.spec.dependencies):
            if _callee(r, caller, dep) in kinds:
                yield caller, f"dependencies[{index}]", dep


def _kind(caller: Planned) -> str:
    return "service" if isinstance(caller, PlannedService) else "job"


@relation_rule("names")
def charts_are_not_named_like_workloads(r: Relations) -> None:
    """A chart release shares the namespace's Service names with services and jobs: a clash
    would have two owners for one name."""
    for chart in r.charts:
        if chart.name in r.services_by_name or chart.name in r.jobs_by_name:
            r.add(
                chart,
                "name",
                chart.name,
                "is also a service name"
                if chart.name in r.services_by_name
                else "is also a job name",
                "give the chart release its own name",
            )


@relation_rule("names")
def chart_names_are_unique(r: Relations) -> None:
    """Chart release names are unique across the platform: Helm would install one over the
    other."""
    for chart in r.charts:
        first = r.charts_by_name[chart.name]
        if first is not chart:
            r.add(
                chart,
                "name",
                chart.name,
                f"is also declared in {first.source}",
                "chart release names are unique across the platform: rename one",
            )


@relation_rule("names")
def service_names_are_unique(r: Relations) -> None:
    """A service name is its DNS name, its identity's and its Container App's: two services
    under one name would overwrite each other."""
    for service in r.services:
        first = r.services_by_name[service.name]
        if first is not service:
            r.add(
                service,
                "name",
                service.name,
                f"is also declared in {first.source}",
                "service names are unique across the platform: rename one",
            )


@relation_rule("names")
def job_names_are_unique(r: Relations) -> None:
    """Jobs share the name space of services (identities, Container Apps resources)."""
    for job in r.jobs:
        service = r.services_by_name.get(job.name)
        first = r.jobs_by_name[job.name]
        other = service.source if service else first.source if first is not job else None
        if other is not None:
            r.add(
                job,
                "name",
                job.name,
                f"is also declared in {other}",
                "service and job names are unique across the platform: rename one",
            )


@relation_rule("dependencies")
def no_dependency_on_itself(r: Relations) -> None:
    """A workload reaches itself without the platform: a self-dependency is a typo."""
    for caller, path, dep in _dependencies(r, Callee.ITSELF):
        r.add(caller, f"{path}.service", dep.service, f"is the {_kind(caller)} itself", "remove it")


@relation_rule("dependencies")
def no_dependency_on_a_job(r: Relations) -> None:
    """A job serves no traffic: there is no address to inject or allow."""
    for caller, path, dep in _dependencies(r, Callee.JOB):
        r.add(
            caller,
            f"{path}.service",
            dep.service,
            "is a job, which serves no traffic",
            "depend on the service the job works for, or trigger the job instead",
        )


@relation_rule("dependencies")
def dependencies_are_declared(r: Relations) -> None:
    """A dependency names a declared service or chart (with the closest names as the fix): an
    unknown one would render an address that resolves nowhere."""
    names = [*r.services_by_name, *r.charts_by_name]
    for caller, path, dep in _dependencies(r, Callee.UNKNOWN):
        close = did_you_mean(dep.service, names, limit=3)
        r.add(
            caller,
            f"{path}.service",
            dep.service,
            "is not a declared service",
            f"did you mean {', '.join(close)}?"
            if close
            else "declare that service or fix the name",
        )


@relation_rule("dependencies")
def charts_are_called_from_aks(r: Relations) -> None:
    """A Helm chart runs inside the cluster, behind its ClusterIP Service: Container Apps
    cannot reach it."""
    for caller, path, dep in _dependencies(r, Callee.CHART):
        if caller.spec.target is not Target.AKS:
            r.add(
                caller,
                f"{path}.service",
                dep.service,
                "is a Helm chart on AKS, which Container Apps cannot reach",
                f"target AKS for this {_kind(caller)}, or use an Azure service (e.g. Azure Cache)",
            )


@relation_rule("dependencies")
def chart_dependencies_name_no_port(r: Relations) -> None:
    """A chart is declared with the one port its Service exposes."""
    for caller, path, dep in _dependencies(r, Callee.CHART):
        if dep.port is not None:
            r.add(caller, f"{path}.port", dep.port, "charts expose one port", "leave port out")


@relation_rule("dependencies")
def dependency_ports_exist(r: Relations) -> None:
    """The port a dependency names is one the callee declares (None: its first), so the
    address and the NetworkPolicy name a port that listens."""
    for caller, path, dep in _dependencies(r, Callee.SERVICE):
        callee = r.services_by_name[dep.service].spec
        if callee.port_named(dep.port) is None:
            r.add(
                caller,
                f"{path}.port",
                dep.port,
                f"'{dep.service}' has no such port"
                if callee.ports
                else f"'{dep.service}' has no ports",
                f"use one of: {', '.join(p.name for p in callee.ports) or 'none'}",
            )


@relation_rule("dependencies")
def dependency_env_is_a_variable_name(r: Relations) -> None:
    """The address is injected as an environment variable: the name must be one a shell and
    Container Apps accept."""
    for caller, path, dep in _dependencies(r, Callee.SERVICE, Callee.CHART):
        if dep.env is not None and not ENV_NAME.match(dep.env):
            r.add(
                caller,
                f"{path}.env",
                dep.env,
                "is not a valid variable name",
                "use letters, digits and '_'",
            )
        for name in dep.also_env:
            if not ENV_NAME.match(name):
                r.add(
                    caller,
                    f"{path}.also_env[{name!r}]",
                    None,
                    "is not a valid variable name",
                    "use letters, digits and '_'",
                )


_SCHEME = re.compile(r"^[a-z][a-z0-9+.-]*$")


def _callee_protocol(r: Relations, dep: Dependency) -> Protocol | None:
    """The protocol of the port a dependency names (None: not resolvable, reported elsewhere)."""
    if dep.service in r.services_by_name:
        port = r.services_by_name[dep.service].spec.port_named(dep.port)
        return None if port is None else port.protocol
    chart = r.charts_by_name.get(dep.service)
    return None if chart is None else chart.chart.protocol


@relation_rule("dependencies")
def address_forms_fit_the_protocol(r: Relations) -> None:
    """An address must be one the callee's port can have: a custom scheme (`amqp://`,
    `mongodb://`) names a tcp protocol, never an http or grpc port (whose scheme the target
    decides: http inside AKS, https on Container Apps); a scheme and a suffix belong to the URL
    form, and a suffix needs a scheme to follow."""
    for caller, path, dep in _dependencies(r, Callee.SERVICE, Callee.CHART):
        protocol = _callee_protocol(r, dep)
        urls = [n for n, f in dep.variables().items() if f is AddressForm.URL]
        if dep.scheme is not None:
            if not _SCHEME.match(dep.scheme):
                r.add(
                    caller,
                    f"{path}.scheme",
                    dep.scheme,
                    "is not a URL scheme",
                    "use lowercase letters, digits, '+', '-' or '.', e.g. amqp (no '://')",
                )
            elif protocol is not None and protocol is not Protocol.TCP:
                r.add(
                    caller,
                    f"{path}.scheme",
                    dep.scheme,
                    f"is a scheme for a tcp protocol, but '{dep.service}' speaks"
                    f" {protocol.value} on this port",
                    "leave scheme out (the platform gives http(s):// or host:port), or name the"
                    " callee's tcp port in port=",
                )
            if not urls:
                r.add(
                    caller,
                    f"{path}.scheme",
                    dep.scheme,
                    "is only used by the URL form, which no variable of this dependency has",
                    "set form=AddressForm.URL (or in also_env), or leave scheme out",
                )
        if dep.suffix:
            if dep.suffix[0] not in "/?":
                r.add(
                    caller,
                    f"{path}.suffix",
                    dep.suffix,
                    "must start with '/' or '?'",
                    "write the path or query as it follows the port, e.g. /?tls=true",
                )
            url_scheme = dep.scheme or (
                "http" if protocol is Protocol.HTTP else _chart_scheme(r, dep)
            )
            if dep.suffix[0] in "/?" and (not urls or not url_scheme):
                r.add(
                    caller,
                    f"{path}.suffix",
                    dep.suffix,
                    "follows a URL, and this dependency has no URL"
                    + ("" if urls else " variable")
                    + ("" if url_scheme else " (a grpc or tcp port without a scheme)"),
                    "use form=AddressForm.URL with scheme=..., or leave suffix out",
                )


def _chart_scheme(r: Relations, dep: Dependency) -> str:
    chart = r.charts_by_name.get(dep.service)
    return chart.chart.scheme if chart is not None else ""


@relation_rule("dependencies")
def dependency_env_is_unique(r: Relations) -> None:
    """One variable, one value: an address must not silently replace an env var, a secret or
    another dependency's address."""
    for caller in r.callers:
        taken = set(caller.spec.env) | set(caller.spec.secrets)
        for index, dep in enumerate(caller.spec.dependencies):
            if _callee(r, caller, dep) not in (Callee.SERVICE, Callee.CHART):
                continue
            for position, name in enumerate((dep.env_name(), *dep.also_env)):
                if name in taken:
                    r.add(
                        caller,
                        f"dependencies[{index}].env"
                        if position == 0
                        else f"dependencies[{index}].also_env",
                        name,
                        "is already set by env, secrets or another dependency",
                        "choose another variable name with env="
                        if position == 0
                        else "choose another variable name in also_env",
                    )
                taken.add(name)


@relation_rule("ingress")
def routes_are_unique(r: Relations) -> None:
    """One host and path, one service: the ingress would otherwise send a route's traffic to
    whichever was applied last."""
    routes: dict[tuple[str, str], str] = {}
    for service in r.services:
        spec: ServiceSpec = service.spec
        ingress = spec.ingress
        if ingress.exposure is Exposure.NONE or not ingress.host:
            continue
        key = (ingress.host, ingress.path)
        if key in routes and routes[key] != service.name:
            r.add(
                service,
                "ingress",
                f"{ingress.host}{ingress.path}",
                f"is also claimed by '{routes[key]}'",
                "give each service its own host or path",
            )
        routes.setdefault(key, service.name)


@relation_rule("ingress")
def canary_has_traffic(r: Relations) -> None:
    """A canary on a Container App without ingress exposure takes its share of the callers'
    traffic (the environment's ingress splits east-west calls by revision weight too); an app
    nobody calls has no ingress at all (`render.container_apps._ingress`), so no traffic to
    split."""
    called = {dependency.service for caller in r.callers for dependency in caller.spec.dependencies}
    for service in r.services:
        spec: ServiceSpec = service.spec
        if (
            spec.rollout is not None
            and spec.target is Target.CONTAINER_APPS
            and spec.ports
            and spec.ingress.exposure is Exposure.NONE
            and service.name not in called
        ):
            r.add(
                service,
                "rollout",
                spec.rollout.image,
                "has no traffic to split: nothing calls this Container App and it is not "
                "exposed, so it has no ingress",
                "declare the callers' dependencies on it, expose it, or remove the rollout",
            )


def _ingress_kind(service: PlannedService) -> str:
    spec = service.spec
    return f"{spec.ingress.exposure.value} on {spec.target.value}"


def _certificate(service: PlannedService) -> str | None:
    tls = service.spec.ingress.tls
    return None if tls is None else tls.key_vault_certificate_uri.rstrip("/")


@relation_rule("ingress")
def hosts_have_one_owner(r: Relations) -> None:
    """Services may share a host, each on its own path: they get one listener for it (a Gateway
    refuses two listeners with one port, protocol and hostname: Gateway API v1.6.1 CRD rule
    "Combination of port, protocol and hostname must be unique for each listener") and one DNS
    record. That holds only if they agree on what the host is: one application (a listener
    admits routes from its application's namespace only, so one application cannot take
    another's host), one target and exposure (a name resolves to one ingress), one certificate
    (the listener terminates TLS with one)."""
    owners: dict[str, PlannedService] = {}
    for service in r.services:
        ingress = service.spec.ingress
        if ingress.exposure is Exposure.NONE or not ingress.host:
            continue
        first = owners.setdefault(ingress.host, service)
        if first is service:
            continue
        if first.app != service.app:
            r.add(
                service,
                "ingress.host",
                ingress.host,
                f"is also the host of '{first.name}' in application '{first.app}': a host "
                "belongs to one application (its listener admits one namespace's routes)",
                "give this service its own host, or declare both in one application",
            )
        elif _ingress_kind(first) != _ingress_kind(service):
            r.add(
                service,
                "ingress.host",
                ingress.host,
                f"is also the host of '{first.name}', which is {_ingress_kind(first)}, not "
                f"{_ingress_kind(service)}: one name resolves to one ingress",
                "give both the same target and exposure, or this service its own host",
            )
        elif _certificate(first) != _certificate(service):
            theirs = _certificate(first) or "no certificate"
            r.add(
                service,
                "ingress.tls",
                _certificate(service) or "none",
                f"differs from '{first.name}' on the same host ({theirs}): the host's one "
                "listener serves one certificate",
                "give every service on the host the same ingress.tls",
            )


@relation_rule("ingress")
def plaintext_only_inside_the_environment(r: Relations) -> None:
    """`Ingress.allow_insecure` is for callers inside the Container Apps environment. A Container
    Apps service that AKS calls gets external ingress (AKS is outside the environment), so its
    plaintext would cross the network: refused, like public exposure (policy
    `aca-no-insecure-ingress` refuses allowInsecure on any external ingress)."""
    for caller, path, dep in _dependencies(r, Callee.SERVICE):
        callee = r.services_by_name[dep.service]
        if (
            callee.spec.target is Target.CONTAINER_APPS
            and callee.spec.ingress.allow_insecure
            and caller.spec.target is Target.AKS
        ):
            r.add(
                callee,
                "ingress.allow_insecure",
                True,
                f"is for callers inside the environment, but AKS {_kind(caller)} "
                f"'{caller.name}' calls it ({path}), which makes its ingress external",
                "drop allow_insecure (AKS callers use https), or run the caller on Container Apps",
            )
