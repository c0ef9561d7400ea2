"""Plans from what the user gave: the one path from a PlanSpec to an expanded Plan, its messages worded."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterator
from datetime import date
from pathlib import Path

from scheduler.catalog.loader import TEMPLATES_ENV, Catalog, load_regimens
from scheduler.engine import expand
from scheduler.errors import TxcalError, worded
from scheduler.inputs.plan_spec import PlanSpec, RecordSpec, build_request
from scheduler.model import Plan, PlanRequest

# The requests a front end makes: a plan as the user gave it, and a record of what happened.
__all__ = [
    "TEMPLATES_ENV",
    "PlanSpec",
    "RecordSpec",
    "booked_plan_for",
    "check_record_fits",
    "completions",
    "list_plans",
    "narrowed",
    "open_catalog",
    "plan_from_spec",
    "plan_notes",
    "spec_from_file",
]


def open_catalog(template_dirs: tuple[str, ...]) -> tuple[Catalog, list[str]]:
    """Return the shipped templates and the user's (from `template_dirs`), with a note for each the user's replace.

    Raises:
        TemplateError: a template cannot be read.
    """
    catalog = load_regimens(template_dirs)
    notes = []
    for regimen_id in catalog.replaced:
        replacement = catalog.get(regimen_id)
        assert replacement is not None
        notes.append(f"your template {replacement.path} replaces the shipped {regimen_id!r}.")
    return catalog, notes


def completions(template_dirs: tuple[str, ...], incomplete: str, what: str) -> list[str]:
    """Return what a shell may complete: regimen names (`what` "names") or intervals ("every"); none when
    the templates cannot be read.

    A name with a space ("Keytruda Qlex") would be inserted unquoted by bash and split in two, so
    its regimen's id (pembrolizumab-sc) is offered in its place.
    """
    try:
        catalog = load_regimens(template_dirs)
    except TxcalError:
        return []
    if what == "every":
        return sorted({s.every for r in catalog.regimens for s in r.schedules if s.every.startswith(incomplete)})
    offered = set()
    for regimen in catalog.regimens:
        for name in (*regimen.names(), regimen.ingredient):
            if name.casefold().startswith(incomplete.casefold()):
                offered.add(regimen.id if " " in name else name)
    return sorted(offered)


def spec_from_file(path: Path) -> PlanSpec:
    """Return the plan a patient's plan file holds.

    Raises:
        TxcalError: the file cannot be read or is not a plan file.
    """
    from scheduler.inputs.plan_file import load_plan

    return load_plan(path)


def booked_plan_for(spec: PlanSpec, catalog: Catalog) -> tuple[Plan, list[str]]:
    """Return the plan a spec describes, with the times the clinic book holds for it, and its notes."""
    plan = plan_from_spec(spec, catalog)
    profile = plan.request.profile
    if profile is not None and profile.book_path is not None:  # only then is the book (and SQLite) imported
        from scheduler.clinic.book import booked_plan

        plan = booked_plan(plan, spec.prefer)
    return plan, plan_notes(plan, spec)


class Planner:
    """Plans a spec with the templates of some folders (the shipped ones and the user's), keeping the notes a
    front end shows once: a user's template that replaces a shipped one, what a plan needs confirmed."""

    def __init__(self, template_dirs: tuple[str, ...]) -> None:
        self.template_dirs = template_dirs
        self.notes: list[str] = []

    def __call__(self, spec: PlanSpec) -> Plan:
        catalog, notes = open_catalog(self.template_dirs)
        plan, more = booked_plan_for(spec, catalog)
        self.notes += [note for note in (*notes, *more) if note not in self.notes]
        return plan


def narrowed(plan: Plan, today: date, next_count: int | None, first: date | None, last: date | None) -> Plan:
    """Return the plan narrowed for display: the next N events from today, or those from `first` to `last`."""
    from scheduler.engine.selection import select_events

    return select_events(plan, today, next_count, first, last)


def plan_from_spec(spec: PlanSpec, catalog: Catalog) -> Plan:
    """Return the expanded plan a spec describes.

    Raises:
        TxcalError: the plan cannot be built; options in the message are named as the user gave
            them (a flag, a patient-list column, a plan-file key).
    """
    return plan_from_request(request_from_spec(spec, catalog), spec)


def request_from_spec(spec: PlanSpec, catalog: Catalog) -> PlanRequest:
    """Return the plan request a spec describes (the regimen found, options checked), before expanding it.

    Raises:
        TxcalError: as plan_from_spec.
    """
    try:
        return build_request(spec, catalog)
    except TxcalError as exc:
        raise exc.in_terms_of(spec.origin.word) from None


def plan_from_request(request: PlanRequest, spec: PlanSpec) -> Plan:
    """Return a request expanded, errors worded as the user gave the spec.

    Raises:
        TxcalError: as plan_from_spec.
    """
    try:
        return expand(request)
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
