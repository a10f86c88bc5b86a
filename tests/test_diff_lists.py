"""How list changes read in the diff: items matched by what they are, steps still decided the
way the providers compare (by index)."""

from __future__ import annotations

import copy
from typing import Any

from infra.preview.diff import Operation, diff

POLICY = "kubernetes:networking.k8s.io/v1:NetworkPolicy"
DEPLOYMENT = "kubernetes:apps/v1:Deployment"


def _peer(app: str) -> dict[str, Any]:
    return {"podSelector": {"matchLabels": {"app.kubernetes.io/name": app}}}


def _plan(resource: dict[str, Any]) -> dict[str, Any]:
    return {"stack": "dev", "resources": [resource]}


def _resource(token: str, inputs: dict[str, Any]) -> dict[str, Any]:
    return {
        "urn": f"urn:pulumi:dev::platform::{token}::x",
        "type": token,
        "name": "x",
        "inputs": inputs,
        "provider": "p",
    }


def _policy(peers: list[str]) -> dict[str, Any]:
    return _resource(
        POLICY,
        {"spec": {"ingress": [{"from": [_peer(p) for p in peers], "ports": [{"port": 8080}]}]}},
    )


def test_a_caller_added_first_reads_as_one_added_peer() -> None:
    base = _plan(_policy(["orders", "web"]))
    head = _plan(_policy(["admin", "orders", "web"]))
    (change,) = diff(base, head).changes
    assert change.operation is Operation.UPDATE
    assert [(p.kind, p.path) for p in change.changes] == [
        ("add", "spec.ingress[0].from[0]"),
    ]
    assert change.changes[0].after == _peer("admin")


def test_a_caller_removed_reads_as_one_removed_peer_and_nobody_else_loses_access() -> None:
    base = _plan(_policy(["admin", "orders", "web"]))
    head = _plan(_policy(["orders", "web"]))
    (change,) = diff(base, head).changes
    assert [(p.kind, p.before) for p in change.changes] == [("remove", _peer("admin"))]


def test_env_vars_are_matched_by_name() -> None:
    def deployment(env: list[dict[str, str]]) -> dict[str, Any]:
        container = {"name": "app", "image": "i", "env": env}
        return _resource(DEPLOYMENT, {"spec": {"template": {"spec": {"containers": [container]}}}})

    a, b = {"name": "A", "value": "1"}, {"name": "B", "value": "2"}
    base = _plan(deployment([a, b]))
    head = _plan(deployment([{"name": "NEW", "value": "0"}, a, {**b, "value": "3"}]))
    (change,) = diff(base, head).changes
    assert sorted((p.kind, p.path) for p in change.changes) == [
        ("add", "spec.template.spec.containers[0].env[0]"),
        ("change", "spec.template.spec.containers[0].env[2].value"),
    ]


def test_a_reordered_list_is_still_a_change() -> None:
    """The provider compares by index: a new order is an update, shown once."""
    base = _plan(_policy(["orders", "web"]))
    head = _plan(_policy(["web", "orders"]))
    (change,) = diff(base, head).changes
    assert change.operation is Operation.UPDATE
    assert [p.path for p in change.changes] == ["spec.ingress[0].from"]


def test_repeated_items_are_matched_in_order_and_a_changed_item_reads_as_a_change() -> None:
    base = _plan(_policy(["web", "web", "orders"]))
    head = _plan(_policy(["admin", "web", "web"]))
    (change,) = diff(base, head).changes
    assert [(p.kind, p.path, p.after) for p in change.changes] == [
        (
            "change",
            "spec.ingress[0].from[0].podSelector.matchLabels.app.kubernetes.io/name",
            "admin",
        ),
    ]


def test_unmatched_items_on_uneven_sides_read_as_removed_and_added() -> None:
    base = _plan(_policy(["web", "orders"]))
    head = _plan(_policy(["admin", "web", "orderz"]))
    (change,) = diff(base, head).changes
    assert sorted((p.kind, p.path) for p in change.changes) == [
        ("add", "spec.ingress[0].from[0]"),
        ("add", "spec.ingress[0].from[2]"),
        ("remove", "spec.ingress[0].from[1]"),
    ]


def test_the_step_is_decided_by_index_as_the_provider_does() -> None:
    """A Deployment's selector replaces it: inserting a label key is a replacement however the
    items are matched."""
    base_res = _resource(DEPLOYMENT, {"spec": {"selector": {"matchLabels": {"a": "1"}}}})
    head_res = copy.deepcopy(base_res)
    head_res["inputs"]["spec"]["selector"]["matchLabels"]["b"] = "2"
    (change,) = diff(_plan(base_res), _plan(head_res)).changes
    assert change.operation is Operation.REPLACE
