"""Words with a count in them (days, minutes, intervals) and a closed day's reason, in the patient's language.

gettext's plural forms choose "1 day" or "3 days" (and their Spanish); English is the source text, so
with no language spoken these return what txcal always wrote.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from scheduler import i18n
from scheduler.i18n import ngettext, pgettext

if TYPE_CHECKING:
    from scheduler.model import Window

_PERIOD = re.compile(r"(\d+)([dwmy])")


def describe_period(text: str) -> str:
    """Return a period string in words: "6m" -> "6 months", "1y" -> "1 year"."""
    match = _PERIOD.fullmatch(text.strip())
    if not match:
        return text
    count, unit = int(match.group(1)), match.group(2)
    return _PERIOD_WORDS[unit](count).format(count=count)


_PERIOD_WORDS = {
    "d": lambda n: ngettext("{count} day", "{count} days", n),
    "w": lambda n: ngettext("{count} week", "{count} weeks", n),
    "m": lambda n: ngettext("{count} month", "{count} months", n),
    "y": lambda n: ngettext("{count} year", "{count} years", n),
}


def describe_minutes(minutes: int) -> str:
    """Return a length in words: 30 -> "30 minutes", 60 -> "60 minutes", 120 -> "2 hours"."""
    if minutes % 60 == 0 and minutes >= 120:
        return ngettext("{count} hour", "{count} hours", minutes // 60).format(count=minutes // 60)
    return ngettext("{count} minute", "{count} minutes", minutes).format(count=minutes)


def describe_interval(days: int) -> str:
    """Return a dosing interval in words: 21 -> "every 3 weeks", 10 -> "every 10 days"."""
    if days % 7 == 0:
        weeks = days // 7
        return ngettext("every week", "every {count} weeks", weeks).format(count=weeks)
    return ngettext("every day", "every {count} days", days).format(count=days)


def patient_within(window: Window) -> str:
    """Return, for the patient, that a stuck visit found no open day on its one side: "there is no open day in the
    3 days before it"."""
    if window.early:
        return ngettext(
            "there is no open day in the {count} day before it",
            "there is no open day in the {count} days before it",
            window.early,
        ).format(count=window.early)
    return ngettext(
        "there is no open day in the {count} day after it",
        "there is no open day in the {count} days after it",
        window.late,
    ).format(count=window.late)


def closed_day(why: str) -> str:
    """Return why the clinic is closed (a holiday's name, a closures file's reason) in the patient's language.

    English is the source: in another language a holiday's name is a message (context "holiday"), and
    any other reason (a closures file's own words) one with context "closed-day"; a reason not
    translated refuses the output, as any other message does.
    """
    if i18n.current() is None:
        return why
    holiday = _HOLIDAY.fullmatch(why)
    if holiday is None:
        return pgettext("closed-day", why)
    name, observed, code = holiday.groups()
    # Two holidays on one day are named together ("Susan B. Anthony Day; Washington's Birthday").
    name = "; ".join(pgettext("holiday", one) for one in name.split("; "))
    name += " " + i18n._("(observed)") if observed else ""
    return i18n._("{name} ({code} holiday)").format(name=name, code=code)


_HOLIDAY = re.compile(r"(.+?)( \(observed\))? \((\S+) holiday\)")


def known_closed_days() -> tuple[str, ...]:
    """Return the US federal holidays' names and the weekend as messages: listed so `pybabel extract` finds them."""
    return (
        pgettext("closed-day", "weekend"),
        pgettext("holiday", "New Year's Day"),
        pgettext("holiday", "Martin Luther King Jr. Day"),
        pgettext("holiday", "Washington's Birthday"),
        pgettext("holiday", "Memorial Day"),
        pgettext("holiday", "Juneteenth National Independence Day"),
        pgettext("holiday", "Independence Day"),
        pgettext("holiday", "Labor Day"),
        pgettext("holiday", "Columbus Day"),
        pgettext("holiday", "Veterans Day"),
        pgettext("holiday", "Thanksgiving Day"),
        pgettext("holiday", "Christmas Day"),
    )
