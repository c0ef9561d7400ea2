"""One VEVENT: an event of a plan made as text in one piece, read back from a calendar, stamped or cancelled."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from scheduler import caches, fact_words, wording
from scheduler.ical.lines import (
    PROPERTY_BREAK,
    duration_text,
    escape,
    fold,
    folded,
    moment_value,
    unambiguous,
    utc_text,
)
from scheduler.ical.read import Component, unfolded, utc_stamp
from scheduler.model import PlannedEvent
from scheduler.wording import cancelled_prefix, event_description, event_summary, reminder_text

# Properties that change when an event changes; the rest of its lines are its content.
VOLATILE = frozenset({"DTSTAMP", "SEQUENCE", "LAST-MODIFIED"})


# Planned events are tentative until the clinic confirms them; a held dose will not happen.
STATUS = {"planned": "TENTATIVE", "given": "CONFIRMED", "held": "CANCELLED"}


# Kinds that do not take up the patient's time: reminders and watch periods.
TRANSPARENT = frozenset({"milestone", "watch"})


# icalendar writes these first, in this order, and the other properties alphabetically after.
_EVENT_ORDER = ("SUMMARY", "DTSTART", "DTEND", "DURATION", "DTSTAMP", "UID", "RECURRENCE-ID", "SEQUENCE")


# An all-day event's reminder rings at 18:00 the evening before: 6 hours before its midnight start.
EVENING_BEFORE = timedelta(hours=6)


def description(event: PlannedEvent) -> str:
    """Return the plain-text description: dose and route, notes, sources and the reminder."""
    return event_description(event.kind, wording.event_dose(event), event.route, fact_words.patient_notes(event.facts))


@caches.kept(512)
def _description_line(kind: str, dose: str, route: str, notes: tuple[str, ...]) -> str:
    # The doses of a plan share it but for a line or two: escaped and folded once for them all.
    return fold("DESCRIPTION:" + escape(event_description(kind, dose, route, notes)))


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
            self._props = {line.partition(":")[0].partition(";")[0]: line for line in PROPERTY_BREAK.split(body)}
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
        text = utc_text(stamp)
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


@dataclass(frozen=True, slots=True)
class EventShape:
    """What an event's text holds besides its identity, title and times (scheduler.app.batching.compiled keeps one for
    each event of a plan template; the general path makes one for each event it writes)."""

    categories: str  # the CATEGORIES line
    description: str  # the DESCRIPTION line, folded
    after: str  # the lines after LAST-MODIFIED, CRLF-terminated: location, status, transparency
    triggers: tuple[str, ...]  # the TRIGGER line of each alarm


def event_shape(event: PlannedEvent, reminders: Sequence[timedelta]) -> EventShape:
    """Return the parts of an event's text that do not name its patient, identity or times."""
    description = _description_line(
        event.kind, wording.event_dose(event), event.route, fact_words.patient_notes(event.facts)
    )
    location = f"{folded(f'LOCATION:{escape(event.location)}')}\r\n" if event.location else ""
    transparent = _TRANSPARENT if event.kind in TRANSPARENT or event.status == "held" else _OPAQUE
    triggers = tuple(_trigger(trigger) for trigger in alarm_triggers(event, reminders)) if reminders else ()
    return EventShape(
        _categories(event.kind), description, f"{location}{_STATUS_LINE[event.status]}\r\n{transparent}\r\n", triggers
    )


def event_block(event: PlannedEvent, reminders: Sequence[timedelta], stamp: datetime, sequence: int = 0) -> EventBlock:
    """Return an event's VEVENT, stamped (SEQUENCE, DTSTAMP and LAST-MODIFIED), its lines in icalendar's order.

    Made as text in one piece: what most events ever need (the same lines as a dictionary by name
    would give, written through EventBlock.text; tests hold both, and icalendar, to the same bytes).
    """
    start, end = event.start, event.end
    if getattr(start, "fold", 0) or getattr(end, "fold", 0):  # a wall time that falls back: one of two
        start, end = unambiguous(start), unambiguous(end)
    shape = event_shape(event, reminders)
    return filled_event(shape, event.uid, escape(event_summary(event)), start, end, utc_text(stamp), sequence)


def filled_event(
    shape: EventShape,
    uid: str,
    title: str,
    start: date | datetime,
    end: date | datetime,
    stamp_text: str,
    sequence: int = 0,
) -> EventBlock:
    """Return the VEVENT of an event's shape with its identity, (escaped) title, times and stamp filled in."""
    head = (
        f"BEGIN:VEVENT\r\n{folded(f'SUMMARY:{title}')}\r\nDTSTART{moment_value(start)}\r\nDTEND{moment_value(end)}\r\n"
        f"DTSTAMP:{stamp_text}\r\n{folded(f'UID:{uid}')}\r\nSEQUENCE:{sequence}\r\n{shape.categories}\r\n"
    )
    alarms = (
        tuple(("ACTION:DISPLAY", folded(f"DESCRIPTION:{reminder_text(title)}"), line) for line in shape.triggers)
        if shape.triggers
        else ()
    )
    valarms = "".join(f"BEGIN:VALARM\r\n{_CRLF.join(alarm)}\r\nEND:VALARM\r\n" for alarm in alarms) if alarms else ""
    description = shape.description
    text = f"{head}{description}\r\nLAST-MODIFIED:{stamp_text}\r\n{shape.after}{valarms}END:VEVENT\r\n"
    return EventBlock(uid, None, alarms, _zones(start, end), text, (len(head), len(head) + len(description)))


_CRLF = "\r\n"


_STATUS_LINE = {status: f"STATUS:{value}" for status, value in STATUS.items()}


_TRANSPARENT, _OPAQUE = "TRANSP:TRANSPARENT", "TRANSP:OPAQUE"


@caches.kept(64)
def _categories(kind: str) -> str:
    return f"CATEGORIES:{escape(kind.capitalize())}"


@caches.kept(64)
def _trigger(trigger: timedelta) -> str:
    return f"TRIGGER:{duration_text(trigger)}"


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
    prefix = cancelled_prefix()
    props["SUMMARY"] = folded(f"SUMMARY:{title if title.startswith(prefix) else prefix + title}")
    props["STATUS"] = "STATUS:CANCELLED"
    props["TRANSP"] = "TRANSP:TRANSPARENT"
    # No reminder of a visit that will not happen.
    return EventBlock(previous.uid, props, (), previous.zones).stamped(sequence, stamp)
