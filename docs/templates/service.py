"""Your application: copy this file to apps/<your-app>.py and change the names (the quick start,
docs/app-team-quickstart.md). Every field: docs/service-model.md.

One service on AKS, reachable only by the callers you declare. Change `target` to
Target.CONTAINER_APPS to run it there instead: the declaration stays the same.
"""

from infra.services.spec import (
    Application,
    Autoscaling,
    HttpProbe,
    Override,
    Port,
    Probes,
    Resources,
    ServiceSpec,
    Target,
)

inventory = ServiceSpec(
    name="inventory-api",  # a DNS label, unique across every application
    image="inventory/inventory-api:1.0.0",  # no registry host: the platform's registry (ACR)
    target=Target.AKS,
    ports=(Port(name="http", number=8080, service_port=80),),  # callers use port 80
    resources=Resources(cpu=0.25, memory="0.5Gi"),
    autoscaling=Autoscaling(min_replicas=2, max_replicas=4, cpu_utilization=70),
    probes=Probes(readiness=HttpProbe(path="/ready"), liveness=HttpProbe(path="/live")),
    overrides={"prod": Override(autoscaling=Autoscaling(min_replicas=3))},  # only what differs
)

application = Application(name="inventory", services=(inventory,))
