"""Writers: a plan's events as iCalendar, JSON, CSV or terminal text."""
