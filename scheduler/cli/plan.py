"""`txcal plan`: expand a plan and show or write it in any registered format."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

import click

from scheduler.app.output import FORMATS, Format, View, format_for_suffix, known_suffixes, write_plan
from scheduler.app.plans import narrowed
from scheduler.cli.main import (
    colour_on,
    current_day,
    expand_plan,
    main,
    on_terminal,
    plan_spec_from,
    time_stamp,
    view_width,
)
from scheduler.cli.params import (
    DATE,
    complete_names,
    plan_options,
    replace_option,
    templates_option,
)
from scheduler.i18n.tags import ENGLISH


@main.command(short_help="Expand a drug or plan file into a dated schedule.")
@click.argument("drug", required=False, shell_complete=complete_names)
@plan_options
@click.option(
    "--plan-file",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Build from a patient's plan file (see txcal record) instead of DRUG and the plan options.",
)
@click.option(
    "--format",
    "fmt",
    type=click.Choice(list(FORMATS)),
    help="text: timeline by month; month: calendar grids; json; csv; ics; html and pdf: the patient's handout; "
    "fhir: a FHIR R4 Bundle (default: from the -o suffix, else text).",
)
@click.option(
    "--paper", type=click.Choice(["a4", "letter"]), default="a4", show_default=True, help="Handout pages (html, pdf)."
)
@click.option("--large-type", "large", is_flag=True, help="Handout in large type (html, pdf).")
@click.option(
    "--width",
    type=click.IntRange(40, 1000),
    help="Columns for text views (default: the terminal's; 80 when piped; a file gets whole lines).",
)
@click.option("--next", "next_count", type=click.IntRange(min=1), help="Show only the next N events from today.")
@click.option("--from", "first", type=DATE, help="Show only events on or after this date.")
@click.option("--to", "last", type=DATE, help="Show only events on or before this date.")
@click.option("--today", type=DATE, help="Count from this day instead of today (also TXCAL_TODAY).")
@click.option("-o", "--output", help=f"Write to this file ({', '.join(known_suffixes())}); - is stdout.")
@click.option(
    "--force", is_flag=True, help="Replace an output file that holds another plan or was not written by txcal."
)
@replace_option("The output file")
@templates_option
@click.pass_context
def plan(
    ctx: click.Context,
    /,
    drug: str | None,
    plan_file: Path | None,
    fmt: str | None,
    next_count: int | None,
    first: date | None,
    last: date | None,
    today: date | None,
    output: str | None,
    force: bool,
    replace: bool,
    paper: str,
    large: bool,
    width: int | None,
    template_dirs: tuple[str, ...],
    **options: Any,
) -> None:
    """Expand DRUG (a regimen id, generic or brand name) into a dated schedule."""
    spec = plan_spec_from(ctx, drug, plan_file, options)
    result = expand_plan(spec, template_dirs)
    path = None if output in (None, "-") else Path(output)
    chosen = FORMATS[fmt] if fmt else _format_for(path)
    asked = ctx.get_parameter_source("remind") is click.core.ParameterSource.COMMANDLINE
    if asked and not chosen.reminders:
        click.echo("Note: --remind applies to .ics output only.", err=True)
    if result.request.language != ENGLISH and not chosen.patient:
        click.echo(
            "Note: the language applies to the patient's calendar and handout (.ics, .html, .pdf) only.", err=True
        )
    day = today or current_day()
    if first and last and last < first:
        raise click.UsageError(f"--to {last} is before --from {first}: give a later --to")
    shown = narrowed(result, day, next_count, first, last)
    if chosen.whole_plan and shown is not result:
        raise click.UsageError("--next, --from and --to narrow a view; an .ics export always holds the whole plan")
    view = View(
        today=day,
        stamp=time_stamp(),
        width=width or (view_width(path is None) if path is None else _UNCUT),
        terminal=on_terminal(path is None),
        color=colour_on(path is None),
        reminders=result.request.reminders,
        paper=paper,
        large=large,
    )
    if path is None:
        click.echo(chosen.render(shown, view).data, nl=False)
    else:
        click.echo(write_plan(path, chosen, shown, view, force, replace), err=True)


# A text view written to a file keeps whole lines: nothing is shortened for a screen it is not on.
_UNCUT = 1000


def _format_for(path: Path | None) -> Format:
    """Return the output format a file name asks for; text when there is no file."""
    if path is None:
        return FORMATS["text"]
    found = format_for_suffix(path.name)
    if found is None:
        known = ", ".join(known_suffixes())
        raise click.UsageError(f"cannot tell the format of {path.name}: name it {known}, or add --format")
    return found
