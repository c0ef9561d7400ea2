"""Every English sentence txcal's plans carry, in one place (ready to be translated).

The engine returns data: doses as amounts and units, moves and conflicts with reason codes, and
facts with their kind, values and sources. Writers render them through the functions here. No
sentence in this module names a command-line flag: options are worded for the place the user
typed them (scheduler.options), and only in messages.
"""

from __future__ import annotations

from decimal import Decimal
from typing import TYPE_CHECKING

from scheduler import caches, i18n
from scheduler.i18n import N_, _

# Counted words live in scheduler.i18n.counted (gettext's plural forms); the writers import them from here.
from scheduler.i18n.counted import closed_day
from scheduler.i18n.counted import describe_interval as describe_interval
from scheduler.i18n.counted import describe_minutes as describe_minutes
from scheduler.i18n.counted import describe_period as describe_period

if TYPE_CHECKING:
    from scheduler.model import Conflict, Dose, Horizon, Move, Plan, PlannedEvent, Source, Window

CONFIRM = N_("Confirm with your care team.")
DISCLAIMER = N_("txcal is a scheduling aid: confirm every date and dose with your care team.")
UNCONFIRMED_MARK = N_("* This is not checked against the drug's label. Check it with your care team.")
# While a translation is not reviewed by a clinician, every patient output in that language says so.
NOT_REVIEWED = N_(
    "This translation was made by the txcal project and is not yet reviewed by a clinician: "
    "confirm it with your care team."
)
CANCELLED_PREFIX = "Cancelled: "  # English; cancelled_prefix() in the patient's language
CONFLICT_PREFIX = "Conflict: "  # the clinic calendar's titles of visits stuck on a closed day
PLACEHOLDER = N_("This calendar entry only holds the time: ask your care team how long this step takes.")


def format_number(value: float) -> str:
    """Return a dose amount as people write it: 1875 -> "1,875", 352.5 -> "352.5"."""
    english = f"{int(value):,}" if float(value).is_integer() else f"{value:,.2f}".rstrip("0").rstrip(".")
    return i18n.number(value, english)


def plural(count: int, noun: str) -> str:
    """Return a count and its noun: "1 day", "3 days"."""
    return f"{count} {noun}" if count == 1 else f"{count} {noun}s"


def day_label(day: int) -> str:
    """Return a pathway day as people write it: "Day -7", "Day 1"."""
    return _("Day {day}").format(day=day)


def window_text(window: Window) -> str:
    return f"-{window.early}/+{window.late} days"


@caches.kept(256)
def dose_text(dose: Dose, with_partner: bool = True) -> str:
    """Return a dose as the label states it: "15 mg/kg (at most 1,200 mg)", "1,875 mg with ...".

    Args:
        with_partner: include what is given with it (the hyaluronidase of SC forms).
    """
    if dose.text:
        return dose.text
    assert dose.amount is not None
    words = f"{format_number(dose.amount)} {dose.unit}"
    if dose.per:
        words += f"/{dose.per}"
    if dose.max is not None:
        words += " " + _("(at most {amount} {unit})").format(amount=format_number(dose.max), unit=dose.unit)
    if dose.with_ and with_partner:
        words += " " + _("with {partner}").format(partner=dose.with_)
    return words


def weight_arithmetic(dose: Dose, weight_kg: float) -> str:
    """Return how a weight-based dose was reached: "2 mg/kg × 30 kg = 60 mg, cap 200 mg".

    The product is exact; when the dose given is rounded (model.ROUNDING), the text says so.
    """
    assert dose.amount is not None
    exact = Decimal(str(dose.amount)) * Decimal(str(weight_kg))
    unit = dose.unit
    text = (
        f"{format_number(dose.amount)} {unit}/kg × {format_number(weight_kg)} kg = {format_number(float(exact))} {unit}"
    )
    if dose.max is not None and exact > Decimal(str(dose.max)):
        return text + _(", capped at {amount} {unit}").format(amount=format_number(dose.max), unit=unit)
    given = dose.for_weight(weight_kg).amount
    if given is not None and Decimal(str(given)) != exact:
        rounded = _(", rounded to {amount} {unit} (to the nearest {step} {unit})")
        text += rounded.format(amount=format_number(given), unit=unit, step=format_number(0.1))
    if dose.max is not None:
        text += _(", cap {amount} {unit}").format(amount=format_number(dose.max), unit=unit)
    return text


def source_line(source: Source) -> str:
    return f"Source: {source.address} ({source.mark}: {source.supports})."


# -- what changed about an event ------------------------------------------------------------------


def _because(why: str) -> str:
    return f": {why}" if why else ""


@caches.kept(1024)
def reason_text(moves: tuple[Move, ...], for_patient: bool = False) -> str:
    """Return what changed an event's day, in order: "Delayed 7 days from Wed 13 Jan: neutropenia; then moved ...".

    For the patient, a clinician's reason (a delay's "neutropenia, ANC 0.9") and the window's
    figures are left out: the patient reads what happens, the clinic's views why.
    """
    parts: list[str] = []
    for move in moves:
        why = "" if for_patient else _because(move.why)
        if move.code == "given":
            assert move.day is not None
            text = _("Given on {day}").format(day=i18n.day_short(move.day))
            if move.planned is not None:
                text += " " + _("(planned {day})").format(day=i18n.day_month(move.planned))
            parts.append(text + why)
        elif move.code == "delayed" and (move.days or 0) < 0:
            assert move.planned is not None
            forward = _("Brought forward {count} days from {day}")
            parts.append(forward.format(count=-(move.days or 0), day=i18n.day_month(move.planned)) + why)
        elif move.code == "delayed":
            assert move.planned is not None
            delayed = _("Delayed {count} days from {day}")
            parts.append(delayed.format(count=move.days, day=i18n.day_month(move.planned)) + why)
        elif move.code == "moved" and for_patient:
            assert move.planned is not None
            moved = (
                _("then moved from {day} because the clinic is closed that day ({why})")
                if parts
                else _("Moved from {day} because the clinic is closed that day ({why})")
            )
            parts.append(moved.format(day=i18n.day_month(move.planned), why=closed_day(move.why)))
        elif move.code == "moved":
            assert move.planned is not None and move.window is not None
            verb = "then moved" if parts else "Moved"
            parts.append(f"{verb} from {move.planned:%a %d %b}: {move.why} (window {window_text(move.window)})")
        elif move.code == "levelled":
            assert move.at is not None and move.was is not None and move.planned is not None
            if move.day is not None and move.day != move.planned:
                parts.append(
                    _("Moved by the clinic from {day} to {new_day} at {time}: every chair was taken that day").format(
                        day=i18n.day_month(move.planned), new_day=i18n.day_month(move.day), time=f"{move.at:%H:%M}"
                    )
                )
            elif for_patient and move.why:  # a coordinator's move: the patient reads what happens, not why
                parts.append(_("Your clinic moved this appointment to {time}").format(time=f"{move.at:%H:%M}"))
            elif for_patient:
                parts.append(
                    _("Your clinic set this time: you asked for {asked}").format(asked=_asked_words(move.asked))
                )
            elif move.why:
                reason = "" if move.why == COORDINATOR_MOVE else f": {move.why}"
                parts.append(
                    f"Appointment at {move.at:%H:%M} (asked {_asked_words(move.asked)}), moved by the clinic{reason}"
                )
            else:
                parts.append(
                    f"Appointment at {move.at:%H:%M} (asked {_asked_words(move.asked)}), set by the clinic so every "
                    "patient has a chair"
                )
        else:  # held
            parts.append(_("Held") + why)
    return "; ".join(parts)


COORDINATOR_MOVE = "moved by the clinic"  # the reason of a `txcal move` given none


def _asked_words(asked: str) -> str:
    return {"morning": _("the morning"), "afternoon": _("the afternoon")}.get(asked, asked)


BEYOND_LABEL_MARK = N_("beyond the labelled duration")  # in the title of a dose past the label's limit


def conflict_text(conflict: Conflict) -> str:
    """Return why an event stays on a closed day: "Christmas Day (US holiday); no open day from ..."."""
    if conflict.code == "tied-to-day-1":
        return f"{conflict.closed}; steps tied to Day 1 never move alone"
    assert conflict.window is not None
    if conflict.other_shift:
        side = {"next": "after it", "previous": "before it", "nearest": "around it"}.get(conflict.shift, "around it")
        return (
            f"{conflict.closed}; no open day {side} within {window_text(conflict.window)} (shift rule "
            f"{conflict.shift}); the {conflict.other_shift} shift rule finds one"
        )
    return f"{conflict.closed}; no open day {within_words(conflict.window)}"


def within_words(window: Window) -> str:
    """Return where a stuck visit could have gone, in words: "in the 3 days before it", or "from -2/+2 days around it"."""
    if window.early and not window.late:
        return f"in the {plural(window.early, 'day')} before it"
    if window.late and not window.early:
        return f"in the {plural(window.late, 'day')} after it"
    return f"from {window_text(window)} around it"


dose_words = caches.ByIdentity(dose_text, 4096)  # an event's dose in words, as dose_text says it


# -- an event's words: records carry data, these functions word it (one place for a locale later) ----


def event_dose(event: PlannedEvent) -> str:
    """Return the event's dose in words ("1,200 mg"), or "" when it has none."""
    return dose_words(event.dosage) if event.dosage else ""


def event_reason(event: PlannedEvent) -> str:
    """Return why the event moved, was given on another day, or was held, in words ("" when none)."""
    return reason_text(event.moves) if event.moves else ""


def event_conflict(event: PlannedEvent) -> str:
    """Return why the event is on a closed day it could not leave, in words, or ""."""
    return conflict_text(event.clash) if event.clash else ""


# -- plans ----------------------------------------------------------------------------------------


def event_title(name: str, dose_number: int | None, patient: str | None) -> str:
    """Return an event's title: what it is, its dose number, and the patient label when asked for."""
    title = _("{name}, dose {number}").format(name=name, number=dose_number) if dose_number else name
    return f"{patient}: {title}" if patient else title


def horizon_text(horizon: Horizon) -> str:
    """Return how far a plan reaches and why, in a sentence or two."""
    code, continues = horizon.code, f"treatment continues {horizon.continues}."
    if code == "doses":
        plural = "s" if horizon.count != 1 else ""
        text = f"Planned for {horizon.count} dose{plural}; {continues}"
    elif code == "until":
        text = f"Planned through {horizon.last}; {continues}"
    elif code == "period":
        assert horizon.period is not None
        text = f"Planned for {describe_period(horizon.period)}, through {horizon.last}; {continues}"
    elif code == "label-months":
        # The template's duration text names the label's limit; it is said once.
        text = f"Planned through {horizon.last} ({horizon.count} months). Treatment continues {horizon.continues}"
        text += f"; {horizon.why}." if horizon.why else "."
    elif code == "template-doses":
        text = f"Planned for {horizon.count} doses; {continues}"
    elif code == "planning-horizon":
        text = f"Planned through {horizon.last} ({horizon.why}); {continues}"
    else:  # pathway
        how = (
            "the infusion day given"
            if horizon.period is None
            else f"{describe_period(horizon.period)} after collection, the default"
        )
        text = f"A one-time pathway: {horizon.continues} on {horizon.last} ({how}). {horizon.why}".strip() + "."
    if horizon.arrival is not None:
        text = text[:-1] + f" Product arrival: {horizon.arrival}."
    if horizon.beyond:
        text += (
            f" {horizon.beyond} dose{'s' if horizon.beyond != 1 else ''} fall{'' if horizon.beyond != 1 else 's'} "
            f"after the {horizon.limit_months}-month limit of the label for most indications: beyond the "
            f"labelled duration. {CONFIRM}"
        )
    if horizon.stopped is not None:
        if code == "pathway":
            return f"Treatment stopped on {horizon.stopped}; no steps after it. {text}"
        return (
            f"Treatment stopped on {horizon.stopped}"
            + (f" ({horizon.why_stopped})" if horizon.why_stopped else "")
            + "; no doses after it."
        )
    return text


def schedule_text(plan: Plan) -> str:
    """Return a plan's schedule in words: "1,200 mg IV every 3 weeks; from dose 7: ..." or a pathway's Day 1."""
    request, regimen = plan.request, plan.regimen
    if not regimen.schedules:
        return f"{regimen.title}; Day 1 (infusion) {plan.reach.last}"
    schedule = request.schedule or regimen.schedules[0]
    weight = request.weight_kg
    # The heading names the whole dose, with the enzyme of subcutaneous forms.
    if schedule.dose.weight_based and weight is not None:
        text = f"{dose_text(schedule.dose.for_weight(weight))} {regimen.route} {describe_interval(schedule.every_days)}"
        text += f" ({weight_arithmetic(schedule.dose, weight)})"
    else:
        text = f"{dose_text(schedule.dose)} {regimen.route} {describe_interval(schedule.every_days)}"
    for switch in sorted((r for r in request.records if r.kind == "switch"), key=lambda r: r.dose or 0):
        assert switch.regimen is not None and switch.schedule is not None
        switched = (
            f"{dose_text(switch.schedule.dose)} {switch.regimen.route} {describe_interval(switch.schedule.every_days)}"
        )
        text += "; " + _("from dose {number}: {schedule}").format(number=switch.dose, schedule=switched)
    return text


# -- calendars ------------------------------------------------------------------------------------


def calendar_title(regimen_title: str, patient: str | None) -> str:
    """Return a calendar's display name: the regimen, and the patient label when given.

    Without commas or semicolons: NAME is TEXT (RFC 7986) but X-WR-CALNAME has no declared type,
    and readers disagree on whether its escapes are undone, so the name needs none.
    """
    name = f"{regimen_title} - {patient}" if patient else regimen_title
    return " ".join(name.replace(",", " ").replace(";", " ").split())


def status_label(event: PlannedEvent) -> str:
    """Return the word that marks a dose held, given, or not on its planned day ("" for none)."""
    if event.status == "held":
        return _("Held")
    if event.status == "given":
        return _("Given")
    return _("Moved") if event.moves else ""


def event_summary(event: PlannedEvent, clinic: bool = False, label_dose: bool = False) -> str:
    """Return the event title as calendars show it: step, day or dose number, and dose.

    The clinic's calendar puts a conflict first in the title; the patient's calendar never does
    (the description says what the clinic will do about it).
    """
    conflict = clinic and event_conflict(event)
    held = _("Held:") + " " if event.status == "held" else ""
    text = (held or (CONFLICT_PREFIX if conflict else "")) + event.title
    if event.day is not None:
        text += f", {day_label(event.day)}"
    if event.beyond_label:
        text += f", {_(BEYOND_LABEL_MARK) if not clinic else BEYOND_LABEL_MARK}"
    # The patient's calendar gives a cell-count dose in plain words; the clinic's views (label_dose) the label's.
    plain = not (clinic or label_dose) and event.dosage is not None and event.dosage.patient
    dose = event.dosage.patient if plain and event.dosage else event_dose(event)
    return f"{text} ({dose})" if dose else text


@caches.kept(512)
def event_description(kind: str, dose: str, route: str, notes: tuple[str, ...]) -> str:
    """Return an event's plain-text description: dose and route, notes, sources and the reminder."""
    # Cached: the doses of one plan share all but a line or two of their notes.
    lines = [_("Dose: {dose}").format(dose=f"{dose} {route}".rstrip())] if kind == "dose" else []
    lines.extend(notes)
    lines.append(_(DISCLAIMER))
    return "\n".join([*lines, *review_note()])


def review_note() -> tuple[str, ...]:
    """Return the line a patient output in a language no clinician has reviewed carries (none in English)."""
    language = i18n.current()
    return (_(NOT_REVIEWED),) if language is not None and language.unreviewed else ()


def cancelled_prefix() -> str:
    """Return what starts the title of an event that left the plan: "Cancelled: " (or the patient's language)."""
    return CANCELLED_PREFIX if i18n.current() is None else _("Cancelled:") + " "


def reminder_text(summary: str) -> str:
    return _("Reminder: {title}").format(title=summary)
