"""Rules of images: the platform registry must hold them, and the puller must be allowed."""

from __future__ import annotations

from collections.abc import Iterator

from infra.constants import CONTRIBUTOR_ROLE as CONTRIBUTOR
from infra.constants import OWNER_ROLE as OWNER
from infra.plan.paths import value_at
from infra.plan.workloads import CONTAINER_APPS_KINDS, images
from infra.simulate.azure import ACR_PULL, ACR_PUSH, last_segment
from infra.simulate.references import cluster_of, platform_registries, registry_of
from infra.simulate.registry import Refusal, StepContext, rule
from infra.simulate.rules.keyvault import DATA_PLANE_PROPAGATION_S

PULLERS = {ACR_PULL, ACR_PUSH, OWNER, CONTRIBUTOR}


@rule(
    "registry-image-missing",
    refuses="a Container App or Kubernetes workload whose image is in the platform registry "
    "but was never pushed there",
    source='microsoft/azure-container-apps#1061 ("unable to pull image"); AKS pods in '
    "ImagePullBackOff until Pulumi's await times out; issue 11 defect 2",
)
def image_pushed(ctx: StepContext) -> Iterator[Refusal]:
    """The registry is created by the same stack, empty: images must be built and pushed after
    the foundation and before the services."""
    owned = platform_registries(ctx)
    for image in images(ctx.resource.type, ctx.resource.inputs):
        if registry_of(image) in owned and image not in ctx.world.images:
            yield ctx.refuse(
                "registry-image-missing",
                f"image {image} is not in the platform registry.",
                f"build and push it after the foundation deploy (`az acr build -r "
                f"{registry_of(image).split('.')[0]} -t {image.split('/', 1)[1]} .` or docker "
                "push), before the services.",
            )


def _registry_suffix(server: str) -> tuple[str, ...]:
    return (f"/microsoft.containerregistry/registries/{server.split('.', maxsplit=1)[0]}",)


@rule(
    "registry-pull-grant",
    refuses="pulling from the platform registry with an identity (Container Apps pull "
    "identity, AKS kubelet) without a propagated AcrPull",
    source="ACR docs 'Authenticate with managed identity'; azure-container-apps#1061; issue 11 "
    "risk 'role-assignment propagation before Container Apps pull'",
)
def pull_granted(ctx: StepContext) -> Iterator[Refusal]:
    """ACR authorizes pulls with Azure RBAC: the pulling identity needs AcrPull, applied before
    the first pull (Container Apps fail the revision; kubelet backs off)."""
    owned = platform_registries(ctx)
    wanted = {registry_of(i) for i in images(ctx.resource.type, ctx.resource.inputs)} & owned
    if not wanted:
        return
    pullers: list[tuple[str, str | None, str]] = []
    if ctx.resource.type in CONTAINER_APPS_KINDS:
        for entry in value_at(ctx.resource.inputs, "configuration.registries") or ():
            server = str(entry.get("server", "")).lower() if isinstance(entry, dict) else ""
            if server in wanted:
                identity = str(entry.get("identity") or "")
                pullers.append(
                    (
                        server,
                        ctx.principals.of_identity_id(identity),
                        f"identity {last_segment(identity) or '(none)'}",
                    )
                )
        for server in wanted - {p[0] for p in pullers}:
            pullers.append((server, None, "no registry identity"))
    else:
        cluster = cluster_of(ctx)
        if cluster is None:
            return  # a local cluster pulls from its own registry without Azure RBAC
        kubelet = ctx.principals.kubelet.get(cluster.name)
        pullers += [
            (server, kubelet, f"the kubelet identity of {cluster.name}") for server in wanted
        ]
    for server, principal, who in pullers:
        age = ctx.grant_age(principal, PULLERS, _registry_suffix(server))
        if age is not None and age >= DATA_PLANE_PROPAGATION_S:
            continue
        state = "has no AcrPull in place" if age is None else f"got AcrPull only {age:.0f} s before"
        yield ctx.refuse(
            "registry-pull-grant",
            f"{who} {state} when this pulls from {server}.",
            "grant AcrPull on the registry to that identity and make this resource wait for a "
            f"Sleep of at least {DATA_PLANE_PROPAGATION_S:.0f}s after it "
            "(registry-pull-propagation / aks-kubelet-acrpull-propagation).",
        )
