"""Single-instance stateful software on AKS (dev only): a broker with a persistent disk,
replaced by RECREATE, speaking TCP, probed by TCP (every timing field) and by a command, and a caller that
takes its address as a host and a port in two variables."""

from infra.services.spec import (
    AddressForm,
    Application,
    Dependency,
    ExecProbe,
    HttpProbe,
    Port,
    Probes,
    ProbeTiming,
    Protocol,
    ServiceSpec,
    Target,
    TcpProbe,
    UpdateStrategy,
    Volume,
)

AMQP = TcpProbe(
    port="amqp",
    timing=ProbeTiming(
        initial_delay_seconds=5,
        period_seconds=10,
        timeout_seconds=3,
        failure_threshold=6,
        success_threshold=2,
    ),
)

queue = ServiceSpec(
    name="queue",
    image="broker/rabbitmq:4.1.0",
    target=Target.AKS,
    command=("rabbitmq-server",),
    ports=(
        Port(name="amqp", number=5672, protocol=Protocol.TCP),
        Port(name="management", number=15672),
    ),
    replicas=1,
    update=UpdateStrategy.RECREATE,
    storage=Volume(size="8Gi", mount_path="/var/lib/rabbitmq", name="mnesia"),
    writable_paths=("/tmp", "/etc/rabbitmq/conf.d"),
    probes=Probes(
        readiness=AMQP,
        liveness=ExecProbe(
            command=("rabbitmq-diagnostics", "-q", "ping"),
            timing=ProbeTiming(period_seconds=30, timeout_seconds=10),
        ),
        startup=TcpProbe(port="amqp"),
    ),
)

consumer = ServiceSpec(
    name="consumer",
    image="broker/consumer:1.0.0",
    target=Target.AKS,
    ports=(Port(name="http", number=8080),),
    probes=Probes(readiness=HttpProbe(), liveness=HttpProbe()),
    dependencies=(
        Dependency(
            service="queue",
            port="amqp",
            env="QUEUE_HOST",
            form=AddressForm.HOST,
            also_env={"QUEUE_PORT": AddressForm.PORT},
        ),
    ),
)

application = Application(name="broker", owner="platform-tests", services=(queue, consumer))
