"""Every shipped template against dates, doses and lengths worked out by hand from clinical-facts.md."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta

import pytest

from scheduler import fact_words, wording
from scheduler.catalog.loader import Catalog
from scheduler.catalog.lookup import resolve
from scheduler.engine import expand
from scheduler.model import PlanRequest


def plan(
    catalog: Catalog,
    name: str,
    start: date,
    every: str | None = None,
    pediatric: bool = False,
    route: str | None = None,
    **options: object,
):
    choice = resolve(catalog, name, route=route, pediatric=pediatric, every=every)
    return expand(PlanRequest(regimen=choice.regimen, schedule=choice.schedule, start=start, **options))  # type: ignore[arg-type]


def dates(result) -> list[date]:
    return [e.start.date() if isinstance(e.start, datetime) else e.start for e in result.events]


START = date(2026, 12, 1)


@pytest.mark.parametrize(
    ("every", "dose", "expected"),
    [
        ("2w", "840 mg", ["2026-12-01", "2026-12-15", "2026-12-29", "2027-01-12"]),
        ("3w", "1,200 mg", ["2026-12-01", "2026-12-22", "2027-01-12", "2027-02-02"]),
        ("4w", "1,680 mg", ["2026-12-01", "2026-12-29", "2027-01-26", "2027-02-23"]),
    ],
)
def test_atezolizumab_iv_doses_dates_and_lengths(catalog, every, dose, expected):
    result = plan(catalog, "atezolizumab", START, every, doses=4, time=time(9), tz="Europe/Berlin")
    assert [d.isoformat() for d in dates(result)] == expected
    assert {wording.event_dose(e) for e in result.events} == {dose}
    assert result.regimen.id == "atezolizumab-iv"
    first, second = result.events[0], result.events[1]
    # First infusion 60 minutes, later ones 30 (label Table 1 footnote).
    assert (first.start.strftime("%H:%M"), first.end.strftime("%H:%M")) == ("09:00", "10:00")
    assert (second.start.strftime("%H:%M"), second.end.strftime("%H:%M")) == ("09:00", "09:30")
    assert [e.dose_number for e in result.events] == [1, 2, 3, 4]


def test_open_ended_plan_stops_at_the_one_year_horizon_and_says_why(catalog):
    result = plan(catalog, "atezolizumab", START, "3w")
    # 2026-12-01 + 17 x 21 days = 2027-11-23; the next dose (2027-12-14) is past 2027-11-30.
    assert len(result.events) == 18
    assert dates(result)[-1] == date(2027, 11, 23)
    assert "Planned through 2027-11-30" in wording.horizon_text(result.reach)
    assert "until disease progression or unacceptable toxicity" in wording.horizon_text(result.reach)


@pytest.mark.parametrize(("weight", "dose"), [(42, "630 mg"), (80, "1,200 mg"), (23.5, "352.5 mg")])
def test_atezolizumab_pediatric_dose_is_15_mg_per_kg_capped_at_1200(catalog, weight, dose):
    result = plan(catalog, "Tecentriq", START, pediatric=True, weight_kg=weight, doses=2)
    assert result.regimen.id == "atezolizumab-iv-pediatric"
    assert dates(result) == [START, date(2026, 12, 22)]
    assert {wording.event_dose(e) for e in result.events} == {dose}
    if weight == 80:
        assert "15 mg/kg × 80 kg = 1,200 mg" in wording.schedule_text(result)
        assert "capped" not in wording.schedule_text(result)  # exactly at the cap, not over it
    if weight == 42:
        assert "15 mg/kg × 42 kg = 630 mg, cap 1,200 mg" in wording.schedule_text(result)


def test_atezolizumab_pediatric_over_the_cap_shows_the_arithmetic(catalog):
    result = plan(catalog, "atezolizumab", START, pediatric=True, weight_kg=90, doses=1)
    assert wording.event_dose(result.events[0]) == "1,200 mg"
    assert "15 mg/kg × 90 kg = 1,350 mg, capped at 1,200 mg" in wording.schedule_text(result)


@pytest.mark.parametrize("name", ["Tecentriq Hybreza", "atezolizumab and hyaluronidase-tqjs", "atezolizumab-sc"])
def test_atezolizumab_sc_every_3_weeks_7_minutes(catalog, name):
    result = plan(catalog, name, START, doses=3, time=time(14, 30), tz="America/New_York")
    assert result.regimen.id == "atezolizumab-sc"
    assert dates(result) == [START, date(2026, 12, 22), date(2027, 1, 12)]
    event = result.events[0]
    assert wording.event_dose(event) == "1,875 mg"
    assert "1,875 mg with 30,000 units hyaluronidase (15 mL)" in wording.schedule_text(result)
    assert any(
        "1,875 mg with 30,000 units hyaluronidase (15 mL) every 3 weeks" in n
        for n in fact_words.patient_notes(event.facts)
    )
    assert event.end - event.start == timedelta(minutes=7)
    assert any("thigh" in n for n in fact_words.patient_notes(event.facts))


def test_generic_name_with_route_sc_picks_the_subcutaneous_product(catalog):
    assert resolve(catalog, "atezolizumab", route="sc").regimen.id == "atezolizumab-sc"
    assert resolve(catalog, "Keytruda", route="SC", every="6w").regimen.id == "pembrolizumab-sc"


@pytest.mark.parametrize(("every", "dose", "count"), [("3w", "200 mg", 35), ("6w", "400 mg", 18)])
def test_pembrolizumab_iv_defaults_to_24_months(catalog, every, dose, count):
    result = plan(catalog, "KEYTRUDA", START, every, time=time(9), tz="America/New_York")
    # Through 2028-11-30: 730 days; the last dose is day 714 (34 x 21 = 17 x 42), 2028-11-14.
    assert len(result.events) == count
    assert dates(result)[-1] == date(2028, 11, 14)
    assert {wording.event_dose(e) for e in result.events} == {dose}
    assert all(e.end - e.start == timedelta(minutes=30) for e in result.events)
    assert "up to 24 months" in wording.horizon_text(result.reach)


@pytest.mark.parametrize(("weight", "dose"), [(30, "60 mg"), (120, "200 mg")])
def test_pembrolizumab_pediatric_2_mg_per_kg_capped_at_200(catalog, weight, dose):
    result = plan(catalog, "pembrolizumab", START, pediatric=True, weight_kg=weight, doses=2)
    assert result.regimen.id == "pembrolizumab-iv-pediatric"
    assert dates(result) == [START, date(2026, 12, 22)]
    assert {wording.event_dose(e) for e in result.events} == {dose}


@pytest.mark.parametrize(
    ("every", "dose", "minutes", "second"),
    [
        ("3w", "395 mg with 4,800 units berahyaluronidase alfa (2.4 mL)", 1, date(2026, 12, 22)),
        ("6w", "790 mg with 9,600 units berahyaluronidase alfa (4.8 mL)", 2, date(2027, 1, 12)),
    ],
)
def test_pembrolizumab_sc_keytruda_qlex(catalog, every, dose, minutes, second):
    result = plan(catalog, "Keytruda Qlex", START, every, doses=2, time=time(8), tz="Australia/Sydney")
    assert result.regimen.id == "pembrolizumab-sc"
    assert dates(result) == [START, second]
    assert wording.event_dose(result.events[0]) == dose.split(" with ")[0]
    assert dose in wording.schedule_text(result)  # the enzyme given with it, in the heading and the notes
    assert result.events[0].end - result.events[0].start == timedelta(minutes=minutes)


def test_afami_cel_pathway_with_default_infusion_six_weeks_after_collection(catalog):
    result = plan(catalog, "Tecelra", date(2027, 1, 4), time=time(9), tz="America/New_York")
    rows = [
        (e.kind, e.day, (e.start.date() if isinstance(e.start, datetime) else e.start).isoformat())
        for e in result.events
    ]
    # Day 1 = 2027-01-04 + 42 days = 2027-02-15; Day -n = Day 1 - n days; Day n = Day 1 + (n - 1).
    assert rows == [
        ("collection", None, "2027-01-04"),
        ("milestone", -8, "2027-02-07"),
        ("chemotherapy", -7, "2027-02-08"),
        ("chemotherapy", -7, "2027-02-08"),
        ("chemotherapy", -6, "2027-02-09"),
        ("chemotherapy", -6, "2027-02-09"),
        ("chemotherapy", -5, "2027-02-10"),
        ("chemotherapy", -5, "2027-02-10"),
        ("chemotherapy", -4, "2027-02-11"),
        ("premedication", 1, "2027-02-15"),
        ("infusion", 1, "2027-02-15"),
        ("monitoring", 2, "2027-02-16"),
        ("watch", 2, "2027-02-16"),
        *[("monitoring", d, f"2027-02-{15 + d - 1:02d}") for d in range(3, 9)],
    ]
    chemo = [e for e in result.events if e.kind == "chemotherapy"]
    fludarabine = [e.day for e in chemo if e.title.startswith("Fludarabine")]
    cyclophosphamide = [e.day for e in chemo if e.title.startswith("Cyclophosphamide")]
    assert fludarabine == [-7, -6, -5, -4] and cyclophosphamide == [-7, -6, -5]
    assert {wording.event_dose(e) for e in chemo} == {"30 mg/m²", "600 mg/m²"}
    premed, infusion = (next(e for e in result.events if e.kind == k) for k in ("premedication", "infusion"))
    # One after the other from the appointment time: premedication ends when the infusion starts.
    assert (premed.start.strftime("%H:%M"), premed.end.strftime("%H:%M")) == ("09:00", "09:30")
    assert infusion.start == premed.end
    watch = next(e for e in result.events if e.kind == "watch")
    # Four weeks after the infusion: Days 2 to 29, an all-day span ending (exclusive) 2027-03-16.
    assert (watch.start, watch.end, watch.all_day) == (date(2027, 2, 16), date(2027, 3, 16), True)
    assert all(e.all_day for e in result.events if e.kind in ("monitoring", "milestone", "watch"))


def test_afami_cel_unconfirmed_facts_are_marked_in_the_event_text(catalog):
    result = plan(catalog, "afami-cel", date(2027, 1, 4))
    chemo = next(e for e in result.events if e.kind == "chemotherapy")
    text = " ".join(fact_words.patient_notes(chemo.facts))
    assert chemo.unconfirmed
    assert "These chemotherapy days and doses come from the main study of afami-cel." in text
    assert "They are not checked against the drug's label." in text
    assert "SPEARHEAD" not in text  # the trial is named in show --sources, not in the patient's words
    assert "Day 1 is the day of the infusion, and there is no Day 0. This is the usual way to count" in text
    assert "The infusion date, about 6 weeks after collection, is only a guess." in text
    assert "Confirm with your care team." in text


def test_afami_cel_infusion_date_moves_the_block_and_keeps_the_collection(catalog):
    result = plan(catalog, "afami-cel", date(2027, 1, 4), infusion=date(2027, 2, 3), monitor_days=10)
    found = {(e.kind, e.day): e.start for e in result.events}
    assert found[("collection", None)] == date(2027, 1, 4)
    assert found[("chemotherapy", -7)] == date(2027, 1, 27)
    assert found[("infusion", 1)] == date(2027, 2, 3)
    assert sorted(d for k, d in found if k == "monitoring") == list(range(2, 12))
    assert not any("6 weeks after collection" in n for e in result.events for n in fact_words.patient_notes(e.facts))


def test_pembrolizumab_past_its_cap_is_planned_with_a_warning(catalog):
    result = plan(catalog, "pembrolizumab", START, "6w", period="30m")
    assert dates(result)[-1] > date(2028, 12, 1)
    assert any("24-month limit" in w for w in result.warnings)
    # Every dose past the limit says so, and so does the summary; doses within it do not.
    past = [e for e in result.events if e.first_day >= date(2028, 12, 1)]
    assert past and all(
        e.beyond_label and fact_words.patient_notes(e.facts)[0].startswith("Beyond the labelled duration") for e in past
    )
    assert not any(e.beyond_label for e in result.events if e.first_day < date(2028, 12, 1))
    assert f"{len(past)} doses fall after the 24-month limit" in wording.horizon_text(result.reach)
    assert "beyond the labelled duration" in wording.horizon_text(result.reach)


def test_event_uids_are_rfc_4122_uuid5_of_plan_and_key():
    import uuid

    from scheduler.engine import UID_NAMESPACE, event_uid

    for plan_id, key in [("a" * 32, "dose-1"), ("0f" * 16, "fludarabine-day-7"), ("x", "crs-watch")]:
        assert event_uid(plan_id, key) == f"{uuid.uuid5(UID_NAMESPACE, f'{plan_id}/{key}')}@txcal"


def test_derived_plan_ids_are_the_hex_of_rfc_4122_uuid5():
    import uuid

    from scheduler.catalog.loader import load_regimens
    from scheduler.engine import UID_NAMESPACE, derive_plan_id

    for regimen in load_regimens().regimens:
        for start, patient in [(date(2026, 12, 1), None), (date(2027, 2, 28), "P-017: Ward 3, ü")]:
            expected = uuid.uuid5(UID_NAMESPACE, f"{regimen.id}|{start.isoformat()}|{patient or ''}").hex
            assert derive_plan_id(regimen, start, patient) == expected


def test_a_day_of_visits_that_would_run_past_midnight_is_refused(txcal):
    result = txcal("plan afami-cel --start 2027-01-04 --time 23:30 --tz Europe/Berlin")
    assert result.exit_code == 1
    assert (
        "the visits of Day -7 run past midnight from an appointment at 23:30: give an earlier --time" in result.stderr
    )
