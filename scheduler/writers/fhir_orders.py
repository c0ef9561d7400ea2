"""A plan's orders as FHIR R4 resources: what is given (MedicationRequest), the visits that give it
(a ServiceRequest an Appointment may be based on), other steps (ServiceRequest) and clinic tasks (Task).

R4 lets an Appointment be based on a ServiceRequest only (R5 adds MedicationRequest), so each
dosing series is a ServiceRequest whose supportingInfo is the MedicationRequest. Every order names
its product, brand and generic: the SC forms are other products than the IV ones ("Do not
substitute TECENTRIQ HYBREZA for or with intravenous atezolizumab products", Hybreza label
section 2). Statuses follow the records: given, held and a stop. No RxNorm code is claimed: no
source read says which of a product's codes an order carries (docs/clinical-facts.md).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from scheduler import wording
from scheduler.fact_words import fact_line
from scheduler.model import Dose, Plan, PlannedEvent, Regimen
from scheduler.wording import CONFIRM, dose_text

UCUM = "http://unitsofmeasure.org"
_UCUM_UNITS = {"mg": "mg", "mg/kg": "mg/kg", "mg/m²": "mg/m2", "units": "[U]"}
# The kinds ordered as a medication (premedication included: a nurse gives it); what takes a chair is
# another rule (model.CHAIR_KINDS).
MEDICATION_KINDS = frozenset({"dose", "chemotherapy", "infusion", "premedication"})
SERVICE_KINDS = frozenset({"collection", "monitoring", "lab", "visit", "imaging", "milestone"})

# Where a series stands, from its events' records: one rule, worded per resource type below.
_LIFECYCLE = {
    "MedicationRequest": {"draft": "draft", "active": "active", "completed": "completed"},  # ended: see status
    "ServiceRequest": {"draft": "draft", "active": "active", "completed": "completed", "ended": "revoked"},
    "CarePlan": {"draft": "draft", "active": "active", "completed": "completed", "ended": "revoked"},
    "Task": {"draft": "requested", "active": "in-progress", "completed": "completed", "ended": "cancelled"},
}


def lifecycle(members: Sequence[PlannedEvent], ended: bool) -> str:
    """Return where a series stands: draft, active (some given), completed (all done), or ended (cut by a
    stop, or every visit held)."""
    given = any(e.status == "given" for e in members)
    done = all(e.status in ("given", "held") for e in members)
    if ended or (done and not given):
        return "ended"
    if done:
        return "completed"
    return "active" if given else "draft"


def status(resource_type: str, members: Sequence[PlannedEvent], ended: bool) -> str:
    """Return a resource's R4 status for a series: a MedicationRequest ended after a dose is stopped, before any cancelled."""
    stage = lifecycle(members, ended)
    if resource_type == "MedicationRequest" and stage == "ended":
        return "stopped" if any(e.status == "given" for e in members) else "cancelled"
    return _LIFECYCLE[resource_type][stage]


def stopped(plan: Plan) -> bool:
    """Return whether the records stop the treatment (the engine plans nothing after the stop's day)."""
    return any(r.kind == "stop" for r in plan.request.records)


def product(regimen: Regimen) -> str:
    """Return a regimen's product as an order names it: brand and generic ("Tecentriq Hybreza (atezolizumab and ...)")."""
    return f"{regimen.brands[0]} ({regimen.drug})" if regimen.brands else regimen.drug


def event_product(plan: Plan, event: PlannedEvent) -> str:
    """Return the product an event gives: its regimen's (the one a switch names, for later doses), or the step's name."""
    if event.kind == "dose":
        regimens = [plan.request.regimen, *(r.regimen for r in plan.request.records if r.regimen is not None)]
        regimen = next((r for r in regimens if (r.event_title or r.title) == event.name), plan.request.regimen)
        return product(regimen)
    if event.kind == "infusion":  # a pathway's own product (the cells), not a step's chemotherapy
        return product(plan.request.regimen)
    return event.name


def _quantity(dose: Dose) -> dict[str, Any] | None:
    """Return a dose as a UCUM quantity, or None when it is text or its unit has no UCUM code here."""
    if dose.amount is None:
        return None
    unit = f"{dose.unit}/{dose.per}" if dose.per else dose.unit
    code = _UCUM_UNITS.get(unit)
    if code is None:
        return None
    return {"value": dose.amount, "unit": unit, "system": UCUM, "code": code}


def _range(dose: Dose) -> dict[str, Any] | None:
    """Return a text dose's range as UCUM quantities (afami-cel's cells: 10*9{cells}), or None when it has none."""
    if dose.span is None:
        return None
    low, high, unit = dose.span
    return {
        bound: {"value": value, "unit": unit, "system": UCUM, "code": unit}
        for bound, value in (("low", low), ("high", high))
    }


def _period(days: int) -> tuple[int, str]:
    """Return an interval in days as a FHIR period and unit: whole weeks in "wk", else days."""
    return (days // 7, "wk") if days % 7 == 0 else (days, "d")


def _partner(event: PlannedEvent) -> str | None:
    """Return what the schedule gives with the drug (the hyaluronidase of an SC form), or None."""
    schedule = next((f.args[0] for f in event.facts if f.kind == "schedule"), None)
    return schedule.with_ if isinstance(schedule, Dose) else None


def _notes(texts: list[str]) -> list[dict[str, str]]:
    return [{"text": text} for text in dict.fromkeys(texts)]


def medication_request(
    plan: Plan, members: list[PlannedEvent], every: int | None, subject: dict[str, str], ended: bool
) -> dict[str, Any]:
    """Return the MedicationRequest of a series of doses (or of a pathway step given on days in a row)."""
    first = members[0]
    name = event_product(plan, first)
    repeat: dict[str, Any] = {
        "boundsPeriod": {"start": first.first_day.isoformat(), "end": members[-1].first_day.isoformat()},
        "count": len(members),
    }
    if every is not None:
        period, unit = _period(every)
        repeat.update(frequency=1, period=period, periodUnit=unit)
    elif len(members) > 1:  # a pathway step given on several days in a row
        repeat.update(frequency=1, period=1, periodUnit="d")
    if first.minutes:
        repeat.update(duration=first.minutes, durationUnit="min")
    amount = wording.event_dose(first)
    partner = _partner(first)
    if amount and partner:
        amount += f" with {partner}"
    dosage: dict[str, Any] = {
        "text": " ".join(part for part in (f"{name}:", amount, first.route) if part),
        "timing": {"repeat": repeat},
    }
    if first.route:
        dosage["route"] = {"text": first.route}
    notes = []
    if first.dosage is None:
        notes.append(f"No source read gives this dose: the care team sets it. {CONFIRM}")
    elif (quantity := _quantity(first.dosage)) is not None:
        dosage["doseAndRate"] = [{"doseQuantity": quantity}]
    else:
        if (span := _range(first.dosage)) is not None:
            dosage["doseAndRate"] = [{"doseRange": span}]
        notes.append(f"The dose as the label states it: {dose_text(first.dosage)}.")
    notes += [fact_line(f) for f in first.facts if f.kind in ("weight", "unconfirmed")]
    beyond = [e for e in members if e.beyond_label]
    if beyond:  # the first such dose's line says from when; the count says how many
        line = next(fact_line(f) for f in beyond[0].facts if f.kind == "beyond-label")
        notes.append(f"{wording.plural(len(beyond), 'dose')} of {len(members)}: {line}")
    resource: dict[str, Any] = {
        "resourceType": "MedicationRequest",
        "status": status("MedicationRequest", members, ended),
        "intent": "plan",
        "medicationCodeableConcept": {"text": name},
        "subject": subject,
        "dosageInstruction": [dosage],
    }
    if notes:
        resource["note"] = _notes(notes)
    return resource


def series_request(
    plan: Plan, members: list[PlannedEvent], order_url: str, subject: dict[str, str], ended: bool
) -> dict[str, Any]:
    """Return the ServiceRequest for the visits that give a MedicationRequest: what its Appointments are based on."""
    first = members[0]
    return {
        "resourceType": "ServiceRequest",
        "status": status("ServiceRequest", members, ended),
        "intent": "plan",
        "code": {"text": f"Visits to give {event_product(plan, first)}"},
        "subject": subject,
        "occurrencePeriod": {"start": first.first_day.isoformat(), "end": members[-1].last_day.isoformat()},
        "supportingInfo": [{"reference": order_url}],
        "note": [{"text": f"{wording.plural(len(members), 'visit')} ({first.kind})"}],
    }


def service_request(members: list[PlannedEvent], subject: dict[str, str], ended: bool) -> dict[str, Any]:
    """Return the ServiceRequest of a non-drug step or linked visit (collection, monitoring, labs, ...)."""
    first = members[0]
    return {
        "resourceType": "ServiceRequest",
        "status": status("ServiceRequest", members, ended),
        "intent": "plan",
        "code": {"text": first.name},
        "subject": subject,
        "occurrencePeriod": {"start": first.first_day.isoformat(), "end": members[-1].last_day.isoformat()},
        "note": [{"text": f"{wording.plural(len(members), 'visit')} ({first.kind})"}],
    }


def task(event: PlannedEvent, subject: dict[str, str], focus: str | None, ended: bool) -> dict[str, Any]:
    """Return a clinic's task (the product check before chemotherapy) as a Task due on its day."""
    resource: dict[str, Any] = {
        "resourceType": "Task",
        "status": status("Task", [event], ended),
        "intent": "plan",
        "description": event.name,
        "for": subject,
        "restriction": {"period": {"start": event.first_day.isoformat(), "end": event.last_day.isoformat()}},
    }
    if focus is not None:
        resource["focus"] = {"reference": focus}
    # The step's own words come first; the regimen's description that follows is the patient's, not the task's.
    notes = [fact_line(f) for f in event.facts if f.kind == "expect"][:1]
    resource["note"] = _notes(notes + [fact_line(f) for f in event.facts if f.kind == "unconfirmed"])
    return resource
