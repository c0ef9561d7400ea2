"""The chair load as text, CSV and shaded month grids (scheduler.app.chair_load counts it)."""

from __future__ import annotations

import io
import textwrap
from datetime import date

from scheduler.model import Load
from scheduler.wording import plural
from scheduler.writers.csv import safe_writer
from scheduler.writers.table import fit_table
from scheduler.writers.terminal import Mark, month_grids, paint

# Busy-day shading for the month view: share of capacity (or of the busiest day) up to each bound.
SHADES = ((0.5, "░", "32"), (0.8, "▒", "33"), (1.0, "▓", "31"), (float("inf"), "█", "1;31"))

_COLUMNS = ("dose", "chemotherapy", "infusion", "collection", "monitoring")


def _use(load: Load, day: date) -> str:
    if load.capacity is None:
        return ""
    return f"{100 * load.days[day].chair_minutes / load.capacity:.0f}%"


def render_table(load: Load, width: int = 80) -> str:
    """Return the load as a terminal table: a row a day, over-capacity days flagged."""
    header = ["DATE", "DAY", "VISITS", "DOSE", "CHEMO", "INFUS", "COLL", "MON", "MINUTES", "USE", ""]
    rows = [header]
    for day in sorted(load.days):
        d = load.days[day]
        minutes = f"{d.chair_minutes}" + ("+?" if d.unknown_minutes else "")
        rows.append(
            [f"{day}", f"{day:%a}", f"{sum(d.visits.values())}", *(f"{d.visits[k]}" for k in _COLUMNS),
             minutes, _use(load, day), "OVER" if load.over(day) else ""]
        )  # fmt: skip
    lines = fit_table(rows, width, right=range(2, len(header)))
    key = "INFUS infusion, COLL T-cell collection, MON monitoring, MINUTES chair minutes, USE share of capacity"
    return "\n".join([*lines, "", *textwrap.wrap(key, width), *textwrap.wrap(summary(load), width)]) + "\n"


def summary(load: Load) -> str:
    """Return one line: days, busiest day, days over capacity."""
    if not load.days:
        return "No visits in this range."
    busiest = max(load.days, key=lambda d: load.days[d].chair_minutes)
    text = f"{plural(len(load.days), 'day')} with visits; busiest {busiest} ({load.days[busiest].chair_minutes} chair minutes)"
    if load.capacity is not None:
        over = sum(1 for d in load.days if load.over(d))
        text += f"; capacity {load.capacity} chair minutes a day; {plural(over, 'day')} over"
    if any(d.unknown_minutes for d in load.days.values()):
        text += "; +? marks all-day visits of unknown length, not counted"
    return text + "."


def to_csv(load: Load) -> str:
    """Return the load as CSV: a row a day, dates as spreadsheets read them."""
    out = io.StringIO()
    writer = safe_writer(out)
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
    busiest = max((d.chair_minutes for d in load.days.values()), default=0)
    # Shares of capacity when some day reaches half of it; else of the busiest day, so days still differ.
    by_capacity = load.capacity is not None and busiest >= load.capacity / 2
    scale = (load.capacity if by_capacity else busiest) or 1
    marks: dict[date, Mark] = {}
    for day, d in load.days.items():
        share = d.chair_minutes / scale
        symbol, code = next((s, c) for bound, s, c in SHADES if share <= bound)
        marks[day] = (symbol, code)
    basis = "of capacity" if by_capacity else "of the busiest day"
    legend = "  ".join(
        paint(f"{s} {label}", c, color)
        for (_, s, c), label in zip(SHADES, ["up to 50%", "50-80%", "80-100%", "over 100%"], strict=True)
    )
    return (
        "\n".join(
            [*month_grids(marks, today, width, color), "", f"{legend} ({basis})", *textwrap.wrap(summary(load), width)]
        )
        + "\n"
    )
