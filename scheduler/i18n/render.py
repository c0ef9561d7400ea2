"""A patient output in the patient's language, refused whole when any of its messages is not translated."""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

from scheduler.errors import TxcalError
from scheduler.i18n import ENGLISH, speaking
from scheduler.i18n.templates import translate_plan
from scheduler.model import Plan

_Rendered = TypeVar("_Rendered")
_SHOWN = 3  # messages named in the refusal; the rest are counted


def rendered_in(render: Callable[[Plan], _Rendered], plan: Plan) -> _Rendered:
    """Return `render(plan)` with the plan's patient text in the patient's language (English: as it is).

    Raises:
        TxcalError: a message the output needs is missing from the catalog, fuzzy (so not compiled),
            or does not keep the English's placeholders and numbers; nothing is written.
    """
    if plan.request.language == ENGLISH:
        return render(plan)
    return written_in(plan.request.language, lambda: render(translate_plan(plan)))


def written_in(language: str, write: Callable[[], _Rendered]) -> _Rendered:
    """Return `write()` made while speaking `language` (English: as it is).

    Raises:
        TxcalError: a message it needed has no checked translation; nothing is written.
    """
    with speaking(language) as spoken:
        result = write()
        problems = dict(spoken.problems) if spoken is not None else {}
    if problems:
        named = "; ".join(f"{_short(message)!r} ({why})" for message, why in list(problems.items())[:_SHOWN])
        more = f" and {len(problems) - _SHOWN} more" if len(problems) > _SHOWN else ""
        raise TxcalError(
            f"not written: {len(problems)} patient message(s) have no checked {language} translation: {named}{more}; "
            f"the output would mix languages. {_remedy(problems)}"
        )
    return result


# Words of the clinic's own (not txcal's): a profile's linked-visit titles, a closures file's reasons, a state's
# holidays. txcal's catalog cannot hold them, so the remedy is the clinic's, not a contributor's.
_CLINICS_OWN = ("clinic-profile: ", "closed-day: ", "holiday: ")


def _remedy(problems: dict[str, str]) -> str:
    """Return what to do about untranslated messages: the clinic's words, or txcal's catalog."""
    if all(message.startswith(_CLINICS_OWN) for message in problems):
        return (
            "These are the clinic's own words (its profile's linked-visit titles, its closures file's reasons, or a "
            "state holiday), which have no Spanish yet: write this patient's plan in English (--language en), or "
            "leave those out of the profile or closures file"
        )
    return "A txcal message is missing from the catalog: the catalog steps of docs/spanish.md, then pytest tests/test_spanish.py"


def _short(message: str) -> str:
    flat = " ".join(message.split())
    return flat if len(flat) <= 60 else flat[:57] + "..."
