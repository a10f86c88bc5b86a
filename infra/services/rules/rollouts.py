"""Rules of canary rollouts and of Gateway API routes: each bad declaration is one `Problem`
naming the service, the field and the fix, collected with every other problem of the catalog
(registered service rules, after every other rule of the service)."""

from __future__ import annotations

from infra.config import Environment
from infra.problems import Problem
from infra.services.images import parse_image
from infra.services.rules.registry import Check, service_rule
from infra.services.spec import Exposure, Protocol, ServiceSpec, Target

CANARY_SUFFIX = "-canary"
"""The canary's workload name on AKS is `<service>-canary`: it must stay a DNS label."""


def rollout_problems(
    spec: ServiceSpec,
    group: str,
    environment: Environment,
    stable_image: str,
    *,
    locked: bool = False,
    internal_routes: bool = True,
) -> list[Problem]:
    """`stable_image`: the service's image as declared (before digest pinning), so a canary
    naming the same tag is caught whether or not the lock pinned it. `locked`: images deploy
    through the lock (prod then requires the canary pinned, as the stable image).
    `internal_routes`: internal AKS services have weighted routes (Envoy Gateway)."""
    rollout = spec.rollout
    if rollout is None:
        return []
    problems: list[Problem] = []

    def add(path: str, value: object, problem: str, fix: str) -> None:
        problems.append(Problem(path, "" if value is None else str(value), problem, fix, group))

    if not 0 <= rollout.weight <= 100:
        add(
            "rollout.weight",
            rollout.weight,
            "is outside 0..100 (percent of traffic to the canary)",
            "use 0 (abandon) to 100 (all traffic on the canary), e.g. 10",
        )
    ref = parse_image(rollout.image)
    if ref is None or (ref.tag is None and ref.digest is None):
        add(
            "rollout.image",
            rollout.image,
            "is not a pinned image reference",
            "use registry/repository:tag or repository@sha256:<digest>",
        )
    elif ref.tag == "latest" and ref.digest is None and environment is Environment.PROD:
        add(
            "rollout.image",
            rollout.image,
            "uses the mutable 'latest' tag in prod",
            "pin a version tag or a digest",
        )
    elif ref.digest is None and locked and environment is Environment.PROD:
        add(
            "rollout.image",
            rollout.image,
            "is a tag without a digest, and prod runs images by digest",
            "let the deploy workflow lock it (python -m infra.services.image_lock resolve "
            "prod) or pin repository@sha256:<digest>",
        )
    if rollout.image in (stable_image, spec.image):
        add(
            "rollout.image",
            rollout.image,
            "is the stable image: the canary would compare a release with itself",
            "set the new image here, or remove the rollout",
        )
    exposure = spec.ingress.exposure
    if not spec.ports:
        add(
            "rollout",
            None,
            "needs ingress: weights split the traffic of the service's route",
            "expose the service (ingress=Ingress(exposure=...)) or remove the rollout",
        )
    elif exposure is Exposure.NONE and spec.target is Target.AKS:
        # Container Apps: callers in the environment go through the app's ingress, whose
        # revision weights split them too (a caller-less app has none: `canary_has_traffic`).
        add(
            "rollout",
            None,
            "needs ingress: weights split the traffic of the service's route, and callers "
            "inside the cluster reach its Service, which has no weights",
            "expose the service (ingress=Ingress(exposure=Exposure.INTERNAL, host=...)) so "
            "callers through the internal gateway are split, run it on Container Apps (whose "
            "ingress splits every caller), or remove the rollout",
        )
    elif spec.target is Target.AKS and exposure is Exposure.INTERNAL and not internal_routes:
        add(
            "rollout",
            None,
            "needs a Gateway API route, which internal AKS services get on Envoy Gateway with "
            "aks.ingress gateway; with nginx or both they are on managed NGINX, which has no "
            "weights",
            "finish the migration to aks.ingress gateway, or run the canary on Container Apps",
        )
    if environment is Environment.PROD and spec.probes.readiness is None:
        add(
            "probes.readiness",
            None,
            "is not declared: prod refuses a canary whose health is only 'the port is open'",
            "declare probes=Probes(readiness=HttpProbe(path=...)) (or GrpcProbe)",
        )
    if len(spec.name) + len(CANARY_SUFFIX) > 63:
        add(
            "name",
            spec.name,
            f"is too long for its canary's name ({spec.name}{CANARY_SUFFIX} exceeds 63)",
            "shorten the service name",
        )
    return problems


def route_problems(spec: ServiceSpec, group: str) -> list[Problem]:
    """What a Gateway API route cannot express."""
    ingress = spec.ingress
    if spec.target is not Target.AKS or ingress.exposure is not Exposure.PUBLIC:
        return []
    port = next(
        (p for p in spec.ports if ingress.port in (None, p.name)),
        None,
    )
    if port is not None and port.protocol is Protocol.GRPC and ingress.path != "/":
        return [
            Problem(
                "ingress.path",
                ingress.path,
                "is a path on a gRPC port: a GRPCRoute matches gRPC service/method, never a path",
                "use path='/' (the whole host) or expose an http port for path routing",
                group,
            )
        ]
    return []


@service_rule("rollout")
def canary_rollout(check: Check[ServiceSpec]) -> None:
    """A canary must differ from the stable release, be pinned like it, and have a route whose
    weights split its traffic (see `rollout_problems`)."""
    spec, context = check.spec, check.context
    check.problems.extend(
        rollout_problems(
            spec,
            check.group,
            context.environment,
            getattr(check.declared, "image", spec.image),
            locked=context.image_lock is not None,
            internal_routes=context.internal_routes,
        )
    )


@service_rule("routes")
def gateway_route(check: Check[ServiceSpec]) -> None:
    """What a Gateway API route cannot express (see `route_problems`)."""
    check.problems.extend(route_problems(check.spec, check.group))
