"""What the calendars say matches the sources (shared/clinical-facts.md), word for word where it matters."""

from __future__ import annotations

import json
from datetime import date

import pytest

from scheduler.catalog.loader import load_regimens
from scheduler.engine import expand
from scheduler.errors import PlanError
from scheduler.model import PlanRequest
from tests_support import template_cases

CATALOG = load_regimens()


def afami(**options):
    return expand(PlanRequest(regimen=CATALOG.get("afami-cel"), start=date(2026, 12, 1), **options))


def test_an_implausibly_early_infusion_is_refused_with_the_earliest_plausible_date(txcal):
    result = txcal("plan afami-cel --start 2026-12-01 --infusion 2026-12-10")
    assert result.exit_code == 1
    assert (
        "Error: --infusion 2026-12-10 is 9 days after the start on 2026-12-01; manufacturing the product takes "
        "weeks (the shortest estimate found: about 30 days, from manufacturer descriptions; trial summaries say "
        "about 45 days), an estimate, not a label figure: the earliest plausible infusion is 2026-12-31. If the "
        "product's arrival date is known, give it with --product-arrival (before the first treatment tied to Day 1)"
    ) in result.stderr


def test_a_known_arrival_date_allows_an_earlier_infusion_but_must_come_before_day_minus_7(txcal):
    ok = txcal("plan afami-cel --start 2026-12-01 --infusion 2026-12-20 --product-arrival 2026-12-10 --format json")
    assert ok.exit_code == 0, ok.stderr
    assert "Product arrival: 2026-12-10." in json.loads(ok.stdout)["horizon"]
    late = txcal("plan afami-cel --start 2026-12-01 --infusion 2026-12-20 --product-arrival 2026-12-14")
    assert late.exit_code == 1
    assert "--product-arrival 2026-12-14 must fall after the plan start on 2026-12-01 and before" in late.stderr
    with pytest.raises(PlanError, match="belongs to the afami-cel pathway"):
        expand(
            PlanRequest(
                regimen=CATALOG.get("pembrolizumab-iv"),
                schedule=CATALOG.get("pembrolizumab-iv").schedules[0],
                start=date(2026, 12, 1),
                product_arrival=date(2026, 12, 5),
            )
        )


def test_every_event_of_every_shipped_regimen_carries_what_its_template_says_to_report():
    for regimen in CATALOG.regimens:
        assert regimen.notes.report, f"{regimen.id} names no side effects to report"
        wanted = "Side effects to report: " + "; ".join(regimen.notes.report) + "."
        schedule = regimen.schedules[0] if regimen.schedules else None
        plan = expand(
            PlanRequest(regimen=regimen, schedule=schedule, start=date(2027, 3, 1), weight_kg=40, doses=2)
            if schedule
            else PlanRequest(regimen=regimen, start=date(2027, 3, 1))
        )
        missing = [e.title for e in plan.events if wanted not in e.notes]
        assert missing == [], regimen.id


def test_afami_cel_names_infusion_reactions_infections_and_the_unconfirmed_risk_of_other_cancers():
    notes = "\n".join(afami().events[0].notes)
    assert "infusion reactions" in notes and "signs of a serious infection" in notes
    assert "Other cancers have been reported after some other genetically modified T-cell therapies" in notes
    assert "not confirmed here" in notes


def test_crs_lasts_about_3_days_sometimes_up_to_2_weeks_and_neurologic_problems_are_named_first():
    watch = next(e for e in afami().events if e.kind == "watch")
    assert watch.name == "Watch for cytokine release syndrome and neurologic problems (4 weeks)"
    assert watch.notes[2].startswith(
        "What to expect: Watch for cytokine release syndrome and for neurologic problems (confusion, trouble "
        "speaking, seizures, tremors, changes in consciousness): call your care team at once if any appear."
    )
    assert "usually lasts about 3 days, sometimes up to 2 weeks" in watch.notes[2]


def test_daily_is_the_seeds_word_and_each_part_names_its_source():
    monitoring = next(e for e in afami().events if e.kind == "monitoring")
    text = "\n".join(monitoring.notes)
    assert "Checks at the health care facility for at least 7 days after the infusion (label)" in text
    assert "The seed document says these checks are typically daily; that word is not the label's" in text
    assert "Source: txcal seed document" in text and "(seed: checks typically daily" in text
    assert "Source: Tecelra label section 5.1" in text


def test_keytruda_qlex_says_the_same_about_children_everywhere(txcal):
    qlex = CATALOG.get("pembrolizumab-sc")
    assert qlex.population == "adult"
    assert "txcal has no pediatric Keytruda Qlex schedule" in qlex.who
    refused = txcal("plan 'Keytruda Qlex' --pediatric --weight-kg 40 --start 2026-12-01")
    assert refused.exit_code == 1
    assert "Keytruda Qlex has no pediatric schedule here" in refused.stderr
    assert "txcal has no pediatric Keytruda Qlex schedule" in refused.stderr


def test_a_weight_based_dose_has_one_rounding(txcal):
    result = json.loads(
        txcal("plan atezolizumab --pediatric --weight-kg 79.99 --start 2026-12-01 --doses 1 --format json").stdout
    )
    event = result["events"][0]
    assert event["dose"] == "1,199.9 mg"
    assert "= 1,199.85 mg, rounded to 1,199.9 mg (to the nearest 0.1 mg), cap 1,200 mg" in result["regimen"]["schedule"]
    assert "Dose for this weight: 15 mg/kg × 79.99 kg = 1,199.85 mg, rounded to 1,199.9 mg" in "\n".join(event["notes"])


def test_clinician_only_notes_reach_the_clinic_views_and_never_the_patients_calendar(txcal, tmp_path):
    command = template_cases([CATALOG.get("afami-cel").path])["template-afami-cel"]
    data = json.loads(txcal(f"{command} --format json").stdout)
    infusion = next(e for e in data["events"] if e["kind"] == "infusion")
    assert (
        "For the care team: Ensure the patient is euvolemic before the infusion (label section 5.1)."
        in infusion["clinic_notes"]
    )
    assert not any("euvolemic" in n for e in data["events"] for n in e["notes"])
    patient_calendar = txcal(f"{command} --format ics").stdout
    assert "euvolemic" not in patient_calendar.replace("\r\n ", "") and "corticosteroids" not in patient_calendar
    (tmp_path / "list.csv").write_text(
        "patient,drug,start,time,tz\nP-1,afami-cel,2027-03-01,09:00,America/New_York\n", encoding="utf-8"
    )
    assert txcal(f"batch {tmp_path / 'list.csv'} --out-dir {tmp_path / 'out'}").exit_code == 0
    clinic = (tmp_path / "out" / "clinic.ics").read_text(encoding="utf-8").replace("\r\n ", "")
    assert "euvolemic" in clinic and "euvolemic" not in (tmp_path / "out" / "P-1.ics").read_text(encoding="utf-8")


def test_show_sources_lists_each_fact_with_its_source_mark_and_revision_checked(txcal):
    shown = txcal("show keytruda --sources")
    assert shown.exit_code == 0
    assert "  200 mg every 3 weeks; 30 minutes\n    [label] https://www.keytrudahcp.com/dosing/options/" in shown.stdout
    assert "openFDA lists a Dosage and Administration revision of 07/2026" in " ".join(shown.stdout.split())
    assert max(len(line) for line in shown.stdout.splitlines()) <= 80
    afami = txcal("show afami-cel --sources").stdout
    assert "[seed] txcal seed document" in afami and "[trial] SPEARHEAD-1" in afami
    assert "unconfirmed: Chemotherapy days and doses come from the SPEARHEAD-1 trial" in afami
