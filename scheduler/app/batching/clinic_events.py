"""The clinic calendar's view of a patient's event: who, what, when, what to prepare and what changed."""

from __future__ import annotations

from scheduler import caches, fact_words, wording
from scheduler.engine.slots import asked_for
from scheduler.ical import (
    ASKED_PROPERTY,
    CONFLICT_PROPERTY,
    PATIENT_PROPERTY,
    PREPARE_PROPERTY,
    EventBlock,
    list_property,
    text_property,
)
from scheduler.model import PlannedEvent
from scheduler.view_wording import clinic_description
from scheduler.wording import event_summary


def clinic_event(
    block: EventBlock, event: PlannedEvent, calendar_file: str, patient: str, prepare: tuple[str, ...]
) -> EventBlock:
    """Return a patient's event as the clinic calendar shows it: the patient's notes left out.

    Coordinators need who, what, when, what to prepare and what changed; the side effects and
    sources are in the patient's own calendar, which the description names. A quarter of the
    bytes, for a whole clinic. The patient, the preparation and a conflict are also properties of
    their own, so the day sheet and the load read them back as data.
    """
    line = clinic_line(event, calendar_file, prepare)
    more = clinic_properties(event, patient, prepare)
    conflict = wording.event_conflict(event)
    if not conflict:
        # The clinic's calendar carries no reminders: the patient's own does. Its own lines, in name order, last.
        quick = block.with_description(line, more)
        if quick is not None:
            return quick
    props = {**block.props, "DESCRIPTION": line, **{entry.partition(":")[0]: entry for entry in more}}
    if conflict:
        props["SUMMARY"] = text_property("SUMMARY", event_summary(event, clinic=True))
    return EventBlock(block.uid, props, (), block.zones)


def clinic_line(event: PlannedEvent, calendar_file: str, prepare: tuple[str, ...]) -> str:
    """Return an event's DESCRIPTION line in the clinic calendar, folded."""
    return _clinic_description(
        wording.event_dose(event),
        event.route,
        event.kind,
        wording.event_reason(event),
        wording.event_conflict(event),
        (*prepare, *fact_words.clinic_notes(event.facts)),
        calendar_file,
    )


def clinic_properties(event: PlannedEvent, patient: str, prepare: tuple[str, ...]) -> list[str]:
    """Return the clinic calendar's own lines of an event, in name order: conflict, asked time, patient, preparation."""
    more = {PATIENT_PROPERTY: _patient_line(patient)}
    asked = asked_for(event)
    if asked:
        more[ASKED_PROPERTY] = text_property(ASKED_PROPERTY, asked)
    if prepare:
        more[PREPARE_PROPERTY] = list_property(PREPARE_PROPERTY, prepare)
    conflict = wording.event_conflict(event)
    if conflict:
        more[CONFLICT_PROPERTY] = text_property(CONFLICT_PROPERTY, conflict)
    return [more[name] for name in sorted(more)]


@caches.kept(256)
def _patient_line(patient: str) -> str:
    return text_property(PATIENT_PROPERTY, patient)  # kept: each patient's events are written together


@caches.kept(256)
def _clinic_description(
    dose: str, route: str, kind: str, reason: str, conflict: str, clinic_notes: tuple[str, ...], calendar_file: str
) -> str:
    text = clinic_description(dose, route, kind, reason, conflict, clinic_notes, calendar_file)
    return text_property("DESCRIPTION", text)
