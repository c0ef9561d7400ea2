"""What keeps the coordinator's page to the coordinator: a one-time token traded for a session cookie, the Host
and Origin checks, a CSRF token in every form, opaque patient ids, and the headers every answer carries.

The page serves one person on their own machine: one session, held in memory for the server's life.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from http.cookies import CookieError, SimpleCookie

COOKIE = "txcal_session"

# Nothing from elsewhere, no script at all (every page works without JavaScript), no framing, forms post here only.
POLICY = (
    "default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
)
HEADERS = [
    ("Content-Security-Policy", POLICY),
    # same-origin, not no-referrer: with no-referrer Chromium sends "Origin: null" on a form post.
    ("Referrer-Policy", "same-origin"),
    ("Cache-Control", "no-store"),
    ("X-Content-Type-Options", "nosniff"),
    ("X-Frame-Options", "DENY"),
    ("Cross-Origin-Opener-Policy", "same-origin"),
    ("Cross-Origin-Resource-Policy", "same-origin"),
]


class Guard:
    """The server's secrets and the checks made with them."""

    def __init__(self, host: str, port: int) -> None:
        self.host, self.port = host, port
        self.token: str | None = secrets.token_urlsafe(32)  # spent on first use
        self.session = secrets.token_urlsafe(32)
        self._key = secrets.token_bytes(32)
        self.csrf = hmac.new(self._key, b"csrf", hashlib.sha256).hexdigest()

    @property
    def origin(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"http://{host}:{self.port}"

    def open_url(self) -> str:
        assert self.token is not None
        return f"{self.origin}/?token={self.token}"

    def spend(self, token: str) -> bool:
        """Return whether `token` is the one-time token, spending it (a second use is refused)."""
        if self.token is None or not hmac.compare_digest(token.encode(), self.token.encode()):
            return False
        self.token = None
        return True

    def cookie_header(self) -> tuple[str, str]:
        return ("Set-Cookie", f"{COOKIE}={self.session}; HttpOnly; SameSite=Strict; Path=/")

    def host_ok(self, host: str | None) -> bool:
        """Return whether the Host header names this server (a rebound DNS name does not)."""
        names = {self.origin.removeprefix("http://")}
        if self.host == "127.0.0.1":
            names.add(f"localhost:{self.port}")
        return host in names

    def origin_ok(self, origin: str | None) -> bool:
        """Return whether a POST's Origin is this server (a browser sends it on every form post)."""
        allowed = {self.origin}
        if self.host == "127.0.0.1":
            allowed.add(f"http://localhost:{self.port}")
        return origin in allowed

    def session_ok(self, cookie_text: str | None) -> bool:
        try:
            jar = SimpleCookie(cookie_text or "")
        except CookieError:
            return False
        given = jar.get(COOKIE)
        return given is not None and hmac.compare_digest(given.value.encode(), self.session.encode())

    def csrf_ok(self, given: str) -> bool:
        return hmac.compare_digest(given.encode(), self.csrf.encode())

    def patient_id(self, plan_id: str) -> str:
        """Return the opaque id a patient has in this server's URLs: no label, nor the plan id, can be read back."""
        return hmac.new(self._key, plan_id.encode(), hashlib.sha256).hexdigest()[:20]
