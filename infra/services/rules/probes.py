"""Rules of health probes: they point at a declared port (or run a command, on AKS), and in prod
every AKS container has the probes AKS Deployment Safeguards require."""

from __future__ import annotations

from infra.config import Environment
from infra.problems import Fix
from infra.services.catalog import probe_timing
from infra.services.rules.registry import (
    Check,
    service_rule,
)
from infra.services.spec import (
    ExecProbe,
    GrpcProbe,
    HttpProbe,
    Probe,
    Protocol,
    ServiceSpec,
    Target,
    TcpProbe,
)
from infra.upstream_facts import (
    PROBE_KINDS,
    container_apps_probe_limits,
    kubernetes_probe_limits,
    safeguard_required_probes,
)


def check_exec_probe(c: Check[ServiceSpec], path: str, probe: ExecProbe) -> None:
    if (
        c.spec.target is Target.CONTAINER_APPS
        and "exec" not in container_apps_probe_limits().actions
    ):
        c.add(
            path,
            "ExecProbe",
            "Container Apps has no exec probe (its probes are httpGet and tcpSocket)",
            "leave it out on Container Apps, where a worker runs without probes and a replica"
            " whose process exits is restarted; or probe a port with HttpProbe or TcpProbe",
        )
    if not probe.command or any(not part for part in probe.command):
        c.add(
            f"{path}.command",
            probe.command,
            "names no program to run",
            "give the program and its arguments, e.g. ('test', '-f', '/tmp/healthy')",
        )


def check_probe(c: Check[ServiceSpec], path: str, probe: Probe) -> None:
    if isinstance(probe, ExecProbe):
        check_exec_probe(c, path, probe)
        return
    port = c.spec.port_named(probe.port)
    if port is None:
        c.add(
            f"{path}.port",
            probe.port,
            "names no port of this service" if c.spec.ports else "needs a port to probe",
            "declare the port in ports= and name it here"
            if c.spec.ports
            else "a worker without ports probes with ExecProbe(command=...) (AKS)",
        )
        return
    if isinstance(probe, HttpProbe):
        if port.protocol is not Protocol.HTTP:
            c.add(
                f"{path}.port",
                port.name,
                f"is a {port.protocol.value} port; HttpProbe needs http",
                "use TcpProbe or GrpcProbe for this port",
            )
        if not probe.path.startswith("/"):
            c.add(f"{path}.path", probe.path, "must start with /", "use e.g. /healthz")
    elif isinstance(probe, GrpcProbe) and port.protocol is not Protocol.GRPC:
        c.add(
            f"{path}.port",
            port.name,
            f"is a {port.protocol.value} port; GrpcProbe needs grpc",
            "use HttpProbe or TcpProbe for this port",
        )


@service_rule("probes")
def probes(c: Check[ServiceSpec]) -> None:
    """Probes must target a declared port with a protocol the probe speaks, or the pod never becomes
    ready (or restarts forever); an exec probe runs a command, which only AKS can do."""
    for kind in PROBE_KINDS:
        probe = getattr(c.spec.probes, kind)
        if probe is not None:
            check_probe(c, f"probes.{kind}", probe)


@service_rule("probes")
def prod_probes_required(c: Check[ServiceSpec]) -> None:
    """In prod, AKS Deployment Safeguards (DS007, Enforce; Azure Policy b1a9997f) refuse a
    container without each required probe (readiness and liveness by default), ports or not.
    The list is read from the vendored policy definition (upstream/azure-policy), which the
    policy rule `k8s-probes-enforced` reads too, so a declaration validation accepts is one the
    cluster admits. Container Apps has no such rule (and a worker there has nothing to probe)."""
    if c.context.environment is not Environment.PROD or c.spec.target is not Target.AKS:
        return
    for required in safeguard_required_probes():
        kind = required.removesuffix("Probe")
        if kind in PROBE_KINDS and c.spec.probe(kind) is None:
            c.add(
                f"probes.{kind}",
                None,
                f"is required in prod: AKS Deployment Safeguards refuse a container without a"
                f" {required}",
                f"declare probes=Probes({kind}=...)"
                + (
                    f", e.g. {kind}=TcpProbe(port={c.spec.ports[0].name!r})"
                    if c.spec.ports
                    else f", e.g. {kind}=ExecProbe(command=(...)) for a worker"
                ),
                # A port accepting connections is a probe every port passes; a worker's command
                # is the author's to choose.
                fixed_by=Fix(((f"probes.{kind}", TcpProbe(port=c.spec.ports[0].name)),))
                if c.spec.ports
                else None,
            )


_FIELDS = {
    "initialDelaySeconds": "initial_delay_seconds",
    "periodSeconds": "period_seconds",
    "timeoutSeconds": "timeout_seconds",
    "failureThreshold": "failure_threshold",
    "successThreshold": "success_threshold",
}


@service_rule("probes")
def probe_timing_within_limits(c: Check[ServiceSpec]) -> None:
    """Probe timings (declared, or the platform's defaults) must be values the target accepts:
    Kubernetes' minimums (core/v1 Probe), Container Apps' ranges per probe type (the API refuses
    others at deploy time, e.g. ContainerAppProbeFailureThresholdOutOfRange). Both read from the
    vendored upstream files (`infra/upstream_facts.py`)."""
    limits = (
        kubernetes_probe_limits() if c.spec.target is Target.AKS else container_apps_probe_limits()
    )
    target = "AKS" if c.spec.target is Target.AKS else "Container Apps"
    for kind in PROBE_KINDS:
        probe = getattr(c.spec.probes, kind)
        if probe is None:
            continue
        for api_name, value in probe_timing(probe, kind).items():
            allowed = limits.timing[kind][api_name]
            if value in allowed:
                continue
            longest_start = limits.timing["startup"]["failureThreshold"].maximum
            hint = (
                f"; a slow start is a longer startup probe (failure_threshold up to {longest_start})"
                if longest_start is not None
                and kind != "startup"
                and api_name in ("initialDelaySeconds", "failureThreshold")
                else ""
            )
            nearest = (
                max(
                    allowed.minimum,
                    value if allowed.maximum is None else min(value, allowed.maximum),
                )
                if isinstance(value, int) and not isinstance(value, bool)
                else allowed.minimum
            )
            c.add(
                f"probes.{kind}.timing.{_FIELDS[api_name]}",
                value,
                f"is outside {allowed} for a {kind} probe on {target} ({limits.source})",
                (
                    f"use {allowed.minimum}"
                    if allowed.maximum == allowed.minimum
                    else f"use a value in {allowed}"
                )
                + hint,
                # The nearest value in range: the smallest change that is accepted.
                fixed_by=Fix(((f"probes.{kind}.timing.{_FIELDS[api_name]}", nearest),)),
            )
