"""The public API of the service model: exactly the names users need, documented where
`help()` and editors look, every default with its reason next to the field."""

from __future__ import annotations

import ast
import dataclasses
import inspect
from pathlib import Path

import pytest

from infra.services import spec

USER_FACING = {
    # declarations
    "Application",
    "ServiceSpec",
    "JobSpec",
    "HelmChart",
    # parts
    "Port",
    "Resources",
    "Probes",
    "HttpProbe",
    "TcpProbe",
    "GrpcProbe",
    "ExecProbe",
    "Probe",
    "ProbeTiming",
    "Autoscaling",
    "ServiceBusQueue",
    "StorageQueue",
    "QueueTrigger",
    "Ingress",
    "InitContainer",
    "Tls",
    "KedaScaler",
    "KeyVaultSecret",
    "ConfigSecret",
    "SecretRef",
    "NotSecret",
    "Dependency",
    "Identity",
    "RoleGrant",
    "Rollout",
    "Volume",
    "Override",
    "JobOverride",
    "Manual",
    "Schedule",
    "Event",
    "JobTrigger",
    # closed sets
    "Target",
    "Protocol",
    "Exposure",
    "AddressForm",
    "UpdateStrategy",
}
SOURCE = Path(spec.__file__).read_text()


def test_the_module_exports_exactly_the_user_facing_names() -> None:
    assert set(spec.__all__) == USER_FACING
    assert len(spec.__all__) == len(USER_FACING), "no duplicates"
    namespace: dict[str, object] = {}
    exec("from infra.services.spec import *", namespace)  # what the README shows
    assert set(namespace) - {"__builtins__"} == USER_FACING


def _classes() -> list[ast.ClassDef]:
    return [node for node in ast.parse(SOURCE).body if isinstance(node, ast.ClassDef)]


def test_every_class_starts_with_its_docstring() -> None:
    classes = _classes()
    unions = {"Probe", "QueueTrigger", "SecretRef", "JobTrigger"}
    assert {node.name for node in classes} == USER_FACING - unions
    for node in classes:
        first = node.body[0]
        assert isinstance(first, ast.Expr), node.name
        assert isinstance(first.value, ast.Constant), node.name
        assert isinstance(first.value.value, str), node.name
        cls = getattr(spec, node.name)
        assert inspect.getdoc(cls) == inspect.cleandoc(first.value.value), node.name


def test_help_shows_the_documentation_and_the_real_signature() -> None:
    assert "Guaranteed" in (spec.Resources.__doc__ or "")
    parameters = inspect.signature(spec.Resources).parameters
    assert list(parameters) == ["cpu", "memory", "cpu_request", "memory_request"]


def test_every_field_is_documented_next_to_it() -> None:
    """An annotated field is followed by its docstring; for a default, that is its reason."""
    undocumented: list[str] = []
    for node in _classes():
        body = node.body
        for index, statement in enumerate(body):
            if not isinstance(statement, ast.AnnAssign):
                continue
            following = body[index + 1] if index + 1 < len(body) else None
            documented = (
                isinstance(following, ast.Expr)
                and isinstance(following.value, ast.Constant)
                and isinstance(following.value.value, str)
            )
            if not documented:
                undocumented.append(f"{node.name}.{ast.unparse(statement.target)}")
    assert undocumented == []


def test_declarations_remember_what_their_constructor_was_given() -> None:
    given = spec.Autoscaling(min_replicas=3, cpu_utilization=None)
    assert spec.explicit_fields(given) == {"min_replicas", "cpu_utilization"}
    assert given == dataclasses.replace(spec.Autoscaling(), min_replicas=3, cpu_utilization=None)
    assert spec.explicit_fields(spec.Manual()) == frozenset()


def test_sizes_and_ports_are_read_through_the_spec_types() -> None:
    """Renderers, charts and rules ask the declaration, not a helper elsewhere."""
    sized = spec.Resources(memory="1.5Gi", memory_request="512Mi")
    assert (sized.memory_mib(), sized.memory_request_mib()) == (1536, 512)
    assert spec.Resources(memory="256Mi").memory_request_mib() == 256, "the limit by default"
    with pytest.raises(ValueError, match="lots"):
        spec.Resources(memory="lots").memory_mib()
    service = spec.ServiceSpec(
        name="api",
        image="api:1",
        target=spec.Target.AKS,
        ports=(spec.Port(name="http", number=8080), spec.Port(name="grpc", number=9090)),
    )
    assert service.port_named(None) == service.ports[0], "None names the first port"
    assert service.port_named("grpc") == service.ports[1]
    assert service.port_named("metrics") is None
    assert dataclasses.replace(service, ports=()).port_named(None) is None
