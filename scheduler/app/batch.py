"""Whole-clinic planning: a patient list in, one calendar per patient, a clinic calendar and a manifest out.

Rows are planned one at a time and written as they go, so memory stays flat however long the list:
the clinic calendar's events stream to a temporary file and are wrapped with their time zones at
the end. A bad row is reported with its line number and skipped; the others are still written.
"""

from __future__ import annotations

import collections
import dataclasses
import functools
import itertools
import os
import pickle
import re
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any, BinaryIO

from scheduler.app.book import Book, BookedPlan, Seat, Visit, VisitRow, open_book, seated_plan, visit_rows
from scheduler.app.levelling import Levelling, Sitting, level, sittings
from scheduler.app.output import previous_output, write_plan
from scheduler.app.plans import plan_from_spec
from scheduler.app.preparation import plan_preparation
from scheduler.catalog.loader import Catalog
from scheduler.engine.slots import asked_for
from scheduler.errors import TxcalError
from scheduler.files import (
    exclusive_temporary,
    locked,
    read_existing,
    read_input,
    remove_leftovers,
    write_atomic,
)
from scheduler.inputs.patient_list import iter_rows, spec_from_row
from scheduler.inputs.plan_spec import PlanSpec, cached_profile, profile_calendar
from scheduler.model import CHAIR_KINDS, ClinicProfile, Load, Plan, PlannedEvent, minute_of_day
from scheduler.options import PATIENT_LIST
from scheduler.units import check_zone
from scheduler.wording import clinic_description, day_sheet_title, event_summary
from scheduler.writers.csv import safe_writer
from scheduler.writers.ical.export import (
    EventBlock,
    calendar_head,
    escape,
    event_block,
    fold,
    timezones_text,
    to_ics,
    zone_years,
)
from scheduler.writers.ical.read import (
    ASKED_PROPERTY,
    CONFLICT_PROPERTY,
    PATIENT_PROPERTY,
    PREPARE_PROPERTY,
    txcal_plan_id,
)
from scheduler.writers.registry import FORMATS, View

CLINIC_FILE = "clinic.ics"
MANIFEST_FILE = "manifest.csv"
RESERVED = frozenset({"clinic", "manifest"})  # the stems of the batch's own files
BATCH_LOCK = "batch"  # the folder's lock file, .batch.lock: one batch writes a folder at a time
CLINIC_PLAN = "clinic"  # the plan id the clinic calendar carries, so txcal knows it as its own
MANIFEST_COLUMNS = (
    "row",
    "patient",
    "file",
    "regimen",
    "events",
    "first",
    "last",
    "changed",
    "cancelled",
    "levelled",
    "conflicts",
    "status",
    "error",
)
# Manifests of earlier versions, which a batch still knows as its own.
OLDER_MANIFESTS = (
    ("row", "patient", "file", "regimen", "events", "first", "last", "changed", "cancelled", "status", "error"),
)


def file_stem(label: str, row: int) -> str:
    """Return a safe file name stem for a patient label: letters, digits, dot, dash, underscore only.

    No path separators or leading dots can survive, so a label cannot climb out of the folder.
    """
    stem = re.sub(r"[^A-Za-z0-9._-]+", "-", label).strip(".-_")[:60]
    return stem or f"row-{row}"


@dataclass
class Outcome:
    """What happened to one row, for the manifest."""

    row: int
    patient: str
    file: str = ""
    regimen: str = ""
    events: int = 0
    first: str = ""
    last: str = ""
    changed: int = 0
    cancelled: int = 0
    levelled: str = ""  # the visits the clinic gave a time or day to level its chairs
    conflicts: list[str] = field(default_factory=list)  # visits on closed days, over the chairs, or fitting no chair
    error: str = ""

    def cells(self) -> list[object]:
        status = "error" if self.error else "conflict" if self.conflicts else "ok"
        return [self.row, self.patient, self.file, self.regimen, self.events, self.first, self.last,
                self.changed, self.cancelled, self.levelled, "; ".join(self.conflicts), status, self.error]  # fmt: skip


def survey(path: Path) -> tuple[int, dict[str, set[int]]]:
    """Return how many rows the list has and the zones it names (a first, light pass)."""
    count = 0
    zones: dict[str, set[int]] = {}
    for _, cells in iter_rows(path):
        count += 1
        _expect_zone(cells, zones)
    return count, zones


@dataclass(frozen=True)
class Settings:
    """What every row of a batch shares: where to write, the time stamp, reminders, templates."""

    out_dir: Path
    stamp: datetime
    base: Path  # the folder relative paths in rows (closures, plan files) start from
    reminders: tuple[timedelta, ...] = ()
    force: bool = False
    template_dirs: tuple[str, ...] = ()
    profile: Path | None = None  # the clinic profile of rows that name none
    replace: bool = False  # a patient file holding another plan: cancel its events and write this one
    # By calendar file: the chair visits' seats a levelled batch set (plan id None) or the book holds
    # (for that plan id only), by the day the plan gives each.
    seats: dict[str, tuple[str | None, dict[date, Seat]]] | None = None
    empty_folder: bool = False  # out_dir held nothing when the batch began: no file to read back or keep
    today: date | None = None  # nothing before today is re-timed
    relevel: bool = False  # booked visits from today on may be re-timed
    book: bool = False  # the rows' plans are booked: each row brings back what the book keeps
    handouts: str | None = None  # "html" or "pdf": a handout beside each calendar
    fhir: bool = False  # a FHIR R4 Bundle beside each calendar (PATIENT.fhir.json)
    list_name: str = ""  # the patient list, as the book names where a plan came from
    exact_seconds: float | None = None  # level each day with CP-SAT, for at most this long

    def calendar(self, name: str) -> str:
        """Return where a patient's calendar is, as the book and the seats name it: its full path."""
        return str(self.out_dir.absolute() / name)


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


_CATALOGS: dict[tuple[str, ...], Catalog] = {}


def plan_chunk(settings: Settings, chunk: list[tuple[int, dict[str, str], str]]) -> list[RowResult]:
    """Plan and write the calendars of some rows; runs in the main process or in a worker."""
    catalog = _catalog(settings)
    return [_plan_row(settings, catalog, number, cells, name) for number, cells, name in chunk]


def _catalog(settings: Settings) -> Catalog:
    from scheduler.catalog.loader import load_regimens

    if settings.template_dirs not in _CATALOGS:
        _CATALOGS[settings.template_dirs] = load_regimens(settings.template_dirs)
    return _CATALOGS[settings.template_dirs]


def clinic_event(
    block: EventBlock, event: PlannedEvent, calendar_file: str, patient: str, prepare: tuple[str, ...]
) -> EventBlock:
    """Return a patient's event as the clinic calendar shows it: the patient's notes left out.

    Coordinators need who, what, when, what to prepare and what changed; the side effects and
    sources are in the patient's own calendar, which the description names. A quarter of the
    bytes, for a whole clinic. The patient, the preparation and a conflict are also properties of
    their own, so the day sheet and the load read them back as data.
    """
    line = _clinic_description(
        event.dose,
        event.route,
        event.kind,
        event.reason,
        event.conflict,
        (*prepare, *event.clinic_notes),
        calendar_file,
    )
    more = {PATIENT_PROPERTY: _patient_line(patient)}
    asked = asked_for(event)
    if asked:
        more[ASKED_PROPERTY] = fold(f"{ASKED_PROPERTY}:{escape(asked)}")
    if prepare:
        more[PREPARE_PROPERTY] = fold(f"{PREPARE_PROPERTY}:{escape('; '.join(prepare))}")
    if event.conflict:
        more[CONFLICT_PROPERTY] = fold(f"{CONFLICT_PROPERTY}:{escape(event.conflict)}")
    else:
        # The clinic's calendar carries no reminders: the patient's own does. Its own lines, in name order, last.
        quick = block.with_description(line, [more[name] for name in sorted(more)])
        if quick is not None:
            return quick
    props = {**block.props, "DESCRIPTION": line, **more}
    if event.conflict:
        props["SUMMARY"] = fold("SUMMARY:" + escape(event_summary(event, clinic=True)))
    return EventBlock(block.uid, props, (), block.zones)


@functools.lru_cache(maxsize=256)
def _patient_line(patient: str) -> str:
    return fold(f"{PATIENT_PROPERTY}:{escape(patient)}")  # kept: each patient's events are written together


@functools.lru_cache(maxsize=256)
def _clinic_description(
    dose: str, route: str, kind: str, reason: str, conflict: str, clinic_notes: tuple[str, ...], calendar_file: str
) -> str:
    text = clinic_description(dose, route, kind, reason, conflict, clinic_notes, calendar_file)
    return fold("DESCRIPTION:" + escape(text))


def _row_spec(settings: Settings, cells: dict[str, str]) -> PlanSpec:
    return dataclasses.replace(spec_from_row(cells, settings.base), default_profile=settings.profile)


def _row_plan(
    settings: Settings, catalog: Catalog, number: int, cells: dict[str, str], name: str
) -> tuple[Plan, PlanSpec, list[Seat]]:
    """Return a row's plan at the seats a levelled batch or the book set for it, the spec, and its chair visits."""
    spec = _row_spec(settings, cells)
    plan = plan_from_spec(spec, catalog)
    found = settings.seats.get(settings.calendar(name)) if settings.seats else None
    if found is None and not settings.book:
        return plan, spec, []
    given = found[1] if found is not None and found[0] in (None, plan.plan_id) else {}
    seated, seats = seated_plan(plan, number, plan.request.patient or cells.get("patient", ""), spec.prefer, given)
    return seated, spec, seats


def _closed_day_conflicts(plan: Plan) -> list[str]:
    """Return the plan's visits left on closed days, briefly: "dose 3 on 2026-12-25 (Christmas Day)"."""
    return [
        f"{f'dose {e.dose_number}' if e.dose_number else e.name} on {e.first_day} ({e.clash.closed})"
        for e in plan.events
        if e.clash is not None and e.status != "held"
    ]


def _write_beside(settings: Settings, plan: Plan, path: Path, name: str) -> None:
    """Write the plan in another format beside the patient's calendar (a handout, a FHIR Bundle), from the
    same plan, so the same times."""
    fmt = FORMATS[name]
    view = View(today=settings.today or plan.request.start, stamp=settings.stamp)
    write_plan(path.with_name(path.stem + fmt.suffixes[0]), fmt, plan, view, settings.force, settings.replace)


def _plan_row(settings: Settings, catalog: Catalog, number: int, cells: dict[str, str], name: str) -> RowResult:
    outcome = Outcome(number, cells.get("patient", ""))
    path = settings.out_dir / name
    try:
        plan, _, seats = _row_plan(settings, catalog, number, cells, name)
        fresh = settings.empty_folder
        previous = None if fresh else previous_output(path, FORMATS["ics"], plan, settings.force, settings.replace)
        export = to_ics(plan, settings.stamp, plan.request.reminders or settings.reminders, previous)
        data = export.data
        if data != previous:  # an unchanged calendar is left as it is, its file untouched
            write_atomic(path, data, new=fresh)
        if settings.handouts:
            _write_beside(settings, plan, path, settings.handouts)
        if settings.fhir:
            _write_beside(settings, plan, path, "fhir")
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
    outcome.conflicts = _closed_day_conflicts(plan)
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
    label = plan.request.patient or outcome.patient or name
    prepare = plan_preparation(plan)
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
    text, years = "".join(block.text for block in blocks), zone_years(blocks)
    booking = None
    if settings.book:
        booked = BookedPlan(plan.plan_id, label, settings.calendar(name), settings.list_name, number, cells)
        booking = (
            booked,
            seats,
            visit_rows(booked, (_visit(e, label, prepare.get(e.uid, ())) for e in plan.events), seats),
        )
    return RowResult(outcome, text, years, plan.plan_id, chair, settings.calendar(name), booking)


def _visit(event: PlannedEvent, patient: str, prepare: tuple[str, ...]) -> Visit:
    """Return an event as the book keeps it for the clinic's views."""
    status = {"given": "given", "held": "cancelled"}.get(event.status, "booked")
    start, end = minute_of_day(event.start), minute_of_day(event.end)
    return Visit(
        event.uid, event.kind, day_sheet_title(event_summary(event), patient), event.first_day, start,
        end if start is not None and end is not None and end >= start else None,
        event.minutes if start is not None else None, status, asked_for(event), event.reason,
        (*prepare, *event.clinic_notes), (event.conflict,) if event.conflict else (),
    )  # fmt: skip


def sitting_chunk(settings: Settings, chunk: list[tuple[int, dict[str, str], str]]) -> list[tuple[str, list[Sitting]]]:
    """Return the chair visits of some rows as planned, by calendar file, for levelling; runs in the main
    process or a worker. Booked visits come as fixed points, and so does every visit before today."""
    catalog = _catalog(settings)
    found = []
    profile = str(settings.profile.resolve()) if settings.profile else None
    for number, cells, name in chunk:
        try:
            spec = _row_spec(settings, cells)
            plan = plan_from_spec(spec, catalog)
        except Exception:
            continue  # the row fails again when it is written, with its message
        if plan.request.profile is None or plan.request.profile.path != profile:
            continue  # another clinic's chairs
        booked = settings.seats.get(settings.calendar(name)) if settings.seats else None
        given = booked[1] if booked is not None and booked[0] == plan.plan_id else {}
        patient = plan.request.patient or cells.get("patient", "")
        found.append(
            (
                settings.calendar(name),
                [_as_fixed(s, given.get(s.day), settings) for s in sittings(plan, number, patient, spec.prefer)],
            )
        )
    return found


def _booked_elsewhere_sittings(settings: Settings, listed: set[str]) -> list[Sitting]:
    """Return the booked chair visits of patients this batch does not plan (not in the list, or their row
    failed) as fixed points: they keep their chairs, and nobody new is put on them."""
    found: list[Sitting] = []
    for calendar, (_, seats) in (settings.seats or {}).items():
        if calendar in listed:
            continue
        for seat in seats.values():
            chair = seat.chair - 1 if seat.chair else None
            found.append(
                Sitting(-1 - len(found), calendar, seat.planned, seat.asked, seat.minutes, seat.lead, seat.tail,
                        fixed=(seat.day, chair, seat.start))
            )  # fmt: skip
    return found


def _as_fixed(sitting: Sitting, seat: Seat | None, settings: Settings) -> Sitting:
    """Return a chair visit as levelling must take it: its booked seat kept (from today on only with
    re-levelling), and a visit before today as it is."""
    today = settings.today or date.min
    if seat is not None and not (settings.relevel and seat.day >= today):
        return dataclasses.replace(sitting, fixed=(seat.day, seat.chair - 1 if seat.chair else None, seat.start))
    if sitting.day < today:
        return dataclasses.replace(sitting, fixed=(sitting.day, None, sitting.start))
    return sitting


def _worker_count(rows: int) -> int:
    """Use every core for a large list; a small one is quicker in one process than starting workers."""
    return 1 if rows < 200 else min(os.cpu_count() or 1, 4)


def _chunk_size(rows: int, workers: int) -> int:
    """Rows per chunk: large enough to keep the workers' hand-offs few, small enough to share the work out."""
    return max(10, min(100, rows // (workers * 4)))


@dataclass
class BatchResult:
    """What a batch did: rows planned, events written, the rows that failed, and the clinic's conflicts."""

    rows: int = 0
    events: int = 0
    failed: list[Outcome] = field(default_factory=list)
    conflicts: list[Outcome] = field(default_factory=list)  # rows with a visit on a closed day or over the chairs
    over: list[date] = field(default_factory=list)  # days over the chairs or their minutes
    levelling: Levelling | None = None
    kept_out: int = 0  # booked patients not in this list, kept in the book and the clinic calendar


def _clinic_profile(settings: Settings) -> ClinicProfile | None:
    return cached_profile(settings.profile.resolve()) if settings.profile is not None else None


def _opening(profile: ClinicProfile) -> Callable[[date], tuple[int, int] | None]:
    """Return a day's opening and closing minute at the clinic, or None on a day it is closed."""
    calendar = profile_calendar(profile)

    def hours(day: date) -> tuple[int, int] | None:
        return None if calendar is not None and calendar.closed(day) else profile.opening(day)

    return hours


def run_batch(
    patients: Path, settings: Settings, progress: Callable[[int], None] = lambda n: None, levelled: bool = False
) -> BatchResult:
    """Plan every row of a patient list into settings.out_dir: a calendar each, the clinic calendar, the manifest.

    Rows are read, planned (by worker processes when the list is large) and written a chunk at a
    time, and the clinic calendar is written as rows finish, in row order, so its memory stays flat
    however long the list. The clinic calendar's time zones are written first, for the zones and
    years the list names; should its events use others, it is written again with them. The
    manifest is written last, when the days over the chairs are known.

    With `levelled`, every row is planned once first to collect its chair visits, which are given
    times (scheduler.app.levelling) before the calendars are written.

    With a clinic book (the profile's `book`), the whole batch is one transaction of the book: its
    booked visits keep their seats (scheduler.app.book), what the batch writes is booked, and a row
    that fails keeps its patient's booked visits in the book and the clinic calendar.
    """
    total, expected = survey(patients)
    profile = _clinic_profile(settings)
    if levelled and (profile is None or profile.chairs is None):
        raise TxcalError("levelling needs the clinic's chairs: give --clinic FILE with chairs and hours")
    book_path = profile.book_path if profile is not None else None
    with os.scandir(settings.out_dir) as entries:
        settings = dataclasses.replace(settings, empty_folder=next(entries, None) is None)
    began = time.time()
    # One batch writes a folder at a time; a killed one's temporaries are removed by the next.
    with locked(settings.out_dir / BATCH_LOCK, wait=False, tidy=True):
        remove_leftovers(settings.out_dir, began)
        if book_path is None:
            return _run(patients, settings, total, expected, progress, levelled, None)
        with open_book(book_path, "batch", settings.stamp) as book:
            settings = dataclasses.replace(
                settings, book=True, seats=book.all_seats(), list_name=str(patients.absolute())
            )
            return _run(patients, settings, total, expected, progress, levelled, book)


def _run(
    patients: Path,
    settings: Settings,
    total: int,
    expected: dict[str, set[int]],
    progress: Callable[[int], None],
    levelled: bool,
    book: Book | None,
) -> BatchResult:
    workers = _worker_count(total)
    profile = _clinic_profile(settings)
    result = BatchResult()
    if levelled:
        assert profile is not None and profile.chairs is not None
        names: dict[int, str] = {}
        found: list[Sitting] = []
        for chunk in _in_workers(sitting_chunk, patients, settings, total, workers, lambda n: None):
            for name, row_sittings in chunk:
                names.update((sitting.row, name) for sitting in row_sittings)
                found += row_sittings
        found += _booked_elsewhere_sittings(settings, set(names.values()))
        solver = None
        if settings.exact_seconds is not None:
            from scheduler.app.exact import exact_solver

            solver = exact_solver(settings.exact_seconds)
        result.levelling = level(found, profile.chairs, _opening(profile), profile.nurse_starts, solver)
        seats: dict[str, tuple[str | None, dict[date, Seat]]] = {}
        for (number, planned), (day, chair, start) in result.levelling.seats.items():
            if number < 0:
                continue  # a booked visit of a patient this batch does not plan
            seats.setdefault(names[number], (None, {}))[1][planned] = Seat(planned, 0, day, start, chair + 1)
        settings = dataclasses.replace(settings, seats=seats)
    used: dict[str, set[int]] = {}
    seen: set[str] = set()
    if not settings.force:
        _check_own_files(settings.out_dir)
    clinic = exclusive_temporary(settings.out_dir, CLINIC_FILE)
    manifest = exclusive_temporary(settings.out_dir, MANIFEST_FILE)
    # Each row's outcome waits in a file of its own until the days over the chairs are known: the
    # main process keeps nothing per row, however long the list.
    finished = exclusive_temporary(settings.out_dir, MANIFEST_FILE + ".rows")
    load = Load(chairs=profile.chairs, open_minutes=profile.longest_day) if profile else None
    try:
        with clinic.open("w", encoding="utf-8", newline="") as out, finished.open("wb") as rows_done:
            out.write(calendar_head("txcal clinic calendar", CLINIC_PLAN))
            out.write(timezones_text(expected))
            for row in _collect(_in_workers(plan_chunk, patients, settings, total, workers, progress), result, used):
                seen.add(row.name)
                if book is not None:
                    _book_row(book, row, used)
                out.write(row.clinic_text)
                if load is not None:
                    for day, minutes, at in row.chair:
                        load.add(day, "dose", minutes, str(row.outcome.row), at)
                pickle.dump((row.outcome, sorted({day for day, _, _ in row.chair})), rows_done)
            if book is not None:
                result.kept_out = _booked_elsewhere(book, seen, out, used)
            out.write("END:VCALENDAR\r\n")
        if any(not years <= expected.get(zone, set()) for zone, years in used.items()):
            _rewrite_zones(clinic, expected, used)
        if load is not None and load.chairs is not None:
            result.over = sorted(day for day in load.days if load.over(day))
        with finished.open("rb") as rows_done, manifest.open("w", encoding="utf-8", newline="") as table:
            rows = safe_writer(table)
            rows.writerow(MANIFEST_COLUMNS)
            for outcome in _with_clinic_conflicts(_stored(rows_done), result):
                rows.writerow(outcome.cells())
        os.replace(clinic, settings.out_dir / CLINIC_FILE)
        os.replace(manifest, settings.out_dir / MANIFEST_FILE)
    except OSError as exc:
        raise TxcalError(f"cannot write in {settings.out_dir}: {exc.strerror}; nothing of this run was kept") from None
    finally:
        clinic.unlink(missing_ok=True)
        manifest.unlink(missing_ok=True)
        finished.unlink(missing_ok=True)
    return result


def _book_row(book: Book, row: RowResult, used: dict[str, set[int]]) -> None:
    """Book a written row; for a row that failed, keep its patient's booked visits (and say so)."""
    if row.booking is not None:
        booked, seats, visits = row.booking
        book.keep_plan(booked, row.clinic_text, row.years, seats, visits)
        return
    kept = book.plan_by_calendar(row.name) if row.name else None
    if kept is None or not row.outcome.error:
        return
    text, zones = book.clinic_text(kept.plan_id)
    row.clinic_text = text
    for zone, years in zones.items():
        used.setdefault(zone, set()).update(years)
    count = book.visit_count(kept.plan_id)
    row.outcome.error += (
        f"; its {count} booked visits are kept as they were (the book and {CLINIC_FILE} still show them)"
    )
    book.note(kept.plan_id, "kept", reason=f"row {row.outcome.row} failed: {row.outcome.error}")


def _booked_elsewhere(book: Book, seen: set[str], out: Any, used: dict[str, set[int]]) -> int:
    """Write the booked plans of patients not in this list into the clinic calendar; return how many."""
    count = 0
    for _, text, zones in book.clinic_texts(frozenset(seen)):
        out.write(text)
        for zone, years in zones.items():
            used.setdefault(zone, set()).update(years)
        count += 1
    return count


def _stored(handle: BinaryIO) -> Iterator[tuple[Outcome, list[date]]]:
    """Yield what run_batch stored of each row, in row order: its outcome and the days it takes a chair."""
    while True:
        try:
            yield pickle.load(handle)
        except EOFError:
            return


def _with_clinic_conflicts(rows: Iterable[tuple[Outcome, list[date]]], result: BatchResult) -> Iterator[Outcome]:
    """Yield each row's outcome with the days it is over the chairs and what levelling could not fit; collect the
    rows in conflict."""
    over = set(result.over)
    unfit: dict[int, list[date]] = {}
    for sitting in result.levelling.unfit if result.levelling else ():
        unfit.setdefault(sitting.row, []).append(sitting.day)
    for outcome, chair_days in rows:
        outcome.conflicts += [f"{day}: no chair free in opening hours" for day in sorted(unfit.get(outcome.row, ()))]
        outcome.conflicts += [f"{day}: the clinic is over its chairs" for day in chair_days if day in over]
        if outcome.conflicts and not outcome.error:
            result.conflicts.append(outcome)
        yield outcome


def _in_workers(
    work: Callable[[Settings, list[Any]], list[Any]],
    patients: Path,
    settings: Settings,
    total: int,
    workers: int,
    progress: Callable[[int], None],
) -> Iterator[list[Any]]:
    """Yield `work` done on every chunk of rows, in row order: in this process, or in worker processes."""
    chunks = _chunks(assign_files(iter_rows(patients)), _chunk_size(total, workers))
    if workers == 1:
        for chunk in chunks:
            yield work(settings, chunk)
            progress(len(chunk))
        return
    import multiprocessing

    with multiprocessing.get_context("fork").Pool(workers) as pool:
        for done, size in _bounded(pool, work, settings, chunks, workers * 2):
            yield done
            progress(size)


def patient_calendars(folder: Path) -> list[tuple[Path, bytes, str]]:
    """Return a batch folder's patient calendars to publish: (path, bytes, plan id), every one checked first.

    Only regular files (read with the input bounds), named as a batch names them (so a name can
    become part of a URL), that txcal wrote and that parse; the clinic calendar, which repeats
    every patient's events, is left out.

    Raises:
        TxcalError: a file breaks any of these (named), or the folder holds none; nothing is published then.
    """
    from scheduler.writers.ical.read import parse

    found = []
    for path in sorted(folder.glob("*.ics")):
        if path.name == CLINIC_FILE:
            continue
        if file_stem(path.stem, 0) != path.stem or path.stem in (".", ".."):
            raise TxcalError(
                f"{path}: not a name txcal batch gives a patient calendar (letters, digits, '.', '-', '_'); "
                "move it out of the folder; nothing was published"
            )
        data = read_input(path)
        plan_id = txcal_plan_id(data)
        try:
            if plan_id is None:
                raise ValueError("not a calendar txcal wrote")
            parse(data.decode("utf-8"))
        except (ValueError, IndexError, UnicodeDecodeError) as exc:
            raise TxcalError(
                f"{path}: cannot be published ({exc}); move it out of the folder; nothing was published"
            ) from None
        found.append((path, data, plan_id))
    if not found:
        raise TxcalError(f"{folder} holds no patient calendars: run txcal batch into it first")
    return found


def _check_own_files(folder: Path) -> None:
    """Refuse to replace a clinic calendar or manifest that txcal did not write.

    Raises:
        TxcalError: one of them exists and is not txcal's (or is not a regular file).
    """
    clinic = read_existing(folder / CLINIC_FILE)
    if clinic is not None and txcal_plan_id(clinic) != CLINIC_PLAN:
        raise TxcalError(
            f"{folder / CLINIC_FILE} exists and is not a txcal clinic calendar: move it away, or add --force to replace it"
        )
    manifest = read_existing(folder / MANIFEST_FILE)
    known = {",".join(columns).encode() for columns in (MANIFEST_COLUMNS, *OLDER_MANIFESTS)}
    if manifest is not None and manifest.split(b"\r\n", 1)[0] not in known:
        raise TxcalError(
            f"{folder / MANIFEST_FILE} exists and is not a txcal manifest: move it away, or add --force to replace it"
        )


def _chunks(rows: Iterator[Any], size: int) -> Iterator[list[Any]]:
    while chunk := list(itertools.islice(rows, size)):
        yield chunk


def _bounded(
    pool: Any, work: Callable[[Settings, list[Any]], list[Any]], settings: Settings, chunks: Iterable[Any], window: int
) -> Iterator[tuple[list[Any], int]]:
    """Yield the workers' results in row order (with each chunk's size), at most `window` chunks in flight.

    Pool.imap would queue every finished chunk while the clinic file is written; this keeps the
    memory flat however long the list.
    """
    pending: collections.deque[Any] = collections.deque()
    for chunk in chunks:
        pending.append((pool.apply_async(work, (_for_chunk(settings, chunk), chunk)), len(chunk)))
        if len(pending) >= window:
            job, size = pending.popleft()
            yield job.get(), size
    while pending:
        job, size = pending.popleft()
        yield job.get(), size


def _for_chunk(settings: Settings, chunk: list[Any]) -> Settings:
    """Return the settings a worker needs for a chunk: only its rows' seats travel with it."""
    if not settings.seats:
        return settings
    names = {settings.calendar(name) for _, _, name in chunk}
    return dataclasses.replace(settings, seats={n: s for n, s in settings.seats.items() if n in names})


def _collect(
    results: Iterator[list[RowResult]], summary: BatchResult, years: dict[str, set[int]]
) -> Iterator[RowResult]:
    """Yield each row in order, a second row of the same plan turned into an error; count rows, events, failures."""
    seen: dict[str, int] = {}
    for chunk in results:
        for row in chunk:
            first = seen.setdefault(row.plan_id, row.outcome.row) if row.plan_id else row.outcome.row
            if first != row.outcome.row:
                # Two rows of one plan would put the same event identities in the clinic calendar twice.
                row = RowResult(
                    dataclasses.replace(
                        row.outcome,
                        error=f"the same plan as row {first} (same drug, start and patient): remove one row, "
                        "or give each its own plan_id; its calendar is left out of the clinic calendar",
                    )
                )
            summary.rows += 1
            summary.events += row.outcome.events
            if row.outcome.error:
                summary.failed.append(row.outcome)
            for zone, found in row.years.items():
                years.setdefault(zone, set()).update(found)
            yield row


def _expect_zone(cells: dict[str, str], found: dict[str, set[int]]) -> None:
    """Note the zone a row names, over its start year and the two after (most plans' reach)."""
    zone, start = cells.get("tz", ""), cells.get("start", "")
    if cells.get("time") and start[:4].isdigit() and _known_zone(zone):
        year = int(start[:4])
        found.setdefault(zone, set()).update(range(year, year + 3))


@functools.lru_cache(maxsize=64)
def _known_zone(name: str) -> bool:
    try:
        check_zone(name)
    except ValueError:
        return False  # the row fails on its own, with the reason
    return True


def _rewrite_zones(path: Path, written: dict[str, set[int]], used: dict[str, set[int]]) -> None:
    """Write the clinic calendar again with time zones for every zone and year its events use."""
    needed = {zone: written.get(zone, set()) | years for zone, years in {**written, **used}.items()}
    head = calendar_head("txcal clinic calendar", CLINIC_PLAN)
    old = timezones_text(written)
    fixed = exclusive_temporary(path.parent, path.name + ".zones")
    try:
        with path.open(encoding="utf-8", newline="") as source, fixed.open("w", encoding="utf-8", newline="") as out:
            source.read(len(head) + len(old))  # the old head and zones, replaced:
            out.write(head + timezones_text(needed))
            while chunk := source.read(1 << 20):
                out.write(chunk)
        os.replace(fixed, path)
    finally:
        fixed.unlink(missing_ok=True)
