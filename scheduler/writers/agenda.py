"""The day sheet (scheduler.app.day_sheet gathers it) as a terminal table and as CSV."""

from __future__ import annotations

import io
import textwrap
from collections.abc import Callable
from datetime import date

from scheduler.clinic_model import AgendaItem
from scheduler.model import clock_text
from scheduler.wording import plural
from scheduler.writers.csv import safe_writer
from scheduler.writers.table import fit_table


def _clock(minute: int | None) -> str:
    return "" if minute is None else clock_text(minute)


def _span(item: AgendaItem) -> str:
    return "all day" if item.start is None else f"{_clock(item.start)}-{_clock(item.end)}".rstrip("-")


def render_text(
    items: list[AgendaItem],
    days: list[date],
    place: str,
    chairs: int | None,
    width: int = 80,
    note: str = "",
    closed: Callable[[date], str | None] | None = None,
) -> str:
    """Return the day sheet: a table a day, the time, chair, patient, what, minutes, preparation and conflicts.

    `note` qualifies every day's heading ("as asked, not levelled" for visits planned from a list);
    `closed` says why the clinic is closed on a day, which its heading then says first.
    """
    lines = []
    for day in days:
        todays = [i for i in items if i.day == day]
        why = closed(day) if closed is not None else None
        head = (
            (f"CLOSED ({why}): " if why else "")
            + f"{day:%a %d %b %Y}"
            + (f", {place}" if place else "")
            + (f", {plural(chairs, 'chair')}" if chairs else "")
            + (f" ({note})" if note else "")
        )
        lines += [head, "=" * min(len(head), width)]
        if not todays:
            lines += ["No visits.", ""]
            continue
        rows = [["TIME", "CHAIR", "PATIENT", "WHAT", "MIN", "PREPARE / CONFLICTS"]]
        for item in todays:
            notes = [*item.prepare, *(f"CONFLICT: {c}" for c in item.conflicts)]
            if item.asked:
                notes.insert(0, f"moved: asked for {item.asked}")
            rows.append(
                [
                    _span(item),
                    "" if item.chair is None else str(item.chair),
                    item.patient,
                    item.what,
                    "" if item.minutes is None else str(item.minutes),
                    "; ".join(notes),
                ]
            )
        lines += fit_table(rows, width, wrap=(2, 3, 5), right=(1, 4))
        patients = len({i.patient for i in todays})
        conflicts = sum(1 for i in todays if i.conflicts)
        chairs_used = max((i.chair or 0 for i in todays), default=0)
        summary = f"{plural(patients, 'patient')}, {plural(len(todays), 'item')}, {plural(chairs_used, 'chair')} in use"
        if conflicts:
            summary += f"; {plural(conflicts, 'conflict')}"
        lines += ["", *textwrap.wrap(summary + ".", width), ""]
    return "\n".join(lines)


COLUMNS = ("date", "start", "end", "chair", "patient", "kind", "what", "minutes", "prepare", "conflicts", "asked")


def to_csv(items: list[AgendaItem]) -> str:
    """Return the day sheet as CSV: a row an item, in time order."""
    out = io.StringIO()
    writer = safe_writer(out)
    writer.writerow(COLUMNS)
    for item in items:
        writer.writerow(
            [
                f"{item.day}",
                _clock(item.start),
                _clock(item.end),
                "" if item.chair is None else item.chair,
                item.patient,
                item.kind,
                item.what,
                "" if item.minutes is None else item.minutes,
                "; ".join(item.prepare),
                "; ".join(item.conflicts),
                item.asked,
            ]
        )
    return out.getvalue()
