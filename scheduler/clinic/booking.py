"""What the clinic book holds, as records: seats, booked plans and visits; a plan seated from its seats, and visits as rows of the book."""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date
from typing import NamedTuple

from scheduler import caches
from scheduler.clinic.board import Sitting
from scheduler.clinic.levelling import clock_time, sittings
from scheduler.engine.slots import Rebooking, reschedule
from scheduler.model import CHAIR_KINDS, DEFAULT_HOURS, Plan, clock_text


class HistoryRow(NamedTuple):
    """One change the book keeps: when, by which command, to which plan and visit, from what to what, and why."""

    at: str
    command: str
    plan_id: str
    uid: str
    change: str  # booked, moved, cancelled, replaced, kept
    was: str
    now: str
    reason: str


def clock(minute: int | None) -> str | None:
    return None if minute is None else clock_text(minute)  # NULL for an all-day visit


def minutes(text: str | None) -> int | None:
    if not text:
        return None
    hour, _, minute = text.partition(":")
    return int(hour) * 60 + int(minute)


@dataclass(frozen=True, slots=True)
class Seat:
    """A booked chair visit: the day the plan gives it, when the patient asked, and where and when it sits."""

    planned: date
    asked: int
    day: date
    start: int
    chair: int | None  # from 1; None when the batch that booked it did not level
    minutes: int = 0
    lead: int = 0
    tail: int = 0
    reason: str = ""
    pinned: bool = False  # placed by a coordinator's `txcal move` (not taken back): levelling never re-times it


class BookedSeats(NamedTuple):
    """A patient's booked chair visits as a batch levels around them: the plan, its seats by the day the plan
    gives each, and what the booked row asked for (its `time` and `prefer` cells; None: not from a book)."""

    plan_id: str | None
    seats: dict[date, Seat]
    request: tuple[str, str] | None = None


def asked_cells(cells: Mapping[str, str]) -> tuple[str, str]:
    """Return what a row asks for its chair visits' times: its `time` and `prefer` cells."""
    return cells.get("time", "").strip(), cells.get("prefer", "").strip()


@dataclass(frozen=True, slots=True)
class BookedPlan:
    """A plan the book holds: its identity, patient, calendar file and where it came from."""

    plan_id: str
    patient: str
    calendar: str
    list: str
    row: int
    cells: dict[str, str]


@dataclass(frozen=True, slots=True)
class Visit:
    """One event as the book keeps it for the clinic's views."""

    uid: str
    kind: str
    what: str
    day: date
    start: int | None
    end: int | None
    minutes: int | None
    status: str
    asked: str = ""
    reason: str = ""
    prepare: tuple[str, ...] = ()
    conflicts: tuple[str, ...] = ()


def seated_plan(
    plan: Plan, row: int, patient: str, prefer: str | None, given: dict[date, Seat]
) -> tuple[Plan, list[Seat]]:
    """Return the plan with its chair visits at the seats given (by the day the plan gives each; the others
    as planned), and every chair visit's seat, as the book keeps them."""
    rebookings, seats = [], []
    profile = plan.request.profile
    for sitting in sittings(plan, row, patient, prefer):
        seat = given.get(sitting.day)
        if seat is None:
            seat = Seat(sitting.day, sitting.start, sitting.day, sitting.start, None)
        elif (seat.day, seat.start) != (sitting.day, sitting.start):
            opens = ((profile.opening(sitting.day) if profile else None) or DEFAULT_HOURS)[0]
            changed = seat.day != sitting.day or sitting.off_by(seat.start, opens) != 0
            rebookings.append(
                Rebooking(
                    sitting.day,
                    seat.day,
                    clock_time(seat.start),
                    clock_time(sitting.start),
                    _asked(sitting) if changed else "",
                    seat.reason,
                )
            )
        seats.append(
            Seat(
                sitting.day,
                sitting.start,
                seat.day,
                seat.start,
                seat.chair,
                sitting.minutes,
                sitting.lead,
                sitting.tail,
                seat.reason,
            )
        )
    return reschedule(plan, tuple(rebookings)), seats


def _asked(sitting: Sitting) -> str:
    """Return what the patient asked for, in their words: a `prefer` time (when they arrive), a part of the
    day, or the list's time (the chair's start)."""
    return sitting.prefer or clock_text(sitting.start)


class VisitRow(NamedTuple):
    """A row of the book's visits table, read and written by name."""

    uid: str
    plan_id: str
    patient: str
    kind: str
    what: str
    day: str
    start: str | None
    end: str | None
    minutes: int | None
    chair: int | None
    status: str
    asked: str
    reason: str
    prepare: str  # JSON lists
    conflicts: str


VISIT_COLUMNS = VisitRow._fields


@caches.kept(1024)
def _json_list(items: tuple[str, ...]) -> str:
    return json.dumps(list(items))


def visit_rows(booked: BookedPlan, visits: Iterable[Visit], seats: Iterable[Seat]) -> list[VisitRow]:
    """Return a plan's visits as rows of the visits table (a chair visit's chair: its day's seat's).

    Made where the plan is made (a batch's worker), so the process that writes the book only writes.
    """
    chairs: Mapping[date, int] = {seat.day: seat.chair for seat in seats if seat.chair}
    return [
        VisitRow(
            visit.uid,
            booked.plan_id,
            booked.patient,
            visit.kind,
            visit.what,
            visit.day.isoformat(),
            clock(visit.start),
            clock(visit.end),
            visit.minutes,
            chairs.get(visit.day) if visit.kind in CHAIR_KINDS else None,
            visit.status,
            visit.asked,
            visit.reason,
            _json_list(visit.prepare),
            _json_list(visit.conflicts),
        )
        for visit in visits
    ]


def seat_text(seat: Seat) -> str:
    return f"{seat.day} {clock(seat.start)}" + (f" chair {seat.chair}" if seat.chair else "")
