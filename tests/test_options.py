"""One options table: the command line, plan files and patient lists accept the same values and
name an option as the user gave it."""

from __future__ import annotations

import dataclasses
import json

import pytest

from scheduler.cli.plan import plan as plan_command
from scheduler.inputs.plan_file import dump_plan, load_plan
from scheduler.inputs.plan_spec import PlanSpec
from scheduler.options import OPTIONS
from tests_support import SOURCE_DATE_EPOCH, template_cases


def test_every_option_is_a_flag_a_plan_file_key_and_a_column():
    fields = {f.name for f in dataclasses.fields(PlanSpec)}
    flags = {opt for param in plan_command.params for opt in param.opts}
    for o in OPTIONS:
        assert o.name in fields, o.name
        assert o.key and o.column, o.name
        assert o.flag in flags or o.name == "drug", o.name


def test_a_patient_list_accepts_what_the_command_line_accepts(txcal, tmp_path, monkeypatch):
    monkeypatch.setenv("SOURCE_DATE_EPOCH", SOURCE_DATE_EPOCH)
    (tmp_path / "closures.txt").write_text("2026-12-24..2026-12-31 Winter break\n", encoding="utf-8")
    # Headers in any case and with spaces; a 9:00 time; strict, keep_grid and plan_id columns.
    (tmp_path / "list.csv").write_text(
        " Patient ,DRUG,every,start,time,tz,avoid,holidays,closed,window,shift,keep_grid,strict,plan_id,doses\n"
        'P-1,atezolizumab,3w,2026-12-01,9:00,America/New_York,weekends,us-ny,closures.txt,"-2,+3",nearest,yes,no,'
        "course-1,6\n",
        encoding="utf-8",
    )
    batch = txcal(f"batch {tmp_path / 'list.csv'} --out-dir {tmp_path / 'out'}")
    assert batch.exit_code == 0, batch.stderr
    single = txcal(
        f"plan atezolizumab --every 3w --start 2026-12-01 --time 9:00 --tz America/New_York --avoid weekends "
        f"--holidays us-ny --closed {tmp_path / 'closures.txt'} --window=-2,+3 --shift nearest --keep-grid "
        f"--plan-id course-1 --doses 6 --patient P-1 -o {tmp_path / 'single.ics'}"
    )
    assert single.exit_code == 0, single.stderr
    assert (tmp_path / "out" / "P-1.ics").read_bytes() == (tmp_path / "single.ics").read_bytes()


@pytest.mark.parametrize(
    ("cells", "message"),
    [
        ("atezolizumab,,2026-12-01,", "drug=atezolizumab every=3w    # 1,200 mg IV every 3 weeks"),
        ("atezolizumab-iv-pediatric,3w,2026-12-01,", "add column weight_kg with the patient's weight in kg"),
        ("atezolizumab,3w,1.12.2026,", "row 2: column start: '1.12.2026': not a date; write dates as YYYY-MM-DD"),
        ("atezolizumab,3w,2026-12-01,maybe", "row 2: column strict: 'maybe': expected yes or no"),
    ],
)
def test_a_patient_list_is_told_the_fix_in_its_own_terms(txcal, tmp_path, cells, message):
    (tmp_path / "list.csv").write_text(f"patient,drug,every,start,strict\nP-1,{cells}\n", encoding="utf-8")
    result = txcal(f"batch {tmp_path / 'list.csv'} --out-dir {tmp_path / 'out'}")
    assert result.exit_code == 1
    assert message in result.stderr
    row_lines = [line for line in result.stderr.splitlines() if ": row 2:" in line]
    assert row_lines and not any("--" in line for line in row_lines)  # columns, never flags


def test_the_same_problem_is_named_as_the_user_gave_it(txcal, tmp_path):
    cli = txcal("plan atezolizumab-iv-pediatric --start 2026-12-01")
    assert cli.exit_code == 1 and "add --weight-kg with the patient's weight in kg" in cli.stderr
    (tmp_path / "p.toml").write_text(
        'schema = 1\ndrug = "atezolizumab-iv-pediatric"\nstart = 2026-12-01\n', encoding="utf-8"
    )
    from_file = txcal(f"plan --plan-file {tmp_path / 'p.toml'}")
    assert from_file.exit_code == 1 and "add key weight_kg with the patient's weight in kg" in from_file.stderr


def test_a_plan_file_round_trips_every_option(tmp_path):
    spec = PlanSpec(
        drug="atezolizumab", start=__import__("datetime").date(2026, 12, 1), every="3w", route="iv",
        weight_kg=70.5, doses=4, time=__import__("datetime").time(9, 0), tz="Europe/Berlin",
        patient="P-9", plan_id="course-9", avoid=("weekends",), holidays="DE", closed="c.txt",
        window="-2,+3", shift="previous", keep_grid=True, strict=True,
    )  # fmt: skip
    path = tmp_path / "p.toml"
    path.write_text(dump_plan(spec), encoding="utf-8")
    again = load_plan(path)
    assert dataclasses.replace(again, base=spec.base, origin=spec.origin) == spec
    assert dump_plan(again) == path.read_text(encoding="utf-8")


def test_no_calendar_json_or_csv_text_names_a_command_line_flag(txcal, tmp_path):
    """Flags belong in CLI messages only: events, notes and the horizon are read outside the terminal."""
    closures = tmp_path / "closures.txt"
    closures.write_text("2027-03-22..2027-03-26 Clinic move\n", encoding="utf-8")
    flags = {o.flag for o in OPTIONS if o.flag} | {"--force", "--remind", "--format", "--plan-file", "--json"}
    from scheduler.catalog.loader import shipped_template_paths

    for name, command in template_cases(shipped_template_paths()).items():
        clinic = f" --avoid weekends --holidays US --closed {closures}"
        for fmt in ("json", "csv", "ics"):
            result = txcal(f"{command}{clinic} --format {fmt}")
            assert result.exit_code == 0, (name, result.stderr)
            found = [flag for flag in flags if flag in result.stdout]
            assert found == [], (name, fmt, found)
        data = json.loads(txcal(f"{command}{clinic} --format json").stdout)
        assert data["events"], name


def test_a_clinic_profile_is_read_once_until_it_is_edited(tmp_path):
    # A batch reads its profile once however many rows name it; a long-running process sees an edit
    # without anyone clearing its caches.
    from scheduler.inputs.plan_spec import cached_profile

    profile = tmp_path / "clinic.toml"
    profile.write_text('schema = 1\nname = "North"\ntimezone = "America/Chicago"\n', encoding="utf-8")
    first = cached_profile(profile)
    assert first.name == "North"
    assert cached_profile(profile) is first  # kept
    profile.write_text('schema = 1\nname = "South"\ntimezone = "America/Chicago"\n', encoding="utf-8")
    assert cached_profile(profile).name == "South"
