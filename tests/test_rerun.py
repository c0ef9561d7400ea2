"""Reruns that skip: a batch plans again only the rows whose inputs changed, and what it writes is what
planning every row again would write."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest

from scheduler.app.batching import rows as batch_rows
from scheduler.app.batching.rerun import KEPT_FILE
from scheduler.caches import clear_caches

EXAMPLES = Path(__file__).parent.parent / "examples"
LATER_EPOCH = "1796000000"  # a rerun's own time stamp: only new or changed events may carry it


@pytest.fixture
def clinic(sample_list):
    return sample_list


@pytest.fixture
def planned(monkeypatch):
    """Count the rows a batch plans (in this process: a short list takes no workers)."""
    rows: list[str] = []
    original = batch_rows.request_from_spec

    def counting(spec, catalog):
        rows.append(spec.patient or "")
        return original(spec, catalog)

    monkeypatch.setattr(batch_rows, "request_from_spec", counting)
    return rows


def files(folder: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(folder.iterdir())}


def rerun_both_ways(txcal, clinic: Path, monkeypatch, planned) -> tuple[dict[str, bytes], dict[str, bytes], set[str]]:
    """Rerun over the batch's output twice from the same start: reusing what it kept, and with nothing kept;
    return both folders' files and the rows the first rerun planned."""
    out, plain = clinic / "out", clinic / "plain"
    shutil.copytree(out, plain)
    (plain / KEPT_FILE).unlink()
    monkeypatch.setenv("SOURCE_DATE_EPOCH", LATER_EPOCH)
    clear_caches()
    planned.clear()
    assert txcal(f"batch {clinic / 'patients.csv'} --out-dir {out}").exit_code == 0
    replanned = set(planned)
    clear_caches()
    assert txcal(f"batch {clinic / 'patients.csv'} --out-dir {plain}").exit_code == 0
    return files(out), files(plain), replanned


def test_a_rerun_over_unchanged_output_plans_only_the_row_that_names_a_plan_file(txcal, clinic, planned):
    assert txcal(f"batch {clinic / 'patients.csv'} --out-dir {clinic / 'out'}").exit_code == 0
    before = files(clinic / "out")
    assert len(planned) == 7
    planned.clear()
    assert txcal(f"batch {clinic / 'patients.csv'} --out-dir {clinic / 'out'}").exit_code == 0
    assert planned == ["P-017"]  # its plan file names further files: always planned
    assert files(clinic / "out") == before


@pytest.mark.parametrize(
    "change",
    [
        "nothing",
        "one row's time",
        "a row inserted first",
        "the closures file",
        "the clinic profile a row names",
        "a patient file edited",
        "clinic.ics",
    ],
)
def test_what_a_rerun_writes_is_what_planning_every_row_writes(txcal, clinic, planned, monkeypatch, change):
    assert txcal(f"batch {clinic / 'patients.csv'} --out-dir {clinic / 'out'}").exit_code == 0
    listed = clinic / "patients.csv"
    if change == "the clinic profile a row names":
        (clinic / "clinic.toml").write_text('schema = 1\nname = "North"\nphone = "+1 555 0100"\n', encoding="utf-8")
        head, *rows = listed.read_text().splitlines()
        rows = [row + (",clinic.toml" if row.startswith("P-004,") else ",") for row in rows]
        listed.write_text("\n".join([head + ",clinic", *rows]) + "\n", encoding="utf-8")
        clear_caches()
        assert txcal(f"batch {listed} --out-dir {clinic / 'out'}").exit_code == 0
    if change == "one row's time":
        listed.write_text(listed.read_text().replace("2026-12-03,10:30", "2026-12-03,11:30"), encoding="utf-8")
    elif change == "a row inserted first":
        head, *rows = listed.read_text().splitlines(keepends=True)
        listed.write_text(head + "N-000,atezolizumab,2w,,,,2027-01-04,09:00,America/New_York,4,,,,,,\n" + "".join(rows))
    elif change == "the clinic profile a row names":
        (clinic / "clinic.toml").write_text('schema = 1\nname = "North"\nphone = "+1 555 0199"\n', encoding="utf-8")
    elif change == "the closures file":
        with (clinic / "closures.txt").open("a", encoding="utf-8") as closures:
            closures.write("2027-01-19\n")
    elif change == "a patient file edited":
        path = clinic / "out" / "P-003.ics"
        path.write_bytes(path.read_bytes().replace(b"SEQUENCE:0", b"SEQUENCE:4", 1))
    elif change == "clinic.ics":
        path = clinic / "out" / "clinic.ics"
        path.write_bytes(path.read_bytes().replace(b"X-TXCAL-PATIENT:P-004", b"X-TXCAL-PATIENT:P-0O4", 1))
    reused, planned_again, replanned = rerun_both_ways(txcal, clinic, monkeypatch, planned)
    assert reused == planned_again
    expected = {
        "nothing": {"P-017"},
        "one row's time": {"P-002", "P-017"},
        "a row inserted first": {"N-000", "P-017"},
        "the closures file": {"P-001", "P-017"},  # only P-001 names it
        "the clinic profile a row names": {"P-004", "P-017"},
        "a patient file edited": {"P-003", "P-017"},
        "clinic.ics": {"P-001", "P-002", "P-003", "P-004", "C-005", "P-006", "P-017"},
    }[change]
    assert replanned == expected


def test_a_batch_that_levels_chairs_keeps_no_rows_and_removes_an_old_kept_file(txcal, clinic):
    (clinic / "clinic.toml").write_text(
        'schema = 1\nname = "North"\ntimezone = "America/New_York"\nchairs = 4\n'
        '[hours]\nmon = "08:00-18:00"\ntue = "08:00-18:00"\nwed = "08:00-18:00"\nthu = "08:00-18:00"\nfri = "08:00-18:00"\n',
        encoding="utf-8",
    )
    assert txcal(f"batch {clinic / 'patients.csv'} --out-dir {clinic / 'out'}").exit_code == 0
    assert (clinic / "out" / KEPT_FILE).exists()
    result = txcal(
        f"batch {clinic / 'patients.csv'} --out-dir {clinic / 'out'} --clinic {clinic / 'clinic.toml'} --level"
    )
    assert result.exit_code == 0, result.stderr
    assert not (clinic / "out" / KEPT_FILE).exists()


def test_workers_reuse_what_one_process_reuses(tmp_path, monkeypatch):
    from datetime import UTC, datetime

    from scheduler.app.batching import run as batching
    from scheduler.app.batching.settings import BatchOptions, Settings

    patients = tmp_path / "list.csv"
    lines = ["patient,drug,every,start,time,tz,doses"] + [
        f"W-{n},{['atezolizumab', 'pembrolizumab', 'Keytruda Qlex'][n % 3]},3w,2027-{n % 12 + 1:02d}-{n % 27 + 1:02d},"
        f"09:00,America/Chicago,4"
        for n in range(240)
    ]
    patients.write_text("\n".join(lines) + "\n", encoding="utf-8")
    first, later = datetime(2026, 11, 20, tzinfo=UTC), datetime(2026, 11, 27, tzinfo=UTC)
    outputs = {}
    for workers in (1, 2):
        monkeypatch.setattr(batching, "worker_count", lambda rows, w=workers: w)
        folder = tmp_path / f"w{workers}"
        folder.mkdir()
        patients.write_text("\n".join(lines) + "\n", encoding="utf-8")
        batching.run_batch(patients, Settings(BatchOptions(folder), first, tmp_path))
        # Ten rows change; the other 230 come back from what the first batch kept.
        patients.write_text("\n".join([lines[0], *(line.replace("09:00", "10:00") if n % 24 == 0 else line
                                                   for n, line in enumerate(lines[1:]))]) + "\n")  # fmt: skip
        result = batching.run_batch(patients, Settings(BatchOptions(folder), later, tmp_path))
        assert result.rows == 240 and not result.failed
        outputs[workers] = files(folder)
    assert outputs[1] == outputs[2]
    assert outputs[1]["clinic.ics"].count(b"DTSTART;TZID=America/Chicago:") == 960
    moved = re.findall(rb"DTSTART;TZID=America/Chicago:\d{8}T100000", outputs[1]["clinic.ics"])
    assert len(moved) == 40  # ten rows' four doses at their new time
