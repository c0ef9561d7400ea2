"""Independent parsers read every golden .ics file with no complaint and the same instants as zoneinfo.

icalendar, vobject (what Radicale uses), `ical` (Home Assistant's), ical.js (Thunderbird,
Nextcloud) and libical. Each gives, per VEVENT, the start and end as a date or as a UTC
instant; for timed events the instant must equal the one zoneinfo computes from txcal's own plan.
ical.js and libical need Node and a C compiler with libical; `.ci/run` installs them, and
elsewhere those tests skip with the reason.
"""

from __future__ import annotations

import json
import os
import shlex
import shutil
import subprocess
import sys
from datetime import UTC, date, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from click.testing import CliRunner
from icalendar import Calendar, Event

from scheduler.cli import main
from tests_support import ICS_CASES

INTEROP = Path(__file__).parent / "interop"
GOLDEN = Path(__file__).parent / "golden"
Reading = dict[str, list[str]]
# .ci/run sets this: there, a missing parser is a failure, not a skip.
REQUIRED = os.environ.get("TXCAL_REQUIRE_INTEROP") == "1"


def unavailable(reason: str) -> None:
    if REQUIRED:
        pytest.fail(f"{reason} (TXCAL_REQUIRE_INTEROP=1)")
    pytest.skip(reason)


def show(value: date | datetime) -> str:
    if isinstance(value, datetime):
        assert value.tzinfo is not None, f"floating time {value}"
        return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    return value.isoformat()


def expected(name: str) -> Reading:
    """Return each event's start and end as zoneinfo computes them, from txcal's JSON of the same plan."""
    data = json.loads(CliRunner().invoke(main, [*shlex.split(ICS_CASES[name]), "--format", "json"]).stdout)
    return {
        e["uid"]: [
            show(datetime.fromisoformat(e[k]) if "T" in e[k] else date.fromisoformat(e[k])) for k in ("start", "end")
        ]
        for e in data["events"]
        if e["audience"] == "patient"  # the clinic's own tasks are not in the patient's file
    }


def read_icalendar(path: Path) -> dict:
    events = {}
    for vevent in Calendar.from_ical(path.read_bytes()).walk("VEVENT"):
        events[str(vevent["UID"])] = [show(vevent["DTSTART"].dt), show(vevent["DTEND"].dt)]
    return {"errors": [], "events": events}


def read_ical(path: Path) -> dict:
    from ical.calendar_stream import IcsCalendarStream

    calendar = IcsCalendarStream.calendar_from_ics(path.read_text(encoding="utf-8"))
    return {"errors": [], "events": {e.uid: [show(e.dtstart), show(e.dtend)] for e in calendar.events}}


def run_json(command: list[str]) -> dict:
    done = subprocess.run(command, capture_output=True, text=True, timeout=60, check=False)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


def read_vobject(path: Path) -> dict:
    try:
        import vobject  # noqa: F401
    except ImportError:
        unavailable("vobject is not installed: pip install '.[test]'")
    # A fresh process per file: vobject caches time zones for the whole process.
    return run_json([sys.executable, str(INTEROP / "vobject_read.py"), str(path)])


def read_icaljs(path: Path) -> dict:
    if shutil.which("node") is None:
        unavailable("Node is not installed; .ci/run installs it to run ical.js")
    if not (INTEROP / "node_modules" / "ical.js").is_dir():
        unavailable("ical.js is not installed: npm ci --prefix tests/interop (.ci/run does this)")
    return run_json(["node", str(INTEROP / "icaljs_read.mjs"), str(path)])


@pytest.fixture(scope="session")
def libical_reader(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Compile the libical reader once; skip with the reason where libical or a compiler is missing."""
    if shutil.which("cc") is None or shutil.which("pkg-config") is None:
        unavailable("no C compiler or pkg-config; .ci/run installs libical-dev and pkg-config")
    flags = subprocess.run(["pkg-config", "--cflags", "--libs", "libical"], capture_output=True, text=True, check=False)
    if flags.returncode != 0:
        unavailable("libical is not installed: apt-get install libical-dev pkg-config (.ci/run does this)")
    binary = tmp_path_factory.mktemp("libical") / "libical_read"
    subprocess.run(["cc", "-o", str(binary), str(INTEROP / "libical_read.c"), *flags.stdout.split()], check=True)
    return binary


READERS = ["icalendar", "ical", "vobject", "ical.js", "libical"]


def read(reader: str, path: Path, request: pytest.FixtureRequest) -> dict:
    if reader == "libical":
        return run_json([str(request.getfixturevalue("libical_reader")), str(path)])
    return {"icalendar": read_icalendar, "ical": read_ical, "vobject": read_vobject, "ical.js": read_icaljs}[reader](
        path
    )


@pytest.mark.parametrize("name", ICS_CASES)
@pytest.mark.parametrize("reader", READERS)
def test_parser_reads_golden_file_with_zoneinfo_instants(reader, name, request):
    reading = read(reader, GOLDEN / f"{name}.ics", request)
    assert reading["errors"] == []
    assert reading["events"] == expected(name)


def test_the_harness_catches_the_rdate_list_trap(tmp_path):
    """A canary: icalendar's own add_missing_timezones() output is read an hour off by ical.js.

    If this stops failing the comparison, the interop test above could no longer see the trap
    that calendar-interop.md describes.
    """
    calendar = Calendar()
    calendar.add("prodid", "-//canary//EN")
    calendar.add("version", "2.0")
    event = Event()
    event.add("uid", "canary")
    event.add("dtstamp", datetime(2026, 1, 1, tzinfo=UTC))
    start = datetime(2028, 7, 4, 9, tzinfo=ZoneInfo("America/New_York"))
    event.add("dtstart", start)
    event.add("dtend", start.replace(hour=10))
    calendar.add_component(event)
    calendar.add_missing_timezones()
    path = tmp_path / "canary.ics"
    path.write_bytes(calendar.to_ical())
    assert b"RDATE" in path.read_bytes()
    reading = read_icaljs(path)
    assert reading["events"]["canary"][0] != show(start)  # summer of a later year, read an hour off
