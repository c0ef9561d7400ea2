"""Serving the page: the standard library's WSGI server on a loopback port, until Ctrl-C."""

from __future__ import annotations

import ipaddress
import signal
from collections.abc import Callable
from datetime import date, datetime
from pathlib import Path
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

from scheduler.app.coordinator import check_book
from scheduler.errors import TxcalError
from scheduler.web.app import Page
from scheduler.web.security import Guard


class _QuietHandler(WSGIRequestHandler):
    def log_message(self, format: str, *args: object) -> None:
        """Log nothing: a request line holds the one-time token, and stderr is the user's."""


class _Server(WSGIServer):
    """The standard library's server, stopped between requests once Ctrl-C was pressed (wsgiref's handler would
    swallow a KeyboardInterrupt that landed in a request)."""

    stopping = False

    def service_actions(self) -> None:
        if self.stopping:
            raise KeyboardInterrupt


def loopback(host: str) -> bool:
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return host == "localhost"


def start(
    profile_path: Path, host: str, port: int, today: Callable[[], date], stamp: Callable[[], datetime]
) -> tuple[_Server, Guard]:
    """Return the server bound to host and port (0: a free port) and its guard; the book is checked first.

    Raises:
        TxcalError: no book to show, or the address cannot be bound.
    """
    check_book(profile_path)  # the book's own errors before anything listens
    guard = Guard(host, port)
    page = Page(profile_path, guard, today, stamp)
    try:
        server = make_server(host, port, page, server_class=_Server, handler_class=_QuietHandler)
    except OSError as exc:
        raise TxcalError(f"cannot listen on {host}:{port}: {exc.strerror}") from None
    guard.port = server.server_address[1]

    def stop(signum: int, frame: object) -> None:
        server.stopping = True  # the loop stops within a poll interval; a request under way is finished first

    # Ctrl-C stops it even when started where SIGINT was ignored (a background job of a script inherits that).
    signal.signal(signal.SIGINT, stop)
    signal.signal(signal.SIGTERM, stop)
    return server, guard


def serve_forever(server: WSGIServer) -> None:
    """Answer requests one at a time (each opens the book for itself) until Ctrl-C (or SIGTERM)."""
    try:
        server.serve_forever(poll_interval=0.2)
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()
