"""A plan as a FHIR R4 (4.0.1) Bundle of type collection, JSON: for an EHR or a FHIR tool to import and review.

One Patient (only the label the user gave: no invented identifier), one CarePlan (the regimen, its
schedule and sources as notes, an activity per request), the orders of `fhir_orders` (a
MedicationRequest and the ServiceRequest of its visits per drug and schedule, a ServiceRequest per
non-drug step and linked visit, a Task per clinic task), and an Appointment per visit the patient
comes to, based on its ServiceRequest. An Appointment's status comes from the records and the
clinic book: proposed, booked (the book holds it), fulfilled (given) or cancelled (held); its
comment carries what the clinic's other views warn of (a move, a closed day, a dose past the label's
duration). Every fullUrl is `urn:uuid:` of the same uuid5 scheme as the calendar's event UIDs, so a
rerun writes the same bytes. What FHIR cannot say of a step is kept as text and a note.
"""

from __future__ import annotations

import json
import re
from datetime import datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from scheduler import wording
from scheduler.fact_words import fact_line
from scheduler.identity import EventUids
from scheduler.model import Plan, PlannedEvent
from scheduler.writers import fhir_orders as orders
from scheduler.writers.registry import Rendered, View

PLAN_TAG = "urn:txcal:plan"  # the Bundle's tag system: its code is the plan id (the output-file policy reads it)
_OWNER = re.compile(rb'"system": "urn:txcal:plan",\s*"code": "([\w.@-]+)"')
# What the clinic's other views warn of beside a move: worded once, in scheduler.wording.
_WARNING_FACTS = ("beyond-label", "monitoring-closed")


def _urn(uid: str) -> str:
    return "urn:uuid:" + uid.removesuffix("@txcal")


def _every_days(event: PlannedEvent) -> int | None:
    return next((f.args[1] for f in event.facts if f.kind == "schedule"), None)


def _status(event: PlannedEvent, booked: frozenset[str]) -> str:
    """Return an Appointment's status: from the records, else booked when the clinic book holds it."""
    if event.status in ("given", "held"):
        return {"given": "fulfilled", "held": "cancelled"}[event.status]
    return "booked" if event.uid in booked else "proposed"


def _zone(plan: Plan) -> str | None:
    """Return the plan's time zone (its own, else its clinic's), or None when it has none."""
    profile = plan.request.profile
    return plan.request.tz or (profile.timezone if profile else None)


def render_bundle(plan: Plan) -> dict[str, Any]:
    """Return the plan as a FHIR R4 Bundle (a dict ready for JSON)."""
    uids = EventUids(plan.plan_id)
    patient_url = _urn(uids("fhir/patient"))
    careplan_url = _urn(uids("fhir/careplan"))
    subject = {"reference": patient_url}
    events = [e for e in plan.events if e.audience == "patient" and e.kind != "watch"]
    groups: dict[tuple[str, str, str, int | None], list[PlannedEvent]] = {}
    for event in events:
        if event.kind in orders.MEDICATION_KINDS or event.kind in orders.SERVICE_KINDS:
            key = (event.kind, event.name, wording.event_dose(event), _every_days(event))
            groups.setdefault(key, []).append(event)
    requests: list[dict[str, Any]] = []
    request_of: dict[str, str] = {}  # event uid -> the fullUrl of the ServiceRequest its Appointment is based on
    orders_of: dict[str, str] = {}  # event kind -> the fullUrl of its first MedicationRequest (a Task's focus)
    stopped = orders.stopped(plan)
    for (kind, name, _, every), members in groups.items():
        url = _urn(uids(f"fhir/request/{kind}/{name}/{every}"))
        # A stop ends the series it cut: every one but those a switch replaced (another series of the kind after).
        ended = stopped and not any(
            k[0] == kind and other[0].first_day > members[-1].first_day for k, other in groups.items()
        )
        if kind in orders.MEDICATION_KINDS:
            order = orders.medication_request(plan, members, every, subject, ended)
            requests.append({"fullUrl": url, "resource": order})
            orders_of.setdefault(kind, url)
            series = _urn(uids(f"fhir/series/{kind}/{name}/{every}"))
            requests.append({"fullUrl": series, "resource": orders.series_request(plan, members, url, subject, ended)})
            url = series
        else:
            requests.append({"fullUrl": url, "resource": orders.service_request(members, subject, ended)})
        request_of.update((e.uid, url) for e in members)
    focus = orders_of.get("chemotherapy") or orders_of.get("infusion")  # what the product check comes before
    requests += [
        {"fullUrl": _urn(e.uid), "resource": orders.task(e, subject, focus, stopped)}
        for e in plan.events
        if e.audience == "clinic"
    ]
    zone = _zone(plan)
    appointments = [
        {
            "fullUrl": _urn(event.uid),
            "resource": _appointment(event, patient_url, request_of.get(event.uid), plan.booked, zone),
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
        "status": orders.status("CarePlan", events, stopped),
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


def _comment(event: PlannedEvent, zone: str | None) -> str:
    """Return what the clinic's views say of an event: why it moved, a closed day, past the label, no zone."""
    lines = [wording.event_reason(event), wording.event_conflict(event)]
    lines += [fact_line(f) for f in event.facts if f.kind in _WARNING_FACTS]
    if event.all_day and zone is None and event.status != "planned":
        lines.append("No time zone was given: the day is shown from midnight to midnight UTC.")
    return " ".join(line if line.endswith(".") else line + "." for line in dict.fromkeys(lines) if line)


def _appointment(
    event: PlannedEvent, patient_url: str, request: str | None, booked: frozenset[str], zone: str | None
) -> dict[str, Any]:
    status = _status(event, booked)
    # R4's ParticipationStatus: a proposed visit awaits the patient's answer; a booked one is accepted.
    answer = "needs-action" if status == "proposed" else "accepted"
    participants: list[dict[str, Any]] = [{"actor": {"reference": patient_url}, "status": answer}]
    if event.location:
        participants.append({"actor": {"display": event.location}, "status": "accepted"})
    resource: dict[str, Any] = {"resourceType": "Appointment", "status": status, "description": event.name}
    if isinstance(event.start, datetime) and isinstance(event.end, datetime):
        resource["start"] = event.start.isoformat()
        resource["end"] = event.end.isoformat()
        minutes = int((event.end - event.start).total_seconds() // 60)
        if minutes > 0:
            resource["minutesDuration"] = minutes
    else:  # an all-day visit: the days asked for, and (R4 app-3) midnight to midnight in the plan's zone
        resource["requestedPeriod"] = [{"start": event.first_day.isoformat(), "end": event.last_day.isoformat()}]
        if zone is not None or status != "proposed":
            tz = ZoneInfo(zone or "UTC")
            resource["start"] = datetime.combine(event.first_day, time(), tz).isoformat()
            resource["end"] = datetime.combine(event.last_day + timedelta(days=1), time(), tz).isoformat()
    if request is not None:
        resource["basedOn"] = [{"reference": request}]
    resource["participant"] = participants
    comment = _comment(event, zone)
    if comment:
        resource["comment"] = comment  # the clinic's words: an EHR is a clinic's view
    return resource


def render(plan: Plan, view: View) -> Rendered:
    """Return the plan as a FHIR R4 Bundle (the `fhir` format): JSON, the same bytes on every run."""
    text = json.dumps(render_bundle(plan), indent=1, ensure_ascii=False) + "\n"
    return Rendered(text.encode("utf-8"))


def owner(data: bytes) -> str | None:
    """Return the plan id of a Bundle txcal wrote, or None for any other file."""
    found = _OWNER.search(data[:2000])
    return found.group(1).decode() if found else None
