"""Every English sentence txcal's outputs carry, in one place (ready to be translated).

The engine returns data; writers and messages turn it into words here. No sentence in this
module names a command-line flag: the options table (scheduler.options) words options for
the place the user typed them.
"""

from __future__ import annotations

CONFIRM = "Confirm with your care team."
DISCLAIMER = "txcal is a scheduling aid: confirm every date and dose with your care team."


def day_label(day: int) -> str:
    """Return a pathway day as people write it: "Day -7", "Day 1"."""
    return f"Day {day}"
