"""Publish plans to a CalDAV calendar collection (RFC 4791): one resource per event, named by its UID.

Written on the standard library's HTTP client rather than the `caldav` package: publishing needs
exactly five requests (PROPFIND, MKCALENDAR, REPORT, PUT, and nothing else), and full control of
the If-Match / If-None-Match headers that keep an edit made in a calendar app from being silently
overwritten. Events that leave the plan are sent once more as CANCELLED rather than deleted, as
the .ics export does, so apps that synced them strike them through instead of losing them
silently. Resources txcal did not write, or that belong to another plan, are never touched.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from urllib.parse import quote, urlsplit

import defusedxml.ElementTree as defused

from scheduler.files import write_atomic
from scheduler.ical import (
    PLAN_PROPERTY,
    EventBlock,
    calendar_name,
    calendar_text,
    cancelled_event,
    parse,
    read_event,
    to_ics,
    txcal_plan_id,
    unfolded,
    zone_years,
)
from scheduler.model import Plan
from scheduler.publishers.caldav_http import (
    PASSWORD_ENV,
    USER_ENV,
    PublishError,
    Server,
    check_url,
    credentials,
    safe_url,
)

# The publisher's surface: its server and errors come from caldav_http, named here for its callers.
__all__ = [
    "PASSWORD_ENV",
    "USER_ENV",
    "PublishError",
    "Report",
    "Server",
    "check_url",
    "credentials",
    "default_state",
    "publish",
    "publish_file",
]

_DAV, _CALDAV = "DAV:", "urn:ietf:params:xml:ns:caldav"
_QUERY = (
    b'<?xml version="1.0" encoding="utf-8"?>'
    b'<C:calendar-query xmlns:D="DAV:" xmlns:C="urn:ietf:params:xml:ns:caldav">'
    b"<D:prop><D:getetag/><C:calendar-data/></D:prop>"
    b'<C:filter><C:comp-filter name="VCALENDAR"><C:comp-filter name="VEVENT"/></C:comp-filter></C:filter>'
    b"</C:calendar-query>"
)


@dataclass
class Report:
    """What a publish did."""

    created: int = 0
    updated: int = 0
    cancelled: int = 0
    unchanged: int = 0
    edited: list[str] = field(default_factory=list)  # events edited in a calendar app, left as they are

    def describe(self, url: str) -> str:
        text = (
            f"Published to {safe_url(url)}: {self.created} new, {self.updated} updated, {self.cancelled} cancelled, "
            f"{self.unchanged} unchanged."
        )
        if self.edited:
            text += (
                f" {len(self.edited)} edited in a calendar app since txcal wrote them, left as they are: "
                + ", ".join(self.edited)
                + "; --overwrite replaces them with the plan."
            )
        return text


@dataclass
class _Resource:
    href: str
    etag: str
    block: EventBlock
    plan_id: str | None


def _resources(server: Server) -> dict[str, _Resource]:
    """Return the collection's events by UID, with their href and ETag (one REPORT)."""
    path = urlsplit(server.url).path
    status, _, body = server.request("REPORT", path, _QUERY, {"Depth": "1", "Content-Type": "application/xml"})
    if status != 207:
        raise PublishError(f"the server answered {status} to listing the calendar {safe_url(server.url)}")
    found = {}
    try:
        # defusedxml: a hostile server's entity expansions or external entities are refused.
        root = defused.fromstring(body)
    except (defused.ParseError, ValueError) as exc:
        raise PublishError(f"the server's answer to listing {safe_url(server.url)} is not CalDAV XML ({exc})") from None
    for response in root.iter(f"{{{_DAV}}}response"):
        href = response.findtext(f"{{{_DAV}}}href") or ""
        etag = response.findtext(f".//{{{_DAV}}}getetag") or ""
        data = response.findtext(f".//{{{_CALDAV}}}calendar-data") or ""
        if not data:
            continue
        try:
            calendar = parse(data)[0]
        except (ValueError, IndexError):
            continue  # not a calendar txcal can read, so not one it wrote: left alone
        plan = calendar.first(PLAN_PROPERTY)
        for component in calendar.walk("VEVENT"):
            sequence = component.first("SEQUENCE")
            if sequence is not None and not sequence.value.strip().isdigit():
                raise PublishError(
                    f"the server's copy of {href} has SEQUENCE:{sequence.value[:20]!r}, which is not a number: it "
                    "was changed outside txcal; fix or remove that event in the calendar, then publish again"
                )
            block = read_event(component)
            found[block.uid] = _Resource(href, etag, block, plan.value if plan else None)
    return found


def _ensure_collection(server: Server, name: str) -> None:
    path = urlsplit(server.url).path
    status, _, _ = server.request("PROPFIND", path, b"", {"Depth": "0", "Content-Type": "application/xml"})
    if status == 207:
        return
    if status != 404:
        raise PublishError(f"the server answered {status} to looking up the calendar {safe_url(server.url)}")
    body = (
        '<?xml version="1.0" encoding="utf-8"?><C:mkcalendar xmlns:D="DAV:" xmlns:C="urn:ietf:params:xml:ns:caldav">'
        f"<D:set><D:prop><D:displayname>{_xml(name)}</D:displayname></D:prop></D:set></C:mkcalendar>"
    ).encode()
    status, _, _ = server.request("MKCALENDAR", path, body, {"Content-Type": "application/xml"})
    if status not in (201, 200):
        raise PublishError(
            f"the server answered {status} to creating the calendar {safe_url(server.url)}; create it in its web interface"
        )


def _xml(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _state(path: Path) -> dict[str, str]:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return {}
    except (OSError, ValueError):
        data = None
    if not isinstance(data, dict):
        raise PublishError(
            f"cannot read the publish state {path}; delete it to start afresh (edits made in apps are then not detected)"
        )
    return {str(k): str(v) for k, v in data.items()}


def publish(
    plan: Plan,
    server: Server,
    stamp: datetime,
    state_path: Path,
    reminders: Sequence[timedelta] = (),
    overwrite: bool = False,
    replace: bool = False,
) -> Report:
    """Bring the collection in line with the plan: create, update and cancel its events, nothing else.

    The ETag each event had when txcal last wrote it is kept in `state_path`; an event whose ETag
    has changed since was edited elsewhere (in a calendar app) and is left as it is unless
    `overwrite`. Every write is conditional (If-Match, If-None-Match), so an edit made during the run
    is not overwritten either. After an interruption, running again finishes the job: every event
    is one resource named by its UID, so nothing is duplicated.

    Raises:
        PublishError: the server cannot be reached, refuses the credentials, or rejects a write.
    """
    name = calendar_name(plan)
    remote = _prepare(server, name, plan.plan_id, state_path, replace)
    previous = calendar_text(name, plan.plan_id, {}, (r.block.text for r in remote.values()))
    export = to_ics(plan, stamp, reminders, previous.encode("utf-8"))
    return _sync(server, name, plan.plan_id, export.blocks, remote, state_path, overwrite)


def publish_file(
    data: bytes, server: Server, stamp: datetime, state_path: Path, overwrite: bool = False, replace: bool = False
) -> Report:
    """Publish a calendar file txcal wrote (a batch's patient file) as it stands.

    Its events go to the collection as they are; the collection's events of the same plan that the
    file no longer has are cancelled.

    Raises:
        PublishError: the file is not a txcal calendar, or as for `publish`.
    """
    plan_id = txcal_plan_id(data)
    if plan_id is None:
        raise PublishError("not a calendar txcal wrote: publish txcal's own .ics files")
    calendar = parse(data.decode("utf-8"))[0]
    title = calendar.first("NAME")
    name = title.value if title else "txcal"
    blocks = [read_event(component) for component in calendar.walk("VEVENT")]
    odd = [block.uid for block in blocks if not _PLAIN_UID.fullmatch(block.uid)]
    if odd:  # before any request: a UID names the resource written, and must not reach another collection
        raise PublishError(
            f"{len(odd)} events have a UID that is not a plain name (such as {odd[0][:60]!r}): the file was not "
            "written by txcal or was edited; write it again with txcal before publishing"
        )
    remote = _prepare(server, name, plan_id, state_path, replace)
    kept = {block.uid for block in blocks}
    for uid, resource in remote.items():
        if uid not in kept and resource.block.props.get("STATUS") != "STATUS:CANCELLED":
            sequence = int(resource.block.props.get("SEQUENCE", "SEQUENCE:0").split(":", 1)[1])
            blocks.append(cancelled_event(resource.block, sequence + 1, stamp))
    return _sync(server, name, plan_id, blocks, remote, state_path, overwrite)


def _prepare(server: Server, name: str, plan_id: str, state_path: Path, replace: bool) -> dict[str, _Resource]:
    """Make sure the collection exists; return the plan's events already in it, by UID.

    With `replace`, every txcal event of the collection counts as the plan's, so those of another
    plan (before a corrected start date) are cancelled; events txcal did not write stay untouched.

    Raises:
        PublishError: the collection holds another txcal plan's live events and `replace` is not given.
    """
    _ensure_collection(server, name)
    state_path.parent.mkdir(parents=True, exist_ok=True)
    found = _resources(server)
    others = sorted(
        {
            r.plan_id
            for r in found.values()
            if r.plan_id not in (None, plan_id) and r.block.props.get("STATUS") != "STATUS:CANCELLED"
        }
    )
    if others and not replace:
        raise PublishError(
            f"the calendar {safe_url(server.url)} holds another txcal plan ({', '.join(others)}): add --replace to "
            "publish this plan into it and cancel every event of the other, or publish to another calendar"
        )
    return {uid: r for uid, r in found.items() if r.plan_id == plan_id or (replace and r.plan_id is not None)}


def _title(block: EventBlock) -> str:
    return unfolded(block.props["SUMMARY"]).split(":", 1)[1].replace("\\,", ",")


# A UID the resource's name is made from: letters, digits and a few marks, no slash and no dot-dot.
_PLAIN_UID = re.compile(r"(?!.*\.\.)[A-Za-z0-9][A-Za-z0-9._@+=-]{0,254}")


def _sync(
    server: Server,
    name: str,
    plan_id: str,
    blocks: Sequence[EventBlock],
    remote: dict[str, _Resource],
    state_path: Path,
    overwrite: bool,
) -> Report:
    """Write each event that differs from the collection's copy, conditionally on its ETag."""
    known = _state(state_path)
    collection = urlsplit(server.url).path
    report = Report()
    for block in blocks:
        resource = remote.get(block.uid)
        if (
            resource is not None
            and block.same_content(resource.block)
            and block.props.get("SEQUENCE") == resource.block.props.get("SEQUENCE")
        ):
            report.unchanged += 1
            continue
        if resource is not None and known.get(resource.href) not in (None, resource.etag) and not overwrite:
            report.edited.append(_title(block))
            continue
        href = resource.href if resource else collection + quote(block.uid.split("@")[0], safe="") + ".ics"
        data = (calendar_text(name, plan_id, zone_years([block]), [block.text])).encode("utf-8")
        condition = {"If-Match": resource.etag} if resource else {"If-None-Match": "*"}
        status, headers, _ = server.request("PUT", href, data, condition)
        if status == 412:
            report.edited.append(_title(block))
            continue
        if status == 409:
            raise PublishError(
                f"the server refused {href} (409 Conflict): it holds this event's UID under another name; remove that copy and publish again"
            )
        if status not in (200, 201, 204):
            raise PublishError(
                f"the server answered {status} to writing {href}; publish again, or check the server's log"
            )
        known[href] = headers.get("etag", "")
        # Saved after every write, so an interrupted run resumes with what it had done.
        write_atomic(state_path, json.dumps(known, indent=1, sort_keys=True).encode("utf-8"))
        if resource is None:
            report.created += 1
        elif (
            block.props.get("STATUS") == "STATUS:CANCELLED" and resource.block.props.get("STATUS") != "STATUS:CANCELLED"
        ):
            report.cancelled += 1
        else:
            report.updated += 1
    return report


def default_state(url: str, plan_id: str) -> Path:
    """Return where the ETags of a plan's events in a collection are kept between runs."""
    import hashlib

    home = Path(os.environ.get("XDG_STATE_HOME") or Path.home() / ".local" / "state")
    key = hashlib.sha256(f"{url}|{plan_id}".encode()).hexdigest()[:16]
    return home / "txcal" / f"caldav-{key}.json"
