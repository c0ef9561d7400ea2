"""The first hour with txcal: completion, zone hints, record commands, widths and words."""

from __future__ import annotations

import pytest
from click.shell_completion import BashComplete, ZshComplete

from scheduler.catalog.loader import shipped_template_paths
from scheduler.cli import main
from tests_support import template_cases


def completions(shell, args: list[str], incomplete: str) -> list[str]:
    return [item.value for item in shell(main, {}, "txcal", "_TXCAL_COMPLETE").get_completions(args, incomplete)]


@pytest.mark.parametrize("shell", [BashComplete, ZshComplete])
def test_completion_never_offers_a_name_with_a_space_and_completes_option_values(shell):
    names = completions(shell, ["plan"], "")
    assert names and not any(" " in n for n in names)
    assert "pembrolizumab-sc" in completions(shell, ["plan"], "Keytruda")
    assert completions(shell, ["plan", "keytruda", "--tz"], "america/chi") == ["America/Chicago", "America/Chihuahua"]
    assert completions(shell, ["plan", "keytruda", "--every"], "") == ["2w", "3w", "4w", "6w"]
    assert "US-NY" in completions(shell, ["plan", "keytruda", "--holidays"], "US-N")
    assert completions(shell, ["plan", "keytruda", "--route"], "") == ["iv", "sc"]
    assert completions(shell, ["plan", "keytruda", "--format"], "j") == ["json"]


@pytest.mark.parametrize(
    ("zone", "meant"),
    [("Central", "America/Chicago"), ("america/chicago", "America/Chicago"), ("EST", "America/New_York"),
     ("Pacific", "America/Los_Angeles"), ("Europe/Berln", "Europe/Berlin")],
)  # fmt: skip
def test_a_zone_that_is_not_an_iana_name_gets_the_one_meant(txcal, zone, meant):
    result = txcal(f"plan atezolizumab --every 3w --start 2026-12-01 --time 09:00 --tz {zone}")
    assert result.exit_code == 2
    assert f"'{zone}' is not an IANA time zone name (Area/City): did you mean {meant}?" in result.stderr


def test_a_time_without_a_zone_says_which_zone_was_used(txcal, monkeypatch):
    monkeypatch.setenv("TZ", "Europe/Berlin")
    result = txcal("plan atezolizumab --every 3w --start 2026-12-01 --doses 1 --time 09:00")
    assert result.exit_code == 0
    assert "Note: --time without --tz: appointments are in this machine's zone, Europe/Berlin" in result.stderr


@pytest.fixture
def course(txcal, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    made = txcal(
        "record new -f p.toml atezolizumab --every 3w --start 2026-12-01 --time 09:00 --tz America/New_York --doses 6"
    )
    assert made.exit_code == 0, made.stderr
    return tmp_path / "p.toml"


def test_a_dose_can_be_brought_forward_but_not_past_the_dose_before(txcal, course):
    forward = txcal("record delay -f p.toml 3 -3 --reason 'clinic asked'")
    assert forward.exit_code == 0, forward.stderr
    assert "Recorded in p.toml: dose 3 brought forward 3 days (clinic asked)." in forward.stderr
    timeline = txcal("plan --plan-file p.toml").stdout
    assert "Sat 09  09:00 dose 3" in timeline and "Brought forward 3 days from Tue 12 Jan: clinic asked" in timeline
    before = course.read_bytes()
    too_far = txcal("record delay -f p.toml 4 -25")
    assert too_far.exit_code == 1
    assert (
        "Error: dose 4 brought forward 25 days would fall on 2027-01-05, not after dose 3 on 2027-01-09: "
        "bring it forward at most 20 days"
    ) in too_far.stderr
    assert course.read_bytes() == before


def test_a_dose_given_at_another_time_and_undo(txcal, course):
    given = txcal("record given -f p.toml 1 2026-12-01 --time 10:30")
    assert given.exit_code == 0 and "dose 1 given on 2026-12-01 at 10:30" in given.stderr
    assert "Tue 01  10:30 dose 1" in txcal("plan --plan-file p.toml").stdout
    asked = txcal("record undo -f p.toml")
    assert asked.exit_code == 1 and "Last record in p.toml: dose 1 given on 2026-12-01 at 10:30." in asked.stderr
    assert "add --yes" in asked.stderr
    undone = txcal("record undo -f p.toml --yes")
    assert undone.exit_code == 0 and "Took back: dose 1 given on 2026-12-01 at 10:30." in undone.stderr
    assert "Tue 01  09:00 dose 1" in txcal("plan --plan-file p.toml").stdout
    nothing = txcal("record undo -f p.toml --yes")
    assert nothing.exit_code == 1 and "holds no records to take back" in nothing.stderr


def views() -> list[str]:
    commands = ["regimens", "--help", "record --help", "load examples/patients.csv --chairs 2",
                "load examples/patients.csv --format month", "load examples/patients.csv --chairs 2 --format month"]  # fmt: skip
    for path in shipped_template_paths():
        commands += [f"show {path.stem}", f"show {path.stem} --sources"]
    for command in template_cases(shipped_template_paths()).values():
        commands += [command, f"{command} --format month"]
    return commands


@pytest.mark.parametrize("command", views())
def test_every_view_fits_80_columns_when_piped(txcal, command, monkeypatch):
    from pathlib import Path

    monkeypatch.chdir(Path(__file__).parent.parent)
    result = txcal(command)
    assert result.exit_code == 0, result.stderr
    wide = [line for line in result.stdout.splitlines() if len(line) > 80]
    assert wide == []


def test_counts_say_day_and_days(txcal, tmp_path):
    (tmp_path / "one.csv").write_text(
        "patient,drug,every,start,doses\nP-1,atezolizumab,3w,2026-12-01,1\n", encoding="utf-8"
    )
    result = txcal(f"load {tmp_path / 'one.csv'} --chairs 1")
    assert "1 day with visits" in result.stdout and "0 days over" in " ".join(result.stdout.split())


def test_load_month_view_shades_by_the_busiest_day_when_every_day_is_under_half_of_capacity(txcal, monkeypatch):
    from pathlib import Path

    monkeypatch.chdir(Path(__file__).parent.parent)
    roomy = txcal("load examples/patients.csv --chairs 20 --format month").stdout
    assert "(of the busiest day)" in roomy and "▓" in roomy and "░" in roomy
    tight = txcal("load examples/patients.csv --chairs 1 --hours 09:00-11:00 --format month").stdout
    assert "(of capacity)" in tight
