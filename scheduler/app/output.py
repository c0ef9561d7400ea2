"""Write output files safely: all or nothing, and never over a file txcal did not write."""

from __future__ import annotations

import contextlib
import os
from pathlib import Path

from scheduler.errors import TxcalError
from scheduler.wording import DISCLAIMER
from scheduler.writers.ical.read import txcal_plan_id

# Output formats by file suffix.
SUFFIX_FORMATS = {".ics": "ics", ".json": "json", ".csv": "csv", ".txt": "text"}


def write_atomic(path: Path, data: bytes) -> None:
    """Write data to path through a temporary file in the same folder and a rename.

    An error leaves the old file as it was and no partial file behind.

    Raises:
        TxcalError: the folder is missing or not writable.
    """
    folder = path.parent if str(path.parent) else Path(".")
    if not folder.is_dir():
        raise TxcalError(f"cannot write {path}: the folder {folder} does not exist; create it or choose another path")
    temporary = str(folder / f".{path.name}.{os.getpid()}.tmp")
    try:
        # Mode 0o666 less the umask, as any new file; an existing file's mode is kept below.
        handle = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666)
    except OSError as exc:
        raise TxcalError(f"cannot write {path}: {exc.strerror}; choose another path") from None
    try:
        with os.fdopen(handle, "wb") as stream:
            stream.write(data)
        with contextlib.suppress(FileNotFoundError):
            os.chmod(temporary, os.stat(path).st_mode & 0o777)
        os.replace(temporary, path)
    except OSError as exc:
        with contextlib.suppress(OSError):
            os.unlink(temporary)
        raise TxcalError(f"cannot write {path}: {exc.strerror}; choose another path") from None


def read_existing(path: Path) -> bytes | None:
    """Return the bytes of an existing output file, or None when there is none."""
    try:
        return path.read_bytes()
    except FileNotFoundError:
        return None
    except OSError as exc:
        raise TxcalError(f"cannot read {path}: {exc.strerror}") from None


def written_by_txcal(data: bytes) -> bool:
    """Return True if txcal wrote this file: a txcal calendar, plan JSON, CSV or a text view."""
    if txcal_plan_id(data) is not None:
        return True
    text = data.decode("utf-8", errors="replace")
    if text.lstrip().startswith("{"):
        return '"plan_id"' in text and '"events"' in text
    return DISCLAIMER in text or text.startswith(("\ufeffuid,kind,title", "uid,kind,title"))
