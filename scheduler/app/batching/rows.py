"""One row of a batch: its plan (at the seats levelling or the clinic book set), its files, and what the
clinic calendar and the book keep of it. Runs in the main process or in a worker."""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

from scheduler import caches, wording
from scheduler.app.batching.clinic_events import clinic_event
from scheduler.app.batching.compiled import Filled, compile_template, fill, known, template_key
from scheduler.app.batching.folder import RESERVED, Outcome, file_stem
from scheduler.app.batching.rerun import KeptRow, digest, file_digest, kept_row, row_fingerprint
from scheduler.app.batching.settings import Settings, booked_as
from scheduler.app.output import previous_output, write_plan
from scheduler.app.plans import plan_from_request, request_from_spec
from scheduler.catalog.loader import Catalog, load_regimens, templates_state
from scheduler.clinic.booking import (
    BookedPlan,
    Seat,
    Visit,
    VisitRow,
    seated_plan,
    visit_rows,
)
from scheduler.clinic.preparation import plan_preparation
from scheduler.clinic_model import outside_hours
from scheduler.engine.slots import asked_for
from scheduler.errors import TxcalError
from scheduler.files import exclusive_temporary, write_atomic
from scheduler.i18n.render import rendered_in
from scheduler.i18n.tags import ENGLISH
from scheduler.ical import IcsExport, event_block, to_ics, zone_years
from scheduler.inputs.patient_list import spec_from_row
from scheduler.inputs.plan_spec import PlanSpec
from scheduler.model import CHAIR_KINDS, ClinicProfile, Plan, PlannedEvent, PlanRequest, clock_text, minute_of_day
from scheduler.options import PATIENT_LIST
from scheduler.view_wording import day_sheet_title, outside_hours_text
from scheduler.wording import event_summary
from scheduler.writers.registry import FORMATS, View

CLINIC_SHARE = "clinic.ics.share"  # a worker's share of the clinic calendar, a temporary the batch joins


@dataclass
class RowResult:
    """One planned row: its manifest line, its events for the clinic calendar, the zones they use."""

    outcome: Outcome
    clinic_text: str = ""
    years: dict[str, set[int]] = field(default_factory=dict)
    plan_id: str = ""
    chair: tuple[tuple[date, int | None, int | None], ...] = ()  # chair visits: day, minutes, minute of the day
    name: str = ""  # the patient's calendar file (its full path)
    booking: tuple[BookedPlan, list[Seat], list[VisitRow]] | None = None  # what the book keeps of the row
    kept: KeptRow | None = None  # what this batch keeps of the row for the next (its span set when written)
    reuse: tuple[int, int] | None = None  # unchanged since the last batch: its clinic events, there
    share: tuple[str, int, int] | None = None  # its clinic events in its worker's share file: path, start, end
    filled: bool = False  # filled in from a plan template
    patient: str = ""  # the patient, as the clinic book knows it (booked_as)


def assign_files(rows: Iterable[tuple[int, dict[str, str]]]) -> Iterator[tuple[int, dict[str, str], str]]:
    """Yield each row with its calendar's file name: safe, and unique even in a case-blind folder."""
    taken = set(RESERVED)  # a patient labelled "clinic" must not overwrite clinic.ics
    for number, cells in rows:
        stem = file_stem(cells.get("patient", ""), number)
        candidate, count = stem, 1
        while candidate.casefold() in taken:  # macOS and Windows folders ignore case
            count += 1
            candidate = f"{stem}-{count}"
        taken.add(candidate.casefold())
        yield number, cells, f"{candidate}.ics"


def plan_chunk(settings: Settings, chunk: list[tuple[int, dict[str, str], str]]) -> list[RowResult]:
    """Plan and write the calendars of some rows; runs in the main process or in a worker."""
    catalog = row_catalog(settings)
    rows = []
    for number, cells, name in chunk:
        row = _plan_row(settings, catalog, number, cells, name)
        row.patient = booked_as(cells, name)
        rows.append(row)
    return rows


def plan_chunk_shared(settings: Settings, chunk: list[tuple[int, dict[str, str], str]]) -> list[RowResult]:
    """Plan some rows as plan_chunk does, their clinic events written to a share file of this chunk's own
    (a temporary in the output folder), which the batch joins in row order: only where they are travels back."""
    rows = plan_chunk(settings, chunk)
    share = exclusive_temporary(settings.options.out_dir, CLINIC_SHARE)
    at = 0
    with share.open("wb") as out:
        for row in rows:
            if row.clinic_text:
                data = row.clinic_text.encode()
                out.write(data)
                row.share, row.clinic_text = (str(share), at, at + len(data)), ""
                at += len(data)
    return rows


def row_catalog(settings: Settings) -> Catalog:
    """Return the templates the rows are planned from: read once, and again when a template file changes."""
    return _kept_catalog(settings.options.template_dirs, templates_state(settings.options.template_dirs))


@caches.kept(8)
def _kept_catalog(template_dirs: tuple[str, ...], state: tuple[Any, ...]) -> Catalog:
    return load_regimens(template_dirs)


def row_spec(settings: Settings, cells: dict[str, str]) -> PlanSpec:
    return dataclasses.replace(spec_from_row(cells, settings.base), default_profile=settings.options.profile)


def _seated(
    settings: Settings, plan: Plan, spec: PlanSpec, number: int, cells: dict[str, str], name: str
) -> tuple[Plan, list[Seat]]:
    """Return a row's plan at the seats a levelled batch or the book set for it, and its chair visits."""
    found = settings.seats.get(booked_as(cells, name)) if settings.seats else None
    if found is None and not settings.book:
        return plan, []
    given = found[1] if found is not None and found[0] in (None, plan.plan_id) else {}
    return seated_plan(plan, number, plan.request.patient or cells.get("patient", ""), spec.prefer, given)


def _template_key(
    settings: Settings, request: PlanRequest, reminders: tuple[timedelta, ...], path: Path, patient: str
) -> tuple[Any, ...] | None:
    """Return the plan template a row may be filled in from (scheduler.app.batching.compiled), or None: the general path.

    Only a new calendar of a row no seat, book, handout or FHIR file asks more of.
    """
    if (
        not settings.options.plan_templates
        or request.language != ENGLISH  # a template is English text: another language is planned in full
        or settings.book
        or settings.options.handouts
        or settings.options.fhir
        or (settings.seats and patient in settings.seats)
    ):
        return None
    if not settings.empty_folder and os.path.lexists(path):
        return None  # a calendar to update against
    return template_key(request, reminders)


def kept_part(settings: Settings, plan: Plan) -> Plan:
    """Return a plan without the visits from the day its patient was let go (txcal release) on."""
    released = settings.released.get(plan.plan_id) if settings.released else None
    if released is None:
        return plan
    return dataclasses.replace(plan, events=tuple(e for e in plan.events if e.first_day < released))


def _reminders(settings: Settings, cells: dict[str, str], request: PlanRequest) -> tuple[timedelta, ...]:
    """Return a row's reminders: its own remind cell, else the batch's --remind, else its profile's (an option
    wins over the profile, as for `txcal plan`)."""
    if settings.options.reminders and not cells.get("remind", "").strip():
        return settings.options.reminders
    return request.reminders


def _closed_day_conflicts(plan: Plan) -> list[str]:
    """Return the plan's visits left on closed days, briefly: "dose 3 on 2026-12-25 (Christmas Day)"."""
    return [
        f"{f'dose {e.dose_number}' if e.dose_number else e.name} on {e.first_day} ({e.clash.closed})"
        for e in plan.events
        if e.clash is not None and e.status != "held"
    ]


def _outside_hours(
    profile: ClinicProfile | None, visits: Iterable[tuple[date, str, int | None, int | None]]
) -> list[str]:
    """Return the visits outside their day's opening hours, briefly: "2027-01-05: lab 07:00-07:30 outside opening
    hours (07:30-15:00)"; levelled or not, every run says so (clinic_model.outside_hours)."""
    if profile is None:
        return []
    return [
        f"{day}: {kind} {clock_text(start)}-{clock_text(start + (minutes or 0))} {outside_hours_text(profile.opening(day))}"
        for day, kind, start, minutes in visits
        if start is not None and outside_hours(profile.opening(day), kind, start, minutes)
    ]


def _patient_export(plan: Plan, stamp: datetime, reminders: tuple[timedelta, ...], previous: bytes | None) -> IcsExport:
    """Return the patient's calendar, in the patient's language (refused whole if a message has no checked
    translation: scheduler.i18n.render)."""
    return rendered_in(lambda translated: to_ics(translated, stamp, reminders, previous), plan)


def _write_beside(settings: Settings, plan: Plan, path: Path, name: str, patient: str) -> None:
    """Write the plan in another format beside the patient's calendar (a handout, a FHIR Bundle), from the
    same plan, so the same times."""
    fmt = FORMATS[name]
    feed = (settings.feed_links or {}).get(patient, "")
    view = View(today=settings.today or plan.request.start, stamp=settings.stamp, feed=feed)
    write_plan(
        path.with_name(path.stem + fmt.suffixes[0]), fmt, plan, view, settings.options.force, settings.options.replace
    )


def _plan_row(settings: Settings, catalog: Catalog, number: int, cells: dict[str, str], name: str) -> RowResult:
    path = settings.options.out_dir / name
    fingerprint = row_fingerprint(settings.shared, cells, name, settings.base) if settings.kept is not None else None
    if fingerprint is not None and settings.kept and name in settings.kept:
        before = kept_row(settings.kept[name])
        if before is not None and before.fingerprint == fingerprint and before.calendar == file_digest(path):
            return _reused(settings, number, name, before)
    outcome = Outcome(number, cells.get("patient", ""))
    try:
        spec = row_spec(settings, cells)
        request = request_from_spec(spec, catalog)
        label = request.patient or outcome.patient or name
        reminders = _reminders(settings, cells, request)
        key = _template_key(settings, request, reminders, path, booked_as(cells, name))
        compiled, template = known(key) if key is not None else (True, None)
        if template is not None:
            filled = fill(template, request, reminders, settings.stamp, name, label)
            if filled is not None:
                write_atomic(path, filled.calendar, new=settings.empty_folder)
                return _filled_row(settings, outcome, filled, request.regimen.id, name, fingerprint, request.profile)
        plan, seats = _seated(
            settings, kept_part(settings, plan_from_request(request, spec)), spec, number, cells, name
        )
        fresh = settings.empty_folder
        previous = (
            None
            if fresh
            else previous_output(path, FORMATS["ics"], plan, settings.options.force, settings.options.replace)
        )
        export = _patient_export(plan, settings.stamp, reminders, previous)
        data = export.data
        if data != previous:  # an unchanged calendar is left as it is, its file untouched
            write_atomic(path, data, new=fresh)
        if settings.options.handouts:
            _write_beside(settings, plan, path, settings.options.handouts, booked_as(cells, name))
        if settings.options.fhir:  # with a book, what this batch writes is booked (as `txcal plan --clinic` then says)
            uids = frozenset(e.uid for e in plan.events if _book_status(e) == "booked") if settings.book else None
            _write_beside(settings, dataclasses.replace(plan, booked=uids) if uids else plan, path, "fhir", "")
    except TxcalError as exc:
        outcome.error = str(exc.in_terms_of(PATIENT_LIST.word)).replace("\n", "; ")
        return RowResult(outcome, name=settings.calendar(name))
    except Exception as exc:
        outcome.error = f"this row could not be planned ({type(exc).__name__}); the other rows were written"
        return RowResult(outcome, name=settings.calendar(name))
    outcome.file, outcome.regimen, outcome.events = name, plan.regimen.id, len(plan.events)
    if plan.events:
        outcome.first, outcome.last = str(plan.events[0].first_day), str(max(e.last_day for e in plan.events))
    outcome.changed, outcome.cancelled = export.changed, export.cancelled
    outcome.conflicts = _closed_day_conflicts(plan) + _outside_hours(
        plan.request.profile,
        ((e.first_day, e.kind, minute_of_day(e.start), e.minutes) for e in plan.events if e.status != "held"),
    )
    levelled: dict[date, str] = {}  # the day's first chair visit says when the patient sits
    for event in plan.events:
        asked = asked_for(event)
        if asked and isinstance(event.start, datetime) and event.first_day not in levelled:
            levelled[event.first_day] = f"{event.first_day} {event.start:%H:%M} (asked {asked})"
    outcome.levelled = "; ".join(levelled.values())
    # The plan's events come first in the export, then any it cancels (kept as they were).
    # Every event of the plan, clinic tasks included; those not in the patient's file are made here.
    patient = {block.uid: block for block in export.blocks[: export.shown]}
    # A clinic task is in no patient file to keep its stamp: it takes the patient file's latest
    # stamp, so a rerun with nothing new writes the same bytes.
    hidden = any(e.audience != "patient" for e in plan.events)
    stamp = max((block.stamp for block in patient.values()), default=settings.stamp) if hidden else settings.stamp
    prepare = plan_preparation(plan)
    if plan.request.language != ENGLISH:
        # The clinic's calendar stays in the clinic's words: each event made again in English, with the stamp the
        # patient's file gave it (so a rerun with nothing new writes the same bytes).
        stamps = {uid: block.stamp for uid, block in patient.items()}
        patient = {e.uid: event_block(e, (), stamps.get(e.uid, stamp)) for e in plan.events}
    current = [
        clinic_event(patient.get(e.uid) or event_block(e, (), stamp), e, name, label, prepare.get(e.uid, ()))
        for e in plan.events
    ]
    blocks = [*current, *export.blocks[export.shown :]]
    chair = tuple(
        (e.first_day, e.minutes, minute_of_day(e.start))
        for e in plan.events
        if e.kind in CHAIR_KINDS and e.status != "held"
    )
    if key is not None and not compiled:
        compile_template(
            key,
            plan,
            lambda opened: plan_from_request(opened, spec),
            reminders,
            settings.stamp,
            (name, label),
            (data, current),
        )
    text, years = "".join(block.text for block in blocks), zone_years(blocks)
    booking = None
    if settings.book:
        booked = BookedPlan(
            plan.plan_id, booked_as(cells, name), settings.in_book(name), settings.list_name, number, cells
        )
        booking = (
            booked,
            seats,
            visit_rows(booked, (_visit(e, label, prepare.get(e.uid, ())) for e in plan.events), seats),
        )
    kept = _kept(fingerprint, data, plan.plan_id, years, chair, outcome)
    return RowResult(outcome, text, years, plan.plan_id, chair, settings.calendar(name), booking, kept)


def _filled_row(
    settings: Settings,
    outcome: Outcome,
    filled: Filled,
    regimen: str,
    name: str,
    fingerprint: str | None,
    profile: ClinicProfile | None,
) -> RowResult:
    """Return a row planned from its template: what the general path gives for such a plan (no closed day,
    nothing levelled, nothing changed; its visits outside opening hours)."""
    outcome.file, outcome.regimen, outcome.events = name, regimen, filled.events
    outcome.conflicts = _outside_hours(profile, filled.timed)
    outcome.first, outcome.last = str(filled.first), str(filled.last)
    text, years = "".join(block.text for block in filled.clinic), zone_years(filled.clinic)
    kept = _kept(fingerprint, filled.calendar, filled.plan_id, years, filled.chair, outcome)
    return RowResult(
        outcome, text, years, filled.plan_id, filled.chair, settings.calendar(name), None, kept, filled=True
    )


def _kept(
    fingerprint: str | None,
    calendar: bytes,
    plan_id: str,
    years: dict[str, set[int]],
    chair: tuple[tuple[date, int | None, int | None], ...],
    outcome: Outcome,
) -> KeptRow | None:
    """Return what the next batch keeps of a row (None when rows are not kept)."""
    if fingerprint is None:
        return None
    years_kept = {zone: sorted(found) for zone, found in years.items()}
    kept_outcome = dataclasses.replace(outcome, conflicts=list(outcome.conflicts))
    return KeptRow(fingerprint, digest(calendar), (0, 0), plan_id, years_kept, chair, kept_outcome)


def _reused(settings: Settings, number: int, name: str, before: KeptRow) -> RowResult:
    """Return a row unchanged since the last batch as that batch left it: its file is not touched."""
    outcome = before.reused(number)
    years = {zone: set(found) for zone, found in before.years.items()}
    kept = dataclasses.replace(before, outcome=outcome)  # reused() made it afresh
    return RowResult(
        outcome, "", years, before.plan_id, before.chair, settings.calendar(name), None, kept, reuse=before.span
    )


def _book_status(event: PlannedEvent) -> str:
    """Return what the book holds an event as: given, cancelled (held) or booked."""
    return {"given": "given", "held": "cancelled"}.get(event.status, "booked")


def _visit(event: PlannedEvent, patient: str, prepare: tuple[str, ...]) -> Visit:
    """Return an event as the book keeps it for the clinic's views."""
    status = _book_status(event)
    start, end = minute_of_day(event.start), minute_of_day(event.end)
    return Visit(
        event.uid,
        event.kind,
        day_sheet_title(event_summary(event, label_dose=True), patient),
        event.first_day,
        start,
        end if start is not None and end is not None and end >= start else None,
        event.minutes if start is not None else None,
        status,
        asked_for(event),
        wording.event_reason(event),
        prepare,
        (wording.event_conflict(event),) if wording.event_conflict(event) else (),
    )
