"""Canary releases on both targets (docs/canary-releases.md): a rollout in the base declaration,
one only in an environment (`Override.rollout`), and a per-environment image."""

from infra.services.spec import (
    Application,
    Exposure,
    HttpProbe,
    Ingress,
    Override,
    Port,
    Probes,
    Resources,
    Rollout,
    ServiceSpec,
    Target,
)

HEALTH = Probes(readiness=HttpProbe(path="/ready"), liveness=HttpProbe(path="/live"))

# Container Apps: the canary is a second revision taking `weight` percent of the ingress.
checkout = ServiceSpec(
    name="checkout",
    image="releases/checkout:3.0.0",
    target=Target.CONTAINER_APPS,
    ports=(Port(name="http", number=8080),),
    resources=Resources(cpu=0.5, memory="1Gi"),
    ingress=Ingress(exposure=Exposure.INTERNAL),
    probes=HEALTH,
    rollout=Rollout(image="releases/checkout:3.1.0", weight=10),
    overrides={"prod": Override(rollout=Rollout(image="releases/checkout:3.1.0", weight=50))},
)

# AKS: the canary is a second Deployment behind the route's weighted backends; dev runs a newer
# image than prod, and only prod runs a canary.
pricing = ServiceSpec(
    name="pricing",
    image="releases/pricing:2.0.0",
    target=Target.AKS,
    ports=(Port(name="http", number=8080),),
    resources=Resources(cpu=0.25, memory="512Mi"),
    ingress=Ingress(exposure=Exposure.INTERNAL, host="pricing.{environment}.shop.internal"),
    probes=HEALTH,
    overrides={
        "dev": Override(image="releases/pricing:2.1.0"),
        "prod": Override(rollout=Rollout(image="releases/pricing:2.1.0", weight=20)),
    },
)

application = Application(name="releases", owner="platform-tests", services=(checkout, pricing))
