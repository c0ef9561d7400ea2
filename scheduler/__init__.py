"""txcal: treatment-schedule calendars from regimen templates.

The public API: load regimens, resolve a drug name, expand a plan into dated events.
"""

from __future__ import annotations

from scheduler.engine import expand
from scheduler.errors import TxcalError
from scheduler.loader import load_regimens, load_template
from scheduler.model import Plan, PlannedEvent, PlanRequest, Regimen

__version__ = "0.1.0"

__all__ = [
    "Plan",
    "PlanRequest",
    "PlannedEvent",
    "Regimen",
    "TxcalError",
    "__version__",
    "expand",
    "load_regimens",
    "load_template",
]
