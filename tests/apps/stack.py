"""The stack fixture: the one application every whole-plan test deploys in dev, prod and local.

The platform's own (tests/apps/__init__.py), not the app teams' `apps/`; it does not follow the
reference application, and no test may read that one (tests/test_platform_fixtures.py). It is
one application because calls between targets, in both directions, are between services of
one application: a public web front end and identity on Container Apps (HTTP scaling, a custom
domain with TLS in prod); the core APIs on AKS (a gRPC API, a translated service port, a
metrics port, an internal host); a queue worker that scales to zero on Container Apps and one
scaled by KEDA on AKS; a portless AKS worker with exec probes, an init container and a
redis:// URI; a Helm chart (Valkey); a nightly job; secrets as variables and as files; roles
on queues; per-environment overrides (patches). It holds only what every stack accepts and a
first deploy simulates cleanly: features that cannot be in it (a canary, a stateful broker,
jobs of every trigger) are the feature fixtures under tests/apps/features/, and
tests/test_fixture_coverage.py proves the two exercise the whole service model.

Names here are what the whole-plan tests assert on (`storefront`, `catalog-api`, ...): rename
one only with them. Overrides are patches: each says only what differs in that environment.
"""

from infra.services.charts import valkey
from infra.services.spec import (
    AddressForm,
    Application,
    Autoscaling,
    Dependency,
    ExecProbe,
    Exposure,
    GrpcProbe,
    HttpProbe,
    Identity,
    Ingress,
    InitContainer,
    JobOverride,
    JobSpec,
    KeyVaultSecret,
    Override,
    Port,
    Probes,
    Protocol,
    Resources,
    RoleGrant,
    Schedule,
    ServiceBusQueue,
    ServiceSpec,
    StorageQueue,
    Target,
    Tls,
)

# Messaging owned by the storefront team (another stack); `{subscription}` and `{environment}`
# are filled in by the platform, so one declaration serves every stack.
MESSAGING_GROUP = "rg-storefront-messaging-{environment}"
MESSAGING = (
    f"/subscriptions/{{subscription}}/resourceGroups/{MESSAGING_GROUP}"
    "/providers/Microsoft.ServiceBus/namespaces/sb-storefront-{environment}"
)
NOTIFICATIONS_QUEUE = (
    f"/subscriptions/{{subscription}}/resourceGroups/{MESSAGING_GROUP}"
    "/providers/Microsoft.Storage/storageAccounts/ststorefront{environment}"
    "/queueServices/default/queues/notifications"
)
# TLS certificates live in the platform Key Vault, which both ingress paths can read.
SHOP_CERT = "https://kv-shop-prod.vault.azure.net/certificates/shop-example-com"

HEALTH = Probes(
    readiness=HttpProbe(path="/healthz/ready"),
    liveness=HttpProbe(path="/healthz/live"),
    startup=HttpProbe(path="/healthz/startup"),
)

web = ServiceSpec(
    name="web",
    image="storefront/web:2.8.1",
    target=Target.CONTAINER_APPS,
    ports=(Port(name="http", number=8080),),
    env={"ASPNETCORE_URLS": "http://+:8080"},
    resources=Resources(cpu=0.5, memory="1Gi"),
    autoscaling=Autoscaling(
        min_replicas=1, max_replicas=10, cpu_utilization=None, http_concurrency=80
    ),
    ingress=Ingress(exposure=Exposure.PUBLIC),
    probes=HEALTH,
    dependencies=(
        Dependency(service="catalog-api", env="CATALOG_URL"),
        Dependency(service="basket-api", env="BASKET_GRPC", form=AddressForm.HOST_PORT),
        Dependency(service="ordering-api", env="ORDERING_URL"),
        Dependency(service="identity-api", env="IDENTITY_URL"),
    ),
    overrides={
        # Triggers (HTTP, no CPU) and exposure are inherited from the base.
        "prod": Override(
            autoscaling=Autoscaling(min_replicas=3, max_replicas=40),
            ingress=Ingress(host="shop.example.com", tls=Tls(key_vault_certificate_uri=SHOP_CERT)),
        ),
    },
)

catalog = ServiceSpec(
    name="catalog-api",
    image="storefront/catalog-api:1.14.0",
    target=Target.AKS,
    # The process listens on 8080; callers use port 80 (plain `http://catalog-api...` URLs).
    ports=(
        Port(name="http", number=8080, service_port=80),
        Port(name="metrics", number=9090),
    ),
    secrets={"CATALOG_DB_PASSWORD": KeyVaultSecret(name="catalog-db-password")},
    env={"CATALOG_DB_HOST": "psql-storefront.postgres.database.azure.com"},
    resources=Resources(cpu=0.5, memory="1Gi"),
    autoscaling=Autoscaling(min_replicas=2, max_replicas=6, cpu_utilization=70),
    probes=HEALTH,
    overrides={"prod": Override(autoscaling=Autoscaling(min_replicas=3, max_replicas=20))},
)

# Third-party: a Valkey (Redis-compatible) cache for baskets, from the official pinned chart.
# Only basket-api may connect (NetworkPolicy); docs/charts-and-hooks.md says why the
# reference runs it without a password.
basket_cache = valkey("basket-valkey")

basket = ServiceSpec(
    name="basket-api",
    image="storefront/basket-api:3.2.0",
    target=Target.AKS,
    ports=(Port(name="grpc", number=50051, protocol=Protocol.GRPC),),
    resources=Resources(cpu=0.25, memory="512Mi"),
    autoscaling=Autoscaling(
        min_replicas=2, max_replicas=8, cpu_utilization=65, memory_utilization=80
    ),
    probes=Probes(readiness=GrpcProbe(), liveness=GrpcProbe()),
    dependencies=(Dependency(service="basket-valkey", env="BASKET_CACHE_URL"),),
    # A patch: the CPU and memory triggers stay as declared above.
    overrides={"prod": Override(autoscaling=Autoscaling(min_replicas=3, max_replicas=24))},
)

ordering = ServiceSpec(
    name="ordering-api",
    image="storefront/ordering-api:5.0.3",
    target=Target.AKS,
    ports=(Port(name="http", number=8080),),
    # Read from a file (the process supports the *_FILE convention): rotated in place on AKS.
    secret_files={"ordering-db-password": KeyVaultSecret(name="ordering-db-password")},
    # The namespace its role is granted on (MESSAGING), per environment.
    env={
        "SERVICEBUS_NAMESPACE": "sb-storefront-dev.servicebus.windows.net",
        "ORDERS_QUEUE": "orders",
        "ORDERING_DB_PASSWORD_FILE": "/mnt/secrets/ordering-db-password",
    },
    resources=Resources(cpu=0.5, memory="1Gi"),
    autoscaling=Autoscaling(min_replicas=2, max_replicas=6),
    probes=HEALTH,
    dependencies=(
        Dependency(service="basket-api", env="BASKET_ADDR", form=AddressForm.HOST_PORT),
        Dependency(service="payment-api", env="PAYMENT_URL"),
        Dependency(service="identity-api"),
    ),
    identity=Identity(
        roles=(RoleGrant(role="Azure Service Bus Data Sender", scope=MESSAGING + "/queues/orders"),)
    ),
    overrides={
        "prod": Override(
            autoscaling=Autoscaling(min_replicas=3, max_replicas=20),
            env={"SERVICEBUS_NAMESPACE": "sb-storefront-prod.servicebus.windows.net"},
        )
    },
)

identity_api = ServiceSpec(
    name="identity-api",
    image="storefront/identity-api:4.1.0",
    target=Target.CONTAINER_APPS,
    ports=(Port(name="http", number=8080),),
    secret_files={"token-signing-key": KeyVaultSecret(name="identity-signing-key")},
    env={"TOKEN_SIGNING_KEY_FILE": "/mnt/secrets/token-signing-key"},
    resources=Resources(cpu=0.5, memory="1Gi"),
    replicas=2,
    probes=HEALTH,
    overrides={"prod": Override(replicas=3)},
)

payment = ServiceSpec(
    name="payment-api",
    image="storefront/payment-api:1.9.2",
    target=Target.CONTAINER_APPS,
    ports=(Port(name="http", number=8080),),
    secrets={"PAYMENT_PROVIDER_KEY": KeyVaultSecret(name="payment-provider-key")},
    resources=Resources(cpu=0.5, memory="1Gi"),
    autoscaling=Autoscaling(min_replicas=2, max_replicas=10, cpu_utilization=70),
    probes=HEALTH,
)

order_worker = ServiceSpec(
    name="order-worker",
    image="storefront/order-worker:5.0.3",
    target=Target.CONTAINER_APPS,
    resources=Resources(cpu=0.5, memory="1Gi"),
    autoscaling=Autoscaling(
        min_replicas=0,
        max_replicas=20,
        cpu_utilization=None,
        queue=ServiceBusQueue(
            namespace="sb-storefront-dev",
            queue="orders",
            messages_per_replica=10,
            resource_group=MESSAGING_GROUP,
        ),
    ),
    dependencies=(Dependency(service="notification-service", env="NOTIFY_URL"),),
    identity=Identity(
        roles=(
            RoleGrant(role="Azure Service Bus Data Receiver", scope=MESSAGING + "/queues/orders"),
        )
    ),
    overrides={
        # messages_per_replica=10 is inherited; only the namespace and the ceiling differ.
        "prod": Override(
            autoscaling=Autoscaling(
                max_replicas=60,
                # messages_per_replica and resource_group are inherited (an override patches).
                queue=ServiceBusQueue(namespace="sb-storefront-prod", queue="orders"),
            )
        )
    },
)

notifications = ServiceSpec(
    name="notification-service",
    image="storefront/notification-service:2.3.0",
    target=Target.AKS,
    ports=(Port(name="http", number=8080),),
    # Burstable: mostly idle between queue bursts, so it reserves half of what it may use.
    resources=Resources(cpu=0.25, memory="256Mi", cpu_request=0.1, memory_request="128Mi"),
    autoscaling=Autoscaling(
        min_replicas=1,
        max_replicas=10,
        cpu_utilization=None,
        queue=StorageQueue(
            account="ststorefrontdev", queue="notifications", resource_group=MESSAGING_GROUP
        ),
    ),
    probes=HEALTH,
    dependencies=(Dependency(service="identity-api"),),
    identity=Identity(
        roles=(RoleGrant(role="Storage Queue Data Message Processor", scope=NOTIFICATIONS_QUEUE),)
    ),
    overrides={
        "prod": Override(
            # Prod reserves all the memory it may use (policy: memory request = limit); CPU
            # still bursts.
            resources=Resources(memory_request=None),
            autoscaling=Autoscaling(
                min_replicas=2,
                max_replicas=30,
                queue=StorageQueue(account="ststorefrontprod", queue="notifications"),
            ),
        )
    },
)

admin = ServiceSpec(
    name="admin-web",
    image="storefront/admin-web:1.6.0",
    target=Target.AKS,
    ports=(Port(name="http", number=8080),),
    resources=Resources(cpu=0.25, memory="512Mi"),
    replicas=2,
    # Inside the platform's private zone (<environment>.shop.internal), where the platform
    # writes its record; `{environment}` follows the stack.
    ingress=Ingress(exposure=Exposure.INTERNAL, host="admin.{environment}.shop.internal"),
    probes=HEALTH,
    dependencies=(
        Dependency(service="catalog-api"),
        Dependency(service="ordering-api"),
    ),
)

# A worker without ports on AKS: keeps the basket cache's stock counts in step with the catalog.
# Exec probes are its health (prod's Deployment Safeguards require readiness and liveness on
# every container); an init container waits for the cache; the cache's address is a redis://
# URI with the database index as its path.
STOCK_HEALTH = ExecProbe(command=("catalog-api", "healthcheck", "--worker", "stock-sync"))

stock_sync = ServiceSpec(
    name="stock-sync",
    image="storefront/catalog-api:1.14.0",
    target=Target.AKS,
    args=("sync-stock",),
    resources=Resources(cpu=0.25, memory="512Mi"),
    probes=Probes(readiness=STOCK_HEALTH, liveness=STOCK_HEALTH),
    init_containers=(
        InitContainer(
            name="wait-for-cache",
            image="storefront/catalog-api:1.14.0",
            args=("wait-for", "--address-from", "STOCK_CACHE_URI"),
        ),
    ),
    dependencies=(
        Dependency(service="basket-valkey", env="STOCK_CACHE_URI", scheme="redis", suffix="/1"),
        Dependency(service="catalog-api", env="CATALOG_URL"),
    ),
)

# Rebuilds the catalog's search index every night, through catalog-api (which gets the traffic
# allowance and the address like for any caller). Scheduled in UTC, so it means the same on
# both targets.
catalog_reindex = JobSpec(
    name="catalog-reindex",
    image="storefront/catalog-api:1.14.0",
    target=Target.AKS,
    trigger=Schedule(cron="30 2 * * *"),
    args=("reindex", "--all"),
    resources=Resources(cpu=0.5, memory="1Gi"),
    timeout_seconds=3600,
    dependencies=(Dependency(service="catalog-api", env="CATALOG_URL"),),
    overrides={"dev": JobOverride(trigger=Schedule(cron="30 2 * * 1"))},
)

application = Application(
    name="storefront",
    owner="storefront-team",
    services=(
        web,
        catalog,
        basket,
        ordering,
        identity_api,
        payment,
        order_worker,
        notifications,
        admin,
        stock_sync,
    ),
    jobs=(catalog_reindex,),
    charts=(basket_cache,),
)
