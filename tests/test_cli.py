"""The txcal command: bad input gets one clear line, a non-zero exit and no traceback."""

from __future__ import annotations

import json

import pytest

from tests_support import GOOD_TEMPLATE

BAD_INPUT = [
    # (arguments, exit code, fragment of the message)
    ("plan atezolizmab --start 2026-12-01", 1, "no regimen is called 'atezolizmab'. Did you mean: atezolizumab"),
    (
        "plan atezolizumab --every 3w --start 2026-02-30",
        2,
        "'2026-02-30': day is out of range for month; write dates as YYYY-MM-DD",
    ),
    ("plan atezolizumab --every 3w --start tomorrow", 2, "'tomorrow': not a date"),
    (
        "plan atezolizumab --every 3w --start 2026-12-01 --time 9:00 --tz Mars/Olympus",
        2,
        "'Mars/Olympus' is not an IANA time zone name (Area/City): use an IANA name",
    ),
    ("plan atezolizumab --every 3w --start 2026-12-01 --time 25:00 --tz UTC", 2, "'25:00': not a time of day"),
    ("plan atezolizumab --every 3w --start 2026-12-01 --doses 0", 2, "'0': must be 1 or more"),
    ("plan atezolizumab --every 3w --start 2026-12-01 --doses -2", 2, "'-2': not a whole number"),
    (
        "plan atezolizumab --every 3w --start 2026-12-01 --until 2026-11-01",
        1,
        "--until 2026-11-01 is before the start 2026-12-01",
    ),
    (
        "plan atezolizumab --every 3w --start 2026-12-01 --doses 3 --for 6m",
        1,
        "give only one of --doses, --until and --for",
    ),
    ("plan atezolizumab --every 3w --start 2026-12-01 --for 6 months", 2, "expected a period like"),
    (
        "plan atezolizumab --every 5w --start 2026-12-01",
        1,
        "atezolizumab has no schedule every 5w; choose --every 2w, 3w, 4w",
    ),
    (
        "plan atezolizumab --pediatric --start 2026-12-01",
        1,
        "doses by weight (15 mg/kg (at most 1,200 mg)): add --weight-kg",
    ),
    (
        "plan atezolizumab --pediatric --start 2026-12-01 --weight-kg 0",
        2,
        "'0': not a body weight: give kilograms between 3 and 300",
    ),
    ("plan atezolizumab --pediatric --start 2026-12-01 --weight-kg 900", 2, "'900': not a body weight"),
    ("plan 'Tecentriq Hybreza' --pediatric --start 2026-12-01", 1, "has no pediatric schedule here"),
    ("plan afami-cel --start 2027-01-04 --doses 3", 1, "afami-cel is a one-time pathway"),
    ("plan afami-cel --start 2027-01-04 --infusion 2027-01-08", 1, "choose an infusion date on or after 2027-02-03"),
    ("plan afami-cel --start 2027-01-04 --monitor-days 3", 1, "--monitor-days 3 is shorter than the 7 days"),
    (
        "plan atezolizumab --every 3w --start 2026-12-01 --infusion 2027-01-08",
        1,
        "--infusion belongs to the afami-cel pathway",
    ),
    ("plan atezolizumab --start 2026-12-01", 1, "txcal plan atezolizumab --start 2026-12-01 --every 3w"),
    (
        "plan atezolizumab --every 3w --start 2026-12-01 --templates /nonexistent",
        1,
        "template folder /nonexistent does not exist",
    ),
    ("show nosuchdrug", 1, "no regimen is called 'nosuchdrug'"),
]


@pytest.mark.parametrize(("args", "code", "fragment"), BAD_INPUT, ids=[b[0] for b in BAD_INPUT])
def test_bad_input_gets_a_clear_message_and_no_traceback(txcal, args, code, fragment):
    result = txcal(args)
    assert result.exit_code == code
    assert result.stdout == ""
    assert fragment in result.stderr
    assert "Traceback" not in result.stderr
    assert "Error: " in result.stderr


def test_ambiguous_drug_lists_every_schedule_with_its_dose(txcal):
    result = txcal("plan pembrolizumab --start 2026-12-01")
    assert result.exit_code == 1
    assert "txcal plan pembrolizumab --start 2026-12-01 --every 3w    # 200 mg IV every 3 weeks" in result.stderr
    assert "txcal plan pembrolizumab --start 2026-12-01 --every 6w    # 400 mg IV every 6 weeks" in result.stderr
    assert "for children, add --pediatric" in result.stderr


def test_time_without_a_known_machine_zone_asks_for_tz(txcal, monkeypatch):
    monkeypatch.setenv("TZ", "XYZ+3")
    result = txcal("plan atezolizumab --every 3w --start 2026-12-01 --time 09:00")
    assert result.exit_code == 2
    assert "add --tz" in result.stderr


def test_time_uses_the_machine_zone_by_name(txcal, monkeypatch):
    monkeypatch.setenv("TZ", "America/Chicago")
    result = txcal("plan atezolizumab --every 3w --start 2026-12-01 --time 09:00 --doses 1 --format json")
    data = json.loads(result.stdout)
    assert data["timezone"] == "America/Chicago"
    assert data["events"][0]["start"] == "2026-12-01T09:00:00-06:00"


def test_invalid_user_template_is_reported_not_crashed(txcal, tmp_path):
    (tmp_path / "bad.toml").write_text('schema = 1\nid = "bad"\n', encoding="utf-8")
    result = txcal(f"regimens --templates {tmp_path}")
    assert result.exit_code == 1
    assert f"{tmp_path}/bad.toml: title: missing; expected text" in result.stderr
    assert "Traceback" not in result.stderr


def test_validate_passes_shipped_templates_and_fails_broken_ones(txcal, tmp_path):
    from scheduler.catalog.loader import shipped_template_paths

    folder = shipped_template_paths()[0].parent
    ok = txcal(f"validate {folder}")
    assert ok.exit_code == 0
    assert ok.stdout.count(": ok (") == len(shipped_template_paths())
    (tmp_path / "bad.toml").write_text('schema = 1\nid = "wrong"\n', encoding="utf-8")
    bad = txcal(f"validate {tmp_path / 'bad.toml'}")
    assert bad.exit_code == 1
    assert "id: expected \"bad\", the file name without .toml, got 'wrong'" in bad.stdout
    assert "1 of 1 template files have problems" in bad.stderr


def test_user_template_replacing_a_shipped_one_is_announced(txcal, tmp_path):
    (tmp_path / "atezolizumab-iv.toml").write_text(GOOD_TEMPLATE.format(id="atezolizumab-iv"), encoding="utf-8")
    result = txcal(f"regimens --templates {tmp_path}")
    assert result.exit_code == 0
    assert "replaces the shipped 'atezolizumab-iv'" in result.stderr
    assert "atezolizumab-iv (user)" in result.stdout


def test_regimens_and_show_as_json(txcal):
    from scheduler.catalog.loader import shipped_template_paths

    listed = json.loads(txcal("regimens --json").stdout)
    assert sorted(r["id"] for r in listed) == sorted(p.stem for p in shipped_template_paths())
    shown = json.loads(txcal("show keytruda --json").stdout)
    assert shown["id"] == "pembrolizumab-iv"
    assert [s["every"] for s in shown["schedules"]] == ["3w", "6w"]
    assert all(s["address"] for s in shown["sources"])


def test_json_shape_is_the_documented_one(txcal):
    data = json.loads(
        txcal(
            "plan atezolizumab --every 3w --start 2026-12-01 --doses 2 --time 09:00 --tz Europe/Berlin --format json"
        ).stdout
    )
    assert set(data) == {"generator", "regimen", "plan_id", "patient", "timezone", "horizon", "events"}
    assert {"id", "drug", "title"} <= set(data["regimen"])
    assert set(data["events"][0]) == {
        "uid",
        "kind",
        "title",
        "start",
        "end",
        "all_day",
        "day",
        "dose_number",
        "dose",
        "route",
        "status",
        "shifted_from",
        "reason",
        "conflict",
        "unconfirmed",
        "notes",
        "clinic_notes",
        "sources",
        "beyond_label",
        "audience",
        "location",
    }
    assert data["events"][0]["start"] == "2026-12-01T09:00:00+01:00"
    assert data["events"][0]["end"] == "2026-12-01T10:00:00+01:00"


def test_patient_label_goes_in_titles_but_never_in_uids(txcal):
    plain = json.loads(txcal("plan atezolizumab --every 3w --start 2026-12-01 --doses 2 --format json").stdout)
    labelled = json.loads(
        txcal("plan atezolizumab --every 3w --start 2026-12-01 --doses 2 --patient P-017 --format json").stdout
    )
    assert labelled["events"][0]["title"].startswith("P-017: ")
    assert "P-017" not in json.dumps([e["uid"] for e in labelled["events"]])
    assert "P-017" not in labelled["plan_id"]
    assert plain["events"][0]["uid"] != labelled["events"][0]["uid"]  # two patients, two identities
