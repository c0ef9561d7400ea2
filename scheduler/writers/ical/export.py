"""Plans as iCalendar bytes that Google, Apple, Outlook and Thunderbird read alike.

A string writer, fast enough for a whole clinic and free of the icalendar import, that writes
exactly the bytes icalendar's component API writes for the same events (ics_reference.py is that
oracle; tests compare the two byte for byte). Rules from ../shared/calendar-interop.md: one
VEVENT per occurrence (no RRULE), a rule-based VTIMEZONE for every TZID, no METHOD, stable opaque
UIDs, DTSTAMP in UTC passed in (never the clock), and re-exports that update instead of
duplicating.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from functools import cached_property

from scheduler import __version__, caches, wording
from scheduler.errors import TxcalError
from scheduler.model import Plan, PlannedEvent
from scheduler.wording import CANCELLED_PREFIX, calendar_title, event_description, event_summary, reminder_text
from scheduler.writers.ical.read import PLAN_PROPERTY, Component, parse, parse_line, txcal_plan_id, unfolded
from scheduler.writers.ical.vtimezone import Observance, observances
from scheduler.writers.registry import Rendered, View

PRODID = f"-//txcal//txcal {__version__}//EN"
# Properties that change when an event changes; the rest of its lines are its content.
VOLATILE = frozenset({"DTSTAMP", "SEQUENCE", "LAST-MODIFIED"})
# Planned events are tentative until the clinic confirms them; a held dose will not happen.
STATUS = {"planned": "TENTATIVE", "given": "CONFIRMED", "held": "CANCELLED"}
# Kinds that do not take up the patient's time: reminders and watch periods.
TRANSPARENT = frozenset({"milestone", "watch"})
# icalendar writes these first, in this order, and the other properties alphabetically after.
_EVENT_ORDER = ("SUMMARY", "DTSTART", "DTEND", "DURATION", "DTSTAMP", "UID", "RECURRENCE-ID", "SEQUENCE")
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
# An all-day event's reminder rings at 18:00 the evening before: 6 hours before its midnight start.
EVENING_BEFORE = timedelta(hours=6)
# Where one property's lines end and the next begins: a line break that does not fold.
_PROPERTY_BREAK = re.compile(r"\r\n(?![ \t])")
# Control characters a TEXT value may not carry (RFC 5545 3.3.11 allows HTAB); LF is escaped instead.
_CONTROLS = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")


def calendar_name(plan: Plan) -> str:
    """Return the calendar's display name (NAME and X-WR-CALNAME)."""
    return calendar_title(plan.regimen.title, plan.request.patient)


def description(event: PlannedEvent) -> str:
    """Return the plain-text description: dose and route, notes, sources and the reminder."""
    return event_description(event.kind, wording.event_dose(event), event.route, wording.patient_notes(event.facts))


def unambiguous(value: date | datetime) -> date | datetime:
    """Return a date-time readers cannot misread: the second of two equal wall times goes in UTC.

    A wall time repeated when clocks fall back is read as its first occurrence (RFC 5545
    3.3.5), so an infusion that ends at the second 01:00 would seem to end before it began.
    """
    if isinstance(value, datetime) and value.fold and value.replace(fold=0).utcoffset() != value.utcoffset():
        return value.astimezone(UTC)
    return value


# -- content lines (RFC 5545 3.1), as icalendar writes them -------------------------------------


def escape(text: str) -> str:
    """Return TEXT escaped (RFC 5545 3.3.11): the one path every text value takes into a calendar.

    Line breaks of any kind (CRLF, LF, a lone CR) become the escape \\n; every other control
    character (C0 but tab, DEL, C1) is dropped, since a raw one starts a new property in some
    readers (vobject) or makes others reject the file (ical).
    """
    if not text.isprintable():  # most text is: no line break or other control character to deal with
        text = _CONTROLS.sub("", text.replace("\r\n", "\n").replace("\r", "\n"))
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


@caches.kept(512)
def _description_line(kind: str, dose: str, route: str, notes: tuple[str, ...]) -> str:
    # The doses of a plan share it but for a line or two: escaped and folded once for them all.
    return fold("DESCRIPTION:" + escape(event_description(kind, dose, route, notes)))


def _value(value: date | datetime) -> str:
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


def _duration(value: timedelta) -> str:
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


def _offset(value: timedelta) -> str:
    minutes = int(value.total_seconds()) // 60
    sign = "-" if minutes < 0 else "+"
    return f"{sign}{abs(minutes) // 60:02d}{abs(minutes) % 60:02d}"


@caches.kept(16)
def _stamp_text(stamp: datetime) -> str:
    return f"{stamp:%Y%m%dT%H%M%S}Z"


# -- events ---------------------------------------------------------------------------------------


def utc_stamp(text: str) -> datetime:
    """Return a UTC DATE-TIME value such as 20261120T000000Z (read by hand: strptime is slow).

    Raises:
        ValueError: it is not one.
    """
    if len(text) != 16 or text[8] != "T" or text[15] != "Z" or not (text[:8] + text[9:15]).isdigit():
        raise ValueError(f"{text!r} is not a UTC time stamp like 20261120T000000Z")
    return datetime(
        int(text[:4]), int(text[4:6]), int(text[6:8]), int(text[9:11]), int(text[11:13]), int(text[13:15]), tzinfo=UTC
    )


class EventBlock:
    """One VEVENT: its properties as written (folded content lines) by name, its alarms, its zones.

    Lines are kept folded, so an event is folded once however often it is written (a patient's file
    and the clinic calendar); folding is deterministic, so folded lines compare as unfolded ones do.
    An event of a plan is made as its text, in one piece; its lines by name are read back from that
    text only when asked for (a changed event compared, a server's copy): most events never are.
    """

    __slots__ = ("_description", "_props", "_text", "alarms", "uid", "zones")

    def __init__(
        self,
        uid: str,
        props: dict[str, str] | None = None,  # NAME -> the whole line, folded; one of each, as txcal writes them
        alarms: tuple[tuple[str, ...], ...] = (),
        zones: frozenset[tuple[str, int]] = frozenset(),  # (TZID, year) of its start and end
        text: str = "",  # the VEVENT as written (without props: its lines are read from it)
        description: tuple[int, int] | None = None,  # where in `text` its DESCRIPTION line starts and ends
    ) -> None:
        self.uid, self.alarms, self.zones = uid, alarms, zones
        self._props, self._text, self._description = props, text, description

    @property
    def props(self) -> dict[str, str]:
        """Return the event's lines by name, in the order written."""
        if self._props is None:
            text = self._text
            alarms = text.find("\r\nBEGIN:VALARM\r\n")
            body = text[len("BEGIN:VEVENT\r\n") : alarms if alarms >= 0 else len(text) - len("\r\nEND:VEVENT\r\n")]
            self._props = {line.partition(":")[0].partition(";")[0]: line for line in _PROPERTY_BREAK.split(body)}
        return self._props

    @property
    def text(self) -> str:
        """Return the VEVENT, CRLF-terminated, properties in icalendar's order."""
        if not self._text:
            props = self.props
            order = _order(tuple(props))
            lines = ["BEGIN:VEVENT", *(props.values() if order is None else map(props.__getitem__, order))]
            for alarm in self.alarms:
                lines += ("BEGIN:VALARM", *alarm, "END:VALARM")
            lines += ("END:VEVENT", "")  # the last line's CRLF: the text is made in one piece
            self._text = "\r\n".join(lines)
        return self._text

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, EventBlock):
            return NotImplemented
        return (self.uid, self.props, self.alarms, self.zones) == (other.uid, other.props, other.alarms, other.zones)

    __hash__ = None  # type: ignore[assignment]  # compared by content, which can change: not a key

    def __repr__(self) -> str:
        return f"EventBlock({self.uid!r}, {self.props!r}, {self.alarms!r}, {self.zones!r})"

    @property
    def stamp(self) -> datetime:
        """Return the event's DTSTAMP."""
        return utc_stamp(self.props["DTSTAMP"].removeprefix("DTSTAMP:"))

    def same_content(self, other: EventBlock) -> bool:
        """Return True when both say the same, stamps aside."""
        mine = {k: v for k, v in self.props.items() if k not in VOLATILE}
        theirs = {k: v for k, v in other.props.items() if k not in VOLATILE}
        return mine == theirs and self.alarms == other.alarms

    def stamped(self, sequence: int, stamp: datetime) -> EventBlock:
        """Return the event with its SEQUENCE, DTSTAMP and LAST-MODIFIED set."""
        text = _stamp_text(stamp)
        props = {
            **self.props,
            "DTSTAMP": f"DTSTAMP:{text}",
            "LAST-MODIFIED": f"LAST-MODIFIED:{text}",
            "SEQUENCE": f"SEQUENCE:{sequence}",
        }
        return EventBlock(self.uid, props, self.alarms, self.zones)

    def with_description(self, line: str, more: Sequence[str]) -> EventBlock | None:
        """Return the event without its alarms, another DESCRIPTION line and `more` lines after its own;
        None when it was not made as text here (then its lines by name are the way)."""
        if self._description is None:
            return None
        start, end = self._description
        text = self._text
        alarms = text.find("\r\nBEGIN:VALARM\r\n", end)
        own_end = alarms + 2 if alarms >= 0 else len(text) - len("END:VEVENT\r\n")
        extra = "".join(f"{line}\r\n" for line in more)
        return EventBlock(
            self.uid, None, (), self.zones, f"{text[:start]}{line}{text[end:own_end]}{extra}END:VEVENT\r\n"
        )


@caches.kept(64)
def _order(names: tuple[str, ...]) -> tuple[str, ...] | None:
    """Return property names in icalendar's order: the canonical ones first, then alphabetically.

    None when they are in that order already, as txcal writes them.
    """
    order = tuple(n for n in _EVENT_ORDER if n in names) + tuple(sorted(set(names) - set(_EVENT_ORDER)))
    return None if order == names else order


def _zones(start: date | datetime, end: date | datetime) -> frozenset[tuple[str, int]]:
    return _zone_set(getattr(start, "tzinfo", None), start.year, getattr(end, "tzinfo", None), end.year)


@caches.kept(1024)
def _zone_set(start_zone: object, start_year: int, end_zone: object, end_year: int) -> frozenset[tuple[str, int]]:
    # Kept: a clinic's events start and end in a few zones and years.
    found = set()
    for zone, year in ((start_zone, start_year), (end_zone, end_year)):
        key = getattr(zone, "key", None)
        if key and key not in ("UTC", "Etc/UTC"):
            found.add((key, year))
    return frozenset(found)


def alarm_triggers(event: PlannedEvent, reminders: Sequence[timedelta]) -> list[timedelta]:
    """Return when an event reminds, as offsets from its start (negative: before).

    None for a held dose or an event that does not remind (a clinic task, the later days of a daily
    run). An all-day event starts at midnight, so a lead time would ring in the night: it reminds
    at 18:00 instead, the evening before (or that many days before, for leads of days).
    """
    if event.status == "held" or not event.remind:
        return []
    if not event.all_day:
        return [-before for before in reminders]
    evenings = sorted({max(before.days, 1) for before in reminders}, reverse=True)
    return [-(timedelta(days=days - 1) + EVENING_BEFORE) for days in evenings]


def event_block(event: PlannedEvent, reminders: Sequence[timedelta], stamp: datetime, sequence: int = 0) -> EventBlock:
    """Return an event's VEVENT, stamped (SEQUENCE, DTSTAMP and LAST-MODIFIED), its lines in icalendar's order.

    Made as text in one piece: what most events ever need (the same lines as a dictionary by name
    would give, written through EventBlock.text; tests hold both, and icalendar, to the same bytes).
    """
    title = escape(event_summary(event))
    start, end = event.start, event.end
    if getattr(start, "fold", 0) or getattr(end, "fold", 0):  # a wall time that falls back: one of two
        start, end = unambiguous(start), unambiguous(end)
    stamp_text = _stamp_text(stamp)
    head = (
        f"BEGIN:VEVENT\r\n{folded(f'SUMMARY:{title}')}\r\nDTSTART{_value(start)}\r\nDTEND{_value(end)}\r\n"
        f"DTSTAMP:{stamp_text}\r\n{folded(f'UID:{event.uid}')}\r\nSEQUENCE:{sequence}\r\n{_categories(event.kind)}\r\n"
    )
    description = _description_line(
        event.kind, wording.event_dose(event), event.route, wording.patient_notes(event.facts)
    )
    location = f"{folded(f'LOCATION:{escape(event.location)}')}\r\n" if event.location else ""
    transparent = _TRANSPARENT if event.kind in TRANSPARENT or event.status == "held" else _OPAQUE
    alarms = (
        tuple(
            ("ACTION:DISPLAY", folded(f"DESCRIPTION:{reminder_text(title)}"), _trigger(trigger))
            for trigger in alarm_triggers(event, reminders)
        )
        if reminders
        else ()
    )
    valarms = "".join(f"BEGIN:VALARM\r\n{_CRLF.join(alarm)}\r\nEND:VALARM\r\n" for alarm in alarms) if alarms else ""
    text = (
        f"{head}{description}\r\nLAST-MODIFIED:{stamp_text}\r\n{location}{_STATUS_LINE[event.status]}\r\n"
        f"{transparent}\r\n{valarms}END:VEVENT\r\n"
    )
    return EventBlock(event.uid, None, alarms, _zones(start, end), text, (len(head), len(head) + len(description)))


_CRLF = "\r\n"
_STATUS_LINE = {status: f"STATUS:{value}" for status, value in STATUS.items()}
_TRANSPARENT, _OPAQUE = "TRANSP:TRANSPARENT", "TRANSP:OPAQUE"


@caches.kept(64)
def _categories(kind: str) -> str:
    return f"CATEGORIES:{escape(kind.capitalize())}"


@caches.kept(64)
def _trigger(trigger: timedelta) -> str:
    return f"TRIGGER:{_duration(trigger)}"


def read_event(component: Component) -> EventBlock:
    """Return a VEVENT read from a calendar (a previous export, or a server) as an EventBlock."""
    uid = component.first("UID")
    props = {line.name: folded(line.text) for line in component.lines}
    alarms = tuple(
        tuple(folded(line.text) for line in child.lines) for child in component.children if child.name == "VALARM"
    )
    zones = set()
    for line in component.lines:
        if line.name in ("DTSTART", "DTEND") and "TZID" in line.params:
            zones.add((line.params["TZID"], int(line.value[:4])))
    return EventBlock(uid.value if uid else "", props, alarms, frozenset(zones))


def cancelled_event(previous: EventBlock, sequence: int, stamp: datetime) -> EventBlock:
    """Return an event that left the plan, sent once more as CANCELLED (RFC 5546 3.2.5)."""
    props = dict(previous.props)
    title = unfolded(props.get("SUMMARY", "SUMMARY:")).split(":", 1)[1]
    props["SUMMARY"] = folded(f"SUMMARY:{title if title.startswith(CANCELLED_PREFIX) else CANCELLED_PREFIX + title}")
    props["STATUS"] = "STATUS:CANCELLED"
    props["TRANSP"] = "TRANSP:TRANSPARENT"
    # No reminder of a visit that will not happen.
    return EventBlock(previous.uid, props, (), previous.zones).stamped(sequence, stamp)


@dataclass(frozen=True)
class _Previous:
    """An event of the file being replaced, as it was written."""

    block: EventBlock
    sequence: int
    stamp: datetime
    cancelled: bool


def _previous_events(data: bytes) -> dict[str, _Previous]:
    text = data.decode("utf-8")
    own = _own_events(text)
    if own is not None:
        return own
    found = {}
    for component in parse(text)[0].walk("VEVENT"):
        block = read_event(component)
        sequence, dtstamp, status = component.first("SEQUENCE"), component.first("DTSTAMP"), component.first("STATUS")
        found[block.uid] = _Previous(
            block,
            int(sequence.value) if sequence else 0,
            utc_stamp(dtstamp.value) if dtstamp else _EPOCH,
            bool(status and status.value == "CANCELLED"),
        )
    return found


def _own_events(text: str) -> dict[str, _Previous] | None:
    """Read back the events of a file txcal wrote, its folded lines kept as they are; None for any other shape.

    txcal folds deterministically, so its own lines need no unfolding and folding again: a
    rerun over unchanged files reads them at a fraction of the cost. The result equals
    `read_event` on the parsed file (a test holds them equal on every golden file); anything
    unexpected (another component, a quoted parameter, bare line feeds) goes to that reader.
    """
    if "\r\n" not in text or "\n" in text.replace("\r\n", ""):
        return None
    found = {}
    chunks = text.split("BEGIN:VEVENT\r\n")
    if any(not chunk.endswith("\n") for chunk in chunks[:-1]):
        return None  # the words inside a line, not a line of their own
    for chunk in chunks[1:]:
        end = chunk.find("END:VEVENT\r\n")
        if end < 0:
            return None
        props: dict[str, str] = {}
        alarms: list[tuple[str, ...]] = []
        alarm: list[str] | None = None
        body = chunk[:end]
        if body[:1] in (" ", "\t"):
            return None
        # One item a property, its folded lines kept: split where a line break is not a fold.
        for line in _PROPERTY_BREAK.split(body[:-2]):
            if line == "BEGIN:VALARM" and alarm is None:
                alarm = []
            elif line == "END:VALARM" and alarm is not None:
                alarms.append(tuple(alarm))
                alarm = None
            elif line.startswith(("BEGIN:", "END:")) or '"' in line.partition(":")[0]:
                return None
            elif alarm is not None:
                alarm.append(line)
            else:
                props[line.partition(":")[0].partition(";")[0].upper()] = line
        if alarm is not None:
            return None
        zones = set()
        for name in ("DTSTART", "DTEND"):
            if name in props:
                moment_line = parse_line(unfolded(props[name]))
                if "TZID" in moment_line.params:
                    zones.add((moment_line.params["TZID"], int(moment_line.value[:4])))
        uid, sequence, dtstamp, status = (
            unfolded(props[n]).partition(":")[2] if n in props else None
            for n in ("UID", "SEQUENCE", "DTSTAMP", "STATUS")
        )
        block = EventBlock(uid or "", props, tuple(alarms), frozenset(zones))
        found[block.uid] = _Previous(
            block, int(sequence) if sequence else 0, utc_stamp(dtstamp) if dtstamp else _EPOCH, status == "CANCELLED"
        )
    return found


@dataclass(frozen=True)
class IcsExport:
    """A plan's events as VEVENT blocks, and what changed against the file they replace."""

    plan: Plan
    blocks: tuple[EventBlock, ...]  # the patient's events in plan order, then those that left the plan
    changed: int = 0
    cancelled: int = 0
    shown: int = 0  # how many of the blocks are the plan's own events (the rest left it)

    @cached_property  # compared with the previous file, then written
    def data(self) -> bytes:
        """Return the whole file for this plan."""
        return calendar_bytes(calendar_name(self.plan), self.plan.plan_id, [self])


def to_ics(
    plan: Plan,
    stamp: datetime,
    reminders: Sequence[timedelta] = (),
    previous: bytes | None = None,
) -> IcsExport:
    """Return the plan as an iCalendar export.

    Args:
        plan: the expanded plan.
        stamp: the UTC time stamp for new and changed events (DTSTAMP, LAST-MODIFIED).
        reminders: how long before each event to remind (VALARM); clients may drop them.
        previous: the txcal file this one replaces: unchanged events keep their SEQUENCE and
            DTSTAMP, changed ones get SEQUENCE+1 and `stamp`, and events no longer in the plan
            are kept once more as CANCELLED (all of them, when it holds another plan the user
            chose to replace).

    Returns:
        The export: `.data` is the file (CRLF line endings, lines folded at 75 octets).

    Raises:
        TxcalError: `previous` is not a txcal calendar.
    """
    if stamp.tzinfo is None or stamp.utcoffset() != timedelta(0):
        raise ValueError("stamp must be a UTC datetime")
    stamp = stamp.astimezone(UTC).replace(microsecond=0)
    old: dict[str, _Previous] = {}
    if previous is not None:
        if txcal_plan_id(previous) is None:
            raise TxcalError("the previous file is not a txcal calendar")
        unchanged = _if_unchanged(plan, reminders, previous)
        if unchanged is not None:
            return unchanged
        try:
            old = _previous_events(previous)
        except (ValueError, IndexError, UnicodeDecodeError) as exc:
            raise TxcalError(
                f"the previous export cannot be read back ({exc}): add --force to replace it, or move it away"
            ) from None
    # The patient's calendar: what the patient does, without the clinic's own tasks.
    shown = [event for event in plan.events if event.audience == "patient"]
    blocks = [event_block(event, reminders, stamp) for event in shown]
    if not old:  # no earlier events to keep stamps of or to cancel
        return IcsExport(plan, tuple(blocks), shown=len(shown))
    changed = 0
    for index, block in enumerate(blocks):
        before = old.pop(block.uid, None)
        if before is None:
            continue
        if block.same_content(before.block):
            blocks[index] = block.stamped(before.sequence, before.stamp)
        else:
            blocks[index] = block.stamped(before.sequence + 1, stamp)
            changed += 1
    # Events that left the plan, in the order they were planned; a cancelled one stays as it was.
    leaving = sorted(old.values(), key=lambda p: p.block.props.get("DTSTART", ""))
    blocks += [p.block if p.cancelled else cancelled_event(p.block, p.sequence + 1, stamp) for p in leaving]
    return IcsExport(plan, tuple(blocks), changed, sum(1 for p in leaving if not p.cancelled), len(shown))


def _if_unchanged(plan: Plan, reminders: Sequence[timedelta], previous: bytes) -> IcsExport | None:
    """Return the export when the previous file is this plan as txcal wrote it in one run, else None.

    A file written in one run has one DTSTAMP and SEQUENCE 0 throughout; its events unchanged keep
    both, so the plan written with that stamp is the file itself, byte for byte, when nothing
    changed. Reruns over unchanged files cost a render and a comparison, not a reading back.
    """
    events = previous.count(b"BEGIN:VEVENT\r\n")
    at = previous.find(b"\r\nDTSTAMP:")
    if not events or at < 0 or previous.count(b"\r\nSEQUENCE:0\r\n") != events:
        return None
    line = previous[at + 2 : previous.find(b"\r\n", at + 2)]
    if previous.count(b"\r\n" + line + b"\r\n") != events:
        return None
    try:
        stamp = utc_stamp(line.removeprefix(b"DTSTAMP:").decode("ascii"))
    except (ValueError, UnicodeDecodeError):
        return None
    export = to_ics(plan, stamp, reminders)
    return export if export.data == previous else None


# -- time zones and the calendar ------------------------------------------------------------------


def zone_years(blocks: Iterable[EventBlock]) -> dict[str, set[int]]:
    """Return the years each TZID is used in, from the events' DTSTART and DTEND."""
    years: dict[str, set[int]] = {}
    for block in blocks:
        for key, year in block.zones:
            years.setdefault(key, set()).add(year)
    return years


@caches.kept(1024)
def vtimezone(key: str, first_year: int, last_year: int) -> str:
    """Return a rule-based VTIMEZONE for a zone over some years, folded, CRLF-terminated."""
    lines = ["BEGIN:VTIMEZONE", f"TZID:{key}"]
    for observance in observances(key, first_year, last_year):
        lines += _observance(observance)
    lines.append("END:VTIMEZONE")
    return "".join(fold(line) + "\r\n" for line in lines)


def _observance(observance: Observance) -> list[str]:
    kind = "DAYLIGHT" if observance.daylight else "STANDARD"
    lines = [f"BEGIN:{kind}", f"DTSTART:{observance.onset:%Y%m%dT%H%M%S}"]
    if observance.rule:
        rule = observance.rule
        lines.append(f"RRULE:FREQ={str(rule['freq']).upper()};BYDAY={rule['byday']};BYMONTH={rule['bymonth']}")
    if observance.name:
        lines.append(f"TZNAME:{escape(observance.name)}")
    lines += [
        f"TZOFFSETFROM:{_offset(observance.offset_from)}",
        f"TZOFFSETTO:{_offset(observance.offset_to)}",
        f"END:{kind}",
    ]
    return lines


def calendar_head(name: str, plan_id: str) -> str:
    """Return the VCALENDAR's opening lines: version, product, name (NAME and X-WR-CALNAME), plan."""
    lines = [
        "BEGIN:VCALENDAR",
        "VERSION:2.0",
        f"PRODID:{PRODID}",
        "CALSCALE:GREGORIAN",
        f"NAME:{_CONTROLS.sub('', name)}",
        f"X-WR-CALNAME:{_CONTROLS.sub('', name)}",
        f"{PLAN_PROPERTY}:{escape(plan_id)}",
    ]
    return "".join(fold(line) + "\r\n" for line in lines)


def timezones_text(years: dict[str, set[int]]) -> str:
    """Return a VTIMEZONE for every zone used, over the years it is used in (UTC needs none)."""
    return "".join(vtimezone(key, min(found), max(found)) for key, found in sorted(years.items()))


def calendar_bytes(name: str, plan_id: str, exports: Sequence[IcsExport]) -> bytes:
    """Return a whole VCALENDAR holding the events of one or more exports."""
    blocks = [block for export in exports for block in export.blocks]
    body = [calendar_head(name, plan_id), timezones_text(zone_years(blocks))]
    body += [block.text for block in blocks]
    body.append("END:VCALENDAR\r\n")
    return "".join(body).encode("utf-8")


def render(plan: Plan, view: View) -> Rendered:
    """Return the plan as an iCalendar file (the `ics` format), updating `view.previous` when given."""
    export = to_ics(plan, view.stamp, view.reminders, view.previous)
    note = ""
    if export.changed or export.cancelled:
        note = f"; against the previous export: {export.changed} changed, {export.cancelled} cancelled"
    return Rendered(export.data, note)


def owner(data: bytes) -> str | None:
    """Return the plan id of a calendar file txcal wrote, or None for any other file."""
    return txcal_plan_id(data)
