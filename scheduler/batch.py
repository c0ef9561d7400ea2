"""Whole-clinic planning: a patient list in, one calendar per patient, a clinic calendar and a manifest out.

Rows are planned one at a time and written as they go, so memory stays flat however long the list:
the clinic calendar's events stream to a temporary file and are wrapped with their time zones at
the end. A bad row is reported with its line number and skipped; the others are still written.
"""

from __future__ import annotations

import collections
import csv
import functools
import io
import os
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from pathlib import Path
from typing import Any

from scheduler.calendar_rules import SHIFTS
from scheduler.durations import checked, parse_interval, parse_period, parse_window
from scheduler.engine import expand
from scheduler.errors import TxcalError
from scheduler.ics import EventBlock, calendar_head, escape, timezones_text, to_ics, zone_years
from scheduler.ics_text import txcal_plan_id
from scheduler.loader import Catalog
from scheduler.model import DISCLAIMER, PlannedEvent
from scheduler.outfile import read_existing, write_atomic
from scheduler.planspec import PlanSpec, build_request
from scheduler.zones import check_zone

CLINIC_FILE = "clinic.ics"
MANIFEST_FILE = "manifest.csv"
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


def _flag(text: str) -> bool:
    if text.lower() in ("yes", "true", "1", "y"):
        return True
    if text.lower() in ("no", "false", "0", "n"):
        return False
    raise ValueError("expected yes or no")


def _clock(text: str) -> time:
    return time.fromisoformat(text)


# The patient-list columns: name -> (PlanSpec field, parser). Documented in the README.
COLUMNS: dict[str, tuple[str, Callable[[str], Any]]] = {
    "patient": ("patient", str),
    "drug": ("drug", str),
    "every": ("every", checked(parse_interval)),
    "route": ("route", lambda t: {"iv": "iv", "sc": "sc"}[t.lower()]),
    "pediatric": ("pediatric", _flag),
    "weight_kg": ("weight_kg", float),
    "start": ("start", date.fromisoformat),
    "time": ("time", _clock),
    "tz": ("tz", check_zone),
    "doses": ("doses", int),
    "until": ("until", date.fromisoformat),
    "for": ("period", checked(parse_period)),
    "infusion": ("infusion", date.fromisoformat),
    "monitor_days": ("monitor_days", int),
    "avoid": ("avoid_weekends", lambda t: {"weekends": True}[t.lower()]),
    "holidays": ("holidays", str.upper),
    "closed": ("closed", str),
    "window": ("window", checked(parse_window)),
    "shift": ("shift", lambda t: next(s for s in SHIFTS if s == t.lower())),
    "keep_grid": ("keep_grid", _flag),
    "plan_file": ("plan_file", str),
}


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


def read_rows(path: Path) -> list[tuple[int, dict[str, str]]]:
    """Return the patient list's rows with their line numbers.

    Raises:
        TxcalError: the file cannot be read, or its header has unknown or missing columns.
    """
    try:
        with path.open(encoding="utf-8-sig", newline="") as handle:
            reader = csv.DictReader(handle)
            header = reader.fieldnames or []
            unknown = [c for c in header if c not in COLUMNS]
            if unknown or "patient" not in header:
                raise TxcalError(
                    f"{path}: the header must name known columns and include patient; "
                    f"unknown: {', '.join(unknown) or 'none'}; known: {', '.join(COLUMNS)}"
                )
            return [(reader.line_num, {k: (v or "").strip() for k, v in row.items() if k}) for row in reader]
    except OSError as exc:
        raise TxcalError(f"cannot read {path}: {exc.strerror}") from None
    except UnicodeDecodeError:
        raise TxcalError(f"{path} is not UTF-8 text: save the patient list as CSV UTF-8") from None


def spec_from_row(cells: dict[str, str], base: Path) -> PlanSpec:
    """Return the plan a row describes: its own columns, or the plan file it names.

    Raises:
        TxcalError: a cell is not what its column expects (named in the message).
    """
    if cells.get("plan_file"):
        from scheduler.planfile import load_plan

        return load_plan(base / cells["plan_file"])  # the file holds the whole plan; the row names it
    fields: dict[str, Any] = {}
    for column, text in cells.items():
        if not text or column == "plan_file":
            continue
        name, parse = COLUMNS[column]
        try:
            fields[name] = parse(text)
        except (ValueError, KeyError, StopIteration):
            raise TxcalError(f"column {column}: {text!r} is not valid here") from None
    if "drug" not in fields or "start" not in fields:
        raise TxcalError("a row needs drug and start, or a plan_file")
    return PlanSpec(base=base, **fields)


@dataclass(frozen=True)
class Settings:
    """What every row of a batch shares: where to write, the time stamp, reminders, templates."""

    out_dir: Path
    stamp: datetime
    base: Path  # the folder relative paths in rows (closures, plan files) start from
    reminders: tuple[timedelta, ...] = ()
    force: bool = False
    template_dirs: tuple[str, ...] = ()


@dataclass
class RowResult:
    """One planned row: its manifest line, its events for the clinic calendar, the zones they use."""

    outcome: Outcome
    clinic_text: str = ""
    years: dict[str, set[int]] = field(default_factory=dict)


def assign_files(rows: list[tuple[int, dict[str, str]]]) -> list[tuple[int, dict[str, str], str]]:
    """Return each row with its calendar's file name: safe, and unique even in a case-blind folder."""
    taken: set[str] = set()
    named = []
    for number, cells in rows:
        stem = file_stem(cells.get("patient", ""), number)
        candidate, count = stem, 1
        while candidate.casefold() in taken:  # macOS and Windows folders ignore case
            count += 1
            candidate = f"{stem}-{count}"
        taken.add(candidate.casefold())
        named.append((number, cells, f"{candidate}.ics"))
    return named


_CATALOGS: dict[tuple[str, ...], Catalog] = {}


def plan_chunk(settings: Settings, chunk: list[tuple[int, dict[str, str], str]]) -> list[RowResult]:
    """Plan and write the calendars of some rows; runs in the main process or in a worker."""
    from scheduler.loader import load_regimens

    if settings.template_dirs not in _CATALOGS:
        _CATALOGS[settings.template_dirs] = load_regimens(settings.template_dirs)
    catalog = _CATALOGS[settings.template_dirs]
    return [_plan_row(settings, catalog, number, cells, name) for number, cells, name in chunk]


def clinic_event(block: EventBlock, event: PlannedEvent, calendar_file: str) -> EventBlock:
    """Return a patient's event as the clinic calendar shows it: the patient's notes left out.

    Coordinators need who, what, when and what changed; the side effects and sources are in the
    patient's own calendar, which the description names. A quarter of the bytes, for a whole clinic.
    """
    lines = [f"Dose: {event.dose} {event.route}".rstrip() if event.dose else event.kind.capitalize()]
    lines += [line for line in (event.reason, f"Conflict: {event.conflict}" if event.conflict else "") if line]
    lines += [f"Patient calendar: {calendar_file}", DISCLAIMER]
    props = {**block.props, "DESCRIPTION": f"DESCRIPTION:{escape(chr(10).join(lines))}"}
    return EventBlock(block.uid, props, block.alarms, block.zones)


def _plan_row(settings: Settings, catalog: Catalog, number: int, cells: dict[str, str], name: str) -> RowResult:
    outcome = Outcome(number, cells.get("patient", ""))
    path = settings.out_dir / name
    try:
        plan = expand(build_request(spec_from_row(cells, settings.base), catalog, f"{{name}} (row {number})"))
        previous = read_existing(path)
        if previous is not None and txcal_plan_id(previous) != plan.plan_id and not settings.force:
            raise TxcalError(f"{name} holds another plan: remove it, or run with --force")
        export = to_ics(plan, settings.stamp, settings.reminders, None if settings.force else previous)
        write_atomic(path, export.data)
    except TxcalError as exc:
        outcome.error = str(exc).replace("\n", "; ")
        return RowResult(outcome)
    outcome.file, outcome.regimen, outcome.events = name, plan.regimen.id, len(plan.events)
    if plan.events:
        outcome.first, outcome.last = str(plan.events[0].first_day), str(max(e.last_day for e in plan.events))
    outcome.changed, outcome.cancelled = export.changed, export.cancelled
    # The plan's events come first in the export, then any it cancels (kept as they were).
    current = [clinic_event(b, e, name) for b, e in zip(export.blocks, plan.events, strict=False)]
    blocks = [*current, *export.blocks[len(plan.events) :]]
    return RowResult(outcome, "".join(block.text for block in blocks), zone_years(blocks))


def _worker_count(rows: int) -> int:
    """Use every core for a large list; a small one is quicker in one process than starting workers."""
    return 1 if rows < 200 else min(os.cpu_count() or 1, 4)


_CHUNK = 50


def run_batch(
    rows: list[tuple[int, dict[str, str]]], settings: Settings, progress: Callable[[int], None] = lambda n: None
) -> list[Outcome]:
    """Plan every row into settings.out_dir: a calendar per patient, the clinic calendar, the manifest.

    Rows are planned in chunks, by worker processes when the list is large, and the clinic
    calendar's events are written as they come, in row order, so memory stays flat. Its time zones
    are written first, for the zones and years the list names; should the events use others, the
    file is written again with the right ones.

    Returns:
        One outcome per row, in order (failed rows carry their error).
    """
    named = assign_files(rows)
    chunks = [named[i : i + _CHUNK] for i in range(0, len(named), _CHUNK)]
    outcomes: list[Outcome] = []
    used: dict[str, set[int]] = {}
    expected = _expected_zones(rows)
    temporary = settings.out_dir / f".{CLINIC_FILE}.{os.getpid()}.tmp"
    workers = _worker_count(len(rows))
    try:
        with temporary.open("w", encoding="utf-8", newline="") as out:
            out.write(calendar_head("txcal clinic calendar", "clinic"))
            out.write(timezones_text(expected))
            if workers == 1:
                _collect((plan_chunk(settings, chunk) for chunk in chunks), out, outcomes, used, progress)
            else:
                import multiprocessing

                with multiprocessing.get_context("fork").Pool(workers) as pool:
                    _collect(_bounded(pool, settings, chunks, workers * 4), out, outcomes, used, progress)
            out.write("END:VCALENDAR\r\n")
        if any(not years <= expected.get(zone, set()) for zone, years in used.items()):
            _rewrite_zones(temporary, expected, used)
        os.replace(temporary, settings.out_dir / CLINIC_FILE)
    finally:
        temporary.unlink(missing_ok=True)
    table = io.StringIO()
    csv.writer(table).writerows([MANIFEST_COLUMNS, *(o.cells() for o in outcomes)])
    write_atomic(settings.out_dir / MANIFEST_FILE, table.getvalue().encode("utf-8"))
    return outcomes


def _bounded(pool: Any, settings: Settings, chunks: list[Any], window: int) -> Iterator[list[RowResult]]:
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
    outcomes: list[Outcome],
    years: dict[str, set[int]],
    progress: Callable[[int], None],
) -> None:
    for chunk in results:
        for result in chunk:
            outcomes.append(result.outcome)
            out.write(result.clinic_text)
            for zone, found in result.years.items():
                years.setdefault(zone, set()).update(found)
        progress(len(chunk))


def _expected_zones(rows: list[tuple[int, dict[str, str]]]) -> dict[str, set[int]]:
    """Return the zones the list names, each over its start years and the two after (most plans' reach)."""
    found: dict[str, set[int]] = {}
    for _, cells in rows:
        zone, start = cells.get("tz", ""), cells.get("start", "")
        if cells.get("time") and start[:4].isdigit() and _known_zone(zone):
            year = int(start[:4])
            found.setdefault(zone, set()).update(range(year, year + 3))
    return found


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
    head = calendar_head("txcal clinic calendar", "clinic")
    old = timezones_text(written)
    fixed = path.with_name(path.name + ".zones")
    try:
        with path.open(encoding="utf-8", newline="") as source, fixed.open("w", encoding="utf-8", newline="") as out:
            source.read(len(head) + len(old))  # the old head and zones, replaced:
            out.write(head + timezones_text(needed))
            while chunk := source.read(1 << 20):
                out.write(chunk)
        os.replace(fixed, path)
    finally:
        fixed.unlink(missing_ok=True)
