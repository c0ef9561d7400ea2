"""Fuzzing every way in: generated bad values for every option, column and plan-file key, and hostile
bytes for every reader. Whatever arrives, txcal answers with exit 0, 1 or 2, at most one `Error:`
line, never a traceback or an unexpected failure, and leaves every existing file as it was.

The budget is fixed (max_examples per test), so CI time stays bounded; `FUZZ_EXAMPLES` raises it
for a longer run by hand.
"""

from __future__ import annotations

import http.server
import os
import shlex
from pathlib import Path

import pytest
from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from scheduler.cli import main
from scheduler.inputs.patient_list import COLUMNS
from scheduler.options import OPTIONS
from tests_support import local_server

EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "15"))
FUZZ = settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=list(HealthCheck))
BASE = "plan atezolizumab --every 3w --start 2026-12-01 --doses 2"

# Values that broke txcal before, and the kinds of text that break parsers.
HOSTILE = [
    "", " ", "-", "--", "0", "-1", "1_0", "+3", "1e309", "nan", "inf", "9" * 40, "9999-12-31", "0001-01-01",
    "2026-02-30", "25:00", "8-18", "\x00", "\x7f", "\x1b[31m", "a\r\nBEGIN:VEVENT", "\r", "=cmd|' /C calc'!A0",
    "../../etc/passwd", "/dev/zero", "é" * 300, "\udcff", "Factory", "localtime", "EST", "us-xx", "weekends,weekends",
    "-99,+99", "999999999w", "99999999y", "x" * 5000,
]  # fmt: skip
values = st.sampled_from(HOSTILE) | st.text(max_size=40) | st.from_regex(r"-?[0-9]{1,12}[dwmyh]?", fullmatch=True)


def invoke(args: list[str]) -> tuple[int, str]:
    result = CliRunner().invoke(main, args, catch_exceptions=True)
    assert result.exception is None or isinstance(result.exception, SystemExit), repr(result.exception)
    return result.exit_code, result.stderr


def assert_handled(code: int, stderr: str) -> None:
    assert code in (0, 1, 2), (code, stderr)
    assert "Traceback" not in stderr and "failed unexpectedly" not in stderr, stderr
    if code:
        assert sum(line.startswith("Error:") for line in stderr.splitlines()) == 1, stderr


CLINIC_PROFILE = 'schema = 1\nname = "Fuzz"\ntimezone = "America/New_York"\nchairs = 2\nhours = "08:00-12:00"\n'


@pytest.fixture(autouse=True)
def _in_a_folder(tmp_path_factory, monkeypatch):
    folder = tmp_path_factory.mktemp("fuzz")
    monkeypatch.chdir(folder)
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1795132800")
    (folder / "existing.ics").write_bytes(b"not txcal's\r\n")
    (folder / "clinic.toml").write_text(CLINIC_PROFILE, encoding="utf-8")


@pytest.mark.parametrize("flag", [o.flag for o in OPTIONS if o.flag and not o.is_flag])
@FUZZ
@given(value=values)
def test_every_option_takes_any_value_without_a_traceback(flag, value):
    before = Path("existing.ics").read_bytes()
    code, stderr = invoke([*shlex.split(BASE), flag, value, "-o", "existing.ics"])
    assert_handled(code, stderr)
    assert Path("existing.ics").read_bytes() == before  # never txcal's, so never replaced


@pytest.mark.parametrize("column", [c for c in COLUMNS if c != "patient"])
@FUZZ
@given(value=values)
def test_every_patient_list_column_takes_any_cell_without_a_traceback(column, value):
    cells = {"patient": "P-1", "drug": "atezolizumab", "every": "3w", "start": "2026-12-01", "doses": "2"}
    cells[column] = value
    quoted = ['"' + v.replace('"', '""') + '"' for v in cells.values()]
    Path("list.csv").write_text(
        ",".join(cells) + "\n" + ",".join(quoted) + "\n", encoding="utf-8", errors="surrogatepass"
    )
    code, stderr = invoke(["batch", "list.csv", "--out-dir", "out"])
    assert_handled(code, stderr)


toml_values = (
    values.map(lambda v: '"' + v.encode("unicode_escape").decode("ascii").replace('"', '\\"') + '"')
    | st.integers(-(10**20), 10**20).map(str)
    | st.sampled_from(
        ["true", "false", "1.5", "-0.0", "2026-12-01T09:00:00", "9999-12-31", "[]", '["weekends", 3]', "{}"]
    )
)


@pytest.mark.parametrize("option", [o for o in OPTIONS], ids=lambda o: o.key)
@FUZZ
@given(value=toml_values)
def test_every_plan_file_key_takes_any_value_without_a_traceback(option, value):
    top = {"schema": "1", "drug": '"atezolizumab"', "every": '"3w"', "start": "2026-12-01"}
    clinic: dict[str, str] = {}
    (clinic if option.section else top)[option.key] = value
    text = "".join(f"{k} = {v}\n" for k, v in top.items())
    if clinic:
        text += "[clinic]\n" + "".join(f"{k} = {v}\n" for k, v in clinic.items())
    Path("p.toml").write_text(text, encoding="utf-8", errors="surrogatepass")
    code, stderr = invoke(["plan", "--plan-file", "p.toml"])
    assert_handled(code, stderr)


GOLDEN = (Path(__file__).parent / "golden" / "afami-cel-new-york.ics").read_bytes()
hostile_bytes = st.binary(max_size=3000) | st.builds(
    lambda cut, junk: GOLDEN[:cut] + junk + GOLDEN[cut:], st.integers(0, len(GOLDEN)), st.binary(max_size=40)
)


@pytest.mark.parametrize(
    ("name", "command"),
    [
        ("in.ics", ["check", "in.ics"]),
        ("in.ics", ["load", "in.ics"]),
        ("in.ics", ["load", "in.ics", "--chairs", "2", "--format", "chart", "--date", "2026-12-01"]),
        ("in.ics", ["agenda", "in.ics", "--date", "2026-12-01", "--days", "31"]),
        ("in.csv", ["agenda", "in.csv", "--date", "2026-12-01"]),
        ("in.csv", ["batch", "in.csv", "--out-dir", "out", "--level", "--clinic", "clinic.toml"]),
        ("in.ics", [*shlex.split(BASE), "--closed", "in.ics"]),
        ("in.txt", [*shlex.split(BASE), "--closed", "in.txt"]),
        ("in.csv", ["batch", "in.csv", "--out-dir", "out"]),
        ("in.toml", ["plan", "--plan-file", "in.toml"]),
        ("in.toml", ["validate", "in.toml"]),
        ("plan.ics", [*shlex.split(BASE), "-o", "plan.ics"]),
    ],
)
@FUZZ
@given(data=hostile_bytes)
def test_every_reader_takes_hostile_bytes_without_a_traceback(name, command, data):
    Path(name).write_bytes(data)
    code, stderr = invoke(command)
    assert_handled(code, stderr)
    if name == "plan.ics" and code:
        assert Path(name).read_bytes() == data


class Answer(http.server.BaseHTTPRequestHandler):
    body = b""

    def _reply(self) -> None:
        self.send_response(207)
        self.send_header("Content-Length", str(len(self.body)))
        self.end_headers()
        self.wfile.write(self.body)

    do_PROPFIND = do_REPORT = do_PUT = do_MKCALENDAR = _reply

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture(scope="module")
def server():
    with local_server(Answer) as running:
        yield running


@FUZZ
@given(
    body=st.binary(max_size=2000) | st.builds(lambda b: b"<D:multistatus xmlns:D='DAV:'>" + b, st.binary(max_size=500))
)
def test_publish_takes_any_server_answer_without_a_traceback(server, body, monkeypatch):
    monkeypatch.setattr(Answer, "body", body)
    monkeypatch.setenv("TXCAL_CALDAV_USER", "u")
    monkeypatch.setenv("TXCAL_CALDAV_PASSWORD", "p")
    url = f"http://127.0.0.1:{server.server_address[1]}/cal/"
    code, stderr = invoke(["publish", "--to", url, *shlex.split(BASE)[1:], "--state", "state.json"])
    assert_handled(code, stderr)


# -- reached another way: a profile a list or plan file names, folded-line bombs, a planted publish folder


profile_values = (
    st.sampled_from(
        ['"/etc/passwd"', '"../secret.txt"', '"closures.txt"', '"/dev/zero"', '"."', '""', "[[[[1]]]]", "7"]
    )
    | toml_values
)


@pytest.mark.parametrize("key", ["closed", "book", "holidays", "hours", "nurse_starts", "linked"])
@pytest.mark.parametrize("via", ["list", "plan file"])
@FUZZ
@given(value=profile_values)
def test_a_profile_reached_through_a_list_or_plan_file_takes_any_value_without_a_traceback(key, via, value):
    Path("../secret.txt").write_text("2026-12-24 CONTENTS-OF-SECRET\n", encoding="utf-8")
    Path("named.toml").write_text(
        f'schema = 1\nname = "Named"\ntimezone = "America/New_York"\n{key} = {value}\n',
        encoding="utf-8",
        errors="surrogatepass",
    )
    if via == "list":
        Path("in.csv").write_text(
            "patient,drug,every,start,doses,clinic\nP-1,atezolizumab,3w,2026-12-01,2,named.toml\n"
        )
        code, stderr = invoke(["batch", "in.csv", "--out-dir", "out"])
        shown = (
            stderr + Path("out/manifest.csv").read_text(encoding="utf-8")
            if Path("out/manifest.csv").exists()
            else stderr
        )
    else:
        Path("p.toml").write_text(
            'schema = 1\ndrug = "atezolizumab"\nevery = "3w"\nstart = 2026-12-01\n[clinic]\nprofile = "named.toml"\n'
        )
        code, stderr = invoke(["plan", "--plan-file", "p.toml"])
        shown = stderr
    assert_handled(code, stderr)
    assert "root:x" not in shown and "CONTENTS-OF-SECRET" not in shown  # nothing outside the folder is read


@FUZZ
@given(lines=st.integers(1, 200_000), piece=st.sampled_from([" x", "\t\\,", " ;", " :"]))
def test_folded_line_bombs_are_read_without_a_traceback(lines, piece):
    head = "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nBEGIN:VEVENT\r\nUID:u\r\nDTSTART:20261201T090000Z\r\nSUMMARY:x\r\n"
    Path("bomb.ics").write_text(head + (piece + "\r\n") * lines + "END:VEVENT\r\nEND:VCALENDAR\r\n", newline="")
    for command in (["check", "bomb.ics"], ["agenda", "bomb.ics", "--date", "2026-12-01"], ["load", "bomb.ics"]):
        assert_handled(*invoke(command))


planted = st.sampled_from(["fifo", "zero", "dots", "latin1", "broken", "link-out", "empty"])


@FUZZ
@given(kind=planted, name=st.sampled_from(["P-9.ics", "...ics", "a b.ics", "%2e%2e.ics", "x.ics"]))
def test_publish_folder_with_planted_files_publishes_nothing_and_says_which(kind, name, monkeypatch):
    Path("in.csv").write_text("patient,drug,every,start,doses\nP-1,atezolizumab,3w,2026-12-01,2\n")
    if not Path("out/P-1.ics").exists():
        assert invoke(["batch", "in.csv", "--out-dir", "out"])[0] == 0
    target = Path("out") / name
    for leftover in Path("out").glob("*"):
        if leftover.name not in ("P-1.ics", "clinic.ics", "manifest.csv"):
            leftover.unlink()
    if kind == "fifo":
        os.mkfifo(target)
    elif kind == "zero":
        target.symlink_to("/dev/zero")
    elif kind == "link-out":
        target.symlink_to(Path("../secret.txt").resolve())
        Path("../secret.txt").write_text("secret\n", encoding="utf-8")
    elif kind == "latin1":
        target.write_bytes("BEGIN:VCALENDAR\r\nSUMMARY:caf\xe9\r\n".encode("latin-1"))
    elif kind == "empty":
        target.write_bytes(b"")
    elif kind == "dots":
        target.write_bytes(Path("out/P-1.ics").read_bytes())
    else:
        target.write_bytes(Path("out/P-1.ics").read_bytes()[:-40])
    monkeypatch.setenv("TXCAL_CALDAV_USER", "u")
    monkeypatch.setenv("TXCAL_CALDAV_PASSWORD", "p")
    code, stderr = invoke(["publish", "--to", "http://127.0.0.1:9/cal/", "--folder", "out"])
    assert_handled(code, stderr)
    # Every file is checked before any PUT: only a good copy under a good name gets as far as the server.
    publishable = kind == "dots" and name in ("P-9.ics", "x.ics")
    assert ("cannot reach" in stderr) == publishable, stderr
    if not publishable:
        assert target.name in stderr


# -- the clinic book's surfaces: the book file, its holder note, the names and UIDs it stores, profile text

BOOKED = 'book = "book.sqlite"\n'
BOOK_COMMANDS = [
    "agenda --clinic clinic.toml --date 2026-12-01",
    "load --clinic clinic.toml",
    "move P1 --date 2026-12-01 --to 09:30 --clinic clinic.toml",
    "release P1 --clinic clinic.toml",
    "batch list.csv --out-dir out --clinic clinic.toml --level",
]


def _book_a_clinic() -> None:
    """Book two patients afresh (each generated example starts from a clean book)."""
    import shutil

    for leftover in Path(".").glob("book.sqlite*"):
        leftover.unlink()
    shutil.rmtree("out", ignore_errors=True)
    profile = Path("clinic.toml").read_text(encoding="utf-8")
    if BOOKED not in profile:
        Path("clinic.toml").write_text(profile + BOOKED, encoding="utf-8")
    Path("list.csv").write_text(
        "patient,drug,every,start,time,tz,doses\nP1,atezolizumab,3w,2026-12-01,09:00,America/New_York,2\n"
        "P2,atezolizumab,3w,2026-12-01,09:00,America/New_York,2\n",
        encoding="utf-8",
    )
    assert_handled(*invoke(shlex.split(BOOK_COMMANDS[-1])))


@FUZZ
@given(st.sampled_from(BOOK_COMMANDS), st.binary(max_size=3000), st.integers(0, 40_000))
def test_a_book_file_of_any_bytes_is_refused_or_read_without_a_traceback(command, data, at):
    _book_a_clinic()
    whole = bytearray(Path("book.sqlite").read_bytes())
    whole[at : at + len(data)] = data  # bytes planted anywhere in a real book, or a book of other bytes
    Path("book.sqlite").write_bytes(bytes(whole) if at else data)
    assert_handled(*invoke(shlex.split(command)))


@FUZZ
@given(st.binary(max_size=400) | st.sampled_from([b"txcal batch (process 1)", b"txcal x (process 99999999999)"]))
def test_a_holder_note_of_any_bytes_makes_a_bounded_busy_message(data):
    import sqlite3

    from scheduler.clinic import book as books

    _book_a_clinic()
    Path("book.sqlite.holder").write_bytes(data)
    other = sqlite3.connect("book.sqlite", isolation_level=None)
    other.execute("BEGIN IMMEDIATE")
    wait, books.WAIT_SECONDS = books.WAIT_SECONDS, 0.05
    try:
        code, stderr = invoke(shlex.split(BOOK_COMMANDS[2]))
    finally:
        books.WAIT_SECONDS = wait
        other.rollback()
        other.close()
    assert_handled(code, stderr)
    assert code == 1 and "is busy" in stderr and len(stderr) < 600


@FUZZ
@given(
    st.sampled_from(["calendar", "list", "patient", "plan_id"]),
    values | st.sampled_from(["/etc/passwd", "..", "a/../../b"]),
)
def test_names_and_identities_stored_in_the_book_never_reach_outside_it(column, value):
    import sqlite3

    from hypothesis import assume

    assume(not any("\ud800" <= c <= "\udfff" for c in value))  # SQLite cannot hold what is not Unicode text

    _book_a_clinic()
    with sqlite3.connect("book.sqlite") as db:
        db.execute(f"UPDATE plans SET {column} = ? WHERE patient = 'P1'", (value,))
    db.close()
    outside = Path("..").resolve()
    before = sorted(p.name for p in outside.iterdir())
    for command in BOOK_COMMANDS[:4]:
        assert_handled(*invoke(shlex.split(command)))
    assert sorted(p.name for p in outside.iterdir()) == before


@FUZZ
@given(st.sampled_from(["title", "name", "address", "phone"]), values)
def test_profile_text_never_reaches_the_terminal_raw(key, value):
    import json

    Path("list.csv").write_text(
        "patient,drug,every,start,time,tz,doses\nP1,atezolizumab,3w,2026-12-01,09:00,America/New_York,1\n",
        encoding="utf-8",
    )
    profile = CLINIC_PROFILE
    text = json.dumps(value)
    if key == "title":
        profile += f'[[linked]]\nkind = "lab"\ntitle = {text}\nbefore_days = 0\nminutes = 30\n'
    else:
        profile = (
            "\n".join(line for line in profile.splitlines() if not line.startswith(f"{key} ")) + f"\n{key} = {text}\n"
        )
    Path("clinic.toml").write_text(profile, encoding="utf-8")
    result = CliRunner().invoke(main, ["agenda", "list.csv", "--clinic", "clinic.toml", "--date", "2026-12-01"])
    assert_handled(result.exit_code, result.stderr)
    shown = result.stdout + result.stderr
    assert not any((ord(c) < 32 and c not in "\n") or 0x7F <= ord(c) <= 0x9F for c in shown), repr(shown)
    assert not any(c in shown for c in "\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069\u200b\u200e\u200f")
