"""The patient's handout, opened in a real browser (Debian's Chromium, driven by Playwright).

For every shipped regimen, with and without a clinic profile, and for plans with records (given,
delayed, held, switched, stopped): nothing overflows an A4 or a Letter page's width; every
appointment date and dose of the plan's JSON is in the rendered text; axe-core (from npm, run in
the page) finds no serious or critical accessibility violation. The PDF has the pages it should.
Screenshots of two pages go to build/test-artifacts/ for a reviewer. `.ci/run` installs Chromium,
poppler-utils and axe-core and makes a missing one a failure; elsewhere these tests skip and say why.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from datetime import date
from pathlib import Path

import pytest

from scheduler.catalog.loader import load_regimens, shipped_template_paths
from scheduler.wording import dose_text
from tests_support import CLINIC_PROFILE, template_cases

ROOT = Path(__file__).parent.parent
AXE = Path(__file__).parent / "browser" / "node_modules" / "axe-core" / "axe.min.js"
ARTIFACTS = ROOT / "build" / "test-artifacts"
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
REQUIRED = os.environ.get("TXCAL_REQUIRE_INTEROP") == "1"
# Page widths in CSS pixels (96 per inch), less the 12 mm side margins of the print styles.
WIDTHS = {"a4": round((210 - 24) / 25.4 * 96), "letter": round((8.5 * 25.4 - 24) / 25.4 * 96)}


def unavailable(reason: str) -> None:
    if REQUIRED:
        pytest.fail(f"{reason} (TXCAL_REQUIRE_INTEROP=1)")
    pytest.skip(reason)


@pytest.fixture(scope="module")
def browser():
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        unavailable("Playwright is not installed: pip install '.[test]'")
    if not Path(CHROMIUM).exists():
        unavailable("Chromium is not installed: apt-get install chromium")
    if not AXE.exists():
        unavailable("axe-core is not installed: npm ci --prefix tests/browser")
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(
            executable_path=CHROMIUM,
            args=["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update"],
        )
        yield chromium
        chromium.close()


def cases() -> dict[str, str]:
    found = {}
    for name, command in template_cases(shipped_template_paths()).items():
        found[name] = command
        found[f"{name}-clinic"] = command.replace("--time 09:00 --tz America/New_York", f"--clinic {CLINIC_PROFILE}")
    found["records"] = f"plan --plan-file {ROOT / 'examples' / 'p017.toml'}"
    return found


def stopped_plan(tmp_path: Path) -> str:
    """Return the command of the worked example's plan file with a stop recorded too."""
    text = (ROOT / "examples" / "p017.toml").read_text(encoding="utf-8")
    shutil.copy(ROOT / "examples" / "closures.txt", tmp_path / "closures.txt")  # a plan file's files sit beside it
    text += '\n[[record]]\nkind = "stop"\ndate = 2027-06-01\nreason = "progression"\nrecorded = 2026-11-26\n'
    (tmp_path / "stopped.toml").write_text(text, encoding="utf-8")
    return f"plan --plan-file {tmp_path / 'stopped.toml'}"


CASES = cases()
PATIENT_DOSES = {
    dose_text(step.dose): step.dose.patient
    for regimen in load_regimens().regimens
    for step in regimen.steps
    if step.dose and step.dose.patient
}


def handout(txcal, tmp_path: Path, command: str, paper: str = "a4") -> tuple[Path, dict]:
    path = tmp_path / f"handout-{paper}.html"
    result = txcal(f"{command} --paper {paper} -o {path}")
    assert result.exit_code == 0, result.stderr
    plan = json.loads(txcal(f"{command} --format json").stdout)
    return path, plan


@pytest.mark.parametrize("name", CASES)
def test_the_handout_fits_the_page_says_every_date_and_dose_and_is_accessible(browser, txcal, tmp_path, name):
    for paper, width in WIDTHS.items():
        path, plan = handout(txcal, tmp_path, CASES[name], paper)
        page = browser.new_page(viewport={"width": width, "height": 1100})
        page.goto(path.as_uri())
        assert page.evaluate("document.documentElement.scrollWidth") <= width, f"{name} overflows {paper}"
        text = " ".join(page.inner_text("body").split())
        for event in plan["events"]:
            if event["audience"] != "patient":
                continue
            day = date.fromisoformat(event["start"][:10])
            assert f"{day:%a %d %b %Y}" in text, (name, event["title"])
            if event["dose"]:  # in the patient's words where the template gives them (a cell count)
                assert PATIENT_DOSES.get(event["dose"], event["dose"]) in text, (name, event["dose"])
        page.add_script_tag(path=str(AXE))
        found = page.evaluate("async () => (await axe.run(document)).violations")
        serious = [f"{v['id']}: {v['help']}" for v in found if v["impact"] in ("serious", "critical")]
        assert serious == [], name
        page.close()


def test_a_stopped_plan_says_so_and_shows_nothing_after_the_stop(browser, txcal, tmp_path):
    path, plan = handout(txcal, tmp_path, stopped_plan(tmp_path))
    page = browser.new_page()
    page.goto(path.as_uri())
    text = " ".join(page.inner_text("body").split())
    assert "Treatment stopped on Tuesday 01 June 2027." in text
    assert "progression" not in text  # the clinician's reason stays in the clinic's views
    assert max(e["start"][:10] for e in plan["events"]) <= "2027-06-01"
    page.close()


@pytest.mark.parametrize("name", [n for n in CASES if not n.endswith("-clinic")])
def test_every_handout_renders_as_pdf(txcal, tmp_path, name):
    if shutil.which("pdfinfo") is None:
        unavailable("poppler-utils is not installed: apt-get install poppler-utils")
    pdf = tmp_path / "h.pdf"
    result = txcal(f"{CASES[name]} -o {pdf}")
    if "a PDF needs WeasyPrint" in result.stderr:
        unavailable("WeasyPrint is not installed: pip install '.[pdf]'")
    assert result.exit_code == 0, result.stderr
    info = subprocess.run(["pdfinfo", str(pdf)], capture_output=True, text=True, check=True).stdout
    assert int(info.split("Pages:")[1].split()[0]) >= 1


def test_a_held_and_a_moved_dose_are_marked_on_their_own_line(browser, txcal, tmp_path):
    path, _ = handout(txcal, tmp_path, CASES["records"])
    page = browser.new_page()
    page.goto(path.as_uri())
    held = page.locator("tr.held")
    assert held.count() == 1 and "Held: not given" in held.inner_text()
    assert "Delayed 7 days from" in page.inner_text("body")
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "handout-records.png"), full_page=True)
    page.close()


def test_the_pdf_has_its_pages_and_two_are_kept_as_pictures(txcal, tmp_path):
    if shutil.which("pdfinfo") is None or shutil.which("pdftoppm") is None:
        unavailable("poppler-utils is not installed: apt-get install poppler-utils")
    try:
        import weasyprint  # noqa: F401
    except (ImportError, OSError):
        unavailable("WeasyPrint is not installed: pip install '.[pdf]'")
    pdf = tmp_path / "afami-cel.pdf"
    command = f"plan afami-cel --start 2027-01-04 --infusion 2027-02-23 --clinic {CLINIC_PROFILE} --patient P-021"
    assert txcal(f"{command} -o {pdf}").exit_code == 0
    info = subprocess.run(["pdfinfo", str(pdf)], capture_output=True, text=True, check=True).stdout
    # The next visit, 18 appointments with where each is, the calendar (3 months), what to expect, side
    # effects and sources: five A4 pages.
    assert "Pages:           5" in info and "(A4)" in info
    letter = tmp_path / "letter.pdf"
    assert txcal(f"{command} --paper letter -o {letter}").exit_code == 0
    assert "(letter)" in subprocess.run(["pdfinfo", str(letter)], capture_output=True, text=True, check=True).stdout
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    subprocess.run(
        ["pdftoppm", "-png", "-r", "60", "-f", "1", "-l", "2", str(pdf), str(ARTIFACTS / "handout-page")], check=True
    )
    assert len(list(ARTIFACTS.glob("handout-page-*.png"))) >= 2
    again = txcal(f"{command} -o {pdf}")  # txcal knows its own PDF and updates it
    assert again.exit_code == 0, again.stderr


def test_a_pdf_without_weasyprint_says_what_to_install(txcal, tmp_path, monkeypatch):
    import builtins

    real = builtins.__import__

    def missing(name, *args, **kwargs):
        if name == "weasyprint":
            raise ImportError("No module named 'weasyprint'")
        return real(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", missing)
    result = txcal(f"plan atezolizumab --every 3w --start 2026-12-01 --doses 1 -o {tmp_path / 'x.pdf'}")
    assert result.exit_code == 1 and "a PDF needs WeasyPrint: pip install 'txcal[pdf]'" in result.stderr
    assert not (tmp_path / "x.pdf").exists()


@pytest.mark.parametrize("large", [False, True])
def test_the_handout_is_self_contained_and_prepared_on_a_date(txcal, tmp_path, large):
    path = tmp_path / "h.html"
    flag = " --large-type" if large else ""
    assert txcal(f"plan keytruda --every 6w --start 2026-12-01 --doses 2 -o {path}{flag}").exit_code == 0
    page = path.read_text(encoding="utf-8")
    assert '<html lang="en">' in page and "Prepared on Thursday 26 November 2026" in page
    assert "http://" not in page and "https://" not in page.split('<h2 id="sources">')[0]  # no network
    assert " in 5 days" not in page
    assert ("font-size: 14pt" in page) is large


def test_a_handout_with_a_feed_link_and_qr_code_has_no_serious_accessibility_finding(browser, txcal, tmp_path):
    served = tmp_path / "clinic.toml"
    keys = 'book = "book.sqlite"\nfeed_dir = "feeds"\nfeed_base = "https://clinic.example/feeds"\n'
    served.write_text(keys + CLINIC_PROFILE.read_text(encoding="utf-8"), encoding="utf-8")
    shutil.copy(CLINIC_PROFILE.with_name("closures.txt"), tmp_path)
    (tmp_path / "one.csv").write_text(
        "patient,drug,every,start,time,tz,doses\nP1,atezolizumab,3w,2026-12-01,09:00,America/New_York,2\n",
        encoding="utf-8",
    )
    result = txcal(f"batch {tmp_path / 'one.csv'} --out-dir {tmp_path / 'out'} --clinic {served} --handouts html")
    assert result.exit_code == 0, result.stderr
    page = browser.new_page()
    page.goto((tmp_path / "out" / "P1.html").as_uri())
    assert page.get_by_role("img", name="QR code of your calendar link").count() == 1
    page.add_script_tag(path=str(AXE))
    found = page.evaluate("async () => (await axe.run(document)).violations")
    assert [v["id"] for v in found if v["impact"] in ("serious", "critical")] == []
    page.close()
