"""A re-export against the file it replaces: that file's events read back, and the new events updated.

Unchanged events keep their SEQUENCE and DTSTAMP, changed ones count up, and events that left the
plan are sent once more as cancelled.

txcal's own files take a fast path (their folded lines kept as written); anything else goes
through the one parser in read.py. Tests hold both to the same result on every golden file.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from scheduler.ical.event import (
    EventBlock,
    cancelled_event,
    read_event,
)
from scheduler.ical.lines import PROPERTY_BREAK
from scheduler.ical.read import parse, parse_line, unfolded, utc_stamp

EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


@dataclass(frozen=True)
class Previous:
    """An event of the file being replaced, as it was written."""

    block: EventBlock
    sequence: int
    stamp: datetime
    cancelled: bool


def previous_events(data: bytes) -> dict[str, Previous]:
    text = data.decode("utf-8")
    own = own_events(text)
    if own is not None:
        return own
    found = {}
    for component in parse(text)[0].walk("VEVENT"):
        block = read_event(component)
        sequence, dtstamp, status = component.first("SEQUENCE"), component.first("DTSTAMP"), component.first("STATUS")
        found[block.uid] = Previous(
            block,
            int(sequence.value) if sequence else 0,
            utc_stamp(dtstamp.value) if dtstamp else EPOCH,
            bool(status and status.value == "CANCELLED"),
        )
    return found


def own_events(text: str) -> dict[str, Previous] | None:
    """Read back the events of a file txcal wrote, its folded lines kept as they are; None for any other shape.

    txcal folds deterministically, so its own lines need no unfolding and folding again: a
    rerun over unchanged files reads them at a fraction of the cost. The result equals
    `read_event` on the parsed file (a test holds them equal on every golden file); anything
    unexpected (another component, a quoted parameter, bare line feeds) goes to that reader.
    """
    if "\r\n" not in text or "\n" in text.replace("\r\n", ""):
        return None
    found = {}
    chunks = text.split("BEGIN:VEVENT\r\n")
    if any(not chunk.endswith("\n") for chunk in chunks[:-1]):
        return None  # the words inside a line, not a line of their own
    for chunk in chunks[1:]:
        end = chunk.find("END:VEVENT\r\n")
        if end < 0:
            return None
        props: dict[str, str] = {}
        alarms: list[tuple[str, ...]] = []
        alarm: list[str] | None = None
        body = chunk[:end]
        if body[:1] in (" ", "\t"):
            return None
        # One item a property, its folded lines kept: split where a line break is not a fold.
        for line in PROPERTY_BREAK.split(body[:-2]):
            if line == "BEGIN:VALARM" and alarm is None:
                alarm = []
            elif line == "END:VALARM" and alarm is not None:
                alarms.append(tuple(alarm))
                alarm = None
            elif line.startswith(("BEGIN:", "END:")) or '"' in line.partition(":")[0]:
                return None
            elif alarm is not None:
                alarm.append(line)
            else:
                props[line.partition(":")[0].partition(";")[0].upper()] = line
        if alarm is not None:
            return None
        zones = set()
        for name in ("DTSTART", "DTEND"):
            if name in props:
                moment_line = parse_line(unfolded(props[name]))
                if "TZID" in moment_line.params:
                    zones.add((moment_line.params["TZID"], int(moment_line.value[:4])))
        uid, sequence, dtstamp, status = (
            unfolded(props[n]).partition(":")[2] if n in props else None
            for n in ("UID", "SEQUENCE", "DTSTAMP", "STATUS")
        )
        block = EventBlock(uid or "", props, tuple(alarms), frozenset(zones))
        found[block.uid] = Previous(
            block, int(sequence) if sequence else 0, utc_stamp(dtstamp) if dtstamp else EPOCH, status == "CANCELLED"
        )
    return found


def updated(blocks: list[EventBlock], old: dict[str, Previous], stamp: datetime) -> tuple[list[EventBlock], int, int]:
    """Return the plan's events stamped against the file they replace, then those that left the plan, cancelled;
    with how many changed and how many were cancelled now (`old` is emptied of the events still planned)."""
    changed = 0
    for index, block in enumerate(blocks):
        before = old.pop(block.uid, None)
        if before is None:
            continue
        if block.same_content(before.block):
            blocks[index] = block.stamped(before.sequence, before.stamp)
        else:
            blocks[index] = block.stamped(before.sequence + 1, stamp)
            changed += 1
    # Events that left the plan, in the order they were planned; a cancelled one stays as it was.
    leaving = sorted(old.values(), key=lambda p: p.block.props.get("DTSTART", ""))
    blocks += [p.block if p.cancelled else cancelled_event(p.block, p.sequence + 1, stamp) for p in leaving]
    return blocks, changed, sum(1 for p in leaving if not p.cancelled)
