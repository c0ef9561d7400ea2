"""A CalDAV server over the standard library's HTTP client: credentials, a checked URL, bounded requests."""

from __future__ import annotations

import base64
import contextlib
import http.client
import ipaddress
import os
import socket
import threading
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import quote, urlsplit

from scheduler.errors import TxcalError

USER_ENV, PASSWORD_ENV = "TXCAL_CALDAV_USER", "TXCAL_CALDAV_PASSWORD"
# The most a server's answer may hold: a whole clinic's calendar is a few MB.
MAX_RESPONSE = 64 * 2**20
# The longest a request and its whole answer may take, however the server paces its bytes.
REQUEST_DEADLINE = 120.0


class PublishError(TxcalError):
    """The server could not be reached or refused a request; the message says what to do."""


def credentials(file: Path | None) -> tuple[str, str]:
    """Return (user, password) from a file's first line "user:password", or from the environment.

    Never from the command line, where other users of the machine can read them.

    Raises:
        PublishError: none are set, or the file cannot be read.
    """
    if file is not None:
        try:
            first = file.read_text(encoding="utf-8").splitlines()[0]
        except (OSError, IndexError, UnicodeDecodeError):
            raise PublishError(f"cannot read credentials from {file}: its first line must be user:password") from None
        name, _, secret = first.partition(":")
        return name, secret
    user, password = os.environ.get(USER_ENV), os.environ.get(PASSWORD_ENV)
    if not user or password is None:
        raise PublishError(f"no credentials: set {USER_ENV} and {PASSWORD_ENV}, or give --credentials FILE")
    return user, password


def check_url(url: str, allow_insecure: bool) -> str:
    """Return a collection URL (ending in /) that is https, or http on this machine, or allowed insecure.

    Raises:
        PublishError: the URL is not http(s), has a bad port or host, or is plain http to another machine.
    """
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018  (a bad port raises only when read)
    except ValueError as exc:
        raise PublishError(f"the calendar URL is not usable ({exc}); check the host and port") from None
    if parts.query or parts.fragment:
        raise PublishError(
            f"{safe_url(url)}: leave out the query (?...) and fragment (#...); a collection URL has neither"
        )
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise PublishError(f"{safe_url(url)} is not an http(s) URL of a calendar collection")
    if parts.username or parts.password:
        raise PublishError("put credentials in the environment or a file, not in the URL")
    if parts.scheme == "http" and not allow_insecure and not _loopback(parts.hostname):
        raise PublishError(
            f"{safe_url(url)} is plain http to another machine: the plan and your password would cross the network "
            "unencrypted; use https, or add --allow-insecure"
        )
    return url if url.endswith("/") else url + "/"


def _loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def safe_url(url: str) -> str:
    """Return a URL fit for a message: no user name, password, query (tokens travel there) or fragment."""
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        return "the URL given"
    host = parts.hostname or ""
    return parts._replace(netloc=host + (f":{port}" if port else ""), query="", fragment="").geturl()


@dataclass
class Server:
    """A CalDAV collection and how to talk to it."""

    url: str
    user: str
    password: str = field(repr=False)
    timeout: float = 20.0  # for any one read
    deadline: float | None = None  # for a whole request and its answer (default REQUEST_DEADLINE)

    def request(
        self, method: str, path: str, body: bytes = b"", headers: dict[str, str] | None = None
    ) -> tuple[int, dict[str, str], bytes]:
        """Send one request; return status, headers (lower-case names) and body.

        Raises:
            PublishError: the server cannot be reached, times out, or refuses the credentials.
        """
        parts = urlsplit(self.url)
        connection_type = http.client.HTTPSConnection if parts.scheme == "https" else http.client.HTTPConnection
        connection = connection_type(parts.hostname or "", parts.port, timeout=self.timeout)
        token = base64.b64encode(f"{self.user}:{self.password}".encode()).decode()
        sent = {"Authorization": f"Basic {token}", "Content-Type": "text/calendar; charset=utf-8", **(headers or {})}
        where = f"{parts.hostname}:{parts.port or (443 if parts.scheme == 'https' else 80)}"
        answers: list[tuple[http.client.HTTPResponse, bytes]] = []
        failures: list[BaseException] = []
        delivered: list[bool] = []  # the request went out: a failure after it is in the answer, not the connection

        def exchange() -> None:
            try:
                connection.request(method, quote(path, safe="/%:@!$&'()*+,;=-._~"), body=body, headers=sent)
                delivered.append(True)
                response = connection.getresponse()
                data = response.read(MAX_RESPONSE + 1)  # never more than a calendar can be
                answers.append((response, data))
            except BaseException as exc:  # handed to the caller's thread below
                failures.append(exc)

        # One deadline for the whole exchange: a server that trickles a byte at a time never trips a
        # per-read timeout. Past the deadline the socket is shut and the exchange ends.
        worker = threading.Thread(target=exchange, daemon=True)
        worker.start()
        deadline = REQUEST_DEADLINE if self.deadline is None else self.deadline
        worker.join(deadline)
        if worker.is_alive():
            with contextlib.suppress(OSError):
                if connection.sock is not None:
                    connection.sock.shutdown(socket.SHUT_RDWR)
            connection.close()
            worker.join(5)
            raise PublishError(
                f"the CalDAV server at {where} did not finish answering within {deadline:.0f} s; try again later"
            )
        connection.close()
        error = failures[0] if failures else None
        if isinstance(error, TimeoutError):
            raise PublishError(
                f"the CalDAV server at {where} did not answer within {self.timeout:.0f} s; try again later"
            ) from None
        if delivered and isinstance(error, (http.client.HTTPException, UnicodeError, ValueError)):
            raise PublishError(
                f"the CalDAV server at {where} answered {method} with something that is not a readable HTTP answer "
                f"({type(error).__name__}); the change may have been made: publish again to check"
            ) from None
        if isinstance(error, (OSError, http.client.HTTPException, UnicodeError, ValueError)):
            reason = getattr(error, "strerror", None) or type(error).__name__
            raise PublishError(
                f"cannot reach the CalDAV server at {where} ({reason}): check the URL and that the server runs"
            ) from None
        if error is not None:
            raise error  # a bug of txcal's own, not the server's
        response, data = answers[0]
        if len(data) > MAX_RESPONSE:
            raise PublishError(
                f"the CalDAV server at {where} sent more than {MAX_RESPONSE // 2**20} MB: that is not a calendar; "
                "check the URL"
            )
        if response.status in (401, 403):
            raise PublishError(
                f"the server refused these credentials ({response.status} {response.reason}): check {USER_ENV} and "
                f"{PASSWORD_ENV}, or the --credentials file, and that the user may write {safe_url(self.url)}"
            )
        return response.status, {k.lower(): v for k, v in response.getheaders()}, data
