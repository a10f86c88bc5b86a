"""Applications for the shared-ingress tests (tests/test_team_ingress.py): the team stacks'
storefront and loyalty (tests/team_apps), and `billing`, whose AKS services are reached through
both shared gateways: a public host on Application Gateway for Containers and an internal host on
Envoy Gateway. Its images are the storefront's (in the suite's image lock)."""

from __future__ import annotations

import dataclasses

from infra.services.spec import (
    Application,
    Exposure,
    HttpProbe,
    Ingress,
    Port,
    Probes,
    Resources,
    ServiceSpec,
    Target,
    Tls,
)
from tests.team_apps import loyalty, storefront

HEALTH = Probes(
    readiness=HttpProbe(path="/healthz/ready"), liveness=HttpProbe(path="/healthz/live")
)
PUBLIC_HOST = "billing.example.com"
INTERNAL_HOST = "billing.{environment}.shop.internal"


def internal_host(environment: str) -> str:
    return INTERNAL_HOST.format(environment=environment)


def _service(name: str, ingress: Ingress) -> ServiceSpec:
    return ServiceSpec(
        name=name,
        image="storefront/admin-web:1.6.0",
        target=Target.AKS,
        ports=(Port(name="http", number=8080),),
        resources=Resources(cpu=0.25, memory="512Mi"),
        replicas=2,
        probes=HEALTH,
        ingress=ingress,
    )


CERTIFICATE = "https://kv-shop-{environment}.vault.azure.net/certificates/billing-example-com"
invoice = _service(
    "invoice-api",
    Ingress(
        exposure=Exposure.PUBLIC,
        host=PUBLIC_HOST,
        tls=Tls(key_vault_certificate_uri=CERTIFICATE),
    ),
)
billing_admin = _service("billing-admin", Ingress(exposure=Exposure.INTERNAL, host=INTERNAL_HOST))

billing = Application(name="billing", owner="billing-team", services=(invoice, billing_admin))

APPLICATIONS = [storefront.application, loyalty.application, billing]

broken_billing = dataclasses.replace(
    billing,
    # A public AKS service without a host: refused by its own stack ("needs a host").
    services=(*billing.services, _service("no-host", Ingress(exposure=Exposure.PUBLIC))),
)
BROKEN = [storefront.application, loyalty.application, broken_billing]
