"""Offline plans import provider SDK members one module at a time: same objects, less loading.

Each check runs in a fresh interpreter, since a package imported in full cannot be un-imported.
"""

from __future__ import annotations

import json
import textwrap
from typing import Any

import pytest

from tests.fixtures import run_python

PACKAGES = (
    "pulumi_azure_native.app",
    "pulumi_azure_native.authorization",
    "pulumi_azure_native.containerservice",
    "pulumi_azure_native.managedidentity",
    "pulumi_azure_native.monitor",
    "pulumi_azure_native.network",
    "pulumi_azure_native.privatedns",
    "pulumi_kubernetes.apps.v1",
    "pulumi_kubernetes.core.v1",
    "pulumi_kubernetes.networking.v1",
)

PRELUDE = """
import json, sys, types
import pulumi_azure_native, pulumi_kubernetes

def package(dotted):
    module = sys.modules[dotted.split(".")[0]]
    for part in dotted.split(".")[1:]:
        module = getattr(module, part)
    return module

def identity(value):
    return f"{getattr(value, '__module__', None)}:{getattr(value, '__qualname__', repr(value))}"
"""


def _python(body: str, *args: str, stdin: str = "") -> Any:
    result = run_python("-c", PRELUDE + textwrap.dedent(body), *args, stdin=stdin)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


@pytest.mark.slow
def test_every_member_resolves_to_what_the_full_package_exports() -> None:
    """The full `__init__` defines the truth, precedence between `_inputs`, resource modules and
    `_enums` included; every public member of each package must resolve to that same object
    without falling back to the full load."""
    full = _python(
        """
        out = {}
        for dotted in sys.argv[1:]:
            module = package(dotted)
            getattr(module, "Unknown", None)  # runs the package's own __init__
            out[dotted] = {n: identity(v) for n, v in vars(module).items()
                           if not n.startswith("_") and not isinstance(v, types.ModuleType)}
        print(json.dumps(out))
        """,
        *PACKAGES,
    )
    resolved = _python(
        """
        from infra.preview.sdk_modules import load_members_on_demand
        load_members_on_demand()
        wanted = json.loads(sys.stdin.read())
        out = {}
        for dotted, names in wanted.items():
            module = package(dotted)
            out[dotted] = {
                "members": {n: identity(getattr(module, n)) for n in names},
                "class": type(module).__name__,
            }
        print(json.dumps(out))
        """,
        stdin=json.dumps({dotted: sorted(members) for dotted, members in full.items()}),
    )
    for dotted in PACKAGES:
        assert len(full[dotted]) > 10, dotted
        assert resolved[dotted]["members"] == full[dotted], dotted
        assert resolved[dotted]["class"] == "OnDemandPackage", f"{dotted} fell back to a full load"


@pytest.mark.slow
def test_a_member_loads_its_own_module_not_the_whole_package() -> None:
    loaded = _python(
        """
        from infra.preview.sdk_modules import load_members_on_demand
        load_members_on_demand()
        vnet = pulumi_azure_native.network.VirtualNetwork
        submodule = pulumi_azure_native.network.virtual_network
        service = pulumi_kubernetes.core.v1.Service
        print(json.dumps({
            "vnet": identity(vnet),
            "service": identity(service),
            "submodule": submodule.__name__,
            "class": type(pulumi_azure_native.network).__name__,
            "network": sorted(m for m in sys.modules if m.startswith("pulumi_azure_native.network.")),
            "core": sorted(m for m in sys.modules if m.startswith("pulumi_kubernetes.core.v1.")),
        }))
        """
    )
    assert loaded["vnet"] == "pulumi_azure_native.network.virtual_network:VirtualNetwork"
    assert loaded["service"] == "pulumi_kubernetes.core.v1.Service:Service"
    assert loaded["submodule"] == "pulumi_azure_native.network.virtual_network"
    assert loaded["class"] == "OnDemandPackage"
    assert "pulumi_azure_native.network.virtual_network" in loaded["network"]
    assert "pulumi_azure_native.network.application_gateway" not in loaded["network"]
    assert len(loaded["network"]) < 10, loaded["network"]
    assert "pulumi_kubernetes.core.v1.Pod" not in loaded["core"]


@pytest.mark.slow
def test_an_unknown_member_is_an_attribute_error_after_the_full_load() -> None:
    outcome = _python(
        """
        from infra.preview.sdk_modules import load_members_on_demand
        load_members_on_demand()
        network = pulumi_azure_native.network
        try:
            network.NoSuchResource
            error = None
        except AttributeError as caught:
            error = str(caught)
        print(json.dumps({
            "error": error,
            "class": type(network).__name__,
            "complete": "pulumi_azure_native.network.application_gateway" in sys.modules,
            "hasattr": hasattr(network, "AlsoMissing"),
        }))
        """
    )
    assert outcome["error"] is not None
    assert "NoSuchResource" in outcome["error"]
    assert outcome == {**outcome, "class": "module", "complete": True, "hasattr": False}
