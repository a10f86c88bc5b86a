"""The program's own aliases in the offline plan: recorded as the old URNs they stand for, and
matched by the diff as the engine matches them (an aliased resource is kept, never deleted and
created)."""

from __future__ import annotations

from typing import Any

import pulumi
import pytest

from infra.preview.diff import Operation, diff
from infra.preview.engine import run_offline
from infra.preview.report import markdown
from infra.preview.stackfile import read_stack
from tests.preview_edits import plan, setting

RECORD = "PrivateRecordSet:internal-host-admin.dev.shop.internal"


def _operations(base: dict[str, Any], head: dict[str, Any]) -> dict[str, str]:
    return {
        f"{c.type.rsplit(':', 1)[-1]}:{c.name}": c.operation.value for c in diff(base, head).changes
    }


@pytest.fixture(scope="module")
def plans() -> tuple[dict[str, Any], dict[str, Any]]:
    """dev on `aks.ingress: gateway` (internal on Envoy Gateway) and on `both` (NGINX)."""
    return plan("dev"), plan("dev", config=setting("aks", "ingress", value="both"))


def test_switching_internal_ingress_keeps_the_dns_record(
    plans: tuple[dict[str, Any], dict[str, Any]],
) -> None:
    gateway, both = plans
    for base, head in ((gateway, both), (both, gateway)):
        operations = _operations(base, head)
        # The controllers do change; the one Azure record does not move.
        assert "InternalIngress:internal-ingress" in operations
        assert RECORD not in operations
        (pair,) = diff(base, head).aliased
        assert pair[1].endswith("::internal-host-admin.dev.shop.internal")
    comment = markdown(diff(gateway, both))
    assert (
        "internal-host-admin.dev.shop.internal  [alias: kept, EnvoyGateway => InternalIngress]"
        in (comment)
    )


def _record(urn: str, value: str, aliases: tuple[str, ...] = ()) -> dict[str, Any]:
    token = "azure-native:privatedns:PrivateRecordSet"
    entry: dict[str, Any] = {
        "urn": urn,
        "type": token,
        "name": urn.rsplit("::", 1)[-1],
        "custom": True,
        "provider": "p",
        "inputs": {"ttl": value},
    }
    if aliases:
        entry["aliases"] = list(aliases)
    return entry


def test_an_aliased_resource_with_a_change_is_an_update_under_its_new_urn() -> None:
    old = "urn:pulumi:dev::platform::a:b:Old$azure-native:privatedns:PrivateRecordSet::r"
    new = "urn:pulumi:dev::platform::a:b:New$azure-native:privatedns:PrivateRecordSet::r"
    base = {"resources": [_record(old, "300")]}
    head = {"resources": [_record(new, "600", (old,))]}
    (change,) = diff(base, head).changes
    assert (change.urn, change.operation) == (new, Operation.UPDATE)
    # Without the alias it is what the engine would do then: delete and create.
    head["resources"][0].pop("aliases")
    assert sorted(c.operation for c in diff(base, head).changes) == [
        Operation.CREATE,
        Operation.DELETE,
    ]


def test_aliases_resolve_to_the_old_urns_in_the_plans_own_scheme() -> None:
    """Name, parent and no-parent aliases and those inherited from an aliased parent, as the
    SDK's alias specs and `all_aliases` define them; the providers' version aliases are not
    recorded."""

    def program() -> None:
        parent = pulumi.ComponentResource(
            "platform:test:New",
            "app",
            None,
            pulumi.ResourceOptions(aliases=[pulumi.Alias(name="old-app")]),
        )
        pulumi.ComponentResource(
            "platform:test:Child",
            "app-child",
            None,
            pulumi.ResourceOptions(parent=parent),
        )
        pulumi.ComponentResource(
            "platform:test:Moved",
            "moved",
            None,
            pulumi.ResourceOptions(parent=parent, aliases=[pulumi.Alias(parent=None)]),
        )

    run = run_offline(read_stack("dev"), program)
    aliases = {r.name: r.aliases for r in run.resources}
    prefix = "urn:pulumi:dev::platform::"
    assert aliases["app"] == (f"{prefix}pulumi:pulumi:Stack$platform:test:New::old-app",)
    assert aliases["app-child"] == (
        f"{prefix}platform:test:New$platform:test:Child::old-app-child",
    )
    assert aliases["moved"][0] == f"{prefix}pulumi:pulumi:Stack$platform:test:Moved::moved"


def test_provider_version_aliases_are_not_recorded(
    plans: tuple[dict[str, Any], dict[str, Any]],
) -> None:
    gateway, _ = plans
    kept = [r for r in gateway["resources"] if r.get("aliases")]
    assert [r["name"] for r in kept] == ["internal-host-admin.dev.shop.internal"]
