"""Ingress and probe details: an AKS route on a path and a named port, a Container Apps service
that also serves plaintext inside its environment, named-port HTTP and gRPC probes with their
timing, a secret from another vault, and a chart whose Service name differs from its release."""

from infra.services.charts import valkey
from infra.services.spec import (
    Application,
    Dependency,
    Exposure,
    GrpcProbe,
    HelmChart,
    HttpProbe,
    Ingress,
    KeyVaultSecret,
    Port,
    Probes,
    ProbeTiming,
    Protocol,
    ServiceSpec,
    Target,
)

OTHER_VAULT = (
    "/subscriptions/{subscription}/resourceGroups/rg-edge-{environment}"
    "/providers/Microsoft.KeyVault/vaults/kv-edge-{environment}"
)

docs = ServiceSpec(
    name="docs",
    image="edge/docs:1.0.0",
    target=Target.AKS,
    ports=(Port(name="metrics", number=9090), Port(name="http", number=8080)),
    ingress=Ingress(
        exposure=Exposure.INTERNAL,
        host="docs.{environment}.shop.internal",
        path="/docs",
        port="http",
    ),
    probes=Probes(
        readiness=HttpProbe(path="/ready", port="http", timing=ProbeTiming(period_seconds=10)),
        liveness=HttpProbe(path="/live", port="http"),
        startup=HttpProbe(path="/started", port="http", timing=ProbeTiming(failure_threshold=120)),
    ),
)

search = ServiceSpec(
    name="search",
    image="edge/search:2.0.0",
    target=Target.CONTAINER_APPS,
    ports=(Port(name="grpc", number=50051, protocol=Protocol.GRPC),),
    ingress=Ingress(exposure=Exposure.INTERNAL, allow_insecure=True),
    secrets={"INDEX_KEY": KeyVaultSecret(name="search-index-key", vault_id=OTHER_VAULT)},
    probes=Probes(
        readiness=GrpcProbe(port="grpc", service="search.v1.Search"),
        liveness=GrpcProbe(timing=ProbeTiming(period_seconds=20, timeout_seconds=5)),
    ),
)

_valkey = valkey("sessions")
# The release's Service, named explicitly (a chart whose Service is not the release name).
sessions = HelmChart(
    name="sessions",
    chart=_valkey.chart,
    version=_valkey.version,
    repository=_valkey.repository,
    port=_valkey.port,
    protocol=_valkey.protocol,
    scheme=_valkey.scheme,
    service="sessions",
    values=_valkey.values,
)

gateway = ServiceSpec(
    name="edge-gateway",
    image="edge/gateway:1.0.0",
    target=Target.AKS,
    ports=(Port(name="http", number=8080),),
    probes=Probes(readiness=HttpProbe(), liveness=HttpProbe()),
    dependencies=(
        Dependency(service="docs", port="http"),
        Dependency(service="sessions", env="SESSIONS_URL"),
    ),
)

application = Application(
    name="edge", owner="platform-tests", services=(docs, search, gateway), charts=(sessions,)
)
