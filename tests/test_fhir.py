"""FHIR export: every shipped regimen's Bundle, read back by fhir.resources (R4B models) and validated by
FHIR.js (npm `fhir`, R4), with its dates, doses and statuses equal to the plan's.

FHIR.js needs Node and `npm ci --prefix tests/interop`; fhir.resources comes with the test extra.
`.ci/run` installs both and makes a missing one a failure (TXCAL_REQUIRE_INTEROP=1).
"""

from __future__ import annotations

import json
import shlex
import shutil
import subprocess
from datetime import datetime
from pathlib import Path

import pytest
from click.testing import CliRunner
from test_interop import INTEROP, unavailable

from scheduler.cli import main
from tests_support import ICS_CASES, SOURCE_DATE_EPOCH

GOLDEN = Path(__file__).parent / "golden"
# Every shipped template's schedules and pathway, a clinic profile's linked visits, and a pediatric dose.
CASES = {
    name: command
    for name, command in ICS_CASES.items()
    if name.startswith(("template-", "clinic-")) or name == "atezolizumab-iv-pediatric-berlin"
}


def _bundle(command: str) -> str:
    result = CliRunner().invoke(main, [*shlex.split(command), "--format", "fhir"])
    assert result.exit_code == 0, result.output
    return result.stdout


def _fhir_js(path: Path) -> dict:
    node = shutil.which("node")
    if node is None or not (INTEROP / "node_modules" / "fhir").is_dir():
        unavailable("FHIR.js is not installed: npm ci --prefix tests/interop (.ci/run does this)")
    done = subprocess.run(
        [node, str(INTEROP / "fhir_validate.mjs"), str(path)], capture_output=True, text=True, check=True
    )
    return json.loads(done.stdout)


@pytest.mark.parametrize("name", sorted(CASES))
def test_every_regimens_bundle_is_golden_and_both_readers_accept_it(name, golden, tmp_path, monkeypatch):
    monkeypatch.setenv("SOURCE_DATE_EPOCH", SOURCE_DATE_EPOCH)
    text = _bundle(CASES[name])
    golden(f"fhir-{name}.json", text)
    assert _bundle(CASES[name]) == text  # the same bytes on every run
    from fhir.resources.R4B.bundle import Bundle

    bundle = Bundle.model_validate_json(text)
    assert bundle.type == "collection"
    path = tmp_path / "plan.fhir.json"
    path.write_text(text, encoding="utf-8")
    verdict = _fhir_js(path)
    errors = [m for m in verdict["messages"] if m["severity"] == "error"]
    assert verdict["valid"] and errors == [], errors
    data = json.loads(text)
    urls = [entry["fullUrl"] for entry in data["entry"]]
    assert len(set(urls)) == len(urls) and all(url.startswith("urn:uuid:") for url in urls)
    for reference in _references(data):  # every reference names an entry of the Bundle
        assert reference in urls, reference


def _references(node: object) -> list[str]:
    if isinstance(node, dict):
        found = [node["reference"]] if isinstance(node.get("reference"), str) else []
        return found + [r for value in node.values() for r in _references(value)]
    if isinstance(node, list):
        return [r for value in node for r in _references(value)]
    return []


def test_a_plan_with_records_and_a_clinic_round_trips_its_dates_doses_and_statuses(txcal, tmp_path):
    plan = tmp_path / "p.toml"
    examples = Path(__file__).parent.parent / "examples"
    for name in ("clinic.toml", "closures.txt"):  # a plan file keeps its profile beside it
        shutil.copy(examples / name, tmp_path / name)
    clinic = tmp_path / "clinic.toml"
    assert (
        txcal(f"record new keytruda --every 3w --start 2026-12-01 --doses 4 --clinic {clinic} -f {plan}").exit_code == 0
    )
    assert txcal(f"record given -f {plan} 1 2026-12-01").exit_code == 0
    assert txcal(f"record delay -f {plan} 2 7 --reason 'neutropenia'").exit_code == 0
    assert txcal(f"record hold -f {plan} 3 --reason 'colitis'").exit_code == 0
    events = json.loads(txcal(f"plan --plan-file {plan} --format json").stdout)["events"]
    assert txcal(f"plan --plan-file {plan} -o {tmp_path / 'p.fhir.json'}").exit_code == 0
    data = json.loads((tmp_path / "p.fhir.json").read_text(encoding="utf-8"))
    appointments = {
        e["fullUrl"]: e["resource"] for e in data["entry"] if e["resource"]["resourceType"] == "Appointment"
    }
    doses = [e for e in events if e["kind"] == "dose"]
    statuses = {"given": "fulfilled", "held": "cancelled", "planned": "proposed"}
    for event in doses:
        appointment = appointments["urn:uuid:" + event["uid"].removesuffix("@txcal")]
        assert appointment["status"] == statuses[event["status"]]
        assert datetime.fromisoformat(appointment["start"]) == datetime.fromisoformat(event["start"])
        assert appointment["participant"][1]["actor"]["display"].startswith("Riverside Infusion Center")
    request = next(e["resource"] for e in data["entry"] if e["resource"]["resourceType"] == "MedicationRequest")
    repeat = request["dosageInstruction"][0]["timing"]["repeat"]
    assert (repeat["frequency"], repeat["period"], repeat["periodUnit"]) == (1, 3, "wk")
    assert request["dosageInstruction"][0]["doseAndRate"][0]["doseQuantity"] == {
        "value": 200.0, "unit": "mg", "system": "http://unitsofmeasure.org", "code": "mg"
    }  # fmt: skip
    services = [
        e["resource"]["code"]["text"] for e in data["entry"] if e["resource"]["resourceType"] == "ServiceRequest"
    ]
    assert "Blood tests (liver, kidney and thyroid)" in services  # the profile's linked labs
    careplan = data["entry"][1]["resource"]
    assert careplan["status"] == "active" and careplan["subject"]["reference"] == data["entry"][0]["fullUrl"]
    assert "name" not in data["entry"][0]["resource"]  # no label given: no name, and no invented identifier


def test_what_fhir_cannot_say_is_kept_as_text_and_a_note(txcal):
    data = json.loads(txcal("plan afami-cel --start 2027-01-04 --format fhir").stdout)
    infusion = next(
        e["resource"] for e in data["entry"]
        if e["resource"]["resourceType"] == "MedicationRequest" and "Tecelra" in e["resource"]["medicationCodeableConcept"]["text"]
    )  # fmt: skip
    dosage = infusion["dosageInstruction"][0]
    # The label's range of cells in UCUM (10*9{cells} is valid UCUM), and its words as the label says them.
    cells = {"unit": "10*9{cells}", "system": "http://unitsofmeasure.org", "code": "10*9{cells}"}
    assert dosage["doseAndRate"] == [{"doseRange": {"low": {"value": 2.68, **cells}, "high": {"value": 10.0, **cells}}}]
    assert "MAGE-A4 TCR+ T cells" in dosage["text"]
    assert any("as the label states it" in n["text"] for n in infusion["note"])
    assert not any("UCUM" in n["text"] for n in infusion["note"])
    chemo = next(
        e["resource"] for e in data["entry"]
        if e["resource"]["resourceType"] == "MedicationRequest" and "Fludarabine" in e["resource"]["medicationCodeableConcept"]["text"]
    )  # fmt: skip
    quantity = chemo["dosageInstruction"][0]["doseAndRate"][0]["doseQuantity"]
    assert quantity == {"value": 30.0, "unit": "mg/m²", "system": "http://unitsofmeasure.org", "code": "mg/m2"}
    assert chemo["dosageInstruction"][0]["timing"]["repeat"]["count"] == 4


def test_a_batch_writes_a_bundle_beside_each_calendar(txcal, tmp_path):
    (tmp_path / "l.csv").write_text("patient,drug,every,start,doses\nP-1,keytruda,3w,2026-12-01,2\n", encoding="utf-8")
    assert txcal(f"batch {tmp_path / 'l.csv'} --out-dir {tmp_path / 'out'} --fhir").exit_code == 0
    bundle = json.loads((tmp_path / "out" / "P-1.fhir.json").read_text(encoding="utf-8"))
    assert bundle["resourceType"] == "Bundle" and bundle["entry"][0]["resource"]["name"] == [{"text": "P-1"}]
