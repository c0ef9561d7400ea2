"""The clinic book's file: its tables and their migrations, the checks before SQLite opens a file, and the
names of files the book keeps (relative to its own folder, so a clinic folder moves or is copied whole).

scheduler.clinic.book opens and changes the book; this module says what a book is.
"""

from __future__ import annotations

import contextlib
import os
import re
import sqlite3
import stat
from collections.abc import Callable, Iterable, Iterator, Sequence
from pathlib import Path
from typing import Any

from scheduler.errors import TxcalError

SCHEMA = 2  # PRAGMA user_version of a book this txcal writes
HEADER = b"SQLite format 3\x00"

SCHEMA_1 = """
CREATE TABLE plans (
    plan_id TEXT PRIMARY KEY, patient TEXT NOT NULL, calendar TEXT NOT NULL, list TEXT NOT NULL,
    row INTEGER NOT NULL, cells TEXT NOT NULL, clinic_ics BLOB NOT NULL, zones TEXT NOT NULL, digest TEXT NOT NULL,
    status TEXT NOT NULL DEFAULT 'active', updated TEXT NOT NULL
);
CREATE INDEX plans_by_calendar ON plans(calendar);
CREATE TABLE sittings (
    plan_id TEXT NOT NULL, planned TEXT NOT NULL, asked TEXT NOT NULL, day TEXT NOT NULL, start TEXT NOT NULL,
    chair INTEGER, minutes INTEGER NOT NULL, lead INTEGER NOT NULL, tail INTEGER NOT NULL,
    reason TEXT NOT NULL DEFAULT '', PRIMARY KEY (plan_id, planned)
) WITHOUT ROWID;
CREATE INDEX sittings_by_day ON sittings(day);
CREATE TABLE visits (
    uid TEXT NOT NULL, plan_id TEXT NOT NULL, patient TEXT NOT NULL, kind TEXT NOT NULL, what TEXT NOT NULL,
    day TEXT NOT NULL, start TEXT, end TEXT, minutes INTEGER, chair INTEGER, status TEXT NOT NULL,
    asked TEXT NOT NULL DEFAULT '', reason TEXT NOT NULL DEFAULT '', prepare TEXT NOT NULL DEFAULT '[]',
    conflicts TEXT NOT NULL DEFAULT '[]', PRIMARY KEY (plan_id, uid)
) WITHOUT ROWID;
CREATE INDEX visits_by_day ON visits(day);
CREATE TABLE history (
    id INTEGER PRIMARY KEY, at TEXT NOT NULL, command TEXT NOT NULL, plan_id TEXT NOT NULL,
    uid TEXT NOT NULL DEFAULT '', change TEXT NOT NULL, was TEXT NOT NULL DEFAULT '', now TEXT NOT NULL DEFAULT '',
    reason TEXT NOT NULL DEFAULT ''
);
"""


def _relative_names(connection: sqlite3.Connection, folder: Path) -> None:
    """Schema 2: the book names its files relative to its own folder (schema 1 kept full paths, so a moved or
    copied clinic folder pointed back at the old one), knows patients by label, and keeps moves as data."""
    rows = connection.execute("SELECT plan_id, calendar, list FROM plans").fetchall()
    for plan_id, calendar, source in rows:
        connection.execute(
            "UPDATE plans SET calendar = ?, list = ? WHERE plan_id = ?",
            (_found_inside(calendar, folder), _found_inside(source, folder), plan_id),
        )
    connection.execute("CREATE INDEX plans_by_patient ON plans(patient)")
    # A move's history row holds where the visit was and is as data (for stepping back), and what it undoes.
    for column in (
        "was_day TEXT",
        "was_start TEXT",
        "was_chair INTEGER",
        "now_day TEXT",
        "now_start TEXT",
        "now_chair INTEGER",
        "undoes INTEGER",
    ):
        connection.execute(f"ALTER TABLE history ADD COLUMN {column}")
    # A patient let go from a day on (txcal release): later batches plan nothing for that plan from then.
    connection.execute("ALTER TABLE plans ADD COLUMN released TEXT")


def _found_inside(name: str, folder: Path) -> str:
    """Return a full path of schema 1 relative to the book's folder: as it is when inside, else the shortest
    tail of it that names a file in the folder (the folder was moved, copied or restored), else its last
    two parts (a file not written yet)."""
    path = Path(name)
    if not path.is_absolute():
        return name
    with contextlib.suppress(ValueError):
        return str(path.relative_to(folder))
    parts = path.parts[1:]
    for count in range(1, len(parts) + 1):
        tail = Path(*parts[-count:])
        if (folder / tail).exists():
            return str(tail)
    return str(Path(*parts[-2:])) if len(parts) >= 2 else path.name


# Each step takes a book from user_version N to N + 1; a newer txcal adds one step for each schema: SQL, or a
# function of the connection and the book's folder.
MIGRATIONS: dict[int, str | Callable[[sqlite3.Connection, Path], None]] = {0: SCHEMA_1, 1: _relative_names}
OURS = frozenset({"plans", "sittings", "visits", "history"})
_INDEXES = frozenset({"plans_by_calendar", "plans_by_patient", "sittings_by_day", "visits_by_day"})
RESTORE = (
    ": restore the book from its backup, or start a new book (another book file name in the profile) and run "
    "txcal batch for the clinic's lists again"
)


def _made_by_txcal(kind: str, name: str) -> bool:
    """Return whether a schema entry is one txcal makes: its tables, its indexes, SQLite's own key indexes."""
    if kind == "table":
        return name in OURS
    return kind == "index" and (name in _INDEXES or name.startswith("sqlite_autoindex_"))


def check_file(path: Path) -> None:
    """Refuse a book that is not a regular SQLite file, before SQLite touches it (a FIFO would hang it, a device
    never end): its type is looked at before it is opened.

    Raises:
        TxcalError: not a regular file, unreadable, or not SQLite.
    """
    try:
        mode = os.stat(path).st_mode
    except FileNotFoundError:
        return
    except OSError as exc:
        raise TxcalError(f"cannot read the clinic book {path}: {exc.strerror}") from None
    if not stat.S_ISREG(mode):
        raise TxcalError(f"the clinic book {path} is not a regular file: name a file in the profile's book key")
    try:
        with path.open("rb") as handle:
            head = handle.read(len(HEADER))
    except OSError as exc:
        raise TxcalError(f"cannot read the clinic book {path}: {exc.strerror}") from None
    if head and head != HEADER:
        raise TxcalError(
            f"{path} is not a SQLite file, so not a clinic book; it was left unchanged: "
            "point the profile's book key at another file name"
        )


def check_schema(connection: sqlite3.Connection, path: Path, writing: bool) -> None:
    """Check (and, writing, create or upgrade) the book's schema: a book holds txcal's tables and indexes only
    (a planted trigger or view would run inside txcal's transaction) and passes SQLite's quick check.

    Raises:
        TxcalError: not a book, a newer book, a damaged book, or one with things txcal did not make.
    """
    connection.text_factory = lambda data: data.decode("utf-8", "replace")  # a planted name that is not UTF-8
    try:
        version = connection.execute("PRAGMA user_version").fetchone()[0]
        found = connection.execute("SELECT type, name FROM sqlite_master").fetchall()
        tables = {name for kind, name in found if kind == "table"}
        # Writing only: a command that changes a damaged book would spread the damage; the quick check reads
        # the whole file, which the day sheet's quick read does without.
        damage = connection.execute("PRAGMA quick_check(1)").fetchone()[0] if version and writing else "ok"
    except (sqlite3.DatabaseError, UnicodeDecodeError) as exc:  # a damaged schema's message may not be UTF-8
        raise TxcalError(f"{path} cannot be read as a clinic book ({exc}); it was left unchanged{RESTORE}") from None
    if version > SCHEMA:
        raise TxcalError(
            f"the clinic book {path} was written by a newer txcal (book schema {version}; this txcal knows up to "
            f"{SCHEMA}): upgrade txcal to use it"
        )
    if version == 0 and tables:
        raise TxcalError(
            f"{path} is a SQLite database but not a clinic book (it has tables {', '.join(sorted(tables))}); it was "
            "left unchanged: point the profile's book key at another file name"
        )
    if version and not tables >= OURS:
        raise TxcalError(f"the clinic book {path} is missing tables {', '.join(sorted(OURS - tables))}{RESTORE}")
    planted = sorted(f"{kind} {name}" for kind, name in found if not _made_by_txcal(kind, name))
    if version and planted:
        raise TxcalError(
            f"the clinic book {path} holds what txcal did not make ({', '.join(planted)}); it was left unchanged: "
            "remove them with sqlite3, or restore the book from a backup"
        )
    if damage != "ok":
        raise TxcalError(
            f"the clinic book {path} is damaged ({' '.join(str(damage).split())}); it was left unchanged{RESTORE}"
        )
    while writing and version < SCHEMA:
        step = MIGRATIONS[version]
        if callable(step):
            step(connection, path.resolve().parent)
        else:  # one statement at a time: executescript would commit the command's transaction half-way
            for statement in step.split(";"):
                if statement.strip():
                    connection.execute(statement)
        version += 1
        connection.execute(f"PRAGMA user_version = {version}")


def name_in_book(book: Path, path: Path, what: str) -> str:
    """Return a file's name as a clinic book at `book` keeps it: relative to the book's folder.

    Raises:
        TxcalError: the file is outside the book's folder (a book travels with its folder).
    """
    folder = book.resolve().parent
    try:
        return str(path.resolve().relative_to(folder))
    except ValueError:
        raise TxcalError(
            f"{what} {path} is outside the clinic book's folder {folder}: keep the clinic's lists and calendars "
            "in the folder of its book, so the folder can be moved or copied whole"
        ) from None


# -- who holds the book: a note beside it, one short line, never followed through a link

HOLDER_BYTES = 200  # a holder note is one short line; more is not a note txcal wrote
_HOLDER_LINE = re.compile(r"txcal ([a-z]+) \(process ([0-9]{1,10})\)")


def holder_of(book: Path) -> Path:
    return book.with_name(book.name + ".holder")


def write_holder(book: Path, command: str) -> Path | None:
    """Write the note that says which command holds the book (it is held: any note there is stale, or planted);
    created anew, never through a link. Return it, or None when the folder takes no note."""
    holder = holder_of(book)
    line = f"txcal {command} (process {os.getpid()})\n".encode()
    for _ in range(2):
        try:
            handle = os.open(holder, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, 0o644)
        except FileExistsError:
            with contextlib.suppress(OSError):
                if not stat.S_ISDIR(os.lstat(holder).st_mode):
                    os.unlink(holder)  # a stale note or a link: the link goes, never what it points at
            continue
        except OSError:
            return None
        with os.fdopen(handle, "wb") as out:
            out.write(line)
        return holder
    return None


def busy_message(book: Path, waited: float) -> str:
    """Return what to say when another writer holds the book: the txcal command its note names, a stale note,
    or another program."""
    who = "another program (no txcal command says it holds the book)"
    note = _read_holder(holder_of(book))
    found = _HOLDER_LINE.fullmatch(note) if note else None
    if found is not None:
        command, pid = found.group(1), int(found.group(2))
        if _alive(pid):
            who = f"txcal {command} (process {pid})"
        else:
            who = f"another program (a stale note names txcal {command}, process {pid}, which is no longer running)"
    return f"the clinic book {book} is busy: {who} is writing it (waited {waited:.0f} s); try again when it is done"


def _read_holder(holder: Path) -> str:
    """Return a holder note's first line: a regular file read without following a link, at most HOLDER_BYTES."""
    try:
        handle = os.open(holder, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK)
    except OSError:
        return ""
    with os.fdopen(handle, "rb") as note:
        if not stat.S_ISREG(os.fstat(note.fileno()).st_mode):
            return ""
        return note.read(HOLDER_BYTES).decode("utf-8", "replace").split("\n", 1)[0].strip()


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except (PermissionError, OverflowError):
        return True
    return True


# -- reading and writing the book: a damaged or planted file is the book's problem, said with what to do


class Guarded:
    """The book's connection as Book uses it: a database error while reading or writing (a damaged or changed
    file) is said as the book's problem, with what to do, never as txcal's failure."""

    def __init__(self, connection: sqlite3.Connection, path: Path, waited: float) -> None:
        self.connection, self.path, self.waited = connection, path, waited
        # Text that is not UTF-8 (a damaged or planted book) is read with replacement marks, never a crash.
        connection.text_factory = lambda data: data.decode("utf-8", "replace")

    def execute(self, query: str, parameters: Iterable[Any] = ()) -> Rows:
        try:
            return Rows(self.connection.execute(query, tuple(parameters)), self)
        except (sqlite3.DatabaseError, UnicodeDecodeError) as exc:
            raise self.problem(exc) from None

    def executemany(self, query: str, rows: Iterable[Sequence[Any]]) -> Rows:
        try:
            return Rows(self.connection.executemany(query, rows), self)
        except (sqlite3.DatabaseError, UnicodeDecodeError) as exc:
            raise self.problem(exc) from None

    def close(self) -> None:
        self.connection.close()

    def problem(self, exc: sqlite3.DatabaseError | UnicodeDecodeError) -> TxcalError:
        if "locked" in str(exc) or "busy" in str(exc):
            return TxcalError(busy_message(self.path, self.waited))
        return TxcalError(f"the clinic book {self.path} cannot be used ({exc}); it was left unchanged{RESTORE}")


class Rows:
    """A query's rows, read as the book's connection reads them: a damaged page met while reading says so."""

    def __init__(self, cursor: sqlite3.Cursor, guard: Guarded) -> None:
        self.cursor, self.guard = cursor, guard

    @property
    def rowcount(self) -> int:
        return self.cursor.rowcount

    def __iter__(self) -> Iterator[Any]:
        try:
            # A loop, not `yield from`: a generator closed early (its reader stopped on a damaged row) would close
            # the cursor of a book that may be closed by then, and that error would surface as a stray warning.
            for row in self.cursor:  # noqa: UP028
                yield row
        except (sqlite3.DatabaseError, UnicodeDecodeError) as exc:
            raise self.guard.problem(exc) from None

    def fetchone(self) -> Any:
        try:
            return self.cursor.fetchone()
        except (sqlite3.DatabaseError, UnicodeDecodeError) as exc:
            raise self.guard.problem(exc) from None

    def fetchall(self) -> list[Any]:
        return list(self)
