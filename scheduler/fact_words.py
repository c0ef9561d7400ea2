"""The lines of an event's notes: one small function per kind of fact (scheduler.model.Fact), and the notes
for the patient, the clinic and the reference, worded from an event's facts."""

from __future__ import annotations

from collections.abc import Callable

from scheduler import caches
from scheduler.model import Fact
from scheduler.wording import (
    CONFIRM,
    PLACEHOLDER,
    day_label,
    describe_interval,
    describe_minutes,
    dose_text,
    plural,
    reason_text,
    source_line,
    weight_arithmetic,
    window_text,
    within_words,
)


def _reason(fact: Fact) -> str:
    args = fact.args
    return reason_text(args[0], for_patient=fact.audience == "patient")


def _conflict(fact: Fact) -> str:
    args = fact.args
    # The patient's words: what it means for them; the clinic's views carry conflict_text.
    clash = args[0]
    why = (
        "this step is tied to Day 1 of your treatment"
        if clash.code == "tied-to-day-1"
        else f"there is no open day {within_words(clash.window)}"
        if clash.window is not None and bool(clash.window.early) != bool(clash.window.late)
        else "there is no open day near it"
    )
    return f"The clinic is closed that day ({clash.closed}) and {why}: your care team will confirm the date."


def _how_given(fact: Fact) -> str:
    args = fact.args
    return f"How it is given: {args[0]}"


def _infusion_length(fact: Fact) -> str:
    _route, minutes, which = fact.args
    # Plain words for the patient: the route is said in what to expect ("through a vein (IV)").
    if which == "first":
        return f"This first infusion takes {describe_minutes(minutes)}."
    if which == "later":
        return f"It takes {describe_minutes(minutes)} if the first infusion went well."
    return f"The infusion takes {describe_minutes(minutes)}."


def _clock_gap(fact: Fact) -> str:
    wall, on, zone, shown = fact.args
    return f"{wall:%H:%M} does not exist on {on} in {zone} (clocks change): shown at {shown:%H:%M}."


def _placeholder(fact: Fact) -> str:
    return PLACEHOLDER


def _schedule(fact: Fact) -> str:
    dose, every_days, continues = fact.args
    return f"Schedule: {dose_text(dose)} {describe_interval(every_days)}. Treatment goes on {continues}."


def _weight(fact: Fact) -> str:
    dose, weight = fact.args
    return f"Dose for this weight: {weight_arithmetic(dose, weight)}."


def _window(fact: Fact) -> str:
    args = fact.args
    return (
        f"A visit on a closed day may move {window_text(args[0])} "
        "(txcal's institutional-practice default; your clinic may set its own)."
    )


def _expect(fact: Fact) -> str:
    args = fact.args
    return f"What to expect: {args[0]}"


def _report(fact: Fact) -> str:
    args = fact.args
    return "Side effects to report: " + "; ".join(args) + "."


def _call(fact: Fact) -> str:
    args = fact.args
    return f"When to call: {args[0]}"


def _signs(fact: Fact) -> str:
    args = fact.args
    return f"{args[0]} " + "; ".join(args[1:]) + "."


def _emergency(fact: Fact) -> str:
    args = fact.args
    return str(args[0])


def _see_first(fact: Fact) -> str:
    # a later dose: the first dose of its schedule and the handout say the rest
    return "Your first dose on this calendar, and your handout, say what to expect and which side effects to report."


def _missed(fact: Fact) -> str:
    args = fact.args
    return f"Missed dose: {args[0]}"


def _source(fact: Fact) -> str:
    args = fact.args
    return source_line(args[0])


def _pathway_day(fact: Fact) -> str:
    day, anchor = fact.args
    return f"{day_label(day)}: Day 1 is the infusion on {anchor}."


def _through(fact: Fact) -> str:
    last, day = fact.args
    return f"Through {last} ({day_label(day)})."


def _step_dose(fact: Fact) -> str:
    dose, route = fact.args
    return f"Dose: {dose.patient or dose_text(dose)} {route}".rstrip() + "."


def _contact(fact: Fact) -> str:
    name, phone, after_hours = fact.args
    text = f"Your clinic: {name}" + (f", {phone}" if phone else "")
    return text + (f"; after hours: {after_hours}." if after_hours else ".")


def _visit_length(fact: Fact) -> str:
    minutes, place = fact.args
    return (
        f"Plan on about {describe_minutes(minutes)} at {place}. That time covers check-in, getting ready, "
        "the treatment, and a rest after it."
    )


def _linked(fact: Fact) -> str:
    number, days = fact.args
    when = "the same day, before it" if days == 0 else f"{plural(days, 'day')} before it"
    return f"Comes with dose {number}, {when} (your clinic's schedule)."


def _clinician(fact: Fact) -> str:
    args = fact.args
    return f"For the care team: {args[0]}"


def _monitoring_closed(fact: Fact) -> str:
    args = fact.args
    return (
        f"The infusion clinic is closed this day ({args[0]}): the label asks for monitoring at the health care "
        "facility for at least 7 days; arrange where (often a hospital stay)."
    )


def _beyond_label(fact: Fact) -> str:
    months, limit = fact.args
    return (
        f"Beyond the labelled duration: this dose falls after the {months}-month limit of the label for "
        f"most indications (from {limit}). {CONFIRM}"
    )


def _unconfirmed(fact: Fact) -> str:
    args = fact.args
    return "Unconfirmed: " + " ".join(args) + f" {CONFIRM}"


FACT_WORDS: dict[str, Callable[[Fact], str]] = {
    "reason": _reason,
    "conflict": _conflict,
    "how-given": _how_given,
    "infusion-length": _infusion_length,
    "clock-gap": _clock_gap,
    "placeholder": _placeholder,
    "schedule": _schedule,
    "weight": _weight,
    "window": _window,
    "expect": _expect,
    "report": _report,
    "call": _call,
    "signs": _signs,
    "emergency": _emergency,
    "tests": _emergency,
    "ask": _emergency,
    "see-first": _see_first,
    "missed": _missed,
    "source": _source,
    "pathway-day": _pathway_day,
    "through": _through,
    "step-dose": _step_dose,
    "contact": _contact,
    "visit-length": _visit_length,
    "linked": _linked,
    "clinician": _clinician,
    "monitoring-closed": _monitoring_closed,
    "beyond-label": _beyond_label,
    "unconfirmed": _unconfirmed,
}


@caches.kept(4096)
def fact_line(fact: Fact) -> str:
    """Return one fact of an event as a line of its notes."""
    try:
        words = FACT_WORDS[fact.kind]
    except KeyError:
        raise ValueError(f"no wording for a fact of kind {fact.kind!r}") from None
    return words(fact)


# A few thousand kept: the facts a clinic's doses share stay worded; the facts of one event (what moved
# it) pass through, where a larger store would only hold memory.
_fact_words = caches.ByIdentity(fact_line, 4096)


def note_lines(facts: tuple[Fact, ...]) -> tuple[str, ...]:
    """Return an event's notes: one line per fact, in order."""
    return tuple(map(_fact_words, facts))


# An event's notes for the patient and for the clinic only, from its facts: shared by a plan's
# doses, so a few plans' worth are kept (each event's own tuple, kept longer, would hold memory).
def _notes_for(audience: str) -> caches.ByIdentity[tuple[str, ...]]:
    return caches.ByIdentity(lambda facts: note_lines(tuple(f for f in facts if f.audience == audience)), 1000)


patient_notes, clinic_notes, reference_notes = map(_notes_for, ("patient", "clinic", "reference"))
