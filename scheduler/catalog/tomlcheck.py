"""Read TOML tables strictly: every bad or unknown key becomes a problem with its key path.

Used for regimen templates and plan files, so both report all their problems at once in the
same words: `steps[2].every: expected an interval like "3w", got '3 weeks'`.
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, TypeVar

from scheduler.errors import TemplateError, TxcalError
from scheduler.files import read_input

T = TypeVar("T")


class TableReader:
    """A TOML table being read: records a problem, with its key path, for every bad or unknown key."""

    def __init__(self, data: Any, where: str, problems: list[str], allowed: set[str]) -> None:
        self.where = where
        self.problems = problems
        self.data: dict[str, Any] = data if isinstance(data, dict) else {}
        if not isinstance(data, dict):
            self.problems.append(f"{where or 'file'}: expected a table, got {data!r}")
        for key in self.data:
            if key not in allowed:
                self.problems.append(f"{self.path(key)}: unknown key; expected one of: {', '.join(sorted(allowed))}")

    def path(self, key: str) -> str:
        return f"{self.where}.{key}" if self.where else key

    def bad(self, key: str, expected: str) -> None:
        self.problems.append(f"{self.path(key)}: expected {expected}, got {self.data[key]!r}")

    def has(self, key: str) -> bool:
        return key in self.data

    def get(self, key: str, kind: type, expected: str, required: bool = False) -> Any:
        """Return the value of `key` if it has the right type; record a problem otherwise."""
        if key not in self.data:
            if required:
                self.problems.append(f"{self.path(key)}: missing; expected {expected}")
            return None
        value = self.data[key]
        # TOML booleans are not numbers here, whatever Python thinks.
        if not isinstance(value, kind) or (kind is not bool and isinstance(value, bool)):
            self.bad(key, expected)
            return None
        return value

    def text(self, key: str, required: bool = False, default: str = "") -> str:
        value = self.get(key, str, "text", required)
        if value is not None and not value.strip():
            self.bad(key, "non-empty text")
            return default
        return default if value is None else value

    def texts(self, key: str) -> tuple[str, ...]:
        value = self.get(key, list, "a list of text")
        if value is None:
            return ()
        if not all(isinstance(item, str) and item.strip() for item in value):
            self.bad(key, "a list of non-empty text")
            return ()
        return tuple(value)

    def number(self, key: str, required: bool = False) -> float | None:
        value = self.get(key, (int, float), "a positive number", required)  # type: ignore[arg-type]
        if value is not None and value <= 0:
            self.bad(key, "a positive number")
            return None
        return None if value is None else float(value)

    def integer(self, key: str, required: bool = False) -> int | None:
        value = self.get(key, int, "an integer", required)
        return None if value is None else int(value)

    def choice(self, key: str, choices: Sequence[str], required: bool = False) -> str:
        value = self.get(key, str, "one of " + ", ".join(f'"{c}"' for c in choices), required)
        if value is not None and value not in choices:
            self.bad(key, "one of " + ", ".join(f'"{c}"' for c in choices))
            return ""
        return value or ""

    def parsed(
        self, key: str, parse: Callable[[str], T], expected: str, required: bool = False
    ) -> tuple[str, T] | None:
        """Return (text, parsed value) for a string parsed by `parse`; record a problem if it fails."""
        value = self.get(key, str, expected, required)
        if value is None:
            return None
        try:
            return value, parse(value)
        except ValueError:
            self.bad(key, expected)
            return None

    def day_range(self, key: str) -> tuple[int, int] | None:
        value = self.get(key, list, "[first day, last day]")
        if value is None:
            return None
        if (
            len(value) != 2
            or not all(isinstance(d, int) and not isinstance(d, bool) and d != 0 for d in value)
            or value[0] > value[1]
        ):
            self.bad(key, "[first day, last day], non-zero day numbers in order (there is no Day 0)")
            return None
        return value[0], value[1]

    def schema(self, version: int, what: str) -> None:
        """Check the file's `schema` key: the one version of this kind of file this txcal reads."""
        schema = self.get("schema", int, f"schema = {version}", required=True)
        if schema is not None and schema != version:
            self.bad("schema", f"{version} (the only {what} schema this txcal reads)")

    def table(self, key: str, allowed: set[str], required: bool = False) -> TableReader | None:
        if key not in self.data:
            if required:
                self.problems.append(f"{self.path(key)}: missing; expected a table")
            return None
        return TableReader(self.data[key], self.path(key), self.problems, allowed)

    def tables(self, key: str, allowed: set[str]) -> list[TableReader]:
        value = self.get(key, list, "an array of tables ([[" + key + "]])")
        if value is None:
            return []
        # Positions are counted from 1, as a person reading the file counts them.
        return [TableReader(item, f"{self.path(key)}[{i}]", self.problems, allowed) for i, item in enumerate(value, 1)]


MAX_DEPTH = 32  # arrays and inline tables in arrays and tables: txcal's files nest two or three levels
_OPENERS = re.compile(r"[\[\]{}\"'#]")


def _too_dotted(text: str) -> bool:
    """Return whether a key (before "=") or a table header has more dotted parts than MAX_DEPTH, before tomllib,
    which takes time growing with the square of a key's parts (a 200 KB key of dotted parts took 24 s)."""
    for line in text.splitlines():
        key = line.partition("=")[0] if "=" in line else line if line.lstrip().startswith("[") else ""
        if key.count(".") >= MAX_DEPTH:
            return True
    return False


def _too_deep(text: str) -> bool:
    """Return whether brackets and braces nest deeper than MAX_DEPTH (strings and comments skipped), before
    tomllib, which recurses and would overflow Python's stack on a hostile file."""
    depth, at, quote = 0, 0, ""
    while (found := _OPENERS.search(text, at)) is not None:
        char, at = found.group(), found.end()
        if quote:
            if char == quote[0] and text.startswith(quote, found.start()) and text[found.start() - 1] != "\\":
                at, quote = found.start() + len(quote), ""
            continue
        if char in "\"'":
            quote = char * 3 if text.startswith(char * 3, found.start()) else char
            at = found.start() + len(quote)
        elif char == "#":
            newline = text.find("\n", at)
            at = len(text) if newline < 0 else newline
        elif char in "[{":
            depth += 1
            if depth > MAX_DEPTH:
                return True
        elif char in "]}":
            depth = max(depth - 1, 0)
    return False


def read_toml(path: Path, what: str) -> dict[str, Any]:
    """Return a TOML file's tables: a regular UTF-8 text file of at most 1 MB.

    Args:
        path: the file.
        what: what it is, for the message ("the plan file", "the clinic profile").

    Raises:
        TemplateError: it cannot be read, is not UTF-8 text, or is not TOML.
    """
    try:
        text = read_input(path, 2**20).decode("utf-8")
        if _too_deep(text) or _too_dotted(text):
            raise TemplateError(str(path), [f"nested more than {MAX_DEPTH} levels deep: {what} is never that deep"])
        return tomllib.loads(text)
    except TxcalError as exc:
        raise TemplateError(str(path), [f"cannot read {what}: {exc}"]) from None  # its reason says the fix
    except UnicodeDecodeError:
        raise TemplateError(str(path), [f"not UTF-8 text: {what} is a TOML text file"]) from None
    except tomllib.TOMLDecodeError as exc:
        raise TemplateError(str(path), [f"not valid TOML: {exc}"]) from None
    except RecursionError:  # what the scan above missed
        raise TemplateError(str(path), [f"nested too deeply: {what} is never that deep"]) from None
    except ValueError:  # a NUL in the path
        raise TemplateError(repr(str(path)), ["not a file name; check the path"]) from None
