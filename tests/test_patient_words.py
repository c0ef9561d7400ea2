"""What the patient reads: the third clinical review's fixes, each against its source's words, and plain language.

Sources quoted: the Tecelra label (Dosage and Administration; section 5.1, revised 08/2024), the Keytruda Qlex
highlights, and the American Cancer Society page "Immunotherapy for Soft Tissue Sarcoma" (revised 2024-09-19).
"""

from __future__ import annotations

import csv
import io
import json
import re
from pathlib import Path

import icalendar
import pytest

PROFILE = """schema = 1
name = "Riverside Infusion Center"
address = "12 River Road"
timezone = "America/New_York"
time = "09:00"
avoid = ["weekends"]
holidays = "US"
remind = "1d"
[visit_minutes]
dose = 60
lab = 15
visit = 20
[[linked]]
kind = "lab"
title = "Blood tests"
minutes = 15
[[linked]]
kind = "visit"
title = "Visit with your oncologist"
minutes = 20
"""


@pytest.fixture
def clinic(tmp_path, monkeypatch):
    (tmp_path / "c.toml").write_text(PROFILE, encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    return tmp_path


def _unfolded(text: str) -> str:
    return text.replace("\r\n", "\n").replace("\n ", "")


def _events(path: Path) -> list[icalendar.Event]:
    return list(icalendar.Calendar.from_ical(path.read_bytes()).walk("VEVENT"))


def test_the_product_is_confirmed_before_chemotherapy_and_its_check_is_flagged_on_a_closed_day(txcal, clinic):
    # Label: "Confirm availability of TECELRA at the healthcare facility prior to starting the lymphodepleting
    # chemotherapy regimen." Day 1 on Sat 2 Jan 2027 puts the Day -8 check on Christmas Day.
    (clinic / "l.csv").write_text(
        "patient,drug,start,infusion,time,tz\nA1,afami-cel,2026-11-02,2027-01-12,09:00,America/New_York\n"
        "A2,afami-cel,2026-11-02,2027-01-02,09:00,America/New_York\n",
        encoding="utf-8",
    )
    sheet = list(
        csv.DictReader(io.StringIO(txcal("agenda l.csv --date 2027-01-05 --clinic c.toml --format csv").stdout))
    )
    first_chemo = [r for r in sheet if r["patient"] == "A1" and r["kind"] == "chemotherapy"]
    assert first_chemo and all("First confirm the T-cell product is here" in r["prepare"] for r in first_chemo)
    flagged = txcal("plan afami-cel --start 2026-11-02 --infusion 2027-01-02 --clinic c.toml --format json")
    check = next(e for e in json.loads(flagged.stdout)["events"] if e["kind"] == "milestone")
    assert check["conflict"] and check["conflict"].startswith("Christmas Day (US holiday)")


def test_monitoring_is_not_put_at_a_closed_clinic_and_the_clinic_is_told(txcal, clinic):
    # Label 5.1: monitoring "at least 7 days at the healthcare facility"; where is the care team's to say.
    data = json.loads(
        txcal("plan afami-cel --start 2026-11-02 --infusion 2027-01-12 --clinic c.toml --format json").stdout
    )
    monitoring = [e for e in data["events"] if e["kind"] == "monitoring"]
    assert monitoring and all(e["location"] is None for e in monitoring)
    weekend = [e for e in monitoring if e["start"] in ("2027-01-16", "2027-01-17")]
    assert len(weekend) == 2
    assert all(any("The infusion clinic is closed this day (weekend)" in n for n in e["clinic_notes"]) for e in weekend)
    assert not any("closed" in n for e in weekend for n in e["notes"])


def test_the_handout_row_says_what_the_calendar_says_about_a_closed_day_and_a_dose_beyond_the_label(txcal, clinic):
    stuck = txcal(
        "plan keytruda --every 3w --start 2026-12-04 --doses 2 --avoid weekends --holidays US --window=-0,+0 "
        "-o stuck.html"
    )
    assert stuck.exit_code == 0, stuck.stderr
    page = (clinic / "stuck.html").read_text(encoding="utf-8")
    assert "The clinic is closed that day (Christmas Day (US holiday))" in page
    long = txcal("plan keytruda --every 3w --start 2026-12-01 --for 30m -o long.html")
    assert long.exit_code == 0, long.stderr
    rows = re.findall(r"<tr>.*?</tr>", (clinic / "long.html").read_text(encoding="utf-8"), re.S)
    dose_36 = next(r for r in rows if "dose 36" in r)
    assert "Beyond the labelled duration" in dose_36
    calendar = _unfolded(txcal("plan keytruda --every 3w --start 2026-12-01 --for 30m --format ics").stdout)
    assert (
        "SUMMARY:Pembrolizumab (Keytruda) IV infusion\\, dose 36\\, beyond the labelled duration (200 mg)" in calendar
    )


def test_one_reminder_a_visit_day_and_times_that_match_each_events_start(txcal, clinic):
    assert txcal("plan keytruda --every 3w --start 2026-12-01 --doses 2 --clinic c.toml -o p.ics").exit_code == 0
    days: dict[str, int] = {}
    for event in _events(clinic / "p.ics"):
        days.setdefault(str(event["DTSTART"].dt)[:10], 0)
        days[str(event["DTSTART"].dt)[:10]] += len(event.walk("VALARM"))
    assert set(days.values()) == {1}  # a lab, a visit and a dose the same day remind once
    # A levelled day: each visit says its own new time (the lab before the chair starts before it).
    rows = ["patient,drug,every,start,time,tz,doses"] + [
        f"P{n},keytruda,3w,2026-12-01,09:00,America/New_York,1" for n in range(3)
    ]
    (clinic / "l.csv").write_text("\n".join(rows) + "\n", encoding="utf-8")
    two = PROFILE.replace("[visit_minutes]", 'chairs = 2\nhours = "08:00-18:00"\n[visit_minutes]')
    (clinic / "two.toml").write_text(two, encoding="utf-8")
    assert txcal("batch l.csv --out-dir out --clinic two.toml --level").exit_code == 0
    for path in (clinic / "out").glob("P*.ics"):
        for event in _events(path):
            text = str(event["DESCRIPTION"])
            found = re.search(r"Appointment at (\d\d:\d\d)", text)
            if found:
                assert found.group(1) == f"{event['DTSTART'].dt:%H:%M}", (path.name, event["SUMMARY"])


def test_a_clinicians_reason_stays_in_the_clinics_views(txcal, clinic):
    plan = clinic / "p.toml"
    assert (
        txcal(
            f"record new keytruda --every 3w --start 2026-12-01 --doses 3 --time 09:00 --tz America/New_York -f {plan}"
        ).exit_code
        == 0
    )
    assert txcal(f"record delay -f {plan} 2 7 --reason 'neutropenia, ANC 0.9'").exit_code == 0
    calendar = _unfolded(txcal(f"plan --plan-file {plan} --format ics").stdout)
    handout = txcal(f"plan --plan-file {plan} --format html").stdout
    assert "Delayed 7 days from" in calendar and "neutropenia" not in calendar and "neutropenia" not in handout
    data = json.loads(txcal(f"plan --plan-file {plan} --format json").stdout)
    assert any("neutropenia, ANC 0.9" in e["reason"] for e in data["events"])  # the clinic's JSON keeps it
    assert "A visit on a closed day may move" not in calendar  # the window's provenance is the clinic's


def test_safety_lines_quote_their_sources(txcal):
    qlex = _unfolded(txcal("plan 'Keytruda Qlex' --every 3w --start 2026-12-01 --doses 1 --format ics").stdout)
    # A hyaluronidase allergy is a contraindication of the subcutaneous forms.
    assert "an allergic reaction to hyaluronidase" in qlex
    hybreza = _unfolded(txcal("plan 'Tecentriq Hybreza' --start 2026-12-01 --doses 1 --format ics").stdout)
    assert "blood tests of your liver before you start" in hybreza  # as the IV form's calendar says, in plain words
    for calendar in (qlex, hybreza):
        assert "Call 911 or go to the nearest emergency room if you have trouble breathing\\, a seizure" in calendar


def _syllables(word: str) -> int:
    word = word.lower().strip(".,;:()'\"!?")
    groups = re.findall(r"[aeiouy]+", word)
    count = len(groups) - (1 if word.endswith("e") and len(groups) > 1 and not word.endswith("le") else 0)
    return max(count, 1)


def flesch_kincaid_grade(text: str) -> float:
    """Return the Flesch-Kincaid grade of a text (a rough count: sentences by their end marks, syllables by vowel groups)."""
    sentences = [s for s in re.split(r"(?<=[.!?:])\s+", text) if re.search(r"[A-Za-z]", s)]
    words = re.findall(r"[A-Za-z][A-Za-z'-]*", text)
    syllables = sum(_syllables(w) for w in words)
    return 0.39 * len(words) / len(sentences) + 11.8 * syllables / len(words) - 15.59


def test_the_handouts_words_read_at_about_grade_6_to_8(txcal):
    assert flesch_kincaid_grade("The cat sat on the mat. It was happy.") < 2  # the count itself, on plain words
    grades = {}
    for command in (
        "plan atezolizumab --every 3w --start 2026-12-01 --doses 2",
        "plan keytruda --every 3w --start 2026-12-01 --doses 2",
        "plan 'Keytruda Qlex' --every 3w --start 2026-12-01 --doses 2",
        "plan 'Tecentriq Hybreza' --start 2026-12-01 --doses 2",
        "plan afami-cel --start 2027-01-04 --infusion 2027-02-16",
    ):
        page = txcal(f"{command} --format html").stdout
        sections = re.findall(r'<section aria-labelledby="(?:expect|report)">(.*?)</section>', page, re.S)
        text = re.sub(r"<[^>]+>", " ", " ".join(sections)).replace("&#x27;", "'")
        text = re.sub(r"</?li>|\n", ". ", text)
        grades[command.split()[1]] = round(flesch_kincaid_grade(text), 1)
    assert all(grade <= 8.5 for grade in grades.values()), grades  # measured: 5.8 to 7.1


def test_a_lab_stuck_on_a_closed_day_says_how_far_it_could_move(txcal, clinic):
    # Labs the day before the dose move earlier only, up to 3 days, never to the dose before: a four-day
    # closure (Thursday to Sunday) leaves no open day, and the words say which days were tried.
    (clinic / "closures.txt").write_text("2027-02-04..2027-02-07 Building works\n", encoding="utf-8")
    lab = PROFILE.replace('[[linked]]\nkind = "visit"', '[[linked]]\nkind = "imaging"\nevery_weeks = 52\n#')
    lab = lab.replace('title = "Blood tests"\nminutes = 15', 'title = "Blood tests"\nminutes = 15\nbefore_days = 1')
    (clinic / "lab.toml").write_text(
        lab.replace('remind = "1d"', 'remind = "1d"\nclosed = "closures.txt"'), encoding="utf-8"
    )
    data = json.loads(
        txcal("plan keytruda --every 3w --start 2027-02-08 --doses 1 --clinic lab.toml --format json").stdout
    )
    stuck = next(e for e in data["events"] if e["kind"] == "lab")
    assert stuck["conflict"] == "Building works; no open day in the 3 days before it"
    assert any("there is no open day in the 3 days before it" in n for n in stuck["notes"])
