"""Plans from what the user gave: the one path from a PlanSpec to an expanded Plan, its messages worded."""

from __future__ import annotations

from scheduler.catalog.loader import Catalog
from scheduler.engine import expand
from scheduler.errors import TxcalError, worded
from scheduler.inputs.plan_spec import PlanSpec, build_request
from scheduler.model import Plan


def plan_from_spec(spec: PlanSpec, catalog: Catalog) -> Plan:
    """Return the expanded plan a spec describes.

    Raises:
        TxcalError: the plan cannot be built; options in the message are named as the user gave
            them (a flag, a patient-list column, a plan-file key).
    """
    try:
        return expand(build_request(spec, catalog))
    except TxcalError as exc:
        raise exc.in_terms_of(spec.origin.word) from None


def plan_notes(plan: Plan, spec: PlanSpec) -> list[str]:
    """Return the plan's warnings, options named as the user gave them."""
    return [worded(warning, spec.origin.word) for warning in plan.warnings]
