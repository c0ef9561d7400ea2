"""The output formats: one entry each, naming the writer module that renders it.

A format is one writer module and one entry here. A writer module has:
- `render(plan, view) -> Rendered`: the bytes, and what to add to "Wrote N events to FILE";
- `owner(data) -> str | None`: the plan id a file of this format holds, "" when txcal wrote it
  without one (no events), None when txcal did not write it; read from metadata txcal writes
  (the plan id and a generator mark), never from prose.
Modules load only when their format is used: start-up time is the user's time.
"""

from __future__ import annotations

import importlib
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from types import ModuleType

from scheduler.i18n.tags import ENGLISH
from scheduler.model import Plan


@dataclass(frozen=True)
class View:
    """How a plan is to be rendered: for which day, how wide, in colour, and what it replaces."""

    today: date
    stamp: datetime  # the UTC time stamp of new and changed calendar events
    width: int = 80
    color: bool = False
    reminders: Sequence[timedelta] = ()
    previous: bytes | None = None  # the file of the same plan this output replaces
    to_file: bool = False
    paper: str = "a4"  # printed pages: "a4" or "letter"
    terminal: bool = False  # shown on a terminal now: "in 5 days" is true only there
    large: bool = False  # large type
    feed: str = ""  # the patient's webcal:// feed link: the handout shows it and its QR code


@dataclass(frozen=True)
class Rendered:
    """A rendered plan: the bytes, and what to add when telling the user they were written."""

    data: bytes
    summary: str = ""  # e.g. "; against the previous export: 2 changed, 0 cancelled"


@dataclass(frozen=True)
class Format:
    """One output format: its name, file suffixes and writer module."""

    name: str
    suffixes: tuple[str, ...]
    module: str
    entry: str = "render"  # the module's render function, where a module renders two formats
    whole_plan: bool = False  # never narrowed (--next, --from, --to): an export must not cancel events
    reminders: bool = False  # carries calendar reminders
    patient: bool = False  # the patient's own output: written in the patient's language

    def writer(self) -> ModuleType:
        """Return the writer module, imported on first use (Python keeps it once imported)."""
        return importlib.import_module(self.module)

    def render(self, plan: Plan, view: View) -> Rendered:
        if self.patient and plan.request.language != ENGLISH:  # English imports nothing of the translation
            from scheduler.i18n.render import rendered_in

            return rendered_in(lambda translated: self._render(translated, view), plan)
        return self._render(plan, view)

    def _render(self, plan: Plan, view: View) -> Rendered:
        rendered: Rendered = getattr(self.writer(), self.entry)(plan, view)
        return rendered

    def owner(self, data: bytes) -> str | None:
        found: str | None = self.writer().owner(data)
        return found


FORMATS: dict[str, Format] = {
    f.name: f
    for f in (
        Format("text", (".txt",), "scheduler.writers.terminal"),
        Format("month", (), "scheduler.writers.terminal", entry="render_month_view"),
        Format("json", (".json",), "scheduler.writers.json"),
        Format("csv", (".csv",), "scheduler.writers.csv"),
        Format("ics", (".ics",), "scheduler.writers.ics", whole_plan=True, reminders=True, patient=True),
        Format("html", (".html", ".htm"), "scheduler.writers.handout", patient=True),
        Format("pdf", (".pdf",), "scheduler.writers.pdf", patient=True),
        Format("fhir", (".fhir.json",), "scheduler.writers.fhir", whole_plan=True),
    )
}


def format_for_suffix(name: str) -> Format | None:
    """Return the format a file name's ending names ("x.ics" -> ics; "x.fhir.json" -> fhir), or None."""
    name = name.lower()
    endings = sorted(((s, f) for f in FORMATS.values() for s in f.suffixes), key=lambda pair: -len(pair[0]))
    return next((f for suffix, f in endings if name.endswith(suffix)), None)


def known_suffixes() -> list[str]:
    return [s for f in FORMATS.values() for s in f.suffixes]
