"""Plans from what the user gave: the one path from a PlanSpec to an expanded Plan, its messages worded."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterator
from pathlib import Path

from scheduler.catalog.loader import Catalog
from scheduler.engine import expand
from scheduler.errors import TxcalError, worded
from scheduler.inputs.plan_spec import PlanSpec, RecordSpec, build_request
from scheduler.model import Plan


def plan_from_spec(spec: PlanSpec, catalog: Catalog) -> Plan:
    """Return the expanded plan a spec describes.

    Raises:
        TxcalError: the plan cannot be built; options in the message are named as the user gave
            them (a flag, a patient-list column, a plan-file key).
    """
    try:
        return expand(build_request(spec, catalog))
    except TxcalError as exc:
        raise exc.in_terms_of(spec.origin.word) from None


def list_plans(
    path: Path, default_profile: Path | None, catalog: Catalog, left_out: Callable[[str], None]
) -> Iterator[Plan]:
    """Yield the plan of every row of a patient list; a row that cannot be planned is told to `left_out`."""
    from scheduler.inputs.patient_list import iter_rows, spec_from_row

    for number, cells in iter_rows(path):
        try:
            spec = dataclasses.replace(spec_from_row(cells, path.parent), default_profile=default_profile)
            yield plan_from_spec(spec, catalog)
        except TxcalError as exc:
            left_out(f"{path}: row {number} left out: {exc}")


def plan_notes(plan: Plan, spec: PlanSpec) -> list[str]:
    """Return the plan's warnings, options named as the user gave them."""
    return [worded(warning, spec.origin.word) for warning in plan.warnings]


def check_record_fits(plan: Plan, spec: PlanSpec, record: RecordSpec) -> None:
    """Refuse a record that the plan builds with but that changes nothing: a dose it does not have, a stop before it starts.

    Raises:
        TxcalError: the record names a dose outside the plan, or a stop before its start.
    """
    if record.kind == "stop" and record.on is not None and record.on < spec.start:
        raise TxcalError(f"the stop date {record.on} is before the plan starts on {spec.start}: check the date")
    numbers = [e.dose_number for e in plan.events if e.dose_number is not None]
    if record.dose is not None and record.kind != "switch" and numbers and record.dose > max(numbers):
        raise TxcalError(f"dose {record.dose} is not in this plan: it plans doses 1 to {max(numbers)}")
    if record.dose is not None and not numbers and record.kind != "stop":
        raise TxcalError(f"{plan.regimen.id} is a one-time pathway: it has no dose {record.dose} to record")
