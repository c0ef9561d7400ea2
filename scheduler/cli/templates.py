"""`txcal regimens`, `show`, `validate` and `check`: templates and calendar files."""

from __future__ import annotations

from pathlib import Path

import click

from scheduler.app.regimen_templates import (
    check_calendars,
    find_template,
    regimens_text,
    template_text,
    validate_templates,
)
from scheduler.cli.main import load_catalog, main, view_width
from scheduler.cli.params import (
    complete_names,
    templates_option,
)


@main.command(short_help="List the regimen templates (of one drug).")
@click.argument("drug", required=False, shell_complete=complete_names)
@click.option("--json", "as_json", is_flag=True, help="Print the templates as JSON.")
@click.option(
    "--translations", is_flag=True, help="Show each template's Spanish (es-US) patient messages: translated, reviewed."
)
@templates_option
def regimens(drug: str | None, as_json: bool, translations: bool, template_dirs: tuple[str, ...]) -> None:
    """List the regimen templates (id, drug, brand, route, dose, interval), or those of DRUG."""
    if translations:
        from scheduler.i18n.review import review_states, review_text

        found = [
            r
            for r in load_catalog(template_dirs).regimens
            if drug is None or drug.casefold() in (n.casefold() for n in (*r.names(), r.ingredient))
        ]
        click.echo(review_text(review_states(found)), nl=False)
        return
    click.echo(regimens_text(load_catalog(template_dirs), drug, as_json, view_width()), nl=False)


@main.command(short_help="Show one template, its schedules or steps, sources.")
@click.argument("regimen", shell_complete=complete_names)
@click.option("--json", "as_json", is_flag=True, help="Print the template as JSON.")
@click.option(
    "--sources", "by_source", is_flag=True, help="List every fact with its source, mark and the revision checked."
)
@templates_option
def show(regimen: str, as_json: bool, by_source: bool, template_dirs: tuple[str, ...]) -> None:
    """Show one regimen template with its schedules or steps and its sources."""
    found = find_template(load_catalog(template_dirs), regimen)
    click.echo(template_text(found, as_json, by_source, view_width()), nl=False)


@main.command(short_help="Check template files; exit 1 on any problem.")
@click.argument("paths", nargs=-1, required=True, type=click.Path(path_type=Path))
def validate(paths: tuple[Path, ...]) -> None:
    """Check template files (or folders of them); exit 1 if any has a problem."""
    files = [f for p in paths for f in (sorted(p.glob("*.toml")) if p.is_dir() else [p])]
    if not files:
        raise click.UsageError("no .toml files in the folders given")
    failed = 0
    for line, ok in validate_templates(files):
        failed += not ok
        click.echo(line)
    if failed:
        raise click.ClickException(f"{failed} of {len(files)} template files have problems")


@main.command(short_help="Check .ics files; exit 1 on any problem.")
@click.argument("files", nargs=-1, required=True, type=click.Path(path_type=Path))
def check(files: tuple[Path, ...]) -> None:
    """Check .ics files for what calendar apps need and parsers do not check; exit 1 on any problem.

    CRLF line endings, lines of at most 75 octets, unique UIDs, DTSTAMP in UTC, DTEND after
    DTSTART and of the same type, a VTIMEZONE for every TZID, no METHOD, and VTIMEZONE offsets
    that agree with zoneinfo at the file's dates.
    """
    failed = 0
    for path, problems in check_calendars(files):
        for problem in problems:
            click.echo(f"{path}: {problem}")
        if problems:
            failed += 1
        else:
            click.echo(f"{path}: ok")
    if failed:
        raise click.ClickException(f"{failed} of {len(files)} files have problems")
