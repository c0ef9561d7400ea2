"""The reference writer: the same calendar built with icalendar's component API, event by event.

txcal writes calendars with the string writer in ics.py; this module is its oracle (tests compare
the two byte for byte on fresh exports) and the benchmark's baseline. The only importer of
icalendar.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from icalendar import Alarm, Calendar, Event, Timezone, TimezoneDaylight, TimezoneStandard

from scheduler.ical import PLAN_PROPERTY
from scheduler.ical.event import STATUS, TRANSPARENT, alarm_triggers, description
from scheduler.ical.export import PRODID, calendar_name
from scheduler.ical.lines import unambiguous
from scheduler.ical.vtimezone import observances
from scheduler.model import Plan, PlannedEvent
from scheduler.wording import event_summary, reminder_text


def reference_event(event: PlannedEvent, reminders: Sequence[timedelta], stamp: datetime) -> Event:
    """Return one event as an icalendar component, new (SEQUENCE 0) at `stamp`."""
    vevent = Event()
    vevent.add("uid", event.uid)
    vevent.add("summary", event_summary(event))
    vevent.add("dtstart", unambiguous(event.start))
    vevent.add("dtend", unambiguous(event.end))
    vevent.add("description", description(event))
    vevent.add("categories", [event.kind.capitalize()])
    vevent.add("status", STATUS[event.status])
    vevent.add("transp", "TRANSPARENT" if event.kind in TRANSPARENT or event.status == "held" else "OPAQUE")
    if event.location:
        vevent.add("location", event.location)
    for trigger in alarm_triggers(event, reminders):
        alarm = Alarm()
        alarm.add("action", "DISPLAY")
        alarm.add("description", reminder_text(event_summary(event)))
        alarm.add("trigger", trigger)
        vevent.add_component(alarm)
    vevent.add("dtstamp", stamp)
    vevent.add("last-modified", stamp)
    vevent.add("sequence", 0)
    return vevent


def _timezones(events: list[PlannedEvent]) -> list[Timezone]:
    years: dict[str, set[int]] = {}
    for event in events:
        for moment in (unambiguous(event.start), unambiguous(event.end)):
            if (
                isinstance(moment, datetime)
                and isinstance(moment.tzinfo, ZoneInfo)
                and moment.tzinfo.key not in ("UTC", "Etc/UTC")
            ):
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


def reference_ics(plan: Plan, stamp: datetime, reminders: Sequence[timedelta] = ()) -> bytes:
    """Return a fresh export of the plan (no previous file), built with icalendar."""
    stamp = stamp.astimezone(UTC).replace(microsecond=0)
    calendar = Calendar()
    calendar.add("prodid", PRODID)
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("name", calendar_name(plan))
    calendar.add("x-wr-calname", calendar_name(plan))
    calendar.add(PLAN_PROPERTY, plan.plan_id)
    shown = [event for event in plan.events if event.audience == "patient"]  # as the string writer
    for component in _timezones(shown):
        calendar.add_component(component)
    for event in shown:
        calendar.add_component(reference_event(event, reminders, stamp))
    data: bytes = calendar.to_ical()
    return data
