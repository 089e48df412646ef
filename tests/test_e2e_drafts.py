"""Work is not lost, in a real headless Chromium (issue #14, item 6): a change survives a
reload (the tab's draft), a fresh visit starts from the base region, and a saved
scenario's share link, copied from the Scenarios page, opens that version in a new page.
"""

from __future__ import annotations

import re

import pytest

from placeplan.io.store import ScenarioStore
from placeplan.model.scenario import Scenario
from tests.test_e2e_browser import CHROMIUM, SHOTS, app_url, browser, choose, settle  # noqa: F401 (fixtures)
from tests.test_e2e_teams import open_page

pytestmark = pytest.mark.skipif(not __import__("pathlib").Path(CHROMIUM).exists(), reason="no chromium")


def sidebar(page):
    return page.get_by_test_id("stSidebar")


def headroom(page) -> float:
    return float(page.get_by_label(re.compile("^Headroom")).first.input_value())


def test_a_change_survives_a_reload(app_url, browser):  # noqa: F811
    url, _ = app_url
    page = open_page(browser, url, "Children's services")
    box = page.get_by_label(re.compile("^Headroom")).first
    box.fill("5")
    box.press("Enter")
    page.wait_for_url(re.compile(r"[?&]draft=[A-Za-z0-9_-]{16,}"), timeout=30_000)
    settle(page)
    assert headroom(page) == 5
    page.reload(timeout=60_000)
    page.get_by_role("heading", name=re.compile("Children")).first.wait_for(timeout=60_000)
    settle(page)
    sidebar(page).get_by_text(re.compile(r"Restored your unsaved changes from \d")).wait_for(timeout=30_000)
    assert headroom(page) == 5
    assert sidebar(page).get_by_role("button", name="Discard them").is_visible()
    page.screenshot(path=str(SHOTS / "draft_restored_1400x900.png"))
    page.close()
    fresh = open_page(browser, url, "Children's services")  # a new visit, without the tab's draft id
    assert headroom(fresh) != 5
    assert sidebar(fresh).get_by_text("New scenario (not saved)").is_visible()
    assert not sidebar(fresh).get_by_text(re.compile("Restored your unsaved changes")).count()
    fresh.close()


def test_a_share_link_opens_that_version(app_url, browser):  # noqa: F811
    url, store = app_url
    db = ScenarioStore(store, create=True)
    db.save(Scenario(name="E2E Shared", assumptions={"headroom": 0.07}), "Link Tester")
    db.save(Scenario(name="E2E Shared", assumptions={"headroom": 0.03}), "Someone Else", expected_version=1)
    page = open_page(browser, url, "Scenarios")
    choose(page, page.get_by_role("combobox", name="Scenario", exact=True), "E2E Shared")
    settle(page)
    link = next(t.strip() for t in page.get_by_test_id("stCode").all_inner_texts() if "scenario=E2E" in t)
    assert link.startswith("http://") and link.endswith("?scenario=E2E+Shared&version=2"), link
    page.close()
    shared = browser.new_page(viewport={"width": 1400, "height": 900})
    shared.goto(link.replace("version=2", "version=1"), timeout=60_000)
    sidebar(shared).get_by_text("E2E Shared — version 1 by Link Tester").wait_for(timeout=60_000)
    settle(shared)
    bad = browser.new_page(viewport={"width": 1400, "height": 900})
    bad.goto(link.replace("version=2", "version=7"), timeout=60_000)
    bad.get_by_text(re.compile(r"This link asks for scenario 'E2E Shared' version 7, which is not in the shared store")).wait_for(
        timeout=60_000)
    settle(bad)
    bad.screenshot(path=str(SHOTS / "bad_link_1400x900.png"))
    bad.close()
    shared.close()
