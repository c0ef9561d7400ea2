"""Benchmark: levelled against unlevelled chairs on a synthetic clinic, every figure measured in this run.

    python bench/levelling.py [--patients 2000] [--chairs 0] [--runs 3]

A synthetic clinic (the batch benchmark's regimens, one time zone, appointment times spread over
the day) with a profile of N chairs open 08:00-18:00 on weekdays (--chairs 0: the fewest that
hold the busiest day, plus one). `txcal batch` runs with and without --level, interleaved, and
`txcal load` reads each clinic calendar back. Per day, the lower bound on chairs is
ceil(chair minutes / open minutes): no schedule can use fewer. Printed side by side: the worst
day's peak chairs minus its bound, the share of days at their bound and within bound + 1, days
over the chairs, chair utilization (chair minutes over chairs x open minutes), doses moved to
another day, and time (min and median of the runs; levelling's cost per day and as a share of
the batch). Goals and a verdict each are printed at the end. Needs txcal installed in the
running Python's environment.
"""

from __future__ import annotations

import argparse
import csv
import io
import math
import random
import re
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import date, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from batch_speed import REGIMENS  # the same mix of regimens as the batch benchmark

TXCAL = str(Path(sys.executable).parent / "txcal")
OPEN_MINUTES = 600
PROFILE = """schema = 1
name = "Benchmark Infusion Center"
timezone = "America/New_York"
chairs = {chairs}
hours = "08:00-18:00"
avoid = ["weekends"]
holidays = "US"
[visit_minutes]
dose = 60
chemotherapy = 90
infusion = 120
collection = 240
"""


def make_list(path: Path, patients: int, seed: int = 11) -> None:
    """Write a patient list: mixed regimens, starts over 2027, times from 08:00 to 15:30, some preferences."""
    rng = random.Random(seed)
    choices, weights = zip(*REGIMENS, strict=True)
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["patient", "drug", "every", "pediatric", "weight_kg", "start", "time", "for", "prefer"])
        for number in range(1, patients + 1):
            drug, every, _, pediatric, weight = rng.choices(choices, weights)[0]
            start = date(2027, 1, 4) + timedelta(days=rng.randrange(300))
            while start.weekday() >= 5:
                start += timedelta(days=1)
            clock = f"{rng.randrange(8, 16):02d}:{rng.choice(['00', '30'])}"
            prefer = rng.choice(["", "", "", "morning", "afternoon"])
            writer.writerow(
                [
                    f"P-{number:05d}",
                    drug,
                    every,
                    pediatric,
                    weight,
                    start,
                    clock,
                    "" if drug == "afami-cel" else "6m",
                    prefer,
                ]
            )


def run(args: list[str]) -> tuple[float, float, str]:
    """Run txcal; return wall seconds, CPU seconds (it and its workers) and its stderr."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    began = time.perf_counter()
    done = subprocess.run([TXCAL, *args], capture_output=True, text=True, check=False)
    wall = time.perf_counter() - began
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if done.returncode not in (0, 1):
        sys.exit(f"txcal {' '.join(args)} failed:\n{done.stderr}")
    return wall, (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime), done.stderr


def days_of(folder: Path, profile: Path) -> list[dict[str, int]]:
    """Return each day's chair minutes and peak chairs, as `txcal load` reads the clinic calendar."""
    done = subprocess.run(
        [TXCAL, "load", str(folder), "--clinic", str(profile), "--format", "csv"],
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode:
        sys.exit(f"txcal load {folder} failed:\n{done.stderr}")
    from scheduler.inputs.clinic_profile import load_profile
    from scheduler.inputs.plan_spec import profile_calendar

    calendar = profile_calendar(load_profile(profile))
    rows = csv.DictReader(io.StringIO(done.stdout))
    # Days the clinic is closed are not levelled (their visits are each plan's conflicts): left out here.
    return [
        {"minutes": int(r["chair_minutes"]), "peak": int(r["peak_chairs"])}
        for r in rows
        if int(r["chair_minutes"]) > 0 and not (calendar and calendar.closed(date.fromisoformat(r["date"])))
    ]


def figures(days: list[dict[str, int]], chairs: int) -> dict[str, float]:
    fits = [d for d in days if math.ceil(d["minutes"] / OPEN_MINUTES) <= chairs]
    gaps = [d["peak"] - math.ceil(d["minutes"] / OPEN_MINUTES) for d in fits]
    return {
        "days": len(days),
        "worst": max(gaps, default=0),
        "at bound": sum(g <= 0 for g in gaps) / max(len(gaps), 1),
        "within +1": sum(g <= 1 for g in gaps) / max(len(gaps), 1),
        "over chairs": sum(d["peak"] > chairs for d in fits),
        "utilization": statistics.mean(d["minutes"] / (chairs * OPEN_MINUTES) for d in days) if days else 0.0,
        "in use": statistics.mean(d["minutes"] / (max(d["peak"], 1) * OPEN_MINUTES) for d in days) if days else 0.0,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--patients", type=int, default=2000)
    parser.add_argument("--chairs", type=int, default=0, help="0: the busiest day's bound plus one")
    parser.add_argument("--runs", type=int, default=3)
    options = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="txcal-level-"))
    try:
        patients = work / "patients.csv"
        make_list(patients, options.patients)
        profile = work / "clinic.toml"
        chairs = options.chairs
        if not chairs:
            profile.write_text(PROFILE.format(chairs=1), encoding="utf-8")
            run(["batch", str(patients), "--out-dir", str(work / "probe"), "--clinic", str(profile)])
            chairs = max(math.ceil(d["minutes"] / OPEN_MINUTES) for d in days_of(work / "probe", profile)) + 1
        profile.write_text(PROFILE.format(chairs=chairs), encoding="utf-8")
        times: dict[str, list[tuple[float, float]]] = {"plain": [], "levelled": []}
        stderr = ""
        for _ in range(options.runs):  # interleaved, each into a fresh folder
            for side, extra in (("plain", []), ("levelled", ["--level"])):
                out = work / side
                shutil.rmtree(out, ignore_errors=True)
                wall, cpu, said = run(["batch", str(patients), "--out-dir", str(out), "--clinic", str(profile), *extra])
                times[side].append((wall, cpu))
                stderr = said if side == "levelled" else stderr
        plain, levelled = (
            figures(days_of(work / "plain", profile), chairs),
            figures(days_of(work / "levelled", profile), chairs),
        )
        found = re.search(r"Levelled .*?(\d+) moved to another day", stderr)
        moved = int(found.group(1)) if found else 0
        stuck = re.search(r"(\d+) fit no chair", stderr)
        unfit = int(stuck.group(1)) if stuck else 0
        met = re.search(r"(\d+) of (\d+) preferences? met", stderr)
        print(
            f"txcal levelling benchmark: {options.patients} patients, {chairs} chairs open {OPEN_MINUTES} minutes, "
            f"{levelled['days']:.0f} open days with chair visits; {options.runs} runs of each side, interleaved"
        )
        print(f"{'':34}{'unlevelled':>12}{'levelled':>12}")
        print(f"{'worst day: peak chairs - bound':34}{plain['worst']:>12.0f}{levelled['worst']:>12.0f}")
        print(f"{'days at their bound':34}{plain['at bound']:>12.1%}{levelled['at bound']:>12.1%}")
        print(f"{'days within bound + 1':34}{plain['within +1']:>12.1%}{levelled['within +1']:>12.1%}")
        print(f"{'days over the chairs (that fit)':34}{plain['over chairs']:>12.0f}{levelled['over chairs']:>12.0f}")
        print(f"{'chair utilization (mean of days)':34}{plain['utilization']:>12.1%}{levelled['utilization']:>12.1%}")
        print(f"{'  of the chairs in use at the peak':34}{plain['in use']:>12.1%}{levelled['in use']:>12.1%}")
        print(f"{'doses moved to another day':34}{0:>12}{moved:>12}")
        print(f"{'visits that fit no chair':34}{'':>12}{unfit:>12}")
        if met:
            print(f"{'preferences met':34}{'':>12}{met.group(1) + ' of ' + met.group(2):>12}")
        for label, index in (("wall s", 0), ("CPU s", 1)):
            p = [t[index] for t in times["plain"]]
            q = [t[index] for t in times["levelled"]]
            print(
                f"{label + ' (min / median)':34}{min(p):>6.2f}/{statistics.median(p):<5.2f}{min(q):>6.2f}/{statistics.median(q):<5.2f}"
            )
        added = min(t[0] for t in times["levelled"]) / min(t[0] for t in times["plain"]) - 1
        per_day = (min(t[0] for t in times["levelled"]) - min(t[0] for t in times["plain"])) / max(levelled["days"], 1)
        print(f"levelling adds {added:.0%} to the batch's wall time (min of runs), {per_day * 1000:.2f} ms per day")
        print()
        goals = [
            ("no slot over the chairs on a day whose total fits", levelled["over chairs"] == 0),
            ("levelled peak at most bound + 1 on at least 95% of days", levelled["within +1"] >= 0.95),
            ("levelling adds at most 25% to the batch's time", added <= 0.25),
        ]
        for goal, met_goal in goals:
            print(f"{'met ' if met_goal else 'NOT met'}  {goal}")
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
