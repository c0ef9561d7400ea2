"""Whole-clinic planning: a patient list in, one calendar per patient, a clinic calendar and a manifest out.

Rows are planned one at a time and written as they go, so memory stays flat however long the list:
the clinic calendar's events stream to a temporary file and are wrapped with their time zones at
the end. A bad row is reported with its line number and skipped; the others are still written.
"""

from __future__ import annotations

import contextlib
import dataclasses
import os
import pickle
import shutil
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any, BinaryIO

from scheduler.app.batching.folder import (
    CLINIC_CALENDAR_NAME,
    CLINIC_FILE,
    CLINIC_PLAN,
    MANIFEST_COLUMNS,
    MANIFEST_FILE,
    Outcome,
    check_own_files,
    rewrite_zones,
    stored_outcomes,
    survey,
)
from scheduler.app.batching.pool import in_workers, worker_count
from scheduler.app.batching.rerun import KEPT_FILE, batch_digest, kept_head, kept_line, read_kept
from scheduler.app.batching.rewrite import FilesFollow
from scheduler.app.batching.rows import (
    CLINIC_SHARE,
    RowResult,
    plan_chunk_shared,
    row_catalog,
)
from scheduler.app.batching.settings import Settings
from scheduler.app.batching.sittings import booked_elsewhere_sittings, sitting_chunk
from scheduler.app.feeds import check_feeds, write_feeds
from scheduler.clinic.board import Sitting
from scheduler.clinic.book import Book, BookNotSaved, open_book
from scheduler.clinic.book_file import name_in_book
from scheduler.clinic.booking import BookedSeats, Seat
from scheduler.clinic.feed_tokens import feed_links
from scheduler.clinic.levelled import Levelling
from scheduler.clinic.levelling import level
from scheduler.clinic_model import ChairTally
from scheduler.errors import TxcalError
from scheduler.files import (
    exclusive_temporary,
    locked,
    remove_leftovers,
)
from scheduler.ical import CALENDAR_END, calendar_head, timezones_text
from scheduler.inputs.patient_list import iter_rows
from scheduler.inputs.plan_spec import cached_profile, profile_calendar
from scheduler.model import ClinicProfile
from scheduler.writers.csv import safe_writer

BATCH_LOCK = "batch"  # the folder's lock file, .batch.lock: one batch writes a folder at a time


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
    filled: int = 0  # rows filled in from a plan template (the others: the general engine, or kept)


def _clinic_profile(settings: Settings) -> ClinicProfile | None:
    return cached_profile(settings.options.profile.resolve()) if settings.options.profile is not None else None


def _opening(profile: ClinicProfile) -> Callable[[date], tuple[int, int] | None]:
    """Return a day's opening and closing minute at the clinic, or None on a day it is closed."""
    calendar = profile_calendar(profile)

    def hours(day: date) -> tuple[int, int] | None:
        return None if calendar is not None and calendar.closed(day) else profile.opening(day)

    return hours


def run_batch(
    patients: Path, settings: Settings, progress: Callable[[int], None] = lambda n: None, levelled: bool = False
) -> BatchResult:
    """Plan every row of a patient list into settings.options.out_dir: a calendar each, the clinic calendar, the manifest.

    Rows are read, planned (by worker processes when the list is large) and written a chunk at a
    time, and the clinic calendar is written as rows finish, in row order, so its memory stays flat
    however long the list. The clinic calendar's time zones are written first, for the zones and
    years the list names; should its events use others, it is written again with them. The
    manifest is written last, when the days over the chairs are known.

    With `levelled`, every row is planned once first to collect its chair visits, which are given
    times (scheduler.clinic.levelling) before the calendars are written.

    With a clinic book (the profile's `book`), the whole batch is one transaction of the book: its
    booked visits keep their seats (scheduler.clinic.book), what the batch writes is booked, and a row
    that fails keeps its patient's booked visits in the book and the clinic calendar.
    """
    profile = _clinic_profile(settings)
    if levelled and (profile is None or profile.chairs is None):
        raise TxcalError("levelling needs the clinic's chairs: give --clinic FILE with chairs and hours")
    book_path = profile.book_path if profile is not None else None
    total, expected = survey(patients)
    with os.scandir(settings.options.out_dir) as entries:
        settings = dataclasses.replace(settings, empty_folder=next(entries, None) is None)
    began = time.time()
    # One batch writes a folder at a time; a killed one's temporaries are removed by the next.
    with locked(settings.options.out_dir / BATCH_LOCK, wait=False, tidy=True):
        remove_leftovers(settings.options.out_dir, began)
        if book_path is None:
            return _run(patients, settings, total, expected, progress, levelled, None)
        list_name = name_in_book(book_path, patients, "the patient list")
        assert profile is not None  # a book is the profile's
        check_feeds(profile)
        name_in_book(book_path, settings.options.out_dir / CLINIC_FILE, "--out-dir")
        try:
            with FilesFollow("nothing was booked") as feeds, open_book(book_path, "batch", settings.stamp) as book:
                settings = dataclasses.replace(
                    settings,
                    book=True,
                    seats=book.all_seats(),
                    book_dir=book.folder,
                    list_name=list_name,
                    released=book.released(),
                )
                if settings.options.handouts:  # each handout carries its patient's feed link, from the first one
                    labels = [cells.get("patient", "") for _, cells in iter_rows(patients)]
                    settings = dataclasses.replace(
                        settings, feed_links=feed_links(profile, book_path, labels, feeds.keep)
                    )
                result = _run(patients, settings, total, expected, progress, levelled, book)
                # The feeds follow the book in its unit of work; unchanged ones are left alone.
                write_feeds(book, profile, settings.today or settings.stamp.date(), feeds)
                return result
        except BookNotSaved as exc:
            raise TxcalError(
                f"{exc}: the calendars, {CLINIC_FILE} and {MANIFEST_FILE} in {settings.options.out_dir} were written, but the "
                "book still holds what it held before; run the same batch again once the book can be saved"
            ) from None


def _run(
    patients: Path,
    settings: Settings,
    total: int,
    expected: dict[str, set[int]],
    progress: Callable[[int], None],
    levelled: bool,
    book: Book | None,
) -> BatchResult:
    workers = worker_count(total)
    profile = _clinic_profile(settings)
    result = BatchResult()
    if levelled:
        assert profile is not None
        result.levelling, seats = _level(patients, settings, total, workers, profile)
        settings = dataclasses.replace(settings, seats=seats)
    reusing = book is None and not levelled and not settings.options.handouts and not settings.options.fhir
    kept, old_body = read_kept(settings.options.out_dir) if reusing and not settings.empty_folder else ({}, 0)
    if reusing:
        shared = batch_digest(row_catalog(settings), settings.options.reminders, settings.options.profile)
        settings = dataclasses.replace(settings, kept=kept, shared=shared)
    used: dict[str, set[int]] = {}
    seen: set[str] = set()
    if not settings.options.force:
        check_own_files(settings.options.out_dir)
    clinic = exclusive_temporary(settings.options.out_dir, CLINIC_FILE, output=True)
    manifest = exclusive_temporary(settings.options.out_dir, MANIFEST_FILE, output=True)
    # Each row's outcome waits in a file of its own until the days over the chairs are known: the
    # main process keeps nothing per row, however long the list.
    finished = exclusive_temporary(settings.options.out_dir, MANIFEST_FILE + ".rows")
    keeping = exclusive_temporary(settings.options.out_dir, KEPT_FILE)
    chairs = ChairTally(profile.chairs, profile.longest_day) if profile else None
    chairless = (
        {(job.row, job.fixed[0] if job.fixed else job.day) for job in result.levelling.unfit}
        if result.levelling
        else set()
    )
    head = calendar_head(CLINIC_CALENDAR_NAME, CLINIC_PLAN)
    try:
        with (
            clinic.open("wb") as out,
            finished.open("wb") as rows_done,
            keeping.open("w", encoding="utf-8") as kept_rows,
            _previous_clinic(settings.options.out_dir, kept) as previous,
            _Shares() as shares,
        ):
            out.write((head + timezones_text(expected)).encode())
            written = 0  # bytes of events so far: where the next row's clinic events begin
            rows_planned = in_workers(plan_chunk_shared, patients, settings, total, workers, progress)
            for row in _collect(rows_planned, result, used):
                seen.add(row.patient)
                if row.reuse is not None:
                    text = _copied(previous, old_body, row.reuse)
                elif row.share is not None:
                    text = shares.read(*row.share)
                else:
                    text = row.clinic_text.encode()
                if book is not None:
                    text = _book_row(book, row, text, used)
                out.write(text)
                if row.kept is not None:
                    span = (written, written + len(text))
                    kept_rows.write(kept_line(Path(row.name).name, dataclasses.replace(row.kept, span=span)))
                written += len(text)
                if chairs is not None:  # a visit levelling found no chair for is its own conflict, not the day's
                    chairs.add_patient(v for v in row.chair if (row.outcome.row, v[0]) not in chairless)
                pickle.dump((row.outcome, sorted({day for day, _, _ in row.chair})), rows_done)
            if book is not None:
                result.kept_out = _booked_elsewhere(book, seen, out, used)
            out.write(CALENDAR_END.encode())
        zones = expected
        if any(not years <= expected.get(zone, set()) for zone, years in used.items()):
            zones = rewrite_zones(clinic, expected, used)
        if chairs is not None:
            result.over = chairs.over()
        with finished.open("rb") as rows_done, manifest.open("w", encoding="utf-8", newline="") as table:
            rows = safe_writer(table)
            rows.writerow(MANIFEST_COLUMNS)
            for outcome in _with_clinic_conflicts(stored_outcomes(rows_done), result):
                rows.writerow(outcome.cells())
        if reusing:
            keeping = _finish_kept(keeping, kept_head(clinic, len(head) + len(timezones_text(zones))))
        os.replace(clinic, settings.options.out_dir / CLINIC_FILE)
        os.replace(manifest, settings.options.out_dir / MANIFEST_FILE)
        if reusing:
            os.replace(keeping, settings.options.out_dir / KEPT_FILE)
        else:  # a kept file would describe a clinic.ics that is no more
            (settings.options.out_dir / KEPT_FILE).unlink(missing_ok=True)
    except OSError as exc:
        raise TxcalError(
            f"cannot write in {settings.options.out_dir}: {exc.strerror}; nothing of this run was kept"
        ) from None
    finally:
        clinic.unlink(missing_ok=True)
        manifest.unlink(missing_ok=True)
        finished.unlink(missing_ok=True)
        keeping.unlink(missing_ok=True)
        for share in settings.options.out_dir.glob(f".{CLINIC_SHARE}*.tmp"):  # the folder is ours (locked): any left
            share.unlink(missing_ok=True)
    return result


def _level(
    patients: Path, settings: Settings, total: int, workers: int, profile: ClinicProfile
) -> tuple[Levelling, dict[str, BookedSeats]]:
    """Level every row's chair visits around the booked ones; return the levelling and the seats by patient."""
    assert profile.chairs is not None
    names: dict[int, str] = {}
    found: list[Sitting] = []
    for chunk in in_workers(sitting_chunk, patients, settings, total, workers, lambda n: None):
        for name, row_sittings in chunk:
            names.update((sitting.row, name) for sitting in row_sittings)
            found += row_sittings
    found += booked_elsewhere_sittings(settings, set(names.values()))
    solver = None
    if settings.options.exact_seconds is not None:
        from scheduler.clinic.exact import exact_solver

        solver = exact_solver(settings.options.exact_seconds)
    levelling = level(found, profile.chairs, _opening(profile), profile.nurse_starts, solver, settings.today)
    seats: dict[str, BookedSeats] = {}
    for (number, planned), (day, chair, start) in levelling.seats.items():
        if number < 0:
            continue  # a booked visit of a patient this batch does not plan
        seat = Seat(planned, 0, day, start, chair + 1 if chair is not None else None)
        seats.setdefault(names[number], BookedSeats(None, {})).seats[planned] = seat
    return levelling, seats


class _Shares:
    """The workers' share files of the clinic calendar, read in row order, each removed once read."""

    def __init__(self) -> None:
        self.path: str = ""
        self.handle: BinaryIO | None = None

    def read(self, path: str, start: int, end: int) -> bytes:
        if path != self.path:
            self.close()
            self.path, self.handle = path, open(path, "rb")  # noqa: SIM115  (kept open across rows)
        assert self.handle is not None
        self.handle.seek(start)
        return self.handle.read(end - start)

    def close(self) -> None:
        if self.handle is not None:
            self.handle.close()
            Path(self.path).unlink(missing_ok=True)
        self.path, self.handle = "", None

    def __enter__(self) -> _Shares:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


@contextlib.contextmanager
def _previous_clinic(folder: Path, kept: dict[str, str]) -> Iterator[BinaryIO | None]:
    """Open the clinic calendar being replaced, whose events unchanged rows bring back (None: none are)."""
    if not kept:
        yield None
        return
    with (folder / CLINIC_FILE).open("rb") as handle:
        yield handle


def _copied(previous: BinaryIO | None, body: int, span: tuple[int, int]) -> bytes:
    """Return an unchanged row's clinic events, as the last batch wrote them."""
    assert previous is not None  # a row is reused only when the last batch's clinic calendar is there
    previous.seek(body + span[0])
    text = previous.read(span[1] - span[0])
    if text and not (text.startswith(b"BEGIN:VEVENT\r\n") and text.endswith(b"END:VEVENT\r\n")):
        raise TxcalError(f"{CLINIC_FILE} changed while the batch ran: run the batch again")
    return text


def _finish_kept(keeping: Path, head: str) -> Path:
    """Return the kept file: its first line (it names the finished clinic.ics), then the rows' lines."""
    whole = exclusive_temporary(keeping.parent, KEPT_FILE)
    with keeping.open("rb") as rows, whole.open("wb") as out:
        out.write(head.encode())
        shutil.copyfileobj(rows, out, 1 << 20)
    keeping.unlink()
    return whole


def _book_row(book: Book, row: RowResult, text: bytes, used: dict[str, set[int]]) -> bytes:
    """Book a written row (`text`: its clinic events); for a row that failed, keep its patient's booked visits
    (and say so). Return the row's clinic events as the clinic calendar shows them."""
    if row.booking is not None:
        booked, seats, visits = row.booking
        book.keep_plan(booked, text.decode(), row.years, seats, visits)
        return text
    kept = book.plan_of(row.patient) if row.patient else None
    if kept is None or not row.outcome.error:
        return text
    kept_text, zones = book.clinic_text(kept.plan_id)
    for zone, years in zones.items():
        used.setdefault(zone, set()).update(years)
    count = book.visit_count(kept.plan_id)
    row.outcome.error += (
        f"; its {count} booked visits are kept as they were (the book and {CLINIC_FILE} still show them)"
    )
    book.note(kept.plan_id, "kept", reason=f"row {row.outcome.row} failed: {row.outcome.error}")
    return kept_text.encode()


def _booked_elsewhere(book: Book, seen: set[str], out: Any, used: dict[str, set[int]]) -> int:
    """Write the booked plans of patients not in this list into the clinic calendar; return how many."""
    count = 0
    for _, text, zones in book.clinic_texts(frozenset(seen)):
        out.write(text.encode())
        for zone, years in zones.items():
            used.setdefault(zone, set()).update(years)
        count += 1
    return count


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
            summary.filled += row.filled
            if row.outcome.error:
                summary.failed.append(row.outcome)
            for zone, found in row.years.items():
                years.setdefault(zone, set()).update(found)
            yield row
