"""Plans as CSV for spreadsheets: one row per event, the JSON fields as columns.

Dates and times are written as Excel and LibreOffice read them ("2026-12-01", "2026-12-01 09:00"
in the plan's zone, named in the timezone column); the end of an all-day event is its last day,
as a spreadsheet reader expects (the JSON and .ics ends are exclusive).
"""

from __future__ import annotations

import codecs
import csv
import io
import re
from collections.abc import Iterable
from datetime import date, datetime
from typing import Any

from scheduler import fact_words, wording
from scheduler.model import Plan
from scheduler.writers.registry import Rendered, View

COLUMNS = (
    "uid",
    "kind",
    "title",
    "start",
    "end",
    "all_day",
    "timezone",
    "day",
    "dose_number",
    "dose",
    "route",
    "status",
    "shifted_from",
    "reason",
    "conflict",
    "unconfirmed",
    "beyond_label",
    "audience",
    "notes",
    "plan_id",
)
# The header before beyond_label and audience (as JSON has them) were added: txcal still knows such a file as its own.
_EARLIER = tuple(c for c in COLUMNS if c not in ("beyond_label", "audience"))


# Cells a spreadsheet would run as a formula (OWASP: CSV injection). A number, such as Day -7,
# is no formula and stays a number.
_FORMULA = re.compile(r"[=+\-@\t\r]")
_NUMBER = re.compile(r"-?\d+(\.\d+)?")


def safe_cell(value: object) -> object:
    """Return a cell a spreadsheet shows as text: a leading ' neutralizes = + - @ tab and CR."""
    if isinstance(value, str) and _FORMULA.match(value) and not _NUMBER.fullmatch(value):
        return "'" + value
    return value


def safe_writer(out: Any) -> Any:
    """Return a csv writer whose every cell is made safe for spreadsheets (safe_cell)."""
    writer = csv.writer(out)

    class Safe:
        def writerow(self, row: Iterable[object]) -> Any:
            return writer.writerow([safe_cell(value) for value in row])

    return Safe()


def _cell(value: date | datetime) -> str:
    return f"{value:%Y-%m-%d %H:%M}" if isinstance(value, datetime) else f"{value:%Y-%m-%d}"


def to_csv(plan: Plan) -> str:
    """Return the plan's events as CSV text with a header row (CRLF rows, as RFC 4180 says)."""
    zone = plan.request.tz if plan.request.time is not None else ""
    out = io.StringIO()
    writer = safe_writer(out)
    writer.writerow(COLUMNS)
    for e in plan.events:
        writer.writerow(
            [
                e.uid,
                e.kind,
                e.title,
                _cell(e.start),
                _cell(e.end if not e.all_day else e.last_day),
                "TRUE" if e.all_day else "FALSE",
                zone if not e.all_day else "",
                "" if e.day is None else e.day,
                "" if e.dose_number is None else e.dose_number,
                wording.event_dose(e),
                e.route,
                e.status,
                "" if e.shifted_from is None else _cell(e.shifted_from),
                wording.event_reason(e),
                wording.event_conflict(e),
                "TRUE" if e.unconfirmed else "FALSE",
                "TRUE" if e.beyond_label else "FALSE",
                e.audience,
                "\n".join(fact_words.patient_notes(e.facts)),
                plan.plan_id,
            ]
        )
    return out.getvalue()


def render(plan: Plan, view: View) -> Rendered:
    """Return the plan as CSV (the `csv` format); a file starts with a UTF-8 mark so Excel reads ², × and ⁹."""
    data = to_csv(plan).encode("utf-8")
    return Rendered(codecs.BOM_UTF8 + data if view.to_file else data)


def owner(data: bytes) -> str | None:
    """Return the plan id of a CSV file txcal wrote ("" when it has no events), or None for any other file."""
    text = data.decode("utf-8", errors="replace").removeprefix("\ufeff")
    rows = csv.reader(io.StringIO(text))
    header = next(rows, None)
    if header not in (list(COLUMNS), list(_EARLIER)):
        return None
    first = next(rows, None)
    return first[-1] if first and len(first) == len(header) else ""
