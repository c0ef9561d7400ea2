"""A clinic's Spanish-speaking patients (issue 38): a batch, the clinic book's feed and the profile default
write each patient's own calendar, handout and feed in their language; the clinic's views stay English."""

from __future__ import annotations

import json
from pathlib import Path

import icalendar
from test_book import PROFILE as BOOKED

from tests_support import SOURCE_DATE_EPOCH

PROFILE = BOOKED.replace("[visit_minutes]", 'feed_dir = "feeds"\nphone = "555-0100"\n[visit_minutes]')
HEADER = "patient,drug,every,start,time,tz,doses,language\n"


def _row(patient: str, language: str = "") -> str:
    return f"{patient},atezolizumab,3w,2026-12-01,09:00,America/New_York,3,{language}\n"


def _batch(folder: Path, monkeypatch, txcal, rows: str, profile: str = PROFILE, more: str = "") -> None:
    (folder / "clinic.toml").write_text(profile, encoding="utf-8")
    (folder / "list.csv").write_text(HEADER + rows, encoding="utf-8")
    monkeypatch.setenv("SOURCE_DATE_EPOCH", SOURCE_DATE_EPOCH)
    monkeypatch.setenv("TXCAL_TODAY", "2026-11-20")
    monkeypatch.chdir(folder)
    result = txcal(f"batch list.csv --out-dir out --clinic clinic.toml --level --handouts html {more}")
    assert result.exit_code == 0, result.stderr


def _with(profile: str, line: str) -> str:
    """Return a profile with a top-level line (before its first table)."""
    return profile.replace("[visit_minutes]", f"{line}\n[visit_minutes]")


def _summaries(path: Path) -> dict[str, str]:
    return {str(e["UID"]): str(e["SUMMARY"]) for e in icalendar.Calendar.from_ical(path.read_bytes()).walk("VEVENT")}


def _clinic_summaries(folder: Path, patient: str) -> dict[str, str]:
    found = icalendar.Calendar.from_ical((folder / "out" / "clinic.ics").read_bytes()).walk("VEVENT")
    return {str(e["UID"]): str(e["SUMMARY"]) for e in found if str(e.get("X-TXCAL-PATIENT")) == patient}


def test_a_batch_writes_each_patient_in_their_language_and_the_clinic_calendar_in_english(tmp_path, monkeypatch, txcal):
    _batch(tmp_path, monkeypatch, txcal, _row("P1") + _row("P2", "es"))
    english, spanish = _summaries(tmp_path / "out" / "P1.ics"), _summaries(tmp_path / "out" / "P2.ics")
    assert all("Dose" in s or "dose" in s for s in english.values()), english
    assert all("dosis" in s for s in spanish.values()), spanish  # "P2: Atezolizumab ... dosis 1"
    clinic = _clinic_summaries(tmp_path, "P2")
    assert set(clinic) == set(spanish)  # the same events, by the same UIDs
    assert not any("dosis" in s for s in clinic.values()), clinic  # the clinic reads its own language
    assert '<html lang="es-US">' in (tmp_path / "out" / "P2.html").read_text(encoding="utf-8")
    assert '<html lang="en">' in (tmp_path / "out" / "P1.html").read_text(encoding="utf-8")


def test_a_spanish_row_of_a_batch_is_the_calendar_txcal_plan_writes_for_that_patient(tmp_path, monkeypatch, txcal):
    # No plan template fills a Spanish row in: a template is English text; the row is planned in full.
    _batch(tmp_path, monkeypatch, txcal, _row("P1", "es") + _row("P2", "es") + _row("P3", "es"))
    alone = tmp_path / "alone.ics"
    result = txcal(
        "plan atezolizumab --every 3w --start 2026-12-01 --time 09:00 --tz America/New_York --doses 3 "
        f"--patient P3 --language es --clinic clinic.toml -o {alone}"
    )
    assert result.exit_code == 0, result.stderr
    assert _summaries(alone) == _summaries(tmp_path / "out" / "P3.ics")


def test_the_clinic_profile_language_is_the_default_and_a_row_says_otherwise(tmp_path, monkeypatch, txcal):
    _batch(tmp_path, monkeypatch, txcal, _row("P1") + _row("P2", "en"), profile=_with(PROFILE, 'language = "es"'))
    assert all("dosis" in s for s in _summaries(tmp_path / "out" / "P1.ics").values())
    assert not any("dosis" in s for s in _summaries(tmp_path / "out" / "P2.ics").values())


def test_a_bad_profile_language_is_named_in_one_line(tmp_path, monkeypatch, txcal):
    (tmp_path / "clinic.toml").write_text(_with(PROFILE, 'language = "fr"'), encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    result = txcal("plan atezolizumab --every 3w --start 2026-12-01 --clinic clinic.toml")
    assert result.exit_code != 0 and "language: 'fr': expected en or es" in result.stderr, result.stderr


def test_a_spanish_patients_feed_is_in_spanish_and_an_english_patients_in_english(tmp_path, monkeypatch, txcal):
    _batch(tmp_path, monkeypatch, txcal, _row("P1") + _row("P2", "es"))
    tokens = json.loads((tmp_path / "book.sqlite.feeds").read_text(encoding="utf-8"))["tokens"]
    english = (tmp_path / "feeds" / f"{tokens['P1']}.ics").read_bytes().decode("utf-8")
    spanish = (tmp_path / "feeds" / f"{tokens['P2']}.ics").read_bytes().decode("utf-8")
    assert "SUMMARY:Treatment\r\n" in english and "X-WR-CALNAME:Treatment visits" in english
    assert "SUMMARY:Tratamiento\r\n" in spanish and "X-WR-CALNAME:Citas de tratamiento" in spanish
    unfolded = spanish.replace("\r\n ", "")
    assert "Su hoja informativa tiene los detalles de esta cita." in unfolded
    assert "todavía no la ha revisado un profesional médico" in unfolded  # the review line, in the feed too
    assert (
        _summaries(tmp_path / "feeds" / f"{tokens['P2']}.ics").keys() == _summaries(tmp_path / "out" / "P2.ics").keys()
    )


def test_a_row_that_changes_language_is_planned_again_and_keeps_its_events(tmp_path, monkeypatch, txcal):
    _batch(tmp_path, monkeypatch, txcal, _row("P1") + _row("P2"))
    before = _summaries(tmp_path / "out" / "P2.ics")
    _batch(tmp_path, monkeypatch, txcal, _row("P1") + _row("P2", "es"))
    after = _summaries(tmp_path / "out" / "P2.ics")
    assert after.keys() == before.keys()  # updated in place: the same UIDs, no duplicates
    assert all("dosis" in s for s in after.values()) and not any("dosis" in s for s in before.values())
