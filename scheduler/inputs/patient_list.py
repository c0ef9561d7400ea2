"""Patient lists: a CSV file, a row per patient, its columns the plan options (scheduler.options).

A row accepts exactly what the command line accepts, in the same words: a column per option
(`weight_kg`, `for`, `strict` ...), headers in any case and with spaces around them, and a
`plan_file` column that names a patient's plan file instead.
"""

from __future__ import annotations

import csv
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from scheduler.errors import TxcalError
from scheduler.files import check_regular
from scheduler.inputs.plan_spec import PlanSpec
from scheduler.options import BY_COLUMN, PATIENT_LIST

PLAN_FILE_COLUMN = "plan_file"
# Set on a row that has more cells than the header has columns: the row is refused.
EXTRA_CELLS = "\x00extra"
COLUMNS = (*BY_COLUMN, PLAN_FILE_COLUMN)


def _header(name: str | None) -> str:
    return (name or "").strip().lower()


def iter_rows(path: Path) -> Iterator[tuple[int, dict[str, str]]]:
    """Yield the patient list's rows with their line numbers, a row at a time, keyed by column.

    Raises:
        TxcalError: the file cannot be read, or its header has unknown or missing columns.
    """
    check_regular(path)
    reader = None
    try:
        with path.open(encoding="utf-8-sig", newline="") as handle:
            reader = csv.reader(handle)
            header = [_header(c) for c in next(reader, [])]
            unknown = [c for c in header if c and c not in COLUMNS]
            if unknown or "patient" not in header:
                raise TxcalError(
                    f"{path}: the header must name known columns and include patient; "
                    f"unknown: {', '.join(unknown) or 'none'}; known: {', '.join(COLUMNS)}"
                )
            for cells in reader:
                row = {name: cell.strip() for name, cell in zip(header, cells, strict=False) if name}
                extra = [cell for cell in cells[len(header) :] if cell.strip()]
                if extra:
                    # A cell beyond the header has no column: a shifted row, never to be guessed at.
                    row[EXTRA_CELLS] = f"{len(cells)} cells where the header names {len(header)} columns"
                if any(row.values()):
                    yield reader.line_num, row
    except csv.Error as exc:
        line = max(reader.line_num, 1) if reader is not None else 1
        raise TxcalError(f"{path}: line {line}: not readable as CSV ({exc})") from None
    except OSError as exc:
        raise TxcalError(f"cannot read {path}: {exc.strerror}") from None
    except UnicodeDecodeError:
        raise TxcalError(f"{path} is not UTF-8 text: save the patient list as CSV UTF-8") from None


def spec_from_row(cells: dict[str, str], base: Path) -> PlanSpec:
    """Return the plan a row describes: its own columns, or the plan file it names.

    Raises:
        TxcalError: a cell is not what its column expects (the message names the column and the fix).
    """
    if EXTRA_CELLS in cells:
        raise TxcalError(f"{cells[EXTRA_CELLS]}: check for a stray comma, or quote the cell")
    if cells.get(PLAN_FILE_COLUMN):
        from scheduler.inputs.plan_file import load_plan

        name = cells[PLAN_FILE_COLUMN]
        path = base / name
        # A list may come from someone else: its plan files stay in its folder.
        if "\x00" in name or not path.resolve().is_relative_to(base.resolve()):
            raise TxcalError(
                f"column {PLAN_FILE_COLUMN}: {name!r} is outside the list's folder: keep plan files beside it"
            )
        return load_plan(path)  # the file holds the whole plan; the row names it
    values: dict[str, Any] = {}
    problems = []
    for column, text in cells.items():
        if not text or column == PLAN_FILE_COLUMN:
            continue
        option = BY_COLUMN[column]
        try:
            values[option.name] = option.read(text)
        except ValueError as exc:
            hint = f"; {option.value.hint}" if option.value.hint else ""
            quoted = "" if repr(text) in str(exc) else f"{text!r}: "  # some reasons quote the value already
            problems.append(f"column {column}: {quoted}{exc}{hint}")
    missing = [
        c for c in ("drug", "start") if c not in values and not any(p.startswith(f"column {c}:") for p in problems)
    ]
    if missing:
        problems.append(f"fill in {' and '.join(missing)} (or name a {PLAN_FILE_COLUMN})")
    if problems:
        raise TxcalError("; ".join(problems))
    return PlanSpec(base=base, origin=PATIENT_LIST, **values)
