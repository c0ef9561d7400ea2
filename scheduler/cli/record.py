"""`txcal record ...`: keep a patient's plan file."""

from __future__ import annotations

import dataclasses
import os
import sys
from datetime import date, time
from pathlib import Path
from typing import Any

import click

from scheduler import wording
from scheduler.app.plans import check_record_fits
from scheduler.cli.main import current_day, expand_plan, main, spec_from_options
from scheduler.cli.params import (
    DATE,
    Parsed,
    click_type,
    complete_names,
    plan_options,
    templates_option,
)
from scheduler.errors import TxcalError
from scheduler.inputs.plan_spec import RecordSpec
from scheduler.options import BY_NAME
from scheduler.units import check_text


@main.group(short_help="Keep a patient's plan file: new, given, delay, hold, ...")
def record() -> None:
    """Keep a patient's plan file: make it, then record what happened (given, delay, hold, stop, switch).

    Each command checks the plan still expands before it writes the file, so a plan file is
    never left in a state txcal cannot build from. Build calendars with `txcal plan --plan-file`.
    """


_PLAN_FILE = click.option(
    "-f",
    "--plan-file",
    required=True,
    envvar="TXCAL_PLAN_FILE",
    type=click.Path(dir_okay=False, path_type=Path),
    help="The patient's plan file (also TXCAL_PLAN_FILE).",
)
_REASON = click.option(
    "--reason",
    default="",
    type=Parsed("text", check_text),
    help="Why, in a few words (kept in the file and shown in the calendar).",
)


@record.command("new", short_help="Make a plan file for DRUG.")
@_PLAN_FILE
@click.argument("drug", shell_complete=complete_names)
@plan_options
@click.option("--force", is_flag=True, help="Replace an existing plan file.")
@templates_option
def record_new(plan_file: Path, drug: str, force: bool, template_dirs: tuple[str, ...], **options: Any) -> None:
    """Make a plan file for DRUG with the plan options (as for txcal plan)."""
    from scheduler.inputs.plan_file import save_plan

    if plan_file.exists() and not force:
        raise TxcalError(f"{plan_file} exists: record into it, choose another name, or add --force to replace it")
    spec = spec_from_options(drug, options)
    # Files the plan names are kept relative to the plan file, so they move together.
    spec = dataclasses.replace(
        spec,
        closed=_beside(plan_file, spec.closed, "closures file"),
        clinic_profile=_beside(plan_file, spec.clinic_profile, "clinic profile"),
        base=plan_file.parent,
    )
    built = expand_plan(spec, template_dirs)
    # Fix the plan's identity now, so later records and re-exports keep every event's UID.
    spec = dataclasses.replace(spec, plan_id=built.plan_id)
    save_plan(spec, plan_file)
    click.echo(f"Wrote {plan_file}: {built.regimen.id}, first day {spec.start}.", err=True)


def _beside(plan_file: Path, given: str | None, what: str) -> str | None:
    """Return a file's path relative to the plan file's folder, which it must be in (or below)."""
    if not given:
        return given
    kept = os.path.relpath(Path(given).resolve(), plan_file.resolve().parent)
    if kept.startswith(".."):
        raise TxcalError(f"keep the {what} {given} in the plan file's folder, so the two move together")
    return kept


def _record(plan_file: Path, entry: RecordSpec, template_dirs: tuple[str, ...]) -> None:
    """Add a record to a plan file once the plan still expands with it, and say what follows."""
    from scheduler.files import locked
    from scheduler.inputs.plan_file import add_record, load_plan, save_plan

    with locked(plan_file):  # read, check and write as one, so a record made at the same time is kept
        spec = add_record(load_plan(plan_file), dataclasses.replace(entry, recorded=current_day()))
        result = expand_plan(spec, template_dirs)
        check_record_fits(result, spec, entry)
        save_plan(spec, plan_file)
    click.echo(f"Recorded in {plan_file}: {entry.describe()}.", err=True)
    upcoming = [e for e in result.events if e.status == "planned" and e.first_day >= current_day()]
    if upcoming:
        nxt = upcoming[0]
        moved = f" ({wording.event_reason(nxt)})" if wording.event_reason(nxt) else ""
        click.echo(f"Next planned: {nxt.title} on {nxt.first_day:%a %Y-%m-%d}{moved}.", err=True)
    else:
        click.echo("Nothing planned from today on.", err=True)


@record.command("given", short_help="Dose DOSE was given on DATE.")
@_PLAN_FILE
@click.argument("dose", type=click.IntRange(min=1))
@click.argument("day", metavar="DATE", type=DATE)
@click.option("--time", "at", type=click_type(BY_NAME["time"].value), help="The time it was given, if not the plan's.")
@_REASON
@templates_option
def record_given(
    plan_file: Path, dose: int, day: date, at: time | None, reason: str, template_dirs: tuple[str, ...]
) -> None:
    """Dose DOSE was given on DATE (at --time); later doses count from it."""
    _record(plan_file, RecordSpec("given", dose=dose, on=day, reason=reason, at=at), template_dirs)


def _days(text: str) -> int:
    days = int(text)
    if days == 0 or abs(days) > 90:
        raise ValueError("give 1 to 90 days later, or -1 to -90 days earlier")
    return days


# "-3" is a number here, not an option: bringing a dose forward is a negative delay.
@record.command(
    "delay", short_help="Move a dose DAYS later (or earlier: -3).", context_settings={"ignore_unknown_options": True}
)
@_PLAN_FILE
@click.argument("dose", type=click.IntRange(min=1))
@click.argument("days", type=Parsed("days", _days))
@_REASON
@templates_option
def record_delay(plan_file: Path, dose: int, days: int, reason: str, template_dirs: tuple[str, ...]) -> None:
    """Dose DOSE moves DAYS days: later (3) or, negative, earlier (-3); later doses count from the new date.

    A dose brought forward must still fall after the dose before it.
    """
    _record(plan_file, RecordSpec("delay", dose=dose, days=days, reason=reason), template_dirs)


@record.command("hold", short_help="Dose DOSE is held (omitted).")
@_PLAN_FILE
@click.argument("dose", type=click.IntRange(min=1))
@_REASON
@templates_option
def record_hold(plan_file: Path, dose: int, reason: str, template_dirs: tuple[str, ...]) -> None:
    """Dose DOSE is held (omitted); the next dose keeps its place."""
    _record(plan_file, RecordSpec("hold", dose=dose, reason=reason), template_dirs)


@record.command("stop", short_help="Treatment stopped on DATE.")
@_PLAN_FILE
@click.argument("day", metavar="DATE", type=DATE)
@_REASON
@templates_option
def record_stop(plan_file: Path, day: date, reason: str, template_dirs: tuple[str, ...]) -> None:
    """Treatment stopped on DATE; re-exporting cancels the events after it."""
    _record(plan_file, RecordSpec("stop", on=day, reason=reason), template_dirs)


@record.command("switch", short_help="From dose DOSE on, give DRUG.")
@_PLAN_FILE
@click.argument("dose", type=click.IntRange(min=2))
@click.argument("drug", shell_complete=complete_names)
@click.option(
    "--every", type=click_type(BY_NAME["every"].value), help="The new schedule's interval, where the drug has several."
)
@click.option("--route", type=click_type(BY_NAME["route"].value), help="The new route.")
@_REASON
@templates_option
def record_switch(
    plan_file: Path,
    dose: int,
    drug: str,
    every: str | None,
    route: str | None,
    reason: str,
    template_dirs: tuple[str, ...],
) -> None:
    """From dose DOSE on, give DRUG (IV to SC, or another interval of the same drug)."""
    _record(
        plan_file, RecordSpec("switch", dose=dose, drug=drug, every=every, route=route, reason=reason), template_dirs
    )


@record.command("restart", short_help="Move the plan's start to DATE (a corrected start date).")
@_PLAN_FILE
@click.argument("day", metavar="DATE", type=DATE)
@templates_option
def record_restart(plan_file: Path, day: date, template_dirs: tuple[str, ...]) -> None:
    """Move the plan's start to DATE, keeping its plan id: re-exporting moves its events, none duplicate.

    For a start date that was wrong or has changed before treatment began; once a dose is given,
    record delays instead.
    """
    from scheduler.files import locked
    from scheduler.inputs.plan_file import load_plan, save_plan

    with locked(plan_file):
        spec = load_plan(plan_file)
        given = [r for r in spec.records if r.kind == "given"]
        if given:
            raise TxcalError(
                f"{plan_file} records {given[0].describe()}: a restart moves a plan not yet begun; "
                f"record a delay instead (txcal record delay -f {plan_file} DOSE DAYS)"
            )
        if day == spec.start:
            raise TxcalError(f"{plan_file} already starts on {day}: give another date")
        before = expand_plan(spec, template_dirs)  # its identity, kept so calendars update in place
        moved = dataclasses.replace(spec, start=day, plan_id=before.plan_id)
        expand_plan(moved, template_dirs)  # still builds from the new start
        save_plan(moved, plan_file)
    click.echo(
        f"Moved the start of {plan_file} from {spec.start} to {day}; plan id {before.plan_id} kept, so exporting or "
        "publishing it again moves its events in every calendar.",
        err=True,
    )


@record.command("undo", short_help="Take back the last record.")
@_PLAN_FILE
@click.option("--yes", is_flag=True, help="Remove it without asking.")
@templates_option
def record_undo(plan_file: Path, yes: bool, template_dirs: tuple[str, ...]) -> None:
    """Take back the last record, after showing it; the plan must still build without it.

    The question is asked without holding the plan file, so colleagues can record meanwhile; the
    record taken back is the one shown: if another came in since, nothing is taken back and the
    message says which record is last now.
    """
    from scheduler.files import locked
    from scheduler.inputs.plan_file import load_plan, save_plan

    shown = load_plan(plan_file)
    if not shown.records:
        raise TxcalError(f"{plan_file} holds no records to take back")
    last = shown.records[-1]
    click.echo(f"Last record in {plan_file}: {last.describe()}.", err=True)
    if not yes:
        if not sys.stdin.isatty():
            raise TxcalError("add --yes to take it back without being asked")
        click.confirm("Take it back?", abort=True, err=True)
    with locked(plan_file):
        spec = load_plan(plan_file)
        if spec.records != shown.records:
            now = spec.records[-1].describe() if spec.records else "none"
            raise TxcalError(
                f"{plan_file} changed while you answered (the last record is now: {now}); nothing was taken back: "
                "run txcal record undo again to see it"
            )
        spec = dataclasses.replace(spec, records=spec.records[:-1])
        expand_plan(spec, template_dirs)  # still builds without it
        save_plan(spec, plan_file)
    click.echo(f"Took back: {last.describe()}.", err=True)
