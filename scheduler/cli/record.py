"""`txcal record ...`: keep a patient's plan file."""

from __future__ import annotations

import sys
from datetime import date, time
from pathlib import Path
from typing import Any

import click

from scheduler import wording
from scheduler.app.plan_records import last_record, new_plan_file, record_into, restart, undo_record
from scheduler.app.plans import Planner, RecordSpec
from scheduler.cli.main import current_day, main, show_notes, spec_from_options
from scheduler.cli.params import (
    DATE,
    Parsed,
    click_type,
    complete_names,
    plan_options,
    templates_option,
)
from scheduler.errors import TxcalError
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
    spec = spec_from_options(drug, options)
    planner = Planner(template_dirs)
    built = new_plan_file(plan_file, spec, force, planner)
    show_notes(planner)
    click.echo(f"Wrote {plan_file}: {built.regimen.id}, first day {spec.start}.", err=True)


def _record(plan_file: Path, entry: RecordSpec, template_dirs: tuple[str, ...]) -> None:
    """Add a record to a plan file once the plan still expands with it, and say what follows."""
    planner = Planner(template_dirs)
    result = record_into(plan_file, entry, current_day(), planner)
    show_notes(planner)
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
    planner = Planner(template_dirs)
    start, plan_id = restart(plan_file, day, planner)
    show_notes(planner)
    click.echo(
        f"Moved the start of {plan_file} from {start} to {day}; plan id {plan_id} kept, so exporting or "
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
    shown = last_record(plan_file)
    last = shown[-1]
    click.echo(f"Last record in {plan_file}: {last.describe()}.", err=True)
    if not yes:
        if not sys.stdin.isatty():
            raise TxcalError("add --yes to take it back without being asked")
        click.confirm("Take it back?", abort=True, err=True)
    planner = Planner(template_dirs)
    undo_record(plan_file, shown, planner)
    show_notes(planner)
    click.echo(f"Took back: {last.describe()}.", err=True)
