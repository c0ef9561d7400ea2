"""Plan files: made and extended by `txcal record`, read back exactly, and built into calendars."""

from __future__ import annotations

import json

import pytest

from scheduler.errors import TemplateError
from scheduler.inputs.plan_file import dump_plan, load_plan
from tests_support import SOURCE_DATE_EPOCH


@pytest.fixture
def course(txcal, tmp_path, monkeypatch):
    """A patient's plan file made with `txcal record new`, with a closures file beside it."""
    monkeypatch.chdir(tmp_path)
    (tmp_path / "closures.txt").write_text("2026-12-24..2026-12-31 Winter break\n", encoding="utf-8")
    made = txcal(
        "record new -f p017.toml atezolizumab --every 3w --start 2026-12-01 --time 09:00 --tz America/New_York "
        "--patient P-017 --avoid weekends --holidays US --closed closures.txt"
    )
    assert made.exit_code == 0, made.stderr
    return tmp_path / "p017.toml"


def test_every_record_command_round_trips_through_the_file(txcal, course):
    steps = [
        ("record given -f p017.toml 1 2026-12-02 --reason 'chair free'", "given", {"dose": 1}),
        ("record delay -f p017.toml 3 7 --reason neutropenia", "delay", {"dose": 3, "days": 7}),
        ("record hold -f p017.toml 5 --reason rash", "hold", {"dose": 5}),
        (
            "record switch -f p017.toml 7 'Tecentriq Hybreza' --reason 'patient choice'",
            "switch",
            {"dose": 7, "drug": "Tecentriq Hybreza"},
        ),
        ("record stop -f p017.toml 2027-06-01 --reason progression", "stop", {}),
    ]
    for number, (args, kind, fields) in enumerate(steps, 1):
        result = txcal(args)
        assert result.exit_code == 0, result.stderr
        assert "Recorded in p017.toml" in result.stderr and "Next planned:" in result.stderr
        spec = load_plan(course)
        assert len(spec.records) == number
        assert spec.records[-1].kind == kind and all(getattr(spec.records[-1], k) == v for k, v in fields.items())
        assert str(spec.records[-1].recorded) == "2026-11-26"
        # What is written reads back to the same plan, and writes out the same bytes.
        assert dump_plan(load_plan(course)) == course.read_text(encoding="utf-8")
    events = json.loads(txcal("plan --plan-file p017.toml --format json").stdout)["events"]
    by_number = {e["dose_number"]: e for e in events}
    assert by_number[1]["status"] == "given" and by_number[1]["start"].startswith("2026-12-02T09:00")
    assert by_number[3]["shifted_from"] == "2027-01-13" and by_number[3]["reason"].startswith("Delayed 7 days")
    assert by_number[5]["status"] == "held"
    assert by_number[7]["route"] == "SC" and by_number[7]["dose"] == "1,875 mg"
    assert max(e["start"] for e in events) < "2027-06-02"


def test_regenerating_after_a_stop_cancels_what_no_longer_happens(txcal, course, monkeypatch):
    monkeypatch.setenv("SOURCE_DATE_EPOCH", SOURCE_DATE_EPOCH)
    assert txcal("plan --plan-file p017.toml -o p017.ics").exit_code == 0
    before = (course.parent / "p017.ics").read_text(encoding="utf-8")
    assert txcal("record stop -f p017.toml 2027-02-01 --reason progression").exit_code == 0
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1796000000")
    again = txcal("plan --plan-file p017.toml -o p017.ics")
    assert again.exit_code == 0 and "cancelled" in again.stderr
    after = (course.parent / "p017.ics").read_text(encoding="utf-8")
    assert before.count("BEGIN:VEVENT") == after.count("BEGIN:VEVENT")
    assert after.count("STATUS:CANCELLED") == after.count("SUMMARY:Cancelled: ") > 10


def test_a_record_that_does_not_fit_leaves_the_file_alone(txcal, course):
    original = course.read_bytes()
    for args, fragment in [
        ("record switch -f p017.toml 3 pembrolizumab --every 3w", "a switch stays with atezolizumab"),
        ("record given -f p017.toml 0 2026-12-02", "0 is not in the range x>=1"),
        ("record delay -f p017.toml 2 120", "'120': give 1 to 90 days later, or -1 to -90 days earlier"),
        ("record stop -f p017.toml 2026-13-01", "month must be in 1..12"),
    ]:
        result = txcal(args)
        assert result.exit_code != 0 and fragment in result.stderr, (args, result.stderr)
        assert course.read_bytes() == original
    assert txcal("record given -f p017.toml 1 2026-12-02").exit_code == 0
    before_it = txcal("record given -f p017.toml 2 2026-12-01")
    assert before_it.exit_code == 1 and "dose 2 on 2026-12-01 is not after dose 1 on 2026-12-02" in before_it.stderr
    twice = txcal("record given -f p017.toml 1 2026-12-03")
    assert twice.exit_code == 1 and "dose 1 already has a given record" in twice.stderr


def test_a_pathway_takes_only_a_stop(txcal, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert txcal("record new -f a.toml afami-cel --start 2027-01-04").exit_code == 0
    result = txcal("record given -f a.toml 1 2027-01-05")
    assert (
        result.exit_code == 1
        and "afami-cel is a one-time pathway: given records apply to repeating doses" in result.stderr
    )
    assert txcal("record stop -f a.toml 2027-02-16").exit_code == 0
    kept = json.loads(txcal("plan --plan-file a.toml --format json").stdout)["events"]
    assert max(e["start"] for e in kept) <= "2027-02-16"


def test_plan_file_problems_are_reported_at_once(tmp_path):
    path = tmp_path / "bad.toml"
    path.write_text(
        'schema = 1\ndrug = "atezolizumab"\nstart = "2026-12-41"\ntime = "9am"\ncolour = "red"\n\n'
        '[clinic]\navoid = ["holidays"]\n\n[[record]]\nkind = "given"\ndose = 3\n',
        encoding="utf-8",
    )
    with pytest.raises(TemplateError) as caught:
        load_plan(path)
    assert list(caught.value.problems) == [
        "colour: unknown key; expected one of: clinic, doses, drug, every, for, infusion, language, monitor_days, patient, "
        "pediatric, plan_id, product_arrival, record, remind, route, schema, start, time, tz, until, weight_kg",
        "start: day is out of range for month; a date like 2026-12-01 (no quotes), got '2026-12-41'",
        "time: not a time; write times as HH:MM on a 24-hour clock, e.g. 09:30, got '9am'",
        "clinic.avoid: expected one of weekends; an array such as [\"weekends\"], got ['holidays']",
        "record[1].date: missing; a given record needs date, dose",
    ]


def test_plan_file_and_plan_options_do_not_mix(txcal, course):
    result = txcal("plan --plan-file p017.toml --doses 3")
    assert result.exit_code == 2 and "give the plan in --plan-file or on the command line, not both" in result.stderr
    exists = txcal("record new -f p017.toml pembrolizumab --every 3w --start 2026-12-01")
    assert exists.exit_code == 1 and "p017.toml exists" in exists.stderr
