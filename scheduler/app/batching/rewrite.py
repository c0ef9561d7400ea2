"""A booked patient's files written again from the clinic book, as one unit with the book.

`txcal move` and `txcal release` change the book, then plan the patient again at the book's seats and
write their calendar (and handout and FHIR file, where there are), and the clinic calendar from the
book. The book and the files change together: should a file not be written, or the book not be
saved, the files written are put back as they were and the book is left as it was.
"""

from __future__ import annotations

import contextlib
import dataclasses
import difflib
from datetime import date, datetime
from pathlib import Path
from types import TracebackType

from scheduler.app.batching.folder import CLINIC_CALENDAR_NAME, CLINIC_FILE, CLINIC_PLAN
from scheduler.app.batching.rows import plan_chunk
from scheduler.app.batching.settings import BatchOptions, Settings
from scheduler.clinic.book import Book
from scheduler.clinic.booking import BookedPlan, BookedSeats
from scheduler.clinic.feed_tokens import feed_links
from scheduler.errors import TxcalError
from scheduler.files import read_existing, write_atomic
from scheduler.ical import calendar_text, txcal_plan_id
from scheduler.inputs.plan_spec import cached_profile
from scheduler.model import ClinicProfile
from scheduler.units import check_text
from scheduler.wording import plural


def profile_with_book(profile_path: Path) -> tuple[ClinicProfile, Path]:
    """Return a clinic profile and its book.

    Raises:
        TxcalError: the profile keeps no book.
    """
    profile = cached_profile(profile_path.resolve())
    if profile.book_path is None:
        raise TxcalError(f'{profile_path} keeps no clinic book: add book = "clinic-book.sqlite" and run txcal batch')
    return profile, profile.book_path


def clean_reason(reason: str) -> str:
    """Return a reason for the book's history: one line of plain text.

    Raises:
        TxcalError: it holds a line break, a control or an invisible character.
    """
    try:
        return check_text(reason)
    except ValueError as exc:
        raise TxcalError(f"--reason {exc}") from None


def booked_patient(book: Book, patient: str) -> BookedPlan:
    """Return a patient's active plan in the book.

    Raises:
        TxcalError: no such patient (with the nearest labels), or two plans with one label.
    """
    found = list(book.plans(patient)) if patient else []
    if not found:
        labels = [label for _, label in book.labels()]
        near = difflib.get_close_matches(patient.casefold(), [label.casefold() for label in labels], n=3, cutoff=0.6)
        nearest = [label for label in labels if label.casefold() in near]
        hint = f"did you mean {', '.join(nearest)}?" if nearest else f"booked patients include {', '.join(labels[:8])}"
        raise TxcalError(f"no booked patient {patient!r} in the clinic book ({len(labels)} booked); {hint}")
    if len(found) > 1:
        raise TxcalError(f"{len(found)} booked plans are labelled {patient!r}: give each patient its own label")
    return found[0]


class FilesFollow:
    """Files a command writes beside the book, put back as they were when the command fails (a file that
    cannot be written, a book that cannot be saved): the book and its files change together or not at all.

    Enter it before the book (`with FilesFollow(...) as files, open_book(...) as book:`), so the book's
    commit happens inside it; `keep` each file before it is written.
    """

    def __init__(self, undone: str) -> None:
        self.undone = undone  # what the message says was not done: "nothing was moved"
        self.before: dict[Path, bytes | None] = {}

    def keep(self, *paths: Path) -> None:
        for path in paths:
            if path not in self.before:
                self.before[path] = read_existing(path)

    def __enter__(self) -> FilesFollow:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, trace: TracebackType | None
    ) -> None:
        if exc is None:
            return
        for path, data in self.before.items():
            with contextlib.suppress(OSError):
                if data is None:
                    path.unlink(missing_ok=True)
                elif read_existing(path) != data:
                    write_atomic(path, data)
        if isinstance(exc, OSError):
            raise TxcalError(
                f"cannot write {exc.filename or 'a file'}: {exc.strerror}; {self.undone}: the clinic book and the "
                "patient's files are as they were; free the space or fix the folder's permissions, then run the "
                "same command again"
            ) from None


def write_again(
    book: Book,
    booked: BookedPlan,
    profile_path: Path,
    stamp: datetime,
    today: date,
    files: FilesFollow,
    released: date | None = None,
    gone_reason: str = "no longer in the plan",
) -> str:
    """Plan the patient again at the book's seats (without the visits from `released` on), write their calendar
    (and handout and FHIR file), re-book, and rewrite the clinic calendar from the book; return what was written.
    """
    calendar = book.file(booked.calendar)  # in this book's folder, wherever the folder is now
    handout = next((fmt for fmt in ("html", "pdf") if calendar.with_suffix(f".{fmt}").is_file()), None)
    fhir = calendar.with_name(calendar.stem + ".fhir.json")
    clinic = calendar.parent / CLINIC_FILE
    files.keep(calendar, calendar.with_suffix(".html"), calendar.with_suffix(".pdf"), fhir, clinic)
    settings = Settings(
        BatchOptions(calendar.parent, profile=profile_path, handouts=handout, fhir=fhir.is_file()),
        stamp,
        book.file(booked.list).parent,
        today=today,
        book=True,
        seats={booked.patient: BookedSeats(booked.plan_id, book.seats(booked.plan_id))},
        feed_links=feed_links(profile_with_book(profile_path)[0], book.path, [booked.patient], files.keep)
        if handout
        else None,
        list_name=booked.list,
        book_dir=book.folder,
        released={booked.plan_id: released} if released else book.released(),
    )
    (row,) = plan_chunk(settings, [(booked.row, booked.cells, calendar.name)])
    if row.outcome.error or row.booking is None:
        raise TxcalError(f"{booked.patient}'s plan cannot be made again ({row.outcome.error}); {files.undone}")
    plan, seats, visits = row.booking
    before = book.clinic_text(booked.plan_id)
    book.keep_plan(dataclasses.replace(plan, row=booked.row), row.clinic_text, row.years, seats, visits, gone_reason)
    existing = read_existing(clinic)
    if existing is not None and txcal_plan_id(existing) == CLINIC_PLAN:
        after = book.clinic_text(plan.plan_id)
        write_atomic(clinic, _clinic_again(book, existing, before, after))
    shown = f"{calendar.name}" + (f" and {calendar.with_suffix('.' + handout).name}" if handout else "")
    changes = f"{plural(row.outcome.changed, 'event')} changed, {row.outcome.cancelled} cancelled"
    return f"wrote {shown} ({changes})" + (f" and {CLINIC_FILE}" if existing is not None else "")


def _clinic_again(
    book: Book, existing: bytes, before: tuple[str, dict[str, list[int]]], after: tuple[str, dict[str, list[int]]]
) -> bytes:
    """Return the clinic calendar with one plan's events changed. Where the file holds the plan's old events
    exactly once and the plan uses the same time zones and years, they are replaced in place (a move in a
    clinic of thousands rewrites one plan's text, not every plan's): the same bytes as made from the whole
    book, as the file was the book's. Otherwise it is made again from the whole book."""
    old, new = before[0].encode("utf-8"), after[0].encode("utf-8")
    if old and before[1] == after[1] and existing.count(old) == 1:
        return existing.replace(old, new, 1)
    return clinic_calendar(book).encode("utf-8")


def clinic_calendar(book: Book) -> str:
    """Return the clinic calendar as the book holds it: every active plan's events, with their time zones."""
    texts, zones = [], {}  # type: ignore[var-annotated]
    for _, text, used in book.clinic_texts():
        texts.append(text)
        for zone, years in used.items():
            zones.setdefault(zone, set()).update(years)
    return calendar_text(CLINIC_CALENDAR_NAME, CLINIC_PLAN, zones, texts)
