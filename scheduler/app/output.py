"""The one output-file policy: all or nothing, and never over a file txcal did not write or another plan's.

Every format and every command (plan -o, batch) goes through `write_plan`: ownership is read from
the metadata each writer puts in its files (scheduler.writers.registry), only regular files are read
back or replaced, and a file is written through a temporary file and a rename.
"""

from __future__ import annotations

import dataclasses
import time
from pathlib import Path

from scheduler.errors import TxcalError, option
from scheduler.files import STALE_SECONDS, is_stream, read_existing, remove_stale_temporaries, write_atomic
from scheduler.model import Plan
from scheduler.writers.registry import FORMATS, Format, View, format_for_suffix, known_suffixes

# The formats a front end offers, and what it hands them (the registry, shown through the policy that writes them).
__all__ = ["FORMATS", "Format", "View", "format_for_suffix", "known_suffixes", "previous_output", "write_plan"]


def previous_output(path: Path, fmt: Format, plan: Plan, force: bool, replace: bool = False) -> bytes | None:
    """Return txcal's earlier file at path (to update, or with `replace` to cancel), or None when there is none to keep.

    A corrected plan (another start date, another drug) is another plan: `replace` writes it into
    the file of the old one and cancels every event of the old one, so each calendar that imported
    the file strikes them.

    Raises:
        TxcalError: without `force`, the file is not txcal's, or holds another plan and `replace` is not given.
    """
    existing = read_existing(path)
    if existing is None or force:
        return None
    owner = fmt.owner(existing)
    if owner is None:
        raise TxcalError(f"{path} exists and txcal did not write it: choose another file, or add --force to replace it")
    if owner and owner != plan.plan_id and not replace:
        raise TxcalError(
            f"{path} holds another txcal plan ({owner}): add --replace to write this plan into it and cancel every "
            f"event of {owner}, set {option('plan_id', owner)} to update that plan, or choose another file"
        )
    return existing


def write_plan(path: Path, fmt: Format, plan: Plan, view: View, force: bool, replace: bool = False) -> str:
    """Write a plan to a file in a format, updating txcal's own earlier file of the same plan.

    Returns:
        The sentence to tell the user: "Wrote 6 events to plan.ics."

    Raises:
        TxcalError: the file is not txcal's, holds another plan (without `force`), or cannot be written.
    """
    if is_stream(path):
        # A pipe or a device (/dev/stdout): written as a stream, never read back or replaced.
        rendered = fmt.render(plan, view)
        with open(path, "wb") as stream:
            stream.write(rendered.data)
        return f"Wrote {len(plan.events)} events to {path}."
    previous = previous_output(path, fmt, plan, force, replace)
    try:
        rendered = fmt.render(plan, dataclasses.replace(view, previous=previous, to_file=True))
    except TxcalError as exc:
        raise TxcalError(f"{path}: {exc}") from None
    # A killed write of this file left its temporary: gone once it is old enough that no write is still on it.
    remove_stale_temporaries(path, time.time() - STALE_SECONDS)
    write_atomic(path, rendered.data)
    return f"Wrote {len(plan.events)} events to {path}{rendered.summary}."
