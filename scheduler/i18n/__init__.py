"""The patient's language: gettext catalogs for patient text, Babel for dates and numbers.

English is the source language: with no language set, every function here returns the English
text or the strftime figure the writers always wrote, byte for byte, and neither gettext
catalogs nor Babel are loaded. A patient output in another language renders inside `speaking`,
which loads that language's catalog, counts every message it could not translate (missing, fuzzy
and so left out of the compiled catalog, or not matching the English's placeholders and numbers),
and lets the caller refuse the output (scheduler.i18n.render): never a half-English calendar.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from datetime import date, datetime, time
from pathlib import Path
from typing import Any

from scheduler.i18n.tags import ENGLISH as ENGLISH
from scheduler.i18n.tags import PSEUDO as PSEUDO

LOCALE_DIR = Path(__file__).parent.parent / "locale"
DOMAIN = "patient"  # the patient's text: calendars, handouts; the CLI and the clinic's views stay English

# Placeholders ({minutes}) and number tokens (1,200, 2.68, 911) a translation must keep exactly.
PLACEHOLDER = re.compile(r"\{[a-z_]*\}")
NUMBER = re.compile(r"\d+(?:[.,]\d+)*")


def mismatch(english: str, translated: str) -> str:
    """Return why a translation does not match its English ("" when it does): placeholders or numbers differ."""
    if sorted(PLACEHOLDER.findall(english)) != sorted(PLACEHOLDER.findall(translated)):
        return "placeholders differ"
    if sorted(NUMBER.findall(PLACEHOLDER.sub("", english))) != sorted(NUMBER.findall(PLACEHOLDER.sub("", translated))):
        return "numbers differ"
    return ""


@dataclass
class Language:
    """A language being spoken: its catalog, and the messages it could not give (message -> why)."""

    tag: str  # "es-US"
    locale: str  # Babel's name: "es_US"
    catalog: dict[Any, str]
    plural: Any  # n -> the index of the plural form
    unreviewed: bool = True  # some message of the catalog has no clinician's review
    problems: dict[str, str] = field(default_factory=dict)

    def lookup(self, key: Any, english: str, shown: str) -> str:
        """Return the translation kept under `key`, or the English with the problem counted."""
        if self.tag == PSEUDO:
            return pseudo(english)
        found = self.catalog.get(key)
        if not found:
            self.problems.setdefault(shown, "missing")
            return english
        why = mismatch(english, found)
        if why:
            self.problems.setdefault(shown, why)
            return english
        return found


_speaking: ContextVar[Language | None] = ContextVar("txcal_language", default=None)


def current() -> Language | None:
    """Return the language being spoken, or None for English."""
    return _speaking.get()


def tag() -> str:
    """Return the language tag of the text being written: "en" or "es-US"."""
    language = _speaking.get()
    return ENGLISH if language is None else language.tag


def N_(message: str) -> str:  # the gettext convention: marks a message for extraction
    """Return a message unchanged: marks a constant for `pybabel extract`, translated where it is used."""
    return message


def _(message: str) -> str:
    """Return a patient message in the language being spoken."""
    language = _speaking.get()
    return message if language is None else language.lookup(message, message, message)


def pgettext(context: str, message: str) -> str:
    """Return a message with a context (a template's text: "atezolizumab-iv:notes.call")."""
    language = _speaking.get()
    if language is None:
        return message
    return language.lookup(f"{context}\x04{message}", message, f"{context}: {message}")


def ngettext(singular: str, plural: str, count: int) -> str:
    """Return the singular or plural form of a message for a count, in the language being spoken."""
    english = singular if count == 1 else plural
    language = _speaking.get()
    if language is None:
        return english
    if language.tag == PSEUDO:
        return pseudo(english)
    forms = [language.catalog.get((singular, i)) for i in range(2)]
    if not all(forms):
        language.problems.setdefault(singular, "missing")
        return english
    return language.lookup((singular, language.plural(count)), english, singular)


def pseudo(text: str) -> str:
    """Return a text as the pseudo-locale writes it: marked, its letters accented, placeholders kept."""
    parts = re.split(r"(\{[a-z_]*\})", text)
    return "⟦" + "".join(p if PLACEHOLDER.fullmatch(p) else p.translate(_ACCENTS) for p in parts) + "⟧"


_ACCENTS = str.maketrans("aeiouAEIOU", "áéíóúÁÉÍÓÚ")


@contextmanager
def speaking(language_tag: str) -> Iterator[Language | None]:
    """Speak a language while writing a patient output; English (the default) changes nothing.

    Kept results (worded facts, descriptions) are emptied on the way in and out: they are kept by
    their arguments, not by the language they were worded in.
    """
    if language_tag == ENGLISH:
        yield None
        return
    from scheduler import caches
    from scheduler.i18n.catalogs import load

    language = load(language_tag)
    caches.clear_caches()
    token = _speaking.set(language)
    try:
        yield language
    finally:
        _speaking.reset(token)
        caches.clear_caches()


# -- dates and numbers: strftime's English figures, or Babel's for the language --------------------------


def _babel(value: date | datetime | time, english: str, pattern: str) -> str:
    language = _speaking.get()
    if language is None:
        return format(value, english)
    from babel.dates import format_date

    assert not isinstance(value, time)
    text = format_date(value, pattern, locale="es_US" if language.tag == PSEUDO else language.locale)
    return pseudo(text) if language.tag == PSEUDO else text


def city(zone: str) -> str:
    """Return the city a time zone is named for, as the language writes it ("America/New_York": "New York", in
    Spanish "Nueva York", from Babel's CLDR data)."""
    english = zone.rsplit("/", 1)[-1].replace("_", " ")
    language = _speaking.get()
    if language is None or language.tag == PSEUDO:
        return english if language is None else pseudo(english)
    from babel.dates import get_timezone_location

    return str(get_timezone_location(zone, locale=language.locale, return_city=True))


def day_long(day: date) -> str:
    """Return a day in full: "Tuesday 01 December 2026"; es-US "martes 1 de diciembre de 2026" (no comma: it stands
    in running text, "el martes 1 de diciembre")."""
    return _babel(day, "%A %d %B %Y", "EEEE d 'de' MMMM 'de' y")


def day_short(day: date) -> str:
    """Return a day briefly: "Tue 01 Dec 2026"; es-US "martes 1 de diciembre de 2026" (never a numeric day/month; the
    weekday whole, since "mar" reads as marzo too)."""
    return _babel(day, "%a %d %b %Y", "EEEE d 'de' MMMM 'de' y")


def day_month(day: date) -> str:
    """Return a day without its year: "Tue 01 Dec"; es-US "martes 1 de diciembre"."""
    return _babel(day, "%a %d %b", "EEEE d 'de' MMMM")


def iso_day(day: object) -> str:
    """Return a day the English writes as YYYY-MM-DD: unchanged in English, spelled out in another language."""
    if _speaking.get() is None or not isinstance(day, date):
        return str(day)
    return day_long(day)


def month_year(year: int, month: int) -> str:
    """Return a month grid's caption: "December 2026"; es-US "diciembre de 2026"."""
    return _babel(date(year, month, 1), "%B %Y", "MMMM 'de' y")


def weekday_names() -> list[str]:
    """Return the weekday names Monday first, in the language being spoken."""
    import calendar

    language = _speaking.get()
    if language is None:
        return list(calendar.day_name)
    from babel.dates import get_day_names

    names = get_day_names("wide", "format", "es_US" if language.tag == PSEUDO else language.locale)
    return [pseudo(names[i]) if language.tag == PSEUDO else names[i] for i in range(7)]


def number(value: float, english: str) -> str:
    """Return a number as the language writes it (es-US groups as English does: 1,875); `english` is the
    English figure, returned unchanged when no language is spoken."""
    language = _speaking.get()
    if language is None or language.tag == PSEUDO:
        return english
    from babel.numbers import format_decimal

    return format_decimal(value, locale=language.locale, decimal_quantization=False)


def english_only(language: str | None, what: str) -> None:
    """Refuse a patient language where txcal writes English only so far: never an English calendar for a reader
    who asked for another language.

    Raises:
        TxcalError: the language is not English.
    """
    if language not in (None, ENGLISH):
        from scheduler.errors import TxcalError

        raise TxcalError(
            f"language {language}: {what} writes English patient calendars only so far; "
            f"write this patient's with txcal plan --language {language}"
        )
