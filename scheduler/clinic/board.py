"""A day's chairs, for levelling and for moves: a patient's chair visit (Sitting) and the day's board
(which chair is free when, the nearest start that fits, the nurse's starts)."""

from __future__ import annotations

import bisect
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import date

from scheduler.model import NURSE_WINDOW

NOON = 12 * 60


@dataclass(frozen=True, slots=True)
class Sitting:
    """One patient's chair visit on one day, with what must fit around it."""

    row: int
    patient: str
    day: date
    start: int  # the planned minute of the day the chair visit starts
    minutes: int  # from the first chair event's start to the last one's end
    lead: int = 0  # minutes of the day's visits before the chair (labs, provider, premedication, waiting)
    tail: int = 0  # minutes of the day's visits after it (a scan)
    early: int = 0  # days the dose may move earlier or later (its window); pathway days never move
    late: int = 0
    prefer: str | None = None  # morning, afternoon or HH:MM
    fixed: tuple[date, int | None, int] | None = None  # a booked visit: its day, chair and start, kept as they are
    rebook: bool = False  # a booked visit levelling may re-time (--relevel) where that lowers the day's score

    @property
    def levelled(self) -> bool:
        """Return whether levelling places this visit this run (booked visits and the past are kept as they are)."""
        return self.fixed is None or self.rebook

    def window(self, opens: int) -> tuple[int, int]:
        """Return the earliest and latest chair start that keep the request (one minute for a set time)."""
        if self.prefer == "morning":
            return opens + self.lead, NOON - 1 + self.lead  # the patient arrives before noon
        if self.prefer == "afternoon":
            return max(NOON, opens) + self.lead, 24 * 60
        if self.prefer:
            hour, minute = self.prefer.split(":")
            wanted = int(hour) * 60 + int(minute) + self.lead  # the preferred time is when the patient arrives
            return wanted, wanted
        return self.start, self.start

    def asked(self, opens: int) -> int:
        """Return the chair start the patient asked for: the planned time, within the preferred part of the day."""
        first, last = self.window(opens)
        return min(max(self.start, first), last)

    def off_by(self, start: int, opens: int) -> int:
        """Return how many minutes a chair start is from the request (0: the request is kept)."""
        first, last = self.window(opens)
        return first - start if start < first else start - last if start > last else 0


class Board:
    """One day's chairs as levelling fills them: each chair's busy spans and every chair start."""

    def __init__(self, chairs: int, opens: int, closes: int, nurse_starts: int | None = None) -> None:
        self.opens, self.closes, self.nurse_starts = opens, closes, nurse_starts
        self.lanes: list[list[tuple[int, int]]] = [[] for _ in range(chairs)]
        self.starts: list[int] = []

    def free(self, chair: int, start: int, end: int) -> bool:
        """Return whether a chair is free from start to end."""
        lane = self.lanes[chair]
        at = bisect.bisect_left(lane, (start, start))
        return (at == 0 or lane[at - 1][1] <= start) and (at == len(lane) or lane[at][0] >= end)

    def starts_at_once(self, start: int) -> int:
        """Return the most chair starts in one nurse window that contains `start`, counting it."""
        low = bisect.bisect_right(self.starts, start - NURSE_WINDOW)
        near = self.starts[low : bisect.bisect_left(self.starts, start + NURSE_WINDOW)]
        edges = [s for s in near if s <= start] + [start]
        return max(sum(1 for s in near if edge <= s < edge + NURSE_WINDOW) for edge in edges) + 1

    def nurse_ok(self, start: int) -> bool:
        return self.nurse_starts is None or self.starts_at_once(start) <= self.nurse_starts

    def take(self, chair: int, start: int, minutes: int) -> None:
        bisect.insort(self.lanes[chair], (start, start + minutes))
        bisect.insort(self.starts, start)

    def keep(self, chair: int | None, start: int, minutes: int) -> int | None:
        """Seat a booked visit as it was booked: on its chair (from 0) when that is free, else on the tightest free
        chair. Return the chair it is on, or None when every chair is taken then: it keeps its time without a
        chair (a conflict until someone seats it), never a chair the clinic does not have."""
        if chair is None or chair >= len(self.lanes) or not self.free(chair, start, start + minutes):
            chair = self.tightest(start, start + minutes)
        if chair is not None:
            self.take(chair, start, minutes)
        return chair

    def give_back(self, chair: int, start: int, minutes: int) -> None:
        """Free a chair taken with `take`."""
        self.lanes[chair].remove((start, start + minutes))
        self.starts.remove(start)

    def tightest(self, start: int, end: int) -> int | None:
        """Return the free chair that was busy latest before `start` (best fit), or None when none is free."""
        best: tuple[int, int] | None = None
        for chair, lane in enumerate(self.lanes):
            if self.free(chair, start, end):
                at = bisect.bisect_left(lane, (start, start))
                before = lane[at - 1][1] if at else -1
                if best is None or before > best[0]:
                    best = (before, chair)
        return None if best is None else best[1]

    def nearest(self, job: Sitting, within: int | None = None) -> tuple[int, int] | None:
        """Return the chair and start nearest the job's request that the day can give it, or None (also when
        none is within `within` minutes of the request)."""
        first, last = job.window(self.opens)
        asked = job.asked(self.opens)
        earliest, latest = self.opens + job.lead, self.closes - job.tail - job.minutes

        def rank(start: int) -> tuple[int, bool, int]:  # nearest the request first; later before earlier
            return job.off_by(start, self.opens), start < asked, abs(start - asked)

        best: tuple[tuple[int, bool, int, int], int, int] | None = None
        gaps: set[tuple[int, int]] = set()  # free gaps seen on an earlier chair give nothing better on a later one
        nurses: dict[int, bool] = {}
        for chair, lane in enumerate(self.lanes):
            gap_start = self.opens
            for busy_start, busy_end in [*lane, (self.closes, self.closes)]:
                low, high = max(gap_start, earliest), min(busy_start - job.minutes, latest)
                gap_start = max(gap_start, busy_end)
                if low > high or (low, high) in gaps:
                    continue
                if within is not None and (high < first - within or low > last + within):
                    continue  # every start of the gap is farther than asked for
                gaps.add((low, high))
                for start in self._candidates(low, high, first, last, asked, rank):
                    key = (*rank(start), chair)
                    if (best is not None and key >= best[0]) or (within is not None and key[0] > within):
                        break  # candidates come nearest first
                    if start not in nurses:
                        nurses[start] = self.nurse_ok(start)
                    if nurses[start]:
                        best = (key, chair, start)
                        break
        return None if best is None else (best[1], best[2])

    def _candidates(
        self, low: int, high: int, first: int, last: int, asked: int, rank: Callable[[int], tuple[int, bool, int]]
    ) -> Iterator[int]:
        """Yield the starts worth trying in a free gap, nearest the request first: the nearest point, then (only
        when that one is refused) the points just clear of other starts' nurse windows."""
        if max(low, first) <= min(high, last):
            nearest = min(max(asked, max(low, first)), min(high, last))
        else:
            nearest = low if low > last else high
        yield nearest
        found = set()
        if self.nurse_starts is not None:
            lo = bisect.bisect_left(self.starts, nearest - 4 * NURSE_WINDOW)
            for other in self.starts[lo : bisect.bisect_right(self.starts, nearest + 4 * NURSE_WINDOW)]:
                for start in (other + NURSE_WINDOW, other - NURSE_WINDOW):
                    if low <= start <= high and start != nearest:
                        found.add(start)
        yield from sorted(found, key=rank)
