"""Compiled plans: a batch that fills in plan templates writes byte for byte what the general engine writes."""

from __future__ import annotations

import csv
import shutil
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from scheduler.app.batching import run as batching
from scheduler.app.batching.settings import BatchOptions, Settings
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


def run(listed: Path, out: Path, templates: bool = True, reminders=()) -> batching.BatchResult:
    """Run the batch into a fresh folder, from cold caches, with plan templates or the general engine only."""
    shutil.rmtree(out, ignore_errors=True)
    out.mkdir()
    clear_caches()
    return batching.run_batch(
        listed, Settings(BatchOptions(out, reminders=reminders, plan_templates=templates), STAMP, listed.parent)
    )


def folder_bytes(out: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(out.iterdir())}


def both_ways(folder: Path, listed: Path, reminders=()) -> tuple[dict[str, bytes], dict[str, bytes], int]:
    """Run the batch with templates and with the general engine only; return both folders and how many rows
    were filled in from a template."""
    filled = run(listed, folder / "compiled", True, reminders).filled
    run(listed, folder / "general", False, reminders)
    return folder_bytes(folder / "compiled"), folder_bytes(folder / "general"), filled


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(shapes, min_size=3, max_size=3), st.lists(rows, min_size=4, max_size=14), st.booleans())
def test_a_batch_filled_in_from_templates_writes_what_the_general_engine_writes(tmp_path, chosen, drawn, profile):
    folder = tmp_path / f"case-{len(list(tmp_path.iterdir()))}"
    folder.mkdir()
    if profile:  # its visit lengths, linked labs and visits, contact lines, location, holidays and closures
        shutil.copy(EXAMPLES / "clinic.toml", folder / "clinic.toml")
        shutil.copy(EXAMPLES / "closures.txt", folder / "closures.txt")
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


# A clinic on the shipped profile: its weekends, holidays (US-NY) and closures, linked labs, visits and
# scans, and its reminders (1d; a row's own remind cell wins). Every shipped regimen, afami-cel included.
CLINIC_REGIMENS = [*REGIMENS, {"drug": "afami-cel"}]
CLINIC_COLUMNS = ["patient", "drug", "every", "pediatric", "weight_kg", "start", "time", "doses", "for", "remind"]
clinic_shapes = st.tuples(
    st.sampled_from(range(len(CLINIC_REGIMENS))), st.sampled_from([{"doses": "4"}, {"for": "6m"}, {"for": "12m"}, {}])
)
# Rows of two shapes: many patients share a template, so one whose days a holiday bends meets others.
clinic_rows = st.tuples(
    st.integers(0, 1),
    st.dates(date(2026, 12, 1), date(2028, 12, 31)),
    st.sampled_from(["", "08:30", "11:30", "13:00"]),
    st.sampled_from(["", "2h"]),
)


def shaped(shapes: list, rows: list) -> list:
    """The drawn rows with their shapes: (regimen, horizon, start, time, remind)."""
    return [(*shapes[shape], start, clock, remind) for shape, start, clock, remind in rows]


def clinic_list(folder: Path, drawn: list, order: list[int] | None = None) -> Path:
    """Write a patient list on the shipped profile (rows in `order`, default as drawn); return its path."""
    for name in ("clinic.toml", "closures.txt"):
        shutil.copy(EXAMPLES / name, folder / name)
    listed = folder / "list.csv"
    with listed.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, [*CLINIC_COLUMNS, "clinic"])
        writer.writeheader()
        for number in order if order is not None else range(len(drawn)):
            regimen, horizon, start, clock, remind = drawn[number]
            row = {
                "patient": f"P-{number}",
                "start": str(start),
                "time": clock,
                "remind": remind,
                "clinic": "clinic.toml",
            }
            row |= CLINIC_REGIMENS[regimen] | ({} if CLINIC_REGIMENS[regimen]["drug"] == "afami-cel" else horizon)
            writer.writerow(row)
    return listed


def patient_files(out: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(out.glob("P-*"))}


def clinic_events(out: Path) -> list[str]:
    """The clinic calendar's events, in no order: a shuffled list writes them in another."""
    text = (out / "clinic.ics").read_text(encoding="utf-8")
    return sorted("BEGIN:VEVENT" + e.split("END:VEVENT")[0] for e in text.split("BEGIN:VEVENT")[1:])


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(clinic_shapes, min_size=2, max_size=2), st.lists(clinic_rows, min_size=4, max_size=10), st.randoms())
def test_a_patients_calendar_is_the_general_engines_for_that_row_alone_whoever_else_is_listed(
    tmp_path, shapes, rows, rnd
):
    drawn = shaped(shapes, rows)
    folder = tmp_path / f"case-{len(list(tmp_path.iterdir()))}"
    folder.mkdir()
    listed = clinic_list(folder, drawn)
    run(listed, folder / "batch")
    whole = patient_files(folder / "batch")
    assert whole  # every row planned
    for number in range(len(drawn)):  # each row alone, by the general engine: the reference
        alone = folder / f"alone-{number}"
        alone.mkdir()
        run(clinic_list(alone, drawn, [number]), alone / "out", templates=False)
        assert patient_files(alone / "out") == {k: v for k, v in whole.items() if k.startswith(f"P-{number}.")}
    order = list(range(len(drawn)))
    rnd.shuffle(order)
    shuffled = folder / "shuffled"
    shuffled.mkdir()
    run(clinic_list(shuffled, drawn, order), shuffled / "out")
    assert patient_files(shuffled / "out") == whole
    assert clinic_events(shuffled / "out") == clinic_events(folder / "batch")


def test_a_holiday_that_bent_one_patients_plan_is_not_copied_to_another(tmp_path):
    # P-187's lab before dose 1 falls on Veterans Day and its last dose past the plan's end; P-200, of the
    # same template key, has every day open: its calendar is the one it gets alone (14 doses, the lab the
    # day before dose 1).
    drawn = [(2, {"for": "12m"}, date(2027, 11, 12), "13:00", ""), (2, {"for": "12m"}, date(2027, 4, 8), "11:30", "")]
    listed = clinic_list(tmp_path, drawn)
    run(listed, tmp_path / "both")
    alone = tmp_path / "alone"
    alone.mkdir()
    run(clinic_list(alone, drawn, [1]), alone / "out", templates=False)
    calendar = (tmp_path / "both" / "P-1.ics").read_text(encoding="utf-8")
    assert calendar == (alone / "out" / "P-1.ics").read_text(encoding="utf-8")
    assert calendar.count("SUMMARY:P-1: Atezolizumab (Tecentriq) IV infusion\\, dose ") == 14
    assert "DTSTART;TZID=America/New_York:20270407T" in calendar  # the lab, the day before dose 1


def test_three_runs_of_a_clinic_list_with_workers_write_the_same_folder(tmp_path, monkeypatch):
    # 60 patients of a few templates whose starts cross holidays and closures, planned by two workers in
    # chunks of ten: each worker compiles its own templates from whichever rows it gets first.
    drawn = [(n % 4 * 2, {"for": "12m"}, date(2027, 1, 4) + timedelta(days=11 * n), "11:30", "") for n in range(60)]
    listed = clinic_list(tmp_path, drawn)
    monkeypatch.setattr(batching, "worker_count", lambda rows: 2)
    runs = []
    for number in range(3):
        run(listed, tmp_path / f"run-{number}")
        runs.append(folder_bytes(tmp_path / f"run-{number}"))
    assert runs[0] == runs[1] == runs[2]
    monkeypatch.setattr(batching, "worker_count", lambda rows: 1)
    run(listed, tmp_path / "general", templates=False)
    assert runs[0] == folder_bytes(tmp_path / "general")


def test_a_template_edited_between_two_batches_in_one_process_is_read_again(tmp_path):
    # A long-running process (the coming page and feed) batches twice; between them the clinic edits its own
    # copy of a template. Nothing is cleared by hand: the second batch plans from the edited file.
    mine = tmp_path / "templates"
    mine.mkdir()
    shipped = (Path(__file__).parent.parent / "templates" / "atezolizumab-iv.toml").read_text(encoding="utf-8")
    (mine / "atezolizumab-iv.toml").write_text(shipped, encoding="utf-8")
    listed = tmp_path / "list.csv"
    listed.write_text(
        "patient,drug,every,start,time,tz,doses\n"
        + "".join(f"P-{n},atezolizumab,3w,2027-01-{n + 4:02d},09:00,America/Chicago,3\n" for n in range(6)),
        encoding="utf-8",
    )
    clear_caches()
    for number, amount in enumerate(("1200", "1250")):
        path = mine / "atezolizumab-iv.toml"
        path.write_text(shipped.replace("amount = 1200,", f"amount = {amount},"), encoding="utf-8")
        out = tmp_path / f"out-{number}"
        out.mkdir()
        settings = Settings(BatchOptions(out, template_dirs=(str(mine),)), STAMP, tmp_path)
        assert batching.run_batch(listed, settings).filled >= 4  # the later rows are filled in from a template
        for n in range(6):
            text = (out / f"P-{n}.ics").read_text(encoding="utf-8").replace("\r\n ", "")
            assert f"dose 3 ({amount[0]}\\,{amount[1:]} mg)" in text, (amount, n)
