"""The handout as PDF: the same page as scheduler.writers.handout, rendered by WeasyPrint.

WeasyPrint is a well-kept HTML/CSS-to-PDF renderer (it needs Pango from the system, as Debian's
libpango-1.0-0). It is an optional dependency (`pip install 'txcal[pdf]'`); without it, asking for a
PDF says what to install.
"""

from __future__ import annotations

import re

from scheduler.errors import TxcalError
from scheduler.model import Plan
from scheduler.writers.handout import render_handout
from scheduler.writers.registry import Rendered, View

# The plan a PDF holds, as a comment line before `startxref`: PDF syntax, ignored by every
# reader, and it moves no byte offset the cross-reference points at (WeasyPrint compresses the
# document information, so its Keywords cannot be read back without a PDF parser).
_OWNER = re.compile(rb"\n%txcal-plan:([\w.@-]+)\nstartxref\n")


def render(plan: Plan, view: View) -> Rendered:
    """Return the handout as PDF bytes (the `pdf` format).

    Raises:
        TxcalError: WeasyPrint (or the Pango library it uses) is not installed.
    """
    try:
        from weasyprint import HTML
    except (ImportError, OSError) as exc:
        raise TxcalError(
            "a PDF needs WeasyPrint: pip install 'txcal[pdf]' (on Debian or Ubuntu also "
            f"apt-get install libpango-1.0-0 libpangoft2-1.0-0); or write --format html and print it ({exc})"
        ) from None
    data: bytes = HTML(string=render_handout(plan, view)).write_pdf()
    head, found, tail = data.rpartition(b"\nstartxref\n")
    if found:
        data = head + f"\n%txcal-plan:{plan.plan_id}".encode() + found + tail
    return Rendered(data)


def owner(data: bytes) -> str | None:
    """Return the plan id of a PDF txcal wrote, or None for any other file."""
    if not data.startswith(b"%PDF"):
        return None
    found = _OWNER.search(data[-4096:])
    return found.group(1).decode() if found else None
