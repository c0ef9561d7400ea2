"""Moving one booked visit: `txcal move` as a use case.

A coordinator moves a patient's chair visit of one day to another time (and chair). The move is
refused when it would seat more patients than the chairs, start more chairs at once than the
nurses can, or fall outside opening hours, with the nearest time that fits. A move is one
transaction of the clinic book and a row of its history; the patient's calendar (SEQUENCE raised
on what changed, so an imported calendar follows), their handout and the clinic calendar are
written again from the book. The same visit's linked visits of the day move with it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path

from scheduler.app.batching.rewrite import FilesFollow, booked_patient, clean_reason, profile_with_book, write_again
from scheduler.app.feeds import feed_said, write_feeds
from scheduler.clinic.board import Board, Sitting
from scheduler.clinic.book import Book, open_book
from scheduler.clinic.booking import BookedPlan, Seat, clock
from scheduler.errors import TxcalError
from scheduler.inputs.plan_spec import profile_calendar
from scheduler.model import NURSE_WINDOW, ClinicProfile
from scheduler.wording import COORDINATOR_MOVE


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
    clean_reason(request.reason)
    profile, book_path = profile_with_book(profile_path)
    with FilesFollow("nothing was moved") as files, open_book(book_path, "move", stamp) as book:
        booked = booked_patient(book, request.patient)
        seats = book.seats(booked.plan_id)
        seat = next((s for s in seats.values() if s.day == request.day), None)
        if seat is None:
            days = ", ".join(str(s.day) for s in sorted(seats.values(), key=lambda s: s.day) if s.day >= today)
            raise TxcalError(
                f"{request.patient} has no chair visit booked on {request.day}; booked days from today: {days or 'none'}"
            )
        if request.day < today:
            raise TxcalError(f"{request.day} is before today: a visit that has happened is never re-timed")
        released = book.released().get(booked.plan_id)
        if released is not None and request.day >= released:
            raise TxcalError(f"{request.patient} was released from {released} on (txcal release): nothing to move")
        to, chair, reason, undoes = _target(book, booked, seat, request)
        board = _day_board(book, profile, booked.plan_id, request.day)
        chair = _check_fits(board, seat, to, chair, request)
        book.move_seat(booked.plan_id, seat, request.day, to, chair, reason, undoes)
        written = write_again(book, booked, profile_path, stamp, today, files)
        fed = feed_said(write_feeds(book, profile, today, files, [booked]))
    was = f"{clock(seat.start)}" + (f" (chair {seat.chair})" if seat.chair else "")
    done = "Took back the last move of" if request.undo else "Moved"
    return (
        f"{done} {request.patient}'s chair visit on {request.day}: from {was} to {clock(to)} (chair {chair}); {written}"
        + fed
    )


def _target(
    book: Book, booked: BookedPlan, seat: Seat, request: MoveRequest
) -> tuple[int, int | None, str, int | None]:
    """Return the time, chair and reason to move to, and the move it takes back: as asked, or (undo) where the
    visit was before the latest move not yet taken back (so each undo steps back one move)."""
    if not request.undo:
        assert request.to is not None
        return request.to, request.chair, request.reason or COORDINATOR_MOVE, None
    last = book.last_move(booked.plan_id, seat.planned)
    if last is None:
        raise TxcalError(
            f"{request.patient}'s visit on {request.day} has no move left to take back (moves made with txcal move)"
        )
    ident, _, start, chair = last
    return start, chair, request.reason or "move taken back", ident


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
