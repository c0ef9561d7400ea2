"""Each template's translation and review state in a language: how many of its patient messages are
translated and how many a clinician has reviewed (`txcal regimens --translations`)."""

from __future__ import annotations

from dataclasses import dataclass

from scheduler.i18n.catalogs import LOCALES, catalog_path, review_notes
from scheduler.i18n.templates import context, template_messages
from scheduler.model import Regimen

OWN_TEXT = "(txcal's own words)"  # the row of the messages in txcal's code: headings, dates' sentences


@dataclass(frozen=True)
class ReviewState:
    """One template's (or txcal's own) patient messages in a language."""

    name: str
    messages: int
    translated: int
    reviewed: int


def review_states(regimens: list[Regimen], tag: str = "es-US") -> list[ReviewState]:
    """Return the translation and review state of every template's patient messages, then of txcal's own."""
    path = catalog_path(LOCALES[tag], ".po")
    from babel.messages.pofile import read_po

    with open(path, "rb") as stream:
        catalog = read_po(stream)
    translated = {
        (m.context, m.id if isinstance(m.id, str) else m.id[0])
        for m in catalog
        if m.id and not m.fuzzy and all(m.string if isinstance(m.string, tuple) else (m.string,))
    }
    notes = review_notes(path)
    states = []
    for regimen in regimens:
        keys: list[tuple[str | None, str]] = [(context(regimen, key), e) for key, e in template_messages(regimen)]
        states.append(_state(regimen.id, keys, translated, notes))
    own = [key for key in notes if key[0] is None or key[0] in ("holiday", "closed-day")]
    states.append(_state(OWN_TEXT, own, translated, notes))
    return states


def _state(
    name: str,
    keys: list[tuple[str | None, str]],
    translated: set[tuple[str | None, str]],
    notes: dict[tuple[str | None, str], str],
) -> ReviewState:
    done = [k for k in keys if k in translated]
    reviewed = [k for k in done if notes.get(k, "") not in ("", "not yet")]
    return ReviewState(name, len(keys), len(done), len(reviewed))


def review_text(states: list[ReviewState], tag: str = "es-US") -> str:
    """Return the states as a table: one line a template, and whether any message lacks a clinician's review."""
    width = max(len(s.name) for s in states) + 2
    lines = [f"{'ID':<{width}}{tag.upper() + ' MESSAGES':<16}{'TRANSLATED':<12}REVIEWED BY A CLINICIAN"]
    for state in states:
        lines.append(f"{state.name:<{width}}{state.messages:<16}{state.translated:<12}{state.reviewed}")
    if any(s.reviewed < s.messages for s in states):
        lines.append(
            f"Not every {tag} message is reviewed by a clinician: {tag} calendars and handouts say so in one line."
        )
    return "\n".join(lines) + "\n"
