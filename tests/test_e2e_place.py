"""Placing a new site by postcode, in a real headless Chromium (issue #14).

A planner opens "Add a site" on Planning, types a postcode as people write it, adds the
site, and sees the confirmation name the planning areas it went to and Milton Keynes'
places needed change. (A click on the map's canvas is not driven here: the selection
handler is tested directly in tests/test_app_place.py.)
"""

from __future__ import annotations

import re
import time

import pytest

from tests.test_e2e_browser import CHROMIUM, app_url, browser, metric_value, settle  # noqa: F401 (fixtures)
from tests.test_e2e_teams import open_page

pytestmark = pytest.mark.skipif(not __import__("pathlib").Path(CHROMIUM).exists(), reason="no chromium")

METRIC = "Milton Keynes"


def test_add_a_site_by_postcode(app_url, browser, demo_region):  # noqa: F811
    from placeplan.model.postcodes import place_postcode

    url, _ = app_url
    page = open_page(browser, url, "Planning")
    before = metric_value(page, METRIC)
    page.get_by_text("Add a site", exact=True).click()
    page.get_by_label("Site id", exact=True).fill("E2E-PC")
    page.get_by_label("Name", exact=True).fill("Central MK offices")
    page.get_by_label("New site dwellings", exact=True).fill("3000")
    page.get_by_label("Build rate", exact=True).fill("500")
    page.get_by_label("Postcode", exact=True).fill("mk9 3ej")
    t0 = time.perf_counter()
    page.get_by_role("button", name="Add to the scenario").click()
    said = page.get_by_text(re.compile("Central MK offices placed by postcode MK9 3EJ"))
    said.first.wait_for(timeout=60_000)
    elapsed = time.perf_counter() - t0
    settle(page)
    print(f"add a site by postcode to the confirmation on screen: {elapsed:.2f} s")
    text = said.first.inner_text()
    names = demo_region.planning_areas.set_index("planning_area_code")["planning_area"]
    for phase, code in place_postcode(demo_region, "MK9 3EJ").planning_areas.items():
        assert f"{names[code]} ({phase})" in text, text
    after = metric_value(page, METRIC)
    assert after > before, (before, after)
    page.close()


def test_click_an_area_on_the_planning_map_then_place_a_site_in_it(app_url, browser):  # noqa: F811
    """A click in the map's canvas (after the pointer hovers there, as a person's does)
    selects the area under it: its demand chart appears and "Add a site" places in it."""
    url, _ = app_url
    page = open_page(browser, url, "Planning")
    canvas = page.locator("[data-testid='stDeckGlJsonChart'] canvas").first
    canvas.wait_for(timeout=60_000)
    canvas.scroll_into_view_if_needed()
    page.wait_for_timeout(1500)  # deck.gl draws after the canvas exists
    box = canvas.bounding_box()
    title = page.get_by_text(re.compile(r"^Demand against capacity: "))
    for dx in (0.0, 0.02, -0.02):  # the middle of the region; a click that lands mid-redraw is lost: again
        x, y = box["x"] + box["width"] * (0.5 + dx), box["y"] + box["height"] * 0.45
        page.mouse.move(x - 5, y)
        page.wait_for_timeout(300)
        page.mouse.move(x, y)
        page.wait_for_timeout(700)
        page.mouse.click(x, y)
        try:
            title.first.wait_for(timeout=15_000)
            break
        except Exception:
            settle(page)
    title.first.wait_for(timeout=30_000)
    settle(page)
    area = title.first.inner_text().removeprefix("Demand against capacity: ")
    assert re.search(r"\((primary|secondary), \d+\)$", area), area  # a name, its phase and code
    page.get_by_text("Add a site", exact=True).click()
    page.get_by_text(f"Clicked on the map: {area}").wait_for(timeout=30_000)
    page.get_by_label("Site id", exact=True).fill("E2E-MAP")
    page.get_by_role("button", name="Add to the scenario").click()
    said = page.get_by_text(re.compile("E2E-MAP placed in the area clicked on the map"))
    said.first.wait_for(timeout=60_000)
    name = area.rsplit(" (", 1)[0]
    assert name in said.first.inner_text()
    page.close()
