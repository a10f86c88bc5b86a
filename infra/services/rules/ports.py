"""Rules of a service's ports: names, numbers and the Service ports callers use."""

from __future__ import annotations

import re

from infra.services.catalog import service_port
from infra.services.patterns import (
    LOWEST_UNPRIVILEGED_PORT,
    PORT_NAME,
)
from infra.services.rules.registry import (
    Check,
    service_rule,
)
from infra.services.spec import (
    ServiceSpec,
)


@service_rule("ports")
def ports(c: Check[ServiceSpec]) -> None:
    """Ports are how callers, probes and ingress find a service: named, unique, unprivileged (the
    container runs as non-root) and with distinct Service ports."""
    names: set[str] = set()
    numbers: set[int] = set()
    for index, port in enumerate(c.spec.ports):
        path = f"ports[{index}]"
        if (
            not PORT_NAME.match(port.name)
            or len(port.name) > 15
            or not re.search("[a-z]", port.name)
        ):
            c.add(
                f"{path}.name",
                port.name,
                "is not a port name (max 15 lowercase chars)",
                "use e.g. http, grpc or metrics",
            )
        if port.name in names:
            c.add(f"{path}.name", port.name, "is used twice", "give each port its own name")
        names.add(port.name)
        if not 1 <= port.number <= 65535:
            c.add(
                f"{path}.number",
                port.number,
                "must be 1..65535",
                "use the port the process listens on",
            )
        elif port.number < LOWEST_UNPRIVILEGED_PORT:
            c.add(
                f"{path}.number",
                port.number,
                "is a privileged port; containers run as non-root without capabilities",
                "listen on 1024 or above, e.g. 8080",
            )
        if port.number in numbers:
            c.add(f"{path}.number", port.number, "is used twice", "give each port its own number")
        numbers.add(port.number)
    served: dict[int, str] = {}
    for index, port in enumerate(c.spec.ports):
        path = f"ports[{index}]"
        if port.service_port is not None and not 1 <= port.service_port <= 65535:
            c.add(
                f"{path}.service_port",
                port.service_port,
                "must be 1..65535",
                "use the port callers should use, e.g. 80",
            )
            continue
        number = service_port(port)
        if number in served:
            c.add(
                f"{path}.service_port" if port.service_port is not None else f"{path}.number",
                number,
                f"is also the Service port of '{served[number]}'",
                "give each port its own service_port (callers could not tell them apart)",
            )
        served.setdefault(number, port.name)
