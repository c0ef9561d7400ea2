"""What every row of a batch shares: the user's choices (BatchOptions) and the run's own state (Settings)."""

from __future__ import annotations

import os
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import Path

from scheduler.clinic.booking import BookedSeats


@dataclass(frozen=True)
class BatchOptions:
    """What the user chose for a batch, from a front end; the run's own state is in Settings."""

    out_dir: Path
    reminders: tuple[timedelta, ...] = ()
    profile: Path | None = None  # the clinic profile of rows that name none
    force: bool = False
    replace: bool = False  # a patient file holding another plan: cancel its events and write this one
    level: str | None = None  # None, "greedy" or "exact"
    level_seconds: float = 3.0  # with "exact": CP-SAT's deterministic seconds a day
    relevel: bool = False  # booked visits from today on may be re-timed
    handouts: str | None = None  # "html" or "pdf": a handout beside each calendar
    fhir: bool = False  # a FHIR R4 Bundle beside each calendar (PATIENT.fhir.json)
    template_dirs: tuple[str, ...] = ()
    # Fill repeating-dose rows in from plan templates (scheduler.app.batching.compiled); off, the general engine
    # plans every row (the reference the templates are held to, in tests and the benchmark).
    plan_templates: bool = True

    @property
    def exact_seconds(self) -> float | None:
        """Return how long exact levelling may search a day, or None when levelling is not exact."""
        return self.level_seconds if self.level == "exact" else None


@dataclass(frozen=True)
class Settings:
    """A batch run: the user's options, its time stamp and day, and what the run found before planning rows."""

    options: BatchOptions
    stamp: datetime
    base: Path  # the folder relative paths in rows (closures, plan files) start from
    today: date | None = None  # nothing before today is re-timed
    # By patient (the row's label, as the book knows a patient): the chair visits' seats a levelled batch
    # set (plan id None) or the book holds (for that plan id only), by the day the plan gives each.
    seats: dict[str, BookedSeats] | None = None
    empty_folder: bool = False  # out_dir held nothing when the batch began: no file to read back or keep
    book: bool = False  # the rows' plans are booked: each row brings back what the book keeps
    list_name: str = ""  # the patient list, as the book names where a plan came from (relative to the book)
    book_dir: Path | None = None  # the clinic book's folder: the book names the files in it relative to it
    released: dict[str, date] | None = None  # plans let go from a day on (txcal release), by plan id
    # Reruns that skip (scheduler.app.batching.rerun): what the last batch kept of each row, by calendar file
    # name, and the digest every row's fingerprint starts from; None when this batch reuses nothing.
    kept: dict[str, str] | None = None
    shared: str = ""
    # By patient label: the webcal:// link of their feed (scheduler.clinic.feed_tokens), shown on their handout.
    feed_links: dict[str, str] | None = None

    def calendar(self, name: str) -> str:
        """Return where a patient's calendar is: its full path."""
        return str(self.options.out_dir.absolute() / name)

    def in_book(self, name: str) -> str:
        """Return a patient's calendar as the clinic book names it: relative to the book's folder."""
        assert self.book_dir is not None
        return os.path.relpath(self.options.out_dir.resolve() / name, self.book_dir)


def booked_as(cells: dict[str, str], name: str) -> str:
    """Return the patient a row is, as the clinic book and levelling know it: the row's label (a row without
    one: its calendar file's name)."""
    return cells.get("patient", "") or Path(name).stem
