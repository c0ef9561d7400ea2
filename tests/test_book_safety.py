"""The clinic book against planted files, links, FIFOs, foreign databases and damage: each case a red team
reproduced, run as a coordinator would meet it. Every refusal is one line, no traceback, nothing changed."""

from __future__ import annotations

import json
import os
import sqlite3
import stat
import subprocess
import sys
import time
import zlib
from pathlib import Path

import pytest
from test_chairs import PROFILE as CHAIRS

from scheduler.clinic import book as books
from tests_support import SOURCE_DATE_EPOCH

PROFILE = CHAIRS.replace("[visit_minutes]", 'book = "book.sqlite"\n[visit_minutes]')
ROWS = "patient,drug,every,start,time,tz,doses\n" + "".join(
    f"P{n},atezolizumab,3w,2026-12-01,09:00,America/New_York,2\n" for n in range(1, 5)
)


@pytest.fixture
def clinic(tmp_path, monkeypatch):
    (tmp_path / "clinic.toml").write_text(PROFILE, encoding="utf-8")
    (tmp_path / "four.csv").write_text(ROWS, encoding="utf-8")
    monkeypatch.setenv("SOURCE_DATE_EPOCH", SOURCE_DATE_EPOCH)
    monkeypatch.chdir(tmp_path)
    return tmp_path


def one_line(result) -> str:
    assert result.exit_code != 0
    assert "Traceback" not in result.stderr and "unexpectedly" not in result.stderr, result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    return lines[0]


def booked(txcal, clinic) -> None:
    result = txcal("batch four.csv --out-dir out --clinic clinic.toml --level")
    assert result.exit_code == 0, result.stderr


def test_a_planted_holder_link_never_writes_through(txcal, clinic):
    victim = clinic / "victim.txt"
    victim.write_text("the user's own file\n", encoding="utf-8")
    (clinic / "book.sqlite.holder").symlink_to(victim)
    booked(txcal, clinic)
    assert victim.read_text(encoding="utf-8") == "the user's own file\n"
    assert not os.path.lexists(clinic / "book.sqlite.holder")  # the link went; what it pointed at stayed


def _hold(book: Path) -> sqlite3.Connection:
    """Hold the book's write lock as another program would."""
    other = sqlite3.connect(book, isolation_level=None)
    other.execute("BEGIN IMMEDIATE")
    return other


def test_a_busy_book_names_a_stale_holder_and_never_reads_a_linked_one(txcal, clinic, monkeypatch):
    booked(txcal, clinic)
    monkeypatch.setattr(books, "WAIT_SECONDS", 0.2)
    other = _hold(clinic / "book.sqlite")
    try:
        (clinic / "book.sqlite.holder").write_text("txcal batch (process 999999999)\n", encoding="utf-8")
        stale = one_line(txcal("move P1 --date 2026-12-01 --to 12:00 --clinic clinic.toml"))
        assert "is busy" in stale and "process 999999999, which is no longer running" in stale
        (clinic / "book.sqlite.holder").unlink()
        (clinic / "book.sqlite.holder").symlink_to("/dev/zero")  # would be read until memory ran out
        linked = one_line(txcal("move P1 --date 2026-12-01 --to 12:00 --clinic clinic.toml"))
        assert "is busy: another program" in linked
        secret = clinic / "secret.txt"
        secret.write_text("a line of someone else's file\n", encoding="utf-8")
        (clinic / "book.sqlite.holder").unlink()
        (clinic / "book.sqlite.holder").symlink_to(secret)
        assert "someone else" not in one_line(txcal("move P1 --date 2026-12-01 --to 12:00 --clinic clinic.toml"))
    finally:
        other.rollback()
        other.close()


@pytest.mark.parametrize("command", ["agenda --clinic clinic.toml --date 2026-12-01", "load --clinic clinic.toml",
                                     "batch four.csv --out-dir out --clinic clinic.toml",
                                     "move P1 --date 2026-12-01 --to 12:00 --clinic clinic.toml"])  # fmt: skip
def test_a_fifo_as_the_book_is_refused_at_once(clinic, command):
    os.mkfifo(clinic / "book.sqlite")
    began = time.monotonic()
    done = subprocess.run(
        [sys.executable, "-m", "scheduler", *command.split()], cwd=clinic, capture_output=True, text=True, timeout=60,
        env={**os.environ, "SOURCE_DATE_EPOCH": SOURCE_DATE_EPOCH},
    )  # fmt: skip
    assert time.monotonic() - began < 30
    assert done.returncode == 1 and "is not a regular file" in done.stderr and "Traceback" not in done.stderr


def test_another_programs_database_is_left_byte_for_byte(txcal, clinic):
    with sqlite3.connect(clinic / "book.sqlite") as db:  # a rollback-journal database of another program
        db.execute("CREATE TABLE patients (name TEXT)")
        db.execute("INSERT INTO patients VALUES ('someone')")
    db.close()
    before = (clinic / "book.sqlite").read_bytes()
    message = one_line(txcal("batch four.csv --out-dir out --clinic clinic.toml --level"))
    assert "not a clinic book" in message and "left unchanged" in message
    assert (clinic / "book.sqlite").read_bytes() == before
    assert sorted(p.name for p in clinic.iterdir() if p.name.startswith("book.sqlite")) == ["book.sqlite"]


def test_a_planted_trigger_or_view_is_refused_before_it_can_run(txcal, clinic):
    booked(txcal, clinic)
    with sqlite3.connect(clinic / "book.sqlite") as db:
        db.execute("CREATE TRIGGER undo_moves AFTER UPDATE ON sittings BEGIN DELETE FROM visits; END")
        db.execute("CREATE VIEW everyone AS SELECT patient FROM plans")
        visits = db.execute("SELECT count(*) FROM visits").fetchone()[0]
    db.close()
    message = one_line(txcal("move P1 --date 2026-12-01 --to 12:00 --clinic clinic.toml"))
    assert "trigger undo_moves" in message and "view everyone" in message
    with sqlite3.connect(clinic / "book.sqlite") as db:
        assert db.execute("SELECT count(*) FROM visits").fetchone()[0] == visits
    db.close()


def test_a_damaged_book_gets_a_book_message_with_what_to_do(txcal, clinic):
    booked(txcal, clinic)
    data = bytearray((clinic / "book.sqlite").read_bytes())
    page = 4096
    data[page + 100 : page * 3] = os.urandom(page * 2 - 100)  # pages of the tables, scrambled
    (clinic / "book.sqlite").write_bytes(bytes(data))
    message = one_line(txcal("move P1 --date 2026-12-01 --to 12:00 --clinic clinic.toml"))
    assert "clinic book" in message and "restore the book from its backup" in message


@pytest.mark.parametrize(
    ("column", "value", "command"),
    [
        ("start", "\x009:00", "load --clinic clinic.toml"),  # found by the book fuzz test
        ("start", "9h", "agenda --clinic clinic.toml --date 2026-12-01"),
        ("day", "December 1", "move P1 --date 2026-12-01 --to 12:00 --clinic clinic.toml"),
    ],
)
def test_a_damaged_day_or_time_in_a_booked_row_gets_the_books_message(txcal, clinic, column, value, command):
    booked(txcal, clinic)
    with sqlite3.connect(clinic / "book.sqlite") as db:
        db.execute(f"UPDATE sittings SET {column} = ?", (value,))
        db.execute(f"UPDATE visits SET {column} = ?", (value,))
    db.close()
    message = one_line(txcal(command))
    assert "clinic book" in message and "damaged row" in message and "restore the book from its backup" in message


def test_a_planted_clinic_text_cannot_unpack_to_all_memory(txcal, clinic):
    booked(txcal, clinic)
    bomb = zlib.compress(b"A" * (200 * 2**20), 9)  # about 200 KB that unpack to 200 MB
    with sqlite3.connect(clinic / "book.sqlite") as db:
        db.execute("UPDATE plans SET clinic_ics = ? WHERE patient = 'P1'", (bomb,))  # the plan a move reads
    db.close()
    message = one_line(txcal("move P1 --date 2026-12-01 --to 12:00 --clinic clinic.toml"))
    assert "damaged or oversized plan" in message


def test_a_book_key_through_a_linked_folder_is_refused(txcal, clinic, tmp_path_factory):
    elsewhere = tmp_path_factory.mktemp("elsewhere")
    (clinic / "books").symlink_to(elsewhere, target_is_directory=True)
    (clinic / "clinic.toml").write_text(PROFILE.replace('book = "book.sqlite"', 'book = "books/b.sqlite"'))
    message = one_line(txcal("batch four.csv --out-dir out --clinic clinic.toml"))
    assert "book:" in message
    assert list(elsewhere.iterdir()) == []


def test_clinic_calendar_and_manifest_follow_the_umask_like_patient_files(txcal, clinic):
    old = os.umask(0o022)
    try:
        booked(txcal, clinic)
    finally:
        os.umask(old)
    modes = {p.name: stat.S_IMODE(p.stat().st_mode) for p in (clinic / "out").iterdir() if not p.name.startswith(".")}
    assert set(modes.values()) == {0o644}, modes


@pytest.mark.parametrize(
    ("where", "text"),
    [("title", "Blood tests\x1b]0;owned\x07"), ("title", "Blood\u202etests"), ("title", "Blood\u200btests")],
)
def test_control_and_invisible_characters_from_a_profile_never_reach_the_terminal(txcal, clinic, where, text):
    profile = PROFILE + f'\n[[linked]]\nkind = "lab"\n{where} = {json.dumps(text)}\n'
    profile += "before_days = 0\nminutes = 30\n"
    (clinic / "clinic.toml").write_text(profile, encoding="utf-8")
    result = txcal("agenda four.csv --clinic clinic.toml --date 2026-12-01")
    message = one_line(result)
    assert "title" in message and ("control character" in message or "invisible character" in message)
    assert "\x1b" not in result.stdout + result.stderr and "\u202e" not in result.stdout + result.stderr


@pytest.mark.parametrize("label", ["P\u202e1", "P1\u200b", "P\u20601"])
def test_labels_that_would_look_like_another_patients_are_refused(txcal, clinic, label):
    (clinic / "four.csv").write_text(ROWS + f"{label},atezolizumab,3w,2026-12-01,09:00,America/New_York,2\n")
    result = txcal("batch four.csv --out-dir out --clinic clinic.toml")
    assert result.exit_code == 1 and "invisible character" in (clinic / "out" / "manifest.csv").read_text()


def test_move_reason_is_one_line_of_plain_text(txcal, clinic):
    booked(txcal, clinic)
    from click.testing import CliRunner

    from scheduler.cli import main

    args = ["move", "P1", "--date", "2026-12-01", "--to", "12:00", "--clinic", "clinic.toml", "--reason", "a\rb"]
    message = one_line(CliRunner().invoke(main, args))
    assert "--reason" in message and "control character" in message


def test_an_inverted_date_range_is_refused(txcal, clinic):
    booked(txcal, clinic)
    message = one_line(txcal("load --clinic clinic.toml --from 2026-12-31 --to 2026-12-01"))
    assert "after --to" in message


def test_a_profile_of_dotted_keys_is_refused_at_once(txcal, clinic):
    key = "t." + ".".join(f"k{n}" for n in range(30_000))  # about 200 KB: 24 s inside tomllib before
    (clinic / "clinic.toml").write_text(PROFILE + f"{key} = 1\n", encoding="utf-8")
    began = time.monotonic()
    message = one_line(txcal("agenda four.csv --clinic clinic.toml --date 2026-12-01"))
    assert time.monotonic() - began < 5 and "levels deep" in message


def test_a_colleague_who_may_only_read_the_folder_gets_the_day_sheet(txcal, clinic, monkeypatch):
    # The folder as a read-only colleague sees it: not writable, so SQLite could not make the book's
    # shared-memory file there. (Simulated through os.access: the tests run as root, whom no permission stops.)
    booked(txcal, clinic)
    expected = txcal("agenda --clinic clinic.toml --date 2026-12-01 --format csv").stdout
    real = os.access
    monkeypatch.setattr(books.os, "access", lambda path, mode: False if mode == os.W_OK else real(path, mode))
    before = sorted(p.name for p in clinic.iterdir())
    for command in ("agenda --clinic clinic.toml --date 2026-12-01 --format csv", "load --clinic clinic.toml"):
        result = txcal(command)
        assert result.exit_code == 0, result.stderr
    assert txcal("agenda --clinic clinic.toml --date 2026-12-01 --format csv").stdout == expected
    assert sorted(p.name for p in clinic.iterdir()) == before  # nothing made in the folder (no -shm, no -wal)


def test_a_killed_commands_temporaries_are_removed_by_the_next_that_finds_them_stale(txcal, clinic):
    # A killed `plan -o` and a killed `record` left their temporaries (a write interrupted between the
    # temporary and the rename). The next write of the same file removes them: an old one beside plan -o's
    # output, and any beside a plan file, whose lock says no other write is under way.
    old = time.time() - 2 * 3600
    plan_tmp = clinic / ".p.ics.txcal-abc123.tmp"
    plan_tmp.write_text("half a calendar")
    os.utime(plan_tmp, (old, old))
    fresh = clinic / ".p.ics.txcal-def456.tmp"  # maybe another write under way now: kept
    fresh.write_text("another write")
    command = "plan atezolizumab --every 3w --start 2026-12-01 --doses 2 --patient P1"
    assert txcal(f"{command} -o p.ics").exit_code == 0
    assert not plan_tmp.exists() and fresh.exists()
    assert txcal(f"record new -f p.toml {command.removeprefix('plan ')}").exit_code == 0
    record_tmp = clinic / ".p.toml.txcal-ghi789.tmp"
    record_tmp.write_text("half a plan file")
    os.utime(record_tmp, (time.time() - 5, time.time() - 5))
    assert txcal("record given 1 2026-12-01 -f p.toml").exit_code == 0
    assert not record_tmp.exists()
