"""A batch's rows, a chunk at a time: in this process for a small list, in worker processes for a large one,
in row order and with few chunks in flight, so memory stays flat however long the list."""

from __future__ import annotations

import collections
import dataclasses
import itertools
import os
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import Any

from scheduler.app.batching.rows import assign_files
from scheduler.app.batching.settings import Settings, booked_as
from scheduler.inputs.patient_list import iter_rows


def worker_count(rows: int) -> int:
    """Use every core for a large list; a small one is quicker in one process than starting workers."""
    return 1 if rows < 200 else min(os.cpu_count() or 1, 4)


def chunk_size(rows: int, workers: int) -> int:
    """Rows per chunk: large enough to keep the workers' hand-offs few, small enough to share the work out."""
    return max(10, min(100, rows // (workers * 4)))


def in_workers(
    work: Callable[[Settings, list[Any]], list[Any]],
    patients: Path,
    settings: Settings,
    total: int,
    workers: int,
    progress: Callable[[int], None],
) -> Iterator[list[Any]]:
    """Yield `work` done on every chunk of rows, in row order: in this process, or in worker processes."""
    chunks = _chunks(assign_files(iter_rows(patients)), chunk_size(total, workers))
    if workers == 1:
        for chunk in chunks:
            yield work(settings, chunk)
            progress(len(chunk))
        return
    import multiprocessing

    # POSIX only (setup.cfg says so): forked workers share the loaded templates without pickling them.
    with multiprocessing.get_context("fork").Pool(workers) as pool:
        for done, size in _bounded(pool, work, settings, chunks, workers * 2):
            yield done
            progress(size)


def _chunks(rows: Iterator[Any], size: int) -> Iterator[list[Any]]:
    while chunk := list(itertools.islice(rows, size)):
        yield chunk


def _bounded(
    pool: Any, work: Callable[[Settings, list[Any]], list[Any]], settings: Settings, chunks: Iterable[Any], window: int
) -> Iterator[tuple[list[Any], int]]:
    """Yield the workers' results in row order (with each chunk's size), at most `window` chunks in flight.

    Pool.imap would queue every finished chunk while the clinic file is written; this keeps the
    memory flat however long the list.
    """
    pending: collections.deque[Any] = collections.deque()
    for chunk in chunks:
        pending.append((pool.apply_async(work, (_for_chunk(settings, chunk), chunk)), len(chunk)))
        if len(pending) >= window:
            job, size = pending.popleft()
            yield job.get(), size
    while pending:
        job, size = pending.popleft()
        yield job.get(), size


def _for_chunk(settings: Settings, chunk: list[Any]) -> Settings:
    """Return the settings a worker needs for a chunk: only its rows' seats and kept lines travel with it."""
    if settings.seats:
        patients = {booked_as(cells, name) for _, cells, name in chunk}
        settings = dataclasses.replace(settings, seats={p: s for p, s in settings.seats.items() if p in patients})
    if settings.kept:
        kept = settings.kept
        settings = dataclasses.replace(settings, kept={name: kept[name] for _, _, name in chunk if name in kept})
    return settings
