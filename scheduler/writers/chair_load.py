"""The chair load as text, CSV, shaded month grids and a day's chart of chairs in use (scheduler.app.load counts it)."""

from __future__ import annotations

import io
import textwrap
from datetime import date

from scheduler.clinic_model import Load
from scheduler.model import clock_text
from scheduler.wording import plural
from scheduler.writers.csv import safe_writer
from scheduler.writers.table import fit_table
from scheduler.writers.terminal import Mark, month_grids, paint

# Busy-day shading for the month view: share of capacity (or of the busiest day) up to each bound.
SHADES = ((0.5, "░", "32"), (0.8, "▒", "33"), (1.0, "▓", "31"), (float("inf"), "█", "1;31"))

_COLUMNS = ("dose", "chemotherapy", "infusion", "collection", "monitoring")


def _use(load: Load, day: date) -> str:
    capacity = load.capacity_on(day)
    if capacity is None:
        return ""
    if not capacity:
        return "closed"
    return f"{100 * load.days[day].chair_minutes / capacity:.0f}%"


def render_table(load: Load, width: int = 80) -> str:
    """Return the load as a terminal table: a row a day, days over capacity or over the chairs flagged."""
    header = ["DATE", "DAY", "PAT", "VISITS", "DOSE", "CHEMO", "INFUS", "COLL", "MON", "MINUTES", "USE", "PEAK", ""]
    rows = [header]
    for day in sorted(load.days):
        d = load.days[day]
        minutes = f"{d.chair_minutes}" + ("+?" if d.unknown_minutes else "")
        peak = f"{d.peak_chairs}" + ("" if load.chairs is None else f"/{load.chairs}")
        rows.append(
            [
                f"{day}",
                f"{day:%a}",
                f"{len(d.patients)}",
                f"{sum(d.visits.values())}",
                *(f"{d.visits[k]}" for k in _COLUMNS),
                minutes,
                _use(load, day),
                peak,
                "OVER" if load.over(day) else "",
            ]
        )
    lines = fit_table(rows, width, right=range(2, len(header)))
    key = (
        "PAT patients, INFUS infusion, COLL T-cell collection, MON monitoring, MINUTES chair minutes, "
        "USE share of capacity, PEAK most chairs in use at once (of the chairs)"
    )
    return "\n".join([*lines, "", *textwrap.wrap(key, width), *textwrap.wrap(summary(load), width)]) + "\n"


def summary(load: Load) -> str:
    """Return one line: days, busiest day, days over capacity."""
    if not load.days:
        return "No visits in this range."
    busiest = max(load.days, key=lambda d: load.days[d].chair_minutes)
    text = f"{plural(len(load.days), 'day')} with visits; busiest {busiest} ({load.days[busiest].chair_minutes} chair minutes)"
    if load.capacity is not None:
        text += f"; capacity {load.capacity} chair minutes a day"
    if load.chairs is not None:
        over = sum(1 for d in load.days if load.over(d))
        crowded = sum(1 for d in load.days.values() if d.peak_chairs > load.chairs)
        text += f"; {plural(over, 'day')} over ({crowded} with more patients in chairs at once than the {plural(load.chairs, 'chair')})"
    outside = sum(d.outside_hours for d in load.days.values())
    if outside:
        text += f"; {plural(outside, 'visit')} outside opening hours"
    if any(d.unknown_minutes for d in load.days.values()):
        text += "; +? marks all-day visits of unknown length, not counted"
    return text + "."


def to_csv(load: Load) -> str:
    """Return the load as CSV: a row a day, dates as spreadsheets read them."""
    out = io.StringIO()
    writer = safe_writer(out)
    writer.writerow(
        [
            "date",
            "patients",
            "visits",
            *_COLUMNS,
            "chair_minutes",
            "unknown_length_visits",
            "peak_chairs",
            "chairs",
            "capacity",
            "over",
            "closed",
            "nurse_over",
            "outside_hours",
        ]
    )
    for day in sorted(load.days):
        d = load.days[day]
        capacity = load.capacity_on(day)
        writer.writerow(
            [
                f"{day}",
                len(d.patients),
                sum(d.visits.values()),
                *(d.visits[k] for k in _COLUMNS),
                d.chair_minutes,
                d.unknown_minutes,
                d.peak_chairs,
                "" if load.chairs is None else load.chairs,
                "" if capacity is None else capacity,
                "TRUE" if load.over(day) else "FALSE",
                load.closed(day),
                load.nurse_over(day),
                d.outside_hours,
            ]
        )
    return out.getvalue()


def render_months(load: Load, today: date, width: int = 80, color: bool = False) -> str:
    """Return month grids shading each day by its chair minutes: of capacity, or of the busiest day."""
    busiest = max((d.chair_minutes for d in load.days.values()), default=0)
    # Shares of capacity when some day reaches half of it; else of the busiest day, so days still differ.
    by_capacity = load.capacity is not None and busiest >= load.capacity / 2
    scale = (load.capacity if by_capacity else busiest) or 1
    marks: dict[date, Mark] = {}
    for day, d in load.days.items():
        share = d.chair_minutes / scale
        symbol, code = next((s, c) for bound, s, c in SHADES if share <= bound)
        marks[day] = ("×", "1;31") if load.closed(day) else (symbol, code)
    basis = "of capacity" if by_capacity else "of the busiest day"
    legend = "  ".join(
        paint(f"{s} {label}", c, color)
        for (_, s, c), label in zip(SHADES, ["up to 50%", "50-80%", "80-100%", "over 100%"], strict=True)
    ) + ("  " + paint("× visits on a closed day", "1;31", color) if any(load.closed(d) for d in load.days) else "")
    return (
        "\n".join(
            [*month_grids(marks, today, width, color), "", f"{legend} ({basis})", *textwrap.wrap(summary(load), width)]
        )
        + "\n"
    )


def in_use(load: Load, day: date, first: int, last: int, step: int) -> list[tuple[int, int]]:
    """Return (minute, most chairs in use during [minute, minute + step)) from `first` to `last`."""
    steps = load.days[day].in_chairs() if day in load.days else []
    used, index, slots = 0, 0, []
    for minute in range(first, last, step):
        while index < len(steps) and steps[index][0] <= minute:  # the chairs taken when the slot begins
            used += steps[index][1]
            index += 1
        most = used
        while index < len(steps) and steps[index][0] < minute + step:  # and any taken during it
            used += steps[index][1]
            most = max(most, used)
            index += 1
        slots.append((minute, most))
    return slots


def render_chart(load: Load, day: date, hours: tuple[int, int], width: int = 80, color: bool = False) -> str:
    """Return a day's chairs in use through opening hours, a bar each half hour, the chairs marked."""
    d = load.days.get(day)
    first, last = hours
    if d is not None and d.spans:  # visits outside the opening hours are shown too
        first = min(first, min(start for _, start, _ in d.spans) // 30 * 30)
        last = max(last, max(end for _, _, end in d.spans))
    chairs = load.chairs
    title = f"Chairs in use on {day:%a} {day} ({'no chair count given' if chairs is None else plural(chairs, 'chair')})"
    lines = [title, ""]
    slots = in_use(load, day, first, last, 30)
    scale = max(1, min(4, (width - 16) // max(chairs or 1, max((n for _, n in slots), default=1))))
    for minute, used in slots:
        over = chairs is not None and used > chairs
        bar = "█" * min(used, chairs if chairs is not None else used) * scale
        extra = "▓" * (used - chairs) * scale if over and chairs is not None else ""  # the patients without a chair
        label = clock_text(minute)
        lines.append(f"{label}  {bar}{paint(extra, '1;31', color)} {used}" + ("  OVER" if over else ""))
    if d is None:
        lines += ["", "No chair visits that day."]
    else:
        lines += [
            "",
            f"{plural(len(d.patients), 'patient')}, {d.chair_minutes} chair minutes, at most {d.peak_chairs} at once.",
        ]
    return "\n".join(lines) + "\n"
