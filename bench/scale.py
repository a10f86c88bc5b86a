"""Scale benchmark: the offline plan of N synthetic services vs. the Pulumi SDK floor.

    python3 dev.py bench [--sizes 50 100 200 400] [--repeat 5] [--json bench/results/latest.json]
    python3 dev.py bench --team-stacks 40x10 [--sizes 1 10 40] [--jobs 1 2]   (bench/team_stacks.py)

For each N, in fresh processes: (1) the offline plan of the platform plus N services, timed from
the program's start to the last registration (imports excluded and reported apart); (2) the
floor: the very same resources (types, names, parents, inputs) registered directly through the
Pulumi SDK under the same mocks, without any of this project's code. Reports wall time, peak
memory, resources and ms/resource; ratio = plan / floor. Also times the reference application's
offline preview, both stacks, end to end (start-up included), as a user runs it.

Each measurement is repeated, a plan and its floor back to back each time. The table shows
median times, and the ratio is the median of the per-pair ratios: a pair runs under the same
machine conditions, and the median discards the runs that a busy (or briefly idle) shared
machine makes slow (or fast). The JSON keeps the best runs and every run too.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


SIZES = (50, 100, 200, 400)
QUICK_SIZES = (25, 50, 100)
LOAD_AT_START = os.getloadavg()
"""The shared machine's load when the run began (`uptime`'s 1/5/15-minute averages)."""


def _peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def preload() -> None:
    from infra.preview.engine import preload_providers

    preload_providers()


def child_plan(size: int, out: Path) -> None:
    started = time.perf_counter()
    from bench.synthetic import synthetic_applications
    from infra.preview.engine import run_offline
    from infra.preview.stackfile import read_stack
    from infra.program import build
    from infra.services.loader import load_applications

    # Load the provider modules the program uses (they import lazily, on first attribute), so
    # import time is reported apart from plan time; the floor pays the same loads.
    preload()
    imported = time.perf_counter()
    apps = [*load_applications(), *synthetic_applications(size)]
    stack = read_stack("dev")
    begin, begin_cpu = time.perf_counter(), time.process_time()
    run = run_offline(stack, lambda: build(applications=apps))
    seconds, cpu_seconds = time.perf_counter() - begin, time.process_time() - begin_cpu
    _write_run(out, seconds, cpu_seconds, imported - started, run.resources)


def _write_run(
    out: Path, seconds: float, cpu_seconds: float, import_seconds: float, resources: list[Any]
) -> None:
    registrations = [
        {
            "type": r.type,
            "name": r.name,
            "urn": r.urn,
            "parent": r.parent,
            "custom": r.custom,
            "inputs": r.inputs,
            "depends_on": list(r.depends_on),
            "provider": r.provider,
        }
        for r in resources
    ]
    out.write_text(
        json.dumps(
            {
                "seconds": seconds,
                "cpu_seconds": cpu_seconds,
                "import_seconds": import_seconds,
                "peak_mb": _peak_mb(),
                "resources": len(registrations),
                "registrations": registrations,
            }
        )
    )


def _resource_class(token: str) -> Any:
    """The SDK class a token is registered with (typed classes allocate their output properties,
    as the program's do); None for a generic CustomResource."""
    import importlib

    package, module, kind = token.split(":", 2)
    try:
        if package == "azure-native":
            return getattr(importlib.import_module(f"pulumi_azure_native.{module}"), kind)
        if package == "kubernetes":
            group, version = module.split("/") if "/" in module else ("core", module)
            group = {"core": "core"}.get(group, group.split(".")[0])
            return getattr(importlib.import_module(f"pulumi_kubernetes.{group}.{version}"), kind)
    except (AttributeError, ImportError, ValueError):
        return None
    return None


def _keyword_map(cls: Any) -> dict[str, str]:
    """Wire (camelCase) input name → the typed class's keyword, so the floor calls the real
    constructor (type aliases, input handling and output properties included)."""
    import inspect
    import re

    params = [
        p
        for p in inspect.signature(cls._internal_init).parameters
        if p not in ("__self__", "opts", "__props__")
    ]
    mapping: dict[str, str] = {}
    for param in params:
        wire = re.sub(r"_([a-z0-9])", lambda m: m.group(1).upper(), param.rstrip("_"))
        mapping.setdefault(wire, param)
        mapping.setdefault(param.rstrip("_"), param)
    # A resource's own name (`resource_name_`) clashes with the logical name `resource_name`.
    if "resource_name_" in params:
        mapping["resourceName"] = "resource_name_"
    return mapping


def _keywords(mapping: dict[str, str], inputs: dict[str, Any]) -> dict[str, Any]:
    """Top-level inputs as keywords; acronyms the simple rule misses are matched case-blind."""
    folded = {k.lower(): v for k, v in mapping.items()}
    return {
        mapping.get(k) or folded[k.lower()]: v
        for k, v in inputs.items()
        if k in mapping or k.lower() in folded
    }


def touch_provider_members() -> None:
    from infra.preview.engine import touch_provider_members as touch

    touch()


def host_run(program: Callable[[], object]) -> list[Any]:
    """Run `program` the way the Pulumi language host runs a Python program, under recording
    mocks: `set_mocks` (which makes the root stack), the program, then the SDK's own drain of
    every outstanding registration and Output task (`run_pulumi_func` → `wait_for_rpcs`), as
    pulumi-language-python-exec's `run_in_stack` does. None of the offline engine's shortcuts
    (type aliases dropped, no source positions, a larger young GC generation) apply: the SDK
    pays for every Output the program makes. Returns the recorded registrations."""
    import pulumi
    from pulumi.runtime import settings
    from pulumi.runtime.config import set_all_config
    from pulumi.runtime.stack import run_pulumi_func
    from pulumi.runtime.sync_await import _sync_await

    from infra.preview.engine import RecordingMonitor
    from infra.preview.mocks import PlatformMocks
    from infra.preview.stackfile import read_stack

    stack = read_stack("dev")
    settings.ROOT.set(None)
    set_all_config(dict(stack.values), list(stack.secret_keys))
    mocks = PlatformMocks()
    monitor = RecordingMonitor(mocks)
    pulumi.runtime.set_mocks(mocks, project=stack.project, stack=stack.stack, monitor=monitor)

    def run() -> None:
        program()

    _sync_await(run_pulumi_func(run))
    return list(monitor.registrations)


def child_host(size: int, out: Path) -> None:
    """The program as the language host starts it: `runpy` of infra/__main__.py with cwd
    infra/, its applications being the reference ones plus N synthetic services."""
    import runpy

    started = time.perf_counter()
    from bench.synthetic import synthetic_applications
    from infra import program as program_module
    from infra.services.loader import load_applications

    # The host imports the SDKs whole (no offline on-demand loading); loaded before the clock
    # starts, as for the plan, and reported apart.
    touch_provider_members()
    imported = time.perf_counter()
    apps = [*load_applications(), *synthetic_applications(size)]
    program_module.load_applications = lambda: apps  # type: ignore[assignment]
    os.chdir(ROOT / "infra")
    begin, begin_cpu = time.perf_counter(), time.process_time()
    registrations = host_run(
        lambda: runpy.run_path(str(ROOT / "infra" / "__main__.py"), run_name="__main__")
    )
    seconds, cpu_seconds = time.perf_counter() - begin, time.process_time() - begin_cpu
    _write_run(out, seconds, cpu_seconds, imported - started, registrations)


def child_floor(source: Path, out: Path, host: bool = False, bare: bool = False) -> None:
    import pulumi

    from infra.preview.engine import run_offline
    from infra.preview.stackfile import read_stack

    if host:
        touch_provider_members()
    else:
        preload()
    registrations = json.loads(source.read_text())["registrations"]
    classes = {r["type"]: _resource_class(r["type"]) for r in registrations}
    keyword_maps = {t: _keyword_map(c) for t, c in classes.items() if c is not None}

    def program() -> None:
        created: dict[str, pulumi.Resource] = {}
        for r in registrations:
            opts = pulumi.ResourceOptions(
                parent=created.get(r["parent"]),
                depends_on=[created[u] for u in r["depends_on"] if u in created],
                provider=created.get(r["provider"]),  # type: ignore[arg-type]
            )
            token = r["type"]
            if token.startswith("pulumi:providers:"):
                resource_: pulumi.Resource = pulumi.ProviderResource(
                    token.split(":")[-1], r["name"], r["inputs"], opts
                )
            elif not r["custom"]:
                resource_ = pulumi.ComponentResource(token, r["name"], None, opts)
            elif classes.get(token) is not None and not bare:
                cls = classes[token]
                resource_ = cls(r["name"], opts=opts, **_keywords(keyword_maps[token], r["inputs"]))
            else:
                resource_ = pulumi.CustomResource(token, r["name"], r["inputs"], opts)
            created[r["urn"]] = resource_

    begin, begin_cpu = time.perf_counter(), time.process_time()
    if host:
        count = len(host_run(program))
    else:
        count = len(run_offline(read_stack("dev"), program).resources)
    seconds, cpu_seconds = time.perf_counter() - begin, time.process_time() - begin_cpu
    out.write_text(
        json.dumps(
            {
                "seconds": seconds,
                "cpu_seconds": cpu_seconds,
                "peak_mb": _peak_mb(),
                "resources": count,
            }
        )
    )


def _child(*args: str) -> dict[str, Any]:
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "out.json"
        subprocess.run([sys.executable, __file__, *args, str(out)], check=True, cwd=ROOT)
        return json.loads(out.read_text())


def measure(size: int, repeat: int) -> dict[str, Any]:
    plans, floors = [], []
    with tempfile.TemporaryDirectory() as tmp:
        for _ in range(repeat):
            plan_out = Path(tmp) / "plan.json"
            subprocess.run(
                [sys.executable, __file__, "--child-plan", str(size), str(plan_out)],
                check=True,
                cwd=ROOT,
            )
            plan = json.loads(plan_out.read_text())
            floor = _child("--child-floor", str(plan_out))
            plans.append(plan)
            floors.append(floor)
    plan_s = statistics.median(p["seconds"] for p in plans)
    floor_s = statistics.median(f["seconds"] for f in floors)
    pair_ratios = [p["seconds"] / f["seconds"] for p, f in zip(plans, floors, strict=True)]
    # CPU time of the process: what a shared machine's other load disturbs least.
    cpu_ratios = [p["cpu_seconds"] / f["cpu_seconds"] for p, f in zip(plans, floors, strict=True)]
    best_plan = min(p["seconds"] for p in plans)
    best_floor = min(f["seconds"] for f in floors)
    resources = plans[0]["resources"]
    return {
        "services": size,
        "resources": resources,
        "plan_seconds": round(plan_s, 3),
        "floor_seconds": round(floor_s, 3),
        "ratio": round(statistics.median(pair_ratios), 3),
        "pair_ratios": [round(r, 3) for r in pair_ratios],
        "cpu_ratio": round(statistics.median(cpu_ratios), 3),
        "cpu_pair_ratios": [round(r, 3) for r in cpu_ratios],
        "best_plan_seconds": round(best_plan, 3),
        "best_floor_seconds": round(best_floor, 3),
        "best_ratio": round(best_plan / best_floor, 3),
        "plan_cpu_seconds": round(statistics.median(p["cpu_seconds"] for p in plans), 3),
        "floor_cpu_seconds": round(statistics.median(f["cpu_seconds"] for f in floors), 3),
        "plan_runs": [round(p["seconds"], 3) for p in plans],
        "floor_runs": [round(f["seconds"], 3) for f in floors],
        "ms_per_resource": round(plan_s * 1000 / resources, 3),
        "import_seconds": round(statistics.median(p["import_seconds"] for p in plans), 3),
        "peak_mb": round(max(p["peak_mb"] for p in plans), 1),
        "floor_peak_mb": round(max(f["peak_mb"] for f in floors), 1),
    }


def measure_host(size: int, repeat: int) -> dict[str, Any]:
    """The language-host mode at N services: the program (`child_host`), then its two floors
    for the very registrations it made: the typed SDK classes (`--child-host-floor`, as the
    offline floor) and bare `pulumi.CustomResource`/`ComponentResource` registrations
    (`--child-host-bare-floor`: what the SDK alone costs, without the provider classes' type
    aliases and typed inputs). All three run the SDK as the host does (`host_run`)."""
    programs, floors, bares = [], [], []
    with tempfile.TemporaryDirectory() as tmp:
        for _ in range(repeat):
            program_out = Path(tmp) / "host.json"
            subprocess.run(
                [sys.executable, __file__, "--child-host", str(size), str(program_out)],
                check=True,
                cwd=ROOT,
            )
            programs.append(json.loads(program_out.read_text()))
            floors.append(_child("--child-host-floor", str(program_out)))
            bares.append(_child("--child-host-bare-floor", str(program_out)))
    counts = {p["resources"] for p in programs} | {f["resources"] for f in (*floors, *bares)}
    assert len(counts) == 1, f"the floors registered other resources than the program: {counts}"

    def ratios(key: str, of: list[dict[str, Any]]) -> list[float]:
        return [round(p[key] / f[key], 3) for p, f in zip(programs, of, strict=True)]

    program_s = statistics.median(p["seconds"] for p in programs)
    resources = programs[0]["resources"]
    return {
        "services": size,
        "resources": resources,
        "program_seconds": round(program_s, 3),
        "program_cpu_seconds": round(statistics.median(p["cpu_seconds"] for p in programs), 3),
        "floor_seconds": round(statistics.median(f["seconds"] for f in floors), 3),
        "bare_floor_seconds": round(statistics.median(f["seconds"] for f in bares), 3),
        "ratio": round(statistics.median(ratios("seconds", floors)), 3),
        "cpu_ratio": round(statistics.median(ratios("cpu_seconds", floors)), 3),
        "bare_ratio": round(statistics.median(ratios("seconds", bares)), 3),
        "bare_cpu_ratio": round(statistics.median(ratios("cpu_seconds", bares)), 3),
        "pair_ratios": ratios("seconds", floors),
        "cpu_pair_ratios": ratios("cpu_seconds", floors),
        "bare_pair_ratios": ratios("seconds", bares),
        "bare_cpu_pair_ratios": ratios("cpu_seconds", bares),
        "program_runs": [round(p["seconds"], 3) for p in programs],
        "floor_runs": [round(f["seconds"], 3) for f in floors],
        "bare_floor_runs": [round(f["seconds"], 3) for f in bares],
        "ms_per_resource": round(program_s * 1000 / resources, 3),
        "import_seconds": round(statistics.median(p["import_seconds"] for p in programs), 3),
        "peak_mb": round(max(p["peak_mb"] for p in programs), 1),
        "floor_peak_mb": round(max(f["peak_mb"] for f in floors), 1),
        "bare_floor_peak_mb": round(max(f["peak_mb"] for f in bares), 1),
    }


def growth(rows: list[dict[str, Any]], key: str) -> dict[str, float]:
    """time(4N)/time(N) for every N whose 4N was measured too (linear: about 4)."""
    by_size = {r["services"]: r for r in rows}
    return {
        f"{4 * n}/{n}": round(by_size[4 * n][key] / by_size[n][key], 2)
        for n in sorted(by_size)
        if 4 * n in by_size
    }


def _table(rows: list[dict[str, Any]], columns: tuple[str, ...]) -> list[str]:
    width = max(len(c) for c in columns) + 1
    return [
        " ".join(f"{c:>{width}}" for c in columns),
        *(" ".join(f"{r[c]:>{width}}" for c in columns) for r in rows),
    ]


def reference_preview_seconds(repeat: int) -> list[float]:
    """What a user types: one offline preview of both stacks, start-up included (every run)."""
    times = []
    for _ in range(repeat):
        begin = time.perf_counter()
        subprocess.run(
            [sys.executable, "-m", "infra.preview", "plan", "dev", "prod", "--quiet"],
            check=True,
            cwd=ROOT,
            stdout=subprocess.DEVNULL,
        )
        times.append(round(time.perf_counter() - begin, 2))
    return times


def main() -> int:
    if "--team-stacks" in sys.argv[1:]:
        # N applications x M services, each its own stack (issue 25): bench/team_stacks.py.
        from bench.team_stacks import main as team_stacks

        return team_stacks(sys.argv[1:])
    if len(sys.argv) > 1 and sys.argv[1] == "--child-plan":
        child_plan(int(sys.argv[2]), Path(sys.argv[3]))
        return 0
    if len(sys.argv) > 1 and sys.argv[1] == "--child-floor":
        child_floor(Path(sys.argv[2]), Path(sys.argv[3]))
        return 0
    if len(sys.argv) > 1 and sys.argv[1] == "--child-host":
        child_host(int(sys.argv[2]), Path(sys.argv[3]))
        return 0
    if len(sys.argv) > 1 and sys.argv[1] == "--child-host-floor":
        child_floor(Path(sys.argv[2]), Path(sys.argv[3]), host=True)
        return 0
    if len(sys.argv) > 1 and sys.argv[1] == "--child-host-bare-floor":
        child_floor(Path(sys.argv[2]), Path(sys.argv[3]), host=True, bare=True)
        return 0
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--sizes", type=int, nargs="+", default=list(SIZES))
    parser.add_argument(
        "--quick", action="store_true", help=f"sizes {' '.join(map(str, QUICK_SIZES))} only"
    )
    parser.add_argument("--repeat", type=int, default=1)
    parser.add_argument(
        "--mode", choices=("both", "offline", "host"), default="both", help="which runs to time"
    )
    parser.add_argument("--json", type=Path, default=ROOT / "bench" / "results" / "latest.json")
    args = parser.parse_args()
    sizes = list(QUICK_SIZES) if args.quick else args.sizes
    rows = [measure(size, args.repeat) for size in sizes] if args.mode != "host" else []
    host_rows = (
        [measure_host(size, args.repeat) for size in sizes] if args.mode != "offline" else []
    )
    by_size = {r["services"]: r for r in rows}
    scaling = (
        round(by_size[400]["plan_seconds"] / by_size[100]["plan_seconds"], 2)
        if 400 in by_size and 100 in by_size
        else None
    )
    result: dict[str, Any] = {
        "machine": {
            "cpus": os.cpu_count(),
            "python": platform.python_version(),
            "platform": platform.platform(),
            "processor": platform.processor() or platform.machine(),
            "load_average_at_start": LOAD_AT_START,
            "load_average_at_end": os.getloadavg(),
        },
        "repeat": args.repeat,
        "rows": rows,
        "time_400_over_100": scaling,
        "growth": growth(rows, "plan_seconds") if rows else {},
        "cpu_growth": growth(rows, "plan_cpu_seconds") if rows else {},
        "language_host": host_rows,
        "language_host_growth": growth(host_rows, "program_seconds") if host_rows else {},
        "language_host_cpu_growth": (growth(host_rows, "program_cpu_seconds") if host_rows else {}),
    }
    previews = reference_preview_seconds(args.repeat)
    result["reference_preview_both_stacks_seconds"] = statistics.median(previews)
    result["reference_preview_both_stacks_best_seconds"] = min(previews)
    result["reference_preview_both_stacks_runs"] = previews
    result["machine"]["load_average_at_end"] = os.getloadavg()
    lines = [
        f"medians of {args.repeat} run(s); ratio = median of per-pair program/floor ratios (wall "
        "time), cpu_ratio = the same over process CPU time",
    ]
    if rows:
        lines += ["offline plan (infra/preview/engine.py) vs its floor (typed SDK classes):"]
        lines += _table(
            rows,
            (
                "services",
                "resources",
                "plan_seconds",
                "plan_cpu_seconds",
                "floor_seconds",
                "ratio",
                "cpu_ratio",
                "ms_per_resource",
                "peak_mb",
            ),
        )
        lines += [f"time(4N)/time(N): wall {result['growth']}, cpu {result['cpu_growth']}"]
    if host_rows:
        lines += [
            "language host (set_mocks, runpy infra/__main__.py, wait_for_rpcs) vs the floor "
            "(typed SDK classes) and the bare floor (pulumi.CustomResource):"
        ]
        lines += _table(
            host_rows,
            (
                "services",
                "resources",
                "program_seconds",
                "program_cpu_seconds",
                "floor_seconds",
                "ratio",
                "cpu_ratio",
                "bare_floor_seconds",
                "bare_ratio",
                "bare_cpu_ratio",
                "peak_mb",
            ),
        )
        lines += [
            f"time(4N)/time(N): wall {result['language_host_growth']}, "
            f"cpu {result['language_host_cpu_growth']}"
        ]
    lines += [
        "reference app offline preview, dev + prod, end to end: "
        f"median {statistics.median(previews)} s, best {min(previews)} s, runs {previews}",
        f"machine: {result['machine']}",
    ]
    args.json.parent.mkdir(parents=True, exist_ok=True)
    args.json.write_text(json.dumps(result, indent=2) + "\n")
    args.json.with_suffix(".txt").write_text("\n".join(lines) + "\n")
    print("\n".join(lines))
    return 0


if __name__ == "__main__":
    sys.exit(main())
