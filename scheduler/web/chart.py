"""The chair chart's geometry: where each block, shaded span, hour line and nurse count sits in the SVG.

Worked out here once (a template's arithmetic per block costs more, at 400 visits); the template only writes it.
SVG attributes, not style attributes: the strict Content-Security-Policy allows no inline styles.
"""

from __future__ import annotations

from dataclasses import dataclass

from scheduler.app.coordinator import DayChart
from scheduler.model import NURSE_WINDOW, clock_text

SCALE = 1.6  # pixels a minute
LEFT = 100  # the chairs' names
ROW = 26
TOP = 22


@dataclass(frozen=True)
class Shape:
    x: float
    y: float
    width: float
    label: str = ""
    title: str = ""
    kind: str = ""


@dataclass(frozen=True)
class Drawing:
    width: int
    height: int
    lanes: list[Shape]  # y of each row's label and line
    hours: list[Shape]
    shut: list[Shape]
    blocks: list[Shape]
    starts: list[Shape]
    nurse_y: int
    row: int = ROW
    top: int = TOP
    left: int = LEFT


def draw(chart: DayChart) -> Drawing:
    """Return the chart's shapes, in pixels."""

    def x(minute: int) -> float:
        return LEFT + (minute - chart.opens) * SCALE

    rows = chart.chairs + 1
    width = int(x(chart.closes)) + 40
    nurse_y = TOP + rows * ROW + 8
    height = nurse_y + (ROW + 8 if chart.starts else 0)
    lanes = [
        Shape(0, TOP + (n - 1) * ROW, width, f"Chair {n}" if n <= chart.chairs else "No chair")
        for n in range(1, rows + 1)
    ]
    hours = [Shape(x(hour), TOP, 0, clock_text(hour)) for hour in range(chart.opens, chart.closes + 1, 60)]
    if chart.closed or chart.hours is None:
        shut = [Shape(x(chart.opens), TOP, x(chart.closes) - x(chart.opens))]
    else:
        spans = [(chart.opens, chart.hours[0]), (chart.hours[1], chart.closes)]
        shut = [Shape(x(a), TOP, x(b) - x(a)) for a, b in spans if b > a]
    blocks = []
    for b in chart.blocks:
        lane = (b.chair or rows) - 1
        title = f"{clock_text(b.start)}-{clock_text(b.start + b.minutes)} {b.patient}: {b.what}"
        kind = b.kind + ("" if b.chair else " unseated")
        blocks.append(
            Shape(x(b.start), TOP + lane * ROW, max(b.minutes * SCALE - 1, 2), f"{b.patient} · {b.kind}", title, kind)
        )
    over = chart.nurse_starts
    starts = [
        Shape(x(quarter), nurse_y, NURSE_WINDOW * SCALE - 1, str(count), kind="over" if over and count > over else "")
        for quarter, count in chart.starts
        if count
    ]
    return Drawing(width, height, lanes, hours, shut, blocks, starts, nurse_y)
