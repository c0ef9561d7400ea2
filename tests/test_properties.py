"""Properties of every expansion: exact spacing, order, horizon, stable identities, wall-clock kept across DST."""

from __future__ import annotations

import itertools
from datetime import UTC, date, datetime, time, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from scheduler import fact_words
from scheduler.catalog.loader import load_regimens
from scheduler.engine import expand
from scheduler.errors import PlanError
from scheduler.model import PlanRequest

CATALOG = load_regimens()
SCHEDULES = [(r, s) for r in CATALOG.regimens for s in r.schedules]
ZONES = ["America/New_York", "Europe/Berlin", "Australia/Sydney", "Asia/Kolkata", "UTC", "America/Sao_Paulo"]

starts = st.dates(min_value=date(2024, 1, 1), max_value=date(2036, 12, 31))
clock = st.none() | st.builds(time, st.integers(0, 23), st.sampled_from([0, 15, 30, 45]))
# Appointment times whose day of visits (up to three hours of steps) ends before midnight.
day_clock = st.none() | st.builds(time, st.integers(0, 20), st.sampled_from([0, 15, 30, 45]))


def local_date(value: date | datetime) -> date:
    return value.date() if isinstance(value, datetime) else value


@settings(max_examples=150, deadline=None)
@given(
    pair=st.sampled_from(SCHEDULES),
    start=starts,
    at=clock,
    zone=st.sampled_from(ZONES),
    doses=st.integers(1, 40),
    weight=st.floats(5, 150),
)
def test_doses_are_evenly_spaced_ordered_and_keep_their_wall_clock(pair, start, at, zone, doses, weight):
    regimen, schedule = pair
    request = PlanRequest(
        regimen=regimen,
        schedule=schedule,
        start=start,
        time=at,
        tz=zone,
        doses=doses,
        weight_kg=weight if schedule.dose.weight_based else None,
    )
    plan = expand(request)
    days = [local_date(e.start) for e in plan.events]
    assert len(days) == doses
    assert days[0] == start
    assert all((b - a).days == schedule.every_days for a, b in itertools.pairwise(days))
    instants = [e.start.timestamp() if isinstance(e.start, datetime) else 0 for e in plan.events]
    assert instants == sorted(instants)
    assert len({e.uid for e in plan.events}) == len(plan.events)
    assert expand(request) == plan  # same input, same plan
    for event in plan.events:
        if at is not None:  # aware datetimes in one zone compare by wall time; compare instants
            assert event.end.astimezone(UTC) > event.start.astimezone(UTC)
        if at is None:
            assert event.all_day and event.end == event.start + timedelta(days=1)
            continue
        assert str(event.start.tzinfo) == zone
        moved = any("does not exist" in note for note in fact_words.patient_notes(event.facts))
        # 09:00 stays 09:00 local time on both sides of DST; only a time inside a gap moves, and says so.
        assert (event.start.time() == at) != moved


@settings(max_examples=100, deadline=None)
@given(pair=st.sampled_from(SCHEDULES), start=starts, span=st.integers(0, 800))
def test_until_is_respected_and_no_dose_that_fits_is_left_out(pair, start, span):
    regimen, schedule = pair
    until = start + timedelta(days=span)
    plan = expand(PlanRequest(regimen=regimen, schedule=schedule, start=start, until=until, weight_kg=40))
    last = local_date(plan.events[-1].start)
    assert last <= until < last + timedelta(days=schedule.every_days)


@settings(max_examples=100, deadline=None)
@given(
    start=starts,
    gap=st.integers(30, 120),
    monitor=st.none() | st.integers(7, 28),
    at=day_clock,
    zone=st.sampled_from(ZONES),
)
def test_afami_cel_block_follows_the_infusion_day(start, gap, monitor, at, zone):
    infusion = start + timedelta(days=gap)
    # A known arrival is itself no sooner than the shortest manufacturing estimate (30 days), before Day -8.
    arrival = start + timedelta(days=30) if gap >= 39 and gap % 2 else None
    plan = expand(
        PlanRequest(
            regimen=CATALOG.get("afami-cel"),
            start=start,
            infusion=infusion,  # type: ignore[arg-type]
            product_arrival=arrival,
            monitor_days=monitor,
            time=at,
            tz=zone,
        )
    )
    by_day: dict[tuple[str, int | None], list[date]] = {}
    for event in plan.events:
        by_day.setdefault((event.kind, event.day), []).append(local_date(event.start))
    assert by_day[("collection", None)] == [start]
    assert by_day[("infusion", 1)] == [infusion]
    assert by_day[("chemotherapy", -4)] == [infusion - timedelta(days=4)]  # no Day 0
    assert by_day[("chemotherapy", -7)] == [infusion - timedelta(days=7)] * 2
    monitoring = sorted(d for (kind, _), ds in by_day.items() if kind == "monitoring" for d in ds)
    assert monitoring == [infusion + timedelta(days=n) for n in range(1, (monitor or 7) + 1)]
    assert min(local_date(e.start) for e in plan.events if e.kind != "collection") > start


@settings(max_examples=50, deadline=None)
@given(start=starts, gap=st.integers(9, 29))
def test_an_infusion_sooner_than_manufacturing_allows_is_refused_without_an_arrival_date(start, gap):
    with pytest.raises(PlanError, match="the earliest plausible infusion is"):
        expand(PlanRequest(regimen=CATALOG.get("afami-cel"), start=start, infusion=start + timedelta(days=gap)))


def _strptime_moment(value: str, is_date: bool) -> date | datetime | None:
    """The reading of DATE and DATE-TIME values txcal had before its fast path: the reference."""
    try:
        if is_date or len(value) == 8:
            return datetime.strptime(value, "%Y%m%d").date()  # noqa: DTZ007
        if value.endswith("Z"):
            return datetime.strptime(value, "%Y%m%dT%H%M%SZ").replace(tzinfo=UTC)
        return datetime.strptime(value, "%Y%m%dT%H%M%S")  # noqa: DTZ007
    except ValueError:
        return None


# Wall-clock values, as calendars write them beside a TZID (or a Z): no zone of their own.
_WALLS = st.datetimes(datetime(1900, 1, 1), datetime(2199, 12, 31))  # noqa: DTZ001


@settings(max_examples=300, deadline=None)
@given(
    st.one_of(
        _WALLS.map(lambda d: f"{d:%Y%m%dT%H%M%S}"),
        _WALLS.map(lambda d: f"{d:%Y%m%dT%H%M%S}Z"),
        st.dates(date(1900, 1, 1), date(2199, 12, 31)).map(lambda d: f"{d:%Y%m%d}"),
        st.text(alphabet="0123456789TZ:+-", max_size=17),
    ),
    st.booleans(),
)
def test_the_fast_date_reader_reads_what_strptime_reads(value, is_date):
    from scheduler.ical.read import moment, parse_line

    line = parse_line(f"DTSTART{';VALUE=DATE' if is_date else ''}:{value}")
    assert moment(line) == _strptime_moment(value, is_date)


def test_the_quick_zone_check_agrees_with_the_full_list_of_zones():
    """check_zone looks in one folder first; it must accept exactly what the full listing accepts."""
    from scheduler.units import _zone_file_named, check_zone, iana_zone_names

    listed = iana_zone_names()
    for name in listed.values():
        assert check_zone(name) == name
        if "/" in name:
            assert _zone_file_named(name), name
    for name in ("america/new_york", "AMERICA/New_York", "posix/America/New_York", "America/Nowhere", "America",
                 "America/../Europe/Berlin", "/usr/share/zoneinfo/UTC", "America/New_York/", "Factory"):  # fmt: skip
        assert not _zone_file_named(name), name
        assert listed.get(name.casefold()) != name
