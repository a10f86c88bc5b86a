"""Errors of the preview CLI: every exception a plan's worker process can raise reaches the
parent intact (a `plan dev prod` never hangs), and each error names its stack."""

from __future__ import annotations

import importlib
import inspect
import os
import pickle
import pkgutil
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest

import infra
from infra.cost.refresh import RefreshError
from infra.cost.sheet import PriceError
from infra.plan.quantities import QuantityError
from infra.preview import cli
from infra.preview.against import BaseFailed
from infra.preview.engine import (
    DuplicateUrn,
    OfflineRun,
    ProgramFailed,
    RemoteError,
    portable,
    run_offline,
)
from infra.preview.stackfile import read_stack
from infra.problems import InvalidInput, Problem
from infra.program import build
from infra.services.chart_hooks import UnhandledChartHook
from infra.services.render.common import HookFailed, Manifest, PlatformExtensions
from infra.stack_scaffold import ScaffoldRefused
from tests.fixtures import FIXTURE_APPS, copy_program

PROBLEM = Problem("ports[0].number", "80", "is privileged", "use 8080", "api (apps/shop.py)")


class _Unpicklable(Exception):
    """Like ProgramFailed once was: pickles, but its __init__ cannot be called with `args`."""

    def __init__(self, a: str, b: str) -> None:
        super().__init__(f"{a} {b}")


def _samples() -> dict[type[BaseException], BaseException]:
    run = OfflineRun("dev", "platform")
    return {
        InvalidInput: InvalidInput("the application modules", [PROBLEM]),
        ProgramFailed: ProgramFailed(run, InvalidInput("the application modules", [PROBLEM])),
        RemoteError: RemoteError("KeyError", "'jobTemplate'", "Traceback ..."),
        PriceError: PriceError("no price for x → refresh"),
        RefreshError: RefreshError("the API answered 500"),
        cli.StacksFailed: cli.StacksFailed({"dev": KeyError("x"), "prod": _Unpicklable("a", "b")}),
        cli.UsageError: cli.UsageError(
            "name a stack (e.g. dev) or a set of team stacks (--set dev)"
        ),
        BaseFailed: BaseFailed("main", "dev", "error: dev: 1 problem"),
        HookFailed: HookFailed("infra.extensions.f", "infra/extensions.py:3", "CronJob a/b", "E"),
        DuplicateUrn: DuplicateUrn("Duplicate resource URN 'urn:pulumi:dev::p::t::x'"),
        UnhandledChartHook: UnhandledChartHook("gateway-helm v1.9.0: hook Job x"),
        QuantityError: QuantityError("not a quantity: '1K'"),
        ScaffoldRefused: ScaffoldRefused(["--from nope: no Pulumi.nope.yaml", "names: …"]),
    }


def _exception_classes() -> set[type[BaseException]]:
    """Every exception class defined in the `infra` package."""
    found: set[type[BaseException]] = set()
    for info in pkgutil.walk_packages(infra.__path__, "infra."):
        if info.name.endswith("__main__"):
            continue
        module = importlib.import_module(info.name)
        for _, value in inspect.getmembers(module, inspect.isclass):
            if issubclass(value, BaseException) and value.__module__ == info.name:
                found.add(value)
    return found


def test_every_exception_type_of_infra_survives_a_pickle_round_trip() -> None:
    samples = _samples()
    assert _exception_classes() <= set(samples), "add a sample of the new exception type here"
    for kind, error in samples.items():
        back = pickle.loads(pickle.dumps(error))
        assert type(back) is kind
        assert str(back) == str(error)


def test_a_program_failure_crosses_a_process_boundary_with_its_cause() -> None:
    failed = ProgramFailed(OfflineRun("prod", "platform"), _Unpicklable("a", "b"))
    back = pickle.loads(pickle.dumps(failed))
    assert back.run.stack == "prod"
    assert isinstance(back.cause, RemoteError)
    assert (back.cause.type_name, back.cause.message) == ("_Unpicklable", "a b")
    invalid = pickle.loads(pickle.dumps(ProgramFailed(failed.run, InvalidInput("x", [PROBLEM]))))
    assert invalid.cause.problems == (PROBLEM,)
    assert portable(KeyError("k")).__class__ is KeyError


def _hang_or_die(stack: str, *, show_progress: bool = True) -> dict[str, Any]:
    if stack == "slow":
        time.sleep(120)
    if stack == "dies":
        os._exit(9)
    return {"stack": stack}


@pytest.mark.slow
def test_a_stuck_worker_is_a_timeout_error_not_a_hang(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(cli, "_load_program", lambda: None)
    monkeypatch.setattr(cli, "plan_snapshot", _hang_or_die)
    started = time.monotonic()
    with pytest.raises(cli.StacksFailed) as caught:
        cli._snapshots(["fast", "slow"], jobs=2, quiet=True, timeout=3)
    assert time.monotonic() - started < 30
    assert list(caught.value.failures) == ["slow"]
    assert "not planned within 3 s" in cli.describe(caught.value.failures["slow"])


def test_a_worker_that_dies_is_an_error_naming_its_stack(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(cli, "_load_program", lambda: None)
    monkeypatch.setattr(cli, "plan_snapshot", _hang_or_die)
    with pytest.raises(cli.StacksFailed) as caught:
        cli._snapshots(["dies", "fast"], jobs=2, quiet=True, timeout=60)
    assert "dies" in caught.value.failures
    assert "worker process planning dies died" in cli.describe(caught.value.failures["dies"])


def broken_checkout(tmp_path: Path, old: str, new: str) -> Path:
    """A copy of the program whose fixture storefront has `old` replaced by `new`."""
    storefront = copy_program(tmp_path) / FIXTURE_APPS / "stack.py"
    text = storefront.read_text()
    assert old in text
    storefront.write_text(text.replace(old, new, 1))
    return tmp_path


@pytest.mark.slow
def test_plan_of_two_stacks_with_a_broken_app_exits_with_an_error(tmp_path: Path) -> None:
    """The PR workflow's command: it hung forever on any validation error (the worker's
    ProgramFailed could not be unpickled, so the pool never returned)."""
    root = broken_checkout(
        tmp_path, "min_replicas=1, max_replicas=10", "min_replica=1, max_replicas=10"
    )
    done = subprocess.run(
        [sys.executable, "-m", "infra.preview", "plan", "dev", "prod", "--quiet", "--jobs", "2"],
        cwd=root,
        capture_output=True,
        text=True,
        timeout=240,
        check=False,
    )
    assert done.returncode == cli.EXIT_ERROR, done.stderr
    assert done.stderr.startswith("error: dev, prod: "), done.stderr
    assert "min_replica" in done.stderr
    assert "Traceback" not in done.stderr


def _needs_a_job_template(obj: Manifest) -> Manifest:
    if obj["kind"] == "CronJob":
        obj["spec"]["template"] = obj["spec"]["jobTemplat"]
    return obj


def test_a_broken_hook_names_itself_its_line_and_the_object(
    capsys: pytest.CaptureFixture[str],
) -> None:
    line = inspect.getsourcelines(_needs_a_job_template)[1] + 2
    extensions = PlatformExtensions(kubernetes_hooks=(_needs_a_job_template,))
    with pytest.raises(ProgramFailed) as caught:
        run_offline(read_stack("dev"), lambda: build(extensions=extensions))
    failure = caught.value.cause
    assert isinstance(failure, HookFailed)
    assert failure.hook == "tests.test_cli_errors._needs_a_job_template"
    assert failure.where == f"tests/test_cli_errors.py:{line}"
    assert failure.object == "CronJob storefront-jobs/catalog-reindex"
    assert failure.error == "KeyError: 'jobTemplat'"
    assert isinstance(failure.__cause__, KeyError)  # what --debug prints


def test_debug_prints_the_traceback_and_the_plain_error_does_not(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    def failing(stack: str, *, show_progress: bool = True) -> dict[str, Any]:
        raise ProgramFailed(OfflineRun(stack, "platform"), KeyError("jobTemplate"))

    monkeypatch.setattr(cli, "_load_program", lambda: None)
    monkeypatch.setattr(cli, "plan_snapshot", failing)
    assert cli.main(["plan", "dev"]) == cli.EXIT_ERROR
    plain = capsys.readouterr().err
    assert plain == "error: dev: KeyError: 'jobTemplate'\n"
    assert cli.main(["plan", "dev", "--debug"]) == cli.EXIT_ERROR
    assert "Traceback (most recent call last)" in capsys.readouterr().err
    assert cli.main(["--debug", "render", "dev", "--out", "x"]) == cli.EXIT_ERROR
    assert "Traceback (most recent call last)" in capsys.readouterr().err
