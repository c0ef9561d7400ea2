"""Exact levelling of one day with OR-Tools CP-SAT (`pip install 'txcal[solver]'`, `txcal batch --level exact`).

The same objective as scheduler.clinic.levelling, solved as a model: each visit a start within opening
hours (its lead and tail included), the chairs a cumulative limit (interval graphs colour with as
many chairs as most visits at once, so chairs are numbered after solving), the nurse limit a
cumulative limit on 15-minute windows from each start, booked visits fixed. Minimised, in order:
visits left without a chair, patients moved, minutes moved, the largest move, moves earlier. The greedy day seeds
the search; a day that runs out of time gives the best found, and says so.
"""

from __future__ import annotations

import time as timer
from dataclasses import dataclass
from datetime import date
from typing import Any

from scheduler.clinic.board import Board, Sitting
from scheduler.clinic.levelled import DayResult
from scheduler.clinic.levelling import DaySolver, level_day, score
from scheduler.errors import TxcalError
from scheduler.model import NURSE_WINDOW

STEP = 5  # minutes: starts on a five-minute grid keep the model small (requests are on it already)


@dataclass(frozen=True)
class Solved:
    """How the solver ended: optimal, the best it found in the time it had, or a day too large for the model
    (the default method's answer kept)."""

    optimal: bool
    seconds: float
    too_large: bool = False

    def __str__(self) -> str:
        if self.too_large:
            return "too large for the exact model: the default method's answer"
        return "optimal" if self.optimal else f"best found in {self.seconds:.1f} s"


# The objective's weights multiply out to about visits**3 * minutes**2; past this CP-SAT's 64-bit sums overflow.
_LARGEST_OBJECTIVE = 2**62


def available() -> bool:
    """Return whether OR-Tools is installed."""
    try:
        import ortools.sat.python.cp_model  # noqa: F401
    except ImportError:
        return False
    return True


def level_day_exact(
    jobs: list[Sitting],
    chairs: int,
    opens: int,
    closes: int,
    nurse_starts: int | None = None,
    seconds: float = 3.0,
    when: date | None = None,
) -> tuple[DayResult, list[Sitting], Board, Solved]:
    """Level one day exactly (or as well as `seconds` allow); the greedy answer seeds the search.

    Raises:
        TxcalError: OR-Tools is not installed.
    """
    try:
        from ortools.sat.python import cp_model
    except ImportError:
        raise TxcalError("--level exact needs OR-Tools: pip install 'txcal[solver]', or use --level") from None
    began = timer.perf_counter()  # the whole day, the default method's seed included: the time reported
    greedy, greedy_left, _ = level_day(jobs, chairs, opens, closes, nurse_starts, when, relevel=False)
    model = cp_model.CpModel()
    free = [job for job in jobs if job.fixed is None]
    fixed = [job for job in jobs if job.fixed is not None]
    horizon = 24 * 60
    chair_intervals, nurse_intervals, penalties = [], [], []
    starts: dict[Sitting, Any] = {}  # OR-Tools' variables
    placed_vars: dict[Sitting, Any] = {}
    for job in fixed:
        assert job.fixed is not None
        at = job.fixed[2]
        chair_intervals.append(model.new_fixed_size_interval_var(at, job.minutes, f"fixed{job.row}"))
        nurse_intervals.append(model.new_fixed_size_interval_var(at, NURSE_WINDOW, f"fixednurse{job.row}"))
    moved_terms, minute_terms, earlier_terms = [], [], []
    largest = model.new_int_var(0, horizon, "largest")
    for index, job in enumerate(free):
        earliest, latest = opens + job.lead, closes - job.tail - job.minutes
        low, high = -(-earliest // STEP), latest // STEP
        on = model.new_bool_var(f"on{index}")
        placed_vars[job] = on
        if low > high:
            model.add(on == 0)
            penalties.append(on.negated())
            continue
        grid = model.new_int_var(low, high, f"g{index}")
        start = model.new_int_var(low * STEP, high * STEP, f"s{index}")
        model.add(start == grid * STEP)
        starts[job] = start
        chair_intervals.append(model.new_optional_fixed_size_interval_var(start, job.minutes, on, f"c{index}"))
        nurse_intervals.append(model.new_optional_fixed_size_interval_var(start, NURSE_WINDOW, on, f"n{index}"))
        first, last = job.window(opens)
        off = model.new_int_var(0, horizon, f"off{index}")
        model.add(off >= first - start).only_enforce_if(on)
        model.add(off >= start - last).only_enforce_if(on)
        moved = model.new_bool_var(f"m{index}")
        model.add(off <= horizon * moved)
        model.add(largest >= off)
        moved_terms.append(moved)
        earlier = model.new_bool_var(f"e{index}")  # at equal cost, later before earlier (as the greedy)
        model.add(start >= job.asked(opens)).only_enforce_if(earlier.negated())
        earlier_terms.append(earlier)
        minute_terms.append(off)
        penalties.append(on.negated())
        seat = greedy.placed.get(job)
        if seat is not None:
            model.add_hint(on, 1)
            model.add_hint(grid, seat[1] // STEP)
    model.add_cumulative(chair_intervals, [1] * len(chair_intervals), chairs)
    if nurse_starts is not None:
        model.add_cumulative(nurse_intervals, [1] * len(nurse_intervals), nurse_starts)
    # Lexicographic by weights: each level outweighs everything below it.
    count = max(len(free), 1)
    w_largest = count + 1
    w_minutes = w_largest * (horizon + 1)
    w_moved = w_minutes * (count * horizon + 1)
    w_left = w_moved * (count + 1)
    if w_left * (count + 1) > _LARGEST_OBJECTIVE:
        board = _board(greedy, chairs, opens, closes, nurse_starts)
        return greedy, greedy_left, board, Solved(False, timer.perf_counter() - began, too_large=True)
    model.minimize(
        w_left * sum(penalties)
        + w_moved * sum(moved_terms)
        + w_minutes * sum(minute_terms)
        + w_largest * largest
        + sum(earlier_terms)
    )
    solver = cp_model.CpSolver()
    # One answer on every run: a fixed seed, workers interleaved in one thread in a fixed order, and the search
    # bounded by CP-SAT's deterministic time (work done, not the clock: 2-4 s of wall time each on the test
    # machine). The clock limit is only a backstop for a far slower machine; an answer it cuts short says so.
    solver.parameters.random_seed = 7
    solver.parameters.num_workers = 4
    solver.parameters.interleave_search = True
    solver.parameters.max_deterministic_time = seconds
    solver.parameters.max_time_in_seconds = 20 * seconds
    status = solver.solve(model)
    elapsed = timer.perf_counter() - began
    if status not in (cp_model.OPTIMAL, cp_model.FEASIBLE):
        return greedy, greedy_left, _board(greedy, chairs, opens, closes, nurse_starts), Solved(False, elapsed)
    chosen = {job: solver.value(var) for job, var in starts.items() if solver.value(placed_vars[job])}
    result = _seated(jobs, chosen, chairs, opens, closes, nurse_starts, greedy)
    if result is None:  # booked chairs left no numbering for this answer: keep the greedy one
        return greedy, greedy_left, _board(greedy, chairs, opens, closes, nurse_starts), Solved(False, elapsed)
    day, left = result
    if score(greedy, greedy_left) <= score(day, left):  # no better (or the grid kept the solver from it): one answer
        day, left = greedy, greedy_left
    return day, left, _board(day, chairs, opens, closes, nurse_starts), Solved(status == cp_model.OPTIMAL, elapsed)


def exact_solver(seconds: float) -> DaySolver:
    """Return a day solver for scheduler.clinic.levelling.level that solves each day with CP-SAT."""

    def solve(
        jobs: list[Sitting], chairs: int, opens: int, closes: int, nurse_starts: int | None, on: date
    ) -> tuple[DayResult, list[Sitting], Board, bool | None]:
        day, left, board, solved = level_day_exact(jobs, chairs, opens, closes, nurse_starts, seconds, on)
        return day, left, board, None if solved.too_large else solved.optimal

    return solve


def _seated(
    jobs: list[Sitting],
    chosen: dict[Sitting, int],
    chairs: int,
    opens: int,
    closes: int,
    nurse_starts: int | None,
    greedy: DayResult,
) -> tuple[DayResult, list[Sitting]] | None:
    """Number the chairs of a solved day: booked visits on their chairs, the others first free in start order."""
    board = Board(chairs, opens, closes, nurse_starts)
    result = DayResult(greedy.bound, greedy.day, opens)
    for job in jobs:
        if job.fixed is not None:
            result.placed[job] = greedy.placed[job]
            board.take(greedy.placed[job][0], job.fixed[2], job.minutes)
    for job, start in sorted(chosen.items(), key=lambda item: (item[1], item[0].row)):
        chair = board.tightest(start, start + job.minutes)
        if chair is None:
            return None
        board.take(chair, start, job.minutes)
        result.placed[job] = (chair, start)
    result.least_moved = greedy.least_moved
    return result, [job for job in jobs if job not in result.placed]


def _board(day: DayResult, chairs: int, opens: int, closes: int, nurse_starts: int | None) -> Board:
    board = Board(chairs, opens, closes, nurse_starts)
    for job, (chair, start) in day.placed.items():
        board.keep(chair, start, job.minutes)  # as the solver placed it: free there
    return board
