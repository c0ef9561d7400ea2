"""Plain-text tables that fit a width: the widest wrappable columns wrap their cells onto more lines."""

from __future__ import annotations

import textwrap
from collections.abc import Sequence

_GAP = "  "


def fit_table(
    rows: Sequence[Sequence[str]], width: int = 80, wrap: Sequence[int] = (), right: Sequence[int] = ()
) -> list[str]:
    """Return a table's lines within `width` columns, header first.

    Args:
        rows: the header row, then the data rows, all of the same length.
        width: the columns to fit.
        wrap: the columns whose cells may wrap onto more lines (others keep their width).
        right: the columns aligned right (numbers).
    """
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    # A wrapped column breaks between words only, so it keeps its longest word whole.
    narrowest = {i: max(len(word) for row in rows for word in (row[i].split() or [""])) for i in wrap}
    while sum(widths) + len(_GAP) * (len(widths) - 1) > width:
        candidates = [i for i in wrap if widths[i] > narrowest[i]]
        if not candidates:
            break
        widest = max(candidates, key=lambda i: widths[i])
        widths[widest] -= 1
    lines = []
    for row in rows:
        cells = [
            textwrap.wrap(cell, widths[i], break_long_words=False) or [""] if i in wrap else [cell]
            for i, cell in enumerate(row)
        ]
        for n in range(max(len(c) for c in cells)):
            parts = []
            for i, cell in enumerate(cells):
                text = cell[n] if n < len(cell) else ""
                parts.append(text.rjust(widths[i]) if i in right else text.ljust(widths[i]))
            lines.append(_GAP.join(parts).rstrip())
    return lines


def wrap_field(label: str, text: str, width: int = 80) -> list[str]:
    """Return "Label:    text" wrapped within width, continuation lines under the text."""
    return textwrap.wrap(text, width, initial_indent=label, subsequent_indent=" " * len(label)) or [label.rstrip()]
