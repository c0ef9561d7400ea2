"""Pure parsers and describers of the values users type: durations ("3w", "6m", "60min"), windows,
reminders, time zones, dates and clock times."""

from __future__ import annotations

import os
import re
from collections.abc import Callable
from datetime import date, time, timedelta
from pathlib import Path

from dateutil.relativedelta import relativedelta

from scheduler import caches
from scheduler.model import Window

_PERIOD = re.compile(r"(\d+)([dwmy])")
# How far any plan may reach, and the dates txcal accepts: beyond them a date is a typing error.
MAX_PLAN_YEARS = 10
_PERIOD_MOST = {"d": 366 * MAX_PLAN_YEARS, "w": 53 * MAX_PLAN_YEARS, "m": 12 * MAX_PLAN_YEARS, "y": MAX_PLAN_YEARS}
FIRST_DATE, LAST_DATE = date(1900, 1, 1), date(2199, 12, 31)
# Reminders further ahead than this are not reminders of a visit.
MAX_REMINDER = timedelta(weeks=4)
_LENGTH = re.compile(r"(\d+)(min|h)")


def parse_interval(text: str) -> int:
    """Return the number of days in a dosing interval such as "3w" or "10d".

    Raises:
        ValueError: the text is not a positive count of days or weeks.
    """
    match = _PERIOD.fullmatch(text.strip())
    if not match or match.group(2) not in "dw" or int(match.group(1)) == 0:
        raise ValueError('expected a duration like "3w" or "10d"')
    count = int(match.group(1))
    return count * 7 if match.group(2) == "w" else count


def parse_period(text: str) -> relativedelta:
    """Return a calendar period such as "6m", "26w", "1y" or "90d" as a relativedelta.

    Raises:
        ValueError: the text is not a positive count of days, weeks, months or years.
    """
    match = _PERIOD.fullmatch(text.strip())
    if not match or int(match.group(1)) == 0:
        raise ValueError('expected a period like "6m", "26w", "1y" or "90d"')
    count, unit = int(match.group(1)), match.group(2)
    if count > _PERIOD_MOST[unit]:
        raise ValueError(f"plans reach at most {MAX_PLAN_YEARS} years: give at most {_PERIOD_MOST[unit]}{unit}")
    return _period(count, unit)


def calendar_months(count: int) -> relativedelta:
    """Return a period of whole calendar months (kept, like every period: plans share a few)."""
    return _period(count, "m")


@caches.kept(1024)
def minutes(count: int) -> timedelta:
    """Return a length of minutes (kept: every plan asks for the same few)."""
    return timedelta(minutes=count)


@caches.kept(1024)
def days(count: int) -> timedelta:
    """Return a length of days (kept: every plan asks for the same few)."""
    return timedelta(days=count)


@caches.kept(256)
def _period(count: int, unit: str) -> relativedelta:
    # Kept: every plan of a clinic asks for one of a few periods, and a relativedelta is slow to make.
    if unit == "y":
        return relativedelta(years=count)
    if unit == "m":
        return relativedelta(months=count)
    return relativedelta(days=count * 7 if unit == "w" else count)


def checked(parse: Callable[[str], object]) -> Callable[[str], str]:
    """Return a parser that checks text with `parse` and keeps the text itself ("3w" stays "3w").

    Options and plan files store durations as the user wrote them; this checks them on the way in.
    """

    def check(text: str) -> str:
        parse(text)
        return text.strip()

    return check


def parse_minutes(text: str) -> int:
    """Return the minutes in a length such as "30min" or "1h".

    Raises:
        ValueError: the text is not a positive count of minutes or hours.
    """
    match = _LENGTH.fullmatch(text.strip())
    if not match or int(match.group(1)) == 0:
        raise ValueError('expected a length like "30min" or "1h"')
    count = int(match.group(1))
    return count * 60 if match.group(2) == "h" else count


_REMINDER = re.compile(r"(\d+)(w|d|h|min|m)")


def parse_reminders(text: str) -> list[timedelta]:
    """Return reminder lead times from a list such as "1d,2h,30min" ("m" is minutes here).

    Raises:
        ValueError: an item is not a count of weeks, days, hours or minutes.
    """
    leads = []
    for item in text.split(","):
        match = _REMINDER.fullmatch(item.strip())
        if not match or int(match.group(1)) == 0:
            raise ValueError(f"{item.strip()!r} is not a lead time; write them like 1d,2h,30min")
        unit = {"w": "weeks", "d": "days", "h": "hours", "min": "minutes", "m": "minutes"}[match.group(2)]
        count = int(match.group(1))
        if count > 100_000 or timedelta(**{unit: count}) > MAX_REMINDER:
            raise ValueError(f"{item.strip()!r} is further ahead than a reminder goes: at most 4w")
        leads.append(timedelta(**{unit: count}))
    return sorted(set(leads), reverse=True)


def parse_window(text: str) -> Window:
    """Return a window from "-2,+3" (two days early, three days late).

    Raises:
        ValueError: the text is not two signed day counts around the planned day.
    """
    parts = [p.strip() for p in text.split(",")]
    if len(parts) != 2 or not parts[0].startswith("-") or not parts[1].startswith(("+", "0")):
        raise ValueError('expected a window like "-2,+3" (days early, days late)')
    try:
        early, late = -int(parts[0]), int(parts[1])
    except ValueError:
        raise ValueError('expected a window like "-2,+3" (days early, days late)') from None
    if early < 0 or late < 0 or early > 14 or late > 14:
        raise ValueError("expected each side of the window between 0 and 14 days")
    return Window(early, late)


# Words people type for a zone, and the IANA zone they mean. The abbreviations name fixed offsets
# in the tz database ("EST" never observes daylight time), so they are never taken as they are.
_ZONE_WORDS = {
    "eastern": "America/New_York",
    "est": "America/New_York",
    "edt": "America/New_York",
    "central": "America/Chicago",
    "cst": "America/Chicago",
    "cdt": "America/Chicago",
    "mountain": "America/Denver",
    "mst": "America/Denver",
    "mdt": "America/Denver",
    "pacific": "America/Los_Angeles",
    "pst": "America/Los_Angeles",
    "pdt": "America/Los_Angeles",
    "alaska": "America/Anchorage",
    "akst": "America/Anchorage",
    "akdt": "America/Anchorage",
    "hawaii": "Pacific/Honolulu",
    "hst": "Pacific/Honolulu",
    "arizona": "America/Phoenix",
    "gmt": "Europe/London",
    "bst": "Europe/London",
    "cet": "Europe/Berlin",
    "cest": "Europe/Berlin",
    "aest": "Australia/Sydney",
    "aedt": "Australia/Sydney",
}


@caches.kept(1)
def iana_zone_names() -> dict[str, str]:
    """Return the canonical IANA zone names by their case-folded form: Area/City names and UTC."""
    from zoneinfo import available_timezones

    names = {n for n in available_timezones() if "/" in n and not n.startswith(("posix/", "right/"))}
    return {n.casefold(): n for n in (*names, "UTC")}


@caches.kept(64)
def _zone_file_named(name: str) -> bool:
    """Return whether the system's zone database has an Area/City zone spelled exactly `name`.

    A quick look in one folder, where listing every zone (iana_zone_names) takes a single plan's
    whole running time; False sends the name to that listing, which also knows the tzdata package.
    """
    from zoneinfo import TZPATH

    folder, _, leaf = name.rpartition("/")
    if not folder or name.startswith(("posix/", "right/")) or ".." in name.split("/") or name.startswith("/"):
        return False
    for root in TZPATH:
        try:
            if leaf in os.listdir(os.path.join(root, folder)):  # listed: exactly this spelling
                with open(os.path.join(root, name), "rb") as zone_file:
                    return zone_file.read(4) == b"TZif"
        except OSError:
            continue
    return False


def suggest_zone(name: str) -> str | None:
    """Return the IANA zone a user most likely meant: "america/chicago", "Central", "EST" -> America/Chicago."""
    key = name.strip().casefold().replace(" ", "_")
    if key in _ZONE_WORDS:
        return _ZONE_WORDS[key]
    found = iana_zone_names().get(key)
    if found:
        return found
    import difflib

    close = difflib.get_close_matches(key, list(iana_zone_names()), n=1, cutoff=0.8)
    return iana_zone_names()[close[0]] if close else None


def check_zone(name: str) -> str:
    """Return `name` if it is a canonical IANA time zone name (Area/City, or UTC).

    Legacy names that are fixed offsets or placeholders (EST, MST, Factory, localtime) are refused:
    a clinic's appointments follow its local clock, daylight time included.

    Raises:
        ValueError: not a canonical zone name; the message suggests the likely one.
    """
    if _zone_file_named(name) or iana_zone_names().get(name.casefold()) == name:
        return name
    suggestion = suggest_zone(name)
    hint = f"did you mean {suggestion}?" if suggestion else "use an IANA name such as Europe/Berlin or America/New_York"
    raise ValueError(f"{name!r} is not an IANA time zone name (Area/City): {hint}")


def machine_zone_name() -> str | None:
    """Return this machine's time zone by IANA name (TZ, /etc/timezone, /etc/localtime), or None."""
    tz = os.environ.get("TZ", "").lstrip(":")
    if tz:
        # TZ rules the machine's clock when set; an unnamed zone in it means we cannot tell.
        name = tz.split("zoneinfo/")[-1]
        return name if _known(name) else None
    candidates = []
    timezone_file = Path("/etc/timezone")
    if timezone_file.is_file():
        candidates.append(timezone_file.read_text(encoding="utf-8").strip())
    localtime = Path("/etc/localtime")
    if localtime.is_symlink():
        candidates.append(str(localtime.resolve()).split("zoneinfo/")[-1])
    return next((c for c in candidates if _known(c)), None)


def _known(name: str) -> bool:
    try:
        check_zone(name)
    except ValueError:
        return False
    return True


def parse_date(text: str) -> date:
    """Return a date written YYYY-MM-DD.

    Raises:
        ValueError: not a date, with Python's reason for impossible ones ("month must be in 1..12").
    """
    try:
        day = date.fromisoformat(text.strip())
    except ValueError as exc:
        raise ValueError("not a date" if "isoformat" in str(exc) else str(exc)) from None
    if not FIRST_DATE <= day <= LAST_DATE:
        raise ValueError(f"not a date txcal plans for: give one from {FIRST_DATE} to {LAST_DATE}")
    return day


def parse_clock(text: str) -> time:
    """Return a time of day written H:MM or HH:MM on a 24-hour clock ("9:00", "14:30").

    Raises:
        ValueError: not a time of day.
    """
    parts = text.strip().split(":")
    if len(parts) != 2 or not all(p.isdigit() for p in parts) or len(parts[1]) != 2:
        raise ValueError("not a time")
    hour, minute = int(parts[0]), int(parts[1])
    if hour > 23 or minute > 59:
        raise ValueError("not a time of day")
    return time(hour, minute)


PREFERENCES = ("morning", "afternoon")


def parse_preference(text: str) -> str:
    """Return a preferred appointment time: "morning", "afternoon" or a time of day as HH:MM.

    Raises:
        ValueError: neither a part of the day nor a time of day.
    """
    word = text.strip().lower()
    if word in PREFERENCES:
        return word
    try:
        return f"{parse_clock(word):%H:%M}"
    except ValueError:
        raise ValueError("neither a part of the day nor a time of day") from None  # the option's hint says the form


def parse_yes_no(text: str) -> bool:
    """Return True for yes, true, y or 1 and False for no, false, n or 0, in any case.

    Raises:
        ValueError: anything else.
    """
    word = text.strip().lower()
    if word in ("yes", "true", "y", "1"):
        return True
    if word in ("no", "false", "n", "0"):
        return False
    raise ValueError("expected yes or no")


def parse_count(text: str) -> int:
    """Return a whole number of 1 or more.

    Raises:
        ValueError: not a whole number, or less than 1.
    """
    if not text.strip().isdigit():  # int() would also take "1_0" and " +3"
        raise ValueError("not a whole number")
    count = int(text.strip())
    if count < 1:
        raise ValueError("must be 1 or more")
    return count


# Input validation, not a clinical fact: no source read gives a lowest weight for these regimens (atezolizumab
# for ASPS: 2 years and older), and a weight under a newborn's 3 kg is a typing slip (grams, pounds, a dose).
MIN_WEIGHT_KG, MAX_WEIGHT_KG = 3, 300


def parse_weight(text: str) -> float:
    """Return a body weight in kilograms, 1 to 300.

    Raises:
        ValueError: not a number, or not a body weight.
    """
    if not re.fullmatch(r"\d+(\.\d+)?", text.strip()):  # float() would also take "1_0", "inf" and "nan"
        raise ValueError("not a number")
    weight = float(text.strip())
    if not MIN_WEIGHT_KG <= weight <= MAX_WEIGHT_KG:
        raise ValueError(f"not a body weight: give kilograms between {MIN_WEIGHT_KG} and {MAX_WEIGHT_KG}")
    return weight


def check_holiday_code(code: str) -> str:
    """Return a holiday code the `holidays` package knows, upper-cased ("us-ny" -> "US-NY").

    Raises:
        ValueError: the country or subdivision is unknown.
    """
    country, _, subdivision = code.strip().upper().partition("-")
    problem = _holiday_code_problem(country, subdivision)
    if problem:
        raise ValueError(
            f"{problem}; use a country code such as US or DE, or country-subdivision such as US-NY or GB-ENG"
        )
    return f"{country}-{subdivision}" if subdivision else country


@caches.kept(64)
def _holiday_code_problem(country: str, subdivision: str) -> str:
    """Return why the `holidays` package does not know a code ("" when it does); asked once per code, not per row."""
    import holidays  # loaded only when a plan asks for holidays

    try:
        holidays.country_holidays(country, subdiv=subdivision or None, years=2026)
    except NotImplementedError as exc:
        return str(exc)
    return ""


_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")
# Characters that change how text is shown without showing themselves: bidi overrides and isolates, marks,
# zero-width spaces and joiners, the byte-order mark. Two labels that differ only by them look the same.
_INVISIBLE = re.compile("[\u061c\u200b-\u200f\u202a-\u202e\u2060-\u2069\ufeff]")
_SURROGATE = re.compile(r"[\ud800-\udfff]")  # how Python keeps bytes that were not UTF-8
_IDENTITY = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,63}")


def check_text(text: str) -> str:
    """Return a label or reason without surrounding spaces, if it holds no control or invisible characters.

    Control characters (tabs, line breaks, DEL, escape sequences) break calendars, plan files and
    terminals, and are never part of a label or a reason.

    Raises:
        ValueError: the text holds one.
    """
    found = _CONTROL.search(text)
    if found:
        raise ValueError(f"holds a control character (U+{ord(found.group()):04X}); write it on one line, in plain text")
    found = _INVISIBLE.search(text)
    if found:
        raise ValueError(
            f"holds an invisible character (U+{ord(found.group()):04X}: a direction mark or a zero-width space) that "
            "makes it look like other text; type it again in plain text"
        )
    if _SURROGATE.search(text):
        raise ValueError("holds bytes that are not UTF-8 text; write it in UTF-8")
    return text.strip()


def check_identity(text: str) -> str:
    """Return a plan id: 1 to 64 letters, digits, dots, dashes or underscores, starting with a letter or digit.

    Raises:
        ValueError: anything else (an id is written into calendars and file names as it is).
    """
    if not _IDENTITY.fullmatch(text.strip()):
        raise ValueError("a plan id is 1 to 64 letters, digits, dots, dashes or underscores")
    return text.strip()
