"""Loyalty points: a second team's application on the platform, calling the storefront's
services across applications (docs/team-stacks.md, "Calls across applications").

In a single stack it deploys beside the storefront; as team stacks it is its own application
stack (`loyalty-<env>`) on the platform stack, and the storefront's stack admits its calls
without either team editing the other's files: the dependencies below are the only place the
calls are said.
"""

from infra.services.spec import (
    Application,
    Autoscaling,
    Dependency,
    HttpProbe,
    Override,
    Port,
    Probes,
    Resources,
    ServiceSpec,
    Target,
)

HEALTH = Probes(
    readiness=HttpProbe(path="/healthz/ready"), liveness=HttpProbe(path="/healthz/live")
)

points = ServiceSpec(
    name="points-api",
    image="loyalty/points-api:1.0.0",
    target=Target.AKS,
    ports=(Port(name="http", number=8080),),
    resources=Resources(cpu=0.25, memory="512Mi"),
    autoscaling=Autoscaling(min_replicas=2, max_replicas=4, cpu_utilization=70),
    probes=HEALTH,
    # Calls across applications: the storefront's catalog-api (AKS → AKS) and identity-api
    # (AKS → Container Apps).
    dependencies=(
        Dependency(service="catalog-api", env="CATALOG_URL"),
        Dependency(service="identity-api", env="IDENTITY_URL"),
    ),
    overrides={"prod": Override(autoscaling=Autoscaling(min_replicas=3, max_replicas=12))},
)

application = Application(name="loyalty", owner="loyalty-team", services=(points,))
