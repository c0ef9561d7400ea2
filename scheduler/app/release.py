"""Letting a patient go: `txcal release` as a use case.

A patient who leaves the clinic's care (or a row dropped from the list, or a patient relabelled) keeps
their booked chairs until someone lets them go. Release frees the patient's booked visits from a day
on (today by default, never before: what happened stays), cancels them in the patient's calendar and
the clinic calendar, and records why in the book's history; later batches plan nothing for that plan
from that day on.
"""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path

from scheduler.app.batching.rewrite import FilesFollow, booked_patient, clean_reason, profile_with_book, write_again
from scheduler.app.feeds import feed_said, write_feeds
from scheduler.clinic.book import open_book
from scheduler.errors import TxcalError


def release_patient(
    profile_path: Path, patient: str, first: date | None, reason: str, stamp: datetime, today: date
) -> str:
    """Let a booked patient go from `first` (default today) on; return what was done, in a sentence.

    Raises:
        TxcalError: no book, no such patient, or a day before today.
    """
    clean_reason(reason)
    first = first or today
    if first < today:
        raise TxcalError(f"--from {first} is before today ({today}): visits that have happened are never released")
    profile, book_path = profile_with_book(profile_path)
    why = reason or "released by the clinic"
    with FilesFollow("nobody was released") as files, open_book(book_path, "release", stamp) as book:
        booked = booked_patient(book, patient)
        already = book.released().get(booked.plan_id)
        if already is not None and already <= first:  # a later day would book the visits between them again
            raise TxcalError(
                f"{patient} was released from {already} on already; nothing to do (to book them again, run txcal "
                "batch with a corrected row: a new plan)"
            )
        freed = book.release(booked.plan_id, first, why)
        written = write_again(book, booked, profile_path, stamp, today, files, first, f"released: {why}")
        fed = feed_said(write_feeds(book, profile, today, files, [booked]))  # kept 14 days, visits struck out
    return f"Released {patient} from {first} on: {freed} chair visits freed; {written}{fed}"
