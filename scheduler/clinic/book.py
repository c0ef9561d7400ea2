"""The clinic book: the appointments a clinic has given, kept in one SQLite file its profile names.

Plans say what the rules say; the book says what patients were told. A batch books what it
writes; a later batch keeps every booked chair visit's day, time and chair and places only new or
changed plans around them; `txcal move` moves one visit; the day sheet, the load, the handout and
the patient's calendar read their times from here. Every change is a row of `history`.

One command's changes are one transaction (BEGIN IMMEDIATE ... COMMIT): two commands at once
wait for each other, never interleave, and a killed command leaves the book as it was. The file
is plain SQLite in WAL mode, so any SQLite tool can read it while txcal writes. The app layer owns
it: writers never open it. Tables (docs/clinic.md, "The clinic book"):

- plans: one row a patient's plan: plan_id, patient (the label), calendar (the patient's file),
  list and row (where the plan came from), cells (that row, JSON: `move` plans the patient again
  from it), clinic_ics (the plan's events as the clinic calendar shows them, zlib-compressed), zones, status
  (active, or replaced by a corrected plan), updated.
- sittings: a plan's chair visit a day: planned (the day the plan gives it), asked (the time the
  patient asked for), day, start, chair (from 1, or empty when not levelled), minutes, lead and
  tail (the visits before and after the chair), reason (why it is not where asked).
- visits: every event of every plan, as the clinic's views show it: uid, plan_id, patient, kind,
  what, day, start, end, minutes, chair, status (booked, given, cancelled), asked, reason,
  prepare and conflicts (JSON lists).
- history: at, command, plan_id, uid, change (booked, moved, cancelled, replaced, kept), was,
  now, reason.
"""

from __future__ import annotations

import contextlib
import dataclasses
import hashlib
import json
import os
import sqlite3
import zlib
from collections.abc import Callable, Iterable, Iterator
from datetime import date, datetime
from pathlib import Path

from scheduler.clinic.book_file import busy_message, check_file, check_schema, write_holder
from scheduler.clinic.book_reads import BookReads
from scheduler.clinic.booking import (
    VISIT_COLUMNS,
    BookedPlan,
    Seat,
    VisitRow,
    clock,
    seat_text,
    seated_plan,
)
from scheduler.errors import TxcalError
from scheduler.model import ClinicProfile, Plan

# How long a command waits for another that is writing the book (TXCAL_BOOK_WAIT: seconds, for tests).
WAIT_SECONDS = float(os.environ.get("TXCAL_BOOK_WAIT", "15"))


def booked_plan(plan: Plan, prefer: str | None = None) -> Plan:
    """Return the plan at the times its clinic's book holds for it (as planned when the book has none)."""
    profile = plan.request.profile
    path = profile.book_path if profile is not None else None
    if path is None:
        return plan
    book = read_book(path)
    if book is None:
        return plan
    try:
        given = book.seats(plan.plan_id)
        booked = book.booked_uids(plan.plan_id)
    finally:
        book.close()
    seated = seated_plan(plan, 0, plan.request.patient or "", prefer, given)[0] if given else plan
    return dataclasses.replace(seated, booked=booked) if booked else seated


class BookNotSaved(TxcalError):
    """A command's changes to the clinic book could not be committed: the book is as it was."""


@contextlib.contextmanager
def open_book(path: Path, command: str, at: datetime) -> Iterator[Book]:
    """Open the clinic book to change it: one transaction for the whole command, committed at the end.

    Raises:
        TxcalError: the file is not a book, was written by a newer txcal, or another command held it
            longer than WAIT_SECONDS.
    """
    check_file(path)
    if path.exists() and path.stat().st_size:
        # Looked at read-only first: a database that is not a book is refused before anything (WAL) changes it.
        looked = read_book(path)
        if looked is not None:
            looked.close()
    try:
        connection = sqlite3.connect(path, timeout=WAIT_SECONDS, isolation_level=None)
    except sqlite3.Error as exc:
        raise TxcalError(f"cannot open the clinic book {path}: {exc}") from None
    try:
        try:
            connection.execute("PRAGMA journal_mode = WAL")
            # WAL with NORMAL sync: a killed command loses nothing committed and never corrupts the book.
            connection.execute("PRAGMA synchronous = NORMAL")
            connection.execute("PRAGMA cache_size = -65536")  # 64 MB at most: a whole clinic's visits are looked up
            connection.execute("BEGIN IMMEDIATE")
        except sqlite3.OperationalError as exc:
            if "locked" in str(exc) or "busy" in str(exc):
                raise TxcalError(busy_message(path, WAIT_SECONDS)) from None
            raise TxcalError(f"{path} cannot be opened as a clinic book ({exc}); it was left unchanged") from None
        except sqlite3.DatabaseError as exc:
            raise TxcalError(f"{path} cannot be read as a clinic book ({exc}); it was left unchanged") from None
        holder = write_holder(path, command)
        try:
            check_schema(connection, path, writing=True)
            yield Book(connection, command, at.isoformat(), path, WAIT_SECONDS)
            try:
                connection.execute("COMMIT")
            except sqlite3.Error as exc:  # a full disk, a lost file system
                raise BookNotSaved(
                    f"the clinic book {path} could not be saved ({exc}); nothing of this {command} was booked"
                ) from None
        except BaseException:
            with contextlib.suppress(sqlite3.Error):
                connection.execute("ROLLBACK")
            raise
        finally:
            if holder is not None:
                with contextlib.suppress(OSError):
                    holder.unlink()
    finally:
        connection.close()


def read_book(path: Path) -> Book | None:
    """Return the clinic book to read (no transaction held), or None when it has not been written yet.

    Raises:
        TxcalError: the file is not a book, or was written by a newer txcal.
    """
    check_file(path)
    if not path.exists():
        return None
    # A colleague who may read the clinic folder but not write it: SQLite cannot make the book's shared-memory
    # file there, so the book is read as a file that does not change while it is read.
    frozen = "&immutable=1" if not os.access(path.resolve().parent, os.W_OK) else ""
    try:
        connection = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro{frozen}", uri=True, timeout=WAIT_SECONDS)
    except sqlite3.Error as exc:
        raise TxcalError(f"cannot open the clinic book {path}: {exc}") from None
    check_schema(connection, path, writing=False)
    return Book(connection, "", "", path, WAIT_SECONDS)


def profile_book(profile: ClinicProfile) -> Book:
    """Return the profile's clinic book to read.

    Raises:
        TxcalError: the profile names no book, or no batch has written it yet.
    """
    path = profile.book_path
    if path is None:
        raise TxcalError(
            f"{profile.path} keeps no clinic book: give a SOURCE (a batch folder, a calendar or a patient list), "
            'or add book = "clinic-book.sqlite" to the profile and run txcal batch'
        )
    book = read_book(path)
    if book is None:
        raise TxcalError(f"the clinic book {path} has nothing booked yet: run txcal batch with this profile first")
    return book


def snapshots_of_the_book(sources: Iterable[Path], profile: ClinicProfile, say: Callable[[str], None]) -> bool:
    """Return whether the sources are batch folders or clinic calendars of a profile that keeps a book: each is
    a snapshot of one batch, and the book is the clinic's record (every list booked, every move since), so the
    day sheet and the load read the book instead, and say so."""
    book = profile.book_path
    if book is None or not book.is_file() or not all(s.is_dir() or s.suffix.lower() == ".ics" for s in sources):
        return False
    say(f"read from the clinic book {book}, the clinic's record: a batch folder is a snapshot of one batch")
    return True


class Book(BookReads):
    """An open clinic book: what it holds, and (in open_book) the changes of one command."""

    # -- changing (inside open_book)

    def note(self, plan_id: str, change: str, uid: str = "", was: str = "", now: str = "", reason: str = "") -> None:
        self.db.execute(
            "INSERT INTO history (at, command, plan_id, uid, change, was, now, reason) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            (self.at, self.command, plan_id, uid, change, was, now, reason),
        )

    def keep_plan(
        self,
        booked: BookedPlan,
        clinic_ics: str,
        zones: dict[str, set[int]],
        seats: Iterable[Seat],
        rows: list[VisitRow],
        gone_reason: str = "no longer in the plan",
    ) -> None:
        """Book a plan as written: its chair visits and visits (as `visit_rows` makes them), each change noted
        (a visit no longer in the plan is cancelled, for `gone_reason`).

        A plan that replaces another for the same calendar file (a corrected row) cancels the other's
        visits and marks it replaced. Only what changed is written again (a rerun writes little).
        """
        for (old,) in self.db.execute(
            "SELECT plan_id FROM plans WHERE patient = ? AND plan_id != ? AND status = 'active'",
            (booked.patient, booked.plan_id),
        ).fetchall():
            self.db.execute("UPDATE plans SET status = 'replaced', updated = ? WHERE plan_id = ?", (self.at, old))
            self.db.execute("UPDATE visits SET status = 'cancelled' WHERE plan_id = ?", (old,))
            self.note(old, "replaced", now=booked.plan_id, reason=f"a corrected plan for {booked.patient}")
        stored = self.db.execute("SELECT digest, status FROM plans WHERE plan_id = ?", (booked.plan_id,)).fetchone()
        known = stored is not None
        cells = json.dumps(booked.cells)
        text = clinic_ics.encode("utf-8")
        digest = hashlib.sha1(
            b"\0".join(
                [
                    booked.patient.encode(),
                    booked.calendar.encode(),
                    booked.list.encode(),
                    str(booked.row).encode(),
                    cells.encode(),
                    text,
                ]
            )
        ).hexdigest()
        if stored is None or tuple(stored) != (digest, "active"):  # a rerun that changed nothing writes nothing here
            self.db.execute(
                "INSERT INTO plans (plan_id, patient, calendar, list, row, cells, clinic_ics, zones, digest, status, "
                "updated) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, 'active', ?) ON CONFLICT(plan_id) DO UPDATE SET "
                "patient = excluded.patient, calendar = excluded.calendar, list = excluded.list, row = excluded.row, "
                "cells = excluded.cells, clinic_ics = excluded.clinic_ics, zones = excluded.zones, "
                "digest = excluded.digest, status = 'active', updated = excluded.updated",
                (
                    booked.plan_id,
                    booked.patient,
                    booked.calendar,
                    booked.list,
                    booked.row,
                    cells,
                    zlib.compress(text, 1),
                    json.dumps({zone: sorted(years) for zone, years in sorted(zones.items())}),
                    digest,
                    self.at,
                ),
            )
        seats = list(seats)
        old_seats = self.seats(booked.plan_id) if known else {}
        if not known or {seat.planned: seat for seat in seats} != old_seats:
            self.db.execute("DELETE FROM sittings WHERE plan_id = ?", (booked.plan_id,))
            self.db.executemany(
                "INSERT INTO sittings (plan_id, planned, asked, day, start, chair, minutes, lead, tail, reason) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                [
                    (
                        booked.plan_id,
                        seat.planned.isoformat(),
                        clock(seat.asked),
                        seat.day.isoformat(),
                        clock(seat.start),
                        seat.chair,
                        seat.minutes,
                        seat.lead,
                        seat.tail,
                        seat.reason,
                    )
                    for seat in seats
                ],
            )
        for seat in seats:
            before = old_seats.get(seat.planned)
            if before is not None and (before.day, before.start, before.chair) != (seat.day, seat.start, seat.chair):
                self.note(
                    booked.plan_id, "moved", seat.planned.isoformat(), seat_text(before), seat_text(seat), seat.reason
                )
        self._keep_visits(booked, rows, known, gone_reason)

    def _keep_visits(self, booked: BookedPlan, rows: list[VisitRow], known: bool, gone_reason: str) -> None:
        insert = (
            f"INSERT OR REPLACE INTO visits ({', '.join(VISIT_COLUMNS)}) VALUES ({', '.join('?' * len(VISIT_COLUMNS))})"
        )
        if not known:
            self.db.executemany(insert, rows)
            self.note(booked.plan_id, "booked", now=f"{len(rows)} visits", reason=f"{booked.list} row {booked.row}")
            return
        query = f"SELECT {', '.join(VISIT_COLUMNS)} FROM visits WHERE plan_id = ?"
        old = {row[0]: VisitRow(*row) for row in self.db.execute(query, (booked.plan_id,))}
        changed = [row for row in rows if old.get(row.uid) != row]
        self.db.executemany(insert, changed)
        for row in changed:
            was = old.get(row.uid)
            if was is None:
                self.note(booked.plan_id, "booked", row.uid, now=f"{row.day} {row.start or ''}".strip())
            elif (was.day, was.start) != (row.day, row.start):
                self.note(
                    booked.plan_id,
                    "moved",
                    row.uid,
                    f"{was.day} {was.start or ''}".strip(),
                    f"{row.day} {row.start or ''}".strip(),
                    row.reason,
                )
            elif was.status != row.status:
                self.note(booked.plan_id, row.status, row.uid, was.status, row.status)
        for uid in sorted(set(old) - {row.uid for row in rows}):
            if old[uid].status != "cancelled":
                self.db.execute(
                    "UPDATE visits SET status = 'cancelled' WHERE plan_id = ? AND uid = ?", (booked.plan_id, uid)
                )
                self.note(
                    booked.plan_id,
                    "cancelled",
                    uid,
                    f"{old[uid].day} {old[uid].start or ''}".strip(),
                    reason=gone_reason,
                )

    def release(self, plan_id: str, first: date, reason: str) -> int:
        """Let a plan go from `first` on: its chair visits from then free their chairs, noted in the history (its
        visits are cancelled when the plan is written again). Return how many chair visits were freed."""
        freed = self.db.execute(
            "DELETE FROM sittings WHERE plan_id = ? AND day >= ?", (plan_id, first.isoformat())
        ).rowcount
        self.db.execute(
            "UPDATE plans SET released = ?, updated = ? WHERE plan_id = ?", (first.isoformat(), self.at, plan_id)
        )
        self.note(plan_id, "released", first.isoformat(), now=f"{freed} chair visits freed", reason=reason)
        return freed

    def move_seat(
        self, plan_id: str, seat: Seat, day: date, start: int, chair: int, reason: str, undoes: int | None = None
    ) -> None:
        """Move one booked chair visit (its visits that day move by as much), noted in the history with where it
        was and is (data, for stepping back); `undoes`: the history id of the move this takes back."""
        self.db.execute(
            "UPDATE sittings SET start = ?, chair = ?, reason = ? WHERE plan_id = ? AND planned = ?",
            (clock(start), chair, reason, plan_id, seat.planned.isoformat()),
        )
        moved = Seat(seat.planned, seat.asked, day, start, chair, seat.minutes, seat.lead, seat.tail, reason)
        self.db.execute(
            "INSERT INTO history (at, command, plan_id, uid, change, was, now, reason, was_day, was_start, was_chair, "
            "now_day, now_start, now_chair, undoes) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (
                self.at,
                self.command,
                plan_id,
                seat.planned.isoformat(),
                "undone" if undoes else "moved",
                seat_text(seat),
                seat_text(moved),
                reason,
                seat.day.isoformat(),
                clock(seat.start),
                seat.chair,
                day.isoformat(),
                clock(start),
                chair,
                undoes,
            ),
        )
