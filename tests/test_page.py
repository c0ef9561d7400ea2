"""The coordinator's page (`txcal serve`) over HTTP: sign-in, the checks that keep others out, the day sheet
equal to `txcal agenda`, moves and their refusals through the same use case as `txcal move`, read-only books.

The browser half (Chromium, axe-core) is tests/test_page_browser.py; these need only the standard library.
"""

from __future__ import annotations

import http.client
import re
from urllib.parse import urlencode, urlsplit

import pytest

pytest.importorskip("jinja2", reason="the page needs Jinja2: pip install '.[test]'")

from page_support import DAY, LABELS, agenda_rows, book_clinic, serving, sheet_rows


class Client:
    """One coordinator's browser, by hand: the cookie it was given, and requests with chosen headers."""

    def __init__(self, url: str) -> None:
        parts = urlsplit(url)
        self.host, self.port, self.sign_in = parts.hostname or "", parts.port or 0, f"/?{parts.query}"
        self.origin = f"http://{self.host}:{self.port}"
        self.cookie = ""

    def request(self, method: str, path: str, body: dict[str, str] | None = None, **headers: str):
        connection = http.client.HTTPConnection(self.host, self.port, timeout=10)
        sent = {"Host": f"{self.host}:{self.port}", **({"Cookie": self.cookie} if self.cookie else {})}
        data = urlencode(body) if body is not None else None
        if data is not None:
            sent |= {"Content-Type": "application/x-www-form-urlencoded", "Origin": self.origin}
        sent |= {k.replace("_", "-"): v for k, v in headers.items()}
        connection.request(method, path, body=data, headers={k: v for k, v in sent.items() if v is not None})
        response = connection.getresponse()
        text = response.read().decode("utf-8")
        connection.close()
        return response, text

    def open(self) -> None:
        response, _ = self.request("GET", self.sign_in)
        assert response.status == 303 and response.getheader("Location") == "/day"
        self.cookie = response.getheader("Set-Cookie").split(";")[0]

    def csrf(self, html: str) -> str:
        return re.search(r'name="csrf" value="([0-9a-f]+)"', html).group(1)


@pytest.fixture
def clinic(txcal, tmp_path):
    return book_clinic(txcal, tmp_path)


def _move_link(html: str, label: str) -> str:
    return re.search(rf'href="(/move/[0-9a-f]+/{DAY})" aria-label="Move {label}\'s', html).group(1)


def test_the_printed_url_signs_in_once_with_a_strict_cookie_and_every_answer_carries_the_safe_headers(clinic):
    with serving(clinic) as (url, _):
        client = Client(url)
        response, _ = client.request("GET", client.sign_in)
        cookie = response.getheader("Set-Cookie")
        assert response.status == 303 and response.getheader("Location") == "/day"
        assert "HttpOnly" in cookie and "SameSite=Strict" in cookie
        again, _ = client.request("GET", client.sign_in)  # the token is spent: a copied link opens nothing
        assert again.status == 403 and again.getheader("Set-Cookie") is None
        client.cookie = cookie.split(";")[0]
        page, html = client.request("GET", f"/day/{DAY}")
        assert page.status == 200 and "Day sheet" in html
        assert page.getheader("Referrer-Policy") == "same-origin" and page.getheader("Cache-Control") == "no-store"
        assert "default-src 'none'" in page.getheader("Content-Security-Policy")
        assert "<script" not in html
        for path in ("/style.css", "/templates/", "/../clinic.toml", "/day/2026-13-01", "/nothing"):
            response, body = client.request("GET", path)
            assert response.status in (200, 404), path
            assert "[visit_minutes]" not in body and "Index of" not in body


def test_a_foreign_host_a_missing_cookie_a_wrong_csrf_token_and_a_foreign_origin_are_refused(txcal, clinic):
    with serving(clinic) as (url, _):
        client = Client(url)
        client.open()
        _, html = client.request("GET", f"/day/{DAY}")
        link = _move_link(html, LABELS[0])
        _, form = client.request("GET", link)
        token = client.csrf(form)
        ident = link.split("/")[2]
        move = {"csrf": token, "patient": ident, "day": DAY, "to": "11:00", "chair": "", "reason": ""}
        rebound, _ = client.request("GET", f"/day/{DAY}", Host=f"attacker.example:{client.port}")
        assert rebound.status == 400
        stranger = Client(url)
        assert stranger.request("GET", f"/day/{DAY}")[0].status == 403  # no cookie: no patient data
        assert stranger.request("POST", "/move", move)[0].status == 403
        assert client.request("POST", "/move", move | {"csrf": "0" * 64})[0].status == 403
        assert client.request("POST", "/move", move, Origin="http://attacker.example")[0].status == 403
        assert client.request("POST", "/move", move, Origin=None)[0].status == 403
        start = {row[3]: row[0] for row in agenda_rows(txcal, clinic)}
        assert start[LABELS[0]] != "11:00"  # none of the refused posts moved anything
        done, _ = client.request("POST", "/move", move)
        assert done.status == 303
        assert {row[3]: row[0] for row in agenda_rows(txcal, clinic)}[LABELS[0]] == "11:00"


def test_the_day_sheet_has_the_rows_of_txcal_agenda_and_no_url_names_a_patient(txcal, clinic):
    with serving(clinic) as (url, _):
        client = Client(url)
        client.open()
        _, html = client.request("GET", f"/day/{DAY}")
        expected = agenda_rows(txcal, clinic)
        assert len(expected) == len(LABELS)
        assert sheet_rows(html) == expected
        urls = re.findall(r'(?:href|action)="([^"]*)"', html)
        assert urls and not [u for u in urls if any(part in u for label in LABELS for part in label.split())]
        patient = next(u for u in urls if u.startswith("/patient/"))
        _, page = client.request("GET", patient)
        assert "History" in page and "Chair visits" in page


def test_a_move_is_refused_with_the_nearest_time_then_made_then_undone_and_txcal_agenda_follows(txcal, clinic):
    with serving(clinic) as (url, _):
        client = Client(url)
        client.open()
        before = agenda_rows(txcal, clinic)
        _, html = client.request("GET", f"/day/{DAY}")
        link = _move_link(html, LABELS[0])
        _, form = client.request("GET", link)
        fields = {"csrf": client.csrf(form), "patient": link.split("/")[2], "day": DAY, "chair": "", "reason": ""}
        refused, text = client.request("POST", "/move", fields | {"to": "17:30"})
        assert refused.status == 409 and "outside opening hours" in text and "the nearest time that fits is" in text
        assert agenda_rows(txcal, clinic) == before
        moved, _ = client.request("POST", "/move", fields | {"to": "13:00", "reason": "asked by phone"})
        assert moved.status == 303
        _, page = client.request("GET", moved.getheader("Location").split("#")[0])
        assert f"Moved {LABELS[0]}" in page and ">Undo</button>" in page
        assert {row[3]: row[0] for row in agenda_rows(txcal, clinic)}[LABELS[0]] == "13:00"
        assert sheet_rows(page) == agenda_rows(txcal, clinic)
        undone, _ = client.request("POST", "/move", fields | {"undo": "1"})
        assert undone.status == 303
        assert agenda_rows(txcal, clinic) == before
        bad, text = client.request("POST", "/move", fields | {"to": "25:99"})
        assert bad.status == 400 and "write the new time like 10:30" in text


def test_a_read_only_book_is_shown_without_forms_and_a_change_is_refused(txcal, clinic, monkeypatch):
    # The page asks the use case whether the book may be written (a colleague's read-only folder); as root every
    # file is writable, so the answer is made here and the page is driven in-process, as the server drives it.
    import io
    from datetime import UTC, date, datetime
    from wsgiref.util import setup_testing_defaults

    from scheduler.app import coordinator
    from scheduler.web.app import Page
    from scheduler.web.security import Guard

    monkeypatch.setattr(coordinator, "book_writable", lambda profile_path: False)
    guard = Guard("127.0.0.1", 8000)
    page = Page(clinic, guard, lambda: date(2026, 11, 26), lambda: datetime(2026, 11, 26, tzinfo=UTC))

    def call(method: str, path: str, body: str = "") -> tuple[str, str]:
        environ: dict = {"REQUEST_METHOD": method, "PATH_INFO": path, "HTTP_HOST": "127.0.0.1:8000"}
        setup_testing_defaults(environ)
        environ |= {"HTTP_COOKIE": f"txcal_session={guard.session}", "HTTP_ORIGIN": "http://127.0.0.1:8000"}
        environ |= {"CONTENT_LENGTH": str(len(body)), "wsgi.input": io.BytesIO(body.encode())}
        status: list[str] = []
        answer = b"".join(page(environ, lambda s, h: status.append(s)))
        return status[0], answer.decode("utf-8")

    status, html = call("GET", f"/day/{DAY}")
    assert status == "200 OK" and "read-only" in html and "/move/" not in html and "<form" not in html
    assert sheet_rows(html) == agenda_rows(txcal, clinic)
    ident = re.search(r'href="/patient/([0-9a-f]+)"', html).group(1)
    _, patient = call("GET", f"/patient/{ident}")
    assert "Release" not in patient
    body = urlencode({"csrf": guard.csrf, "patient": ident, "day": DAY, "to": "13:00"})
    status, text = call("POST", "/move", body)
    assert status.startswith("403") and "read-only" in text
    assert {row[3]: row[0] for row in agenda_rows(txcal, clinic)}[LABELS[0]] != "13:00"


def test_a_patient_page_shows_asked_and_booked_times_and_history_and_releases_as_txcal_release(txcal, clinic):
    with serving(clinic) as (url, _):
        client = Client(url)
        client.open()
        _, html = client.request("GET", f"/day/{DAY}")
        link = _move_link(html, LABELS[0])
        ident = link.split("/")[2]
        _, form = client.request("GET", link)
        fields = {"csrf": client.csrf(form), "patient": ident, "day": DAY, "chair": "", "reason": "asked by phone"}
        assert client.request("POST", "/move", fields | {"to": "14:00"})[0].status == 303
        _, page = client.request("GET", f"/patient/{ident}")
        assert "<td>09:00</td><td>14:00</td>" in page  # asked, booked
        assert "asked by phone" in page and "moved" in page
        released, _ = client.request(
            "POST", "/release", {"csrf": client.csrf(page), "patient": ident, "from": DAY, "reason": "left care"}
        )
        assert released.status == 303
        _, day = client.request("GET", "/day")
        assert f"Released {LABELS[0]} from {DAY} on" in day
    assert LABELS[0] not in [row[3] for row in agenda_rows(txcal, clinic)]


def test_the_week_strip_gives_each_days_load_as_txcal_load_and_its_closed_days(txcal, clinic):
    import csv
    import io

    load = txcal(f"load --clinic {clinic} --format csv --from 2026-11-30 --to 2026-12-06")
    counted = {row["date"]: row for row in csv.DictReader(io.StringIO(load.stdout))}
    with serving(clinic) as (url, _):
        client = Client(url)
        client.open()
        _, html = client.request("GET", "/week/2026-11-30")
    days = re.findall(r'<li class="([^"]*)">\s*<a href="/day/([0-9-]+)"[^>]*>(.*?)</a>', html, re.S)
    assert [day for _, day, _ in days] == [
        f"2026-{d}" for d in ("11-30", "12-01", "12-02", "12-03", "12-04", "12-05", "12-06")
    ]
    for classes, day, text in days:
        words = " ".join(re.sub(r"<[^>]+>", " ", text).split())
        row = counted.get(day)
        if row is not None:
            assert f"{row['patients']} patients" in words and f"{row['chair_minutes']} of {row['capacity']}" in words
            assert f"peak {row['peak_chairs']} of 6 chairs" in words
        else:
            assert "0 patients" in words
        assert ("Closed: weekend" in words) == (day in ("2026-12-05", "2026-12-06")) == ("closed" in classes)


def test_the_page_templates_ship_in_the_wheel():
    import configparser
    import fnmatch
    from pathlib import Path

    root = Path(__file__).parent.parent
    config = configparser.ConfigParser()
    config.read(root / "setup.cfg")
    patterns = [p.strip() for p in config["options.package_data"]["scheduler.web"].split(",")]
    folder = root / "scheduler" / "web"
    shipped = [p for p in (folder / "templates").iterdir() if p.is_file()]
    assert shipped and all(any(fnmatch.fnmatch(str(p.relative_to(folder)), pat) for pat in patterns) for p in shipped)


def test_ctrl_c_stops_the_server_and_bad_input_is_one_line(txcal, clinic, tmp_path):
    with serving(clinic) as (_, process):
        pass
    assert process.returncode == 0 and "Traceback" not in process.stderr.read()
    (tmp_path / "nobook.toml").write_text('schema = 1\nname = "X"\nchairs = 2\n', encoding="utf-8")
    result = txcal(f"serve --clinic {tmp_path / 'nobook.toml'}")
    assert result.exit_code == 1 and "keeps no clinic book" in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
