"""Read an .ics file with vobject (what Radicale uses) and print starts and ends as JSON.

Run in a fresh process per file: vobject caches time zones for the whole process.
"""

import json
import sys
from datetime import UTC, date, datetime

import vobject


def show(value):
    if not isinstance(value, datetime):
        return value.isoformat()
    if value.tzinfo is None:
        raise ValueError(f"floating time {value}")
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def main(path):
    errors, events = [], {}
    try:
        with open(path, encoding="utf-8") as handle:
            calendar = vobject.readOne(handle.read())
        for vevent in calendar.vevent_list:
            start = vevent.dtstart.value
            end = vevent.dtend.value
            assert isinstance(start, date)
            events[vevent.uid.value] = [show(start), show(end)]
    except Exception as error:  # every failure of the reader is a finding, reported as such
        errors.append(f"{type(error).__name__}: {error}")
    print(json.dumps({"errors": errors, "events": events}))


if __name__ == "__main__":
    main(sys.argv[1])
