"""Who holds which feed link: the patient-to-token list beside the clinic book, and a patient's link.

The list is a 0600 JSON file (`BOOK.feeds`), never in the served folder. A batch gives every listed
patient a token before their handout is written (in its unit of work), so the handout can carry the
link and its QR code from the first day; the feed itself is written once the book holds the plan.
"""

from __future__ import annotations

import json
import re
import secrets
from collections.abc import Callable, Iterable
from pathlib import Path

from scheduler.errors import TxcalError
from scheduler.files import read_existing, write_atomic
from scheduler.inputs.clinic_profile import feed_settings
from scheduler.model import ClinicProfile

TOKEN_BYTES = 24  # 192 random bits (the issue asks for at least 128): the URL is the feed's only key
TOKEN = re.compile(r"[A-Za-z0-9_-]{32}")  # what secrets.token_urlsafe(TOKEN_BYTES) gives


def tokens_path(book_path: Path) -> Path:
    """Return the patient-to-token list of a book: beside it, outside the feed folder (the profile checks)."""
    return book_path.with_name(book_path.name + ".feeds")


def read_tokens(path: Path) -> dict[str, str]:
    """Return each patient label's feed token.

    Raises:
        TxcalError: the list is damaged.
    """
    data = read_existing(path)
    if data is None:
        return {}
    try:
        tokens = json.loads(data)["tokens"]
        if not all(isinstance(k, str) and isinstance(v, str) and TOKEN.fullmatch(v) for k, v in tokens.items()):
            raise ValueError
    except (ValueError, KeyError, TypeError):
        raise TxcalError(
            f"the feed token list {path} is damaged: restore it from the backup of the clinic folder, or remove it "
            "and run txcal feed build (every patient then gets a new link)"
        ) from None
    return dict(tokens)


def write_tokens(path: Path, tokens: dict[str, str], keep: Callable[[Path], None]) -> None:
    """Write the token list; `keep` (the command's FilesFollow) puts it back if the command fails."""
    keep(path)
    data = json.dumps({"tokens": dict(sorted(tokens.items()))}, indent=1).encode("utf-8") + b"\n"
    write_atomic(path, data, mode=0o600)  # a bearer secret: readable by the clinic's account only


def new_token() -> str:
    return secrets.token_urlsafe(TOKEN_BYTES)  # random by design: a secret


def addresses(base: str, token: str) -> tuple[str, str]:
    """Return a feed's webcal:// and https:// addresses under the https:// address the folder is served at."""
    https = f"{base.rstrip('/')}/{token}.ics"
    return "webcal://" + https.removeprefix("https://"), https


def feed_links(
    profile: ClinicProfile, book_path: Path, patients: Iterable[str], keep: Callable[[Path], None]
) -> dict[str, str]:
    """Return the webcal:// link of each patient's feed, by label, giving a token to those without one; empty
    when the profile serves no feeds at a known https:// address (`feed_base`)."""
    feeds = feed_settings(profile)
    if feeds is None or not feeds.base.startswith("https://"):
        return {}
    path = tokens_path(book_path)
    tokens = read_tokens(path)
    before = dict(tokens)
    for patient in patients:
        if patient and patient not in tokens:
            tokens[patient] = new_token()
    if tokens != before:
        write_tokens(path, tokens, keep)
    return {patient: addresses(feeds.base, tokens[patient])[0] for patient in patients if patient in tokens}
