"""iCalendar export: golden files, the checks of `txcal check`, re-exports that update and cancel."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from ical_reference import reference_ics
from icalendar import Calendar

from scheduler.catalog.loader import load_regimens
from scheduler.engine import expand
from scheduler.ical.check import check_ics
from scheduler.ical.export import to_ics
from scheduler.ical.update import own_events
from scheduler.model import PlanRequest
from tests_support import ICS_CASES, SOURCE_DATE_EPOCH, atezolizumab_every_3_weeks, plan_of_command

GOLDEN = Path(__file__).parent / "golden"


@pytest.fixture
def export(txcal, tmp_path, monkeypatch):
    """Run `txcal plan ... -o FILE.ics` at a fixed time stamp and return the file's bytes."""

    def run(args: str, name: str = "plan.ics", epoch: str = SOURCE_DATE_EPOCH) -> bytes:
        monkeypatch.setenv("SOURCE_DATE_EPOCH", epoch)
        result = txcal(f"{args} -o {tmp_path / name}")
        assert result.exit_code == 0, result.stderr
        return (tmp_path / name).read_bytes()

    return run


def events(data: bytes) -> dict[str, dict[str, str]]:
    """Return each VEVENT's properties by UID, as text."""
    calendar = Calendar.from_ical(data)
    return {
        str(e["UID"]): {k: e[k].to_ical().decode() if hasattr(e[k], "to_ical") else str(e[k]) for k in e}
        for e in calendar.walk("VEVENT")
    }


@pytest.mark.parametrize("name", ICS_CASES)
def test_export_matches_golden_file_and_passes_txcal_check(export, golden, name):
    data = export(ICS_CASES[name])
    golden(f"{name}.ics", data.decode("utf-8"))
    assert check_ics(data) == []
    assert b"\r\n" in data and b"\n" not in data.replace(b"\r\n", b"")
    text = data.decode("utf-8")
    assert "METHOD" not in text
    assert "RRULE" not in text.split("END:VTIMEZONE")[-1]  # one VEVENT per occurrence
    assert re.search(r"^RDATE", text, re.M) is None  # rule-based VTIMEZONEs, no RDATE lists


def test_calendar_has_name_and_no_patient_data_in_uids(export):
    data = export(ICS_CASES["afami-cel-new-york"]).decode("utf-8")
    assert "\r\nNAME:Afami-cel (Tecelra) T-cell therapy - P-017\r\n" in data
    assert "\r\nX-WR-CALNAME:Afami-cel (Tecelra) T-cell therapy - P-017\r\n" in data
    uids = re.findall(r"^UID:(.*)\r$", data, re.M)
    # 1 collection, 4 + 3 chemotherapy, premedication, infusion, 7 monitoring, 1 watch; the product-arrival
    # check is the clinic's task, in the clinic's calendar and JSON only.
    assert len(uids) == len(set(uids)) == 18
    assert "arrived" not in data
    assert not any("P-017" in uid for uid in uids)


def test_event_text_carries_dose_notes_sources_and_unconfirmed_marks(export):
    found = events(export(ICS_CASES["afami-cel-new-york"]))
    chemo = next(e for e in found.values() if e["SUMMARY"].startswith("P-017: Fludarabine"))
    assert chemo["SUMMARY"] == "P-017: Fludarabine (lymphodepleting chemotherapy)\\, Day -7 (30 mg/m²)"
    description = chemo["DESCRIPTION"]
    for fragment in (
        "Dose: 30 mg/m² IV",
        "They are not checked against the drug's label.",
        "Confirm with your care team.",
    ):
        assert fragment in description
    # The patient's calendar names no source (the trial, a copy of the label): JSON and show --sources do.
    assert "Source: " not in description and "SPEARHEAD" not in description
    assert chemo["CATEGORIES"] == "Chemotherapy" and chemo["STATUS"] == "TENTATIVE"
    watch = next(e for e in found.values() if e["CATEGORIES"] == "Watch")
    # Day 1 = 2027-01-25 + 42 days = 2027-03-08; the watch runs Days 2 to 29, 03-09 to 04-05 inclusive.
    assert (watch["DTSTART"], watch["DTEND"], watch["TRANSP"]) == ("20270309", "20270406", "TRANSPARENT")


def test_all_day_events_end_the_next_day(export):
    for event in events(export(ICS_CASES["atezolizumab-iv-2w-all-day"])).values():
        start = date.fromisoformat(event["DTSTART"])  # Python 3.11 reads the basic form, 20261201
        assert date.fromisoformat(event["DTEND"]) == start + timedelta(days=1)


def test_reminders_become_valarms(export):
    data = export(ICS_CASES["atezolizumab-iv-3w-new-york"]).decode("utf-8")
    assert data.count("BEGIN:VALARM") == 12
    assert data.count("TRIGGER:-P1D") == 6 and data.count("TRIGGER:-PT2H") == 6


# -- re-export -------------------------------------------------------------------------------

AFAMI = "plan afami-cel --start 2027-01-04 --time 09:00 --tz Europe/Berlin"


def test_unchanged_rerun_is_byte_identical_even_at_another_time(export):
    first = export(AFAMI)
    assert export(AFAMI, epoch="1796000000") == first


def test_delayed_infusion_bumps_sequence_of_changed_events_only(export):
    before = events(export(AFAMI))
    after = events(export(f"{AFAMI} --infusion 2027-02-22", epoch="1796000000"))
    assert before.keys() == after.keys()
    collection = next(uid for uid, e in after.items() if e["CATEGORIES"] == "Collection")
    assert after[collection]["SEQUENCE"] == "0"
    assert after[collection]["DTSTAMP"] == before[collection]["DTSTAMP"] == "20261120T000000Z"
    for uid, event in after.items():
        if uid != collection:
            assert event["SEQUENCE"] == "1", event["SUMMARY"]
            assert event["DTSTAMP"] == event["LAST-MODIFIED"] == "20261130T005320Z"


def test_shortened_plan_cancels_what_left_it(export, txcal, tmp_path):
    long = events(export("plan pembrolizumab --every 3w --start 2026-12-01 --doses 6"))
    data = export("plan pembrolizumab --every 3w --start 2026-12-01 --doses 4", epoch="1796000000")
    short = events(data)
    assert short.keys() == long.keys()  # the cancelled events are still there, once more
    cancelled = {uid: e for uid, e in short.items() if e["STATUS"] == "CANCELLED"}
    assert len(cancelled) == 2
    for uid, event in cancelled.items():
        assert event["SUMMARY"] == "Cancelled: " + long[uid]["SUMMARY"]
        assert event["SEQUENCE"] == "1"
        assert event["DTSTART"] == long[uid]["DTSTART"]
    assert check_ics(data) == []
    # Exporting again changes nothing: a cancelled event is not cancelled twice.
    assert export("plan pembrolizumab --every 3w --start 2026-12-01 --doses 4", epoch="1797000000") == data


def test_another_plan_or_a_foreign_file_is_not_overwritten(txcal, tmp_path, export):
    original = export("plan pembrolizumab --every 3w --start 2026-12-01 --doses 4")
    other = txcal(f"plan pembrolizumab --every 3w --start 2026-12-08 --doses 4 -o {tmp_path / 'plan.ics'}")
    assert other.exit_code == 1 and "holds another txcal plan" in other.stderr
    assert (tmp_path / "plan.ics").read_bytes() == original
    same_id = txcal(f"plan pembrolizumab --every 3w --start 2026-12-08 --doses 4 --plan-id X -o {tmp_path / 'x.ics'}")
    assert same_id.exit_code == 0
    foreign = tmp_path / "mine.ics"
    foreign.write_bytes(b"BEGIN:VCALENDAR\r\nPRODID:-//Other//EN\r\nEND:VCALENDAR\r\n")
    refused = txcal(f"plan pembrolizumab --every 3w --start 2026-12-01 -o {foreign}")
    assert refused.exit_code == 1 and "txcal did not write it" in refused.stderr
    assert foreign.read_bytes().startswith(b"BEGIN:VCALENDAR\r\nPRODID:-//Other//EN")
    forced = txcal(f"plan pembrolizumab --every 3w --start 2026-12-01 --doses 1 -o {foreign} --force")
    assert forced.exit_code == 0 and b"txcal" in foreign.read_bytes()


def test_ics_to_stdout_and_a_bad_folder(txcal, monkeypatch):
    monkeypatch.setenv("SOURCE_DATE_EPOCH", SOURCE_DATE_EPOCH)
    result = txcal("plan pembrolizumab --every 3w --start 2026-12-01 --doses 1 --format ics -o -")
    assert result.stdout_bytes.startswith(b"BEGIN:VCALENDAR\r\n")
    missing = txcal("plan pembrolizumab --every 3w --start 2026-12-01 -o /nonexistent/dir/plan.ics")
    assert missing.exit_code == 1 and "the folder /nonexistent/dir does not exist" in missing.stderr


# -- txcal check ------------------------------------------------------------------------------


def test_check_reports_each_kind_of_problem(txcal, tmp_path):
    good = (GOLDEN / "atezolizumab-iv-3w-new-york.ics").read_bytes()
    broken = (
        good.replace(b"VERSION:2.0\r\n", b"VERSION:2.0\r\nMETHOD:REQUEST\r\n")
        .replace(b"BYDAY=2SU;BYMONTH=3", b"BYDAY=2SU;BYMONTH=4")  # daylight time a month late
        .replace(b"DTSTAMP:20261120T000000Z", b"DTSTAMP:20261120T000000", 1)
        .replace(b"DTEND;TZID=America/New_York:20261201T100000", b"DTEND;VALUE=DATE:20261201", 1)
    )
    uids = re.findall(rb"UID:[^\r]*", broken)
    broken = broken.replace(uids[1], uids[0]).replace(b"TZID=America/New_York:20261222", b"TZID=Mars/Base:20261222")
    (tmp_path / "bad.ics").write_bytes(broken)
    (tmp_path / "lf.ics").write_bytes(good.replace(b"\r\n", b"\n").replace(b"\n ", b""))
    result = txcal(f"check {tmp_path / 'bad.ics'} {tmp_path / 'lf.ics'} {GOLDEN / 'afami-cel-new-york.ics'}")
    assert result.exit_code == 1
    report = result.stdout
    for fragment in (
        "METHOD makes a file an invitation",
        "DTSTAMP must be in UTC (ending in Z), got 20261120T000000",
        "DTSTART and DTEND must both be dates or both date-times",
        "UID also used by the component on line",
        "uses TZID 'Mars/Base' with no VTIMEZONE",
        "DTSTART 20270316T090000 in America/New_York: the file's VTIMEZONE gives UTC-05:00, zoneinfo gives UTC-04:00",
        "lf.ics: line 1: ends with LF only",
        "octets; fold lines longer than 75 octets",
        "afami-cel-new-york.ics: ok",
    ):
        assert fragment in report, fragment
    assert "2 of 3 files have problems" in result.stderr


def test_check_flags_dtend_before_dtstart(txcal, tmp_path):
    good = (GOLDEN / "atezolizumab-iv-2w-all-day.ics").read_bytes()
    (tmp_path / "x.ics").write_bytes(good.replace(b"DTEND;VALUE=DATE:20261202", b"DTEND;VALUE=DATE:20261130"))
    result = txcal(f"check {tmp_path / 'x.ics'}")
    assert "DTEND 20261130 is not after DTSTART 20261201" in result.stdout


# -- properties -------------------------------------------------------------------------------

CATALOG = load_regimens()
CHOICES = [(r, s) for r in CATALOG.regimens for s in r.schedules] + [(CATALOG.get("afami-cel"), None)]
ZONES = [
    "America/New_York",
    "Europe/Berlin",
    "Australia/Sydney",
    "Asia/Kolkata",
    "America/Santiago",
    "Pacific/Auckland",
    "Asia/Jerusalem",
    "Africa/Casablanca",
    "UTC",
]


@settings(max_examples=60, deadline=None)
@given(
    choice=st.sampled_from(CHOICES),
    start=st.dates(min_value=date(2025, 1, 1), max_value=date(2034, 12, 31)),
    at=st.none() | st.builds(time, st.integers(0, 20), st.sampled_from([0, 30])),  # a day of visits ends by midnight
    zone=st.sampled_from(ZONES),
    doses=st.integers(1, 30),
)
def test_random_plans_export_valid_stable_files(choice, start, at, zone, doses):
    regimen, schedule = choice
    request = PlanRequest(
        regimen=regimen,
        schedule=schedule,
        start=start,
        time=at,
        tz=zone,
        doses=doses if schedule else None,
        weight_kg=40 if schedule and schedule.dose.weight_based else None,
    )
    plan = expand(request)
    stamp = datetime(2026, 11, 20, tzinfo=UTC)
    reminders = [timedelta(days=1)] if at else []
    data = to_ics(plan, stamp, reminders).data
    assert check_ics(data) == []  # includes: the file's VTIMEZONE agrees with zoneinfo at every event
    assert data == reference_ics(plan, stamp, reminders)  # the same bytes as icalendar
    assert to_ics(plan, stamp, reminders).data == data
    assert to_ics(plan, stamp + timedelta(days=3), reminders, previous=data).data == data
    parsed = Calendar.from_ical(data)
    vevents = parsed.walk("VEVENT")
    shown = [e for e in plan.events if e.audience == "patient"]  # the clinic's own tasks are not the patient's
    assert [str(v["UID"]) for v in vevents] == [e.uid for e in shown]
    for vevent, event in zip(vevents, shown, strict=True):
        assert vevent["DTSTART"].dt == event.start
        assert vevent["DTSTAMP"].to_ical() == b"20261120T000000Z"


def test_an_infusion_ending_in_the_repeated_hour_ends_after_it_starts():
    # 2024-11-03 01:30 EDT + 60 minutes (first infusion) = 01:30 EST, the second 01:30 of the night.
    plan = atezolizumab_every_3_weeks(date(2024, 11, 3), time=time(1, 30), tz="America/New_York", doses=2)
    data = to_ics(plan, datetime(2026, 11, 20, tzinfo=UTC)).data.decode()
    assert "DTSTART;TZID=America/New_York:20241103T013000\r\n" in data
    assert "DTEND:20241103T063000Z\r\n" in data
    assert check_ics(data.encode()) == []


# -- the string writer against the icalendar component API ----------------------------------------


def plan_of(command: str):
    """Return the Plan of a `txcal plan ...` command line, and its reminders."""
    result = plan_of_command(command)
    return result, result.request.reminders


@pytest.mark.parametrize("name", ICS_CASES)
def test_string_writer_writes_exactly_what_icalendar_writes(name):
    from ical_reference import reference_ics

    plan, reminders = plan_of(ICS_CASES[name])
    stamp = datetime(2026, 11, 20, tzinfo=UTC)
    golden = (GOLDEN / f"{name}.ics").read_bytes()
    assert to_ics(plan, stamp, reminders).data == reference_ics(plan, stamp, reminders) == golden


def test_string_writer_matches_icalendar_for_moved_given_held_and_switched_doses():
    from ical_reference import reference_ics

    from scheduler.catalog.loader import load_regimens
    from scheduler.inputs.plan_file import load_plan
    from scheduler.inputs.plan_spec import build_request

    spec = load_plan(Path(__file__).parent.parent / "examples" / "p017.toml")
    plan = expand(build_request(spec, load_regimens()))
    assert {e.status for e in plan.events} == {"planned", "given", "held"} and any(e.shifted_from for e in plan.events)
    stamp = datetime(2026, 11, 20, tzinfo=UTC)
    assert to_ics(plan, stamp, [timedelta(hours=2)]).data == reference_ics(plan, stamp, [timedelta(hours=2)])


GOLDEN_ICS = sorted((Path(__file__).parent / "golden").glob("*.ics"))


def _library_reading(text: str) -> dict:
    """The previous events as the full parser reads them: the reference for the fast reader."""
    from scheduler.ical.event import read_event
    from scheduler.ical.read import parse

    found = {}
    for component in parse(text)[0].walk("VEVENT"):
        block = read_event(component)
        sequence, stamp, status = component.first("SEQUENCE"), component.first("DTSTAMP"), component.first("STATUS")
        found[block.uid] = (block, sequence.value if sequence else None, stamp.value if stamp else None,
                            bool(status and status.value == "CANCELLED"))  # fmt: skip
    return found


@pytest.mark.parametrize("path", GOLDEN_ICS, ids=[p.name for p in GOLDEN_ICS])
def test_txcals_own_files_read_back_as_the_full_parser_reads_them(path):

    text = path.read_bytes().decode("utf-8")  # as a rerun reads it: line endings as written
    own = own_events(text)
    assert own is not None
    reference = _library_reading(text)
    assert list(own) == list(reference)
    for uid, previous in own.items():
        block, sequence, stamp, cancelled = reference[uid]
        assert previous.block == block and previous.cancelled == cancelled
        assert previous.sequence == int(sequence or 0) and f"{previous.stamp:%Y%m%dT%H%M%SZ}" == stamp


def test_a_cancelled_and_updated_file_reads_back_as_the_full_parser_reads_it(tmp_path):

    first = to_ics(atezolizumab_every_3_weeks(date(2026, 12, 1), doses=4), datetime(2026, 11, 1, tzinfo=UTC))
    later = to_ics(
        atezolizumab_every_3_weeks(date(2026, 12, 1), doses=2),
        datetime(2026, 11, 2, tzinfo=UTC),
        (timedelta(days=1),),
        first.data,
    )
    text = later.data.decode("utf-8")
    own = own_events(text)
    assert own is not None and sum(p.cancelled for p in own.values()) == 2
    assert {uid: p.block for uid, p in own.items()} == {uid: r[0] for uid, r in _library_reading(text).items()}
    assert own_events(text.replace("\r\n", "\n")) is None  # bare line feeds: the full reader


@pytest.mark.parametrize("doses_then", [4, 3, 5], ids=["unchanged", "shortened", "longer"])
def test_a_rerun_gives_what_reading_the_previous_file_back_gives(monkeypatch, doses_then):
    """The shortcut for files written in one run (render with their stamp, compare) against reading them back."""
    from scheduler.ical import export

    first = to_ics(atezolizumab_every_3_weeks(date(2026, 12, 1), doses=4), datetime(2026, 11, 1, tzinfo=UTC))
    later_plan = atezolizumab_every_3_weeks(date(2026, 12, 1), doses=doses_then)
    stamp, reminders = datetime(2026, 11, 2, tzinfo=UTC), (timedelta(days=1),)
    quick = to_ics(later_plan, stamp, reminders, first.data)
    without_reminders = to_ics(later_plan, stamp, (), first.data)
    monkeypatch.setattr(export, "_if_unchanged", lambda *args: None)
    read_back = to_ics(later_plan, stamp, reminders, first.data)
    assert (quick.data, quick.changed, quick.cancelled) == (read_back.data, read_back.changed, read_back.cancelled)
    assert without_reminders.data == to_ics(later_plan, stamp, (), first.data).data
    assert (without_reminders.data == first.data) == (doses_then == 4)  # only the unchanged plan is the same file


_VIEW_NAMES = frozenset(
    {
        "DTSTART",
        "DTEND",
        "SUMMARY",
        "CATEGORIES",
        "STATUS",
        "UID",
        "X-TXCAL-PATIENT",
        "X-TXCAL-PREPARE",
        "X-TXCAL-CONFLICT",
    }
)


@pytest.mark.parametrize("piece", [97, 1 << 20])
def test_the_fast_reader_of_txcals_calendars_reads_what_the_line_reader_reads(txcal, tmp_path, monkeypatch, piece):
    import io

    from scheduler.ical.read import is_txcal_text, stream_events, stream_own_events

    monkeypatch.chdir(tmp_path)
    (tmp_path / "list.csv").write_text(
        "patient,drug,start,infusion,product_arrival,time,tz,avoid\n"
        '"A, 1",afami-cel,2026-11-02,2026-12-15,2026-12-07,09:00,America/New_York,weekends\n',
        encoding="utf-8",
    )
    assert txcal("batch list.csv --out-dir out").exit_code == 0
    for path in [*GOLDEN_ICS, tmp_path / "out" / "clinic.ics"]:
        text = path.read_bytes().decode("utf-8")
        assert is_txcal_text(text[:4096])
        pieces = [text[i : i + piece] for i in range(0, len(text), piece)]
        own = list(stream_own_events(pieces, _VIEW_NAMES))
        assert own == list(stream_events(io.StringIO(text, newline=""), _VIEW_NAMES)), path.name
        assert len(own) == text.count("BEGIN:VEVENT")


@pytest.mark.parametrize("piece", [97, 1 << 20])
def test_the_load_reads_txcals_calendars_as_the_line_reader_reads_them(txcal, tmp_path, monkeypatch, piece):
    """`txcal load` reads five values an event from txcal's own bytes; held equal to the general reader."""
    import io

    from scheduler.ical.read import stream_events
    from scheduler.ical.visits import calendar_visits, own_visits

    monkeypatch.chdir(tmp_path)
    (tmp_path / "list.csv").write_text(
        "patient,drug,every,start,infusion,product_arrival,time,tz,avoid,doses\n"
        '"A, 1;\\\\ and a label long enough to fold its line, with more words",afami-cel,,2026-11-02,2026-12-15,'
        "2026-12-07,09:00,America/New_York,weekends,\n"
        "B,pembrolizumab,3w,2026-11-02,,,23:30,Europe/Berlin,,3\n",
        encoding="utf-8",
    )
    assert txcal("batch list.csv --out-dir out").exit_code == 0
    clinic = (tmp_path / "out" / "clinic.ics").read_bytes().decode("utf-8")
    # Forms txcal does not write, which go through the general reader: a date given as VALUE=DATE,
    # a UTC time, an end before the start; and a cancelled event.
    head, *events = clinic.split("BEGIN:VEVENT\r\n")
    events[0] = re.sub(r"\r\nDTSTART;[^\r]*", "\r\nDTSTART;VALUE=DATE:20261215", events[0])
    events[1] = re.sub(r"\r\nDTSTART;[^\r]*", "\r\nDTSTART:20261216T140000Z", events[1])
    events[1] = re.sub(r"\r\nDTEND;[^\r]*", "\r\nDTEND:20261216T130000Z", events[1])
    events[2] = re.sub(r"\r\nSTATUS:[^\r]*", "\r\nSTATUS:CANCELLED", events[2])
    events[3] = re.sub(r"\r\nDTSTART;[^\r]*", "\r\nDTSTART;VALUE=DATE:20261217T090000", events[3])  # unreadable
    odd = "BEGIN:VEVENT\r\n".join([head, *events])
    assert odd.count("20261215") and odd.count("CANCELLED") == 1
    for text in [*(p.read_bytes().decode("utf-8") for p in GOLDEN_ICS), clinic, odd]:
        data = text.encode("utf-8")
        pieces = [data[i : i + piece] for i in range(0, len(data), piece)]
        general = [
            (v.day, v.kind, v.minutes, v.patient, v.start)
            for v in calendar_visits(stream_events(io.StringIO(text, newline=""), frozenset(
                {"DTSTART", "DTEND", "CATEGORIES", "STATUS", "X-TXCAL-PATIENT"})))
        ]  # fmt: skip
        assert list(own_visits(pieces)) == general
        assert general
    labels = {visit[3] for visit in own_visits([clinic.encode()])}
    assert labels == {"A, 1;\\\\ and a label long enough to fold its line, with more words", "B"}  # as in the list


@pytest.mark.parametrize("case", sorted(ICS_CASES))
def test_events_made_as_text_read_and_write_as_their_lines_by_name(case):
    """An event is made as one piece of text; its lines by name, and the clinic's copy, say the same."""
    from scheduler.app.batching.clinic_events import clinic_event
    from scheduler.ical.event import EventBlock, event_block

    plan = plan_of_command(ICS_CASES[case])
    stamp, reminders = datetime(2026, 11, 20, tzinfo=UTC), (timedelta(days=1), timedelta(hours=2))
    for event in plan.events:
        made = event_block(event, reminders, stamp, sequence=3)
        by_name = EventBlock(made.uid, dict(made.props), made.alarms, made.zones)  # written from its lines
        assert by_name.text == made.text and by_name == made
        assert list(made.props)[:6] == ["SUMMARY", "DTSTART", "DTEND", "DTSTAMP", "UID", "SEQUENCE"]
        assert made.props["SEQUENCE"] == "SEQUENCE:3" and made.text.count("BEGIN:VALARM") == len(made.alarms)
        for prepare in ((), ("Weigh the patient", "Order the product")):
            quick = clinic_event(made, event, "plan.ics", "P-1, Ward 3", prepare)
            assert quick.text == clinic_event(by_name, event, "plan.ics", "P-1, Ward 3", prepare).text
            assert "BEGIN:VALARM" not in quick.text and "X-TXCAL-PATIENT:P-1\\, Ward 3\r\n" in quick.text


@given(
    st.datetimes(min_value=datetime(1900, 1, 1), max_value=datetime(2199, 12, 31)).map(  # noqa: DTZ001  (wall times, as calendars write them)
        lambda moment: moment.replace(microsecond=0)
    ),
    st.sampled_from(["date", "local", "utc"]),
)
@settings(max_examples=300)
def test_the_one_date_reader_reads_what_strptime_reads(moment, form):
    from scheduler.ical.read import date_time_parts

    if form == "date":
        text = f"{moment:%Y%m%d}"
        assert date_time_parts(text) == (datetime.strptime(text, "%Y%m%d").date(), None, 0, False)  # noqa: DTZ007
    else:
        text = f"{moment:%Y%m%dT%H%M%S}" + ("Z" if form == "utc" else "")
        read = datetime.strptime(text.rstrip("Z"), "%Y%m%dT%H%M%S")  # noqa: DTZ007
        assert date_time_parts(text) == (read.date(), read.hour * 60 + read.minute, read.second, form == "utc")


@pytest.mark.parametrize(
    "text",
    ["20261301", "20260230", "20261120T240000", "20261120T236000", "20261120T235960", "20261120T0900000", "2026112"],
)
def test_the_one_date_reader_refuses_what_is_not_a_date(text):
    from scheduler.ical.read import date_time_parts

    assert date_time_parts(text) is None


@given(st.lists(st.text(alphabet=st.characters(blacklist_categories=("Cc", "Cs")), min_size=1), max_size=6))
@settings(max_examples=300)
def test_a_list_of_texts_reads_back_as_the_items_written(items):
    # The clinic calendar's preparation lines travel as a TEXT list, not as text another module splits.
    from scheduler.ical.lines import escape
    from scheduler.ical.read import unescape_list

    assert unescape_list(",".join(map(escape, items))) == tuple(items)
