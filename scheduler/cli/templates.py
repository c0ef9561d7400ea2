"""`txcal regimens`, `show`, `validate` and `check`: templates and calendar files."""

from __future__ import annotations

import json
from pathlib import Path

import click

from scheduler.catalog.loader import Catalog, load_template
from scheduler.catalog.lookup import matching_templates, normalize, not_found_message
from scheduler.cli.main import load_catalog, main, view_width
from scheduler.cli.params import (
    complete_names,
    templates_option,
)
from scheduler.errors import RegimenNotFound, TemplateError, TxcalError
from scheduler.files import read_input
from scheduler.model import Regimen


@main.command(short_help="List the regimen templates (of one drug).")
@click.argument("drug", required=False, shell_complete=complete_names)
@click.option("--json", "as_json", is_flag=True, help="Print the templates as JSON.")
@templates_option
def regimens(drug: str | None, as_json: bool, template_dirs: tuple[str, ...]) -> None:
    """List the regimen templates (id, drug, brand, route, dose, interval), or those of DRUG."""
    from scheduler.writers.regimens import regimen_to_dict, render_regimens

    catalog = load_catalog(template_dirs)
    chosen = list(catalog.regimens)
    if drug is not None:
        chosen = matching_templates(catalog, drug)
        if not chosen:
            raise RegimenNotFound(not_found_message(catalog, drug, "txcal regimens {name}"))
    if as_json:
        click.echo(json.dumps([regimen_to_dict(r) for r in chosen], indent=2, ensure_ascii=False))
    else:
        click.echo(render_regimens(chosen, view_width()), nl=False)


def _find_template(catalog: Catalog, name: str) -> Regimen:
    found = catalog.get(name) or catalog.get(normalize(name))
    if found:
        return found
    matches = [r for r in catalog.regimens if normalize(name) in {normalize(n) for n in r.names()}]
    adults = [r for r in matches if r.population == "adult"]
    # As in `plan`, a name shared by adult and pediatric templates means the adult one.
    if len(matches) == 1 or len(adults) == 1:
        return (adults or matches)[0]
    if matches:
        raise RegimenNotFound(f"{name} names several templates: {', '.join(r.id for r in matches)}; show one by its id")
    raise RegimenNotFound(not_found_message(catalog, name, "txcal show {name}"))


@main.command(short_help="Show one template, its schedules or steps, sources.")
@click.argument("regimen", shell_complete=complete_names)
@click.option("--json", "as_json", is_flag=True, help="Print the template as JSON.")
@click.option(
    "--sources", "by_source", is_flag=True, help="List every fact with its source, mark and the revision checked."
)
@templates_option
def show(regimen: str, as_json: bool, by_source: bool, template_dirs: tuple[str, ...]) -> None:
    """Show one regimen template with its schedules or steps and its sources."""
    from scheduler.writers.regimens import regimen_to_dict, render_regimen, render_sources

    found = _find_template(load_catalog(template_dirs), regimen)
    if by_source:
        click.echo(render_sources(found, view_width()), nl=False)
    elif as_json:
        click.echo(json.dumps(regimen_to_dict(found), indent=2, ensure_ascii=False))
    else:
        click.echo(render_regimen(found, view_width()), nl=False)


@main.command(short_help="Check template files; exit 1 on any problem.")
@click.argument("paths", nargs=-1, required=True, type=click.Path(path_type=Path))
def validate(paths: tuple[Path, ...]) -> None:
    """Check template files (or folders of them); exit 1 if any has a problem."""
    files = [f for p in paths for f in (sorted(p.glob("*.toml")) if p.is_dir() else [p])]
    if not files:
        raise click.UsageError("no .toml files in the folders given")
    failed = 0
    for path in files:
        try:
            regimen = load_template(path)
        except TemplateError as exc:
            failed += 1
            click.echo(str(exc))
        else:
            click.echo(f"{path}: ok ({regimen.id})")
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
    from scheduler.writers.ical.check import check_ics

    failed = 0
    for path in files:
        try:
            problems = check_ics(read_input(path))
        except TxcalError as exc:
            problems = [str(exc).removeprefix(f"{path} ")]
        for problem in problems:
            click.echo(f"{path}: {problem}")
        if problems:
            failed += 1
        else:
            click.echo(f"{path}: ok")
    if failed:
        raise click.ClickException(f"{failed} of {len(files)} files have problems")
