"""The Helm hooks of every chart version the platform pins, read from the vendored lists in
`upstream/charts/<chart>-<version>/hooks.yaml` (each extracted from the chart's own templates,
with its source and date in SOURCE.md beside it).

Why the platform cares: `helm.v4.Chart` renders a chart with Helm's `DisableHooks` set and
registers only the release manifest, so no hook object is ever applied (pulumi-kubernetes
provider/pkg/provider/helm/v4/chart.go, `cmd.DisableHooks = true`, at v4.32.0 and at the
2026-07-01 snapshot; its `includeHooks` only works with `renderYamlToDirectory`, and the
installed SDK 4.34.2 documents it as "no effect outside of render mode, where hooks are not
supported"). Whatever a chart does in a hook, the program must do itself, or not install the
chart that way. This module is the one reader of those lists: the components that install
charts, the chart validation, the deploy simulator's `chart-hooks-dropped` rule and the tests
all go through it.

Pure (no Pulumi imports): a hook list is data, and a hook's name and whether it renders are
functions of the release name, namespace and values.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import yaml

UPSTREAM_CHARTS = Path(__file__).resolve().parents[2] / "upstream" / "charts"
"""Where the vendored hook lists live: one folder per chart version, `<chart>-<version>`."""

INSTALL_EVENTS = frozenset({"pre-install", "post-install", "pre-upgrade", "post-upgrade"})
"""Hook events Helm runs on `helm install`/`helm upgrade`: what a `pulumi up` must reproduce."""
DELETE_EVENTS = frozenset({"pre-delete", "post-delete"})
"""Hook events Helm runs on `helm uninstall` (also `pre-rollback`/`post-rollback` on rollback,
which a Pulumi deploy never does)."""
PRE_EVENTS = frozenset({"pre-install", "pre-upgrade"})


class UnhandledChartHook(Exception):
    """A pinned chart renders a hook nothing in the program replaces (helm.v4.Chart drops
    hooks): a version bump added one, or a chart's hook was never handled."""


@dataclass(frozen=True)
class ChartHook:
    """One hook object of a chart, as its template declares it."""

    kind: str
    api_version: str
    name: str
    """With placeholders `{fullname}` (the chart's fullname helper) and `{namespace}`."""
    namespaced: bool
    events: frozenset[str]
    weight: int | None
    """`helm.sh/hook-weight` (Helm default 0); None where the list could not read it."""
    delete_policy: tuple[str, ...] | None
    """`helm.sh/hook-delete-policy`; empty: none set (Helm applies before-hook-creation);
    None where the list could not read it."""
    when: str | None
    """The values key that must be truthy for the template to render this object."""
    template: str

    @property
    def at_install(self) -> bool:
        """Helm runs it on install or upgrade, so a `pulumi up` has to do what it does."""
        return bool(self.events & INSTALL_EVENTS)

    @property
    def before_release(self) -> bool:
        """A pre-install/pre-upgrade hook: it must be done before the chart's objects apply."""
        return bool(self.events & PRE_EVENTS)

    @property
    def at_delete(self) -> bool:
        return bool(self.events & DELETE_EVENTS)

    def resolved_name(
        self, release: str, chart: str, namespace: str, values: Mapping[str, Any]
    ) -> str:
        return self.name.format(
            fullname=standard_fullname(release, chart, values),
            namespace=str(values.get("namespaceOverride") or namespace),
        )

    def words(self) -> str:
        return f"{self.kind} {self.name} ({', '.join(sorted(self.events))})"


@dataclass(frozen=True)
class ChartHooks:
    """The hook list of one chart version."""

    chart: str
    version: str
    hooks: tuple[ChartHook, ...]
    evidence: str
    """`templates` (read from the chart's templates, vendored beside the list) or `documented`
    (no chart source was reachable; read from what is published about it)."""
    folder: Path
    defaults: Mapping[str, Any]
    """The chart's default values, where vendored (the `when` keys are evaluated against
    them)."""

    @property
    def source(self) -> str:
        """Where the list came from, for messages: the folder and its SOURCE.md."""
        return f"upstream/charts/{self.folder.name}/ (SOURCE.md, hooks.yaml)"

    def rendered(self, values: Mapping[str, Any]) -> tuple[ChartHook, ...]:
        """The hooks the chart renders with these values (over its defaults)."""
        return tuple(h for h in self.hooks if h.when is None or self._truthy(h.when, values))

    def _truthy(self, key: str, values: Mapping[str, Any]) -> bool:
        found, value = _lookup(values, key)
        if not found:
            found, value = _lookup(self.defaults, key)
        return bool(value) if found else False


def _lookup(values: Mapping[str, Any], dotted: str) -> tuple[bool, Any]:
    node: Any = values
    for part in dotted.split("."):
        if not isinstance(node, Mapping) or part not in node:
            return False, None
        node = node[part]
    return True, node


def standard_fullname(release: str, chart: str, values: Mapping[str, Any]) -> str:
    """The fullname helper `helm create` generates and the vendored charts use (gateway-helm
    v1.9.0 templates/_helpers.tpl `eg.fullname`): `fullnameOverride`, else the release name if
    it contains the chart name (`nameOverride` if set), else `<release>-<chart>`; at most 63
    characters, no trailing dash."""
    override = values.get("fullnameOverride")
    if override:
        return str(override)[:63].rstrip("-")
    name = str(values.get("nameOverride") or chart)
    full = release if name in release else f"{release}-{name}"
    return full[:63].rstrip("-")


def _hook(raw: Mapping[str, Any]) -> ChartHook:
    policy = raw.get("deletePolicy")
    return ChartHook(
        kind=str(raw["kind"]),
        api_version=str(raw["apiVersion"]),
        name=str(raw["name"]),
        namespaced=bool(raw["namespaced"]),
        events=frozenset(str(e) for e in raw["events"]),
        weight=None if raw.get("weight") is None else int(raw["weight"]),
        delete_policy=None if policy is None else tuple(str(p) for p in policy),
        when=raw.get("when"),
        template=str(raw["template"]),
    )


@cache
def chart_hooks(chart: str, version: str) -> ChartHooks | None:
    """The vendored hook list of a chart version, or None when none is vendored (its hooks are
    unknown: nothing can say what `helm.v4.Chart` would drop)."""
    folder = UPSTREAM_CHARTS / f"{chart}-{version}"
    path = folder / "hooks.yaml"
    if not path.is_file():
        return None
    raw = yaml.safe_load(path.read_text())
    if raw.get("chart") != chart or str(raw.get("version")) != version:
        raise ValueError(f"{path} describes {raw.get('chart')} {raw.get('version')}")
    defaults: Mapping[str, Any] = {}
    if raw.get("defaults"):
        defaults = yaml.safe_load((folder / str(raw["defaults"])).read_text()) or {}
    return ChartHooks(
        chart=chart,
        version=version,
        hooks=tuple(_hook(h) for h in raw.get("hooks") or ()),
        evidence=str(raw["evidence"]),
        folder=folder,
        defaults=defaults,
    )


def vendored() -> list[ChartHooks]:
    """Every vendored hook list, sorted by folder."""
    found: list[ChartHooks] = []
    for path in sorted(UPSTREAM_CHARTS.glob("*/hooks.yaml")):
        raw = yaml.safe_load(path.read_text())
        hooks = chart_hooks(str(raw["chart"]), str(raw["version"]))
        assert hooks is not None
        found.append(hooks)
    return found


def chart_name(reference: str) -> str:
    """The chart's name from a chart reference (`oci://host/path/name` → `name`)."""
    return reference.rstrip("/").rpartition("/")[2] if "/" in reference else reference


def dropped(
    chart: str,
    version: str,
    values: Mapping[str, Any],
    *,
    provided: frozenset[tuple[str, str]] = frozenset(),
    accepted: Mapping[tuple[str, str], str] | None = None,
) -> list[str]:
    """What `helm.v4.Chart` would silently drop from this chart version with these values: each
    hook it renders that Helm would run on install, upgrade or uninstall, unless the caller
    creates it itself (`provided`: (kind, name as in the list)) or states why doing without it
    is safe (`accepted`: the same key → the reason, kept next to the chart it is about). Test
    hooks are never dropped (Helm runs them on `helm test` only). An unknown chart version (no
    vendored list) is one problem: its hooks cannot be checked."""
    hooks = chart_hooks(chart, version)
    if hooks is None:
        return [
            f"{chart} {version} has no vendored hook list (upstream/charts/{chart}-{version}/"
            "hooks.yaml): read its templates' `helm.sh/hook` annotations into one"
        ]
    accepted = accepted or {}
    return [
        f"{hook.words()}: helm.v4.Chart never applies it ({hooks.source})"
        for hook in hooks.rendered(values)
        if (hook.at_install or hook.at_delete)
        and (hook.kind, hook.name) not in provided
        and (hook.kind, hook.name) not in accepted
    ]
