"""Run the real Pulumi program in-process under mocks and record what it registers.

This is the engine of the offline plan and of the tests: no cloud account, no Pulumi CLI, no
state. A custom monitor records each registration with its options (protect, ignoreChanges, ...),
which plain `Mocks` never see. Secret values are masked as they are recorded.
"""

from __future__ import annotations

import contextlib
import gc
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import pulumi
from pulumi.runtime import mocks as pulumi_mocks
from pulumi.runtime import rpc, settings
from pulumi.runtime.config import set_all_config
from pulumi.runtime.stack import run_pulumi_func
from pulumi.runtime.sync_await import _sync_await

from infra.preview.mocks import PlatformMocks
from infra.preview.stackfile import StackConfig

SECRET_MASK = "[secret]"
UNKNOWN = "[unknown]"


@dataclass(frozen=True)
class Registration:
    """One resource as the program asked the engine for it."""

    urn: str
    type: str
    name: str
    parent: str
    custom: bool
    provider: str
    inputs: dict[str, Any]
    protect: bool
    depends_on: tuple[str, ...]
    ignore_changes: tuple[str, ...]
    replace_on_changes: tuple[str, ...]
    delete_before_replace: bool
    retain_on_delete: bool

    def options(self) -> dict[str, Any]:
        """Only the options that are set, so snapshots stay small and diffs stay readable."""
        options: dict[str, Any] = {}
        if self.protect:
            options["protect"] = True
        if self.depends_on:
            options["dependsOn"] = list(self.depends_on)
        if self.ignore_changes:
            options["ignoreChanges"] = list(self.ignore_changes)
        if self.replace_on_changes:
            options["replaceOnChanges"] = list(self.replace_on_changes)
        if self.delete_before_replace:
            options["deleteBeforeReplace"] = True
        if self.retain_on_delete:
            options["retainOnDelete"] = True
        return options


@dataclass
class OfflineRun:
    stack: str
    project: str
    resources: list[Registration] = field(default_factory=list)
    outputs: dict[str, Any] = field(default_factory=dict)
    result: Any = None
    """What the program returned (the `Platform`, for the topology)."""

    def by_type(self, token: str) -> list[Registration]:
        return [r for r in self.resources if r.type == token]

    def one(self, token: str, name: str | None = None) -> Registration:
        found = [r for r in self.by_type(token) if name is None or r.name == name]
        if len(found) != 1:
            names = [r.name for r in self.by_type(token)]
            raise LookupError(f"expected one {token} named {name!r}, found {names}")
        return found[0]


def plain(value: Any) -> Any:
    """Turn deserialized RPC values into plain JSON: secrets masked, unknowns marked, whole
    floats back to ints (the wire carries every number as a float)."""
    if isinstance(value, dict):
        # The SDK's own marker for a secret value.
        if value.get(rpc._special_sig_key) == rpc._special_secret_sig:
            return SECRET_MASK
        return {str(k): plain(v) for k, v in sorted(value.items())}
    if isinstance(value, (list, tuple)):
        return [plain(v) for v in value]
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, (str, int, float, bool)) or value is None:
        return value
    if isinstance(value, pulumi.Resource):
        return "[resource]"
    return UNKNOWN


class RecordingMonitor(pulumi_mocks.MockMonitor):
    """A mock monitor that also keeps every registration request, options included."""

    def __init__(self, mocks: pulumi.runtime.Mocks) -> None:
        super().__init__(mocks)
        self.registrations: list[Registration] = []
        # Registrations arrive on executor threads: each thread keeps its own request's inputs.
        self._local = threading.local()
        new_resource = mocks.new_resource

        def keep_inputs(args: pulumi.runtime.MockResourceArgs) -> Any:
            # The monitor already deserialized the inputs for the mocks: keep them rather than
            # deserializing every request a second time.
            self._local.inputs = args.inputs
            return new_resource(args)

        mocks.new_resource = keep_inputs  # type: ignore[method-assign]

    def RegisterResource(self, request: Any) -> Any:  # noqa: N802 - gRPC method name
        self._local.inputs = {}
        response = super().RegisterResource(request)
        if request.type != "pulumi:pulumi:Stack":
            inputs = self._local.inputs
            self.registrations.append(
                Registration(
                    urn=response.urn,
                    type=request.type,
                    name=request.name,
                    parent=request.parent,
                    custom=bool(request.custom),
                    provider=request.provider.rsplit("::", 1)[0] if request.provider else "",
                    inputs=plain(inputs),
                    protect=bool(request.protect),
                    depends_on=tuple(sorted(set(request.dependencies))),
                    ignore_changes=tuple(request.ignoreChanges),
                    replace_on_changes=tuple(request.replaceOnChanges),
                    delete_before_replace=bool(request.deleteBeforeReplace),
                    retain_on_delete=bool(request.retainOnDelete),
                )
            )
        return response


def _plain_output(value: Any) -> Any:
    """Resolve an exported value; secrets are masked, never resolved into the result."""
    if isinstance(value, pulumi.Output):
        if _sync_await(value.is_secret()):
            return SECRET_MASK
        if not _sync_await(value.is_known()):
            return UNKNOWN
        return _plain_output(_sync_await(value.future()))
    if isinstance(value, dict):
        return {str(k): _plain_output(v) for k, v in sorted(value.items())}
    if isinstance(value, (list, tuple)):
        return [_plain_output(v) for v in value]
    return plain(value)


class ProgramFailed(Exception):
    """The program raised; `run` holds what had been registered before it did."""

    def __init__(self, run: OfflineRun, cause: BaseException) -> None:
        super().__init__(str(cause))
        self.run = run
        self.cause = cause


@contextlib.contextmanager
def _without_aliases() -> Iterator[None]:
    """Offline there is no state for aliases to match, so they are dropped while the program
    runs: pulumi-azure-native attaches dozens of type aliases to every resource and the SDK turns
    each into a URN Output (a third of an offline run). Real runs are untouched."""
    # `merge` is a plain function on the class (called as ResourceOptions.merge(a, b) and as
    # a.merge(b)); the replacement keeps both forms, and the original is restored as it was.
    original = vars(pulumi.ResourceOptions)["merge"]

    def merge(opts1: Any = None, opts2: Any = None) -> pulumi.ResourceOptions:
        merged = original(opts1, opts2)
        merged.aliases = None
        return merged

    pulumi.ResourceOptions.merge = merge  # type: ignore[method-assign]
    try:
        yield
    finally:
        pulumi.ResourceOptions.merge = original  # type: ignore[method-assign]


@contextlib.contextmanager
def _young_generation_of(size: int) -> Iterator[None]:
    """A plan allocates objects that nearly all live until it ends (resources, their inputs,
    Outputs). At the default threshold (700) the cyclic collector ran ~2,000 times for 400
    services and took a quarter of the plan to find little garbage, and each older-generation
    pass walked the whole growing heap. With a young generation of 100,000 it runs about a
    dozen times (GC time at 400 services 4.7 s → 1.3 s) and peak memory stays within ~3%
    (measured at 100, 200 and 400 services). The previous thresholds are restored afterwards."""
    before = gc.get_threshold()
    gc.set_threshold(size, *before[1:])
    try:
        yield
    finally:
        gc.set_threshold(*before)


def run_offline(
    stack: StackConfig, program: Callable[[], object], *, preview: bool = False
) -> OfflineRun:
    """Run `program` as the Pulumi engine would for `stack`, against deterministic mocks."""
    settings.ROOT.set(None)
    set_all_config(dict(stack.values), list(stack.secret_keys))
    mocks = PlatformMocks()
    monitor = RecordingMonitor(mocks)
    pulumi.runtime.set_mocks(
        mocks, project=stack.project, stack=stack.stack, preview=preview, monitor=monitor
    )
    runtime_settings: Any = settings.SETTINGS
    runtime_settings.rpc_manager.clear()
    runtime_settings.outputs.clear()

    returned: list[Any] = []

    def run() -> None:
        returned.append(program())

    try:
        with _without_aliases(), _young_generation_of(100_000):
            _sync_await(run_pulumi_func(run))
    except Exception as error:
        partial = OfflineRun(stack.stack, stack.project, list(monitor.registrations))
        raise ProgramFailed(partial, error) from error
    root = settings.get_root_resource()
    exported = dict(getattr(root, "outputs", {}) or {})
    outputs = {name: _plain_output(value) for name, value in sorted(exported.items())}
    return OfflineRun(
        stack.stack,
        stack.project,
        list(monitor.registrations),
        outputs,
        returned[0] if returned else None,
    )


def preload_providers() -> None:
    """Load the provider SDK modules the program uses. They load lazily, on first attribute;
    loading them up front lets a multi-stack plan fork workers that share them. Only the
    members' own modules are imported (see sdk_modules), not every resource of a package.

    They are ~200,000 long-lived objects (the SDKs' type classes): the cyclic collector is
    paused while they load (it would walk them again and again for nothing) and then told to
    leave them alone (`gc.freeze`), which also keeps forked workers off their memory pages."""
    gc.collect()
    gc.disable()
    try:
        _import_provider_members()
    finally:
        gc.freeze()
        gc.enable()


def _import_provider_members() -> None:
    import pulumi_azure_native as azure
    import pulumi_kubernetes as k8s

    from infra.preview.sdk_modules import load_members_on_demand

    load_members_on_demand()
    for module, kind in (
        ("app", "ContainerApp"),
        ("authorization", "RoleAssignment"),
        ("containerregistry", "Registry"),
        ("containerservice", "ManagedCluster"),
        ("keyvault", "Vault"),
        ("managedidentity", "UserAssignedIdentity"),
        ("monitor", "DataCollectionRule"),
        ("network", "VirtualNetwork"),
        ("operationalinsights", "Workspace"),
        ("privatedns", "PrivateZone"),
        ("resources", "ResourceGroup"),
    ):
        getattr(getattr(azure, module), kind)
    for kind in (
        k8s.apps.v1.Deployment,
        k8s.core.v1.Service,
        k8s.apiextensions.CustomResource,
        k8s.networking.v1.Ingress,
        k8s.autoscaling.v2.HorizontalPodAutoscaler,
        k8s.policy.v1.PodDisruptionBudget,
        k8s.helm.v4.Chart,
    ):
        assert kind is not None
