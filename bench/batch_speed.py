"""Benchmark: a synthetic clinic through `txcal batch`, with every ratio measured in this run.

    python bench/batch_speed.py [--patients 10000] [--runs 3] [--huge] [--readme docs/speed.md]

Each side runs --runs times, interleaved, and the figures print as min / median. Against
baselines measured here and now on this machine:
- per-stage CPU per event, in this process on --stage-sample patients, with the cycle collector
  set as `txcal batch` sets it: reading rows into requests, the engine's `expand`, the .ics text
  (`to_ics`), writing the files;
- the batch's wall and CPU seconds (the process and its workers) in memory (/dev/shm) and on
  disk, against the naive full pipeline (per patient: build the calendar with icalendar's
  component API, serialize it, write a file; on --sample patients, per event), icalendar's
  events-only baseline, and the floor (the same bytes written to as many files from memory, in
  this process, the minimum of five runs);
- a whole row in this process (plan, calendar, clinic events, file) filled in from plan templates
  against the general engine only, and the share of rows filled in;
- a rerun over the batch's own unchanged output against a fresh batch, and `txcal load` on the
  clinic calendar (per 10,000 patients);
- peak memory with the workers (PSS) at 1/10 of the patients and all of them (--huge: ten times,
  once);
- one `txcal plan ... -o x.ics` against `python -c "import icalendar, click, dateutil"`, and
  whether the text preview imports icalendar.
Every goal gets a verdict. --readme rewrites the speed table of docs/speed.md (the page given) from these figures.
Needs txcal installed in the running Python's environment.
"""

from __future__ import annotations

import argparse
import csv
import os
import random
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

BIN = Path(sys.executable).parent
# icalendar's component API as a reference writer: a test oracle, kept with the tests, not shipped.
sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))
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


EXAMPLES = Path(__file__).resolve().parent.parent / "examples"


def make_clinic(path: Path, patients: int, seed: int = 7, profile: bool = False) -> None:
    """Write a synthetic patient list: mixed regimens, starts spread over 2027, a year of treatment each.

    With `profile`, every row names the shipped example profile (copied beside the list with its closures):
    its weekends, holidays and closures, linked labs, visits and scans, and reminders, instead of the
    rows' own avoid and holidays cells.
    """
    rng = random.Random(seed)
    if profile:
        for name in ("clinic.toml", "closures.txt"):
            shutil.copy(EXAMPLES / name, path.parent / name)
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
                "clinic",
            ]
        )
        for number in range(1, patients + 1):
            drug, every, route, pediatric, weight = rng.choices(choices, weights)[0]
            start = date(2027, 1, 1) + timedelta(days=rng.randrange(365))
            clock = f"{rng.randrange(8, 16):02d}:{rng.choice(['00', '30'])}"
            one_year = "" if drug == "afami-cel" else "12m"
            avoid = "weekends" if number % 2 and not profile else ""
            holidays = "US" if number % 3 == 0 and not profile else ""
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
                    "clinic.toml" if profile else "",
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


@dataclass
class Run:
    """One run of a command: wall and CPU seconds (it and its workers) and peak memory (KiB, PSS)."""

    wall: float
    cpu: float
    kib: int


def timed(command: list[str]) -> Run:
    """Run a command; return its wall time, its CPU time with its workers', and their peak memory together."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    peak = 0
    while process.poll() is None:
        peak = max(peak, _tree_pss_kib(process.pid))
        time.sleep(0.02)
    elapsed = time.perf_counter() - started
    if process.returncode != 0:
        sys.exit(f"{' '.join(command)} failed:\n{process.stderr.read().decode() if process.stderr else ''}")
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime
    return Run(elapsed, cpu, peak)


def median_time(command: list[str], runs: int = 21) -> float:
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        subprocess.run(command, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        times.append(time.perf_counter() - started)
    return statistics.median(times)


STAMP = datetime(2026, 11, 20, tzinfo=UTC)


def _requests(patients_csv: Path, sample: int) -> list[Any]:
    from itertools import islice

    from scheduler.catalog.loader import load_regimens
    from scheduler.inputs.patient_list import iter_rows, spec_from_row
    from scheduler.inputs.plan_spec import build_request

    catalog = load_regimens()
    return [
        build_request(spec_from_row(cells, patients_csv.parent), catalog)
        for _, cells in islice(iter_rows(patients_csv), sample)
    ]


def stages(patients_csv: Path, sample: int, scratch: Path) -> dict[str, float]:
    """Return CPU seconds per event of each stage of the batch, in this process, for the first `sample` rows."""
    from scheduler.app.batch import collector_for_batch
    from scheduler.catalog.loader import load_regimens

    catalog = load_regimens()
    with collector_for_batch():  # as `txcal batch` runs its rows
        return _stages(patients_csv, sample, scratch, catalog)


def _stages(patients_csv: Path, sample: int, scratch: Path, catalog: Any) -> dict[str, float]:
    from itertools import islice

    from scheduler.engine import expand
    from scheduler.files import write_atomic
    from scheduler.ical import to_ics
    from scheduler.inputs.patient_list import iter_rows, spec_from_row
    from scheduler.inputs.plan_spec import build_request

    clock = time.process_time
    began = clock()
    requests = [
        build_request(spec_from_row(cells, patients_csv.parent), catalog)
        for _, cells in islice(iter_rows(patients_csv), sample)
    ]
    parsed = clock()
    plans = [expand(request) for request in requests]
    expanded = clock()
    files = [to_ics(plan, STAMP).data for plan in plans]
    rendered = clock()
    scratch.mkdir(exist_ok=True)
    for number, data in enumerate(files):
        write_atomic(scratch / f"p{number}.ics", data)
    written = clock()
    events = sum(len(plan.events) for plan in plans)
    return {
        "parse rows": (parsed - began) / events,
        "expand": (expanded - parsed) / events,
        "render": (rendered - expanded) / events,
        "write": (written - rendered) / events,
    }


def paths(patients_csv: Path, sample: int, scratch: Path) -> dict[str, float]:
    """Return CPU seconds per event of whole rows (plan, calendar, clinic events, file) in this process, filled in
    from plan templates and made by the general engine only, and the share of rows filled in."""
    from itertools import islice

    from scheduler.app.batch import collector_for_batch
    from scheduler.app.batching.rows import assign_files, plan_chunk
    from scheduler.app.batching.settings import BatchOptions, Settings
    from scheduler.caches import clear_caches
    from scheduler.inputs.patient_list import iter_rows

    rows = list(islice(assign_files(iter_rows(patients_csv)), sample))
    found: dict[str, float] = {}
    filled = 0
    with collector_for_batch():
        for way in ("general", "compiled"):
            out = scratch / way
            out.mkdir(parents=True)
            clear_caches()
            settings = Settings(
                BatchOptions(out, plan_templates=way == "compiled"), STAMP, patients_csv.parent, empty_folder=True
            )
            began = time.process_time()
            done = plan_chunk(settings, rows)
            found[way] = (time.process_time() - began) / sum(row.outcome.events for row in done)
            filled = sum(row.filled for row in done)
    found["filled share"] = filled / len(rows)
    return found


def naive_pipeline(patients_csv: Path, sample: int, scratch: Path) -> tuple[int, float, float]:
    """The naive full pipeline on `sample` patients: per patient, build the calendar with icalendar's
    component API, serialize it and write a file. Returns events, wall and CPU seconds."""
    from ical_reference import reference_ics

    from scheduler.engine import expand

    requests = _requests(patients_csv, sample)
    scratch.mkdir(exist_ok=True)
    events = 0
    wall, cpu = time.perf_counter(), time.process_time()
    for number, request in enumerate(requests):
        plan = expand(request)
        (scratch / f"n{number}.ics").write_bytes(reference_ics(plan, STAMP))
        events += len(plan.events)
    return events, time.perf_counter() - wall, time.process_time() - cpu


def events_only(patients_csv: Path, sample: int) -> tuple[int, float]:
    """icalendar's component API event by event (no calendar, no file): events and CPU seconds."""
    from ical_reference import reference_event

    from scheduler.engine import expand

    plans = [expand(request) for request in _requests(patients_csv, sample)]
    events = 0
    began = time.process_time()
    for plan in plans:
        for event in plan.events:
            reference_event(event, [], STAMP).to_ical()
            events += 1
    return events, time.process_time() - began


def floor(out_dir: Path, scratch: Path, runs: int = 5) -> float:
    """Return the time to write the bytes the batch wrote to as many files, read beforehand (min of runs)."""
    contents = [(path.name, path.read_bytes()) for path in sorted(out_dir.iterdir()) if path.is_file()]
    best = float("inf")
    for run in range(runs):
        target = scratch / f"floor-{run}"
        target.mkdir()
        started = time.perf_counter()
        for name, data in contents:
            (target / name).write_bytes(data)
        best = min(best, time.perf_counter() - started)
        shutil.rmtree(target)
    return best


def _mm(values: list[float], unit: str = "s", scale: float = 1.0, digits: int = 2) -> str:
    return f"{min(values) * scale:.{digits}f} / {statistics.median(values) * scale:.{digits}f} {unit}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--patients", type=int, default=10_000)
    parser.add_argument("--sample", type=int, default=300, help="patients for the icalendar baselines")
    parser.add_argument("--stage-sample", type=int, default=2000, help="patients for the per-stage times")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--huge", action="store_true", help="also measure memory at ten times --patients, once")
    parser.add_argument("--readme", type=Path, help="rewrite the speed table of this page (docs/speed.md)")
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="txcal-bench-"))
    shm = Path("/dev/shm") if Path("/dev/shm").is_dir() else work
    memory_root = Path(tempfile.mkdtemp(prefix="txcal-bench-", dir=shm))
    try:
        cores = os.cpu_count() or 1
        print(f"txcal batch benchmark: python {sys.version.split()[0]}, {cores} cores, {datetime.now(UTC).date()}; "
              f"{args.runs} runs of each side, interleaved; min / median")  # fmt: skip
        small, large = work / "small.csv", work / "large.csv"
        make_clinic(small, max(args.patients // 10, 1))
        make_clinic(large, args.patients)
        # The same clinic on the shipped example profile: holidays, closures, linked visits, reminders.
        (work / "profile").mkdir()
        small_p, large_p = work / "profile" / "small.csv", work / "profile" / "large.csv"
        make_clinic(small_p, max(args.patients // 10, 1), profile=True)
        make_clinic(large_p, args.patients, profile=True)
        m: dict[str, list[float]] = {}

        def note(name: str, value: float) -> None:
            m.setdefault(name, []).append(value)

        events = events_p = 0
        small_kib = large_kib = small_p_kib = large_p_kib = 0
        for run in range(args.runs):
            for name, per_event in stages(large, args.stage_sample, work / f"stage-{run}").items():
                note(name, per_event)
            for name, value in paths(large, args.stage_sample, memory_root / f"paths-{run}").items():
                note(name, value)
            shutil.rmtree(memory_root / f"paths-{run}", ignore_errors=True)
            naive_events, naive_wall, naive_cpu = naive_pipeline(large, args.sample, work / f"naive-{run}")
            note("naive wall/event", naive_wall / naive_events)
            note("naive cpu/event", naive_cpu / naive_events)
            only_events, only_cpu = events_only(large, args.sample)
            note("events-only cpu/event", only_cpu / only_events)
            for where, root in (("memory", memory_root), ("disk", work)):
                out = root / f"out-{run}"
                fresh = timed([TXCAL, "batch", str(large), "--out-dir", str(out)])
                if not events:
                    with (out / "manifest.csv").open(encoding="utf-8") as handle:
                        events = sum(int(row["events"]) for row in csv.DictReader(handle))
                note(f"batch {where} wall", fresh.wall)
                note(f"batch {where} cpu", fresh.cpu)
                large_kib = max(large_kib, fresh.kib)
                if where == "memory":
                    again = timed([TXCAL, "batch", str(large), "--out-dir", str(out)])
                    note("rerun wall", again.wall)
                    note("rerun cpu", again.cpu)
                    load = timed([TXCAL, "load", str(out)])
                    note("load cpu", load.cpu)
                    note("floor", floor(out, root))
                shutil.rmtree(out, ignore_errors=True)
            small_kib = max(small_kib, timed([TXCAL, "batch", str(small), "--out-dir", str(memory_root / "small")]).kib)
            shutil.rmtree(memory_root / "small", ignore_errors=True)
            # With the example profile: the share filled in, the batch against the naive pipeline, memory.
            for name, value in paths(large_p, args.stage_sample, memory_root / f"paths-p-{run}").items():
                note(f"profile {name}", value)
            shutil.rmtree(memory_root / f"paths-p-{run}", ignore_errors=True)
            naive_events, _, naive_cpu = naive_pipeline(large_p, args.sample, work / f"naive-p-{run}")
            note("profile naive cpu/event", naive_cpu / naive_events)
            out = memory_root / f"out-p-{run}"
            fresh = timed([TXCAL, "batch", str(large_p), "--out-dir", str(out)])
            if not events_p:
                with (out / "manifest.csv").open(encoding="utf-8") as handle:
                    events_p = sum(int(row["events"]) for row in csv.DictReader(handle))
            note("profile batch cpu", fresh.cpu)
            large_p_kib = max(large_p_kib, fresh.kib)
            shutil.rmtree(out, ignore_errors=True)
            small_p_kib = max(
                small_p_kib, timed([TXCAL, "batch", str(small_p), "--out-dir", str(memory_root / "small-p")]).kib
            )
            shutil.rmtree(memory_root / "small-p", ignore_errors=True)
        huge_kib = huge_p_kib = 0
        if args.huge:
            huge = work / "huge.csv"
            make_clinic(huge, args.patients * 10)
            huge_kib = timed([TXCAL, "batch", str(huge), "--out-dir", str(work / "huge")]).kib
            shutil.rmtree(work / "huge", ignore_errors=True)
            huge_p = work / "profile" / "huge.csv"
            make_clinic(huge_p, args.patients * 10, profile=True)
            huge_p_kib = timed([TXCAL, "batch", str(huge_p), "--out-dir", str(work / "huge-p")]).kib
            shutil.rmtree(work / "huge-p", ignore_errors=True)
        command = [TXCAL, "plan", "atezolizumab", "--every", "3w", "--start", "2026-12-01", "--time", "09:00",
                   "--tz", "America/New_York", "-o", str(work / "one.ics"), "--force"]  # fmt: skip
        single = median_time(command)
        imports = median_time([sys.executable, "-c", "import icalendar, click, dateutil"])
        probe = subprocess.run(
            [sys.executable, "-c", "import sys; from scheduler.cli import main\n"
             "try: main(['plan', 'atezolizumab', '--every', '3w', '--start', '2026-12-01'])\n"
             "except SystemExit: pass\nprint('icalendar' in sys.modules, file=sys.stderr)"],
            capture_output=True, text=True, check=True,
        )  # fmt: skip
        preview_imports = probe.stderr.strip().splitlines()[-1] == "True"

        best = {name: min(values) for name, values in m.items()}
        per_cpu = best["naive cpu/event"] * events / best["batch memory cpu"]
        per_wall = best["naive wall/event"] * events / best["batch memory wall"]
        per_wall_disk = best["naive wall/event"] * events / best["batch disk wall"]
        per_cpu_p = best["profile naive cpu/event"] * events_p / best["profile batch cpu"]
        rerun = best["rerun cpu"] / best["batch memory cpu"]
        load_per_10k = best["load cpu"] * 10_000 / args.patients
        rows = [
            ("engine `expand`, CPU per event", _mm(m["expand"], "us", 1e6, 1), "at most 8 us",
             best["expand"] * 1e6 <= 8),
            (".ics text (`to_ics`), CPU per event", _mm(m["render"], "us", 1e6, 1), "at most 10 us",
             best["render"] * 1e6 <= 10),
            ("reading rows and requests, CPU per event", _mm(m["parse rows"], "us", 1e6, 1), "", None),
            ("a whole row in this process, CPU per event: general engine only", _mm(m["general"], "us", 1e6, 1),
             "reported", None),
            ("the same, plans filled in from templates", _mm(m["compiled"], "us", 1e6, 1), "reported", None),
            ("rows filled in from templates (the rest: the general engine)",
             f"{min(m['filled share']) * 100:.0f}%", "reported", None),
            ("writing files, CPU per event", _mm(m["write"], "us", 1e6, 1), "", None),
            (f"batch of {args.patients:,} patients ({events:,} events) in memory, wall", _mm(m["batch memory wall"]), "", None),
            ("the same, CPU (with its workers)", _mm(m["batch memory cpu"]), "", None),
            ("batch on disk, wall", _mm(m["batch disk wall"]), "", None),
            ("batch vs the naive full pipeline, events per CPU-second", f"{per_cpu:.1f}x", "at least 40x", per_cpu >= 40),
            ("batch vs the naive full pipeline, wall, in memory", f"{per_wall:.1f}x", "reported", None),
            ("batch vs the naive full pipeline, wall, on disk", f"{per_wall_disk:.1f}x", "reported", None),
            ("batch vs icalendar's events-only baseline, per CPU-second",
             f"{best['events-only cpu/event'] * events / best['batch memory cpu']:.1f}x", "reported", None),
            ("batch vs the floor (the same bytes written, in memory)",
             f"{best['batch memory wall'] / best['floor']:.1f}x ({best['floor']:.2f} s)", "reported", None),
            ("rerun over its own unchanged output, CPU vs a fresh batch", f"{rerun:.2f}x ({_mm(m['rerun cpu'])})",
             "at most 0.5x", rerun <= 0.5),
            ("`txcal load` on the clinic calendar, CPU per 10,000 patients", f"{load_per_10k:.2f} s ({_mm(m['load cpu'])})",
             "at most 1.5 s", load_per_10k <= 1.5),
            (f"peak memory with workers (PSS): {max(args.patients // 10, 1):,} / {args.patients:,}"
             + (f" / {args.patients * 10:,}" if huge_kib else "") + " patients",
             f"{small_kib / 1024:.0f} / {large_kib / 1024:.0f}" + (f" / {huge_kib / 1024:.0f}" if huge_kib else "") + " MB",
             "at most 150 MB", max(small_kib, large_kib, huge_kib) <= 150 * 1024),
            ("with the example profile (holidays, closures, linked visits, reminders): rows filled in from templates",
             f"{min(m['profile filled share']) * 100:.0f}%", "reported", None),
            ("with the example profile: a whole row, CPU per event, general engine only / filled in",
             f"{min(m['profile general']) * 1e6:.1f} / {min(m['profile compiled']) * 1e6:.1f} us", "reported", None),
            (f"with the example profile: batch of {args.patients:,} patients ({events_p:,} events), CPU",
             _mm(m["profile batch cpu"]), "", None),
            ("with the example profile: batch vs the naive full pipeline, events per CPU-second",
             f"{per_cpu_p:.1f}x", "reported", None),
            (f"with the example profile: peak memory (PSS), {max(args.patients // 10, 1):,} / {args.patients:,}"
             + (f" / {args.patients * 10:,}" if huge_p_kib else "") + " patients",
             f"{small_p_kib / 1024:.0f} / {large_p_kib / 1024:.0f}"
             + (f" / {huge_p_kib / 1024:.0f}" if huge_p_kib else "") + " MB",
             "under 200 MB", max(small_p_kib, large_p_kib, huge_p_kib) < 200 * 1024),
            ("one `txcal plan ... -o x.ics` vs `import icalendar, click, dateutil`",
             f"{single * 1000:.0f} vs {imports * 1000:.0f} ms: {single / imports:.2f}x", "at most 1.2x",
             single / imports <= 1.2),
            ("the text preview imports icalendar", "yes" if preview_imports else "no", "no", not preview_imports),
        ]  # fmt: skip
        table = ["| measure | result (min / median) | goal | verdict |", "|---|---|---|---|"]
        for measure, result, goal, met in rows:
            verdict = "" if met is None else ("met" if met else "NOT met")
            table.append(f"| {measure} | {result} | {goal} | {verdict} |")
            print(f"{measure:70} {result:>26}  {goal:14} {verdict}")
        if args.readme:
            stamp = (f"Measured {datetime.now(UTC).date()} on this project's machine ({cores} cores) with "
                     f"`python bench/batch_speed.py --runs {args.runs}{' --huge' if args.huge else ''}`:")  # fmt: skip
            text = args.readme.read_text(encoding="utf-8")
            start, end = text.index(TABLE_START), text.index(TABLE_END)
            block = "\n".join([TABLE_START, stamp, "", *table, TABLE_END.rstrip()])
            args.readme.write_text(text[:start] + block + text[end + len(TABLE_END.rstrip()) :], encoding="utf-8")
            print(f"wrote the table into {args.readme}")
    finally:
        shutil.rmtree(work, ignore_errors=True)
        shutil.rmtree(memory_root, ignore_errors=True)


TABLE_START = "<!-- speed table: bench/batch_speed.py --readme docs/speed.md -->"
TABLE_END = "<!-- end of speed table -->"


if __name__ == "__main__":
    main()
