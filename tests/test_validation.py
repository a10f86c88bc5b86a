"""Malformed service declarations: each refused with a message naming service, field and fix."""

from __future__ import annotations

import dataclasses
from typing import Any

import pytest

from infra.config import Environment
from infra.problems import InvalidInput
from infra.services.spec import (
    Application,
    Autoscaling,
    ConfigSecret,
    Dependency,
    Event,
    Exposure,
    GrpcProbe,
    HttpProbe,
    Identity,
    Ingress,
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
    Target,
    TcpProbe,
)
from infra.services.validation import validate_applications
from tests.fixtures import catalog_of, context

HTTP = (Port(name="http", number=8080),)
QUEUE = "/subscriptions/{subscription}/resourceGroups/rg/providers/Microsoft.ServiceBus/namespaces/sb/queues/q"


def svc(**changes: Any) -> ServiceSpec:
    base = ServiceSpec(name="api", image="team/api:1.0.0", target=Target.AKS, ports=HTTP)
    return dataclasses.replace(base, **changes)


def job(**changes: Any) -> JobSpec:
    base = JobSpec(name="batch", image="team/batch:1.0.0", target=Target.AKS)
    return dataclasses.replace(base, **changes)


def problems(
    *declared: ServiceSpec | JobSpec,
    environment: Environment = Environment.DEV,
    secrets: dict[str, bool] | None = None,
) -> list[str]:
    services = tuple(d for d in declared if isinstance(d, ServiceSpec))
    jobs = tuple(d for d in declared if isinstance(d, JobSpec))
    with pytest.raises(InvalidInput) as caught:
        validate_applications(
            [Application(name="shop", services=services, jobs=jobs, source="apps/test.py")],
            context(environment, secrets),
        )
    return [f"{p.group} | {p.render().strip()}" for p in caught.value.problems]


CASES: list[tuple[str, list[ServiceSpec | JobSpec], Environment, str]] = [
    (
        "name not a DNS label",
        [svc(name="Catalog_API")],
        Environment.DEV,
        "Catalog_API (apps/test.py) | name = 'Catalog_API': is not a DNS label of at most 63 characters → use lowercase letters, digits and single '-', starting with a letter",
    ),
    (
        "name too long for Container Apps",
        [svc(name="a" * 33, target=Target.CONTAINER_APPS)],
        Environment.DEV,
        f"{'a' * 33} (apps/test.py) | name = '{'a' * 33}': is not a DNS label of at most 32 characters (the Container Apps limit) → use lowercase letters, digits and single '-', starting with a letter",
    ),
    (
        "malformed image",
        [svc(image="Team/API::1")],
        Environment.DEV,
        "api (apps/test.py) | image = 'Team/API::1': is not an image reference → use registry/repository:tag or repository@sha256:<digest>",
    ),
    (
        "image without tag",
        [svc(image="team/api")],
        Environment.DEV,
        "api (apps/test.py) | image = 'team/api': has no tag or digest (it would mean 'latest') → pin a version tag, e.g. :1.4.2, or a digest",
    ),
    (
        "latest in prod",
        [svc(image="team/api:latest")],
        Environment.PROD,
        "api (apps/test.py) | image = 'team/api:latest': uses the mutable 'latest' tag in prod → pin a version tag or a digest (set overrides['prod'].image)",
    ),
    (
        "port out of range",
        [svc(ports=(Port(name="http", number=70000),))],
        Environment.DEV,
        "api (apps/test.py) | ports[0].number = 70000: must be 1..65535 → use the port the process listens on",
    ),
    (
        "privileged port",
        [svc(ports=(Port(name="http", number=80),))],
        Environment.DEV,
        "api (apps/test.py) | ports[0].number = 80: is a privileged port; containers run as non-root without capabilities → listen on 1024 or above, e.g. 8080",
    ),
    (
        "duplicate port number",
        [svc(ports=(Port(name="http", number=8080), Port(name="admin", number=8080)))],
        Environment.DEV,
        "api (apps/test.py) | ports[1].number = 8080: is used twice → give each port its own number",
    ),
    (
        "duplicate port name",
        [svc(ports=(Port(name="http", number=8080), Port(name="http", number=8081)))],
        Environment.DEV,
        "api (apps/test.py) | ports[1].name = 'http': is used twice → give each port its own name",
    ),
    (
        "wrong type",
        [svc(replicas="two")],
        Environment.DEV,  # type: ignore[arg-type]
        "api (apps/test.py) | replicas = 'two': Input should be a valid integer, unable to parse string as an integer → see docs/service-model.md",
    ),
    (
        "literal secret",
        [svc(secrets={"DB_PASSWORD": "hunter2"})],
        Environment.DEV,  # type: ignore[dict-item]
        "api (apps/test.py) | secrets.DB_PASSWORD = 'hunter2': is a str → use one of ConfigSecret, KeyVaultSecret",
    ),
    (
        "secret in env",
        [svc(env={"DB_PASSWORD": "hunter2"})],
        Environment.DEV,
        "api (apps/test.py) | env['DB_PASSWORD'] = <hidden>: looks like a secret given as plain text → move it to secrets= with KeyVaultSecret(...) or ConfigSecret(...)",
    ),
    (
        "config secret missing",
        [svc(secrets={"TOKEN": ConfigSecret(key="api-token")})],
        Environment.DEV,
        "api (apps/test.py) | secrets['TOKEN'].key = 'api-token': is not set in this stack → run: pulumi config set --secret secrets:api-token <value>",
    ),
    (
        "bad key vault name",
        [svc(secrets={"TOKEN": KeyVaultSecret(name="my_secret")})],
        Environment.DEV,
        "api (apps/test.py) | secrets['TOKEN'].name = 'my_secret': is not a Key Vault secret name → use 1-127 letters, digits and '-'",
    ),
    (
        "min greater than max",
        [svc(autoscaling=Autoscaling(min_replicas=5, max_replicas=2))],
        Environment.DEV,
        "api (apps/test.py) | autoscaling.min_replicas = 5: is greater than max_replicas 2 → lower min_replicas or raise max_replicas",
    ),
    (
        "scale to zero without trigger",
        [svc(autoscaling=Autoscaling(min_replicas=0, max_replicas=3))],
        Environment.DEV,
        "api (apps/test.py) | autoscaling.min_replicas = 0: cannot scale to zero without a queue (or, on Container Apps, HTTP) trigger → set min_replicas to 1, or add a queue trigger",
    ),
    (
        "http scaling on AKS",
        [svc(autoscaling=Autoscaling(http_concurrency=50))],
        Environment.DEV,
        "api (apps/test.py) | autoscaling.http_concurrency = 50: is not available on AKS (no HTTP scaler is installed) → use cpu_utilization on AKS, or target Container Apps",
    ),
    (
        "queue trigger without identity",
        [
            svc(
                autoscaling=Autoscaling(
                    min_replicas=0,
                    cpu_utilization=None,
                    queue=ServiceBusQueue(namespace="sb", queue="orders", resource_group="rg"),
                )
            )
        ],
        Environment.DEV,
        'api (apps/test.py) | autoscaling.queue: is read with the service\'s identity, which has no role → add identity=Identity(roles=(RoleGrant(role="Azure Service Bus Data Receiver", scope=<queue resource id>),))',
    ),
    (
        "utilization out of range",
        [svc(autoscaling=Autoscaling(cpu_utilization=150))],
        Environment.DEV,
        "api (apps/test.py) | autoscaling.cpu_utilization = 150: must be 1..100 (percent of the request) → use e.g. 70",
    ),
    (
        "Container Apps size",
        [svc(target=Target.CONTAINER_APPS, resources=Resources(cpu=0.3, memory="1Gi"))],
        Environment.DEV,
        'api (apps/test.py) | resources = cpu=0.3, memory=1Gi: is not a Container Apps size (0.25-4 cores in 0.25 steps, memory = 2 × cpu Gi) → use cpu=0.25, memory="0.5Gi"',
    ),
    (
        "bad memory",
        [svc(resources=Resources(cpu=0.5, memory="1GB"))],
        Environment.DEV,
        "api (apps/test.py) | resources.memory = '1GB': is not a memory size → use e.g. 512Mi or 1Gi",
    ),
    (
        "unknown dependency",
        [svc(dependencies=(Dependency(service="catalogue"),))],
        Environment.DEV,
        "api (apps/test.py) | dependencies[0].service = 'catalogue': is not a declared service → declare that service or fix the name",
    ),
    (
        "dependency on itself",
        [svc(dependencies=(Dependency(service="api"),))],
        Environment.DEV,
        "api (apps/test.py) | dependencies[0].service = 'api': is the service itself → remove it",
    ),
    (
        "dependency port missing",
        [svc(), svc(name="web", dependencies=(Dependency(service="api", port="grpc"),))],
        Environment.DEV,
        "web (apps/test.py) | dependencies[0].port = 'grpc': 'api' has no such port → use one of: http",
    ),
    (
        "public without TLS on AKS",
        [svc(ingress=Ingress(exposure=Exposure.PUBLIC, host="api.example.com"))],
        Environment.DEV,
        "api (apps/test.py) | ingress.tls: is missing: public hosts must serve TLS → set tls=Tls(key_vault_certificate_uri=...) or make it Exposure.INTERNAL",
    ),
    (
        "AKS ingress without host",
        [svc(ingress=Ingress(exposure=Exposure.INTERNAL))],
        Environment.DEV,
        "api (apps/test.py) | ingress.host: is required on AKS for internal or public ingress → set a host name for the ingress rule",
    ),
    (
        "ingress on tcp port",
        [
            svc(
                ports=(Port(name="db", number=5432, protocol=Protocol.TCP),),
                ingress=Ingress(exposure=Exposure.INTERNAL, host="db.shop.internal"),
            )
        ],
        Environment.DEV,
        "api (apps/test.py) | ingress.port = 'db': is a tcp port; ingress routes http and grpc → expose an http/grpc port, or keep tcp services internal (Exposure.NONE)",
    ),
    (
        "same host and path",
        [
            svc(ingress=Ingress(exposure=Exposure.INTERNAL, host="shop.internal")),
            svc(name="web", ingress=Ingress(exposure=Exposure.INTERNAL, host="shop.internal")),
        ],
        Environment.DEV,
        "web (apps/test.py) | ingress = 'shop.internal/': is also claimed by 'api' → give each service its own host or path",
    ),
    (
        "probe port unknown",
        [svc(probes=Probes(readiness=HttpProbe(port="admin")))],
        Environment.DEV,
        "api (apps/test.py) | probes.readiness.port = 'admin': names no port of this service → declare the port in ports= and name it here",
    ),
    (
        "grpc probe on http port",
        [svc(probes=Probes(liveness=GrpcProbe()))],
        Environment.DEV,
        "api (apps/test.py) | probes.liveness.port = 'http': is a http port; GrpcProbe needs grpc → use HttpProbe or TcpProbe for this port",
    ),
    (
        "unknown role",
        [svc(identity=Identity(roles=(RoleGrant(role="Owner", scope=QUEUE),)))],
        Environment.DEV,
        "api (apps/test.py) | identity.roles[0].role = 'Owner': is not a known data-plane role → use a name from infra/services/roles.py or a role definition GUID",
    ),
    (
        "role scope too broad",
        [
            svc(
                identity=Identity(
                    roles=(
                        RoleGrant(
                            role="Azure Service Bus Data Receiver",
                            scope="/subscriptions/{subscription}",
                        ),
                    )
                )
            )
        ],
        Environment.DEV,
        "api (apps/test.py) | identity.roles[0].scope = '/subscriptions/{subscription}': is not an Azure resource id → use the narrowest resource that works, e.g. the queue's id",
    ),
    (
        "unknown override environment",
        [svc(overrides={"production": Override(replicas=3)})],
        Environment.DEV,
        "api (apps/test.py) | overrides['production']: is not an environment → use one of dev, staging, prod, local",
    ),
    (
        "override makes it invalid in prod",
        [svc(overrides={"prod": Override(replicas=-1)})],
        Environment.PROD,
        "api (apps/test.py) | replicas = -1: must be 0..1000 → use e.g. 2",
    ),
    (
        "bad env var name",
        [svc(env={"1ST": "x"})],
        Environment.DEV,
        "api (apps/test.py) | env['1ST']: is not a valid variable name → use letters, digits and '_', not starting with a digit",
    ),
    (
        "env name collides with dependency",
        [svc(), svc(name="web", env={"API_URL": "x"}, dependencies=(Dependency(service="api"),))],
        Environment.DEV,
        "web (apps/test.py) | dependencies[0].env = 'API_URL': is already set by env, secrets or another dependency → choose another variable name with env=",
    ),
    (
        "cpu request above limit",
        [svc(resources=Resources(cpu=0.25, memory="512Mi", cpu_request=0.5))],
        Environment.DEV,
        "api (apps/test.py) | resources.cpu_request = 0.5: is above the limit cpu=0.25 → lower the request, or raise cpu (requests may not exceed limits)",
    ),
    (
        "memory request above limit",
        [job(resources=Resources(cpu=0.25, memory="512Mi", memory_request="1Gi"))],
        Environment.DEV,
        "batch (apps/test.py) | resources.memory_request = '1Gi': is above the limit memory=512Mi → lower the request, or raise memory (requests may not exceed limits)",
    ),
    (
        "service port clash",
        [
            svc(
                ports=(
                    Port(name="http", number=8080, service_port=80),
                    Port(name="admin", number=8081, service_port=80),
                )
            )
        ],
        Environment.DEV,
        "api (apps/test.py) | ports[1].service_port = 80: is also the Service port of 'http' → give each port its own service_port (callers could not tell them apart)",
    ),
    (
        "service port clashes with another port's number",
        [
            svc(
                ports=(
                    Port(name="http", number=8080, service_port=9090),
                    Port(name="metrics", number=9090),
                )
            )
        ],
        Environment.DEV,
        "api (apps/test.py) | ports[1].number = 9090: is also the Service port of 'http' → give each port its own service_port (callers could not tell them apart)",
    ),
    (
        "service port out of range",
        [svc(ports=(Port(name="http", number=8080, service_port=0),))],
        Environment.DEV,
        "api (apps/test.py) | ports[0].service_port = 0: must be 1..65535 → use the port callers should use, e.g. 80",
    ),
    (
        "cron that does not parse",
        [job(trigger=Schedule(cron="61 * * * *"))],
        Environment.DEV,
        "batch (apps/test.py) | trigger.cron = '61 * * * *': is not a cron schedule: minute '61' is outside 0-59 → use five fields: minute hour day-of-month month day-of-week, e.g. '30 2 * * *'",
    ),
    (
        "cron with six fields",
        [job(trigger=Schedule(cron="0 0 2 * * *"))],
        Environment.DEV,
        "batch (apps/test.py) | trigger.cron = '0 0 2 * * *': is not a cron schedule: has 6 fields, not 5 (minute hour day-of-month month day-of-week) → use five fields: minute hour day-of-month month day-of-week, e.g. '30 2 * * *'",
    ),
    (
        "trigger not available on the target",
        [
            job(
                target=Target.CONTAINER_APPS,
                trigger=Schedule(cron="0 6 * * *", time_zone="Europe/Amsterdam"),
            )
        ],
        Environment.DEV,
        "batch (apps/test.py) | trigger.time_zone = 'Europe/Amsterdam': is not available on Container Apps, which runs schedules in UTC → write the schedule in UTC (time_zone='Etc/UTC'), or target AKS",
    ),
    (
        "unknown time zone",
        [job(trigger=Schedule(cron="0 6 * * *", time_zone="Mars/Olympus"))],
        Environment.DEV,
        "batch (apps/test.py) | trigger.time_zone = 'Mars/Olympus': is not an IANA time zone → use e.g. Etc/UTC or Europe/Amsterdam",
    ),
    (
        "parallelism above completions",
        [job(parallelism=4, completions=2)],
        Environment.DEV,
        "batch (apps/test.py) | parallelism = 4: is above completions=2; the extra replicas would have nothing to do → lower parallelism to at most 2, or raise completions",
    ),
    (
        "job with ingress",
        [job(ingress=Ingress(exposure=Exposure.PUBLIC))],
        Environment.DEV,
        "batch (apps/test.py) | ingress: a job serves no traffic, so it takes no ingress → remove ingress, or declare a ServiceSpec for something callers reach",
    ),
    (
        "dependency on a job",
        [job(), svc(dependencies=(Dependency(service="batch"),))],
        Environment.DEV,
        "api (apps/test.py) | dependencies[0].service = 'batch': is a job, which serves no traffic → depend on the service the job works for, or trigger the job instead",
    ),
    (
        "event job without identity",
        [
            job(
                trigger=Event(
                    queue=ServiceBusQueue(namespace="sb", queue="orders", resource_group="rg")
                )
            )
        ],
        Environment.DEV,
        'batch (apps/test.py) | trigger.queue: is read with the job\'s identity, which has no role → add identity=Identity(roles=(RoleGrant(role="Azure Service Bus Data Receiver", scope=<queue resource id>),))',
    ),
    (
        "job timeout out of range",
        [job(timeout_seconds=0)],
        Environment.DEV,
        "batch (apps/test.py) | timeout_seconds = 0: must be 1..86400 (a day) → use e.g. 1800; split longer work into several runs",
    ),
    (
        "job and service share a name",
        [svc(name="batch"), job()],
        Environment.DEV,
        "batch (apps/test.py) | name = 'batch': is also declared in apps/test.py → service and job names are unique across the platform: rename one",
    ),
]


@pytest.mark.parametrize(
    ("label", "services", "environment", "expected"), CASES, ids=[c[0] for c in CASES]
)
def test_malformed_service_is_refused_with_its_fix(
    label: str, services: list[ServiceSpec], environment: Environment, expected: str
) -> None:
    found = problems(*services, environment=environment)
    assert expected in found, "\n".join(found)


def test_there_are_at_least_twenty_malformed_cases() -> None:
    assert len(CASES) >= 20


def test_every_problem_in_every_service_at_once() -> None:
    broken = [
        svc(name="a", image="nope::"),
        svc(name="b", ports=(Port(name="http", number=0),)),
        svc(name="c", dependencies=(Dependency(service="zzz"),)),
    ]
    with pytest.raises(InvalidInput) as caught:
        catalog_of(*broken)
    message = str(caught.value)
    assert message.startswith("3 problems in the service declarations")
    for group in ("a (apps/test.py)", "b (apps/test.py)", "c (apps/test.py)"):
        assert f"\n  {group}\n" in message + "\n"


def test_duplicate_service_names_across_applications() -> None:
    apps = [
        Application(name="one", services=(svc(),), source="apps/one.py"),
        Application(name="two", services=(svc(),), source="apps/two.py"),
    ]
    with pytest.raises(InvalidInput, match=r"name = 'api': is also declared in apps/one.py"):
        validate_applications(apps, context())


def test_reserved_namespace_is_refused() -> None:
    apps = [Application(name="kube-system", services=(svc(),), source="apps/x.py")]
    with pytest.raises(InvalidInput, match="is a system namespace"):
        validate_applications(apps, context())


def test_plain_text_config_value_is_not_accepted_as_a_secret() -> None:
    found = problems(
        svc(secrets={"TOKEN": ConfigSecret(key="api-token")}), secrets={"secrets:api-token": False}
    )
    assert (
        "api (apps/test.py) | secrets['TOKEN'].key = 'api-token': is stored in plain text in the stack file → run: pulumi config set --secret secrets:api-token <value>"
        in found
    )


def test_overrides_apply_per_environment() -> None:
    service = svc(
        replicas=2,
        probes=Probes(liveness=TcpProbe()),
        overrides={"prod": Override(replicas=4, env={"MODE": "prod"})},
        env={"MODE": "dev", "X": "1"},
    )
    dev = catalog_of(service).get("api").spec
    prod = catalog_of(service, environment=Environment.PROD).get("api").spec
    assert (dev.replicas, dict(dev.env)) == (2, {"MODE": "dev", "X": "1"})
    assert (prod.replicas, dict(prod.env)) == (4, {"MODE": "prod", "X": "1"})


def test_valid_declaration_passes_and_is_normalised() -> None:
    service = svc(ports=[Port(name="http", number=8080)])  # type: ignore[arg-type]  # a list, as people write
    assert catalog_of(service).get("api").spec.ports == (Port(name="http", number=8080),)


def test_job_problems_are_listed_with_every_other_problem() -> None:
    found = problems(
        svc(image="nope::"),
        job(parallelism=3, completions=1, trigger=Schedule(cron="every night")),
        job(name="other", ingress=Ingress()),
    )
    assert len(found) == 4, found
    assert {line.split(" | ")[0] for line in found} == {
        "api (apps/test.py)",
        "batch (apps/test.py)",
        "other (apps/test.py)",
    }


def test_requests_at_or_below_limits_are_accepted_on_both_targets() -> None:
    burstable = Resources(cpu=0.5, memory="1Gi", cpu_request=0.1, memory_request="256Mi")
    for target in Target:
        spec = catalog_of(svc(target=target, resources=burstable)).get("api").spec
        assert spec.resources == burstable
