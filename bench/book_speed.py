"""Benchmark: what the clinic book costs a batch, and how fast the views read it; ratios measured in this run.

    python bench/book_speed.py [--patients 10000] [--runs 3]

The batch benchmark's synthetic clinic (bench/batch_speed.py) runs through `txcal batch --clinic`
with a profile that keeps a book and with the same profile without one, interleaved, each into a
fresh folder (and a fresh book): CPU seconds with the workers, min and median of the runs. Then a
rerun over the booked output (the book read, every booked seat kept), and `txcal agenda` (one day)
and `txcal load` (a month, CSV) read from the book, as a coordinator runs them (whole processes,
wall time). Goals: a batch with a book within 1.3x the CPU of one without; agenda and load from
the book well under a second. Needs txcal installed in the running Python's environment.
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from batch_speed import TXCAL, make_clinic, timed

PROFILE = 'schema = 1\nname = "Benchmark Infusion Center"\nchairs = 40\nhours = "08:00-18:00"\n'


def wall(command: list[str], runs: int) -> list[float]:
    times = []
    for _ in range(runs):
        began = time.perf_counter()
        subprocess.run(command, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        times.append(time.perf_counter() - began)
    return times


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--patients", type=int, default=10_000)
    parser.add_argument("--runs", type=int, default=3)
    options = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="txcal-book-"))
    try:
        patients = work / "patients.csv"
        make_clinic(patients, options.patients)
        plain, booked = work / "plain.toml", work / "booked.toml"
        plain.write_text(PROFILE, encoding="utf-8")
        booked.write_text(PROFILE + 'book = "book.sqlite"\n', encoding="utf-8")
        cpu: dict[str, list[float]] = {"without": [], "with": []}
        for _ in range(options.runs):
            for side, profile in (("without", plain), ("with", booked)):
                out = work / side
                shutil.rmtree(out, ignore_errors=True)
                (work / "book.sqlite").unlink(missing_ok=True)
                cpu[side].append(
                    timed([TXCAL, "batch", str(patients), "--out-dir", str(out), "--clinic", str(profile)]).cpu
                )
        rerun = [timed([TXCAL, "batch", str(patients), "--out-dir", str(work / "with"), "--clinic", str(booked)]).cpu]
        book_mb = (work / "book.sqlite").stat().st_size / 1e6
        agenda = wall([TXCAL, "agenda", "--clinic", str(booked), "--date", "2027-06-15", "--format", "csv"], 5)
        load = wall(
            [TXCAL, "load", "--clinic", str(booked), "--from", "2027-06-01", "--to", "2027-06-30", "--format", "csv"], 5
        )
        ratio = min(cpu["with"]) / min(cpu["without"])
        print(f"txcal book benchmark: {options.patients} patients, {options.runs} runs of each side, interleaved")
        print(f"batch without a book, CPU      {min(cpu['without']):6.2f} / {statistics.median(cpu['without']):.2f} s")
        print(f"batch with a book, CPU         {min(cpu['with']):6.2f} / {statistics.median(cpu['with']):.2f} s")
        print(f"  ratio (min / min)            {ratio:6.2f}x   (the book: {book_mb:.0f} MB)")
        print(f"rerun over booked output, CPU  {min(rerun):6.2f} s")
        print(f"agenda, one day, from the book {min(agenda):6.3f} / {statistics.median(agenda):.3f} s wall")
        print(f"load, one month, from the book {min(load):6.3f} / {statistics.median(load):.3f} s wall")
        print()
        goals = [
            ("a batch with a book within 1.3x the CPU of one without", ratio <= 1.3),
            ("agenda from the book for a day well under a second", min(agenda) < 1.0),
            ("load from the book for a month well under a second", min(load) < 1.0),
        ]
        for goal, met in goals:
            print(f"{'met    ' if met else 'NOT met'}  {goal}")
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
