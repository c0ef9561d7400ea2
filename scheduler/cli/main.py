"""The `txcal` group, its one place for errors, and what every command shares: catalog, today, stamps, the plan from options."""

from __future__ import annotations

import contextlib
import importlib
import os
import shutil
import sys
from datetime import UTC, date, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from scheduler import __version__
from scheduler.app.plans import Planner, PlanSpec, open_catalog, spec_from_file
from scheduler.cli.params import (
    PLAN_FLAGS,
)
from scheduler.errors import TxcalError
from scheduler.model import Plan
from scheduler.units import machine_zone_name

if TYPE_CHECKING:
    from scheduler.catalog.loader import Catalog

# Which module of scheduler.cli defines each command: a command's module is imported only when that
# command runs (or help lists them all), so `txcal plan` does not load the clinic's commands.
COMMAND_MODULES = {
    "plan": "plan",
    "batch": "clinic",
    "load": "clinic",
    "agenda": "clinic",
    "move": "clinic",
    "release": "clinic",
    "publish": "clinic",
    "feed": "feed",
    "serve": "serve",
    "record": "record",
    "regimens": "templates",
    "show": "templates",
    "validate": "templates",
    "check": "templates",
}


def _quiet_stdout() -> None:
    """Point stdout at /dev/null so flushing it at exit cannot raise a second BrokenPipeError."""
    with contextlib.suppress(OSError, ValueError):
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())


class TxcalGroup(click.Group):
    """Turns every TxcalError into `Error: ...` on stderr and exit 1, in this one place; loads commands as they are asked for."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted(set(self.commands) | set(COMMAND_MODULES))

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name not in self.commands and cmd_name in COMMAND_MODULES:
            importlib.import_module(f"scheduler.cli.{COMMAND_MODULES[cmd_name]}")  # its decorators register it
        return super().get_command(ctx, cmd_name)

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except TxcalError as exc:
            raise click.ClickException(str(exc)) from None
        except (click.ClickException, click.exceptions.Exit, click.exceptions.Abort):
            raise
        except BrokenPipeError:
            # The reader went away (`| head`): a quiet exit, as shells expect (128 + SIGPIPE).
            _quiet_stdout()
            raise click.exceptions.Exit(141) from None
        except Exception as exc:
            # A bug of txcal's, not the user's: one line and exit 1, never a traceback on their screen
            # (TXCAL_DEBUG=1 shows it). The tests fail on this message wherever they see it.
            if os.environ.get("TXCAL_DEBUG"):
                raise
            raise click.ClickException(
                f"txcal failed unexpectedly ({type(exc).__name__}: {exc}); nothing was written. "
                "Please report it with the command you ran (TXCAL_DEBUG=1 shows the details)."
            ) from None


def load_catalog(template_dirs: tuple[str, ...]) -> Catalog:
    catalog, notes = open_catalog(template_dirs)
    for note in notes:
        click.echo(f"Note: {note}", err=True)
    return catalog


@click.group(cls=TxcalGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="txcal")
def main() -> None:
    """Treatment-schedule calendars for sarcoma immunotherapy regimens.

    txcal is a scheduling aid: confirm every date and dose with your care team.
    """


def spec_from_options(drug: str | None, options: dict[str, Any]) -> PlanSpec:
    """Return the plan the command-line options describe."""
    if drug is None or options["start"] is None:
        raise click.UsageError("give DRUG and --start, or --plan-file FILE")
    values = {o.name: options[o.name] for o in PLAN_FLAGS}
    if values["time"] is not None and values["tz"] is None and values["clinic_profile"] is None:
        values["tz"] = machine_zone_name()
        if values["tz"] is None:
            raise click.UsageError("cannot tell this machine's time zone by name: add --tz, e.g. --tz America/New_York")
        click.echo(
            f"Note: --time without --tz: appointments are in this machine's zone, {values['tz']}; "
            "add --tz to choose the clinic's.",
            err=True,
        )
    elif values["time"] is None and values["tz"] is not None:
        click.echo("Note: --tz has no effect without --time; events are all-day.", err=True)
    return PlanSpec(drug=drug, **values)


def plan_spec_from(ctx: click.Context, drug: str | None, plan_file: Path | None, options: dict[str, Any]) -> PlanSpec:
    """Return the plan a command names: a plan file, or DRUG and the plan options, never both."""
    if plan_file is None:
        return spec_from_options(drug, options)
    given = [o.name for o in PLAN_FLAGS if ctx.get_parameter_source(o.name) is click.core.ParameterSource.COMMANDLINE]
    if drug is not None or given:
        raise click.UsageError("give the plan in --plan-file or on the command line, not both")
    return spec_from_file(plan_file)


def expand_plan(spec: PlanSpec, template_dirs: tuple[str, ...]) -> Plan:
    planner = Planner(template_dirs)
    result = planner(spec)
    show_notes(planner)
    return result


def show_notes(planner: Planner) -> None:
    """Show the notes planning gave (a user's template replacing a shipped one, what to confirm)."""
    for note in planner.notes:
        click.echo(f"Note: {note}", err=True)


def current_day() -> date:
    """Return today, or TXCAL_TODAY when set (for reproducible previews and tests)."""
    fixed = os.environ.get("TXCAL_TODAY")
    if fixed:
        try:
            return date.fromisoformat(fixed)
        except ValueError:
            raise TxcalError(f"TXCAL_TODAY={fixed!r} is not a date: write it as YYYY-MM-DD or unset it") from None
    return date.today()  # noqa: DTZ011  (the user's own calendar day)


def time_stamp() -> datetime:
    """Return the time stamp for new and changed events: SOURCE_DATE_EPOCH when set, else now."""
    epoch = os.environ.get("SOURCE_DATE_EPOCH")
    if epoch:
        try:
            return datetime.fromtimestamp(int(epoch), UTC)
        except ValueError:
            raise TxcalError(
                f"SOURCE_DATE_EPOCH={epoch!r} is not a whole number of seconds; unset it or fix it"
            ) from None
    return datetime.now(UTC).replace(microsecond=0)


def on_terminal(to_stdout: bool = True) -> bool:
    """Return whether a view is shown on a terminal now (stdout, not piped)."""
    return to_stdout and sys.stdout.isatty()


def view_width(to_stdout: bool = True) -> int:
    """Return the columns a view may use: the terminal's width, or 80 when piped or written to a file."""
    return max(shutil.get_terminal_size().columns, 40) if on_terminal(to_stdout) else 80


def colour_on(to_stdout: bool = True) -> bool:
    """Return whether to colour a view: on a terminal, unless NO_COLOR is set."""
    return on_terminal(to_stdout) and "NO_COLOR" not in os.environ
