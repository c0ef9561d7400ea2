"""The one output-file policy: all or nothing, and never over a file txcal did not write or another plan's.

Every format and every command (plan -o, batch) goes through `write_plan`: ownership is read from
the metadata each writer puts in its files (scheduler.writers.registry), only regular files are read
back or replaced, and a file is written through a temporary file and a rename.
"""

from __future__ import annotations

import contextlib
import dataclasses
import os
import stat
from pathlib import Path

from scheduler.errors import TxcalError, option
from scheduler.model import Plan
from scheduler.writers.registry import Format, View


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
    """Return the bytes of an existing regular file, or None when there is none.

    Raises:
        TxcalError: the path is a folder, a device, a pipe or a socket (txcal never reads back or
            replaces those), or cannot be read.
    """
    try:
        mode = os.stat(path).st_mode
    except FileNotFoundError:
        return None
    except OSError as exc:
        raise TxcalError(f"cannot read {path}: {exc.strerror}") from None
    if not stat.S_ISREG(mode):
        raise TxcalError(f"{path} is not a regular file: write to a file, or to standard output with -o -")
    try:
        return path.read_bytes()
    except OSError as exc:
        raise TxcalError(f"cannot read {path}: {exc.strerror}") from None


def _is_stream(path: Path) -> bool:
    try:
        mode = os.stat(path).st_mode
    except OSError:
        return False
    return stat.S_ISFIFO(mode) or stat.S_ISCHR(mode)


def previous_output(path: Path, fmt: Format, plan: Plan, force: bool) -> bytes | None:
    """Return txcal's earlier file of this plan at path (to update), or None when there is none to keep.

    Raises:
        TxcalError: without `force`, the file is not txcal's or holds another plan.
    """
    existing = read_existing(path)
    if existing is None or force:
        return None
    owner = fmt.owner(existing)
    if owner is None:
        raise TxcalError(f"{path} exists and txcal did not write it: choose another file, or add --force to replace it")
    if owner and owner != plan.plan_id:
        raise TxcalError(
            f"{path} holds another txcal plan: give the same {option('plan_id')} to update it, choose another file, "
            "or add --force to replace it (its events are then not cancelled in calendars)"
        )
    return existing


def write_plan(path: Path, fmt: Format, plan: Plan, view: View, force: bool) -> str:
    """Write a plan to a file in a format, updating txcal's own earlier file of the same plan.

    Returns:
        The sentence to tell the user: "Wrote 6 events to plan.ics."

    Raises:
        TxcalError: the file is not txcal's, holds another plan (without `force`), or cannot be written.
    """
    if _is_stream(path):
        # A pipe or a device (/dev/stdout): written as a stream, never read back or replaced.
        rendered = fmt.render(plan, view)
        with open(path, "wb") as stream:
            stream.write(rendered.data)
        return f"Wrote {len(plan.events)} events to {path}."
    previous = previous_output(path, fmt, plan, force)
    rendered = fmt.render(plan, dataclasses.replace(view, previous=previous, to_file=True))
    write_atomic(path, rendered.data)
    return f"Wrote {len(plan.events)} events to {path}{rendered.summary}."
