"""Exact CLI output for every shipped template (tests/golden; `pytest --update-golden` rewrites them)."""

from __future__ import annotations

import json
from datetime import date, time

import pytest

from scheduler import fact_words
from tests_support import atezolizumab_every_3_weeks

CASES = {
    "atezolizumab-iv-3w-new-york.txt": "plan atezolizumab --every 3w --start 2026-12-01 --doses 6 --time 09:00 --tz America/New_York",
    "atezolizumab-iv-3w-new-york.json": "plan atezolizumab --every 3w --start 2026-12-01 --doses 6 --time 09:00 --tz America/New_York --format json",
    "atezolizumab-iv-2w.txt": "plan atezolizumab --every 2w --start 2026-12-01 --doses 4",
    "atezolizumab-iv-4w.txt": "plan atezolizumab --every 4w --start 2026-12-01 --doses 4",
    "atezolizumab-iv-pediatric-42kg.txt": "plan atezolizumab --pediatric --weight-kg 42 --start 2026-12-01 --doses 4",
    "atezolizumab-sc-berlin.txt": "plan 'Tecentriq Hybreza' --start 2027-03-02 --doses 4 --time 10:00 --tz Europe/Berlin",
    "pembrolizumab-iv-6w-24-months.txt": "plan pembrolizumab --every 6w --start 2026-12-01",
    "pembrolizumab-iv-pediatric-30kg.txt": "plan keytruda --pediatric --weight-kg 30 --start 2026-12-01 --doses 3",
    "pembrolizumab-sc-3w-sydney.txt": "plan 'Keytruda Qlex' --every 3w --start 2027-03-01 --doses 4 --time 08:30 --tz Australia/Sydney",
    "afami-cel-new-york.txt": "plan afami-cel --start 2027-01-04 --time 09:00 --tz America/New_York --patient P-017",
    "afami-cel-new-york.json": "plan afami-cel --start 2027-01-04 --time 09:00 --tz America/New_York --patient P-017 --format json",
    "regimens.txt": "regimens",
    "show-afami-cel.txt": "show afami-cel",
}


@pytest.mark.parametrize("name", CASES)
def test_cli_output_matches_golden_file(txcal, golden, name):
    result = txcal(CASES[name])
    assert result.exit_code == 0, result.stderr
    output = result.stdout
    golden(name, output)


def test_golden_plans_cross_dst_and_keep_the_wall_clock(txcal):
    data = json.loads(txcal(CASES["atezolizumab-iv-3w-new-york.json"]).stdout)
    starts = [e["start"] for e in data["events"]]
    # New York leaves EST for EDT on 2027-03-14: 09:00 stays 09:00, the offset changes.
    assert starts[0] == "2026-12-01T09:00:00-05:00"
    assert starts[-1] == "2027-03-16T09:00:00-04:00"


def test_nonexistent_local_time_moves_forward_and_says_so():
    plan = atezolizumab_every_3_weeks(date(2027, 3, 14), time=time(2, 30), tz="America/New_York", doses=2)
    gap, normal = plan.events
    assert gap.start.isoformat() == "2027-03-14T03:30:00-04:00"  # RFC 5545 3.3.5: offset before the gap
    assert any("02:30 does not exist on 2027-03-14" in n for n in fact_words.patient_notes(gap.facts))
    assert normal.start.isoformat() == "2027-04-04T02:30:00-04:00"


def test_ambiguous_local_time_is_the_first_occurrence():
    plan = atezolizumab_every_3_weeks(date(2026, 11, 1), time=time(1, 30), tz="America/New_York", doses=1)
    assert plan.events[0].start.isoformat() == "2026-11-01T01:30:00-04:00"  # EDT, before the fall-back
