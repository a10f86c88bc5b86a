"""What a resource reads from elsewhere when it is created: Key Vault objects (and with which
identity), images, the cluster it talks to. Pure functions over plan resources."""

from __future__ import annotations

import re
from dataclasses import dataclass

import yaml

from infra.plan.kinds import (
    ACA_CERTIFICATE,
    CONTAINER_APP,
    INGRESS,
    MANAGED_ENVIRONMENT,
    REGISTRY,
    SECRET_PROVIDER_CLASS,
)
from infra.plan.paths import value_at
from infra.plan.workloads import pod_spec
from infra.simulate.azure import VaultObject, last_segment, parse_vault_url
from infra.simulate.plan import PlannedResource
from infra.simulate.registry import StepContext

# The app routing add-on reads an Ingress's TLS certificate from Key Vault (AKS docs,
# "Set up a custom domain name and SSL certificate with the application routing add-on").
TLS_CERT_ANNOTATION = "kubernetes.azure.com/tls-cert-keyvault-uri"
CSI_DRIVER = "secrets-store.csi.k8s.io"


@dataclass(frozen=True)
class VaultRead:
    """`reader` is the principal id that reads (None when it cannot be told from the plan)."""

    object: VaultObject
    reader: str | None
    who: str
    """The reading identity in words, for the refusal."""
    url: str


@dataclass(frozen=True)
class Cluster:
    name: str
    resource_group: str


def registry_of(image: str) -> str:
    head = image.split("/", 1)[0]
    return (
        head.lower() if "/" in image and ("." in head or ":" in head or head == "localhost") else ""
    )


def platform_registries(ctx: StepContext) -> set[str]:
    """Login servers of the registries the stack owns (ACR `<name>.azurecr.io`), and the local
    stack's registry (`platform:registry`)."""
    servers = {
        f"{str(r.inputs.get('registryName') or r.name).lower()}.azurecr.io"
        for r in [
            *ctx.plan.of_type(REGISTRY),
            *(w for w in ctx.world.resources.values() if w.type == REGISTRY),
        ]
    }
    local = ctx.plan.config.get("platform:registry")
    if isinstance(local, str) and local:
        servers.add(local.lower())
    return servers


def cluster_of(ctx: StepContext, resource: PlannedResource | None = None) -> Cluster | None:
    """The AKS cluster a Kubernetes object is sent to (through its provider's clusterIdentifier);
    None for any other cluster (the local stack's) or resource."""
    resource = resource or ctx.resource
    if not resource.is_kubernetes or not resource.provider:
        return None
    provider = ctx.lookup(resource.provider)
    identifier = str((provider.inputs if provider else {}).get("clusterIdentifier") or "")
    if "/managedclusters/" not in identifier.lower():
        return None
    group = re.search(r"/resourcegroups/([^/]+)", identifier, re.IGNORECASE)
    return Cluster(last_segment(identifier).lower(), group[1] if group else "")


def _spc_objects(spc: PlannedResource) -> list[VaultObject]:
    parameters = value_at(spc.inputs, "spec.parameters") or {}
    vault = str(parameters.get("keyvaultName") or "").lower()
    document = yaml.safe_load(str(parameters.get("objects") or "")) or {}
    found: list[VaultObject] = []
    for item in document.get("array", []) if isinstance(document, dict) else []:
        entry = yaml.safe_load(item) if isinstance(item, str) else item
        if isinstance(entry, dict) and entry.get("objectName"):
            kind = "certificates" if entry.get("objectType") == "cert" else "secrets"
            found.append(VaultObject(vault, kind, str(entry["objectName"])))
    return found


def _secret_provider_classes(ctx: StepContext, namespace: str, name: str) -> list[PlannedResource]:
    candidates = [*ctx.plan.of_type(SECRET_PROVIDER_CLASS), *ctx.world.resources.values()]
    return [
        c
        for c in candidates
        if c.type == SECRET_PROVIDER_CLASS
        and value_at(c.inputs, "metadata.name") == name
        and (value_at(c.inputs, "metadata.namespace") or "default") == namespace
    ]


def vault_reads(ctx: StepContext) -> list[VaultRead]:
    """The Key Vault objects this step makes Azure or the cluster read, and who reads them."""
    resource = ctx.resource
    inputs = resource.inputs
    reads: list[VaultRead] = []

    def add(url: str, identity: str, who: str) -> None:
        target = parse_vault_url(url)
        if target is not None:
            reader = ctx.principals.of_identity_id(identity)
            reads.append(VaultRead(target, reader, who or identity or "no identity", url))

    if resource.type == CONTAINER_APP:
        for secret in value_at(inputs, "configuration.secrets") or ():
            if isinstance(secret, dict) and secret.get("keyVaultUrl"):
                identity = str(secret.get("identity") or "")
                add(str(secret["keyVaultUrl"]), identity, f"identity {last_segment(identity)}")
    elif resource.type in (ACA_CERTIFICATE, MANAGED_ENVIRONMENT):
        for path in (
            ("properties", "certificateKeyVaultProperties"),
            ("customDomainConfiguration", "certificateKeyVaultProperties"),
        ):
            props = value_at(inputs, path)
            if isinstance(props, dict) and props.get("keyVaultUrl"):
                identity = str(props.get("identity") or "")
                add(str(props["keyVaultUrl"]), identity, f"identity {last_segment(identity)}")
    elif resource.type == INGRESS:
        url = (value_at(inputs, "metadata.annotations") or {}).get(TLS_CERT_ANNOTATION)
        cluster = cluster_of(ctx)
        target = parse_vault_url(str(url)) if url else None
        if target is not None:
            reader = ctx.principals.app_routing.get(cluster.name) if cluster else None
            reads.append(VaultRead(target, reader, "the app routing add-on's identity", str(url)))
    elif (spec := pod_spec(resource.type, inputs)) is not None:
        namespace = str(value_at(inputs, "metadata.namespace") or "default")
        for volume in spec.get("volumes") or ():
            csi = volume.get("csi") if isinstance(volume, dict) else None
            if not isinstance(csi, dict) or csi.get("driver") != CSI_DRIVER:
                continue
            name = str(value_at(csi, "volumeAttributes.secretProviderClass") or "")
            for spc in _secret_provider_classes(ctx, namespace, name):
                client = str(value_at(spc.inputs, "spec.parameters.clientID") or "")
                reader = ctx.principals.of_client_id(client)
                for target in _spc_objects(spc):
                    reads.append(
                        VaultRead(
                            target,
                            reader,
                            f"client id {client or '(none)'} of SecretProviderClass {name}",
                            target.url,
                        )
                    )
    return reads


def revision_suffix(resource: PlannedResource | None) -> str | None:
    """A Container App's `template.revisionSuffix`, or None (no resource, none set: Azure then
    names the revision)."""
    template = resource.inputs.get("template") if resource is not None else None
    suffix = template.get("revisionSuffix") if isinstance(template, dict) else None
    return suffix if isinstance(suffix, str) and suffix else None
