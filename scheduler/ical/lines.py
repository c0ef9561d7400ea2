"""iCalendar content lines as icalendar writes them (RFC 5545 3.1): escaping, folding, values and stamps."""

from __future__ import annotations

import re
from collections.abc import Iterable
from datetime import UTC, date, datetime, timedelta

from scheduler import caches

# Where one property's lines end and the next begins: a line break that does not fold.
PROPERTY_BREAK = re.compile(r"\r\n(?![ \t])")


# Control characters a TEXT value may not carry (RFC 5545 3.3.11 allows HTAB); LF is escaped instead.
CONTROLS = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")


def unambiguous(value: date | datetime) -> date | datetime:
    """Return a date-time readers cannot misread: the second of two equal wall times goes in UTC.

    A wall time repeated when clocks fall back is read as its first occurrence (RFC 5545
    3.3.5), so an infusion that ends at the second 01:00 would seem to end before it began.
    """
    if isinstance(value, datetime) and value.fold and value.replace(fold=0).utcoffset() != value.utcoffset():
        return value.astimezone(UTC)
    return value


def escape(text: str) -> str:
    """Return TEXT escaped (RFC 5545 3.3.11): the one path every text value takes into a calendar.

    Line breaks of any kind (CRLF, LF, a lone CR) become the escape \\n; every other control
    character (C0 but tab, DEL, C1) is dropped, since a raw one starts a new property in some
    readers (vobject) or makes others reject the file (ical).
    """
    if not text.isprintable():  # most text is: no line break or other control character to deal with
        text = CONTROLS.sub("", text.replace("\r\n", "\n").replace("\r", "\n"))
    return text.replace("\\", "\\\\").replace(";", "\\;").replace(",", "\\,").replace("\n", "\\n")


@caches.kept(1024)
def fold(line: str) -> str:
    """Return a content line folded at 75 octets, split only between characters.

    As icalendar does it: each physical line holds at most 74 octets of content, and a fold never
    falls right after a backslash or caret, so escapes stay whole (icalendar issue #1501).
    """
    if line.isascii():  # one octet a character: fold the text itself
        return _fold_ascii(line)
    data = line.encode("utf-8")
    if len(data) < 75:
        return line
    parts = []
    start = 0
    while len(data) - start >= 75:
        end = start + 74
        while data[end] & 0xC0 == 0x80:  # inside a multi-byte character: break before it
            end -= 1
        if data[end - 1] in b"\\^" and end - start > 1:
            end -= 1
        parts.append(data[start:end])
        start = end
    parts.append(data[start:])
    return b"\r\n ".join(parts).decode("utf-8")


def _fold_ascii(line: str) -> str:
    # fold() for ASCII, where a character is an octet: the same cuts without encoding.
    if len(line) < 75:
        return line
    parts, start = [], 0
    while len(line) - start >= 75:
        end = start + 74
        if line[end - 1] in "\\^" and end - start > 1:
            end -= 1
        parts.append(line[start:end])
        start = end
    parts.append(line[start:])
    return "\r\n ".join(parts)


def folded(line: str) -> str:
    """Return a content line folded, skipping the work for the short ASCII lines most are."""
    return line if len(line) < 75 and line.isascii() else fold(line)


def moment_value(value: date | datetime) -> str:
    """Return a DATE or DATE-TIME property's parameters and value: ";TZID=Europe/Berlin:20261201T090000".

    The day's part is kept per day: formatting the fields (or isoformat, which asks the zone for
    its offset) costs twice as much, for two values an event.
    """
    if not isinstance(value, datetime):
        return f";VALUE=DATE:{value.isoformat().replace('-', '')}"
    key = getattr(value.tzinfo, "key", None)  # datetime.UTC has no key
    if key is None or key in ("UTC", "Etc/UTC"):
        value, key = value.astimezone(UTC), ""
    ordinal = value.toordinal()
    day = _DAY_TEXT.get(ordinal)
    if day is None:
        day = _DAY_TEXT[ordinal] = value.date().isoformat().replace("-", "")
    clock = f"{day}T{value.hour * 10000 + value.minute * 100 + value.second:06d}"
    return f";TZID={key}:{clock}" if key else f":{clock}Z"


_DAY_TEXT: dict[int, str] = {}  # a few thousand days at most: the years plans reach
caches.register(_DAY_TEXT.clear)


def duration_text(value: timedelta) -> str:
    """Return a DURATION the way icalendar writes it: -P1D, -PT2H, -P1DT2H30M."""
    sign = "-" if value < timedelta(0) else ""
    value = abs(value)
    days, seconds = value.days, value.seconds
    text = f"{sign}P"
    if days:
        text += f"{days}D"
    if seconds:
        hours, rest = divmod(seconds, 3600)
        minutes, secs = divmod(rest, 60)
        text += "T" + (f"{hours}H" if hours else "") + (f"{minutes}M" if minutes else "") + (f"{secs}S" if secs else "")
    return text if text != f"{sign}P" else "P0D"


def offset_text(value: timedelta) -> str:
    minutes = int(value.total_seconds()) // 60
    sign = "-" if minutes < 0 else "+"
    return f"{sign}{abs(minutes) // 60:02d}{abs(minutes) % 60:02d}"


@caches.kept(16)
def utc_text(stamp: datetime) -> str:
    return f"{stamp:%Y%m%dT%H%M%S}Z"


def text_property(name: str, value: str) -> str:
    """Return a property line holding one TEXT value, escaped and folded."""
    return fold(f"{name}:{escape(value)}")


def list_property(name: str, values: Iterable[str]) -> str:
    """Return a property line holding a list of TEXT values: each escaped, so only the separating commas are
    bare (RFC 5545 3.1.1), folded."""
    return fold(f"{name}:{','.join(map(escape, values))}")
