"""A second team's application: loyalty points, on the storefront's catalog and identity."""

from infra.services.spec import (
    Application,
    Autoscaling,
    Dependency,
    HttpProbe,
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
    # Calls across applications: both are the storefront's (published by the platform).
    dependencies=(
        Dependency(service="catalog-api", env="CATALOG_URL"),
        Dependency(service="identity-api", env="IDENTITY_URL"),
    ),
)

application = Application(name="loyalty", owner="loyalty-team", services=(points,))
