"""Levelling a clinic's chairs the way a coordinator does: keep the times patients asked for, move the
fewest patients, then the fewest minutes, and never seat more patients than the clinic has chairs.

The objective, in order: the fewest patients away from the time they asked for (a preference,
`morning`, `afternoon` or HH:MM, is what they asked for; without one, the planned time), then the
fewest minutes moved in all, then the smallest largest move. Chairs are a limit, never something
to minimise: a day whose requests all fit moves nobody.

The method, per day (deterministic, no dependency beyond Python):
1. Booked visits (the clinic book's fixed points) take their chair and time first.
2. Keep the most patients at their asked time: visits in order of their chair end, each on the
   free chair that was busy latest before it (best fit). For intervals on identical chairs this
   greedy keeps the most that any schedule can (Carlisle and Lloyd's k-track assignment); booked
   visits, the nurse limit and opening hours make it a heuristic, measured by bench/levelling.py.
3. Every other visit, in order of its asked time, takes the start nearest its request on any
   chair with a free gap (later before earlier at equal distance), within opening hours (the labs
   and provider visit before the chair, `lead`, and a scan after it, `tail`, included) and the
   nurse limit: at most `nurse_starts` chair starts in any 15 minutes.
4. A visit that no chair of its day holds moves to the nearest open day within its dose's window;
   a day levelled already takes it in a free gap without re-timing anyone else.
`scheduler.clinic.exact` solves the same objective exactly with OR-Tools CP-SAT when it is installed.
"""

from __future__ import annotations

import dataclasses
import itertools
from collections.abc import Callable, Iterable
from datetime import date, datetime, time, timedelta

from scheduler.clinic.board import Board, Sitting
from scheduler.clinic.levelled import DayResult, Levelling
from scheduler.clinic.repair import DayRepair, day_score
from scheduler.model import CHAIR_KINDS, Plan, clock_minutes

# Levels one day (jobs, chairs, opens, closes, nurse starts, the day): the result, what fits no chair, the
# day's chairs, and whether the answer is optimal (None: the day was too large for the solver, the default kept).
DaySolver = Callable[
    [list["Sitting"], int, int, int, "int | None", date],
    tuple["DayResult", list["Sitting"], "Board", "bool | None"],
]


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
                row,
                patient,
                day,
                first,
                last - first,
                lead=first - min(s for s, _, _ in spans),
                tail=max(e for _, e, _ in spans) - last,
                early=window.early if moves and window else 0,
                late=window.late if moves and window else 0,
                prefer=prefer,
            )
        )
    return found


def score(day: DayResult, left: list[Sitting]) -> tuple[int, int, int, int, int]:
    """Return a levelled day's objective, lowest best: visits left without a chair, patients moved, minutes, the
    largest move, moves earlier than asked."""
    return day_score(day.placed, left, day.opens)


def lower_bound(minutes: int, open_minutes: int) -> int:
    """Return the fewest chairs any schedule needs for a day: its chair minutes over its open minutes."""
    return -(-minutes // open_minutes) if open_minutes > 0 else 0


def _flexible(job: Sitting) -> bool:
    return job.prefer in ("morning", "afternoon")


def _keep_asked(board: Board, jobs: list[Sitting], placed: dict[Sitting, tuple[int, int]]) -> list[Sitting]:
    """Seat the most jobs at the time they asked for; return the others."""
    rest = []
    for job in sorted(jobs, key=lambda j: (j.asked(board.opens) + j.minutes, j.asked(board.opens), j.row)):
        start = job.asked(board.opens)
        fits_hours = start - job.lead >= board.opens and start + job.minutes + job.tail <= board.closes
        chair = board.tightest(start, start + job.minutes) if fits_hours else None
        if chair is None or not board.nurse_ok(start):
            rest.append(job)
            continue
        board.take(chair, start, job.minutes)
        placed[job] = (chair, start)
    return rest


def _fixed_first(
    board: Board, jobs: list[Sitting], placed: dict[Sitting, tuple[int, int]]
) -> tuple[list[Sitting], list[Sitting]]:
    """Seat the booked jobs at their booked chair and time (a chair found for one booked without); return the
    others, and the booked jobs no chair holds at their time (they keep it, without a chair)."""
    rest, chairless = [], []
    # Visits booked on a chair take it before those booked without one, which take what is free at their time.
    for job in sorted(jobs, key=lambda j: j.fixed is None or j.fixed[1] is None):
        if job.fixed is None:
            rest.append(job)
            continue
        _, chair, start = job.fixed
        if chair is None and (start - job.lead < board.opens or start + job.minutes + job.tail > board.closes):
            chairless.append(job)  # no chair outside opening hours: it stays a conflict, not hidden by a seat
            continue
        kept = board.keep(chair, start, job.minutes)
        if kept is None:
            chairless.append(job)
        else:
            placed[job] = (kept, start)
    return rest, chairless


def level_day(
    jobs: list[Sitting],
    chairs: int,
    opens: int,
    closes: int,
    nurse_starts: int | None = None,
    day: date | None = None,
    relevel: bool = True,
) -> tuple[DayResult, list[Sitting], Board]:
    """Level one day: booked visits stay, the most patients keep their time, the rest go nearest their request.
    Booked visits marked `rebook` start at their seats and move only by a chain that lowers the day's score
    (with `relevel`; the exact solver levels them its own way).

    Returns the result, the visits no chair of the day holds, and the day's board (for visits
    moved in from other days).
    """
    on = day or (jobs[0].fixed[0] if jobs[0].fixed else jobs[0].day)
    best: tuple[tuple[int, int, int, int, int], DayResult, list[Sitting], Board] | None = None
    apart = (False, True) if any(_flexible(job) for job in jobs) else (False,)
    for windows_apart, longest in itertools.product(apart, (False, True)):
        result, left, board = _place(jobs, Board(chairs, opens, closes, nurse_starts), on, windows_apart, longest)
        ranked = score(result, left)
        if best is None or ranked < best[0]:
            best = (ranked, result, left, board)
    assert best is not None
    _, result, left, board = best
    left = _improve(board, result, left, relevel)
    free = [job for job in jobs if job.fixed is None]
    if not any(job.fixed for job in jobs) and all(not job.prefer or ":" in job.prefer for job in jobs):
        # Every request is one time: step 2 alone, on an empty board with no nurse limit, keeps the
        # most any schedule can, so no schedule moves fewer than the rest.
        result.least_moved = len(_keep_asked(Board(chairs, opens, closes), free, {}))
    return result, left, board


def _place(
    jobs: list[Sitting],
    board: Board,
    on: date,
    windows_apart: bool,
    longest: bool,
) -> tuple[DayResult, list[Sitting], Board]:
    """Place a day's visits on an empty board: booked ones, then the most at their asked time, then the rest
    nearest theirs (in the order of their times, or longest first)."""
    opens = board.opens
    result = DayResult(lower_bound(sum(j.minutes for j in jobs), board.closes - opens), on, opens)
    free, left = _fixed_first(board, jobs, result.placed)
    # Patients who asked for a part of the day, not a time, can be kept anywhere in it: placed
    # after those who asked for a time, they take what the others leave.
    flexible = [job for job in free if windows_apart and _flexible(job)]
    rest = _keep_asked(board, [job for job in free if job not in flexible], result.placed)
    # The others nearest their request: in the order of their times, or longest first (the hardest to fit).
    rest.sort(key=lambda j: (-j.minutes - j.lead, j.asked(opens), j.row) if longest else (j.asked(opens), j.row))
    for job in sorted(flexible, key=lambda j: (j.window(opens)[1], j.row)) + rest:
        seat = board.nearest(job)
        if seat is None:
            left.append(job)
            continue
        board.take(seat[0], seat[1], job.minutes)
        result.placed[job] = seat
    return result, left, board


def _improve(board: Board, result: DayResult, left: list[Sitting], relevel: bool) -> list[Sitting]:
    """Improve a placed day in place (swaps, then chains: nobody without a chair whom moves can seat, then fewer
    minutes); return the visits still without a chair."""
    _swap_in(board, result)
    repair = DayRepair(board, result.placed, left, relevel)
    repair.seat_left()  # the first tier first
    repair.fewer_minutes()
    return repair.left


def _swap_in(board: Board, result: DayResult) -> None:
    """Give moved patients their asked time where one other patient stands in the way and can go elsewhere at no
    more cost: each swap keeps a patient more, or the same number by fewer minutes."""
    opens = board.opens
    for job in sorted(result.placed, key=lambda j: (-j.off_by(result.placed[j][1], opens), j.row)):
        chair_now, start_now = result.placed[job]
        cost = job.off_by(start_now, opens)
        asked = job.asked(opens)
        if (
            job.fixed is not None
            or not cost
            or asked - job.lead < opens
            or asked + job.minutes + job.tail > board.closes
        ):
            continue
        for chair, lane in enumerate(board.lanes):
            blocking = [span for span in lane if span[0] < asked + job.minutes and span[1] > asked]
            if len(blocking) != 1 or (chair == chair_now and blocking[0][0] == start_now):
                continue
            other = next(
                (o for o, seat in result.placed.items() if seat == (chair, blocking[0][0]) and o.fixed is None), None
            )
            if other is None:
                continue
            before = (cost > 0) + (other.off_by(blocking[0][0], opens) > 0), cost + other.off_by(blocking[0][0], opens)
            board.give_back(chair_now, start_now, job.minutes)
            board.give_back(chair, blocking[0][0], other.minutes)
            if board.free(chair, asked, asked + job.minutes) and board.nurse_ok(asked):
                board.take(chair, asked, job.minutes)
                seat = board.nearest(other)
                if seat is not None:
                    off = other.off_by(seat[1], opens)
                    if ((off > 0), off) < before:
                        board.take(*seat, other.minutes)
                        result.placed[job], result.placed[other] = (chair, asked), seat
                        break
                board.give_back(chair, asked, job.minutes)
            board.take(chair, blocking[0][0], other.minutes)
            board.take(chair_now, start_now, job.minutes)


def clock_time(minute: int) -> time:
    """Return a minute of the day as a time of day."""
    return time(minute // 60, minute % 60)


def level(
    found: Iterable[Sitting],
    chairs: int,
    hours: Callable[[date], tuple[int, int] | None],
    nurse_starts: int | None = None,
    solver: DaySolver | None = None,
    today: date | None = None,
) -> Levelling:
    """Level every day of a clinic; a visit its day cannot hold moves to the nearest open day within its window.

    Args:
        found: every patient's chair visits (booked ones carry their seat in `fixed`).
        chairs: the clinic's chairs.
        hours: a day's opening and closing minute, or None when the clinic is closed that day
            (its profile's hours, weekends, holidays and closures).
        nurse_starts: at most this many chair starts in any 15 minutes (None: no limit).
        solver: levels one day instead of `level_day` and says whether its answer is optimal
            (scheduler.clinic.exact.exact_solver: CP-SAT).
        today: a visit before it that no chair holds is what happened, not a conflict to solve.
    """
    pending: dict[date, list[Sitting]] = {}
    for sitting in found:
        pending.setdefault(sitting.fixed[0] if sitting.fixed else sitting.day, []).append(sitting)
    result = Levelling()
    boards: dict[date, Board] = {}
    while pending:
        day = min(pending)
        jobs = pending.pop(day)
        span = hours(day)
        if span is None:
            continue  # the clinic is closed: the visits stay as planned, each plan's conflict says so
        placed, left, boards[day], optimal = _level_one(jobs, chairs, span, nurse_starts, day, solver)
        if solver is not None:
            result.solved.append(optimal)
        result.days[day] = placed
        for job in left:
            if job.fixed is not None:  # booked: it keeps its day and time, without a chair
                if today is None or job.fixed[0] >= today:
                    result.unfit.append(job)
                result.seats[job.row, job.day] = (job.fixed[0], None, job.fixed[2])
            elif _another_day(job, day, pending, result, boards, hours) is None:
                result.unfit.append(job)
    for day, placed in result.days.items():
        for job, (chair, start) in placed.placed.items():
            result.seats[job.row, job.day] = (day, chair, start)
            if job.prefer and job.levelled:
                result.preferences += 1
                met = placed.opens and job.off_by(start, placed.opens) == 0
                result.honoured += bool(met)
                if not met:
                    result.unmet.append((job, day, start))
            if day != job.day:
                result.moved.append((job, day))
    return result


def _level_one(
    jobs: list[Sitting],
    chairs: int,
    span: tuple[int, int],
    nurse_starts: int | None,
    day: date,
    solver: DaySolver | None,
) -> tuple[DayResult, list[Sitting], Board, bool | None]:
    """Level one day. Booked visits levelling may re-time (`rebook`) move only where that lowers the day's score:
    an unchanged day keeps every booked time, run after run. The default method moves them by chains from their
    seats; the exact solver's answer with them free is taken only when it scores lower than with them kept."""

    def solve(day_jobs: list[Sitting]) -> tuple[DayResult, list[Sitting], Board, bool | None]:
        if solver is None:
            return (*level_day(day_jobs, chairs, *span, nurse_starts, day), None)
        return solver(day_jobs, chairs, *span, nurse_starts, day)

    kept = solve(jobs)
    if solver is None or not any(job.rebook for job in jobs):
        return kept
    freed = {dataclasses.replace(job, fixed=None, rebook=False): job.fixed for job in jobs if job.rebook}
    free = solve([job for job in jobs if not job.rebook] + list(freed))
    if score(free[0], free[1]) >= score(kept[0], kept[1]):
        return kept
    _booked_chairs(free[0], free[2], freed)
    return free


_MUST = 10**6  # a vote of a visit kept where it was booked: it is on that chair, whatever the others' votes


def _booked_chairs(result: DayResult, board: Board, booked: dict[Sitting, tuple[date, int | None, int] | None]) -> None:
    """Number a re-levelled day's chairs so that visits still at their booked time keep their booked chair where
    they can (chairs are alike: renumbering changes no time), so a day sheet shows only what changed."""
    votes: dict[tuple[int, int], int] = {}
    for job, (chair, start) in result.placed.items():
        seat = job.fixed or booked.get(job)
        if seat is not None and seat[1] is not None and seat[2] == start:
            votes[chair, seat[1]] = votes.get((chair, seat[1]), 0) + (_MUST if job.fixed else 1)
    lane_to: dict[int, int] = {}
    for (lane, chair), _ in sorted(votes.items(), key=lambda item: (-item[1], item[0])):
        if lane not in lane_to and chair not in lane_to.values() and chair < len(board.lanes):
            lane_to[lane] = chair
    spare = iter(sorted(set(range(len(board.lanes))) - set(lane_to.values())))
    for lane in range(len(board.lanes)):
        if lane not in lane_to:
            lane_to[lane] = next(spare)
    board.lanes = [board.lanes[lane] for lane in sorted(range(len(board.lanes)), key=lambda lane: lane_to[lane])]
    result.placed = {job: (lane_to[chair], start) for job, (chair, start) in result.placed.items()}


def _another_day(
    job: Sitting,
    day: date,
    pending: dict[date, list[Sitting]],
    result: Levelling,
    boards: dict[date, Board],
    hours: Callable[[date], tuple[int, int] | None],
) -> date | None:
    """Return the open day nearest the planned one, within the window, that takes the visit (later days first)."""
    near = [job.day + timedelta(days=n) for n in range(1, job.late + 1)]
    near += [job.day - timedelta(days=n) for n in range(1, job.early + 1)]
    for candidate in sorted(near, key=lambda d: (abs((d - job.day).days), d < job.day)):
        if candidate == day or hours(candidate) is None:
            continue
        board = boards.get(candidate)
        if board is None:  # levelled when its turn comes
            pending.setdefault(candidate, []).append(job)
            return candidate
        seat = board.nearest(job)
        if seat is not None:
            board.take(seat[0], seat[1], job.minutes)
            result.days[candidate].placed[job] = seat
            return candidate
    return None
