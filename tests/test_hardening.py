"""Nothing lost, nothing injected, no traceback: each item of the hardening review as a regression test."""

from __future__ import annotations

import csv
import http.server
import io
import os
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from scheduler.ical.check import check_ics
from scheduler.inputs.plan_file import dump_plan, load_plan
from tests_support import GOOD_TEMPLATE, SOURCE_DATE_EPOCH, local_server

PLAN = "atezolizumab --every 3w --start 2026-12-01"


def one_error_line(result) -> str:
    """Assert a failure the way a user must see it: exit 1 or 2, an Error line, no traceback, no bug report."""
    assert result.exit_code in (1, 2), (result.exit_code, result.stdout, result.stderr)
    assert "Traceback" not in result.stderr and "failed unexpectedly" not in result.stderr, result.stderr
    errors = [line for line in result.stderr.splitlines() if line.startswith("Error:")]
    assert len(errors) == 1, result.stderr
    return errors[0]


@pytest.fixture
def course(txcal, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert txcal(f"record new -f p.toml {PLAN} --doses 16").exit_code == 0
    return tmp_path / "p.toml"


# -- data loss -------------------------------------------------------------------------------------


def test_records_made_at_the_same_time_are_all_kept(course):
    """Sixteen `record hold` commands at once on one plan file: every record is in the file after."""
    environment = {**os.environ, "TXCAL_TODAY": "2026-11-26"}
    writers = [
        subprocess.Popen(
            [sys.executable, "-m", "scheduler", "record", "hold", "-f", str(course), str(dose)],
            env=environment,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
        )
        for dose in range(1, 17)
    ]
    failures = [w.stderr.read().decode() for w in writers if w.wait(timeout=120) != 0]  # type: ignore[union-attr]
    assert failures == []
    assert sorted(r.dose for r in load_plan(course).records) == list(range(1, 17))


def test_record_keeps_the_previous_version_as_a_backup(txcal, course):
    before = course.read_bytes()
    assert txcal("record hold -f p.toml 2").exit_code == 0
    assert (course.parent / "p.toml.bak").read_bytes() == before


def test_batch_never_names_a_patient_file_after_its_own_files(txcal, tmp_path):
    (tmp_path / "list.csv").write_text(
        f"patient,drug,every,start,doses\nclinic,atezolizumab,3w,2026-12-01,2\nMANIFEST,{PLAN.split()[0]},3w,2026-12-08,2\n",
        encoding="utf-8",
    )
    assert txcal(f"batch {tmp_path / 'list.csv'} --out-dir {tmp_path / 'out'}").exit_code == 0
    names = sorted(p.name for p in (tmp_path / "out").iterdir() if p.name != ".txcal-batch.jsonl")
    assert names == ["MANIFEST-2.ics", "clinic-2.ics", "clinic.ics", "manifest.csv"]  # and the kept rows, hidden
    assert b"X-TXCAL-PLAN:clinic" in (tmp_path / "out" / "clinic.ics").read_bytes()


@pytest.mark.parametrize("own", ["clinic.ics", "manifest.csv"])
def test_batch_leaves_a_clinic_calendar_or_manifest_it_did_not_write(txcal, tmp_path, own):
    out = tmp_path / "out"
    out.mkdir()
    (out / own).write_bytes(b"someone else's file\n")
    (tmp_path / "list.csv").write_text("patient,drug,every,start\nP-1,atezolizumab,3w,2026-12-01\n", encoding="utf-8")
    result = txcal(f"batch {tmp_path / 'list.csv'} --out-dir {out}")
    assert f"{own} exists and is not a txcal" in one_error_line(result)
    assert (out / own).read_bytes() == b"someone else's file\n"


@pytest.mark.parametrize("suffix", [".json", ".csv", ".txt"])
def test_a_view_file_of_another_plan_or_not_txcals_is_not_replaced(txcal, tmp_path, suffix):
    path = tmp_path / f"plan{suffix}"
    assert txcal(f"plan {PLAN} --doses 2 -o {path}").exit_code == 0
    mine = path.read_bytes()
    other = txcal(f"plan pembrolizumab --every 6w --start 2026-12-01 --doses 2 -o {path}")
    assert "holds another txcal plan" in one_error_line(other)
    assert path.read_bytes() == mine
    assert txcal(f"plan {PLAN} --doses 3 -o {path}").exit_code == 0  # the same plan updates it
    path.write_bytes(b"notes of my own\n")
    foreign = txcal(f"plan {PLAN} -o {path}")
    assert "txcal did not write it" in one_error_line(foreign) and path.read_bytes() == b"notes of my own\n"


def test_a_pipe_is_written_as_a_stream_and_never_read_back(txcal, tmp_path):
    fifo = tmp_path / "pipe.ics"
    os.mkfifo(fifo)
    received: list[bytes] = []
    reader = threading.Thread(target=lambda: received.append(fifo.read_bytes()))
    reader.start()
    result = txcal(f"plan {PLAN} --doses 2 -o {fifo} --force")
    reader.join(timeout=30)
    assert result.exit_code == 0 and received and received[0].startswith(b"BEGIN:VCALENDAR")


@pytest.mark.parametrize(
    "option", ["--patient $'P\\x7f1'", "--patient $'P\\x1b[31m'", "--plan-id $'a\\r\\nBEGIN:VEVENT'", "--plan-id 'a b'"]
)
def test_control_characters_and_bad_ids_are_refused_before_anything_is_written(tmp_path, option):
    # $'...' needs a shell: run the installed command through bash.
    out = tmp_path / "p.toml"
    result = subprocess.run(
        ["bash", "-c", f"{sys.executable} -m scheduler record new -f {out} {PLAN} {option}"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 2 and "Traceback" not in result.stderr
    assert "control character" in result.stderr or "a plan id is 1 to 64 letters" in result.stderr
    assert not out.exists()


def test_a_reason_with_del_reads_back_from_the_plan_file(tmp_path):
    from datetime import date

    from scheduler.inputs.plan_spec import PlanSpec, RecordSpec

    spec = PlanSpec(
        "atezolizumab", date(2026, 12, 1), every="3w", records=(RecordSpec("hold", dose=2, reason="rash\x7f"),)
    )
    path = tmp_path / "p.toml"
    path.write_text(dump_plan(spec), encoding="utf-8")
    assert "\\u007f" in path.read_text(encoding="utf-8")
    with pytest.raises(Exception, match="control character"):
        load_plan(path)  # read back, and refused by name: the reason holds a control character


# -- injection and leaks ---------------------------------------------------------------------------


def test_a_plan_file_plan_id_cannot_inject_events(txcal, tmp_path):
    (tmp_path / "p.toml").write_text(
        'schema = 1\ndrug = "atezolizumab"\nevery = "3w"\nstart = 2026-12-01\nplan_id = "x\\r\\nBEGIN:VEVENT"\n',
        encoding="utf-8",
    )
    assert "plan_id: a plan id is 1 to 64 letters" in one_error_line(txcal(f"plan --plan-file {tmp_path / 'p.toml'}"))


def test_control_characters_in_a_template_never_reach_a_calendar_raw(txcal, tmp_path):
    folder = tmp_path / "mine"
    folder.mkdir()
    template = GOOD_TEMPLATE.format(id="testumab-iv").replace(
        'title = "Test drug"', 'title = "Test\\rATTENDEE:x\\u0007"'
    )
    (folder / "testumab-iv.toml").write_text(template, encoding="utf-8")
    assert txcal(f"plan testumab-iv --start 2026-12-01 --templates {folder} -o {tmp_path / 'x.ics'}").exit_code == 0
    data = (tmp_path / "x.ics").read_bytes()
    assert b"\rATTENDEE" not in data and b"\x07" not in data
    assert check_ics(data) == []
    text = txcal(f"plan testumab-iv --start 2026-12-01 --templates {folder}").stdout
    assert "\x07" not in text and "\r" not in text


def test_check_reports_control_characters():
    good = "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:x\r\nBEGIN:VEVENT\r\nUID:1\r\nDTSTAMP:20261120T000000Z\r\n"
    bad = (
        good + "DTSTART;VALUE=DATE:20261201\r\nSUMMARY:a\rATTENDEE:b\x01\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n"
    ).encode()
    assert any("control character 0x0D" in p for p in check_ics(bad))


def test_csv_cells_that_spreadsheets_would_run_are_neutralized(txcal, tmp_path):
    (tmp_path / "list.csv").write_text(
        'patient,drug,every,start,doses\n"=HYPERLINK(""http://x"")",atezolizumab,3w,2026-12-01,1\n', encoding="utf-8"
    )
    assert txcal(f"batch {tmp_path / 'list.csv'} --out-dir {tmp_path / 'out'}").exit_code == 0
    rows = list(csv.DictReader(io.StringIO((tmp_path / "out" / "manifest.csv").read_text(encoding="utf-8"))))
    assert rows[0]["patient"].startswith("'=")
    plan = txcal(f"plan {PLAN} --doses 1 --patient '+P1' --format csv").stdout
    assert "\"'+P1: Atezolizumab" in plan
    afami = txcal("plan afami-cel --start 2027-01-04 --format csv").stdout
    assert ",-8," in afami  # a number stays a number


def test_paths_in_a_list_or_plan_file_stay_in_its_folder(txcal, tmp_path):
    secret = tmp_path / "secret.txt"
    secret.write_text("2026-12-24 TOP-SECRET\n", encoding="utf-8")
    folder = tmp_path / "lists"
    folder.mkdir()
    (folder / "list.csv").write_text(
        f"patient,drug,every,start,closed\nP-1,atezolizumab,3w,2026-12-01,{secret}\nP-2,atezolizumab,3w,2026-12-01,../secret.txt\n",
        encoding="utf-8",
    )
    result = txcal(f"batch {folder / 'list.csv'} --out-dir {tmp_path / 'out'}")
    assert result.stderr.count("is outside the folder of the patient list") == 2
    assert "TOP-SECRET" not in result.stderr + (tmp_path / "out" / "manifest.csv").read_text(encoding="utf-8")
    (folder / "p.toml").write_text(
        'schema = 1\ndrug = "atezolizumab"\nevery = "3w"\nstart = 2026-12-01\n[clinic]\nclosed = "../secret.txt"\n',
        encoding="utf-8",
    )
    assert "is outside the folder of the plan file" in one_error_line(txcal(f"plan --plan-file {folder / 'p.toml'}"))


def test_batch_temporaries_are_created_exclusively(txcal, tmp_path):
    out = tmp_path / "out"
    out.mkdir()
    victim = tmp_path / "victim.txt"
    victim.write_text("keep me\n", encoding="utf-8")
    # The name an earlier txcal used for its temporary clinic calendar, planted as a link.
    (out / f".clinic.ics.{os.getpid()}.tmp").symlink_to(victim)
    (tmp_path / "list.csv").write_text(
        "patient,drug,every,start,doses\nP-1,atezolizumab,3w,2026-12-01,2\n", encoding="utf-8"
    )
    assert txcal(f"batch {tmp_path / 'list.csv'} --out-dir {out}").exit_code == 0
    assert victim.read_text(encoding="utf-8") == "keep me\n"


# -- silently wrong --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("args", "message"),
    [
        ("given -f p.toml 50 2027-01-05", "dose 50 is not in this plan: it plans doses 1 to 16"),
        ("hold -f p.toml 999999", "dose 999999 is not in this plan"),
        ("delay -f p.toml 77 5", "dose 77 is not in this plan"),
        ("stop -f p.toml 2026-11-01", "the stop date 2026-11-01 is before the plan starts on 2026-12-01"),
    ],
)
def test_records_that_would_change_nothing_are_refused(txcal, course, args, message):
    before = course.read_bytes()
    assert message in one_error_line(txcal(f"record {args}"))
    assert course.read_bytes() == before


def test_duplicate_rows_never_put_one_identity_twice_in_the_clinic_calendar(txcal, tmp_path):
    # Rows with a label: one label is one patient, refused before anything is written. Rows without one: the
    # second identical row is the same plan, an error of its own row.
    (tmp_path / "list.csv").write_text(
        "patient,drug,every,start,doses\nP-1,atezolizumab,3w,2026-12-01,2\nP-1,atezolizumab,3w,2026-12-01,2\n",
        encoding="utf-8",
    )
    result = txcal(f"batch {tmp_path / 'list.csv'} --out-dir {tmp_path / 'out'}")
    assert result.exit_code == 1 and "rows 2 and 3 are both labelled 'P-1'" in result.stderr
    (tmp_path / "unlabelled.csv").write_text(
        "patient,drug,every,start,doses\n,atezolizumab,3w,2026-12-01,2\n,atezolizumab,3w,2026-12-01,2\n",
        encoding="utf-8",
    )
    result = txcal(f"batch {tmp_path / 'unlabelled.csv'} --out-dir {tmp_path / 'out'}")
    assert result.exit_code == 1 and "row 3: the same plan as row 2" in result.stderr
    assert check_ics((tmp_path / "out" / "clinic.ics").read_bytes()) == []


@pytest.mark.parametrize(
    ("row", "message"),
    [
        ("P-1,atezolizumab,3w,2026-12-01,1_0", "column doses: '1_0': not a whole number"),
        ("P-1,atezolizumab,3w,2026-12-01,2,extra", "6 cells where the header names 5 columns"),
    ],
)
def test_cells_python_would_stretch_are_refused(txcal, tmp_path, row, message):
    (tmp_path / "list.csv").write_text(f"patient,drug,every,start,doses\n{row}\n", encoding="utf-8")
    result = txcal(f"batch {tmp_path / 'list.csv'} --out-dir {tmp_path / 'out'}")
    assert result.exit_code == 1 and message in result.stderr


def test_closure_reasons_from_a_calendar_are_read_as_calendar_text(txcal, tmp_path):
    (tmp_path / "closed.ics").write_text(
        "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//x//y//EN\r\nBEGIN:VEVENT\r\nUID:c1\r\nDTSTAMP:20261101T000000Z\r\n"
        "DTSTART;VALUE=DATE:20261222\r\nDTEND;VALUE=DATE:20261223\r\nSUMMARY:Staff day\\, all clinics\\; sorry\r\n"
        "END:VEVENT\r\nEND:VCALENDAR\r\n",
        encoding="utf-8",
    )
    timeline = txcal(f"plan {PLAN} --doses 2 --closed {tmp_path / 'closed.ics'}").stdout
    assert "Moved from Tue 22 Dec: Staff day, all clinics; sorry" in timeline


def test_an_event_that_ends_before_it_starts_adds_no_chair_minutes(txcal, tmp_path):
    (tmp_path / "odd.ics").write_text(
        "BEGIN:VCALENDAR\r\nBEGIN:VEVENT\r\nCATEGORIES:Dose\r\nDTSTART:20261201T100000\r\nDTEND:20261201T090000\r\n"
        "END:VEVENT\r\nEND:VCALENDAR\r\n",
        encoding="utf-8",
    )
    table = txcal(f"load {tmp_path / 'odd.ics'} --format csv").stdout
    # date, patients, visits, dose ... chair_minutes 0, one visit of unknown length, no chair counted at once
    assert "2026-12-01,1,1,1,0,0,0,0,0,1,0," in table


# -- one clear line, never a traceback -------------------------------------------------------------


@pytest.mark.parametrize(
    "args",
    [
        "load examples/patients.csv --hours 8-18",
        "load examples/patients.csv --hours 08:00-48:00",
        "load examples/patients.csv --hours 08:60-18:00",
        f"plan {PLAN.replace('2026-12-01', '9999-12-01')}",
        f"plan {PLAN.replace('2026-12-01', '0001-01-02')}",
        f"plan {PLAN} --for 99999999y",
        f"plan {PLAN} --remind 999999999w --format ics",
        "plan afami-cel --start 2026-12-01 --monitor-days 2000000",
        f"plan {PLAN} --tz Factory --time 09:00",
        f"plan {PLAN} --tz localtime --time 09:00",
        "publish --to http://127.0.0.1:99999/x/ " + PLAN,
        "publish --to http://[::1/x/ " + PLAN,
    ],
)
def test_bad_values_get_one_line_and_no_traceback(txcal, args, monkeypatch):
    monkeypatch.chdir(Path(__file__).parent.parent)
    one_error_line(txcal(args))


@pytest.mark.parametrize(
    ("name", "content", "command"),
    [
        ("bad.toml", bytes(range(256)), "validate {path}"),
        (
            "deep.ics",
            b"BEGIN:VCALENDAR\r\n" + b"BEGIN:X\r\n" * 5000 + b"END:X\r\n" * 5000 + b"END:VCALENDAR\r\n",
            "check {path}",
        ),
        (
            "year.ics",
            b"BEGIN:VCALENDAR\r\nBEGIN:VEVENT\r\nUID:1\r\nDTSTART:00010101T000000\r\nDTEND:99991231T235959\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n",
            "check {path}",
        ),
        (
            "big.csv",
            b"patient,drug,start\nA," + b"x" * 200_000 + b",2026-12-01\n",
            "batch {path} --out-dir {folder}/out",
        ),
        (
            "p.toml",
            b'schema = 1\ndrug = "atezolizumab"\nevery = "3w"\nstart = 2026-12-01T09:00:00\n',
            "plan --plan-file {path}",
        ),
        (
            "q.toml",
            b'schema = 1\ndrug = "atezolizumab"\nevery = "3w"\nstart = 2026-12-01\n[[record]]\nkind = "given"\ndose = 1\ndate = 2026-12-02T09:00:00\n',
            "plan --plan-file {path}",
        ),
        (
            "r.toml",
            b'schema = 1\ndrug = "atezolizumab"\nevery = "3w"\nstart = 2026-12-01\n[[record]]\nkind = "switch"\ndose = 1\ndrug = "Tecentriq Hybreza"\n',
            "plan --plan-file {path}",
        ),
        (
            "l.csv",
            b"patient,drug,every,start,holidays\nA,atezolizumab,3w,2026-12-01,zz\n",
            "batch {path} --out-dir {folder}/out",
        ),
    ],
)
def test_hostile_files_get_one_line_and_no_traceback(txcal, tmp_path, name, content, command):
    path = tmp_path / name
    path.write_bytes(content)
    result = txcal(command.format(path=path, folder=tmp_path))
    assert result.exit_code in (1, 2) and "Traceback" not in result.stderr
    assert "failed unexpectedly" not in result.stderr + result.stdout


@pytest.mark.parametrize("damage", [b"SEQUENCE:x", b"DTSTAMP:20261120T000000", b"<cut>"])
def test_a_damaged_previous_export_is_named_and_left_alone(txcal, tmp_path, monkeypatch, damage):
    monkeypatch.setenv("SOURCE_DATE_EPOCH", SOURCE_DATE_EPOCH)
    path = tmp_path / "plan.ics"
    assert txcal(f"plan {PLAN} --doses 2 -o {path}").exit_code == 0
    data = path.read_bytes()
    data = (
        data[:700]
        if damage == b"<cut>"
        else data.replace(
            damage.split(b":")[0] + b":" + b"0" if damage.startswith(b"SEQ") else b"DTSTAMP:20261120T000000Z", damage, 1
        )
    )
    path.write_bytes(data)
    assert "the previous export cannot be read back" in one_error_line(txcal(f"plan {PLAN} --doses 3 -o {path}"))
    assert path.read_bytes() == data


# -- publishing to a hostile server ----------------------------------------------------------------


class Hostile(http.server.BaseHTTPRequestHandler):
    """A CalDAV server that answers every request with the class's `answer` (status, body, trickle)."""

    answer: tuple[int, bytes, float] = (207, b"", 0.0)

    def _reply(self) -> None:
        import time

        status, body, trickle = self.answer
        self.send_response(status)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        for index in range(len(body)):
            self.wfile.write(body[index : index + 1])
            self.wfile.flush()
            if trickle:
                time.sleep(trickle)

    do_PROPFIND = do_REPORT = do_PUT = do_MKCALENDAR = _reply

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def hostile():
    with local_server(Hostile) as server:
        yield server


BOMB = (
    b'<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">'
    b'<!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">]>'
    b'<D:multistatus xmlns:D="DAV:"><D:response><D:href>&lol3;</D:href></D:response></D:multistatus>'
)


@pytest.mark.parametrize(
    ("answer", "message"),
    [
        ((207, BOMB, 0.0), "is not CalDAV XML"),
        ((207, b"<not xml", 0.0), "is not CalDAV XML"),
        ((207, b"x" * 5000, 0.0), "sent more than"),
        ((207, b"<D:multistatus xmlns:D='DAV:'/>", 0.3), "did not finish answering within"),
    ],
)
def test_a_hostile_caldav_server_gets_one_line(txcal, hostile, monkeypatch, tmp_path, answer, message):
    from scheduler.publishers import caldav_http

    monkeypatch.setattr(caldav_http, "MAX_RESPONSE", 1000)
    monkeypatch.setattr(caldav_http, "REQUEST_DEADLINE", 2.0)
    monkeypatch.setattr(Hostile, "answer", answer)
    monkeypatch.setenv("TXCAL_CALDAV_USER", "u")
    monkeypatch.setenv("TXCAL_CALDAV_PASSWORD", "p")
    url = f"http://127.0.0.1:{hostile.server_address[1]}/cal/"
    result = txcal(f"publish --to {url} {PLAN} --doses 2 --state {tmp_path / 'state.json'}")
    assert message in one_error_line(result)


def test_a_state_file_of_the_wrong_shape_is_named(txcal, hostile, monkeypatch, tmp_path):
    monkeypatch.setattr(Hostile, "answer", (207, b"<D:multistatus xmlns:D='DAV:'/>", 0.0))
    monkeypatch.setenv("TXCAL_CALDAV_USER", "u")
    monkeypatch.setenv("TXCAL_CALDAV_PASSWORD", "p")
    (tmp_path / "state.json").write_text("[1, 2]", encoding="utf-8")
    url = f"http://127.0.0.1:{hostile.server_address[1]}/cal/"
    result = txcal(f"publish --to {url} {PLAN} --doses 2 --state {tmp_path / 'state.json'}")
    assert "cannot read the publish state" in one_error_line(result)


def test_a_full_disk_during_a_batch_leaves_no_half_files(txcal, tmp_path, monkeypatch):
    import errno

    from scheduler.app.batching import run as batch

    def full(*args: object) -> None:
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(batch.os, "replace", full)
    (tmp_path / "list.csv").write_text(
        "patient,drug,every,start,doses\nP-1,atezolizumab,3w,2026-12-01,2\n", encoding="utf-8"
    )
    result = txcal(f"batch {tmp_path / 'list.csv'} --out-dir {tmp_path / 'out'}")
    assert "No space left on device; nothing of this run was kept" in one_error_line(result)
    assert not [p.name for p in (tmp_path / "out").iterdir() if p.name.startswith(".")]


def test_a_device_is_written_as_a_stream_never_replaced(txcal):
    result = txcal(f"plan {PLAN} --doses 2 -o /dev/null --format ics --force")
    assert result.exit_code == 0 and Path("/dev/null").is_char_device()


def test_a_closure_whose_start_icalendar_cannot_read_closes_no_day(txcal, tmp_path):
    # Found by the fuzz suite: icalendar keeps an unreadable DTSTART as text, which once reached a date comparison.
    (tmp_path / "closed.ics").write_bytes(
        b"BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//x//y//EN\r\nBEGIN:VEVENT\r\nUID:c1\r\nDTSTAMP:20261101T000000Z\r\n"
        b"DTSTART;TZID=America/New_York:\x0020261222T090000\r\nSUMMARY:Staff day\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n"
    )
    result = txcal(f"plan {PLAN} --doses 2 --closed {tmp_path / 'closed.ics'}")
    assert result.exit_code == 0 and "Moved from" not in result.stdout


@pytest.mark.parametrize("command", ["load", "agenda --date 2027-01-04"])
@pytest.mark.parametrize("own", [True, False], ids=["txcal's own head", "another head"])
def test_a_calendar_that_is_not_utf8_is_named_as_such(txcal, tmp_path, command, own):
    head = b"BEGIN:VCALENDAR\r\nPRODID:-//txcal//txcal 1//EN\r\n" if own else b"BEGIN:VCALENDAR\r\nPRODID:-//x//EN\r\n"
    path = tmp_path / "clinic.ics"
    path.write_bytes(
        head + b"BEGIN:VEVENT\r\nDTSTART:2027\xff0104\r\nCATEGORIES:Dose\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n"
    )
    result = txcal(f"{command.split()[0]} {path} {' '.join(command.split()[1:])}")
    assert (
        one_error_line(result)
        == f"Error: cannot read {path} as a calendar: it is not UTF-8 text; give an iCalendar (.ics) file"
    )
