"""End to end in a real headless Chromium (Debian's), driven by Playwright.

Starts the app as a user does (``placeplan app``), edits a site's dwellings, sees the
places needed change, saves the scenario, reloads, finds and loads it, downloads the
shortfall XLSX and checks its content against the library. Screenshots of every page
go to docs/screenshots/.
"""

from __future__ import annotations

import os
import re
import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path

import openpyxl
import pandas as pd
import pytest

import placeplan as pp
from tests.conftest import app_is_up

ROOT = Path(__file__).resolve().parent.parent
SHOTS = ROOT / "docs" / "screenshots"
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
SITE = "CB:CB/17/05977/BRWN"  # RAF Henlow, Central Bedfordshire
FLAGS = ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync", "--disable-dev-shm-usage"]

pytestmark = pytest.mark.skipif(not Path(CHROMIUM).exists(), reason="Debian's chromium is not installed (scripts/test.sh installs it)")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def app_url(tmp_path_factory):
    port = free_port()
    store = tmp_path_factory.mktemp("store") / "scenarios.sqlite"
    env = {**os.environ, "PLACEPLAN_STORE": str(store)}
    proc = subprocess.Popen([sys.executable, "-m", "placeplan", "app", "--port", str(port)], env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, cwd=ROOT)
    url = f"http://127.0.0.1:{port}"
    if not app_is_up(url):
        proc.kill()
        raise RuntimeError(proc.stdout.read().decode(errors="replace"))
    yield url, store
    proc.terminate()
    try:
        proc.wait(10)
    except subprocess.TimeoutExpired:
        proc.kill()


@pytest.fixture(scope="module")
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=FLAGS, headless=True)
        yield b
        b.close()


def settle(page, timeout=60_000):
    """Wait until Streamlit has finished running the script."""
    page.wait_for_selector("[data-testid='stApp']", timeout=timeout)
    page.wait_for_timeout(300)
    page.wait_for_function(
        "() => !document.querySelector('[data-testid=\"stStatusWidget\"]')"
        " || !document.querySelector('[data-testid=\"stStatusWidget\"]').innerText.includes('Running')",
        timeout=timeout,
    )
    page.wait_for_timeout(500)


def choose(page, combo, option: str, tries: int = 4):
    """Pick `option` in a Streamlit selectbox, as a person would: open it, click the option.

    A rerun that lands while the list is open closes it again, so open it again (up to `tries` times).
    """
    for attempt in range(tries):
        settle(page)
        combo.click()
        item = page.get_by_role("option", name=option, exact=True)
        try:
            item.wait_for(timeout=10_000)
            item.click(timeout=10_000)
            return
        except Exception:
            if attempt == tries - 1:
                raise
            page.keyboard.press("Escape")


def go(page, label: str):
    page.get_by_test_id("stSidebar").get_by_text(label, exact=True).click()
    page.get_by_role("heading", name=re.compile(label.split(" ")[0].split("'")[0])).first.wait_for(timeout=60_000)
    settle(page)


def metric_by_label(page, label: str):
    """The metric whose label is exactly ``label`` (labels are council names: "Bedford")."""
    return page.get_by_test_id("stMetric").filter(
        has=page.get_by_test_id("stMetricLabel").get_by_text(label, exact=True)).first


def metric_value(page, label: str) -> float:
    m = metric_by_label(page, label)
    text = m.get_by_test_id("stMetricValue").inner_text()
    return float(text.replace(",", "").replace("£", "").replace("m", ""))


def test_edit_save_reload_download(app_url, browser, tmp_path):
    url, store = app_url
    SHOTS.mkdir(parents=True, exist_ok=True)
    page = browser.new_page(viewport={"width": 1500, "height": 1100}, accept_downloads=True)
    page.goto(url, timeout=120_000)
    page.get_by_role("heading", name="Overview").wait_for(timeout=120_000)
    settle(page)
    page.wait_for_timeout(1500)  # the map's canvas
    page.screenshot(path=str(SHOTS / "overview.png"), full_page=True)

    go(page, "Planning")
    before = metric_value(page, "Central Bedfordshire")
    combo = page.get_by_role("combobox", name="Site", exact=True)
    combo.click()
    combo.fill(SITE)
    page.keyboard.press("Enter")
    settle(page)
    dwell = page.get_by_label("Site dwellings", exact=True)
    assert dwell.input_value() == "1000"  # RAF Henlow's register figure
    dwell.fill("6000")
    page.get_by_label("Site build rate (dwellings a year)", exact=True).fill("600")
    t0 = time.perf_counter()
    page.get_by_role("button", name="Apply to the scenario").click()
    page.wait_for_function(
        "(b) => { const m = [...document.querySelectorAll('[data-testid=stMetric]')]"
        ".find(e => e.innerText.includes('Central Bedfordshire'));"
        " return m && parseFloat(m.querySelector('[data-testid=stMetricValue]').innerText.replace(/,/g, '')) != b; }",
        arg=before, timeout=30_000,
    )
    elapsed = time.perf_counter() - t0
    after = metric_value(page, "Central Bedfordshire")
    assert after > before, (before, after)
    settle(page)
    page.screenshot(path=str(SHOTS / "planning.png"), full_page=True)
    print(f"edit to updated numbers in the browser: {elapsed:.2f} s")

    go(page, "Scenarios")
    page.get_by_test_id("stSidebar").get_by_label("Your name (recorded with each save)").fill("Test Planner")
    page.keyboard.press("Tab")
    settle(page)
    page.get_by_label("Name", exact=True).fill("E2E Henlow 6000")
    page.get_by_label("Note (what changed and why)").fill("browser test")
    page.get_by_role("button", name="Save", exact=True).click()
    page.get_by_text("Saved 'E2E Henlow 6000' as version 1.").wait_for(timeout=30_000)
    settle(page)
    # the sidebar says so at once (it said "not saved" until the next click before issue #14)
    page.get_by_test_id("stSidebar").get_by_text("E2E Henlow 6000 — version 1 by Test Planner").wait_for(timeout=10_000)
    page.screenshot(path=str(SHOTS / "scenarios.png"), full_page=True)

    # A fresh visit (a new session without this tab's ?draft= id; a reload of the tab restores
    # its draft, tests/test_e2e_drafts.py) starts from the base region; the saved scenario is in the store.
    page.goto(f"{url}/?page=Scenarios", timeout=60_000)
    page.get_by_role("heading", name="Scenarios").first.wait_for(timeout=60_000)
    settle(page)
    page.get_by_test_id("stSidebar").get_by_text("New scenario (not saved)").wait_for(timeout=10_000)
    pick = page.get_by_role("combobox", name="Scenario", exact=True)
    choose(page, pick, "E2E Henlow 6000")
    page.get_by_role("button", name="Load", exact=True).click()
    page.get_by_test_id("stSidebar").get_by_text("E2E Henlow 6000 — version 1 by Test Planner").wait_for(timeout=30_000)
    settle(page)

    go(page, "Children's services")
    page.screenshot(path=str(SHOTS / "childrens_services.png"), full_page=True)
    with page.expect_download(timeout=60_000) as dl:
        page.get_by_role("button", name="Download shortfall (XLSX, with provenance)").click()
    path = tmp_path / "shortfall.xlsx"
    dl.value.save_as(path)

    go(page, "Finance")
    page.screenshot(path=str(SHOTS / "finance.png"), full_page=True)
    page.close()

    wb = openpyxl.load_workbook(path, read_only=True)
    assert wb.sheetnames == ["shortfall", "provenance", "scenario changes"]
    got = pd.read_excel(path, sheet_name="shortfall").rename(columns={"Places needed": "places_needed"})  # headers in words
    prov = pd.read_excel(path, sheet_name="provenance").set_index("Key")["Value"]
    changes = pd.read_excel(path, sheet_name="scenario changes").iloc[:, 0].tolist()
    assert any("RAF Henlow" in c and "6,000" in c for c in changes), changes
    assert prov["scenario"].startswith("E2E Henlow 6000 (")
    assert prov["data.licence"] == "Open Government Licence v3.0"
    from placeplan.io.store import ScenarioStore

    saved, version = ScenarioStore(store).load("E2E Henlow 6000")
    assert version.author == "Test Planner" and saved.edit_sites[SITE]["dwellings"] == 6000
    want = pp.forecast(pp.load_region(), saved).shortfall
    assert len(got) == len(want)
    pd.testing.assert_series_equal(got["places_needed"], want["places_needed"], check_names=False, rtol=1e-9)
    base = pp.forecast(pp.load_region()).shortfall
    assert got["places_needed"].sum() > base["places_needed"].sum()


def test_upload_sites_file_problems_then_success(app_url, browser, tmp_path):
    url, _ = app_url
    bad = tmp_path / "our_sites.csv"
    bad.write_text("site_id,site,council_code,dwellings,status,first_year,build_rate,easting,northing\n"
                   "X1,Somewhere,E06000042,lots,allocated,2019,50,488000,244000\n")
    good = ROOT / "templates" / "sites.csv"
    page = browser.new_page(viewport={"width": 1400, "height": 1000})
    page.goto(f"{url}/?page=Planning", timeout=120_000)
    page.get_by_role("heading", name="Planning: development scenario").wait_for(timeout=120_000)
    settle(page)
    page.get_by_text("Load your council's sites file").click()
    page.locator("[data-testid='stFileUploaderDropzoneInput']").last.set_input_files(str(bad))
    page.get_by_text("1 problem(s) found; nothing was changed.").wait_for(timeout=60_000)
    page.locator("[data-testid='stFileUploaderDropzoneInput']").last.set_input_files(str(good))
    page.get_by_text("2 sites read from sites.csv.").wait_for(timeout=60_000)
    page.close()
