"""The coordinator's day sheet: every visit of a day (or a week) with its time, chair, patient,
what happens, its minutes, what to prepare and its conflicts.

Read from a batch folder's clinic calendar (its X-TXCAL-PATIENT, -PREPARE and -CONFLICT lines),
or planned here from a patient list or plan files. Chairs are numbered per day in time order, a
patient's overlapping chair visits (two drugs in one sitting) on one chair; a chair visit that
finds every chair taken gets none, and says so.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from dataclasses import replace
from datetime import date, timedelta
from pathlib import Path

from scheduler import wording
from scheduler.app.plans import list_plans, plan_from_spec
from scheduler.catalog.loader import Catalog
from scheduler.clinic.book import profile_book, snapshots_of_the_book
from scheduler.clinic.preparation import plan_preparation
from scheduler.clinic_model import AgendaItem, outside_hours
from scheduler.engine.slots import asked_for
from scheduler.errors import TxcalError
from scheduler.ical import (
    ASKED_PROPERTY,
    CONFLICT_PROPERTY,
    PREPARE_PROPERTY,
    Skipped,
    read_calendar,
    unescape,
    unescape_list,
)
from scheduler.model import CHAIR_KINDS, ClinicProfile, Plan, minute_of_day
from scheduler.view_wording import NO_CHAIR, day_sheet_title, outside_hours_text
from scheduler.wording import event_summary

# Watch periods bring nobody in; a clinic task (a milestone for the clinic) is on the sheet.
_LEFT_OUT = frozenset({"watch"})


def from_plan(plan: Plan, first: date, last: date) -> Iterator[AgendaItem]:
    """Yield a plan's items from `first` to `last`, held doses left out."""
    patient = plan.request.patient or plan.plan_id
    prepare = plan_preparation(plan)
    for event in plan.events:
        if event.status == "held" or event.kind in _LEFT_OUT or not first <= event.first_day <= last:
            continue
        start = minute_of_day(event.start)
        yield AgendaItem(
            event.first_day,
            start,
            event.minutes if start is not None else None,
            patient,
            event.kind,
            day_sheet_title(event_summary(event, label_dose=True), plan.request.patient or ""),
            prepare.get(event.uid, ()),
            (wording.event_conflict(event),) if wording.event_conflict(event) else (),
            asked=asked_for(event),
        )


_SHOWN = frozenset({"SUMMARY", PREPARE_PROPERTY, CONFLICT_PROPERTY, ASKED_PROPERTY})


def from_calendar(path: Path, first: date, last: date, skipped: Skipped | None = None) -> Iterator[AgendaItem]:
    """Yield the items of a clinic calendar from `first` to `last`, cancelled events left out.

    Raises:
        TxcalError: the file cannot be read as a calendar.
    """
    for visit in read_calendar(path, _SHOWN, skipped):
        if not first <= visit.day <= last or visit.kind in _LEFT_OUT:
            continue
        text = {name: unescape(visit.lines[name].value) if name in visit.lines else "" for name in _SHOWN}
        prepare = unescape_list(visit.lines[PREPARE_PROPERTY].value) if PREPARE_PROPERTY in visit.lines else ()
        yield AgendaItem(
            visit.day,
            visit.start,
            visit.minutes if visit.start is not None else None,
            visit.patient,
            visit.kind,
            day_sheet_title(text["SUMMARY"], visit.patient),
            prepare,
            (text[CONFLICT_PROPERTY],) if text[CONFLICT_PROPERTY] else (),
            asked=text[ASKED_PROPERTY],
        )


def seat(items: Iterable[AgendaItem], chairs: int | None) -> list[AgendaItem]:
    """Return the items in time order, each chair visit on a chair numbered from 1 (first free, per day).

    A patient keeps one chair for overlapping chair visits. With `chairs`, a visit that finds
    them all taken gets no chair and the conflict says so.
    """
    ordered = sorted(items, key=lambda i: (i.day, i.start is not None, i.start or 0, i.patient, i.what))
    seated: list[AgendaItem] = []
    free_at: dict[int, int] = {}  # chair -> the minute it is free again, for the day being seated
    sitting: dict[str, tuple[int, int]] = {}  # patient -> (chair, until)
    day = None
    for item in ordered:
        if item.day != day:
            day, free_at, sitting = item.day, {}, {}
        if item.kind not in CHAIR_KINDS or item.start is None or item.end is None:
            seated.append(item)
            continue
        current = sitting.get(item.patient)
        chair: int | None
        if current is not None and item.start < current[1]:
            chair = current[0]
        else:
            chair = next((c for c in sorted(free_at) if free_at[c] <= item.start), None)
            if chair is None and (chairs is None or len(free_at) < chairs):
                chair = len(free_at) + 1
        if chair is None:
            seated.append(replace(item, conflicts=(*item.conflicts, NO_CHAIR)))
            continue
        until = max(item.end, free_at.get(chair, 0))
        free_at[chair] = until
        sitting[item.patient] = (chair, until)
        seated.append(replace(item, chair=chair))
    return seated


def with_hours(items: list[AgendaItem], hours: Callable[[date], tuple[int, int] | None]) -> list[AgendaItem]:
    """Return the items with a conflict on each visit outside its day's opening hours (clinic_model.outside_hours)."""
    return [
        replace(item, conflicts=(*item.conflicts, outside_hours_text(hours(item.day))))
        if outside_hours(hours(item.day), item.kind, item.start, item.minutes)
        else item
        for item in items
    ]


def from_book(profile: ClinicProfile, first: date, days: int) -> list[AgendaItem]:
    """Return the booked items of the days asked for, seated on their booked chairs (or numbered here when the
    batch that booked them did not level)."""
    book = profile_book(profile)
    try:
        items = book.agenda(first, first + timedelta(days=days - 1))
    finally:
        book.close()
    unseated = any(i.kind in CHAIR_KINDS and i.start is not None and i.chair is None for i in items)
    return seat([replace(i, chair=None) for i in items], profile.chairs) if unseated else items


def gather(
    sources: tuple[Path, ...],
    default_profile: Path | None,
    first: date,
    days: int,
    catalog: Callable[[], Catalog],
    left_out: Callable[[str], None],
) -> list[AgendaItem]:
    """Return the unseated items of the days asked for, from a batch folder, a calendar, a patient list or plan files."""
    from scheduler.app.batching.folder import CLINIC_FILE
    from scheduler.inputs.plan_file import load_plan

    last = first + timedelta(days=days - 1)
    items: list[AgendaItem] = []
    for source in sources:
        if source.is_dir() or source.suffix.lower() == ".ics":
            path = source / CLINIC_FILE if source.is_dir() else source
            skipped = Skipped()
            items += from_calendar(path, first, last, skipped)
            skipped.say(path, left_out)
        elif source.suffix.lower() == ".toml":
            spec = replace(load_plan(source), default_profile=default_profile)
            items += from_plan(plan_from_spec(spec, catalog()), first, last)
        else:
            for plan in list_plans(source, default_profile, catalog(), left_out):
                items += from_plan(plan, first, last)
    return items


def day_sheet(
    sources: tuple[Path, ...],
    profile_path: Path | None,
    first: date,
    days: int,
    chairs: int | None,
    fmt: str,
    catalog: Callable[[], Catalog],
    left_out: Callable[[str], None],
    width: int,
) -> str:
    """Return the day sheet (text or CSV) of `days` days from `first`: from the sources, or the profile's book.

    A list or plan files are shown as asked, not levelled, and the heading says so.

    Raises:
        TxcalError: no source and no profile keeping a book, or a source cannot be read.
    """
    from scheduler.app.load import clinic_hours
    from scheduler.inputs.clinic_profile import load_profile
    from scheduler.writers import agenda as sheet

    profile = load_profile(profile_path) if profile_path is not None else None
    place = profile.name if profile else ""
    chairs = chairs or (profile.chairs if profile else None)
    if not sources or (profile is not None and snapshots_of_the_book(sources, profile, left_out)):
        if profile is None:
            raise TxcalError("give SOURCES, or --clinic FILE whose profile keeps a clinic book")
        seated = from_book(profile, first, days)
    else:
        seated = seat(gather(sources, profile_path, first, days, catalog, left_out), chairs)
    if profile is not None:
        seated = with_hours(seated, profile.opening)
    if fmt == "csv":
        return sheet.to_csv(seated)
    asked = any(s.is_file() and s.suffix.lower() not in (".ics",) for s in sources)
    wanted = [first + timedelta(days=n) for n in range(days)]
    closed = clinic_hours(profile).closed if profile is not None else None
    return sheet.render_text(seated, wanted, place, chairs, width, "as asked, not levelled" if asked else "", closed)
