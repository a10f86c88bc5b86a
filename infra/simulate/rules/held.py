"""What another stack already holds: team stacks share Azure (one DNS zone, one Container Apps
environment), and two stacks that both create one thing cannot both succeed.

A world may hold several stacks' resources (`infra.simulate.scenario.simulate_team`: a
platform stack and its application stacks, which deploy in parallel). Within one stack the
engine refuses a second registration of a URN (`duplicate-urn`) and a record moved between two
owners is `dns-record-set-held`; across stacks nothing in Pulumi sees the other stack's state,
so the cloud answers."""

from __future__ import annotations

import functools
import re
from collections.abc import Iterator

from infra.plan.kinds import PRIVATE_RECORD_SET
from infra.simulate.plan import PlannedResource, stack_of
from infra.simulate.references import CONTAINER_APP
from infra.simulate.registry import Refusal, StepContext, rule
from infra.simulate.rules.domains import RECORD_SETS, record_set_id
from infra.upstream_facts import UPSTREAM

PROVIDER_EXCERPT = UPSTREAM / "pulumi-azure-native" / "create-existing.go.excerpt"
APPS_EXCERPT = UPSTREAM / "azure-container-apps-docs" / "connect-apps.excerpt.md"


@functools.cache
def provider_error() -> str:
    """The error pulumi-azure-native's create gives for an id that exists, as the vendored
    provider source words it (`upstream/pulumi-azure-native/`)."""
    found = re.search(
        r'fmt\.Errorf\("(cannot create already existing resource)', (PROVIDER_EXCERPT.read_text())
    )
    if found is None:
        raise ValueError(f"{PROVIDER_EXCERPT}: no existence check before the create")
    return found.group(1)


@functools.cache
def app_name_addresses_the_app() -> bool:
    """Whether the vendored Container Apps docs still say an app is called by its name within
    its environment (`http://<APP_NAME>`), and its FQDN is made of that name."""
    text = APPS_EXCERPT.read_text()
    return "`http://<APP_NAME>`" in text and "the container app name" in text


def identity(resource: PlannedResource) -> tuple[str, ...] | None:
    """What names the resource in Azure, for the kinds two application stacks can both
    declare: a DNS record set (resource group, zone, name, type: one Azure id) and a Container
    App (its environment and its name: one address, when the docs say so)."""
    if resource.type in (*RECORD_SETS, PRIVATE_RECORD_SET):
        return ("record set", *record_set_id(resource))
    if resource.type == CONTAINER_APP and app_name_addresses_the_app():
        environment = str(resource.inputs.get("managedEnvironmentId") or "").lower()
        name = str(resource.inputs.get("containerAppName") or "").lower()
        return ("container app", environment, name) if environment and name else None
    return None


def _words(key: tuple[str, ...]) -> str:
    if key[0] == "record set":
        _, _, zone, name, kind = key
        return f"{kind} record set {name} (zone {zone})"
    _, environment, name = key
    return f"Container App {name} in environment {environment.rsplit('/', 1)[-1]}"


@rule(
    "resource-held-by-another-stack",
    refuses="creating a DNS record set, or a Container App, that another stack holds in the "
    "same zone or Container Apps environment (two application stacks deploying one name)",
    source="pulumi-azure-native provider.go `customCreate`/`defaultCreate` and "
    "client_azcore.go `CanCreate`: a create first checks the id and fails with 'cannot create "
    "already existing resource' (upstream/pulumi-azure-native/); Container Apps docs "
    "'Connect applications': apps in one environment are called by their name and their FQDN "
    "is made of it (upstream/azure-container-apps-docs/)",
)
def not_held_elsewhere(ctx: StepContext) -> Iterator[Refusal]:
    """Each stack's `pulumi up` sees only its own state, so two stacks can both plan to create
    one record or one app name; whichever runs second is refused by Azure (the record's id
    exists; the app's name is taken in the environment). Application stacks deploy in
    parallel, so either may be the second: the simulator refuses both."""
    if ctx.action != "create":
        return
    key = identity(ctx.resource)
    if key is None:
        return
    mine = stack_of(ctx.resource.urn)
    for held in ctx.world.resources.values():
        owner = stack_of(held.urn)
        if owner == mine or identity(held) != key:
            continue
        same_id = key[0] == "record set" or _group(held) == _group(ctx.resource)
        answer = provider_error() if same_id else "its name is taken in the environment"
        yield ctx.refuse(
            "resource-held-by-another-stack",
            f"{_words(key)} would be created, but stack {owner} holds it ({held.urn}): "
            f"whichever of the two deploys second is refused ({answer}).",
            "give one of them another name (a service name is unique across the platform: "
            "rename the service in one application), or remove it from one stack before the "
            "other creates it.",
        )
        return


def _group(resource: PlannedResource) -> str:
    return str(resource.inputs.get("resourceGroupName") or "").lower()
