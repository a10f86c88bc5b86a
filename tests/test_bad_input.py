"""Bad input is harmless: refused with a clear error, and nothing registered.

The table-driven cases live in test_config.py (stack config) and test_validation.py (service
declarations); this file covers what crosses the program boundary and fuzzes the config.
"""

from __future__ import annotations

import json
import sys
import textwrap
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from infra.config_loader import platform_config_from_values
from infra.preview.engine import ProgramFailed, run_offline
from infra.preview.stackfile import read_stack
from infra.problems import InvalidInput
from infra.program import build
from infra.services.loader import load_applications
from infra.services.spec import Application, JobSpec, Port, Schedule, ServiceSpec, Target
from tests.test_config import BAD_CONFIG
from tests.test_validation import CASES


def test_the_bad_input_suite_has_at_least_forty_cases() -> None:
    assert len(BAD_CONFIG) + len(CASES) >= 40


def test_a_misspelt_field_in_an_apps_module_names_the_module_and_field(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    package = tmp_path / "badapps"
    package.mkdir()
    (package / "__init__.py").write_text("")
    (package / "shop.py").write_text(
        textwrap.dedent("""
        from infra.services.spec import Application, ServiceSpec, Target
        application = Application(name="shop", services=(
            ServiceSpec(name="api", imagee="api:1.0", target=Target.AKS),
        ))
    """)
    )
    (package / "good.py").write_text(
        textwrap.dedent("""
        from infra.services.spec import Application, ServiceSpec, Target
        application = Application(name="good", services=(ServiceSpec(name="ok", image="ok:1.0", target=Target.AKS),))
    """)
    )
    monkeypatch.syspath_prepend(str(tmp_path))
    with pytest.raises(InvalidInput) as caught:
        load_applications("badapps")
    message = str(caught.value)
    assert "badapps/shop.py" in message
    assert "imagee" in message
    assert "good.py" not in message
    sys.modules.pop("badapps.shop", None)


def test_bad_declarations_register_nothing() -> None:
    broken = Application(
        name="shop",
        source="apps/shop.py",
        services=(
            ServiceSpec(
                name="API", image="api", target=Target.AKS, ports=(Port(name="http", number=80),)
            ),
        ),
    )
    with pytest.raises(ProgramFailed) as caught:
        run_offline(read_stack("dev"), lambda: build(applications=[*load_applications(), broken]))
    assert isinstance(caught.value.cause, InvalidInput)
    assert caught.value.run.resources == []
    text = str(caught.value)
    assert "API (apps/shop.py)" in text
    assert "ports[0].number = 80" in text


def test_a_bad_job_registers_nothing() -> None:
    broken = Application(
        name="shop",
        source="apps/shop.py",
        services=(),
        jobs=(
            JobSpec(
                name="nightly",
                image="team/nightly:1.0",
                target=Target.CONTAINER_APPS,
                trigger=Schedule(cron="0 25 * * *"),
                parallelism=2,
            ),
        ),
    )
    with pytest.raises(ProgramFailed) as caught:
        run_offline(read_stack("dev"), lambda: build(applications=[*load_applications(), broken]))
    assert isinstance(caught.value.cause, InvalidInput)
    assert caught.value.run.resources == []
    text = str(caught.value)
    assert "nightly (apps/shop.py)" in text
    assert "trigger.cron = '0 25 * * *': is not a cron schedule: hour '25' is outside 0-23" in text
    assert "parallelism = 2: is above completions=1" in text


def _stack_values() -> dict[str, Any]:
    values = read_stack("dev").values
    return {
        k.split(":", 1)[1]: json.loads(v) if v[:1] in "{[" else v
        for k, v in values.items()
        if k.startswith("platform:")
    }


JUNK = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-10, 10**6),
    st.floats(allow_nan=True),
    st.text(max_size=20),
    st.lists(st.text(max_size=5), max_size=3),
    st.dictionaries(st.text(max_size=6), st.integers(), max_size=3),
)


@st.composite
def mutated_config(draw: st.DrawFn) -> dict[str, Any]:
    values = _stack_values()
    section = draw(st.sampled_from(sorted(values)))
    if isinstance(values[section], dict) and draw(st.booleans()):
        key = draw(st.sampled_from([*sorted(values[section]), "typo"]))
        values[section] = {**values[section], key: draw(JUNK)}
    else:
        values[section] = draw(JUNK)
    return values


@pytest.mark.slow
@settings(max_examples=200, deadline=None)
@given(mutated_config())
def test_fuzzed_config_gives_a_validation_error_or_a_valid_config(values: dict[str, Any]) -> None:
    cli = {k: v if isinstance(v, str) else json.dumps(v) for k, v in values.items()}
    outcome = "valid"
    try:
        platform_config_from_values(cli)
    except InvalidInput as error:
        outcome = "invalid" if error.problems else "empty"
    assert outcome in ("valid", "invalid")


def test_an_entry_of_the_wrong_class_is_named_with_its_fix() -> None:
    from infra.config import Environment
    from infra.problems import InvalidInput
    from infra.services.rules import ValidationContext
    from infra.services.spec import Application
    from infra.services.validation import validate_applications

    app = Application(name="team", source="apps/team.py", services=("web",), jobs=(3,))  # type: ignore[arg-type]
    try:
        validate_applications([app], ValidationContext(Environment.DEV, {}, "kv"))
    except InvalidInput as error:
        message = str(error)
    else:
        raise AssertionError("a string is not a service")
    assert (
        "services[0] = 'web': is not a ServiceSpec → declare services with ServiceSpec(...)"
        in message
    )
    assert "jobs[0] = 3: is not a JobSpec → declare jobs with JobSpec(...)" in message
