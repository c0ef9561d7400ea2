"""The batch use case: a patient list planned into a folder (a calendar each, clinic.ics, the manifest).

A front end (the CLI's `txcal batch`) gives the user's choices as `BatchOptions`; everything a batch
checks before it plans, and the process setting it runs under, is here, so a second front end calls
`batch_list` and copies nothing. The machinery is in scheduler.app.batching.
"""

from __future__ import annotations

import contextlib
import gc
from collections.abc import Callable, Iterator
from datetime import date, datetime
from pathlib import Path

from scheduler.app.batching.folder import CLINIC_FILE, MANIFEST_FILE, survey
from scheduler.app.batching.run import BatchResult, run_batch
from scheduler.app.batching.settings import BatchOptions, Settings
from scheduler.app.plans import open_catalog
from scheduler.errors import TxcalError

__all__ = [
    "CLINIC_FILE",
    "MANIFEST_FILE",
    "BatchOptions",
    "BatchResult",
    "batch_list",
    "collector_for_batch",
    "list_size",
    "run_batch",
]


def batch_list(
    patients: Path,
    options: BatchOptions,
    stamp: datetime,
    today: date,
    progress: Callable[[int], None] = lambda n: None,
) -> tuple[BatchResult, list[str]]:
    """Plan every row of PATIENTS into `options.out_dir`; return the result and the catalog's notes.

    Checked before anything is written: the list's header, every template, the folder, and OR-Tools
    for exact levelling.

    Raises:
        TxcalError: one of those checks fails, or the batch cannot be written or booked.
    """
    survey(patients)  # the header, before anything is written
    _, notes = open_catalog(options.template_dirs)  # a broken template stops the batch before any row
    if options.level == "exact":
        from scheduler.clinic.exact import available

        if not available():
            raise TxcalError("--level exact needs OR-Tools: pip install 'txcal[solver]', or use --level")
    try:
        options.out_dir.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise TxcalError(f"cannot make the folder {options.out_dir}: {exc.strerror}") from None
    settings = Settings(options, stamp, patients.parent, today=today)
    with collector_for_batch():
        return run_batch(patients, settings, progress, options.level is not None), notes


def list_size(patients: Path) -> int:
    """Return how many patients a list holds (for a progress bar), its header checked."""
    return survey(patients)[0]


@contextlib.contextmanager
def collector_for_batch() -> Iterator[None]:
    """Set the cycle collector for a batch (workers inherit it), and back after it.

    A batch makes millions of short-lived records and no cycles: the collector runs less often, and
    what is loaded so far (templates, zones) is set aside from it.
    """
    threshold = gc.get_threshold()
    gc.freeze()
    gc.set_threshold(50_000, 50, 50)
    try:
        yield
    finally:
        gc.unfreeze()
        gc.set_threshold(*threshold)
