"""A regimen template's patient text as messages, each with a context naming the template and key.

The same English in two templates is reviewed apart: `atezolizumab-iv:notes.call` and
`atezolizumab-iv-pediatric:notes.call` are two messages. `template_messages` is the one list of
a template's patient text: the Babel extractor (`pybabel extract`, babel.cfg) and the plan's
translation (`translate_plan`) both read it, so a message extracted is a message translated.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from typing import Any

from scheduler.i18n import pgettext
from scheduler.model import Dose, Fact, Horizon, Notes, Plan, PlannedEvent, Regimen, Schedule


def _notes(prefix: str, notes: Notes) -> Iterator[tuple[str, str]]:
    yield f"{prefix}expect", notes.expect
    for i, item in enumerate(notes.report):
        yield f"{prefix}report[{i}]", item
    yield f"{prefix}call", notes.call
    yield f"{prefix}missed", notes.missed
    for i, line in enumerate(notes.lines):
        yield f"{prefix}lines[{i}].text", line.args[0]
        for j, item in enumerate(line.args[1:]):
            yield f"{prefix}lines[{i}].items[{j}]", item


def _dose(prefix: str, dose: Dose | None) -> Iterator[tuple[str, str]]:
    if dose is not None:
        yield f"{prefix}dose.patient", dose.patient or ""
        yield f"{prefix}dose.with", dose.with_ or ""


def template_messages(regimen: Regimen) -> list[tuple[str, str]]:
    """Return a template's patient text: (key, English) for every text a patient may read, none empty."""

    def found() -> Iterator[tuple[str, str]]:
        yield "title", regimen.title
        yield "event_title", regimen.event_title
        yield "route", regimen.route
        yield "duration.text", regimen.duration.text
        yield "duration.patient", regimen.duration.patient
        yield from _notes("notes.", regimen.notes)
        for i, schedule in enumerate(regimen.schedules):
            yield f"schedules[{i}].given", schedule.given
            yield from _dose(f"schedules[{i}].", schedule.dose)
        if regimen.anchor is not None:
            yield "anchor.unconfirmed", regimen.anchor.unconfirmed
            yield "anchor.default_unconfirmed", regimen.anchor.default_unconfirmed
        for step in regimen.steps:
            if step.audience != "patient":
                continue
            prefix = f"steps.{step.key}."
            yield prefix + "title", step.title
            yield prefix + "route", step.route
            yield prefix + "unconfirmed", step.unconfirmed
            yield from _dose(prefix, step.dose)
            yield from _notes(prefix + "notes.", step.notes)

    seen: dict[str, str] = {}
    for key, text in found():
        if text and text not in seen.values():
            seen[key] = text
    return list(seen.items())


def context(regimen: Regimen, key: str) -> str:
    """Return a template message's context: "atezolizumab-iv:notes.call"."""
    return f"{regimen.id}:{key}"


def translations(regimens: list[Regimen]) -> dict[str, str]:
    """Return the English -> translated text of some templates' patient text, in the language being spoken."""
    words: dict[str, str] = {}
    for regimen in regimens:
        for key, english in template_messages(regimen):
            words.setdefault(english, pgettext(context(regimen, key), english))
    return words


def translate_plan(plan: Plan) -> Plan:
    """Return a plan whose template text (titles, notes, doses in words, routes) is in the language being spoken.

    Identities, days and times are the plan's own: the same UIDs in every language.
    """
    from scheduler.wording import event_title

    regimens = [plan.regimen, *(r.regimen for r in plan.request.records if r.regimen is not None)]
    words = translations(regimens)

    def swap(value: Any) -> Any:
        if isinstance(value, str):
            return words.get(value, value)
        if isinstance(value, tuple):
            return tuple(swap(v) for v in value)
        if isinstance(value, Fact):
            return dataclasses.replace(value, args=swap(value.args))
        if isinstance(value, (Dose, Horizon)):
            changes: dict[str, Any] = {}
            for f in dataclasses.fields(value):
                old = getattr(value, f.name)
                if isinstance(old, (str, tuple)) and (new := swap(old)) != old:
                    changes[f.name] = new
            return dataclasses.replace(value, **changes) if changes else value
        return value

    def event(e: PlannedEvent) -> PlannedEvent:
        if e.audience != "patient":  # the clinic's own tasks: never in a patient output, never translated
            return e
        # A name no template gives is the clinic profile's (a linked visit's title): a message of its own, so
        # a profile's English title refuses a Spanish output rather than slipping into it.
        name = words[e.name] if e.name in words else pgettext("clinic-profile", e.name)
        return dataclasses.replace(
            e,
            name=name,
            title=event_title(name, e.dose_number, plan.request.patient),
            route=swap(e.route),
            dosage=swap(e.dosage),
            facts=swap(e.facts),
        )

    def schedule(s: Schedule | None) -> Schedule | None:
        # The handout's heading says the schedule's dose, with what comes with it ("30,000 units hyaluronidase").
        return None if s is None else dataclasses.replace(s, dose=swap(s.dose))

    def regimen(r: Regimen) -> Regimen:
        duration = dataclasses.replace(
            r.duration,
            text=words.get(r.duration.text, r.duration.text),
            patient=words.get(r.duration.patient, r.duration.patient),
        )
        schedules = tuple(s for s in map(schedule, r.schedules) if s is not None)
        return dataclasses.replace(r, title=words.get(r.title, r.title), duration=duration, schedules=schedules)

    records = tuple(
        dataclasses.replace(
            record,
            regimen=None if record.regimen is None else regimen(record.regimen),
            schedule=schedule(record.schedule),
        )
        for record in plan.request.records
    )
    request = dataclasses.replace(
        plan.request, regimen=regimen(plan.regimen), schedule=schedule(plan.request.schedule), records=records
    )
    return dataclasses.replace(plan, request=request, events=tuple(map(event, plan.events)), reach=swap(plan.reach))
