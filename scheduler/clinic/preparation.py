"""What the clinic prepares for each visit of a plan: the weight a dose assumes, premedication, the product.

Shared by the clinic calendar of a batch (scheduler.app.batching.run) and the day sheet (scheduler.app.day_sheet).
"""

from __future__ import annotations

from scheduler.model import CHAIR_KINDS, Plan
from scheduler.view_wording import preparation


def plan_preparation(plan: Plan) -> dict[str, tuple[str, ...]]:
    """Return, by event UID, what to prepare for each chair visit of a plan that needs something."""
    premedication = {e.first_day: e.name for e in plan.events if e.kind == "premedication" and e.status == "planned"}
    # A pathway's product must be at the facility before its chemotherapy starts (Tecelra label).
    pathway = not plan.regimen.schedules
    chemotherapy = [e.first_day for e in plan.events if e.kind == "chemotherapy" and e.status == "planned"]
    first_chemotherapy = min(chemotherapy) if pathway and chemotherapy else None
    found = {}
    for event in plan.events:
        if event.kind not in CHAIR_KINDS or event.status == "held":
            continue
        lines = preparation(
            event.facts,
            event.dosage,
            event.kind,
            premedication.get(event.first_day, ""),
            plan.reach.arrival,
            first_chemotherapy is not None and event.first_day == first_chemotherapy,
        )
        if lines:
            found[event.uid] = lines
    return found
