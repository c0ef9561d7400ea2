"""The Fernández-Huerta readability of the Spanish patient text (every translated message of the es-US catalog).

Run `python tests/readability_es.py` from the repository (with txcal installed) to print the figure
and the hardest messages. Fernández-Huerta (1959) is Flesch's ease adapted to Spanish:

    L = 206.84 - 0.60 * (syllables per 100 words) - 1.02 * (words per sentence)

60 to 70 reads as plain ("normal"), 70 to 80 fairly easy, 80 and over easy. Syllables are counted
by vowel nuclei (a diphthong of a weak vowel is one, two strong vowels or an accented í or ú two):
the usual rough count. A sentence ends at ". ", ": ", "; " or the message's end; placeholders
({day}) count as one word of two syllables.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

from babel.messages.pofile import read_po

CATALOG = Path(__file__).parent.parent / "scheduler" / "locale" / "es_US" / "LC_MESSAGES" / "patient.po"
_WORD = re.compile(r"[a-záéíóúüñ]+", re.IGNORECASE)
_STRONG = set("aeoáéóíú")  # an accented í or ú breaks a diphthong as a strong vowel does
_VOWELS = set("aeiouáéíóúü")


def syllables(word: str) -> int:
    """Return a Spanish word's syllables, counted by vowel nuclei."""
    count, previous = 0, ""
    for letter in word.lower():
        if letter in _VOWELS and (previous not in _VOWELS or (previous in _STRONG and letter in _STRONG)):
            count += 1
        previous = letter
    return max(count, 1)


def sentences(text: str) -> list[str]:
    text = re.sub(r"\{[a-z_]*\}", "dato", text)
    return [s for s in re.split(r"(?<=[.:;])\s+", text) if _WORD.search(s)]


def score(texts: list[str]) -> tuple[float, int, int, int]:
    """Return the Fernández-Huerta ease of some texts, and their words, syllables and sentences."""
    found = [s for t in texts for s in sentences(t)]
    words = [w for s in found for w in _WORD.findall(s)]
    syllable_count = sum(map(syllables, words))
    ease = 206.84 - 0.60 * (100 * syllable_count / len(words)) - 1.02 * (len(words) / len(found))
    return ease, len(words), syllable_count, len(found)


def translations() -> list[str]:
    """Return every Spanish message of the patient catalog (each plural form once)."""
    with open(CATALOG, "rb") as stream:
        catalog = read_po(stream)
    texts: list[str] = []
    for message in catalog:
        if message.id:
            texts += [message.string] if isinstance(message.string, str) else list(message.string)
    return [t for t in texts if t]


if __name__ == "__main__":
    messages = translations()
    ease, words, syllable_count, sentence_count = score(messages)
    print(
        f"Fernández-Huerta {ease:.1f} over {len(messages)} messages: {words} words, {syllable_count} syllables, "
        f"{sentence_count} sentences ({words / sentence_count:.1f} words a sentence, "
        f"{100 * syllable_count / words:.0f} syllables per 100 words)"
    )
    hardest = sorted((score([m])[0], m) for m in messages if len(_WORD.findall(m)) >= 8)[:5]
    for value, message in hardest:
        print(f"  {value:5.1f}  {message[:110]}")
    sys.exit(0)
