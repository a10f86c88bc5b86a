"""Run the real Pulumi program in-process under mocks and record what it registers.

This is the engine of the offline plan and of the tests: no cloud account, no Pulumi CLI, no
state. A custom monitor records each registration with its options (protect, ignoreChanges, ...),
which plain `Mocks` never see. Secret values are masked as they are recorded, each where it sits
(a secret inside `configuration` hides that one value, as the engine's own secret markers do).

Provenance: the SDK can send every Output inside an input as an "output value" carrying the URNs of
the resources it was computed from (the mechanism multi-language components use). Offline runs
turn that on, so each recorded input path that reads another resource's outputs names them. The
diff needs this: a replaced resource's outputs are unknown in a real preview, and so is every
input that reads them.
"""

from __future__ import annotations

import contextlib
import gc
import hashlib
import json
import pickle
import threading
import traceback
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import pulumi
from google.protobuf import json_format, struct_pb2
from pulumi.runtime import mocks as pulumi_mocks
from pulumi.runtime import resource as runtime_resource
from pulumi.runtime import rpc, settings
from pulumi.runtime.config import set_all_config
from pulumi.runtime.proto import resource_pb2, source_pb2
from pulumi.runtime.stack import run_pulumi_func
from pulumi.runtime.sync_await import _sync_await

from infra.constants import AKS_SERVICE_COMPONENT
from infra.preview.mocks import PlatformMocks
from infra.preview.stackfile import StackConfig

SECRET_MASK = "[secret]"
UNKNOWN = "[unknown]"

PathKey = tuple[str | int, ...]
"""An input path as keys and list indexes (keys may contain dots: label names do)."""


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
    reads: tuple[tuple[PathKey, tuple[str, ...]], ...] = ()
    """Input paths whose value was computed from other resources' outputs, with their URNs."""
    secrets: tuple[tuple[PathKey, str], ...] = ()
    """Each masked path with a digest of its (offline, never decrypted) value: enough for a diff
    to see that it changed, e.g. a service pointed at another stack secret, nothing more."""
    computed: tuple[tuple[PathKey, str], ...] = ()
    """Output strings the provider computes (not echoes of inputs), by output path: what a
    dependent reads when it reads more than this resource's inputs back (ids, principal ids,
    hostnames). A real preview cannot know them while this resource is created or replaced."""
    aliases: tuple[str, ...] = ()
    """The old URNs the program's own aliases stand for (`pulumi.Alias(parent=..., name=...,
    type_=...)`, and those inherited from an aliased parent), resolved as the engine resolves an
    alias spec (see `RecordingMonitor.alias_urns`): a diff matches an old URN to this resource
    through them, as the engine does. The providers' version aliases are not kept (see
    `_only_program_aliases`)."""

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


def _secret_digest(value: Any) -> str:
    """A digest of a masked value, so a diff can tell that it changed. Offline, secret values
    are never decrypted secrets: `secure:` stack values are placeholders derived from public
    data (see stackfile) and everything else comes from the mocks."""
    text = json.dumps(value, sort_keys=True, default=str)
    return hashlib.sha256(text.encode()).hexdigest()[:16]


@dataclass
class _Decoded:
    """A registration's inputs as the engine would hold them, and what the mocks are sent."""

    reads: list[tuple[PathKey, tuple[str, ...]]] = field(default_factory=list)
    secrets: list[tuple[PathKey, str]] = field(default_factory=list)


def _decode(value: Any, path: PathKey, out: _Decoded) -> tuple[Any, Any]:
    """(recorded, wire) for one wire value: `recorded` is plain JSON with each secret masked
    where it sits and unknowns marked; `wire` is the value without output-value wrappers, as
    the mock monitor expects it (secret wrappers kept, so the mocks see what they always saw)."""
    if isinstance(value, dict):
        signature = value.get(rpc._special_sig_key)
        if signature == rpc._special_output_value_sig:
            sources = tuple(sorted(set(value.get("dependencies") or ())))
            if sources:
                out.reads.append((path, sources))
            if "value" not in value:
                inner: tuple[Any, Any] = (UNKNOWN, rpc.UNKNOWN)
            else:
                inner = _decode(value["value"], path, out)
            if value.get("secret"):
                return _masked(inner[1], path, out)
            return inner
        if signature == rpc._special_secret_sig:
            return _masked(_decode(value.get("value"), path, out)[1], path, out)
        if signature == rpc._special_resource_sig:
            out.reads.append((path, (str(value.get("urn", "")),)))
            return "[resource]", value
        if signature is not None:
            return "[asset]", value
        recorded: dict[str, Any] = {}
        wire: dict[str, Any] = {}
        for key in sorted(value):
            recorded[key], wire[key] = _decode(value[key], (*path, key), out)
        return recorded, wire
    if isinstance(value, list):
        pairs = [_decode(v, (*path, i), out) for i, v in enumerate(value)]
        return [p[0] for p in pairs], [p[1] for p in pairs]
    if value == rpc.UNKNOWN:
        return UNKNOWN, value
    if isinstance(value, float) and value.is_integer():
        return int(value), value
    return value, value


def _masked(wire: Any, path: PathKey, out: _Decoded) -> tuple[Any, Any]:
    out.secrets.append((path, _secret_digest(wire)))
    return SECRET_MASK, {rpc._special_sig_key: rpc._special_secret_sig, "value": wire}


def _computed_strings(
    state: Any, inputs: Any, path: PathKey, out: list[tuple[PathKey, str]]
) -> None:
    """The string leaves of `state` that are not the input at the same path (the id first,
    under the empty path)."""
    if isinstance(state, dict):
        for key in sorted(state):
            given = inputs.get(key) if isinstance(inputs, dict) else None
            _computed_strings(state[key], given, (*path, str(key)), out)
    elif isinstance(state, (list, tuple)):
        for index, item in enumerate(state):
            given = inputs[index] if isinstance(inputs, list) and index < len(inputs) else None
            _computed_strings(item, given, (*path, index), out)
    elif isinstance(state, str) and state and state != inputs:
        out.append((path, state))


def decode_inputs(struct: struct_pb2.Struct) -> tuple[dict[str, Any], dict[str, Any], _Decoded]:
    out = _Decoded()
    recorded, wire = _decode(json_format.MessageToDict(struct), (), out)
    return recorded, wire, out


class RecordingMonitor(pulumi_mocks.MockMonitor):
    """A mock monitor that also keeps every registration request, options included."""

    def __init__(self, mocks: pulumi.runtime.Mocks) -> None:
        super().__init__(mocks)
        self.registrations: list[Registration] = []
        self._stack_urn = ""
        self._aliases: dict[str, tuple[str, ...]] = {}
        # Registrations arrive on executor threads: each keeps what the mocks answered it.
        self._local = threading.local()
        new_resource = mocks.new_resource

        def keep_state(args: pulumi.runtime.MockResourceArgs) -> Any:
            answer = new_resource(args)
            self._local.answer = (args.inputs, answer)
            return answer

        mocks.new_resource = keep_state  # type: ignore[method-assign]

    def GetDeploymentInfo(self, request: Any) -> Any:  # noqa: N802 - gRPC method name
        """The mock monitor's features plus output values, for provenance (see module doc)."""
        info = super().GetDeploymentInfo(request)
        features = [*info.supportedFeatures, resource_pb2.RESOURCE_MONITOR_FEATURE_OUTPUT_VALUES]
        return resource_pb2.DeploymentInfo(supportedFeatures=features)

    def RegisterResource(self, request: Any) -> Any:  # noqa: N802 - gRPC method name
        if request.type == "pulumi:pulumi:Stack":
            response = super().RegisterResource(request)
            self._stack_urn = response.urn
            return response
        inputs, wire, decoded = decode_inputs(request.object)
        # The mocks receive what they always did: plain values, secrets wrapped, no Outputs.
        request.object.Clear()
        request.object.update(wire)
        self._local.answer = ({}, (None, {}))
        response = super().RegisterResource(request)
        mock_inputs, (resource_id, state) = self._local.answer
        computed = [((), str(resource_id))] if resource_id else []
        _computed_strings(state, mock_inputs, (), computed)
        aliases = self.alias_urns(request)
        if aliases:
            self._aliases[response.urn] = aliases
        self.registrations.append(
            Registration(
                urn=response.urn,
                type=request.type,
                name=request.name,
                parent=request.parent,
                custom=bool(request.custom),
                provider=request.provider.rsplit("::", 1)[0] if request.provider else "",
                inputs=inputs,
                protect=bool(request.protect),
                depends_on=tuple(sorted(set(request.dependencies))),
                ignore_changes=tuple(request.ignoreChanges),
                replace_on_changes=tuple(request.replaceOnChanges),
                delete_before_replace=bool(request.deleteBeforeReplace),
                retain_on_delete=bool(request.retainOnDelete),
                reads=tuple(decoded.reads),
                secrets=tuple(decoded.secrets),
                computed=tuple(computed),
                aliases=aliases,
            )
        )
        return response

    def alias_urns(self, request: Any) -> tuple[str, ...]:
        """The old URNs a registration's aliases stand for, in this monitor's URN scheme (the
        one every recorded URN uses, `MockMonitor.make_urn`).

        The SDK sends each alias as a spec when the monitor supports them (pulumi
        sdk/python/lib/pulumi/runtime/resource.py `create_alias_spec`): an empty name or type
        is the resource's own, an empty parent URN its current parent, `noParent` the root
        stack. Aliases of the parent are inherited as the SDK's `all_aliases` /
        `inherited_child_alias` derive them (pulumi/resource.py): the child under each old
        parent URN, its name's parent-name prefix renamed, and each own alias under it too."""
        own: list[str] = []
        for alias in request.aliases:
            if alias.WhichOneof("alias") == "urn":
                own.append(alias.urn)
                continue
            spec = alias.spec
            parent = self._stack_urn if spec.noParent else spec.parentUrn or request.parent
            own.append(self.make_urn(parent, spec.type or request.type, spec.name or request.name))
        parent_name = request.parent.rsplit("::", 1)[-1]
        inherited: list[str] = []
        for parent_alias in self._aliases.get(request.parent, ()):
            old_parent_name = parent_alias.rsplit("::", 1)[-1]
            for name, token in ((request.name, request.type), *map(_name_and_type, own)):
                renamed = name.removeprefix(parent_name)
                old_name = old_parent_name + renamed if renamed != name else name
                inherited.append(self.make_urn(parent_alias, token, old_name))
        return tuple(dict.fromkeys(u for u in (*own, *inherited) if u))


def _name_and_type(urn: str) -> tuple[str, str]:
    """A URN's name and own type (the last of its qualified type)."""
    parts = urn.split("::")
    return parts[-1], parts[2].split("$")[-1]


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


class RemoteError(Exception):
    """An exception that could not cross a process boundary as itself (its class cannot be
    rebuilt from its pickle): its type name, message and traceback text, which can."""

    def __init__(self, type_name: str, message: str, traceback_text: str = "") -> None:
        super().__init__(message)
        self.type_name = type_name
        self.message = message
        self.traceback_text = traceback_text

    def __reduce__(self) -> tuple[Any, ...]:
        return (RemoteError, (self.type_name, self.message, self.traceback_text))

    def __str__(self) -> str:
        return self.message


def portable(error: BaseException) -> BaseException:
    """`error` itself when it survives a pickle round trip (what a worker process sends its
    parent), else a RemoteError that says the same. An exception whose `__init__` takes other
    arguments than `args` fails only when *unpickled*, in the parent, where a multiprocessing
    pool then hangs: so the round trip is tried here, in the process that raised it."""
    try:
        pickle.loads(pickle.dumps(error))
    except Exception:
        text = "".join(traceback.format_exception(error))
        return RemoteError(type(error).__name__, str(error), text)
    return error


class ProgramFailed(Exception):
    """The program raised; `run` holds what had been registered before it did."""

    def __init__(self, run: OfflineRun, cause: BaseException) -> None:
        super().__init__(str(cause))
        self.run = run
        self.cause = cause

    def __reduce__(self) -> tuple[Any, ...]:
        """Rebuilt from (run, cause) in another process (the default would call
        `ProgramFailed(message)` and fail); the run is sent without the program's result."""
        run = OfflineRun(self.run.stack, self.run.project, list(self.run.resources))
        return (ProgramFailed, (run, portable(self.cause)))


class DuplicateUrn(Exception):
    """Two registrations of one URN: the Pulumi engine refuses the second ("Duplicate resource
    URN '<urn>'; try giving it a unique name", pulumi/pulumi pkg/diag/errors.go, code 2001),
    which the mocks do not."""


def duplicate_urns(registrations: list[Registration]) -> DuplicateUrn | None:
    counts = Counter(r.urn for r in registrations)
    repeated = sorted(urn for urn, count in counts.items() if count > 1)
    if not repeated:
        return None
    return DuplicateUrn(
        "; ".join(
            f"Duplicate resource URN '{urn}'; try giving it a unique name" for urn in repeated
        )
    )


def program_alias(alias: Any) -> bool:
    """Whether an alias is the program's own rather than a provider's version alias.

    pulumi-azure-native and pulumi-kubernetes attach, to every resource, one
    `pulumi.Alias(type_=...)` per former API version or module of its kind (the `alias_opts` of
    each generated resource class): type-only aliases to a provider token. Both plans a diff
    compares use one SDK, so none of them can ever match. Everything else is the program's: an
    alias that gives a name, a parent, a stack or a project, a URN, or a type of the program's
    own components (a component type renamed)."""
    if not isinstance(alias, pulumi.Alias):
        return True
    moved = (alias.name, alias.parent, alias.stack, alias.project)
    if any(part is not ... for part in moved):
        return True
    token = alias.type_
    return not isinstance(token, str) or token.startswith(_PROGRAM_PACKAGE)


_PROGRAM_PACKAGE = AKS_SERVICE_COMPONENT.split(":", 1)[0] + ":"
"""The package of the program's own component types (`platform:`)."""


@contextlib.contextmanager
def _only_program_aliases() -> Iterator[None]:
    """Offline there is no state for the providers' version aliases to match, so they are dropped
    while the program runs (`program_alias`): pulumi-azure-native attaches dozens of type aliases
    to every resource and the SDK turns each into a URN Output (a third of an offline run). The
    program's own aliases are few and kept: the monitor records the old URNs they stand for.
    Real runs are untouched."""
    # `merge` is a plain function on the class (called as ResourceOptions.merge(a, b) and as
    # a.merge(b)); the replacement keeps both forms, and the original is restored as it was.
    original = vars(pulumi.ResourceOptions)["merge"]

    def merge(opts1: Any = None, opts2: Any = None) -> pulumi.ResourceOptions:
        merged = original(opts1, opts2)
        if merged.aliases:
            merged.aliases = [a for a in merged.aliases if program_alias(a)] or None
        return merged

    pulumi.ResourceOptions.merge = merge  # type: ignore[method-assign]
    try:
        yield
    finally:
        pulumi.ResourceOptions.merge = original  # type: ignore[method-assign]


@contextlib.contextmanager
def _output_values_for_registrations() -> Iterator[None]:
    """The SDK keeps Outputs as output values (value, secret flag, source URNs) only for
    multi-language components; offline, resource registrations keep them too (invokes and stack
    outputs, which pass no resource, are untouched), so the monitor learns each value's sources.
    The original function is restored afterwards."""
    original = rpc.serialize_properties

    async def serialize_properties(
        inputs: Any, property_deps: Any, resource_obj: Any = None, *args: Any, **kwargs: Any
    ) -> Any:
        if resource_obj is not None:
            kwargs["keep_output_values"] = True
        return await original(inputs, property_deps, resource_obj, *args, **kwargs)

    rpc.serialize_properties = serialize_properties  # type: ignore[assignment]
    try:
        yield
    finally:
        rpc.serialize_properties = original  # type: ignore[assignment]


@contextlib.contextmanager
def _without_source_positions() -> Iterator[None]:
    """The SDK walks the whole Python stack on every registration to tell the engine which line
    declared the resource (`traceback.extract_stack`, a path → URI per frame): a quarter of an
    offline plan, for a field the mocks and the snapshot never read. Offline it records an empty
    stack trace (no source position); real runs are untouched, and the original is restored."""
    original = runtime_resource._get_stack_trace
    empty = source_pb2.StackTrace()
    runtime_resource._get_stack_trace = lambda: empty
    try:
        yield
    finally:
        runtime_resource._get_stack_trace = original


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
        with (
            _only_program_aliases(),
            _output_values_for_registrations(),
            _without_source_positions(),
            _young_generation_of(100_000),
        ):
            _sync_await(run_pulumi_func(run))
    except Exception as error:
        partial = OfflineRun(stack.stack, stack.project, list(monitor.registrations))
        raise ProgramFailed(partial, error) from error
    registered = list(monitor.registrations)
    if duplicates := duplicate_urns(registered):
        raise ProgramFailed(OfflineRun(stack.stack, stack.project, registered), duplicates)
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
    from infra.preview.sdk_modules import load_members_on_demand

    load_members_on_demand()
    touch_provider_members()


def touch_provider_members() -> None:
    """Read the provider SDK members the program uses, which loads their modules (on demand
    after `load_members_on_demand`, else each package whole, as `pulumi up` loads them). A
    member missing here is loaded during the plan instead (correct, only slower to start)."""
    import pulumi_azure_native as azure
    import pulumi_kubernetes as k8s

    for module, kinds in (
        ("app", ("ContainerApp", "ManagedEnvironment")),
        ("authorization", ("RoleAssignment",)),
        ("containerregistry", ("Registry",)),
        (
            "containerservice",
            (
                "ManagedCluster",
                "DeploymentSafeguard",
                "MaintenanceConfiguration",
                "list_managed_cluster_user_credentials_output",
            ),
        ),
        ("keyvault", ("Vault",)),
        ("managedidentity", ("UserAssignedIdentity", "FederatedIdentityCredential")),
        (
            "monitor",
            (
                "DataCollectionRule",
                "AzureMonitorWorkspace",
                "DataCollectionEndpoint",
                "DataCollectionRuleAssociation",
            ),
        ),
        ("network", ("VirtualNetwork", "NetworkSecurityGroup", "PublicIPAddress", "Subnet")),
        ("operationalinsights", ("Workspace", "get_shared_keys_output")),
        ("privatedns", ("PrivateZone", "PrivateRecordSet", "VirtualNetworkLink")),
        ("resources", ("ResourceGroup",)),
        (
            "servicenetworking",
            ("TrafficControllerInterface", "AssociationsInterface", "FrontendsInterface"),
        ),
    ):
        for kind in kinds:
            getattr(getattr(azure, module), kind)
    for kind in (
        k8s.apps.v1.Deployment,
        k8s.core.v1.Service,
        k8s.apiextensions.CustomResource,
        k8s.networking.v1.Ingress,
        k8s.autoscaling.v2.HorizontalPodAutoscaler,
        k8s.policy.v1.PodDisruptionBudget,
        k8s.helm.v4.Chart,
        k8s.meta.v1.ObjectMetaArgs,
    ):
        assert kind is not None
