"""Plans as iCalendar bytes that Google, Apple, Outlook and Thunderbird read alike.

The only importer of icalendar. Rules from ../shared/calendar-interop.md: one VEVENT per
occurrence (no RRULE), a rule-based VTIMEZONE for every TZID, no METHOD, stable opaque UIDs,
DTSTAMP in UTC passed in (never the clock), and re-exports that update instead of duplicating.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import cast
from zoneinfo import ZoneInfo

from icalendar import Alarm, Calendar, Event, Timezone, TimezoneDaylight, TimezoneStandard

from scheduler import __version__
from scheduler.engine import day_label
from scheduler.errors import TxcalError
from scheduler.ics_text import PLAN_PROPERTY, Component, parse, txcal_plan_id
from scheduler.model import DISCLAIMER, Plan, PlannedEvent
from scheduler.vtimezone import observances

PRODID = f"-//txcal//txcal {__version__}//EN"
CANCELLED_PREFIX = "Cancelled: "
# Properties that change when an event changes; the rest of its lines are its content.
_VOLATILE = {"DTSTAMP", "SEQUENCE", "LAST-MODIFIED"}
# Planned events are tentative until the clinic confirms them; a held dose will not happen.
_STATUS = {"planned": "TENTATIVE", "given": "CONFIRMED", "held": "CANCELLED"}
# Kinds that do not take up the patient's time: reminders and watch periods.
_TRANSPARENT = {"milestone", "watch"}
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def calendar_name(plan: Plan) -> str:
    """Return the calendar's display name: the regimen, and the patient label when given."""
    label = plan.request.patient
    return f"{plan.regimen.title} - {label}" if label else plan.regimen.title


def summary(event: PlannedEvent) -> str:
    """Return the event title as calendars show it: step, day or dose number, and dose."""
    text = ("Held: " if event.status == "held" else "Conflict: " if event.conflict else "") + event.title
    if event.day is not None:
        text += f", {day_label(event.day)}"
    if event.dose:
        text += f" ({event.dose})"
    return text


def description(event: PlannedEvent) -> str:
    """Return the plain-text description: dose and route, notes, sources and the reminder."""
    lines = [f"Dose: {event.dose} {event.route}".rstrip()] if event.kind == "dose" else []
    lines.extend(event.notes)
    lines.append(DISCLAIMER)
    return "\n".join(lines)


def _unambiguous(value: date | datetime) -> date | datetime:
    """Return a date-time readers cannot misread: the second of two equal wall times goes in UTC.

    A wall time repeated when clocks fall back is read as its first occurrence (RFC 5545
    3.3.5), so an infusion that ends at the second 01:00 would seem to end before it began.
    """
    if isinstance(value, datetime) and value.fold and value.replace(fold=0).utcoffset() != value.utcoffset():
        return value.astimezone(UTC)
    return value


def _vevent(event: PlannedEvent, reminders: Sequence[timedelta]) -> Event:
    vevent = Event()
    vevent.add("uid", event.uid)
    vevent.add("summary", summary(event))
    vevent.add("dtstart", _unambiguous(event.start))
    vevent.add("dtend", _unambiguous(event.end))
    vevent.add("description", description(event))
    vevent.add("categories", [event.kind.capitalize()])
    vevent.add("status", _STATUS[event.status])
    vevent.add("transp", "TRANSPARENT" if event.kind in _TRANSPARENT or event.status == "held" else "OPAQUE")
    for before in reminders if event.status != "held" else ():
        alarm = Alarm()
        alarm.add("action", "DISPLAY")
        alarm.add("description", f"Reminder: {summary(event)}")
        alarm.add("trigger", -before)
        vevent.add_component(alarm)
    return vevent


def _stamp(vevent: Event, sequence: int, stamp: datetime) -> None:
    for name in _VOLATILE:
        vevent.pop(name, None)
    vevent.add("dtstamp", stamp)
    vevent.add("last-modified", stamp)
    vevent.add("sequence", sequence)


def _content(component: Component) -> tuple[str, ...]:
    return tuple(line.text for line in component.all_lines() if line.name not in _VOLATILE)


def _event_component(vevent: Event) -> Component:
    return parse(vevent.to_ical().decode("utf-8"))[0]


@dataclass(frozen=True)
class _Previous:
    """An event of the file being replaced, as it was written."""

    component: Component
    sequence: int
    stamp: datetime
    cancelled: bool

    @classmethod
    def read(cls, component: Component) -> _Previous:
        sequence = component.first("SEQUENCE")
        dtstamp = component.first("DTSTAMP")
        status = component.first("STATUS")
        return cls(
            component,
            int(sequence.value) if sequence else 0,
            datetime.strptime(dtstamp.value, "%Y%m%dT%H%M%SZ").replace(tzinfo=UTC) if dtstamp else _EPOCH,
            bool(status and status.value == "CANCELLED"),
        )


def _previous_events(data: bytes) -> dict[str, _Previous]:
    calendar = parse(data.decode("utf-8"))[0]
    found = {}
    for component in calendar.walk("VEVENT"):
        uid = component.first("UID")
        if uid:
            found[uid.value] = _Previous.read(component)
    return found


def _cancel(previous: _Previous, stamp: datetime) -> Event:
    """Return an event that has left the plan, sent once more as CANCELLED (RFC 5546 3.2.5)."""
    text = "\r\n".join(line.text for line in previous.component.all_lines()) + "\r\n"
    vevent = cast(Event, Event.from_ical(text))
    if previous.cancelled:
        return vevent
    vevent.subcomponents = [c for c in vevent.subcomponents if c.name != "VALARM"]  # no reminder of a cancelled visit
    title = str(vevent.get("summary", ""))
    vevent.pop("summary", None)
    vevent.add("summary", title if title.startswith(CANCELLED_PREFIX) else CANCELLED_PREFIX + title)
    vevent.pop("status", None)
    vevent.add("status", "CANCELLED")
    vevent.pop("transp", None)
    vevent.add("transp", "TRANSPARENT")
    _stamp(vevent, previous.sequence + 1, stamp)
    return vevent


def _timezones(events: Iterable[Event]) -> list[Timezone]:
    """Return a rule-based VTIMEZONE for every zone the events use, over the years they span."""
    years: dict[str, set[int]] = {}
    for vevent in events:
        for name in ("dtstart", "dtend"):
            value = vevent.get(name)
            moment = value.dt if value is not None else None
            if isinstance(moment, datetime) and isinstance(moment.tzinfo, ZoneInfo) and moment.tzinfo.key != "UTC":
                years.setdefault(moment.tzinfo.key, set()).add(moment.year)
    zones = []
    for key in sorted(years):
        vtimezone = Timezone()
        vtimezone.add("tzid", key)
        for observance in observances(key, min(years[key]), max(years[key])):
            block = TimezoneDaylight() if observance.daylight else TimezoneStandard()
            block.add("dtstart", observance.onset)
            block.add("tzoffsetfrom", observance.offset_from)
            block.add("tzoffsetto", observance.offset_to)
            if observance.name:
                block.add("tzname", observance.name)
            if observance.rule:
                block.add("rrule", observance.rule)
            vtimezone.add_component(block)
        zones.append(vtimezone)
    return zones


@dataclass(frozen=True)
class IcsExport:
    """An iCalendar file and what changed against the file it replaces."""

    data: bytes
    events: int
    changed: int = 0
    cancelled: int = 0

    def describe(self, path: str) -> str:
        """Return the line the CLI prints after writing the file."""
        text = f"Wrote {self.events} events to {path}"
        if self.changed or self.cancelled:
            text += f"; against the previous export: {self.changed} changed, {self.cancelled} cancelled"
        return text + "."


def to_ics(
    plan: Plan,
    stamp: datetime,
    reminders: Sequence[timedelta] = (),
    previous: bytes | None = None,
) -> IcsExport:
    """Return the plan as an iCalendar file.

    Args:
        plan: the expanded plan.
        stamp: the UTC time stamp for new and changed events (DTSTAMP, LAST-MODIFIED).
        reminders: how long before each event to remind (VALARM); clients may drop them.
        previous: the txcal file of the same plan this one replaces: unchanged events keep their
            SEQUENCE and DTSTAMP, changed ones get SEQUENCE+1 and `stamp`, and events no longer
            in the plan are kept once more as CANCELLED.

    Returns:
        The file (CRLF line endings, lines folded at 75 octets) and counts of what changed.

    Raises:
        TxcalError: `previous` is not a txcal file of this plan.
    """
    if stamp.tzinfo is None or stamp.utcoffset() != timedelta(0):
        raise ValueError("stamp must be a UTC datetime")
    stamp = stamp.astimezone(UTC).replace(microsecond=0)
    old: dict[str, _Previous] = {}
    if previous is not None:
        if txcal_plan_id(previous) != plan.plan_id:
            raise TxcalError("the previous file is not a txcal calendar of this plan")
        old = _previous_events(previous)

    vevents = []
    changed = 0
    for event in plan.events:
        vevent = _vevent(event, reminders)
        before = old.pop(event.uid, None)
        if before is None:
            _stamp(vevent, 0, stamp)
        else:
            _stamp(vevent, before.sequence, before.stamp)
            if _content(_event_component(vevent)) != _content(before.component):
                _stamp(vevent, before.sequence + 1, stamp)
                changed += 1
        vevents.append(vevent)
    # Events that left the plan, in the order they were planned.
    cancelled = [_cancel(p, stamp) for p in sorted(old.values(), key=_start_key)]
    vevents.extend(cancelled)

    calendar = Calendar()
    calendar.add("prodid", PRODID)
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("name", calendar_name(plan))
    calendar.add("x-wr-calname", calendar_name(plan))
    calendar.add(PLAN_PROPERTY, plan.plan_id)
    for component in (*_timezones(vevents), *vevents):
        calendar.add_component(component)
    newly_cancelled = sum(1 for p in old.values() if not p.cancelled)
    return IcsExport(calendar.to_ical(), len(plan.events), changed, newly_cancelled)


def _start_key(previous: _Previous) -> str:
    start = previous.component.first("DTSTART")
    return start.value if start else ""
