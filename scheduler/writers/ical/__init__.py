"""iCalendar: writing, reading back, checking, and the icalendar reference writer for tests."""
