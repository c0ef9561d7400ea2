"""Files written all or nothing, and read back only when they are regular files."""

from __future__ import annotations

import contextlib
import glob
import os
import stat
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

from scheduler.errors import TxcalError


def write_atomic(path: Path, data: bytes, new: bool = False, mode: int | None = None) -> None:
    """Write data to path through a temporary file in the same folder and a rename.

    An error leaves the old file as it was and no partial file behind. With `new`, the caller knows
    no file is there (a batch into a folder that started empty): the probes for one are left out.
    With `mode`, the file gets that mode from its first byte on (a secret: 0o600), whatever was there.

    Raises:
        TxcalError: the folder is missing or not writable.
    """
    folder = path.parent if str(path.parent) else Path(".")
    if not new and not folder.is_dir():
        raise TxcalError(f"cannot write {path}: the folder {folder} does not exist; create it or choose another path")
    try:
        # Created exclusively (O_EXCL) under a name no other run shares; mode 0o666 less the umask,
        # as any new file (mkstemp's 0o600 is widened below); an existing file's mode is kept.
        handle, temporary = tempfile.mkstemp(dir=folder, prefix=f".{path.name}{TEMPORARY_MARK}", suffix=".tmp")
        os.fchmod(handle, new_file_mode() if mode is None else mode)
    except OSError as exc:
        raise TxcalError(f"cannot write {path}: {exc.strerror}; choose another path") from None
    try:
        with os.fdopen(handle, "wb") as stream:
            stream.write(data)
        if not new and mode is None:
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


def new_file_mode() -> int:
    """Return the mode a new file gets: 0o666 less the umask, as any program's new file."""
    umask = os.umask(0)
    os.umask(umask)
    return 0o666 & ~umask


def exclusive_temporary(folder: Path, name: str, output: bool = False) -> Path:
    """Return a new, empty temporary file for `name` in folder, created exclusively.

    Exclusive creation (O_EXCL, through tempfile) means a link planted at a guessable name cannot
    redirect the write. With `output` (it becomes a file the user reads: clinic.ics, the manifest),
    its mode follows the umask like any new file's; else it stays private (0o600).

    Raises:
        TxcalError: the folder is not writable.
    """
    try:
        handle, temporary = tempfile.mkstemp(dir=folder, prefix=f".{name}{TEMPORARY_MARK}", suffix=".tmp")
    except OSError as exc:
        raise TxcalError(f"cannot write in {folder}: {exc.strerror}") from None
    try:
        if output:
            os.fchmod(handle, new_file_mode())
    finally:
        os.close(handle)
    return Path(temporary)


def remove_leftovers(folder: Path, before: float) -> int:
    """Remove txcal's temporaries in a folder made before `before` (a time stamp): a killed run's leftovers.

    Called with the folder locked (`locked`), so no other txcal run is writing there; a temporary is
    a regular file named `.NAME.txcal-XXXX.tmp`. Returns how many were removed.
    """
    return _remove_temporaries(folder, f".*{TEMPORARY_MARK}*.tmp", before)


def _remove_temporaries(folder: Path, pattern: str, before: float) -> int:
    removed = 0
    for path in folder.glob(pattern):
        with contextlib.suppress(OSError):
            details = os.lstat(path)
            if stat.S_ISREG(details.st_mode) and details.st_mtime < before:
                path.unlink()
                removed += 1
    return removed


# No write of one file takes this long: a temporary this old beside its file is a killed command's leftover.
STALE_SECONDS = 3600


def remove_stale_temporaries(path: Path, before: float) -> int:
    """Remove the temporaries of one file (a killed write's `.NAME.txcal-XXXX.tmp`) made before `before`;
    return how many. Only regular files txcal names so are touched."""
    folder = path.parent if str(path.parent) else Path(".")
    return _remove_temporaries(folder, f".{glob.escape(path.name)}{TEMPORARY_MARK}*.tmp", before)


@contextlib.contextmanager
def locked(path: Path, wait: bool = True, tidy: bool = False) -> Iterator[None]:
    """Hold an advisory lock (flock; Linux and macOS) named for `path`, on a file beside it.

    The lock is on a file of its own, since the files it guards are replaced by a rename on every
    write. Without `wait`, a lock another process holds is refused at once; with `tidy`, the lock
    file is removed when done (a folder the user reads keeps no trace of it).

    Raises:
        TxcalError: the lock file cannot be made, or (without `wait`) another process holds the lock.
    """
    import fcntl  # POSIX only (setup.cfg says so), as the batch's forked workers are

    lock_path = path.with_name(f".{path.name}.lock")
    try:
        handle = os.open(lock_path, os.O_RDWR | os.O_CREAT, 0o666)
    except OSError as exc:
        raise TxcalError(f"cannot lock {path}: {exc.strerror}") from None
    try:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | (0 if wait else fcntl.LOCK_NB))
        except BlockingIOError:
            os.close(handle)
            handle = -1
            raise TxcalError(f"another txcal command holds {lock_path}: wait for it to finish") from None
        # Held: nothing else writes `path` now, so its temporaries are a killed command's leftovers.
        remove_stale_temporaries(path, time.time())
        yield
    finally:
        if handle >= 0:
            if tidy:
                with contextlib.suppress(OSError):
                    lock_path.unlink()  # while still held: the next command makes its own
            os.close(handle)  # closing releases the lock


# Every temporary txcal makes carries this in its name, so a later run finds a killed run's leftovers.
TEMPORARY_MARK = ".txcal-"
# The most txcal reads of one input file at once (a template, a plan file, closures, a calendar to
# check); patient lists and clinic calendars are streamed and may be larger.
MAX_INPUT = 64 * 2**20


def is_stream(path: Path) -> bool:
    """Return True for a pipe or a character device (/dev/stdout): written as a stream, never replaced."""
    try:
        mode = os.stat(path).st_mode
    except (OSError, ValueError):
        return False
    return stat.S_ISFIFO(mode) or stat.S_ISCHR(mode)


def check_regular(path: Path) -> None:
    """Refuse to read anything but a regular file: /dev/zero or a pipe would never end.

    Raises:
        TxcalError: the path is missing, a folder, a device, a pipe or a socket.
    """
    try:
        mode = os.stat(path).st_mode
    except FileNotFoundError:
        raise TxcalError(f"{path} does not exist; check the path") from None
    except (OSError, ValueError) as exc:
        raise TxcalError(f"cannot read {path}: {getattr(exc, 'strerror', None) or exc}") from None
    if not stat.S_ISREG(mode):
        raise TxcalError(f"{path} is not a regular file; give the path of a file")


def read_input(path: Path, limit: int = MAX_INPUT) -> bytes:
    """Return the bytes of an input file, a regular file of at most `limit` bytes.

    Raises:
        TxcalError: not a regular file, too large, or unreadable.
    """
    check_regular(path)
    try:
        with path.open("rb") as handle:
            data = handle.read(limit + 1)
    except OSError as exc:
        raise TxcalError(f"cannot read {path}: {exc.strerror}") from None
    if len(data) > limit:
        raise TxcalError(f"{path} is larger than {limit // 2**20} MB, more than any input txcal reads at once")
    return data
