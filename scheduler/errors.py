"""Errors txcal reports to its users; every message names the problem and the fix."""

from __future__ import annotations

from collections.abc import Sequence


class TxcalError(Exception):
    """A problem the user can fix; the CLI prints it as `Error: ...` without a traceback."""


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
