"""The clinic's calendar and the patient's reality: holidays, closures, windows, delays, holds, stops."""

from __future__ import annotations

import json
from datetime import date, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from scheduler import fact_words, wording
from scheduler.catalog.loader import load_regimens
from scheduler.engine import expand
from scheduler.engine.clinic_calendar import ClinicCalendar
from scheduler.errors import PlanError, worded
from scheduler.inputs.closures import load_closures
from scheduler.model import PlanRequest, Record, Window
from scheduler.options import COMMAND_LINE
from tests_support import atezolizumab_every_3_weeks

CATALOG = load_regimens()


def plan(start: date, clinic: ClinicCalendar | None = None, **options) -> list:
    return atezolizumab_every_3_weeks(start, clinic=clinic, **options).events


def days(events) -> list[date]:
    return [e.first_day for e in events]


@pytest.mark.parametrize(
    ("start", "code", "moved", "expected", "holiday"),
    [
        # Dose 2 falls on Thanksgiving (Thu 26 Nov 2026): the next open day is Fri 27 Nov.
        (date(2026, 11, 5), "US", date(2026, 11, 26), date(2026, 11, 27), "Thanksgiving Day"),
        # Thanksgiving 2027 is Thu 25 Nov.
        (date(2027, 11, 4), "US", date(2027, 11, 25), date(2027, 11, 26), "Thanksgiving Day"),
        # Christmas Day 2026 is a Friday; with weekends closed the next open day is Mon 28 Dec.
        (date(2026, 12, 4), "US", date(2026, 12, 25), date(2026, 12, 28), "Christmas Day"),
        # New Year's Day 2027 is a Friday: Mon 4 Jan, the last day of the +3 window.
        (date(2026, 12, 11), "US-NY", date(2027, 1, 1), date(2027, 1, 4), "New Year's Day"),
        # England: Easter Monday 2027 is 29 Mar; Boxing Day 2028 is Tue 26 Dec.
        (date(2027, 3, 8), "GB-ENG", date(2027, 3, 29), date(2027, 3, 30), "Easter Monday"),
        (date(2028, 12, 5), "GB-ENG", date(2028, 12, 26), date(2028, 12, 27), "Boxing Day"),
        # Germany: Christmas Day 2028 is a Monday, 26 Dec a holiday too: Wed 27 Dec.
        (date(2028, 12, 4), "DE", date(2028, 12, 25), date(2028, 12, 27), "Christmas Day"),
    ],
)
def test_a_dose_on_a_holiday_moves_to_the_next_open_day_and_says_why(start, code, moved, expected, holiday):
    events = plan(start, ClinicCalendar(weekends=True, holiday_code=code), doses=3)
    second = events[1]
    assert (second.shifted_from, second.first_day) == (moved, expected)
    assert holiday in wording.event_reason(second) and "window -3/+3 days" in wording.event_reason(second)
    # Later doses count from the actual day (and may move again: MLK Day follows Christmas 2026).
    assert (events[2].shifted_from or events[2].first_day) == expected + timedelta(days=21)


def test_keep_grid_keeps_later_doses_on_the_original_grid():
    events = plan(date(2026, 11, 5), ClinicCalendar(holiday_code="US"), doses=3, keep_grid=True)
    assert days(events) == [date(2026, 11, 5), date(2026, 11, 27), date(2026, 12, 17)]


@pytest.mark.parametrize(
    ("shift", "expected", "conflict"),
    [
        ("next", date(2026, 11, 26), True),
        ("previous", date(2026, 11, 25), False),
        ("nearest", date(2026, 11, 25), False),
    ],
)
def test_shift_rules(shift, expected, conflict):
    # Thu 26 Nov (Thanksgiving) and Fri 27 Nov (a closure) are closed, then the weekend: the next
    # open day, Mon 30 Nov, is 4 days late, outside the -3/+3 window.
    clinic = ClinicCalendar(weekends=True, holiday_code="US", closures={date(2026, 11, 27): "staff day"})
    events = plan(date(2026, 11, 5), clinic, doses=2, shift=shift)
    assert events[1].first_day == expected
    assert bool(wording.event_conflict(events[1])) == conflict


def test_a_dose_with_no_open_day_in_its_window_is_a_conflict_and_strict_makes_it_an_error():
    clinic = ClinicCalendar(closures={date(2026, 12, 22) + timedelta(days=d): "renovation" for d in range(-5, 6)})
    events = plan(date(2026, 12, 1), clinic, doses=3)
    conflict = events[1]
    assert conflict.first_day == date(2026, 12, 22) and wording.event_conflict(conflict).startswith(
        "renovation; no open day"
    )
    # The patient reads what it means for them; the clinic reads the window (conflict above).
    assert (
        "The clinic is closed that day (renovation) and there is no open day near it: your care team will confirm the date."
        in fact_words.patient_notes(conflict.facts)
    )
    with pytest.raises(PlanError, match="--strict: doses on closed days: dose 2 on 2026-12-22"):
        plan(date(2026, 12, 1), clinic, doses=3, strict=True)


def test_window_override():
    clinic = ClinicCalendar(closures={date(2026, 12, 22): "closed", date(2026, 12, 23): "closed"})
    assert wording.event_conflict(plan(date(2026, 12, 1), clinic, doses=2, window=Window(0, 1))[1])
    assert plan(date(2026, 12, 1), clinic, doses=2, window=Window(0, 2))[1].first_day == date(2026, 12, 24)


def test_a_delay_cascades_and_a_given_date_resets_the_count():
    records = (
        Record("delay", dose=3, days=7, reason="neutropenia"),
        Record("given", dose=5, on=date(2027, 2, 25)),
    )
    events = plan(date(2026, 12, 1), doses=6, records=records)
    assert days(events) == [
        date(2026, 12, 1), date(2026, 12, 22), date(2027, 1, 19), date(2027, 2, 9), date(2027, 2, 25), date(2027, 3, 18),
    ]  # fmt: skip
    assert events[2].shifted_from == date(2027, 1, 12) and "Delayed 7 days" in wording.event_reason(events[2])
    assert events[4].status == "given" and events[4].shifted_from == date(2027, 3, 2)


def test_a_held_dose_keeps_its_slot_and_a_stop_ends_the_plan():
    records = (Record("hold", dose=2, reason="rash"), Record("stop", on=date(2027, 2, 10), reason="progression"))
    events = plan(date(2026, 12, 1), doses=8, records=records)
    assert [e.status for e in events] == ["planned", "held", "planned", "planned"]
    assert days(events) == [date(2026, 12, 1), date(2026, 12, 22), date(2027, 1, 12), date(2027, 2, 2)]


def test_switch_iv_to_sc_at_the_next_dose_and_pembrolizumab_3w_to_6w():
    sc = CATALOG.get("atezolizumab-sc")
    events = plan(date(2026, 12, 1), doses=4, records=(Record("switch", dose=3, regimen=sc, schedule=sc.schedules[0]),))
    assert [wording.event_dose(e) for e in events] == ["1,200 mg", "1,200 mg", "1,875 mg", "1,875 mg"]
    assert [e.route for e in events] == ["IV", "IV", "SC", "SC"]
    pembro = CATALOG.get("pembrolizumab-iv")
    result = expand(
        PlanRequest(regimen=pembro, schedule=pembro.schedules[0], start=date(2026, 12, 1), doses=4,
                    records=(Record("switch", dose=3, regimen=pembro, schedule=pembro.schedules[1]),))
    )  # fmt: skip
    # Dose 3 is 3 weeks after dose 2 (still on the 3-week schedule); dose 4 six weeks after dose 3.
    assert days(result.events) == [date(2026, 12, 1), date(2026, 12, 22), date(2027, 1, 12), date(2027, 2, 23)]
    assert [wording.event_dose(e) for e in result.events] == ["200 mg", "200 mg", "400 mg", "400 mg"]


def test_afami_cel_block_on_a_holiday_is_flagged_with_a_proposed_infusion_day():
    afami = CATALOG.get("afami-cel")
    # Infusion on Fri 1 Jan 2027 puts Day -7 on Christmas Day and Day 1 on New Year's Day.
    result = expand(
        PlanRequest(
            regimen=afami, start=date(2026, 11, 2), infusion=date(2027, 1, 1), clinic=ClinicCalendar(holiday_code="US")
        )
    )
    flagged = {(e.kind, e.day): wording.event_conflict(e) for e in result.events if wording.event_conflict(e)}
    assert set(flagged) == {("chemotherapy", -7), ("infusion", 1), ("premedication", 1)}
    assert flagged["chemotherapy", -7].startswith("Christmas Day (US holiday); steps tied to Day 1 never move alone")
    # Day 1 on Sat 2 Jan would put the Day -8 product check (a clinic task) on Christmas Day; Sun 3 Jan
    # keeps it and every clinic day off a holiday.
    assert any("add --infusion 2027-01-03" in worded(w, COMMAND_LINE.word) for w in result.warnings)
    # Nothing moved alone: the infusion stays on Day 1 and chemotherapy starts on Day -7.
    assert [e.first_day for e in result.events if e.kind == "infusion"] == [date(2027, 1, 1)]
    assert min(e.first_day for e in result.events if e.kind == "chemotherapy") == date(2026, 12, 25)
    with pytest.raises(PlanError, match="--strict: pathway days on closed days"):
        expand(PlanRequest(regimen=afami, start=date(2026, 11, 2), infusion=date(2027, 1, 1),
                           clinic=ClinicCalendar(holiday_code="US"), strict=True))  # fmt: skip


def test_closures_from_text_and_ics(tmp_path):
    text = tmp_path / "closed.txt"
    text.write_text("# winter\n2026-12-24..2026-12-26 Winter break\n2027-01-15\n", encoding="utf-8")
    assert load_closures(text) == {
        date(2026, 12, 24): "Winter break", date(2026, 12, 25): "Winter break", date(2026, 12, 26): "Winter break",
        date(2027, 1, 15): "clinic closed",
    }  # fmt: skip
    ics = tmp_path / "closed.ics"
    ics.write_bytes(
        b"BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//x//EN\r\nBEGIN:VEVENT\r\nUID:a\r\nDTSTAMP:20260101T000000Z\r\n"
        b"DTSTART;VALUE=DATE:20261224\r\nDTEND;VALUE=DATE:20261227\r\nSUMMARY:Holiday closure\r\nEND:VEVENT\r\n"
        b"BEGIN:VEVENT\r\nUID:b\r\nDTSTAMP:20260101T000000Z\r\nDTSTART:20270115T080000Z\r\nDTEND:20270115T170000Z\r\n"
        b"SUMMARY:Staff training\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n"
    )
    assert load_closures(ics) == {
        date(2026, 12, 24): "Holiday closure", date(2026, 12, 25): "Holiday closure", date(2026, 12, 26): "Holiday closure",
        date(2027, 1, 15): "Staff training",
    }  # fmt: skip
    bad = tmp_path / "bad.txt"
    bad.write_text("2026-12-24\nnext tuesday\n2026-12-31..2026-12-01\n", encoding="utf-8")
    with pytest.raises(Exception, match=r"bad.txt:2: expected a date or range") as caught:
        load_closures(bad)
    assert "bad.txt:3: the range ends before it starts" in str(caught.value)


def test_the_cli_shows_every_move(txcal, tmp_path):
    closed = tmp_path / "closed.txt"
    closed.write_text("2027-01-12 Staff training\n", encoding="utf-8")
    result = txcal(
        f"plan atezolizumab --every 3w --start 2026-12-01 --doses 4 --holidays US --avoid weekends --closed {closed} --format json"
    )
    events = json.loads(result.stdout)["events"]
    assert events[2]["shifted_from"] == "2027-01-12" and events[2]["start"] == "2027-01-13"
    assert events[2]["reason"] == "Moved from Tue 12 Jan: Staff training (window -3/+3 days)"
    text = txcal(f"plan atezolizumab --every 3w --start 2026-12-01 --doses 4 --closed {closed}").stdout
    assert "Moved from Tue 12 Jan: Staff training" in text
    bad = txcal("plan atezolizumab --every 3w --start 2026-12-01 --holidays XX")
    assert bad.exit_code == 2 and "Country XX not available" in bad.stderr
    window = txcal("plan atezolizumab --every 3w --start 2026-12-01 --window 2,3")
    assert window.exit_code == 2 and 'expected a window like "-2,+3"' in window.stderr


CLOSED_CHOICES = st.fixed_dictionaries(
    {"weekends": st.booleans(), "code": st.sampled_from([None, "US", "US-NY", "GB-ENG", "DE", "FR"])}
)


@settings(max_examples=60, deadline=None)
@given(
    choice=st.sampled_from([(r, s) for r in CATALOG.regimens for s in r.schedules]),
    start=st.dates(min_value=date(2025, 1, 1), max_value=date(2032, 12, 31)),
    closed=CLOSED_CHOICES,
    shift=st.sampled_from(["next", "previous", "nearest"]),
    keep_grid=st.booleans(),
)
def test_no_dose_on_a_closed_day_unless_flagged_and_spacing_counts_from_the_actual_day(
    choice, start, closed, shift, keep_grid
):
    regimen, schedule = choice
    clinic = ClinicCalendar(weekends=closed["weekends"], holiday_code=closed["code"])
    events = expand(
        PlanRequest(regimen=regimen, schedule=schedule, start=start, doses=12, clinic=clinic, shift=shift,
                    keep_grid=keep_grid, weight_kg=40 if schedule.dose.weight_based else None)
    ).events  # fmt: skip
    window = schedule.window
    for number, event in enumerate(events, 1):
        day = event.first_day
        assert (clinic.closed(day) is None) or wording.event_conflict(event), (day, clinic.closed(day))
        planned = event.shifted_from or day
        assert -window.early <= (day - planned).days <= window.late
        if number > 1 and not keep_grid:
            assert planned == events[number - 2].first_day + timedelta(days=schedule.every_days)
        if keep_grid:
            assert planned == start + timedelta(days=schedule.every_days * (number - 1))
