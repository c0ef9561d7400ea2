"""Plans as iCalendar bytes that Google, Apple, Outlook and Thunderbird read alike.

A string writer, fast enough for a whole clinic and free of the icalendar import, that writes
exactly the bytes icalendar's component API writes for the same events (tests/ical_reference.py is
that oracle; tests compare the two byte for byte). Rules from ../shared/calendar-interop.md: one
VEVENT per occurrence (no RRULE), a rule-based VTIMEZONE for every TZID, no METHOD, stable opaque
UIDs, DTSTAMP in UTC passed in (never the clock), and re-exports that update instead of
duplicating.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import cached_property

from scheduler import __version__, caches
from scheduler.errors import TxcalError
from scheduler.ical.event import (
    EventBlock,
    event_block,
)
from scheduler.ical.lines import CONTROLS, escape, fold, offset_text
from scheduler.ical.names import PLAN_PROPERTY
from scheduler.ical.read import txcal_plan_id, utc_stamp
from scheduler.ical.update import Previous, previous_events, updated
from scheduler.ical.vtimezone import Observance, observances
from scheduler.model import Plan
from scheduler.wording import calendar_title

PRODID = f"-//txcal//txcal {__version__}//EN"
CALENDAR_END = "END:VCALENDAR\r\n"


def calendar_name(plan: Plan) -> str:
    """Return the calendar's display name (NAME and X-WR-CALNAME)."""
    return calendar_title(plan.regimen.title, plan.request.patient)


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
        return calendar_bytes(calendar_name(self.plan), self.plan.plan_id, self.blocks)


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
    old: dict[str, Previous] = {}
    if previous is not None:
        if txcal_plan_id(previous) is None:
            raise TxcalError("the previous file is not a txcal calendar")
        unchanged = _if_unchanged(plan, reminders, previous)
        if unchanged is not None:
            return unchanged
        try:
            old = previous_events(previous)
        except (ValueError, IndexError, UnicodeDecodeError) as exc:
            raise TxcalError(
                f"the previous export cannot be read back ({exc}): add --force to replace it, or move it away"
            ) from None
    # The patient's calendar: what the patient does, without the clinic's own tasks.
    shown = [event for event in plan.events if event.audience == "patient"]
    blocks = [event_block(event, reminders, stamp) for event in shown]
    if not old:  # no earlier events to keep stamps of or to cancel
        return IcsExport(plan, tuple(blocks), shown=len(shown))
    blocks, changed, cancelled = updated(blocks, old, stamp)
    return IcsExport(plan, tuple(blocks), changed, cancelled, len(shown))


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
        f"TZOFFSETFROM:{offset_text(observance.offset_from)}",
        f"TZOFFSETTO:{offset_text(observance.offset_to)}",
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
        f"NAME:{CONTROLS.sub('', name)}",
        f"X-WR-CALNAME:{CONTROLS.sub('', name)}",
        f"{PLAN_PROPERTY}:{escape(plan_id)}",
    ]
    return "".join(fold(line) + "\r\n" for line in lines)


def timezones_text(years: dict[str, set[int]]) -> str:
    """Return a VTIMEZONE for every zone used, over the years it is used in (UTC needs none)."""
    return "".join(vtimezone(key, min(found), max(found)) for key, found in sorted(years.items()))


def calendar_text(name: str, plan_id: str, years: dict[str, set[int]], events: Iterable[str]) -> str:
    """Return a whole VCALENDAR: its head, a VTIMEZONE for each zone's years, the events' text, its end.
    The one place a calendar is put together (a batch streams the same three parts: `calendar_head`,
    `timezones_text`, then events and `CALENDAR_END`)."""
    return calendar_head(name, plan_id) + timezones_text(years) + "".join(events) + CALENDAR_END


def calendar_bytes(name: str, plan_id: str, blocks: Sequence[EventBlock]) -> bytes:
    """Return a whole VCALENDAR holding some events."""
    return calendar_text(name, plan_id, zone_years(blocks), (block.text for block in blocks)).encode("utf-8")
