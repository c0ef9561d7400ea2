"""Compiled plans: a batch that fills in plan templates writes byte for byte what the general engine writes."""

from __future__ import annotations

import csv
import shutil
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from scheduler.app import batch as batching
from scheduler.app import batch_rows, compiled
from scheduler.app.batch_rows import Settings
from scheduler.caches import clear_caches

EXAMPLES = Path(__file__).parent.parent / "examples"
STAMP = datetime(2026, 11, 20, tzinfo=UTC)
# Every shipped repeating-dose regimen and schedule, as a patient list names them.
REGIMENS = [
    {"drug": "atezolizumab", "every": "2w"},
    {"drug": "atezolizumab", "every": "3w"},
    {"drug": "atezolizumab", "every": "4w"},
    {"drug": "atezolizumab", "pediatric": "yes", "weight_kg": "38"},
    {"drug": "Tecentriq Hybreza"},
    {"drug": "pembrolizumab", "every": "3w"},
    {"drug": "pembrolizumab", "every": "6w"},
    {"drug": "pembrolizumab", "pediatric": "yes", "weight_kg": "30"},
    {"drug": "Keytruda Qlex", "every": "3w"},
    {"drug": "Keytruda Qlex", "every": "6w"},
]
ZONES = ["America/New_York", "Europe/Berlin", "Australia/Sydney", "Asia/Kolkata"]
COLUMNS = ["patient", "drug", "every", "pediatric", "weight_kg", "start", "time", "tz", "doses", "for", "avoid",
           "holidays", "remind", "clinic"]  # fmt: skip

# A row: a regimen and how far it reaches; then a start, time and zone, a label, closed days, reminders.
# Rows drawn from a few shapes share templates; their days cross clock changes and leap days.
shapes = st.tuples(
    st.sampled_from(range(len(REGIMENS))),
    st.sampled_from([{"doses": "4"}, {"for": "6m"}, {"for": "12m"}, {}]),
    st.sampled_from([{}, {"avoid": "weekends"}, {"avoid": "weekends", "holidays": "US"}]),
    st.sampled_from(["", "1d", "1d,2h"]),
)
rows = st.tuples(
    st.integers(0, 2),  # which of the list's shapes
    st.dates(date(2026, 12, 1), date(2029, 12, 31)),
    st.sampled_from(["", "09:00", "01:30", "02:30", "23:00", "16:45"]),
    st.sampled_from(ZONES),
    st.text(st.characters(codec="utf-8", exclude_categories=("Cc", "Cs")), min_size=1, max_size=40),
)


def write_list(path: Path, chosen_shapes: list, drawn: list, profile: bool) -> None:
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, COLUMNS, extrasaction="raise")
        writer.writeheader()
        for number, (shape, start, clock, zone, label) in enumerate(drawn):
            regimen, horizon, closed, remind = chosen_shapes[shape]
            row = {"patient": f"{label.strip() or 'x'} {number}", "start": str(start), "remind": remind}
            row |= REGIMENS[regimen] | horizon | closed
            if clock:
                row |= {"time": clock, "tz": zone}
            if profile:
                row["clinic"] = "clinic.toml"
            writer.writerow(row)


def both_ways(folder: Path, listed: Path, reminders=()) -> tuple[dict[str, bytes], dict[str, bytes], int]:
    """Run the batch with templates and with the general engine only; return both folders and how many rows
    were filled in from a template."""
    outputs = {}
    filled = []
    original_fill = compiled.fill

    def counting(*args, **kwargs):
        result = original_fill(*args, **kwargs)
        filled.append(result is not None)
        return result

    for way in ("compiled", "general"):
        out = folder / way
        shutil.rmtree(out, ignore_errors=True)
        out.mkdir()
        clear_caches()
        batch_rows.fill = counting if way == "compiled" else batch_rows.fill
        if way == "general":
            batch_rows.known = lambda key: (True, None)  # every key "known" and without a template
        try:
            batching.run_batch(listed, Settings(out, STAMP, folder, reminders=reminders))
        finally:
            batch_rows.fill, batch_rows.known = original_fill, compiled.known
        outputs[way] = {p.name: p.read_bytes() for p in sorted(out.iterdir())}
    return outputs["compiled"], outputs["general"], sum(filled)


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(shapes, min_size=3, max_size=3), st.lists(rows, min_size=4, max_size=14), st.booleans())
def test_a_batch_filled_in_from_templates_writes_what_the_general_engine_writes(tmp_path, chosen, drawn, profile):
    folder = tmp_path / f"case-{len(list(tmp_path.iterdir()))}"
    folder.mkdir()
    if profile:  # its visit lengths, linked labs and visits, contact lines and location
        shutil.copy(EXAMPLES / "clinic.toml", folder / "clinic.toml")
    write_list(folder / "list.csv", chosen, drawn, profile)
    with_templates, general, _ = both_ways(folder, folder / "list.csv")
    assert with_templates == general


def test_most_rows_of_a_plain_list_are_filled_in_from_templates(tmp_path):
    starts = [date(2027, 1, 4) + timedelta(days=n) for n in range(60)]
    drawn = [(n % 3, start, "09:00", "America/Chicago", f"P-{n}") for n, start in enumerate(starts)]
    write_list(tmp_path / "list.csv", [(1, {"for": "12m"}, {}, "1d"), (5, {}, {}, ""), (8, {"doses": "6"}, {}, "")], drawn,
               profile=False)  # fmt: skip
    with_templates, general, filled = both_ways(tmp_path, tmp_path / "list.csv")
    assert with_templates == general
    # Three templates, made from the general engine's first plan of each; most of the other 57 rows are
    # filled in (a few have a dose on 2027-03-14, when the clocks change: the engine makes those).
    assert filled >= 45


@pytest.mark.parametrize("zone", ["America/New_York", "Europe/Berlin"])
def test_a_plan_whose_day_has_a_clock_change_goes_through_the_general_engine(tmp_path, zone):
    # Weekly doses across the spring change: that day's dose is made by the engine (the others filled in).
    drawn = [(0, date(2027, 3, 1) + timedelta(days=n), "09:00", zone, f"P-{n}") for n in range(28)]
    write_list(tmp_path / "list.csv", [(0, {"doses": "6"}, {}, ""), (0, {}, {}, ""), (0, {}, {}, "")], drawn, False)
    with_templates, general, _ = both_ways(tmp_path, tmp_path / "list.csv")
    assert with_templates == general
