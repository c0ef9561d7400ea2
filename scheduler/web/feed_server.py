"""`txcal feed serve`: the feed folder over HTTP, for trying feeds out and for tests (stdlib only).

Loopback by default. Only `<token>.ics` names answer (no listing, no other file, no link followed);
each answer carries an ETag and Last-Modified so a polling calendar app gets 304 when nothing changed.
Nothing is logged: a feed's path is its secret.
"""

from __future__ import annotations

import email.utils
import hashlib
import http.server
import os
import stat
from pathlib import Path

from scheduler.app.feeds import feed_folder, is_feed_name
from scheduler.errors import TxcalError

MAX_FEED = 64 * 2**20  # a feed is a patient's calendar: a few hundred kilobytes


class _FeedHandler(http.server.BaseHTTPRequestHandler):
    folder: Path  # set on the class made for one server
    server_version = "txcal-feed"
    sys_version = ""

    def do_GET(self) -> None:
        self._answer(body=True)

    def do_HEAD(self) -> None:
        self._answer(body=False)

    def log_message(self, format: str, *args: object) -> None:
        """Log nothing: a request line holds a patient's token."""

    def _answer(self, body: bool) -> None:
        found = self._read(self.path.split("?", 1)[0])
        if found is None:
            self._send(404, b"Not found\n", "text/plain; charset=utf-8", {}, body)
            return
        data, modified = found
        tag = '"' + hashlib.sha256(data).hexdigest()[:32] + '"'
        headers = {
            "ETag": tag,
            "Last-Modified": email.utils.formatdate(modified, usegmt=True),
            "Cache-Control": "no-cache",
        }
        if tag in self.headers.get("If-None-Match", "") or self._not_modified_since(modified):
            self._send(304, b"", "", headers, False)
            return
        self._send(200, data, "text/calendar; charset=utf-8", headers, body)

    def _not_modified_since(self, modified: float) -> bool:
        since = self.headers.get("If-Modified-Since")
        if not since or self.headers.get("If-None-Match"):
            return False
        parsed = email.utils.parsedate_tz(since)
        return parsed is not None and int(modified) <= email.utils.mktime_tz(parsed)

    def _read(self, path: str) -> tuple[bytes, float] | None:
        """Return a feed's bytes and modification time, or None for any name that is not a feed here."""
        name = path.removeprefix("/")
        if not is_feed_name(name):
            return None
        try:
            handle = os.open(self.folder / name, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK)
        except OSError:
            return None
        with os.fdopen(handle, "rb") as feed:
            facts = os.fstat(feed.fileno())
            if not stat.S_ISREG(facts.st_mode) or facts.st_size > MAX_FEED:
                return None
            return feed.read(), facts.st_mtime

    def _send(self, code: int, data: bytes, kind: str, headers: dict[str, str], body: bool) -> None:
        self.send_response(code)
        for key, value in headers.items():
            self.send_header(key, value)
        if code != 304:
            self.send_header("Content-Type", kind)
            self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        if body and data:
            self.wfile.write(data)


def feed_server(profile_path: Path, host: str, port: int) -> http.server.ThreadingHTTPServer:
    """Return a server of the profile's feed folder, bound and ready to serve_forever.

    Raises:
        TxcalError: no book or feeds in the profile, or the address cannot be bound.
    """
    handler = type("FeedHandler", (_FeedHandler,), {"folder": feed_folder(profile_path)})
    try:
        return http.server.ThreadingHTTPServer((host, port), handler)
    except OSError as exc:
        raise TxcalError(f"cannot serve on {host}:{port}: {exc.strerror}; choose another --port") from None
