"""Benchmark: txcal's levelling on generated clinic days, against the lower bound and the exact optimum.

    python bench/levelling.py [--seed 7] [--exact-seconds 20] [--markdown]

Generated, seeded clinic days (6, 12 and 24 chairs open 08:00-18:00; light, tight and over-full;
30 to 150 patients; a morning peak; IV doses of 30 and 60 minutes, subcutaneous doses of 10,
afami-cel chair days of 240; labs and provider visits before some chairs, with time for results;
some `morning` and `afternoon` preferences), half of them with a nurse limit. For each day,
txcal's default levelling (scheduler.app.levelling.level_day) is timed, and printed beside:
patients moved (and visits no chair of the day holds, which move too), total and largest move
in minutes, peak chairs, nurse-start violations, its milliseconds; the lower bound on patients moved where it is known (every request a set time, no
nurse limit: the most any schedule keeps, Carlisle and Lloyd); and, when OR-Tools is installed,
the exact optimum (or the best found in --exact-seconds) from scheduler.app.exact. Goals and a
verdict each are printed at the end. Needs txcal installed in the running Python's environment.
"""

from __future__ import annotations

import argparse
import random
import statistics
import time
from dataclasses import dataclass
from datetime import date

from scheduler.app.board import Sitting
from scheduler.app.levelling import DayResult, level_day

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
    parser.add_argument("--exact-seconds", type=float, default=20.0)
    parser.add_argument("--runs", type=int, default=5, help="timed runs of the default levelling per day (min)")
    parser.add_argument("--markdown", action="store_true", help="print the table as Markdown (the README's)")
    options = parser.parse_args()
    try:
        from scheduler.app.exact import level_day_exact
    except ImportError:  # pragma: no cover - the module itself imports no OR-Tools
        level_day_exact = None  # type: ignore[assignment]
    from scheduler.app.exact import available

    exact_on = available()
    rng = random.Random(options.seed)
    rows, verdicts = [], {"fits": True, "ratio": True, "speed": True}
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
            bound = "" if result.least_moved is None else str(result.least_moved)
            best = None
            if exact_on and level_day_exact is not None:
                solved_day, solved_left, _, solved = level_day_exact(
                    jobs, chairs, OPENS, CLOSES, nurses, options.exact_seconds
                )
                best = (figures(solved_day, solved_left, nurses, solved.seconds), str(solved))
            name = f"{chairs} chairs, {patients} patients, {label}" + (f", {nurses} nurse starts" if nurses else "")
            rows.append((name, mine, bound, best))
            # A visit no chair of the day holds moves too (to another day, or to the coordinator): it counts.
            reference = best[0].moved + best[0].left if best else result.least_moved
            if reference is not None:
                if reference == 0 and mine.moved + mine.left:
                    verdicts["fits"] = False
                if mine.moved + mine.left > 1.2 * reference:
                    verdicts["ratio"] = False
            if patients >= 150 and mine.seconds > 0.1:
                verdicts["speed"] = False
    head = ["day", "moved", "total min", "largest", "peak", "nurse over", "ms", "least moved", "exact moved",
            "exact total", "exact"]  # fmt: skip
    table = []
    for name, mine, bound, best in rows:
        table.append([
            name, str(mine.moved) + (f" (+{mine.left} no chair)" if mine.left else ""), str(mine.minutes),
            str(mine.largest), str(mine.peak), str(mine.nurse_over), f"{mine.seconds * 1000:.1f}", bound,
            (str(best[0].moved) + (f" (+{best[0].left} no chair)" if best[0].left else "")) if best else "",
            str(best[0].minutes) if best else "", best[1] if best else "not installed",
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
    median = statistics.median(m.seconds for _, m, _, _ in rows) * 1000
    print(f"median {median:.1f} ms a day for the default levelling (min of {options.runs} runs each)")
    goals = [
        ("nobody moved on a day where every request fits", verdicts["fits"]),
        ("moved within 1.2x of the optimum (best found) on every day", verdicts["ratio"]),
        ("under 100 ms a day for 150 patients in the default mode", verdicts["speed"]),
    ]
    if not exact_on:
        print("OR-Tools is not installed (pip install 'txcal[solver]'): measured against the lower bound only")
    for goal, met in goals:
        print(f"{'met    ' if met else 'NOT met'}  {goal}")


if __name__ == "__main__":
    main()
