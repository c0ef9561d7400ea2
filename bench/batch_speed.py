"""Benchmark: a synthetic clinic through `txcal batch`, with every ratio measured in this run.

    python bench/batch_speed.py [--patients 10000] [--sample 300]

Prints, against baselines measured here and now on this machine:
- batch speed versus building and serializing the same events one by one with icalendar's
  component API (measured on a sample of the patients, as events per second), and versus the
  floor: merely writing the same bytes the batch wrote;
- peak memory of the batch for 1/10 of the patients and for all of them (flat, not growing);
- one `txcal plan ... -o x.ics` versus `python -c "import icalendar, click, dateutil"`;
- whether the text preview imported icalendar (it must not).
Needs txcal installed in the running Python's environment.
"""

from __future__ import annotations

import argparse
import csv
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

BIN = Path(sys.executable).parent
TXCAL = str(BIN / "txcal")
REGIMENS = [
    # (drug, every, route, pediatric, weight) and how often each is drawn
    (("atezolizumab", "2w", "", "", ""), 10),
    (("atezolizumab", "3w", "", "", ""), 20),
    (("atezolizumab", "4w", "", "", ""), 10),
    (("Tecentriq Hybreza", "", "", "", ""), 10),
    (("pembrolizumab", "3w", "", "", ""), 20),
    (("pembrolizumab", "6w", "", "", ""), 10),
    (("Keytruda Qlex", "3w", "", "", ""), 5),
    (("atezolizumab", "", "", "yes", "30"), 5),
    (("afami-cel", "", "", "", ""), 5),
]
ZONES = ["America/New_York", "America/Chicago", "America/Los_Angeles", "Europe/Berlin"]


def make_clinic(path: Path, patients: int, seed: int = 7) -> None:
    """Write a synthetic patient list: mixed regimens, starts spread over 2027, a year of treatment each."""
    rng = random.Random(seed)
    choices, weights = zip(*REGIMENS, strict=True)
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(
            [
                "patient",
                "drug",
                "every",
                "route",
                "pediatric",
                "weight_kg",
                "start",
                "time",
                "tz",
                "for",
                "avoid",
                "holidays",
            ]
        )
        for number in range(1, patients + 1):
            drug, every, route, pediatric, weight = rng.choices(choices, weights)[0]
            start = date(2027, 1, 1) + timedelta(days=rng.randrange(365))
            clock = f"{rng.randrange(8, 16):02d}:{rng.choice(['00', '30'])}"
            one_year = "" if drug == "afami-cel" else "12m"
            avoid = "weekends" if number % 2 else ""
            holidays = "US" if number % 3 == 0 else ""
            writer.writerow(
                [
                    f"P-{number:05d}",
                    drug,
                    every,
                    route,
                    pediatric,
                    weight,
                    start,
                    clock,
                    rng.choice(ZONES),
                    one_year,
                    avoid,
                    holidays,
                ]
            )


def _tree_pss_kib(pid: int) -> int:
    """Return the memory of a process and all its descendants (KiB, proportional set size, from /proc).

    PSS shares the pages forked workers have in common among them, so they are not counted twice.
    """
    total, pending = 0, [pid]
    while pending:
        current = pending.pop()
        try:
            rollup = Path(f"/proc/{current}/smaps_rollup").read_text()
            total += int(next(line.split()[1] for line in rollup.splitlines() if line.startswith("Pss:")))
            for task in Path(f"/proc/{current}/task").iterdir():
                pending += [int(child) for child in (task / "children").read_text().split()]
        except (OSError, StopIteration, ValueError):
            continue
    return total


def timed(command: list[str]) -> tuple[float, int]:
    """Run a command; return its wall time and the peak memory of it and its workers together (KiB)."""
    started = time.perf_counter()
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    peak = 0
    while process.poll() is None:
        peak = max(peak, _tree_pss_kib(process.pid))
        time.sleep(0.02)
    elapsed = time.perf_counter() - started
    if process.returncode != 0:
        sys.exit(f"{' '.join(command)} failed:\n{process.stderr.read().decode() if process.stderr else ''}")
    return elapsed, peak


def median_time(command: list[str], runs: int = 21) -> float:
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        subprocess.run(command, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        times.append(time.perf_counter() - started)
    return statistics.median(times)


def icalendar_baseline(patients_csv: Path, sample: int) -> tuple[int, float]:
    """Build and serialize the sample's events one by one with icalendar's component API."""
    from itertools import islice

    from scheduler.catalog.loader import load_regimens
    from scheduler.engine import expand
    from scheduler.inputs.patient_list import iter_rows, spec_from_row
    from scheduler.inputs.plan_spec import build_request
    from scheduler.writers.ical.reference import reference_event

    catalog = load_regimens()
    plans = [
        expand(build_request(spec_from_row(cells, patients_csv.parent), catalog))
        for _, cells in islice(iter_rows(patients_csv), sample)
    ]
    stamp = datetime(2026, 11, 20, tzinfo=UTC)
    events = 0
    started = time.perf_counter()
    for plan in plans:
        for event in plan.events:
            reference_event(event, [], stamp).to_ical()
            events += 1
    return events, time.perf_counter() - started


def floor(out_dir: Path, scratch: Path) -> float:
    """Return the time to write the bytes the batch wrote, read beforehand: the floor."""
    contents = [(path.name, path.read_bytes()) for path in sorted(out_dir.iterdir())]
    scratch.mkdir()
    started = time.perf_counter()
    for name, data in contents:
        (scratch / name).write_bytes(data)
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--patients", type=int, default=10_000)
    parser.add_argument("--sample", type=int, default=300, help="patients for the icalendar baseline")
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="txcal-bench-"))
    try:
        env_note = f"python {sys.version.split()[0]}, {BIN}"
        print(f"txcal batch benchmark ({env_note})")
        small, large = work / "small.csv", work / "large.csv"
        make_clinic(small, max(args.patients // 10, 1))
        make_clinic(large, args.patients)
        base_events, base_time = icalendar_baseline(large, args.sample)
        theirs = base_events / base_time
        print(f"baseline, icalendar's component API event by event ({base_events} events of {args.sample} patients): "
              f"{theirs:,.0f} events/s")  # fmt: skip
        # The output goes to memory (/dev/shm) where the machine has it, to time txcal rather than the
        # disk's write-back, and to disk as well, as a user's batch would.
        places = [("in memory", Path("/dev/shm"))] if Path("/dev/shm").is_dir() else []
        places.append(("on disk", work))
        for where, root in places:
            out = Path(tempfile.mkdtemp(prefix="txcal-bench-out-", dir=root))
            try:
                small_kib = timed([TXCAL, "batch", str(small), "--out-dir", str(out / "small")])[1]
                large_time, large_kib = timed([TXCAL, "batch", str(large), "--out-dir", str(out / "large")])
                with (out / "large" / "manifest.csv").open(encoding="utf-8") as handle:
                    events = sum(int(row["events"]) for row in csv.DictReader(handle))
                floor_time = floor(out / "large", out / "floor")
            finally:
                shutil.rmtree(out, ignore_errors=True)
            ours = events / large_time
            print(
                f"batch {where}: {args.patients} patients, {events} events in {large_time:.2f} s = {ours:,.0f} events/s"
            )
            print(f"  speed-up over icalendar: {ours / theirs:.1f}x (target: at least 10x)")
            print(f"  floor, writing the same bytes: {floor_time:.2f} s; batch / floor: {large_time / floor_time:.1f}x")
            print(f"  peak memory (PSS, with its workers): {small_kib / 1024:.0f} MB for {args.patients // 10} patients, "
                  f"{large_kib / 1024:.0f} MB for {args.patients} (ratio {large_kib / small_kib:.2f}; target: at most 150 MB, flat)")  # fmt: skip
        command = [TXCAL, "plan", "atezolizumab", "--every", "3w", "--start", "2026-12-01", "--time", "09:00",
                   "--tz", "America/New_York", "-o", str(work / "one.ics"), "--force"]  # fmt: skip
        single = median_time(command)
        imports = median_time([sys.executable, "-c", "import icalendar, click, dateutil"])
        print(
            f"one plan to .ics: {single * 1000:.0f} ms; `import icalendar, click, dateutil`: {imports * 1000:.0f} ms; "
            f"ratio {single / imports:.2f} (target: at most 1.3)"
        )
        probe = subprocess.run(
            [sys.executable, "-c", "import sys; from scheduler.cli import main\n"
             "try: main(['plan', 'atezolizumab', '--every', '3w', '--start', '2026-12-01'])\n"
             "except SystemExit: pass\nprint('icalendar' in sys.modules, file=sys.stderr)"],
            capture_output=True, text=True, check=True,
        )  # fmt: skip
        print(f"text preview imports icalendar: {probe.stderr.strip().splitlines()[-1]} (target: False)")
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
