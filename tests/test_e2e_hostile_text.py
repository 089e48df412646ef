"""Text is text (issue #15), in real headless Chromium: hostile names from every source —
an imported scenario's name and description, a saved note and author, an uploaded sites
file's site names and file name, a region bundle's metadata and council name — render as
plain text: no request leaves the page and no markup from them is in the DOM."""

from __future__ import annotations

import re
from urllib.parse import urlparse

import pytest

import placeplan as pp
from placeplan.io.bundle import write_region
from placeplan.io.scenario_file import export_scenario
from placeplan.model.scenario import Scenario
from tests.test_e2e_browser import CHROMIUM, app_url, browser, settle  # noqa: F401  (fixtures)

pytestmark = pytest.mark.skipif(not __import__("pathlib").Path(CHROMIUM).exists(), reason="no Debian chromium")

EVIL = "evil.example"
HOSTILE = (f'![pwn](http://{EVIL}/md.png) <img src="http://{EVIL}/html.png"> '
           f'<script>fetch("http://{EVIL}/js")</script> **boldpwn** [link](http://{EVIL}/a) '
           f'http://{EVIL}/bare www.{EVIL} $x^2$ :red[colour]')


def watch(page) -> list[str]:
    """Every request the page makes to anything but the app on localhost."""
    outside: list[str] = []
    page.on("request", lambda r: outside.append(r.url)
            if urlparse(r.url).hostname not in ("127.0.0.1", "localhost") and not r.url.startswith(("data:", "blob:"))
            else None)
    return outside


def no_markup(page, outside: list[str]) -> None:
    page.wait_for_timeout(1500)  # give any image or script the time to ask for its URL
    assert outside == []
    assert page.locator(f"img[src*='{EVIL}']").count() == 0
    assert page.locator("script").filter(has_text=EVIL).count() == 0
    assert page.locator(f"a[href*='{EVIL}']").count() == 0
    assert page.locator("strong", has_text="boldpwn").count() == 0
    assert page.locator(".katex").count() == 0  # no maths from user text


def test_hostile_scenario_name_note_and_author_are_text(app_url, browser, tmp_path):  # noqa: F811  (fixtures imported above)
    url, _ = app_url
    scenario = tmp_path / "hostile_scenario.json"
    scenario.write_text(export_scenario(Scenario(name="Evil " + HOSTILE, description=HOSTILE)))
    page = browser.new_page(viewport={"width": 1400, "height": 1000})
    outside = watch(page)
    page.goto(f"{url}/?page=Scenarios", timeout=120_000)
    page.get_by_role("heading", name="Scenarios").first.wait_for(timeout=120_000)
    settle(page)
    page.get_by_test_id("stSidebar").get_by_label("Your name (recorded with each save)").fill(HOSTILE)
    page.keyboard.press("Tab")
    settle(page)
    page.locator("[data-testid='stFileUploaderDropzoneInput']").last.set_input_files(str(scenario))
    use = page.get_by_role("button", name=re.compile("^Use 'Evil"))
    use.wait_for(timeout=60_000)
    assert "![pwn]" in use.inner_text()  # shown as typed
    use.click()
    settle(page)
    page.get_by_label("Note (what changed and why)").fill(HOSTILE)
    page.get_by_role("button", name="Save", exact=True).click()
    try:
        page.get_by_text(re.compile(r"Saved 'Evil !\[pwn\]")).wait_for(timeout=30_000)
    except Exception:
        raise AssertionError(page.locator("[data-testid='stMain']").inner_text()[:3000]) from None
    settle(page)
    no_markup(page, outside)
    page.get_by_test_id("stSidebar").get_by_text("Overview", exact=True).click()  # the sidebar is drawn again
    page.get_by_test_id("stSidebar").get_by_text(re.compile(r"version 1 by !\[pwn\]")).wait_for(timeout=60_000)
    settle(page)
    no_markup(page, outside)
    page.close()


def test_hostile_site_names_and_file_name_are_text(app_url, browser, tmp_path):  # noqa: F811  (fixtures imported above)
    url, _ = app_url
    sites = tmp_path / '<img src=x onerror=fetch(1)> sites.csv'
    name = HOSTILE.replace('"', "'")
    sites.write_text("site_id,site,council_code,dwellings,status,first_year,build_rate,easting,northing\n"
                     f'H1,"{name}",E06000042,300,allocated,2019,50,488000,244000\n')
    page = browser.new_page(viewport={"width": 1400, "height": 1000})
    outside = watch(page)
    page.goto(f"{url}/?page=Planning", timeout=120_000)
    page.get_by_role("heading", name="Planning: development scenario").wait_for(timeout=120_000)
    settle(page)
    page.get_by_text("Load your council's sites file").click()
    page.locator("[data-testid='stFileUploaderDropzoneInput']").last.set_input_files(str(sites))
    page.get_by_text(re.compile("1 sites read from <img src=x onerror")).wait_for(timeout=60_000)
    page.get_by_role("button", name="Apply these changes").click()
    settle(page)
    combo = page.get_by_role("combobox", name="Site", exact=True)
    shown = combo.input_value() or combo.get_attribute("aria-label") or ""
    combo.click()
    page.keyboard.type("H1 — ![pwn]")  # the file's one site, among the other councils' (the upload changes Milton Keynes only)
    page.wait_for_timeout(500)
    options = page.get_by_role("option").all_inner_texts()
    page.keyboard.press("Escape")
    assert any("H1 — ![pwn](http://evil.example/md.png) <img" in t for t in options + [shown]), (shown, options)
    no_markup(page, outside)
    page.close()


def test_hostile_bundle_metadata_is_text(app_url, browser, tmp_path):  # noqa: F811  (fixtures imported above)
    url, _ = app_url
    region = pp.load_region()
    meta = region.meta.copy()
    for key in ("region_name", "limits", "sources", "licence", "attribution"):
        if key in set(meta["key"]):
            meta.loc[meta["key"] == key, "value"] = HOSTILE
        else:
            meta.loc[len(meta)] = {"key": key, "value": HOSTILE}
    councils = region.councils.copy()
    councils.loc[councils["council_code"] == "E06000055", "council"] = "Bed " + HOSTILE
    bundle = write_region(region.replace(meta=meta, councils=councils), tmp_path / "hostile.gpkg")
    page = browser.new_page(viewport={"width": 1400, "height": 1000})
    outside = watch(page)
    page.goto(url, timeout=120_000)
    page.get_by_role("heading", name="Overview").wait_for(timeout=120_000)
    settle(page)
    page.get_by_text("Load your own region bundle").click()
    page.locator("[data-testid='stFileUploaderDropzoneInput']").last.set_input_files(str(bundle))
    use = page.get_by_role("button", name=re.compile("^Use hostile.gpkg"))
    use.wait_for(timeout=120_000)
    use.click()
    settle(page)
    page.get_by_text(re.compile("^!\\[pwn\\]\\(http:\u2060?//evil")).first.wait_for(timeout=60_000)  # region_name, as typed
    no_markup(page, outside)
    for label in ("Planning", "Children's services", "Finance"):
        page.get_by_test_id("stSidebar").get_by_text(label, exact=True).click()
        page.wait_for_timeout(500)
        settle(page)
        no_markup(page, outside)
    page.close()
