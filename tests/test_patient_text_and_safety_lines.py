"""The patient's words: plain, placed right, credited to what says them; each finding of a pharmacist's and a nurse's review checked as a patient or a pharmacist would read the output.

Sources quoted: the Tecelra label (section 5.1, revised 08/2024: monitoring "at least 7 days at the
healthcare facility"); the Tecentriq label (Dosage and Administration, Table 1 footnote: 60 minutes
first, 30 minutes later "if the first infusion was tolerated").
"""

from __future__ import annotations

import csv
import html
import io
import json
import re
from datetime import datetime
from pathlib import Path

import readability

from tests_support import CLINIC_PROFILE

AFAMI = f"plan afami-cel --start 2027-01-04 --infusion 2027-02-23 --clinic {CLINIC_PROFILE}"


def page_text(page: str) -> str:
    """Return a handout's words as a reader sees them: tags gone, entities undone, one line per row or paragraph."""
    page = re.sub(r"<style>.*?</style>", "", page, flags=re.S)
    page = re.sub(r"</(?:p|tr|li|h1|h2|caption)>", "\n", page)
    return html.unescape(re.sub(r"<[^>]+>", " ", page))


def rows(page: str) -> list[str]:
    """Return the appointment rows of a handout, as text."""
    table = page.split('id="appointments"', 1)[1].split("</table>", 1)[0]
    return [page_text(r) for r in re.findall(r"<tr[^>]*>.*?</tr>", table, re.S)][1:]


def test_monitoring_rows_are_not_said_to_be_at_the_infusion_clinic(txcal):
    # Label 5.1: monitoring "at least 7 days at the healthcare facility": the care team names it, and
    # the infusion clinic is closed at the weekend. The handout may not put every row at the clinic.
    page = txcal(f"{AFAMI} --format html").stdout
    assert "All at" not in page
    monitoring = [r for r in rows(page) if "Monitoring at the health care facility" in r]
    assert len(monitoring) == 7
    assert all("Your care team tells you where" in r and "12 River Road" not in r for r in monitoring)
    infusion = next(r for r in rows(page) if "Afami-cel (Tecelra) infusion" in r)
    assert "Riverside Infusion Center, 12 River Road, Springfield" in infusion


def test_one_place_for_every_visit_is_said_once(txcal):
    page = txcal(
        f"plan pembrolizumab --every 3w --start 2026-12-01 --doses 2 --clinic {CLINIC_PROFILE} --format html"
    ).stdout
    assert "All at <strong>Riverside Infusion Center, 12 River Road, Springfield</strong>" in page
    assert '<th scope="col">Where</th>' not in page


def test_the_first_screen_says_who_the_next_visit_and_whom_to_call_and_the_grids_come_last(txcal):
    page = txcal(f"{AFAMI} --patient P-021 --format html").stdout
    first = page_text(page.split('id="appointments"', 1)[0])
    assert "For:  P-021" in first
    assert "Monday 04 January 2027 at 09:00" in first and "T-cell collection" in first
    assert "Where: Riverside Infusion Center, 12 River Road, Springfield" in first
    assert "+1 555 0100" in first and "after hours: +1 555 0199" in first
    assert "Call 911" in first
    assert page.index('id="appointments"') < page.index('id="calendar"') < page.index('id="expect"')
    assert "(times in America/New_York)" not in page and "Times are New York time." in page


def _length(event: dict) -> int:
    return int((datetime.fromisoformat(event["end"]) - datetime.fromisoformat(event["start"])).total_seconds() // 60)


def _minutes_by_dose(txcal, plan: Path) -> dict[int, tuple[int, str]]:
    data = json.loads(txcal(f"plan --plan-file {plan} --format json").stdout)
    return {
        e["dose_number"]: (
            _length(e),
            next(
                n
                for n in e["notes"]
                if "minutes" in n and ("infusion takes" in n or "It takes" in n) and "What to expect" not in n
            ),
        )
        for e in data["events"]
        if e["kind"] == "dose"
    }


def test_the_60_minute_infusion_is_the_first_iv_infusion_really_given(txcal, tmp_path):
    # Tecentriq Table 1 footnote: the first infusion over 60 minutes; later ones over 30 minutes "if the first
    # infusion was tolerated". A held dose 1 was not an infusion; nor was a shot under the skin before a switch.
    held = tmp_path / "held.toml"
    new = "record new atezolizumab --every 3w --start 2026-12-01 --doses 3 --time 09:00 --tz America/New_York"
    assert txcal(f"{new} -f {held}").exit_code == 0
    assert txcal(f"record hold -f {held} 1").exit_code == 0
    doses = _minutes_by_dose(txcal, held)
    assert doses[2] == (60, "This first infusion takes 60 minutes.")
    assert doses[3][0] == 30
    switched = tmp_path / "switched.toml"
    sc = "record new 'Tecentriq Hybreza' --start 2026-12-01 --doses 4 --time 09:00 --tz America/New_York"
    assert txcal(f"{sc} -f {switched}").exit_code == 0
    assert txcal(f"record switch -f {switched} 3 atezolizumab --every 3w").exit_code == 0
    doses = _minutes_by_dose(txcal, switched)
    assert doses[3] == (60, "This first infusion takes 60 minutes.")
    assert doses[4] == (30, "It takes 30 minutes if the first infusion went well.")


def _unfolded(text: str) -> str:
    return text.replace("\r\n", "\n").replace("\n ", "").replace("\\,", ",").replace("\\;", ";")


def _descriptions(ics: str) -> dict[str, str]:
    """Return each event's summary and description, from a calendar's text."""
    found = {}
    for block in _unfolded(ics).split("BEGIN:VEVENT")[1:]:
        summary = re.search(r"^SUMMARY:(.*)$", block, re.M)
        description = re.search(r"^DESCRIPTION:(.*)$", block, re.M)
        if summary:
            found[summary.group(1)] = description.group(1) if description else ""
    return found


def test_every_afami_cel_visit_before_day_1_has_the_911_line_and_chemotherapy_says_when_to_call(txcal):
    # The chemotherapy before Day 1 brings low counts and infections (the ACS page: serious infections, low blood
    # counts lasting weeks); the emergency line is on every visit (label, Patient Counseling Information).
    events = _descriptions(txcal(f"{AFAMI} --format ics").stdout)
    before = {s: d for s, d in events.items() if "collection" in s or "chemotherapy" in s}
    assert len(before) == 8
    assert all("Call 911 or go to the nearest emergency room" in d for d in before.values())
    chemo = [d for s, d in before.items() if "chemotherapy" in s]
    assert all("signs of a serious infection, such as a fever" in d for d in chemo)
    assert all("Call your care team right away, day or night" in d for d in chemo)


def test_checkpoint_calendars_name_the_signs_to_watch_for_each_organ_and_the_skin(txcal):
    # keytruda.com side-effects page (following the Medication Guide): signs for lungs, gut, liver, hormone glands,
    # kidneys and skin. tecentriq.com: lungs, gut, liver, hormone glands; kidney and skin signs were not read.
    keytruda = _unfolded(txcal("plan keytruda --every 3w --start 2026-12-01 --doses 1 --format ics").stdout)
    for sign in (
        "lungs: a new or worse cough",
        "gut: diarrhea",
        "liver: yellow skin or eyes",
        "hormone glands:",
        "kidneys: less urine",
        "skin: rash, itching, blisters or peeling skin",
    ):
        assert sign in keytruda, sign
    atezolizumab = _unfolded(txcal("plan atezolizumab --every 3w --start 2026-12-01 --doses 1 --format ics").stdout)
    assert "lungs: a new or worse cough" in atezolizumab
    assert "kidneys and skin: ask your care team which signs to watch for" in atezolizumab
    page = txcal("plan keytruda --every 3w --start 2026-12-01 --doses 1 --format html").stdout
    assert "<li>skin: rash, itching, blisters or peeling skin" in page


def test_safety_lines_are_credited_to_what_says_them_not_to_the_acs_page(txcal):
    # The ACS page says none of the 911 line, the blood tests or the Qlex allergy question.
    shown = txcal("show 'Keytruda Qlex' --sources").stdout
    for words, credited in (
        ("Call 911", "[institutional]"),
        ("You will have blood tests", "[label] Merck: Keytruda safety information"),
        ("Have you ever had an allergic", "[unconfirmed] Keytruda Qlex label, Contraindications"),
    ):
        assert _credit(shown, words).startswith(credited), words
    afami = txcal("show afami-cel --sources").stdout
    assert _credit(afami, "Call 911").startswith("[label] Tecelra label, Patient Counseling Information")


def _credit(shown: str, words: str) -> str:
    """Return the first source line `show --sources` gives after a fact's words."""
    after = shown[shown.index(words) :]
    return next(line.strip() for line in after.splitlines() if line.startswith("    ["))


def test_only_a_contraindication_that_was_read_is_asked_about(txcal):
    # Tecentriq Hybreza's Contraindications section could not be read here: no allergy question is invented.
    hybreza = _unfolded(txcal("plan 'Tecentriq Hybreza' --start 2026-12-01 --doses 1 --format ics").stdout)
    assert "hyaluronidase or to any part" not in hybreza
    qlex = _unfolded(txcal("plan 'Keytruda Qlex' --every 3w --start 2026-12-01 --doses 1 --format ics").stdout)
    assert "allergic reaction to hyaluronidase" in qlex


def test_a_calendar_block_with_no_known_length_says_to_ask(txcal):
    page = txcal(
        "plan afami-cel --start 2027-01-04 --infusion 2027-02-23 --time 09:00 --tz America/New_York --format html"
    )
    collection = next(r for r in rows(page.stdout) if "T-cell collection" in r)
    assert "Ask your care team (the calendar holds 60 minutes)" in collection


def test_every_patient_sentence_of_every_regimen_reads_at_grade_8_or_lower(txcal):
    # Flesch-Kincaid over every sentence of every shipped regimen's calendar and handout, with and without a
    # clinic profile (tests/readability.py; `python tests/readability.py` prints the worst).
    assert readability.grade("The cat sat on the mat.") < 2  # the count itself, on plain words
    found = readability.patient_sentences(lambda args: txcal(args).stdout)
    assert len(found) > 100
    hardest = readability.worst(found, 10)
    listing = "\n".join(f"{value:5.1f} [{where}] {sentence}" for value, sentence, where in hardest)
    assert hardest[0][0] <= 8.0, "sentences above grade 8 (hardest first):\n" + listing


JARGON = (
    "disease progression",
    "unacceptable toxicity",
    "AST",
    "ALT",
    "10⁹",
    "TCR+",
    "txcal's planning horizon",
    "A one-time pathway",
    "No figure was found",
    "(times in ",
    "prescribing information",
    "rests on a fact",
)


def test_patient_text_carries_no_label_jargon_lab_abbreviations_or_internal_words(txcal):
    for command in readability.commands():
        for fmt in ("ics", "html"):
            text = txcal(f"{command} --format {fmt}").stdout
            words = readability._calendar_text(text) if fmt == "ics" else readability._handout_text(text)
            found = [j for j in JARGON if re.search(rf"(?<![\w-]){re.escape(j)}(?![\w-])", words)]
            assert not found, (command, fmt, found)


def test_csv_has_the_audience_and_beyond_label_columns_json_has(txcal, tmp_path):
    command = "plan keytruda --every 6w --start 2026-12-01 --for 30m"
    rows = list(csv.DictReader(io.StringIO(txcal(f"{command} --format csv").stdout)))
    events = json.loads(txcal(f"{command} --format json").stdout)["events"]
    assert [r["beyond_label"] for r in rows] == ["TRUE" if e["beyond_label"] else "FALSE" for e in events]
    assert "TRUE" in {r["beyond_label"] for r in rows}
    afami = list(csv.DictReader(io.StringIO(txcal("plan afami-cel --start 2027-01-04 --format csv").stdout)))
    assert {r["audience"] for r in afami} == {"patient", "clinic"}  # the product check is the clinic's
    # A file written before the two columns is still txcal's own, and is replaced.
    old = tmp_path / "plan.csv"
    assert txcal(f"{command} -o {old}").exit_code == 0
    table = list(csv.reader(io.StringIO(old.read_text(encoding="utf-8-sig"))))
    cut = [i for i, c in enumerate(table[0]) if c in ("beyond_label", "audience")]
    earlier = io.StringIO()
    csv.writer(earlier).writerows([c for i, c in enumerate(row) if i not in cut] for row in table)
    old.write_text(earlier.getvalue(), encoding="utf-8")
    assert txcal(f"{command} -o {old}").exit_code == 0
    assert "beyond_label,audience" in old.read_text(encoding="utf-8-sig").splitlines()[0]


def test_the_date_an_error_suggests_is_one_the_next_check_accepts(txcal):
    refused = txcal("plan afami-cel --start 2027-01-04 --infusion 2027-01-08")
    suggested = re.search(r"on or after (\d{4}-\d\d-\d\d)", refused.stderr)
    assert refused.exit_code != 0 and suggested, refused.stderr
    accepted = txcal(f"plan afami-cel --start 2027-01-04 --infusion {suggested.group(1)}")
    assert accepted.exit_code == 0, accepted.stderr


def test_a_weight_under_a_newborns_is_refused_as_a_typing_slip(txcal):
    # Input validation, not a clinical fact: no source gives a lowest weight for these regimens.
    for weight in ("1", "2.5"):
        result = txcal(f"plan keytruda --pediatric --weight-kg {weight} --start 2026-12-01 --doses 1")
        assert result.exit_code == 2 and "between 3 and 300" in result.stderr
    assert txcal("plan keytruda --pediatric --weight-kg 3 --start 2026-12-01 --doses 1").exit_code == 0


def test_what_to_expect_is_said_on_the_first_dose_of_a_schedule_not_on_every_dose(txcal):
    events = _descriptions(txcal("plan atezolizumab --every 3w --start 2026-12-01 --doses 3 --format ics").stdout)
    first, *later = events.values()
    assert "What to expect" in first and "lungs: a new or worse cough" in first
    for text in later:
        assert "What to expect" not in text and "lungs:" not in text
        assert "Call 911" in text and "Tell the nurse or doctor right away" in text  # safety stays on every dose
        assert "Your first dose on this calendar, and your handout, say what to expect" in text
        assert len(text.split()) < len(first.split()) / 2
    # A handout narrowed to a later dose still says what to expect and what to report.
    page = txcal("plan atezolizumab --every 3w --start 2026-12-01 --doses 3 --from 2027-01-01 --format html").stdout
    assert 'id="expect"' in page and "lungs: a new or worse cough" in page
    # Each schedule says it on its own first dose (a switch to the shot starts a new schedule).
    switched = _descriptions(txcal("plan 'Tecentriq Hybreza' --start 2026-12-01 --doses 2 --format ics").stdout)
    assert "What to expect" in next(iter(switched.values()))


def test_pembrolizumab_in_sarcoma_keeps_the_labels_24_months_for_the_uses_that_apply(txcal):
    # keytrudahcp.com dosing: up to 24 months for most solid-tumor indications, MSI-H/dMMR and TMB-H included,
    # the tumor-agnostic uses that apply to sarcoma; it is not "the care team's choice".
    command = "plan pembrolizumab --every 6w --start 2026-12-01"
    horizon = json.loads(txcal(f"{command} --format json").stdout)["horizon"]
    assert "up to 24 months for the MSI-H/dMMR and TMB-H uses that apply to sarcoma" in horizon
    page = txcal(f"{command} --format html").stdout
    assert "care team's choice" not in page + horizon
    assert (
        "Treatment goes on until the cancer grows or the side effects become too hard to manage, for up to 24 months"
        in page
    )
