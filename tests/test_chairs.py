"""Chairs that never double-book: slot-level load, levelling, the day sheet, conflicts surfaced, corrections."""

from __future__ import annotations

import csv
import io
import re
from datetime import date, datetime
from pathlib import Path

import icalendar
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from scheduler.clinic.board import Sitting
from scheduler.clinic.levelling import level_day, lower_bound
from scheduler.clinic_model import ChairTally, DayLoad, Load
from tests_support import SOURCE_DATE_EPOCH

PROFILE = """schema = 1
name = "Test Infusion Center"
timezone = "America/New_York"
time = "09:00"
chairs = 6
hours = "08:00-18:00"
avoid = ["weekends"]
[visit_minutes]
dose = 60
"""
HEADER = "patient,drug,every,start,time,tz,doses"


def _rows(count: int, start: str = "2026-12-01", extra: str = "") -> str:
    lines = [HEADER + (f",{extra.split('=')[0]}" if extra else "")]
    for n in range(1, count + 1):
        cell = f",{extra.split('=')[1]}" if extra else ""
        lines.append(f"P{n},atezolizumab,3w,{start},09:00,America/New_York,2{cell}")
    return "\n".join(lines) + "\n"


@pytest.fixture
def clinic(tmp_path, monkeypatch):
    """Nine patients at 09:00 with 60-minute infusions, and a clinic of six chairs open 08:00-18:00."""
    (tmp_path / "clinic.toml").write_text(PROFILE, encoding="utf-8")
    (tmp_path / "nine.csv").write_text(_rows(9), encoding="utf-8")
    monkeypatch.setenv("SOURCE_DATE_EPOCH", SOURCE_DATE_EPOCH)
    monkeypatch.chdir(tmp_path)
    return tmp_path


def _csv(text: str) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(text)))


def _manifest(folder: Path) -> list[dict[str, str]]:
    return _csv((folder / "manifest.csv").read_text(encoding="utf-8"))


def _events(path: Path) -> list[icalendar.Event]:
    return list(icalendar.Calendar.from_ical(path.read_bytes()).walk("VEVENT"))


def test_nine_patients_at_nine_are_flagged_though_the_minutes_fit(txcal, clinic):
    table = _csv(txcal("load nine.csv --clinic clinic.toml --format csv").stdout)
    first = table[0]
    assert first["date"] == "2026-12-01" and first["patients"] == "9" and first["chair_minutes"] == "540"
    assert first["capacity"] == "3600" and first["peak_chairs"] == "9" and first["chairs"] == "6"
    assert first["over"] == "TRUE"
    text = txcal("load nine.csv --clinic clinic.toml").stdout
    assert "9/6  OVER" in text and "15%" in text
    chart = txcal("load nine.csv --clinic clinic.toml --format chart --date 2026-12-01").stdout.splitlines()
    nine = next(line for line in chart if line.startswith("09:00"))
    assert nine.endswith("9  OVER") and "▓" in nine  # three patients without a chair
    assert next(line for line in chart if line.startswith("10:00")).endswith(" 0")
    missing = txcal("load nine.csv --clinic clinic.toml --format chart")
    assert missing.exit_code == 2 and "--date" in missing.stderr


def test_two_drugs_of_one_morning_are_one_patient(txcal, clinic):
    (clinic / "afami.csv").write_text(
        "patient,drug,start,infusion,product_arrival\nA1,afami-cel,2026-11-02,2026-12-15,2026-12-07\n", encoding="utf-8"
    )
    rows = _csv(txcal("load afami.csv --format csv").stdout)
    chemo = next(r for r in rows if r["date"] == "2026-12-08")
    assert chemo["chemotherapy"] == "2" and chemo["patients"] == "1"


def test_a_batch_names_the_patients_in_conflict_and_strict_fails(txcal, clinic):
    result = txcal("batch nine.csv --out-dir out --clinic clinic.toml")
    assert result.exit_code == 0
    assert "2 days over the clinic's chairs: 2026-12-01, 2026-12-22." in result.stderr
    assert "9 patients with conflicts" in result.stderr and "row 2 P1: 2026-12-01" in result.stderr
    rows = _manifest(clinic / "out")
    assert all(
        r["status"] == "conflict" and "2026-12-01: the clinic is over its chairs" in r["conflicts"] for r in rows
    )
    strict = txcal("batch nine.csv --out-dir out --clinic clinic.toml --strict")
    assert strict.exit_code == 1 and "9 patients have conflicts (--strict)" in strict.stderr


def test_a_dose_on_a_closed_day_is_a_conflict_in_the_summary(txcal, clinic):
    (clinic / "closed.csv").write_text(
        'patient,drug,every,start,doses,holidays,window\nC1,atezolizumab,3w,2026-12-04,2,US,"-0,+0"\n', encoding="utf-8"
    )
    result = txcal("batch closed.csv --out-dir out2 --strict")
    assert result.exit_code == 1
    assert "row 2 C1: dose 2 on 2026-12-25 (Christmas Day" in result.stderr
    assert _manifest(clinic / "out2")[0]["conflicts"].startswith("dose 2 on 2026-12-25")


def _chair_spans(folder: Path) -> dict[date, list[tuple[datetime, datetime]]]:
    spans: dict[date, list[tuple[datetime, datetime]]] = {}
    for event in _events(folder / "clinic.ics"):
        kind = str(event["CATEGORIES"].cats[0]).lower()
        if kind in ("dose", "chemotherapy", "infusion") and event.get("STATUS") != "CANCELLED":
            start, end = event["DTSTART"].dt, event["DTEND"].dt
            spans.setdefault(start.date(), []).append((start, end))
    return spans


def _most_at_once(spans: list[tuple[datetime, datetime]]) -> int:
    steps = sorted([(s, 1) for s, _ in spans] + [(e, -1) for _, e in spans])
    used = most = 0
    for _, change in steps:
        used += change
        most = max(most, used)
    return most


def test_levelling_fits_the_chairs_and_says_so_in_every_calendar(txcal, clinic):
    result = txcal("batch nine.csv --out-dir out --clinic clinic.toml --level --strict")
    assert result.exit_code == 0, result.stderr
    assert "Levelled 18 chair visits on 2 days" in result.stderr
    for day, spans in _chair_spans(clinic / "out").items():
        assert _most_at_once(spans) <= 6, day
        assert all(s.hour >= 8 and (e.hour, e.minute) <= (18, 0) for s, e in spans)
    load = _csv(txcal("load out --clinic clinic.toml --format csv").stdout)
    assert [r["over"] for r in load] == ["FALSE", "FALSE"]
    rows = _manifest(clinic / "out")
    moved = [r for r in rows if r["levelled"]]
    assert moved and all(r["status"] == "ok" for r in rows)
    patient = moved[-1]
    event = _events(clinic / "out" / patient["file"])[0]
    start = event["DTSTART"].dt
    assert f"{start:%H:%M}" in patient["levelled"]
    assert "Your clinic set this time: you asked for 09:00" in str(event["DESCRIPTION"])  # the patient's words
    clinic_text = (clinic / "out" / "clinic.ics").read_text(encoding="utf-8").replace("\n ", "")
    assert f"Appointment at {start:%H:%M} (asked 09:00)\\, set by the clinic" in clinic_text
    before = {p.name: p.read_bytes() for p in (clinic / "out").iterdir()}
    again = txcal("batch nine.csv --out-dir out --clinic clinic.toml --level --strict")
    assert again.exit_code == 0
    assert {p.name: p.read_bytes() for p in (clinic / "out").iterdir()} == before  # stable on re-runs


def test_preferences_are_met_where_they_can_be(txcal, clinic):
    lines = [HEADER + ",prefer"]
    for n in range(1, 10):
        lines.append(f"P{n},atezolizumab,3w,2026-12-01,09:00,America/New_York,1,{'afternoon' if n % 2 else 'morning'}")
    lines.append("T1,atezolizumab,3w,2026-12-01,09:00,America/New_York,1,10:30")
    (clinic / "prefer.csv").write_text("\n".join(lines) + "\n", encoding="utf-8")
    result = txcal("batch prefer.csv --out-dir out --clinic clinic.toml --level")
    assert result.exit_code == 0 and "10 of 10 preferences met" in result.stderr
    for row in _manifest(clinic / "out"):
        start = _events(clinic / "out" / row["file"])[0]["DTSTART"].dt
        wanted = {"P": "afternoon" if int(row["patient"][1:]) % 2 else "morning", "T": "10:30"}[row["patient"][0]]
        if wanted == "afternoon":
            assert start.hour >= 12, row
        elif wanted == "morning":
            assert start.hour < 12, row
        else:
            assert f"{start:%H:%M}" == "10:30"
    bad = txcal("plan atezolizumab --every 3w --start 2026-12-01 --prefer evening")
    assert bad.exit_code == 2 and "morning, afternoon or a time" in bad.stderr


def test_a_full_day_sends_a_dose_to_an_open_day_in_its_window_or_reports_it(txcal, clinic):
    small = PROFILE.replace("chairs = 6", "chairs = 1").replace('hours = "08:00-18:00"', 'hours = "09:00-11:00"')
    (clinic / "small.toml").write_text(small, encoding="utf-8")
    lines = [HEADER + ",window"] + [
        f'P{n},atezolizumab,3w,2026-12-01,09:00,America/New_York,1,"-0,+{window}"'
        for n, window in ((1, 0), (2, 0), (3, 3))
    ]
    (clinic / "three.csv").write_text("\n".join(lines) + "\n", encoding="utf-8")
    result = txcal("batch three.csv --out-dir out --clinic small.toml --level")
    assert result.exit_code == 0, result.stderr
    assert "2 moved (60 minutes in all, the largest 60 minutes), 1 of them to another day" in result.stderr
    rows = {r["patient"]: r for r in _manifest(clinic / "out")}
    moved = _events(clinic / "out" / rows["P3"]["file"])[0]
    assert moved["DTSTART"].dt.date() == date(2026, 12, 2)
    assert "Moved by the clinic from Tue 01 Dec to Wed 02 Dec" in str(moved["DESCRIPTION"])
    # Four patients, two chair hours and no window: one fits nowhere, by patient and day.
    lines.append('P4,atezolizumab,3w,2026-12-01,09:00,America/New_York,1,"-0,+0"')
    (clinic / "four.csv").write_text("\n".join(lines) + "\n", encoding="utf-8")
    stuck = txcal("batch four.csv --out-dir out4 --clinic small.toml --level --strict")
    assert stuck.exit_code == 1 and "1 fit no chair" in stuck.stderr
    assert "2026-12-01: no chair free in opening hours" in stuck.stderr
    unfit = [r for r in _manifest(clinic / "out4") if "no chair free" in r["conflicts"]]
    assert len(unfit) == 1


def test_levelling_needs_the_chairs(txcal, clinic):
    result = txcal("batch nine.csv --out-dir out --level")
    assert result.exit_code == 1 and "--clinic FILE with chairs and hours" in result.stderr
    assert not (clinic / "out" / "clinic.ics").exists()


def test_linked_visits_stay_before_their_levelled_chair(txcal, clinic):
    linked = PROFILE + '[[linked]]\nkind = "visit"\ntitle = "Visit with your oncologist"\nminutes = 30\n'
    (clinic / "linked.toml").write_text(
        linked.replace("[visit_minutes]", "[visit_minutes]\nvisit = 30"), encoding="utf-8"
    )
    result = txcal("batch nine.csv --out-dir out --clinic linked.toml --level")
    assert result.exit_code == 0, result.stderr
    for row in _manifest(clinic / "out"):
        events = sorted(_events(clinic / "out" / row["file"]), key=lambda e: e["DTSTART"].dt)
        for visit, dose in zip(events[::2], events[1::2], strict=True):
            assert "oncologist" in str(visit["SUMMARY"]) and visit["DTEND"].dt == dose["DTSTART"].dt
            assert visit["DTSTART"].dt.hour >= 8


@settings(max_examples=60, deadline=None)
@given(
    st.lists(st.tuples(st.integers(15, 240), st.integers(0, 60)), min_size=1, max_size=40),
    st.integers(1, 8),
)
def test_a_levelled_day_never_seats_more_than_its_chairs(jobs, chairs):
    sittings = [Sitting(n, f"P{n}", date(2026, 12, 1), 9 * 60, minutes, lead) for n, (minutes, lead) in enumerate(jobs)]
    result, left, _ = level_day(sittings, chairs, 8 * 60, 18 * 60)
    day = DayLoad()
    for sitting, (_, start) in result.placed.items():
        assert start - sitting.lead >= 8 * 60 and start + sitting.minutes <= 18 * 60
        day.spans.append((sitting.patient, start, start + sitting.minutes))
    assert day.peak_chairs <= chairs
    assert set(result.placed) | set(left) == set(sittings)
    if not left:
        assert result.bound == lower_bound(sum(m for m, _ in jobs), 600) and day.peak_chairs >= result.bound


row = st.tuples(
    st.sampled_from(["atezolizumab,3w", "pembrolizumab,6w", "Tecentriq Hybreza,", "afami-cel,"]),
    st.dates(date(2026, 12, 1), date(2026, 12, 20)),
    st.sampled_from(["08:00", "09:00", "09:30", "11:00", "13:30", "16:00"]),
    st.sampled_from(["", "morning", "afternoon", "10:30", "17:00"]),
    st.sampled_from(["", "-1,+2", "-0,+0"]),
)


@settings(max_examples=8, deadline=None)
@given(st.lists(row, min_size=1, max_size=14), st.integers(1, 3))
def test_a_levelled_batch_never_double_books_whatever_the_list(tmp_path_factory, rows, chairs):
    from click.testing import CliRunner

    from scheduler.cli import main

    folder = tmp_path_factory.mktemp("level")
    (folder / "c.toml").write_text(PROFILE.replace("chairs = 6", f"chairs = {chairs}"), encoding="utf-8")
    lines = ["patient,drug,every,start,time,prefer,window,doses"]
    lines += [
        f'P{n},{drug},{day},{clock},{prefer},"{window}",2' for n, (drug, day, clock, prefer, window) in enumerate(rows)
    ]
    (folder / "list.csv").write_text("\n".join(lines) + "\n", encoding="utf-8")
    out = folder / "out"
    result = CliRunner().invoke(
        main, ["batch", str(folder / "list.csv"), "--out-dir", str(out), "--clinic", str(folder / "c.toml"), "--level"]
    )
    assert result.exit_code in (0, 1) and "failed unexpectedly" not in result.stderr, result.stderr
    # A visit that fits no chair (on a closed day, or past the chairs) stays where it was planned.
    stuck = {
        date.fromisoformat(day) for r in _manifest(out) for day in re.findall(r"(\d{4}-\d\d-\d\d)", r["conflicts"])
    }
    for day, spans in _chair_spans(out).items():
        if day not in stuck:
            assert _most_at_once(spans) <= chairs, day


def test_the_day_sheet_shows_times_chairs_and_conflicts(txcal, clinic):
    assert txcal("batch nine.csv --out-dir out --clinic clinic.toml").exit_code == 0
    sheet = txcal("agenda out --date 2026-12-01 --clinic clinic.toml --format csv")
    rows = _csv(sheet.stdout)
    assert len(rows) == 9 and {r["start"] for r in rows} == {"09:00"}
    assert sorted(r["chair"] for r in rows if r["chair"]) == ["1", "2", "3", "4", "5", "6"]
    assert sum("no chair free" in r["conflicts"] for r in rows) == 3
    assert rows[0]["what"] == "Atezolizumab (Tecentriq) IV infusion, dose 1 (1,200 mg)" and rows[0]["patient"] == "P1"
    text = txcal("agenda out --date 2026-12-01 --clinic clinic.toml").stdout
    assert text.startswith("Tue 01 Dec 2026, Test Infusion Center, 6 chairs")
    assert "9 patients, 9 items, 6 chairs in use; 3 conflicts." in " ".join(text.split())
    assert txcal("batch nine.csv --out-dir out --clinic clinic.toml --level").exit_code == 0
    levelled = _csv(txcal("agenda out --date 2026-12-01 --clinic clinic.toml --format csv").stdout)
    assert not any(r["conflicts"] for r in levelled) and len(levelled) == 9
    # The same day from the list, planned here: the same visits.
    planned = _csv(txcal("agenda nine.csv --date 2026-12-01 --clinic clinic.toml --format csv").stdout)
    assert [(r["start"], r["patient"], r["what"]) for r in planned] == [
        (r["start"], r["patient"], r["what"]) for r in rows
    ]
    week = txcal("agenda out --date 2026-11-30 --days 7 --clinic clinic.toml").stdout
    assert "Mon 30 Nov 2026" in week and "Sun 06 Dec 2026" in week and "No visits." in week


def test_the_day_sheet_says_what_to_prepare(txcal, clinic):
    (clinic / "prep.csv").write_text(
        "patient,drug,start,infusion,product_arrival,pediatric,weight_kg,every,time,tz\n"
        "A1,afami-cel,2026-11-02,2026-12-15,2026-12-07,,,,09:00,America/New_York\n"
        "K1,atezolizumab,2026-12-15,,,yes,30,3w,09:00,America/New_York\n",
        encoding="utf-8",
    )
    rows = _csv(txcal("agenda prep.csv --date 2026-12-15 --format csv").stdout)
    infusion = next(r for r in rows if r["kind"] == "infusion")
    assert "First: Premedication" in infusion["prepare"] and "Product arrival planned Mon 07 Dec" in infusion["prepare"]
    child = next(r for r in rows if r["patient"] == "K1")
    assert "Weigh the patient: the dose assumes 30 kg (15 mg/kg × 30 kg = 450 mg" in child["prepare"]
    assert txcal("batch prep.csv --out-dir out").exit_code == 0
    again = _csv(txcal("agenda out --date 2026-12-15 --format csv").stdout)
    assert [(r["patient"], r["prepare"]) for r in again] == [(r["patient"], r["prepare"]) for r in rows]


def test_a_corrected_start_in_the_list_leaves_one_plan_and_cancels_the_old(txcal, clinic):
    (clinic / "one.csv").write_text(_rows(1), encoding="utf-8")
    assert txcal("batch one.csv --out-dir out").exit_code == 0
    old = {str(e["UID"]) for e in _events(clinic / "out" / "P1.ics")}
    (clinic / "one.csv").write_text(_rows(1, start="2026-12-03"), encoding="utf-8")
    refused = txcal("batch one.csv --out-dir out")
    assert refused.exit_code == 1 and "--replace" in refused.stderr and "holds another txcal plan (" in refused.stderr
    replaced = txcal("batch one.csv --out-dir out --replace")
    assert replaced.exit_code == 0, replaced.stderr
    events = _events(clinic / "out" / "P1.ics")
    cancelled = {str(e["UID"]) for e in events if e.get("STATUS") == "CANCELLED"}
    live = [e for e in events if e.get("STATUS") != "CANCELLED"]
    assert cancelled == old and len(live) == 2 and live[0]["DTSTART"].dt.date() == date(2026, 12, 3)
    clinic_events = _events(clinic / "out" / "clinic.ics")
    assert {str(e["UID"]) for e in clinic_events if e.get("STATUS") == "CANCELLED"} == old


def test_a_plan_id_column_updates_the_same_plan(txcal, clinic):
    (clinic / "one.csv").write_text(_rows(1, extra="plan_id=course-1"), encoding="utf-8")
    assert txcal("batch one.csv --out-dir out").exit_code == 0
    old = {str(e["UID"]) for e in _events(clinic / "out" / "P1.ics")}
    (clinic / "one.csv").write_text(_rows(1, start="2026-12-03", extra="plan_id=course-1"), encoding="utf-8")
    assert txcal("batch one.csv --out-dir out").exit_code == 0
    events = _events(clinic / "out" / "P1.ics")
    assert {str(e["UID"]) for e in events} == old and all(e.get("STATUS") != "CANCELLED" for e in events)
    assert min(e["DTSTART"].dt.date() for e in events) == date(2026, 12, 3)


def test_plan_replace_writes_into_the_file_of_another_plan(txcal, clinic):
    first = "plan atezolizumab --every 3w --doses 2 --start 2026-12-01 -o p.ics"
    assert txcal(first).exit_code == 0
    refused = txcal(first.replace("2026-12-01", "2026-12-03"))
    assert refused.exit_code == 1 and "add --replace" in refused.stderr
    assert txcal(first.replace("2026-12-01", "2026-12-03") + " --replace").exit_code == 0
    statuses = sorted(str(e.get("STATUS")) for e in _events(clinic / "p.ics"))
    assert statuses == ["CANCELLED", "CANCELLED", "TENTATIVE", "TENTATIVE"]


def test_restart_moves_a_plan_file_and_refuses_once_a_dose_is_given(txcal, clinic):
    assert txcal("record new -f p.toml atezolizumab --every 3w --start 2026-12-01 --doses 3").exit_code == 0
    assert txcal("plan --plan-file p.toml -o p.ics").exit_code == 0
    assert txcal("record restart -f p.toml 2026-12-03").exit_code == 0
    updated = txcal("plan --plan-file p.toml -o p.ics")
    assert "3 changed, 0 cancelled" in updated.stderr
    assert txcal("record given -f p.toml 1 2026-12-03").exit_code == 0
    refused = txcal("record restart -f p.toml 2026-12-05")
    assert refused.exit_code == 1 and "record a delay instead" in refused.stderr


visit = st.tuples(
    st.sampled_from([date(2027, 3, 1), date(2027, 3, 2)]),
    st.one_of(st.none(), st.integers(15, 300)),
    st.one_of(st.none(), st.integers(7 * 60, 17 * 60)),
)


@settings(max_examples=300, deadline=None)
@given(st.lists(st.lists(visit, max_size=4), max_size=12), st.integers(1, 4), st.integers(60, 600))
def test_a_batch_counts_the_days_over_the_chairs_as_the_load_view_does(patients, chairs, open_minutes):
    # The batch counts chairs as rows stream (by day and minute, not by visit); the load view keeps every visit.
    # Both say the same days are over: chair minutes past the day's, or more patients at once than chairs (a
    # patient's overlapping visits are one sitting).
    load = Load(chairs=chairs, open_minutes=open_minutes)
    tally = ChairTally(chairs, open_minutes)
    for number, visits in enumerate(patients):
        for day, minutes, at in visits:
            load.add(day, "dose", minutes, str(number), at)
        tally.add_patient(visits)
    assert tally.over() == sorted(day for day in load.days if load.over(day))


def test_visits_outside_opening_hours_are_conflicts_everywhere_levelled_or_not(txcal, tmp_path, monkeypatch):
    # Opening 07:30-15:00 on Fridays: a 07:00 lab before a 07:30 chair, and a 14:30 dose of an hour ending 15:30.
    # Without --level: the manifest, --strict, the day sheet and the load all say so.
    monkeypatch.setenv("SOURCE_DATE_EPOCH", SOURCE_DATE_EPOCH)
    profile = (
        'schema = 1\nname = "Test Infusion Center"\ntimezone = "America/New_York"\nchairs = 6\n'
        '[hours]\nmon = "07:30-18:00"\nfri = "07:30-15:00"\n[visit_minutes]\ndose = 60\nlab = 30\n'
        '[[linked]]\nkind = "lab"\ntitle = "Blood tests"\nbefore_days = 0\nminutes = 30\n'
    )
    (tmp_path / "clinic.toml").write_text(profile, encoding="utf-8")
    (tmp_path / "list.csv").write_text(
        "patient,drug,every,start,time,tz,doses\n"
        "A,atezolizumab,3w,2027-01-08,07:30,America/New_York,1\n"  # the chair at 07:30, its lab before at 07:00
        "B,atezolizumab,3w,2027-01-08,14:30,America/New_York,1\n"  # the lab at 14:00, the dose until 15:30
        "C,atezolizumab,3w,2027-01-08,09:00,America/New_York,1\n",
        encoding="utf-8",
    )
    strict = txcal(
        f"batch {tmp_path / 'list.csv'} --out-dir {tmp_path / 'out'} --clinic {tmp_path / 'clinic.toml'} --strict"
    )
    assert strict.exit_code == 1, strict.stderr
    rows = {r["patient"]: r for r in csv.DictReader(io.StringIO((tmp_path / "out" / "manifest.csv").read_text()))}
    assert "2027-01-08: lab 07:00-07:30 outside opening hours (07:30-15:00)" in rows["A"]["conflicts"]
    assert rows["B"]["conflicts"] == "2027-01-08: dose 14:30-15:30 outside opening hours (07:30-15:00)"
    assert rows["C"]["conflicts"] == ""
    sheet = txcal(f"agenda {tmp_path / 'out'} --clinic {tmp_path / 'clinic.toml'} --date 2027-01-08 --format csv")
    flagged = {
        (r["patient"], r["kind"]) for r in csv.DictReader(io.StringIO(sheet.stdout)) if "outside" in r["conflicts"]
    }
    assert flagged == {("A", "lab"), ("B", "dose")}
    load = txcal(f"load {tmp_path / 'out'} --clinic {tmp_path / 'clinic.toml'} --format csv")
    day = next(r for r in csv.DictReader(io.StringIO(load.stdout)) if r["date"] == "2027-01-08")
    assert day["outside_hours"] == "2"


def test_asked_means_asked_a_patient_told_of_a_changed_time_only_when_it_changed(txcal, tmp_path, monkeypatch):
    # A lab 30 minutes before the chair. A asks to arrive at 10:30 (`prefer`) and does: the chair at 11:00 is no
    # change, whatever the list's time. B and C ask for a 09:00 chair and one chair is free: C is moved to 09:30,
    # told once (on the dose, not on the lab), in plain words; the day sheet's `asked` says what each asked.
    monkeypatch.setenv("SOURCE_DATE_EPOCH", SOURCE_DATE_EPOCH)
    (tmp_path / "clinic.toml").write_text(
        'schema = 1\nname = "Test Infusion Center"\ntimezone = "America/New_York"\nchairs = 1\nhours = "08:00-18:00"\n'
        '[visit_minutes]\ndose = 30\nlab = 30\n[[linked]]\nkind = "lab"\ntitle = "Blood tests"\nbefore_days = 0\n'
        "minutes = 30\n",
        encoding="utf-8",
    )
    (tmp_path / "list.csv").write_text(
        "patient,drug,every,start,time,tz,doses,prefer\n"
        "A,atezolizumab,3w,2027-01-05,08:00,America/New_York,1,10:30\n"
        "B,atezolizumab,3w,2027-01-05,09:00,America/New_York,1,\n"
        "C,atezolizumab,3w,2027-01-05,09:00,America/New_York,1,\n",
        encoding="utf-8",
    )
    out = tmp_path / "out"
    result = txcal(f"batch {tmp_path / 'list.csv'} --out-dir {out} --clinic {tmp_path / 'clinic.toml'} --level")
    assert result.exit_code == 0, result.stderr
    manifest = {r["patient"]: r for r in csv.DictReader(io.StringIO((out / "manifest.csv").read_text()))}
    assert manifest["A"]["levelled"] == "" and manifest["B"]["levelled"] == ""
    assert manifest["C"]["levelled"] == "2027-01-05 09:30 (asked 09:00)"
    for patient in "AB":
        text = (out / f"{patient}.ics").read_text(encoding="utf-8").replace("\n ", "")
        assert "set this time" not in text and "set by the clinic" not in text
    text = (out / "C.ics").read_text(encoding="utf-8").replace("\n ", "")
    assert text.count("Your clinic set this time: you asked for 09:00") == 1
    a_starts = sorted(f"{e['DTSTART'].dt:%H:%M}" for e in _events(out / "A.ics"))
    assert a_starts == ["10:30", "11:00"]  # the lab at the arrival asked for, then the chair
    sheet = txcal(f"agenda {out} --clinic {tmp_path / 'clinic.toml'} --date 2027-01-05 --format csv")
    asked = {(r["patient"], r["kind"]): r["asked"] for r in csv.DictReader(io.StringIO(sheet.stdout))}
    assert asked == {("A", "lab"): "", ("A", "dose"): "", ("B", "lab"): "", ("B", "dose"): "",
                     ("C", "lab"): "", ("C", "dose"): "09:00"}  # fmt: skip
