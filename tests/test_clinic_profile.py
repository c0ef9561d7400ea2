"""The clinic profile: where, who to call, how long a visit takes, and the visits around each dose."""

from __future__ import annotations

import json
import re
from datetime import date, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from scheduler import wording
from scheduler.catalog.loader import load_regimens
from scheduler.engine import expand
from scheduler.engine.clinic_calendar import ClinicCalendar
from scheduler.errors import TemplateError
from scheduler.inputs.clinic_profile import load_profile
from scheduler.model import LinkedVisit, PlanRequest, Window
from tests_support import CLINIC_PROFILE, SOURCE_DATE_EPOCH

PEMBRO = f"plan pembrolizumab --every 3w --start 2026-12-01 --doses 4 --clinic {CLINIC_PROFILE}"


def events(txcal, command: str) -> list[dict]:
    result = txcal(f"{command} --format json")
    assert result.exit_code == 0, result.stderr
    return json.loads(result.stdout)["events"]


def test_a_profile_reports_every_problem_at_once(tmp_path):
    path = tmp_path / "clinic.toml"
    path.write_text(
        'schema = 1\nname = "X"\ncolour = "red"\ntimezone = "Central"\nhours = "18:00-08:00"\nchairs = 0\n'
        '[visit_minutes]\ndose = 0\n[[linked]]\nkind = "lunch"\ntitle = "Lunch"\nminutes = 30\nevery_weeks = 9\nevery = 2\n',
        encoding="utf-8",
    )
    with pytest.raises(TemplateError) as caught:
        load_profile(path)
    assert list(caught.value.problems) == [
        "colour: unknown key; expected one of: address, after_hours_phone, avoid, book, chairs, closed, feed_base, "
        "feed_detail, feed_dir, feed_refresh, holidays, hours, language, linked, name, nurse_starts, phone, remind, same_visit, "
        "schema, time, timezone, visit_minutes",
        "chairs: expected a number of infusion chairs, 1 to 500, got 0",
        "visit_minutes.dose: expected minutes from 1 to 1440, got 0",
        'linked[1].kind: expected one of "lab", "visit", "imaging", got \'lunch\'',
        "linked[1]: every_weeks is counted from the start; leave out before_days and every",
        "timezone: 'Central': 'Central' is not an IANA time zone name (Area/City): did you mean America/Chicago?",
        'hours: \'18:00-08:00\': closing must come after opening; write opening hours like "08:00-18:00", or "closed"',
    ]  # each problem once, in the order the file is read


def test_the_profile_fills_what_the_plan_leaves_out_and_the_plan_wins(txcal):
    from_profile = events(txcal, PEMBRO)
    doses = [e for e in from_profile if e["kind"] == "dose"]
    assert doses[0]["start"] == "2026-12-01T09:00:00-05:00"  # time and zone from the profile
    assert doses[0]["end"] == "2026-12-01T10:30:00-05:00"  # a 90-minute visit, not the drug's 30 minutes
    own = events(txcal, f"{PEMBRO} --time 13:00 --tz Europe/Berlin")
    assert next(e for e in own if e["kind"] == "dose")["start"] == "2026-12-01T13:00:00+01:00"


def test_visits_at_the_clinic_say_where_and_who_to_call(txcal, tmp_path, monkeypatch):
    monkeypatch.setenv("SOURCE_DATE_EPOCH", SOURCE_DATE_EPOCH)
    assert txcal(f"{PEMBRO} -o {tmp_path / 'p.ics'}").exit_code == 0
    data = (tmp_path / "p.ics").read_bytes().decode("utf-8").replace("\r\n ", "")
    assert data.count("LOCATION:Riverside Infusion Center\\, 12 River Road\\, Springfield\r\n") == data.count(
        "BEGIN:VEVENT"
    )
    assert "Your clinic: Riverside Infusion Center\\, +1 555 0100\\; after hours: +1 555 0199." in data
    dose = next(e for e in events(txcal, PEMBRO) if e["kind"] == "dose")
    assert "Plan on about 90 minutes at Riverside Infusion Center. That time covers check-in" in "\n".join(
        dose["notes"]
    )


def test_linked_visits_come_with_their_doses_as_the_clinic_schedules_them(txcal):
    found = events(txcal, PEMBRO)
    labs = [e["start"][:10] for e in found if e["kind"] == "lab"]
    visits = [e["start"] for e in found if e["kind"] == "visit"]
    scans = [e["start"] for e in found if e["kind"] == "imaging"]
    assert labs == ["2026-11-30", "2026-12-21", "2027-01-11", "2027-02-01"]  # the day before each dose
    assert visits == ["2026-12-01T08:30:00-05:00", "2027-01-12T08:30:00-05:00"]  # doses 1 and 3, right before
    assert scans == ["2027-02-02T10:30:00-05:00"]  # week 9, after that day's dose
    without = events(txcal, "plan pembrolizumab --every 3w --start 2026-12-01 --doses 4")
    assert {e["kind"] for e in without} == {"dose"}  # txcal never invents a lab schedule


def test_linked_visits_follow_a_delayed_dose_and_leave_with_a_held_one(txcal, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "clinic.toml").write_text(
        CLINIC_PROFILE.read_text(encoding="utf-8").replace('closed = "closures.txt"', ""), encoding="utf-8"
    )
    assert (
        txcal(
            "record new -f p.toml pembrolizumab --every 3w --start 2026-12-01 --doses 4 --clinic clinic.toml"
        ).exit_code
        == 0
    )
    assert txcal("record delay -f p.toml 2 7").exit_code == 0
    assert txcal("record hold -f p.toml 3").exit_code == 0
    found = events(txcal, "plan --plan-file p.toml")
    assert [e["start"][:10] for e in found if e["kind"] == "lab"] == ["2026-11-30", "2026-12-28", "2027-02-08"]


def test_a_re_export_after_a_delay_keeps_every_reminder_and_bumps_only_what_moved(txcal, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("SOURCE_DATE_EPOCH", SOURCE_DATE_EPOCH)
    assert (
        txcal(
            "record new -f p.toml atezolizumab --every 3w --start 2026-12-01 --doses 4 --time 09:00 --tz America/New_York --remind 1d"
        ).exit_code
        == 0
    )
    assert txcal("plan --plan-file p.toml -o p.ics").exit_code == 0
    assert txcal("record delay -f p.toml 3 2").exit_code == 0
    assert txcal("plan --plan-file p.toml -o p.ics").exit_code == 0  # no --remind: the plan file keeps it
    data = (tmp_path / "p.ics").read_text(encoding="utf-8")
    assert data.count("TRIGGER:-P1D") == 4
    assert re.findall(r"SEQUENCE:(\d)", data) == ["0", "0", "1", "1"]


def test_all_day_events_remind_at_18_00_the_evening_before_and_a_daily_run_once(txcal, tmp_path, monkeypatch):
    monkeypatch.setenv("SOURCE_DATE_EPOCH", SOURCE_DATE_EPOCH)
    assert txcal(f"plan afami-cel --start 2027-01-04 --remind 2h,1d -o {tmp_path / 'a.ics'}").exit_code == 0
    data = (tmp_path / "a.ics").read_text(encoding="utf-8")
    blocks = data.split("BEGIN:VEVENT")[1:]
    monitoring = [b for b in blocks if "Monitoring at the health care facility" in b]
    assert [b.count("TRIGGER:-PT6H") for b in monitoring] == [1, 0, 0, 0, 0, 0, 0]
    assert "TRIGGER:-PT2H" not in data  # never two hours before midnight


def test_the_patients_calendar_has_no_clinic_tasks_or_conflict_titles_and_the_clinics_has(txcal, tmp_path):
    (tmp_path / "list.csv").write_text(
        "patient,drug,start,infusion,holidays\nP-1,afami-cel,2026-11-02,2027-01-01,US\n", encoding="utf-8"
    )  # Day -7 on Christmas Day: a conflict
    result = txcal(f"batch {tmp_path / 'list.csv'} --out-dir {tmp_path / 'out'}")
    assert result.exit_code == 0, result.stderr
    mine = (tmp_path / "out" / "P-1.ics").read_bytes().decode("utf-8").replace("\r\n ", "")
    clinic = (tmp_path / "out" / "clinic.ics").read_bytes().decode("utf-8").replace("\r\n ", "")
    assert "Conflict:" not in "".join(re.findall(r"SUMMARY:.*", mine)) and "arrived" not in mine
    assert "SUMMARY:Conflict: P-1: Fludarabine" in clinic and "Confirm the afami-cel product has arrived" in clinic
    assert "BEGIN:VALARM" not in clinic


def test_load_takes_chairs_and_hours_from_the_profile(txcal, monkeypatch):
    from pathlib import Path

    monkeypatch.chdir(Path(__file__).parent.parent)
    table = txcal(f"load examples/patients.csv --clinic {CLINIC_PROFILE} --format csv").stdout
    assert ",3600,FALSE" in table  # 6 chairs × 10 hours


CATALOG = load_regimens()
PEMBROLIZUMAB = CATALOG.get("pembrolizumab-iv")


@settings(max_examples=60, deadline=None)
@given(
    start=st.dates(min_value=date(2026, 1, 1), max_value=date(2030, 12, 31)),
    before=st.integers(0, 3),
    closed=st.sets(st.integers(0, 120), max_size=30),
)
def test_linked_visits_fall_on_open_days_before_their_dose_or_are_flagged(start, before, closed):
    from scheduler.model import ClinicProfile

    profile = ClinicProfile(name="C", linked=(LinkedVisit("lab", "Labs", 30, before_days=before),))
    calendar = ClinicCalendar(closures={start + timedelta(days=d): "closed" for d in closed})
    plan = expand(
        PlanRequest(
            regimen=PEMBROLIZUMAB, schedule=PEMBROLIZUMAB.schedules[0], start=start, doses=5, clinic=calendar,
            window=Window(3, 3), profile=profile,
        )
    )  # fmt: skip
    doses = {e.dose_number: e for e in plan.events if e.kind == "dose"}
    labs = [e for e in plan.events if e.kind == "lab"]
    assert len(labs) == 5
    for lab in labs:
        number = int(lab.key.rsplit("-", 1)[1])
        dose = doses[number]
        assert lab.first_day <= dose.first_day
        if number > 1:
            assert lab.first_day > doses[number - 1].first_day or lab.conflict
        assert calendar.closed(lab.first_day) is None or wording.event_conflict(lab)


def test_a_clinic_may_give_two_chemotherapy_drugs_in_one_visit(txcal, tmp_path):
    together = tmp_path / "clinic.toml"
    together.write_text(
        CLINIC_PROFILE.read_text(encoding="utf-8")
        .replace("same_visit = []", 'same_visit = ["chemotherapy"]')
        .replace('closed = "closures.txt"', ""),
        encoding="utf-8",
    )
    command = "plan afami-cel --start 2027-01-04 --infusion 2027-02-23 --clinic {}"
    chemo = [e for e in events(txcal, command.format(together)) if e["day"] == -7 and e["kind"] == "chemotherapy"]
    assert [e["start"][11:16] for e in chemo] == ["09:00", "09:00"]
    apart = [e for e in events(txcal, command.format(CLINIC_PROFILE)) if e["day"] == -7 and e["kind"] == "chemotherapy"]
    assert [e["start"][11:16] for e in apart] == ["09:00", "10:30"]
