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
import tomllib
from datetime import date, time
from pathlib import Path
from typing import Any

from scheduler.app.output import write_atomic
from scheduler.catalog.tomlcheck import TableReader
from scheduler.engine.clinic_calendar import SHIFTS
from scheduler.errors import TemplateError, TxcalError
from scheduler.inputs.plan_spec import PlanSpec, RecordSpec
from scheduler.model import RECORD_KINDS
from scheduler.units import check_zone, checked, parse_interval, parse_period, parse_window

SCHEMA = 1
_TOP = {
    "schema", "drug", "start", "every", "route", "pediatric", "weight_kg", "doses", "until", "for", "time", "tz",
    "infusion", "monitor_days", "patient", "plan_id", "clinic", "record",
}  # fmt: skip
_CLINIC = {"avoid", "holidays", "closed", "window", "shift", "keep_grid", "strict"}
_RECORD = {"kind", "dose", "date", "days", "drug", "every", "route", "reason", "recorded"}
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
    return value if isinstance(value, date) else None


def _clock(text: str) -> time:
    return time.fromisoformat(text)


def load_plan(path: Path) -> PlanSpec:
    """Read and check a plan file; every problem is reported at once.

    Raises:
        TemplateError: the file is unreadable, not TOML, or breaks the plan-file schema.
    """
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise TemplateError(str(path), [f"cannot read the plan file ({exc.strerror}); check the path"]) from None
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise TemplateError(str(path), [f"not valid TOML: {exc}"]) from None
    problems: list[str] = []
    top = TableReader(data, "", problems, _TOP)
    schema = top.get("schema", int, f"schema = {SCHEMA}", required=True)
    if schema is not None and schema != SCHEMA:
        top.bad("schema", f"{SCHEMA} (the only plan-file schema this txcal reads)")
    every = top.parsed("every", checked(parse_interval), 'an interval like "3w"')
    period = top.parsed("for", checked(parse_period), 'a period like "6m"')
    clock = top.parsed("time", _clock, 'a time like "09:00"')
    zone = top.parsed("tz", check_zone, "an IANA time zone such as Europe/Berlin")
    clinic = top.table("clinic", _CLINIC)
    spec: dict[str, Any] = {
        "drug": top.text("drug", required=True),
        "start": _date(top, "start", required=True),
        "every": every[1] if every else None,
        "route": top.choice("route", ("iv", "sc")) or None,
        "pediatric": bool(top.get("pediatric", bool, "true or false")),
        "weight_kg": top.number("weight_kg"),
        "doses": top.integer("doses"),
        "until": _date(top, "until"),
        "period": period[1] if period else None,
        "time": clock[1] if clock else None,
        "tz": zone[1] if zone else None,
        "infusion": _date(top, "infusion"),
        "monitor_days": top.integer("monitor_days"),
        "patient": top.text("patient") or None,
        "plan_id": top.text("plan_id") or None,
    }
    if clinic is not None:
        avoid = clinic.texts("avoid")
        if any(a != "weekends" for a in avoid):
            clinic.bad("avoid", '["weekends"] or nothing')
        window = clinic.parsed("window", checked(parse_window), 'a window like "-3,+3"')
        spec.update(
            avoid_weekends="weekends" in avoid,
            holidays=clinic.text("holidays") or None,
            closed=clinic.text("closed") or None,
            window=window[1] if window else None,
            shift=clinic.choice("shift", SHIFTS) or "next",
            keep_grid=bool(clinic.get("keep_grid", bool, "true or false")),
            strict=bool(clinic.get("strict", bool, "true or false")),
        )
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
        days = table.integer("days")
        if days is not None and not 1 <= days <= 90:
            table.bad("days", "a delay of 1 to 90 days")
        records.append(
            RecordSpec(
                kind=kind,
                dose=dose,
                on=_date(table, "date"),
                days=days,
                drug=table.text("drug") or None,
                every=table.text("every") or None,
                route=table.choice("route", ("iv", "sc")) or None,
                reason=table.text("reason"),
                recorded=_date(table, "recorded"),
            )
        )
    if problems:
        raise TemplateError(str(path), problems)
    return PlanSpec(**spec, records=tuple(records), base=path.parent)


def _toml_value(value: object) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float, date)):
        return str(value) if not isinstance(value, float) or not value.is_integer() else str(int(value))
    if isinstance(value, time):
        return json.dumps(value.strftime("%H:%M"))
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(_toml_value(v) for v in value) + "]"
    # A JSON string is a valid TOML basic string: the same quotes and escapes.
    return json.dumps(str(value), ensure_ascii=False)


def _lines(pairs: list[tuple[str, object]]) -> list[str]:
    return [f"{key} = {_toml_value(value)}" for key, value in pairs if value not in (None, "", False, ())]


def dump_plan(spec: PlanSpec) -> str:
    """Return a plan file's text: the plan, its clinic calendar, then its records in order."""
    lines = [
        "# txcal plan file: add to it with `txcal record ...`; build calendars with `txcal plan --plan-file`.",
        f"schema = {SCHEMA}",
        *_lines(
            [
                ("drug", spec.drug), ("every", spec.every), ("route", spec.route), ("pediatric", spec.pediatric),
                ("weight_kg", spec.weight_kg), ("start", spec.start), ("doses", spec.doses), ("until", spec.until),
                ("for", spec.period), ("time", spec.time), ("tz", spec.tz), ("infusion", spec.infusion),
                ("monitor_days", spec.monitor_days), ("patient", spec.patient), ("plan_id", spec.plan_id),
            ]
        ),
    ]  # fmt: skip
    clinic = _lines(
        [
            ("avoid", ["weekends"] if spec.avoid_weekends else None), ("holidays", spec.holidays),
            ("closed", spec.closed), ("window", spec.window), ("shift", spec.shift if spec.shift != "next" else None),
            ("keep_grid", spec.keep_grid), ("strict", spec.strict),
        ]
    )  # fmt: skip
    if clinic:
        lines += ["", "[clinic]", *clinic]
    for record in spec.records:
        lines += ["", "[[record]]", *_lines(
            [
                ("kind", record.kind), ("dose", record.dose), ("date", record.on), ("days", record.days),
                ("drug", record.drug), ("every", record.every), ("route", record.route), ("reason", record.reason),
                ("recorded", record.recorded),
            ]
        )]  # fmt: skip
    return "\n".join(lines) + "\n"


def save_plan(spec: PlanSpec, path: Path) -> None:
    """Write a plan file atomically."""
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
