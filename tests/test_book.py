"""The clinic book: one kept schedule that every view reads, with times that stay once given.

Every test uses a real SQLite file, written by the txcal command as a coordinator runs it.
"""

from __future__ import annotations

import csv
import io
import itertools
import json
import os
import shutil
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import icalendar
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from test_chairs import PROFILE as CHAIRS

from scheduler.clinic.book import open_book
from scheduler.clinic.book_file import SCHEMA
from tests_support import SOURCE_DATE_EPOCH

PROFILE = CHAIRS.replace("[visit_minutes]", 'book = "book.sqlite"\n[visit_minutes]')
HEADER = "patient,drug,every,start,time,tz,doses"


def _row(n: int, start: str = "2026-12-01") -> str:
    return f"P{n},atezolizumab,3w,{start},09:00,America/New_York,2"


@pytest.fixture
def clinic(tmp_path, monkeypatch):
    """Nine patients asking for 09:00 on six chairs, a profile that keeps a book."""
    (tmp_path / "clinic.toml").write_text(PROFILE, encoding="utf-8")
    (tmp_path / "nine.csv").write_text("\n".join([HEADER, *(_row(n) for n in range(1, 10))]) + "\n", encoding="utf-8")
    monkeypatch.setenv("SOURCE_DATE_EPOCH", SOURCE_DATE_EPOCH)
    monkeypatch.chdir(tmp_path)
    return tmp_path


def _csv(text: str) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(text)))


def _starts(path: Path) -> dict[str, str]:
    """Return each event's start (HH:MM on its day) by UID, from a calendar file."""
    events = icalendar.Calendar.from_ical(path.read_bytes()).walk("VEVENT")
    return {str(e["UID"]): f"{e['DTSTART'].dt:%Y-%m-%d %H:%M}" for e in events if str(e.get("STATUS")) != "CANCELLED"}


def _sheet(txcal, day: str = "2026-12-01") -> dict[str, tuple[str, str]]:
    rows = _csv(txcal(f"agenda --clinic clinic.toml --date {day} --format csv").stdout)
    return {r["patient"]: (r["start"], r["chair"]) for r in rows}


def test_a_batch_books_what_it_writes_and_every_view_gives_the_same_times(txcal, clinic):
    result = txcal("batch nine.csv --out-dir out --clinic clinic.toml --level --handouts html")
    assert result.exit_code == 0, result.stderr
    db = sqlite3.connect(clinic / "book.sqlite")
    assert db.execute("PRAGMA user_version").fetchone()[0] == SCHEMA
    assert db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert db.execute("SELECT count(*) FROM plans").fetchone()[0] == 9
    assert db.execute("SELECT count(*) FROM visits WHERE status = 'booked'").fetchone()[0] == 18
    sheet = _sheet(txcal)
    assert sorted(start for start, _ in sheet.values()) == ["09:00"] * 6 + ["10:00"] * 3
    assert len(set(sheet.values())) == 9  # no two patients on one chair at one time
    for patient, (start, _) in sheet.items():
        calendar = _starts(clinic / "out" / f"{patient}.ics")
        assert f"2026-12-01 {start}" in calendar.values()
        handout = (clinic / "out" / f"{patient}.html").read_text(encoding="utf-8")
        assert start in handout
        plan = txcal(
            f"plan atezolizumab --every 3w --start 2026-12-01 --time 09:00 --tz America/New_York --doses 2 --patient {patient} --clinic clinic.toml"
        )
        assert plan.exit_code == 0, plan.stderr
        assert f"Tue 01  {start} dose 1" in plan.stdout  # the same plan from the command line: the booked time
    load = _csv(txcal("load --clinic clinic.toml --format csv").stdout)
    assert [(r["date"], r["patients"], r["peak_chairs"]) for r in load] == [
        ("2026-12-01", "9", "6"),
        ("2026-12-22", "9", "6"),
    ]


def test_a_later_batch_keeps_booked_times_and_places_new_patients_around_them(txcal, clinic):
    assert txcal("batch nine.csv --out-dir out --clinic clinic.toml --level").exit_code == 0
    before = _sheet(txcal)
    files = {p: _starts(clinic / "out" / f"{p}.ics") for p in before}
    (clinic / "ten.csv").write_text((clinic / "nine.csv").read_text() + _row(10) + "\n", encoding="utf-8")
    again = txcal("batch ten.csv --out-dir out --clinic clinic.toml --level")
    assert again.exit_code == 0, again.stderr
    after = _sheet(txcal)
    assert {p: after[p] for p in before} == before  # nobody booked moved, not even their chair
    assert after["P10"][0] == "10:00"  # the new patient fits around them
    assert {p: _starts(clinic / "out" / f"{p}.ics") for p in before} == files


def test_a_failed_row_keeps_its_patients_booked_visits(txcal, clinic):
    assert txcal("batch nine.csv --out-dir out --clinic clinic.toml --level").exit_code == 0
    broken = (clinic / "nine.csv").read_text().replace(_row(5), _row(5, "2026-13-01"))
    (clinic / "broken.csv").write_text(broken, encoding="utf-8")
    result = txcal("batch broken.csv --out-dir out --clinic clinic.toml --level")
    assert result.exit_code == 1
    assert "row 6" in result.stderr and "its 2 booked visits are kept" in result.stderr
    assert "P5" in _sheet(txcal)
    assert "X-TXCAL-PATIENT:P5" in (clinic / "out" / "clinic.ics").read_text(encoding="utf-8")
    manifest = {r["patient"]: r for r in _csv((clinic / "out" / "manifest.csv").read_text(encoding="utf-8"))}
    assert "booked visits are kept" in manifest["P5"]["error"]


def test_a_corrected_start_moves_nobody_else_and_cancels_the_old_visits(txcal, clinic):
    assert txcal("batch nine.csv --out-dir out --clinic clinic.toml --level").exit_code == 0
    before = _sheet(txcal)
    fixed = (clinic / "nine.csv").read_text().replace(_row(2), _row(2, "2026-12-02"))
    (clinic / "fixed.csv").write_text(fixed, encoding="utf-8")
    result = txcal("batch fixed.csv --out-dir out --clinic clinic.toml --level --replace")
    assert result.exit_code == 0, result.stderr
    after = _sheet(txcal)
    assert {p: v for p, v in after.items() if p != "P2"} == {p: v for p, v in before.items() if p != "P2"}
    assert "P2" in _sheet(txcal, "2026-12-02")
    db = sqlite3.connect(clinic / "book.sqlite")
    assert db.execute("SELECT count(*) FROM history WHERE change = 'replaced'").fetchone()[0] == 1


def test_move_one_visit_refuses_overbooking_and_is_kept_by_later_batches(txcal, clinic):
    assert txcal("batch nine.csv --out-dir out --clinic clinic.toml --level").exit_code == 0
    sequence = (clinic / "out" / "P1.ics").read_text().count("SEQUENCE:1")
    full = txcal("move P1 --date 2026-12-01 --to 10:00 --clinic clinic.toml")  # three are there already, six chairs
    assert full.exit_code == 0, full.stderr
    crowded = txcal("move P2 --date 2026-12-01 --to 10:00 --chair 1 --clinic clinic.toml")
    assert crowded.exit_code == 1 and "chair 1 is taken at 10:00" in crowded.stderr
    assert "the nearest time that fits is" in crowded.stderr and "Traceback" not in crowded.stderr
    closed = txcal("move P2 --date 2026-12-01 --to 17:30 --clinic clinic.toml --reason 'asked by phone'")
    assert closed.exit_code == 1 and "outside opening hours" in closed.stderr
    assert _sheet(txcal)["P1"][0] == "10:00"
    calendar = (clinic / "out" / "P1.ics").read_text()
    assert "DTSTART;TZID=America/New_York:20261201T100000" in calendar and calendar.count("SEQUENCE:1") > sequence
    assert txcal("batch nine.csv --out-dir out --clinic clinic.toml --level").exit_code == 0
    assert _sheet(txcal)["P1"][0] == "10:00"  # the move is kept
    undo = txcal("move P1 --date 2026-12-01 --undo --clinic clinic.toml")
    assert undo.exit_code == 0, undo.stderr
    assert _sheet(txcal)["P1"][0] == "09:00"
    history = sqlite3.connect(clinic / "book.sqlite").execute(
        "SELECT command, change FROM history WHERE command = 'move'"
    )
    changes = [tuple(r) for r in history]
    assert changes.count(("move", "undone")) == 1 and ("move", "moved") in changes


def test_move_undo_steps_back_one_move_at_a_time(txcal, clinic):
    assert txcal("batch nine.csv --out-dir out --clinic clinic.toml --level").exit_code == 0
    first = _sheet(txcal)["P1"]
    for to in ("10:00", "11:00", "12:00"):
        assert txcal(f"move P1 --date 2026-12-01 --to {to} --clinic clinic.toml").exit_code == 0
    steps = []
    for _ in range(3):
        undo = txcal("move P1 --date 2026-12-01 --undo --clinic clinic.toml")
        assert undo.exit_code == 0, undo.stderr
        steps.append(_sheet(txcal)["P1"][0])
    assert steps == ["11:00", "10:00", first[0]]
    nothing = txcal("move P1 --date 2026-12-01 --undo --clinic clinic.toml")
    assert nothing.exit_code == 1 and "no move left to take back" in nothing.stderr
    # A new move after stepping back is the one the next undo takes back.
    assert txcal("move P1 --date 2026-12-01 --to 14:00 --clinic clinic.toml").exit_code == 0
    assert txcal("move P1 --date 2026-12-01 --undo --clinic clinic.toml").exit_code == 0
    assert _sheet(txcal)["P1"][0] == first[0]


def test_relevel_retimes_only_where_the_day_gains_never_before_today_and_never_a_coordinators_move(
    txcal, clinic, monkeypatch
):
    assert txcal("batch nine.csv --out-dir out --clinic clinic.toml --level").exit_code == 0
    assert txcal("move P1 --date 2026-12-22 --to 15:00 --clinic clinic.toml").exit_code == 0
    monkeypatch.setenv("TXCAL_TODAY", "2026-12-10")  # the first day is past now
    past, booked = _sheet(txcal), _sheet(txcal, "2026-12-22")
    # P1's move freed a 09:00 chair: one patient moved to 10:00 gets 09:00 back; nobody else changes.
    result = txcal("batch nine.csv --out-dir out --clinic clinic.toml --level --relevel")
    assert result.exit_code == 0, result.stderr
    assert _sheet(txcal) == past
    after = _sheet(txcal, "2026-12-22")
    assert after["P1"][0] == "15:00"  # the coordinator's move stands
    back = [p for p, (start, _) in after.items() if start == "09:00" and booked[p][0] == "10:00"]
    assert len(back) == 1 and sum(1 for start, _ in after.values() if start == "09:00") == 6
    assert all(after[p] == booked[p] for p in after if booked[p][0] == "09:00")  # same time, same chair
    # Run again on the unchanged list: nothing gains, so nothing is re-timed (no update sent to anyone).
    again = txcal("batch nine.csv --out-dir out --clinic clinic.toml --level --relevel")
    assert again.exit_code == 0 and _sheet(txcal, "2026-12-22") == after


def test_an_edited_time_of_a_booked_patient_moves_them_and_their_calendar_says_what_they_asked(txcal, clinic):
    assert txcal("batch nine.csv --out-dir out --clinic clinic.toml --level").exit_code == 0
    rows = (
        (clinic / "nine.csv")
        .read_text()
        .replace("P9,atezolizumab,3w,2026-12-01,09:00", "P9,atezolizumab,3w,2026-12-01,13:00")
    )
    (clinic / "nine.csv").write_text(rows, encoding="utf-8")
    others = {p: v for p, v in _sheet(txcal).items() if p != "P9"}
    assert txcal("batch nine.csv --out-dir out --clinic clinic.toml --level").exit_code == 0
    sheet = _sheet(txcal)
    assert sheet["P9"][0] == "13:00" and {p: v for p, v in sheet.items() if p != "P9"} == others
    text = (clinic / "out" / "P9.ics").read_text(encoding="utf-8")
    assert "set this time" not in text and "every patient has a chair" not in text  # 13:00 is what they asked


def test_a_book_txcal_cannot_use_is_refused_and_left_unchanged(txcal, clinic):
    (clinic / "book.sqlite").write_bytes(b"not a database at all")
    result = txcal("batch nine.csv --out-dir out --clinic clinic.toml")
    assert result.exit_code == 1 and "not a SQLite file" in result.stderr
    assert (clinic / "book.sqlite").read_bytes() == b"not a database at all"
    (clinic / "book.sqlite").unlink()
    foreign = sqlite3.connect(clinic / "book.sqlite")
    foreign.execute("CREATE TABLE other (x)")
    foreign.commit()
    foreign.close()
    result = txcal("batch nine.csv --out-dir out --clinic clinic.toml")
    assert result.exit_code == 1 and "not a clinic book" in result.stderr
    (clinic / "book.sqlite").unlink()
    newer = sqlite3.connect(clinic / "book.sqlite")
    newer.execute(f"PRAGMA user_version = {SCHEMA + 1}")
    newer.close()
    result = txcal("batch nine.csv --out-dir out --clinic clinic.toml")
    assert result.exit_code == 1 and f"book schema {SCHEMA + 1}" in result.stderr and "upgrade txcal" in result.stderr
    outside = PROFILE.replace('book = "book.sqlite"', 'book = "../book.sqlite"')
    (clinic / "outside.toml").write_text(outside, encoding="utf-8")
    result = txcal("batch nine.csv --out-dir out2 --clinic outside.toml")
    assert result.exit_code == 1 and "book:" in result.stderr and "folder of the profile" in result.stderr


def _txcal_process(args: list[str], cwd: Path, **env: str) -> subprocess.Popen[bytes]:
    command = [str(Path(sys.executable).parent / "txcal"), *args]
    return subprocess.Popen(command, cwd=cwd, env={**os.environ, **env}, stdout=subprocess.PIPE, stderr=subprocess.PIPE)


def test_a_busy_book_waits_then_says_who_holds_it(txcal, clinic):
    assert txcal("batch nine.csv --out-dir out --clinic clinic.toml --level").exit_code == 0
    from datetime import UTC, datetime

    with open_book(clinic / "book.sqlite", "batch", datetime.now(UTC)):
        waiting = _txcal_process(["move", "P1", "--date", "2026-12-01", "--to", "11:00", "--clinic", "clinic.toml"],
                                 clinic, TXCAL_BOOK_WAIT="1")  # fmt: skip
        _, err = waiting.communicate(timeout=60)
    assert waiting.returncode == 1 and b"is busy: txcal batch (process" in err
    # Two moves at once: both are kept, one after the other.
    first = _txcal_process(["move", "P1", "--date", "2026-12-01", "--to", "11:00", "--clinic", "clinic.toml"], clinic)
    second = _txcal_process(["move", "P2", "--date", "2026-12-01", "--to", "12:00", "--clinic", "clinic.toml"], clinic)
    assert first.wait(timeout=120) == 0 and second.wait(timeout=120) == 0
    sheet = _sheet(txcal)
    assert sheet["P1"][0] == "11:00" and sheet["P2"][0] == "12:00"


def test_a_batch_killed_midway_leaves_the_book_as_it_was(txcal, clinic):
    assert txcal("batch nine.csv --out-dir out --clinic clinic.toml --level").exit_code == 0
    before = sqlite3.connect(clinic / "book.sqlite").execute("SELECT * FROM visits ORDER BY uid").fetchall()
    rows = [HEADER, *(_row(n, f"2026-12-{1 + n % 20:02d}") for n in range(1, 1500))]
    (clinic / "many.csv").write_text("\n".join(rows) + "\n", encoding="utf-8")
    batch = _txcal_process(["batch", "many.csv", "--out-dir", "out", "--clinic", "clinic.toml"], clinic)
    deadline = time.monotonic() + 120
    while not (clinic / "out" / "P100.ics").exists() and time.monotonic() < deadline and batch.poll() is None:
        time.sleep(0.05)
    assert batch.poll() is None, "the batch finished before it could be killed: make the list longer"
    os.kill(batch.pid, signal.SIGKILL)
    batch.wait(timeout=30)
    db = sqlite3.connect(clinic / "book.sqlite")
    assert db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    assert db.execute("SELECT * FROM visits ORDER BY uid").fetchall() == before
    assert _sheet(txcal)["P1"][0] == "09:00"


def test_the_fhir_bundle_of_a_booked_plan_says_booked_at_the_booked_time(txcal, clinic):
    assert txcal("batch nine.csv --out-dir out --clinic clinic.toml --level").exit_code == 0
    start, _ = _sheet(txcal)["P9"]
    command = "plan atezolizumab --every 3w --start 2026-12-01 --time 09:00 --tz America/New_York --doses 2"
    data = json.loads(txcal(f"{command} --patient P9 --clinic clinic.toml --format fhir").stdout)
    appointments = [e["resource"] for e in data["entry"] if e["resource"]["resourceType"] == "Appointment"]
    assert [a["status"] for a in appointments] == ["booked", "booked"]
    assert appointments[0]["start"] == f"2026-12-01T{start}:00-05:00"
    unbooked = json.loads(txcal(f"{command} --patient P99 --clinic clinic.toml --format fhir").stdout)
    assert {e["resource"].get("status") for e in unbooked["entry"][2:]} >= {"proposed"}


def test_batch_fhir_with_a_book_says_booked_as_plan_does(txcal, clinic):
    # The bundle a booking batch writes beside the calendar says what `txcal plan --clinic` says of the same
    # patient: booked, at the booked time; on a rerun too.
    for _ in range(2):
        assert txcal("batch nine.csv --out-dir out --clinic clinic.toml --level --fhir").exit_code == 0
        data = json.loads((clinic / "out" / "P9.fhir.json").read_text(encoding="utf-8"))
        appointments = [e["resource"] for e in data["entry"] if e["resource"]["resourceType"] == "Appointment"]
        assert [a["status"] for a in appointments] == ["booked", "booked"]
        start, _ = _sheet(txcal)["P9"]
        assert appointments[0]["start"] == f"2026-12-01T{start}:00-05:00"


def _week(folder: Path, monkeypatch) -> tuple[list[list[str]], str]:
    """Lay out the README's coordinator's week in `folder`; return its command lines and the patient list."""
    import re
    import shlex

    root = Path(__file__).parent.parent
    week = re.search(r"A coordinator's week.*?```sh\n(.*?)```", (root / "README.md").read_text(encoding="utf-8"), re.S)
    assert week is not None
    lines = [shlex.split(line.split("  #")[0]) for line in week.group(1).splitlines() if line.strip()]
    folder.mkdir(exist_ok=True)
    for name in ("patients.csv", "clinic.toml", "closures.txt", "p017.toml"):
        (folder / name).write_bytes((root / "examples" / name).read_bytes())
    profile = (folder / "clinic.toml").read_text(encoding="utf-8")
    uncommented = profile.replace(
        '\n# book = "clinic-book.sqlite"', '\nbook = "clinic-book.sqlite"', 1
    )  # as the README says
    assert uncommented != profile
    (folder / "clinic.toml").write_text(uncommented)
    monkeypatch.chdir(folder)
    monkeypatch.setenv("SOURCE_DATE_EPOCH", SOURCE_DATE_EPOCH)
    return lines, (folder / "patients.csv").read_text(encoding="utf-8")


def _cli(line: list[str]) -> tuple[int, str]:
    from click.testing import CliRunner

    from scheduler.cli import main

    assert line[0] == "txcal"
    result = CliRunner().invoke(main, line[1:])
    assert "Traceback" not in result.stderr and "unexpectedly" not in result.stderr, result.stderr
    return result.exit_code, result.stdout + result.stderr


def _week_sheet(day: str = "2027-01-05") -> dict[str, list[str]]:
    rows = _csv(_cli(["txcal", "agenda", "--clinic", "clinic.toml", "--date", day, "--format", "csv"])[1])
    return {p: sorted(r["start"] for r in rows if r["patient"] == p) for p in {r["patient"] for r in rows}}


def _booked(folder: Path) -> list[tuple]:
    """Every booked chair visit: patient, day, start, chair (what a move or a re-levelling would change)."""
    with sqlite3.connect(folder / "clinic-book.sqlite") as db:
        return db.execute(
            "SELECT p.patient, s.day, s.start, s.chair FROM sittings s JOIN plans p ON p.plan_id = s.plan_id "
            "WHERE p.status = 'active' ORDER BY 1, 2"
        ).fetchall()


def _files(folder: Path) -> dict[str, bytes]:
    return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


def test_the_readme_coordinators_week_runs_as_written(tmp_path, monkeypatch):
    lines, patients = _week(tmp_path, monkeypatch)
    assert _cli(lines[0])[0] == 0 and (tmp_path / "out" / "P-006.html").exists()
    assert _cli(lines[1])[0] == 0 and "P-006" in _cli(lines[1])[1]
    before = _week_sheet()
    (tmp_path / "patients.csv").write_text(patients.replace("2026-12-03,10:30", "2026-12-04,10:30"), encoding="utf-8")
    assert _cli(lines[2])[0] == 0  # P-002's corrected start, --replace
    assert _cli(lines[3])[0] == 0  # move P-006
    broken = (tmp_path / "patients.csv").read_text(encoding="utf-8").replace("2026-12-07,13:00", "2026-13-07,13:00")
    (tmp_path / "patients.csv").write_text(broken, encoding="utf-8")
    assert _cli(lines[4])[0] == 1  # P-003's row fails and keeps its visits
    assert _cli(lines[5])[0] == 0
    after = _week_sheet()
    assert after["P-006"][0] == "11:00"
    assert {p: v for p, v in after.items() if p not in ("P-006", "P-002")} == {
        p: v for p, v in before.items() if p not in ("P-006", "P-002")
    }
    assert "DTSTART;TZID=America/New_York:20270105T110000" in (tmp_path / "out" / "P-006.ics").read_text()
    assert "11:00" in (tmp_path / "out" / "P-006.html").read_text(encoding="utf-8")


def test_a_moved_or_copied_clinic_folder_keeps_every_booking_and_a_move_in_the_copy_stays_in_the_copy(
    tmp_path, monkeypatch
):
    lines, _ = _week(tmp_path / "clinic", monkeypatch)
    assert _cli(lines[0])[0] == 0
    assert _cli(lines[3])[0] == 0  # P-006 moved to 11:00 by the coordinator
    booked, sheet = _booked(tmp_path / "clinic"), _week_sheet()
    # The clinic folder renamed (a restore, a new share): the same list again, levelled, re-times nobody.
    (tmp_path / "clinic").rename(tmp_path / "moved")
    monkeypatch.chdir(tmp_path / "moved")
    code, said = _cli(lines[0])
    assert code == 0, said
    assert "0 moved" in said or "moved" not in said.split("Levelled", 1)[-1].split("\n")[0]
    assert _booked(tmp_path / "moved") == booked and _week_sheet() == sheet
    # Into another --out-dir inside the folder: still nobody re-timed.
    assert _cli([*lines[0][:3], "--out-dir", "again", *lines[0][5:]])[0] == 0
    assert _booked(tmp_path / "moved") == booked
    # A copy: a move there writes the copy's files and book, and leaves the original byte for byte.
    shutil.copytree(tmp_path / "moved", tmp_path / "copy")
    original = _files(tmp_path / "moved")
    monkeypatch.chdir(tmp_path / "copy")
    code, said = _cli(["txcal", "move", "P-006", "--date", "2027-01-05", "--to", "13:00", "--clinic", "clinic.toml"])
    assert code == 0, said
    assert _files(tmp_path / "moved") == original
    assert "DTSTART;TZID=America/New_York:20270105T130000" in (tmp_path / "copy" / "again" / "P-006.ics").read_text()
    assert ("P-006", "2027-01-05", "13:00") in [row[:3] for row in _booked(tmp_path / "copy")]


def test_a_batch_outside_the_books_folder_is_refused_and_writes_nothing(txcal, clinic, tmp_path_factory):
    elsewhere = tmp_path_factory.mktemp("elsewhere")
    result = txcal(f"batch nine.csv --out-dir {elsewhere} --clinic clinic.toml --level")
    assert result.exit_code == 1
    assert "outside the clinic book's folder" in result.stderr and "Traceback" not in result.stderr
    assert list(elsewhere.iterdir()) == [] and not (clinic / "book.sqlite").exists()


def test_a_book_written_by_the_landed_version_moves_with_its_folder(tmp_path, monkeypatch):
    # A book of schema 1 (full paths: made in /tmp/landed-clinic by the version before this one), restored
    # into another folder: a batch of the same list keeps every seat, and a move writes this folder's files.
    shutil.copytree(Path(__file__).parent / "fixtures" / "landed-book", tmp_path / "restored")
    folder = tmp_path / "restored"
    monkeypatch.chdir(folder)
    monkeypatch.setenv("SOURCE_DATE_EPOCH", SOURCE_DATE_EPOCH)
    monkeypatch.setenv("TXCAL_TODAY", "2027-02-01")

    def seats() -> list[tuple]:
        with sqlite3.connect(folder / "book.sqlite") as db:
            return db.execute("SELECT plan_id, day, start, chair FROM sittings ORDER BY 1, 2").fetchall()

    before = seats()
    assert ("9087264387ec53ebb0e0fde24a120ce3", "2027-03-02", "10:00", 1) in before  # P3, levelled to 10:00
    code, said = _cli(["txcal", "batch", "list.csv", "--out-dir", "out", "--clinic", "clinic.toml", "--level"])
    assert code == 0, said
    assert seats() == before
    with sqlite3.connect(folder / "book.sqlite") as db:
        assert db.execute("PRAGMA user_version").fetchone()[0] == SCHEMA
        assert sorted(db.execute("SELECT calendar, list FROM plans")) == [
            ("out/P1.ics", "list.csv"),
            ("out/P2.ics", "list.csv"),
            ("out/P3.ics", "list.csv"),
        ]
    code, said = _cli(["txcal", "move", "P3", "--date", "2027-03-02", "--to", "11:00", "--clinic", "clinic.toml"])
    assert code == 0, said
    assert "DTSTART;TZID=America/New_York:20270302T110000" in (folder / "out" / "P3.ics").read_text()


def test_a_book_that_names_a_file_outside_its_folder_is_refused(txcal, clinic):
    assert txcal("batch nine.csv --out-dir out --clinic clinic.toml --level").exit_code == 0
    with sqlite3.connect(clinic / "book.sqlite") as db:
        db.execute("UPDATE plans SET calendar = '../elsewhere/P1.ics' WHERE patient = 'P1'")
    day = _sheet(txcal)
    result = txcal("move P1 --date 2026-12-01 --to 12:00 --clinic clinic.toml")
    assert result.exit_code == 1
    assert "not a file in its folder" in result.stderr and len(result.stderr.strip().splitlines()) == 1
    assert _sheet(txcal) == day  # nothing moved
    assert not (clinic.parent / "elsewhere").exists()


@settings(max_examples=8, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    st.lists(
        st.tuples(
            st.sampled_from(["afami-cel", "atezolizumab"]), st.integers(0, 3), st.sampled_from(["08:00", "09:00"])
        ),
        min_size=2,
        max_size=8,
    ),
    st.integers(1, 3),
)
def test_no_chair_holds_two_patients_at_any_minute(tmp_path_factory, monkeypatch, drawn, chairs):
    # Premedication, the infusion it comes before and every dose: one rule says what takes a chair, and the
    # book's chairs never hold two patients at once, whoever is levelled around whom.
    folder = tmp_path_factory.mktemp("clinic")
    profile = CHAIRS.replace("chairs = 6", f"chairs = {chairs}").replace(
        "[visit_minutes]", 'book = "book.sqlite"\n[visit_minutes]'
    )
    (folder / "clinic.toml").write_text(profile + "premedication = 30\ninfusion = 120\n", encoding="utf-8")
    rows = ["patient,drug,every,start,time,tz,doses,infusion"]
    for number, (drug, offset, clock) in enumerate(drawn):
        if drug == "afami-cel":  # its infusion day, with premedication before it, on the same days as the doses
            rows.append(
                f"A{number},afami-cel,,2026-10-{19 + offset:02d},{clock},America/New_York,,2026-12-{1 + offset:02d}"
            )
        else:
            rows.append(f"D{number},atezolizumab,3w,2026-12-{1 + offset:02d},{clock},America/New_York,2,")
    (folder / "list.csv").write_text("\n".join(rows) + "\n", encoding="utf-8")
    monkeypatch.chdir(folder)
    monkeypatch.setenv("SOURCE_DATE_EPOCH", SOURCE_DATE_EPOCH)
    code, said = _cli(["txcal", "batch", "list.csv", "--out-dir", "out", "--clinic", "clinic.toml", "--level"])
    assert code in (0, 1), said
    with sqlite3.connect(folder / "book.sqlite") as db:
        seated = db.execute(
            "SELECT day, chair, patient, start, end FROM visits WHERE chair IS NOT NULL AND status != 'cancelled' "
            "ORDER BY day, chair, start"
        ).fetchall()
    assert all(1 <= chair <= chairs for _, chair, _, _, _ in seated)
    for (day, chair, patient, _, end), (day2, chair2, patient2, start2, _) in itertools.pairwise(seated):
        if (day, chair) == (day2, chair2) and patient != patient2:
            assert end <= start2, f"chair {chair} on {day}: {patient} until {end}, {patient2} from {start2}"


def test_release_frees_a_patients_chairs_cancels_their_visits_and_later_batches_keep_it(txcal, clinic, monkeypatch):
    monkeypatch.setenv("TXCAL_TODAY", "2026-12-10")  # dose 1 (12-01) has happened, dose 2 (12-22) is ahead
    assert txcal("batch nine.csv --out-dir out --clinic clinic.toml --level").exit_code == 0
    before = (clinic / "out" / "P1.ics").read_text()
    early = txcal("release P1 --from 2026-12-01 --clinic clinic.toml")
    assert early.exit_code == 1 and "before today" in early.stderr
    done = txcal("release P1 --clinic clinic.toml --reason 'moved to another clinic'")
    assert done.exit_code == 0, done.stderr
    assert "Released P1 from 2026-12-10 on: 1 chair visits freed" in done.stderr
    assert "P1" not in _sheet(txcal, "2026-12-22") and "P1" in _sheet(txcal, "2026-12-01")  # the past stays
    calendar = icalendar.Calendar.from_ical((clinic / "out" / "P1.ics").read_bytes())
    status = {f"{e['DTSTART'].dt:%Y-%m-%d}": str(e.get("STATUS")) for e in calendar.walk("VEVENT")}
    assert status["2026-12-22"] == "CANCELLED" and status["2026-12-01"] != "CANCELLED"
    assert "moved to another clinic" not in (clinic / "out" / "P1.ics").read_text()  # a clinician's reason
    assert before != (clinic / "out" / "P1.ics").read_text()
    with sqlite3.connect(clinic / "book.sqlite") as db:
        assert db.execute("SELECT reason FROM history WHERE change = 'released'").fetchone() == (
            "moved to another clinic",
        )
    # The list still names P1: the next batch books nothing for P1 from the release on, and a new patient
    # takes the freed chair at the time asked for.
    rows = (clinic / "nine.csv").read_text() + "P10,atezolizumab,3w,2026-12-22,09:00,America/New_York,1\n"
    (clinic / "nine.csv").write_text(rows)
    assert txcal("batch nine.csv --out-dir out --clinic clinic.toml --level").exit_code == 0
    assert "P1" not in _sheet(txcal, "2026-12-22")
    clinic_text = (clinic / "out" / "clinic.ics").read_text()
    assert clinic_text.count("BEGIN:VEVENT") == clinic_text.count("UID:")


def test_a_move_whose_clinic_calendar_cannot_be_written_changes_nothing(txcal, clinic, monkeypatch):
    # A full disk while clinic.ics is written (simulated: a real full disk cannot be made here as root): the
    # book keeps the old time and the patient's calendar is put back; the message says what to do.
    from scheduler.app.batching import rewrite

    assert txcal("batch nine.csv --out-dir out --clinic clinic.toml --level").exit_code == 0
    files = {p.name: p.read_bytes() for p in (clinic / "out").iterdir()}
    sheet = _sheet(txcal)
    real = rewrite.write_atomic

    def full(path, data, **kwargs):
        if Path(path).name == "clinic.ics":
            raise OSError(28, "No space left on device", str(path))
        return real(path, data, **kwargs)

    monkeypatch.setattr(rewrite, "write_atomic", full)
    result = txcal("move P1 --date 2026-12-01 --to 12:00 --clinic clinic.toml")
    assert result.exit_code == 1 and "Traceback" not in result.stderr
    assert "No space left on device" in result.stderr and "nothing was moved" in result.stderr
    assert _sheet(txcal) == sheet
    assert {p.name: p.read_bytes() for p in (clinic / "out").iterdir()} == files


def test_one_day_sheet_a_batch_folder_of_a_booked_clinic_reads_the_book(txcal, clinic):
    # Two lists booked into one book, in two folders: each folder's clinic.ics is a snapshot of one batch; the
    # day sheet and the load of either folder are the book's, and say so.
    lines = (clinic / "nine.csv").read_text().splitlines()
    (clinic / "first.csv").write_text("\n".join(lines[:5]) + "\n")
    (clinic / "second.csv").write_text("\n".join([lines[0], *lines[5:]]) + "\n")
    assert txcal("batch first.csv --out-dir a --clinic clinic.toml --level").exit_code == 0
    assert txcal("batch second.csv --out-dir b --clinic clinic.toml --level").exit_code == 0
    book = txcal("agenda --clinic clinic.toml --date 2026-12-01 --format csv")
    for folder in ("a", "b"):
        sheet = txcal(f"agenda {folder} --clinic clinic.toml --date 2026-12-01 --format csv")
        assert sheet.exit_code == 0 and sheet.stdout == book.stdout
        assert "read from the clinic book" in sheet.stderr
    assert len(_csv(book.stdout)) == 9
    assert all("may move" not in r["prepare"] for r in _csv(book.stdout))  # window notes are not preparation
    load = txcal("load a --clinic clinic.toml --format csv")
    assert load.stdout == txcal("load --clinic clinic.toml --format csv").stdout
    assert _csv(load.stdout)[0]["patients"] == "9"


@pytest.mark.parametrize("options", ["--clinic clinic.toml --level", "--clinic clinic.toml", ""])
def test_two_rows_with_one_label_are_refused_in_any_list(txcal, clinic, options):
    # A label is one patient in every view: a second row labelled P1 would replace the first's plan in the book,
    # be seated beside itself by levelling, or give two calendars and day-sheet rows to one name.
    rows = (clinic / "nine.csv").read_text() + "P1,pembrolizumab,3w,2026-12-02,10:00,America/New_York,2\n"
    (clinic / "nine.csv").write_text(rows)
    result = txcal(f"batch nine.csv --out-dir out {options}")
    assert result.exit_code == 1 and "rows 2 and 11 are both labelled 'P1'" in result.stderr
    assert not (clinic / "out").exists() or list((clinic / "out").iterdir()) == []
    assert not (clinic / "book.sqlite").exists()


def test_a_second_release_never_brings_back_what_the_first_let_go(txcal, clinic, monkeypatch):
    monkeypatch.setenv("TXCAL_TODAY", "2026-12-10")
    assert txcal("batch nine.csv --out-dir out --clinic clinic.toml --level").exit_code == 0
    assert txcal("release P1 --clinic clinic.toml").exit_code == 0
    before = (clinic / "out" / "P1.ics").read_bytes()
    later = txcal("release P1 --clinic clinic.toml --from 2026-12-30")
    assert later.exit_code == 1 and "released from 2026-12-10 on already" in later.stderr
    assert (clinic / "out" / "P1.ics").read_bytes() == before
    moved = txcal("move P1 --date 2026-12-22 --to 12:00 --clinic clinic.toml")
    assert moved.exit_code == 1 and "Traceback" not in moved.stderr
    assert "P1" not in _sheet(txcal, "2026-12-22")


def test_a_coordinators_move_tells_the_patient_the_new_time_not_what_they_asked(txcal, clinic):
    assert txcal("batch nine.csv --out-dir out --clinic clinic.toml --level").exit_code == 0
    done = txcal("move P1 --date 2026-12-01 --to 11:00 --clinic clinic.toml --reason 'asked by phone'")
    assert done.exit_code == 0 and "1 event changed" in done.stderr
    patient = (clinic / "out" / "P1.ics").read_text(encoding="utf-8").replace("\n ", "")
    assert "Your clinic moved this appointment to 11:00" in patient
    assert (
        "you asked for" not in patient
        and "asked by phone" not in patient
        and "every patient has a chair" not in patient
    )
    clinic_text = (clinic / "out" / "clinic.ics").read_text(encoding="utf-8").replace("\n ", "")
    assert "Appointment at 11:00 (asked 09:00)\\, moved by the clinic: asked by phone" in clinic_text
    undone = txcal("move P1 --date 2026-12-01 --undo --clinic clinic.toml")
    assert undone.exit_code == 0 and "Took back the last move of P1's chair visit" in undone.stderr
    assert "Your clinic" not in (clinic / "out" / "P1.ics").read_text(encoding="utf-8").replace("\n ", "")


def test_an_unknown_patient_gets_the_nearest_labels(txcal, clinic):
    assert txcal("batch nine.csv --out-dir out --clinic clinic.toml --level").exit_code == 0
    result = txcal("move p9 --date 2026-12-01 --to 11:00 --clinic clinic.toml")
    assert result.exit_code == 1 and "did you mean P9?" in result.stderr


def test_a_move_changes_one_patients_text_in_the_clinic_calendar_and_gives_the_whole_books_bytes(txcal, clinic):
    # A move rewrites only the moved plan's events in clinic.ics (fast in a clinic of thousands); the file is
    # byte for byte the calendar made from the whole book, and every other patient's text is untouched.
    from scheduler.app.batching.rewrite import clinic_calendar
    from scheduler.clinic.book import read_book

    assert txcal("batch nine.csv --out-dir out --clinic clinic.toml --level").exit_code == 0
    before = (clinic / "out" / "clinic.ics").read_bytes()
    assert txcal("move P4 --date 2026-12-22 --to 15:00 --clinic clinic.toml").exit_code == 0
    after = (clinic / "out" / "clinic.ics").read_bytes()
    book = read_book(clinic / "book.sqlite")
    assert book is not None
    assert after == clinic_calendar(book).encode("utf-8") and after != before
    others = [e for e in icalendar.Calendar.from_ical(after).walk("VEVENT") if "P4" not in str(e["SUMMARY"])]
    old = {str(e["UID"]): e.to_ical() for e in icalendar.Calendar.from_ical(before).walk("VEVENT")}
    assert all(old[str(e["UID"])] == e.to_ical() for e in others)
