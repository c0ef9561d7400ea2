"""Derive VTIMEZONE observances from zoneinfo, in the form every calendar client reads alike.

icalendar's add_missing_timezones() writes each zone's transitions as one long RDATE list, of
which ical.js (Thunderbird, Nextcloud) and vobject (Radicale) read only the first value, so later
summers come out an hour off (../shared/calendar-interop.md). We write what Outlook writes
instead: one STANDARD and one DAYLIGHT observance, each with
`RRULE:FREQ=YEARLY;BYMONTH=m;BYDAY=nSU` and a DTSTART in 1970, after checking that the rule
gives zoneinfo's own transition in every year the plan touches. A zone whose transitions do not
fit one yearly rule gets one observance per transition (a single onset each, no RDATE list).
"""

from __future__ import annotations

import calendar
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

ANCHOR_YEAR = 1970
_WEEKDAYS = ("MO", "TU", "WE", "TH", "FR", "SA", "SU")


@dataclass(frozen=True)
class Observance:
    """One STANDARD or DAYLIGHT block: its onset (local wall time before the change) and offsets."""

    daylight: bool
    onset: datetime  # naive local time, read with offset_from (RFC 5545 3.6.5)
    offset_from: timedelta
    offset_to: timedelta
    name: str
    rule: dict[str, object] | None = None  # RRULE parts, or None for a single onset


@dataclass(frozen=True)
class _Transition:
    instant: datetime  # UTC
    offset_from: timedelta
    offset_to: timedelta
    daylight: bool
    name: str

    @property
    def local(self) -> datetime:
        return (self.instant + self.offset_from).replace(tzinfo=None)


def _offset(zone: ZoneInfo, instant: datetime) -> timedelta:
    value = instant.astimezone(zone).utcoffset()
    assert value is not None
    return value


def transitions(zone: ZoneInfo, first_year: int, last_year: int) -> list[_Transition]:
    """Return zoneinfo's offset changes from first_year through last_year, to the second."""
    found = []
    moment = datetime(first_year, 1, 1, tzinfo=UTC)
    end = datetime(last_year + 1, 1, 1, tzinfo=UTC)
    step = timedelta(days=1)
    while moment < end:
        after = moment + step
        if _offset(zone, moment) != _offset(zone, after):
            low, high = moment, after
            while high - low > timedelta(seconds=1):  # the change lies in (low, high]
                middle = low + (high - low) / 2
                if _offset(zone, middle) == _offset(zone, low):
                    low = middle
                else:
                    high = middle
            local = high.astimezone(zone)
            found.append(
                _Transition(
                    instant=high.replace(microsecond=0),
                    offset_from=_offset(zone, low),
                    offset_to=_offset(zone, high),
                    daylight=bool(local.dst()),
                    name=local.tzname() or "",
                )
            )
        moment = after
    return found


def _weekday_positions(day: datetime) -> set[int]:
    """Return the BYDAY positions that name this date: its nth weekday, and -1 if it is the last."""
    positions = {(day.day - 1) // 7 + 1}
    if day.day + 7 > calendar.monthrange(day.year, day.month)[1]:
        positions.add(-1)
    return positions


def _yearly_rule(changes: list[_Transition], years: range) -> Observance | None:
    """Return one RRULE observance that yields exactly these changes (one per year), or None."""
    if len(changes) != len(years) or {c.local.year for c in changes} != set(years):
        return None
    first = changes[0]
    shape = (first.local.month, first.local.weekday(), first.local.time(), first.offset_from, first.offset_to)
    if any((c.local.month, c.local.weekday(), c.local.time(), c.offset_from, c.offset_to) != shape for c in changes):
        return None
    positions = set.intersection(*(_weekday_positions(c.local) for c in changes))
    if not positions:
        return None
    # "Last Sunday" where it fits every year: that is how the rules that use late dates are written
    # (EU, New Zealand); else the nth weekday (US 2SU, Australia 1SU).
    position = -1 if -1 in positions else min(positions)
    month, weekday = first.local.month, first.local.weekday()
    onset = _nth_weekday(ANCHOR_YEAR, month, weekday, position).replace(
        hour=first.local.hour, minute=first.local.minute, second=first.local.second
    )
    rule = {"freq": "yearly", "bymonth": month, "byday": f"{position}{_WEEKDAYS[weekday]}"}
    return Observance(first.daylight, onset, first.offset_from, first.offset_to, first.name, rule)


def _nth_weekday(year: int, month: int, weekday: int, position: int) -> datetime:
    days = [d for d in range(1, calendar.monthrange(year, month)[1] + 1) if calendar.weekday(year, month, d) == weekday]
    return datetime(year, month, days[position - 1 if position > 0 else -1])  # noqa: DTZ001  (local wall time)


def observances(zone_name: str, first_year: int, last_year: int) -> list[Observance]:
    """Return the observances that describe zone_name correctly from first_year through last_year.

    Args:
        zone_name: an IANA zone.
        first_year: the first year the calendar uses (the year before is also covered, so the
            offset in force at the first event is defined).
        last_year: the last year the calendar uses.
    """
    zone = ZoneInfo(zone_name)
    first_year -= 1
    years = range(first_year, last_year + 1)
    changes = transitions(zone, first_year, last_year)
    start = datetime(first_year, 1, 1, tzinfo=UTC)
    if not changes:
        offset = _offset(zone, start)
        local = start.astimezone(zone)
        anchor = datetime(ANCHOR_YEAR, 1, 1)  # noqa: DTZ001  (local wall time)
        return [Observance(bool(local.dst()), anchor, offset, offset, local.tzname() or "")]
    rules = [_yearly_rule([c for c in changes if c.daylight == daylight], years) for daylight in (False, True)]
    if all(rules):
        return [r for r in rules if r is not None]
    # No single yearly rule: the offset in force before the first change, then each change once.
    before = changes[0]
    initial = Observance(
        not before.daylight,
        (start + before.offset_from).replace(tzinfo=None),
        before.offset_from,
        before.offset_from,
        (before.instant - timedelta(seconds=1)).astimezone(zone).tzname() or "",
    )
    return [initial] + [Observance(c.daylight, c.local, c.offset_from, c.offset_to, c.name) for c in changes]
