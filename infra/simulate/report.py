"""The simulation in words: each phase, then "no refusal" or the first failing step (resource,
rule id, why, fix); with `every`, all refusals of each phase."""

from __future__ import annotations

import dataclasses
from typing import Any

from rich.console import Console
from rich.markup import escape

from infra.simulate.registry import Refusal
from infra.simulate.replay import Phase
from infra.simulate.scenario import Simulation


def _summary(phase: Phase) -> str:
    parts = []
    if phase.steps:
        parts.append(
            f"{len(phase.steps)} steps in {phase.waves} waves, {phase.duration:.0f} s of Sleeps"
        )
    if phase.note:
        parts.append(phase.note)
    return "; ".join(parts) or "nothing to do"


def _refusal(console: Console, refusal: Refusal, indent: str) -> None:
    console.print(f"{indent}[bold]{escape(refusal.resource)}[/] [red]\\[{refusal.rule}][/]")
    if refusal.urn:
        console.print(f"{indent}  urn: {escape(refusal.urn)}")
    console.print(f"{indent}  why: {escape(refusal.why)}")
    console.print(f"{indent}  fix: {escape(refusal.fix)}")


def print_simulation(simulation: Simulation, console: Console, *, every: bool = False) -> None:
    console.print(f"[bold]{simulation.stack}[/]: deploy simulation")
    for number, phase in enumerate(simulation.phases, 1):
        head = f"  {number}. {escape(phase.name)} — {escape(_summary(phase))}"
        if not phase.refusals:
            console.print(f"{head}: [green]no refusal[/]")
            continue
        console.print(f"{head}: [red]{len(phase.refusals)} refusal(s)[/]")
        for refusal in phase.refusals if every else phase.refusals[:1]:
            _refusal(console, refusal, "     ")
        if not every and len(phase.refusals) > 1:
            console.print(f"     … and {len(phase.refusals) - 1} more (--all lists them)")
    single = simulation.single_shot
    if single is not None:
        if single.refusals:
            first = single.refusals[0]
            rules = sorted({r.rule for r in single.refusals})
            console.print(
                f"  for contrast, {escape(single.name)}: refused as expected, first at "
                f"{escape(first.resource)} \\[{first.rule}] (rules: {', '.join(rules)})"
            )
        else:
            console.print(f"  for contrast, {escape(single.name)}: no refusal")
    verdict = "[green]no refusal[/]" if simulation.ok else "[red]refused[/]"
    console.print(f"  {simulation.stack}: {verdict}")


def _phase_json(phase: Phase) -> dict[str, Any]:
    return {
        "name": phase.name,
        "steps": len(phase.steps),
        "waves": phase.waves,
        "sleepSeconds": phase.duration,
        "note": phase.note,
        "refusals": [dataclasses.asdict(r) for r in phase.refusals],
    }


def simulation_json(simulation: Simulation) -> dict[str, Any]:
    """`simulate --json`: every phase with all its refusals (rule, urn, resource, why, fix)."""
    single = simulation.single_shot
    return {
        "ok": simulation.ok,
        "phases": [_phase_json(phase) for phase in simulation.phases],
        "singleShot": None if single is None else _phase_json(single),
    }
