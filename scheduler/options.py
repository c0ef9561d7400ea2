"""Every plan option, declared once: its value type, help, plan-file key, patient-list column, default.

The click options of `txcal plan`, `record new` and `publish`, the plan-file reader and writer and
the patient-list row reader are all derived from OPTIONS, so they accept the same values and say
the same things. A new option is one row here and one field of PlanSpec.

Messages name an option the way the user gave it: `--weight-kg` on the command line,
`weight_kg=` in a patient list, `weight_kg =` in a plan file (see `Vocabulary`).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from typing import Any

from scheduler.i18n.tags import parse_language
from scheduler.model import SHIFTS
from scheduler.units import (
    check_holiday_code,
    check_identity,
    check_text,
    check_zone,
    checked,
    parse_clock,
    parse_count,
    parse_date,
    parse_interval,
    parse_period,
    parse_preference,
    parse_reminders,
    parse_weight,
    parse_window,
    parse_yes_no,
)


@dataclass(frozen=True)
class Value:
    """A kind of option value: how its text is read, and how to write it right.

    Attributes:
        name: a short name for help texts ("date", "time").
        parse: text -> value; raises ValueError with the reason.
        hint: how to write it, added to every message about a bad value.
        toml: the TOML type a plan file stores it as natively (dates, numbers, booleans).
        choices: the accepted words, for choices (any case).
    """

    name: str
    parse: Callable[[str], Any]
    hint: str = ""
    toml: type = str
    choices: tuple[str, ...] = ()

    def read(self, text: str) -> Any:
        """Return the value a text gives; ValueError names the reason and the right form."""
        try:
            return self.parse(text)
        except ValueError:
            raise
        except Exception as exc:  # a parser's unexpected failure is still the user's bad value
            raise ValueError(str(exc)) from None


def _choice(*words: str) -> Value:
    def parse(text: str) -> str:
        word = text.strip().lower()
        if word not in words:
            raise ValueError(f"expected one of {', '.join(words)}")
        return word

    return Value("choice", parse, "", str, words)


DATE = Value("date", parse_date, "write dates as YYYY-MM-DD, e.g. 2026-12-01", date)
CLOCK = Value("time", parse_clock, "write times as HH:MM on a 24-hour clock, e.g. 09:30")
ZONE = Value("zone", check_zone)
INTERVAL = Value("interval", checked(parse_interval), "write intervals like 3w or 10d")
PERIOD = Value("period", checked(parse_period), "write periods like 6m, 26w or 1y")
WINDOW = Value("window", checked(parse_window), "write windows like -2,+3")
HOLIDAYS = Value("code", check_holiday_code)
REMINDERS = Value("reminders", checked(parse_reminders), "write lead times like 1d,2h,30min")
COUNT = Value("count", parse_count, "write a whole number", int)
WEIGHT = Value("kg", parse_weight, "write the weight in kilograms, e.g. 42.5", float)
FLAG = Value("yes/no", parse_yes_no, "write yes or no", bool)
TEXT = Value("text", check_text)
IDENTITY = Value("id", check_identity, "for example course-17")
LANGUAGE = Value("language", parse_language, "write en, or es for Spanish (es-US)")
PREFERENCE = Value("preference", parse_preference, "write morning, afternoon or a time such as 10:30")


# The environment variable that names the clinic profile, for every command that takes one.
CLINIC_ENV = "TXCAL_CLINIC"


@dataclass(frozen=True)
class PlanOption:
    """One plan option, in every vocabulary txcal reads.

    Attributes:
        name: the PlanSpec field it sets.
        value: the kind of value it takes.
        help: the help text of its command-line option.
        flag: its command-line option ("" when it has none: the drug is an argument).
        key: its plan-file key; `section` is the plan-file table it sits in ("" for the top).
        column: its patient-list column.
        default: its value when not given.
        many: it takes a list (a plan file's array; the option repeated).
    """

    name: str
    value: Value
    help: str
    flag: str = ""
    key: str = ""
    section: str = ""
    column: str = ""
    default: Any = None
    many: bool = False
    envvar: str = ""  # the environment variable the command line also reads

    def __post_init__(self) -> None:
        # Unless said otherwise, the plan-file key is the name and the column is the key.
        object.__setattr__(self, "key", self.key or self.name)
        object.__setattr__(self, "column", self.column or self.key)

    @property
    def is_flag(self) -> bool:
        return self.value is FLAG

    def read(self, text: str) -> Any:
        """Return the option's value from one text (a cell, an option, a plan-file string)."""
        if self.many:
            return tuple(self.value.read(item) for item in text.split(",") if item.strip())
        return self.value.read(text)


# The order is the plan file's order of keys, and the help's order of options.
OPTIONS: tuple[PlanOption, ...] = (
    PlanOption("drug", TEXT, "The drug or regimen: an id, generic name, brand name or alias."),
    PlanOption("every", INTERVAL, "Dosing interval where a drug has several: 2w, 3w, 4w or 6w.", "--every"),
    PlanOption("route", _choice("iv", "sc"), "IV infusion or SC injection; a generic name alone means IV.", "--route"),
    PlanOption("pediatric", FLAG, "The pediatric (weight-based) dose.", "--pediatric", default=False),
    PlanOption("weight_kg", WEIGHT, "Body weight in kg, for weight-based doses (1 to 300).", "--weight-kg"),
    PlanOption("start", DATE, "First dose, or for afami-cel the T-cell collection day (YYYY-MM-DD).", "--start"),
    PlanOption("doses", COUNT, "Plan this many doses.", "--doses"),
    PlanOption("until", DATE, "Plan doses through this date.", "--until"),
    PlanOption("period", PERIOD, "Plan doses for a period: 6m, 26w, 1y.", "--for", key="for"),
    PlanOption("time", CLOCK, "Appointment time (HH:MM); without it events are all-day.", "--time"),
    PlanOption("tz", ZONE, "IANA time zone for --time (default: this machine's zone).", "--tz"),
    PlanOption("infusion", DATE, "afami-cel: the infusion day (Day 1) once the product date is known.", "--infusion"),
    PlanOption(
        "product_arrival",
        DATE,
        "afami-cel: the day the product arrived or will arrive, when known (before Day -7); "
        "it allows an infusion sooner after collection than the usual manufacturing time.",
        "--product-arrival",
    ),
    PlanOption(
        "monitor_days", COUNT, "afami-cel: days of monitoring after the infusion (at least 7).", "--monitor-days"
    ),
    PlanOption(
        "remind",
        REMINDERS,
        "Calendar reminders before each event, e.g. 1d,2h (.ics only; kept in plan files).",
        "--remind",
    ),
    PlanOption("patient", TEXT, "A pseudonymous label for titles (no names or record numbers).", "--patient"),
    PlanOption(
        "language",
        LANGUAGE,
        "The patient's language for the calendar (.ics) and handout (.html, .pdf): en, or es for Spanish (es-US).",
        "--language",
    ),
    PlanOption(
        "plan_id",
        IDENTITY,
        "A stable identity for this plan; by default derived from regimen, start and label.",
        "--plan-id",
    ),
    PlanOption(
        "avoid",
        _choice("weekends"),
        "Treat weekends as closed days.",
        "--avoid",
        section="clinic",
        default=(),
        many=True,
    ),
    PlanOption(
        "clinic_profile",
        TEXT,
        "The clinic's profile (TOML): place, phones, hours, visit lengths, linked visits, defaults (also TXCAL_CLINIC).",
        "--clinic",
        key="profile",
        section="clinic",
        column="clinic",
        envvar=CLINIC_ENV,
    ),
    PlanOption(
        "holidays",
        HOLIDAYS,
        "Public holidays are closed days: US, US-NY, GB-ENG, DE ...",
        "--holidays",
        section="clinic",
    ),
    PlanOption(
        "closed",
        TEXT,
        "More closed days: a text file of dates and ranges (2026-12-24..2026-12-31), or an .ics file.",
        "--closed",
        section="clinic",
    ),
    PlanOption(
        "window",
        WINDOW,
        "How far a dose may move around a closed day, e.g. -2,+3 (default: the template's).",
        "--window",
        section="clinic",
    ),
    PlanOption(
        "shift",
        _choice(*SHIFTS),
        "Move a dose off a closed day to the next, previous or nearest open day.",
        "--shift",
        section="clinic",
        default="next",
    ),
    PlanOption(
        "keep_grid",
        FLAG,
        "Count doses from the original grid, not from the actual dates.",
        "--keep-grid",
        section="clinic",
        default=False,
    ),
    PlanOption(
        "prefer",
        PREFERENCE,
        "When a batch levels the chairs (batch --level): morning, afternoon or a time such as 10:30.",
        "--prefer",
        section="clinic",
    ),
    PlanOption(
        "strict",
        FLAG,
        "Make a dose or step left on a closed day an error.",
        "--strict",
        section="clinic",
        default=False,
    ),
)
BY_NAME = {o.name: o for o in OPTIONS}
BY_COLUMN = {o.column: o for o in OPTIONS}


@dataclass(frozen=True)
class Vocabulary:
    """How options are named where a plan was given: the command line, a patient list, a plan file."""

    name: str
    # (option, value or None) -> words; a flag without a value means "set it".
    spell: Callable[[PlanOption, str | None], str]
    command: str = ""  # what comes before the options when a message suggests what to run
    context: tuple[str, ...] = ()  # options repeated in that suggestion

    def word(self, name: str, value: str | None = None) -> str:
        """Return option `name` (and a value) as the user writes it here."""
        found = BY_NAME.get(name)
        return self.spell(found, value) if found else name


def _flag_words(o: PlanOption, value: str | None) -> str:
    if value is None:
        return o.flag or o.name
    return f"{o.flag} {value}" if o.flag else value


def _column_words(o: PlanOption, value: str | None) -> str:
    if value is None:
        return f"{o.column}=yes" if o.is_flag else f"column {o.column}"
    return f"{o.column}={value}"


def _key_words(o: PlanOption, value: str | None) -> str:
    key = f"{o.section}.{o.key}" if o.section else o.key
    if value is None:
        return f"{key} = true" if o.is_flag else f"key {key}"
    return f"{key} = {value}"


COMMAND_LINE = Vocabulary("command line", _flag_words, "txcal plan ", ("start", "route", "every", "pediatric"))
PATIENT_LIST = Vocabulary("patient list", _column_words)
PLAN_FILE = Vocabulary("plan file", _key_words)
