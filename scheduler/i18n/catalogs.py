"""The compiled catalogs a language speaks from, and the review state its source catalog records.

A catalog is `scheduler/locale/<locale>/LC_MESSAGES/patient.mo`, compiled from the `.po` beside it
(both ship in the wheel). Each medical message of the `.po` carries a translator comment
`reviewed: <who, when>` or `reviewed: not yet`; while any says "not yet", the patient outputs say
in one line that the translation is not reviewed by a clinician.
"""

from __future__ import annotations

import gettext
from pathlib import Path

from scheduler import caches
from scheduler.errors import TxcalError
from scheduler.i18n import DOMAIN, LOCALE_DIR, PSEUDO, Language

LOCALES = {"es-US": "es_US"}  # a language tag -> the catalog's folder (Babel's locale name)
REVIEWED = "reviewed:"


def catalog_path(locale: str, suffix: str = ".mo") -> Path:
    return LOCALE_DIR / locale / "LC_MESSAGES" / f"{DOMAIN}{suffix}"


def load(tag: str) -> Language:
    """Return a language to speak, from its compiled catalog.

    Raises:
        TxcalError: no catalog ships for the language, or it cannot be read.
    """
    if tag == PSEUDO:
        return Language(PSEUDO, PSEUDO, {}, lambda n: int(n != 1))
    locale = LOCALES.get(tag)
    if locale is None:
        raise TxcalError(f"no patient text in {tag}: txcal writes patient text in en and es-US")
    catalog, plural, unreviewed = _read(catalog_path(locale), caches.file_state(catalog_path(locale)))
    return Language(tag, locale, catalog, plural, unreviewed)


@caches.kept(4)
def _read(path: Path, state: object) -> tuple[dict[object, str], object, bool]:
    try:
        with open(path, "rb") as stream:
            translations = gettext.GNUTranslations(stream)
    except (OSError, ValueError) as exc:
        raise TxcalError(f"the {path.parent.parent.name} catalog cannot be read ({exc}): reinstall txcal") from None
    catalog: dict[object, str] = getattr(translations, "_catalog")  # noqa: B009  (its messages, by key)
    return dict(catalog), getattr(translations, "plural"), any_unreviewed(path.with_suffix(".po"))  # noqa: B009


def review_notes(po_path: Path) -> dict[tuple[str | None, str], str]:
    """Return each message's review note, "" where it has none: (context, English) -> "not yet" or who and when."""
    from babel.messages.pofile import read_po

    with open(po_path, "rb") as stream:
        catalog = read_po(stream)
    notes: dict[tuple[str | None, str], str] = {}
    for message in catalog:
        if not message.id:
            continue
        english = message.id if isinstance(message.id, str) else message.id[0]
        found = [c.removeprefix(REVIEWED).strip() for c in message.user_comments if c.startswith(REVIEWED)]
        notes[(message.context, english)] = found[0] if found else ""
    return notes


def any_unreviewed(po_path: Path) -> bool:
    """Return whether any message of a catalog has no clinician's review (no note, or "not yet")."""
    if not po_path.is_file():
        return True
    notes = review_notes(po_path)
    return not notes or any(note in ("", "not yet") for note in notes.values())
