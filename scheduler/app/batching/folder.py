"""The batch's own files: the clinic calendar's name and time zones, the manifest, and the patient
calendars of a batch folder as `publish --folder` reads them."""

from __future__ import annotations

import os
import pickle
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import BinaryIO

from scheduler import caches
from scheduler.errors import TxcalError
from scheduler.files import (
    exclusive_temporary,
    read_existing,
    read_input,
)
from scheduler.ical import (
    calendar_head,
    timezones_text,
    txcal_plan_id,
)
from scheduler.inputs.patient_list import iter_rows
from scheduler.units import check_zone

CLINIC_FILE = "clinic.ics"


MANIFEST_FILE = "manifest.csv"


RESERVED = frozenset({"clinic", "manifest"})  # the stems of the batch's own files


CLINIC_CALENDAR_NAME = "txcal clinic calendar"
CLINIC_PLAN = "clinic"  # the plan id the clinic calendar carries, so txcal knows it as its own


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
    "levelled",
    "conflicts",
    "status",
    "error",
)


# Manifests of earlier versions, which a batch still knows as its own.
OLDER_MANIFESTS = (
    ("row", "patient", "file", "regimen", "events", "first", "last", "changed", "cancelled", "status", "error"),
)


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
    levelled: str = ""  # the visits the clinic gave a time or day to level its chairs
    conflicts: list[str] = field(default_factory=list)  # visits on closed days, over the chairs, or fitting no chair
    error: str = ""

    def cells(self) -> list[object]:
        status = "error" if self.error else "conflict" if self.conflicts else "ok"
        return [
            self.row,
            self.patient,
            self.file,
            self.regimen,
            self.events,
            self.first,
            self.last,
            self.changed,
            self.cancelled,
            self.levelled,
            "; ".join(self.conflicts),
            status,
            self.error,
        ]


def survey(path: Path) -> tuple[int, dict[str, set[int]]]:
    """Return how many rows the list has and the zones it names (a first, light pass). Two rows with one patient
    label are refused: a label is one patient in the clinic's views, its levelling and its book.

    Raises:
        TxcalError: the list cannot be read, or two rows share a label.
    """
    count = 0
    zones: dict[str, set[int]] = {}
    seen: dict[str, int] = {}
    for number, cells in iter_rows(path):
        count += 1
        _expect_zone(cells, zones)
        label = cells.get("patient", "")
        if label:
            first = seen.setdefault(label, number)
            if first != number:
                raise TxcalError(
                    f"{path}: rows {first} and {number} are both labelled {label!r}: give each patient its own "
                    "label (the clinic's views, levelling and the clinic book know patients by label); nothing was written"
                )
    return count, zones


def stored_outcomes(handle: BinaryIO) -> Iterator[tuple[Outcome, list[date]]]:
    """Yield what run_batch stored of each row, in row order: its outcome and the days it takes a chair."""
    while True:
        try:
            yield pickle.load(handle)
        except EOFError:
            return


def check_own_files(folder: Path) -> None:
    """Refuse to replace a clinic calendar or manifest that txcal did not write.

    Raises:
        TxcalError: one of them exists and is not txcal's (or is not a regular file).
    """
    clinic = read_existing(folder / CLINIC_FILE)
    if clinic is not None and txcal_plan_id(clinic) != CLINIC_PLAN:
        raise TxcalError(
            f"{folder / CLINIC_FILE} exists and is not a txcal clinic calendar: move it away, or add --force to replace it"
        )
    manifest = read_existing(folder / MANIFEST_FILE)
    known = {",".join(columns).encode() for columns in (MANIFEST_COLUMNS, *OLDER_MANIFESTS)}
    if manifest is not None and manifest.split(b"\r\n", 1)[0] not in known:
        raise TxcalError(
            f"{folder / MANIFEST_FILE} exists and is not a txcal manifest: move it away, or add --force to replace it"
        )


def patient_calendars(folder: Path) -> list[tuple[Path, bytes, str]]:
    """Return a batch folder's patient calendars to publish: (path, bytes, plan id), every one checked first.

    Only regular files (read with the input bounds), named as a batch names them (so a name can
    become part of a URL), that txcal wrote and that parse; the clinic calendar, which repeats
    every patient's events, is left out.

    Raises:
        TxcalError: a file breaks any of these (named), or the folder holds none; nothing is published then.
    """
    from scheduler.ical import parse

    found = []
    for path in sorted(folder.glob("*.ics")):
        if path.name == CLINIC_FILE:
            continue
        if file_stem(path.stem, 0) != path.stem or path.stem in (".", ".."):
            raise TxcalError(
                f"{path}: not a name txcal batch gives a patient calendar (letters, digits, '.', '-', '_'); "
                "move it out of the folder; nothing was published"
            )
        data = read_input(path)
        plan_id = txcal_plan_id(data)
        try:
            if plan_id is None:
                raise ValueError("not a calendar txcal wrote")
            parse(data.decode("utf-8"))
        except (ValueError, IndexError, UnicodeDecodeError) as exc:
            raise TxcalError(
                f"{path}: cannot be published ({exc}); move it out of the folder; nothing was published"
            ) from None
        found.append((path, data, plan_id))
    if not found:
        raise TxcalError(f"{folder} holds no patient calendars: run txcal batch into it first")
    return found


def _expect_zone(cells: dict[str, str], found: dict[str, set[int]]) -> None:
    """Note the zone a row names, over its start year and the two after (most plans' reach)."""
    zone, start = cells.get("tz", ""), cells.get("start", "")
    if cells.get("time") and start[:4].isdigit() and _known_zone(zone):
        year = int(start[:4])
        found.setdefault(zone, set()).update(range(year, year + 3))


@caches.kept(64)
def _known_zone(name: str) -> bool:
    try:
        check_zone(name)
    except ValueError:
        return False  # the row fails on its own, with the reason
    return True


def rewrite_zones(path: Path, written: dict[str, set[int]], used: dict[str, set[int]]) -> dict[str, set[int]]:
    """Write the clinic calendar again with time zones for every zone and year its events use; return them."""
    needed = {zone: written.get(zone, set()) | years for zone, years in {**written, **used}.items()}
    head = calendar_head(CLINIC_CALENDAR_NAME, CLINIC_PLAN)
    old = timezones_text(written)
    fixed = exclusive_temporary(path.parent, path.name + ".zones", output=True)
    try:
        with path.open(encoding="utf-8", newline="") as source, fixed.open("w", encoding="utf-8", newline="") as out:
            source.read(len(head) + len(old))  # the old head and zones, replaced:
            out.write(head + timezones_text(needed))
            while chunk := source.read(1 << 20):
                out.write(chunk)
        os.replace(fixed, path)
    finally:
        fixed.unlink(missing_ok=True)
    return needed
