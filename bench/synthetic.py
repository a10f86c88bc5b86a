"""N synthetic services that exercise what real ones use: both targets, autoscaling (CPU, HTTP,
queues), ingress, dependencies across targets, Key Vault secrets and identities."""

from __future__ import annotations

from infra.services.spec import (
    Application,
    Autoscaling,
    Dependency,
    Exposure,
    HttpProbe,
    Identity,
    Ingress,
    KeyVaultSecret,
    Port,
    Probes,
    Resources,
    RoleGrant,
    ServiceBusQueue,
    ServiceSpec,
    Target,
)

QUEUE = (
    "/subscriptions/{subscription}/resourceGroups/rg-bench/providers/Microsoft.ServiceBus"
    "/namespaces/sb-bench/queues/q"
)


def synthetic_service(index: int, total: int) -> ServiceSpec:
    target = Target.AKS if index % 2 == 0 else Target.CONTAINER_APPS
    name = f"svc-{index:04d}"
    worker = index % 10 == 9
    autoscaling: Autoscaling | None
    identity = None
    if worker:
        autoscaling = Autoscaling(
            min_replicas=0 if target is Target.CONTAINER_APPS else 1,
            max_replicas=10,
            cpu_utilization=None,
            queue=ServiceBusQueue(
                namespace="sb-bench", queue=f"q{index}", resource_group="rg-bench"
            ),
        )
        identity = Identity(roles=(RoleGrant(role="Azure Service Bus Data Receiver", scope=QUEUE),))
    elif index % 3 == 0:
        autoscaling = Autoscaling(min_replicas=2, max_replicas=8, cpu_utilization=70)
    elif target is Target.CONTAINER_APPS and index % 3 == 1:
        autoscaling = Autoscaling(
            min_replicas=1, max_replicas=8, cpu_utilization=None, http_concurrency=50
        )
    else:
        autoscaling = None
    ingress = Ingress()
    if worker:
        pass
    elif target is Target.AKS and index % 5 == 0:
        ingress = Ingress(exposure=Exposure.INTERNAL, host=f"{name}.dev.shop.internal")
    elif target is Target.CONTAINER_APPS and index % 7 == 0:
        ingress = Ingress(exposure=Exposure.PUBLIC)
    dependencies = tuple(
        Dependency(service=f"svc-{other:04d}", env=f"DEP_{other}_URL")
        for other in (index - 1, index - 2)
        if other >= 0 and (other % 10) != 9
    )
    return ServiceSpec(
        name=name,
        image=f"bench/{name}:1.{index % 50}.0",
        target=target,
        ports=() if worker else (Port(name="http", number=8080),),
        env={"LOG_LEVEL": "info", "INDEX": str(index)},
        secrets={"DB_PASSWORD": KeyVaultSecret(name=f"{name}-db")} if index % 3 == 0 else {},
        resources=Resources(cpu=0.5, memory="1Gi"),
        replicas=2,
        autoscaling=autoscaling,
        ingress=ingress,
        probes=Probes() if worker else Probes(readiness=HttpProbe(path="/ready")),
        dependencies=dependencies,
        identity=identity,
    )


def synthetic_applications(total: int, per_application: int = 25) -> list[Application]:
    services = [synthetic_service(i, total) for i in range(total)]
    return [
        Application(
            name=f"bench-{start // per_application:02d}",
            source="bench/synthetic.py",
            services=tuple(services[start : start + per_application]),
        )
        for start in range(0, total, per_application)
    ]
