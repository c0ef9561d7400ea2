"""The lines of an event's notes: one small function per kind of fact (scheduler.model.Fact), and the notes
for the patient, the clinic and the reference, worded from an event's facts (in the patient's language
where a line is the patient's: scheduler.i18n)."""

from __future__ import annotations

from collections.abc import Callable

from scheduler import caches, i18n
from scheduler.i18n import _, ngettext
from scheduler.i18n.counted import closed_day, patient_within
from scheduler.model import Fact
from scheduler.wording import (
    CONFIRM,
    PLACEHOLDER,
    day_label,
    describe_interval,
    describe_minutes,
    dose_text,
    reason_text,
    source_line,
    weight_arithmetic,
    window_text,
)


def _reason(fact: Fact) -> str:
    return reason_text(fact.args[0], for_patient=fact.audience == "patient")


def _conflict(fact: Fact) -> str:
    # The patient's words: what it means for them; the clinic's views carry conflict_text.
    clash = fact.args[0]
    why = (
        _("this step is tied to Day 1 of your treatment")
        if clash.code == "tied-to-day-1"
        else patient_within(clash.window)
        if clash.window is not None and bool(clash.window.early) != bool(clash.window.late)
        else _("there is no open day near it")
    )
    closed = _("The clinic is closed that day ({closed}) and {why}: your care team will confirm the date.")
    return closed.format(closed=closed_day(clash.closed), why=why)


def _how_given(fact: Fact) -> str:
    return _("How it is given: {how}").format(how=fact.args[0])


def _infusion_length(fact: Fact) -> str:
    _route, minutes, which = fact.args
    # Plain words for the patient: the route is said in what to expect ("through a vein (IV)").
    if which == "first":
        return _("This first infusion takes {length}.").format(length=describe_minutes(minutes))
    if which == "later":
        return _("It takes {length} if the first infusion went well.").format(length=describe_minutes(minutes))
    return _("The infusion takes {length}.").format(length=describe_minutes(minutes))


def _clock_gap(fact: Fact) -> str:
    wall, on, zone, shown = fact.args
    gap = _("{time} does not exist on {day} in {zone} (clocks change): shown at {shown}.")
    return gap.format(time=f"{wall:%H:%M}", day=i18n.iso_day(on), zone=zone, shown=f"{shown:%H:%M}")


def _placeholder(fact: Fact) -> str:
    return _(PLACEHOLDER)


def _schedule(fact: Fact) -> str:
    dose, every_days, continues = fact.args
    schedule = _("Schedule: {dose} {interval}. Treatment goes on {duration}.")
    return schedule.format(dose=dose_text(dose), interval=describe_interval(every_days), duration=continues)


def _weight(fact: Fact) -> str:
    dose, weight = fact.args
    return _("Dose for this weight: {arithmetic}.").format(arithmetic=weight_arithmetic(dose, weight))


def _window(fact: Fact) -> str:
    return (
        f"A visit on a closed day may move {window_text(fact.args[0])} "
        "(txcal's institutional-practice default; your clinic may set its own)."
    )


def _expect(fact: Fact) -> str:
    return _("What to expect: {text}").format(text=fact.args[0])


def _report(fact: Fact) -> str:
    return _("Side effects to report: {items}.").format(items="; ".join(fact.args))


def _call(fact: Fact) -> str:
    return _("When to call: {text}").format(text=fact.args[0])


def _signs(fact: Fact) -> str:
    return f"{fact.args[0]} " + "; ".join(fact.args[1:]) + "."


def _as_written(fact: Fact) -> str:
    return str(fact.args[0])


def _see_first(fact: Fact) -> str:
    # A later dose: the first dose of its schedule and the handout say the rest.
    return _("Your first dose on this calendar, and your handout, say what to expect and which side effects to report.")


def _missed(fact: Fact) -> str:
    return _("Missed dose: {text}").format(text=fact.args[0])


def _source(fact: Fact) -> str:
    return source_line(fact.args[0])


def _pathway_day(fact: Fact) -> str:
    day, anchor = fact.args
    return _("{day}: Day 1 is the infusion on {anchor}.").format(day=day_label(day), anchor=i18n.iso_day(anchor))


def _through(fact: Fact) -> str:
    last, day = fact.args
    return _("Through {last} ({day}).").format(last=i18n.iso_day(last), day=day_label(day))


def _step_dose(fact: Fact) -> str:
    dose, route = fact.args
    return _("Dose: {dose}").format(dose=f"{dose.patient or dose_text(dose)} {route}".rstrip()) + "."


def _contact(fact: Fact) -> str:
    name, phone, after_hours = fact.args
    text = _("Your clinic: {name}").format(name=name) + (f", {phone}" if phone else "")
    return text + (_("; after hours: {phone}.").format(phone=after_hours) if after_hours else ".")


def _visit_length(fact: Fact) -> str:
    minutes, place = fact.args
    return _(
        "Plan on about {length} at {place}. That time covers check-in, getting ready, "
        "the treatment, and a rest after it."
    ).format(length=describe_minutes(minutes), place=place)


def _linked(fact: Fact) -> str:
    number, days = fact.args
    when = (
        _("the same day, before it")
        if days == 0
        else ngettext("{count} day before it", "{count} days before it", days).format(count=days)
    )
    return _("Comes with dose {number}, {when} (your clinic's schedule).").format(number=number, when=when)


def _clinician(fact: Fact) -> str:
    return f"For the care team: {fact.args[0]}"


def _monitoring_closed(fact: Fact) -> str:
    return (
        f"The infusion clinic is closed this day ({fact.args[0]}): the label asks for monitoring at the health care "
        "facility for at least 7 days; arrange where (often a hospital stay)."
    )


def _beyond_label(fact: Fact) -> str:
    months, limit = fact.args
    return (
        _(
            "Beyond the labelled duration: this dose falls after the {months}-month limit of the label for "
            "most indications (from {limit})."
        ).format(months=months, limit=i18n.iso_day(limit))
        + f" {_(CONFIRM)}"
    )


def _unconfirmed(fact: Fact) -> str:
    return _("Unconfirmed: {text}").format(text=" ".join(fact.args)) + f" {_(CONFIRM)}"


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
    "emergency": _as_written,
    "tests": _as_written,
    "ask": _as_written,
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
