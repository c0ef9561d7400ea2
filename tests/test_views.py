"""Terminal views, CSV, filters, completion, and wrong invocations that leave output files alone."""

from __future__ import annotations

import csv
import io
import json
import os
import pty
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from scheduler.cli import main

TODAY = "2027-02-10"
VIEWS = {
    "timeline-atezolizumab-new-york.txt": "plan atezolizumab --every 3w --start 2026-12-01 --doses 6 --time 09:00 --tz America/New_York --patient P-017",
    "timeline-afami-cel.txt": "plan afami-cel --start 2027-01-04 --time 08:30 --tz Europe/Berlin",
    "timeline-pembrolizumab-next-3.txt": "plan pembrolizumab --every 6w --start 2026-12-01 --next 3",
    "month-afami-cel.txt": "plan afami-cel --start 2027-01-04 --format month",
    "month-pembrolizumab-iv-24-months.txt": "plan pembrolizumab --every 6w --start 2026-12-01 --format month",
    "csv-afami-cel.csv": "plan afami-cel --start 2027-01-04 --time 08:30 --tz Europe/Berlin --format csv",
}


@pytest.fixture(autouse=True)
def fixed_today(monkeypatch):
    monkeypatch.setenv("TXCAL_TODAY", TODAY)


@pytest.mark.parametrize("name", VIEWS)
def test_view_matches_golden_file(txcal, golden, name):
    result = txcal(VIEWS[name])
    assert result.exit_code == 0, result.stderr
    golden(name, result.stdout)
    if name.endswith(".txt"):
        assert max(len(line) for line in result.stdout.splitlines()) <= 80


def test_timeline_marks_today_and_what_is_ahead(txcal):
    from datetime import date

    from scheduler.writers.terminal import render_timeline
    from tests_support import plan_of_command

    piped = txcal(VIEWS["timeline-afami-cel.txt"]).stdout
    assert " in 5 days" not in piped and "tomorrow" not in piped  # "in N days" is true only on the day it is shown
    out = render_timeline(
        plan_of_command(VIEWS["timeline-afami-cel.txt"]), date(2027, 2, 10), relative=True
    ).splitlines()
    marker = out.index("  ── today, Wed 10 Feb 2027 ──")
    assert out[marker - 1].startswith("  Tue 09") and out[marker + 1].startswith("  Wed 10")
    assert out[marker + 1].endswith("today") and out[marker + 3].endswith("tomorrow")
    assert next(line for line in out if line.startswith("  Mon 15")).endswith("in 5 days")
    assert "19 events from Mon 2027-01-04 to Mon 2027-03-15." in out


def test_filters_narrow_the_view_and_say_so(txcal):
    nxt = txcal("plan atezolizumab --every 3w --start 2026-12-01 --doses 10 --next 2").stdout
    assert "  Tue 23  dose 5" in nxt and "  Tue 16  dose 6" in nxt and "dose 4" not in nxt and "dose 7" not in nxt
    assert "showing 2 of 10 events: the next 2 from 2027-02-10" in " ".join(nxt.split())
    window = txcal(
        "plan atezolizumab --every 3w --start 2026-12-01 --doses 10 --from 2027-01-01 --to 2027-01-31 --format json"
    )
    import json

    starts = [e["start"] for e in json.loads(window.stdout)["events"]]
    assert starts == ["2027-01-12"]
    watch = txcal("plan afami-cel --start 2027-01-04 --from 2027-03-01 --format csv").stdout
    assert "Watch for cytokine release syndrome" in watch  # a span that is still running counts


def test_csv_columns_and_spreadsheet_dates(txcal, tmp_path):
    rows = list(csv.DictReader(io.StringIO(txcal(VIEWS["csv-afami-cel.csv"]).stdout)))
    assert list(rows[0]) == [
        "uid", "kind", "title", "start", "end", "all_day", "timezone", "day", "dose_number", "dose", "route",
        "status", "shifted_from", "reason", "conflict", "unconfirmed", "beyond_label", "audience", "notes", "plan_id",
    ]  # fmt: skip
    infusion = next(r for r in rows if r["kind"] == "infusion")
    assert (infusion["start"], infusion["end"], infusion["timezone"]) == (
        "2027-02-15 09:00",
        "2027-02-15 10:00",
        "Europe/Berlin",
    )
    watch = next(r for r in rows if r["kind"] == "watch")
    assert (watch["start"], watch["end"], watch["all_day"]) == ("2027-02-16", "2027-03-15", "TRUE")
    result = txcal(f"plan afami-cel --start 2027-01-04 -o {tmp_path / 'plan.csv'}")
    assert result.exit_code == 0
    assert (tmp_path / "plan.csv").read_bytes().startswith(b"\xef\xbb\xbfuid,kind,title")  # UTF-8 mark for Excel


def run_in_terminal(args: list[str], env: dict[str, str], folder: Path) -> str:
    """Run `python -m scheduler` with its stdout on a pseudo-terminal, as a person at a terminal would."""
    leader, follower = pty.openpty()
    done = subprocess.run([sys.executable, "-m", "scheduler", *args], stdout=follower, stderr=subprocess.PIPE,
                          env={**os.environ, **env}, cwd=folder, timeout=60, check=False)  # fmt: skip
    os.close(follower)
    chunks = []
    while True:
        try:
            chunk = os.read(leader, 65536)
        except OSError:
            break
        if not chunk:
            break
        chunks.append(chunk)
    os.close(leader)
    assert done.returncode == 0, done.stderr
    return b"".join(chunks).decode()


def test_colour_on_a_terminal_and_none_with_no_color(tmp_path):
    args = ["plan", "afami-cel", "--start", "2027-01-04"]
    coloured = run_in_terminal(args, {"TXCAL_TODAY": TODAY, "COLUMNS": "80"}, tmp_path)
    assert "\x1b[35mFludarabine" in coloured and "\x1b[34mMonitoring" in coloured
    plain = run_in_terminal(args, {"TXCAL_TODAY": TODAY, "COLUMNS": "80", "NO_COLOR": "1"}, tmp_path)
    assert "\x1b[" not in plain and "Fludarabine" in plain
    piped = CliRunner().invoke(main, args).stdout
    assert "\x1b[" not in piped


def test_month_view_puts_three_months_side_by_side_only_when_wide_enough(tmp_path):
    args = ["plan", "afami-cel", "--start", "2027-01-04", "--format", "month"]
    wide = run_in_terminal(args, {"TXCAL_TODAY": TODAY, "COLUMNS": "100", "NO_COLOR": "1"}, tmp_path)
    assert "January 2027" in wide and "February 2027" in wide.splitlines()[2] and "March 2027" in wide.splitlines()[2]
    narrow = run_in_terminal(args, {"TXCAL_TODAY": TODAY, "COLUMNS": "60", "NO_COLOR": "1"}, tmp_path)
    assert "February 2027" not in narrow.splitlines()[2]


def test_regimens_filter_and_completion(txcal):
    listed = txcal("regimens Tecentriq").stdout
    assert "atezolizumab-iv " in listed and "atezolizumab-sc" in listed and "pembrolizumab" not in listed
    wrong = txcal("regimens tecentrik")
    assert (
        wrong.exit_code == 1
        and "Did you mean: tecentriq" in wrong.stderr
        and "Try: txcal regimens tecentriq" in wrong.stderr
    )
    completion = CliRunner().invoke(
        main,
        [],
        prog_name="txcal",
        env={"_TXCAL_COMPLETE": "bash_complete", "COMP_WORDS": "txcal plan keyt", "COMP_CWORD": "2"},
    )
    # A name with a space would be split by bash: its regimen id is offered instead.
    assert "plain,Keytruda\n" in completion.output and "plain,pembrolizumab-sc\n" in completion.output
    assert "Keytruda Qlex" not in completion.output


WRONG = [
    # (arguments before -o FILE, exit code, message fragment)
    ("plan atezolizmab --every 3w --start 2026-12-01", 1, "Did you mean: atezolizumab"),
    ("plan atezolizumab --start 2026-12-01", 1, "has several schedules"),
    ("plan atezolizumab --every 3w --start 2026-02-30", 2, "day is out of range for month"),
    ("plan atezolizumab --every 3w --start 2026-12-01 --next 0", 2, "0 is not in the range x>=1"),
    (
        "plan atezolizumab --every 3w --start 2026-12-01 --from 2027-02-01 --to 2027-01-01",
        2,
        "--to 2027-01-01 is before --from 2027-02-01",
    ),
    (
        "plan atezolizumab --every 3w --start 2026-12-01 --format ics --next 3",
        2,
        "an .ics export always holds the whole plan",
    ),
    ("plan atezolizumab --every 3w --start 2026-12-01 --format docx", 2, "'docx' is not one of"),
    ("plan atezolizumab --every 3w --start 2026-12-01 --remind 1 day --format ics", 2, "is not a lead time"),
    ("plan atezolizumab --pediatric --start 2026-12-01", 1, "add --weight-kg"),
    ("plan afami-cel --start 2027-01-04 --infusion 2027-01-05", 1, "choose an infusion date on or after"),
]


@pytest.mark.parametrize(("args", "code", "fragment"), WRONG, ids=[w[0] for w in WRONG])
@pytest.mark.parametrize("suffix", [".ics", ".csv", ".json", ".txt"])
def test_wrong_invocation_leaves_an_existing_output_file_alone(txcal, tmp_path, args, code, fragment, suffix):
    existing = tmp_path / f"plan{suffix}"
    good = txcal(f"plan pembrolizumab --every 3w --start 2026-12-01 --doses 2 -o {existing}")
    assert good.exit_code == 0
    before = existing.read_bytes()
    result = txcal(f"{args} -o {existing}")
    assert result.exit_code == code
    assert fragment in result.stderr
    assert "Traceback" not in result.stderr
    assert existing.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == [existing.name]  # no temporary file left


def test_unknown_suffix_names_the_known_ones(txcal, tmp_path):
    result = txcal(f"plan atezolizumab --every 3w --start 2026-12-01 -o {tmp_path / 'plan.docx'}")
    assert result.exit_code == 2
    assert (
        "cannot tell the format of plan.docx: name it .txt, .json, .csv, .ics, .html, .htm, .pdf, .fhir.json, or add --format"
        in result.stderr
    )


def _never_cut_cases() -> list[str]:
    from scheduler.catalog.loader import shipped_template_paths
    from tests_support import template_cases

    return [*template_cases(shipped_template_paths()).values(), "plan --plan-file examples/p017.toml"]


@pytest.mark.parametrize("width", [80, 60])
@pytest.mark.parametrize("command", _never_cut_cases())
def test_a_narrow_view_never_cuts_the_dose_route_day_or_mark(txcal, monkeypatch, command, width):
    from pathlib import Path

    monkeypatch.chdir(Path(__file__).parent.parent)
    text = txcal(f"{command} --width {width}").stdout
    assert max(len(line) for line in text.splitlines()) <= width
    lines = text.splitlines()
    joined = " ".join(text.split())  # a long dose may wrap onto the next line, never be cut
    for event in json.loads(txcal(f"{command} --format json").stdout)["events"]:
        if event["dose"]:
            assert " ".join(f"{event['dose']} {event['route']}".split()) in joined, event["title"]
        if event["day"] is not None:
            assert f"Day {event['day']}" in text
    assert text.count(" *") >= sum(1 for line in lines if "*" in line and "not checked against the drug" not in line)


def test_a_held_or_moved_dose_is_marked_on_its_own_line_and_a_file_keeps_whole_lines(txcal, tmp_path, monkeypatch):
    from pathlib import Path

    monkeypatch.chdir(Path(__file__).parent.parent)
    text = txcal("plan --plan-file examples/p017.toml").stdout
    assert "dose 5  Held: Atezolizumab" in text and "dose 3  Moved: Atezolizumab" in text
    assert txcal(f"plan --plan-file examples/p017.toml -o {tmp_path / 'p.txt'}").exit_code == 0
    kept = (tmp_path / "p.txt").read_text(encoding="utf-8")
    assert "…" not in kept and "Given: Atezolizumab (Tecentriq) IV infusion  1,200 mg IV" in kept
