"""Jobs of every trigger on both targets: manual, scheduled (with a time zone on AKS) and
event-driven (a KEDA ScaledJob on AKS, an event job on Container Apps), with every job field
and per-environment patch."""

from infra.services.spec import (
    Application,
    ConfigSecret,
    Dependency,
    Event,
    HttpProbe,
    Identity,
    InitContainer,
    JobOverride,
    JobSpec,
    KedaScaler,
    KeyVaultSecret,
    Manual,
    Port,
    Probes,
    Resources,
    RoleGrant,
    Schedule,
    ServiceSpec,
    StorageQueue,
    Target,
)

QUEUES_GROUP = "rg-batch-{environment}"
INVOICES_QUEUE = (
    f"/subscriptions/{{subscription}}/resourceGroups/{QUEUES_GROUP}"
    "/providers/Microsoft.Storage/storageAccounts/stbatch{environment}"
    "/queueServices/default/queues/invoices"
)

ledger = ServiceSpec(
    name="ledger",
    image="batch/ledger:1.0.0",
    target=Target.AKS,
    ports=(Port(name="http", number=8080),),
    probes=Probes(readiness=HttpProbe(), liveness=HttpProbe()),
)

# Manual, on Container Apps: started by a pipeline; every run-shape field set.
migrate = JobSpec(
    name="ledger-migrate",
    image="batch/ledger:1.0.0",
    target=Target.CONTAINER_APPS,
    trigger=Manual(),
    command=("ledger",),
    args=("migrate",),
    env={"LOG_LEVEL": "info"},
    secrets={"LEDGER_DB_PASSWORD": KeyVaultSecret(name="ledger-db-password")},
    parallelism=1,
    completions=1,
    retries=0,
    timeout_seconds=900,
    dependencies=(Dependency(service="ledger", env="LEDGER_URL"),),
    writable_paths=("/tmp", "/var/cache/ledger"),
    overrides={
        "prod": JobOverride(
            image="batch/ledger:1.0.1",
            resources=Resources(cpu=0.5, memory="1Gi"),
            retries=2,
            timeout_seconds=1800,
            env={"LOG_LEVEL": "warn"},
        )
    },
)

# Scheduled on AKS, in a local time zone (honoured by the CronJob's timeZone).
statements = JobSpec(
    name="statements",
    image="batch/ledger:1.0.0",
    target=Target.AKS,
    trigger=Schedule(cron="0 6 1 * *", time_zone="Europe/Amsterdam"),
    args=("statements",),
    secret_files={"signing-key": KeyVaultSecret(name="statements-signing-key")},
    init_containers=(
        InitContainer(
            name="wait-for-ledger",
            image="batch/ledger:1.0.0",
            command=("ledger",),
            args=("wait", "--address-from", "LEDGER_URL"),
            env={"WAIT_SECONDS": "120"},
            resources=Resources(cpu=0.25, memory="256Mi"),
        ),
    ),
    dependencies=(Dependency(service="ledger", env="LEDGER_URL"),),
    overrides={"prod": JobOverride(parallelism=2, completions=4)},
)

# Event-driven on AKS (a KEDA ScaledJob): one execution per batch of queue messages.
invoices = JobSpec(
    name="invoice-render",
    image="batch/invoices:2.0.0",
    target=Target.AKS,
    trigger=Event(
        queue=StorageQueue(
            account="stbatchdev",
            queue="invoices",
            messages_per_replica=20,
            resource_group=QUEUES_GROUP,
        ),
        max_executions=5,
        polling_seconds=15,
    ),
    identity=Identity(
        roles=(RoleGrant(role="Storage Queue Data Message Processor", scope=INVOICES_QUEUE),)
    ),
    # A patch: the queue, backlog and group stay; only the account differs.
    overrides={
        "prod": JobOverride(
            trigger=Event(queue=StorageQueue(account="stbatchprod", queue="invoices"))
        )
    },
)

# Event-driven on Container Apps from another KEDA scaler, its credentials from Key Vault, and
# a Pulumi secret config value (`secrets:batch-api-token`).
exports = JobSpec(
    name="exports",
    image="batch/exports:1.2.0",
    target=Target.CONTAINER_APPS,
    trigger=Event(
        queue=KedaScaler(
            type="rabbitmq",
            metadata={"queueName": "exports", "mode": "QueueLength", "value": "10"},
            auth={"host": KeyVaultSecret(name="exports-amqp-uri")},
        )
    ),
    secrets={"API_TOKEN": ConfigSecret(key="batch-api-token")},
    overrides={
        "dev": JobOverride(
            trigger=Event(
                queue=KedaScaler(
                    type="rabbitmq",
                    metadata={"queueName": "exports-dev", "mode": "QueueLength", "value": "2"},
                    auth={"host": KeyVaultSecret(name="exports-amqp-uri")},
                )
            )
        )
    },
)

application = Application(
    name="batch",
    owner="platform-tests",
    services=(ledger,),
    jobs=(migrate, statements, invoices, exports),
)
