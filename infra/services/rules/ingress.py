"""Rules of a service's ingress: hosts, exposure, TLS."""

from __future__ import annotations

from infra.crds.fields import refusals
from infra.services.gateway_api import GATEWAY_API, PATH_MATCH_NODE, path_match
from infra.services.patterns import (
    HOSTNAME,
    KEY_VAULT_CERT_URI,
)
from infra.services.rules.registry import (
    Check,
    service_rule,
)
from infra.services.spec import (
    Exposure,
    Protocol,
    ServiceSpec,
    Target,
)


@service_rule("ingress")
def ingress(c: Check[ServiceSpec]) -> None:
    """Ingress exposes a declared http/grpc port on a host the platform can serve and certify; a
    declaration that exposes nothing carries no host or TLS."""
    spec = c.spec
    ingress = spec.ingress
    if ingress.exposure is Exposure.NONE:
        if ingress.host or ingress.tls:
            c.add(
                "ingress.exposure",
                "none",
                "has a host or TLS but exposes nothing",
                "set exposure=Exposure.INTERNAL or PUBLIC, or drop host/tls",
            )
        return
    port = spec.port_named(ingress.port)
    if port is None:
        c.add(
            "ingress.port",
            ingress.port,
            "names no port of this service" if spec.ports else "needs a port to expose",
            "declare the port in ports= and name it here",
        )
    elif port.protocol is Protocol.TCP:
        c.add(
            "ingress.port",
            port.name,
            "is a tcp port; ingress routes http and grpc",
            "expose an http/grpc port, or keep tcp services internal (Exposure.NONE)",
        )
    if ingress.host is not None and not HOSTNAME.match(ingress.host):
        c.add(
            "ingress.host",
            ingress.host,
            "is not a DNS name",
            "use e.g. shop.example.com ({environment} is the only placeholder)",
        )
    path_refusals(c)
    if spec.target is Target.AKS and ingress.host is None:
        c.add(
            "ingress.host",
            None,
            "is required on AKS for internal or public ingress",
            "set a host name for the ingress rule",
        )
    if (
        ingress.exposure is Exposure.PUBLIC
        and ingress.host is not None
        and ingress.tls is None
        and spec.target is Target.AKS
    ):
        c.add(
            "ingress.tls",
            None,
            "is missing: public hosts must serve TLS",
            "set tls=Tls(key_vault_certificate_uri=...) or make it Exposure.INTERNAL",
        )
    if ingress.tls is not None and not KEY_VAULT_CERT_URI.match(
        ingress.tls.key_vault_certificate_uri
    ):
        c.add(
            "ingress.tls.key_vault_certificate_uri",
            ingress.tls.key_vault_certificate_uri,
            "is not a Key Vault certificate URI",
            "use https://<vault>.vault.azure.net/certificates/<name>",
        )
    if ingress.tls is not None and ingress.host is None:
        c.add("ingress.tls", None, "needs a host to bind the certificate to", "set ingress.host")
    if spec.target is Target.CONTAINER_APPS and ingress.host is not None and ingress.tls is None:
        c.add(
            "ingress.tls",
            None,
            "is required for a custom host on Container Apps",
            "set tls=Tls(key_vault_certificate_uri=...), or drop host to use the generated domain",
        )
    if (
        ingress.tls is not None
        and c.context.key_vault_name
        and not ingress.tls.key_vault_certificate_uri.startswith(
            f"https://{c.context.key_vault_name}.vault.azure.net/"
        )
    ):
        c.add(
            "ingress.tls.key_vault_certificate_uri",
            ingress.tls.key_vault_certificate_uri,
            "is not in the platform Key Vault, which ingress reads certificates from",
            f"import the certificate into {c.context.key_vault_name}",
        )
    if spec.target is Target.CONTAINER_APPS and ingress.path != "/":
        c.add(
            "ingress.path",
            ingress.path,
            "Container Apps routes whole hosts, not paths",
            "use path '/' or give the service its own host",
        )


def path_refusals(c: Check[ServiceSpec]) -> None:
    """`ingress.path` goes verbatim into an HTTPRoute path match (on AGC, on the shared internal
    Envoy Gateway, locally), whose CRD refuses what is not a plain absolute URL path: checked
    against that node of the vendored Gateway API CRD (`upstream/gateway-api-crds/`): its
    `maxLength` and its CEL rules (no `//`, `/./`, `/../`, `%2f`, `#`, trailing `/.` or `/..`,
    only URL path characters). A refused route would take the API server's refusal at deploy
    time, on the shared Gateway with every other application's routes."""
    path = c.spec.ingress.path
    for refusal in refusals(GATEWAY_API, "HTTPRoute", PATH_MATCH_NODE, path_match(path)):
        c.add(
            "ingress.path",
            path,
            f"the HTTPRoute's {refusal.field} {refusal.reason} (Gateway API CRD)",
            "write the URL's path only: '/'-separated segments of letters, digits and -._~, "
            "no empty, '.' or '..' segment, no query (?) or fragment (#), non-ASCII "
            "percent-encoded, at most 1024 characters (e.g. /api/v1)",
        )


@service_rule("ingress")
def insecure_ingress(c: Check[ServiceSpec]) -> None:
    """`allow_insecure` opens plain HTTP (and plaintext gRPC) on the Container Apps ingress for
    callers that cannot dial TLS. Refused with public exposure, in every environment: the app's
    external ingress would then answer the internet in plaintext (no redirect), which public
    exposure promises never to do (policy `k8s-public-ingress-tls` holds AKS to the same).
    Refused where there is no http or grpc port: the flag changes nothing for tcp."""
    spec = c.spec
    if not spec.ingress.allow_insecure:
        return
    if spec.ingress.exposure is Exposure.PUBLIC:
        c.add(
            "ingress.allow_insecure",
            True,
            "with public exposure would serve the internet in plaintext",
            "keep allow_insecure for internal callers (exposure NONE or INTERNAL), or drop it "
            "and let public clients use https",
        )
    if not any(p.protocol in (Protocol.HTTP, Protocol.GRPC) for p in spec.ports):
        c.add(
            "ingress.allow_insecure",
            True,
            "needs an http or grpc port (tcp ingress has no TLS to turn off)",
            "drop allow_insecure",
        )
