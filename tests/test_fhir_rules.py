"""FHIR R4 rules that fhir.resources and FHIR.js do not check, held by the project's own code.

A strict R4 validator (the official 4.0.1 definitions, every invariant, reference targets inside a
Bundle) found two kinds of errors in every txcal bundle that both readers accept: an Appointment
based on a MedicationRequest (R4 allows only a ServiceRequest; R5 adds MedicationRequest) and a
fulfilled Appointment with no start or end (invariant app-3). `r4_problems` encodes the R4 rules
txcal's bundles rely on, so these tests need no validator: the target types of every reference
txcal writes, the value sets of every status, and the Appointment invariants app-1 to app-3.
The other tests hold what a clinician reads in the bundle: statuses that follow the records, the
product on every order, premedication ordered, the product check as a Task, and the warnings.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import pytest
from test_fhir import CASES, _bundle

from tests_support import plan_of_command

EXAMPLES = Path(__file__).parent.parent / "examples"

# The R4 (4.0.1) target types of each reference element txcal writes; None: Reference(Any).
# A reference at a path not listed here is a problem too: add the element with its R4 targets.
REFERENCE_TARGETS: dict[str, frozenset[str] | None] = {
    "Appointment.basedOn": frozenset({"ServiceRequest"}),
    "Appointment.participant.actor": frozenset(
        {"Patient", "Practitioner", "PractitionerRole", "RelatedPerson", "Device", "HealthcareService", "Location"}
    ),
    "CarePlan.subject": frozenset({"Patient", "Group"}),
    "CarePlan.activity.reference": frozenset(
        {
            "Appointment",
            "CommunicationRequest",
            "DeviceRequest",
            "MedicationRequest",
            "NutritionOrder",
            "Task",
            "ServiceRequest",
            "VisionPrescription",
            "RequestGroup",
        }
    ),
    "MedicationRequest.subject": frozenset({"Patient", "Group"}),
    "ServiceRequest.subject": frozenset({"Patient", "Group", "Location", "Device"}),
    "ServiceRequest.supportingInfo": None,
    "Task.for": None,
    "Task.focus": None,
}
# The R4 required value sets of the statuses txcal writes.
STATUSES = {
    "Appointment": {"proposed", "pending", "booked", "arrived", "fulfilled", "cancelled", "noshow",
                    "entered-in-error", "checked-in", "waitlist"},
    "CarePlan": {"draft", "active", "on-hold", "revoked", "completed", "entered-in-error", "unknown"},
    "MedicationRequest": {"active", "on-hold", "cancelled", "completed", "entered-in-error", "stopped", "draft",
                          "unknown"},
    "ServiceRequest": {"draft", "active", "on-hold", "revoked", "completed", "entered-in-error", "unknown"},
    "Task": {"draft", "requested", "received", "accepted", "rejected", "ready", "cancelled", "in-progress",
             "on-hold", "failed", "completed", "entered-in-error"},
}  # fmt: skip
PARTICIPATION = {"accepted", "declined", "tentative", "needs-action"}
# The UCUM codes txcal writes, each checked valid by a UCUM validator (10*9{cells}: 10^9 with an annotation).
UCUM_CODES = {"mg", "mg/kg", "mg/m2", "[U]", "10*9{cells}"}


def _quantities(node: Any) -> list[dict[str, Any]]:
    """Return every UCUM Quantity under node."""
    if isinstance(node, list):
        return [q for item in node for q in _quantities(item)]
    if not isinstance(node, dict):
        return []
    found = [node] if node.get("system") == "http://unitsofmeasure.org" else []
    return found + [q for value in node.values() for q in _quantities(value)]


def _references(node: Any, path: str) -> list[tuple[str, str]]:
    """Return (element path, reference) for every Reference under node; path drops list indices."""
    if isinstance(node, list):
        return [found for item in node for found in _references(item, path)]
    if not isinstance(node, dict):
        return []
    found = [(path, node["reference"])] if isinstance(node.get("reference"), str) else []
    return found + [r for key, value in node.items() if key != "reference" for r in _references(value, f"{path}.{key}")]


def r4_problems(bundle: dict[str, Any]) -> list[str]:
    """Return what breaks an R4 rule txcal relies on, one line a problem (empty: none)."""
    problems: list[str] = []
    types = {entry["fullUrl"]: entry["resource"]["resourceType"] for entry in bundle["entry"]}
    for n, entry in enumerate(bundle["entry"]):
        resource = entry["resource"]
        kind = resource["resourceType"]
        where = f"entry[{n}] {kind}"
        for path, reference in _references(resource, kind):
            if path not in REFERENCE_TARGETS:
                problems.append(f"{where}: {path} is not a reference element this test knows")
            elif reference not in types:
                problems.append(f"{where}: {path} -> {reference} is not in the Bundle")
            elif (allowed := REFERENCE_TARGETS[path]) is not None and types[reference] not in allowed:
                problems.append(f"{where}: {path} -> {types[reference]}, R4 allows {sorted(allowed)}")
        for quantity in _quantities(resource):
            if quantity.get("code") not in UCUM_CODES or not isinstance(quantity.get("value"), (int, float)):
                problems.append(f"{where}: {quantity} is not a UCUM quantity this test knows")
        if kind in STATUSES and resource.get("status") not in STATUSES[kind]:
            problems.append(f"{where}: status {resource.get('status')!r} is not in R4's value set")
        if kind == "Appointment":
            problems += [f"{where}: {p}" for p in _appointment_problems(resource)]
    return problems


def _appointment_problems(resource: dict[str, Any]) -> list[str]:
    problems = []
    has_start, has_end = "start" in resource, "end" in resource
    if has_start != has_end:
        problems.append("app-2: either start and end are specified, or neither")
    if not (has_start and has_end) and resource["status"] not in ("proposed", "cancelled", "waitlist"):
        problems.append(f"app-3: a {resource['status']} appointment has no start/end")
    for participant in resource.get("participant", []):
        if "type" not in participant and "actor" not in participant:
            problems.append("app-1: a participant with neither type nor actor")
        if participant.get("status") not in PARTICIPATION:
            problems.append(f"participant status {participant.get('status')!r} is not in R4's value set")
    return problems


def _resources(bundle: dict[str, Any], kind: str) -> list[dict[str, Any]]:
    return [e["resource"] for e in bundle["entry"] if e["resource"]["resourceType"] == kind]


def _by_url(bundle: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {e["fullUrl"]: e["resource"] for e in bundle["entry"]}


def test_the_checker_finds_what_the_strict_validator_found():
    # The two errors of the landed bundles, each in a bundle otherwise clean: the checker is not empty.
    patient = {"fullUrl": "urn:uuid:1", "resource": {"resourceType": "Patient"}}
    order = {"fullUrl": "urn:uuid:2", "resource": {"resourceType": "MedicationRequest", "status": "draft"}}
    visit = {"resourceType": "Appointment", "status": "fulfilled", "basedOn": [{"reference": "urn:uuid:2"}],
             "participant": [{"actor": {"reference": "urn:uuid:1"}, "status": "accepted"}]}  # fmt: skip
    bundle = {"entry": [patient, order, {"fullUrl": "urn:uuid:3", "resource": visit}]}
    assert r4_problems(bundle) == [
        "entry[2] Appointment: Appointment.basedOn -> MedicationRequest, R4 allows ['ServiceRequest']",
        "entry[2] Appointment: app-3: a fulfilled appointment has no start/end",
    ]


@pytest.mark.parametrize("name", sorted(CASES))
def test_every_regimens_bundle_keeps_r4s_reference_targets_and_invariants(name):
    assert r4_problems(json.loads(_bundle(CASES[name]))) == []


@pytest.fixture
def p017(tmp_path, monkeypatch):
    """The example plan file: dose 1 given a day late, 3 delayed, 5 held, a switch to SC from dose 7."""
    for name in ("p017.toml", "closures.txt", "clinic.toml", "patients.csv"):
        shutil.copy(EXAMPLES / name, tmp_path / name)
    monkeypatch.chdir(tmp_path)
    return tmp_path / "p017.toml"


def test_a_plan_with_records_a_stop_and_a_booking_batch_keep_the_r4_rules(txcal, p017, tmp_path):
    assert r4_problems(json.loads(txcal(f"plan --plan-file {p017} --format fhir").stdout)) == []
    profile = (
        (EXAMPLES / "clinic.toml").read_text(encoding="utf-8").replace("\nchairs =", '\nbook = "b.sqlite"\nchairs =')
    )
    (tmp_path / "clinic.toml").write_text(profile, encoding="utf-8")
    assert txcal("batch patients.csv --out-dir out --clinic clinic.toml --level --fhir").exit_code == 0
    bundles = sorted((tmp_path / "out").glob("*.fhir.json"))
    assert len(bundles) == 7  # every row, afami-cel's all-day monitoring (booked) included
    for path in bundles:
        assert r4_problems(json.loads(path.read_text(encoding="utf-8"))) == [], path.name
    assert txcal(f"record stop -f {p017} 2027-03-01 --reason progression").exit_code == 0
    assert r4_problems(json.loads(txcal(f"plan --plan-file {p017} --format fhir").stdout)) == []


def test_a_given_all_day_dose_runs_midnight_to_midnight_in_the_plans_zone(txcal, tmp_path):
    plan = tmp_path / "a.toml"
    assert (
        txcal(
            f"record new atezolizumab --every 3w --start 2026-12-01 --doses 2 --tz America/New_York -f {plan}"
        ).exit_code
        == 0
    )
    assert txcal(f"record given -f {plan} 1 2026-12-01").exit_code == 0
    data = json.loads(txcal(f"plan --plan-file {plan} --format fhir").stdout)
    given, planned = _resources(data, "Appointment")
    assert given["status"] == "fulfilled"
    assert (given["start"], given["end"]) == ("2026-12-01T00:00:00-05:00", "2026-12-02T00:00:00-05:00")
    assert (planned["start"], planned["end"]) == ("2026-12-22T00:00:00-05:00", "2026-12-23T00:00:00-05:00")
    bare = tmp_path / "b.toml"  # no zone anywhere: a recorded day in UTC, and the comment says so
    assert txcal(f"record new atezolizumab --every 3w --start 2026-12-01 --doses 2 -f {bare}").exit_code == 0
    assert txcal(f"record given -f {bare} 1 2026-12-01").exit_code == 0
    given, planned = _resources(json.loads(txcal(f"plan --plan-file {bare} --format fhir").stdout), "Appointment")
    assert (given["start"], given["end"]) == ("2026-12-01T00:00:00+00:00", "2026-12-02T00:00:00+00:00")
    assert "No time zone was given" in given["comment"]
    assert "start" not in planned and planned["status"] == "proposed"  # R4 lets a proposed visit have none


def test_statuses_follow_the_records(txcal, tmp_path):
    plan = tmp_path / "a.toml"
    assert txcal(f"record new keytruda --every 3w --start 2026-12-01 --doses 3 -f {plan}").exit_code == 0
    assert txcal(f"record given -f {plan} 1 2026-12-01").exit_code == 0
    data = json.loads(txcal(f"plan --plan-file {plan} --format fhir").stdout)
    assert (_resources(data, "CarePlan")[0]["status"], _resources(data, "MedicationRequest")[0]["status"]) == (
        "active", "active"
    )  # fmt: skip
    assert txcal(f"record stop -f {plan} 2026-12-10 --reason 'progression'").exit_code == 0
    data = json.loads(txcal(f"plan --plan-file {plan} --format fhir").stdout)
    assert _resources(data, "CarePlan")[0]["status"] == "revoked"  # ended before its planned end
    assert _resources(data, "MedicationRequest")[0]["status"] == "stopped"
    assert {s["status"] for s in _resources(data, "ServiceRequest")} == {"revoked"}
    assert [a["status"] for a in _resources(data, "Appointment")] == ["fulfilled"]
    done = tmp_path / "b.toml"
    assert txcal(f"record new keytruda --every 3w --start 2026-12-01 --doses 2 -f {done}").exit_code == 0
    for number, day in ((1, "2026-12-01"), (2, "2026-12-22")):
        assert txcal(f"record given -f {done} {number} {day}").exit_code == 0
    data = json.loads(txcal(f"plan --plan-file {done} --format fhir").stdout)
    assert _resources(data, "CarePlan")[0]["status"] == "completed"
    assert _resources(data, "MedicationRequest")[0]["status"] == "completed"


def test_a_proposed_visits_patient_needs_action_and_a_given_ones_accepted(txcal, tmp_path):
    plan = tmp_path / "a.toml"
    assert txcal(f"record new keytruda --every 3w --start 2026-12-01 --doses 3 -f {plan}").exit_code == 0
    assert txcal(f"record given -f {plan} 1 2026-12-01").exit_code == 0
    data = json.loads(txcal(f"plan --plan-file {plan} --format fhir").stdout)
    assert [a["participant"][0]["status"] for a in _resources(data, "Appointment")] == [
        "accepted", "needs-action", "needs-action"  # a proposed visit awaits the patient's answer
    ]  # fmt: skip


def test_every_order_names_its_product_after_an_iv_to_sc_switch(txcal, p017):
    data = json.loads(txcal(f"plan --plan-file {p017} --format fhir").stdout)
    orders = _resources(data, "MedicationRequest")
    assert [o["medicationCodeableConcept"]["text"] for o in orders] == [
        "Tecentriq (atezolizumab)",
        "Tecentriq Hybreza (atezolizumab and hyaluronidase-tqjs)",  # never plain "atezolizumab, 1,875 mg"
    ]
    assert orders[1]["dosageInstruction"][0]["text"] == (
        "Tecentriq Hybreza (atezolizumab and hyaluronidase-tqjs): 1,875 mg with 30,000 units hyaluronidase (15 mL) SC"
    )
    urls = _by_url(data)
    for visit in _resources(data, "Appointment"):  # each visit's series names the product it gives
        series = urls[visit["basedOn"][0]["reference"]]
        order = urls[series["supportingInfo"][0]["reference"]]
        brand = "Tecentriq Hybreza" if "Hybreza" in visit["description"] else "Tecentriq (atezolizumab)"
        assert brand in order["medicationCodeableConcept"]["text"] and brand in series["code"]["text"]


@pytest.mark.parametrize("name", sorted(n for n in CASES if "afami" not in n))
def test_every_regimens_order_names_brand_and_generic(name):
    data = json.loads(_bundle(CASES[name]))
    regimen = plan_of_command(CASES[name]).regimen
    (order,) = _resources(data, "MedicationRequest")
    assert order["medicationCodeableConcept"]["text"] == f"{regimen.brands[0]} ({regimen.drug})"


def test_premedication_is_ordered_and_the_product_check_is_a_task(txcal):
    data = json.loads(
        txcal("plan afami-cel --start 2027-01-04 --time 09:00 --tz America/New_York --format fhir").stdout
    )
    urls = _by_url(data)
    premedication = next(a for a in _resources(data, "Appointment") if a["description"].startswith("Premedication"))
    series = urls[premedication["basedOn"][0]["reference"]]
    order = urls[series["supportingInfo"][0]["reference"]]
    assert order["medicationCodeableConcept"]["text"] == "Premedication: acetaminophen and an antihistamine"
    assert "doseAndRate" not in order["dosageInstruction"][0]  # no source gives its dose: none is invented
    assert any("Confirm with your care team" in n["text"] for n in order["note"])
    (check,) = _resources(data, "Task")
    assert check["description"] == "Confirm the afami-cel product has arrived"
    chemotherapy = urls[check["focus"]["reference"]]
    assert chemotherapy["medicationCodeableConcept"]["text"].startswith("Fludarabine")
    first_chemo = chemotherapy["dosageInstruction"][0]["timing"]["repeat"]["boundsPeriod"]["start"]
    assert check["restriction"]["period"]["end"] < first_chemo  # checked before chemotherapy starts
    careplan = _resources(data, "CarePlan")[0]
    activities = {a["reference"]["reference"] for a in careplan["activity"]}
    assert {u for u, r in urls.items() if r["resourceType"] == "Task"} <= activities


def test_a_closed_day_and_doses_past_the_label_are_in_comments_and_notes(txcal, tmp_path):
    shutil.copy(EXAMPLES / "closures.txt", tmp_path / "closures.txt")
    closed = (
        "plan 'Tecentriq Hybreza' --start 2026-12-07 --time 13:00 --tz America/New_York --doses 8 "
        f"--avoid weekends --holidays US-NY --closed {tmp_path / 'closures.txt'} --format fhir"
    )
    events = json.loads(txcal(closed.replace("fhir", "json")).stdout)["events"]
    stuck = [e for e in events if e["conflict"]]
    assert stuck  # the winter break leaves a dose on a closed day
    visits = {a["start"][:10]: a for a in _resources(json.loads(txcal(closed).stdout), "Appointment")}
    for event in stuck:
        assert "Winter break" in visits[event["start"][:10]]["comment"]
    long = json.loads(
        txcal("plan pembrolizumab --every 6w --start 2027-03-01 --time 09:00 --tz America/New_York --for 30m --format fhir").stdout
    )  # fmt: skip
    past = [a for a in _resources(long, "Appointment") if "Beyond the labelled duration" in a.get("comment", "")]
    assert [a["start"][:10] for a in past] == ["2029-03-26", "2029-05-07", "2029-06-18", "2029-07-30"]
    (order,) = _resources(long, "MedicationRequest")
    assert any(n["text"].startswith("4 doses of ") and "24-month limit" in n["text"] for n in order["note"])
