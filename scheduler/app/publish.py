"""Publishing to a CalDAV calendar: one plan, or each patient calendar of a batch folder to a collection of its own.

Each use case returns the report lines and how many events were edited in a calendar app (and so
not replaced); the front end prints them and fails when any were.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from scheduler.errors import TxcalError
from scheduler.model import Plan


@dataclass(frozen=True)
class Target:
    """Where and how to publish: the collection, who publishes, the time stamp, the state file, what may be replaced."""

    collection: str
    user: str
    password: str
    stamp: datetime
    state: Path | None = None  # where the events' ETags are kept between runs (default: per collection and plan)
    overwrite: bool = False  # replace events edited in a calendar app
    replace: bool = False  # cancel the events of another plan the collection holds


def check_target(url: str, allow_insecure: bool, credentials: Path | None) -> tuple[str, str, str]:
    """Return the collection URL (checked) and the user and password to publish with.

    Raises:
        TxcalError: the URL is not one to publish to, or no credentials are given.
    """
    from scheduler.publishers import caldav

    collection = caldav.check_url(url, allow_insecure)
    user, password = caldav.credentials(credentials)
    return collection, user, password


def publish_plan(plan: Plan, target: Target) -> tuple[str, int]:
    """Publish one plan's events (one resource each, updated and cancelled in place); return the report and edits.
    A patient who reads another language than English is refused: what is published is English so far."""
    from scheduler.i18n import english_only
    from scheduler.publishers import caldav

    english_only(plan.request.language, "publish")
    report = caldav.publish(
        plan,
        caldav.Server(target.collection, target.user, target.password),
        target.stamp,
        target.state or caldav.default_state(target.collection, plan.plan_id),
        plan.request.reminders,
        target.overwrite,
        target.replace,
    )
    return report.describe(target.collection), len(report.edited)


def publish_folder(folder: Path, target: Target) -> Iterator[tuple[str, int]]:
    """Publish each patient calendar of a batch folder to URL/<file name>/; yield each file's report and edits.

    Every file is read and checked before the first one is published: all or nothing.

    Raises:
        TxcalError: a file of the folder is not one to publish, or a server refuses one (named).
    """
    from scheduler.app.batching.folder import patient_calendars
    from scheduler.publishers import caldav

    state = target.state
    for path, data, plan_id in patient_calendars(folder):
        collection = f"{target.collection}{path.stem}/"
        state_path = (
            state.with_name(f"{state.stem}-{path.stem}{state.suffix}")
            if state
            else caldav.default_state(collection, plan_id)
        )
        server = caldav.Server(collection, target.user, target.password)
        try:
            report = caldav.publish_file(data, server, target.stamp, state_path, target.overwrite, target.replace)
        except caldav.PublishError as exc:
            raise TxcalError(f"{path.name}: {exc}") from None
        yield f"{path.name}: {report.describe(collection)}", len(report.edited)
