"""The iCalendar format, in one place: txcal's fast writer (byte for byte what icalendar writes), its one
reader of iCalendar text and dates, the check of a file, and txcal's own X-TXCAL properties.

Other packages import from here only (tests/test_architecture.py holds them to it); the modules
inside are this package's business.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from scheduler.ical.event import (
    EventBlock,
    EventShape,
    cancelled_event,
    event_block,
    event_shape,
    filled_event,
    read_event,
)
from scheduler.ical.export import (
    CALENDAR_END,
    IcsExport,
    calendar_bytes,
    calendar_head,
    calendar_name,
    calendar_text,
    timezones_text,
    to_ics,
    zone_years,
)
from scheduler.ical.lines import escape, fold, folded, list_property, text_property, utc_text
from scheduler.ical.names import ASKED_PROPERTY, CONFLICT_PROPERTY, PATIENT_PROPERTY, PLAN_PROPERTY, PREPARE_PROPERTY
from scheduler.ical.read import Component, ContentLine, moment, parse, txcal_plan_id, unescape, unescape_list, unfolded

if TYPE_CHECKING:
    from scheduler.ical.check import check_ics
    from scheduler.ical.visits import Skipped, clinic_visits, read_calendar

# Loaded when first asked for: writing one plan's file needs neither the checker (dateutil's zone reader) nor
# the clinic views' reader, and `txcal plan -o x.ics` pays for every import.
_LATER = {
    "check_ics": "scheduler.ical.check",
    "Skipped": "scheduler.ical.visits",
    "clinic_visits": "scheduler.ical.visits",
    "read_calendar": "scheduler.ical.visits",
}


def __getattr__(name: str) -> Any:
    if name not in _LATER:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(importlib.import_module(_LATER[name]), name)


__all__ = [
    "ASKED_PROPERTY",
    "CALENDAR_END",
    "CONFLICT_PROPERTY",
    "PATIENT_PROPERTY",
    "PLAN_PROPERTY",
    "PREPARE_PROPERTY",
    "Component",
    "ContentLine",
    "EventBlock",
    "EventShape",
    "IcsExport",
    "Skipped",
    "calendar_bytes",
    "calendar_head",
    "calendar_name",
    "calendar_text",
    "cancelled_event",
    "check_ics",
    "clinic_visits",
    "escape",
    "event_block",
    "event_shape",
    "filled_event",
    "fold",
    "folded",
    "list_property",
    "moment",
    "parse",
    "read_calendar",
    "read_event",
    "text_property",
    "timezones_text",
    "to_ics",
    "txcal_plan_id",
    "unescape",
    "unescape_list",
    "unfolded",
    "utc_text",
    "zone_years",
]
