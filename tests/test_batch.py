"""Whole-clinic planning: batch from a patient list, the clinic calendar, the manifest, daily load."""

from __future__ import annotations

import csv
import io
import subprocess
import sys
from pathlib import Path

import pytest

from scheduler.app.batching import run as batching
from scheduler.app.batching.folder import file_stem
from scheduler.app.batching.rows import assign_files
from scheduler.app.batching.settings import BatchOptions, Settings
from scheduler.ical.check import check_ics
from tests_support import SOURCE_DATE_EPOCH

EXAMPLES = Path(__file__).parent.parent / "examples"


@pytest.fixture
def clinic(sample_list):
    return sample_list


def manifest(folder: Path) -> list[dict[str, str]]:
    with (folder / "manifest.csv").open(encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


def test_sample_list_gives_a_calendar_each_a_clinic_calendar_and_a_manifest(txcal, clinic):
    result = txcal(f"batch {clinic / 'patients.csv'} --out-dir {clinic / 'out'}")
    assert result.exit_code == 0, result.stderr
    rows = manifest(clinic / "out")
    assert [r["patient"] for r in rows] == ["P-001", "P-002", "P-003", "P-004", "C-005", "P-006", "P-017"]
    assert all(r["status"] == "ok" and r["file"] == f"{r['patient']}.ics" for r in rows)
    files = sorted(p.name for p in (clinic / "out").iterdir())
    assert files == sorted([*(f"{r['patient']}.ics" for r in rows), "clinic.ics", "manifest.csv", ".txcal-batch.jsonl"])
    for path in (clinic / "out").glob("*.ics"):
        assert check_ics(path.read_bytes()) == [], path
    clinic_text = (clinic / "out" / "clinic.ics").read_text(encoding="utf-8")
    assert clinic_text.count("BEGIN:VEVENT") == sum(int(r["events"]) for r in rows)
    assert "Patient calendar: P-002.ics" in clinic_text.replace("\n ", "")


def test_a_patients_file_is_exactly_what_txcal_plan_writes_for_the_same_plan(txcal, clinic):
    assert txcal(f"batch {clinic / 'patients.csv'} --out-dir {clinic / 'out'}").exit_code == 0
    single = txcal(
        "plan pembrolizumab --every 6w --start 2026-12-03 --time 10:30 --tz America/New_York --avoid weekends "
        f"--holidays US-NY --patient P-002 -o {clinic / 'single.ics'}"
    )
    assert single.exit_code == 0
    assert (clinic / "out" / "P-002.ics").read_bytes() == (clinic / "single.ics").read_bytes()


def test_bad_rows_are_reported_and_the_others_still_written(txcal, tmp_path, monkeypatch):
    monkeypatch.setenv("SOURCE_DATE_EPOCH", SOURCE_DATE_EPOCH)
    patients = tmp_path / "list.csv"
    patients.write_text(
        "patient,drug,every,start,time,tz,weight_kg\n"
        "A-1,atezolizumab,3w,2026-12-01,09:00,Europe/Berlin,\n"
        "A-2,atezolizumab,5w,2026-12-01,,,\n"
        "A-3,pembrolizumab,3w,2026-13-01,,,\n"
        "A-4,nosuchdrug,,2026-12-01,,,\n"
        "A-5,atezolizumab,,2026-12-01,,,\n"
        "A-6,Keytruda Qlex,6w,2026-12-01,,,\n"
        "A-7,atezolizumab,3w,2026-12-01,09:00,Mars/Base,\n",
        encoding="utf-8",
    )
    result = txcal(f"batch {patients} --out-dir {tmp_path / 'out'}")
    assert result.exit_code == 1
    for fragment in (
        "row 3: atezolizumab has no schedule every 5w",
        "row 4: column start: '2026-13-01': month must be in 1..12; write dates as YYYY-MM-DD",
        "row 5: no regimen is called 'nosuchdrug'",
        "row 6: atezolizumab has several schedules",
        "drug=atezolizumab every=3w    # 1,200 mg IV every 3 weeks",  # the fix, in the list's own terms
        "row 8: column tz: 'Mars/Base' is not an IANA time zone name",
        "5 of 7 rows failed",
    ):
        assert fragment in result.stderr, fragment
    rows = manifest(tmp_path / "out")
    assert [r["status"] for r in rows] == ["ok", "error", "error", "error", "error", "ok", "error"]
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == [
        ".txcal-batch.jsonl",
        "A-1.ics",
        "A-6.ics",
        "clinic.ics",
        "manifest.csv",
    ]


def test_unknown_columns_stop_before_anything_is_written(txcal, tmp_path):
    patients = tmp_path / "list.csv"
    patients.write_text("patient,drug,start,colour\nA,atezolizumab,2026-12-01,red\n", encoding="utf-8")
    result = txcal(f"batch {patients} --out-dir {tmp_path / 'out'}")
    assert result.exit_code == 1 and "unknown: colour" in result.stderr
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize(
    ("label", "stem"),
    [("P-017", "P-017"), ("../../etc/passwd", "etc-passwd"), ("a/b\\c", "a-b-c"), ("Ünïcode name", "n-code-name"),
     (".hidden", "hidden"), ("", "row-4"), ("///", "row-4")],
)  # fmt: skip
def test_file_names_from_labels_cannot_leave_the_folder(label, stem):
    assert file_stem(label, 4) == stem


def test_colliding_labels_get_distinct_files_even_on_case_blind_folders():
    named = list(assign_files([(2, {"patient": "P-1"}), (3, {"patient": "p-1"}), (4, {"patient": "P/1"})]))
    assert [name for _, _, name in named] == ["P-1.ics", "p-1-2.ics", "P-1-3.ics"]


def test_rerun_is_byte_identical_and_a_changed_row_updates_its_calendar(txcal, clinic, monkeypatch):
    out = clinic / "out"
    assert txcal(f"batch {clinic / 'patients.csv'} --out-dir {out}").exit_code == 0
    before = {p.name: p.read_bytes() for p in out.iterdir()}
    assert not [
        name for name in before if name.startswith(".") and name != ".txcal-batch.jsonl"
    ]  # no temporary file left behind
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1796000000")
    assert txcal(f"batch {clinic / 'patients.csv'} --out-dir {out}").exit_code == 0
    assert {p.name: p.read_bytes() for p in out.iterdir()} == before
    text = (
        (clinic / "patients.csv")
        .read_text(encoding="utf-8")
        .replace("P-002,pembrolizumab,6w,,,,2026-12-03,10:30", "P-002,pembrolizumab,6w,,,,2026-12-03,11:30")
    )
    (clinic / "patients.csv").write_text(text, encoding="utf-8")
    again = txcal(f"batch {clinic / 'patients.csv'} --out-dir {out}")
    assert again.exit_code == 0
    changed = {r["patient"]: r["changed"] for r in manifest(out)}
    assert changed["P-002"] == "18" and changed["P-001"] == "0"
    assert "SEQUENCE:1" in (out / "P-002.ics").read_text(encoding="utf-8")


def test_worker_processes_write_exactly_what_one_process_writes(tmp_path, monkeypatch):
    from datetime import UTC, datetime

    patients = tmp_path / "list.csv"
    lines = ["patient,drug,every,start,time,tz,doses"] + [
        f"W-{n},{['atezolizumab', 'pembrolizumab', 'Keytruda Qlex'][n % 3]},3w,2027-{n % 12 + 1:02d}-{n % 27 + 1:02d},09:00,America/Chicago,4"
        for n in range(240)
    ]
    patients.write_text("\n".join(lines) + "\n", encoding="utf-8")
    stamp = datetime(2026, 11, 20, tzinfo=UTC)
    outputs = {}
    for workers in (1, 2):
        monkeypatch.setattr(batching, "worker_count", lambda rows, w=workers: w)
        folder = tmp_path / f"w{workers}"
        folder.mkdir()
        result = batching.run_batch(patients, Settings(BatchOptions(folder), stamp, tmp_path))
        assert result.rows == 240 and not result.failed
        outputs[workers] = {p.name: p.read_bytes() for p in folder.iterdir()}
    assert outputs[1] == outputs[2] and len(outputs[1]) == 243  # 240 calendars, clinic.ics, manifest.csv, the kept rows


def test_daily_load_from_the_list_and_from_the_calendar_agree(txcal, clinic):
    assert txcal(f"batch {clinic / 'patients.csv'} --out-dir {clinic / 'out'}").exit_code == 0
    from_list = list(csv.DictReader(io.StringIO(txcal(f"load {clinic / 'patients.csv'} --format csv").stdout)))
    from_ics = list(csv.DictReader(io.StringIO(txcal(f"load {clinic / 'out'} --format csv").stdout)))
    assert [r["date"] for r in from_list] == [r["date"] for r in from_ics]
    assert [r["visits"] for r in from_list] == [r["visits"] for r in from_ics]
    # The list knows the length of an untimed visit; the calendar shows it as all-day, length unknown.
    day = next(r for r in from_list if r["date"] == "2026-12-08")
    assert (
        day["chair_minutes"] == "1"
        and next(r for r in from_ics if r["date"] == "2026-12-08")["unknown_length_visits"] == "1"
    )


def test_daily_load_flags_days_over_capacity(txcal, clinic):
    result = txcal(f"load {clinic / 'patients.csv'} --chairs 1 --hours 09:00-10:00 --from 2027-01-05 --to 2027-01-07")
    lines = result.stdout.splitlines()
    assert lines[1].startswith("2027-01-05") and lines[1].split()[-3:] == ["200%", "1/1", "OVER"]
    assert "capacity 60 chair minutes a day; 3 days over" in " ".join(result.stdout.split())
    month = txcal(f"load {clinic / 'patients.csv'} --chairs 1 --hours 09:00-10:00 --format month --to 2027-01-31")
    assert "  5█" in month.stdout and "█ over 100% (of capacity)" in month.stdout
    wrong = txcal(f"load {clinic / 'patients.csv'} --hours 18:00-08:00")
    assert wrong.exit_code == 2 and "closing must come after opening" in wrong.stderr


def test_the_text_preview_does_not_import_icalendar(tmp_path):
    probe = subprocess.run(
        [sys.executable, "-c", "import sys\nfrom scheduler.cli import main\n"
         "try: main(['plan', 'atezolizumab', '--every', '3w', '--start', '2026-12-01', '--doses', '2'])\n"
         "except SystemExit: pass\nprint('icalendar' in sys.modules, file=sys.stderr)"],
        capture_output=True, text=True, cwd=tmp_path, check=True,
    )  # fmt: skip
    assert probe.stderr.strip().splitlines()[-1] == "False"


def test_batch_remind_wins_over_the_profile_as_plan_remind_does(txcal, tmp_path, monkeypatch):
    # The example profile reminds 1d; --remind 2h on the command line wins for rows without a remind cell, in
    # `batch` as in `plan`; a row's own remind cell wins over both.
    monkeypatch.setenv("SOURCE_DATE_EPOCH", SOURCE_DATE_EPOCH)
    for name in ("clinic.toml", "closures.txt"):
        (tmp_path / name).write_bytes((EXAMPLES / name).read_bytes())
    (tmp_path / "list.csv").write_text(
        "patient,drug,every,start,doses,remind\nP-1,atezolizumab,3w,2027-01-05,2,\nP-2,atezolizumab,3w,2027-01-05,2,30min\n",
        encoding="utf-8",
    )
    result = txcal(
        f"batch {tmp_path / 'list.csv'} --out-dir {tmp_path / 'out'} --clinic {tmp_path / 'clinic.toml'} --remind 2h"
    )
    assert result.exit_code == 0, result.stderr
    plan = txcal(
        f"plan atezolizumab --every 3w --start 2027-01-05 --doses 2 --patient P-1 --clinic {tmp_path / 'clinic.toml'} "
        f"--remind 2h -o {tmp_path / 'single.ics'}"
    )
    assert plan.exit_code == 0, plan.stderr
    batch_text = (tmp_path / "out" / "P-1.ics").read_text(encoding="utf-8")
    assert "TRIGGER:-PT2H" in batch_text and "TRIGGER:-P1D" not in batch_text
    assert batch_text == (tmp_path / "single.ics").read_text(encoding="utf-8")
    own = (tmp_path / "out" / "P-2.ics").read_text(encoding="utf-8")
    assert "TRIGGER:-PT30M" in own and "TRIGGER:-PT2H" not in own
