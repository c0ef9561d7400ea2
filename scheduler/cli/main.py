"""The `txcal` command: wires templates, engine and writers together; the only importer of click."""

from __future__ import annotations

import dataclasses
import json
import os
import shutil
import sys
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import click

from scheduler import __version__
from scheduler.app.output import write_plan
from scheduler.app.plans import plan_from_spec, plan_notes
from scheduler.catalog.loader import Catalog, load_regimens, load_template
from scheduler.catalog.lookup import matching_templates, normalize, not_found_message
from scheduler.cli.params import (
    DATE,
    PLAN_FLAGS,
    REMINDERS,
    Parsed,
    click_type,
    complete_names,
    plan_options,
    templates_option,
)
from scheduler.errors import RegimenNotFound, TemplateError, TxcalError
from scheduler.inputs.plan_spec import PlanSpec, RecordSpec
from scheduler.model import Plan, Regimen
from scheduler.options import BY_NAME
from scheduler.units import machine_zone_name
from scheduler.writers.registry import FORMATS, Format, View, format_for_suffix, known_suffixes


class TxcalGroup(click.Group):
    """Turns every TxcalError into `Error: ...` on stderr and exit 1, in this one place."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except TxcalError as exc:
            raise click.ClickException(str(exc)) from None


def _catalog(template_dirs: tuple[str, ...]) -> Catalog:
    catalog = load_regimens(template_dirs)
    for regimen_id in catalog.replaced:
        replacement = catalog.get(regimen_id)
        assert replacement is not None
        click.echo(f"Note: your template {replacement.path} replaces the shipped {regimen_id!r}.", err=True)
    return catalog


@click.group(cls=TxcalGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="txcal")
def main() -> None:
    """Treatment-schedule calendars for sarcoma immunotherapy regimens.

    txcal is a scheduling aid: confirm every date and dose with your care team.
    """


def _spec_from_options(drug: str | None, options: dict[str, Any]) -> PlanSpec:
    """Return the plan the command-line options describe."""
    if drug is None or options["start"] is None:
        raise click.UsageError("give DRUG and --start, or --plan-file FILE")
    values = {o.name: options[o.name] for o in PLAN_FLAGS}
    if values["time"] is not None and values["tz"] is None:
        values["tz"] = machine_zone_name()
        if values["tz"] is None:
            raise click.UsageError("cannot tell this machine's time zone by name: add --tz, e.g. --tz America/New_York")
    elif values["time"] is None and values["tz"] is not None:
        click.echo("Note: --tz has no effect without --time; events are all-day.", err=True)
    return PlanSpec(drug=drug, **values)


def _plan_from(ctx: click.Context, drug: str | None, plan_file: Path | None, options: dict[str, Any]) -> PlanSpec:
    """Return the plan a command names: a plan file, or DRUG and the plan options, never both."""
    if plan_file is None:
        return _spec_from_options(drug, options)
    from scheduler.inputs.plan_file import load_plan

    given = [o.name for o in PLAN_FLAGS if ctx.get_parameter_source(o.name) is click.core.ParameterSource.COMMANDLINE]
    if drug is not None or given:
        raise click.UsageError("give the plan in --plan-file or on the command line, not both")
    return load_plan(plan_file)


def _expand(spec: PlanSpec, template_dirs: tuple[str, ...]) -> Plan:
    result = plan_from_spec(spec, _catalog(template_dirs))
    for note in plan_notes(result, spec):
        click.echo(f"Note: {note}", err=True)
    return result


@main.command()
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
    help="text: timeline by month; month: calendar grids; json; csv; ics (default: from the -o suffix, else text).",
)
@click.option("--next", "next_count", type=click.IntRange(min=1), help="Show only the next N events from today.")
@click.option("--from", "first", type=DATE, help="Show only events on or after this date.")
@click.option("--to", "last", type=DATE, help="Show only events on or before this date.")
@click.option("--today", type=DATE, help="Count from this day instead of today (also TXCAL_TODAY).")
@click.option("-o", "--output", help="Write to this file (.ics, .json, .csv, .txt); - is stdout.")
@click.option("--remind", type=REMINDERS, help="Calendar reminders before each event, e.g. 1d,2h (.ics only).")
@click.option(
    "--force", is_flag=True, help="Replace an output file that holds another plan or was not written by txcal."
)
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
    remind: list[timedelta] | None,
    force: bool,
    template_dirs: tuple[str, ...],
    **options: Any,
) -> None:
    """Expand DRUG (a regimen id, generic or brand name) into a dated schedule."""
    from scheduler.engine.selection import select_events

    result = _expand(_plan_from(ctx, drug, plan_file, options), template_dirs)
    path = None if output in (None, "-") else Path(output)
    chosen = FORMATS[fmt] if fmt else _format_for(path)
    if remind and not chosen.reminders:
        click.echo("Note: --remind applies to .ics output only.", err=True)
    day = today or _today()
    if first and last and last < first:
        raise click.UsageError(f"--to {last} is before --from {first}: give a later --to")
    shown = select_events(result, day, next_count, first, last)
    if chosen.whole_plan and shown is not result:
        raise click.UsageError("--next, --from and --to narrow a view; an .ics export always holds the whole plan")
    interactive = path is None and sys.stdout.isatty()
    view = View(
        today=day,
        stamp=_stamp(),
        width=shutil.get_terminal_size().columns if interactive else 80,
        color=interactive and "NO_COLOR" not in os.environ,
        reminders=tuple(remind or ()),
    )
    if path is None:
        click.echo(chosen.render(shown, view).data, nl=False)
    else:
        click.echo(write_plan(path, chosen, shown, view, force), err=True)


def _format_for(path: Path | None) -> Format:
    """Return the output format a file name asks for; text when there is no file."""
    if path is None:
        return FORMATS["text"]
    found = format_for_suffix(path.suffix)
    if found is None:
        known = ", ".join(known_suffixes())
        raise click.UsageError(f"cannot tell the format of {path.name}: name it {known}, or add --format")
    return found


def _today() -> date:
    """Return today, or TXCAL_TODAY when set (for reproducible previews and tests)."""
    fixed = os.environ.get("TXCAL_TODAY")
    if fixed:
        try:
            return date.fromisoformat(fixed)
        except ValueError:
            raise TxcalError(f"TXCAL_TODAY={fixed!r} is not a date: write it as YYYY-MM-DD or unset it") from None
    return date.today()  # noqa: DTZ011  (the user's own calendar day)


def _stamp() -> datetime:
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


@main.command()
@click.argument("drug", required=False, shell_complete=complete_names)
@click.option("--json", "as_json", is_flag=True, help="Print the templates as JSON.")
@templates_option
def regimens(drug: str | None, as_json: bool, template_dirs: tuple[str, ...]) -> None:
    """List the regimen templates (id, drug, brand, route, dose, interval), or those of DRUG."""
    from scheduler.writers.regimens import regimen_to_dict, render_regimens

    catalog = _catalog(template_dirs)
    chosen = list(catalog.regimens)
    if drug is not None:
        chosen = matching_templates(catalog, drug)
        if not chosen:
            raise RegimenNotFound(not_found_message(catalog, drug, "txcal regimens {name}"))
    if as_json:
        click.echo(json.dumps([regimen_to_dict(r) for r in chosen], indent=2, ensure_ascii=False))
    else:
        click.echo(render_regimens(chosen), nl=False)


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


@main.command()
@click.argument("regimen", shell_complete=complete_names)
@click.option("--json", "as_json", is_flag=True, help="Print the template as JSON.")
@templates_option
def show(regimen: str, as_json: bool, template_dirs: tuple[str, ...]) -> None:
    """Show one regimen template with its schedules or steps and its sources."""
    from scheduler.writers.regimens import regimen_to_dict, render_regimen

    found = _find_template(_catalog(template_dirs), regimen)
    if as_json:
        click.echo(json.dumps(regimen_to_dict(found), indent=2, ensure_ascii=False))
    else:
        click.echo(render_regimen(found), nl=False)


@main.command()
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


@main.command()
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
            problems = check_ics(path.read_bytes())
        except OSError as exc:
            problems = [f"cannot read the file ({exc.strerror})"]
        for problem in problems:
            click.echo(f"{path}: {problem}")
        if problems:
            failed += 1
        else:
            click.echo(f"{path}: ok")
    if failed:
        raise click.ClickException(f"{failed} of {len(files)} files have problems")


@main.group()
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
_REASON = click.option("--reason", default="", help="Why, in a few words (kept in the file and shown in the calendar).")


@record.command("new")
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
    spec = _spec_from_options(drug, options)
    if spec.closed:
        # Kept relative to the plan file, so the file and its closures can move together.
        closed = os.path.relpath(Path(spec.closed).resolve(), plan_file.resolve().parent)
        spec = dataclasses.replace(spec, closed=closed, base=plan_file.parent)
    built = _expand(spec, template_dirs)
    # Fix the plan's identity now, so later records and re-exports keep every event's UID.
    spec = dataclasses.replace(spec, plan_id=built.plan_id)
    save_plan(spec, plan_file)
    click.echo(f"Wrote {plan_file}: {built.regimen.id}, first day {spec.start}.", err=True)


def _record(plan_file: Path, entry: RecordSpec, template_dirs: tuple[str, ...]) -> None:
    """Add a record to a plan file once the plan still expands with it, and say what follows."""
    from scheduler.inputs.plan_file import add_record, load_plan, save_plan

    spec = add_record(load_plan(plan_file), dataclasses.replace(entry, recorded=_today()))
    result = _expand(spec, template_dirs)
    save_plan(spec, plan_file)
    click.echo(f"Recorded in {plan_file}: {entry.describe()}.", err=True)
    upcoming = [e for e in result.events if e.status == "planned" and e.first_day >= _today()]
    if upcoming:
        nxt = upcoming[0]
        moved = f" ({nxt.reason})" if nxt.reason else ""
        click.echo(f"Next planned: {nxt.title} on {nxt.first_day:%a %Y-%m-%d}{moved}.", err=True)
    else:
        click.echo("Nothing planned from today on.", err=True)


@record.command("given")
@_PLAN_FILE
@click.argument("dose", type=click.IntRange(min=1))
@click.argument("day", metavar="DATE", type=DATE)
@_REASON
@templates_option
def record_given(plan_file: Path, dose: int, day: date, reason: str, template_dirs: tuple[str, ...]) -> None:
    """Dose DOSE was given on DATE; later doses count from it."""
    _record(plan_file, RecordSpec("given", dose=dose, on=day, reason=reason), template_dirs)


@record.command("delay")
@_PLAN_FILE
@click.argument("dose", type=click.IntRange(min=1))
@click.argument("days", type=click.IntRange(1, 90))
@_REASON
@templates_option
def record_delay(plan_file: Path, dose: int, days: int, reason: str, template_dirs: tuple[str, ...]) -> None:
    """Dose DOSE is delayed DAYS days; later doses count from the new date."""
    _record(plan_file, RecordSpec("delay", dose=dose, days=days, reason=reason), template_dirs)


@record.command("hold")
@_PLAN_FILE
@click.argument("dose", type=click.IntRange(min=1))
@_REASON
@templates_option
def record_hold(plan_file: Path, dose: int, reason: str, template_dirs: tuple[str, ...]) -> None:
    """Dose DOSE is held (omitted); the next dose keeps its place."""
    _record(plan_file, RecordSpec("hold", dose=dose, reason=reason), template_dirs)


@record.command("stop")
@_PLAN_FILE
@click.argument("day", metavar="DATE", type=DATE)
@_REASON
@templates_option
def record_stop(plan_file: Path, day: date, reason: str, template_dirs: tuple[str, ...]) -> None:
    """Treatment stopped on DATE; re-exporting cancels the events after it."""
    _record(plan_file, RecordSpec("stop", on=day, reason=reason), template_dirs)


@record.command("switch")
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


@main.command()
@click.argument("patients", type=click.Path(dir_okay=False, path_type=Path))
@click.option(
    "--out-dir", required=True, type=click.Path(file_okay=False, path_type=Path), help="Where to write the calendars."
)
@click.option("--remind", type=REMINDERS, help="Calendar reminders before each event, e.g. 1d,2h.")
@click.option("--force", is_flag=True, help="Replace patient files that hold another plan.")
@templates_option
def batch(
    patients: Path, out_dir: Path, remind: list[timedelta] | None, force: bool, template_dirs: tuple[str, ...]
) -> None:
    """Plan every patient of PATIENTS (CSV): a calendar each, a clinic calendar, a manifest.

    Bad rows are reported with their line number and skipped; the others are written. Exit 1
    when any row failed. Re-running updates each patient's calendar as `txcal plan -o` does.
    """
    from scheduler.app.batch import CLINIC_FILE, MANIFEST_FILE, Settings, run_batch, survey

    total = survey(patients)[0]  # checks the header before anything is written
    _catalog(template_dirs)  # a broken template stops the batch before any row is planned
    try:
        out_dir.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise TxcalError(f"cannot make the folder {out_dir}: {exc.strerror}") from None
    settings = Settings(out_dir, _stamp(), patients.parent, tuple(remind or ()), force, template_dirs)
    if sys.stderr.isatty():
        with click.progressbar(length=total, label="Planning", file=sys.stderr) as bar:
            result = run_batch(patients, settings, bar.update)
    else:
        result = run_batch(patients, settings)
    for outcome in result.failed:
        click.echo(f"{patients}: row {outcome.row}: {outcome.error}", err=True)
    click.echo(
        f"Planned {result.rows - len(result.failed)} of {result.rows} patients ({result.events} events) into "
        f"{out_dir}: one .ics each, {CLINIC_FILE}, {MANIFEST_FILE}.",
        err=True,
    )
    if result.failed:
        raise click.ClickException(
            f"{len(result.failed)} of {result.rows} rows failed; see the lines above and {MANIFEST_FILE}"
        )


def _hours(text: str) -> int:
    """Return the minutes between opening and closing, from "08:00-18:00"."""
    opening, _, closing = text.partition("-")
    minutes = [int(t.split(":")[0]) * 60 + int(t.split(":")[1]) for t in (opening, closing)]
    if minutes[1] <= minutes[0]:
        raise ValueError("closing must come after opening")
    return minutes[1] - minutes[0]


HOURS = Parsed("hours", _hours, "write opening hours like 08:00-18:00")


@main.command()
@click.argument("source", type=click.Path(path_type=Path))
@click.option("--chairs", type=click.IntRange(min=1), help="Infusion chairs; with --hours, flags days over capacity.")
@click.option("--hours", "open_minutes", type=HOURS, default="08:00-18:00", show_default=True, help="Opening hours.")
@click.option("--format", "fmt", type=click.Choice(["text", "csv", "month"]), default="text", show_default=True)
@click.option("--from", "first", type=DATE, help="Count days on or after this date.")
@click.option("--to", "last", type=DATE, help="Count days on or before this date.")
@click.option("--today", type=DATE, help="Mark this day in the month view (also TXCAL_TODAY).")
@templates_option
def load(
    source: Path,
    chairs: int | None,
    open_minutes: int,
    fmt: str,
    first: date | None,
    last: date | None,
    today: date | None,
    template_dirs: tuple[str, ...],
) -> None:
    """Daily load: visits by kind and chair minutes per day, from a patient list or a calendar.

    SOURCE is a patient list (CSV, as for txcal batch), a calendar file, or a batch's output folder
    (its clinic.ics). With --chairs, days whose chair minutes pass chairs x opening hours are flagged.
    """
    from scheduler.app import chair_load as daily

    result = daily.Load(capacity=chairs * open_minutes if chairs else None)
    if source.is_dir():
        from scheduler.app.batch import CLINIC_FILE

        daily.read_ics(source / CLINIC_FILE, result)
    elif source.suffix.lower() == ".ics":
        daily.read_ics(source, result)
    else:
        from scheduler.inputs.patient_list import iter_rows, spec_from_row

        catalog = _catalog(template_dirs)
        for number, cells in iter_rows(source):
            try:
                plan = plan_from_spec(spec_from_row(cells, source.parent), catalog)
            except TxcalError as exc:
                click.echo(f"{source}: row {number} left out: {exc}", err=True)
                continue
            daily.from_events(plan.events, result)
    shown = result.window(first, last)
    if fmt == "csv":
        click.echo(daily.to_csv(shown), nl=False)
    elif fmt == "month":
        interactive = sys.stdout.isatty()
        width = shutil.get_terminal_size().columns if interactive else 80
        color = interactive and "NO_COLOR" not in os.environ
        click.echo(daily.render_months(shown, today or _today(), width, color), nl=False)
    else:
        click.echo(daily.render_table(shown), nl=False)


@main.command()
@click.argument("drug", required=False, shell_complete=complete_names)
@plan_options
@click.option(
    "--to",
    "url",
    required=True,
    help="The CalDAV calendar collection URL, e.g. https://cal.example.org/alice/treatment/.",
)
@click.option("--plan-file", type=click.Path(dir_okay=False, path_type=Path), help="Publish a patient's plan file.")
@click.option(
    "--folder",
    type=click.Path(file_okay=False, exists=True, path_type=Path),
    help="Publish a batch's output folder: each patient's calendar to URL/<file name>/.",
)
@click.option(
    "--credentials",
    type=click.Path(dir_okay=False, path_type=Path),
    help="A file whose first line is user:password (else TXCAL_CALDAV_USER and TXCAL_CALDAV_PASSWORD).",
)
@click.option("--allow-insecure", is_flag=True, help="Allow plain http to another machine.")
@click.option("--overwrite", is_flag=True, help="Replace events edited in a calendar app since txcal wrote them.")
@click.option(
    "--state", type=click.Path(dir_okay=False, path_type=Path), help="Where the events' ETags are kept between runs."
)
@click.option("--remind", type=REMINDERS, help="Calendar reminders before each event, e.g. 1d,2h.")
@templates_option
@click.pass_context
def publish(
    ctx: click.Context,
    /,
    drug: str | None,
    url: str,
    plan_file: Path | None,
    folder: Path | None,
    credentials: Path | None,
    allow_insecure: bool,
    overwrite: bool,
    state: Path | None,
    remind: list[timedelta] | None,
    template_dirs: tuple[str, ...],
    **options: Any,
) -> None:
    """Publish a plan to a CalDAV calendar: one event a resource, updated and cancelled in place.

    Events txcal did not write are left alone; a second run with nothing new changes nothing.
    """
    from scheduler.publishers import caldav

    collection = caldav.check_url(url, allow_insecure)
    user, password = caldav.credentials(credentials)
    if folder is not None:
        _publish_folder(folder, collection, user, password, state, overwrite)
        return
    result = _expand(_plan_from(ctx, drug, plan_file, options), template_dirs)
    server = caldav.Server(collection, user, password)
    report = caldav.publish(
        result, server, _stamp(), state or caldav.default_state(collection, result.plan_id), remind or [], overwrite
    )
    click.echo(report.describe(collection), err=True)
    if report.edited:
        raise click.ClickException("some events were edited in a calendar app and were not replaced (see above)")


def _publish_folder(
    folder: Path, collection: str, user: str, password: str, state: Path | None, overwrite: bool
) -> None:
    """Publish each patient calendar of a batch folder to a collection of its own under `collection`."""
    from scheduler.app.batch import CLINIC_FILE
    from scheduler.publishers import caldav
    from scheduler.writers.ical.read import txcal_plan_id

    # The clinic calendar repeats every patient's events: it is not published beside them.
    files = sorted(p for p in folder.glob("*.ics") if p.name != CLINIC_FILE)
    if not files:
        raise TxcalError(f"{folder} holds no patient calendars: run txcal batch into it first")
    edited = 0
    for path in files:
        data = path.read_bytes()
        target = f"{collection}{path.stem}/"
        plan_id = txcal_plan_id(data) or ""
        state_path = (
            state.with_name(f"{state.stem}-{path.stem}{state.suffix}")
            if state
            else caldav.default_state(target, plan_id)
        )
        try:
            report = caldav.publish_file(data, caldav.Server(target, user, password), _stamp(), state_path, overwrite)
        except caldav.PublishError as exc:
            raise TxcalError(f"{path.name}: {exc}") from None
        click.echo(f"{path.name}: {report.describe(target)}", err=True)
        edited += len(report.edited)
    if edited:
        raise click.ClickException(f"{edited} events were edited in a calendar app and were not replaced (see above)")
