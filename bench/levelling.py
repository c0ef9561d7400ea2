"""Benchmark: txcal's levelling on generated clinic days, tier by tier, against CP-SAT given the same days.

    python bench/levelling.py [--seed 7] [--exact-seconds 15] [--repeat 8] [--markdown]

Generated, seeded clinic days (6, 12 and 24 chairs open 08:00-18:00; light, tight and over-full;
30 to 150 patients; a morning peak; IV doses of 30 and 60 minutes, subcutaneous doses of 10,
afami-cel chair days of 240; labs and provider visits before some chairs, with time for results;
some `morning` and `afternoon` preferences), half of them with a nurse limit. For each day,
txcal's default levelling (scheduler.clinic.levelling.level_day) is timed, and each tier of the
objective is printed on its own beside the exact solver's (scheduler.clinic.exact, --exact-seconds
of CP-SAT's deterministic time a day): visits left without a chair, patients moved, minutes moved,
the largest move. Goals, each with a verdict: as few without a chair as the exact solver on every
day; moved minutes at most 1.15x the exact solver's over the days where both moved as many; and
one answer from --repeat runs of the exact solver on one day. Needs txcal installed in the running
Python's environment (and OR-Tools for the exact columns: pip install 'txcal[solver]').
"""

from __future__ import annotations

import argparse
import random
import statistics
import time
from dataclasses import dataclass
from datetime import date

from scheduler.clinic.board import Sitting
from scheduler.clinic.levelled import DayResult
from scheduler.clinic.levelling import level_day

OPENS, CLOSES = 8 * 60, 18 * 60
DAY = date(2027, 3, 2)
# (chairs, patients, label): light, tight and over-full days for each clinic size.
DAYS = [
    (6, 30, "light"), (6, 45, "tight"), (6, 60, "over-full"),
    (12, 40, "light"), (12, 90, "tight"), (12, 120, "over-full"),
    (24, 60, "light"), (24, 120, "tight"), (24, 150, "tight"),
]  # fmt: skip


def make_day(chairs: int, patients: int, rng: random.Random) -> list[Sitting]:
    """Return one clinic day's chair visits, as txcal plans them from a patient list."""
    jobs = []
    for row in range(patients):
        kind = rng.choices(["iv60", "iv30", "sc", "afami"], [5, 3, 2, 0.3])[0]
        minutes = {"iv60": 60, "iv30": 30, "sc": 10, "afami": 240}[kind]
        lead = rng.choice([0, 0, 0, 35, 95])  # none; a provider visit; a lab, a visit and 60 minutes for results
        if rng.random() < 0.55:  # the morning peak
            start = rng.randrange(OPENS + lead, 10 * 60 + 1, 15)
        else:
            start = rng.randrange(OPENS + lead, CLOSES - minutes + 1, 15)
        start = min(start, CLOSES - minutes) // 15 * 15
        if start - lead < OPENS:
            start += 15 * (-(-(OPENS - start + lead) // 15))
        prefer = rng.choices([None, "morning", "afternoon"], [8, 1, 1])[0]
        jobs.append(Sitting(row, f"P{row}", DAY, start, minutes, lead=lead, prefer=prefer))
    return jobs


@dataclass
class Figures:
    moved: int
    minutes: int
    largest: int
    left: int
    peak: int
    nurse_over: int
    seconds: float


def figures(result: DayResult, left: list[Sitting], nurses: int | None, seconds: float) -> Figures:
    moves = result.moves()
    return Figures(
        len(moves), sum(moves), max(moves, default=0), len(left), result.peak, result.nurse_over(nurses), seconds
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--exact-seconds", type=float, default=15.0)
    parser.add_argument("--runs", type=int, default=3, help="timed runs of the default levelling per day (min)")
    parser.add_argument("--repeat", type=int, default=8, help="runs of the exact solver on one day (one answer?)")
    parser.add_argument("--markdown", action="store_true", help="print the table as Markdown (docs/speed.md's)")
    options = parser.parse_args()
    from scheduler.clinic.exact import available, level_day_exact

    exact_on = available()
    rng = random.Random(options.seed)
    rows = []
    for variant in ("", "nurses"):
        for chairs, patients, label in DAYS:
            jobs = make_day(chairs, patients, rng)
            nurses = max(2, chairs // 4) if variant else None
            took = []
            for _ in range(options.runs):
                began = time.perf_counter()
                result, left, _ = level_day(jobs, chairs, OPENS, CLOSES, nurses)
                took.append(time.perf_counter() - began)
            mine = figures(result, left, nurses, min(took))
            best = None
            if exact_on:
                solved_day, solved_left, _, solved = level_day_exact(
                    jobs, chairs, OPENS, CLOSES, nurses, options.exact_seconds
                )
                best = (figures(solved_day, solved_left, nurses, solved.seconds), str(solved))
            name = f"{chairs} chairs, {patients} patients, {label}" + (f", {nurses} nurse starts" if nurses else "")
            rows.append((name, mine, best))
    head = ["day", "no chair", "exact", "moved", "exact", "minutes", "exact", "ratio", "largest", "exact", "ms",
            "exact ended"]  # fmt: skip
    table = []
    for name, mine, best in rows:
        ratio = f"{mine.minutes / best[0].minutes:.2f}" if best and best[0].minutes else ""
        table.append([
            name, str(mine.left), str(best[0].left) if best else "", str(mine.moved), str(best[0].moved) if best else "",
            str(mine.minutes), str(best[0].minutes) if best else "", ratio, str(mine.largest),
            str(best[0].largest) if best else "", f"{mine.seconds * 1000:.1f}", best[1] if best else "not installed",
        ])  # fmt: skip
    if options.markdown:
        print("| " + " | ".join(head) + " |")
        print("|" + "---|" * len(head))
        for line in table:
            print("| " + " | ".join(line) + " |")
    else:
        widths = [max(len(r[i]) for r in [head, *table]) for i in range(len(head))]
        for line in [head, *table]:
            print("  ".join(cell.ljust(width) for cell, width in zip(line, widths, strict=True)))
    print()
    median = statistics.median(m.seconds for _, m, _ in rows) * 1000
    print(f"median {median:.1f} ms a day for the default levelling (min of {options.runs} runs each)")
    if not exact_on:
        print("OR-Tools is not installed (pip install 'txcal[solver]'): no exact columns, no verdicts")
        return
    mine_left, exact_left = sum(m.left for _, m, _ in rows), sum(b[0].left for _, _, b in rows if b)
    same = [(m, b[0]) for _, m, b in rows if b and (m.left, m.moved) == (b[0].left, b[0].moved)]
    mine_minutes, exact_minutes = sum(m.minutes for m, _ in same), sum(b.minutes for _, b in same)
    minutes_ratio = mine_minutes / exact_minutes if exact_minutes else 1.0
    print(f"without a chair: {mine_left} default, {exact_left} exact, over {len(rows)} days")
    print(
        f"moved minutes where both moved as many ({len(same)} days): {mine_minutes} default, {exact_minutes} exact"
        f" ({minutes_ratio:.2f}x)"
    )
    one_day = make_day(12, 90, random.Random(options.seed))
    answers = set()
    for _ in range(options.repeat):
        day, left, _, _ = level_day_exact(one_day, 12, OPENS, CLOSES, 3, options.exact_seconds / 4)
        answers.add(tuple(sorted((job.row, *seat) for job, seat in day.placed.items())) + tuple(j.row for j in left))
    print(f"{options.repeat} runs of the exact solver on one day (12 chairs, 90 patients, 3 nurse starts): "
          f"{len(answers)} answer(s)")  # fmt: skip
    goals = [
        ("as few without a chair as the exact solver on every day", all(m.left <= b[0].left for _, m, b in rows if b)),
        ("moved minutes at most 1.15x the exact solver's", minutes_ratio <= 1.15),
        ("one answer from the exact solver, run after run", len(answers) == 1),
    ]
    for goal, met in goals:
        print(f"{'met    ' if met else 'NOT met'}  {goal}")


if __name__ == "__main__":
    main()
