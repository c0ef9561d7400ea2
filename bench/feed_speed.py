"""Benchmark: `txcal feed build` for a booked clinic against the batch that booked it; ratios measured in this run.

    python bench/feed_speed.py [--patients 500] [--runs 3]

The batch benchmark's synthetic clinic (bench/batch_speed.py) is booked by `txcal batch --clinic` with a profile
that keeps a book and turns feeds on (the batch writes every feed in its unit of work). Then `txcal feed build`
writes every feed again, twice a run: after the feed folder is emptied (a restore: every feed written) and over
the feeds it just wrote (the daily run: every feed read and found unchanged). CPU seconds of whole processes, min
and median of the runs. Goal: a full feed build well under the batch that booked the clinic (at most 0.5x).
Needs txcal installed in the running Python's environment.
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from batch_speed import TXCAL, make_clinic, timed

PROFILE = (
    'schema = 1\nname = "Benchmark Infusion Center"\nphone = "555-0100"\nchairs = 40\nhours = "08:00-18:00"\n'
    'book = "book.sqlite"\nfeed_dir = "feeds"\n'
)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--patients", type=int, default=500)
    parser.add_argument("--runs", type=int, default=3)
    options = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="txcal-feed-"))
    try:
        patients, profile = work / "patients.csv", work / "clinic.toml"
        make_clinic(patients, options.patients)
        profile.write_text(PROFILE, encoding="utf-8")
        cpu: dict[str, list[float]] = {"batch": [], "build": [], "unchanged": []}
        build = [TXCAL, "feed", "build", "--clinic", str(profile)]
        for _ in range(options.runs):
            for name in ("out", "feeds", "book.sqlite", "book.sqlite.feeds", "book.sqlite-wal", "book.sqlite-shm"):
                shutil.rmtree(work / name, ignore_errors=True)
                (work / name).unlink(missing_ok=True)
            batch = [TXCAL, "batch", str(patients), "--out-dir", str(work / "out"), "--clinic", str(profile)]
            cpu["batch"].append(timed(batch).cpu)
            shutil.rmtree(work / "feeds")
            cpu["build"].append(timed(build).cpu)
            cpu["unchanged"].append(timed(build).cpu)
        feeds = len(list((work / "feeds").glob("*.ics")))
        ratio = min(cpu["build"]) / min(cpu["batch"])
        print(f"txcal feed benchmark: {options.patients} booked patients ({feeds} feeds), {options.runs} runs")
        for name, label in (("batch", "batch that booked them"), ("build", "feed build, every feed written"),
                            ("unchanged", "feed build, nothing changed")):  # fmt: skip
            print(f"{label:32} CPU {min(cpu[name]):6.2f} / {statistics.median(cpu[name]):.2f} s")
        print(f"  ratio feed build / batch (min / min)  {ratio:5.2f}x")
        print(f"  ratio unchanged / batch (min / min)   {min(cpu['unchanged']) / min(cpu['batch']):5.2f}x")
        print()
        met = ratio <= 0.5
        print(
            f"{'met    ' if met else 'NOT met'}  a full feed build at most 0.5x the CPU of the batch that booked the clinic"
        )
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
