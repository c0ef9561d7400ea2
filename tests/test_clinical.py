"""What the calendars say matches the sources (shared/clinical-facts.md), word for word where it matters."""

from __future__ import annotations

import json
from datetime import date

import pytest

from scheduler import fact_words
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


def test_a_known_arrival_is_plausible_itself_and_comes_before_day_minus_7(txcal):
    # Tecelra label: "Confirm availability of TECELRA at the healthcare facility prior to starting the
    # lymphodepleting chemotherapy regimen." The product is made from the collected cells: it cannot arrive
    # a day after collection (manufacturing: about 30 days at the soonest, an estimate).
    early = txcal("plan afami-cel --start 2026-12-01 --infusion 2026-12-20 --product-arrival 2026-12-02")
    assert early.exit_code == 1
    assert "--product-arrival 2026-12-02 is 1 days after the collection on 2026-12-01" in early.stderr
    assert "the earliest plausible arrival is 2026-12-31" in early.stderr
    ok = txcal("plan afami-cel --start 2026-12-01 --infusion 2027-01-12 --product-arrival 2027-01-02 --format json")
    assert ok.exit_code == 0, ok.stderr
    assert "Product arrival: 2027-01-02." in json.loads(ok.stdout)["horizon"]
    late = txcal("plan afami-cel --start 2026-12-01 --infusion 2027-01-12 --product-arrival 2027-01-06")
    assert late.exit_code == 1
    assert "--product-arrival 2027-01-06 must fall after the plan start on 2026-12-01 and before" in late.stderr
    with pytest.raises(PlanError, match="belongs to the afami-cel pathway"):
        expand(
            PlanRequest(
                regimen=CATALOG.get("pembrolizumab-iv"),
                schedule=CATALOG.get("pembrolizumab-iv").schedules[0],
                start=date(2026, 12, 1),
                product_arrival=date(2026, 12, 5),
            )
        )


def test_every_event_carries_what_to_report_and_afami_cels_only_from_the_infusion_on():
    for regimen in CATALOG.regimens:
        assert regimen.notes.report, f"{regimen.id} names no side effects to report"
        wanted = "Side effects to report: " + "; ".join(regimen.notes.report) + "."
        schedule = regimen.schedules[0] if regimen.schedules else None
        plan = expand(
            PlanRequest(regimen=regimen, schedule=schedule, start=date(2027, 3, 1), weight_kg=40, doses=2)
            if schedule
            else PlanRequest(regimen=regimen, start=date(2027, 3, 1))
        )
        # Before any cells are given (collection, chemotherapy) there is no cytokine release syndrome to watch for.
        after = [
            e for e in plan.events if e.audience == "patient" and ((e.day is None and schedule) or (e.day or 0) >= 1)
        ]
        before = [e for e in plan.events if e.audience == "patient" and e not in after]

        # A later dose of a schedule carries what its first dose said inside one fact ("see-first"), and points to it.
        def told(e):
            return fact_words.patient_notes(
                tuple(f for g in e.facts for f in (g.args[0] if g.kind == "see-first" else (g,)))
            )

        assert [e.title for e in after if wanted not in told(e)] == [], regimen.id
        assert [e.title for e in before if wanted in told(e)] == [], regimen.id
        if not schedule:
            assert before and after


def test_the_patients_words_name_no_source_and_say_when_to_go_to_the_emergency_room():
    for regimen in CATALOG.regimens:
        schedule = regimen.schedules[0] if regimen.schedules else None
        plan = expand(
            PlanRequest(regimen=regimen, schedule=schedule, start=date(2027, 3, 1), weight_kg=40, doses=2)
            if schedule
            else PlanRequest(regimen=regimen, start=date(2027, 3, 1))
        )
        for event in plan.events:
            text = " ".join(fact_words.patient_notes(event.facts))
            for internal in ("seed", "mirror", "blackboxrx", "SPEARHEAD", "drugs.com", "Source:", "txcal's", "--"):
                assert internal not in text, (regimen.id, event.title, internal)
            assert text.count("When to call:") <= 1 and text.count("Side effects to report:") <= 1
        # The label counsels seeking medical attention; the ACS page: trouble breathing, "tell the nurse or doctor".
        assert any(
            "Call 911 or go to the nearest emergency room" in " ".join(fact_words.patient_notes(e.facts))
            for e in plan.events
        )


def test_afami_cel_names_the_risk_of_other_cancers_and_belly_back_and_chest_pain():
    # The ACS page: afami-cel can bring "an increased risk for other cancers"; belly, back and chest pain to report.
    notes = "\n".join(fact_words.patient_notes(afami().events[0].facts))
    assert "Afami-cel can raise the risk of other cancers later" in notes and "not confirmed here" not in notes
    infusion = "\n".join(fact_words.patient_notes(next(e for e in afami().events if e.kind == "infusion").facts))
    assert "pain in the belly, back or chest" in infusion and "a reaction during the infusion" in infusion
    assert "signs of a serious infection" in infusion


def test_crs_lasts_about_3_days_sometimes_up_to_2_weeks_and_neurologic_problems_are_named_first():
    watch = next(e for e in afami().events if e.kind == "watch")
    assert watch.name == "Watch for cytokine release syndrome and neurologic problems (4 weeks)"
    text = "\n".join(fact_words.patient_notes(watch.facts))
    assert "For 4 weeks after the infusion, watch for nerve problems and for cytokine release syndrome (CRS)" in text
    # Label 5.1: median onset 2 days (range 1 to 5); median time to resolution 3 days (range 1 to 14 days).
    assert "It most often starts about 2 days after the infusion, but it can start 1 to 5 days after" in text
    assert "It most often lasts about 3 days, and sometimes up to 2 weeks" in text
    assert "nerve problems, such as feeling confused, trouble speaking, shaking, or seizures" in text


def test_monitoring_is_where_the_care_team_says_and_each_part_keeps_its_source():
    # Label 5.1: "at least 7 days at the healthcare facility"; the ACS page: "typically daily".
    monitoring = next(e for e in afami().events if e.kind == "monitoring")
    text = "\n".join(fact_words.patient_notes(monitoring.facts))
    assert (
        "at a health care facility for at least 7 days after the infusion. Most often they check on you every day"
        in text
    )
    assert "Your care team tells you where: often it is a stay in the hospital." in text
    assert "Source: " not in text and not monitoring.location  # not the infusion clinic's address
    sources = "\n".join(fact_words.reference_notes(monitoring.facts))
    assert "Tecelra label section 5.1" in sources and "American Cancer Society" in sources


def test_keytruda_qlex_says_the_same_about_children_everywhere(txcal):
    qlex = CATALOG.get("pembrolizumab-sc")
    assert qlex.population == "adult"
    # Keytruda Qlex highlights: "adults and pediatric patients 12 years and older who weigh greater than 40 kg".
    assert "children 12 years and older who weigh more than 40 kg" in qlex.who
    assert "txcal plans no Keytruda Qlex schedule for children" in qlex.who
    refused = txcal("plan 'Keytruda Qlex' --pediatric --weight-kg 40 --start 2026-12-01")
    assert refused.exit_code == 1
    assert "Keytruda Qlex has no pediatric schedule here" in refused.stderr
    assert "children 12 years and older who weigh more than 40 kg" in " ".join(refused.stderr.split())


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
    assert "[ACS page] American Cancer Society: Immunotherapy for Soft Tissue Sarcoma" in " ".join(afami.split())
    assert "[trial] SPEARHEAD-1" in afami
    assert (
        "unconfirmed: These chemotherapy days and doses come from the main study of afami-cel. They are not checked against the drug's label."
        in " ".join(afami.split())
    )
    # The side effects and "when to call" are the ACS page's, and say so (Keytruda Qlex credited nothing before).
    qlex = " ".join(txcal("show 'Keytruda Qlex' --sources").stdout.split())
    assert "what to expect, side effects to report and when to call [ACS page] American Cancer Society" in qlex
