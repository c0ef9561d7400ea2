"""Plans as terminal text: a timeline grouped by month, and month grids like `cal`.

Returns strings; colour is ANSI and only when the caller asks (a terminal, NO_COLOR unset).
"""

from __future__ import annotations

import calendar
import re
import textwrap
from collections.abc import Iterable
from datetime import date, datetime, timedelta

from scheduler import wording
from scheduler.model import Plan, PlannedEvent
from scheduler.view_wording import plan_heading, plan_summary, relative_day
from scheduler.wording import DISCLAIMER, UNCONFIRMED_MARK, day_label, status_label
from scheduler.writers.registry import Rendered, View

# ANSI colours per event kind (SGR codes).
KIND_COLORS = {
    "dose": "32",
    "infusion": "1;32",
    "collection": "36",
    "chemotherapy": "35",
    "premedication": "33",
    "monitoring": "34",
    "milestone": "1;33",
    "watch": "2",
}
# Month-grid marks, the first of a day's kinds in this order wins.
KIND_MARKS = {
    "infusion": "I",
    "dose": "D",
    "chemotherapy": "X",
    "collection": "C",
    "premedication": "P",
    "monitoring": "M",
    "milestone": "!",
    "watch": "~",
}
_CELL = 4  # a month-grid day: " 15I"
_DAY_NAMES = ("Mo", "Tu", "We", "Th", "Fr", "Sa", "Su")


def paint(text: str, code: str, color: bool) -> str:
    """Return text in an ANSI colour when color is on."""
    return f"\x1b[{code}m{text}\x1b[0m" if color and code else text


def event_label(event: PlannedEvent) -> str:
    """Return the short label of an event: "dose 3", "Day -7", or nothing."""
    if event.dose_number is not None:
        return f"dose {event.dose_number}"
    if event.day is not None:
        return day_label(event.day)
    return ""


def situation(event: PlannedEvent) -> list[str]:
    """Return what changed about an event, for the line under it: moved, given, held, conflict."""
    remarks = []
    if wording.event_reason(event):
        remarks.append(wording.event_reason(event))
    if wording.event_conflict(event):
        remarks.append(f"! conflict: {wording.event_conflict(event)}")
    return remarks


_SHORTEST_NAME = 16  # a title shortened below this says too little: the dose goes below it instead


def _fit(text: str, width: int) -> str:
    return text if len(text) <= width else text[: max(width - 1, 0)] + "…"


def _closing(plan: Plan, width: int) -> list[str]:
    lines = ["", *textwrap.wrap(plan_summary(plan), width), *textwrap.wrap(wording.horizon_text(plan.reach), width)]
    if any(e.unconfirmed for e in plan.events):
        lines.extend(textwrap.wrap(UNCONFIRMED_MARK, width))
    lines.extend(textwrap.wrap(DISCLAIMER, width))
    return lines


def render_timeline(plan: Plan, today: date, width: int = 80, color: bool = False, relative: bool = True) -> str:
    """Return the plan as a timeline grouped by month, marking today and what lies ahead.

    Args:
        plan: the plan (possibly a selection of its events).
        today: the day to count from ("in 5 days").
        width: the columns to fit; titles are shortened with "…" to fit.
        color: colour kinds with ANSI codes.
        relative: say "in 5 days" (on a terminal; a page kept or printed says dates only).

    A title may be shortened to fit; the dose, its unit, the route, the pathway day and the "not
    confirmed" mark never are: when they do not fit beside the title, they go on the next line.
    """
    lines = textwrap.wrap(plain(plan_heading(plan)), width)
    if plan.request.patient:
        lines.append(f"Patient: {plain(plan.request.patient)}")
    month: tuple[int, int] | None = None
    marked = False
    today_line = paint(f"  ── today, {today:%a %d %b %Y} ──", "7", color)
    times = [f"{e.start:%H:%M}" if isinstance(e.start, datetime) else "all day" for e in plan.events]
    # Columns as wide as this plan needs them; a plan with no times has no time column.
    time_width = 0 if all(t == "all day" for t in times) else max(map(len, times))
    label_width = max((len(event_label(e)) for e in plan.events), default=0)
    for event, when in zip(plan.events, times, strict=True):
        day = event.first_day
        if not marked and day >= today and (day.year, day.month) != (today.year, today.month):
            lines += ["", today_line]
            marked = True
        if (day.year, day.month) != month:
            month = (day.year, day.month)
            lines += ["", f"{day:%B %Y}"]
        if not marked and day >= today:
            lines.append(today_line)
            marked = True
        ahead = relative_day(day, today) if relative else ""
        columns = [f"  {day:%a %d} "]
        if time_width:
            columns.append(f"{when:<{time_width}}")
        if label_width:
            columns.append(f"{event_label(event):<{label_width}}")
        lead = " ".join(columns) + " "
        room = width - len(lead) - (len(ahead) + 1 if ahead else 0)
        indent = " " * len(lead)
        # What must never be cut: the dose with its unit and route, and the mark of an unconfirmed fact.
        dose = plain(f"{wording.event_dose(event)} {event.route}".strip()) if wording.event_dose(event) else ""
        tail = (f"  {dose}" if dose else "") + (" *" if event.unconfirmed else "")
        label = status_label(event)
        name = (f"{label}: " if label else "") + plain(event.name)
        if len(name) + len(tail) <= room or len(tail) <= room - _SHORTEST_NAME:
            what, below = _fit(name, room - len(tail)) + tail, ""
        else:  # the dose does not fit beside the title: the title stays whole, the dose goes below
            what, below = _fit(name, room), tail.strip()
        gap = " " * (room - len(what) + 1) if ahead else ""
        lines.append((lead + paint(what, KIND_COLORS.get(event.kind, ""), color) + gap + ahead).rstrip())
        if below:
            lines.extend(textwrap.wrap(below, width, initial_indent=indent, subsequent_indent=indent))
        for remark in map(plain, situation(event)):
            code = "1;31" if remark.startswith("!") else "3"
            lines.extend(
                paint(part, code, color)
                for part in textwrap.wrap(remark, width, initial_indent=indent, subsequent_indent=indent)
            )
    if not marked:
        lines += ["", today_line]
    return "\n".join([*lines, *_closing(plan, width)]) + "\n"


def _marks(events: Iterable[PlannedEvent]) -> dict[date, str]:
    """Return, per day, the kind that marks it in the month grid (spans mark every day they cover)."""
    kinds: dict[date, set[str]] = {}
    for event in events:
        day = event.first_day
        while day <= event.last_day:
            kinds.setdefault(day, set()).add(event.kind)
            day += timedelta(days=1)
    order = list(KIND_MARKS)
    return {day: min(found, key=order.index) for day, found in kinds.items()}


Mark = tuple[str, str]  # (one character, ANSI colour code) shown beside a day number


def _month_grid(year: int, month: int, marks: dict[date, Mark], today: date, color: bool) -> list[str]:
    rows = [
        f"{calendar.month_name[month]} {year}".center(7 * _CELL).rstrip(),
        "".join(f"{d:>3} " for d in _DAY_NAMES).rstrip(),
    ]
    for week in calendar.Calendar().monthdayscalendar(year, month):
        cells = []
        for number in week:
            if number == 0:
                cells.append(" " * _CELL)
                continue
            day = date(year, month, number)
            symbol, code = marks.get(day, (" ", ""))
            if day == today:
                code = f"{code};7" if code else "7"
            cells.append(paint(f"{number:>3}{symbol}", code, color))
        rows.append("".join(cells).rstrip())
    return rows


def _visible(text: str) -> int:
    """Return the printed width of text that may hold ANSI codes."""
    width, skipping = 0, False
    for char in text:
        if char == "\x1b":
            skipping = True
        elif skipping and char == "m":
            skipping = False
        elif not skipping:
            width += 1
    return width


def month_grids(marks: dict[date, Mark], today: date, width: int, color: bool) -> list[str]:
    """Return calendar grids like `cal` for every month from the first to the last marked day.

    Three months stand side by side when the width allows (88 columns), else fewer.
    """
    if not marks:
        return []
    first, last = min(marks), max(marks)
    months = []
    year, month = first.year, first.month
    while (year, month) <= (last.year, last.month):
        months.append(_month_grid(year, month, marks, today, color))
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    per_row = max(1, min(3, (width + 2) // (7 * _CELL + 2)))
    lines = []
    for start in range(0, len(months), per_row):
        group = months[start : start + per_row]
        lines.append("")
        for row in range(max(len(g) for g in group)):
            cells = [g[row] if row < len(g) else "" for g in group]
            padded = [c + " " * (7 * _CELL - _visible(c)) for c in cells[:-1]] + cells[-1:]
            lines.append("  ".join(padded).rstrip())
    return lines


def render_months(plan: Plan, today: date, width: int = 80, color: bool = False) -> str:
    """Return month grids for every month the plan touches, with marked days and a legend."""
    kinds = _marks(plan.events)
    lines = textwrap.wrap(plan_heading(plan), width)
    lines += month_grids({day: (KIND_MARKS[k], KIND_COLORS[k]) for day, k in kinds.items()}, today, width, color)
    if kinds:
        used = [kind for kind in KIND_MARKS if kind in set(kinds.values())]
        legend = "  ".join(paint(f"{KIND_MARKS[k]} {k}", KIND_COLORS[k], color) for k in used)
        lines += ["", legend + ("  (today in reverse video)" if color else "")]
    return "\n".join([*lines, *_closing(plan, width)]) + "\n"


# A text view written to a file ends with this line: the plan it holds, for the output-file policy.
_OWNER = re.compile(r"\(txcal plan ([\w.@-]+)\)\n\Z")


# Control characters in text txcal did not write (a user template's title) would drive the
# terminal (escape sequences); txcal's own colours are added after this.
_CONTROL = re.compile(r"[\x00-\x09\x0b-\x1f\x7f-\x9f]")


def plain(text: str) -> str:
    """Return text without control characters, line breaks kept."""
    return _CONTROL.sub("", text)


def _text(plan: Plan, text: str, view: View) -> Rendered:
    if view.to_file:
        text += f"(txcal plan {plan.plan_id})\n"
    return Rendered(text.encode("utf-8"))


def render(plan: Plan, view: View) -> Rendered:
    """Return the timeline view (the `text` format)."""
    text = render_timeline(plan, view.today, max(view.width, 40), view.color, relative=view.terminal)
    return _text(plan, text, view)


def render_month_view(plan: Plan, view: View) -> Rendered:
    """Return the month-grid view (the `month` format)."""
    return _text(plan, render_months(plan, view.today, max(view.width, 40), view.color), view)


def owner(data: bytes) -> str | None:
    """Return the plan id a text view written by txcal names on its last line, or None."""
    found = _OWNER.search(data[-200:].decode("utf-8", errors="replace"))
    return found.group(1) if found else None
