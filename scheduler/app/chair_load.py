"""Daily load of a clinic: visits by kind and chair minutes per day, against the chairs it has.

Counted from plans (a patient list, planned here) or from a calendar file (a batch's clinic.ics),
read a line at a time so a whole clinic's calendar fits in little memory. Chair minutes are the
lengths of the visits that take an infusion chair: doses, chemotherapy and infusions.
"""

from __future__ import annotations

import csv
import io
from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path

from scheduler.errors import TxcalError
from scheduler.model import EVENT_KINDS, PlannedEvent
from scheduler.writers.ical.read import ContentLine, moment, stream_events
from scheduler.writers.terminal import Mark, month_grids, paint

CHAIR_KINDS = ("dose", "chemotherapy", "infusion")
# Reminders to check something and watch periods bring nobody to the clinic.
NOT_VISITS = ("milestone", "watch")
# Busy-day shading for the month view: share of capacity (or of the busiest day) up to each bound.
SHADES = ((0.5, "░", "32"), (0.8, "▒", "33"), (1.0, "▓", "31"), (float("inf"), "█", "1;31"))


@dataclass
class DayLoad:
    """What one day holds: visits by kind, chair minutes, and visits whose length is unknown."""

    visits: Counter[str] = field(default_factory=Counter)
    chair_minutes: int = 0
    unknown_minutes: int = 0


@dataclass
class Load:
    """The clinic's days, and the capacity they are compared with (None when not given)."""

    days: dict[date, DayLoad] = field(default_factory=dict)
    capacity: int | None = None  # chair minutes a day

    def add(self, day: date, kind: str, minutes: int | None) -> None:
        if kind in NOT_VISITS:
            return
        load = self.days.setdefault(day, DayLoad())
        load.visits[kind] += 1
        if kind in CHAIR_KINDS:
            if minutes is None:
                load.unknown_minutes += 1
            else:
                load.chair_minutes += minutes

    def over(self, day: date) -> bool:
        return self.capacity is not None and self.days[day].chair_minutes > self.capacity

    def window(self, first: date | None, last: date | None) -> Load:
        days = {d: v for d, v in self.days.items() if (first is None or d >= first) and (last is None or d <= last)}
        return Load(days, self.capacity)


def from_events(events: Iterable[PlannedEvent], load: Load) -> None:
    """Add planned events (not held ones) to a load."""
    for event in events:
        if event.status != "held":
            load.add(event.first_day, event.kind, event.minutes)


def _kind(categories: str) -> str:
    kind = categories.split(",")[0].strip().lower()
    return kind if kind in EVENT_KINDS else "other"


def _local(line: ContentLine) -> date | datetime | None:
    """Return a DTSTART or DTEND value as written (wall time; a UTC mark is set aside)."""
    value = moment(line)
    return value.replace(tzinfo=None) if isinstance(value, datetime) else value


_WANTED = frozenset({"DTSTART", "DTEND", "CATEGORIES", "STATUS"})


def from_ics_lines(lines: Iterator[str], load: Load) -> None:
    """Add the events of a calendar file, read a line at a time, to a load (cancelled ones left out).

    Minutes come from DTEND minus DTSTART in local time for timed events; an all-day visit's
    length is unknown.
    """
    for event in stream_events(lines, _WANTED):
        start = _local(event["DTSTART"]) if "DTSTART" in event else None
        status = event.get("STATUS")
        if start is None or (status is not None and status.value == "CANCELLED"):
            continue
        end = _local(event["DTEND"]) if "DTEND" in event else None
        minutes = None
        if isinstance(start, datetime) and isinstance(end, datetime):
            minutes = int((end - start).total_seconds() // 60)
        day = start.date() if isinstance(start, datetime) else start
        categories = event.get("CATEGORIES")
        load.add(day, _kind(categories.value if categories else ""), minutes)


def read_ics(path: Path, load: Load) -> None:
    """Add a calendar file's events to a load.

    Raises:
        TxcalError: the file cannot be read.
    """
    try:
        with path.open(encoding="utf-8", newline="") as handle:
            from_ics_lines(handle, load)
    except (OSError, UnicodeDecodeError, ValueError) as exc:
        raise TxcalError(f"cannot read {path} as a calendar: {getattr(exc, 'strerror', None) or exc}") from None


_COLUMNS = ("dose", "chemotherapy", "infusion", "collection", "monitoring")


def _use(load: Load, day: date) -> str:
    if load.capacity is None:
        return ""
    return f"{100 * load.days[day].chair_minutes / load.capacity:.0f}%"


def render_table(load: Load) -> str:
    """Return the load as a terminal table: a row a day, over-capacity days flagged."""
    header = ["DATE", "DAY", "VISITS", "DOSE", "CHEMO", "INFUSION", "COLLECT", "MONITOR", "CHAIR-MIN", "USE", ""]
    rows = [header]
    for day in sorted(load.days):
        d = load.days[day]
        minutes = f"{d.chair_minutes}" + ("+?" if d.unknown_minutes else "")
        rows.append(
            [f"{day}", f"{day:%a}", f"{sum(d.visits.values())}", *(f"{d.visits[k]}" for k in _COLUMNS),
             minutes, _use(load, day), "OVER" if load.over(day) else ""]
        )  # fmt: skip
    widths = [max(len(r[i]) for r in rows) for i in range(len(header))]
    lines = [
        "  ".join(c.rjust(w) if i > 1 else c.ljust(w) for i, (c, w) in enumerate(zip(r, widths, strict=True))).rstrip()
        for r in rows
    ]
    return "\n".join([*lines, "", summary(load)]) + "\n"


def summary(load: Load) -> str:
    """Return one line: days, busiest day, days over capacity."""
    if not load.days:
        return "No visits in this range."
    busiest = max(load.days, key=lambda d: load.days[d].chair_minutes)
    text = f"{len(load.days)} days with visits; busiest {busiest} ({load.days[busiest].chair_minutes} chair minutes)"
    if load.capacity is not None:
        over = sum(1 for d in load.days if load.over(d))
        text += f"; capacity {load.capacity} chair minutes a day; {over} days over"
    if any(d.unknown_minutes for d in load.days.values()):
        text += "; +? marks all-day visits of unknown length, not counted"
    return text + "."


def to_csv(load: Load) -> str:
    """Return the load as CSV: a row a day, dates as spreadsheets read them."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["date", "visits", *_COLUMNS, "chair_minutes", "unknown_length_visits", "capacity", "over"])
    for day in sorted(load.days):
        d = load.days[day]
        writer.writerow(
            [f"{day}", sum(d.visits.values()), *(d.visits[k] for k in _COLUMNS), d.chair_minutes, d.unknown_minutes,
             "" if load.capacity is None else load.capacity, "TRUE" if load.over(day) else "FALSE"]
        )  # fmt: skip
    return out.getvalue()


def render_months(load: Load, today: date, width: int = 80, color: bool = False) -> str:
    """Return month grids shading each day by its chair minutes: of capacity, or of the busiest day."""
    scale = load.capacity or max((d.chair_minutes for d in load.days.values()), default=0) or 1
    marks: dict[date, Mark] = {}
    for day, d in load.days.items():
        share = d.chair_minutes / scale
        symbol, code = next((s, c) for bound, s, c in SHADES if share <= bound)
        marks[day] = (symbol, code)
    basis = "of capacity" if load.capacity else "of the busiest day"
    legend = "  ".join(
        paint(f"{s} {label}", c, color)
        for (_, s, c), label in zip(SHADES, ["up to 50%", "50-80%", "80-100%", "over 100%"], strict=True)
    )
    return "\n".join([*month_grids(marks, today, width, color), "", f"{legend} ({basis})", summary(load)]) + "\n"
