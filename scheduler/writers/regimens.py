"""Regimen templates as text and as plain data, for `txcal regimens` and `txcal show`."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from scheduler.fact_words import fact_line
from scheduler.model import Dose, Regimen, Step
from scheduler.wording import day_label, describe_interval, describe_minutes, dose_text, window_text
from scheduler.writers.table import fit_table, wrap_field


def render_regimens(regimens: tuple[Regimen, ...] | list[Regimen], width: int = 80) -> str:
    """Return a table of regimens, one row per schedule: id, drug, brand, route, dose, interval.

    The drug column names the active ingredient; the full dose, with the enzyme given with the
    subcutaneous forms, is in `txcal show`.
    """
    rows = [["ID", "DRUG", "BRAND", "ROUTE", "DOSE", "EVERY"]]
    for regimen in regimens:
        brand = ", ".join(regimen.brands)
        marker = " (user)" if regimen.origin == "user" else ""
        for schedule in regimen.schedules:
            rows.append(
                [
                    regimen.id + marker,
                    regimen.ingredient,
                    brand,
                    regimen.route,
                    dose_text(schedule.dose, with_partner=False),
                    schedule.every,
                ]
            )
        if not regimen.schedules:
            rows.append([regimen.id + marker, regimen.ingredient, brand, regimen.route, "one-time pathway", "once"])
    return "\n".join(fit_table(rows, width, wrap=(1, 2, 4))) + "\n"


def step_placement(step: Step) -> str:
    """Return where a step falls: "plan start", "Day -7 to Day -4", "Day 2 to Day 29 (one span)"."""
    if step.on_start:
        return "plan start"
    if step.day is not None:
        return day_label(step.day)
    first, last = step.days or step.span or (0, 0)
    text = f"{day_label(first)} to {day_label(last)}"
    return text + (" (one span)" if step.span else " (each day)")


def render_regimen(regimen: Regimen, width: int = 80) -> str:
    """Return one template in words: who, schedules or steps, duration, notes and sources, within width."""
    lines = [f"{regimen.title}  [{regimen.id}]", ""]
    lines += wrap_field(
        "Drug:      ", regimen.drug + (f" ({', '.join(regimen.brands)})" if regimen.brands else ""), width
    )
    lines += wrap_field("Route:     ", regimen.route, width)
    lines += wrap_field("For:       ", regimen.who or regimen.population, width)
    lines += wrap_field("Duration:  ", regimen.duration.text, width)
    if regimen.aliases:
        lines += wrap_field("Also:      ", ", ".join(regimen.aliases), width)
    if regimen.schedules:
        lines += ["", "Schedules:"]
        for s in regimen.schedules:
            length = describe_minutes(s.length_min)
            if s.length_first_min:
                length = f"first {describe_minutes(s.length_first_min)}, then {length}"
            window = (
                f"; may move {window_text(s.window)} around a closed day (institutional default)" if s.window else ""
            )
            text = f"{dose_text(s.dose)} {describe_interval(s.every_days)}, {length}{window}"
            lines += wrap_field(f"  --every {s.every}: ", text, width)
    if regimen.anchor:
        anchor = f"{regimen.anchor.title}; by default {regimen.anchor.default_after} after the plan start (--infusion sets it)"
        lines += ["", *wrap_field("Anchor:    ", anchor, width)]
    if regimen.steps:
        lines += ["", "Steps:"]
        rows = [["", "", ""]]
        for step in regimen.steps:
            dose = f" - {dose_text(step.dose)} {step.route}".rstrip() if step.dose else ""
            flag = ("  [clinic]" if step.clinic else "") + ("  [unconfirmed]" if step.unconfirmed else "")
            rows.append([step_placement(step), step.kind, f"{step.title}{dose}{flag}"])
        lines += ["  " + line for line in fit_table(rows, width - 2, wrap=(0, 2))[1:]]
    lines += ["", "Sources:"]
    for source in regimen.sources:
        lines += wrap_field("  ", f"[{source.mark}] {source.address}: {source.supports}", width)
    # A shipped template's place is an install detail; a user's own is theirs to find again.
    where = (
        f"{Path(regimen.path).name}, shipped with txcal" if regimen.origin == "shipped" else f"{regimen.path} (yours)"
    )
    lines += ["", *wrap_field("Template:  ", where, width)]
    return "\n".join(lines) + "\n"


def _fact_sources(regimen: Regimen, ids: tuple[str, ...], width: int) -> list[str]:
    lines = []
    for source_id in ids:
        source = regimen.source(source_id)
        lines += wrap_field("    ", f"[{source.mark}] {source.address} ({source.supports})", width)
        if source.checked:
            lines += wrap_field("      checked: ", source.checked, width)
    return lines or ["    [no source named in the template]"]


def render_sources(regimen: Regimen, width: int = 80) -> str:
    """Return every fact of a template with its sources: mark (label, FDA, trial, seed ...) and revision checked."""
    lines = [f"{regimen.title}  [{regimen.id}]", "Every fact and its sources:", ""]
    for s in regimen.schedules:
        length = describe_minutes(s.length_min)
        if s.length_first_min:
            length = f"first {describe_minutes(s.length_first_min)}, then {length}"
        lines += wrap_field("  ", f"{dose_text(s.dose)} {describe_interval(s.every_days)}; {s.given or length}", width)
        lines += _fact_sources(regimen, s.sources, width)
        if s.window:
            lines.append(f"  may move {window_text(s.window)} around a closed day")
            lines += _fact_sources(regimen, tuple(x.id for x in regimen.sources if x.mark == "institutional"), width)
    for step in regimen.steps:
        dose = f" - {dose_text(step.dose)} {step.route}".rstrip() if step.dose else ""
        lines += wrap_field("  ", f"{step_placement(step)}: {step.title}{dose}", width)
        lines += _fact_sources(regimen, step.sources, width)
        if step.unconfirmed:
            lines += wrap_field("    unconfirmed: ", step.unconfirmed, width)
    if regimen.anchor and regimen.anchor.min_after_days:
        lines.append(f"  earliest plausible Day 1: {regimen.anchor.min_after_days} days after the start")
        lines += wrap_field("    ", regimen.anchor.min_after_text, width)
    if regimen.notes.sources:
        lines += wrap_field("  ", "what to expect, side effects to report and when to call", width)
        lines += _fact_sources(regimen, regimen.notes.sources, width)
    # Lines with sources of their own (warning signs, the emergency line, tests, a question), each credited apart.
    own = list(dict.fromkeys([*regimen.notes.lines, *(f for st in regimen.steps for f in st.notes.lines)]))
    for line in own:
        lines += wrap_field("  ", fact_line(line), width)
        lines += _fact_sources(regimen, line.sources, width)
    tied = {i for s in regimen.schedules for i in s.sources} | {i for st in regimen.steps for i in st.sources}
    tied |= set(regimen.notes.sources) | {i for f in own for i in f.sources}
    others = [x for x in regimen.sources if x.id not in tied and x.mark != "institutional"]
    if others:
        lines += wrap_field(
            "  ", "what to expect, side effects to report, when to call, and the rest of the template", width
        )
        lines += _fact_sources(regimen, tuple(x.id for x in others), width)
    return "\n".join(lines) + "\n"


def _dose_dict(dose: Dose | None) -> dict[str, Any] | None:
    if dose is None:
        return None
    return {"text": dose_text(dose), "amount": dose.amount, "unit": dose.unit, "per": dose.per, "max": dose.max}


def regimen_to_dict(regimen: Regimen) -> dict[str, Any]:
    """Return a template as plain data for --json."""
    return {
        "id": regimen.id,
        "title": regimen.title,
        "drug": regimen.drug,
        "ingredient": regimen.ingredient,
        "brands": list(regimen.brands),
        "aliases": list(regimen.aliases),
        "route": regimen.route,
        "population": regimen.population,
        "who": regimen.who,
        "duration": {
            "rule": regimen.duration.rule,
            "text": regimen.duration.text,
            "months": regimen.duration.months,
            "horizon": regimen.duration.horizon,
        },
        "schedules": [
            {
                "every": s.every,
                "dose": _dose_dict(s.dose),
                "length_first_minutes": s.length_first_min,
                "length_minutes": s.length_min,
            }
            for s in regimen.schedules
        ],
        "steps": [
            {
                "key": s.key,
                "kind": s.kind,
                "title": s.title,
                "when": step_placement(s),
                "dose": _dose_dict(s.dose),
                "unconfirmed": s.unconfirmed or None,
            }
            for s in regimen.steps
        ],
        "sources": [{"address": s.address, "supports": s.supports, "mark": s.mark} for s in regimen.sources],
        "origin": regimen.origin,
        "path": regimen.path,
    }
