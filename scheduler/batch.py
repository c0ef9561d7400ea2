"""Whole-clinic planning: a patient list in, one calendar per patient, a clinic calendar and a manifest out.

Rows are planned one at a time and written as they go, so memory stays flat however long the list:
the clinic calendar's events stream to a temporary file and are wrapped with their time zones at
the end. A bad row is reported with its line number and skipped; the others are still written.
"""

from __future__ import annotations

import csv
import io
import os
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import date, datetime, time
from pathlib import Path
from typing import Any

from scheduler.calendar_rules import SHIFTS
from scheduler.durations import checked, parse_interval, parse_period, parse_window
from scheduler.engine import expand
from scheduler.errors import TxcalError
from scheduler.ics import IcsExport, calendar_head, timezones_text, to_ics
from scheduler.ics_text import txcal_plan_id
from scheduler.loader import Catalog
from scheduler.model import Plan
from scheduler.outfile import read_existing, write_atomic
from scheduler.planspec import PlanSpec, build_request
from scheduler.zones import check_zone

CLINIC_FILE = "clinic.ics"
MANIFEST_FILE = "manifest.csv"
MANIFEST_COLUMNS = (
    "row",
    "patient",
    "file",
    "regimen",
    "events",
    "first",
    "last",
    "changed",
    "cancelled",
    "status",
    "error",
)


def _flag(text: str) -> bool:
    if text.lower() in ("yes", "true", "1", "y"):
        return True
    if text.lower() in ("no", "false", "0", "n"):
        return False
    raise ValueError("expected yes or no")


def _clock(text: str) -> time:
    return time.fromisoformat(text)


# The patient-list columns: name -> (PlanSpec field, parser). Documented in the README.
COLUMNS: dict[str, tuple[str, Callable[[str], Any]]] = {
    "patient": ("patient", str),
    "drug": ("drug", str),
    "every": ("every", checked(parse_interval)),
    "route": ("route", lambda t: {"iv": "iv", "sc": "sc"}[t.lower()]),
    "pediatric": ("pediatric", _flag),
    "weight_kg": ("weight_kg", float),
    "start": ("start", date.fromisoformat),
    "time": ("time", _clock),
    "tz": ("tz", check_zone),
    "doses": ("doses", int),
    "until": ("until", date.fromisoformat),
    "for": ("period", checked(parse_period)),
    "infusion": ("infusion", date.fromisoformat),
    "monitor_days": ("monitor_days", int),
    "avoid": ("avoid_weekends", lambda t: {"weekends": True}[t.lower()]),
    "holidays": ("holidays", str.upper),
    "closed": ("closed", str),
    "window": ("window", checked(parse_window)),
    "shift": ("shift", lambda t: next(s for s in SHIFTS if s == t.lower())),
    "keep_grid": ("keep_grid", _flag),
    "plan_file": ("plan_file", str),
}


def file_stem(label: str, row: int) -> str:
    """Return a safe file name stem for a patient label: letters, digits, dot, dash, underscore only.

    No path separators or leading dots can survive, so a label cannot climb out of the folder.
    """
    stem = re.sub(r"[^A-Za-z0-9._-]+", "-", label).strip(".-_")[:60]
    return stem or f"row-{row}"


@dataclass
class Outcome:
    """What happened to one row, for the manifest."""

    row: int
    patient: str
    file: str = ""
    regimen: str = ""
    events: int = 0
    first: str = ""
    last: str = ""
    changed: int = 0
    cancelled: int = 0
    error: str = ""

    def cells(self) -> list[object]:
        status = "error" if self.error else "ok"
        return [self.row, self.patient, self.file, self.regimen, self.events, self.first, self.last,
                self.changed, self.cancelled, status, self.error]  # fmt: skip


def read_rows(path: Path) -> list[tuple[int, dict[str, str]]]:
    """Return the patient list's rows with their line numbers.

    Raises:
        TxcalError: the file cannot be read, or its header has unknown or missing columns.
    """
    try:
        with path.open(encoding="utf-8-sig", newline="") as handle:
            reader = csv.DictReader(handle)
            header = reader.fieldnames or []
            unknown = [c for c in header if c not in COLUMNS]
            if unknown or "patient" not in header:
                raise TxcalError(
                    f"{path}: the header must name known columns and include patient; "
                    f"unknown: {', '.join(unknown) or 'none'}; known: {', '.join(COLUMNS)}"
                )
            return [(reader.line_num, {k: (v or "").strip() for k, v in row.items() if k}) for row in reader]
    except OSError as exc:
        raise TxcalError(f"cannot read {path}: {exc.strerror}") from None
    except UnicodeDecodeError:
        raise TxcalError(f"{path} is not UTF-8 text: save the patient list as CSV UTF-8") from None


def spec_from_row(cells: dict[str, str], base: Path) -> PlanSpec:
    """Return the plan a row describes: its own columns, or the plan file it names.

    Raises:
        TxcalError: a cell is not what its column expects (named in the message).
    """
    if cells.get("plan_file"):
        from scheduler.planfile import load_plan

        return load_plan(base / cells["plan_file"])  # the file holds the whole plan; the row names it
    fields: dict[str, Any] = {}
    for column, text in cells.items():
        if not text or column == "plan_file":
            continue
        name, parse = COLUMNS[column]
        try:
            fields[name] = parse(text)
        except (ValueError, KeyError, StopIteration):
            raise TxcalError(f"column {column}: {text!r} is not valid here") from None
    if "drug" not in fields or "start" not in fields:
        raise TxcalError("a row needs drug and start, or a plan_file")
    return PlanSpec(base=base, **fields)


@dataclass
class Batch:
    """Plans a patient list into a folder: per-patient calendars, the clinic calendar, a manifest."""

    catalog: Catalog
    out_dir: Path
    stamp: datetime
    reminders: list[Any] = field(default_factory=list)
    force: bool = False
    outcomes: list[Outcome] = field(default_factory=list)
    _stems: set[str] = field(default_factory=set)
    _years: dict[str, set[int]] = field(default_factory=dict)

    def plan_row(self, number: int, cells: dict[str, str], base: Path) -> Plan:
        spec = spec_from_row(cells, base)
        return expand(build_request(spec, self.catalog, f"{{name}} (row {number})"))

    def _file_for(self, label: str, number: int) -> Path:
        stem = file_stem(label, number)
        candidate, count = stem, 1
        while candidate.casefold() in self._stems:  # case-blind: macOS and Windows folders are
            count += 1
            candidate = f"{stem}-{count}"
        self._stems.add(candidate.casefold())
        return self.out_dir / f"{candidate}.ics"

    def run(self, rows: Iterator[tuple[int, dict[str, str]]], base: Path, clinic_body: Any) -> None:
        """Plan every row; write each patient's calendar and append its events to the clinic body."""
        for number, cells in rows:
            outcome = Outcome(number, cells.get("patient", ""))
            try:
                plan = self.plan_row(number, cells, base)
                path = self._file_for(outcome.patient or (plan.request.patient or ""), number)
                previous = read_existing(path)
                if previous is not None and txcal_plan_id(previous) != plan.plan_id and not self.force:
                    raise TxcalError(f"{path.name} holds another plan: remove it, or run with --force")
                export = to_ics(plan, self.stamp, self.reminders, previous if not self.force else None)
                write_atomic(path, export.data)
            except TxcalError as exc:
                outcome.error = str(exc).replace("\n", "; ")
                self.outcomes.append(outcome)
                continue
            self._record(outcome, plan, path, export)
            for block in export.blocks:
                clinic_body.write(block.text())
            self.outcomes.append(outcome)

    def _record(self, outcome: Outcome, plan: Plan, path: Path, export: IcsExport) -> None:
        from scheduler.ics import zone_years

        outcome.file, outcome.regimen, outcome.events = path.name, plan.regimen.id, len(plan.events)
        if plan.events:
            outcome.first, outcome.last = str(plan.events[0].first_day), str(max(e.last_day for e in plan.events))
        outcome.changed, outcome.cancelled = export.changed, export.cancelled
        for zone, years in zone_years(export.blocks).items():
            self._years.setdefault(zone, set()).update(years)

    def finish(self, clinic_body_path: Path) -> None:
        """Write the clinic calendar around the streamed events, then the manifest."""
        clinic = self.out_dir / CLINIC_FILE
        temporary = self.out_dir / f".{CLINIC_FILE}.{os.getpid()}.tmp"
        try:
            with (
                temporary.open("w", encoding="utf-8", newline="") as out,
                clinic_body_path.open(encoding="utf-8", newline="") as body,
            ):
                out.write(calendar_head("txcal clinic calendar", "clinic"))
                out.write(timezones_text(self._years))
                while chunk := body.read(1 << 20):
                    out.write(chunk)
                out.write("END:VCALENDAR\r\n")
            os.replace(temporary, clinic)
        finally:
            temporary.unlink(missing_ok=True)
        table = io.StringIO()
        writer = csv.writer(table)
        writer.writerow(MANIFEST_COLUMNS)
        writer.writerows(o.cells() for o in self.outcomes)
        write_atomic(self.out_dir / MANIFEST_FILE, table.getvalue().encode("utf-8"))
