"""A typo in `apps/` is a problem at its file and line with the name meant, every typo at once;
"did you mean" suggests only names a slip away."""

from __future__ import annotations

import sys
import textwrap
from pathlib import Path

import pytest

from infra.input_errors import did_you_mean
from infra.problems import InvalidInput
from infra.services.loader import load_applications

SERVICES = ["identity-api", "catalog-api", "basket-api", "ordering-api", "web", "admin-web"]


@pytest.mark.parametrize(
    ("word", "meant"),
    [
        ("inventory-api", None),  # ratio 0.72 with identity-api: another service, not a slip
        ("orders", None),
        ("idenity-api", "identity-api"),
        ("catalog-ap", "catalog-api"),
        ("orders-api", "ordering-api"),  # ratio 0.82, just above the cut
        ("basket", "basket-api"),  # a prefix of it
        ("Identity-API", "identity-api"),  # case is no difference
        ("payments", None),
    ],
)
def test_did_you_mean_suggests_only_a_slip_away(word: str, meant: str | None) -> None:
    assert did_you_mean(word, SERVICES) == ([meant] if meant else [])


def _package(tmp_path: Path, name: str, files: dict[str, str]) -> None:
    package = tmp_path / name
    package.mkdir()
    (package / "__init__.py").write_text("")
    for file, text in files.items():
        (package / file).write_text(textwrap.dedent(text).lstrip())


def _load_problems(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, name: str) -> str:
    monkeypatch.syspath_prepend(str(tmp_path))
    try:
        with pytest.raises(InvalidInput) as caught:
            load_applications(name)
    finally:
        for module in [m for m in sys.modules if m == name or m.startswith(name + ".")]:
            del sys.modules[module]
    return str(caught.value)


def test_every_typo_of_a_module_at_once_with_line_and_the_name_meant(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _package(
        tmp_path,
        "typoapps",
        {
            "shop.py": """
                from infra.services.spec import (
                    Application, Autoscaling, Exposure, Ingress, Port, ServiceSpec, Target,
                )
                from infra.services import spec

                api = ServiceSpec(
                    name="api",
                    image="api:1.0",
                    target=Target.AKS,
                    ports=(Port(name="http", number=8080),),
                    autoscaling=Autoscaling(min_replica=2, max_replicas=4),
                    ingress=Ingress(exposure=Exposure.PUBLC),
                    dependecies=(),
                )
                shop = Application(name="shop", services=(api,), owner=spec.Target.AKSS)
            """,
        },
    )
    message = _load_problems(tmp_path, monkeypatch, "typoapps")
    assert "4 problems in the application modules" in message
    assert (
        "typoapps/shop.py:11 = min_replica: Autoscaling has no field 'min_replica' "
        "→ did you mean 'min_replicas'?" in message
    )
    assert (
        "typoapps/shop.py:12 = Exposure.PUBLC: Exposure has no member 'PUBLC' "
        "→ did you mean 'PUBLIC'?" in message
    )
    assert "typoapps/shop.py:13 = dependecies: ServiceSpec has no field 'dependecies'" in message
    assert "did you mean 'dependencies'?" in message
    assert "typoapps/shop.py:15 = Target.AKSS: Target has no member 'AKSS'" in message
    assert "TypeError" not in message


def test_any_other_load_error_names_the_line_that_raised(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _package(
        tmp_path,
        "raisingapps",
        {
            "shop.py": """
                SIZES = {"small": 1}

                replicas = SIZES["smal"]
            """,
            "syntax.py": "x = (\n",
        },
    )
    message = _load_problems(tmp_path, monkeypatch, "raisingapps")
    assert "raisingapps/shop.py:3: cannot be loaded: KeyError: 'smal'" in message
    assert "raisingapps/syntax.py:1: cannot be loaded: SyntaxError" in message
