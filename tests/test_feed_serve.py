"""Patient feeds served and subscribed to (issue 35): `txcal feed serve` on 127.0.0.1 and a real subscription
client (vdirsyncer's http storage), and the five independent parsers reading a feed.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import icalendar
import pytest
from test_feeds import booked_clinic, feed, tokens
from test_interop import READERS, libical_reader, read, unavailable  # noqa: F401  (a fixture)


@pytest.fixture
def clinic(tmp_path, monkeypatch, txcal):
    return booked_clinic(tmp_path, monkeypatch, txcal)


@pytest.fixture
def served(clinic) -> Iterator[str]:
    """Run `txcal feed serve` on a free loopback port; stop it by its process id."""
    command = [sys.executable, "-m", "scheduler", "feed", "serve", "--clinic", "clinic.toml", "--port", "0"]
    server = subprocess.Popen(command, cwd=clinic, stderr=subprocess.PIPE, text=True)
    try:
        line = server.stderr.readline() if server.stderr else ""
        assert line.startswith("serving feeds on http://127.0.0.1:"), line
        yield line.split()[3].rstrip("/")
    finally:
        os.kill(server.pid, signal.SIGTERM)
        server.wait(timeout=10)
    logged = server.stderr.read() if server.stderr else ""
    assert not any(token in logged for token in tokens(clinic).values())  # a path is a secret: never logged


def get(url: str, headers: dict[str, str] | None = None) -> tuple[int, bytes, dict[str, str]]:
    try:
        with urllib.request.urlopen(urllib.request.Request(url, headers=headers or {}), timeout=10) as answer:
            return answer.status, answer.read(), dict(answer.headers)
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read(), dict(exc.headers)


def test_serve_answers_a_feed_with_its_type_and_a_304_when_unchanged(clinic, served):
    url = f"{served}/{tokens(clinic)['P1']}.ics"
    status, body, headers = get(url)
    assert status == 200 and body == feed(clinic, "P1").read_bytes()
    assert headers["Content-Type"] == "text/calendar; charset=utf-8"
    assert get(url, {"If-None-Match": headers["ETag"]})[0] == 304
    assert get(url, {"If-Modified-Since": headers["Last-Modified"]})[0] == 304


def test_serve_answers_404_to_a_foreign_name_and_lists_nothing(clinic, served):
    (clinic / "feeds" / "notes.txt").write_text("not a feed", encoding="utf-8")
    token = tokens(clinic)["P1"]
    for path in ("/", "/notes.txt", f"/{token}", f"/{token[:-1]}x.ics", "/../book.sqlite.feeds", "/../clinic.toml"):
        status, body, _ = get(served + path)
        assert status == 404, path
        assert token.encode() not in body


def test_a_rotated_link_answers_404_and_the_new_one_the_feed(clinic, served, txcal):
    old = f"{served}/{tokens(clinic)['P1']}.ics"
    assert get(old)[0] == 200
    assert txcal("feed rotate P1 --clinic clinic.toml").exit_code == 0
    assert get(old)[0] == 404
    assert get(f"{served}/{tokens(clinic)['P1']}.ics")[0] == 200


def _vdirsyncer() -> str:
    found = shutil.which("vdirsyncer") or shutil.which("vdirsyncer", path=str(Path(sys.executable).parent))
    if found is None:
        unavailable("vdirsyncer is not installed: pip install '.[test]'")
    assert found is not None
    return found


def _sync(vdirsyncer: str, config: Path, works: bool = True) -> dict[str, str]:
    """Sync the subscribed feed; return each local event's start (and " cancelled") by its day."""
    for step in ("discover", "sync"):
        done = subprocess.run(
            [vdirsyncer, "-c", str(config), step], capture_output=True, text=True, input="y\n", timeout=60, check=False
        )
        if not works and done.returncode != 0:
            return {}
        assert done.returncode == 0, done.stderr
    assert works, "the subscription still syncs"
    starts = {}
    for item in (config.parent / "local").glob("*.ics"):
        for event in icalendar.Calendar.from_ical(item.read_bytes()).walk("VEVENT"):
            cancelled = " cancelled" if str(event.get("STATUS")) == "CANCELLED" else ""
            starts[f"{event['DTSTART'].dt:%Y-%m-%d}"] = f"{event['DTSTART'].dt:%H:%M}{cancelled}"
    return starts


def _subscribed(home: Path, url: str) -> Path:
    """Return a vdirsyncer configuration subscribed to a feed (its http storage) into a local folder."""
    (home / "local").mkdir(parents=True)
    config = home / "config"
    config.write_text(
        f'[general]\nstatus_path = "{home / "status"}"\n\n'
        '[pair feed]\na = "remote"\nb = "local"\ncollections = null\nconflict_resolution = "a wins"\n\n'
        f'[storage remote]\ntype = "http"\nurl = "{url}"\n\n'
        f'[storage local]\ntype = "filesystem"\npath = "{home / "local"}"\nfileext = ".ics"\n',
        encoding="utf-8",
    )
    return config


def test_a_subscription_client_sees_a_move_a_release_and_the_end_of_the_feed(
    clinic, served, txcal, tmp_path, monkeypatch
):
    vdirsyncer = _vdirsyncer()
    config = _subscribed(tmp_path / "vdirsyncer", f"{served}/{tokens(clinic)['P1']}.ics")
    assert _sync(vdirsyncer, config) == {"2026-12-01": "09:00", "2026-12-22": "09:00"}
    moved = txcal("move P1 --date 2026-12-01 --to 11:00 --clinic clinic.toml")
    assert moved.exit_code == 0 and "; their feed rewritten" in moved.stdout + moved.stderr
    assert _sync(vdirsyncer, config) == {"2026-12-01": "11:00", "2026-12-22": "09:00"}
    assert txcal("release P1 --from 2026-12-10 --clinic clinic.toml").exit_code == 0
    assert _sync(vdirsyncer, config) == {"2026-12-01": "11:00", "2026-12-22": "09:00 cancelled"}
    monkeypatch.setenv("TXCAL_TODAY", "2027-01-06")  # 14 days after the last cancelled visit, and more
    assert txcal("feed build --clinic clinic.toml").exit_code == 0
    assert _sync(vdirsyncer, config, works=False) == {}  # the feed is gone: its address answers 404


def test_a_subscription_to_a_rotated_link_stops(clinic, served, txcal, tmp_path):
    vdirsyncer = _vdirsyncer()
    config = _subscribed(tmp_path / "vdirsyncer", f"{served}/{tokens(clinic)['P1']}.ics")
    assert _sync(vdirsyncer, config) == {"2026-12-01": "09:00", "2026-12-22": "09:00"}
    assert txcal("feed rotate P1 --clinic clinic.toml").exit_code == 0
    assert _sync(vdirsyncer, config, works=False) == {}


@pytest.mark.parametrize("reader", READERS)
def test_every_parser_reads_a_feed_at_the_instants_of_the_patients_calendar(clinic, txcal, reader, request):
    assert txcal("release P1 --from 2026-12-10 --clinic clinic.toml").exit_code == 0  # a cancelled visit too
    fed = read(reader, feed(clinic, "P1"), request)
    assert fed["errors"] == []
    assert fed["events"] == read(reader, clinic / "out" / "P1.ics", request)["events"]
    assert len(fed["events"]) == 2
