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
import re
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from scheduler.app.output import previous_output
from scheduler.app.plans import plan_from_spec
from scheduler.catalog.loader import Catalog
from scheduler.errors import TxcalError
from scheduler.files import exclusive_temporary, read_existing, write_atomic
from scheduler.inputs.patient_list import iter_rows, spec_from_row
from scheduler.model import PlannedEvent
from scheduler.options import PATIENT_LIST
from scheduler.units import check_zone
from scheduler.wording import clinic_description, event_summary
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
from scheduler.writers.ical.read import txcal_plan_id
from scheduler.writers.registry import FORMATS

CLINIC_FILE = "clinic.ics"
MANIFEST_FILE = "manifest.csv"
RESERVED = frozenset({"clinic", "manifest"})  # the stems of the batch's own files
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
    "status",
    "error",
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
    error: str = ""

    def cells(self) -> list[object]:
        status = "error" if self.error else "ok"
        return [self.row, self.patient, self.file, self.regimen, self.events, self.first, self.last,
                self.changed, self.cancelled, status, self.error]  # fmt: skip


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


@dataclass
class RowResult:
    """One planned row: its manifest line, its events for the clinic calendar, the zones they use."""

    outcome: Outcome
    clinic_text: str = ""
    years: dict[str, set[int]] = field(default_factory=dict)
    plan_id: str = ""


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
    from scheduler.catalog.loader import load_regimens

    if settings.template_dirs not in _CATALOGS:
        _CATALOGS[settings.template_dirs] = load_regimens(settings.template_dirs)
    catalog = _CATALOGS[settings.template_dirs]
    return [_plan_row(settings, catalog, number, cells, name) for number, cells, name in chunk]


def clinic_event(block: EventBlock, event: PlannedEvent, calendar_file: str) -> EventBlock:
    """Return a patient's event as the clinic calendar shows it: the patient's notes left out.

    Coordinators need who, what, when and what changed; the side effects and sources are in the
    patient's own calendar, which the description names. A quarter of the bytes, for a whole clinic.
    """
    line = _clinic_description(
        event.dose, event.route, event.kind, event.reason, event.conflict, event.clinic_notes, calendar_file
    )
    props = {**block.props, "DESCRIPTION": line}
    if event.conflict:
        props["SUMMARY"] = fold("SUMMARY:" + escape(event_summary(event, clinic=True)))
    # The clinic's calendar carries no reminders: the patient's own does.
    return EventBlock(block.uid, props, (), block.zones)


@functools.lru_cache(maxsize=256)
def _clinic_description(
    dose: str, route: str, kind: str, reason: str, conflict: str, clinic_notes: tuple[str, ...], calendar_file: str
) -> str:
    text = clinic_description(dose, route, kind, reason, conflict, clinic_notes, calendar_file)
    return fold("DESCRIPTION:" + escape(text))


def _plan_row(settings: Settings, catalog: Catalog, number: int, cells: dict[str, str], name: str) -> RowResult:
    outcome = Outcome(number, cells.get("patient", ""))
    path = settings.out_dir / name
    try:
        spec = dataclasses.replace(spec_from_row(cells, settings.base), default_profile=settings.profile)
        plan = plan_from_spec(spec, catalog)
        previous = previous_output(path, FORMATS["ics"], plan, settings.force)
        export = to_ics(plan, settings.stamp, plan.request.reminders or settings.reminders, previous)
        write_atomic(path, export.data)
    except TxcalError as exc:
        outcome.error = str(exc.in_terms_of(PATIENT_LIST.word)).replace("\n", "; ")
        return RowResult(outcome)
    outcome.file, outcome.regimen, outcome.events = name, plan.regimen.id, len(plan.events)
    if plan.events:
        outcome.first, outcome.last = str(plan.events[0].first_day), str(max(e.last_day for e in plan.events))
    outcome.changed, outcome.cancelled = export.changed, export.cancelled
    # The plan's events come first in the export, then any it cancels (kept as they were).
    # Every event of the plan, clinic tasks included; those not in the patient's file are made here.
    patient = {block.uid: block for block in export.blocks[: export.shown]}
    # A clinic task is in no patient file to keep its stamp: it takes the patient file's latest
    # stamp, so a rerun with nothing new writes the same bytes.
    hidden = any(e.audience != "patient" for e in plan.events)
    stamp = max((block.stamp for block in patient.values()), default=settings.stamp) if hidden else settings.stamp
    current = [clinic_event(patient.get(e.uid) or event_block(e, (), stamp), e, name) for e in plan.events]
    blocks = [*current, *export.blocks[export.shown :]]
    return RowResult(outcome, "".join(block.text for block in blocks), zone_years(blocks), plan.plan_id)


def _worker_count(rows: int) -> int:
    """Use every core for a large list; a small one is quicker in one process than starting workers."""
    return 1 if rows < 200 else min(os.cpu_count() or 1, 4)


def _chunk_size(rows: int, workers: int) -> int:
    """Rows per chunk: large enough to keep the workers' hand-offs few, small enough to share the work out."""
    return max(10, min(100, rows // (workers * 4)))


@dataclass
class BatchResult:
    """What a batch did: rows planned, events written, and the rows that failed."""

    rows: int = 0
    events: int = 0
    failed: list[Outcome] = field(default_factory=list)


def run_batch(patients: Path, settings: Settings, progress: Callable[[int], None] = lambda n: None) -> BatchResult:
    """Plan every row of a patient list into settings.out_dir: a calendar each, the clinic calendar, the manifest.

    Rows are read, planned (by worker processes when the list is large) and written a chunk at a
    time, and the clinic calendar and manifest are written as rows finish, in row order, so memory
    stays flat however long the list. The clinic calendar's time zones are written first, for the
    zones and years the list names; should its events use others, it is written again with them.
    """
    total, expected = survey(patients)
    workers = _worker_count(total)
    chunks = _chunks(assign_files(iter_rows(patients)), _chunk_size(total, workers))
    result = BatchResult()
    used: dict[str, set[int]] = {}
    if not settings.force:
        _check_own_files(settings.out_dir)
    clinic = exclusive_temporary(settings.out_dir, CLINIC_FILE)
    manifest = exclusive_temporary(settings.out_dir, MANIFEST_FILE)
    try:
        with (
            clinic.open("w", encoding="utf-8", newline="") as out,
            manifest.open("w", encoding="utf-8", newline="") as table,
        ):
            rows = safe_writer(table)
            rows.writerow(MANIFEST_COLUMNS)
            out.write(calendar_head("txcal clinic calendar", CLINIC_PLAN))
            out.write(timezones_text(expected))
            if workers == 1:
                results: Iterator[list[RowResult]] = (plan_chunk(settings, chunk) for chunk in chunks)
                _collect(results, out, rows, result, used, progress)
            else:
                import multiprocessing

                with multiprocessing.get_context("fork").Pool(workers) as pool:
                    _collect(_bounded(pool, settings, chunks, workers * 2), out, rows, result, used, progress)
            out.write("END:VCALENDAR\r\n")
        if any(not years <= expected.get(zone, set()) for zone, years in used.items()):
            _rewrite_zones(clinic, expected, used)
        os.replace(clinic, settings.out_dir / CLINIC_FILE)
        os.replace(manifest, settings.out_dir / MANIFEST_FILE)
    except OSError as exc:
        raise TxcalError(f"cannot write in {settings.out_dir}: {exc.strerror}; nothing of this run was kept") from None
    finally:
        clinic.unlink(missing_ok=True)
        manifest.unlink(missing_ok=True)
    return result


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
    if manifest is not None and manifest.split(b"\r\n", 1)[0] != ",".join(MANIFEST_COLUMNS).encode():
        raise TxcalError(
            f"{folder / MANIFEST_FILE} exists and is not a txcal manifest: move it away, or add --force to replace it"
        )


def _chunks(rows: Iterator[Any], size: int) -> Iterator[list[Any]]:
    while chunk := list(itertools.islice(rows, size)):
        yield chunk


def _bounded(pool: Any, settings: Settings, chunks: Iterable[Any], window: int) -> Iterator[list[RowResult]]:
    """Yield the workers' results in row order, with at most `window` chunks in flight.

    Pool.imap would queue every finished chunk while the clinic file is written; this keeps the
    memory flat however long the list.
    """
    pending: collections.deque[Any] = collections.deque()
    for chunk in chunks:
        pending.append(pool.apply_async(plan_chunk, (settings, chunk)))
        if len(pending) >= window:
            yield pending.popleft().get()
    while pending:
        yield pending.popleft().get()


def _collect(
    results: Iterator[list[RowResult]],
    out: Any,
    manifest: Any,
    summary: BatchResult,
    years: dict[str, set[int]],
    progress: Callable[[int], None],
) -> None:
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
            out.write(row.clinic_text)
            manifest.writerow(row.outcome.cells())
            summary.rows += 1
            summary.events += row.outcome.events
            if row.outcome.error:
                summary.failed.append(row.outcome)
            for zone, found in row.years.items():
                years.setdefault(zone, set()).update(found)
        progress(len(chunk))


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
