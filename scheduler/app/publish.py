"""Publishing to a CalDAV calendar: one plan, or each patient calendar of a batch folder to a collection of its own.

Each use case returns the report lines and how many events were edited in a calendar app (and so
not replaced); the front end prints them and fails when any were.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from pathlib import Path

from scheduler.errors import TxcalError
from scheduler.model import Plan


def check_target(url: str, allow_insecure: bool, credentials: Path | None) -> tuple[str, str, str]:
    """Return the collection URL (checked) and the user and password to publish with.

    Raises:
        TxcalError: the URL is not one to publish to, or no credentials are given.
    """
    from scheduler.publishers import caldav

    collection = caldav.check_url(url, allow_insecure)
    user, password = caldav.credentials(credentials)
    return collection, user, password


def publish_plan(
    plan: Plan,
    collection: str,
    user: str,
    password: str,
    stamp: datetime,
    state: Path | None,
    overwrite: bool,
    replace: bool,
) -> tuple[str, int]:
    """Publish one plan's events (one resource each, updated and cancelled in place); return the report and edits."""
    from scheduler.publishers import caldav

    report = caldav.publish(
        plan,
        caldav.Server(collection, user, password),
        stamp,
        state or caldav.default_state(collection, plan.plan_id),
        plan.request.reminders,
        overwrite,
        replace,
    )
    return report.describe(collection), len(report.edited)


def publish_folder(
    folder: Path,
    collection: str,
    user: str,
    password: str,
    stamp: datetime,
    state: Path | None,
    overwrite: bool,
    replace: bool,
) -> Iterator[tuple[str, int]]:
    """Publish each patient calendar of a batch folder to URL/<file name>/; yield each file's report and edits.

    Every file is read and checked before the first one is published: all or nothing.

    Raises:
        TxcalError: a file of the folder is not one to publish, or a server refuses one (named).
    """
    from scheduler.app.batch_files import patient_calendars
    from scheduler.publishers import caldav

    for path, data, plan_id in patient_calendars(folder):
        target = f"{collection}{path.stem}/"
        state_path = (
            state.with_name(f"{state.stem}-{path.stem}{state.suffix}")
            if state
            else caldav.default_state(target, plan_id)
        )
        try:
            report = caldav.publish_file(
                data, caldav.Server(target, user, password), stamp, state_path, overwrite, replace
            )
        except caldav.PublishError as exc:
            raise TxcalError(f"{path.name}: {exc}") from None
        yield f"{path.name}: {report.describe(target)}", len(report.edited)
