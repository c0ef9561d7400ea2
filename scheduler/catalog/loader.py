"""Find, load and validate regimen templates (TOML, schema 1) into Regimen records.

Shipped templates live in the `scheduler.templates` package; users add folders of their own
with `--templates DIR` or the TXCAL_TEMPLATES variable. A user template with a shipped id
replaces the shipped one, and the caller is told so.
"""

from __future__ import annotations

import dataclasses
import importlib.util
import os
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from scheduler import caches
from scheduler.catalog.tomlcheck import TableReader, read_toml
from scheduler.errors import TemplateError, TxcalError
from scheduler.model import (
    AUDIENCES,
    EVENT_KINDS,
    SOURCE_MARKS,
    Anchor,
    Dose,
    Duration,
    Fact,
    Notes,
    Regimen,
    Schedule,
    Source,
    Step,
)
from scheduler.units import parse_interval, parse_minutes, parse_period, parse_window

SCHEMA = 1
TEMPLATES_ENV = "TXCAL_TEMPLATES"

_TOP_KEYS = {
    "schema",
    "id",
    "title",
    "drug",
    "ingredient",
    "brands",
    "aliases",
    "route",
    "population",
    "who",
    "event_title",
    "duration",
    "schedules",
    "anchor",
    "steps",
    "slot",
    "notes",
    "sources",
}
_DURATION_RULES = ("open-ended", "months", "doses", "once")


def _read_dose(table: TableReader | None) -> Dose | None:
    if table is None:
        return None
    if table.has("text"):
        if any(table.has(k) for k in ("amount", "unit", "per", "max", "with")):
            table.problems.append(f"{table.where}: give either text or amount and unit, not both")
        low, high, ucum = table.number("low"), table.number("high"), table.text("ucum") or None
        if (low is None, high is None, ucum is None) not in ((True, True, True), (False, False, False)):
            table.problems.append(f"{table.where}: a text dose's range needs low, high and ucum together")
        elif low is not None and high is not None and low > high:
            table.problems.append(f"{table.where}: a text dose's range has low above high")
        span = None if low is None or high is None or ucum is None else (low, high, ucum)
        return Dose(text=table.text("text"), span=span, patient=table.text("patient") or None)
    amount = table.number("amount", required=True)
    unit = table.text("unit", required=True)
    per = table.choice("per", ("kg", "m²")) or None
    cap = table.number("max")
    if cap is not None and per is None:
        table.problems.append(f"{table.path('max')}: a cap applies only to a dose per kg or m²")
    return Dose(amount=amount, unit=unit, per=per, max=cap, with_=table.text("with") or None)


# A note line with its own sources: the signs of one kind of problem (a heading and items), the
# emergency line, the tests the patient will have, a question asked before the first dose.
LINE_KINDS = ("signs", "emergency", "tests", "ask")


def _read_line(table: TableReader) -> Fact:
    kind = table.choice("kind", LINE_KINDS, required=True)
    return Fact(kind, (table.text("text", required=True), *table.texts("items")), table.texts("sources"))


def _read_notes(table: TableReader | None) -> Notes:
    if table is None:
        return Notes()
    return Notes(
        lines=tuple(_read_line(t) for t in table.tables("lines", {"kind", "text", "items", "sources"})),
        expect=table.text("expect"),
        report=table.texts("report"),
        call=table.text("call"),
        missed=table.text("missed"),
        clinician=table.texts("clinician"),
        sources=table.texts("sources"),
    )


_NOTE_KEYS = {"expect", "report", "call", "missed", "clinician", "sources", "lines"}
_DOSE_KEYS = {"amount", "unit", "per", "max", "with", "text", "low", "high", "ucum", "patient"}


def _minutes(table: TableReader, key: str, required: bool = False) -> int | None:
    parsed = table.parsed(key, parse_minutes, 'a length like "30min" or "1h"', required)
    return None if parsed is None else parsed[1]


def _read_schedule(table: TableReader) -> Schedule | None:
    every = table.parsed("every", parse_interval, 'an interval like "3w" or "10d"', required=True)
    dose = _read_dose(table.table("dose", _DOSE_KEYS, required=True))
    length = _minutes(table, "length", required=True)
    first = _minutes(table, "length_first")
    given = table.text("given")
    sources = table.texts("sources")
    window = table.parsed("window", parse_window, 'a window like "-3,+3"')
    if every is None or dose is None or length is None:
        return None
    return Schedule(every[1], every[0], dose, first, length, given, sources, None if window is None else window[1])


def _read_step(table: TableReader) -> Step | None:
    key = table.text("key", required=True)
    kind = table.choice("kind", EVENT_KINDS, required=True)
    title = table.text("title", required=True)
    on = table.choice("on", ("start",))
    day = table.integer("day")
    if day == 0:
        table.bad("day", "a non-zero day number (there is no Day 0)")
    days, span = table.day_range("days"), table.day_range("span")
    placements = [k for k in ("on", "day", "days", "span") if table.has(k)]
    if len(placements) != 1:
        table.problems.append(
            f"{table.where}: expected exactly one of on, day, days, span; got " + (", ".join(placements) or "none")
        )
    all_day = bool(table.get("all_day", bool, "true or false"))
    step = Step(
        key=key,
        kind=kind,
        title=title,
        on_start=on == "start",
        day=day,
        days=days,
        span=span,
        all_day=all_day or span is not None,
        audience=table.choice("audience", AUDIENCES) or "patient",
        length_min=_minutes(table, "length"),
        dose=_read_dose(table.table("dose", _DOSE_KEYS)),
        route=table.text("route"),
        notes=_read_notes(table.table("notes", _NOTE_KEYS)),
        unconfirmed=table.text("unconfirmed"),
        extendable=bool(table.get("extendable", bool, "true or false")),
        sources=table.texts("sources"),
        clinic=bool(table.get("clinic", bool, "true or false")),
    )
    if step.extendable and step.days is None:
        table.problems.append(f"{table.path('extendable')}: only a step placed with days can be extended")
    return step


def _read(data: dict[str, Any], path: Path) -> Regimen:
    problems: list[str] = []
    top = TableReader(data, "", problems, _TOP_KEYS)
    top.schema(SCHEMA, "template")
    regimen_id = top.text("id", required=True)
    if regimen_id and regimen_id != path.stem:
        top.bad("id", f'"{path.stem}", the file name without .toml')

    fields: dict[str, Any] = {
        "id": regimen_id,
        "title": top.text("title", required=True),
        "drug": top.text("drug", required=True),
        "ingredient": top.text("ingredient") or top.text("drug"),
        "route": top.text("route", required=True),
        "population": top.choice("population", ("adult", "pediatric"), required=True),
        "notes": _read_notes(top.table("notes", _NOTE_KEYS)),
        "brands": top.texts("brands"),
        "aliases": top.texts("aliases"),
        "who": top.text("who"),
        "event_title": top.text("event_title"),
    }

    duration_table = top.table(
        "duration", {"rule", "text", "patient", "months", "doses", "horizon", "horizon_text"}, required=True
    )
    duration = None
    if duration_table is not None:
        rule = duration_table.choice("rule", _DURATION_RULES, required=True)
        horizon = duration_table.parsed(
            "horizon", parse_period, 'a period like "1y" or "6m"', required=rule == "open-ended"
        )
        duration = Duration(
            rule=rule,
            text=duration_table.text("text", required=True),
            months=duration_table.integer("months", required=rule == "months"),
            doses=duration_table.integer("doses", required=rule == "doses"),
            horizon=None if horizon is None else horizon[0],
            horizon_text=duration_table.text("horizon_text"),
            patient=duration_table.text("patient"),
        )

    sources = []
    for table in top.tables("sources", {"id", "address", "supports", "mark", "checked"}):
        sources.append(
            Source(
                id=table.text("id", required=True),
                address=table.text("address", required=True),
                supports=table.text("supports", required=True),
                mark=table.choice("mark", SOURCE_MARKS, required=True),
                checked=table.text("checked"),
            )
        )
    if not sources:
        problems.append("sources: missing; every template names its sources ([[sources]])")
    source_ids = {s.id for s in sources}

    schedule_keys = {"every", "dose", "length", "length_first", "given", "sources", "window"}
    schedules = [_read_schedule(t) for t in top.tables("schedules", schedule_keys)]
    step_keys = {
        "key",
        "kind",
        "title",
        "on",
        "day",
        "days",
        "span",
        "all_day",
        "audience",
        "length",
        "dose",
        "route",
        "notes",
        "unconfirmed",
        "extendable",
        "sources",
        "clinic",
    }
    steps = [_read_step(t) for t in top.tables("steps", step_keys)]
    anchor_keys = {"title", "default_after", "unconfirmed", "default_unconfirmed", "min_after", "min_after_text"}
    anchor_table = top.table("anchor", anchor_keys)
    anchor = None
    if anchor_table is not None:
        after = anchor_table.parsed("default_after", parse_interval, 'an interval like "6w"', required=True)
        least = anchor_table.parsed("min_after", parse_interval, 'an interval like "30d"')
        anchor = Anchor(
            title=anchor_table.text("title", required=True),
            default_after_days=0 if after is None else after[1],
            default_after="" if after is None else after[0],
            unconfirmed=anchor_table.text("unconfirmed"),
            default_unconfirmed=anchor_table.text("default_unconfirmed"),
            min_after_days=None if least is None else least[1],
            min_after_text=anchor_table.text("min_after_text", required=least is not None),
        )
    slot = _minutes(top, "slot")

    if bool(schedules) == bool(steps):
        problems.append("expected either [[schedules]] (repeating doses) or [[steps]] (a pathway), not both or neither")
    if steps and anchor is None and any(s and not s.on_start for s in steps):
        problems.append("anchor: missing; steps placed by day number need an [anchor] table")
    keys = [s.key for s in steps if s]
    for key in sorted({k for k in keys if keys.count(k) > 1}):
        problems.append(f"steps: key {key!r} is used twice; step keys name events and must be unique")
    for where, refs in (
        [(f"schedules[{i}]", s.sources) for i, s in enumerate(schedules, 1) if s]
        + [(f"steps[{i}]", s.sources) for i, s in enumerate(steps, 1) if s]
        + [("notes", fields["notes"].sources)]
        + [(f"notes.lines[{i}]", f.sources) for i, f in enumerate(fields["notes"].lines, 1)]
        + [(f"steps[{i}].notes.lines", f.sources) for i, s in enumerate(steps, 1) if s for f in s.notes.lines]
    ):
        for ref in refs:
            if ref not in source_ids:
                problems.append(f"{where}.sources: {ref!r} is not the id of any [[sources]] entry")
    for i, step in enumerate(steps, 1):
        if step and not step.all_day and step.length_min is None and slot is None:
            problems.append(
                f"steps[{i}]: a timed step needs a length, or the template a slot (the calendar block used when the label gives no length)"
            )

    if problems:
        raise TemplateError(str(path), problems)
    assert duration is not None
    return Regimen(
        **fields,
        duration=duration,
        sources=tuple(sources),
        schedules=tuple(s for s in schedules if s),
        anchor=anchor,
        steps=tuple(s for s in steps if s),
        slot_min=slot,
        path=str(path),
    )


def load_template(path: Path | str, origin: str = "user") -> Regimen:
    """Load and validate one template file.

    Args:
        path: the .toml file.
        origin: "shipped" or "user", kept on the Regimen for listings.

    Returns:
        The validated Regimen.

    Raises:
        TemplateError: the file is unreadable, not TOML, or breaks schema 1; lists every problem.
    """
    path = Path(path)
    data = read_toml(path, "the template")
    return dataclasses.replace(_read(data, path), origin=origin)


def shipped_template_paths() -> list[Path]:
    """Return the template files installed with txcal, sorted by name."""
    spec = importlib.util.find_spec("scheduler.templates")
    if spec is not None and spec.submodule_search_locations:
        folder = Path(next(iter(spec.submodule_search_locations)))  # installed package data
    else:
        # Run from a source checkout (`python -m scheduler` in the clone), where templates/ sits
        # beside the package instead of being mapped into it as the install does.
        folder = Path(__file__).resolve().parents[2] / "templates"
    return sorted(folder.glob("*.toml"))


def user_template_dirs(extra: Iterable[str] = ()) -> list[Path]:
    """Return user template folders: those given, then those in TXCAL_TEMPLATES (os.pathsep-separated)."""
    env = os.environ.get(TEMPLATES_ENV, "")
    return [Path(d) for d in [*extra, *env.split(os.pathsep)] if d]


def templates_state(template_dirs: Iterable[str] = ()) -> tuple[Any, ...]:
    """Return what a catalog loaded from these folders is kept by: every template file and its state, so an
    edited, added or removed template is read again by a long-running process."""
    paths = [*shipped_template_paths()]
    for folder in user_template_dirs(template_dirs):
        paths += sorted(folder.glob("*.toml")) if folder.is_dir() else [folder]
    return tuple((str(path), caches.file_state(path)) for path in paths)


@dataclass(frozen=True)
class Catalog:
    """Every regimen txcal knows, and the shipped ids that user templates replaced."""

    regimens: tuple[Regimen, ...]
    replaced: tuple[str, ...] = ()

    def get(self, regimen_id: str) -> Regimen | None:
        return next((r for r in self.regimens if r.id == regimen_id), None)


def load_regimens(template_dirs: Iterable[str] = ()) -> Catalog:
    """Load the shipped templates and any user folders; user templates win on a shared id.

    Raises:
        TxcalError: a user folder does not exist.
        TemplateError: a template is invalid (the first invalid file, with all its problems).
    """
    by_id = {r.id: r for r in (load_template(p, "shipped") for p in shipped_template_paths())}
    replaced = []
    for folder in user_template_dirs(template_dirs):
        if not folder.is_dir():
            raise TxcalError(f"template folder {folder} does not exist; check --templates or {TEMPLATES_ENV}")
        for path in sorted(folder.glob("*.toml")):
            regimen = load_template(path, "user")
            if by_id.get(regimen.id) and by_id[regimen.id].origin == "shipped":
                replaced.append(regimen.id)
            by_id[regimen.id] = regimen
    return Catalog(tuple(sorted(by_id.values(), key=lambda r: r.id)), tuple(replaced))
