"""A plan as the user states it (options or a plan file), turned into a PlanRequest for the engine.

`txcal plan` options, plan files and batch rows all describe a plan in the same words: a drug
name, a start, options, the clinic's calendar and what happened. `build_request` resolves the
names, loads the closures and checks the records, in one place for all of them.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from datetime import date, time
from pathlib import Path

from scheduler import caches
from scheduler.catalog.loader import Catalog
from scheduler.catalog.lookup import resolve
from scheduler.engine.clinic_calendar import ClinicCalendar
from scheduler.errors import PlanError, TxcalError, option
from scheduler.i18n.tags import patient_language
from scheduler.inputs.closures import load_closures
from scheduler.model import ClinicProfile, PlanRequest, Record
from scheduler.options import COMMAND_LINE, Vocabulary
from scheduler.units import parse_reminders, parse_window


@dataclass(frozen=True)
class RecordSpec:
    """Something that happened, as recorded: kind, dose number, date or days, reason."""

    kind: str
    dose: int | None = None
    on: date | None = None
    days: int | None = None
    drug: str | None = None  # switch: the drug or regimen from `dose` on
    every: str | None = None
    route: str | None = None
    reason: str = ""
    recorded: date | None = None
    at: time | None = None  # given: at another time than the plan's appointment time

    def describe(self) -> str:
        """Return the record in words: "dose 3 given on 2027-01-14"."""
        moved = f"brought forward {-(self.days or 0)} days" if (self.days or 0) < 0 else f"delayed {self.days} days"
        what = {
            "given": f"dose {self.dose} given on {self.on}" + (f" at {self.at:%H:%M}" if self.at else ""),
            "delay": f"dose {self.dose} {moved}",
            "hold": f"dose {self.dose} held",
            "stop": f"treatment stopped on {self.on}",
            "switch": f"switch to {self.drug}{f' every {self.every}' if self.every else ''} from dose {self.dose}",
        }[self.kind]
        return what + (f" ({self.reason})" if self.reason else "")


@dataclass(frozen=True)
class PlanSpec:
    """A patient's plan in the user's words; `base` is the folder relative paths start from."""

    drug: str
    start: date
    every: str | None = None
    route: str | None = None
    pediatric: bool = False
    weight_kg: float | None = None
    doses: int | None = None
    until: date | None = None
    period: str | None = None
    time: time | None = None
    tz: str | None = None
    infusion: date | None = None
    product_arrival: date | None = None
    monitor_days: int | None = None
    remind: str | None = None
    patient: str | None = None
    language: str | None = None  # the patient's language for patient outputs (scheduler.i18n); None: English
    plan_id: str | None = None
    avoid: tuple[str, ...] = ()
    holidays: str | None = None
    clinic_profile: str | None = None
    closed: str | None = None
    window: str | None = None
    shift: str = "next"
    keep_grid: bool = False
    prefer: str | None = None  # the appointment time a levelled batch tries to give: morning, afternoon, HH:MM
    strict: bool = False
    records: tuple[RecordSpec, ...] = ()
    base: Path = field(default=Path("."), compare=False)
    origin: Vocabulary = field(default=COMMAND_LINE, compare=False)  # where the user gave it, for messages
    # The clinic profile the command line gives every row of a list that names none (the user's own path).
    default_profile: Path | None = field(default=None, compare=False)


def clinic_calendar(spec: PlanSpec, profile: ClinicProfile | None = None) -> ClinicCalendar | None:
    """Return the clinic's calendar the plan asks for (its own closures, else the profile's), or None."""
    profile_closed = _profile_path(spec, profile, profile.closed) if profile and profile.closed else None
    closed = _inside(spec, spec.closed, "closed") if spec.closed else profile_closed
    return _calendar(spec.avoid, spec.holidays, closed)


def profile_calendar(profile: ClinicProfile) -> ClinicCalendar | None:
    """Return the clinic's own calendar, from its profile alone: its weekends, holidays and closures."""
    return _calendar(
        profile.avoid, profile.holidays, Path(profile.path).parent / profile.closed if profile.closed else None
    )


def _calendar(avoid: tuple[str, ...], holidays: str | None, closed: Path | None) -> ClinicCalendar | None:
    if not (avoid or holidays or closed):
        return None
    return _kept_calendar("weekends" in avoid, holidays, closed, caches.file_state(closed))


@caches.kept(64)
def _kept_calendar(
    weekends: bool, holidays: str | None, closed: Path | None, state: tuple[int, ...] | None
) -> ClinicCalendar:
    """Return a clinic calendar, made once for a batch's rows that share it (and again when the closures
    file changes: `state`); its holidays are then looked up once too."""
    closures = load_closures(closed) if closed else {}
    return ClinicCalendar(weekends=weekends, holiday_code=holidays, closures=closures)


def cached_profile(path: Path) -> ClinicProfile:
    """Return the clinic profile at a resolved path, read once however many plans name it (and again once the
    file is edited)."""
    return _kept_profile(path, caches.file_state(path))


@caches.kept(64)
def _kept_profile(path: Path, state: tuple[int, ...] | None) -> ClinicProfile:
    from scheduler.inputs.clinic_profile import load_profile

    return load_profile(path)


def with_profile(spec: PlanSpec) -> tuple[PlanSpec, ClinicProfile | None]:
    """Return the plan with the clinic profile's defaults filled in, and the profile (or None).

    What the plan says itself wins; the profile fills what it leaves out.

    Raises:
        TemplateError: the profile cannot be read or is not valid.
        TxcalError: a list or plan file names a profile outside its folder.
    """
    if spec.clinic_profile:
        path = _inside(spec, spec.clinic_profile, "clinic_profile").resolve()
    elif spec.default_profile is not None:
        path = spec.default_profile.resolve()
    else:
        return spec, None
    profile = cached_profile(path)
    filled = dataclasses.replace(
        spec,
        time=spec.time or profile.time,
        tz=spec.tz or profile.timezone,
        avoid=spec.avoid or profile.avoid,
        holidays=spec.holidays or profile.holidays,
        remind=spec.remind or profile.remind,
        language=patient_language(spec.language, profile.language),
    )
    return filled, profile


def _profile_path(spec: PlanSpec, profile: ClinicProfile, name: str) -> Path:
    """Return a path a clinic profile names (relative to the profile), under the rule of what named the profile.

    A profile a list or plan file names is as much someone else's as the list: its paths stay in the
    list's folder. A profile the user gave on the command line is theirs, and its paths go anywhere.

    Raises:
        TxcalError: a list or plan file named the profile, and the path leaves the list's folder.
    """
    path = Path(profile.path).parent / name
    named_by_file = spec.clinic_profile and spec.origin is not COMMAND_LINE
    if named_by_file and not path.resolve().is_relative_to(spec.base.resolve()):
        raise TxcalError(
            f"the clinic profile {profile.path} (named by {option('clinic_profile')}) names closed = {name!r}, "
            f"outside the folder of the {spec.origin.name} ({spec.base}): keep the file beside it, or give the "
            "profile on the command line yourself"
        )
    return path


def _inside(spec: PlanSpec, name: str, key: str) -> Path:
    """Return a path a plan file or patient list names, which must stay inside its folder.

    A list or plan file may come from someone else: a path out of its folder could make txcal read,
    and quote, any file. Paths given on the command line are the user's own and go anywhere.

    Raises:
        TxcalError: the path leaves the folder.
    """
    path = spec.base / name
    if spec.origin is not COMMAND_LINE and not path.resolve().is_relative_to(spec.base.resolve()):
        raise TxcalError(
            f"{option(key, name)} is outside the folder of the {spec.origin.name} ({spec.base}): "
            "keep the file beside it"
        )
    return path


def retry_command(spec: PlanSpec) -> str:
    """Return how the user gives this plan again with another name, with a {name} slot, for suggestions."""
    vocabulary = spec.origin
    words = [vocabulary.word("drug", "{name}")]
    for name in vocabulary.context:
        value = getattr(spec, name)
        if value:
            words.append(vocabulary.word(name, None if value is True else str(value)))
    return vocabulary.command + " ".join(words)


def build_request(spec: PlanSpec, catalog: Catalog) -> PlanRequest:
    """Return the engine's request for a plan: names resolved, calendar loaded, records checked.

    Raises:
        RegimenNotFound, AmbiguousRegimen: the drug names no single schedule.
        PlanError: a record does not fit the plan.
        TxcalError: the closures file cannot be read.
    """
    spec, profile = with_profile(spec)
    choice = resolve(
        catalog,
        spec.drug,
        route=spec.route,
        pediatric=spec.pediatric,
        every=spec.every,
        command=retry_command(spec),
    )
    records = []
    for number, record in enumerate(spec.records, 1):
        regimen = schedule = None
        if record.kind == "switch":
            assert record.drug is not None
            switched = resolve(catalog, record.drug, route=record.route, pediatric=spec.pediatric, every=record.every)
            if switched.schedule is None or switched.regimen.ingredient != choice.regimen.ingredient:
                raise PlanError(
                    f"record {number} ({record.describe()}): a switch stays with {choice.regimen.ingredient}, "
                    f"from one of its forms or schedules to another; {switched.regimen.id} is not one"
                )
            regimen, schedule = switched.regimen, switched.schedule
        records.append(
            Record(record.kind, record.dose, record.on, record.days, regimen, schedule, record.reason, record.at)
        )
    return PlanRequest(
        regimen=choice.regimen,
        schedule=choice.schedule,
        start=spec.start,
        time=spec.time,
        tz=spec.tz,
        doses=spec.doses,
        until=spec.until,
        period=spec.period,
        weight_kg=spec.weight_kg,
        infusion=spec.infusion,
        product_arrival=spec.product_arrival,
        monitor_days=spec.monitor_days,
        patient=spec.patient,
        plan_id=spec.plan_id,
        clinic=clinic_calendar(spec, profile),
        window=parse_window(spec.window) if spec.window else None,
        shift=spec.shift,
        keep_grid=spec.keep_grid,
        strict=spec.strict,
        records=tuple(records),
        profile=profile,
        reminders=tuple(parse_reminders(spec.remind)) if spec.remind else (),
        language=patient_language(spec.language, None),
    )
