"""Levelling keeps the times patients asked for: the fewest moved, by the least, within nurses, labs and routes.

Small hand-made days whose best answer is known, and the same objective through the batch command.
"""

from __future__ import annotations

import csv
import io
from datetime import date, datetime

import icalendar
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from scheduler.clinic.board import Sitting
from scheduler.clinic.levelling import level, level_day

DAY = date(2026, 12, 1)
OPENS, CLOSES = 8 * 60, 18 * 60


def _jobs(*starts: tuple[int, int], prefer: str | None = None) -> list[Sitting]:
    """Sittings asking for (minute, length), one patient each."""
    return [Sitting(n, f"P{n}", DAY, start, minutes, prefer=prefer) for n, (start, minutes) in enumerate(starts)]


def _clock(minute: int) -> str:
    return f"{minute // 60:02d}:{minute % 60:02d}"


def test_nine_at_nine_on_six_chairs_keeps_six_and_moves_three_by_an_hour():
    result, left, _ = level_day(_jobs(*[(9 * 60, 60)] * 9), 6, OPENS, CLOSES)
    starts = sorted(_clock(start) for _, start in result.placed.values())
    assert not left and starts == ["09:00"] * 6 + ["10:00"] * 3
    assert result.moves() == [60, 60, 60] and result.least_moved == 3
    assert result.peak == 6


def test_a_day_whose_requests_all_fit_moves_nobody_and_uses_the_chairs_it_needs():
    jobs = _jobs(*[(8 * 60 + 30 * n, 90) for n in range(12)])  # overlapping, never more than three at once
    result, left, _ = level_day(jobs, 24, OPENS, CLOSES)
    assert not left and result.moves() == []
    assert all(start == job.start for job, (_, start) in result.placed.items())
    assert result.peak == 3 and result.chairs_used == 3


def test_the_fewest_are_moved_not_the_first_come():
    # One chair. The long 09:00 visit blocks two short ones; keeping the two short ones moves one patient, not two.
    jobs = _jobs((9 * 60, 180), (9 * 60, 60), (10 * 60, 60))
    result, left, _ = level_day(jobs, 1, OPENS, CLOSES)
    assert not left and len(result.moves()) == 1
    long_visit = jobs[0]
    assert result.placed[long_visit][1] == 11 * 60  # the one moved goes as near its time as the chair allows


def test_a_move_goes_later_before_earlier_and_by_the_least():
    # Two chairs busy 09:00-10:00; the third patient could start at 08:00 or 10:00: later wins a tie.
    result, _, _ = level_day(_jobs((9 * 60, 60), (9 * 60, 60), (9 * 60, 60)), 2, OPENS, CLOSES)
    assert sorted(start for _, start in result.placed.values()) == [540, 540, 600]
    # Opening at 08:00 and a 90-minute visit the chairs hold from 07:30 only: the nearest start is 08:00.
    result, _, _ = level_day(_jobs((8 * 60, 60), (7 * 60 + 30, 30)), 1, OPENS, CLOSES)
    assert sorted(start for _, start in result.placed.values()) == [480, 540]


def test_preferences_are_requests_a_part_of_the_day_keeps():
    morning = _jobs(*[(14 * 60, 60)] * 3, prefer="morning")
    result, _, _ = level_day(morning, 3, OPENS, CLOSES)
    assert all(start < 12 * 60 for _, start in result.placed.values()) and result.moves() == []


def test_nurses_start_at_most_n_chairs_in_any_15_minutes():
    result, left, _ = level_day(_jobs(*[(9 * 60, 60)] * 6), 6, OPENS, CLOSES, nurse_starts=2)
    starts = sorted(start for _, start in result.placed.values())
    assert not left and starts == [525, 525, 540, 540, 555, 555]  # 15 minutes each way: fewer minutes in all
    for first in starts:
        assert sum(first <= s < first + 15 for s in starts) <= 2
    assert result.nurse_over(2) == 0
    unlimited, _, _ = level_day(_jobs(*[(9 * 60, 60)] * 6), 6, OPENS, CLOSES)
    assert unlimited.nurse_over(2) == 4  # what load and the day sheet flag


def test_booked_visits_stay_and_new_ones_fit_around_them():
    booked = [Sitting(n, f"B{n}", DAY, 9 * 60, 60, fixed=(DAY, n, 9 * 60 + 30)) for n in range(2)]
    new = _jobs((9 * 60, 60))
    result, left, _ = level_day([*booked, *new], 2, OPENS, CLOSES)
    assert not left
    assert [result.placed[job] for job in booked] == [(0, 570), (1, 570)]
    assert result.placed[new[0]][1] == 8 * 60 + 30  # before the booked (30 minutes), not over them


@settings(max_examples=80, deadline=None)
@given(
    st.lists(st.tuples(st.integers(8 * 4, 17 * 4), st.sampled_from([15, 30, 60, 90, 120])), min_size=1, max_size=30),
    st.integers(1, 6),
    st.sampled_from([None, 1, 2, 3]),
)
def test_a_levelled_day_keeps_its_limits_and_keeps_the_most_at_their_time(requests, chairs, nurses):
    jobs = _jobs(*[(quarter * 15, minutes) for quarter, minutes in requests])
    result, left, _ = level_day(jobs, chairs, OPENS, CLOSES, nurse_starts=nurses)
    assert set(result.placed) | set(left) == set(jobs)
    assert result.peak <= chairs and result.nurse_over(nurses) == 0
    for job, (chair, start) in result.placed.items():
        assert start >= OPENS and start + job.minutes <= CLOSES and 0 <= chair < chairs
    if nurses is None:
        assert len(result.moves()) + len(left) >= result.least_moved  # no schedule moves fewer (the bound holds)


def test_a_day_that_cannot_hold_a_visit_sends_it_within_its_window_without_retiming_the_other_day():
    second = date(2026, 12, 2)
    full = [Sitting(n, f"P{n}", second, 8 * 60, 600, early=1) for n in range(3)]  # three whole days, two chairs
    before = Sitting(9, "T", DAY, 9 * 60, 60)
    result = level([before, *full], 2, lambda day: (OPENS, CLOSES))
    assert [(job.patient, day) for job, day in result.moved] == [("P2", DAY)]
    assert result.days[DAY].placed[before][1] == 9 * 60  # levelled already: kept at its time
    assert result.days[DAY].placed[full[2]][1] == 8 * 60 and result.days[DAY].peak == 2


def _timed(path) -> list[tuple[str, datetime, datetime]]:
    events = icalendar.Calendar.from_ical(path.read_bytes()).walk("VEVENT")
    return sorted((str(e["SUMMARY"]), e["DTSTART"].dt, e["DTEND"].dt) for e in events)


LINKED = """schema = 1
name = "Test Infusion Center"
timezone = "America/New_York"
time = "10:00"
hours = "08:00-18:00"
[visit_minutes]
dose_iv = 75
dose_sc = 15
[[linked]]
kind = "lab"
title = "Blood tests"
minutes = 15
wait_minutes = 45
[[linked]]
kind = "visit"
title = "Visit with your oncologist"
minutes = 20
"""


def test_a_patient_is_in_one_place_at_a_time_with_time_for_lab_results(txcal, tmp_path):
    (tmp_path / "c.toml").write_text(LINKED, encoding="utf-8")
    result = txcal(
        f"plan keytruda --every 3w --start 2026-12-01 --doses 1 --clinic {tmp_path / 'c.toml'} -o {tmp_path / 'x.ics'}"
    )
    assert result.exit_code == 0, result.stderr
    (lab, _lab_start, lab_end), (dose, dose_start, dose_end), (visit, visit_start, visit_end) = _timed(
        tmp_path / "x.ics"
    )
    assert "Blood tests" in lab and "oncologist" in visit and "Pembrolizumab" in dose
    assert lab_end <= visit_start and visit_end <= dose_start  # one after the other, in the profile's order
    assert (dose_start - lab_end).total_seconds() >= 45 * 60  # results are back before the chair
    assert visit_end == dose_start and (dose_end - dose_start).total_seconds() == 75 * 60  # dose_iv


def test_chair_time_by_route(txcal, tmp_path):
    (tmp_path / "c.toml").write_text(LINKED.split("[[linked]]")[0], encoding="utf-8")
    result = txcal(
        f"plan keytruda --route sc --every 3w --start 2026-12-01 --doses 1 --clinic {tmp_path / 'c.toml'} -o {tmp_path / 'x.ics'}"
    )
    if result.exit_code == 2:
        pytest.skip(result.stderr)
    assert result.exit_code == 0, result.stderr
    ((_, start, end),) = _timed(tmp_path / "x.ics")
    assert (end - start).total_seconds() == 15 * 60  # dose_sc wins over the drug's own minute


def test_a_levelled_batch_says_per_day_who_kept_their_time(txcal, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "c.toml").write_text(
        'schema = 1\nname = "T"\ntimezone = "America/New_York"\nchairs = 6\nhours = "08:00-18:00"\n'
        "[visit_minutes]\ndose = 60\n",
        encoding="utf-8",
    )
    rows = ["patient,drug,every,start,time,tz,doses"]
    rows += [f"P{n},atezolizumab,3w,2026-12-01,09:00,America/New_York,1" for n in range(1, 10)]
    (tmp_path / "nine.csv").write_text("\n".join(rows) + "\n", encoding="utf-8")
    result = txcal("batch nine.csv --out-dir out --clinic c.toml --level")
    assert result.exit_code == 0, result.stderr
    assert "Levelled 9 chair visits on 1 day: 6 kept at the time asked for, 3 moved (180 minutes" in result.stderr
    assert "2026-12-01: 6 kept, 3 moved (180 minutes in all, the largest 60 minutes)" in result.stderr
    manifest = list(csv.DictReader(io.StringIO((tmp_path / "out" / "manifest.csv").read_text(encoding="utf-8"))))
    moved = [r for r in manifest if r["levelled"]]
    assert len(moved) == 3 and all("2026-12-01 10:00 (asked 09:00)" in r["levelled"] for r in moved)
    sheet = txcal("agenda out --date 2026-12-01 --clinic c.toml --format csv")
    asked = [r for r in csv.DictReader(io.StringIO(sheet.stdout)) if r["asked"] == "09:00"]
    assert len(asked) == 3 and {r["start"] for r in asked} == {"10:00"}


def test_exact_levelling_finds_the_optimum_the_greedy_is_measured_against():
    pytest.importorskip("ortools", reason="OR-Tools is not installed: pip install 'txcal[solver]'")
    from scheduler.clinic.exact import level_day_exact, score

    jobs = _jobs(*[(9 * 60, 60)] * 9)
    result, left, _, solved = level_day_exact(jobs, 6, OPENS, CLOSES, seconds=10)
    assert solved.optimal and str(solved) == "optimal"
    assert score(result, left) == (0, 3, 180, 60, 0)
    assert sorted(start for _, start in result.placed.values()) == [540] * 6 + [600] * 3
    nurses, left, _, _ = level_day_exact(_jobs(*[(9 * 60, 60)] * 6), 6, OPENS, CLOSES, nurse_starts=2, seconds=10)
    assert nurses.nurse_over(2) == 0 and score(nurses, left) == (
        0,
        4,
        60,
        15,
        2,
    )  # two at 08:45: later costs more minutes


@settings(max_examples=15, deadline=None)
@given(
    st.lists(st.tuples(st.integers(8 * 4, 16 * 4), st.sampled_from([30, 60, 90, 120])), min_size=1, max_size=14),
    st.integers(1, 4),
)
def test_the_greedy_moves_no_fewer_than_the_exact_optimum_and_the_exact_mode_keeps_the_limits(requests, chairs):
    pytest.importorskip("ortools", reason="OR-Tools is not installed: pip install 'txcal[solver]'")
    from scheduler.clinic.exact import level_day_exact, score

    jobs = _jobs(*[(quarter * 15, minutes) for quarter, minutes in requests])
    greedy, greedy_left, _ = level_day(jobs, chairs, OPENS, CLOSES)
    exact, exact_left, _, solved = level_day_exact(jobs, chairs, OPENS, CLOSES, seconds=10)
    assert exact.peak <= chairs
    if solved.optimal:
        assert score(exact, exact_left) <= score(greedy, greedy_left)


def test_exact_levelling_says_what_to_install_when_or_tools_is_absent(txcal, tmp_path, monkeypatch):
    # OR-Tools may well be installed here: its absence is what `available` reports, so that is what is replaced.
    import scheduler.clinic.exact

    monkeypatch.setattr(scheduler.clinic.exact, "available", lambda: False)
    monkeypatch.chdir(tmp_path)
    (tmp_path / "c.toml").write_text('schema = 1\nname = "T"\nchairs = 2\n', encoding="utf-8")
    (tmp_path / "l.csv").write_text("patient,drug,every,start\nP1,keytruda,3w,2026-12-01\n", encoding="utf-8")
    result = txcal("batch l.csv --out-dir out --clinic c.toml --level exact")
    assert result.exit_code == 1 and "pip install 'txcal[solver]'" in result.stderr


def test_load_and_day_sheet_say_closed_days_weekday_hours_and_nurse_starts(txcal, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "c.toml").write_text(
        'schema = 1\nname = "T"\ntimezone = "America/New_York"\nchairs = 6\nnurse_starts = 2\navoid = ["weekends"]\n'
        'holidays = "US"\n[hours]\nmon = "08:00-18:00"\ntue = "08:00-18:00"\nwed = "08:00-18:00"\n'
        'thu = "08:00-18:00"\nfri = "08:00-15:00"\n[visit_minutes]\ndose = 60\n',
        encoding="utf-8",
    )
    rows = ["patient,drug,every,start,time,tz,doses,window"]
    # A Friday, then Christmas, where a window of no days keeps dose 2.
    rows += [f'P{n},atezolizumab,3w,2026-12-04,09:00,America/New_York,2,"-0,+0"' for n in range(1, 5)]
    (tmp_path / "l.csv").write_text("\n".join(rows) + "\n", encoding="utf-8")
    load = {r["date"]: r for r in csv.DictReader(io.StringIO(txcal("load l.csv --clinic c.toml --format csv").stdout))}
    assert load["2026-12-04"]["capacity"] == str(6 * 7 * 60)  # a Friday closing at 15:00: 7 hours a chair
    assert load["2026-12-04"]["closed"] == "" and load["2026-12-04"]["nurse_over"] == "2"  # four start at 09:00
    assert load["2026-12-25"]["closed"] == "Christmas Day (US holiday)" and load["2026-12-25"]["over"] == "TRUE"
    month = txcal("load l.csv --clinic c.toml --format month").stdout
    assert "× visits on a closed day" in month
    sheet = txcal("agenda l.csv --clinic c.toml --date 2026-12-25").stdout
    assert sheet.startswith(
        "CLOSED (Christmas Day (US holiday)): Fri 25 Dec 2026, T, 6 chairs (as asked, not levelled)"
    )


def test_a_stuck_dose_says_which_shift_rule_would_find_an_open_day(txcal):
    result = txcal(
        "plan keytruda --every 3w --start 2026-12-04 --doses 2 --avoid weekends --holidays US --window=-1,+2 "
        "--shift next --format json"
    )
    assert result.exit_code == 0, result.stderr
    assert (
        "Christmas Day (US holiday); no open day after it within -1/+2 days (shift rule next); the previous shift "
        "rule finds one" in result.stdout
    )


def test_a_day_too_large_for_the_exact_model_keeps_the_default_answer_and_says_so():
    # 1,500 visits on one day: the objective's weights would overflow CP-SAT's 64-bit sums. The day keeps the
    # default method's answer, fast, and says why (it was "best found" before, with an overflowed model).
    pytest.importorskip("ortools")

    from scheduler.clinic.exact import level_day_exact

    jobs = [Sitting(n, f"P{n}", date(2026, 12, 1), OPENS + (n % 40) * 15, 30) for n in range(1500)]
    result, left, _, solved = level_day_exact(jobs, 60, OPENS, CLOSES, seconds=5)
    assert solved.too_large and str(solved) == "too large for the exact model: the default method's answer"
    greedy, greedy_left, _ = level_day(jobs, 60, OPENS, CLOSES)
    assert result.placed == greedy.placed and left == greedy_left
