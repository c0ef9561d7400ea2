"""Flesch-Kincaid grade of every patient sentence txcal writes (calendar and handout, every shipped regimen).

Run `python tests/readability.py` (from the repository, with txcal installed) to print the worst
sentences and their grades; tests/test_patient_text_and_safety_lines.py holds every sentence to grade 8 or lower.
The count is the usual rough one: words by letters, syllables by vowel groups. A sentence ends at
". ", "! ", "? ", ": " or "; " (a list's items are read one by one, as the handout prints them).
"""

from __future__ import annotations

import calendar
import html
import re
import shlex
import sys
import tomllib
from collections.abc import Callable, Iterator
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))

from tests_support import CLINIC_PROFILE, template_cases

_WORD = re.compile(r"[A-Za-z][A-Za-z'’-]*")


def syllables(word: str) -> int:
    """Return a word's syllables, counted by vowel groups (a silent final e not counted)."""
    word = word.lower().strip("'’-")
    # A silent ending: "takes", "minutes" and "changed" end in a silent e once the s or d is gone.
    if len(word) > 4 and re.search(r"(?<!s|x|z|h|c|g)es$|(?<![td])ed$", word):
        word = word[:-1]
    groups = re.findall(r"[aeiouy]+", word)
    count = len(groups) - (1 if word.endswith("e") and len(groups) > 1 and not word.endswith("le") else 0)
    return max(count, 1)


# Names are read as one unit, whatever their length: a drug, a brand, a product (from the shipped templates'
# titles, capitalised words) and the medicines the templates name in lower case.
_MEDICINES = {"acetaminophen", "antihistamine", "hyaluronidase", "leukapheresis"}


def names() -> frozenset[str]:
    """Return the words that are names: every capitalised word of a shipped regimen's titles, brands and drug."""
    from scheduler.catalog.loader import load_regimens

    found = set(_MEDICINES) | {w.lower() for w in (*calendar.day_name, *calendar.month_name) if w}
    for regimen in load_regimens().regimens:
        titles = [regimen.title, regimen.event_title, *regimen.brands, *(s.title for s in regimen.steps)]
        found |= {w.lower() for title in titles for w in _WORD.findall(title) if w[0].isupper()}
        found |= {w.lower() for w in _WORD.findall(f"{regimen.drug} {regimen.ingredient}")}  # the drug's own name
    profile = tomllib.loads(CLINIC_PROFILE.read_text(encoding="utf-8"))  # the clinic's name and address
    found |= {w.lower() for w in _WORD.findall(f"{profile['name']} {profile['address']}")}
    return frozenset(found)


def grade(sentence: str, named: frozenset[str] = frozenset()) -> float:
    """Return the Flesch-Kincaid grade of one sentence (a name counts as one syllable)."""
    words = _WORD.findall(sentence)
    if not words:
        return 0.0
    count = sum(1 if w.lower() in named else syllables(w) for w in words)
    return 0.39 * len(words) + 11.8 * count / len(words) - 15.59


def sentences(text: str) -> Iterator[str]:
    """Yield the sentences of a text that have at least three words (a label or a date is not a sentence)."""
    for part in re.split(r"(?<=[.!?:;])\s+|\n+", text):
        if len(_WORD.findall(part)) >= 3:
            yield part.strip()


def _handout_text(page: str) -> str:
    """Return a handout's paragraphs and list items, one a line (table cells are data, not sentences)."""
    page = re.sub(r"<style>.*?</style>|<table.*?</table>|<title>.*?</title>", "", page, flags=re.S)
    blocks = re.findall(r"<(p|li)[^>]*>(.*?)</\1>", page, flags=re.S)
    return "\n".join(html.unescape(re.sub(r"<[^>]+>", " ", body)) for _, body in blocks)


def _calendar_text(ics: str) -> str:
    """Return a calendar's summaries and descriptions, unfolded and unescaped, one line each."""
    text = ics.replace("\r\n", "\n").replace("\n ", "")
    # A SUMMARY, and a reminder that repeats it, is a title, not a sentence.
    found = [f for f in re.findall(r"^DESCRIPTION:(.*)$", text, flags=re.M) if not f.startswith("Reminder: ")]
    return "\n".join(re.sub(r"\\([,;\\])", r"\1", f).replace("\\n", "\n") for f in found)


def commands() -> list[str]:
    """Return a `txcal plan` command for every schedule of every shipped template, with and without a profile."""
    from scheduler.catalog.loader import shipped_template_paths

    found = []
    for command in template_cases(shipped_template_paths()).values():
        found += [command, command.replace("--time 09:00 --tz America/New_York", f"--clinic {CLINIC_PROFILE}")]
    return found


def patient_sentences(run: Callable[[str], str]) -> dict[str, str]:
    """Return every patient sentence of every shipped regimen's calendar and handout, with where it was first seen."""
    found: dict[str, str] = {}
    for command in commands():
        for fmt, text in (("ics", _calendar_text), ("html", _handout_text)):
            for sentence in sentences(text(run(f"{command} --format {fmt}"))):
                found.setdefault(sentence, f"{command.split()[1]} {fmt}")
    return found


def worst(found: dict[str, str], count: int = 10) -> list[tuple[float, str, str]]:
    """Return the hardest sentences, hardest first: (grade, sentence, where)."""
    named = names()
    return sorted(((round(grade(s, named), 1), s, w) for s, w in found.items()), reverse=True)[:count]


def _run(args: str) -> str:
    from click.testing import CliRunner

    from scheduler.cli import main

    result = CliRunner().invoke(main, shlex.split(args), catch_exceptions=False)
    return result.stdout


if __name__ == "__main__":
    for value, sentence, where in worst(patient_sentences(_run), int(sys.argv[1]) if len(sys.argv) > 1 else 15):
        print(f"{value:5.1f}  [{where}]  {sentence}")
