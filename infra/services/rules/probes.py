"""Rules of health probes: they must point at a declared port."""

from __future__ import annotations

from infra.services.rules.registry import (
    Check,
    service_rule,
)
from infra.services.spec import (
    GrpcProbe,
    HttpProbe,
    Probe,
    Protocol,
    ServiceSpec,
)


def check_probe(c: Check[ServiceSpec], path: str, probe: Probe) -> None:
    port = c.spec.port_named(probe.port)
    if port is None:
        c.add(
            f"{path}.port",
            probe.port,
            "names no port of this service" if c.spec.ports else "needs a port to probe",
            "declare the port in ports= and name it here",
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
    ready (or restarts forever)."""
    for kind in ("readiness", "liveness", "startup"):
        probe = getattr(c.spec.probes, kind)
        if probe is not None:
            check_probe(c, f"probes.{kind}", probe)
