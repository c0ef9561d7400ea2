"""Reruns that skip: what a batch keeps of each row so that the next batch need not plan it again.

A row's fingerprint covers everything its files are made from: its cells and calendar file name,
the templates, the clinic profile and the closures files it reads (their bytes), the holiday data,
the reminders and txcal's version. The batch keeps, beside clinic.ics, one line per row: the
fingerprint, a digest of the patient's calendar as written, where the row's events sit in
clinic.ics, and its manifest line. The next batch plans a row again unless its fingerprint is the
same and its calendar file is byte for byte what was written; an unchanged row's clinic events are
copied from the previous clinic.ics (whose digest is kept too, so a changed file reuses nothing).

Not reused (always planned): rows that name a plan file (it names further files), batches that
level chairs or keep a clinic book (a row's seats depend on the other rows and on `move`), and
batches that write handouts or FHIR files beside the calendars.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

from scheduler import __version__, caches
from scheduler.app.batching.folder import CLINIC_FILE, Outcome
from scheduler.catalog.loader import Catalog
from scheduler.errors import TxcalError
from scheduler.files import read_existing
from scheduler.inputs.patient_list import PLAN_FILE_COLUMN
from scheduler.options import BY_NAME

_NAME_FIRST = '{"name": '  # how a kept line begins (json.dumps of a dict whose first key is "name")
_DECODER = json.JSONDecoder()
KEPT_FILE = ".txcal-batch.jsonl"  # hidden: txcal's own record of the folder, beside clinic.ics
_FORMAT = 1  # the kept file's layout; another one is ignored (everything is planned again)

# The columns that name files a row's plan reads: their bytes are part of its fingerprint.
_PROFILE_COLUMN, _CLOSED_COLUMN = BY_NAME["clinic_profile"].column, BY_NAME["closed"].column


@dataclass(frozen=True)
class KeptRow:
    """What the last batch kept of one row."""

    fingerprint: str
    calendar: str  # digest of the patient's calendar file as written
    span: tuple[int, int]  # its clinic events: bytes from the start of clinic.ics's events
    plan_id: str
    years: dict[str, list[int]]  # the time zones and years its clinic events use
    chair: tuple[tuple[date, int | None, int | None], ...]  # chair visits: day, minutes, minute of the day
    outcome: Outcome  # its manifest line as the row gave it (before the clinic's own conflicts)

    def reused(self, row: int) -> Outcome:
        """Return its manifest line for this run: at this row, nothing changed or cancelled now."""
        return dataclasses.replace(
            self.outcome, row=row, changed=0, cancelled=0, conflicts=list(self.outcome.conflicts)
        )


def digest(data: bytes) -> str:
    return hashlib.blake2b(data, digest_size=16).hexdigest()


@caches.kept(256)
def _file_digest(path: str, mtime_ns: int, size: int) -> str:
    data = read_existing(Path(path))
    return digest(data) if data is not None else "-"


def file_digest(path: Path) -> str:
    """Return a digest of a file's bytes, read once while it is unchanged; "-" when it cannot be read (the row's
    plan then says what is wrong with it)."""
    try:
        status = path.stat()
        return _file_digest(str(path.resolve()), status.st_mtime_ns, status.st_size)
    except (OSError, ValueError, TxcalError):  # missing, a folder or device, a name with a NUL
        return "-"


def batch_digest(catalog: Catalog, reminders: Iterable[Any], profile: Path | None) -> str:
    """Return the digest of what every row of a batch shares: txcal, templates, holidays, reminders, profile."""
    from importlib.metadata import version

    parts = [__version__, version("holidays"), repr(tuple(reminders))]
    parts += sorted(f"{regimen.id}={file_digest(Path(regimen.path))}" for regimen in catalog.regimens)
    parts.append(_profile_digest(profile))
    return digest("\n".join(parts).encode())


def _profile_digest(path: Path | None) -> str:
    """Return a digest of a clinic profile and the closures file it names."""
    if path is None:
        return "-"
    from scheduler.inputs.plan_spec import cached_profile

    mine = file_digest(path)
    try:
        folder, closed = path.resolve().parent, cached_profile(path.resolve()).closed
    except Exception:  # the rows fail with its message when they are planned
        return mine
    return mine + (f"+{file_digest(folder / closed)}" if closed else "")


def row_fingerprint(shared: str, cells: dict[str, str], name: str, base: Path) -> str | None:
    """Return a row's fingerprint, or None for a row that is always planned (it names a plan file)."""
    if cells.get(PLAN_FILE_COLUMN):
        return None
    parts = [shared, name, json.dumps(cells, sort_keys=True)]
    for option, read in ((_PROFILE_COLUMN, _profile_digest), (_CLOSED_COLUMN, file_digest)):
        if cells.get(option):
            parts.append(read(base / cells[option]))
    return digest("\n".join(parts).encode())


def stream_digest(path: Path) -> str | None:
    """Return a digest of a file's bytes, read a megabyte at a time (a clinic's calendar is large); None if missing."""
    found = hashlib.blake2b(digest_size=16)
    try:
        with path.open("rb") as handle:
            while piece := handle.read(1 << 20):
                found.update(piece)
    except FileNotFoundError:
        return None
    return found.hexdigest()


def read_kept(folder: Path) -> tuple[dict[str, str], int]:
    """Return the rows the last batch kept, by calendar file name (each its kept line, read when a row is
    reused), and where clinic.ics's events begin; nothing when the kept file is missing or of another
    layout or txcal version, or clinic.ics changed since."""
    path = folder / KEPT_FILE
    if not path.is_file() or path.is_symlink():
        return {}, 0
    try:
        with path.open(encoding="utf-8") as handle:
            head = json.loads(handle.readline())
            if head.get("format") != _FORMAT or head.get("txcal") != __version__:
                return {}, 0
            if head.get("clinic") != stream_digest(folder / CLINIC_FILE):
                return {}, 0
            rows = {}
            for line in handle:
                # Only the name is read now (kept_line writes it first): its JSON value is decoded where it
                # begins; the rest of a line is read by the worker that reuses the row.
                if not line.startswith(_NAME_FIRST):
                    return {}, 0
                name, _ = _DECODER.raw_decode(line, len(_NAME_FIRST))
                rows[str(name)] = line
        return rows, int(head["body"])
    except (OSError, ValueError, KeyError, TypeError, UnicodeDecodeError):
        return {}, 0  # not as this txcal writes it: plan everything again


def kept_row(line: str) -> KeptRow | None:
    """Return a kept line as a row, or None when it cannot be read (the row is planned again)."""
    try:
        item = json.loads(line)
        return KeptRow(
            item["fingerprint"],
            item["calendar"],
            (int(item["span"][0]), int(item["span"][1])),
            item["plan_id"],
            {zone: list(years) for zone, years in item["years"].items()},
            tuple((date.fromisoformat(day), minutes, at) for day, minutes, at in item["chair"]),
            Outcome(**item["outcome"]),
        )
    except (ValueError, KeyError, TypeError):
        return None


def kept_head(clinic: Path, body: int) -> str:
    """Return the kept file's first line: its layout, txcal's version, the clinic.ics it describes."""
    return json.dumps({"format": _FORMAT, "txcal": __version__, "clinic": stream_digest(clinic), "body": body}) + "\n"


def kept_line(name: str, row: KeptRow) -> str:
    """Return one row's kept line (its name first: read_kept reads only that of rows it does not reuse)."""
    item = {
        "name": name,
        "fingerprint": row.fingerprint,
        "calendar": row.calendar,
        "span": list(row.span),
        "plan_id": row.plan_id,
        "years": row.years,
        "chair": [[str(day), minutes, at] for day, minutes, at in row.chair],
        "outcome": {**vars(row.outcome), "conflicts": list(row.outcome.conflicts)},  # asdict: ten times the cost
    }
    return json.dumps(item, ensure_ascii=False) + "\n"
