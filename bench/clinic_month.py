"""A month of a clinic as a coordinator runs it: is the book the clinic's record? Figures, not timings.

    python bench/clinic_month.py [--patients 300] [--seed 7]

A 14-chair clinic open 08:00-17:00 with a nurse limit (3 chair starts in any 15 minutes), a lab
30 minutes before every dose, and afami-cel patients (premedication before the infusion). Patients
start through one month on mixed regimens; some ask to arrive at a time (`prefer`), some for the
morning; one list is booked with `txcal batch --level` into the clinic book. Then, for every day of
the month, from the book, the day sheets and the patients' calendars:
- chair visits the clinic reports as moved although they start when the patient asked (a lab's
  lead time before the chair is no move): goal 0;
- patient notes about a changed time ("Your clinic set this time"), and how many of them are on a
  visit whose time is what the patient asked for: goal 0;
- rows where the day sheet of the batch folder and the one of the book differ: goal 0;
- chairs holding two patients at one minute: goal 0.
Needs txcal installed in the running Python's environment.
"""

from __future__ import annotations

import argparse
import csv
import io
import itertools
import random
import shutil
import subprocess
import sys
import tempfile
from datetime import date, timedelta
from pathlib import Path

import icalendar

sys.path.insert(0, str(Path(__file__).parent))
from batch_speed import TXCAL

PROFILE = """schema = 1
name = "Month Infusion Center"
timezone = "America/New_York"
time = "09:00"
chairs = 14
hours = "08:00-17:00"
nurse_starts = 3
avoid = ["weekends"]
holidays = "US"
book = "book.sqlite"
[visit_minutes]
dose = 60
premedication = 30
infusion = 120
chemotherapy = 90
lab = 30
[[linked]]
kind = "lab"
title = "Blood tests"
before_days = 0
minutes = 30
"""
FIRST = date(2027, 3, 1)


def make_list(path: Path, patients: int, seed: int) -> None:
    rng = random.Random(seed)
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["patient", "drug", "every", "start", "time", "tz", "for", "infusion", "prefer"])
        for number in range(patients):
            start = FIRST + timedelta(days=rng.randrange(28))
            while start.weekday() >= 5:
                start += timedelta(days=1)
            clock = f"{rng.randrange(9, 15):02d}:{rng.choice(['00', '30'])}"
            prefer = rng.choice(["", "", "morning", f"{rng.randrange(8, 14):02d}:30"])
            if number % 25 == 0:  # afami-cel: collection, chemotherapy, premedication and infusion
                infusion = start + timedelta(days=42)
                writer.writerow(
                    [f"A-{number:03d}", "afami-cel", "", start, clock, "America/New_York", "", infusion, ""]
                )
                continue
            drug, every = rng.choice([("atezolizumab", "3w"), ("pembrolizumab", "3w"), ("atezolizumab", "2w")])
            writer.writerow([f"P-{number:03d}", drug, every, start, clock, "America/New_York", "2m", "", prefer])


def txcal(*args: str, cwd: Path) -> str:
    done = subprocess.run([TXCAL, *args], cwd=cwd, capture_output=True, text=True)
    if done.returncode not in (0, 1):
        sys.exit(f"txcal {' '.join(args)} failed: {done.stderr}")
    return done.stdout


def minutes(text: str) -> int:
    hour, _, minute = text.partition(":")
    return int(hour) * 60 + int(minute)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--patients", type=int, default=300)
    parser.add_argument("--seed", type=int, default=7)
    options = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="txcal-month-"))
    try:
        (work / "clinic.toml").write_text(PROFILE, encoding="utf-8")
        make_list(work / "list.csv", options.patients, options.seed)
        with (work / "list.csv").open(encoding="utf-8") as handle:
            prefer = {row["patient"]: row["prefer"] for row in csv.DictReader(handle)}
        txcal("batch", "list.csv", "--out-dir", "out", "--clinic", "clinic.toml", "--level", cwd=work)
        days = [FIRST + timedelta(days=n) for n in range(35)]
        chair_visits = lead_only = differing = double = 0
        for day in days:
            book = txcal("agenda", "--clinic", "clinic.toml", "--date", str(day), "--format", "csv", cwd=work)
            folder = txcal("agenda", "out", "--clinic", "clinic.toml", "--date", str(day), "--format", "csv", cwd=work)
            differing += len(set(book.splitlines()) ^ set(folder.splitlines()))
            rows = list(csv.DictReader(io.StringIO(book)))
            arrival: dict[str, int] = {}
            for row in rows:
                if row["start"]:
                    arrival[row["patient"]] = min(arrival.get(row["patient"], 24 * 60), minutes(row["start"]))
            seated: dict[str, list[tuple[int, int, str]]] = {}
            for row in rows:
                if not row["chair"] or not row["start"]:
                    continue
                chair_visits += 1
                seated.setdefault(row["chair"], []).append((minutes(row["start"]), minutes(row["end"]), row["patient"]))
                asked = row["asked"]
                if asked and ":" in asked and " " not in asked:
                    wanted = prefer.get(row["patient"], "")
                    # Moved only by the lead time: the patient arrives (or sits) when they asked.
                    if (":" in wanted and arrival[row["patient"]] == minutes(wanted)) or (
                        not wanted and minutes(row["start"]) == minutes(asked)
                    ):
                        lead_only += 1
            for spans in seated.values():
                spans.sort()
                double += sum(1 for a, b in itertools.pairwise(spans) if a[2] != b[2] and a[1] > b[0])
        notes = wrong_notes = 0
        for path in sorted((work / "out").glob("*.ics")):
            if path.name == "clinic.ics":
                continue
            for event in icalendar.Calendar.from_ical(path.read_bytes()).walk("VEVENT"):
                text = str(event.get("DESCRIPTION", ""))
                if "Your clinic set this time" not in text:
                    continue
                notes += 1
                asked = text.split("you asked for ", 1)[1].split("\n", 1)[0]
                start = event["DTSTART"].dt
                if ":" in asked and f"{start:%H:%M}" == asked:
                    wrong_notes += 1
        print(
            f"txcal clinic month: {options.patients} patients, 14 chairs, labs before doses, premedication, nurse limit"
        )
        print(f"chair visits in the month (from the book): {chair_visits}")
        print(f"chair visits reported moved only by a lab's lead time: {lead_only} (goal 0)")
        print(f"patient notes about a changed time: {notes}; on a visit at the time asked for: {wrong_notes} (goal 0)")
        print(f"day sheet rows that differ, batch folder vs book, over {len(days)} days: {differing} (goal 0)")
        print(f"chairs holding two patients at one minute: {double} (goal 0)")
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
