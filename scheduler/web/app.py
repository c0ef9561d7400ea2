"""The coordinator's page as a WSGI application: one view a page, each calling the app/ use cases and
rendering their records; the security checks (scheduler.web.security) come first on every request."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs

from jinja2 import Environment, PackageLoader, select_autoescape

from scheduler.app import coordinator
from scheduler.clinic_model import AgendaItem
from scheduler.errors import TxcalError
from scheduler.model import CHAIR_KINDS, clock_text
from scheduler.web.chart import draw
from scheduler.web.security import HEADERS, Guard

StartResponse = Callable[[str, list[tuple[str, str]]], Any]
MAX_BODY = 64 * 1024  # a form of a few fields; anything bigger is not ours
_DAY = re.compile(r"\d{4}-\d{2}-\d{2}")
_ID = re.compile(r"[0-9a-f]{20}")


class Refused(Exception):
    """A request answered with a status and one sentence."""

    def __init__(self, status: str, message: str) -> None:
        super().__init__(message)
        self.status = status


@dataclass
class Answer:
    status: str
    body: bytes
    headers: list[tuple[str, str]]


def _clock(minute: int | None) -> str:
    return "" if minute is None else clock_text(minute)


def _parse_day(text: str) -> date:
    if not _DAY.fullmatch(text):
        raise Refused("404 Not Found", f"{text!r} is not a day written YYYY-MM-DD")
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise Refused("404 Not Found", f"{text} is not a day of the calendar") from None


@dataclass(frozen=True)
class Row:
    """A day sheet row, its cells as `txcal agenda --format csv` writes them (without the date)."""

    cells: tuple[str, ...]
    conflict: bool
    patient_link: str
    move_link: str


def _rows(items: list[AgendaItem], ids: dict[str, str], movable: bool) -> list[Row]:
    """Return the day sheet's rows, formatted here once (a template's per-cell work costs more, at 400 rows)."""
    rows = []
    for i in items:
        ident = ids.get(i.patient, "")
        cells = (
            _clock(i.start),
            _clock(i.end),
            "" if i.chair is None else str(i.chair),
            i.patient,
            i.kind,
            i.what,
            "" if i.minutes is None else str(i.minutes),
            "; ".join(i.prepare),
            "; ".join(i.conflicts),
            i.asked,
        )
        can_move = movable and bool(ident) and i.kind in CHAIR_KINDS and i.start is not None
        rows.append(
            Row(
                cells,
                bool(i.conflicts),
                f"/patient/{ident}" if ident else "",
                f"/move/{ident}/{i.day}" if can_move else "",
            )
        )
    return rows


class Page:
    """The WSGI application over one clinic profile's book."""

    def __init__(
        self, profile_path: Path, guard: Guard, today: Callable[[], date], stamp: Callable[[], datetime]
    ) -> None:
        self.profile_path, self.guard, self.today, self.stamp = profile_path, guard, today, stamp
        self.notes: list[tuple[str, str, tuple[str, str] | None]] = []  # (kind, sentence, undo: patient id, day)
        self.env = Environment(
            loader=PackageLoader("scheduler.web", "templates"), autoescape=select_autoescape(default=True)
        )
        self.env.filters["clock"] = _clock

    # -- WSGI

    def __call__(self, environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        try:
            answer = self.answer(environ)
        except Refused as refused:
            answer = self.render(refused.status, "message.html", message=str(refused), signed_in=False)
        except TxcalError as exc:
            answer = self.render("400 Bad Request", "message.html", message=str(exc), signed_in=True)
        start_response(answer.status, [*HEADERS, ("Content-Length", str(len(answer.body))), *answer.headers])
        return [answer.body] if environ.get("REQUEST_METHOD") != "HEAD" else [b""]

    def answer(self, environ: dict[str, Any]) -> Answer:
        if not self.guard.host_ok(environ.get("HTTP_HOST")):
            raise Refused("400 Bad Request", "this server answers only to its own address (the Host header)")
        method, path = environ.get("REQUEST_METHOD", "GET"), environ.get("PATH_INFO", "/")
        if method == "POST":
            return self.post(environ, path)
        if method not in ("GET", "HEAD"):
            raise Refused("405 Method Not Allowed", "only GET and POST")
        if path == "/style.css":
            css = (Path(__file__).parent / "templates" / "style.css").read_bytes()
            return Answer("200 OK", css, [("Content-Type", "text/css; charset=utf-8")])
        if path == "/":
            return self.sign_in(environ)
        if not self.guard.session_ok(environ.get("HTTP_COOKIE")):
            raise Refused("403 Forbidden", "open the address txcal serve printed to sign in")
        parts = path.strip("/").split("/")
        if parts == ["day"]:
            return self.day(self.today())
        if len(parts) == 2 and parts[0] == "day":
            return self.day(_parse_day(parts[1]))
        if len(parts) == 2 and parts[0] == "week":
            return self.week(_parse_day(parts[1]))
        if len(parts) == 2 and parts[0] == "patient":
            return self.patient(parts[1])
        if len(parts) == 3 and parts[0] == "move":
            return self.move_form(parts[1], _parse_day(parts[2]))
        raise Refused("404 Not Found", "no such page")

    def sign_in(self, environ: dict[str, Any]) -> Answer:
        token = parse_qs(environ.get("QUERY_STRING", "")).get("token", [""])[0]
        if token and self.guard.spend(token):
            return Answer("303 See Other", b"", [("Location", "/day"), self.guard.cookie_header()])
        if self.guard.session_ok(environ.get("HTTP_COOKIE")):
            return Answer("303 See Other", b"", [("Location", "/day")])
        raise Refused("403 Forbidden", "this address was used already or is wrong: restart txcal serve for a new one")

    def render(self, status: str, template: str, **values: Any) -> Answer:
        values.setdefault("signed_in", True)
        body = self.env.get_template(template).render(csrf=self.guard.csrf, **values).encode("utf-8")
        return Answer(status, body, [("Content-Type", "text/html; charset=utf-8")])

    # -- pages

    def _ids(self, shown: set[str]) -> dict[str, str]:
        """Return the opaque id of each booked patient shown, by label (a keyed hash each: only those on the page)."""
        plans = {label: plan for plan, label in coordinator.patients(self.profile_path) if label in shown}
        return {label: self.guard.patient_id(plan) for label, plan in plans.items()}

    def _label(self, ident: str) -> tuple[str, str]:
        """Return (plan id, label) of an opaque patient id."""
        if _ID.fullmatch(ident):
            for plan, label in coordinator.patients(self.profile_path):
                if self.guard.patient_id(plan) == ident:
                    return plan, label
        raise Refused("404 Not Found", "no such patient in the clinic book")

    def _notes(self) -> list[tuple[str, str, tuple[str, str] | None]]:
        shown, self.notes = self.notes, []
        return shown

    def day(self, day: date) -> Answer:
        items = coordinator.book_sheet(self.profile_path, day)
        chart = coordinator.day_chart(self.profile_path, day, items)
        monday = day - timedelta(days=day.weekday())
        profile = coordinator.clinic_profile(self.profile_path)
        writable = self.writable
        movable = writable and day >= self.today()
        rows = _rows(items, self._ids({i.patient for i in items}), movable)
        return self.render(
            "200 OK",
            "day.html",
            day=day,
            rows=rows,
            chart=chart,
            drawing=draw(chart),
            monday=monday,
            place=profile.name,
            chairs=profile.chairs,
            movable=movable,
            notes=self._notes(),
            previous=day - timedelta(days=1),
            next=day + timedelta(days=1),
            today=self.today(),
            writable=writable,
        )

    def week(self, first: date) -> Answer:
        week = coordinator.week_load(self.profile_path, first)
        return self.render(
            "200 OK",
            "week.html",
            first=first,
            week=week,
            previous=first - timedelta(days=7),
            next=first + timedelta(days=7),
            today=self.today(),
        )

    def patient(self, ident: str) -> Answer:
        plan_id, _ = self._label(ident)
        view = coordinator.patient_view(self.profile_path, plan_id, date.min, date.max)
        return self.render(
            "200 OK",
            "patient.html",
            view=view,
            ident=ident,
            notes=self._notes(),
            writable=self.writable,
            today=self.today(),
            chair_kinds=CHAIR_KINDS,
        )

    def move_form(self, ident: str, day: date, error: str = "", status: str = "200 OK", **asked: str) -> Answer:
        plan_id, _ = self._label(ident)
        view = coordinator.patient_view(self.profile_path, plan_id, day, day)
        if not view.visits:
            raise Refused("404 Not Found", f"no chair visit booked for this patient on {day}")
        profile = coordinator.clinic_profile(self.profile_path)
        return self.render(
            status,
            "move.html",
            view=view,
            visit=view.visits[0],
            ident=ident,
            day=day,
            error=error,
            asked=asked,
            chairs=profile.chairs or 1,
            writable=self.writable and day >= self.today(),
        )

    @property
    def writable(self) -> bool:
        return coordinator.book_writable(self.profile_path)

    # -- changes

    def post(self, environ: dict[str, Any], path: str) -> Answer:
        if not self.guard.origin_ok(environ.get("HTTP_ORIGIN")):
            raise Refused("403 Forbidden", "a change must come from this page (the Origin header)")
        if not self.guard.session_ok(environ.get("HTTP_COOKIE")):
            raise Refused("403 Forbidden", "open the address txcal serve printed to sign in")
        form = self._form(environ)
        if not self.guard.csrf_ok(form.get("csrf", "")):
            raise Refused("403 Forbidden", "this form is stale or not from this page: reload the page and try again")
        if not self.writable:
            raise Refused("403 Forbidden", "the clinic book is read-only here: nothing can be changed")
        if path == "/move":
            return self.move(form)
        if path == "/release":
            return self.release(form)
        raise Refused("404 Not Found", "no such form")

    def _form(self, environ: dict[str, Any]) -> dict[str, str]:
        try:
            length = int(environ.get("CONTENT_LENGTH") or 0)
        except ValueError:
            raise Refused("400 Bad Request", "a form without a readable length") from None
        if length > MAX_BODY:
            raise Refused("413 Content Too Large", "the form is too big")
        body = environ["wsgi.input"].read(length).decode("utf-8", "replace") if length > 0 else ""
        return {key: values[0] for key, values in parse_qs(body, keep_blank_values=True).items()}

    def move(self, form: dict[str, str]) -> Answer:
        from scheduler.app.moves import MoveRequest, move_visit
        from scheduler.model import clock_minutes
        from scheduler.units import parse_clock

        ident, day = form.get("patient", ""), _parse_day(form.get("day", ""))
        _, label = self._label(ident)
        undo = form.get("undo") == "1"
        asked = {k: form.get(k, "") for k in ("to", "chair", "reason")}
        try:
            to = None if undo else clock_minutes(parse_clock(asked["to"]))
            chair = int(asked["chair"]) if asked["chair"].strip() and not undo else None
        except (ValueError, TxcalError):
            message = "write the new time like 10:30 and the chair as a number (or leave it empty)"
            return self.move_form(ident, day, message, "400 Bad Request", **asked)
        request = MoveRequest(label, day, to, chair, asked["reason"], undo)
        try:
            done = move_visit(self.profile_path, request, self.stamp(), self.today())
        except TxcalError as exc:  # refused, with the nearest time that fits
            return self.move_form(ident, day, str(exc), "409 Conflict", **asked)
        self.notes.append(("done", done, None if undo else (ident, day.isoformat())))
        return Answer("303 See Other", b"", [("Location", f"/day/{day}#chart")])

    def release(self, form: dict[str, str]) -> Answer:
        from scheduler.app.release import release_patient

        ident = form.get("patient", "")
        _, label = self._label(ident)
        first = _parse_day(form["from"]) if form.get("from") else None
        try:
            done = release_patient(self.profile_path, label, first, form.get("reason", ""), self.stamp(), self.today())
        except TxcalError as exc:
            self.notes.append(("refused", str(exc), None))
            return Answer("303 See Other", b"", [("Location", f"/patient/{ident}")])
        self.notes.append(("done", done, None))
        return Answer("303 See Other", b"", [("Location", "/day")])
