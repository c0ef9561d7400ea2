"""Levelling a clinic's chairs: each patient's chair visit gets a start time so no moment has more
patients in chairs than the clinic has chairs, and a day that cannot hold them all sends doses to
another open day within their window.

Per day it packs the chair visits onto as few chairs as it can, from the lower bound
ceil(chair minutes / open minutes) up to the clinic's chairs: longest first onto the fullest chair
that still holds each (best fit decreasing), or, when patients have preferences, in the order of
their wishes onto the chair free soonest, whichever fits more and then meets more preferences; one
chair more than the fewest is used only when it meets preferences the fewest cannot. Within a
chair, visits run one after another in the order of the wishes (morning first, then set and
planned times, afternoon last), each as near its wish as the chair's other visits allow. Labs and
the provider visit before the chair (`lead`) and a scan after it (`tail`) stay within opening
hours too. A heuristic, measured against the bound by bench/levelling.py. Deterministic: the same
list gives the same times on every run.
"""

from __future__ import annotations

import bisect
import heapq
import math
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

from scheduler.engine.slots import Rebooking
from scheduler.model import CHAIR_KINDS, Plan, clock_minutes
from scheduler.wording import levelling_summary

NOON = 12 * 60


@dataclass(frozen=True, slots=True)
class Sitting:
    """One patient's chair visit on one day, with what must fit around it."""

    row: int
    patient: str
    day: date
    start: int  # the planned minute of the day the chair visit starts
    minutes: int  # from the first chair event's start to the last one's end
    lead: int = 0  # minutes of the day's visits before the chair (labs, provider, premedication)
    tail: int = 0  # minutes of the day's visits after it (a scan)
    early: int = 0  # days the dose may move earlier or later (its window); pathway days never move
    late: int = 0
    prefer: str | None = None  # morning, afternoon or HH:MM

    def wanted(self, opens: int) -> int:
        """Return the minute the patient would like the chair visit to start: without a preference, as planned."""
        if self.prefer == "afternoon":
            return max(NOON, opens) + self.lead
        if self.prefer == "morning":
            return opens + self.lead
        if self.prefer:
            hour, minute = self.prefer.split(":")
            return int(hour) * 60 + int(minute) + self.lead  # the preferred time is when the patient arrives
        return self.start

    def honoured(self, start: int) -> bool:
        """Return whether a start time meets the preference (always, without one)."""
        arrive = start - self.lead
        if self.prefer == "morning":
            return arrive < NOON
        if self.prefer == "afternoon":
            return arrive >= NOON
        if self.prefer:
            return start == self.wanted(0)
        return True


def sittings(plan: Plan, row: int, patient: str, prefer: str | None) -> list[Sitting]:
    """Return a plan's chair visits, a day at a time (timed and not yet given or held)."""
    days: dict[date, list[tuple[int, int, bool]]] = {}
    movable: set[date] = set()
    for event in plan.events:
        if not isinstance(event.start, datetime) or not isinstance(event.end, datetime) or event.status != "planned":
            continue
        if event.audience != "patient" or (not event.location and event.kind not in CHAIR_KINDS):
            continue  # a clinic task, or somewhere else than the clinic
        end = clock_minutes(event.end.time()) if event.end.date() == event.start.date() else 24 * 60
        days.setdefault(event.first_day, []).append((clock_minutes(event.start.time()), end, event.kind in CHAIR_KINDS))
        if event.kind == "dose":
            movable.add(event.first_day)
    window = plan.request.window or (plan.request.schedule.window if plan.request.schedule else None)
    found = []
    for day, spans in sorted(days.items()):
        chair = [(s, e) for s, e, in_chair in spans if in_chair]
        if not chair:
            continue
        first, last = min(s for s, _ in chair), max(e for _, e in chair)
        moves = window is not None and day in movable
        found.append(
            Sitting(
                row, patient, day, first, last - first,
                lead=first - min(s for s, _, _ in spans), tail=max(e for _, e, _ in spans) - last,
                early=window.early if moves and window else 0, late=window.late if moves and window else 0,
                prefer=prefer,
            )
        )  # fmt: skip
    return found


@dataclass
class DayResult:
    """How a day was levelled: chairs used, its lower bound, and when each visit sits (chair, start)."""

    bound: int
    chairs_used: int
    placed: dict[Sitting, tuple[int, int]] = field(default_factory=dict)


def lower_bound(minutes: int, open_minutes: int) -> int:
    """Return the fewest chairs any schedule needs for a day: its chair minutes over its open minutes."""
    return math.ceil(minutes / open_minutes) if open_minutes > 0 else 0


def _longest_first(job: Sitting) -> tuple[int, int, date]:
    return -job.minutes - job.lead, job.row, job.day


Packing = tuple[list[list[Sitting]], list[Sitting]]  # the visits on each chair, and those that fit on none


def _pack_tightest(jobs: list[Sitting], chairs: int, opens: int, closes: int) -> Packing:
    """Put jobs on chairs longest first, each on the fullest chair that still holds it (best fit decreasing).

    Fills chairs one by one, so a day fits on as few chairs as this can find.
    """
    free = [(opens, chair) for chair in range(chairs)]  # sorted: when each chair is free again
    lanes: list[list[Sitting]] = [[] for _ in range(chairs)]
    left = []
    for job in sorted(jobs, key=_longest_first):
        latest = closes - job.minutes - job.tail  # the latest it may start
        at = bisect.bisect_right(free, (latest, chairs)) - 1
        if at < 0 or opens + job.lead > latest:
            left.append(job)
            continue
        soonest, chair = free.pop(at)
        lanes[chair].append(job)
        bisect.insort(free, (max(soonest, opens + job.lead) + job.minutes, chair))
    return lanes, left


def _pack_by_wish(jobs: list[Sitting], chairs: int, opens: int, closes: int) -> Packing:
    """Put jobs on chairs in the order of the patients' wishes, each on the chair free soonest."""
    free = [(opens, chair) for chair in range(chairs)]  # a heap: the chair free soonest first
    lanes: list[list[Sitting]] = [[] for _ in range(chairs)]
    left = []
    for job in sorted(jobs, key=_preference_order):
        soonest, chair = free[0]
        start = max(soonest, opens + job.lead)
        if start + job.minutes + job.tail > closes:
            left.append(job)
            continue
        lanes[chair].append(job)
        heapq.heapreplace(free, (start + job.minutes, chair))
    return lanes, left


def _preference_order(job: Sitting) -> tuple[int, int, int]:
    """Morning first, then set times and the planned times in time order, afternoon last."""
    rank = {"morning": 0, "afternoon": 2}.get(job.prefer or "", 1)
    return rank, job.wanted(0) if rank == 1 else 0, job.row


def _times(lane: list[Sitting], opens: int, closes: int) -> list[int] | None:
    """Return start times for a chair's visits in preference order, each as near its wish as the others allow."""
    lane.sort(key=_preference_order)
    latest = [0] * len(lane)
    bound = closes
    for i in range(len(lane) - 1, -1, -1):  # the latest each may start and still leave room for those after it
        bound = min(bound, closes - lane[i].tail) - lane[i].minutes
        latest[i] = bound
    starts, free = [], opens
    for job, last in zip(lane, latest, strict=True):
        earliest = max(free, opens + job.lead)
        if earliest > last:
            return None
        start = min(max(job.wanted(opens), earliest), last)
        starts.append(start)
        free = start + job.minutes
    return starts


def _timed(lanes: list[list[Sitting]], used: int, opens: int, closes: int, bound: int) -> DayResult:
    """Return the day with a start for each visit of each chair."""
    result = DayResult(bound, used)
    for chair, lane in enumerate(lanes):
        starts = _times(lane, opens, closes)
        if starts is None:  # preferences could not be met in this order: keep the packed order
            starts = _times_packed(lane, opens)
        result.placed.update({job: (chair, start) for job, start in zip(lane, starts, strict=True)})
    return result


def _met(result: DayResult) -> int:
    return sum(job.honoured(start) for job, (_, start) in result.placed.items())


def level_day(jobs: list[Sitting], chairs: int, opens: int, closes: int) -> tuple[DayResult, list[Sitting]]:
    """Level one day on as few chairs as it can; return the result and the visits that fit on no chair.

    The fewest chairs that hold the day are used, or one more when it meets preferences the
    fewest cannot: a levelled day stays within its lower bound plus one.
    """
    bound = lower_bound(sum(j.minutes for j in jobs), closes - opens)
    preferences = any(job.prefer for job in jobs)
    fewest: tuple[DayResult, list[Sitting]] | None = None
    for used in range(min(max(bound, 1), chairs), chairs + 1):
        # Packed tightest (fits the most) or, in the order of the patients' wishes, each at most once.
        tight = _pack_tightest(jobs, used, opens, closes)
        wished = _pack_by_wish(jobs, used, opens, closes) if tight[1] or preferences else None
        if used < chairs and tight[1] and wished is not None and wished[1]:
            continue  # the day does not fit on so few chairs
        result, left = _timed(tight[0], used, opens, closes, bound), tight[1]
        if preferences and wished is not None and len(wished[1]) <= len(left):
            other = _timed(wished[0], used, opens, closes, bound)
            if len(wished[1]) < len(left) or _met(other) > _met(result):
                result, left = other, wished[1]
        if fewest is None:
            fewest = (result, left)
            if left or used == chairs or used > bound or _met(result) == len(result.placed):
                return fewest
            continue  # one more chair, still within the bound plus one, may meet the preferences
        return (result, left) if not left and _met(result) > _met(fewest[0]) else fewest
    assert fewest is not None  # the loop always reaches the clinic's chairs
    return fewest


def _times_packed(lane: list[Sitting], opens: int) -> list[int]:
    lane.sort(key=_longest_first)
    starts, free = [], opens
    for job in lane:
        starts.append(max(free, opens + job.lead))
        free = starts[-1] + job.minutes
    return starts


@dataclass
class Levelling:
    """A levelled clinic: the rebooked days by row, what fits nowhere, and each day's result."""

    rebookings: dict[int, list[Rebooking]] = field(default_factory=dict)
    unfit: list[Sitting] = field(default_factory=list)
    days: dict[date, DayResult] = field(default_factory=dict)
    moved: list[tuple[Sitting, date]] = field(default_factory=list)
    honoured: int = 0
    preferences: int = 0

    def summary(self) -> str:
        """Return what levelling did, in a sentence for the coordinator."""
        return levelling_summary(
            sum(len(d.placed) for d in self.days.values()),
            sum(1 for d in self.days.values() if d.placed),
            sum(len(r) for r in self.rebookings.values()),
            len(self.moved),
            len(self.unfit),
            self.honoured,
            self.preferences,
        )


def _clock(minute: int) -> time:
    return time(minute // 60, minute % 60)


def level(found: Iterable[Sitting], chairs: int, hours: Callable[[date], tuple[int, int] | None]) -> Levelling:
    """Level every day of a clinic; a visit its day cannot hold moves to the nearest open day within its window.

    Args:
        found: every patient's chair visits.
        chairs: the clinic's chairs.
        hours: a day's opening and closing minute, or None when the clinic is closed that day
            (its profile's hours, weekends, holidays and closures).
    """
    pending: dict[date, list[Sitting]] = {}
    for sitting in found:
        pending.setdefault(sitting.day, []).append(sitting)
    result = Levelling()
    moved_to: dict[Sitting, date] = {}
    done: set[date] = set()
    while pending:
        day = min(pending)
        jobs = pending.pop(day)
        span = hours(day)
        if span is None:
            continue  # the clinic is closed: the visits stay as planned, each plan's conflict says so
        placed, left = level_day(jobs, chairs, *span)
        result.days[day] = placed
        done.add(day)
        for job in left:
            target = _another_day(job, moved_to.get(job, job.day), pending, result, chairs, hours, done)
            if target is None:
                result.unfit.append(job)
            else:
                moved_to[job] = target
    for day, placed in result.days.items():
        for job, (_, start) in placed.placed.items():
            if job.prefer:
                result.preferences += 1
                result.honoured += job.honoured(start)
            if (day, start) == (job.day, job.start):
                continue
            if day != job.day:
                result.moved.append((job, day))
            result.rebookings.setdefault(job.row, []).append(Rebooking(job.day, day, _clock(start), _clock(job.start)))
    return result


def _another_day(
    job: Sitting,
    day: date,
    pending: dict[date, list[Sitting]],
    result: Levelling,
    chairs: int,
    hours: Callable[[date], tuple[int, int] | None],
    done: set[date],
) -> date | None:
    """Return the open day nearest the planned one, within the window, that takes the visit (later days first)."""
    near = [job.day + timedelta(days=n) for n in range(1, job.late + 1)]
    near += [job.day - timedelta(days=n) for n in range(1, job.early + 1)]
    for candidate in sorted(near, key=lambda d: (abs((d - job.day).days), d < job.day)):
        span = hours(candidate)
        if candidate == day or span is None:
            continue
        if candidate not in done:  # levelled when its turn comes
            pending.setdefault(candidate, []).append(job)
            return candidate
        jobs = [*result.days[candidate].placed, job]
        placed, left = level_day(jobs, chairs, *span)
        if not left:
            result.days[candidate] = placed
            return candidate
    return None
