"""Read iCalendar text without a calendar library: unfold, split content lines, nest components.

The one .ics reader: it checks files as they are on disk (`txcal check`), compares a re-export
with the file it replaces line for line, reads closures, a server's events (publish) and a
clinic calendar a line at a time (`txcal load`).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import AnyStr, NamedTuple
from zoneinfo import ZoneInfo

from scheduler.ical.names import PLAN_PROPERTY

# Calendars nest VCALENDAR > VEVENT > VALARM; far deeper nesting is hostile, not a calendar.
MAX_DEPTH = 16


class ContentLine(NamedTuple):
    """One unfolded content line: NAME;PARAM=VALUE:VALUE (RFC 5545 3.1).

    A named tuple: a clinic's calendar makes a million of them, and a tuple is made fastest.
    """

    name: str
    params: dict[str, str]
    value: str
    text: str
    number: int  # the physical line it starts on, from 1


@dataclass
class Component:
    """A BEGIN/END block with its own lines and nested components."""

    name: str
    lines: list[ContentLine] = field(default_factory=list)
    children: list[Component] = field(default_factory=list)

    def first(self, name: str) -> ContentLine | None:
        return next((line for line in self.lines if line.name == name), None)

    def all_lines(self) -> list[ContentLine]:
        """Return this component's lines and its children's, BEGIN and END included, in order."""
        found = [ContentLine("BEGIN", {}, self.name, f"BEGIN:{self.name}", 0), *self.lines]
        for child in self.children:
            found.extend(child.all_lines())
        found.append(ContentLine("END", {}, self.name, f"END:{self.name}", 0))
        return found

    def walk(self, name: str) -> list[Component]:
        found = [self] if self.name == name else []
        for child in self.children:
            found.extend(child.walk(name))
        return found


def unfold(text: str) -> list[tuple[int, str]]:
    """Return (first physical line number, logical line) pairs; a line starting with space or tab continues the last.

    Linear in the text however many continuation lines a line has: a line's pieces are joined once.
    """
    logical: list[tuple[int, str]] = []
    pieces: list[str] = []
    start = 0
    for number, line in enumerate(text.replace("\r\n", "\n").split("\n"), 1):
        if line[:1] in (" ", "\t") and pieces:
            pieces.append(line[1:])
        elif line:
            if pieces:
                logical.append((start, "".join(pieces)))
            start, pieces = number, [line]
    if pieces:
        logical.append((start, "".join(pieces)))
    return logical


def parse_line(text: str, number: int = 0) -> ContentLine:
    """Split a content line into name, parameters and value; colons inside quotes belong to parameters."""
    colon = text.find(":")
    if colon >= 0 and '"' not in text[:colon]:  # the usual line: no quoted parameter before the value
        head, value = text[:colon], text[colon + 1 :]
    else:
        quoted = False
        for index, char in enumerate(text):
            if char == '"':
                quoted = not quoted
            elif char == ":" and not quoted:
                head, value = text[:index], text[index + 1 :]
                break
        else:
            head, value = text, ""
    name, *raw_params = head.split(";")
    params = {}
    for raw in raw_params:
        key, _, param_value = raw.partition("=")
        params[key.upper()] = param_value.strip('"')
    return ContentLine(name.upper(), params, value, text, number)


def parse(text: str) -> list[Component]:
    """Return the top-level components of an iCalendar text (normally one VCALENDAR).

    Raises:
        ValueError: BEGIN and END do not match.
    """
    roots: list[Component] = []
    stack: list[Component] = []
    for number, raw in unfold(text):
        line = parse_line(raw, number)
        if line.name == "BEGIN":
            if len(stack) >= MAX_DEPTH:
                raise ValueError(f"line {number}: components nested deeper than {MAX_DEPTH}; no calendar needs that")
            component = Component(line.value.upper())
            (stack[-1].children if stack else roots).append(component)
            stack.append(component)
        elif line.name == "END":
            if not stack or stack[-1].name != line.value.upper():
                raise ValueError(f"line {number}: END:{line.value} does not close the open component")
            stack.pop()
        elif stack:
            stack[-1].lines.append(line)
        else:
            raise ValueError(f"line {number}: content outside BEGIN:VCALENDAR")
    if stack:
        raise ValueError(f"END:{stack[-1].name} is missing")
    return roots


def stream_events(lines: Iterable[str], names: frozenset[str]) -> Iterator[dict[str, ContentLine]]:
    """Yield each VEVENT's properties among `names`, reading a line at a time (a whole clinic's calendar).

    A folded property of interest is unfolded; alarms' lines are left out (a VALARM nests inside
    its VEVENT). Names written in capitals, as txcal and most apps write them, are matched by
    prefix; any other line is read in full, as property names are not case-sensitive.
    """
    prefixes = tuple(f"{name}{separator}" for name in names for separator in ":;")
    event: dict[str, ContentLine] | None = None
    depth = 0
    key = ""  # the property of interest being read, while its folded lines follow
    folded: list[str] = []  # its continuation lines, joined once when it ends: linear however many there are
    for raw in lines:
        first = raw[:1]
        if first in (" ", "\t"):
            if event is not None and key:
                folded.append(raw.rstrip("\r\n")[1:])
            continue
        if folded and event is not None and key:
            event[key] = parse_line(event[key].text + "".join(folded))
        folded.clear()
        key = ""
        if first == "B" or first == "E" or event is None:
            line = raw.rstrip("\r\n")
            if line == "BEGIN:VEVENT":
                event, depth = {}, 0
            elif event is None:
                continue
            elif line == "END:VEVENT":
                yield event
                event = None
            elif line.startswith("BEGIN:"):
                depth += 1
            elif line.startswith("END:"):
                depth -= 1
            else:
                key = _wanted(line, names, depth, event)
        elif depth == 0 and (raw.startswith(prefixes) or not first.isupper()):
            key = _wanted(raw.rstrip("\r\n"), names, depth, event)


def stream_own_events(chunks: Iterable[str], names: frozenset[str]) -> Iterator[dict[str, ContentLine]]:
    """Yield what `stream_events` yields, for a calendar txcal wrote, read in large pieces (a clinic's).

    txcal writes its events' properties on lines of their own, unquoted, capitalised, with no
    component inside an event but its alarms (whose lines none of the clinic's views ask for): a
    regular expression finds the lines asked for in each event at once, where the line-by-line
    reader would look at every line. A test holds both readers equal on txcal's calendars.
    """
    wanted = re.compile(
        r"^(" + "|".join(re.escape(n) for n in sorted(names)) + r")([;:][^\r\n]*(?:\r\n[ \t][^\r\n]*)*)", re.M
    )
    for text in stream_own_texts(chunks):
        yield {name: parse_line(unfolded(name + rest)) for name, rest in wanted.findall(text)}


def stream_own_texts(chunks: Iterable[str]) -> Iterator[str]:
    """Yield the text of each event of a calendar txcal wrote, up to its alarms, read in large pieces."""
    for text in whole_events(chunks, "END:VEVENT\r\n"):
        yield from _event_texts(text)


def whole_events(chunks: Iterable[AnyStr], end: AnyStr) -> Iterator[AnyStr]:
    """Yield a calendar's text (or bytes) again in pieces that end where an event ends (`end`: its END:VEVENT
    line); the last piece ends where the text ends."""
    rest = end[:0]
    for chunk in chunks:
        text = rest + chunk
        cut = text.rfind(end)
        if cut < 0:
            rest = text
            continue
        cut += len(end)
        rest = text[cut:]
        yield text[:cut]
    yield rest


def _event_texts(text: str) -> Iterator[str]:
    for piece in text.split("BEGIN:VEVENT\r\n")[1:]:
        end = piece.find("END:VEVENT\r\n")
        if end < 0:
            continue  # an event the file does not finish: the line reader would not yield it either
        alarm = piece.find("BEGIN:VALARM\r\n", 0, end)  # txcal writes alarms after the event's own lines
        yield piece[: alarm if alarm >= 0 else end]


def unfolded(line: str) -> str:
    """Return a folded content line (or a value) whole again."""
    return line.replace("\r\n ", "").replace("\r\n\t", "") if "\r\n" in line else line


def _wanted(line: str, names: frozenset[str], depth: int, event: dict[str, ContentLine]) -> str:
    """Keep a line of the event when it is a property of interest; return its name ("" when it is not)."""
    if depth:
        return ""
    name = line.partition(":")[0].partition(";")[0].upper()
    if name not in names:
        return ""
    event[name] = parse_line(line)
    return name


def unescape(value: str) -> str:
    """Return a TEXT value as written by its author: RFC 5545 escapes undone."""
    return re.sub(r"\\([\\;,nN])", lambda m: "\n" if m.group(1) in "nN" else m.group(1), value)


def unescape_list(value: str) -> tuple[str, ...]:
    """Return the items of a multi-valued TEXT property (RFC 5545 3.1.1: separated by unescaped commas)."""
    items = re.split(r"(?<!\\)((?:\\\\)*),", value)  # a comma after an even run of backslashes separates
    # re.split keeps the captured backslash runs: put each back on the item it ends.
    joined = [items[0]]
    for run, item in zip(items[1::2], items[2::2], strict=True):
        joined[-1] += run
        joined.append(item)
    return tuple(unescape(item) for item in joined if item)


def is_txcal_text(head: str) -> bool:
    """Return whether a calendar's first lines say txcal wrote it (CRLF line ends, txcal's PRODID)."""
    return head.startswith("BEGIN:VCALENDAR\r\n") and "\r\nPRODID:-//txcal//" in head


def txcal_plan_id(data: bytes) -> str | None:
    """Return the plan id of a calendar file txcal wrote, or None for any other file."""
    # The calendar's own properties come before its first component: read only those.
    end = data.find(b"\nBEGIN:", data.find(b"BEGIN:VCALENDAR") + 1)
    head = (data[: end + 1] if end >= 0 else data) if b"BEGIN:VCALENDAR" in data else b""
    try:
        lines = [parse_line(text) for _, text in unfold(head.decode("utf-8"))]
    except UnicodeDecodeError:
        return None
    if not lines or lines[0].text != "BEGIN:VCALENDAR":
        return None
    found = {line.name: line.value for line in lines}
    if "//txcal//" not in found.get("PRODID", "") or PLAN_PROPERTY not in found:
        return None
    return found[PLAN_PROPERTY]


_UTC = ZoneInfo("UTC")


def date_time_parts(text: str) -> tuple[date, int | None, int, bool] | None:
    """Return a DATE or DATE-TIME value in its basic form (20261120, 20261120T093000, 20261120T093000Z) as
    (day, minute of the day or None for a DATE, second, whether UTC); None for any other text.

    The one place calendar dates are read: `moment`, `utc_stamp` and the load's fast path use it.
    Read by hand: strptime takes ten times as long.
    """
    if len(text) == 8:
        if not text.isdigit():
            return None
        minute, second, utc = None, 0, False
    elif len(text) in (15, 16) and text[8] == "T" and text[:8].isdigit() and text[9:15].isdigit():
        utc = len(text) == 16
        if utc and text[15] != "Z":
            return None
        hour, minute, second = int(text[9:11]), int(text[11:13]), int(text[13:15])
        if hour > 23 or minute > 59 or second > 59:
            return None
        minute += hour * 60
    else:
        return None
    try:
        return date(int(text[:4]), int(text[4:6]), int(text[6:8])), minute, second, utc
    except ValueError:
        return None


def moment(line: ContentLine) -> date | datetime | None:
    """Return a DATE or DATE-TIME value (naive local, or UTC-aware for a trailing Z)."""
    text = line.value.split(",")[0]
    parts = date_time_parts(text)
    if parts is not None:
        day, minute, second, utc = parts
        if minute is None:
            return day
        if line.params.get("VALUE") != "DATE":
            found = datetime(day.year, day.month, day.day, minute // 60, minute % 60, second)  # noqa: DTZ001  (local time; its zone is the TZID, or the Z below)
            return found.replace(tzinfo=_UTC) if utc else found
    try:  # the looser forms strptime still reads (unpadded fields)
        if line.params.get("VALUE") == "DATE" or len(text) == 8:
            return datetime.strptime(text, "%Y%m%d").date()  # noqa: DTZ007  (a date has no zone)
        if text.endswith("Z"):
            return datetime.strptime(text, "%Y%m%dT%H%M%SZ").replace(tzinfo=_UTC)
        return datetime.strptime(text, "%Y%m%dT%H%M%S")  # noqa: DTZ007  (local time; its zone is the TZID)
    except ValueError:
        return None


def utc_stamp(text: str) -> datetime:
    """Return a UTC DATE-TIME value such as 20261120T000000Z (a DTSTAMP).

    Raises:
        ValueError: it is not one.
    """
    parts = date_time_parts(text)
    if parts is None or not parts[3]:
        raise ValueError(f"{text!r} is not a UTC time stamp like 20261120T000000Z")
    day, minute, second, _ = parts
    assert minute is not None
    return datetime(day.year, day.month, day.day, minute // 60, minute % 60, second, tzinfo=UTC)
