"""Hostile and mistaken files: each finding of an attack on txcal's inputs, reproduced as the attacker found it."""

from __future__ import annotations

import csv
import http.server
import io
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from test_hardening import PLAN, one_error_line

from tests_support import local_server

PROFILE = 'schema = 1\nname = "Clinic"\ntimezone = "America/New_York"\navoid = ["weekends"]\n'


def _list(tmp_path: Path, extra_header: str = "", extra_cell: str = "") -> Path:
    path = tmp_path / "list.csv"
    path.write_text(
        f"patient,drug,every,start,doses{extra_header}\nP-1,atezolizumab,3w,2026-12-01,2{extra_cell}\n"
        f"P-2,atezolizumab,3w,2026-12-01,2\n",
        encoding="utf-8",
    )
    return path


def _manifest(folder: Path) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO((folder / "manifest.csv").read_text(encoding="utf-8"))))


@pytest.mark.parametrize("closed", ["/etc/passwd", "../secret.txt"])
def test_a_profile_a_list_names_reads_no_file_outside_the_list_folder(txcal, tmp_path, closed):
    (tmp_path / "secret.txt").write_text("root:x:0:0:secret line\n", encoding="utf-8")
    folder = tmp_path / "lists"
    folder.mkdir()
    (folder / "c.toml").write_text(PROFILE + f'closed = "{closed}"\n', encoding="utf-8")
    patients = _list(folder, ",clinic", ",c.toml")
    result = txcal(f"batch {patients} --out-dir {tmp_path / 'out'}")
    assert result.exit_code == 1 and "outside the folder of the patient list" in result.stderr
    for text in (result.stderr, (tmp_path / "out" / "manifest.csv").read_text(encoding="utf-8")):
        assert "root:" not in text and "secret line" not in text
    assert [r["status"] for r in _manifest(tmp_path / "out")] == ["error", "ok"]
    assert "secret" not in (tmp_path / "out" / "clinic.ics").read_text(encoding="utf-8")
    # Given on the command line, the profile is the user's own, and its closures file may be anywhere.
    (tmp_path / "closures.txt").write_text("2026-12-22 Staff day\n", encoding="utf-8")
    (folder / "mine.toml").write_text(PROFILE + 'closed = "../closures.txt"\n', encoding="utf-8")
    mine = txcal(f"plan {PLAN} --doses 2 --clinic {folder / 'mine.toml'} --format json")
    assert mine.exit_code == 0 and "Staff day" in mine.stdout


def test_an_error_about_a_file_that_is_not_a_closures_file_quotes_none_of_its_lines(txcal, tmp_path):
    (tmp_path / "notes.txt").write_text("alice:x:1000:1000:Alice:/home/alice\nanother private line\n", encoding="utf-8")
    message = one_error_line(txcal(f"plan {PLAN} --closed {tmp_path / 'notes.txt'}"))
    assert "is not a closures file" in message and "alice" not in message and "private" not in message
    (tmp_path / "typo.txt").write_text("2026-12-24\n2026-13-01\n", encoding="utf-8")
    typo = one_error_line(txcal(f"plan {PLAN} --closed {tmp_path / 'typo.txt'}"))
    assert "typo.txt:2" in typo and "'2026-13-01'" in typo  # a mistyped date is still quoted, to be fixed


def test_folded_line_bombs_are_read_in_linear_time(txcal, tmp_path):
    # 640,000 continuation lines (2.6 MB): the readers join a line's pieces once (quadratic before: 11 s).
    bomb = (
        "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//x//y//EN\r\nBEGIN:VEVENT\r\nUID:u1\r\nDTSTAMP:20261101T000000Z\r\n"
        "DTSTART:20261201T090000Z\r\nSUMMARY:x\r\n" + " y\r\n" * 640_000 + "END:VEVENT\r\nEND:VCALENDAR\r\n"
    )
    (tmp_path / "bomb.ics").write_text(bomb, encoding="utf-8", newline="")
    sheet = txcal(f"agenda {tmp_path / 'bomb.ics'} --date 2026-12-01 --format csv")
    csv.field_size_limit(1 << 24)
    assert sheet.exit_code == 0 and len(next(csv.DictReader(io.StringIO(sheet.stdout)))["what"]) == 640_001
    checked = txcal(f"check {tmp_path / 'bomb.ics'}")
    assert "Traceback" not in checked.stderr and "unexpectedly" not in checked.stderr


def test_load_and_agenda_say_how_many_events_they_could_not_read(txcal, tmp_path):
    events = "".join(
        f"BEGIN:VEVENT\r\nUID:u{n}\r\nDTSTAMP:20261101T000000Z\r\nDTSTART:2026120{n}T9\r\nSUMMARY:x\r\nEND:VEVENT\r\n"
        for n in range(1, 4)
    )
    good = (
        "BEGIN:VEVENT\r\nUID:ok\r\nDTSTAMP:20261101T000000Z\r\nDTSTART:20261201T090000\r\nSUMMARY:y\r\nEND:VEVENT\r\n"
    )
    text = f"BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//x//y//EN\r\n{events}{good}END:VCALENDAR\r\n"
    (tmp_path / "odd.ics").write_text(text, encoding="utf-8", newline="")
    load = txcal(f"load {tmp_path / 'odd.ics'}")
    assert load.exit_code == 0 and "3 events skipped: their start could not be read" in load.stderr
    sheet = txcal(f"agenda {tmp_path / 'odd.ics'} --date 2026-12-01")
    assert "3 events skipped: their start could not be read" in sheet.stderr


def _batch_folder(txcal, tmp_path: Path) -> Path:
    assert txcal(f"batch {_list(tmp_path)} --out-dir {tmp_path / 'out'}").exit_code == 0
    return tmp_path / "out"


@pytest.mark.parametrize("plant", ["fifo", "zero", "latin1", "dots", "broken"])
def test_publish_folder_checks_every_file_before_the_first_put(txcal, tmp_path, monkeypatch, plant):
    out = _batch_folder(txcal, tmp_path)
    target = out / "P-3.ics"
    if plant == "fifo":
        os.mkfifo(target)
    elif plant == "zero":
        target.symlink_to("/dev/zero")
    elif plant == "latin1":
        target.write_bytes("BEGIN:VCALENDAR\r\nX-TXCAL-PLAN:x\r\nSUMMARY:caf\xe9\r\n".encode("latin-1"))
    elif plant == "dots":
        target = out / "...ics"
        target.write_bytes((out / "P-1.ics").read_bytes())
    else:
        target.write_bytes((out / "P-1.ics").read_bytes().replace(b"END:VEVENT", b"END:VTODO", 1))
    monkeypatch.setenv("TXCAL_CALDAV_USER", "u")
    monkeypatch.setenv("TXCAL_CALDAV_PASSWORD", "p")
    # Port 9 on this machine: nobody listens; any request would end in "cannot reach".
    message = one_error_line(txcal(f"publish --to http://127.0.0.1:9/cal/ --folder {out}"))
    assert target.name in message and "cannot reach" not in message


def test_deep_toml_is_one_line_and_a_batch_row_of_it_is_skipped(txcal, tmp_path):
    deep = "x = " + "[" * 100_000 + "]" * 100_000 + "\n"
    (tmp_path / "deep.toml").write_text('schema = 1\nname = "C"\n' + deep, encoding="utf-8")
    message = one_error_line(txcal(f"plan {PLAN} --clinic {tmp_path / 'deep.toml'}"))
    assert "nested more than 32 levels deep" in message
    (tmp_path / "plan.toml").write_text(deep, encoding="utf-8")
    patients = tmp_path / "list.csv"
    patients.write_text(
        "patient,drug,every,start,doses,plan_file\nP-1,atezolizumab,3w,2026-12-01,2,\nP-2,,,,,plan.toml\n"
        "P-3,atezolizumab,3w,2026-12-08,2,\n",
        encoding="utf-8",
    )
    result = txcal(f"batch {patients} --out-dir {tmp_path / 'out'}")
    assert result.exit_code == 1 and "unexpectedly" not in result.stderr and "nested" in result.stderr
    assert [r["status"] for r in _manifest(tmp_path / "out")] == ["ok", "error", "ok"]
    assert (tmp_path / "out" / "clinic.ics").read_text(encoding="utf-8").count("X-TXCAL-PATIENT:P-3") == 2


def test_record_undo_takes_back_only_the_record_it_showed(txcal, tmp_path, monkeypatch):
    plan = tmp_path / "p.toml"
    assert txcal(f"record new {PLAN} --time 09:00 --tz America/New_York -f {plan}").exit_code == 0
    assert txcal(f"record given -f {plan} 1 2026-12-01").exit_code == 0
    import scheduler.files

    real = scheduler.files.locked
    colleague = [str(Path(sys.executable).parent / "txcal"), "record", "delay", "-f", str(plan), "2", "7"]

    def colleague_records_first(path: Path, *args: object, **kwargs: object):  # another record arrives meanwhile
        subprocess.run(colleague, check=True, capture_output=True)
        return real(path, *args, **kwargs)

    monkeypatch.setattr(scheduler.files, "locked", colleague_records_first)
    message = one_error_line(txcal(f"record undo -f {plan} --yes"))
    assert "changed while you answered" in message and "nothing was taken back" in message
    assert 'kind = "delay"' in plan.read_text(encoding="utf-8") and 'kind = "given"' in plan.read_text(encoding="utf-8")


def test_a_killed_batchs_temporaries_are_removed_by_the_next_run(txcal, tmp_path):
    rows = ["patient,drug,every,start,doses"] + [f"P-{n},atezolizumab,3w,2026-12-01,40" for n in range(600)]
    (tmp_path / "many.csv").write_text("\n".join(rows) + "\n", encoding="utf-8")
    out = tmp_path / "out"
    out.mkdir()
    command = [str(Path(sys.executable).parent / "txcal"), "batch", str(tmp_path / "many.csv"), "--out-dir", str(out)]
    batch = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 120
    while not any(p.name.endswith(".tmp") for p in out.iterdir()) and time.monotonic() < deadline:
        time.sleep(0.01)
    os.kill(batch.pid, signal.SIGKILL)
    batch.wait(timeout=30)
    assert any(p.name.endswith(".tmp") for p in out.iterdir()), "the batch left no temporary to clean up"
    time.sleep(0.01)
    (tmp_path / "one.csv").write_text("patient,drug,every,start,doses\nP-0,atezolizumab,3w,2026-12-01,2\n")
    assert txcal(f"batch {tmp_path / 'one.csv'} --out-dir {out}").exit_code == 0
    assert not [p.name for p in out.iterdir() if p.name.startswith(".") and p.name != ".txcal-batch.jsonl"]


def test_linked_visits_are_bounded(txcal, tmp_path):
    linked = '[[linked]]\nkind = "lab"\ntitle = "Labs"\nminutes = 10\n' * 5000
    (tmp_path / "c.toml").write_text(PROFILE + linked, encoding="utf-8")
    message = one_error_line(txcal(f"plan {PLAN} --clinic {tmp_path / 'c.toml'}"))
    assert "linked: 5000 entries; a profile links at most 20 visits" in message


@pytest.mark.parametrize("args", [["-o", "/dev/stdout", "--format", "ics"], ["--format", "json"], []])
def test_a_closed_stdout_is_a_quiet_exit(args):
    reader, writer = os.pipe()
    os.close(reader)  # `| head` that has already gone
    command = [str(Path(sys.executable).parent / "txcal"), "plan", *PLAN.split(), "--for", "24m", *args]
    done = subprocess.run(command, stdout=writer, stderr=subprocess.PIPE, check=False)
    os.close(writer)
    assert done.returncode in (0, 141) and b"unexpectedly" not in done.stderr and b"Traceback" not in done.stderr


class Answers(http.server.BaseHTTPRequestHandler):
    """A CalDAV server whose listing and PUT answers the test sets."""

    listing: bytes = b"<D:multistatus xmlns:D='DAV:'/>"
    etag: str = '"1"'

    def do_PROPFIND(self) -> None:
        self._send(207, b"<D:multistatus xmlns:D='DAV:'/>")

    def do_REPORT(self) -> None:
        self._send(207, self.listing)

    def do_PUT(self) -> None:
        self.rfile.read(int(self.headers.get("Content-Length", 0)))
        self._send(201, b"", {"ETag": self.etag})

    def _send(self, status: int, body: bytes, headers: dict[str, str] | None = None) -> None:
        self.send_response(status)
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def answers():
    with local_server(Answers) as server:
        yield f"http://127.0.0.1:{server.server_address[1]}/cal/"


def test_caldav_messages_say_what_happened(txcal, answers, monkeypatch, tmp_path):
    monkeypatch.setenv("TXCAL_CALDAV_USER", "u")
    monkeypatch.setenv("TXCAL_CALDAV_PASSWORD", "p")
    monkeypatch.setattr(Answers, "etag", '"' + "e" * 70_000 + '"')  # longer than any HTTP header line
    message = one_error_line(txcal(f"publish --to {answers} {PLAN} --doses 2 --state {tmp_path / 's.json'}"))
    assert "not a readable HTTP answer" in message and "may have been made" in message and "cannot reach" not in message
    event = (
        "BEGIN:VCALENDAR&#13;\nX-TXCAL-PLAN:x&#13;\nBEGIN:VEVENT&#13;\nUID:a@txcal&#13;\nSEQUENCE:abc&#13;\n"
        "SUMMARY:x&#13;\nDTSTART:20261201T090000Z&#13;\nEND:VEVENT&#13;\nEND:VCALENDAR&#13;\n"
    )
    monkeypatch.setattr(Answers, "etag", '"1"')
    monkeypatch.setattr(
        Answers,
        "listing",
        (
            "<D:multistatus xmlns:D='DAV:' xmlns:C='urn:ietf:params:xml:ns:caldav'><D:response><D:href>/cal/a.ics"
            '</D:href><D:propstat><D:prop><D:getetag>"9"</D:getetag><C:calendar-data>'
            f"{event}</C:calendar-data></D:prop></D:propstat></D:response></D:multistatus>"
        ).encode(),
    )
    message = one_error_line(txcal(f"publish --to {answers} {PLAN} --doses 2 --state {tmp_path / 't.json'}"))
    assert "SEQUENCE:'abc'" in message and "--force" not in message
