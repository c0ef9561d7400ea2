"""Publishing to a real CalDAV server: Radicale started here on 127.0.0.1, stopped by its process id."""

from __future__ import annotations

import base64
import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from scheduler.ical.read import parse
from scheduler.publishers import caldav
from tests_support import SOURCE_DATE_EPOCH

USER, PASSWORD = "alice", "s3cret-pass"


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class Radicale:
    """A Radicale server with password authentication and its own storage folder."""

    def __init__(self, folder: Path) -> None:
        self.folder, self.port = folder, _free_port()
        (folder / "users").write_text(f"{USER}:{PASSWORD}\n", encoding="utf-8")
        (folder / "config").write_text(
            f"[server]\nhosts = 127.0.0.1:{self.port}\n[auth]\ntype = htpasswd\nhtpasswd_filename = {folder / 'users'}\n"
            f"htpasswd_encryption = plain\n[storage]\nfilesystem_folder = {folder / 'store'}\n[rights]\ntype = owner_only\n",
            encoding="utf-8",
        )
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        log = (self.folder / "log").open("ab")
        self.process = subprocess.Popen(
            [sys.executable, "-m", "radicale", "--config", str(self.folder / "config")], stdout=log, stderr=log
        )
        deadline = time.monotonic() + 15
        while time.monotonic() < deadline:
            with socket.socket() as probe:
                if probe.connect_ex(("127.0.0.1", self.port)) == 0:
                    return
            time.sleep(0.05)
        self.stop()
        pytest.fail("Radicale did not start within 15 s; see " + str(self.folder / "log"))

    def stop(self) -> None:
        if self.process is not None:
            os.kill(self.process.pid, 15)
            self.process.wait(timeout=10)
            self.process = None

    def url(self, name: str = "treatment") -> str:
        return f"http://127.0.0.1:{self.port}/{USER}/{name}/"

    def events(self, name: str = "treatment") -> dict[str, dict[str, str]]:
        """Return the collection's events by UID: their properties as the server stores them."""
        found = {}
        for path in (self.folder / "store" / "collection-root" / USER / name).glob("*.ics"):
            for event in parse(path.read_text(encoding="utf-8"))[0].walk("VEVENT"):
                found[event.first("UID").value] = {line.name: line.value for line in event.lines}
        return found

    def etags(self, name: str = "treatment") -> dict[str, str]:
        status, _, body = caldav.Server(self.url(name), USER, PASSWORD).request(
            "PROPFIND", f"/{USER}/{name}/", b"", {"Depth": "1", "Content-Type": "application/xml"}
        )
        assert status == 207
        import xml.etree.ElementTree as ET

        return {
            r.findtext("{DAV:}href"): r.findtext(".//{DAV:}getetag")
            for r in ET.fromstring(body).iter("{DAV:}response")
            if (r.findtext("{DAV:}href") or "").endswith(".ics")
        }


@pytest.fixture
def radicale(tmp_path):
    try:
        import radicale  # noqa: F401
    except ImportError:
        if os.environ.get("TXCAL_REQUIRE_INTEROP") == "1":
            pytest.fail("Radicale is not installed (TXCAL_REQUIRE_INTEROP=1)")
        pytest.skip("Radicale is not installed: pip install '.[test]'")
    server = Radicale(tmp_path)
    server.start()
    yield server
    server.stop()


@pytest.fixture
def env(monkeypatch, tmp_path):
    monkeypatch.setenv(caldav.USER_ENV, USER)
    monkeypatch.setenv(caldav.PASSWORD_ENV, PASSWORD)
    monkeypatch.setenv("SOURCE_DATE_EPOCH", SOURCE_DATE_EPOCH)
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path / "state"))
    monkeypatch.chdir(tmp_path)


PLAN = "record new -f p.toml atezolizumab --every 3w --start 2026-12-01 --time 09:00 --tz America/New_York --doses 6"


def test_first_publish_then_an_idempotent_rerun(txcal, radicale, env):
    assert txcal(PLAN).exit_code == 0
    first = txcal(f"publish --plan-file p.toml --to {radicale.url()}")
    assert first.exit_code == 0, first.stderr
    assert "6 new, 0 updated, 0 cancelled, 0 unchanged" in first.stderr
    events = radicale.events()
    assert len(events) == 6 and all(e["SEQUENCE"] == "0" for e in events.values())
    before = radicale.etags()
    again = txcal(f"publish --plan-file p.toml --to {radicale.url()}")
    assert again.exit_code == 0 and "0 new, 0 updated, 0 cancelled, 6 unchanged" in again.stderr
    assert radicale.etags() == before  # nothing was rewritten


def test_a_delay_rewrites_only_the_changed_events_and_a_stop_cancels(txcal, radicale, env, monkeypatch):
    assert txcal(PLAN).exit_code == 0
    assert txcal(f"publish --plan-file p.toml --to {radicale.url()}").exit_code == 0
    before = radicale.etags()
    assert txcal("record delay -f p.toml 4 7 --reason neutropenia").exit_code == 0
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1796000000")
    delayed = txcal(f"publish --plan-file p.toml --to {radicale.url()}")
    assert "0 new, 3 updated, 0 cancelled, 3 unchanged" in delayed.stderr
    after = radicale.etags()
    assert sum(after[href] != before[href] for href in before) == 3
    sequences = sorted((e["DTSTART"], e["SEQUENCE"]) for e in radicale.events().values())
    assert [s for _, s in sequences] == ["0", "0", "0", "1", "1", "1"]
    assert txcal("record stop -f p.toml 2027-02-01 --reason progression").exit_code == 0
    stopped = txcal(f"publish --plan-file p.toml --to {radicale.url()}")
    assert "0 new, 0 updated, 3 cancelled, 3 unchanged" in stopped.stderr
    cancelled = [e for e in radicale.events().values() if e["STATUS"] == "CANCELLED"]
    assert len(cancelled) == 3 and all(
        e["SUMMARY"].startswith("Cancelled: ") and e["SEQUENCE"] == "2" for e in cancelled
    )


def test_events_txcal_did_not_write_are_left_alone(txcal, radicale, env):
    assert txcal(PLAN).exit_code == 0
    assert txcal(f"publish --plan-file p.toml --to {radicale.url()}").exit_code == 0
    foreign = b"BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//Other//EN\r\nBEGIN:VEVENT\r\nUID:dentist@example\r\nDTSTAMP:20261101T000000Z\r\nDTSTART;VALUE=DATE:20261215\r\nSUMMARY:Dentist\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n"
    status = _put(radicale, "dentist.ics", foreign)
    assert status == 201
    assert txcal("record stop -f p.toml 2026-12-02").exit_code == 0
    assert txcal(f"publish --plan-file p.toml --to {radicale.url()}").exit_code == 0
    assert radicale.events()["dentist@example"]["SUMMARY"] == "Dentist"


def _put(server: Radicale, name: str, data: bytes, etag: str | None = None) -> int:
    token = base64.b64encode(f"{USER}:{PASSWORD}".encode()).decode()
    headers = {"Authorization": f"Basic {token}", "Content-Type": "text/calendar"}
    if etag:
        headers["If-Match"] = etag
    request = urllib.request.Request(server.url() + name, data=data, method="PUT", headers=headers)
    with urllib.request.urlopen(request) as response:
        return response.status


def test_an_event_edited_in_a_calendar_app_is_not_silently_overwritten(txcal, radicale, env, monkeypatch):
    assert txcal(PLAN).exit_code == 0
    assert txcal(f"publish --plan-file p.toml --to {radicale.url()}").exit_code == 0
    # A calendar app moves dose 5 to 10:00: it rewrites the resource, which gets a new ETag.
    path = next(
        p
        for p in (radicale.folder / "store" / "collection-root" / USER / "treatment").glob("*.ics")
        if ", dose 5" in p.read_text(encoding="utf-8")
    )
    edited = path.read_text(encoding="utf-8").replace("T090000", "T100000").encode()
    href = f"/{USER}/treatment/{path.name}"
    assert _put(radicale, path.name, edited, radicale.etags()[href]) in (201, 204)
    assert txcal("record delay -f p.toml 4 7").exit_code == 0  # the plan now moves doses 4 to 6
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1796000000")
    result = txcal(f"publish --plan-file p.toml --to {radicale.url()}")
    assert result.exit_code == 1
    assert "1 edited in a calendar app since txcal wrote them, left as they are" in result.stderr
    assert "dose 5" in result.stderr and "--overwrite replaces them" in result.stderr
    assert "T100000" in path.read_text(encoding="utf-8")  # the app's edit is kept
    forced = txcal(f"publish --plan-file p.toml --to {radicale.url()} --overwrite")
    assert forced.exit_code == 0 and "T100000" not in path.read_text(encoding="utf-8")


def test_wrong_password_says_so_and_never_shows_it(txcal, radicale, env, monkeypatch):
    assert txcal(PLAN).exit_code == 0
    monkeypatch.setenv(caldav.PASSWORD_ENV, "not-the-password")
    result = txcal(f"publish --plan-file p.toml --to {radicale.url()}")
    assert result.exit_code == 1 and "refused these credentials (401" in result.stderr
    assert "not-the-password" not in result.output and PASSWORD not in result.output
    assert "Traceback" not in result.stderr


def test_the_server_killed_in_the_middle_then_a_rerun_converges(txcal, radicale, env, monkeypatch):
    assert txcal(PLAN).exit_code == 0
    real = caldav.Server.request
    writes = []

    def dying(self, method, path, body=b"", headers=None):
        if method == "PUT":
            writes.append(path)
            if len(writes) == 3:
                radicale.stop()  # the real server process dies between two writes
        return real(self, method, path, body, headers)

    monkeypatch.setattr(caldav.Server, "request", dying)
    broken = txcal(f"publish --plan-file p.toml --to {radicale.url()}")
    assert broken.exit_code == 1 and "cannot reach the CalDAV server" in broken.stderr
    assert "Traceback" not in broken.stderr
    monkeypatch.setattr(caldav.Server, "request", real)
    radicale.start()
    assert len(radicale.events()) == 2
    rerun = txcal(f"publish --plan-file p.toml --to {radicale.url()}")
    assert rerun.exit_code == 0 and "4 new, 0 updated, 0 cancelled, 2 unchanged" in rerun.stderr
    assert len(radicale.events()) == 6  # every event once: no duplicates, nothing lost


def test_urls_and_credentials_are_checked_before_anything_is_sent(txcal, env, tmp_path, monkeypatch):
    assert txcal(PLAN).exit_code == 0
    plain = txcal("publish --plan-file p.toml --to http://calendar.example.org/alice/t/")
    assert plain.exit_code == 1 and "plain http to another machine" in plain.stderr
    inline = txcal("publish --plan-file p.toml --to https://alice:pw@calendar.example.org/alice/t/")
    assert (
        inline.exit_code == 1 and "not in the URL" in inline.stderr and "pw" not in inline.stderr.replace("https", "")
    )
    monkeypatch.delenv(caldav.PASSWORD_ENV)
    missing = txcal("publish --plan-file p.toml --to http://127.0.0.1:9/alice/t/")
    assert (
        missing.exit_code == 1 and "no credentials: set TXCAL_CALDAV_USER and TXCAL_CALDAV_PASSWORD" in missing.stderr
    )
    (tmp_path / "creds").write_text(f"{USER}:{PASSWORD}\n", encoding="utf-8")
    refused = txcal(
        f"publish --plan-file p.toml --to http://127.0.0.1:{_free_port()}/alice/t/ --credentials {tmp_path / 'creds'}"
    )
    assert refused.exit_code == 1 and "cannot reach the CalDAV server at 127.0.0.1" in refused.stderr


def _batch_folder(txcal, radicale, patients: Path, rows: str) -> str:
    """Write a two-patient list, batch it into out/, and return the server's base URL for the user."""
    patients.write_text("patient,drug,every,start,time,tz,doses\n" + rows, encoding="utf-8")
    assert txcal(f"batch {patients} --out-dir out").exit_code == 0
    return f"http://127.0.0.1:{radicale.port}/{USER}/"


def test_a_batch_folder_publishes_each_patient_to_a_collection_of_its_own(txcal, radicale, env, tmp_path, monkeypatch):
    patients = tmp_path / "list.csv"
    rows = "P-1,atezolizumab,3w,2026-12-01,09:00,Europe/Berlin,4\nP-2,Keytruda Qlex,6w,2026-12-02,,,3\n"
    base = _batch_folder(txcal, radicale, patients, rows)
    first = txcal(f"publish --folder out --to {base}")
    assert first.exit_code == 0, first.stderr
    assert "P-1.ics: Published to" in first.stderr and "4 new" in first.stderr and "3 new" in first.stderr
    assert len(radicale.events("P-1")) == 4 and len(radicale.events("P-2")) == 3
    again = txcal(f"publish --folder out --to {base}")
    assert again.stderr.count("0 new, 0 updated, 0 cancelled") == 2
    # The list shortens P-1's plan: the batch rewrites P-1.ics, and publishing cancels what left it.
    patients.write_text(
        patients.read_text(encoding="utf-8").replace("Europe/Berlin,4", "Europe/Berlin,2"), encoding="utf-8"
    )
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1796000000")
    assert txcal(f"batch {patients} --out-dir out").exit_code == 0
    shortened = txcal(f"publish --folder out --to {base}")
    assert "0 new, 0 updated, 2 cancelled, 2 unchanged" in shortened.stderr
    statuses = sorted(e["STATUS"] for e in radicale.events("P-1").values())
    assert statuses == ["CANCELLED", "CANCELLED", "TENTATIVE", "TENTATIVE"]
    assert "clinic" not in {p.name for p in (radicale.folder / "store" / "collection-root" / USER).iterdir()}


def test_a_corrected_plan_replaces_the_old_one_only_when_asked(txcal, radicale, env):
    assert txcal(PLAN).exit_code == 0
    assert txcal(f"publish --plan-file p.toml --to {radicale.url()}").exit_code == 0
    old = set(radicale.events())
    # The start was wrong: a new plan file (another start, so another plan) for the same calendar.
    corrected = PLAN.replace("-f p.toml", "-f q.toml").replace("2026-12-01", "2026-12-03")
    assert txcal(corrected).exit_code == 0
    refused = txcal(f"publish --plan-file q.toml --to {radicale.url()}")
    assert refused.exit_code == 1 and "holds another txcal plan" in refused.stderr and "--replace" in refused.stderr
    assert set(radicale.events()) == old  # nothing written
    replaced = txcal(f"publish --plan-file q.toml --to {radicale.url()} --replace")
    assert replaced.exit_code == 0, replaced.stderr
    assert "6 new, 0 updated, 6 cancelled" in replaced.stderr
    events = radicale.events()
    assert {uid for uid, e in events.items() if e["STATUS"] == "CANCELLED"} == old
    live = sorted(e["DTSTART"][:8] for e in events.values() if e["STATUS"] != "CANCELLED")
    assert live[0] == "20261203" and len(live) == 6
    again = txcal(f"publish --plan-file q.toml --to {radicale.url()}")
    assert again.exit_code == 0 and "0 new, 0 updated, 0 cancelled, 12 unchanged" in again.stderr


def test_a_restarted_plan_file_moves_its_events_in_place(txcal, radicale, env):
    assert txcal(PLAN).exit_code == 0
    assert txcal(f"publish --plan-file p.toml --to {radicale.url()}").exit_code == 0
    before = set(radicale.events())
    moved = txcal("record restart -f p.toml 2026-12-03")
    assert moved.exit_code == 0 and "kept" in moved.stderr
    again = txcal(f"publish --plan-file p.toml --to {radicale.url()}")
    assert again.exit_code == 0 and "0 new, 6 updated, 0 cancelled" in again.stderr
    events = radicale.events()
    assert set(events) == before and min(e["DTSTART"][:8] for e in events.values()) == "20261203"


def test_a_uid_that_names_another_collection_is_refused_before_any_request(txcal, radicale, env, tmp_path):
    # A patient file with a planted UID `../P-2/x@txcal`: published, it would land in P-2's collection.
    rows = (
        "P-1,atezolizumab,3w,2026-12-01,09:00,Europe/Berlin,2\nP-2,atezolizumab,3w,2026-12-02,09:00,Europe/Berlin,2\n"
    )
    base = _batch_folder(txcal, radicale, tmp_path / "list.csv", rows)
    assert txcal(f"publish --folder out --to {base}").exit_code == 0
    before = {name: sorted(radicale.events(name)) for name in ("P-1", "P-2")}
    calendar = Path("out/P-1.ics")
    text = calendar.read_text(encoding="utf-8")
    uid = text.split("UID:", 1)[1].split("\n", 1)[0].strip()
    calendar.write_text(text.replace(f"UID:{uid}", "UID:../P-2/x@txcal", 1), encoding="utf-8")
    result = txcal(f"publish --folder out --to {base}")
    assert result.exit_code == 1 and "not a plain name" in result.stderr and "Traceback" not in result.stderr
    assert {name: sorted(radicale.events(name)) for name in ("P-1", "P-2")} == before
