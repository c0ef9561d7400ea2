"""Errors txcal reports to its users; every message names the problem and the fix.

A message that names a plan option does so through `option()`: a placeholder worded where the
message is shown, as the user wrote the option (`--weight-kg` on the command line, `weight_kg=`
in a patient list, `weight_kg =` in a plan file). The library never spells a flag itself.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence

_MARK = "\x1f"  # a C0 control no user text keeps (inputs are checked), so it cannot be forged
_PLACEHOLDER = re.compile(f"{_MARK}([a-z_]+)(?:\x1e([^{_MARK}]*))?{_MARK}")

# Words an option name and, optionally, a value: ("weight_kg", None) -> "--weight-kg".
Wording = Callable[[str, str | None], str]


def option(name: str, value: object = None) -> str:
    """Return a placeholder for plan option `name` (and the value given), worded where it is shown.

    Args:
        name: the option's name in scheduler.options (a PlanSpec field: "weight_kg", "period").
        value: the value the user gave, when the message quotes it.
    """
    return f"{_MARK}{name}{'' if value is None else chr(0x1E) + str(value)}{_MARK}"


def worded(text: str, wording: Wording) -> str:
    """Return text with its option placeholders worded."""
    return _PLACEHOLDER.sub(lambda m: wording(m.group(1), m.group(2)), text)


class TxcalError(Exception):
    """A problem the user can fix; the CLI prints it as `Error: ...` without a traceback."""

    wording: Wording | None = None

    def in_terms_of(self, wording: Wording) -> TxcalError:
        """Return this error, its options worded as the user wrote them (a list's columns, a file's keys).

        The first wording set stays: a plan file named by a patient list keeps the file's words.
        """
        if self.wording is None:
            self.wording = wording
        return self

    def __str__(self) -> str:
        text = super().__str__()
        if _MARK not in text:
            return text
        if self.wording is None:
            from scheduler.options import COMMAND_LINE  # options words the command line by default

            return worded(text, COMMAND_LINE.word)
        return worded(text, self.wording)


class TemplateError(TxcalError):
    """A template file that cannot be used; carries every problem found in it at once."""

    def __init__(self, path: str, problems: Sequence[str]) -> None:
        self.path = path
        self.problems = tuple(problems)
        super().__init__("\n".join(f"{path}: {problem}" for problem in self.problems))


class RegimenNotFound(TxcalError):
    """No template matches the drug or regimen name the user gave."""


class AmbiguousRegimen(TxcalError):
    """Several schedules match; the user must choose, txcal never picks a dose."""


class PlanError(TxcalError):
    """A plan request that cannot be expanded (dates, horizon, weight, options)."""
