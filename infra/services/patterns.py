"""What declared values must look like, and the limits of each target: shared by the rules
(`infra/services/rules/`) and the chart and application checks in `validation.py`."""

from __future__ import annotations

import re

from infra.constants import ALB_NAMESPACE, ENVOY_GATEWAY_NAMESPACE, SECRET_LOOKING_PATTERN
from infra.services.spec import Target

DNS_LABEL = re.compile(r"^[a-z]([-a-z0-9]*[a-z0-9])?$")
PORT_NAME = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$")
ENV_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
HOSTNAME = re.compile(r"^(?=.{1,253}$)([a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$")
KEY_VAULT_SECRET_NAME = re.compile(r"^[0-9a-zA-Z-]{1,127}$")
KEY_VAULT_CERT_URI = re.compile(
    r"^https://[a-z0-9-]{3,24}\.vault\.azure\.net/certificates/[0-9a-zA-Z-]+/?$"
)
SECRET_FILE_NAME = re.compile(r"^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$")
SECRET_LOOKING = re.compile(SECRET_LOOKING_PATTERN, re.I)
SECRET_REFERENCE_KEY = re.compile(
    r"existing_?secret|(secret_?name|secret_?ref|secret_?key_?ref|secret_?keys)$",
    re.I,
)
"""A chart value key that names a Secret (or a key inside one) rather than holding a secret:
Helm charts' conventions `existingSecret`, `auth.usersExistingSecret`, `existingSecretPasswordKey`,
`passwordSecretName`, `tls.secretName`, `secretKeyRef`, `secretKeys`. Also matches a key under
such a mapping (the chart rule passes the parent). Not `secretKey`: that is a secret."""
SECRET_REFERENCE_VALUE = re.compile(r"^[-._a-zA-Z0-9]{1,253}$")
"""What a reference holds: a Secret's name (a DNS subdomain) or a key in its data."""

MAX_NAME = {Target.AKS: 63, Target.CONTAINER_APPS: 32}
RESERVED_NAMESPACES = frozenset(
    {
        "default",
        "kube-system",
        "kube-public",
        "kube-node-lease",
        "app-routing-system",
        "gatekeeper-system",
        "calico-system",
        "tigera-operator",
        ALB_NAMESPACE,
        ENVOY_GATEWAY_NAMESPACE,
    }
)
ACA_MAX_CPU = 4.0
ACA_MAX_REPLICAS = 1000
UTC_ZONES = frozenset({"Etc/UTC", "UTC"})
LOWEST_UNPRIVILEGED_PORT = 1024
SECRETS_NAMESPACE = "secrets"
CHART_VERSION = re.compile(r"^\d+\.\d+\.\d+(-[0-9A-Za-z.-]+)?$")
CHART_NAME = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$")


def env_secret_name(variable: str) -> str:
    """Container Apps secret names: lowercase letters, digits and '-'."""
    return variable.lower().replace("_", "-")


def scaler_secret_name(parameter: str) -> str:
    """The Container Apps secret (a Key Vault reference) behind one `KedaScaler` auth
    parameter, which the scale rule's `auth` names (`secretRef` → `triggerParameter`)."""
    return f"keda-{parameter.lower()}"
