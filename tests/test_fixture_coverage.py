"""The platform's fixture applications exercise the whole service model (issue 22, point 6).

The fixtures (`tests/apps/`: the stack fixture every whole-plan test deploys, and the feature
fixtures under `tests/apps/features/` that the golden files render) are the suite's own, never
the app teams' `apps/`. So that no feature is covered only by the reference app, this test
computes the feature list from the model's own types (`infra/services/spec.py`), not from
`apps/`: every declaration type, every field a declaration may set (given explicitly by some
fixture, so its rendering shows in a golden file) and every member of every closed set is
used by some fixture. A field added to the model fails here until a fixture uses it.
"""

from __future__ import annotations

import dataclasses
import enum
from collections.abc import Iterator, Mapping

from infra.services import spec
from infra.services.loader import load_applications
from infra.services.spec import Application, explicit_fields

REFUSED_ALWAYS = {
    ("InitContainer", "ingress"): "refused on every target: an init container serves nothing",
    ("JobSpec", "ingress"): "refused on every target: a job serves no traffic",
}
"""Fields that exist only so validation can name the mistake (tests/test_bad_input.py refuses
them); no valid fixture can set them."""

NOT_DECLARED = {("Application", "source")}
"""Set by the loader, never by a declaration."""


def fixture_applications() -> list[Application]:
    """The stack fixture and the feature fixtures."""
    return [*load_applications("tests.apps"), *load_applications("tests.apps.features")]


def _declarations(value: object) -> Iterator[object]:
    """Every dataclass and enum value reachable from `value`."""
    if isinstance(value, enum.Enum):
        yield value
    elif dataclasses.is_dataclass(value) and not isinstance(value, type):
        yield value
        for item in dataclasses.fields(value):
            yield from _declarations(getattr(value, item.name))
    elif isinstance(value, tuple | list):
        for item in value:
            yield from _declarations(item)
    elif isinstance(value, Mapping):
        for item in value.values():
            yield from _declarations(item)


def _model() -> tuple[list[type], list[type[enum.Enum]]]:
    types = [getattr(spec, name) for name in spec.__all__]
    classes = [t for t in types if isinstance(t, type) and dataclasses.is_dataclass(t)]
    closed = [t for t in types if isinstance(t, type) and issubclass(t, enum.Enum)]
    return classes, closed


def _used() -> tuple[set[str], set[tuple[str, str]], set[enum.Enum]]:
    kinds: set[str] = set()
    fields: set[tuple[str, str]] = set()
    members: set[enum.Enum] = set()
    for application in fixture_applications():
        for found in _declarations(application):
            if isinstance(found, enum.Enum):
                members.add(found)
                continue
            name = type(found).__name__
            kinds.add(name)
            given = explicit_fields(found)
            fields.update((name, f) for f in given or ())
    return kinds, fields, members


def test_the_fixtures_use_every_declaration_type() -> None:
    kinds, _, _ = _used()
    classes, _ = _model()
    missing = sorted(c.__name__ for c in classes if c.__name__ not in kinds)
    assert not missing, f"no fixture application declares: {missing} (add one to tests/apps/)"


def test_the_fixtures_set_every_field_of_the_model() -> None:
    _, fields, _ = _used()
    classes, _ = _model()
    missing = sorted(
        f"{c.__name__}.{f.name}"
        for c in classes
        for f in dataclasses.fields(c)
        if (c.__name__, f.name) not in fields
        and (c.__name__, f.name) not in REFUSED_ALWAYS
        and (c.__name__, f.name) not in NOT_DECLARED
    )
    assert not missing, f"no fixture application sets: {missing} (add it to tests/apps/)"


def test_the_fixtures_use_every_member_of_every_closed_set() -> None:
    _, _, members = _used()
    _, closed = _model()
    missing = sorted(f"{e.__name__}.{m.name}" for e in closed for m in e if m not in members)
    assert not missing, f"no fixture application uses: {missing} (add it to tests/apps/)"


def test_the_exemptions_are_still_fields_of_the_model() -> None:
    """An exemption outliving its field would hide nothing, but would mislead a reader."""
    classes, _ = _model()
    known = {(c.__name__, f.name) for c in classes for f in dataclasses.fields(c)}
    assert set(REFUSED_ALWAYS) | NOT_DECLARED <= known
