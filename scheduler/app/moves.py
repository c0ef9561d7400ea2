"""Moving one booked visit: `txcal move` as a use case.

A coordinator moves a patient's chair visit of one day to another time (and chair). The move is
refused when it would seat more patients than the chairs, start more chairs at once than the
nurses can, or fall outside opening hours, with the nearest time that fits. A move is one
transaction of the clinic book and a row of its history; the patient's calendar (SEQUENCE raised
on what changed, so an imported calendar follows), their handout and the clinic calendar are
written again from the book. The same visit's linked visits of the day move with it.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path

from scheduler.app.batch_files import CLINIC_FILE, CLINIC_PLAN
from scheduler.app.batch_rows import Settings, plan_chunk
from scheduler.app.board import Board, Sitting
from scheduler.app.book import Book, open_book
from scheduler.app.booking import BookedPlan, Seat, clock, minutes
from scheduler.errors import TxcalError
from scheduler.files import read_existing, write_atomic
from scheduler.inputs.plan_spec import cached_profile, profile_calendar
from scheduler.model import NURSE_WINDOW, ClinicProfile
from scheduler.writers.ical.export import calendar_head, timezones_text
from scheduler.writers.ical.read import txcal_plan_id


@dataclass(frozen=True)
class MoveRequest:
    """What the coordinator asked: whose visit, on which day, to when (and which chair), and why."""

    patient: str
    day: date
    to: int | None  # minute of the day; None with `undo`
    chair: int | None = None  # from 1
    reason: str = ""
    undo: bool = False  # take back the last move of this visit instead


def move_visit(profile_path: Path, request: MoveRequest, stamp: datetime, today: date) -> str:
    """Move one booked chair visit and write what shows it again; return what was done, in a sentence.

    Raises:
        TxcalError: no book, no such patient or visit, a time that does not fit (with the nearest
            that does), or a visit before today.
    """
    profile = cached_profile(profile_path.resolve())
    if profile.book_path is None:
        raise TxcalError(f'{profile_path} keeps no clinic book: add book = "clinic-book.sqlite" and run txcal batch')
    with open_book(profile.book_path, "move", stamp) as book:
        booked = _patient(book, request.patient)
        seats = book.seats(booked.plan_id)
        seat = next((s for s in seats.values() if s.day == request.day), None)
        if seat is None:
            days = ", ".join(str(s.day) for s in sorted(seats.values(), key=lambda s: s.day) if s.day >= today)
            raise TxcalError(
                f"{request.patient} has no chair visit booked on {request.day}; booked days from today: {days or 'none'}"
            )
        if request.day < today:
            raise TxcalError(f"{request.day} is before today: a visit that has happened is never re-timed")
        to, chair, reason = _target(book, booked, seat, request)
        board = _day_board(book, profile, booked.plan_id, request.day)
        chair = _check_fits(board, seat, to, chair, request)
        book.move_seat(booked.plan_id, seat, request.day, to, chair, reason)
        written = _write_again(book, booked, profile_path, stamp, today)
    was = f"{clock(seat.start)}" + (f" (chair {seat.chair})" if seat.chair else "")
    return (
        f"Moved {request.patient}'s chair visit on {request.day} from {was} to {clock(to)} (chair {chair}); {written}"
    )


def _patient(book: Book, patient: str) -> BookedPlan:
    found = [plan for plan in book.plans() if plan.patient == patient]
    if not found:
        known = [plan.patient for plan in book.plans()][:5]
        raise TxcalError(
            f"no booked patient {patient!r} in the clinic book; booked patients include: {', '.join(known)}"
        )
    if len(found) > 1:
        raise TxcalError(f"{len(found)} booked plans are labelled {patient!r}: give each patient its own label")
    return found[0]


def _target(book: Book, booked: BookedPlan, seat: Seat, request: MoveRequest) -> tuple[int, int | None, str]:
    """Return the time, chair and reason to move to: as asked, or (undo) as before the last move."""
    if not request.undo:
        assert request.to is not None
        return request.to, request.chair, request.reason or "moved by the clinic"
    moves = [row for row in book.history(booked.plan_id) if row[1] == "move" and row[4] == "moved"]
    moves = [row for row in moves if row[3] == seat.planned.isoformat()]
    if not moves:
        raise TxcalError(
            f"{request.patient}'s visit on {request.day} has not been moved with txcal move: nothing to undo"
        )
    was = moves[-1][5].split()  # "2026-12-01 10:00 chair 2"
    chair = int(was[3]) if len(was) > 3 else None
    return minutes(was[1]) or 0, chair, "move taken back"


def _day_board(book: Book, profile: ClinicProfile, plan_id: str, day: date) -> Board:
    """Return the day's chairs with every other booked chair visit on them."""
    calendar = profile_calendar(profile)
    closed = calendar.closed(day) if calendar is not None else None
    span = profile.opening(day)
    if closed or span is None:
        raise TxcalError(f"the clinic is closed on {day} ({closed or 'no opening hours that weekday'})")
    board = Board(profile.chairs or 1, *span, profile.nurse_starts)
    for other, _, seat in book.seats_on(day):
        if other == plan_id:
            continue
        board.keep(seat.chair - 1 if seat.chair else None, seat.start, seat.minutes)
    return board


def _check_fits(board: Board, seat: Seat, to: int, chair: int | None, request: MoveRequest) -> int:
    """Return the chair (from 1) the visit takes at `to`.

    Raises:
        TxcalError: it does not fit there, with the nearest start that does.
    """
    end = to + seat.minutes
    problem = ""
    found: int | None = None
    if to - seat.lead < board.opens or end + seat.tail > board.closes:
        problem = f"{clock(to)} is outside opening hours ({clock(board.opens)}-{clock(board.closes)}) with its visits"
    elif chair is not None and not 1 <= chair <= len(board.lanes):
        problem = f"chair {chair} is not one of the clinic's {len(board.lanes)} chairs"
    elif chair is not None and not board.free(chair - 1, to, end):
        problem = f"chair {chair} is taken at {clock(to)}"
    elif chair is None and (found := board.tightest(to, end)) is None:
        problem = f"every chair is taken at {clock(to)}"
    elif not board.nurse_ok(to):
        problem = (
            f"{board.nurse_starts} chairs already start within {NURSE_WINDOW} minutes of {clock(to)} (nurse_starts)"
        )
    else:
        return chair if chair is not None else (found or 0) + 1
    job = Sitting(0, request.patient, seat.planned, to, seat.minutes, seat.lead, seat.tail)
    nearest = board.nearest(job)
    hint = (
        f"the nearest time that fits is {clock(nearest[1])} on chair {nearest[0] + 1}"
        if nearest
        else "no time fits that day"
    )
    raise TxcalError(f"cannot move {request.patient}'s visit on {request.day}: {problem}; {hint}")


def _write_again(book: Book, booked: BookedPlan, profile_path: Path, stamp: datetime, today: date) -> str:
    """Plan the patient again at the book's seats, write their calendar (and handout), re-book, and rewrite the
    clinic calendar from the book; return what was written."""
    calendar = book.file(booked.calendar)  # in this book's folder, wherever the folder is now
    handout = next((fmt for fmt in ("html", "pdf") if calendar.with_suffix(f".{fmt}").is_file()), None)
    settings = Settings(
        calendar.parent, stamp, book.file(booked.list).parent, profile=profile_path, today=today, book=True,
        seats={booked.patient: (booked.plan_id, book.seats(booked.plan_id))}, handouts=handout,
        fhir=calendar.with_name(calendar.stem + ".fhir.json").is_file(),
        list_name=booked.list, book_dir=book.folder,
    )  # fmt: skip
    (row,) = plan_chunk(settings, [(booked.row, booked.cells, calendar.name)])
    if row.outcome.error or row.booking is None:
        raise TxcalError(f"{booked.patient}'s plan cannot be made again ({row.outcome.error}); nothing was moved")
    plan, seats, visits = row.booking
    book.keep_plan(dataclasses.replace(plan, row=booked.row), row.clinic_text, row.years, seats, visits)
    clinic = calendar.parent / CLINIC_FILE
    existing = read_existing(clinic)
    if existing is not None and txcal_plan_id(existing) == CLINIC_PLAN:
        write_atomic(clinic, clinic_calendar(book).encode("utf-8"))
    shown = f"{calendar.name}" + (f" and {calendar.with_suffix('.' + handout).name}" if handout else "")
    return f"wrote {shown} ({row.outcome.changed} events changed)" + (
        f" and {CLINIC_FILE}" if existing is not None else ""
    )


def clinic_calendar(book: Book) -> str:
    """Return the clinic calendar as the book holds it: every active plan's events, with their time zones."""
    texts, zones = [], {}  # type: ignore[var-annotated]
    for _, text, used in book.clinic_texts():
        texts.append(text)
        for zone, years in used.items():
            zones.setdefault(zone, set()).update(years)
    head = calendar_head("txcal clinic calendar", CLINIC_PLAN)
    return head + timezones_text(zones) + "".join(texts) + "END:VCALENDAR\r\n"
