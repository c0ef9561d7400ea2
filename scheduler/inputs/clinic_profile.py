"""Clinic profiles: a TOML file describing a clinic once (examples/clinic.toml documents every key).

Read and checked like templates: every problem of a file at once, with its key path, the expected
form and the bad value. What a profile gives is a default: an option on the command line, a
plan-file key or a patient-list cell overrides it, and it overrides the template's own defaults.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import time
from pathlib import Path
from typing import Any

from scheduler.catalog.tomlcheck import TableReader, read_toml
from scheduler.errors import TemplateError
from scheduler.model import EVENT_KINDS, LINKED_KINDS, ClinicProfile, LinkedVisit
from scheduler.options import BY_NAME
from scheduler.units import check_text, parse_clock

SCHEMA = 1
_DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
_TOP = {
    "schema",
    "name",
    "address",
    "phone",
    "after_hours_phone",
    "timezone",
    "hours",
    "chairs",
    "avoid",
    "holidays",
    "closed",
    "time",
    "remind",
    "language",
    "visit_minutes",
    "linked",
    "same_visit",
    "nurse_starts",
    "book",
    "feed_dir",
    "feed_detail",
    "feed_base",
    "feed_refresh",
}
_LINKED = {"kind", "title", "minutes", "before_days", "every", "every_weeks", "wait_minutes"}
ROUTE_MINUTES = ("dose_iv", "dose_sc")
MAX_LINKED = 20  # a clinic links a handful of visits to doses; thousands would make a plan of a million events  # chair time of a dose by route, beside the kinds


FEED_DETAILS = ("minimal", "full")
# How often a subscribed calendar app should poll a feed (RFC 7986 REFRESH-INTERVAL): hours or days.
_REFRESH = re.compile(r"PT([1-9][0-9]?)H|P([1-9])D")


def _inside(folder: Path, name: str) -> bool:
    """Return whether a name the profile gives is a path in its folder or below it (not through a link out)."""
    return not (
        Path(name).is_absolute()
        or ".." in Path(name).parts
        or "\\" in name
        or not (folder / name).resolve().is_relative_to(folder)
    )


def _feed_keys(top: TableReader, folder: Path) -> dict[str, Any]:
    """Return the patient feeds' keys (issue 35): a folder to serve, how much a feed says, its links' base."""
    found: dict[str, Any] = {}
    feed_dir = top.text("feed_dir")
    if feed_dir and (not _inside(folder, feed_dir) or (folder / feed_dir).resolve() == folder):
        top.bad("feed_dir", 'a folder below the folder of the profile, served as it is, such as "feeds"')
    elif feed_dir:
        found["feed_dir"] = feed_dir
    detail = top.choice("feed_detail", FEED_DETAILS)
    if detail:
        found["detail"] = detail
    base = top.text("feed_base")
    if base and (not base.startswith("https://") or any(c.isspace() or c in "?#" for c in base)):
        top.bad(
            "feed_base", 'the https:// address the feed folder is served at, such as "https://clinic.example/feeds"'
        )
    elif base:
        found["base"] = base.rstrip("/")
    refresh = top.text("feed_refresh")
    if refresh and not _REFRESH.fullmatch(refresh):
        top.bad(
            "feed_refresh", 'how often calendar apps should fetch a feed: "PT4H" (hours, 1-99) or "P1D" (days, 1-9)'
        )
    elif refresh:
        found["refresh"] = refresh
    return found


@dataclass(frozen=True)
class FeedSettings:
    """A clinic's patient feeds (issue 35) as its profile sets them."""

    folder: Path  # feed_dir, in the profile's folder: served as it is
    detail: str = "minimal"  # "minimal": no drug, dose or side effects; "full": the patient's calendar text
    base: str = ""  # the https:// address the folder is served at
    refresh: str = "PT4H"  # how often calendar apps should fetch a feed (RFC 7986 REFRESH-INTERVAL)


def feed_settings(profile: ClinicProfile) -> FeedSettings | None:
    """Return the profile's feed settings, or None when it turns no feeds on. Read from the profile's file (checked
    when it was loaded), so the clinic's profile record stays as every other command knows it.

    Raises:
        TemplateError: the file is unreadable or not TOML (changed since it was loaded).
    """
    if not profile.path:
        return None
    path = Path(profile.path)
    top = TableReader(read_toml(path, "the clinic profile"), "", [], _TOP)
    found = _feed_keys(top, path.resolve().parent)
    folder = found.pop("feed_dir", None)
    return FeedSettings(path.parent / folder, **found) if folder else None


def _hours(text: str) -> tuple[time, time] | None:
    """Return (opens, closes) from "08:00-18:00", or None for "closed"."""
    if text.strip().lower() == "closed":
        return None
    opening, _, closing = text.partition("-")
    opens, closes = parse_clock(opening), parse_clock(closing)
    if closes <= opens:
        raise ValueError("closing must come after opening")
    return opens, closes


def _read_hours(top: TableReader) -> tuple[tuple[int, time, time], ...]:
    """Return opening hours by weekday: one "08:00-18:00" for every day, or a table by day."""
    if not top.has("hours"):
        return ()
    raw = top.data["hours"]
    entries: list[tuple[str, tuple[int, ...], str]] = []  # (key path, weekdays, text)
    if isinstance(raw, str):
        entries.append(("hours", tuple(range(7)), raw))
    else:
        table = top.table("hours", set(_DAYS))
        if table is None:
            return ()
        entries += [(table.path(day), (_DAYS.index(day),), table.text(day)) for day in _DAYS if table.has(day)]
    found = []
    for where, days, text in entries:
        try:
            span = _hours(text)
        except ValueError as exc:
            top.problems.append(f'{where}: {text!r}: {exc}; write opening hours like "08:00-18:00", or "closed"')
            continue
        if span:
            found += [(day, *span) for day in days]
    return tuple(sorted(found))


def _option(top: TableReader, name: str, key: str) -> Any:
    """Return a plan option's value from the profile, read as the options table reads it."""
    if not top.has(key):
        return None
    option = BY_NAME[name]
    raw = top.data[key]
    texts = isinstance(raw, list) and all(isinstance(item, str) for item in raw)
    text = ",".join(raw) if texts else raw if isinstance(raw, str) else None  # found by the fuzz suite: [[1]]
    if text is None:
        top.bad(key, option.value.hint or f"a {option.value.name}")
        return None
    try:
        return option.read(text)
    except ValueError as exc:
        top.problems.append(f"{key}: {text!r}: {exc}")
        return None


def _kinds(top: TableReader, key: str) -> tuple[str, ...]:
    kinds = top.texts(key)
    if any(kind not in EVENT_KINDS for kind in kinds):
        top.bad(key, 'a list of event kinds, such as ["chemotherapy"]')
        return ()
    return kinds


def load_profile(path: Path) -> ClinicProfile:
    """Read and check a clinic profile; every problem is reported at once.

    Raises:
        TemplateError: the file is unreadable, not TOML, or breaks the profile schema.
    """
    data = read_toml(path, "the clinic profile")
    problems: list[str] = []
    top = TableReader(data, "", problems, _TOP)
    top.schema(SCHEMA, "clinic-profile")
    texts = {}
    for key in ("name", "address", "phone", "after_hours_phone"):
        try:
            texts[key] = check_text(top.text(key, required=key == "name"))
        except ValueError as exc:
            problems.append(f"{key}: {exc}")
    chairs = top.integer("chairs")
    if chairs is not None and not 1 <= chairs <= 500:
        top.bad("chairs", "a number of infusion chairs, 1 to 500")
    book = top.text("book")
    folder = path.resolve().parent
    if book and not _inside(folder, book):  # a linked sub-folder counts as outside
        top.bad("book", 'a file name in the folder of the profile or below it, such as "clinic-book.sqlite"')
        book = ""
    _feed_keys(top, folder)  # checked with the rest; read by feed_settings
    nurses = top.integer("nurse_starts")
    if nurses is not None and not 1 <= nurses <= 100:
        top.bad("nurse_starts", "how many chair starts the nurses can take in any 15 minutes, 1 to 100")
    minutes = top.table("visit_minutes", {*EVENT_KINDS, *ROUTE_MINUTES})
    visit_minutes = []
    for kind in (*EVENT_KINDS, *ROUTE_MINUTES):
        value = minutes.integer(kind) if minutes is not None else None
        if value is not None and not 1 <= value <= 24 * 60:
            minutes.bad(kind, "minutes from 1 to 1440")  # type: ignore[union-attr]
        elif value is not None:
            visit_minutes.append((kind, value))
    linked = []
    if isinstance(top.data.get("linked"), list) and len(top.data["linked"]) > MAX_LINKED:
        problems.append(
            f"linked: {len(top.data['linked'])} entries; a profile links at most {MAX_LINKED} visits to doses "
            "(labs, a provider visit, imaging)"
        )
        top.data = {**top.data, "linked": top.data["linked"][:MAX_LINKED]}
    for table in top.tables("linked", _LINKED):
        kind = table.choice("kind", LINKED_KINDS, required=True)
        length = table.integer("minutes", required=True)
        before = table.integer("before_days") or 0
        every = table.integer("every") or 1
        weeks = table.integer("every_weeks")
        wait = table.integer("wait_minutes") or 0
        if not 0 <= wait <= 8 * 60:
            table.bad(
                "wait_minutes", "minutes from 0 to 480 between this visit's end and the chair (results, pharmacy)"
            )
        if wait and (weeks is not None or before):
            problems.append(f"{table.where}: wait_minutes is for a visit the same day, right before the dose")
        if length is not None and not 1 <= length <= 24 * 60:
            table.bad("minutes", "minutes from 1 to 1440")
        if not 0 <= before <= 14:
            table.bad("before_days", "0 (the same day) to 14 days before the dose")
        if not 1 <= every <= 52:
            table.bad("every", "with every Nth dose, N from 1 to 52")
        if weeks is not None and not 1 <= weeks <= 52:
            table.bad("every_weeks", "every 1 to 52 weeks")
        if weeks is not None and (table.has("before_days") or table.has("every")):
            problems.append(f"{table.where}: every_weeks is counted from the start; leave out before_days and every")
        title = table.text("title", required=True)
        try:
            title = check_text(title)
        except ValueError as exc:
            table.problems.append(f"{table.path('title')}: {exc}")
        linked.append(LinkedVisit(kind, title, length or 0, before, every, weeks, wait))
    profile = ClinicProfile(
        name=texts.get("name", ""),
        path=str(path),
        address=texts.get("address", ""),
        phone=texts.get("phone", ""),
        after_hours_phone=texts.get("after_hours_phone", ""),
        timezone=_option(top, "tz", "timezone"),
        hours=_read_hours(top),
        chairs=chairs,
        nurse_starts=nurses,
        avoid=_option(top, "avoid", "avoid") or (),
        holidays=_option(top, "holidays", "holidays"),
        closed=_option(top, "closed", "closed"),
        time=_option(top, "time", "time"),
        remind=_option(top, "remind", "remind"),
        language=_option(top, "language", "language"),
        visit_minutes=tuple(visit_minutes),
        same_visit=_kinds(top, "same_visit"),
        linked=tuple(linked),
        book=book or None,
    )
    if problems:
        raise TemplateError(str(path), problems)
    return profile
