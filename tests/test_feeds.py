"""Patient feeds (issue 35): each booked patient's calendar as a secret URL a calendar app polls.

Every test uses a booked clinic written by the txcal command as a coordinator runs it.
"""

from __future__ import annotations

import json
import stat
from pathlib import Path

import icalendar
import pytest
from test_book import PROFILE as BOOKED

from scheduler.ical.check import check_ics
from tests_support import SOURCE_DATE_EPOCH

PROFILE = BOOKED.replace("[visit_minutes]", 'feed_dir = "feeds"\nphone = "555-0100"\nremind = "1d"\n[visit_minutes]')
ROWS = "patient,drug,every,start,time,tz,doses\n" + "".join(
    f"P{n},atezolizumab,3w,2026-12-01,09:00,America/New_York,2\n" for n in (1, 2, 3)
)


def booked_clinic(folder: Path, monkeypatch, txcal, profile: str = PROFILE) -> Path:
    """Book three patients with their handouts in `folder` (a profile that keeps a book and turns feeds on);
    today is 2026-11-20."""
    (folder / "clinic.toml").write_text(profile, encoding="utf-8")
    (folder / "three.csv").write_text(ROWS, encoding="utf-8")
    monkeypatch.setenv("SOURCE_DATE_EPOCH", SOURCE_DATE_EPOCH)
    monkeypatch.setenv("TXCAL_TODAY", "2026-11-20")
    monkeypatch.chdir(folder)
    result = txcal("batch three.csv --out-dir out --clinic clinic.toml --level --handouts html")
    assert result.exit_code == 0, result.stderr
    return folder


@pytest.fixture
def clinic(tmp_path, monkeypatch, txcal):
    return booked_clinic(tmp_path, monkeypatch, txcal)


def tokens(clinic: Path) -> dict[str, str]:
    return json.loads((clinic / "book.sqlite.feeds").read_text(encoding="utf-8"))["tokens"]


def feed(clinic: Path, patient: str) -> Path:
    return clinic / "feeds" / f"{tokens(clinic)[patient]}.ics"


def events(path: Path) -> dict[str, icalendar.Event]:
    return {str(e["UID"]): e for e in icalendar.Calendar.from_ical(path.read_bytes()).walk("VEVENT")}


def test_a_batch_gives_each_booked_patient_a_feed_of_their_calendar_with_refresh_hints(clinic):
    found = tokens(clinic)
    assert sorted(found) == ["P1", "P2", "P3"]
    assert sorted(p.name for p in (clinic / "feeds").iterdir()) == sorted(f"{t}.ics" for t in found.values())
    for patient, token in found.items():
        assert len(token) >= 22 and token.replace("-", "").replace("_", "").isalnum()  # >= 128 bits, URL-safe
        assert patient not in token
        data = (clinic / "feeds" / f"{token}.ics").read_bytes()
        assert check_ics(data) == []
        assert b"REFRESH-INTERVAL;VALUE=DURATION:PT4H\r\n" in data and b"X-PUBLISHED-TTL:PT4H\r\n" in data
        assert b"BEGIN:VTIMEZONE" in data and b"METHOD" not in data
        mine = events(clinic / "out" / f"{patient}.ics")
        fed = events(clinic / "feeds" / f"{token}.ics")
        assert {u: (e["SEQUENCE"], e["DTSTART"].dt) for u, e in fed.items()} == {
            u: (e["SEQUENCE"], e["DTSTART"].dt) for u, e in mine.items()
        }
        calendar = icalendar.Calendar.from_ical(data)
        assert patient not in str(calendar["X-WR-CALNAME"]) and patient not in str(calendar["NAME"])
        assert f"{patient}:".encode() not in data  # no label in a summary either


def test_the_token_list_is_private_and_outside_the_served_folder(clinic):
    path = clinic / "book.sqlite.feeds"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert not path.resolve().is_relative_to((clinic / "feeds").resolve())
    token = tokens(clinic)["P1"]
    for other in (*(clinic / "out").iterdir(), *(clinic / "feeds").iterdir()):
        assert token not in other.read_text(encoding="utf-8", errors="replace")


def test_a_minimal_feed_holds_no_drug_name_dose_or_side_effects_and_a_full_one_does(clinic, txcal):
    text = feed(clinic, "P1").read_text(encoding="utf-8")
    for secret in ("atezolizumab", "Atezolizumab", "Tecentriq", "1\\,200 mg", "mg", "nausea", "BEGIN:VALARM"):
        assert secret not in text
    fed = next(iter(events(feed(clinic, "P1")).values()))
    assert str(fed["SUMMARY"]) == "Treatment"
    assert str(fed["LOCATION"]) == "Test Infusion Center"
    assert "555-0100" in str(fed["DESCRIPTION"])
    profile = clinic / "clinic.toml"
    profile.write_text(profile.read_text().replace('feed_dir = "feeds"', 'feed_dir = "feeds"\nfeed_detail = "full"'))
    assert txcal("feed build --clinic clinic.toml").exit_code == 0
    full = feed(clinic, "P1").read_text(encoding="utf-8")
    assert "Atezolizumab" in full and "1\\,200 mg" in full and "BEGIN:VALARM" in full
    assert "P1:" not in full  # no label in a title, nor in a reminder's text


def test_a_move_rewrites_that_patients_feed_in_the_same_command_and_leaves_the_others_alone(clinic, txcal):
    others = {p: feed(clinic, p).read_bytes() for p in ("P2", "P3")}
    result = txcal("move P1 --date 2026-12-01 --to 11:00 --clinic clinic.toml")
    assert result.exit_code == 0, result.stderr
    starts = {f"{e['DTSTART'].dt:%Y-%m-%d %H:%M}": e["SEQUENCE"] for e in events(feed(clinic, "P1")).values()}
    assert starts == {"2026-12-01 11:00": 1, "2026-12-22 09:00": 0}
    assert {p: feed(clinic, p).read_bytes() for p in ("P2", "P3")} == others


def test_a_feed_that_cannot_be_written_leaves_the_book_and_every_file_as_it_was(clinic, txcal):
    path = feed(clinic, "P1")
    before = path.read_bytes()
    calendar = (clinic / "out" / "P1.ics").read_bytes()
    path.unlink()
    path.mkdir()  # a folder where the feed goes: the rename fails
    result = txcal("move P1 --date 2026-12-01 --to 11:00 --clinic clinic.toml")
    assert result.exit_code == 1
    assert result.stderr.count("\n") == 1 and "Traceback" not in result.stderr
    assert (clinic / "out" / "P1.ics").read_bytes() == calendar
    path.rmdir()
    assert txcal("feed build --clinic clinic.toml").exit_code == 0
    assert path.read_bytes() == before  # the book kept 09:00
    assert not [p for p in (clinic / "feeds").iterdir() if p.name.startswith(".")]  # no temporary left behind


def test_a_cancelled_visit_stays_in_the_feed_14_days_after_its_day_then_drops_out(clinic, txcal, monkeypatch):
    assert txcal("release P2 --from 2026-12-10 --clinic clinic.toml").exit_code == 0
    cancelled = [e for e in events(feed(clinic, "P2")).values() if str(e.get("STATUS")) == "CANCELLED"]
    assert [f"{e['DTSTART'].dt:%Y-%m-%d}" for e in cancelled] == ["2026-12-22"]
    monkeypatch.setenv("TXCAL_TODAY", "2027-01-05")  # the 14th day after: still shown
    assert txcal("feed build --clinic clinic.toml").exit_code == 0
    assert len(events(feed(clinic, "P2"))) == 2
    gone = feed(clinic, "P2")
    monkeypatch.setenv("TXCAL_TODAY", "2027-01-06")
    result = txcal("feed build --clinic clinic.toml")
    assert result.exit_code == 0, result.stderr
    # Released, and the last cancelled visit has had its 14 days: the patient's feed and token are gone.
    assert "P2" not in tokens(clinic)
    assert not gone.exists() and len(list((clinic / "feeds").iterdir())) == 2


def test_feed_url_prints_the_webcal_and_https_addresses(clinic, txcal):
    result = txcal("feed url P1 --clinic clinic.toml --base https://clinic.example/feeds/")
    assert result.exit_code == 0, result.stderr
    token = tokens(clinic)["P1"]
    assert result.stdout.splitlines() == [
        f"webcal://clinic.example/feeds/{token}.ics",
        f"https://clinic.example/feeds/{token}.ics",
    ]
    missing = txcal("feed url P1 --clinic clinic.toml")
    assert missing.exit_code == 1 and "feed_base" in missing.stderr


def test_rotate_gives_a_new_link_and_removes_the_old_feed(clinic, txcal):
    old = feed(clinic, "P1")
    result = txcal("feed rotate P1 --clinic clinic.toml")
    assert result.exit_code == 0, result.stderr
    assert not old.exists() and feed(clinic, "P1").is_file() and feed(clinic, "P1") != old
    assert len(list((clinic / "feeds").iterdir())) == 3


@pytest.mark.parametrize(
    ("line", "says"),
    [
        ('feed_dir = "../elsewhere"', "feed_dir"),
        ('feed_dir = "."', "feed_dir"),
        ('feed_detail = "everything"', '"minimal", "full"'),
        ('feed_base = "http://clinic.example"', "https://"),
        ('feed_refresh = "4 hours"', "PT4H"),
    ],
)
def test_a_bad_feed_key_is_one_clear_line(clinic, txcal, line, says):
    bad = PROFILE.replace('feed_dir = "feeds"\n', "").replace("[visit_minutes]", f"{line}\n[visit_minutes]")
    (clinic / "bad.toml").write_text(bad, encoding="utf-8")
    result = txcal("feed build --clinic bad.toml")
    assert result.exit_code == 1
    assert says in result.stderr and "Traceback" not in result.stderr


def test_a_feed_follows_the_profiles_refresh_interval(clinic, txcal):
    profile = clinic / "clinic.toml"
    profile.write_text(profile.read_text().replace('feed_dir = "feeds"', 'feed_dir = "feeds"\nfeed_refresh = "PT12H"'))
    assert txcal("feed build --clinic clinic.toml").exit_code == 0
    data = feed(clinic, "P3").read_bytes()
    assert b"REFRESH-INTERVAL;VALUE=DURATION:PT12H\r\n" in data and b"X-PUBLISHED-TTL:PT12H\r\n" in data


def test_a_batch_whose_feeds_cannot_be_written_books_nothing(tmp_path, monkeypatch, txcal):
    (tmp_path / "clinic.toml").write_text(PROFILE, encoding="utf-8")
    (tmp_path / "three.csv").write_text(ROWS, encoding="utf-8")
    (tmp_path / "feeds").write_text("a file where the feed folder goes", encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    result = txcal("batch three.csv --out-dir out --clinic clinic.toml --level")
    assert result.exit_code == 1
    assert "feed folder" in result.stderr and "Traceback" not in result.stderr
    assert not (tmp_path / "book.sqlite").exists() and not (tmp_path / "book.sqlite.feeds").exists()
    assert not (tmp_path / "out").exists() or not list((tmp_path / "out").iterdir())  # refused before writing


def test_a_damaged_token_list_is_one_clear_line_and_nothing_changes(clinic, txcal):
    (clinic / "book.sqlite.feeds").write_text('{"tokens": {"P1": "../../etc/passwd"}}', encoding="utf-8")
    before = sorted((p.name, p.read_bytes()) for p in (clinic / "feeds").iterdir())
    result = txcal("feed build --clinic clinic.toml")
    assert result.exit_code == 1
    assert result.stderr.startswith("Error: the feed token list") and result.stderr.count("\n") == 1
    assert sorted((p.name, p.read_bytes()) for p in (clinic / "feeds").iterdir()) == before


def test_a_handout_carries_the_patients_own_feed_link_and_its_qr_code(tmp_path, monkeypatch, txcal):
    served = PROFILE.replace('feed_dir = "feeds"', 'feed_dir = "feeds"\nfeed_base = "https://clinic.example/feeds"')
    booked_clinic(tmp_path, monkeypatch, txcal, served)
    links = {p: txcal(f"feed url {p} --clinic clinic.toml").stdout.splitlines()[0] for p in ("P1", "P2", "P3")}
    page = (tmp_path / "out" / "P1.html").read_text(encoding="utf-8")
    assert links["P1"].startswith("webcal://clinic.example/feeds/") and links["P1"] in page
    assert links["P2"] not in page and links["P3"] not in page  # one patient's secret on their own page only
    assert 'role="img" aria-label="QR code of your calendar link"' in page and "<path " in page
    assert txcal("move P1 --date 2026-12-01 --to 14:00 --clinic clinic.toml").exit_code == 0
    assert links["P1"] in (tmp_path / "out" / "P1.html").read_text(encoding="utf-8")  # the rewritten one too
    assert links["P1"] not in (tmp_path / "out" / "clinic.ics").read_text(encoding="utf-8")
