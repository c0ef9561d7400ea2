"""A plan as a FHIR R4 (4.0.1) Bundle of type collection, JSON: for an EHR or a FHIR tool to import and review.

One Patient (only the label the user gave: no invented identifier), one CarePlan (the regimen, its
schedule and sources as notes, an activity per request), a MedicationRequest per drug and schedule
(intent plan, status draft; the drug as text: no RxNorm code is verified in the templates, so none
is claimed; timing.repeat with frequency, period, bounds, count and the infusion length; the dose
in UCUM), a ServiceRequest per non-drug step (collection, monitoring) and linked visit (labs,
provider visits, imaging), and an Appointment per visit the patient comes to (start and end with
their offsets; an all-day visit as a requested period), its status from the records and the
clinic book: proposed, booked (the book holds it), fulfilled (given) or cancelled (held). Every fullUrl is `urn:uuid:` of the same uuid5 scheme as
the calendar's event UIDs, so a rerun writes the same bytes. What FHIR cannot say of a step (a dose
given only as text) is kept as text and a note; nothing is invented.
"""

from __future__ import annotations

import json
import re
from datetime import date, datetime
from typing import Any

from scheduler import wording
from scheduler.identity import EventUids
from scheduler.model import Dose, Plan, PlannedEvent
from scheduler.wording import dose_text, fact_line
from scheduler.writers.registry import Rendered, View

PLAN_TAG = "urn:txcal:plan"  # the Bundle's tag system: its code is the plan id (the output-file policy reads it)
UCUM = "http://unitsofmeasure.org"
_UCUM_UNITS = {"mg": "mg", "mg/kg": "mg/kg", "mg/m²": "mg/m2", "units": "[U]"}
# Non-drug steps and linked visits become ServiceRequests; a watch period brings nobody in.
# The kinds ordered as a medication (a MedicationRequest): what takes a chair is another rule (model.CHAIR_KINDS).
_MEDICATION_KINDS = frozenset({"dose", "chemotherapy", "infusion"})
_SERVICE_KINDS = frozenset({"collection", "monitoring", "lab", "visit", "imaging", "milestone"})
_OWNER = re.compile(rb'"system": "urn:txcal:plan",\s*"code": "([\w.@-]+)"')


def _urn(uid: str) -> str:
    return "urn:uuid:" + uid.removesuffix("@txcal")


def _quantity(dose: Dose) -> dict[str, Any] | None:
    """Return a dose as a UCUM quantity, or None when it is text or its unit has no UCUM code here."""
    if dose.amount is None:
        return None
    unit = f"{dose.unit}/{dose.per}" if dose.per else dose.unit
    code = _UCUM_UNITS.get(unit)
    if code is None:
        return None
    return {"value": dose.amount, "unit": unit, "system": UCUM, "code": code}


def _period(days: int) -> tuple[int, str]:
    """Return an interval in days as a FHIR period and unit: whole weeks in "wk", else days."""
    return (days // 7, "wk") if days % 7 == 0 else (days, "d")


def _moment(value: date | datetime) -> str:
    return value.isoformat()


def _every_days(event: PlannedEvent) -> int | None:
    return next((f.args[1] for f in event.facts if f.kind == "schedule"), None)


def _status(event: PlannedEvent, booked: frozenset[str]) -> str:
    """Return an Appointment's status: from the records, else booked when the clinic book holds it."""
    if event.status in ("given", "held"):
        return {"given": "fulfilled", "held": "cancelled"}[event.status]
    return "booked" if event.uid in booked else "proposed"


def render_bundle(plan: Plan) -> dict[str, Any]:
    """Return the plan as a FHIR R4 Bundle (a dict ready for JSON)."""
    uids = EventUids(plan.plan_id)
    patient_url = _urn(uids("fhir/patient"))
    careplan_url = _urn(uids("fhir/careplan"))
    subject = {"reference": patient_url}
    events = [e for e in plan.events if e.audience == "patient" and e.kind != "watch"]
    groups: dict[tuple[str, str, str, int | None], list[PlannedEvent]] = {}
    for event in events:
        if event.kind in _MEDICATION_KINDS or event.kind in _SERVICE_KINDS:
            key = (event.kind, event.name, wording.event_dose(event), _every_days(event))
            groups.setdefault(key, []).append(event)
    requests: list[dict[str, Any]] = []
    request_of: dict[str, str] = {}  # event uid -> the fullUrl of its request
    for (kind, name, _, every), members in groups.items():
        url = _urn(uids(f"fhir/request/{kind}/{name}/{every}"))
        resource = (
            _medication_request(plan, members, every, subject)
            if kind in _MEDICATION_KINDS
            else _service_request(members, subject)
        )
        requests.append({"fullUrl": url, "resource": resource})
        request_of.update((e.uid, url) for e in members)
    appointments = [
        {
            "fullUrl": _urn(event.uid),
            "resource": _appointment(event, patient_url, request_of.get(event.uid), plan.booked),
        }
        for event in events
    ]
    patient: dict[str, Any] = {"resourceType": "Patient"}
    if plan.request.patient:
        patient["name"] = [{"text": plan.request.patient}]
    first = min((e.first_day for e in plan.events), default=plan.request.start)
    last = max((e.last_day for e in plan.events), default=plan.request.start)
    careplan: dict[str, Any] = {
        "resourceType": "CarePlan",
        "status": "active" if any(e.status == "given" for e in plan.events) else "draft",
        "intent": "plan",
        "title": plan.regimen.title,
        "description": f"{wording.schedule_text(plan)}. {wording.horizon_text(plan.reach)}",
        "subject": subject,
        "period": {"start": first.isoformat(), "end": last.isoformat()},
        "note": [{"text": f"Source: {s.address} ({s.mark}: {s.supports})"} for s in plan.regimen.sources],
        "activity": [{"reference": {"reference": r["fullUrl"]}} for r in requests],
    }
    return {
        "resourceType": "Bundle",
        "meta": {"tag": [{"system": PLAN_TAG, "code": plan.plan_id}]},
        "identifier": {"system": "urn:ietf:rfc:3986", "value": _urn(uids("fhir/bundle"))},
        "type": "collection",
        "entry": [
            {"fullUrl": patient_url, "resource": patient},
            {"fullUrl": careplan_url, "resource": careplan},
            *requests,
            *appointments,
        ],
    }


def _medication_request(
    plan: Plan, members: list[PlannedEvent], every: int | None, subject: dict[str, str]
) -> dict[str, Any]:
    first = members[0]
    repeat: dict[str, Any] = {
        "boundsPeriod": {"start": members[0].first_day.isoformat(), "end": members[-1].first_day.isoformat()},
        "count": len(members),
    }
    if every is not None:
        period, unit = _period(every)
        repeat.update(frequency=1, period=period, periodUnit=unit)
    elif len(members) > 1:  # a pathway step given on several days in a row
        repeat.update(frequency=1, period=1, periodUnit="d")
    if first.minutes:
        repeat.update(duration=first.minutes, durationUnit="min")
    dosage: dict[str, Any] = {
        "text": f"{wording.event_dose(first)} {first.route}".strip() or first.name,
        "timing": {"repeat": repeat},
    }
    if first.route:
        dosage["route"] = {"text": first.route}
    notes = []
    if first.dosage is not None:
        quantity = _quantity(first.dosage)
        if quantity is not None:
            dosage["doseAndRate"] = [{"doseQuantity": quantity}]
        else:
            notes.append(f"The dose has no UCUM form here and is given as text: {dose_text(first.dosage)}.")
    notes += [fact_line(f) for f in first.facts if f.kind in ("weight", "unconfirmed")]
    resource: dict[str, Any] = {
        "resourceType": "MedicationRequest",
        "status": "draft",
        "intent": "plan",
        "medicationCodeableConcept": {"text": first.name if plan.regimen.steps else plan.regimen.drug},
        "subject": subject,
        "dosageInstruction": [dosage],
    }
    if notes:
        resource["note"] = [{"text": text} for text in notes]
    return resource


def _service_request(members: list[PlannedEvent], subject: dict[str, str]) -> dict[str, Any]:
    first = members[0]
    end = members[-1].last_day
    return {
        "resourceType": "ServiceRequest",
        "status": "draft",
        "intent": "plan",
        "code": {"text": first.name},
        "subject": subject,
        "occurrencePeriod": {"start": first.first_day.isoformat(), "end": end.isoformat()},
        "note": [{"text": f"{len(members)} visit{'s' if len(members) != 1 else ''} ({first.kind})"}],
    }


def _appointment(event: PlannedEvent, patient_url: str, request: str | None, booked: frozenset[str]) -> dict[str, Any]:
    participants: list[dict[str, Any]] = [{"actor": {"reference": patient_url}, "status": "accepted"}]
    if event.location:
        participants.append({"actor": {"display": event.location}, "status": "accepted"})
    resource: dict[str, Any] = {
        "resourceType": "Appointment",
        "status": _status(event, booked),
        "description": event.name,
    }
    if isinstance(event.start, datetime) and isinstance(event.end, datetime):
        resource["start"] = _moment(event.start)
        resource["end"] = _moment(event.end)
        minutes = int((event.end - event.start).total_seconds() // 60)
        if minutes > 0:
            resource["minutesDuration"] = minutes
    else:  # an all-day visit: the days asked for (an Appointment's start is an instant)
        resource["requestedPeriod"] = [{"start": event.first_day.isoformat(), "end": event.last_day.isoformat()}]
    if request is not None:
        resource["basedOn"] = [{"reference": request}]
    resource["participant"] = participants
    if wording.event_reason(event):
        resource["comment"] = wording.event_reason(event)  # the clinic's words: an EHR is a clinic's view
    return resource


def render(plan: Plan, view: View) -> Rendered:
    """Return the plan as a FHIR R4 Bundle (the `fhir` format): JSON, the same bytes on every run."""
    text = json.dumps(render_bundle(plan), indent=1, ensure_ascii=False) + "\n"
    return Rendered(text.encode("utf-8"))


def owner(data: bytes) -> str | None:
    """Return the plan id of a Bundle txcal wrote, or None for any other file."""
    found = _OWNER.search(data[:2000])
    return found.group(1).decode() if found else None
