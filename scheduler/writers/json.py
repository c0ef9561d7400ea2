"""Plans as plain data: the JSON shape documented in docs/plans.md, "JSON output" (kept stable)."""

from __future__ import annotations

import json
from datetime import date, datetime
from typing import Any

from scheduler import fact_words, wording
from scheduler.model import Plan, PlannedEvent
from scheduler.writers.registry import Rendered, View

# Marks a file as txcal's, for the output-file policy.
GENERATOR = "txcal"


def _iso(value: date | datetime) -> str:
    """Return a date, or a date-time with its UTC offset, in ISO 8601."""
    return value.isoformat()


def event_to_dict(event: PlannedEvent) -> dict[str, Any]:
    """Return one event as the JSON object docs/plans.md documents."""
    return {
        "uid": event.uid,
        "kind": event.kind,
        "title": event.title,
        "start": _iso(event.start),
        "end": _iso(event.end),
        "all_day": event.all_day,
        "day": event.day,
        "dose_number": event.dose_number,
        "dose": wording.event_dose(event),
        "route": event.route,
        "status": event.status,
        "shifted_from": event.shifted_from.isoformat() if event.shifted_from else None,
        "reason": wording.event_reason(event),
        "conflict": wording.event_conflict(event) or None,
        "unconfirmed": event.unconfirmed,
        "notes": list(fact_words.patient_notes(event.facts)),
        "clinic_notes": list(fact_words.clinic_notes(event.facts)),
        "sources": list(fact_words.reference_notes(event.facts)),
        "beyond_label": event.beyond_label,
        "audience": event.audience,
        "location": event.location or None,
    }


def plan_to_dict(plan: Plan) -> dict[str, Any]:
    """Return a plan as plain data: regimen, time zone, horizon and events."""
    request = plan.request
    return {
        "generator": GENERATOR,
        "regimen": {
            "id": plan.regimen.id,
            "drug": plan.regimen.drug,
            "title": plan.regimen.title,
            "every": request.schedule.every if request.schedule else None,
            "schedule": wording.schedule_text(plan),
        },
        "plan_id": plan.plan_id,
        "patient": request.patient,
        "timezone": request.tz if request.time is not None else None,
        "horizon": wording.horizon_text(plan.reach),
        "events": [event_to_dict(e) for e in plan.events],
    }


def to_json(plan: Plan) -> str:
    """Return a plan as indented JSON text ending in a newline."""
    return json.dumps(plan_to_dict(plan), indent=2, ensure_ascii=False) + "\n"


def render(plan: Plan, view: View) -> Rendered:
    """Return the plan as JSON (the `json` format)."""
    return Rendered(to_json(plan).encode("utf-8"))


def owner(data: bytes) -> str | None:
    """Return the plan id of a JSON file txcal wrote, or None for any other file."""
    try:
        found = json.loads(data)
    except ValueError:
        return None
    if not isinstance(found, dict) or found.get("generator") != GENERATOR:
        return None
    plan_id = found.get("plan_id")
    return plan_id if isinstance(plan_id, str) else None
