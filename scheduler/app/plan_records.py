"""A patient's plan file kept over time: made, recorded into, restarted, a record taken back.

Every change checks that the plan still expands before the file is written, under the file's lock,
so a plan file is never left in a state txcal cannot build from. `expand` is a `Planner` (the
templates to plan with; it keeps the notes a front end shows); each use case returns what it did.
"""

from __future__ import annotations

import dataclasses
import os
from datetime import date
from pathlib import Path

from scheduler import files
from scheduler.app.plans import Planner, check_record_fits
from scheduler.errors import TxcalError
from scheduler.inputs.plan_file import add_record, load_plan, save_plan
from scheduler.inputs.plan_spec import PlanSpec, RecordSpec
from scheduler.model import Plan


def new_plan_file(plan_file: Path, spec: PlanSpec, force: bool, expand: Planner) -> Plan:
    """Write a new plan file for a plan, its identity fixed so later records and re-exports keep every UID.

    Raises:
        TxcalError: the file exists (without `force`), a file the plan names is outside its folder,
            or the plan does not build.
    """
    if plan_file.exists() and not force:
        raise TxcalError(f"{plan_file} exists: record into it, choose another name, or add --force to replace it")
    # Files the plan names are kept relative to the plan file, so they move together.
    spec = dataclasses.replace(
        spec,
        closed=_beside(plan_file, spec.closed, "closures file"),
        clinic_profile=_beside(plan_file, spec.clinic_profile, "clinic profile"),
        base=plan_file.parent,
    )
    built = expand(spec)
    save_plan(dataclasses.replace(spec, plan_id=built.plan_id), plan_file)
    return built


def _beside(plan_file: Path, given: str | None, what: str) -> str | None:
    """Return a file's path relative to the plan file's folder, which it must be in (or below)."""
    if not given:
        return given
    kept = os.path.relpath(Path(given).resolve(), plan_file.resolve().parent)
    if kept.startswith(".."):
        raise TxcalError(f"keep the {what} {given} in the plan file's folder, so the two move together")
    return kept


def record_into(plan_file: Path, entry: RecordSpec, today: date, expand: Planner) -> Plan:
    """Add a record to a plan file once the plan still expands with it; return the plan with it.

    Raises:
        TxcalError: the plan does not build with the record, or the record changes nothing.
    """
    with files.locked(plan_file):  # read, check and write as one, so a record made at the same time is kept
        spec = add_record(load_plan(plan_file), dataclasses.replace(entry, recorded=today))
        result = expand(spec)
        check_record_fits(result, spec, entry)
        save_plan(spec, plan_file)
    return result


def restart(plan_file: Path, day: date, expand: Planner) -> tuple[date, str]:
    """Move a plan not yet begun to start on `day`, keeping its plan id; return the old start and the id.

    Raises:
        TxcalError: a dose was given already, the start is the same, or the plan does not build.
    """
    with files.locked(plan_file):
        spec = load_plan(plan_file)
        given = [r for r in spec.records if r.kind == "given"]
        if given:
            raise TxcalError(
                f"{plan_file} records {given[0].describe()}: a restart moves a plan not yet begun; "
                f"record a delay instead (txcal record delay -f {plan_file} DOSE DAYS)"
            )
        if day == spec.start:
            raise TxcalError(f"{plan_file} already starts on {day}: give another date")
        before = expand(spec)  # its identity, kept so calendars update in place
        moved = dataclasses.replace(spec, start=day, plan_id=before.plan_id)
        expand(moved)  # still builds from the new start
        save_plan(moved, plan_file)
    return spec.start, before.plan_id


def last_record(plan_file: Path) -> tuple[RecordSpec, ...]:
    """Return the plan file's records (to show the last before it is taken back).

    Raises:
        TxcalError: the file holds no records.
    """
    records = load_plan(plan_file).records
    if not records:
        raise TxcalError(f"{plan_file} holds no records to take back")
    return records


def undo_record(plan_file: Path, shown: tuple[RecordSpec, ...], expand: Planner) -> None:
    """Take back the last record, if the records are still those shown; the plan must build without it.

    Raises:
        TxcalError: the file changed since it was shown, or the plan does not build without the record.
    """
    with files.locked(plan_file):
        spec = load_plan(plan_file)
        if spec.records != shown:
            now = spec.records[-1].describe() if spec.records else "none"
            raise TxcalError(
                f"{plan_file} changed while you answered (the last record is now: {now}); nothing was taken back: "
                "run txcal record undo again to see it"
            )
        spec = dataclasses.replace(spec, records=spec.records[:-1])
        expand(spec)  # still builds without it
        save_plan(spec, plan_file)
