"""Language tags: what a user may write for a language, and whose language a patient's outputs are in.

A leaf (it imports nothing of txcal's): the options table reads `--language` with it.
"""

from __future__ import annotations

ENGLISH = "en"
# What a user may write, and the language tag it means (the handout's <html lang>).
LANGUAGES = {"en": "en", "en-us": "en", "es": "es-US", "es-us": "es-US"}
PSEUDO = "qps"  # a pseudo-locale for tests: every translated text marked, so untranslated text shows


def parse_language(text: str) -> str:
    """Return the language tag a user's word means: "es", "es-US", "es_US" -> "es-US"; "en" -> "en"."""
    word = text.strip().lower().replace("_", "-")
    if word == PSEUDO:
        return PSEUDO
    if word not in LANGUAGES:
        raise ValueError("expected en or es")
    return LANGUAGES[word]


def patient_language(asked: str | None, clinic: str | None) -> str:
    """Return the patient's language: their plan's (a plan file, a list's cell, --language), else their clinic
    profile's `language`, else English. The one rule: the request, the batch and the feed all use it."""
    return asked or clinic or ENGLISH
