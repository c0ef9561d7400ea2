"""Plan files: one TOML file per patient with the plan and what happened, kept by `txcal record`.

```toml
schema = 1
drug = "atezolizumab"
every = "3w"
start = 2026-12-01
plan_id = "…"            # fixed when the file is made, so re-exports keep their identities

[clinic]                 # optional
avoid = ["weekends"]
holidays = "US-NY"
closed = "closures.txt"  # relative to this file

[[record]]               # what happened, in the order it was recorded
kind = "given"           # given, delay, hold, stop, switch
dose = 3
date = 2027-01-14
reason = "…"
recorded = 2027-01-14
```
"""

from __future__ import annotations

import dataclasses
import json
import re
from datetime import date, datetime, time
from pathlib import Path
from typing import Any

from scheduler.catalog.tomlcheck import TableReader, read_toml
from scheduler.errors import TemplateError, TxcalError
from scheduler.files import read_existing, write_atomic
from scheduler.inputs.plan_spec import PlanSpec, RecordSpec
from scheduler.model import RECORD_KINDS
from scheduler.options import OPTIONS, PLAN_FILE, PlanOption
from scheduler.units import FIRST_DATE, LAST_DATE, check_text, parse_clock

SCHEMA = 1
_SECTIONS = {section for section in (o.section for o in OPTIONS) if section}
_TOP = {"schema", "record", *_SECTIONS, *(o.key for o in OPTIONS if not o.section)}
_RECORD = {"kind", "dose", "date", "time", "days", "drug", "every", "route", "reason", "recorded"}
# What each kind of record needs (beyond kind, reason and recorded).
_RECORD_NEEDS = {
    "given": {"dose", "date"},
    "delay": {"dose", "days"},
    "hold": {"dose"},
    "stop": {"date"},
    "switch": {"dose", "drug"},
}


def _date(table: TableReader, key: str, required: bool = False) -> date | None:
    value = table.get(key, date, "a date like 2026-12-01 (no quotes)", required)
    if isinstance(value, datetime):  # a TOML date-time is a date too, to Python
        table.bad(key, "a date like 2026-12-01, without a time")
        return None
    if isinstance(value, date) and not FIRST_DATE <= value <= LAST_DATE:
        table.bad(key, f"a date from {FIRST_DATE} to {LAST_DATE}")
        return None
    return value if isinstance(value, date) else None


def _plain(table: TableReader, key: str) -> str:
    """Return a text value that holds no control characters; record a problem if it does."""
    text = table.text(key)
    try:
        return check_text(text)
    except ValueError as exc:
        table.problems.append(f"{table.path(key)}: {exc}")
        return ""


def _as_text(value: object) -> str | None:
    """Return a TOML value as the text an option reads, or None for a table or other structure."""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, (str, int, float, date)):
        return str(value)
    if isinstance(value, list) and all(isinstance(v, str) for v in value):
        return ",".join(value)
    return None


def _read_option(table: TableReader, o: PlanOption) -> Any:
    """Return an option's value from its plan-file key, or its default; record a problem if bad."""
    if not table.has(o.key):
        return o.default
    raw = table.data[o.key]
    text = _as_text(raw)
    wanted_list = o.many and isinstance(raw, list)
    wrong_type = isinstance(raw, bool) != o.is_flag  # false is no country code, 1 is no yes
    if text is None or wrong_type or (o.many and not wanted_list) or (isinstance(raw, list) and not o.many):
        table.bad(o.key, _expected(o))
        return o.default
    try:
        return o.read(text)
    except ValueError as exc:
        table.problems.append(f"{table.path(o.key)}: {exc}; {_expected(o)}, got {raw!r}")
        return o.default


def _expected(o: PlanOption) -> str:
    if o.many:
        return "an array such as [" + ", ".join(f'"{c}"' for c in o.value.choices) + "]"
    if o.value.choices:
        return "one of " + ", ".join(f'"{c}"' for c in o.value.choices)
    if o.value.toml is date:
        return "a date like 2026-12-01 (no quotes)"
    if o.value.toml is bool:
        return "true or false"
    return o.value.hint or f"a {o.value.name}"


def load_plan(path: Path) -> PlanSpec:
    """Read and check a plan file; every problem is reported at once.

    Raises:
        TemplateError: the file is unreadable, not TOML, or breaks the plan-file schema.
    """
    data = read_toml(path, "the plan file")
    problems: list[str] = []
    top = TableReader(data, "", problems, _TOP)
    top.schema(SCHEMA, "plan-file")
    for required in ("drug", "start"):
        if not top.has(required):
            problems.append(f"{required}: missing; a plan file names its drug and start")
    sections = {"": top}
    for section in sorted(_SECTIONS):
        sections[section] = top.table(section, {o.key for o in OPTIONS if o.section == section}) or TableReader(
            {}, section, problems, set()
        )
    values = {o.name: _read_option(sections[o.section], o) for o in OPTIONS}
    records = []
    for table in top.tables("record", _RECORD):
        kind = table.choice("kind", RECORD_KINDS, required=True)
        for key in sorted(_RECORD_NEEDS.get(kind, set()) - set(table.data)):
            problems.append(
                f"{table.path(key)}: missing; a {kind} record needs {', '.join(sorted(_RECORD_NEEDS[kind]))}"
            )
        dose = table.integer("dose")
        if dose is not None and dose < 1:
            table.bad("dose", "a dose number, 1 or more")
        elif kind == "switch" and dose == 1:
            table.bad("dose", "2 or more: a switch from the first dose is another plan (make one with record new)")
        days = table.integer("days")
        if days is not None and not (1 <= abs(days) <= 90):
            table.bad("days", "a delay of 1 to 90 days, or -1 to -90 to bring the dose forward")
        at = table.parsed("time", parse_clock, 'a time like "09:30"')
        records.append(
            RecordSpec(
                kind=kind,
                dose=dose,
                on=_date(table, "date"),
                days=days,
                drug=table.text("drug") or None,
                every=table.text("every") or None,
                route=table.choice("route", ("iv", "sc")) or None,
                reason=_plain(table, "reason"),
                recorded=_date(table, "recorded"),
                at=None if at is None else at[1],
            )
        )
    if problems:
        raise TemplateError(str(path), problems)
    return PlanSpec(**values, records=tuple(records), base=path.parent, origin=PLAN_FILE)


def _toml_value(value: object) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float, date)):
        return str(value) if not isinstance(value, float) or not value.is_integer() else str(int(value))
    if isinstance(value, time):
        return json.dumps(value.strftime("%H:%M"))
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(_toml_value(v) for v in value) + "]"
    # A JSON string is a valid TOML basic string: the same quotes and escapes; TOML also wants
    # DEL and the C1 controls escaped, which JSON leaves as they are.
    text = json.dumps(str(value), ensure_ascii=False)
    return re.sub(r"[\x7f-\x9f]", lambda m: f"\\u{ord(m.group()):04x}", text)


def _lines(pairs: list[tuple[str, object]]) -> list[str]:
    return [f"{key} = {_toml_value(value)}" for key, value in pairs if value not in (None, "", False, ())]


def dump_plan(spec: PlanSpec) -> str:
    """Return a plan file's text: the plan, its sections (the clinic calendar), then its records in order."""

    def given(section: str) -> list[tuple[str, object]]:
        return [
            (o.key, getattr(spec, o.name))
            for o in OPTIONS
            if o.section == section and getattr(spec, o.name) != o.default
        ]

    lines = [
        "# txcal plan file: add to it with `txcal record ...`; build calendars with `txcal plan --plan-file`.",
        f"schema = {SCHEMA}",
        *_lines(given("")),
    ]
    for section in sorted(_SECTIONS):
        body = _lines(given(section))
        if body:
            lines += ["", f"[{section}]", *body]
    for record in spec.records:
        lines += [
            "",
            "[[record]]",
            *_lines(
                [
                    ("kind", record.kind),
                    ("dose", record.dose),
                    ("date", record.on),
                    ("time", record.at),
                    ("days", record.days),
                    ("drug", record.drug),
                    ("every", record.every),
                    ("route", record.route),
                    ("reason", record.reason),
                    ("recorded", record.recorded),
                ]
            ),
        ]
    return "\n".join(lines) + "\n"


def save_plan(spec: PlanSpec, path: Path) -> None:
    """Write a plan file atomically, keeping the version it replaces beside it as NAME.bak.

    txcal writes the file anew from what it read, so comments and hand edits do not survive a
    record; the backup keeps the last version as it was.
    """
    previous = read_existing(path)
    if previous is not None:
        write_atomic(path.with_name(path.name + ".bak"), previous)
    write_atomic(path, dump_plan(spec).encode("utf-8"))


def add_record(spec: PlanSpec, record: RecordSpec) -> PlanSpec:
    """Return the plan with one more record, after checking it does not contradict the others."""
    for earlier in spec.records:
        if record.kind in ("given", "hold", "delay") and earlier.kind == record.kind and earlier.dose == record.dose:
            raise TxcalError(
                f"dose {record.dose} already has a {record.kind} record ({earlier.describe()}); edit the plan file to change it"
            )
        if record.kind == "stop" and earlier.kind == "stop":
            raise TxcalError(f"the plan already records a stop ({earlier.describe()})")
    return dataclasses.replace(spec, records=(*spec.records, record))
