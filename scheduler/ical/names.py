"""txcal's own iCalendar properties: written by scheduler.ical and read back by it, named once."""

# The calendar property that names the plan a txcal file holds.
PLAN_PROPERTY = "X-TXCAL-PLAN"
# A clinic calendar's events say whose they are, what to prepare and why they stay on a closed day,
# so the clinic's views read them back as data (scheduler.ical.properties writes them).
PATIENT_PROPERTY = "X-TXCAL-PATIENT"
PREPARE_PROPERTY = "X-TXCAL-PREPARE"
CONFLICT_PROPERTY = "X-TXCAL-CONFLICT"
ASKED_PROPERTY = "X-TXCAL-ASKED"  # a levelled chair visit: the time (and day) the patient asked for


__all__ = ["ASKED_PROPERTY", "CONFLICT_PROPERTY", "PATIENT_PROPERTY", "PLAN_PROPERTY", "PREPARE_PROPERTY"]
