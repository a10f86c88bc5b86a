"""What Azure RBAC for Kubernetes checks when a stack writes a Kubernetes object, and whether a
role definition allows it.

Every rule here comes from a vendored upstream file (tests/test_permissions.py ties them):

- the built-in kinds (served by the API server, not a CRD):
  upstream/kubernetes-openapi/builtin-kinds.json;
- a kind's resource name (lower case, plural): `UnsafeGuessKindToResource` in
  upstream/kubernetes-apimachinery/restmapper-guess.excerpt.go, mirrored by `resource_name`;
- the data action AKS checks, `Microsoft.ContainerService/managedClusters/[<group>/]<resource>/
  <verb>` (`getDataActions` in upstream/kubeguard/checkaccessreqhelper.excerpt.go: the group is
  joined only when not empty); a request whose resource is not among Azure's stored operations
  is presumed a custom resource and checked as `customresources/<verb>`: taken here as every
  kind that is not built in;

Whether a role allows it, and what Azure checks for the stack's other resources:
`infra/stacks/authorization.py`.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from functools import cache
from pathlib import Path

UPSTREAM = Path(__file__).resolve().parents[2] / "upstream"
MANAGED_CLUSTERS = "Microsoft.ContainerService/managedClusters"

# The verbatim list `unpluralizedSuffixes` of the vendored restmapper excerpt, read from it.
_RESTMAPPER = UPSTREAM / "kubernetes-apimachinery" / "restmapper-guess.excerpt.go"


@cache
def _unpluralized_suffixes() -> tuple[str, ...]:
    text = _RESTMAPPER.read_text()
    match = re.search(r"unpluralizedSuffixes = \[\]string\{(.*?)\}", text, re.S)
    if match is None:
        raise RuntimeError(f"{_RESTMAPPER} lost `unpluralizedSuffixes`")
    return tuple(re.findall(r'"([^"]+)"', match.group(1)))


def resource_name(kind: str) -> str:
    """The plural resource of a kind, as apimachinery's `UnsafeGuessKindToResource` guesses it:
    lower case; unchanged after an unpluralized suffix; `s` → `ses`, `y` → `ies`, else `+s`."""
    singular = kind.lower()
    if not singular:
        return ""
    if singular.endswith(_unpluralized_suffixes()):
        return singular
    if singular.endswith("s"):
        return singular + "es"
    if singular.endswith("y"):
        return singular.removesuffix("y") + "ies"
    return singular + "s"


@cache
def _built_in_kinds() -> dict[str, frozenset[str]]:
    path = UPSTREAM / "kubernetes-openapi" / "builtin-kinds.json"
    groups: dict[str, list[str]] = json.loads(path.read_text())["groups"]
    return {group: frozenset(kinds) for group, kinds in groups.items()}


def _split(token: str) -> tuple[str, str]:
    """(API group, kind) of a Pulumi Kubernetes token `kubernetes:<group>/<version>:<Kind>`;
    the core group (`core` in the token) is ``""``."""
    if not token.startswith("kubernetes:") or token.count(":") != 2:
        raise ValueError(f"not a Kubernetes object token: {token!r}")
    group_version, kind = token.removeprefix("kubernetes:").rsplit(":", 1)
    group = group_version.rsplit("/", 1)[0]
    return ("" if group == "core" else group), kind


def built_in_kind(token: str) -> bool:
    """The object is served by the API server itself (not a CRD)."""
    group, kind = _split(token)
    return kind in _built_in_kinds().get(group, frozenset())


def data_action(token: str, verb: str = "write") -> str:
    """The data action AKS's authorizer checks for `verb` on an object of this token."""
    group, kind = _split(token)
    if not built_in_kind(token):
        return f"{MANAGED_CLUSTERS}/customresources/{verb}"
    prefix = f"{MANAGED_CLUSTERS}/{group}/" if group else f"{MANAGED_CLUSTERS}/"
    return f"{prefix}{resource_name(kind)}/{verb}"


def matches(pattern: str, action: str) -> bool:
    """An action pattern of a role definition matches `action`: `*` matches any run of
    characters, without regard to case."""
    expression = ".*".join(re.escape(part) for part in pattern.split("*"))
    return re.fullmatch(expression, action, re.IGNORECASE) is not None


def within(scope: str, scopes: Iterable[str]) -> bool:
    """An assignment at one of `scopes` covers `scope` (the same scope or one below it)."""
    lowered = scope.lower()
    return any(lowered == s.lower() or lowered.startswith(s.lower() + "/") for s in scopes)
