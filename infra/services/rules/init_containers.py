"""Rules of init containers: the main container's image, resource and env rules, applied to
each, and what an init container cannot have."""

from __future__ import annotations

import dataclasses

from infra.services.patterns import ACA_MAX_CPU, DNS_LABEL
from infra.services.rules import resources, secrets, shape
from infra.services.rules.registry import Check, Workload, _Raw, workload_rule
from infra.services.spec import InitContainer, ServiceSpec, Target


def _fields(init: InitContainer) -> dict[str, object]:
    """The workload's fields as if `init` were its container: what the shared rules read."""
    return {
        "image": init.image,
        "resources": init.resources,
        "env": dict(init.env),
        "secrets": {},
        "secret_files": {},
    }


def _inner_check(c: Workload, init: InitContainer) -> Workload:
    spec = c.spec
    if isinstance(spec, ServiceSpec):
        return Check(dataclasses.replace(spec, **_fields(init)), c.group, c.context)
    return Check(dataclasses.replace(spec, **_fields(init)), c.group, c.context)


@workload_rule("init-containers")
def init_containers(c: Workload) -> None:
    """An init container runs the same way as the main container (non-root, read-only root
    filesystem, pinned image, a size the target schedules): the same rules check it, one message
    each under `init_containers[i]`. It exits before the workload serves anything: no ingress."""
    names = {c.spec.name}
    for index, init in enumerate(c.spec.init_containers):
        path = f"init_containers[{index}]"
        if not DNS_LABEL.match(init.name) or len(init.name) > 63:
            c.add(
                f"{path}.name",
                init.name,
                "is not a DNS label",
                "use lowercase letters, digits and '-', e.g. wait-for-queue",
            )
        elif init.name in names:
            c.add(
                f"{path}.name",
                init.name,
                "is already a container of this workload",
                "give each init container its own name (not the workload's)",
            )
        names.add(init.name)
        if init.ingress is not None:
            c.add(
                f"{path}.ingress",
                None,
                "an init container exits before the workload starts: nothing can reach it",
                "remove ingress here; expose the workload's ports instead",
            )
        inner = _inner_check(c, init)
        for check in (shape.image, resources.resources, secrets.env_and_secrets):
            check(inner)
        for problem in inner.problems:
            c.problems.append(dataclasses.replace(problem, path=f"{path}.{problem.path}"))
    total = c.spec.resources.cpu + sum(i.resources.cpu for i in c.spec.init_containers)
    if c.spec.init_containers and c.spec.target is Target.CONTAINER_APPS and total > ACA_MAX_CPU:
        c.add(
            "init_containers",
            _Raw(f"{total:g} cores with the container"),
            f"is above the {ACA_MAX_CPU:g} cores a Container Apps replica may total (init"
            " containers count towards it)",
            "give the init containers less cpu",
        )
