"""The clinic book's reads: its plans, seats, visits, texts and history, as records (scheduler.clinic.book
opens the book and changes it)."""

from __future__ import annotations

import json
import sqlite3
import zlib
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any

from scheduler.clinic.book_file import RESTORE, Guarded
from scheduler.clinic.booking import (
    BookedPlan,
    BookedSeats,
    HistoryRow,
    Seat,
    asked_cells,
    minutes,
)
from scheduler.clinic_model import AgendaItem
from scheduler.errors import TxcalError

# A plan's events as the clinic calendar shows them: a few hundred kilobytes for the longest plan.
MAX_PLAN_TEXT = 16 * 2**20
# A booked chair visit's columns of `sittings`, in the order of Seat.
_SEAT_COLUMNS = ("planned", "asked", "day", "start", "chair", "minutes", "lead", "tail", "reason")


class BookReads:
    """An open clinic book's reads: what it holds (scheduler.clinic.book.Book adds one command's changes)."""

    def __init__(self, connection: sqlite3.Connection, command: str, at: str, path: Path, waited: float) -> None:
        self.db, self.command, self.at = Guarded(connection, path, waited), command, at
        self.path, self.folder = path, path.resolve().parent  # the book names its files relative to its folder

    def file(self, name: str) -> Path:
        """Return the file a name the book keeps stands for, in the book's folder.

        Raises:
            TxcalError: the name reaches outside the book's folder (written by hand, or a planted book).
        """
        path = self.folder / name
        try:
            inside = (
                name.isprintable()
                and not Path(name).is_absolute()
                and ".." not in Path(name).parts
                and path.resolve().is_relative_to(self.folder)
            )
        except (OSError, ValueError):  # a NUL, a loop of links
            inside = False
        if not inside:
            raise TxcalError(
                f"the clinic book {self.path} names {name[:80]!r}, not a file in its folder; it was left unchanged"
                f"{RESTORE}"
            )
        return path

    def close(self) -> None:
        self.db.close()

    def _damaged(self) -> TxcalError:
        return TxcalError(f"the clinic book {self.path} holds a damaged row; it was left unchanged{RESTORE}")

    def _minutes(self, text: str | None) -> int | None:
        """Return a time of day the book keeps ("HH:MM") as minutes, or say the book is damaged."""
        try:
            return minutes(text)
        except ValueError:
            raise self._damaged() from None

    def _day(self, text: str) -> date:
        """Return a day the book keeps (ISO), or say the book is damaged."""
        try:
            return date.fromisoformat(text)
        except (TypeError, ValueError):
            raise self._damaged() from None

    def _json(self, text: str) -> Any:
        """Return a JSON value the book keeps (a row's cells, zones, lists), or say the book is damaged."""
        try:
            return json.loads(text)
        except (TypeError, ValueError):
            raise self._damaged() from None

    def plans(self, label: str | None = None) -> Iterator[BookedPlan]:
        """Yield the active plans (of one patient label, or all), in the order of their rows."""
        query = "SELECT plan_id, patient, calendar, list, row, cells FROM plans WHERE status = 'active'"
        query += (" AND patient = ?" if label else "") + " ORDER BY row"
        for plan_id, patient, calendar, source, row, cells in self.db.execute(query, (label,) if label else ()):
            yield BookedPlan(plan_id, patient, calendar, source, row, self._json(cells))

    def labels(self) -> list[tuple[str, str]]:
        """Return the active plans' ids and labels, in the order of their rows (no cells read)."""
        query = "SELECT plan_id, patient FROM plans WHERE status = 'active' ORDER BY row"
        return [(plan_id, patient) for plan_id, patient in self.db.execute(query)]

    def plan_of(self, patient: str) -> BookedPlan | None:
        """Return a patient's active plan (patients are known by label)."""
        return next(self.plans(patient), None)

    def seats(self, plan_id: str) -> dict[date, Seat]:
        """Return a plan's booked chair visits by the day the plan gives them."""
        query = f"SELECT {', '.join(_SEAT_COLUMNS)} FROM sittings WHERE plan_id = ?"
        pinned = set(self._moved_by_hand(plan_id))
        seats = (self._seat(row, row[0] in pinned) for row in self.db.execute(query, (plan_id,)))
        return {seat.planned: seat for seat in seats}

    def _seat(self, row: tuple[Any, ...], pinned: bool = False) -> Seat:
        """Return a row of _SEAT_COLUMNS as a seat (its days and times read, or the book said damaged)."""
        planned, asked, day, start, chair, length, lead, tail, reason = row
        return Seat(
            self._day(planned),
            self._minutes(asked) or 0,
            self._day(day),
            self._minutes(start) or 0,
            chair,
            length,
            lead,
            tail,
            reason,
            pinned,
        )

    def _moved_by_hand(self, plan_id: str) -> list[str]:
        """Return the planned days of a plan's chair visits where a coordinator's move stands (not taken back)."""
        query = (
            "SELECT DISTINCT uid FROM history h WHERE plan_id = ? AND change = 'moved' AND command = 'move' "
            "AND was_day IS NOT NULL AND NOT EXISTS (SELECT 1 FROM history u WHERE u.undoes = h.id)"
        )
        return [uid for (uid,) in self.db.execute(query, (plan_id,))]

    def all_seats(self) -> dict[str, BookedSeats]:
        """Return every active plan's booked chair visits, by its patient."""
        return {
            plan.patient: BookedSeats(plan.plan_id, self.seats(plan.plan_id), asked_cells(plan.cells))
            for plan in self.plans()
        }

    def seats_on(self, day: date) -> list[tuple[str, str, Seat]]:
        """Return the day's booked chair visits of active plans: (plan id, patient, seat)."""
        query = (
            f"SELECT s.plan_id, p.patient, {', '.join(f's.{column}' for column in _SEAT_COLUMNS)} "
            "FROM sittings s JOIN plans p ON p.plan_id = s.plan_id WHERE s.day = ? AND p.status = 'active' "
            "ORDER BY s.start, p.row"
        )
        rows = self.db.execute(query, (day.isoformat(),))
        return [(plan_id, patient, self._seat(tuple(seat))) for plan_id, patient, *seat in rows]

    def clinic_texts(self, leave_out: frozenset[str] = frozenset()) -> Iterator[tuple[str, str, dict[str, list[int]]]]:
        """Yield each active plan's clinic calendar text and zones, in row order: (patient, text, zones);
        the plans whose patient is in `leave_out` are passed over unread."""
        query = "SELECT patient, plan_id FROM plans WHERE status = 'active' ORDER BY row"
        for patient, plan_id in self.db.execute(query).fetchall():  # the texts only of those asked for
            if patient not in leave_out:
                yield (patient, *self.clinic_text(plan_id))

    def clinic_text(self, plan_id: str) -> tuple[str, dict[str, list[int]]]:
        """Return a plan's events as the clinic calendar last showed them, and their zones."""
        row = self.db.execute("SELECT clinic_ics, zones FROM plans WHERE plan_id = ?", (plan_id,)).fetchone()
        if not row:
            return "", {}
        # Bounded: a planted blob of 100 KB would otherwise unpack to as much memory as it asks for.
        unpacker = zlib.decompressobj()
        try:
            text = unpacker.decompress(row[0], MAX_PLAN_TEXT)
            whole = unpacker.eof and not unpacker.unconsumed_tail
        except zlib.error:
            whole = False
        if not whole:
            raise TxcalError(f"the clinic book {self.path} holds a damaged or oversized plan ({plan_id}){RESTORE}")
        return text.decode("utf-8", "replace"), self._json(row[1])

    def booked_uids(self, plan_id: str) -> frozenset[str]:
        """Return the UIDs of a plan's visits the book holds as booked."""
        query = "SELECT uid FROM visits WHERE plan_id = ? AND status = 'booked'"
        return frozenset(uid for (uid,) in self.db.execute(query, (plan_id,)))

    def visit_count(self, plan_id: str) -> int:
        query = "SELECT count(*) FROM visits WHERE plan_id = ? AND status != 'cancelled'"
        return int(self.db.execute(query, (plan_id,)).fetchone()[0])

    def agenda(self, first: date, last: date, plan_id: str | None = None) -> list[AgendaItem]:
        """Return the booked visits from `first` to `last` (of one plan when given) as day sheet lines (cancelled
        ones left out)."""
        query = (
            "SELECT day, start, minutes, patient, kind, what, prepare, conflicts, chair, asked FROM visits "
            "WHERE day BETWEEN ? AND ? AND status != 'cancelled' AND kind != 'watch'"
            + (" AND plan_id = ?" if plan_id is not None else "")
            + " ORDER BY day, start, patient"
        )
        asked = (first.isoformat(), last.isoformat(), *((plan_id,) if plan_id is not None else ()))
        return [
            AgendaItem(
                self._day(day),
                self._minutes(start),
                length if start else None,
                patient,
                kind,
                what,
                tuple(self._json(prepare)),
                tuple(self._json(conflicts)),
                chair,
                asked,
            )
            for day, start, length, patient, kind, what, prepare, conflicts, chair, asked in self.db.execute(
                query, asked
            )
        ]

    def load_rows(
        self, first: date = date.min, last: date = date.max
    ) -> Iterator[tuple[date, str, int | None, str, int | None]]:
        """Yield the booked visits from `first` to `last` for the load: day, kind, minutes, patient, minute of the day."""
        query = (
            "SELECT day, kind, minutes, patient, start FROM visits WHERE day BETWEEN ? AND ? AND status != 'cancelled'"
        )
        for day, kind, length, patient, start in self.db.execute(query, (first.isoformat(), last.isoformat())):
            yield self._day(day), kind, length, patient, self._minutes(start)

    def history(self, plan_id: str | None = None) -> list[HistoryRow]:
        """Return the history, oldest first (of one plan when given)."""
        query = "SELECT at, command, plan_id, uid, change, was, now, reason FROM history"
        rows = self.db.execute(
            query + (" WHERE plan_id = ?" if plan_id else "") + " ORDER BY id", (plan_id,) if plan_id else ()
        )
        return [HistoryRow(*row) for row in rows]

    def released(self) -> dict[str, date]:
        """Return the plans let go from a day on (txcal release), by plan id."""
        query = "SELECT plan_id, released FROM plans WHERE released IS NOT NULL AND status = 'active'"
        return {plan_id: self._day(day) for plan_id, day in self.db.execute(query)}

    def last_move(self, plan_id: str, planned: date) -> tuple[int, date, int, int | None] | None:
        """Return the latest coordinator's move of a chair visit not yet taken back: its history id and where the
        visit was before it (day, start, chair), or None. Taking back that one exposes the move before it."""
        row = self.db.execute(
            "SELECT id, was_day, was_start, was_chair FROM history h WHERE plan_id = ? AND uid = ? AND "
            "change = 'moved' AND command = 'move' AND was_day IS NOT NULL AND NOT EXISTS "
            "(SELECT 1 FROM history u WHERE u.undoes = h.id) ORDER BY id DESC LIMIT 1",
            (plan_id, planned.isoformat()),
        ).fetchone()
        if row is None:
            return None
        ident, day, start, chair = row
        return ident, self._day(day), self._minutes(start) or 0, chair
