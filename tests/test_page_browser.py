"""The coordinator's page in a real browser: Debian's Chromium driven by Playwright over `txcal serve`.

Open the printed URL, read the day sheet and compare it with `txcal agenda --format csv` row by row, move a
visit through the form (a refusal first, with the nearest time that fits, then that time), see `txcal agenda`
show it, undo, run axe-core on every page, and check that no URL the browser asked for names a patient. A
screenshot of the chair chart goes to build/test-artifacts/. Skips (saying why) where Chromium, Playwright or
axe-core is missing; `.ci/run` installs them and makes a missing one a failure.
"""

from __future__ import annotations

import os
import re
import shutil
from pathlib import Path

import pytest

pytest.importorskip("jinja2", reason="the page needs Jinja2: pip install '.[test]'")

from page_support import DAY, LABELS, agenda_rows, book_clinic, serving

ROOT = Path(__file__).parent.parent
AXE = Path(__file__).parent / "browser" / "node_modules" / "axe-core" / "axe.min.js"
ARTIFACTS = ROOT / "build" / "test-artifacts"
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
REQUIRED = os.environ.get("TXCAL_REQUIRE_INTEROP") == "1"
ROW_CELLS = "rows => rows.map(r => [...r.querySelectorAll('td:not(.screen)')].map(c => c.innerText.trim()))"


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


def serious_findings(page) -> list[str]:
    page.add_script_tag(path=str(AXE))
    found = page.evaluate("async () => (await axe.run(document)).violations")
    return [f"{v['id']}: {v['help']}" for v in found if v["impact"] in ("serious", "critical")]


def sheet(page) -> list[list[str]]:
    return page.eval_on_selector_all("table.sheet tbody tr", ROW_CELLS)


def test_a_coordinator_reads_the_day_moves_a_visit_is_refused_undoes_and_every_page_is_accessible(
    browser, txcal, tmp_path
):
    profile = book_clinic(txcal, tmp_path)
    before = agenda_rows(txcal, profile)
    with serving(profile) as (url, _):
        # CSP bypassed only so axe-core can be put in the page; the policy itself is tested in test_page.py.
        context = browser.new_context(viewport={"width": 1280, "height": 1000}, bypass_csp=True)
        asked: list[str] = []
        context.on("request", lambda request: asked.append(request.url))
        page = context.new_page()
        page.goto(url)
        assert "?token" not in page.url and page.url.endswith("/day")  # signed in, the token gone from the URL
        origin = url.split("/?")[0]
        page.goto(f"{origin}/day/{DAY}")
        assert sheet(page) == before
        assert page.locator("#chart svg g.block").count() == len(LABELS)
        assert serious_findings(page) == [], "day page"
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        page.locator("#chart").screenshot(path=str(ARTIFACTS / "page-chart.png"))

        page.emulate_media(media="print")  # the day sheet alone on paper: no chart, strip or forms
        assert page.locator("table.sheet").is_visible() and not page.locator("#chart").is_visible()
        page.emulate_media(media="screen")

        page.get_by_role("link", name=re.compile(f"Move {LABELS[0]}'s")).click()
        assert serious_findings(page) == [], "move page"
        page.fill("#to", "17:30")
        page.get_by_role("button", name="Move", exact=True).click()
        refusal = page.get_by_role("alert").inner_text()
        assert "outside opening hours" in refusal
        nearest = re.search(r"the nearest time that fits is (\d\d:\d\d)", refusal).group(1)
        assert agenda_rows(txcal, profile) == before
        page.fill("#to", nearest)
        page.fill("#reason", "asked by phone")
        page.get_by_role("button", name="Move", exact=True).click()
        assert f"Moved {LABELS[0]}" in page.get_by_role("status").inner_text()
        moved = {row[3]: row[0] for row in agenda_rows(txcal, profile)}
        assert moved[LABELS[0]] == nearest
        assert sheet(page) == agenda_rows(txcal, profile)  # the page shows what the book now holds
        assert serious_findings(page) == [], "day page after a move"

        page.get_by_role("button", name="Undo").click()
        assert "Took back the last move" in page.get_by_role("status").inner_text()
        assert agenda_rows(txcal, profile) == before

        page.get_by_role("link", name="Week", exact=True).click()
        assert page.locator("ol.week li").count() == 7
        assert serious_findings(page) == [], "week page"
        page.get_by_role("link", name=re.compile("Tue 01 Dec")).click()
        page.get_by_role("link", name=LABELS[0]).first.click()
        assert "History" in page.inner_text("main") and "asked by phone" in page.inner_text("main")
        assert serious_findings(page) == [], "patient page"
        context.close()
    words = {word for label in LABELS for word in label.split()}
    assert asked and [u for u in asked if any(word in u for word in words)] == []


def test_a_post_from_another_site_is_refused_in_the_browser(browser, txcal, tmp_path):
    profile = book_clinic(txcal, tmp_path)
    before = agenda_rows(txcal, profile)
    with serving(profile) as (url, _):
        context = browser.new_context()
        page = context.new_page()
        page.goto(url)
        origin = url.split("/?")[0]
        page.goto(f"{origin}/day/{DAY}")
        link = page.get_by_role("link", name=re.compile(f"Move {LABELS[0]}'s")).get_attribute("href")
        ident = link.split("/")[2]
        # Another page the coordinator opened posts a move to the page: no cookie (SameSite), a foreign Origin.
        attacker = tmp_path / "attack.html"
        attacker.write_text(
            f'<form id="f" method="post" action="{origin}/move"><input name="patient" value="{ident}">'
            f'<input name="day" value="{DAY}"><input name="to" value="11:00"><input name="csrf" value="x"></form>',
            encoding="utf-8",
        )
        other = context.new_page()
        other.goto(attacker.as_uri())
        with other.expect_navigation():
            other.evaluate("document.getElementById('f').submit()")
        assert "Not shown" in other.inner_text("body")
        context.close()
    assert agenda_rows(txcal, profile) == before
