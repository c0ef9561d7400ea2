"""Patient feeds (issue 35): each booked patient's calendar as a file a calendar app subscribes to.

A feed is the patient's calendar (the same UIDs and SEQUENCE) with refresh hints (RFC 7986
REFRESH-INTERVAL, Outlook's X-PUBLISHED-TTL), named by an unguessable token in the profile's
`feed_dir`, which any web server serves as static files. The patient-to-token list is a 0600 file
beside the book (`BOOK.feeds`), never in the served folder. Every command that changes the book
writes the feeds it changed inside its FilesFollow, so the book and its feeds change together.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable
from datetime import date, datetime, timedelta
from pathlib import Path

from scheduler.app.batching.rewrite import FilesFollow, booked_patient, profile_with_book
from scheduler.clinic.book import Book, open_book
from scheduler.clinic.booking import BookedPlan
from scheduler.clinic.feed_tokens import TOKEN, addresses, new_token, read_tokens, tokens_path, write_tokens
from scheduler.errors import TxcalError
from scheduler.files import read_existing, write_atomic
from scheduler.i18n import N_, _
from scheduler.i18n.render import written_in
from scheduler.i18n.tags import parse_language, patient_language
from scheduler.ical import Component, ContentLine, escape, folded, moment, parse, unescape
from scheduler.inputs.clinic_profile import FeedSettings, feed_settings
from scheduler.model import ClinicProfile
from scheduler.wording import plural, review_note

KEEP_CANCELLED = timedelta(days=14)  # a cancelled visit stays this long after its day, so apps strike it out
_CALENDAR_KEEP = ("VERSION", "PRODID", "CALSCALE")
# Minimal detail: what a leaked feed may show. No SUMMARY or DESCRIPTION of the plan (drug, dose, side effects).
_MINIMAL_KEEP = frozenset(
    {"DTSTART", "DTEND", "DURATION", "DTSTAMP", "UID", "SEQUENCE", "LAST-MODIFIED", "LOCATION", "STATUS", "TRANSP"}
)
# The visit kind in plain words, by the calendar's CATEGORIES (scheduler.model.EVENT_KINDS); in the patient's
# language where the feed is written (scheduler.i18n).
_KIND_WORDS = {
    "Dose": N_("Treatment"),
    "Chemotherapy": N_("Treatment"),
    "Infusion": N_("Treatment"),
    "Premedication": N_("Medicine before treatment"),
    "Collection": N_("Cell collection"),
    "Monitoring": N_("Check-up"),
    "Milestone": N_("Treatment milestone"),
    "Watch": N_("Watch for symptoms"),
    "Lab": N_("Lab test"),
    "Visit": N_("Clinic visit"),
    "Imaging": N_("Scan"),
}


def feed_text(calendar: bytes, profile: ClinicProfile, feeds: FeedSettings, patient: str, today: date) -> bytes:
    """Return a patient's feed from their calendar: refresh hints, a title without their label, cancelled visits
    kept 14 days after their day, and (minimal detail) each visit's kind, time, place and the clinic's phone.

    Raises:
        TxcalError: the calendar cannot be read.
    """
    try:
        (root,) = parse(calendar.decode("utf-8"))
    except ValueError as exc:
        raise TxcalError(f"{patient}'s calendar cannot be read for the feed ({exc}): run txcal batch again") from None
    visits = _("Treatment visits")
    title = escape(f"{visits} - {profile.name}" if profile.name else visits)
    lines = ["BEGIN:VCALENDAR", *(line.text for line in root.lines if line.name in _CALENDAR_KEEP)]
    lines += [f"NAME:{title}", f"X-WR-CALNAME:{title}"]
    lines += [f"REFRESH-INTERVAL;VALUE=DURATION:{feeds.refresh}", f"X-PUBLISHED-TTL:{feeds.refresh}"]
    for child in root.children:
        if child.name == "VTIMEZONE":
            lines += [line.text for line in child.all_lines()]
        elif child.name == "VEVENT" and not _expired(child, today):
            lines += _event_lines(child, profile, feeds.detail, patient)
    lines.append("END:VCALENDAR")
    return "".join(folded(line) + "\r\n" for line in lines).encode("utf-8")


def _expired(event: Component, today: date) -> bool:
    """Return whether a cancelled visit's 14 days in the feed are over."""
    status, start = event.first("STATUS"), event.first("DTSTART")
    if status is None or status.value != "CANCELLED" or start is None:
        return False
    day = moment(start)
    day = day.date() if isinstance(day, datetime) else day
    return day is not None and day + KEEP_CANCELLED < today


def _event_lines(event: Component, profile: ClinicProfile, detail: str, patient: str) -> list[str]:
    if detail == "full":
        return [_without_label(line, f"{escape(patient)}: ") for line in event.all_lines()]
    kind = event.first("CATEGORIES")
    words = _(_KIND_WORDS.get(unescape(kind.value), N_("Visit")) if kind is not None else N_("Visit"))
    contact = ", ".join(part for part in (profile.name, profile.phone) if part)
    about = _("Your handout has the details of this visit.")
    if contact:
        about += " " + _("Questions: {contact}.").format(contact=contact)
    about = " ".join((about, *review_note()))
    texts = [line.text for line in event.lines if line.name in _MINIMAL_KEEP]
    return ["BEGIN:VEVENT", f"SUMMARY:{escape(words)}", *texts, f"DESCRIPTION:{escape(about)}", "END:VEVENT"]


def _without_label(line: ContentLine, label: str) -> str:
    """Return a title line without the patient's label: the clinic's name for them, not for their app."""
    if line.name not in ("SUMMARY", "DESCRIPTION"):
        return line.text
    value = re.sub(f"(^|: ){re.escape(label)}", r"\1", line.value, count=1)  # a title, or a reminder's "Reminder: "
    return line.text[: len(line.text) - len(line.value)] + value


def feed_folder(profile_path: Path) -> Path:
    """Return the feed folder of a clinic profile that keeps a book and names one (what `txcal feed serve` serves)."""
    profile, _ = profile_with_book(profile_path)
    return feeds_on(profile).folder.resolve()


def is_feed_name(name: str) -> bool:
    """Return whether a file name is a feed's: a token and .ics, nothing else (no listing, no other file)."""
    return name.endswith(".ics") and TOKEN.fullmatch(name.removesuffix(".ics")) is not None


def feeds_on(profile: ClinicProfile) -> FeedSettings:
    """Return the profile's feed settings, its feed folder made when missing.

    Raises:
        TxcalError: the profile turns no feeds on, or keeps its book in the feed folder.
    """
    feeds, book = feed_settings(profile), profile.book_path
    if feeds is None:
        raise TxcalError(f'{profile.path} turns no patient feeds on: add feed_dir = "feeds" to the profile')
    folder = feeds.folder
    if book is not None and tokens_path(book).resolve().is_relative_to(folder.resolve()):
        raise TxcalError(
            f"{profile.path}: the feed folder {folder} holds the clinic book, whose feed token list a web server "
            'would then serve: give feed_dir a folder of its own, such as "feeds"'
        )
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise TxcalError(
            f"cannot make the feed folder {folder}: {exc.strerror}; fix feed_dir or its permissions"
        ) from None
    return feeds


def check_feeds(profile: ClinicProfile) -> None:
    """Check the profile's feed folder before a command writes anything (a batch's calendars come first).

    Raises:
        TxcalError: the feed folder cannot be made or holds the book.
    """
    if feed_settings(profile) is not None:
        feeds_on(profile)


def write_feeds(
    book: Book, profile: ClinicProfile, today: date, files: FilesFollow, plans: Iterable[BookedPlan] | None = None
) -> tuple[int, int]:
    """Write the feeds of `plans` (all booked plans when None) from their calendars, in the command's unit of
    work; a feed whose bytes are unchanged is left alone (its ETag stays). Return (written, removed).

    A released patient loses their feed and token once the release and each cancelled visit are 14 days past; a
    full build also removes files in the feed folder that no token names (a rotated or restored list).
    """
    if feed_settings(profile) is None:  # the profile turns no feeds on
        return 0, 0
    feeds = feeds_on(profile)
    folder, path = feeds.folder, tokens_path(book.path)
    tokens = read_tokens(path)
    before = dict(tokens)
    released = book.released()
    written = removed = 0
    for booked in book.plans() if plans is None else plans:
        calendar = read_existing(book.file(booked.calendar))
        if calendar is None:
            continue  # nothing told yet: the batch writes it
        language = patient_language(_asked_language(booked), profile.language)
        data = written_in(language, functools.partial(feed_text, calendar, profile, feeds, booked.patient, today))
        gone = released.get(booked.plan_id)
        if gone is not None and gone + KEEP_CANCELLED < today and b"STATUS:CANCELLED" not in data:
            # Released, and every cancelled visit has had its 14 days: the feed goes, its link answers 404.
            if booked.patient in tokens:
                removed += _remove(folder / f"{tokens.pop(booked.patient)}.ics", files)
            continue
        token = tokens.get(booked.patient)
        if token is None:
            token = tokens[booked.patient] = new_token()
        target = folder / f"{token}.ics"
        if read_existing(target) != data:
            files.keep(target)
            write_atomic(target, data)
            written += 1
    if plans is None:
        named = {f"{token}.ics" for token in tokens.values()}
        removed += sum(_remove(old, files) for old in folder.glob("*.ics") if old.name not in named)
    if tokens != before:
        write_tokens(path, tokens, files.keep)
    return written, removed


def _asked_language(booked: BookedPlan) -> str | None:
    """Return the language a booked patient's row asked for (its `language` cell), or None."""
    cell = booked.cells.get("language", "").strip()
    try:
        return parse_language(cell) if cell else None
    except ValueError:
        return None  # the row was refused when it was planned; its calendar is the one written


def feed_said(done: tuple[int, int]) -> str:
    """Return what a command that changed one patient did to their feed, to end its sentence ("" for nothing)."""
    written, removed = done
    return "; their feed rewritten" if written else "; their feed removed" if removed else ""


def _remove(path: Path, files: FilesFollow) -> int:
    files.keep(path)
    existed = path.is_file()
    path.unlink(missing_ok=True)
    return int(existed)


def build_feeds(profile_path: Path, stamp: datetime, today: date) -> str:
    """Write every booked patient's feed again from the book (after a restore, or daily so old cancellations drop
    out); return what was done, in a sentence.

    Raises:
        TxcalError: no book, no feeds in the profile, or a file that cannot be written.
    """
    profile, book_path = profile_with_book(profile_path)
    folder = feeds_on(profile).folder
    with FilesFollow("no feed was changed") as files, open_book(book_path, "feed", stamp) as book:
        written, removed = write_feeds(book, profile, today, files)
        count = len(read_tokens(tokens_path(book_path)))
    return f"{plural(count, 'patient feed')} in {folder}: {written} written, {removed} removed, the rest unchanged"


def feed_urls(profile_path: Path, patient: str, base: str | None) -> tuple[str, str]:
    """Return a booked patient's feed addresses: (webcal://..., https://...).

    Raises:
        TxcalError: no base address, no such patient, or no feed yet (run txcal feed build).
    """
    profile, book_path = profile_with_book(profile_path)
    base = (base or feeds_on(profile).base).rstrip("/")
    if not base.startswith("https://"):
        raise TxcalError(
            "give the https:// address the feed folder is served at: --base https://clinic.example/feeds, or "
            "feed_base in the profile"
        )
    token = read_tokens(tokens_path(book_path)).get(patient)
    if token is None:
        raise TxcalError(f"{patient} has no feed yet: check the label, then run txcal feed build --clinic FILE")
    return addresses(base, token)


def rotate_feed(profile_path: Path, patient: str, stamp: datetime, today: date) -> str:
    """Give a patient a new feed token and remove the old feed, so the old link answers 404 (a leaked link).

    Raises:
        TxcalError: no book, no feeds, no such patient.
    """
    profile, book_path = profile_with_book(profile_path)
    folder = feeds_on(profile).folder
    with FilesFollow("the old link still works") as files, open_book(book_path, "feed", stamp) as book:
        booked = booked_patient(book, patient)
        path = tokens_path(book_path)
        tokens = read_tokens(path)
        old = tokens.pop(patient, None)
        if old is not None:
            _remove(folder / f"{old}.ics", files)
        write_tokens(path, tokens, files.keep)
        write_feeds(book, profile, today, files, [booked])
    return f"{patient} has a new feed link (txcal feed url shows it); the old link no longer answers"
