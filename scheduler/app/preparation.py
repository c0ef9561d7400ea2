"""What the clinic prepares for each visit of a plan: the weight a dose assumes, premedication, the product.

Shared by the clinic calendar of a batch (scheduler.app.batch) and the day sheet (scheduler.app.agenda).
"""

from __future__ import annotations

from scheduler.model import CHAIR_KINDS, Plan
from scheduler.wording import preparation


def plan_preparation(plan: Plan) -> dict[str, tuple[str, ...]]:
    """Return, by event UID, what to prepare for each chair visit of a plan that needs something."""
    premedication = {e.first_day: e.name for e in plan.events if e.kind == "premedication" and e.status == "planned"}
    found = {}
    for event in plan.events:
        if event.kind not in CHAIR_KINDS or event.status == "held":
            continue
        lines = preparation(
            event.facts, event.dosage, event.kind, premedication.get(event.first_day, ""), plan.reach.arrival
        )
        if lines:
            found[event.uid] = lines
    return found
